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

use wasm_bindgen::JsCast;
use web_sys::{Document, Element};

use super::app::Ctx;
use super::dom::{self, first, set, OWN_ATTR};
use super::marks::{
    BADGE_ATTR, PANEL_BADGES as PANEL_SELECTOR, PANEL_BADGES_MARK as PANEL_MARK, SLOT_ATTR,
    SLOT_SELECTOR, TITLE_KEY_ATTR,
};
use super::row_share::{clear_badges, DESCRIPTION_ATTR};
use super::scheduler::{Batch, Feature, FeatureDef};
use super::selectors;
use super::tickets::{self, TicketStore};
use crate::domain::portal_url::PortalPage;
use crate::domain::ticket::ShownAction;
use crate::messages::SnapshotNeed;
use crate::platform::i18n::{ui_lang, Template};
use crate::platform::t;

pub const DEF: FeatureDef = FeatureDef { applies, init };

fn applies(page: &PortalPage) -> bool {
    page.lists_actions()
}

struct Badges {
    /// Tickets were asked for (on the feature's first batch, before the portal's rows).
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
        if !self.asked {
            // Asked as soon as a page that lists actions opens, not once its first rows are
            // there: the portal fetches its list meanwhile, so each row gets its badge in the
            // batch that gives it its button. Asked when rows were there (issue 17), the answer
            // came a worker round trip later, while the portal was still rendering, and drew
            // every row's badge again in one task: 21–27 ms in the middle of a 200-row load.
            // Asked in a task of its own: sending the message (its port opened, ~3 ms the first
            // time) is not part of a batch.
            self.asked = true;
            let ctx = ctx.clone();
            dom::after(0, move || {
                tickets::ensure(&ctx.tickets, SnapshotNeed::Shown)
            });
        }
        let store = ctx.tickets.borrow();
        if batch.tickets_changed && store.has_badges() {
            // In the task that brought the snapshot (which read each action's shown ticket),
            // before the portal's rows (issue 17): the badges' kit made and their code run once
            // (`warm_up`), here rather than in the batch of the first rows, which would wait
            // ~7 ms more for their buttons.
            if let Some(doc) = dom::document() {
                warm_up(&doc, &store);
            }
        }
        let generation = snshare_core::decimal(store.generation.into());
        let rows: &[selectors::Row] = if batch.tickets_changed || batch.initial {
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

/// A row's badges drawn once into a slot of snshare's own that never enters the page, when the
/// snapshot arrives: V8 compiles wasm functions on their first call, and the first rows' batch
/// would otherwise wait for that (issue 17: the first chunk of 200 rows took twice a later
/// chunk's time once badges came with the buttons). Nothing is kept or shown.
fn warm_up(doc: &Document, store: &TicketStore) {
    let Some(info) = store.any_shown() else {
        return;
    };
    let slot = dom::el(doc, "span", "", "");
    dom::append(&slot, &dom::el(doc, "button", "", ""));
    let mut badges = badges_for(doc, store, "snshareWarmUp", None);
    badges.push(ticket_badge(doc, info));
    put_badges(&slot, badges, "");
}

/// Appends a cleared slot's badges, names them on its button, marks the slot drawn.
fn put_badges(slot: &Element, badges: Vec<Badge>, generation: &str) {
    // One Tab stop per row (the share button): its badges are reached with the arrow keys
    // (`row_share::on_key`), and the button's description names them, so the one stop tells
    // the ticket too.
    let mut names = Vec::new();
    for b in badges {
        if b.link {
            dom::set_i(&b.el, "tabindex", "-1");
        }
        if !b.name.is_empty() {
            names.push(b.name);
        }
        dom::append(slot, &b.el);
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
            dom::append(&holder, &b.el);
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
) -> Vec<Badge> {
    let mut out = Vec::new();
    let keys = std::iter::once(action_id).chain(title_key.filter(|k| *k != action_id));
    let keys: Vec<&str> = keys.collect();
    if let Some(info) = keys.iter().find_map(|k| store.for_action(k)) {
        out.push(ticket_badge(doc, info));
    }
    if keys.iter().any(|k| store.is_queued(k)) {
        let name = t("badge_queued");
        let q = dom::el(doc, "span", "snshare-badge snshare-badge-queued", &name);
        set(&q, "title", &t("badge_queued_label"));
        set(&q, "role", "status");
        set(&q, "lang", &ui_lang());
        out.push(Badge {
            el: q,
            name,
            link: false,
        });
    }
    out
}

/// A ticket badge's classes: open, closed (indexed by `usize::from(!open)`).
const BADGE_CLASSES: [&str; 2] = ["snshare-badge", "snshare-badge snshare-badge-closed"];

/// What every badge of a language shares, made once per language: the accessible names
/// ("ServiceNow ticket $1: $2" and its many-tickets form, asked of the catalogue once, not once
/// per badge of a 2,000-row list) and a link badge, open and closed, with the attributes every
/// one carries. Each link badge is a shallow copy of one of those (issue 17: five DOM calls
/// fewer per badge, when a list's rows get their badges with their buttons).
struct BadgeKit {
    lang: String,
    one: Template,
    many: Template,
    /// The open and the closed link badge.
    links: [Element; 2],
}

thread_local! {
    static BADGE_KIT: std::cell::RefCell<Option<BadgeKit>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` on the badges' kit in the UI's language, made first if needed.
fn with_kit<R>(doc: &Document, f: impl FnOnce(&BadgeKit) -> R) -> R {
    let lang = ui_lang();
    BADGE_KIT.with(|cell| {
        let mut cell = cell.borrow_mut();
        let kit = match cell.take() {
            Some(k) if k.lang == lang => k,
            _ => {
                let link = |class: &str| {
                    let a = dom::el(doc, "a", class, "");
                    dom::set_i(&a, "target", "_blank");
                    dom::set_i(&a, "rel", "noopener noreferrer");
                    dom::set_i(&a, "lang", &lang);
                    a
                };
                BadgeKit {
                    one: Template::new("badge_ticket", 2),
                    many: Template::new("badge_ticket_many", 3),
                    links: BADGE_CLASSES.map(link),
                    lang,
                }
            }
        };
        f(cell.insert(kit))
    })
}

/// A badge as drawn, with the name it was given (its slot's button is described by it).
pub struct Badge {
    pub el: Element,
    name: String,
    /// A link into ServiceNow (reached with the arrow keys from the row's button).
    link: bool,
}

/// "INC0010001 · In Progress +2", named "ServiceNow ticket INC0010001: In Progress (3 tickets…)".
pub fn ticket_badge(doc: &Document, info: &ShownAction) -> Badge {
    let tk = &info.shown;
    let state = usize::from(!tk.open);
    let href = crate::domain::instance::ticket_href(&tk.link, None);
    // The name, and a copy of the link badge when the ticket links into ServiceNow.
    let (name, link) = with_kit(doc, |kit| {
        let name = if info.count > 1 {
            let count = snshare_core::decimal(info.count as u64);
            kit.many.fill(&[&tk.number, &tk.state_label, &count])
        } else {
            kit.one.fill(&[&tk.number, &tk.state_label])
        };
        let link = href.and_then(|h| Some((kit.links.get(state)?.clone_node().ok()?, h)));
        (name, link)
    });
    let mut text = [tk.number.as_str(), " · ", tk.state_label.as_str()].concat();
    if info.count > 1 {
        text.push_str(" +");
        snshare_core::push_decimal(&mut text, info.count as u64 - 1);
    }
    // Attribute names as JS strings made once (a badge on each of thousands of rows).
    let (el, link) = match link {
        Some((copy, href)) => {
            let a: Element = copy.unchecked_into();
            a.set_text_content(Some(&text));
            dom::set_i(&a, "href", href);
            (a, true)
        }
        None => {
            let s = dom::el(doc, "span", BADGE_CLASSES[state], &text);
            dom::set_i(&s, "role", "img");
            dom::set_i(&s, "lang", &ui_lang());
            (s, false)
        }
    };
    dom::set_i(&el, "aria-label", &name);
    dom::set_i(
        &el,
        "title",
        &[name.as_str(), " — ", tk.short_description.as_str()].concat(),
    );
    Badge { el, name, link }
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
