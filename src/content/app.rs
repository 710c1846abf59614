//! What the features share for the life of the page: where the list and the panel are, the
//! ticket snapshot, cached labels, and what the page taught about
//! actions and the signed-in account. An action's id comes from the row's link, the open panel's
//! URL, the title → id map learned per tenant, and only then a key made from the title.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use web_sys::Element;

use super::dom::{self, Debouncer};
use super::marks;
use super::scheduler;
use super::selectors;
use super::tickets::TicketStore;
use super::wire;
use crate::domain::action_title::{normalize_title, normalized_title_key, title_key, TitleMap};
use crate::domain::portal_url::{cm_id, CM_ORIGINS};
use crate::platform::i18n::Template;
use crate::platform::now_ms;

/// Learned pairs are handed to the worker in one message per burst (a list renders its rows
/// over several frames).
const LEARN_DEBOUNCE_MS: i32 = 500;
/// The account control is looked at no more often than this while its UPN is not known.
const ACCOUNT_CHECK_MS: u64 = 1_000;
/// A learned batch the worker did not take (starting, restarting) is offered again, this many
/// times, each a little later.
const LEARN_RETRIES: u8 = 3;
const LEARN_RETRY_MS: i32 = 2_000;

/// An action as snshare keys it: the portal's id when any source knows it, else the title key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedAction {
    pub key: String,
    /// The title key, looked under too (badges, duplicates) while tickets made before the id
    /// was known carry it.
    pub title_key: Option<String>,
}

/// What snshare recognized on the page, for the popup's recognition report.
#[derive(Debug, Clone, Default)]
pub struct Recognition {
    /// The Share menu was seen and got its item (`None`: not opened yet).
    pub share_menu: Option<bool>,
    pub share_button: Option<bool>,
}

pub struct Ctx {
    list: RefCell<Option<Element>>,
    /// The list's columns, kept from batch to batch while its header stays.
    columns: RefCell<selectors::ColumnCache>,
    panel: RefCell<Option<Element>>,
    pub tickets: Rc<RefCell<TicketStore>>,
    /// The page's scheduler, asked for a batch when something not from a mutation changed.
    pub scheduler: scheduler::Handle,
    /// This context, for the timers and answers that come back to it later.
    me: Weak<Ctx>,
    /// "Share to ServiceNow: $1", fetched once per language (one i18n call per page, not per
    /// row).
    share_label: RefCell<Template>,
    /// The name of snshare's own row checkbox, made on first use (a list with the portal's own
    /// selection never needs it).
    pick_label: RefCell<Option<Template>>,
    /// Title → id pairs learned on this tenant (from the worker, then from the page).
    titles: RefCell<TitleMap>,
    /// Bumped when `titles` learns something: rows bound to a title key are bound again.
    pub titles_generation: Cell<u32>,
    to_learn: RefCell<Vec<(String, String)>>,
    /// This batch learned a pair ([`Ctx::batch_done`] announces it).
    learned: Cell<bool>,
    learner: RefCell<Option<Debouncer>>,
    learn_failures: Cell<u8>,
    /// The signed-in UPN: read from the page, else remembered by the worker for the tenant.
    upn: RefCell<Option<String>>,
    upn_read: Cell<bool>,
    account_checked_at: Cell<u64>,
    account_timer: Cell<bool>,
    /// (action id, title) the last panel taught.
    last_panel: RefCell<Option<(String, String)>>,
    pub recognition: RefCell<Recognition>,
    tenant: RefCell<String>,
    /// The page is Compliance Manager's (by its origin): actions are keyed `cm:<id>`.
    cm: bool,
}

/// "Share to ServiceNow: $1" in the UI's language.
fn share_label_template() -> Template {
    Template::new("portal_share_row", 1)
}

impl Ctx {
    /// The UI's language changed (the page set its `lang`): strings kept are read again.
    pub fn language_changed(&self) {
        *self.share_label.borrow_mut() = share_label_template();
        *self.pick_label.borrow_mut() = None;
        self.columns.borrow_mut().clear();
    }

    pub fn new() -> Rc<Ctx> {
        let share_label = RefCell::new(share_label_template());
        Rc::new_cyclic(|me| Ctx {
            list: RefCell::new(None),
            columns: RefCell::new(selectors::ColumnCache::default()),
            panel: RefCell::new(None),
            tickets: Rc::default(),
            scheduler: scheduler::Handle::default(),
            me: me.clone(),
            share_label,
            pick_label: RefCell::new(None),
            titles: RefCell::new(TitleMap::default()),
            titles_generation: Cell::new(0),
            to_learn: RefCell::new(Vec::new()),
            learned: Cell::new(false),
            learner: RefCell::new(None),
            learn_failures: Cell::new(0),
            upn: RefCell::new(None),
            upn_read: Cell::new(false),
            account_checked_at: Cell::new(0),
            account_timer: Cell::new(false),
            last_panel: RefCell::new(None),
            recognition: RefCell::new(Recognition::default()),
            tenant: RefCell::new(String::new()),
            cm: web_sys::window()
                .and_then(|w| w.location().origin().ok())
                .is_some_and(|o| CM_ORIGINS.iter().any(|c| c.eq_ignore_ascii_case(&o))),
        })
    }

    /// Whether the page is Compliance Manager's (its actions have their own namespace).
    pub fn is_cm(&self) -> bool {
        self.cm
    }

    /// An action id in the page's namespace (`cm:<id>` on Compliance Manager).
    pub fn namespaced(&self, id: &str) -> String {
        if self.cm {
            cm_id(id)
        } else {
            id.to_owned()
        }
    }

    /// The title key of an action title, in the page's namespace.
    pub fn title_key(&self, title: &str) -> Option<String> {
        title_key(title).map(|k| self.namespaced(&k))
    }

    /// Loads what the worker remembers of this tenant (once per page), and sets up the learner.
    pub fn start_learning(self: &Rc<Self>) {
        let tenant = current_tenant(&self.tenant.borrow());
        *self.tenant.borrow_mut() = tenant.clone();
        let weak = Rc::downgrade(self);
        *self.learner.borrow_mut() = Some(Debouncer::new(LEARN_DEBOUNCE_MS, move || {
            if let Some(ctx) = weak.upgrade() {
                ctx.send_learned();
            }
        }));
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let answer = wire::portal_context(&tenant).await;
            // Every page's first request to the worker: its answer also says, on the root
            // element, whether the worker answers at all (a start used to send a ping of its
            // own for that, one more message and wake-up per portal page).
            if let Some(root) = dom::document().and_then(|d| d.document_element()) {
                let state = if answer.is_ok() { "ok" } else { "unreachable" };
                dom::set(&root, marks::WORKER_ATTR, state);
            }
            let Ok((pairs, upn)) = answer else {
                return;
            };
            let Some(ctx) = weak.upgrade() else { return };
            if ctx.upn.borrow().is_none() {
                *ctx.upn.borrow_mut() = upn;
            }
            let changed = ctx
                .titles
                .borrow_mut()
                .learn_all(pairs.iter().map(|(t, id)| (t.as_str(), id.as_str())));
            if changed {
                ctx.titles_changed();
            }
        });
    }

    /// The action a row, panel or menu shows, keyed by the best source available.
    pub fn resolve(&self, action_id: Option<&str>, title: &str) -> ResolvedAction {
        self.resolve_normalized(action_id, &normalize_title(title))
    }

    /// [`resolve`](Self::resolve) for a title already normalized (a row's title is normalized
    /// once for the map and its key).
    pub fn resolve_normalized(&self, action_id: Option<&str>, normalized: &str) -> ResolvedAction {
        let title_key = normalized_title_key(normalized).map(|k| self.namespaced(&k));
        let key = action_id
            .map(str::to_owned)
            .or_else(|| {
                self.titles
                    .borrow()
                    .get_normalized(normalized)
                    .map(str::to_owned)
            })
            .map(|id| self.namespaced(&id))
            .or_else(|| title_key.clone())
            .unwrap_or_default();
        ResolvedAction { key, title_key }
    }

    /// The page showed `title` for `action_id` (a linked row, an open panel). Called from a
    /// batch: the rows bound by title and the worker hear of it once, when the batch ends
    /// ([`batch_done`](Self::batch_done)).
    pub fn learn(&self, title: &str, action_id: &str) {
        self.learn_normalized(&normalize_title(title), action_id);
    }

    /// [`learn`](Self::learn) for a title already normalized.
    pub fn learn_normalized(&self, normalized: &str, action_id: &str) {
        if !self
            .titles
            .borrow_mut()
            .learn_normalized(normalized, action_id)
        {
            return;
        }
        self.to_learn
            .borrow_mut()
            .push((normalized.to_owned(), action_id.to_owned()));
        self.bump_titles_generation();
        self.learned.set(true);
    }

    /// The end of a batch: what it learned is announced once — the next batch binds the rows
    /// keyed by title again, the worker gets the pairs after the burst — not once per row.
    pub fn batch_done(&self) {
        if !self.learned.replace(false) {
            return;
        }
        self.scheduler.request_flush();
        if let Some(l) = self.learner.borrow().as_ref() {
            l.trigger();
        }
    }

    /// Rows bound by their title key are bound again on their next batch (`row_share`).
    fn bump_titles_generation(&self) {
        self.titles_generation
            .set(self.titles_generation.get().wrapping_add(1));
    }

    fn titles_changed(&self) {
        self.bump_titles_generation();
        // Rows bound by their title look again (`row_share`), on the next batch: one comes even
        // when the page is quiet. The ticket snapshot did not change.
        self.scheduler.request_flush();
    }

    fn send_learned(&self) {
        let titles = std::mem::take(&mut *self.to_learn.borrow_mut());
        let upn = if self.upn_read.get() {
            self.upn.borrow().clone()
        } else {
            None
        };
        if titles.is_empty() && upn.is_none() {
            return;
        }
        let tenant = self.tenant.borrow().clone();
        let me = self.me.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let sent = wire::learn_portal_context(&tenant, titles.clone(), upn)
                .await
                .is_ok();
            let Some(ctx) = me.upgrade() else {
                return;
            };
            if sent {
                ctx.learn_failures.set(0);
                return;
            }
            // Nothing learned is lost to a worker that was starting: the titles go back in the
            // queue (the UPN is sent with every batch) and the learner runs again later.
            let failures = ctx.learn_failures.get().saturating_add(1);
            ctx.learn_failures.set(failures);
            if failures > LEARN_RETRIES {
                return;
            }
            ctx.to_learn.borrow_mut().extend(titles);
            dom::after(LEARN_RETRY_MS * i32::from(failures), move || {
                if let Some(ctx) = me.upgrade() {
                    if let Some(l) = ctx.learner.borrow().as_ref() {
                        l.trigger();
                    }
                }
            });
        });
    }

    /// The open panel shows the URL's action: learn its title. A panel that still shows the
    /// previous action's title under a new URL (its content renders a frame later) teaches
    /// nothing until it changes.
    pub fn learn_from_panel(&self, panel: &Element, action_id: &str) {
        let title = selectors::panel_title(panel);
        if title.is_empty() {
            return;
        }
        {
            let mut last = self.last_panel.borrow_mut();
            match last.as_ref() {
                // Learned already, or the previous action's title under a new URL.
                Some((_, t)) if *t == title => return,
                _ => *last = Some((action_id.to_owned(), title.clone())),
            }
        }
        self.learn(&title, action_id);
    }

    /// Reads the UPN when the account control (or its flyout, opened later) shows it.
    pub fn watch_account(&self, force: bool) {
        if self.upn_read.get() {
            return;
        }
        // The flyout's UPN element by id costs next to nothing: looked for on every batch, so a
        // flyout opened and closed quickly is not missed.
        if let Some(upn) = dom::document()
            .and_then(|d| d.get_element_by_id(selectors::ACCOUNT_UPN_ID))
            .map(|e| dom::text_of(&e))
            .filter(|t| selectors::looks_like_email(t))
        {
            self.remember_upn(upn);
            return;
        }
        let now = now_ms();
        if !force && now.saturating_sub(self.account_checked_at.get()) < ACCOUNT_CHECK_MS {
            // Look once more when the pause is over: the flyout may have opened just now.
            if !self.account_timer.replace(true) {
                let me = self.me.clone();
                dom::after(ACCOUNT_CHECK_MS as i32, move || {
                    if let Some(ctx) = me.upgrade() {
                        ctx.account_timer.set(false);
                        ctx.watch_account(true);
                    }
                });
            }
            return;
        }
        self.account_checked_at.set(now);
        let Some(upn) = dom::document()
            .and_then(|d| d.document_element())
            .and_then(|r| selectors::account_upn(&r))
        else {
            return;
        };
        self.remember_upn(upn);
    }

    fn remember_upn(&self, upn: String) {
        self.upn_read.set(true);
        *self.upn.borrow_mut() = Some(upn);
        if let Some(l) = self.learner.borrow().as_ref() {
            l.trigger();
        }
    }

    /// The signed-in UPN: shown on the page now, else read earlier, else remembered.
    pub fn upn(&self) -> Option<String> {
        self.upn_read.set(false);
        self.watch_account(true);
        self.upn.borrow().clone()
    }

    /// The row button's accessible name for an action title.
    pub fn share_label(&self, title: &str) -> String {
        self.share_label.borrow().fill(&[title])
    }

    /// The name of a row's own checkbox ("Select for sharing to ServiceNow: <title>"), from a
    /// template read from the catalogue once, not asked of the browser per row.
    pub fn pick_label(&self, title: &str) -> String {
        self.pick_label
            .borrow_mut()
            .get_or_insert_with(|| Template::new("bulk_pick", 1))
            .fill(&[title])
    }

    /// The Recommended actions list, re-found (when `may_search`) if the portal replaced it.
    /// The flag says it was found just now (all its rows are new to snshare).
    pub fn list(&self, may_search: bool) -> (Option<Element>, bool) {
        tracked(&self.list, may_search, selectors::find_list)
    }

    /// The columns of `list` for a batch that changed `changed` (`structure`: added or removed
    /// nodes; `fresh`: read them again whatever changed), kept from the batches before while
    /// its header stays ([`selectors::ColumnCache`]).
    pub fn columns(
        &self,
        list: &Element,
        changed: &[Element],
        structure: bool,
        fresh: bool,
    ) -> Rc<selectors::ColumnMap> {
        self.columns
            .borrow_mut()
            .get(list, changed, structure, fresh)
    }

    /// The action detail panel, re-found (when `may_search`) if it was closed or replaced.
    pub fn panel(&self, may_search: bool) -> (Option<Element>, bool) {
        let find = if self.cm {
            super::compliance::find_details
        } else {
            selectors::find_panel
        };
        tracked(&self.panel, may_search, find)
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

/// The tenant the page is on, as the worker keys what it remembers: the origin and the URL's
/// `tid` (kept from an earlier URL of the same page when the current one has none).
fn current_tenant(previous: &str) -> String {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return previous.to_owned();
    };
    let origin = location.origin().unwrap_or_default();
    let href = location.href().unwrap_or_default();
    let tid = href
        .split('#')
        .next()
        .and_then(|h| h.split_once('?'))
        .and_then(|(_, q)| {
            crate::domain::query::parse_query_string(q)
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("tid"))
                .map(|(_, v)| v)
        });
    match tid {
        Some(tid) => [origin.as_str(), "|", tid.as_str()].concat(),
        None if previous.starts_with(&origin) => previous.to_owned(),
        None => origin,
    }
}
