//! The one DOM toolkit of every surface: building nodes, listeners that remove themselves,
//! form values, text normalization; [`build`] is the element builder of the extension pages.
//! Everything that puts page or ServiceNow text into the DOM goes through `textContent` /
//! `value` here — never through HTML parsing.

pub mod build;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    Document, Element, Event, EventTarget, HtmlElement, HtmlInputElement, HtmlSelectElement,
    HtmlTextAreaElement,
};

/// Marks every node snshare inserts into the page, so the observer can skip its own work and
/// teardown can find what is left.
pub const OWN_ATTR: &str = "data-snshare";
/// Selector for [`OWN_ATTR`].
pub const OWN_SELECTOR: &str = "[data-snshare]";

const SVG_NS: &str = "http://www.w3.org/2000/svg";

pub fn document() -> Option<Document> {
    web_sys::window().and_then(|w| w.document())
}

/// `<tag class=..>` with text content (as text).
pub fn el(doc: &Document, tag: &str, class: &str, text: &str) -> Element {
    let e = doc
        .create_element(tag)
        .unwrap_or_else(|_| wasm_bindgen::throw_str("snshare: createElement failed"));
    if !class.is_empty() {
        e.set_class_name(class);
    }
    if !text.is_empty() {
        e.set_text_content(Some(text));
    }
    e
}

pub fn set(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

pub fn append(parent: &Element, child: &Element) {
    let _ = parent.append_child(child);
}

/// A path element for an existing `<svg>` (used when restyling a cloned menu icon).
pub fn svg_path(doc: &Document, d: &str) -> Option<Element> {
    let path = doc.create_element_ns(Some(SVG_NS), "path").ok()?;
    let _ = path.set_attribute("d", d);
    Some(path)
}

/// The ticket glyph snshare uses for its share button and menu item.
pub const TICKET_ICON: &str =
    "M2 4.5h12v2.1a1.4 1.4 0 0 0 0 2.8v2.1H2V9.4a1.4 1.4 0 0 0 0-2.8zM6 4.5v7";

pub fn focus(e: &Element) {
    if let Some(h) = e.dyn_ref::<HtmlElement>() {
        let _ = h.focus();
    }
}

/// Text as a person reads it: icon glyphs dropped, runs of Unicode whitespace collapsed,
/// trimmed (one rule for the whole product, `domain::action_title::collapse`).
pub fn normalize(s: &str) -> String {
    crate::domain::action_title::collapse(s)
}

/// Normalized text content of an element.
pub fn text_of(e: &Element) -> String {
    normalize(&e.text_content().unwrap_or_default())
}

/// Elements of a `querySelectorAll`, as a vector.
pub fn all(root: &Element, selector: &str) -> Vec<Element> {
    let mut out = Vec::new();
    if let Ok(list) = root.query_selector_all(selector) {
        out.reserve(list.length() as usize);
        for i in 0..list.length() {
            if let Some(e) = list.item(i).and_then(|n| n.dyn_into::<Element>().ok()) {
                out.push(e);
            }
        }
    }
    out
}

pub fn first(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

pub fn closest(e: &Element, selector: &str) -> Option<Element> {
    e.closest(selector).ok().flatten()
}

pub fn matches(e: &Element, selector: &str) -> bool {
    e.matches(selector).unwrap_or(false)
}

/// Whether a node belongs to snshare (it or an ancestor carries [`OWN_ATTR`]).
pub fn is_ours(e: &Element) -> bool {
    // `closest` starts at the element itself: one call, its selector a JS string made once
    // (this runs for every cell of every row a batch touches).
    closest_i(e, OWN_SELECTOR).is_some()
}

/// Removes every node snshare inserted under `root` that matches `selector`.
pub fn remove_all(root: &Element, selector: &str) {
    for e in all(root, selector) {
        e.remove();
    }
}

/// One registered listener; removed from its target when dropped. Never drop one from inside
/// its own callback (defer with `spawn_local`).
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    capture: bool,
    closure: Closure<dyn FnMut(Event)>,
}

impl Listener {
    pub fn new(target: &EventTarget, kind: &'static str, f: impl FnMut(Event) + 'static) -> Self {
        Self::with_capture(target, kind, false, f)
    }

    pub fn with_capture(
        target: &EventTarget,
        kind: &'static str,
        capture: bool,
        f: impl FnMut(Event) + 'static,
    ) -> Self {
        let closure = Closure::<dyn FnMut(Event)>::new(f);
        let _ = target.add_event_listener_with_callback_and_bool(
            kind,
            closure.as_ref().unchecked_ref(),
            capture,
        );
        Listener {
            target: target.clone(),
            kind,
            capture,
            closure,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.kind,
            self.closure.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}

/// Whether an event comes from the person at the browser (a real click or key), not from a
/// script of the page (`el.click()`, `dispatchEvent`). Everything that leads to a write to
/// ServiceNow starts only from such an event (security review M2).
pub fn by_user(e: &Event) -> bool {
    e.is_trusted()
}

/// The control matching `selector` that a click landed on, when the person at the browser
/// clicked it. A click on such a control is snshare's alone (its default and propagation
/// stopped) even when a script of the page sent it; only a user's click is returned, to act on.
pub fn user_command(e: &Event, selector: &str) -> Option<Element> {
    let target = e.target()?.dyn_into::<Element>().ok()?;
    let control = closest(&target, selector)?;
    e.prevent_default();
    e.stop_propagation();
    by_user(e).then_some(control)
}

pub use crate::Debouncer;

/// Runs `f` once after `ms` milliseconds (a one-shot closure, freed after it ran); the timer's
/// id, to cancel it.
pub fn after(ms: i32, f: impl FnOnce() + 'static) -> Option<i32> {
    let window = web_sys::window()?;
    let cb = Closure::once_into_js(f);
    window
        .set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms)
        .ok()
}

/// Runs `f` once when the page is next idle (`requestIdleCallback`: after a frame's work, never
/// in it), or after a timer where the browser has no idle callbacks.
pub fn when_idle(f: impl FnOnce() + 'static) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let cb = Closure::once_into_js(f);
    if window.request_idle_callback(cb.unchecked_ref()).is_err() {
        let _ =
            window.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), 50);
    }
}

/// The value of an input, select or text area (empty for anything else).
pub fn value_of(node: &Element) -> String {
    if let Some(i) = node.dyn_ref::<HtmlInputElement>() {
        i.value()
    } else if let Some(s) = node.dyn_ref::<HtmlSelectElement>() {
        s.value()
    } else if let Some(t) = node.dyn_ref::<HtmlTextAreaElement>() {
        t.value()
    } else {
        String::new()
    }
}

pub fn set_value(node: &Element, v: &str) {
    if let Some(i) = node.dyn_ref::<HtmlInputElement>() {
        i.set_value(v);
    } else if let Some(s) = node.dyn_ref::<HtmlSelectElement>() {
        s.set_value(v);
    } else if let Some(t) = node.dyn_ref::<HtmlTextAreaElement>() {
        t.set_value(v);
    }
}

/// Sets or removes a boolean attribute (`disabled`, `hidden`, `aria-busy`…).
pub fn toggle_attr(node: &Element, name: &str, on: bool) {
    let _ = if on {
        node.set_attribute(
            name,
            if name.starts_with("aria-") {
                "true"
            } else {
                ""
            },
        )
    } else {
        node.remove_attribute(name)
    };
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["navigator", "clipboard"], js_name = writeText, catch)]
    fn clipboard_write_text(text: &str) -> Result<js_sys::Promise, JsValue>;
}

/// Copies `text` to the clipboard; `false` when the browser refused.
pub async fn copy_text(text: &str) -> bool {
    match clipboard_write_text(text) {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.is_ok(),
        Err(_) => false,
    }
}

/// `performance.mark(name)` when built with the `bench` feature; nothing otherwise.
#[inline]
pub fn mark(_name: &str) {
    #[cfg(feature = "bench")]
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(_name);
    }
}

// ---------------------------------------------------------------------------------------------
// Hot paths: selectors and attribute names used once per row or per mutation record are made
// into JS strings once, instead of being decoded from wasm memory on every call.
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen]
extern "C" {
    /// An `Element`, with the calls below taking their names as JS values.
    #[wasm_bindgen(js_name = Element)]
    type RawElement;
    // Without `catch` (each would cost one more call into the glue): the selectors and names
    // given are literals, valid by construction and checked by tests/wasm_portal.rs.
    #[wasm_bindgen(method, js_name = querySelector)]
    fn query_selector_js(this: &RawElement, selector: &JsValue) -> Option<Element>;
    #[wasm_bindgen(method, js_name = querySelectorAll)]
    fn query_selector_all_js(this: &RawElement, selector: &JsValue) -> web_sys::NodeList;
    #[wasm_bindgen(method, js_name = matches)]
    fn matches_js(this: &RawElement, selector: &JsValue) -> bool;
    #[wasm_bindgen(method, js_name = closest)]
    fn closest_js(this: &RawElement, selector: &JsValue) -> Option<Element>;
    #[wasm_bindgen(method, js_name = getAttribute)]
    fn get_attribute_js(this: &RawElement, name: &JsValue) -> Option<String>;
    #[wasm_bindgen(method, js_name = hasAttribute)]
    fn has_attribute_js(this: &RawElement, name: &JsValue) -> bool;
    #[wasm_bindgen(method, js_name = setAttribute)]
    fn set_attribute_js(this: &RawElement, name: &JsValue, value: &str);
    // Nor these, given a node snshare just made (never an ancestor of where it goes): they throw
    // only for such hierarchy errors, and `cloneNode` of an element never does.
    #[wasm_bindgen(method, js_name = cloneNode)]
    fn clone_node_js(this: &RawElement, deep: bool) -> Element;
    #[wasm_bindgen(method, js_name = before)]
    fn before_js(this: &RawElement, node: &Element);
    #[wasm_bindgen(method, js_name = prepend)]
    fn prepend_js(this: &RawElement, node: &Element);
}

fn raw(e: &Element) -> &RawElement {
    e.unchecked_ref()
}

thread_local! {
    static INTERNED: std::cell::RefCell<Vec<((usize, usize), &'static JsValue)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `s` as a JS string made once per page (keyed by the literal's address and length). Not
/// generic over what its callers do with it: one copy of the lookup, where a closure-taking
/// helper was instantiated once per caller. Each literal's string is kept for the page's life
/// (it was already: the cache never drops one), so it is handed out as `&'static`.
pub fn interned(s: &'static str) -> &'static JsValue {
    // Address and length: the linker may place a literal inside a longer one ("state" at the
    // start of "state_label"), so the address alone does not name the string.
    let key = (s.as_ptr() as usize, s.len());
    INTERNED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some((_, v)) = cache.iter().find(|(k, _)| *k == key) {
            return *v;
        }
        let v: &'static JsValue = Box::leak(Box::new(JsValue::from_str(s)));
        cache.push((key, v));
        v
    })
}

/// [`first`] for a selector literal used on every row.
pub fn first_i(root: &Element, selector: &'static str) -> Option<Element> {
    raw(root).query_selector_js(interned(selector))
}

/// [`all`] for a selector literal used on every row.
pub fn all_i(root: &Element, selector: &'static str) -> Vec<Element> {
    let list = raw(root).query_selector_all_js(interned(selector));
    let n = list.length();
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        // A selector matches elements only.
        if let Some(node) = list.item(i) {
            out.push(node.unchecked_into::<Element>());
        }
    }
    out
}

/// [`closest`] for a selector literal used on every row or cell.
pub fn closest_i(e: &Element, selector: &'static str) -> Option<Element> {
    raw(e).closest_js(interned(selector))
}

/// [`matches`] for a selector literal used on every row.
pub fn matches_i(e: &Element, selector: &'static str) -> bool {
    raw(e).matches_js(interned(selector))
}

/// `getAttribute` for a name literal used on every row.
pub fn attr_i(e: &Element, name: &'static str) -> Option<String> {
    raw(e).get_attribute_js(interned(name))
}

/// `hasAttribute` for a name literal used on every row or record.
pub fn has_attr_i(e: &Element, name: &'static str) -> bool {
    raw(e).has_attribute_js(interned(name))
}

/// `setAttribute` for a name literal used on every row.
pub fn set_i(e: &Element, name: &'static str, value: &str) {
    raw(e).set_attribute_js(interned(name), value);
}

/// A deep copy of `e` (a template of snshare's, cloned per row).
pub fn clone_deep(e: &Element) -> Element {
    raw(e).clone_node_js(true)
}

/// Puts `made`, an element snshare just made, right before `at` (nothing if `at` has no parent).
pub fn put_before(at: &Element, made: &Element) {
    raw(at).before_js(made);
}

/// Puts `made`, an element snshare just made, first inside `parent`.
pub fn put_first(parent: &Element, made: &Element) {
    raw(parent).prepend_js(made);
}

/// Whether an attribute value can go into a selector as it is (column keys, indices): letters,
/// digits, `_`, `-`, `.`.
pub fn plain_value(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 64
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// A selector made from a value of the page: `[name="value"]` + a literal, as a JS string.
struct AttrSelector {
    /// The literals' addresses and lengths (name, rest), as in `interned`.
    literals: (usize, usize, usize, usize),
    value: String,
    js: JsValue,
}

thread_local! {
    /// The selectors made from the page's values: a list's few columns, each asked once per row.
    static BY_ATTR: std::cell::RefCell<Vec<AttrSelector>> =
        const { std::cell::RefCell::new(Vec::new()) };
}
/// Past this many, the oldest selector made from the page's values is dropped.
const BY_ATTR_MAX: usize = 16;

/// The first element under `root` matching `[name="value"]` and the selector literal `rest`,
/// in one query; `None` when `value` cannot go into a selector as it is ([`plain_value`]).
pub fn first_with_attr(
    root: &Element,
    name: &'static str,
    value: &str,
    rest: &'static str,
) -> Option<Option<Element>> {
    if !plain_value(value) {
        return None;
    }
    let key = (
        name.as_ptr() as usize,
        name.len(),
        rest.as_ptr() as usize,
        rest.len(),
    );
    BY_ATTR.with(|cache| {
        let mut cache = cache.borrow_mut();
        let at = match cache
            .iter()
            .position(|c| c.literals == key && c.value == value)
        {
            Some(at) => at,
            None => {
                if cache.len() >= BY_ATTR_MAX {
                    cache.remove(0);
                }
                let mut selector = String::with_capacity(name.len() + value.len() + rest.len() + 5);
                for part in ["[", name, "=\"", value, "\"]", rest] {
                    selector.push_str(part);
                }
                cache.push(AttrSelector {
                    literals: key,
                    value: value.to_owned(),
                    js: JsValue::from_str(&selector),
                });
                cache.len() - 1
            }
        };
        cache.get(at).map(|c| raw(root).query_selector_js(&c.js))
    })
}
