//! What the worker remembers about each portal tenant the content script saw: the title →
//! action id pairs learned from panels and linked rows, and the signed-in UPN once the account
//! control showed it. Kept in `chrome.storage.local` (content scripts cannot read it), one key
//! per tenant, bounded: at most
//! [`TITLE_MAP_MAX`](crate::domain::action_title::TITLE_MAP_MAX) titles per tenant.

use serde::{Deserialize, Serialize};

use crate::domain::action_title::TitleMap;
use crate::platform::storage::{self, Area};

use super::store::PORTAL_PREFIX;

/// One tenant's remembered context.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalContext {
    pub titles: TitleMap,
    pub upn: Option<String>,
}

/// The storage key of a tenant (the portal's origin and `tid`, as the content script names it).
fn key(tenant: &str) -> String {
    let clean: String = tenant
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '|'))
        .take(120)
        .collect();
    format!("{PORTAL_PREFIX}{clean}")
}

pub async fn get(tenant: &str) -> PortalContext {
    storage::get(Area::Local, &key(tenant))
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Adds what the content script learned; writes only when something changed.
pub async fn learn(tenant: &str, titles: &[(String, String)], upn: Option<String>) {
    let mut ctx = get(tenant).await;
    let mut changed = ctx
        .titles
        .learn_all(titles.iter().map(|(t, id)| (t.as_str(), id.as_str())));
    if let Some(upn) = upn.map(|u| u.trim().to_owned()).filter(|u| !u.is_empty()) {
        if ctx.upn.as_deref() != Some(upn.as_str()) {
            ctx.upn = Some(upn);
            changed = true;
        }
    }
    if changed {
        let _ = storage::set(Area::Local, &key(tenant), &ctx).await;
    }
}
