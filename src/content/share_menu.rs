//! Share menu item: the detail panel's Share menu gains "ServiceNow".
//!
//! The portal builds that menu anew on every opening, in its own layer at the end of the body,
//! and may tie it to its button by no ARIA attribute at all (Fluent's `ContextualMenu`).
//! So the menu is recognized by what it is: a `[role=menu]` that offers the portal's share items
//! (Teams, Planner, Copy link, Email — in any known language), or the menu that opened in answer
//! to a button named "Share": the one the button controls or that names it, else the open menu
//! nearest to it. Looking happens only around an opening — a button expanded, or clicked or
//! pressed a moment ago — never on every change of the page.
//!
//! The item is a clone of the portal's last item's own wrapper (Fluent: the `li`, never the
//! list its siblings share), so it looks and behaves like its siblings and the menu's arrow-key
//! handling reaches it; it gets snshare's label and icon, no ids. Selecting it (click, Enter or
//! Space) opens the task form with what the panel shows; the menu closes itself when the form
//! takes focus, and focus returns to the Share button afterwards.
//!
//! Applies on an action's detail page.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Element, Event, KeyboardEvent};

use super::app::Ctx;
use super::dom::{self, all, closest, first, matches, set, Listener, OWN_ATTR, TICKET_ICON};
use super::forms::{self, action_from_panel, ActionContext};
use super::marks::CMD_ATTR;
use super::scheduler::{Batch, Feature, FeatureDef};
use super::selectors::{self, BUTTON, MENU_BUTTON, MENU_ITEM};
use crate::domain::portal_url::PortalPage;
use crate::platform::{now_ms, t};

const CMD: &str = "share-menu";
const CMD_SELECTOR: &str = "[data-snshare-cmd=\"share-menu\"]";
/// On the cloned wrapper.
const ITEM_MARK: &str = "menu-item";
const ITEM_SELECTOR: &str = "[data-snshare=\"menu-item\"]";
/// How long after a click or key on a button a menu that appears counts as its answer.
const ARMED_MS: u64 = 5_000;

pub const DEF: FeatureDef = FeatureDef { applies, init };

fn applies(page: &PortalPage) -> bool {
    matches!(page, PortalPage::ActionDetail { .. })
}

/// The button that may just have opened a menu, and when.
type Armed = Rc<RefCell<Option<(Element, u64)>>>;

struct ShareMenu {
    armed: Armed,
    /// Menus that got the item, while they are open.
    menus: Vec<Element>,
    _listeners: Vec<Listener>,
}

fn init(ctx: &Rc<Ctx>, _page: &PortalPage) -> Box<dyn Feature> {
    let armed: Armed = Rc::new(RefCell::new(None));
    let mut listeners = Vec::new();
    if let Some(w) = web_sys::window() {
        let (c, a) = (ctx.clone(), armed.clone());
        listeners.push(Listener::with_capture(
            w.as_ref(),
            "click",
            true,
            move |e| on_click(&c, &a, &e),
        ));
        let (c, a) = (ctx.clone(), armed.clone());
        listeners.push(Listener::with_capture(
            w.as_ref(),
            "keydown",
            true,
            move |e| on_key(&c, &a, &e),
        ));
    }
    Box::new(ShareMenu {
        armed,
        menus: Vec::new(),
        _listeners: listeners,
    })
}

impl Feature for ShareMenu {
    fn on_batch(&mut self, ctx: &Rc<Ctx>, batch: &Batch) {
        let mut opened = false;
        for e in &batch.expanded {
            if e.get_attribute("aria-expanded").as_deref() == Some("true")
                && (selectors::is_share_button(e) || matches(e, MENU_BUTTON))
            {
                *self.armed.borrow_mut() = Some((e.clone(), now_ms()));
                opened = true;
            }
        }
        let armed = self
            .armed
            .borrow()
            .clone()
            .filter(|(b, at)| selectors::connected(b) && now_ms().saturating_sub(*at) < ARMED_MS)
            .map(|(b, _)| b);
        self.menus.retain(selectors::connected);
        let look = batch.initial
            || opened
            || (batch.structure && (armed.is_some() || !self.menus.is_empty()));
        if !look {
            return;
        }
        let Some(root) = dom::document().and_then(|d| d.document_element()) else {
            return;
        };
        let menus = selectors::open_menus(&root);
        // The menu that opened for a Share button, found by ARIA or by where it opened.
        let share_button = armed.filter(selectors::is_share_button);
        let answered = share_button
            .as_ref()
            .and_then(|b| selectors::menu_of(b).or_else(|| selectors::menu_near(b, &menus)));
        for menu in &menus {
            if first(menu, ITEM_SELECTOR).is_some() {
                continue;
            }
            if (answered.as_ref() == Some(menu) || selectors::is_share_menu(menu)) && add_item(menu)
            {
                self.menus.push(menu.clone());
                ctx.recognition.borrow_mut().share_menu = Some(true);
            }
        }
        if share_button.is_some() && answered.is_none() {
            let mut r = ctx.recognition.borrow_mut();
            if r.share_menu.is_none() {
                r.share_menu = Some(false);
            }
        }
    }

    fn navigated(&mut self, _ctx: &Rc<Ctx>, _page: &PortalPage) {
        *self.armed.borrow_mut() = None;
        self.menus.clear();
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
    // The text: the innermost element that holds the item's whole name (icon glyphs aside),
    // else the item itself.
    let text = selectors::readable_text(&item);
    let holder = all(&item, "*").into_iter().rfind(|e| {
        e.child_element_count() == 0
            && closest(e, "svg").is_none()
            && !text.is_empty()
            && selectors::readable_text(e) == text
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
    // Right after the model's own wrapper: in the same list, at the same depth as its siblings.
    if wrapper.parent_element().is_some() {
        let _ = wrapper.after_with_node_1(&clone);
    } else {
        let _ = menu.append_child(&clone);
    }
    true
}

fn on_click(ctx: &Rc<Ctx>, armed: &Armed, e: &Event) {
    let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    if closest(&target, CMD_SELECTOR).is_none() {
        arm(armed, &target);
        return;
    }
    e.prevent_default();
    e.stop_propagation();
    if dom::by_user(e) {
        open_form(ctx, armed);
    }
}

/// Enter or Space on the item (when it is not a native button, which clicks by itself); keys
/// that open a menu arm its button.
fn on_key(ctx: &Rc<Ctx>, armed: &Armed, e: &Event) {
    let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
        return;
    };
    let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let key = k.key();
    if !matches!(key.as_str(), "Enter" | " " | "ArrowDown" | "ArrowUp") {
        return;
    }
    match closest(&target, CMD_SELECTOR) {
        Some(item) if key != "ArrowDown" && key != "ArrowUp" && !matches(&item, "button") => {
            e.prevent_default();
            e.stop_propagation();
            if dom::by_user(e) {
                open_form(ctx, armed);
            }
        }
        Some(_) => {}
        None => {
            arm(armed, &target);
        }
    }
}

/// A button outside any menu was used: a menu that appears now may be its answer.
fn arm(armed: &Armed, target: &Element) {
    if closest(target, selectors::MENU).is_some() {
        return;
    }
    if let Some(b) = closest(target, BUTTON).filter(|b| !dom::is_ours(b)) {
        *armed.borrow_mut() = Some((b, now_ms()));
    }
}

fn open_form(ctx: &Rc<Ctx>, armed: &Armed) {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let page = PortalPage::from_url(&href);
    let (panel, _) = ctx.panel(true);
    let share_button = armed
        .borrow()
        .as_ref()
        .map(|(b, _)| b.clone())
        .filter(|b| selectors::connected(b) && !matches(b, MENU_ITEM))
        .or_else(|| panel.as_ref().and_then(selectors::share_button));
    let content = panel
        .as_ref()
        .map(selectors::read_panel)
        .unwrap_or_default();
    let key = ctx
        .resolve(
            page.as_ref().and_then(PortalPage::action_id),
            &content.title,
        )
        .key;
    if key.is_empty() {
        return;
    }
    let mut context = action_from_panel(&key, &content, None);
    if context.title.is_empty() || context.category.is_none() || context.status.is_none() {
        // What the panel does not show, the row of the list that shows the same action may.
        if let Some(list) = ctx.list(true).0 {
            let map = selectors::column_map(&list);
            let found = all(&list, selectors::ROW).into_iter().find_map(|r| {
                selectors::row_action(&map, &r)
                    .filter(|a| ctx.resolve(a.action_id.as_deref(), &a.title).key == key)
                    .map(|a| (r, a))
            });
            if let Some((row, a)) = found {
                if context.title.is_empty() {
                    context =
                        ActionContext::from_row(&key, &a.title, context.category, context.status);
                }
                if context.category.is_none() {
                    context.category = selectors::row_category(&selectors::column_map(&list), &row);
                }
                if context.status.is_none() {
                    context.status = selectors::row_status(&selectors::column_map(&list), &row);
                }
            }
        }
    }
    forms::open_for_action(ctx, context, share_button);
}

impl Drop for ShareMenu {
    fn drop(&mut self) {
        if let Some(root) = dom::document().and_then(|d| d.document_element()) {
            dom::remove_all(&root, ITEM_SELECTOR);
        }
    }
}
