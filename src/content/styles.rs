//! The content script's CSS: one `<style>` for what snshare adds inline to the portal (every
//! class prefixed `snshare-`), and the theme the forms' hosts carry (the forms' own sheet is
//! `snshare_web::form_host::FORM_CSS`). A page CSP that restricts `script-src` affects neither.

use web_sys::{Document, Element};

use super::dom::{el, set, OWN_ATTR};

/// Id of the single injected `<style>`.
pub const STYLE_ID: &str = "snshare-style";

/// Inline elements: row share button, badges, cards. Colours are `--snshare-*` variables on
/// the root, light by default and dark under `data-snshare-theme="dark"` (see [`apply_theme`]);
/// every text colour keeps 4.5:1 on the portal's surfaces of that theme. Under forced colours
/// (Windows high contrast) the system colours take over and edges become visible borders.
/// Notes on the rules are Rust comments, not CSS ones: they stay out of the portal's download.
pub const INLINE_CSS: &str = concat!(
    r#"
:root{--snshare-link:#0f6cbd;--snshare-muted:#605e5c;--snshare-rule:#edebe9;--snshare-badge-bg:#e8f1fb;--snshare-badge-fg:#0f548c;--snshare-closed-bg:#f0f0f0;--snshare-closed-fg:#424242;--snshare-queued-bg:#fff4ce;--snshare-queued-fg:#6a4b00;--snshare-btn-bg:#fff;--snshare-btn-fg:#201f1e;--snshare-btn-border:#8a8886;--snshare-btn-hover:#f3f2f1;--snshare-primary:#0f6cbd;--snshare-primary-hover:#115ea3;--snshare-focus:#0f6cbd}
:root[data-snshare-theme=dark]{--snshare-link:#479ef5;--snshare-muted:#c8c6c4;--snshare-rule:#484644;--snshare-badge-bg:#0c3b5e;--snshare-badge-fg:#ebf3fc;--snshare-closed-bg:#3b3a39;--snshare-closed-fg:#f3f2f1;--snshare-queued-bg:#463100;--snshare-queued-fg:#fde7a3;--snshare-btn-bg:#292827;--snshare-btn-fg:#f3f2f1;--snshare-btn-border:#979593;--snshare-btn-hover:#3b3a39;--snshare-primary:#115ea3;--snshare-primary-hover:#0f548c;--snshare-focus:#479ef5}
.snshare-slot{display:inline-flex;float:left;align-items:center;gap:4px;flex:none;margin-right:6px;vertical-align:middle;white-space:nowrap}
"#,
    // A title button after the slot takes the width the slot (button and badges) leaves, with its
    // own ellipsis: next to the floated slot, a block that clips its overflow is narrowed to fit.
    r#".snshare-slot+button,.snshare-slot+[role=button],.snshare-slot+[role=link]{display:block;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.snshare-share{display:inline-flex;align-items:center;justify-content:center;box-sizing:border-box;width:24px;height:24px;min-width:24px;padding:0;margin:0;border:1px solid transparent;border-radius:4px;background:transparent;color:var(--snshare-link);cursor:pointer;font:inherit}
.snshare-share:hover{background:rgba(15,108,189,.1);border-color:rgba(15,108,189,.3)}
"#,
    // The icon: a frame and its sidebar line, the line being the content box filled with the
    // text colour (padding places it 3px inside the frame). A gradient drew the same pixels,
    // but recording 200 gradients cost the portal's frames ~15-20 ms of paint per page load
    // (issue 17: page_load_ratio). Forced colours replace a background colour with the
    // system's Canvas, so there the icon keeps the button's system text colour (below).
    r#".snshare-share::before{content:"";box-sizing:border-box;width:14px;height:10px;padding:0 6.5px 0 3px;border:1.5px solid currentColor;border-radius:2px;background:currentColor content-box}
.snshare-slot :focus-visible,.snshare-panel-badges :focus-visible,.snshare-card :focus-visible{outline:2px solid var(--snshare-focus);outline-offset:1px}
.snshare-badge{display:inline-flex;align-items:center;gap:4px;height:20px;padding:0 8px;border:1px solid transparent;border-radius:10px;font-size:12px;line-height:18px;font-weight:600;background:var(--snshare-badge-bg);color:var(--snshare-badge-fg);text-decoration:none;white-space:nowrap;flex:none}
a.snshare-badge:hover{text-decoration:underline}
.snshare-badge-closed{background:var(--snshare-closed-bg);color:var(--snshare-closed-fg)}
.snshare-badge-queued{background:var(--snshare-queued-bg);color:var(--snshare-queued-fg)}
.snshare-panel-badges{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0}
.snshare-card{min-width:0}
.snshare-card-body{display:flex;flex-direction:column;gap:10px;font-size:13px}
.snshare-counts{display:flex;flex-wrap:wrap;gap:6px 16px;margin:0;padding:0;list-style:none}
.snshare-counts li{display:flex;flex-wrap:wrap;gap:0 6px;align-items:baseline}
.snshare-count-note{flex-basis:100%;font-size:12px}
.snshare-count{font-size:20px;font-weight:600}
.snshare-latest{display:flex;flex-direction:column;margin:0;padding:0;list-style:none;font-size:12px}
.snshare-ticket{min-width:0;padding:6px 0;border-bottom:1px solid var(--snshare-rule)}
.snshare-ticket-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:2px 8px}
.snshare-ticket-number{flex:none;font-weight:600;white-space:nowrap}
.snshare-ticket-state{min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.snshare-ticket-time{margin-left:auto;white-space:nowrap}
.snshare-ticket-name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.snshare-latest a{color:var(--snshare-link)}
.snshare-muted{color:var(--snshare-muted)}
.snshare-card-actions{display:flex;flex-wrap:wrap;gap:8px;margin-top:auto}
.snshare-btn{font:inherit;font-size:13px;padding:5px 12px;border-radius:4px;border:1px solid var(--snshare-btn-border);background:var(--snshare-btn-bg);color:var(--snshare-btn-fg);cursor:pointer}
.snshare-btn:hover{background:var(--snshare-btn-hover)}
.snshare-btn-primary{background:var(--snshare-primary);border-color:var(--snshare-primary);color:#fff}
.snshare-btn-primary:hover{background:var(--snshare-primary-hover)}
.snshare-pick{float:left;margin:5px 6px 0 0;width:16px;height:16px;accent-color:var(--snshare-primary)}
.snshare-bulkbar{position:fixed;z-index:999999;left:50%;bottom:24px;transform:translateX(-50%);display:flex;align-items:center;gap:12px;padding:8px 12px;border:1px solid var(--snshare-btn-border);border-radius:6px;background:var(--snshare-btn-bg);color:var(--snshare-btn-fg);box-shadow:0 4px 16px rgba(0,0,0,.25);font-size:13px}
.snshare-bulkbar[hidden]{display:none}
.snshare-alert{display:block;margin:4px 0;padding:6px 10px;border:1px solid var(--snshare-queued-fg);border-radius:4px;background:var(--snshare-queued-bg);color:var(--snshare-queued-fg);font-size:13px;white-space:normal}
.snshare-vh{position:absolute!important;width:1px!important;height:1px!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;white-space:nowrap!important;margin:-1px!important;padding:0!important;border:0!important}
@media (forced-colors:active){.snshare-card,.snshare-ticket,.snshare-muted{background:Canvas;color:CanvasText}.snshare-latest a,a.snshare-badge{color:LinkText}.snshare-ticket{border-color:CanvasText}.snshare-badge,.snshare-share{border-color:CanvasText}.snshare-btn,.snshare-btn-primary{background:ButtonFace;color:ButtonText;border-color:ButtonText}.snshare-slot :focus-visible,.snshare-panel-badges :focus-visible,.snshare-card :focus-visible{outline-color:Highlight}.snshare-share::before{forced-color-adjust:none;color:ButtonText}}
"#,
    // A narrow title cell (a 640 px window) stays the title's: the slot takes half of it at most,
    // or what leaves the title 14em, and a badge too long for it ends in an ellipsis (its name
    // and tooltip keep every word).
    r#".snshare-slot{max-width:max(50%,calc(100% - 14em));min-width:0}
.snshare-slot>.snshare-badge{display:inline-block;flex:0 1 auto;min-width:0;overflow:hidden;text-overflow:ellipsis}
"#,
);

/// Which theme snshare's in-page UI takes: the portal's own, read from the background it
/// paints (whatever class or attribute the portal uses to switch it), else the system's
/// (`prefers-color-scheme`) when the portal paints none.
pub fn theme(doc: &Document) -> &'static str {
    let painted = [doc.body().map(Element::from), doc.document_element()]
        .into_iter()
        .flatten()
        .find_map(|e| painted_lightness(&e));
    let dark = match painted {
        Some(l) => l < 128,
        None => web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|m| m.matches()),
    };
    if dark {
        "dark"
    } else {
        "light"
    }
}

/// Marks the root with the theme, for the inline sheet; returns it for the form's host.
/// Called when snshare starts and again when it draws a card or opens the form, so a portal
/// switched to dark meanwhile is followed.
pub fn apply_theme(doc: &Document) -> &'static str {
    let theme = theme(doc);
    if let Some(root) = doc.document_element() {
        if root.get_attribute(THEME_ATTR).as_deref() != Some(theme) {
            let _ = root.set_attribute(THEME_ATTR, theme);
        }
    }
    theme
}

/// The root attribute the inline sheet's dark variables hang on.
pub const THEME_ATTR: &str = "data-snshare-theme";

/// How light an element's own background colour is, 0 (black) to 255 (white), by the
/// channels' luminance weights (without gamma: enough to tell a dark theme from a light one);
/// none when it is transparent. Integers only: float parsing would weigh on the content wasm.
fn painted_lightness(e: &Element) -> Option<u32> {
    let style = web_sys::window()?.get_computed_style(e).ok()??;
    let color = style.get_property_value("background-color").ok()?;
    let inner = color
        .trim()
        .strip_prefix("rgba(")
        .or_else(|| color.trim().strip_prefix("rgb("))?
        .trim_end_matches(')');
    let parts: Vec<&str> = inner
        .split([',', ' ', '/'])
        .filter(|p| !p.is_empty())
        .collect();
    let channel = |i: usize| -> Option<u32> { parts.get(i)?.split('.').next()?.parse().ok() };
    let (r, g, b) = (channel(0)?, channel(1)?, channel(2)?);
    // Alpha below 0.5 ("0", "0.25"): the page shows through, this element paints no theme.
    if let Some(a) = parts.get(3) {
        if a.starts_with('0') && a.as_bytes().get(2).is_none_or(|d| *d < b'5') {
            return None;
        }
    }
    Some((2126 * r + 7152 * g + 722 * b) / 10_000)
}

/// Adds the inline stylesheet once (a second call finds it), and marks the portal's theme.
pub fn install(doc: &Document) {
    apply_theme(doc);
    if doc.get_element_by_id(STYLE_ID).is_some() {
        return;
    }
    let style = el(doc, "style", "", INLINE_CSS);
    set(&style, "id", STYLE_ID);
    set(&style, OWN_ATTR, "style");
    let parent = doc
        .head()
        .map(Into::into)
        .or_else(|| doc.document_element());
    if let Some(p) = parent {
        let _ = p.append_child(&style);
    }
}
