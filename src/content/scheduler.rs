//! One observer, batched work, and the features' lifecycle.
//!
//! A single `MutationObserver` on the document watches added nodes and the two attributes that
//! matter (`href`, which changes when a virtualized row is recycled, and `aria-expanded`, which
//! says a menu opened). The browser hands it every mutation of a task at once; the portal
//! renders in animation frames, so that is one batch per frame. Each batch is filtered once
//! (snshare's own nodes are skipped) and given to the running features, which touch only what
//! the batch names — never a rescan of the page per mutation. Work that does not come from a
//! mutation (`popstate`, an answer from the worker) is batched on the next animation frame.
//!
//! Navigation: the page never reloads (pushState / popstate), and a content script cannot hook
//! the page's `history`, so each batch first compares `location.href` with the last one seen
//! (one string compare). When the page changes, features that no longer apply are dropped —
//! their nodes and listeners go with them — and those that now apply are started, each once.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, MutationObserver, MutationObserverInit, MutationRecord};

use super::app::Ctx;
use super::dom::{self, mark, Listener, OWN_ATTR};
use super::marks;
use super::selectors::{self, ColumnMap, Row};
use super::styles;
use crate::domain::portal_url::PortalPage;
use crate::platform::i18n;

/// One injected feature, for one run (from its `init` until the page no longer applies).
/// Dropping it removes everything it added: nodes and listeners.
pub trait Feature {
    /// A batch of page changes (or, right after `init`, an initial batch covering everything).
    fn on_batch(&mut self, ctx: &Rc<Ctx>, batch: &Batch);
    /// The page changed but the feature still applies (list → detail of an action).
    fn navigated(&mut self, _ctx: &Rc<Ctx>, _page: &PortalPage) {}
}

/// A feature's shape (Refined GitHub style): where it applies, how a run starts.
pub struct FeatureDef {
    pub applies: fn(&PortalPage) -> bool,
    pub init: fn(&Rc<Ctx>, &PortalPage) -> Box<dyn Feature>,
}

/// What changed since the last batch.
#[derive(Default)]
pub struct Batch {
    /// Element nodes the page added inside the action list (snshare's own excluded); a change
    /// elsewhere only sets `structure` (`collect`).
    pub added: Vec<Element>,
    /// Elements whose `href` changed.
    pub hrefs: Vec<Element>,
    /// Elements whose `aria-expanded` changed.
    pub expanded: Vec<Element>,
    /// Elements whose children or text changed (a recycled row whose title is text, not a
    /// link, changes only there).
    pub changed: Vec<Element>,
    /// Something of the page's was added or removed.
    pub structure: bool,
    /// Some element's `lang` changed: the page's language is read again.
    lang: bool,
    /// First batch of a feature run: look at everything.
    pub initial: bool,
    /// The ticket snapshot changed (badges, cards).
    pub tickets_changed: bool,
    /// The title → id map learned something since the last batch: the rows keyed through
    /// their title (`marks::BY_TITLE_ATTR`) are touched too, for every row feature.
    titles_relearned: bool,
    /// The list's columns, read once for the batch (kept from the batches before while the
    /// list's header stays: `Ctx::columns`).
    columns: OnceCell<Rc<ColumnMap>>,
    touched_rows: OnceCell<Touched>,
    all_rows: OnceCell<Vec<Row>>,
}

/// The rows a batch touched: every row of the list, or these.
enum Touched {
    Every,
    These(Vec<Row>),
}

impl Batch {
    pub fn initial() -> Self {
        Batch {
            initial: true,
            structure: true,
            tickets_changed: true,
            ..Batch::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.hrefs.is_empty()
            && self.changed.is_empty()
            && self.expanded.is_empty()
            && !self.structure
            && !self.tickets_changed
            && !self.lang
    }

    /// Action-list rows this batch added or changed (every row on an initial batch or when the
    /// list itself is new). Found once per batch, each row's action and cells read at most once
    /// (`selectors::Row`), for all the row features.
    pub fn touched_rows(&self, ctx: &Ctx) -> &[Row] {
        let touched = self.touched_rows.get_or_init(|| {
            let (list, fresh) = ctx.list(self.structure || self.initial);
            match list {
                None => Touched::These(Vec::new()),
                Some(_) if fresh || self.initial => Touched::Every,
                Some(list) => {
                    let mut rows = rows_in(&list, self);
                    if self.titles_relearned {
                        // Only these can be re-keyed by the map: a row that links to its action
                        // keeps its id whatever the map learns (a list of linked rows, taught
                        // by its own rows chunk by chunk, is not bound again each time).
                        rows.extend(
                            dom::all_i(&list, marks::BY_TITLE_SELECTOR)
                                .iter()
                                .filter_map(selectors::row_of)
                                .map(Row::new),
                        );
                    }
                    Touched::These(rows)
                }
            }
        });
        match touched {
            Touched::Every => self.all_rows(ctx),
            Touched::These(rows) => rows,
        }
    }

    /// Every action row of the list (after a ticket snapshot change).
    pub fn all_rows(&self, ctx: &Ctx) -> &[Row] {
        self.all_rows.get_or_init(|| {
            let (list, _) = ctx.list(self.structure || self.initial);
            match list {
                Some(list) => selectors::read_action_rows(&list, self.columns_of(ctx, &list)),
                None => Vec::new(),
            }
        })
    }

    /// The list's columns (the map the batch's rows were read with), when there is a list.
    pub fn columns(&self, ctx: &Ctx) -> Option<&ColumnMap> {
        if let Some(map) = self.columns.get() {
            return Some(map);
        }
        let (list, _) = ctx.list(self.structure || self.initial);
        list.map(|l| self.columns_of(ctx, &l))
    }

    fn columns_of(&self, ctx: &Ctx, list: &Element) -> &ColumnMap {
        self.columns
            .get_or_init(|| ctx.columns(list, &self.changed, self.structure, self.initial))
    }
}

/// Rows of `list` that contain, are, or hold something the batch added or re-linked.
fn rows_in(list: &Element, batch: &Batch) -> Vec<Row> {
    let list_node: &web_sys::Node = list.as_ref();
    // A row named by several records (its cells' texts changed one by one) comes once per run
    // of records; one named again later is read again, which is cheaper than keeping a set.
    // Sized up front (a row is ~100 bytes: 2,000 rows grown step by step were copied 11 times).
    let mut out: Vec<Row> = Vec::with_capacity(batch.added.len());
    let push = |row: Element, out: &mut Vec<Row>| {
        if out.last().is_some_and(|last| last.el == row) {
            return;
        }
        out.push(Row::new(row));
    };
    for a in &batch.added {
        if !list_node.contains(Some(a)) {
            continue;
        }
        if dom::matches_i(a, selectors::ROW) {
            push(a.clone(), &mut out);
            continue;
        }
        let inner = dom::all(a, selectors::ROW);
        out.reserve(inner.len());
        if inner.is_empty() {
            if let Some(r) = selectors::row_of(a) {
                push(r, &mut out);
            }
        } else {
            for r in inner {
                push(r, &mut out);
            }
        }
    }
    for h in batch.hrefs.iter().chain(&batch.changed) {
        if list_node.contains(Some(h)) {
            if let Some(r) = selectors::row_of(h) {
                push(r, &mut out);
            }
        }
    }
    out
}

type ObserverCallback = Closure<dyn FnMut(js_sys::Array, MutationObserver)>;

#[wasm_bindgen]
extern "C" {
    /// An `Element` whose `hasAttribute` takes the name as a JS value made once per callback.
    #[wasm_bindgen(js_name = Element)]
    type RawNode;
    #[wasm_bindgen(method, js_name = hasAttribute)]
    fn has_attribute(this: &RawNode, name: &JsValue) -> bool;

    /// A `MutationRecord` whose `type` is read as the JS string it is (compared, not copied).
    #[wasm_bindgen(js_name = MutationRecord)]
    type RawRecord;
    #[wasm_bindgen(method, getter, js_name = type)]
    fn kind(this: &RawRecord) -> JsValue;

    /// The window's `Location`, kept for the page's life; `href` as the JS string it is.
    #[wasm_bindgen(js_name = Location)]
    type RawLocation;
    #[wasm_bindgen(method, getter, catch, js_name = href)]
    fn href_js(this: &RawLocation) -> Result<JsValue, JsValue>;
}

struct Running {
    def: &'static FeatureDef,
    run: Box<dyn Feature>,
}

/// The content script's one instance: observer, features, current page.
pub struct App {
    ctx: Rc<Ctx>,
    defs: &'static [FeatureDef],
    runs: RefCell<Vec<Running>>,
    href: RefCell<JsValue>,
    page: RefCell<Option<PortalPage>>,
    /// The window's location, read once: each batch compares its `href` with the last seen.
    location: RawLocation,
    /// The root's `lang` as last read (`None`: read it on the next batch). The observer watches
    /// that attribute, so it is read again only when a batch says it changed (issue 17: reading
    /// it on every batch was a tenth of snshare's time under heavy DOM churn).
    lang: RefCell<Option<String>>,
    frame_pending: Cell<bool>,
    tickets_dirty: Cell<bool>,
    observer: RefCell<Option<(MutationObserver, ObserverCallback)>>,
    _listeners: RefCell<Vec<Listener>>,
    frame_cb: RefCell<Option<Closure<dyn FnMut()>>>,
    /// The portal's theme was read from its body (with the first batch that has one).
    themed: Cell<bool>,
    /// Follows the portal's theme while the page lives (`styles::ThemeWatch`).
    theme: RefCell<Option<styles::ThemeWatch>>,
    /// The page's language catalogue is loading: batches wait for it.
    paused: Cell<bool>,
    /// The title map's generation the last batch saw (`Batch::titles_relearned`).
    titles_seen: Cell<u32>,
}

/// The context's way to the scheduler (`Ctx::scheduler`): the scheduler holds the context, so
/// the context holds the scheduler weakly, and nothing reaches it through a global. Empty until
/// [`start`], and again once the page's scheduler is gone.
#[derive(Default)]
pub struct Handle(RefCell<Weak<App>>);

impl Handle {
    fn app(&self) -> Option<Rc<App>> {
        self.0.borrow().upgrade()
    }

    /// Asks for a batch on the next animation frame (e.g. after an answer from the worker).
    pub fn request_flush(&self) {
        if let Some(app) = self.app() {
            app.schedule_frame();
        }
    }
}

/// Starts the observer and the features that apply to the current page. The caller keeps the
/// scheduler for the page's life: everything else holds it weakly, and the observer it started
/// calls a callback the scheduler owns.
pub fn start(ctx: Rc<Ctx>, defs: &'static [FeatureDef]) -> Option<Rc<App>> {
    let window = web_sys::window()?;
    let root = dom::document().and_then(|d| d.document_element())?;
    let ctx_generation = ctx.titles_generation.get();
    let app = Rc::new(App {
        ctx,
        defs,
        runs: RefCell::new(Vec::new()),
        href: RefCell::new(JsValue::UNDEFINED),
        page: RefCell::new(None),
        location: window.location().unchecked_into(),
        lang: RefCell::new(None),
        frame_pending: Cell::new(false),
        tickets_dirty: Cell::new(false),
        observer: RefCell::new(None),
        _listeners: RefCell::new(Vec::new()),
        frame_cb: RefCell::new(None),
        themed: Cell::new(false),
        theme: RefCell::new(None),
        paused: Cell::new(false),
        titles_seen: Cell::new(ctx_generation),
    });
    *app.ctx.scheduler.0.borrow_mut() = Rc::downgrade(&app);
    // The store tells the scheduler that the snapshot changed; it knows nothing above it.
    let weak = Rc::downgrade(&app);
    app.ctx.tickets.borrow_mut().on_change(move || {
        if let Some(app) = weak.upgrade() {
            app.tickets_changed();
        }
    });
    app.ctx.start_learning();

    let weak = Rc::downgrade(&app);
    let frame_cb = Closure::<dyn FnMut()>::new(move || {
        if let Some(app) = weak.upgrade() {
            if app.frame_pending.replace(false) {
                app.flush(Batch::default());
            }
        }
    });
    *app.frame_cb.borrow_mut() = Some(frame_cb);

    let weak = Rc::downgrade(&app);
    let callback = Closure::<dyn FnMut(js_sys::Array, MutationObserver)>::new(
        move |records: js_sys::Array, _: MutationObserver| {
            if let Some(app) = weak.upgrade() {
                if app.page.borrow().is_none() {
                    app.outside_features();
                    return;
                }
                let list = app.ctx.list(false).0;
                let batch = collect(&records, list.as_ref().map(AsRef::as_ref));
                if !batch.is_empty() || app.tickets_dirty.get() || app.url_changed() {
                    app.flush(batch);
                }
            }
        },
    );
    if let Ok(observer) = MutationObserver::new(callback.as_ref().unchecked_ref()) {
        let init = MutationObserverInit::new();
        init.set_child_list(true);
        init.set_character_data(true);
        init.set_subtree(true);
        init.set_attributes(true);
        // `lang`: the page may set its language after snshare started (document_start).
        init.set_attribute_filter(&js_sys::Array::of3(
            &"href".into(),
            &"aria-expanded".into(),
            &"lang".into(),
        ));
        let _ = observer.observe_with_options(&root, &init);
        *app.observer.borrow_mut() = Some((observer, callback));
    }

    let weak = Rc::downgrade(&app);
    let popstate = Listener::new(window.as_ref(), "popstate", move |_| {
        if let Some(app) = weak.upgrade() {
            app.schedule_frame();
        }
    });
    app._listeners.borrow_mut().push(popstate);
    if let Some(doc) = dom::document() {
        *app.theme.borrow_mut() = Some(styles::ThemeWatch::start(&doc));
    }

    mark("snshare:first-scan-start");
    app.flush(Batch::default());
    mark("snshare:first-scan-end");
    let weak = Rc::downgrade(&app);
    let warm = move || {
        if let Some(app) = weak.upgrade() {
            warm_up(&app.ctx);
        }
    };
    // A feature page's first rows come soon: warmed in the next task. The portal's other pages
    // are not kept from loading: warmed once they are idle, for a list reached later in-app.
    let href = app.href_now().as_string().unwrap_or_default();
    if PortalPage::from_url(&href).is_some() {
        dom::after(0, warm);
    } else {
        dom::when_idle(warm);
    }
    Some(app)
}

/// The row path once, on a list of snshare's own that never enters the page, in a task of its
/// own soon after start (on the portal's other pages, once the page is idle): V8 compiles wasm
/// functions on their first call, and the portal's first chunk of rows (issue 17: ~12 ms, twice
/// a later chunk's) would otherwise wait for that. Reads only: nothing is learned, kept or
/// drawn.
fn warm_up(ctx: &Ctx) {
    let Some(doc) = dom::document() else { return };
    let cell = |role: &str, text: &str| {
        let c = dom::el(&doc, "div", "", text);
        dom::set(&c, "role", role);
        c
    };
    let row = |cells: &[Element]| {
        let r = cell("row", "");
        for c in cells {
            dom::append(&r, c);
        }
        r
    };
    let link = dom::el(&doc, "a", "", "Warm up");
    dom::set(
        &link,
        "href",
        "/securescore?viewid=actions&actionId=snshareWarmUp",
    );
    let title = cell("gridcell", "");
    dom::append(&title, &link);
    let list = cell("grid", "");
    let holder = dom::el(&doc, "div", "", "");
    dom::append(&holder, &list);
    dom::append(
        &list,
        &row(&[
            cell("columnheader", "Recommended action"),
            cell("columnheader", "Category"),
            cell("columnheader", "Status"),
        ]),
    );
    dom::append(
        &list,
        &row(&[title, cell("gridcell", "Data"), cell("gridcell", "Planned")]),
    );
    let Some(list) = selectors::find_list(&holder) else {
        return;
    };
    let map = selectors::ColumnCache::default().get(&list, &[], false, true);
    for row in selectors::read_action_rows(&list, &map) {
        let _ = row.resolved(ctx, &map);
        let _ = (row.category(&map), row.status(&map));
    }
}

/// Turns mutation records into a batch, skipping snshare's own nodes. `list`: the action list
/// as last found, if it is still in the page.
fn collect(records: &js_sys::Array, list: Option<&web_sys::Node>) -> Batch {
    let mut batch = Batch::default();
    // Compared as JS values: no string copied into wasm per record, none made per callback.
    let child_list = dom::interned("childList");
    let character_data = dom::interned("characterData");
    let own = dom::interned(OWN_ATTR);
    let ours = |e: &Element| e.unchecked_ref::<RawNode>().has_attribute(own);
    for i in 0..records.length() {
        let record: MutationRecord = records.get(i).unchecked_into();
        // Targets are elements: the observer watches the document element's subtree for child
        // lists and attributes only.
        let Some(target) = record.target().map(JsCast::unchecked_into::<Element>) else {
            continue;
        };
        let kind = record.unchecked_ref::<RawRecord>().kind();
        // Most records are child lists: that comparison first.
        let is_child_list = kind == *child_list;
        if !is_child_list && kind == *character_data {
            // The target is a text node: its element changed text.
            let node: &web_sys::Node = target.unchecked_ref();
            if let Some(parent) = node.parent_element() {
                if !dom::is_ours(&parent) {
                    batch.changed.push(parent);
                }
            }
            continue;
        }
        if is_child_list {
            // snshare changes only its own top-level nodes (a slot, a card, the badge holder) or
            // adds them whole, so checking the target and the added nodes themselves is enough;
            // the observer does not see into the form's shadow root at all.
            if ours(&target) {
                continue;
            }
            // Only what changes inside the list names rows (`rows_in`) or its header
            // (`ColumnCache`). A change anywhere else, or before a list is known (the batch then
            // finds one and reads all its rows), says only that the page's structure changed:
            // its nodes are not read one by one (issue 17: on a list page with a busy widget
            // beside it, reading each record's added nodes was a third of snshare's time). A
            // child-list record always adds or removes something.
            if !list.is_some_and(|l| l.contains(Some(target.as_ref()))) {
                batch.structure = true;
                continue;
            }
            let added = record.added_nodes();
            for k in 0..added.length() {
                if let Some(e) = added.item(k).and_then(|n| n.dyn_into::<Element>().ok()) {
                    if !ours(&e) {
                        batch.added.push(e);
                        batch.structure = true;
                    }
                }
            }
            // Once the batch is structural, removals change nothing more: not asked again.
            if !batch.structure && record.removed_nodes().length() > 0 {
                batch.structure = true;
            }
            batch.changed.push(target);
        } else {
            match record.attribute_name().as_deref() {
                Some("href") if !dom::is_ours(&target) => batch.hrefs.push(target),
                Some("aria-expanded") => batch.expanded.push(target),
                Some("lang") => batch.lang = true,
                _ => {}
            }
        }
    }
    batch
}

impl App {
    /// The page's context.
    pub fn ctx(&self) -> &Rc<Ctx> {
        &self.ctx
    }

    /// The ticket snapshot changed: a batch says so at once, in the task that brought the
    /// answer. Left for the next frame, it would land in the batch of whatever rows the portal
    /// inserts in that frame, and those rows would wait for every badge of the page (issue 17:
    /// the second chunk of a rendering list waited 25 ms for its buttons).
    fn tickets_changed(&self) {
        self.tickets_dirty.set(true);
        self.flush(Batch::default());
    }

    fn schedule_frame(&self) {
        if self.frame_pending.replace(true) {
            return;
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(cb) = self.frame_cb.borrow().as_ref() {
            let f: &js_sys::Function = cb.as_ref().unchecked_ref();
            let _ = window.request_animation_frame(f);
            // A background tab gets no frames: a timer makes sure the batch still runs.
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(f, 100);
        }
    }

    /// `location.href` as a JS string (undefined if it cannot be read).
    fn href_now(&self) -> JsValue {
        self.location.href_js().unwrap_or(JsValue::UNDEFINED)
    }

    /// The address, when it differs from the last one seen: one comparison of JS strings,
    /// nothing copied into wasm unless the page changed.
    fn new_href(&self) -> Option<JsValue> {
        let now = self.href_now();
        (*self.href.borrow() != now).then_some(now)
    }

    fn url_changed(&self) -> bool {
        self.new_href().is_some()
    }

    /// The page changed on a portal page where no feature applies (most of the portal:
    /// incidents, alerts, hunting…). Its records are not looked at, however many the page
    /// makes: only a new address can start features (its batch reads the page's language
    /// again, since no `lang` change was looked at meanwhile), and the signed-in account is
    /// still read as it shows.
    fn outside_features(&self) {
        if self.url_changed() {
            self.flush(Batch {
                lang: true,
                ..Batch::default()
            });
        } else {
            self.ctx.watch_account(false);
        }
    }

    /// The root's `lang` (the page's language), "" without one.
    fn page_lang() -> String {
        dom::document()
            .and_then(|d| d.document_element())
            .and_then(|r| r.get_attribute("lang"))
            .unwrap_or_default()
    }

    /// Before a batch: the portal's theme, once the page has a body to read it from, and the
    /// page's language followed. False while that language's catalogue loads: the batch
    /// waits, and the features start again with everything on the page once it is there.
    /// `lang_changed`: the batch saw a `lang` attribute change (the root's is read again).
    fn prepare(&self, lang_changed: bool) -> bool {
        if self.paused.get() {
            return false;
        }
        if !self.themed.get() {
            if let Some((doc, body)) = dom::document().and_then(|d| d.body().map(|b| (d, b))) {
                styles::apply_theme(&doc);
                if let Some(watch) = self.theme.borrow().as_ref() {
                    watch.observe(&body);
                }
                self.themed.set(true);
            }
        }
        if lang_changed {
            *self.lang.borrow_mut() = None;
        }
        let lang = {
            let mut held = self.lang.borrow_mut();
            let lang = held.get_or_insert_with(Self::page_lang);
            if i18n::follows(lang) {
                return true;
            }
            lang.clone()
        };
        if i18n::follow_now(&lang) {
            self.restart_features();
            return true;
        }
        self.paused.set(true);
        let ctx = self.ctx.clone();
        wasm_bindgen_futures::spawn_local(async move {
            i18n::follow_page_language(&lang).await;
            if let Some(app) = ctx.scheduler.app() {
                app.paused.set(false);
                // A change while the catalogue loaded was not looked at: read it again.
                *app.lang.borrow_mut() = None;
                app.restart_features();
                app.flush(Batch::default());
            }
        });
        false
    }

    /// The UI's language changed: what the features drew goes, and the next batch starts them
    /// again (an initial batch: every row), in the new language.
    fn restart_features(&self) {
        self.ctx.language_changed();
        self.runs.borrow_mut().clear();
        *self.page.borrow_mut() = None;
        *self.href.borrow_mut() = JsValue::UNDEFINED;
    }

    fn flush(&self, mut batch: Batch) {
        self.frame_pending.set(false);
        if !self.prepare(batch.lang) {
            return;
        }
        let navigated = self.check_navigation();
        if self.tickets_dirty.replace(false) {
            batch.tickets_changed = true;
        }
        let generation = self.ctx.titles_generation.get();
        batch.titles_relearned = self.titles_seen.replace(generation) != generation;
        // A page already complete when snshare starts, and quiet from then on, has no structural
        // batch: its account control is read on the first one (and after each navigation).
        if batch.structure || batch.initial || navigated {
            self.ctx.watch_account(false);
        }
        let mut runs = self.runs.borrow_mut();
        for r in runs.iter_mut() {
            r.run.on_batch(&self.ctx, &batch);
        }
        drop(runs);
        self.ctx.batch_done();
        // What is queued now is what the features just did (the page's scripts cannot run in
        // between): drop it rather than be called back to skip it node by node.
        if let Some((observer, _)) = self.observer.borrow().as_ref() {
            let _ = observer.take_records();
        }
    }

    /// Starts, keeps or drops feature runs when the page changed. Whether the URL changed (the
    /// first flush included).
    fn check_navigation(&self) -> bool {
        let Some(now) = self.new_href() else {
            return false;
        };
        let href = now.as_string().unwrap_or_default();
        *self.href.borrow_mut() = now;
        let page = PortalPage::from_url(&href);
        if *self.page.borrow() == page {
            return true;
        }
        *self.page.borrow_mut() = page.clone();
        // The form belongs to the page it was opened on.
        super::forms::close();
        let mut runs = self.runs.borrow_mut();
        let Some(page) = page else {
            runs.clear();
            return true;
        };
        runs.retain(|r| (r.def.applies)(&page));
        for r in runs.iter_mut() {
            r.run.navigated(&self.ctx, &page);
        }
        // One initial batch for the features starting now: the list's rows are found and read
        // once for all of them.
        let initial = Batch::initial();
        for def in self.defs {
            if !(def.applies)(&page) || runs.iter().any(|r| std::ptr::eq(r.def, def)) {
                continue;
            }
            let mut run = (def.init)(&self.ctx, &page);
            run.on_batch(&self.ctx, &initial);
            // Keep definition order: row features first, as later ones read what they add.
            let at = self
                .defs
                .iter()
                .position(|d| std::ptr::eq(d, def))
                .map(|i| {
                    runs.iter()
                        .filter(|r| self.defs.iter().position(|d| std::ptr::eq(d, r.def)) < Some(i))
                        .count()
                })
                .unwrap_or(runs.len());
            runs.insert(at, Running { def, run });
        }
        true
    }
}
