//! A small element builder for the extension pages (the shared helpers are in [`super`]).
//!
//! `el("button").text(..).attr(..).on("click", ..)` builds a node and keeps the event
//! listeners it registers. Listeners travel up with their node (`child`) and end in a
//! [`View`]; dropping the view removes every listener from its node and frees the closure.
//! A [`Region`] is a fixed place on the page whose content is replaced on re-render, dropping
//! the previous view's listeners at the same time — so a re-render never leaks a closure.
//! Only page-lifetime listeners (window, chrome events) use `Closure::forget`.
//!
//! Text always goes in through `textContent` / text nodes: nothing here ever parses HTML.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, HtmlInputElement};

use super::{set_value, Listener};

/// How a rendered view reports what the user did: pages route these to messaging.
pub type Dispatch<A> = Rc<dyn Fn(A)>;

/// The page's document. Extension pages always have one; without it nothing can be shown.
fn page_document() -> Document {
    super::document().unwrap_or_else(|| wasm_bindgen::throw_str("snshare: no document"))
}

/// An element under construction, with the listeners of its subtree.
#[must_use]
pub struct El {
    node: Element,
    listeners: Vec<Listener>,
}

/// A new element of `tag`.
pub fn el(tag: &str) -> El {
    let node = page_document()
        .create_element(tag)
        .unwrap_or_else(|_| wasm_bindgen::throw_str("snshare: bad tag name"));
    El {
        node,
        listeners: Vec::new(),
    }
}

/// An existing element (e.g. the page's `#app`) to build into.
pub fn wrap(node: Element) -> El {
    El {
        node,
        listeners: Vec::new(),
    }
}

impl El {
    /// Replaces the content with `s`, as text.
    pub fn text(self, s: &str) -> Self {
        self.node.set_text_content(Some(s));
        self
    }

    /// Appends `s` as a text node after what is there.
    pub fn append_text(self, s: &str) -> Self {
        let _ = self.node.append_with_str_1(s);
        self
    }

    pub fn attr(self, name: &str, value: &str) -> Self {
        let _ = self.node.set_attribute(name, value);
        self
    }

    pub fn attr_if(self, cond: bool, name: &str, value: &str) -> Self {
        if cond {
            self.attr(name, value)
        } else {
            self
        }
    }

    pub fn id(self, id: &str) -> Self {
        self.attr("id", id)
    }

    pub fn class(self, class: &str) -> Self {
        for c in class.split_whitespace() {
            let _ = self.node.class_list().add_1(c);
        }
        self
    }

    pub fn class_if(self, cond: bool, class: &str) -> Self {
        if cond {
            self.class(class)
        } else {
            self
        }
    }

    /// Hidden from everyone (the `hidden` attribute) when `cond`.
    pub fn hidden_if(self, cond: bool) -> Self {
        self.attr_if(cond, "hidden", "")
    }

    /// Appends a child, taking over its listeners.
    pub fn child(mut self, child: El) -> Self {
        let _ = self.node.append_child(&child.node);
        self.listeners.extend(child.listeners);
        self
    }

    pub fn child_opt(self, child: Option<El>) -> Self {
        match child {
            Some(c) => self.child(c),
            None => self,
        }
    }

    pub fn children(mut self, children: impl IntoIterator<Item = El>) -> Self {
        for c in children {
            self = self.child(c);
        }
        self
    }

    /// Registers `f` for `kind` events on this element; the listener lives as long as the view.
    pub fn on(mut self, kind: &'static str, f: impl FnMut(Event) + 'static) -> Self {
        self.listeners
            .push(Listener::new(self.node.unchecked_ref(), kind, f));
        self
    }

    /// Sets the current value of an input, select or text area (after its options exist).
    pub fn value(self, v: &str) -> Self {
        set_value(&self.node, v);
        self
    }

    /// `checked` of a checkbox or radio button.
    pub fn checked(self, on: bool) -> Self {
        if let Some(i) = self.node.dyn_ref::<HtmlInputElement>() {
            i.set_checked(on);
        }
        self
    }

    pub fn disabled(self, on: bool) -> Self {
        self.attr_if(on, "disabled", "")
    }

    /// The element itself (a cheap reference), to keep a handle before the view is built.
    pub fn node(&self) -> &Element {
        &self.node
    }

    /// A typed handle on the element. The caller created it, so it knows its type.
    pub fn handle<T: JsCast>(&self) -> T {
        self.node.clone().unchecked_into::<T>()
    }

    pub fn build(self) -> View {
        View {
            root: self.node,
            listeners: self.listeners,
        }
    }
}

/// A built piece of page: its root element and the listeners that die with it.
pub struct View {
    root: Element,
    listeners: Vec<Listener>,
}

impl View {
    pub fn root(&self) -> &Element {
        &self.root
    }

    /// How many listeners this view holds (tests check that a re-render does not accumulate).
    pub fn listener_count(&self) -> usize {
        self.listeners.len()
    }
}

/// A fixed host element whose content is replaced as a whole on each render.
pub struct Region {
    host: Element,
    current: Option<View>,
}

impl Region {
    pub fn new(host: Element) -> Self {
        Region {
            host,
            current: None,
        }
    }

    pub fn host(&self) -> &Element {
        &self.host
    }

    /// Shows `view` instead of what was there; the old view's listeners are removed.
    pub fn set(&mut self, view: View) {
        self.host.replace_children_with_node_1(&view.root);
        self.current = Some(view);
    }

    /// Empties the region and drops its listeners.
    pub fn clear(&mut self) {
        self.host.replace_children_with_node_0();
        self.current = None;
    }

    pub fn listener_count(&self) -> usize {
        self.current.as_ref().map(View::listener_count).unwrap_or(0)
    }
}

/// `<option value=..>label</option>`, selected when `selected`.
pub fn option(value: &str, label: &str, selected: bool) -> El {
    el("option")
        .attr("value", value)
        .text(label)
        .attr_if(selected, "selected", "")
}

/// Text for screen readers only (see `.visually-hidden` in ui.css).
pub fn sr_only(text: &str) -> El {
    el("span").class("visually-hidden").text(text)
}
