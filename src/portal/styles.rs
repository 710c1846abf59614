//! The content script's CSS: one `<style>` for what snshare adds inline to the portal (every
//! class prefixed `snshare-`), and the task form's own sheet inside its shadow root. A page CSP
//! that restricts `script-src` does not affect either.

use web_sys::Document;

use super::dom::{el, set, OWN_ATTR};

/// Id of the single injected `<style>`.
pub const STYLE_ID: &str = "snshare-style";

/// Inline elements: row share button, badges, cards.
pub const INLINE_CSS: &str = r#"
.snshare-slot{display:inline-flex;float:left;align-items:center;gap:4px;flex:none;margin-right:6px;vertical-align:middle;white-space:nowrap}
/* A title button after the slot takes the width the slot (button and badges) leaves, with its
   own ellipsis: next to the floated slot, a block that clips its overflow is narrowed to fit. */
.snshare-slot+button,.snshare-slot+[role=button],.snshare-slot+[role=link]{display:block;min-width:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.snshare-share{display:inline-flex;align-items:center;justify-content:center;box-sizing:border-box;width:24px;height:24px;min-width:24px;padding:0;margin:0;border:1px solid transparent;border-radius:4px;background:transparent;color:#0f6cbd;cursor:pointer;font:inherit}
.snshare-share:hover{background:rgba(15,108,189,.1);border-color:rgba(15,108,189,.3)}
.snshare-share:focus-visible{outline:2px solid #0f6cbd;outline-offset:1px}
.snshare-share::before{content:"";box-sizing:border-box;width:14px;height:10px;border:1.5px solid currentColor;border-radius:2px;background:linear-gradient(currentColor,currentColor) 3px 0/1.5px 100% no-repeat}
.snshare-badge{display:inline-flex;align-items:center;gap:4px;height:20px;padding:0 8px;border-radius:10px;font-size:12px;line-height:20px;font-weight:600;background:#e8f1fb;color:#0f548c;text-decoration:none;white-space:nowrap;flex:none}
a.snshare-badge:hover{text-decoration:underline}
a.snshare-badge:focus-visible{outline:2px solid #0f6cbd;outline-offset:1px}
.snshare-badge-closed{background:#f0f0f0;color:#424242}
.snshare-badge-queued{background:#fff4ce;color:#6a4b00}
.snshare-panel-badges{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0}
.snshare-card{min-width:0}
.snshare-card-body{display:flex;flex-direction:column;gap:10px;font-size:13px}
.snshare-counts{display:flex;flex-wrap:wrap;gap:6px 16px;margin:0;padding:0;list-style:none}
.snshare-counts li{display:flex;gap:6px;align-items:baseline}
.snshare-count{font-size:20px;font-weight:600}
.snshare-latest{width:100%;border-collapse:collapse;font-size:12px;table-layout:fixed}
.snshare-latest th,.snshare-latest td{text-align:left;padding:4px 6px 4px 0;border-bottom:1px solid #edebe9;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;vertical-align:top}
.snshare-latest th{font-weight:600;color:#605e5c}
.snshare-latest a{color:#0f6cbd}
.snshare-muted{color:#605e5c}
.snshare-card-actions{display:flex;flex-wrap:wrap;gap:8px;margin-top:auto}
.snshare-btn{font:inherit;font-size:13px;padding:5px 12px;border-radius:4px;border:1px solid #8a8886;background:#fff;color:#201f1e;cursor:pointer}
.snshare-btn:hover{background:#f3f2f1}
.snshare-btn:focus-visible{outline:2px solid #0f6cbd;outline-offset:1px}
.snshare-btn-primary{background:#0f6cbd;border-color:#0f6cbd;color:#fff}
.snshare-btn-primary:hover{background:#115ea3}
.snshare-vh{position:absolute!important;width:1px!important;height:1px!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;white-space:nowrap!important;margin:-1px!important;padding:0!important;border:0!important}
"#;

/// The task form, inside its shadow root (the page's styles do not reach it, nor ours the page).
pub const FORM_CSS: &str = r#"
:host{all:initial}
*{box-sizing:border-box}
.overlay:not([open]){display:none}
.overlay::backdrop{background:transparent}
.overlay{position:fixed;inset:0;width:auto;height:auto;max-width:none;max-height:none;margin:0;padding:0;border:0;background:rgba(0,0,0,.4);z-index:2147483000;display:flex;align-items:center;justify-content:center;font:14px/1.4 "Segoe UI",system-ui,-apple-system,sans-serif;color:#242424}
.dialog{background:#fff;border-radius:8px;box-shadow:0 8px 32px rgba(0,0,0,.3);width:min(640px,calc(100vw - 32px));max-height:calc(100vh - 32px);display:flex;flex-direction:column;outline:none}
.head{padding:18px 24px 6px}
h2{margin:0;font-size:20px;line-height:28px;font-weight:600}
.sub{margin:2px 0 0;color:#616161;font-size:13px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
form{display:flex;flex-direction:column;min-height:0;margin:0}
.body{padding:8px 24px;overflow:auto;display:grid;grid-template-columns:1fr 1fr;gap:12px 16px}
.field{display:flex;flex-direction:column;gap:4px;min-width:0}
.wide{grid-column:1 / -1}
label{font-weight:600;font-size:13px}
input,select,textarea{font:inherit;font-size:14px;padding:5px 8px;border:1px solid #d1d1d1;border-bottom-color:#616161;border-radius:4px;background:#fff;color:#242424;width:100%}
textarea{min-height:120px;resize:vertical}
input[readonly]{background:#f5f5f5;border-color:#e0e0e0;color:#424242}
input:focus,select:focus,textarea:focus{outline:2px solid #0f6cbd;outline-offset:-1px}
[aria-invalid="true"]{border-color:#c50f1f}
.row{display:flex;justify-content:space-between;gap:8px;align-items:baseline}
.counter{font-size:12px;color:#616161}
.counter.over{color:#c50f1f;font-weight:600}
.error{color:#c50f1f;font-size:12px;min-height:0}
.error:empty{display:none}
.notice{grid-column:1 / -1;border-radius:4px;padding:10px 12px;background:#fff9f5;border:1px solid #f4bfab}
.notice p{margin:0 0 6px}
.notice ul{margin:0 0 8px;padding-left:18px}
.info{background:#ebf3fc;border-color:#b4d6fa}
.result{padding:0 24px}
.result:empty{display:none}
.ok{color:#0e700e}
.fail{color:#b10e1c}
.result p{margin:6px 0}
a{color:#0f6cbd}
.foot{display:flex;justify-content:flex-end;gap:8px;padding:14px 24px 18px}
button{font:inherit;font-size:14px;font-weight:600;padding:6px 16px;border-radius:4px;border:1px solid #d1d1d1;background:#fff;color:#242424;cursor:pointer}
button:hover{background:#f5f5f5}
button:focus-visible{outline:2px solid #0f6cbd;outline-offset:1px}
button.primary{background:#0f6cbd;border-color:#0f6cbd;color:#fff}
button.primary:hover{background:#115ea3}
button[disabled]{background:#f0f0f0;border-color:#e0e0e0;color:#bdbdbd;cursor:default}
[hidden]{display:none!important}
@media (max-width:560px){.body{grid-template-columns:1fr}}
"#;

/// Adds the inline stylesheet once (a second call finds it).
pub fn install(doc: &Document) {
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
