//! What the content script hands the forms module when a form is asked for (through
//! `extension/content.js`, which loads that module on first need): a plain JS object, written
//! and read field by field like the worker's messages (`wire`), so neither wasm carries a
//! serializer for it. Everything the form needs from the content script's context travels here:
//! the action(s), the page's language and theme, the signed-in account, and the opener (by the
//! token it carries in [`OPENER_ATTR`], for focus to go back to it). [`BulkFormRequest`] opens
//! the bulk form, [`TaskFormRequest`] the task form.

use wasm_bindgen::JsValue;

use crate::domain::action_status::ActionStatus;
use crate::domain::draft::ComplianceFacts;
use crate::domain::ticket::{Category, TicketKind};
use crate::present::{action_link, description_from_row};
use crate::wire::decode::{compliance_facts, get, string};
use crate::wire::encode::{compliance, Obj};

/// On the control that opened a form: the token the request names it by.
pub const OPENER_ATTR: &str = "data-snshare-opener";

/// A selected action, as its row showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub key: String,
    pub title: String,
    pub category: Option<Category>,
    pub status: Option<ActionStatus>,
}

/// The bulk form's request: the selected actions and the page's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkFormRequest {
    pub picked: Vec<Picked>,
    /// The signed-in UPN the page showed (else the options' fallback user ID applies).
    pub user_id: Option<String>,
    /// The page's `<html lang>`: the form speaks it when snshare has its catalogue.
    pub page_lang: String,
    /// `light` or `dark`, as the content script read the portal's.
    pub theme: String,
    /// The opener's [`OPENER_ATTR`] value.
    pub opener: String,
}

pub fn encode_bulk(r: &BulkFormRequest) -> JsValue {
    let picked = js_sys::Array::new();
    for p in &r.picked {
        picked.push(
            &Obj::new()
                .str("key", &p.key)
                .str("title", &p.title)
                .opt("category", p.category.map(|c| c.as_str()))
                .opt("status", p.status.map(|s| s.as_str()))
                .done(),
        );
    }
    Obj::new()
        .set("picked", &picked)
        .opt("user_id", r.user_id.as_deref())
        .str("page_lang", &r.page_lang)
        .str("theme", &r.theme)
        .str("opener", &r.opener)
        .done()
}

/// The request back (a missing or malformed field: `Err`, and no form opens). An unknown
/// category or status is dropped, as a saved draft's is.
pub fn decode_bulk(v: &JsValue) -> Result<BulkFormRequest, String> {
    let list = get(v, "picked");
    if !js_sys::Array::is_array(&list) {
        return Err("picked is not a list".into());
    }
    let picked = js_sys::Array::from(&list)
        .iter()
        .map(|p| {
            Ok(Picked {
                key: string(&p, "key").ok_or("key missing")?,
                title: string(&p, "title").ok_or("title missing")?,
                category: string(&p, "category").and_then(|c| c.parse().ok()),
                status: string(&p, "status").and_then(|s| s.parse().ok()),
            })
        })
        .collect::<Result<Vec<_>, &str>>()?;
    Ok(BulkFormRequest {
        picked,
        user_id: string(v, "user_id"),
        page_lang: string(v, "page_lang").unwrap_or_default(),
        theme: string(v, "theme").unwrap_or_else(|| "light".into()),
        opener: string(v, "opener").unwrap_or_default(),
    })
}

/// The improvement action a task form is about, as read from the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionContext {
    pub id: String,
    pub title: String,
    pub category: Option<Category>,
    /// The action's status in Secure Score, as the API names it (the page's language aside).
    pub status: Option<ActionStatus>,
    /// The description to prefill (plain text, ends with the link to the action).
    pub description: String,
    /// What Compliance Manager shows of the action (its id is `cm:<id>`).
    pub compliance: Option<ComplianceFacts>,
}

impl ActionContext {
    /// From a row of the list: title, category and status only.
    pub fn from_row(
        id: &str,
        title: &str,
        category: Option<Category>,
        status: Option<ActionStatus>,
    ) -> Self {
        ActionContext {
            id: id.to_owned(),
            title: title.to_owned(),
            category,
            status,
            description: description_from_row(title, &action_link(id)),
            compliance: None,
        }
    }
}

/// The task form's request: the action (none for a card's "Create ticket") and the page's
/// context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFormRequest {
    pub action: Option<ActionContext>,
    /// Preselected ticket type (a card's own kind); else the options' default.
    pub kind: Option<TicketKind>,
    /// The signed-in UPN the page showed, or the one remembered for the tenant.
    pub user_id: Option<String>,
    /// The action's title key in the page's namespace: its open tickets are looked up under it
    /// too (tickets made before the action's id was known carry it).
    pub title_key: Option<String>,
    /// The page's `<html lang>`.
    pub page_lang: String,
    /// `light` or `dark`.
    pub theme: String,
    /// The opener's [`OPENER_ATTR`] value.
    pub opener: String,
    /// Issue 18: the page's name for the "Planned" status when the open panel offers it for
    /// this action (else no "Set status to Planned" once the ticket is created).
    pub planned_offer: Option<String>,
}

pub fn encode_task(r: &TaskFormRequest) -> JsValue {
    let action = r.action.as_ref().map_or(JsValue::NULL, |a| {
        let obj = Obj::new()
            .str("id", &a.id)
            .str("title", &a.title)
            .opt("category", a.category.map(|c| c.as_str()))
            .opt("status", a.status.map(|s| s.as_str()))
            .str("description", &a.description);
        match &a.compliance {
            Some(c) => obj.set("compliance", &compliance(c)).done(),
            None => obj.done(),
        }
    });
    Obj::new()
        .set("action", &action)
        .opt("kind", r.kind.map(|k| k.as_str()))
        .opt("user_id", r.user_id.as_deref())
        .opt("title_key", r.title_key.as_deref())
        .str("page_lang", &r.page_lang)
        .str("theme", &r.theme)
        .str("opener", &r.opener)
        .opt("planned_offer", r.planned_offer.as_deref())
        .done()
}

/// The request back (`Err`: no form opens). An unknown category, status or kind is dropped.
pub fn decode_task(v: &JsValue) -> Result<TaskFormRequest, String> {
    if !v.is_object() {
        return Err("the request is not an object".into());
    }
    let a = get(v, "action");
    let action = if a.is_object() {
        Some(ActionContext {
            id: string(&a, "id").ok_or("id missing")?,
            title: string(&a, "title").ok_or("title missing")?,
            category: string(&a, "category").and_then(|c| c.parse().ok()),
            status: string(&a, "status").and_then(|s| s.parse().ok()),
            description: string(&a, "description").unwrap_or_default(),
            compliance: compliance_facts(&get(&a, "compliance")),
        })
    } else {
        None
    };
    Ok(TaskFormRequest {
        action,
        kind: string(v, "kind").and_then(|k| k.parse().ok()),
        user_id: string(v, "user_id"),
        title_key: string(v, "title_key"),
        page_lang: string(v, "page_lang").unwrap_or_default(),
        theme: string(v, "theme").unwrap_or_else(|| "light".into()),
        opener: string(v, "opener").unwrap_or_default(),
        planned_offer: string(v, "planned_offer"),
    })
}

/// The control a request names as its opener, while it is in the page (a token of letters
/// and digits, as the content script makes them: never a selector).
pub fn opener(token: &str) -> Option<web_sys::Element> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let doc = web_sys::window()?.document()?;
    doc.query_selector(&["[", OPENER_ATTR, "=\"", token, "\"]"].concat())
        .ok()
        .flatten()
}
