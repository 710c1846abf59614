//! Reading the DOM in the wasm tests: every element a selector matches, an element's text.
//!
//! Included by the wasm test files with `#[path = "common/dom.rs"] mod dom;`.

use wasm_bindgen::JsCast;
use web_sys::Element;

/// Every element under `root` that `selector` matches, in document order.
pub fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

/// The element's text, trimmed.
#[allow(dead_code)] // Not every test file reads text this way.
pub fn text(e: &Element) -> String {
    e.text_content().unwrap_or_default().trim().to_string()
}
