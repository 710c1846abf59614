//! Ticket badges: every action with a ticket shows its number and state, linked into
//! ServiceNow (the most recent open ticket, with a count when there are several), and "Queued"
//! while a share waits in the outbox. On each row (after the share button, in its slot) and in
//! the detail panel (under the heading).
//!
//! Rows are redrawn only when the batch touched them or the snapshot changed (the slot records
//! the snapshot generation it was drawn for); with no tickets at all, rows are not looked at.
//!
//! Applies on the list and on an action's detail.

use std::rc::Rc;

use web_sys::{Document, Element};

use super::app::Ctx;
use super::dom::{self, first, set, OWN_ATTR};
use super::row_share::DESCRIPTION_ATTR;
use super::row_share::{clear_badges, BADGE_ATTR, SLOT_ATTR, SLOT_SELECTOR, TITLE_KEY_ATTR};
use super::scheduler::{Batch, Feature, FeatureDef};
use super::selectors;
use super::tickets::{self, ActionTickets, TicketStore};
use crate::domain::portal_url::PortalPage;
use crate::platform::i18n::{ui_lang, Template};
use crate::platform::t;

pub const DEF: FeatureDef = FeatureDef { applies, init };

const PANEL_MARK: &str = "panel-badges";
const PANEL_SELECTOR: &str = "[data-snshare=\"panel-badges\"]";

fn applies(page: &PortalPage) -> bool {
    page.lists_actions()
}

struct Badges {
    /// Tickets were asked for (once the first rows have their buttons: buttons come first).
    asked: bool,
    /// The detail panel's action, when on a detail page.
    action_id: Option<String>,
    /// What the panel's badges were drawn for: (panel, action, generation, title key).
    panel_drawn: Option<(Element, String, u32, Option<String>)>,
}

fn init(_ctx: &Rc<Ctx>, page: &PortalPage) -> Box<dyn Feature> {
    Box::new(Badges {
        asked: false,
        action_id: page.action_id().map(str::to_owned),
        panel_drawn: None,
    })
}

impl Feature for Badges {
    fn on_batch(&mut self, ctx: &Rc<Ctx>, batch: &Batch) {
        if !self.asked && (!batch.touched_rows(ctx).is_empty() || ctx.panel(false).0.is_some()) {
            // The answer is one more batch (`tickets_changed`), drawn while the list renders.
            // Asked in a task of its own: sending the message (its port opened, ~3 ms the first
            // time) is not part of the batch that gives the first rows their buttons.
            self.asked = true;
            let ctx = ctx.clone();
            dom::after(0, move || {
                tickets::ensure(&ctx.tickets, tickets::Need::Shown)
            });
        }
        let store = ctx.tickets.borrow();
        let generation = snshare_core::decimal(store.generation.into());
        let rows: &[selectors::Row] =
            if batch.tickets_changed || batch.initial || batch.rows_rebound.get() {
                batch.all_rows(ctx)
            } else if store.has_badges() {
                batch.touched_rows(ctx)
            } else {
                &[]
            };
        if !rows.is_empty() {
            if let Some(doc) = dom::document() {
                let map = batch.columns(ctx);
                for row in rows {
                    let made = row
                        .new_slot()
                        .and_then(|slot| Some((slot, row.resolved(ctx, map?)?)));
                    match made {
                        // A slot the share button was just put in: nothing to clear, its keys
                        // known, and nothing to do when its action has no ticket (most rows
                        // of a long list) — a later batch finds it unmarked and looks again.
                        Some((slot, resolved)) => draw_new_slot(
                            &doc,
                            &store,
                            &generation,
                            slot,
                            &resolved.key,
                            resolved.title_key.as_deref(),
                        ),
                        _ => draw_row(&doc, &store, &generation, &row.el),
                    }
                }
            }
        }
        self.draw_panel(ctx, &store, batch);
    }

    fn navigated(&mut self, _ctx: &Rc<Ctx>, page: &PortalPage) {
        self.action_id = page.action_id().map(str::to_owned);
    }
}

fn draw_row(doc: &Document, store: &TicketStore, generation: &str, row: &Element) {
    let Some(slot) = dom::first_i(row, SLOT_SELECTOR) else {
        return;
    };
    let drawn = dom::attr_i(&slot, BADGE_ATTR);
    if drawn.as_deref() == Some(generation) || (drawn.is_none() && !store.has_badges()) {
        return;
    }
    let Some(action_id) = dom::attr_i(&slot, SLOT_ATTR) else {
        return;
    };
    let title_key = dom::attr_i(&slot, TITLE_KEY_ATTR).filter(|k| !k.is_empty());
    clear_badges(&slot);
    let badges = badges_for(doc, store, &action_id, title_key.as_deref());
    put_badges(&slot, badges, generation);
}

/// [`draw_row`] for a slot made in this batch, with its action's keys.
fn draw_new_slot(
    doc: &Document,
    store: &TicketStore,
    generation: &str,
    slot: &Element,
    action_id: &str,
    title_key: Option<&str>,
) {
    if !store.has_badges() {
        return;
    }
    let badges = badges_for(doc, store, action_id, title_key.filter(|k| !k.is_empty()));
    if !badges.is_empty() {
        put_badges(slot, badges, generation);
    }
}

/// Appends a cleared slot's badges, names them on its button, marks the slot drawn.
fn put_badges(slot: &Element, badges: Vec<Element>, generation: &str) {
    // One Tab stop per row (the share button): its badges are reached with the arrow keys
    // (`row_share::on_key`), and the button's description names them, so the one stop tells
    // the ticket too.
    let mut names = Vec::new();
    for b in badges {
        if b.tag_name().eq_ignore_ascii_case("a") {
            dom::set_i(&b, "tabindex", "-1");
        }
        if let Some(name) = b
            .get_attribute("aria-label")
            .or_else(|| b.text_content())
            .filter(|n| !n.is_empty())
        {
            names.push(name);
        }
        dom::append(slot, &b);
    }
    if let Some(button) = slot.first_element_child() {
        if names.is_empty() {
            let _ = button.remove_attribute(DESCRIPTION_ATTR);
        } else {
            set(&button, DESCRIPTION_ATTR, &names.join(", "));
        }
    }
    dom::set_i(slot, BADGE_ATTR, generation);
}

impl Badges {
    fn draw_panel(&mut self, ctx: &Ctx, store: &TicketStore, batch: &Batch) {
        let Some(action_id) = self.action_id.clone() else {
            if self.panel_drawn.take().is_some() {
                if let Some(root) = dom::document().and_then(|d| d.document_element()) {
                    dom::remove_all(&root, PANEL_SELECTOR);
                }
            }
            return;
        };
        let (panel, _) = ctx.panel(batch.structure || batch.initial);
        let Some(panel) = panel else { return };
        // The panel teaches the title → id map (the URL is the id's source here).
        ctx.learn_from_panel(&panel, &action_id);
        let title_key = ctx.title_key(&selectors::panel_title(&panel));
        if let Some((p, a, g, k)) = &self.panel_drawn {
            // Still there (the portal keeps foreign nodes) and for this action and snapshot.
            if p == &panel
                && a == &action_id
                && *g == store.generation
                && *k == title_key
                && first(&panel, PANEL_SELECTOR).is_some()
            {
                return;
            }
        }
        let Some(doc) = dom::document() else { return };
        let Some(heading) = selectors::panel_heading(&panel) else {
            return;
        };
        dom::remove_all(&panel, PANEL_SELECTOR);
        let badges = badges_for(&doc, store, &action_id, title_key.as_deref());
        let holder = dom::el(&doc, "div", "snshare-panel-badges", "");
        set(&holder, OWN_ATTR, PANEL_MARK);
        for b in &badges {
            dom::append(&holder, b);
        }
        // Kept even with nothing to show (hidden), so later batches find it and cost nothing.
        if badges.is_empty() {
            set(&holder, "hidden", "");
        }
        if let Some(parent) = heading.parent_node() {
            let _ = parent.insert_before(&holder, heading.next_sibling().as_ref());
        }
        self.panel_drawn = Some((panel, action_id, store.generation, title_key));
    }
}

/// The badges of one action: its ticket (link) and, while a share waits, "Queued". Tickets made
/// while only the action's title was known are found under its title key.
pub fn badges_for(
    doc: &Document,
    store: &TicketStore,
    action_id: &str,
    title_key: Option<&str>,
) -> Vec<Element> {
    let mut out = Vec::new();
    let keys = std::iter::once(action_id).chain(title_key.filter(|k| *k != action_id));
    let keys: Vec<&str> = keys.collect();
    if let Some(info) = keys.iter().find_map(|k| store.for_action(k)) {
        out.push(ticket_badge(doc, info));
    }
    if keys.iter().any(|k| store.is_queued(k)) {
        let q = dom::el(
            doc,
            "span",
            "snshare-badge snshare-badge-queued",
            &t("badge_queued"),
        );
        set(&q, "title", &t("badge_queued_label"));
        set(&q, "role", "status");
        set(&q, "lang", &ui_lang());
        out.push(q);
    }
    out
}

/// The badges' accessible names ("ServiceNow ticket $1: $2" and its many-tickets form), asked
/// of the catalogue once per language (`Template`): a list of 2,000 rows with tickets asked
/// `chrome.i18n` once per badge.
struct BadgeNames {
    lang: String,
    one: Template,
    many: Template,
}

thread_local! {
    static BADGE_NAMES: std::cell::RefCell<Option<BadgeNames>> =
        const { std::cell::RefCell::new(None) };
}

/// A badge's accessible name, as `t_with(key, subs)` words it.
fn badge_name(many: bool, subs: &[&str]) -> String {
    let lang = ui_lang();
    BADGE_NAMES.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.as_ref().is_none_or(|n| n.lang != lang) {
            *cell = Some(BadgeNames {
                one: Template::new("badge_ticket", 2),
                many: Template::new("badge_ticket_many", 3),
                lang,
            });
        }
        match cell.as_ref() {
            Some(n) => if many { &n.many } else { &n.one }.fill(subs),
            None => String::new(),
        }
    })
}

/// "INC0010001 · In Progress +2", named "ServiceNow ticket INC0010001: In Progress (3 tickets…)".
pub fn ticket_badge(doc: &Document, info: &ActionTickets) -> Element {
    let tk = &info.shown;
    let name = if info.count > 1 {
        badge_name(
            true,
            &[
                &tk.number,
                &tk.state_label,
                &snshare_core::decimal(info.count as u64),
            ],
        )
    } else {
        badge_name(false, &[&tk.number, &tk.state_label])
    };
    let mut text = [tk.number.as_str(), " · ", tk.state_label.as_str()].concat();
    if info.count > 1 {
        text.push_str(" +");
        snshare_core::push_decimal(&mut text, info.count as u64 - 1);
    }
    let class = if tk.open {
        "snshare-badge"
    } else {
        "snshare-badge snshare-badge-closed"
    };
    // Attribute names as JS strings made once (a badge on each of thousands of rows).
    let badge = if let Some(href) = crate::domain::instance::ticket_href(&tk.link, None) {
        let a = dom::el(doc, "a", class, &text);
        dom::set_i(&a, "href", href);
        dom::set_i(&a, "target", "_blank");
        dom::set_i(&a, "rel", "noopener noreferrer");
        a
    } else {
        let s = dom::el(doc, "span", class, &text);
        dom::set_i(&s, "role", "img");
        s
    };
    dom::set_i(&badge, "aria-label", &name);
    dom::set_i(&badge, "lang", &ui_lang());
    dom::set_i(
        &badge,
        "title",
        &[name.as_str(), " — ", tk.short_description.as_str()].concat(),
    );
    badge
}

impl Drop for Badges {
    fn drop(&mut self) {
        if let Some(root) = dom::document().and_then(|d| d.document_element()) {
            dom::remove_all(&root, PANEL_SELECTOR);
            for slot in dom::all(&root, SLOT_SELECTOR) {
                clear_badges(&slot);
            }
        }
    }
}
