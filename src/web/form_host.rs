//! Where snshare's in-page forms live: a host `<div>` marked as snshare's, carrying the portal's
//! theme (`data-theme`) and the form's language (`lang`), with a closed shadow root that holds
//! the form's own sheet and markup. The portal's styles and scripts leave it alone; the task
//! form and the bulk form are built the same way, whichever module draws them.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

use crate::dom::{set, OWN_ATTR};

/// The forms' sheet (the bulk form adds a few rules of its own after it). The host carries
/// `data-theme` and `lang`.
pub const FORM_CSS: &str = include_str!("../../extension/templates/task-form.css");

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getManifest, catch)]
    fn manifest() -> Result<JsValue, JsValue>;
}

/// Closed: a script of the portal page can neither read what a form shows (a draft, open
/// tickets) nor fill it in (security review M2). Playwright sees into open roots only, so the
/// e2e suite's copy of the extension sets `snshare_test.open_shadow_root` in its manifest,
/// which no page can change; the shipped manifest has no such key.
pub fn shadow_mode() -> ShadowRootMode {
    let get = |v: &JsValue, k: &str| js_sys::Reflect::get(v, &JsValue::from_str(k)).ok();
    let open = manifest()
        .ok()
        .and_then(|m| get(&m, "snshare_test"))
        .filter(JsValue::is_object)
        .and_then(|t| get(&t, "open_shadow_root"))
        .and_then(|v| v.as_bool())
        == Some(true);
    if open {
        ShadowRootMode::Open
    } else {
        ShadowRootMode::Closed
    }
}

/// The task form's host mark (`data-snshare="form"`).
pub const TASK_HOST: &str = "form";
/// The bulk form's host mark.
pub const BULK_HOST: &str = "bulk-form";
/// Both forms' hosts, in the page.
pub const HOSTS: &str = "[data-snshare=\"form\"], [data-snshare=\"bulk-form\"]";

/// Whether `e` is a form's host: what the page's listeners see as the target of any event
/// from inside the form (its shadow root retargets them), a click on Send included.
pub fn is_host(e: &Element) -> bool {
    e.get_attribute(OWN_ATTR)
        .is_some_and(|v| v == TASK_HOST || v == BULK_HOST)
}

/// A form's host (not yet in the page), marked `data-snshare="<own>"` (`TASK_HOST` or
/// `BULK_HOST`), and its shadow root with `css` in it. `None` when the browser refuses the
/// shadow root.
pub fn create(
    doc: &Document,
    own: &str,
    theme: &str,
    lang: &str,
    css: &str,
) -> Option<(Element, ShadowRoot)> {
    let host = doc.create_element("div").ok()?;
    set(&host, OWN_ATTR, own);
    set(&host, "data-theme", theme);
    set(&host, "lang", lang);
    let root = host
        .unchecked_ref::<HtmlElement>()
        .attach_shadow(&ShadowRootInit::new(shadow_mode()))
        .ok()?;
    let style = doc.create_element("style").ok()?;
    style.set_text_content(Some(css));
    let _ = root.append_child(&style);
    Some((host, root))
}
