//! Row share button: a compact "Share to ServiceNow: <title>" button in the title cell of every
//! row of the Recommended actions list — also in rows that carry no action id (a Fluent `Link`
//! without `href` as title, or plain text).
//!
//! The button sits in a slot (`span[data-snshare-action=<key>]`) placed just before the title
//! (link, button, or the text of the cell), so it stays visible when a long title is cut with an
//! ellipsis. The slot records the action key it was bound for (the id, else the title key, see
//! `app::Ctx::resolve`) and the title key: a recycled row that now shows another action is
//! re-bound (new name, badges cleared for the badge feature to redo), a row whose id was learned
//! since is re-bound to it, a row the portal rebuilt gets a new slot, and a row that already has
//! its slot for the same key is left alone — one button per row. What the button shares is read
//! from the row when it is clicked, so it is never stale.
//!
//! Linked rows teach the title → id map as they are bound.
//!
//! Applies on the list and on an action's detail (the list stays under the panel).

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::KeyboardEvent;
use web_sys::{Element, Event};

use super::app::Ctx;
use super::dom::{self, closest, set, Listener, OWN_ATTR};
use super::forms::{self, action_from_panel, ActionContext};
use super::marks::{BADGE_ATTR, BY_TITLE_ATTR, CMD_ATTR, SLOT_ATTR, SLOT_SELECTOR, TITLE_KEY_ATTR};
use super::scheduler::{Batch, Feature, FeatureDef};
use super::selectors::{self, row_action};
use crate::domain::portal_url::PortalPage;
use crate::platform::t;

const CMD: &str = "share-row";
const CMD_SELECTOR: &str = "[data-snshare-cmd=\"share-row\"]";
/// On the share button: the names of its row's badges (read with the one Tab stop).
pub const DESCRIPTION_ATTR: &str = "aria-description";
/// What the arrow keys move between inside a slot: the share button and linked badges.
const STOPS_SELECTOR: &str = "button, a[href]";

pub const DEF: FeatureDef = FeatureDef { applies, init };

fn applies(page: &PortalPage) -> bool {
    page.lists_actions()
}

struct RowShare {
    /// A slot with its button, cloned for each row (one clone instead of a dozen DOM calls):
    /// the slot and its button. A new row's attributes are set on it before the clone, so the
    /// clone is not asked for its button.
    template: Option<(Element, Element)>,
    _click: Option<Listener>,
    _keys: Option<Listener>,
}

fn init(ctx: &Rc<Ctx>, _page: &PortalPage) -> Box<dyn Feature> {
    let template = dom::document().map(|doc| {
        let slot = dom::el(&doc, "span", "snshare-slot", "");
        set(&slot, OWN_ATTR, "row");
        set(&slot, SLOT_ATTR, "");
        // The icon is drawn by the stylesheet (`.snshare-share::before`): no SVG nodes to clone
        // per row, and nothing a page CSP could block.
        let button = dom::el(&doc, "button", "snshare-share", "");
        set(&button, "type", "button");
        set(&button, CMD_ATTR, CMD);
        set(&button, "title", &t("portal_share_short"));
        dom::append(&slot, &button);
        (slot, button)
    });
    let c = ctx.clone();
    // Capture phase on the window: the row's own click handlers (selection, opening the panel)
    // never see a click meant for the button.
    let click = web_sys::window()
        .map(|w| Listener::with_capture(w.as_ref(), "click", true, move |e| on_click(&c, &e)));
    // Also on the window's capture phase: the portal's own arrow-key handling (Fluent's focus
    // zone) does not see the keys that move between a row's button and its badges.
    let keys = web_sys::window()
        .map(|w| Listener::with_capture(w.as_ref(), "keydown", true, move |e| on_key(&e)));
    Box::new(RowShare {
        template,
        _click: click,
        _keys: keys,
    })
}

impl Feature for RowShare {
    fn on_batch(&mut self, ctx: &Rc<Ctx>, batch: &Batch) {
        // After the title map learned something, the touched rows include those keyed by it.
        let rows = if batch.initial {
            batch.all_rows(ctx)
        } else {
            batch.touched_rows(ctx)
        };
        if rows.is_empty() {
            return;
        }
        let Some(map) = batch.columns(ctx) else {
            return;
        };
        for row in rows {
            self.bind(ctx, map, row);
        }
    }
}

impl RowShare {
    fn bind(&mut self, ctx: &Ctx, map: &selectors::ColumnMap, row: &selectors::Row) {
        let slot = dom::first_i(&row.el, SLOT_SELECTOR);
        let Some(action) = row.action(map) else {
            if let Some(s) = slot {
                s.remove();
            }
            return;
        };
        if let (Some(id), Some(normalized)) = (&action.action_id, row.normalized_title(map)) {
            ctx.learn_normalized(normalized, id);
        }
        let by_title = action.action_id.is_none();
        let Some(resolved) = row.resolved(ctx, map) else {
            return;
        };
        let title_key = resolved.title_key.as_deref().unwrap_or_default();
        match slot {
            Some(slot) => {
                if dom::has_attr_i(&slot, BY_TITLE_ATTR) != by_title {
                    mark_by_title(&slot, by_title);
                }
                if dom::attr_i(&slot, SLOT_ATTR).as_deref() == Some(resolved.key.as_str())
                    && dom::attr_i(&slot, TITLE_KEY_ATTR).as_deref() == Some(title_key)
                {
                    return;
                }
                // A recycled row (same nodes, another action), or its id was learned.
                dom::set_i(&slot, SLOT_ATTR, &resolved.key);
                dom::set_i(&slot, TITLE_KEY_ATTR, title_key);
                if let Some(button) = slot.first_element_child() {
                    dom::set_i(&button, "aria-label", &ctx.share_label(&action.title));
                }
                clear_badges(&slot);
            }
            None => {
                let Some((template, template_button)) = &self.template else {
                    return;
                };
                // Every attribute a new slot gets is set on the template (each one overwritten
                // for every row, none left from the row before), then cloned.
                dom::set_i(template, SLOT_ATTR, &resolved.key);
                dom::set_i(template, TITLE_KEY_ATTR, title_key);
                dom::set_i(
                    template_button,
                    "aria-label",
                    &ctx.share_label(&action.title),
                );
                let slot = dom::clone_deep(template);
                // Most rows link to their action: the mark is set on the few that do not,
                // not on the template for every row.
                if by_title {
                    mark_by_title(&slot, true);
                }
                if action.in_cell {
                    dom::put_first(&action.title_element, &slot);
                } else {
                    dom::put_before(&action.title_element, &slot);
                }
                row.made_slot(slot);
            }
        }
    }
}

/// Marks the slot as keyed through its title ([`BY_TITLE_ATTR`]), or clears the mark.
fn mark_by_title(slot: &Element, by_title: bool) {
    if by_title {
        dom::set_i(slot, BY_TITLE_ATTR, "");
    } else {
        let _ = slot.remove_attribute(BY_TITLE_ATTR);
    }
}

/// Removes the badges drawn for the slot's previous action.
pub fn clear_badges(slot: &Element) {
    if dom::has_attr_i(slot, BADGE_ATTR) {
        let _ = slot.remove_attribute(BADGE_ATTR);
        if let Some(button) = slot.first_element_child() {
            let _ = button.remove_attribute(DESCRIPTION_ATTR);
        }
        while let Some(extra) = slot
            .first_element_child()
            .and_then(|b| b.next_element_sibling())
        {
            extra.remove();
        }
    }
}

/// ArrowRight / ArrowLeft inside a slot: from the share button to its badges and back (the
/// row keeps one Tab stop). At either end the key is left to the page.
fn on_key(e: &Event) {
    let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
        return;
    };
    let step: isize = match k.key().as_str() {
        "ArrowRight" => 1,
        "ArrowLeft" => -1,
        _ => return,
    };
    if k.alt_key() || k.ctrl_key() || k.meta_key() || k.shift_key() {
        return;
    }
    let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let Some(slot) = closest(&target, SLOT_SELECTOR) else {
        return;
    };
    let stops = dom::all(&slot, STOPS_SELECTOR);
    let Some(at) = stops.iter().position(|s| s == &target) else {
        return;
    };
    let Some(next) = at.checked_add_signed(step).and_then(|i| stops.get(i)) else {
        return;
    };
    e.prevent_default();
    e.stop_propagation();
    dom::focus(next);
}

fn on_click(ctx: &Rc<Ctx>, e: &Event) {
    let Some(button) = dom::user_command(e, CMD_SELECTOR) else {
        return;
    };
    let Some(row) = selectors::row_of(&button) else {
        return;
    };
    let Some(list) = ctx.list(true).0 else {
        return;
    };
    let Some(action) = row_action(&selectors::column_map(&list), &row) else {
        return;
    };
    let key = ctx.resolve(action.action_id.as_deref(), &action.title).key;
    // The panel, when it shows this very action, has the description and remediation text.
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    let on_detail = PortalPage::from_url(&href)
        .as_ref()
        .and_then(PortalPage::action_id)
        == Some(key.as_str());
    let panel = if on_detail { ctx.panel(true).0 } else { None };
    let mut context = match panel {
        Some(p) => action_from_panel(&key, &selectors::read_panel(&p), Some(&action.title)),
        None => ActionContext::from_row(&key, &action.title, None, None),
    };
    if ctx.is_cm() {
        // Compliance Manager's row: its assessments, regulations, points and statuses.
        super::compliance::from_row(&mut context, &list, &row);
    } else if context.category.is_none() {
        // What the panel does not show, the row may.
        context.category = selectors::row_category(&selectors::column_map(&list), &row);
    }
    if context.status.is_none() && !ctx.is_cm() {
        context.status = selectors::row_status(&selectors::column_map(&list), &row);
    }
    forms::open_for_action(ctx, context, Some(button));
}

impl Drop for RowShare {
    fn drop(&mut self) {
        if let Some(root) = dom::document().and_then(|d| d.document_element()) {
            dom::remove_all(&root, SLOT_SELECTOR);
        }
    }
}
