//! The theme of what snshare adds inline to the portal, and of the forms' hosts: read from the
//! portal, and followed while the page lives ([`ThemeWatch`]). The sheet itself is
//! `extension/content.css`, declared in the manifest (`content_scripts[].css`): the browser
//! injects it at document_start, so no page CSP and no portal that rewrites its `<head>` can
//! take it away, and the content script neither carries it nor hands it to the page (issue 17).
//! Its colours are `--snshare-*` variables on the root, dark under [`THEME_ATTR`]`="dark"`,
//! which [`apply_theme`] sets. The forms' own sheet is `snshare_web::form_host::FORM_CSS`, in
//! their shadow roots.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, MutationObserver, MutationObserverInit};

use super::dom::{self, Listener};
use crate::platform::form_host;

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
            // A form open while the portal switched its theme switches with it (its sheet's
            // colours hang on its host's `data-theme`).
            for host in dom::all(&root, form_host::HOSTS) {
                dom::set(&host, "data-theme", theme);
            }
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

/// The page loaded, the portal changed its theme's marks, or the system its scheme: the theme
/// read again.
/// Observer records come one callback per task, so a burst of changes is one read.
fn theme_changed() {
    if let Some(doc) = dom::document() {
        apply_theme(&doc);
    }
}

/// Follows the portal's theme while the page lives, so snshare's buttons, badges and cards
/// switch with it, not at the next reload: the page's `load` (snshare starts at
/// document_start, before the portal's stylesheets may have applied), the system's colour
/// scheme (which [`theme`] falls back on), and the attributes of `<html>` and `<body>` a portal
/// marks its theme with. Kept by the scheduler for the page's life.
pub struct ThemeWatch {
    _load: Option<Listener>,
    _scheme: Option<Listener>,
    /// The observer and its callback (which takes no arguments: any record is a change).
    observer: Option<(MutationObserver, Closure<dyn FnMut()>)>,
}

impl ThemeWatch {
    /// Starts following on `<html>`; `<body>` is added by [`observe`](Self::observe) once the
    /// page has one.
    pub fn start(doc: &Document) -> Self {
        let window = web_sys::window();
        let load = window
            .as_ref()
            .filter(|_| doc.ready_state() != "complete")
            .map(|w| Listener::new(w.as_ref(), "load", |_| theme_changed()));
        let scheme = window
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .map(|m| Listener::new(m.as_ref(), "change", |_| theme_changed()));
        let callback = Closure::<dyn FnMut()>::new(theme_changed);
        let observer = MutationObserver::new(callback.as_ref().unchecked_ref())
            .ok()
            .map(|o| (o, callback));
        let watch = Self {
            _load: load,
            _scheme: scheme,
            observer,
        };
        if let Some(root) = doc.document_element() {
            watch.observe(&root);
        }
        watch
    }

    /// Follows the theme's marks on `e` too (the page's `<body>`).
    pub fn observe(&self, e: &Element) {
        if let Some((observer, _)) = &self.observer {
            let init = MutationObserverInit::new();
            // What a portal marks its theme with: a class, a `style` with its palette's
            // variables, a theme attribute. snshare's own marks are not among them, so the
            // root's theme mark does not call the observer back.
            init.set_attribute_filter(&js_sys::Array::of3(
                &"class".into(),
                &"style".into(),
                &"data-theme".into(),
            ));
            let _ = observer.observe_with_options(e, &init);
        }
    }
}
