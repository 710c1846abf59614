//! What the three pages' controllers have in common: each is kept for its document's life, and
//! its views reach it weakly through one dispatcher.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;

use crate::dom::build::Dispatch;

/// A page's controller: the actions its views report, and how it handles them.
pub trait Page: 'static {
    type Action: 'static;
    fn on_action(self: &Rc<Self>, action: Self::Action);
}

thread_local! {
    /// The document's controller (each document runs one page): its one strong holder.
    static KEPT: RefCell<Option<Rc<dyn Any>>> = const { RefCell::new(None) };
}

/// Keeps `page` for the document's life.
pub fn keep<P: Page>(page: &Rc<P>) {
    let page: Rc<dyn Any> = page.clone();
    KEPT.with(|k| *k.borrow_mut() = Some(page));
}

/// The dispatcher `page`'s views call: it holds the page weakly (the views live in the page's
/// DOM, which the page holds).
pub fn dispatch<P: Page>(page: &Rc<P>) -> Dispatch<P::Action> {
    let weak = Rc::downgrade(page);
    Rc::new(move |action| {
        if let Some(page) = weak.upgrade() {
            page.on_action(action);
        }
    })
}
