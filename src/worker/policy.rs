//! The administrator's policy (`chrome.storage.managed`, see managed_schema.json), read without
//! making a surface wait for the browser's policy service.
//!
//! After each start of the browser, Chromium answers `storage.managed.get` only once its policy
//! service is up: 2–7 s after the start here (`chromium` 156, a fresh or an existing profile),
//! 3–8 s reported by other extensions, never at all in some Edge betas. Every surface reads the
//! settings through the policy, so the popup, the first options page after install, a share
//! and a restored portal tab's badges all waited that long. Now:
//! - a read of the settings waits `SHOWN_WAIT_MS` for the live policy, then goes by the policy
//!   last seen (`store::POLICY_SEEN`, in `storage.local`, which only the extension's own pages
//!   and worker can read; no policy before the first live read);
//! - the live read still lands: when it differs from the copy, the copy is rewritten (the
//!   pages listening to storage draw again), and the next read is live;
//! - until it has landed, the next reads go by the copy at once: a browser that did not answer
//!   one read in time is not waited for again (each Send was 50 ms slower until the service
//!   came up, and for ever where it never does; issue 17).
//!
//! When the service comes up does not depend on when it is first asked (a read made as the
//! worker started was answered no sooner), so nothing asks before a surface needs the settings.
//!
//! A share made in those first seconds goes by the policy last seen. It cannot reach an
//! instance the user was not connected to: each outbox entry is bound to its instance, and the
//! tokens to theirs.
//!
//! Once the service is up, a live read answers within a millisecond, so each read is live.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use crate::domain::instance::InstanceUrl;
use crate::domain::settings::Settings;
use crate::domain::ticket::{Priority, TicketKind};
use crate::platform::fetch::timer;
use crate::platform::storage::{self, Area};
use crate::platform::{chrome, from_js};

use super::store;

/// How long a read of the settings waits for the live policy before taking the copy.
pub const SHOWN_WAIT_MS: u32 = 50;

thread_local! {
    /// The copy was compared with a live read in this worker's life.
    static COPY_CHECKED: Cell<bool> = const { Cell::new(false) };
    /// A live read the browser did not answer within `SHOWN_WAIT_MS` is still on its way: its
    /// policy service is not up (yet, or in some browsers ever).
    static UNANSWERED: Cell<bool> = const { Cell::new(false) };
}

/// Values an administrator pushes by policy (`storage.managed`, see managed_schema.json).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Managed {
    #[serde(skip_serializing_if = "Option::is_none")]
    instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_kind: Option<TicketKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_priority: Option<Priority>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_in_days: Option<u32>,
}

impl Managed {
    pub fn locked(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut lock = |set: bool, name: &str| {
            if set {
                out.push(name.to_string());
            }
        };
        lock(self.instance.is_some(), "instance");
        lock(self.client_id.is_some(), "client_id");
        lock(self.default_kind.is_some(), "default_kind");
        lock(self.default_priority.is_some(), "default_priority");
        lock(self.due_in_days.is_some(), "due_in_days");
        out
    }

    pub(crate) fn apply(&self, s: &mut Settings) {
        if let Some(i) = &self.instance {
            s.instance = InstanceUrl::parse(i).ok().map(|u| u.origin());
        }
        if let Some(c) = &self.client_id {
            s.client_id = Some(c.trim().to_string());
        }
        if let Some(k) = self.default_kind {
            s.defaults.kind = k;
        }
        if let Some(p) = self.default_priority {
            s.defaults.priority = p;
        }
        if let Some(d) = self.due_in_days {
            s.defaults.due_in_days = d.clamp(1, 365);
        }
    }
}

/// The policy in force: the live one if the browser answers within `SHOWN_WAIT_MS`, else the
/// one last seen (the live read then updates the copy when it lands).
pub async fn managed() -> Managed {
    // The browser has not answered the last live read: it would not answer this one in time
    // either. The copy at once, not after another wait (each Send and each page would wait
    // SHOWN_WAIT_MS until the service is up, or for ever where it never comes up).
    if UNANSWERED.with(Cell::get) {
        return seen().await;
    }
    // A browser without the area (no managed schema support) throws: no policy.
    let Ok(live) = chrome::storage_managed_get(&JsValue::NULL) else {
        return Managed::default();
    };
    let race = js_sys::Promise::race(&js_sys::Array::of2(&live, &timer(SHOWN_WAIT_MS)));
    match JsFuture::from(race).await {
        // The timer won: the live read is still on its way.
        Ok(v) if v.is_undefined() => {
            UNANSWERED.with(|u| u.set(true));
            wasm_bindgen_futures::spawn_local(land(live));
            seen().await
        }
        Ok(items) => landed(items),
        // Firefox without a managed storage manifest rejects: no policy.
        Err(_) => Managed::default(),
    }
}

/// Waits for a live read, however long the browser takes, and takes its answer in.
async fn land(live: js_sys::Promise) {
    let answer = JsFuture::from(live).await;
    // Answered (or refused): the next read asks again.
    UNANSWERED.with(|u| u.set(false));
    if let Ok(items) = answer {
        landed(items);
    }
}

/// Forgets that the copy was compared with a live read: as a restarted worker (the tests).
#[cfg(feature = "test-seams")]
pub fn forget_live_reads() {
    COPY_CHECKED.with(|c| c.set(false));
    UNANSWERED.with(|u| u.set(false));
}

/// A live read's answer: the policy in force, kept as the copy when it changed.
fn landed(items: JsValue) -> Managed {
    let policy: Managed = from_js(items).unwrap_or_default();
    if !COPY_CHECKED.with(|c| c.replace(true)) {
        let live = policy.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if seen().await != live {
                let written = if live == Managed::default() {
                    storage::remove(Area::Local, &[store::POLICY_SEEN]).await
                } else {
                    storage::set(Area::Local, store::POLICY_SEEN, &live).await
                };
                if let Err(e) = written {
                    crate::platform::log(&format!("snshare: {e}"));
                }
            }
        });
    }
    policy
}

/// The policy as last seen by a live read (none before the first).
async fn seen() -> Managed {
    storage::get::<Managed>(Area::Local, store::POLICY_SEEN)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}
