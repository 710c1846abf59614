//! What the content script hands the forms module when a form is asked for (through
//! `extension/content.js`, which loads that module on first need): a plain JS object, written
//! and read field by field like the worker's messages (`wire`), so neither wasm carries a
//! serializer for it. Everything the form needs from the content script's context travels here:
//! the actions, the page's language and theme, the signed-in account, and the opener (by the
//! token it carries in [`OPENER_ATTR`], for focus to go back to it).

use wasm_bindgen::JsValue;

use crate::domain::action_status::ActionStatus;
use crate::domain::ticket::Category;
use crate::wire::decode::{get, string};
use crate::wire::encode::Obj;

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

/// The control a request names as its opener, while it is in the page (a token of letters
/// and digits, as the content script makes them: never a selector).
pub fn opener(token: &str) -> Option<web_sys::Element> {
    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let doc = web_sys::window()?.document()?;
    doc.query_selector(&format!("[{OPENER_ATTR}=\"{token}\"]"))
        .ok()
        .flatten()
}
