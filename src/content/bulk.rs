//! Bulk share (issue 18) on the Recommended actions list: select several actions, "Share N to
//! ServiceNow", one form for what the tickets share, one ticket per action through the outbox,
//! a progress bar, and a summary with a link per ticket and Retry for what failed.
//!
//! Selection: the portal's own row selection where the list has it (Fluent's `DetailsList`
//! marks a selected row `aria-selected="true"` and checks its row checkbox, `role="checkbox"`
//! with `aria-checked`), read after each of the person's clicks and keys and for the
//! rows a batch touched; else snshare's own checkbox before each row's share slot. Either way
//! the selection is kept by action key, so a recycled row shows the right state and rows that
//! scrolled away stay selected.
//!
//! The form itself (the shared fields, the open tickets, progress and the summary) is the forms
//! module's (`snshare_forms`), loaded on first need: "Share N to ServiceNow" hands it the
//! selection (`forms::open_bulk`).

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlInputElement};

use super::app::Ctx;
use super::dom::{self, append, set, Listener, OWN_ATTR};
use super::marks::{PANEL_BADGES, SLOT_ATTR, SLOT_SELECTOR};
use super::scheduler::{Batch, Feature, FeatureDef};
use super::selectors::{ColumnMap, Row};
use super::{bulk_status, forms, selectors, styles};
use crate::domain::action_status::ActionStatus;
use crate::domain::action_title::title_key;
use crate::domain::portal_url::PortalPage;
use crate::domain::ticket::Category;
use crate::platform::form_host;
use crate::platform::form_request::{BulkFormRequest, Picked};
use crate::platform::present::{action_link as link_to, description_from_row};
use crate::platform::{t, t_with, template};
use crate::wire::encode as wire_encode;

pub const DEF: FeatureDef = FeatureDef { applies, init };

/// On snshare's own row checkbox: the action key it selects.
const PICK_ATTR: &str = "data-snshare-pick";
const PICK_SELECTOR: &str = "[data-snshare-pick]";

fn part(root: &Element, name: &str) -> Option<Element> {
    template::part::<Element>(root, name)
}

fn applies(page: &PortalPage) -> bool {
    matches!(
        page,
        PortalPage::RecommendedActions | PortalPage::ActionDetail { .. }
    )
}

struct Shared {
    ctx: Weak<Ctx>,
    picked: RefCell<Vec<Picked>>,
    /// The list has the portal's own row selection.
    portal_mode: Cell<bool>,
    bar: Option<Element>,
    /// The count the bar shows (drawn again only when it changes; 0: hidden, as it is made).
    shown: Cell<usize>,
    /// snshare's own checkboxes were put in rows, or found there: only then is the page
    /// searched for them when they go (issue 17: a query of the whole page in the batch of a
    /// list's first rows).
    picks_made: Cell<bool>,
    /// A checkbox cloned for each row that gets one (its type, class and owner set once).
    pick_template: RefCell<Option<Element>>,
}

struct Bulk {
    shared: Rc<Shared>,
    /// The action whose panel the page shows (from the URL, given at start and on each
    /// navigation: not read again per batch).
    action_id: Option<String>,
    _listeners: Vec<Listener>,
}

fn init(ctx: &Rc<Ctx>, page: &PortalPage) -> Box<dyn Feature> {
    let bar = dom::document().and_then(|doc| {
        let bar = piece_bar(&doc)?;
        if let Some(b) = doc.body() {
            append(&b, &bar);
        }
        Some(bar)
    });
    let shared = Rc::new(Shared {
        ctx: Rc::downgrade(ctx),
        picked: RefCell::new(Vec::new()),
        portal_mode: Cell::new(false),
        bar,
        shown: Cell::new(0),
        picks_made: Cell::new(false),
        pick_template: RefCell::new(None),
    });
    let mut listeners = Vec::new();
    if let Some(w) = web_sys::window() {
        // After the portal handled a click or a key (bubble phase, next task): read its selection.
        // Not for one inside snshare's forms (a modal dialog: the portal's selection cannot
        // change under it): a Send would read every row of the list while its answer waits.
        for kind in ["click", "keyup"] {
            let s = Rc::downgrade(&shared);
            listeners.push(Listener::new(w.as_ref(), kind, move |e| {
                if target(&e).is_some_and(|t| form_host::is_host(&t)) {
                    return;
                }
                let s = s.clone();
                dom::after(0, move || {
                    if let Some(s) = s.upgrade() {
                        s.read_portal_selection();
                    }
                });
            }));
        }
        // Our own checkbox: the row's handlers never see its click; its change is the selection.
        // The panel's status offers (`bulk_status`) are one delegated listener too.
        listeners.push(Listener::with_capture(w.as_ref(), "click", true, |e| {
            if target(&e).is_some_and(|t| dom::matches_i(&t, PICK_SELECTOR)) {
                e.stop_propagation();
            }
            bulk_status::on_click(&e);
        }));
        let s = Rc::downgrade(&shared);
        listeners.push(Listener::with_capture(
            w.as_ref(),
            "change",
            true,
            move |e| {
                let (Some(s), Some(t)) = (s.upgrade(), target(&e)) else {
                    return;
                };
                if dom::matches_i(&t, PICK_SELECTOR) {
                    e.stop_propagation();
                    let on = t.dyn_ref::<HtmlInputElement>().is_some_and(|i| i.checked());
                    if let Some(p) = selectors::row_of(&t)
                        .and_then(|r| s.columns().and_then(|m| s.row_pick(&m, &Row::new(r))))
                    {
                        s.set_picked(p, on);
                    }
                }
            },
        ));
        if let Some(button) = shared.bar.as_ref().and_then(|b| part(b, "share")) {
            let s = Rc::downgrade(&shared);
            listeners.push(Listener::new(button.as_ref(), "click", move |e| {
                if let (true, Some(s)) = (dom::by_user(&e), s.upgrade()) {
                    s.open_form();
                }
            }));
        }
    }
    Box::new(Bulk {
        shared,
        action_id: page.action_id().map(str::to_owned),
        _listeners: listeners,
    })
}

fn target(e: &Event) -> Option<Element> {
    e.target().and_then(|t| t.dyn_into::<Element>().ok())
}

/// The bar that appears with a selection: "N actions selected", "Share N to ServiceNow".
fn piece_bar(doc: &web_sys::Document) -> Option<Element> {
    let bar = dom::el(doc, "div", "snshare-bulkbar", "");
    set(&bar, OWN_ATTR, "bulk-bar");
    set(&bar, "role", "region");
    set(&bar, "aria-label", &t("bulk_region"));
    set(&bar, "hidden", "");
    let text = dom::el(doc, "span", "", "");
    set(&text, "data-part", "count");
    let button = dom::el(doc, "button", "snshare-btn snshare-btn-primary", "");
    set(&button, "type", "button");
    set(&button, "data-part", "share");
    append(&bar, &text);
    append(&bar, &button);
    Some(bar)
}

impl Feature for Bulk {
    fn on_batch(&mut self, ctx: &Rc<Ctx>, batch: &Batch) {
        if let Some(action_id) = &self.action_id {
            panel_offer(ctx, batch, action_id);
        }
        let rows = if batch.initial || batch.tickets_changed {
            batch.all_rows(ctx)
        } else {
            batch.touched_rows(ctx)
        };
        if rows.is_empty() {
            return;
        }
        let s = &self.shared;
        // The batch's column map and rows: each row's action and cells read once for every
        // feature.
        let map = batch.columns(ctx);
        if let Some(map) = map {
            note_statuses(ctx, map, rows);
        }
        if !s.portal_mode.get() && rows.iter().any(|r| selectors::has_portal_selection(&r.el)) {
            s.portal_mode.set(true);
            s.remove_picks();
        }
        if let Some(map) = map {
            for row in rows {
                if s.portal_mode.get() {
                    s.read_row(map, row);
                } else {
                    s.bind_pick(ctx, map, row);
                }
            }
        }
        s.render_bar();
    }

    fn navigated(&mut self, _ctx: &Rc<Ctx>, page: &PortalPage) {
        self.action_id = page.action_id().map(str::to_owned);
    }
}

/// The status column of the rows passing by, for the cards (issue 18): one cell per row whose
/// action has a ticket — the cards count only those (`cards::to_address`) — nothing where the
/// list shows no status column. Rows seen before the snapshot arrived are seen again by the
/// batch that brings it (every row), so most rows of a long list are never read for this. The
/// cells are read when the page is idle (`cards::note_status_later`), not in this batch.
fn note_statuses(ctx: &Ctx, map: &ColumnMap, rows: &[Row]) {
    let Some(col) = map.status.as_ref() else {
        return;
    };
    let store = ctx.tickets.borrow();
    for row in rows {
        let Some(resolved) = row.resolved(ctx, map) else {
            continue;
        };
        if store.for_action(&resolved.key).is_none() {
            continue;
        }
        if let Some(cell) = row.cell(col) {
            super::cards::note_status_later(&resolved.key, &row.el, cell);
        }
    }
}

/// On an action's panel whose ticket is resolved or closed: the offer of the matching status
/// (`bulk_status`), next to the panel's badges once both they and the status control are there.
fn panel_offer(ctx: &Rc<Ctx>, batch: &Batch, action_id: &str) {
    let Some(panel) = ctx.panel(batch.structure || batch.initial).0 else {
        return;
    };
    let Some(holder) = dom::first(&panel, PANEL_BADGES) else {
        return;
    };
    if dom::first(&holder, bulk_status::CMD_SELECTOR).is_some() {
        return;
    }
    let title_key = title_key(&selectors::panel_title(&panel));
    let status = {
        let store = ctx.tickets.borrow();
        [Some(action_id), title_key.as_deref()]
            .into_iter()
            .flatten()
            .find_map(|k| store.for_action(k))
            .and_then(|info| bulk_status::follow_up(&info.shown))
    };
    let (Some(status), Some(doc)) = (status, dom::document()) else {
        return;
    };
    if let Some(offer) = bulk_status::offer(&doc, &panel, status) {
        append(&holder, &offer);
    }
}

impl Shared {
    /// The list's column map, for a row outside a batch (a click on snshare's checkbox).
    fn columns(&self) -> Option<ColumnMap> {
        let list = self.ctx.upgrade()?.list(false).0?;
        Some(selectors::column_map(&list))
    }

    /// The action a row shows, as the selection keeps it.
    fn row_pick(&self, map: &ColumnMap, row: &Row) -> Option<Picked> {
        let ctx = self.ctx.upgrade()?;
        let action = row.action(map)?;
        Some(Picked {
            key: row.resolved(&ctx, map)?.key.clone(),
            title: action.title.clone(),
            category: row.category(map),
            status: row.status(map),
        })
    }

    fn set_picked(&self, p: Picked, on: bool) {
        self.select(&p.key.clone(), on, || Some(p));
    }

    /// Adds the action `key` to the selection (`pick` says what it is, asked only then) or
    /// removes it.
    fn select(&self, key: &str, on: bool, pick: impl FnOnce() -> Option<Picked>) {
        let at = self.picked.borrow().iter().position(|x| x.key == key);
        match (at, on) {
            (None, true) => match pick() {
                Some(p) => self.picked.borrow_mut().push(p),
                None => return,
            },
            (Some(i), false) => {
                self.picked.borrow_mut().remove(i);
            }
            _ => return,
        }
        self.render_bar();
    }

    fn read_row(&self, map: &ColumnMap, row: &Row) {
        let on = selectors::portal_selected(&row.el);
        if !on && self.picked.borrow().is_empty() {
            // Nothing to add or remove: the row is not read further.
            return;
        }
        let Some(ctx) = self.ctx.upgrade() else {
            return;
        };
        let Some(key) = row.resolved(&ctx, map).map(|r| r.key.as_str()) else {
            return;
        };
        // The row's category and status are read only when it joins the selection.
        self.select(key, on, || self.row_pick(map, row));
    }

    /// Every row on screen, after the person clicked or typed (the portal's selection).
    fn read_portal_selection(&self) {
        if !self.portal_mode.get() {
            return;
        }
        let Some(list) = self.ctx.upgrade().and_then(|c| c.list(false).0) else {
            return;
        };
        let map = selectors::column_map(&list);
        for row in selectors::read_action_rows(&list, &map) {
            self.read_row(&map, &row);
        }
    }

    /// snshare's own checkbox, just before the row's share slot, checked when its action is.
    fn bind_pick(&self, ctx: &Ctx, map: &ColumnMap, row: &Row) {
        // The slot the share button was just put in, else the row's.
        let Some(slot) = row
            .new_slot()
            .cloned()
            .or_else(|| dom::first_i(&row.el, SLOT_SELECTOR))
        else {
            return;
        };
        let key = dom::attr_i(&slot, SLOT_ATTR).unwrap_or_default();
        let pick = slot
            .previous_element_sibling()
            .filter(|p| dom::matches_i(p, PICK_SELECTOR));
        // Found or made below: the page holds snshare's checkboxes from now on.
        self.picks_made.set(true);
        if pick
            .as_ref()
            .is_some_and(|p| dom::attr_i(p, PICK_ATTR).as_deref() == Some(key.as_str()))
        {
            return;
        }
        // Only the title names the checkbox: the row's category and status are read when it
        // is ticked.
        let Some(action) = row.action(map) else {
            return;
        };
        let label = ctx.pick_label(&action.title);
        let picked = self.picked.borrow().iter().any(|p| p.key == key);
        let pick = match pick {
            Some(p) => {
                dom::set_i(&p, PICK_ATTR, &key);
                set(&p, "aria-label", &label);
                p
            }
            None => {
                // Its two attributes set on the template, then cloned: one call to make it.
                let Some(p) = self.pick_template().map(|template| {
                    dom::set_i(&template, PICK_ATTR, &key);
                    dom::set_i(&template, "aria-label", &label);
                    dom::clone_deep(&template)
                }) else {
                    return;
                };
                dom::put_before(&slot, &p);
                // A new checkbox is not checked: only an action picked before needs it set.
                if !picked {
                    return;
                }
                p
            }
        };
        if let Some(i) = pick.dyn_ref::<HtmlInputElement>() {
            i.set_checked(picked);
        }
    }

    /// The checkbox new rows' checkboxes are cloned from, made on first use.
    fn pick_template(&self) -> Option<Element> {
        let mut held = self.pick_template.borrow_mut();
        if held.is_none() {
            let doc = dom::document()?;
            let p = dom::el(&doc, "input", "snshare-pick", "");
            set(&p, "type", "checkbox");
            set(&p, OWN_ATTR, "pick");
            *held = Some(p);
        }
        held.clone()
    }

    /// Removes snshare's own checkboxes from the page, if any were made.
    fn remove_picks(&self) {
        if !self.picks_made.replace(false) {
            return;
        }
        if let Some(root) = dom::document().and_then(|d| d.document_element()) {
            dom::remove_all(&root, PICK_SELECTOR);
        }
    }

    fn render_bar(&self) {
        let Some(bar) = &self.bar else { return };
        let n = self.picked.borrow().len();
        // The bar is made hidden and empty: it is drawn once something is picked (issue 17:
        // not with the catalogue's texts in the batch of a list's first rows).
        if self.shown.replace(n) == n {
            return;
        }
        dom::toggle_attr(bar, "hidden", n == 0);
        if n == 0 {
            return;
        }
        let count = snshare_core::decimal(n as u64);
        if let Some(c) = part(bar, "count") {
            c.set_text_content(Some(&t_with("bulk_selected", &[&count])));
        }
        if let Some(b) = part(bar, "share") {
            b.set_text_content(Some(&t_with("bulk_share_n", &[&count])));
        }
    }

    /// "Share N to ServiceNow": the forms module opens the bulk form for the selection.
    fn open_form(self: &Rc<Self>) {
        let (Some(ctx), Some(bar), Some(doc)) =
            (self.ctx.upgrade(), self.bar.clone(), dom::document())
        else {
            return;
        };
        let picked = self.picked.borrow().clone();
        if picked.is_empty() {
            return;
        }
        let opener = part(&bar, "share").map(|b| forms::opener_token(&b));
        forms::open_bulk(&BulkFormRequest {
            picked,
            user_id: ctx.upn(),
            page_lang: forms::page_lang(&doc),
            theme: styles::apply_theme(&doc).to_owned(),
            opener: opener.unwrap_or_default(),
        });
    }
}

impl Drop for Bulk {
    fn drop(&mut self) {
        forms::close();
        if let Some(bar) = &self.shared.bar {
            bar.remove();
        }
        self.shared.remove_picks();
    }
}

/// One action of the list without a ticket, for the popup's "Share all actions on this page
/// that have no ticket" (issue 18).
pub struct PreviewItem {
    pub key: String,
    pub title: String,
    pub category: Option<Category>,
    pub status: Option<ActionStatus>,
    pub description: String,
    pub link: String,
    pub user_id: String,
}

/// The preview as the popup reads it (`snshare_pages::popup::PreviewItem`, with serde): a JSON
/// list of objects, enums by their names, `None` as `null`. Written through JS objects and
/// `JSON.stringify`, not `serde_json`, whose serializer was otherwise compiled into the
/// portal's download for this one answer (`tests/wasm_portal.rs` reads it back with the
/// popup's own type).
pub fn preview_json(items: &[PreviewItem]) -> String {
    let list: js_sys::Array = items
        .iter()
        .map(|i| {
            wire_encode::Obj::new()
                .str("key", &i.key)
                .str("title", &i.title)
                .opt("category", i.category.map(|c| c.as_str()))
                .opt("status", i.status.map(|s| s.as_str()))
                .str("description", &i.description)
                .str("link", &i.link)
                .str("user_id", &i.user_id)
                .done()
        })
        .collect();
    js_sys::JSON::stringify(&list)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "[]".to_owned())
}

/// The popup asks (through `extension/content.js`): the actions of the list now in the page
/// that have no ticket (none in the ticket cache, none queued), as JSON.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bulk_preview() -> String {
    let Some(ctx) = super::page_ctx() else {
        return "[]".to_owned();
    };
    let Some(list) = ctx.list(true).0 else {
        return "[]".to_owned();
    };
    let map = selectors::column_map(&list);
    let store = ctx.tickets.borrow();
    let user_id = ctx.upn().unwrap_or_default();
    let mut items: Vec<PreviewItem> = Vec::new();
    for row in selectors::action_rows(&list) {
        let Some(action) = selectors::row_action(&map, &row) else {
            continue;
        };
        let key = ctx.resolve(action.action_id.as_deref(), &action.title).key;
        if store.for_action(&key).is_some()
            || store.is_queued(&key)
            || items.iter().any(|i| i.key == key)
        {
            continue;
        }
        let link = link_to(&key);
        items.push(PreviewItem {
            description: description_from_row(&action.title, &link),
            category: selectors::row_category(&map, &row),
            status: selectors::row_status(&map, &row),
            title: action.title,
            link,
            key,
            user_id: user_id.clone(),
        });
    }
    preview_json(&items)
}
