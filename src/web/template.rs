//! Static markup, bound by name: the one way a surface builds its view.
//!
//! Pages and in-page views are written as HTML in `extension/` (a page's own `.html`, or a
//! `<template>` compiled into the content script with `include_str!`). Rust never builds a
//! static structure node by node: it clones a template, translates it, and binds the parts it
//! drives by name.
//!
//! Markup conventions:
//! - `data-i18n="key"`: the element's text is the message `key`.
//! - `data-i18n-<attr>="key"` for `aria-label`, `title`, `placeholder` and `alt`: that attribute
//!   is the message `key` (`data-i18n-aria-label="form_close"`).
//! - `data-part="name"`: a node the code reads or changes, found with [`part`]. Parts are named
//!   for what they are (`instance`, `send`, `error-instance`), never by position.
//!
//! Every string set here is text or an attribute value, never markup: a translation (or any
//! value) cannot inject nodes.

use std::cell::RefCell;

use wasm_bindgen::JsCast;
use web_sys::{Document, DocumentFragment, Element, HtmlTemplateElement};

use super::t;

/// The attributes a `data-i18n-<attr>` may translate.
const I18N_ATTRS: [&str; 4] = ["aria-label", "title", "placeholder", "alt"];

/// Translates every `data-i18n*` node in `root`, `root` included.
pub fn translate(root: &Element) {
    translate_with(root, &|key| t(key));
}

/// [`translate`] with a given lookup (tests pass a fake catalogue).
pub fn translate_with(root: &Element, lookup: &dyn Fn(&str) -> String) {
    let mut nodes = vec![root.clone()];
    if let Ok(list) = root.query_selector_all(
        "[data-i18n],[data-i18n-aria-label],[data-i18n-title],[data-i18n-placeholder],[data-i18n-alt]",
    ) {
        nodes.extend((0..list.length()).filter_map(|i| list.item(i)?.dyn_into::<Element>().ok()));
    }
    for node in nodes {
        if let Some(key) = node.get_attribute("data-i18n") {
            node.set_text_content(Some(&lookup(&key)));
        }
        for attr in I18N_ATTRS {
            if let Some(key) = node.get_attribute(&["data-i18n-", attr].concat()) {
                let _ = node.set_attribute(attr, &lookup(&key));
            }
        }
    }
}

/// Translates the parts of a fragment (a cloned `<template>`'s content).
pub fn translate_fragment(fragment: &DocumentFragment) {
    let children = fragment.children();
    for i in 0..children.length() {
        if let Some(child) = children.item(i) {
            translate(&child);
        }
    }
}

/// A `<template>` element holding `html`, parsed once: compiled-in markup of `extension/`, never
/// page or ServiceNow data.
pub fn parse(doc: &Document, html: &'static str) -> Option<HtmlTemplateElement> {
    let template = doc
        .create_element("template")
        .ok()?
        .dyn_into::<HtmlTemplateElement>()
        .ok()?;
    template.set_inner_html(html);
    Some(template)
}

/// Compiled-in markup (an `include_str!` of `extension/templates/`), parsed into a `<template>`
/// on first use and kept for the page's life. A surface keeps one in a `thread_local!`
/// (`static TEMPLATE: Markup = const { Markup::new(MARKUP) };`) and clones pieces of it.
pub struct Markup {
    html: &'static str,
    parsed: RefCell<Option<HtmlTemplateElement>>,
}

impl Markup {
    pub const fn new(html: &'static str) -> Self {
        Self {
            html,
            parsed: RefCell::new(None),
        }
    }

    /// A translated clone of the markup's top-level piece `data-part="name"`.
    pub fn piece(&self, doc: &Document, name: &str) -> Option<Element> {
        let mut parsed = self.parsed.borrow_mut();
        if parsed.is_none() {
            *parsed = parse(doc, self.html);
        }
        instantiate_part(parsed.as_ref()?, name)
    }
}

/// The first element of the document's `<template id=…>`, cloned and translated.
pub fn instantiate_by_id(doc: &Document, id: &str) -> Option<Element> {
    let template = doc
        .get_element_by_id(id)?
        .dyn_into::<HtmlTemplateElement>()
        .ok()?;
    instantiate(&template)
}

/// The first element of `template`, cloned and translated.
pub fn instantiate(template: &HtmlTemplateElement) -> Option<Element> {
    translated_clone(&template.content().first_element_child()?)
}

/// The node `data-part="name"` inside `root` (or `root` itself), as the type the code drives.
pub fn part<T: JsCast>(root: &Element, name: &str) -> Option<T> {
    if root.get_attribute("data-part").as_deref() == Some(name) {
        return root.clone().dyn_into::<T>().ok();
    }
    root.query_selector(&part_selector(name))
        .ok()??
        .dyn_into::<T>()
        .ok()
}

/// `[data-part="name"]`.
fn part_selector(name: &str) -> String {
    ["[data-part=\"", name, "\"]"].concat()
}

/// Every node `data-part="name"` inside `root`, in document order.
pub fn parts(root: &Element, name: &str) -> Vec<Element> {
    let Ok(list) = root.query_selector_all(&part_selector(name)) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok())
        .collect()
}

/// The document's `<template id=…>`, instantiated with `text` in its `text` part (or as its
/// whole text when it has none): messages, notes and list items that carry one string.
pub fn instantiate_with_text(doc: &Document, id: &str, text: &str) -> Option<Element> {
    let node = instantiate_by_id(doc, id)?;
    part::<Element>(&node, "text")
        .unwrap_or_else(|| node.clone())
        .set_text_content(Some(text));
    Some(node)
}

/// Binds a page whose static structure is its own html: the whole document (its `<title>`
/// included) translated, and its language declared as the catalogue shown, so a screen reader
/// reads it with the right voice. Templates stay untranslated until instantiated.
pub fn bind_page(doc: &Document) -> Option<Element> {
    let html = doc.document_element()?;
    let _ = html.set_attribute("lang", &super::i18n::ui_lang());
    translate(&html);
    doc.get_element_by_id("app")
}

/// The top-level element `data-part="name"` of `template` (a file holding a view and the pieces
/// it repeats), cloned and translated.
pub fn instantiate_part(template: &HtmlTemplateElement, name: &str) -> Option<Element> {
    let children = template.content().children();
    let node = (0..children.length())
        .filter_map(|i| children.item(i))
        .find(|c| c.get_attribute("data-part").as_deref() == Some(name))?;
    translated_clone(&node)
}

/// A deep copy of `node`, translated.
fn translated_clone(node: &Element) -> Option<Element> {
    let copy = node
        .clone_node_with_deep(true)
        .ok()?
        .dyn_into::<Element>()
        .ok()?;
    translate(&copy);
    Some(copy)
}
