//! Drafts of the task form, per action ("new" for a card's Create ticket), so that closing the
//! form, a reload or a failure never loses what the user typed.

use crate::domain::draft::{DraftIndex, TaskDraft, DRAFT_MAX_BYTES};
use crate::platform::now_ms;
use crate::platform::storage::{self, Area};

use super::store::DRAFT_PREFIX;

/// Which drafts exist, and when each was saved (`DraftIndex`).
const INDEX: &str = "drafts.index";

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

/// Saves a draft within the bounds (size, number, age): an oversized draft or a failed write is
/// an error the form can show, never a silent loss.
pub async fn save(k: &str, draft: &TaskDraft) -> Result<(), String> {
    let size = serde_json::to_string(draft).map_or(usize::MAX, |s| s.len());
    if size > DRAFT_MAX_BYTES {
        return Err(format!(
            "draft of {size} bytes is larger than {DRAFT_MAX_BYTES}"
        ));
    }
    let key = key(k);
    let mut index: DraftIndex = storage::get(Area::Local, INDEX)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let dropped = index.saved(&key, now_ms());
    let dropped: Vec<&str> = dropped.iter().map(String::as_str).collect();
    if !dropped.is_empty() {
        storage::remove(Area::Local, &dropped)
            .await
            .map_err(|e| e.to_string())?;
    }
    storage::set(Area::Local, INDEX, &index)
        .await
        .map_err(|e| e.to_string())?;
    storage::set(Area::Local, &key, draft)
        .await
        .map_err(|e| e.to_string())
}

pub async fn delete(k: &str) {
    let key = key(k);
    let _ = storage::remove(Area::Local, &[&key]).await;
    let mut index: DraftIndex = storage::get(Area::Local, INDEX)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    index.removed(&key);
    let _ = storage::set(Area::Local, INDEX, &index).await;
}
