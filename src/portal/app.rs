//! What the features share for the life of the page: where the list and the panel are, the
//! ticket snapshot, the task form (one at a time) and cached labels.

use std::cell::RefCell;
use std::rc::Rc;

use web_sys::Element;

use super::dom;
use super::selectors;
use super::task_form::{FormRequest, TaskForm};
use super::tickets::TicketStore;
use crate::platform::t_with;

pub struct Ctx {
    list: RefCell<Option<Element>>,
    panel: RefCell<Option<Element>>,
    form: RefCell<Option<TaskForm>>,
    pub tickets: RefCell<TicketStore>,
    /// "Share to ServiceNow: $1" split around the title, fetched once (one i18n call per page,
    /// not per row).
    share_label: (String, String),
}

impl Ctx {
    pub fn new() -> Rc<Ctx> {
        const MARK: &str = "\u{1}";
        let template = t_with("portal_share_row", &[MARK]);
        let share_label = match template.split_once(MARK) {
            Some((a, b)) => (a.to_owned(), b.to_owned()),
            None => ("Share to ServiceNow: ".to_owned(), String::new()),
        };
        Rc::new(Ctx {
            list: RefCell::new(None),
            panel: RefCell::new(None),
            form: RefCell::new(None),
            tickets: RefCell::new(TicketStore::default()),
            share_label,
        })
    }

    /// The row button's accessible name for an action title.
    pub fn share_label(&self, title: &str) -> String {
        let (a, b) = &self.share_label;
        let mut s = String::with_capacity(a.len() + title.len() + b.len());
        s.push_str(a);
        s.push_str(title);
        s.push_str(b);
        s
    }

    /// The Recommended actions list, re-found (when `may_search`) if the portal replaced it.
    /// The flag says it was found just now (all its rows are new to snshare).
    pub fn list(&self, may_search: bool) -> (Option<Element>, bool) {
        tracked(&self.list, may_search, selectors::find_list)
    }

    /// The action detail panel, re-found (when `may_search`) if it was closed or replaced.
    pub fn panel(&self, may_search: bool) -> (Option<Element>, bool) {
        tracked(&self.panel, may_search, selectors::find_panel)
    }

    /// Opens the task form (closing one that is open).
    pub fn open_form(self: &Rc<Self>, request: FormRequest) {
        self.close_form();
        let form = TaskForm::open(self.clone(), request);
        *self.form.borrow_mut() = form;
    }

    /// Closes the form. Its nodes go at once; its listeners a moment later, since this may run
    /// inside one of them.
    pub fn close_form(&self) {
        let form = self.form.borrow_mut().take();
        if let Some(form) = form {
            form.close();
            wasm_bindgen_futures::spawn_local(async move { drop(form) });
        }
    }

    /// Closes the form if it is this one (the form's own Cancel/Esc).
    pub fn close_form_if(&self, id: u32) {
        let is_it = self.form.borrow().as_ref().is_some_and(|f| f.id() == id);
        if is_it {
            self.close_form();
        }
    }
}

fn tracked(
    cell: &RefCell<Option<Element>>,
    may_search: bool,
    find: fn(&Element) -> Option<Element>,
) -> (Option<Element>, bool) {
    let mut cur = cell.borrow_mut();
    if let Some(e) = cur.as_ref() {
        if selectors::connected(e) {
            return (Some(e.clone()), false);
        }
    }
    *cur = None;
    if !may_search {
        return (None, false);
    }
    let found = dom::document()
        .and_then(|d| d.document_element())
        .and_then(|r| find(&r));
    cur.clone_from(&found);
    let fresh = found.is_some();
    (found, fresh)
}
