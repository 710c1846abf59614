//! Drafts of the task form, per action ("new" for a card's Create ticket), so that closing the
//! form, a reload or a failure never loses what the user typed.

use crate::domain::draft::TaskDraft;
use crate::platform::storage::{self, Area};

use super::store::DRAFT_PREFIX;

fn key(k: &str) -> String {
    let clean: String = k
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(100)
        .collect();
    format!("{DRAFT_PREFIX}{clean}")
}

pub async fn get(k: &str) -> Option<TaskDraft> {
    storage::get(Area::Local, &key(k)).await.ok().flatten()
}

pub async fn save(k: &str, draft: &TaskDraft) {
    let _ = storage::set(Area::Local, &key(k), draft).await;
}

pub async fn delete(k: &str) {
    let _ = storage::remove(Area::Local, &[&key(k)]).await;
}
