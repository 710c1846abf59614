//! Share menu item: the detail panel's Share menu gains "ServiceNow".
//!
//! The portal builds that menu anew on every opening, in a layer at the end of the body. The
//! Share button saying `aria-expanded="true"` is the signal (one attribute record, no scanning
//! of added nodes); the menu is the one the button controls or that it labels. The item is a
//! clone of the portal's last item — its wrapper, classes and structure, so it looks and behaves
//! like its siblings (the menu's own arrow-key handling reaches it) — with snshare's label and
//! icon and without ids. Selecting it opens the task form with what the panel shows; the menu
//! closes itself when the form takes focus, and focus returns to the Share button afterwards.
//!
//! Applies on an action's detail page.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Element, Event};

use super::app::Ctx;
use super::dom::{
    self, all, closest, first, matches, set, text_of, Listener, OWN_ATTR, TICKET_ICON,
};
use super::row_share::CMD_ATTR;
use super::scheduler::{Batch, Feature, FeatureDef};
use super::selectors::{self, MENU_ITEM};
use super::task_form::{ActionContext, FormRequest};
use crate::domain::portal_url::PortalPage;
use crate::platform::t;

const CMD: &str = "share-menu";
const CMD_SELECTOR: &str = "[data-snshare-cmd=\"share-menu\"]";
/// On the cloned wrapper.
const ITEM_MARK: &str = "menu-item";
const ITEM_SELECTOR: &str = "[data-snshare=\"menu-item\"]";

pub const DEF: FeatureDef = FeatureDef {
    name: "share-menu",
    applies,
    init,
};

fn applies(page: &PortalPage) -> bool {
    matches!(page, PortalPage::ActionDetail { .. })
}

struct ShareMenu {
    /// The Share button while its menu is open.
    open: Option<Element>,
    _click: Option<Listener>,
}

fn init(ctx: &Rc<Ctx>, _page: &PortalPage) -> Box<dyn Feature> {
    let c = ctx.clone();
    let click = web_sys::window()
        .map(|w| Listener::with_capture(w.as_ref(), "click", true, move |e| on_click(&c, &e)));
    Box::new(ShareMenu {
        open: None,
        _click: click,
    })
}

impl Feature for ShareMenu {
    fn on_batch(&mut self, _ctx: &Rc<Ctx>, batch: &Batch) {
        for e in &batch.expanded {
            if e.get_attribute("aria-expanded").as_deref() == Some("true")
                && selectors::is_share_button(e)
            {
                self.open = Some(e.clone());
            }
        }
        if batch.initial {
            if let Some(root) = dom::document().and_then(|d| d.document_element()) {
                self.open = all(&root, "[aria-expanded=\"true\"]")
                    .into_iter()
                    .find(selectors::is_share_button);
            }
        }
        let Some(button) = self.open.clone() else {
            return;
        };
        if !selectors::connected(&button)
            || button.get_attribute("aria-expanded").as_deref() != Some("true")
        {
            self.open = None;
            return;
        }
        // The menu may fill in over a few frames: try on each batch while it is open.
        if let Some(menu) = selectors::menu_of(&button) {
            add_item(&menu);
        }
    }

    fn navigated(&mut self, _ctx: &Rc<Ctx>, _page: &PortalPage) {
        self.open = None;
    }
}

/// Appends the "ServiceNow" item to `menu` unless it is there; `false` while the menu has no
/// item to model it on yet.
pub fn add_item(menu: &Element) -> bool {
    if first(menu, ITEM_SELECTOR).is_some() {
        return true;
    }
    let Some(doc) = dom::document() else {
        return false;
    };
    let Some((wrapper, _)) = selectors::menu_item_model(menu) else {
        return false;
    };
    let Ok(node) = wrapper.clone_node_with_deep(true) else {
        return false;
    };
    let Ok(clone) = node.dyn_into::<Element>() else {
        return false;
    };
    for e in std::iter::once(clone.clone()).chain(all(&clone, "[id]")) {
        let _ = e.remove_attribute("id");
    }
    set(&clone, OWN_ATTR, ITEM_MARK);
    let item = if matches(&clone, MENU_ITEM) {
        Some(clone.clone())
    } else {
        first(&clone, MENU_ITEM)
    };
    let Some(item) = item else { return false };
    set(&item, CMD_ATTR, CMD);
    for a in [
        "href",
        "aria-checked",
        "aria-disabled",
        "disabled",
        "aria-describedby",
        "aria-controls",
        "aria-haspopup",
        "aria-expanded",
        "aria-posinset",
        "aria-setsize",
    ] {
        let _ = item.remove_attribute(a);
    }
    let label = t("portal_menu_item");
    if item.has_attribute("aria-label") {
        set(&item, "aria-label", &label);
    }
    // The text: the innermost element that holds the item's whole text, else the item itself.
    let text = text_of(&item);
    let holder = all(&item, "*").into_iter().rfind(|e| {
        e.child_element_count() == 0
            && closest(e, "svg").is_none()
            && !text.is_empty()
            && text_of(e) == text
    });
    match holder {
        Some(h) => h.set_text_content(Some(&label)),
        None => {
            for s in all(&item, "svg") {
                s.remove();
            }
            item.set_text_content(Some(&label));
        }
    }
    // The icon: snshare's glyph in the sibling's <svg> (its size and classes kept).
    for svg in all(&item, "svg") {
        svg.set_text_content(None);
        set(&svg, "viewBox", "0 0 16 16");
        if let Some(path) = dom::svg_path(&doc, TICKET_ICON) {
            dom::append(&svg, &path);
        }
    }
    // Icon fonts (`<i data-icon-name>`) would show the sibling's glyph: blank them.
    for i in all(&item, "[data-icon-name]") {
        i.set_text_content(None);
        let _ = i.remove_attribute("data-icon-name");
    }
    let _ = menu.append_child(&clone);
    true
}

fn on_click(ctx: &Rc<Ctx>, e: &Event) {
    let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    if closest(&target, CMD_SELECTOR).is_none() {
        return;
    }
    e.prevent_default();
    e.stop_propagation();
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let Some(page) = PortalPage::from_url(&href) else {
        return;
    };
    let Some(action_id) = page.action_id() else {
        return;
    };
    let (panel, _) = ctx.panel(true);
    let share_button = panel.as_ref().and_then(selectors::share_button);
    let content = panel
        .as_ref()
        .map(selectors::read_panel)
        .unwrap_or_default();
    let mut context = ActionContext::from_panel(action_id, &content, None);
    if context.title.is_empty() {
        // No panel heading: the row of the list shows the same action.
        if let Some(row) = ctx.list(true).0.and_then(|l| {
            selectors::action_rows(&l)
                .into_iter()
                .find(|r| selectors::row_action(r).is_some_and(|a| a.action_id == action_id))
        }) {
            if let Some(a) = selectors::row_action(&row) {
                context = ActionContext::from_row(action_id, &a.title, context.category);
            }
        }
    }
    ctx.open_form(FormRequest {
        action: Some(context),
        kind: None,
        return_focus: share_button,
    });
}

impl Drop for ShareMenu {
    fn drop(&mut self) {
        if let Some(root) = dom::document().and_then(|d| d.document_element()) {
            dom::remove_all(&root, ITEM_SELECTOR);
        }
    }
}
