//! The in-page side of the message contract (`crate::messages`): the content script and the
//! forms module it loads on first need.
//!
//! Requests are the contract's `RequestBody`, written as the JS object serde makes of it by hand,
//! field by field, for the variants the content script and the forms send (`encode`): serde's
//! serializer compiled every variant's fields (settings, mapping, state names…) and
//! serde-wasm-bindgen's key cache into the portal's download. Each request function encodes its
//! own variant, so the content script links the encoders of the requests it makes, not those of
//! the forms' shares and drafts. Answers are read by their
//! `type` tag, and only the data of the variant expected is decoded — by hand, field by field,
//! into the contract's own types (`decode`). Serde's derived deserializers for the whole
//! `ResponseBody` (and the float formatting their errors pull in) were half of the wasm the portal
//! downloads; `tests/wasm_portal.rs` checks every decoder against the contract's serde output,
//! so the two cannot drift apart unnoticed. Every failure — no answer, a timeout, an `error`
//! answer, an unexpected variant or shape — comes back as `Err(text)`.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::chrome;
use crate::domain::connection::ConnectionState;
use crate::domain::draft::TaskDraft;
use crate::domain::settings::RecordRef;
use crate::domain::ticket::TicketSummary;
use crate::messages::{
    BulkView, ExtensionPage, RequestBody, ShareOutcome, ShareRequest, SnapshotNeed,
};

/// How long a plain request may take before the UI stops waiting.
const TIMEOUT_MS: i32 = 15_000;
/// A share waits for ServiceNow (and may retry once inside the worker).
const SHARE_TIMEOUT_MS: i32 = 60_000;

/// A request whose answer carries nothing the caller reads (done, or an error).
async fn tell(body: JsValue, timeout_ms: i32) -> Result<(), String> {
    ask(body, timeout_ms).await.map(|_| ())
}

/// Sends `body` (a request body as `encode` writes it) and returns the answer's `(type, data)`.
/// Each function below encodes its own variant: the content script links the encoders of the
/// requests it makes, not those of the forms' shares and drafts.
async fn ask(body: JsValue, timeout_ms: i32) -> Result<(String, JsValue), String> {
    let msg = encode::message(&body);
    let promise = chrome::runtime_send_message(&msg)
        .map_err(|_| "the extension was updated or reloaded: reload the page".to_string())?;
    let answer = JsFuture::from(crate::messaging::within(&promise, timeout_ms))
        .await
        .map_err(|e| {
            decode::string(&e, "message")
                .unwrap_or_else(|| "the extension's background worker did not answer".to_string())
        })?;
    if answer.is_undefined() || answer.is_null() {
        return Err(crate::messaging::NO_ANSWER_IN_TIME.to_string());
    }
    let body = decode::get(&answer, "body");
    let kind = decode::string(&body, "type").unwrap_or_default();
    let data = decode::get(&body, "data");
    if kind == "error" {
        return Err(decode::string(&data, "message").unwrap_or_else(|| "failed".to_string()));
    }
    Ok((kind, data))
}

/// Sends `body`, expects an answer of type `expect`, decodes its data.
async fn ask_for<T>(
    body: JsValue,
    expect: &str,
    timeout_ms: i32,
    read: fn(&JsValue) -> Result<T, String>,
) -> Result<T, String> {
    let (kind, data) = ask(body, timeout_ms).await?;
    if kind != expect {
        return Err(["unexpected answer (", &kind, ")"].concat());
    }
    read(&data).map_err(|e| ["malformed answer: ", &e].concat())
}

/// The connection's state (the rest of the status is the popup's and options' business).
pub async fn status() -> Result<ConnectionState, String> {
    ask_for(
        encode::get_status(),
        "status",
        TIMEOUT_MS,
        decode::status_state,
    )
    .await
}

/// What the form takes from the options: ticket defaults, the fallback user ID and the default
/// assignment group.
pub async fn settings() -> Result<decode::FormSettings, String> {
    ask_for(
        encode::get_settings(),
        "settings",
        TIMEOUT_MS,
        decode::form_settings,
    )
    .await
}

/// Groups whose name contains `text`, for the assignment group field.
pub async fn search_groups(text: &str) -> Result<Vec<RecordRef>, String> {
    ask_for(
        encode::search_records(crate::messages::RecordTable::Group, text),
        "records",
        TIMEOUT_MS,
        decode::records,
    )
    .await
}

pub async fn get_draft(key: &str) -> Result<Option<TaskDraft>, String> {
    ask_for(
        encode::get_draft(key),
        "draft",
        TIMEOUT_MS,
        decode::optional_draft,
    )
    .await
}

pub async fn save_draft(key: &str, draft: TaskDraft) -> Result<(), String> {
    tell(encode::save_draft(key, &draft), TIMEOUT_MS).await
}

pub async fn delete_draft(key: &str) -> Result<(), String> {
    tell(encode::delete_draft(key), TIMEOUT_MS).await
}

pub async fn find_open_tickets(action_id: &str) -> Result<Vec<TicketSummary>, String> {
    ask_for(
        encode::find_open_tickets(action_id),
        "tickets",
        TIMEOUT_MS,
        decode::tickets,
    )
    .await
}

/// What the worker remembers of a portal tenant: learned (normalized title, action id) pairs and
/// the signed-in UPN.
pub async fn portal_context(tenant: &str) -> Result<decode::PortalContext, String> {
    ask_for(
        encode::get_portal_context(tenant),
        "portal_context",
        TIMEOUT_MS,
        decode::portal_context,
    )
    .await
}

/// Hands the worker what the page just taught (titles → ids, the UPN).
pub async fn learn_portal_context(
    tenant: &str,
    titles: Vec<(String, String)>,
    upn: Option<String>,
) -> Result<(), String> {
    tell(
        encode::learn_portal_context(tenant, &titles, upn.as_deref()),
        TIMEOUT_MS,
    )
    .await
}

/// The worker's cached tickets, kept as JS objects until a card shows one, with each action's
/// shown ticket packed for the badges: what `need` names (see `tickets::TicketStore`).
pub async fn tickets_raw(need: SnapshotNeed) -> Result<decode::RawSnapshot, String> {
    ask_for(
        encode::get_tickets(false, need),
        "snapshot",
        TIMEOUT_MS,
        decode::raw_snapshot,
    )
    .await
}

pub async fn share(request: ShareRequest) -> Result<ShareOutcome, String> {
    ask_for(
        encode::share_request(&request),
        "share",
        SHARE_TIMEOUT_MS,
        decode::share_outcome,
    )
    .await
}

/// Bulk share: the open tickets of several actions, in one lookup.
pub async fn find_open_tickets_bulk(action_ids: Vec<String>) -> Result<Vec<TicketSummary>, String> {
    ask_for(
        encode::find_open_tickets_bulk(&action_ids),
        "tickets",
        SHARE_TIMEOUT_MS,
        decode::tickets,
    )
    .await
}

/// Bulk share: starts (or resends, or with `None` only reads) a bulk; its progress.
pub async fn bulk(body: RequestBody) -> Result<BulkView, String> {
    let body = encode::body_of(&body)?;
    ask_for(body, "bulk", SHARE_TIMEOUT_MS, decode::bulk_view).await
}

pub async fn open_page(page: ExtensionPage) -> Result<(), String> {
    tell(encode::open_page(page), TIMEOUT_MS).await
}

/// Fire-and-forget `OpenPage` from a click handler.
pub fn open_page_now(page: ExtensionPage) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(e) = open_page(page).await {
            crate::log(&["snshare: could not open the page: ", &e].concat());
        }
    });
}

/// Readers of the answers' data, in the contract's serde shape (field names as declared,
/// enum values in snake_case, internally tagged `outcome` / `kind`).
/// `Request::new(body)` as serde's JSON-compatible serializer writes it (`{v, body: {type,
/// data}}`, `None` as `null`, enums by their `names!` name), for the variants the content script
/// sends; `tests/wasm_portal.rs` compares each with serde's own output.
pub mod encode {
    use js_sys::{Array, Object, Reflect};
    use wasm_bindgen::JsValue;

    use crate::domain::draft::{ComplianceFacts, TaskDraft};
    use crate::domain::settings::RecordRef;
    use crate::messages::{
        ExtensionPage, RecordTable, RequestBody, ShareRequest, SnapshotNeed, PROTOCOL_VERSION,
    };

    /// A JS object, filled field by field (keys are literals, made into JS strings once).
    pub struct Obj(Object);

    impl Default for Obj {
        fn default() -> Self {
            Self::new()
        }
    }

    impl Obj {
        pub fn new() -> Self {
            Obj(Object::new())
        }

        pub fn set(self, key: &'static str, value: &JsValue) -> Self {
            let _ = Reflect::set(&self.0, crate::dom::interned(key), value);
            self
        }

        pub fn str(self, key: &'static str, value: &str) -> Self {
            self.set(key, &JsValue::from_str(value))
        }

        pub fn opt(self, key: &'static str, value: Option<&str>) -> Self {
            self.set(key, &value.map_or(JsValue::NULL, JsValue::from_str))
        }

        pub fn done(self) -> JsValue {
            self.0.into()
        }
    }

    fn record_ref(r: &RecordRef) -> JsValue {
        Obj::new()
            .str("sys_id", &r.sys_id)
            .str("name", &r.name)
            .done()
    }

    pub fn draft(d: &TaskDraft) -> JsValue {
        let obj = Obj::new()
            .str("kind", d.kind.as_str())
            .str("name", &d.name)
            .str("description", &d.description)
            .str("priority", d.priority.as_str())
            .str("due_date", &d.due_date)
            .str("user_id", &d.user_id)
            .str("source", d.source.as_str())
            .opt("category", d.category.map(|c| c.as_str()))
            .opt("status", d.status.map(|s| s.as_str()))
            .opt("action_id", d.action_id.as_deref())
            .opt("action_url", d.action_url.as_deref())
            .set(
                "assignment_group",
                &d.assignment_group
                    .as_ref()
                    .map_or(JsValue::NULL, record_ref),
            );
        // Absent, not null, for Secure Score's drafts (serde's `skip_serializing_if`).
        match &d.compliance {
            Some(c) => obj.set("compliance", &compliance(c)).done(),
            None => obj.done(),
        }
    }

    pub fn compliance(c: &ComplianceFacts) -> JsValue {
        Obj::new()
            .str("assessments", &c.assessments)
            .str("regulations", &c.regulations)
            .str("control_family", &c.control_family)
            .str("points", &c.points)
            .str("implementation_status", &c.implementation_status)
            .str("test_status", &c.test_status)
            .done()
    }

    fn share(r: &ShareRequest) -> JsValue {
        one_share(&r.share_id, &r.draft, r.allow_duplicate)
    }

    /// A share, alone (`ShareRequest`) or in a bulk (`BulkItem`): the same three fields.
    fn one_share(share_id: &str, d: &TaskDraft, allow_duplicate: bool) -> JsValue {
        Obj::new()
            .str("share_id", share_id)
            .set("draft", &draft(d))
            .set("allow_duplicate", &JsValue::from_bool(allow_duplicate))
            .done()
    }

    fn strings(list: &[String]) -> JsValue {
        list.iter()
            .map(|s| JsValue::from_str(s))
            .collect::<Array>()
            .into()
    }

    /// `{type}` or `{type, data}`, as serde tags `RequestBody` (`tag = "type", content = "data"`).
    fn body(kind: &'static str, data: Option<JsValue>) -> JsValue {
        let b = Obj::new().str("type", kind);
        match data {
            Some(d) => b.set("data", &d),
            None => b,
        }
        .done()
    }

    fn one(key: &'static str, value: &str) -> Option<JsValue> {
        Some(Obj::new().str(key, value).done())
    }

    /// `{v, body}`: the message the worker reads.
    pub(super) fn message(body: &JsValue) -> JsValue {
        Obj::new()
            .set("v", &JsValue::from(PROTOCOL_VERSION))
            .set("body", body)
            .done()
    }

    // One encoder per request body, each tag spelled once: the request functions above call
    // them, and `body_of` (checked against serde's output by tests/wasm_portal.rs) too.

    pub(super) fn ping() -> JsValue {
        body("ping", None)
    }

    pub(super) fn get_status() -> JsValue {
        body("get_status", None)
    }

    pub(super) fn get_settings() -> JsValue {
        body("get_settings", None)
    }

    pub(super) fn share_request(r: &ShareRequest) -> JsValue {
        body("share", Some(share(r)))
    }

    pub(super) fn find_open_tickets(action_id: &str) -> JsValue {
        body("find_open_tickets", one("action_id", action_id))
    }

    pub(super) fn get_draft(key: &str) -> JsValue {
        body("get_draft", one("key", key))
    }

    pub(super) fn delete_draft(key: &str) -> JsValue {
        body("delete_draft", one("key", key))
    }

    pub(super) fn open_page(page: ExtensionPage) -> JsValue {
        body("open_page", one("page", page.as_str()))
    }

    pub(super) fn get_portal_context(tenant: &str) -> JsValue {
        body("get_portal_context", one("tenant", tenant))
    }

    pub(super) fn get_tickets(force_refresh: bool, need: SnapshotNeed) -> JsValue {
        body(
            "get_tickets",
            Some(
                Obj::new()
                    .set("force_refresh", &JsValue::from_bool(force_refresh))
                    .str("need", need.as_str())
                    .done(),
            ),
        )
    }

    pub(super) fn save_draft(key: &str, d: &TaskDraft) -> JsValue {
        body(
            "save_draft",
            Some(Obj::new().str("key", key).set("draft", &draft(d)).done()),
        )
    }

    pub(super) fn search_records(table: RecordTable, text: &str) -> JsValue {
        body(
            "search_records",
            Some(
                Obj::new()
                    .str("table", table.as_str())
                    .str("text", text)
                    .done(),
            ),
        )
    }

    pub(super) fn learn_portal_context(
        tenant: &str,
        titles: &[(String, String)],
        upn: Option<&str>,
    ) -> JsValue {
        let pairs: Array = titles
            .iter()
            .map(|(title, id)| Array::of2(&title.into(), &id.into()))
            .collect();
        body(
            "learn_portal_context",
            Some(
                Obj::new()
                    .str("tenant", tenant)
                    .set("titles", &pairs)
                    .opt("upn", upn)
                    .done(),
            ),
        )
    }

    pub(super) fn find_open_tickets_bulk(action_ids: &[String]) -> JsValue {
        body(
            "find_open_tickets_bulk",
            Some(Obj::new().set("action_ids", &strings(action_ids)).done()),
        )
    }

    /// The message for `body`; a variant only extension pages send is refused. The in-page
    /// requests themselves go through their own encoders (see [`super::ask`]).
    pub fn request(body: &RequestBody) -> Result<JsValue, String> {
        body_of(body).map(|b| message(&b))
    }

    /// `body` as `{type, data}`.
    pub(super) fn body_of(b: &RequestBody) -> Result<JsValue, String> {
        use RequestBody as B;
        Ok(match b {
            B::Ping => ping(),
            B::GetStatus => get_status(),
            B::GetSettings => get_settings(),
            B::Share(r) => share_request(r),
            B::FindOpenTickets { action_id } => find_open_tickets(action_id),
            B::GetTickets {
                force_refresh,
                need,
            } => get_tickets(*force_refresh, *need),
            B::GetDraft { key } => get_draft(key),
            B::SaveDraft { key, draft } => save_draft(key, draft),
            B::DeleteDraft { key } => delete_draft(key),
            B::OpenPage { page } => open_page(*page),
            B::SearchRecords { table, text } => search_records(*table, text),
            B::GetPortalContext { tenant } => get_portal_context(tenant),
            B::LearnPortalContext {
                tenant,
                titles,
                upn,
            } => learn_portal_context(tenant, titles, upn.as_deref()),
            B::FindOpenTicketsBulk { action_ids } => find_open_tickets_bulk(action_ids),
            B::ShareBulk(r) => {
                let items: Array = r
                    .items
                    .iter()
                    .map(|i| one_share(&i.share_id, &i.draft, i.allow_duplicate))
                    .collect();
                body(
                    "share_bulk",
                    Some(
                        Obj::new()
                            .str("bulk_id", &r.bulk_id)
                            .set("items", &items)
                            .done(),
                    ),
                )
            }
            B::GetBulk { bulk_id } => body("get_bulk", one("bulk_id", bulk_id)),
            B::RetryBulk { bulk_id } => body("retry_bulk", one("bulk_id", bulk_id)),
            _ => return Err("not a request of the content script".to_owned()),
        })
    }
}

pub mod decode {
    use wasm_bindgen::JsValue;

    use crate::domain::action_status::ActionStatus;
    use crate::domain::connection::ConnectionState;
    use crate::domain::diagnosis::Diagnosis;
    use crate::domain::draft::{FieldError, TaskDraft};
    use crate::domain::settings::{RecordRef, TicketDefaults};
    use crate::domain::ticket::{Priority, TicketKind, TicketSummary};
    use crate::messages::{
        BulkItemState, BulkItemView, BulkView, CreateApi, ShareOutcome, StateCount, TicketSnapshot,
    };

    /// What the task form takes from the settings.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct FormSettings {
        pub defaults: TicketDefaults,
        pub fallback_user_id: Option<String>,
        pub assignment_group: Option<RecordRef>,
    }

    /// A `RecordRef` (`null`/absent: none).
    pub fn record_ref(v: &JsValue) -> R<Option<RecordRef>> {
        if !v.is_object() {
            return Ok(None);
        }
        Ok(Some(RecordRef {
            sys_id: req(v, "sys_id")?,
            name: string(v, "name").unwrap_or_default(),
        }))
    }

    /// `ResponseBody::Records`.
    pub fn records(data: &JsValue) -> R<Vec<RecordRef>> {
        let items = js_sys::Array::from(data);
        if !js_sys::Array::is_array(data) {
            return Err("not a list".into());
        }
        items
            .iter()
            .filter_map(|v| record_ref(&v).transpose())
            .collect()
    }

    type R<T> = Result<T, String>;

    /// A field (field names are literals, made into JS strings once: a snapshot of 1000
    /// tickets reads 13 000 of them).
    pub fn get(obj: &JsValue, key: &'static str) -> JsValue {
        if !obj.is_object() {
            return JsValue::UNDEFINED;
        }
        js_sys::Reflect::get(obj, crate::dom::interned(key)).unwrap_or(JsValue::UNDEFINED)
    }

    /// An optional string field (absent or null: `None`).
    pub fn string(obj: &JsValue, key: &'static str) -> Option<String> {
        get(obj, key).as_string()
    }

    #[wasm_bindgen::prelude::wasm_bindgen]
    extern "C" {
        /// The browser's `TextEncoder`, given a JS string as it is (web-sys's binding takes a
        /// Rust `&str`).
        #[wasm_bindgen(js_name = TextEncoder)]
        type Utf8Encoder;
        #[wasm_bindgen(constructor, js_class = "TextEncoder")]
        fn new() -> Utf8Encoder;
        #[wasm_bindgen(method, js_class = "TextEncoder")]
        fn encode(this: &Utf8Encoder, input: &JsValue) -> js_sys::Uint8Array;
    }

    /// A long string field (the badges' packed tickets, tens of KB), encoded by the browser and
    /// copied into wasm memory at once: wasm-bindgen's own string passing copies an ASCII text
    /// one character at a time in JavaScript (38 KB took 1.5 ms on the bench's machine).
    pub fn long_string(obj: &JsValue, key: &'static str) -> Option<String> {
        let v = get(obj, key);
        if !v.is_string() {
            return None;
        }
        String::from_utf8(Utf8Encoder::new().encode(&v).to_vec()).ok()
    }

    fn req(obj: &JsValue, key: &'static str) -> R<String> {
        string(obj, key).ok_or_else(|| missing(key))
    }

    fn boolean(obj: &JsValue, key: &'static str) -> R<bool> {
        get(obj, key).as_bool().ok_or_else(|| missing(key))
    }

    fn number(obj: &JsValue, key: &'static str) -> Option<f64> {
        get(obj, key)
            .as_f64()
            .filter(|n| n.is_finite() && *n >= 0.0)
    }

    fn list(obj: &JsValue, key: &'static str) -> R<Vec<JsValue>> {
        let v = get(obj, key);
        if js_sys::Array::is_array(&v) {
            Ok(js_sys::Array::from(&v).iter().collect())
        } else {
            Err([key, " is not a list"].concat())
        }
    }

    /// "`key` missing": what every decoder says of an absent field (no formatting machinery
    /// in the content script for its error texts).
    fn missing(key: &str) -> String {
        [key, " missing"].concat()
    }

    fn each<T>(v: &JsValue, read: fn(&JsValue) -> R<T>) -> R<Vec<T>> {
        if !js_sys::Array::is_array(v) {
            return Err("not a list".into());
        }
        js_sys::Array::from(v).iter().map(|x| read(&x)).collect()
    }

    /// A named value (`Enum::as_str`'s name, read back with its `FromStr`).
    fn enum_of<T: std::str::FromStr>(value: Option<String>, what: &str) -> R<T> {
        let v = value.ok_or_else(|| missing(what))?;
        v.parse().map_err(|_| ["unknown ", what, " ", &v].concat())
    }

    pub fn kind(v: Option<String>) -> R<TicketKind> {
        enum_of(v, "kind")
    }

    pub fn priority(v: Option<String>) -> R<Priority> {
        enum_of(v, "priority")
    }

    /// `ResponseBody::Status` → its state.
    pub fn status_state(data: &JsValue) -> R<ConnectionState> {
        enum_of(string(data, "state"), "state")
    }

    /// `ResponseBody::Settings` → the ticket defaults and the fallback user ID.
    pub fn form_settings(data: &JsValue) -> R<FormSettings> {
        let d = get(data, "defaults");
        let defaults = TicketDefaults {
            kind: kind(string(&d, "kind"))?,
            priority: priority(string(&d, "priority"))?,
            due_in_days: number(&d, "due_in_days")
                .map(|n| n.min(3650.0) as u32)
                .ok_or("due_in_days missing")?,
        };
        Ok(FormSettings {
            defaults,
            fallback_user_id: string(data, "fallback_user_id"),
            assignment_group: record_ref(&get(&get(data, "mapping"), "assignment_group"))?,
        })
    }

    /// A draft's Compliance Manager facts (absent, or not an object: none).
    pub fn compliance_facts(v: &JsValue) -> Option<crate::domain::draft::ComplianceFacts> {
        if !v.is_object() {
            return None;
        }
        let s = |k: &'static str| string(v, k).unwrap_or_default();
        Some(crate::domain::draft::ComplianceFacts {
            assessments: s("assessments"),
            regulations: s("regulations"),
            control_family: s("control_family"),
            points: s("points"),
            implementation_status: s("implementation_status"),
            test_status: s("test_status"),
        })
    }

    pub fn draft(v: &JsValue) -> R<TaskDraft> {
        Ok(TaskDraft {
            kind: kind(string(v, "kind"))?,
            name: req(v, "name")?,
            description: req(v, "description")?,
            priority: priority(string(v, "priority"))?,
            due_date: req(v, "due_date")?,
            user_id: req(v, "user_id")?,
            source: enum_of(string(v, "source"), "source")?,
            category: match string(v, "category") {
                None => None,
                Some(c) => Some(enum_of(Some(c), "category")?),
            },
            // Drafts saved before the status was read have none; an unknown one is dropped.
            status: string(v, "status").and_then(|s| s.parse::<ActionStatus>().ok()),
            action_id: string(v, "action_id"),
            action_url: string(v, "action_url"),
            assignment_group: record_ref(&get(v, "assignment_group"))?,
            compliance: compliance_facts(&get(v, "compliance")).map(Box::new),
        })
    }

    /// `ResponseBody::Draft`.
    pub fn optional_draft(data: &JsValue) -> R<Option<TaskDraft>> {
        if data.is_null() || data.is_undefined() {
            Ok(None)
        } else {
            draft(data).map(Some)
        }
    }

    pub fn ticket(v: &JsValue) -> R<TicketSummary> {
        Ok(TicketSummary {
            kind: kind(string(v, "kind"))?,
            sys_id: req(v, "sys_id")?,
            number: req(v, "number")?,
            short_description: req(v, "short_description")?,
            state: req(v, "state")?,
            state_label: req(v, "state_label")?,
            open: boolean(v, "open")?,
            priority: match string(v, "priority") {
                None => None,
                Some(p) => Some(priority(Some(p))?),
            },
            assigned_to: string(v, "assigned_to"),
            updated_on: req(v, "updated_on")?,
            correlation_id: req(v, "correlation_id")?,
            action_id: string(v, "action_id"),
            link: req(v, "link")?,
        })
    }

    /// `ResponseBody::Tickets`.
    pub fn tickets(data: &JsValue) -> R<Vec<TicketSummary>> {
        each(data, ticket)
    }

    fn state_count(v: &JsValue) -> R<StateCount> {
        Ok(StateCount {
            kind: kind(string(v, "kind"))?,
            state: req(v, "state")?,
            label: req(v, "label")?,
            count: number(v, "count")
                .map(|n| n as u32)
                .ok_or("count missing")?,
        })
    }

    /// `ResponseBody::Snapshot` decoded in full: [`raw_snapshot`] and each of its tickets.
    pub fn snapshot(data: &JsValue) -> R<TicketSnapshot> {
        let raw = raw_snapshot(data)?;
        Ok(TicketSnapshot {
            fetched_at: number(data, "fetched_at").map(|n| n as u64),
            tickets: raw.tickets.iter().map(ticket).collect::<R<_>>()?,
            counts: raw.counts,
            queued_action_ids: raw.queued_action_ids,
            refreshing: raw.refreshing,
            shown: raw.shown,
        })
    }

    /// `ResponseBody::Snapshot` with its tickets left as JS objects, decoded with [`ticket`]
    /// when a card shows them; the badges read `shown`.
    #[derive(Default)]
    pub struct RawSnapshot {
        pub tickets: Vec<JsValue>,
        pub counts: Vec<StateCount>,
        pub queued_action_ids: Vec<String>,
        pub refreshing: bool,
        /// When the worker's cache was read from the instance (unix ms; none before the first).
        pub fetched_at: Option<f64>,
        /// Each action's shown ticket and count, packed (`ticket::pack_shown`; read with
        /// `ticket::unpack_shown`); empty when the answer has none.
        pub shown: String,
    }

    pub fn raw_snapshot(data: &JsValue) -> R<RawSnapshot> {
        Ok(RawSnapshot {
            tickets: list(data, "tickets")?,
            counts: list(data, "counts")?
                .iter()
                .map(state_count)
                .collect::<R<_>>()?,
            queued_action_ids: list(data, "queued_action_ids")?
                .iter()
                .filter_map(|v| v.as_string())
                .collect(),
            refreshing: get(data, "refreshing").as_bool().unwrap_or(false),
            fetched_at: number(data, "fetched_at"),
            shown: long_string(data, "shown").unwrap_or_default(),
        })
    }

    /// A `Diagnosis` (tagged by `kind`); one snshare does not know reads as `Unexpected`.
    /// `PortalContext { titles: [[title, id]…], upn }`; malformed pairs are skipped.
    /// Learned (normalized title, action id) pairs and the remembered UPN.
    pub type PortalContext = (Vec<(String, String)>, Option<String>);

    pub fn portal_context(data: &JsValue) -> R<PortalContext> {
        let pairs = list(data, "titles")?
            .into_iter()
            .filter_map(|p| {
                let p = js_sys::Array::from(&p);
                Some((p.get(0).as_string()?, p.get(1).as_string()?))
            })
            .collect();
        Ok((pairs, string(data, "upn")))
    }

    pub fn diagnosis(v: &JsValue) -> Diagnosis {
        let kind = string(v, "kind").unwrap_or_default();
        let text = |k: &'static str| string(v, k).unwrap_or_default();
        match Diagnosis::with_name(&kind) {
            Some(Diagnosis::PersonalAccount { .. }) => Diagnosis::PersonalAccount {
                user_name: text("user_name"),
            },
            Some(Diagnosis::MissingRoles { .. }) => Diagnosis::MissingRoles {
                table: text("table"),
            },
            Some(Diagnosis::RateLimited { .. }) => Diagnosis::RateLimited {
                retry_after_secs: number(v, "retry_after_secs").unwrap_or(0.0) as u64,
            },
            Some(Diagnosis::RecordRejected { .. }) => Diagnosis::RecordRejected {
                message: text("message"),
            },
            Some(Diagnosis::ServerError { .. }) => Diagnosis::ServerError {
                status: number(v, "status").unwrap_or(0.0).min(999.0) as u16,
            },
            Some(Diagnosis::Unexpected { .. }) => Diagnosis::Unexpected {
                message: text("message"),
            },
            Some(unit) => unit,
            None => Diagnosis::Unexpected { message: kind },
        }
    }

    fn field_error(v: &JsValue) -> R<FieldError> {
        Ok(FieldError {
            field: enum_of(string(v, "field"), "field")?,
            message_key: req(v, "message_key")?,
        })
    }

    /// `ResponseBody::Share`.
    /// A bulk's progress (`ResponseBody::Bulk`).
    pub fn bulk_view(data: &JsValue) -> R<BulkView> {
        let items = list(data, "items")?
            .iter()
            .map(|i| {
                let state = match string(i, "state").as_deref() {
                    Some("queued") => BulkItemState::Queued,
                    Some("sending") => BulkItemState::Sending,
                    Some("created") => BulkItemState::Created {
                        ticket: Box::new(ticket(&get(i, "ticket"))?),
                    },
                    Some("skipped") => BulkItemState::Skipped {
                        existing: list(i, "existing")?.iter().map(ticket).collect::<R<_>>()?,
                    },
                    Some("invalid") => BulkItemState::Invalid {
                        errors: list(i, "errors")?
                            .iter()
                            .map(field_error)
                            .collect::<R<_>>()?,
                    },
                    Some("failed") => BulkItemState::Failed {
                        diagnosis: diagnosis(&get(i, "diagnosis")),
                    },
                    other => return Err(["unknown state ", other.unwrap_or("(none)")].concat()),
                };
                Ok(BulkItemView {
                    share_id: req(i, "share_id")?,
                    action_id: string(i, "action_id"),
                    name: string(i, "name").unwrap_or_default(),
                    state,
                })
            })
            .collect::<R<_>>()?;
        Ok(BulkView {
            bulk_id: req(data, "bulk_id")?,
            items,
        })
    }

    pub fn share_outcome(data: &JsValue) -> R<ShareOutcome> {
        let share_id = || string(data, "share_id").unwrap_or_default();
        match string(data, "outcome").as_deref() {
            Some("created") => Ok(ShareOutcome::Created {
                ticket: ticket(&get(data, "ticket"))?,
                api: string(data, "api")
                    .and_then(|a| a.parse().ok())
                    .unwrap_or(CreateApi::TableApi),
            }),
            Some("queued") => Ok(ShareOutcome::Queued {
                share_id: share_id(),
                reason: diagnosis(&get(data, "reason")),
            }),
            Some("failed") => Ok(ShareOutcome::Failed {
                share_id: share_id(),
                diagnosis: diagnosis(&get(data, "diagnosis")),
            }),
            Some("invalid") => Ok(ShareOutcome::Invalid {
                errors: list(data, "errors")?
                    .iter()
                    .map(field_error)
                    .collect::<R<_>>()?,
            }),
            Some("duplicate") => Ok(ShareOutcome::Duplicate {
                existing: list(data, "existing")?
                    .iter()
                    .map(ticket)
                    .collect::<R<_>>()?,
            }),
            Some("not_connected") => Ok(ShareOutcome::NotConnected),
            other => Err(["unknown outcome ", other.unwrap_or("(none)")].concat()),
        }
    }
}
