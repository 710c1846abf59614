//! Where the worker keeps its state. Nothing lives only in memory: MV3 stops the worker at any
//! moment. `session` is wiped when the browser closes (access token); `local` survives
//! (settings, outbox, ticket cache, drafts, state-name renames); the secret store
//! (`platform::vault`, the extension origin's IndexedDB) holds the refresh token and the client
//! secret, out of every content script's reach.

use std::cell::{Cell, RefCell};
use std::future::Future;

use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::domain::connection::{ConnectedUser, ConnectionState};
use crate::domain::outbox::Outbox;
use crate::domain::settings::Settings;
use crate::domain::state_names::ChoiceLabel;
use crate::domain::ticket::{TicketKind, TicketSummary};
use crate::domain::token::{Secret, TokenSet};
use crate::messages::StateNameOverride;
use crate::platform::join;
use crate::platform::storage::{self, Area, StorageError};
use crate::platform::vault;

pub const SETTINGS: &str = "settings";
pub const CONNECTION: &str = "connection";
/// The refresh token's key in the secret store (and, before it, in `storage.local`).
pub const REFRESH_TOKEN: &str = "auth.refresh";
/// The client secret's key in the secret store.
pub const CLIENT_SECRET: &str = "client_secret";
pub const ACCESS_TOKEN: &str = "auth.access";
/// Where earlier versions kept the whole outbox, one list under one key (moved at the first
/// read to one key per entry, `OUTBOX_ENTRY_PREFIX`).
pub const OUTBOX: &str = "outbox";
pub const TICKETS: &str = "tickets.cache";
pub const STATE_NAMES: &str = "state_names";
pub const DRAFT_PREFIX: &str = "draft:";
/// Accounts seen signed in to the portal (the "same person" check of the connected user).
pub const PORTAL_ACCOUNTS: &str = "portal.accounts";
/// One key per portal tenant: learned action titles and the signed-in UPN.
pub const PORTAL_PREFIX: &str = "portal:";
/// The administrator's policy as last read live (see `policy`): what the settings go by while
/// the browser's policy service is not up yet after a start.
pub const POLICY_SEEN: &str = "policy.seen";
/// The PKCE verifier and state of an authorization in progress (session: never on disk).
pub const PENDING_AUTH: &str = "auth.pending";

/// What the worker knows about the connection besides tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionRecord {
    /// The instance origin the tokens belong to.
    pub instance: String,
    pub state: ConnectionState,
    pub user: Option<ConnectedUser>,
    pub last_success_at: Option<u64>,
    pub warnings: Vec<String>,
}

/// The instance's state labels and the user's renames, per instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StateNamesRecord {
    pub instance: String,
    pub incident: Vec<StoredChoice>,
    pub change_request: Vec<StoredChoice>,
    pub overrides: Vec<StateNameOverride>,
    pub fetched_at: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredChoice {
    pub value: String,
    pub label: String,
}

impl StateNamesRecord {
    pub fn labels(&self, kind: TicketKind) -> Vec<ChoiceLabel> {
        let list = match kind {
            TicketKind::Incident => &self.incident,
            TicketKind::ChangeRequest => &self.change_request,
        };
        list.iter()
            .map(|c| ChoiceLabel {
                value: c.value.clone(),
                label: c.label.clone(),
                sequence: None,
            })
            .collect()
    }

    pub fn set_labels(&mut self, kind: TicketKind, labels: &[ChoiceLabel]) {
        let stored = labels
            .iter()
            .map(|l| StoredChoice {
                value: l.value.clone(),
                label: l.label.clone(),
            })
            .collect();
        match kind {
            TicketKind::Incident => self.incident = stored,
            TicketKind::ChangeRequest => self.change_request = stored,
        }
    }
}

/// The ticket cache cards, badges and the popup render from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TicketCache {
    pub instance: String,
    pub fetched_at: Option<u64>,
    pub tickets: Vec<TicketSummary>,
    /// X-Total-Count per kind (incident, change_request).
    pub totals: Vec<(TicketKind, u32)>,
    /// Exact tickets per state, as the instance counted them (Aggregate API); a kind missing
    /// here is counted from the cached tickets.
    #[serde(default)]
    pub state_counts: Vec<(TicketKind, Vec<(String, u32)>)>,
}

pub async fn get<T: serde::de::DeserializeOwned>(
    area: Area,
    key: &str,
) -> Result<Option<T>, StorageError> {
    storage::get(area, key).await
}

pub async fn set<T: Serialize>(area: Area, key: &str, value: &T) -> Result<(), StorageError> {
    storage::set(area, key, value).await
}

/// The stored settings, without the client secret (`client_secret` below). A secret still in
/// `storage.local` (written by an earlier version) moves to the secret store first.
pub async fn settings() -> Settings {
    let mut settings: Settings = get(Area::Local, SETTINGS)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    if settings.client_secret.is_some() {
        // On failure the secret stays where it was and the next read tries again.
        let _ = save_settings(&settings).await;
    }
    settings.client_secret = None;
    settings
}

/// Stores the settings: the client secret in the secret store, bound to the instance and client
/// id it was entered for, the rest in `storage.local`. Both writes must succeed.
pub async fn save_settings(settings: &Settings) -> Result<(), StorageError> {
    let bound = settings
        .client_secret
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|secret| {
            serde_json::to_string(&BoundSecret {
                instance: settings.instance.clone(),
                client_id: settings.client_id.clone(),
                secret: secret.to_owned(),
            })
        })
        .transpose()
        .map_err(|e| StorageError::Encode {
            key: CLIENT_SECRET.into(),
            message: e.to_string(),
        })?;
    vault::write(&[(CLIENT_SECRET, bound.as_deref())]).await?;
    let mut public = settings.clone();
    public.client_secret = None;
    set(Area::Local, SETTINGS, &public).await
}

/// The client secret entered for this instance and client id; none for any other, so a secret
/// never goes to an instance or client it was not entered for (security review L1), even when
/// policy changes the instance underneath.
pub async fn client_secret(instance: Option<&str>, client_id: Option<&str>) -> Option<String> {
    stored_client_secret()
        .await?
        .for_client(instance, client_id)
}

/// The client secret as stored, with what it was entered for (read before the settings are
/// known, beside them; `BoundSecret::for_client` checks it).
pub async fn stored_client_secret() -> Option<BoundSecret> {
    let stored = vault::get(CLIENT_SECRET).await.ok().flatten()?;
    serde_json::from_str(&stored).ok()
}

impl BoundSecret {
    /// The secret, if it was entered for this instance and client id.
    pub fn for_client(self, instance: Option<&str>, client_id: Option<&str>) -> Option<String> {
        (self.instance.as_deref() == instance && self.client_id.as_deref() == client_id)
            .then_some(self.secret)
    }
}

/// The client secret with what it was entered for.
#[derive(Serialize, Deserialize)]
pub struct BoundSecret {
    instance: Option<String>,
    client_id: Option<String>,
    secret: String,
}

pub async fn connection() -> Option<ConnectionRecord> {
    get(Area::Local, CONNECTION).await.ok().flatten()
}

pub async fn save_connection(record: &ConnectionRecord) {
    note_connection_write();
    let _ = set(Area::Local, CONNECTION, record).await;
}

thread_local! {
    /// Changes of the connection record made by this worker (its only writer).
    static CONNECTION_WRITES: Cell<u64> = const { Cell::new(0) };
}

fn note_connection_write() {
    CONNECTION_WRITES.with(|w| w.set(w.get().wrapping_add(1)));
}

/// How many times this worker has changed the connection record: a copy read when this was
/// the same is still what storage holds.
pub fn connection_writes() -> u64 {
    CONNECTION_WRITES.with(Cell::get)
}

/// The refresh token: from the secret store; one still in `storage.local` (an earlier
/// version) moves there first.
async fn refresh_token() -> Option<Secret> {
    if let Ok(Some(legacy)) = get::<Secret>(Area::Local, REFRESH_TOKEN).await {
        if vault::write(&[(REFRESH_TOKEN, Some(legacy.expose()))])
            .await
            .is_ok()
        {
            let _ = storage::remove(Area::Local, &[REFRESH_TOKEN]).await;
        }
        return Some(legacy);
    }
    vault::get(REFRESH_TOKEN)
        .await
        .ok()
        .flatten()
        .filter(|t| !t.is_empty())
        .map(Secret::new)
}

/// The stored token set: access token from session storage, refresh token from the secret
/// store.
pub async fn tokens() -> Option<TokenSet> {
    let refresh = refresh_token().await;
    let access = access_token().await;
    match (access, refresh) {
        (Some(mut a), r) => {
            a.refresh_token = r.or(a.refresh_token);
            Some(a)
        }
        // Browser restarted: only the refresh token is left; an expired access token makes
        // the next call refresh first.
        (None, Some(r)) => Some(TokenSet {
            access_token: Secret::new(""),
            refresh_token: Some(r),
            expires_at_ms: 0,
            issued_at_ms: 0,
            scope: None,
        }),
        (None, None) => None,
    }
}

/// The access token alone (session storage), without the refresh token.
pub async fn access_token() -> Option<TokenSet> {
    get(Area::Session, ACCESS_TOKEN).await.ok().flatten()
}

pub async fn save_tokens(tokens: &TokenSet) -> Result<(), StorageError> {
    let mut access = tokens.clone();
    access.refresh_token = None;
    set(Area::Session, ACCESS_TOKEN, &access).await?;
    if let Some(r) = &tokens.refresh_token {
        vault::write(&[(REFRESH_TOKEN, Some(r.expose()))]).await?;
    }
    Ok(())
}

pub async fn forget_tokens() {
    let _ = storage::remove(Area::Session, &[ACCESS_TOKEN, PENDING_AUTH]).await;
    let _ = storage::remove(Area::Local, &[REFRESH_TOKEN]).await;
    let _ = vault::write(&[(REFRESH_TOKEN, None)]).await;
}

/// Deletes tokens and everything cached from the instance (not the settings, not the outbox:
/// queued shares stay visible so nothing typed is lost).
pub async fn forget_instance_data() {
    forget_tokens().await;
    note_connection_write();
    let _ = forget_tickets(&[CONNECTION, TICKETS, RECENT, STATE_NAMES]).await;
}

pub async fn portal_accounts() -> Vec<String> {
    get(Area::Local, PORTAL_ACCOUNTS)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Remembers a portal account (the UPN the portal's account control shows).
pub async fn note_portal_account(upn: &str) {
    let mut accounts = portal_accounts().await;
    if crate::domain::diagnosis::remember_portal_account(&mut accounts, upn) {
        let _ = set(Area::Local, PORTAL_ACCOUNTS, &accounts).await;
    }
}

/// What the instance offers beyond the Table API (`domain::capabilities`).
pub const INSTANCE_APIS: &str = "instance.apis";

pub async fn instance_apis(instance: &str) -> crate::domain::capabilities::InstanceApis {
    let stored: Option<crate::domain::capabilities::InstanceApis> =
        get(Area::Local, INSTANCE_APIS).await.ok().flatten();
    stored
        .filter(|a| a.instance == instance)
        .unwrap_or_else(|| crate::domain::capabilities::InstanceApis::for_instance(instance))
}

/// Records what an answer taught about an API of the instance.
pub async fn learn_api(instance: &str, api: crate::domain::capabilities::Api, available: bool) {
    let mut apis = instance_apis(instance).await;
    if apis.learn(api, available, crate::platform::now_ms()) {
        let _ = set(Area::Local, INSTANCE_APIS, &apis).await;
    }
}

/// Each queued share under a key of its own (`outbox:<share id>`): a change writes or deletes
/// only the entries it touched, whatever the number queued. One storage call per change (the
/// entries a change wrote go in one `set`), so every key holds either the entry before or after.
pub const OUTBOX_ENTRY_PREFIX: &str = "outbox:";

fn outbox_key(share_id: &str) -> String {
    format!("{OUTBOX_ENTRY_PREFIX}{share_id}")
}

/// A stored value this worker holds in memory as it last read or wrote it: only the worker
/// writes it (pages and content scripts go through messages), so within one worker's life the
/// copy held is what storage holds; a stopped worker starts again from storage. Changes are
/// counted: a read that overlapped one may be older than storage and is not kept.
struct Held<T> {
    value: RefCell<Option<T>>,
    changes: Cell<u64>,
}

impl<T: Clone> Held<T> {
    const fn new() -> Self {
        Held {
            value: RefCell::new(None),
            changes: Cell::new(0),
        }
    }

    /// A copy of the value held, if any.
    fn get(&self) -> Option<T> {
        self.value.borrow().clone()
    }

    /// `f` on the value held, without copying it.
    fn with<R>(&self, f: impl FnOnce(&T) -> R) -> Option<R> {
        self.value.borrow().as_ref().map(f)
    }

    fn is_held(&self) -> bool {
        self.value.borrow().is_some()
    }

    /// The change count: taken before a read, handed to [`Held::keep_read`] after it.
    fn changes(&self) -> u64 {
        self.changes.get()
    }

    /// A change of the stored value starts: counted, so reads it overlaps are not kept.
    fn note_change(&self) {
        self.changes.set(self.changes.get().wrapping_add(1));
    }

    /// Holds `value` (what storage now holds), or nothing.
    fn put(&self, value: Option<T>) {
        *self.value.borrow_mut() = value;
    }

    /// Holds `read`, read from storage, if nothing changed since `changes` was taken.
    fn keep_read(&self, read: &T, changes: u64) {
        if self.changes.get() == changes {
            self.put(Some(read.clone()));
        }
    }
}

thread_local! {
    /// The outbox as this worker last read or wrote it; each write it starts is a change. A
    /// failed write forgets it, so the next reader sees what storage really kept.
    static OUTBOX_HELD: Held<Outbox> = const { Held::new() };
    /// One read of the stored outbox at a time (it may move the old layout, see
    /// `migrate_outbox`): a second reader waits and finds it held.
    static OUTBOX_READ_LOCK: std::rc::Rc<AsyncLock> = std::rc::Rc::new(AsyncLock::new());
}

/// The outbox as stored, an unreadable entry set aside in place (`Outbox::from_keyed`); an
/// empty one when storage cannot be read (for display; writers use `outbox_for_update`).
pub async fn outbox() -> Outbox {
    outbox_for_update().await.unwrap_or_default()
}

/// Reads the outbox without copying it (`None`: storage could not be read).
pub async fn with_outbox_read<T>(f: impl FnOnce(&Outbox) -> T) -> Option<T> {
    if !OUTBOX_HELD.with(Held::is_held) {
        let read = outbox_for_update().await.ok()?;
        // Read, but not kept (a write overlapped the read): from the copy read.
        if !OUTBOX_HELD.with(Held::is_held) {
            return Some(f(&read));
        }
    }
    OUTBOX_HELD.with(|h| h.with(f))
}

/// The outbox to change and save back: an error when storage cannot be read, so a failed read
/// is never saved back over the queued shares as an empty outbox. Read from storage once per
/// worker start, then from what this worker wrote.
pub async fn outbox_for_update() -> Result<Outbox, StorageError> {
    if let Some(held) = OUTBOX_HELD.with(Held::get) {
        return Ok(held);
    }
    let lock = OUTBOX_READ_LOCK.with(std::rc::Rc::clone);
    lock.run(async {
        if let Some(held) = OUTBOX_HELD.with(Held::get) {
            return Ok(held);
        }
        let writes = OUTBOX_HELD.with(Held::changes);
        migrate_outbox().await?;
        let read = Outbox::from_keyed(read_outbox_entries().await?);
        OUTBOX_HELD.with(|h| h.keep_read(&read, writes));
        Ok(read)
    })
    .await
}

/// Stores what changed in `outbox` since it was read (`Outbox::take_changes`): the entries
/// written in one `set`, the ones that left in one `remove`. Each key holds a whole entry, so a
/// worker stopped in between leaves every entry as before or as after, never half of one.
pub async fn save_outbox(outbox: &mut Outbox) -> Result<(), StorageError> {
    let changes = outbox.take_changes();
    OUTBOX_HELD.with(Held::note_change);
    let saved = write_outbox_changes(outbox, &changes).await;
    OUTBOX_HELD.with(|h| h.put(saved.is_ok().then(|| outbox.clone())));
    saved
}

async fn write_outbox_changes(
    outbox: &Outbox,
    changes: &crate::domain::outbox::Changes,
) -> Result<(), StorageError> {
    let written: Vec<&crate::domain::outbox::OutboxEntry> = changes
        .written
        .iter()
        .filter_map(|id| outbox.get(id))
        .collect();
    if !written.is_empty() {
        set_many(
            written
                .iter()
                .map(|e| (outbox_key(&e.share_id), *e))
                .collect(),
        )
        .await?;
    }
    if !changes.removed.is_empty() {
        let keys: Vec<String> = changes.removed.iter().map(|id| outbox_key(id)).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        storage::remove(Area::Local, &keys).await?;
    }
    Ok(())
}

/// Forgets the outbox held in memory: the next reader reads storage, as a restarted worker does
/// (the tests).
#[cfg(feature = "test-seams")]
pub fn forget_held_outbox() {
    OUTBOX_HELD.with(|h| h.put(None));
}

/// Moves an outbox stored by an earlier version (one `outbox` key holding the whole list) to
/// one key per entry. First every entry to its own key (one `set`), then the old key removed:
/// a worker stopped in between finds the old key again and writes the same entries again (no
/// entry was sent meanwhile: nothing reads the outbox until the move is complete), so nothing
/// is lost or queued twice. An entry that cannot be read moves as what could be read of it.
async fn migrate_outbox() -> Result<(), StorageError> {
    let legacy = storage::get_each(Area::Local, OUTBOX).await?;
    if legacy.is_empty() {
        return Ok(());
    }
    let old = Outbox::from_stored(legacy);
    set_many(
        old.entries
            .iter()
            .map(|e| (outbox_key(&e.share_id), e))
            .collect(),
    )
    .await?;
    storage::remove(Area::Local, &[OUTBOX]).await
}

/// Every `outbox:<id>` entry: `(id, the entry or its JSON text)`.
async fn read_outbox_entries(
) -> Result<Vec<(String, Result<crate::domain::outbox::OutboxEntry, String>)>, StorageError> {
    let items = match outbox_keys().await? {
        Some(keys) if keys.is_empty() => return Ok(Vec::new()),
        Some(keys) => {
            let list = js_sys::Array::new();
            for k in &keys {
                list.push(&JsValue::from_str(k));
            }
            storage_local_get(&list).await?
        }
        // Without `getKeys`: one read of everything (once per worker start).
        None => storage_local_get(&JsValue::NULL).await?,
    };
    let mut out = Vec::new();
    for key in js_sys::Object::keys(items.unchecked_ref::<js_sys::Object>()).iter() {
        let Some(key) = key.as_string() else { continue };
        let Some(id) = key.strip_prefix(OUTBOX_ENTRY_PREFIX) else {
            continue;
        };
        let item = js_sys::Reflect::get(&items, &JsValue::from_str(&key)).unwrap_or_default();
        let entry = crate::platform::from_js(item.clone()).map_err(|_| {
            js_sys::JSON::stringify(&item)
                .ok()
                .and_then(|s| s.as_string())
                .unwrap_or_default()
        });
        out.push((id.to_owned(), entry));
    }
    Ok(out)
}

/// The outbox's keys, named by `chrome.storage.local.getKeys` (Chrome 130) without reading
/// any value; `None` where the browser has no `getKeys`.
async fn outbox_keys() -> Result<Option<Vec<String>>, StorageError> {
    let get = |v: &JsValue, k: &str| js_sys::Reflect::get(v, &JsValue::from_str(k)).ok();
    let has_get_keys = get(&js_sys::global(), "chrome")
        .and_then(|c| get(&c, "storage"))
        .and_then(|s| get(&s, "local"))
        .and_then(|l| get(&l, "getKeys"))
        .is_some_and(|f| f.is_function());
    if !has_get_keys {
        return Ok(None);
    }
    let unavailable = |e: JsValue| StorageError::Unavailable(crate::platform::js_error_message(&e));
    let keys = JsFuture::from(storage_local_get_keys().map_err(unavailable)?)
        .await
        .map_err(unavailable)?;
    Ok(Some(
        js_sys::Array::from(&keys)
            .iter()
            .filter_map(|k| k.as_string())
            .filter(|k| k.starts_with(OUTBOX_ENTRY_PREFIX))
            .collect(),
    ))
}

/// Several keys in one `chrome.storage.local.set`: all written, or none.
async fn set_many<T: Serialize>(items: Vec<(String, &T)>) -> Result<(), StorageError> {
    let object = js_sys::Object::new();
    for (key, value) in items {
        let js = crate::platform::to_js(value).map_err(|e| StorageError::Encode {
            key: key.clone(),
            message: e.to_string(),
        })?;
        js_sys::Reflect::set(&object, &JsValue::from_str(&key), &js)
            .map_err(|e| StorageError::Unavailable(crate::platform::js_error_message(&e)))?;
    }
    let promise = crate::platform::chrome::storage_local_set(&object)
        .map_err(|e| StorageError::Unavailable(crate::platform::js_error_message(&e)))?;
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(|e| StorageError::Unavailable(crate::platform::js_error_message(&e)))
}

async fn storage_local_get(keys: &JsValue) -> Result<JsValue, StorageError> {
    let promise = crate::platform::chrome::storage_local_get(keys)
        .map_err(|e| StorageError::Unavailable(crate::platform::js_error_message(&e)))?;
    JsFuture::from(promise)
        .await
        .map_err(|e| StorageError::Unavailable(crate::platform::js_error_message(&e)))
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = getKeys, catch)]
    fn storage_local_get_keys() -> Result<js_sys::Promise, JsValue>;
}

thread_local! {
    /// The ticket cache with the tickets created since, as this worker last read it: a page's
    /// snapshot is answered without reading up to two kinds × `CACHE_LIMIT` tickets from
    /// `storage.local` again (~30 ms of the worker's and the browser's time per portal page,
    /// while the portal renders; issue 17). Each write of `TICKETS` or `RECENT` is a change
    /// and forgets it (`set_tickets`, `forget_tickets`). Not
    /// `storage.onChanged`: a listener in the worker has every storage write of the worker
    /// (the outbox's, a share's) delivered back to it with its values, which cost each share
    /// ~10 ms.
    static TICKETS_HELD: Held<TicketCache> = const { Held::new() };
}

/// The ticket cache as cards, badges, the popup and the list read it: as last fetched, with the
/// tickets created since (`RECENT`) in front. From storage once, then as held until either
/// changes; a read that failed is not held (the next one tries storage again).
pub async fn ticket_cache() -> TicketCache {
    if let Some(held) = TICKETS_HELD.with(Held::get) {
        return held;
    }
    let changes = TICKETS_HELD.with(Held::changes);
    let (cache, recent) = join(
        get::<TicketCache>(Area::Local, TICKETS),
        get::<RecentTickets>(Area::Local, RECENT),
    )
    .await;
    let keep = cache.is_ok() && recent.is_ok();
    let cache = cache
        .ok()
        .flatten()
        .unwrap_or_default()
        .with_recent(recent.ok().flatten().unwrap_or_default());
    if keep {
        TICKETS_HELD.with(|h| h.keep_read(&cache, changes));
    }
    cache
}

/// Forgets the ticket cache held by `ticket_cache`: `TICKETS` or `RECENT` changed or is about
/// to.
pub fn forget_held_tickets() {
    TICKETS_HELD.with(|h| {
        h.note_change();
        h.put(None);
    });
}

/// Runs a change of `TICKETS` or `RECENT` (`change` is not started before it is awaited here):
/// what `ticket_cache` holds is forgotten before it and again once it is done (a read between
/// the two may have seen the old value).
async fn changing_tickets<T>(change: impl Future<Output = T>) -> T {
    forget_held_tickets();
    let done = change.await;
    forget_held_tickets();
    done
}

/// Writes `TICKETS` or `RECENT`, forgetting the held cache around the write.
pub async fn set_tickets<T: Serialize>(key: &str, value: &T) -> Result<(), StorageError> {
    changing_tickets(set(Area::Local, key, value)).await
}

/// Removes keys of `storage.local` among which `TICKETS` or `RECENT`, forgetting the held cache
/// as `set_tickets` does.
pub async fn forget_tickets(keys: &[&str]) -> Result<(), StorageError> {
    changing_tickets(storage::remove(Area::Local, keys)).await
}

/// The ticket cache as last fetched, without the tickets created since.
pub async fn fetched_ticket_cache() -> TicketCache {
    local_or_default(TICKETS).await
}

/// A value of `storage.local`; the default when it is absent or unreadable (caches only).
async fn local_or_default<T: serde::de::DeserializeOwned + Default>(key: &str) -> T {
    get(Area::Local, key)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Tickets snshare created since the cache was fetched, newest first. A create writes this short
/// list, not the whole cache (up to two kinds × `CACHE_LIMIT` tickets, rewritten on every
/// create before): the answer waits for a small write. A fetch keeps only the ones created
/// after it started.
pub const RECENT: &str = "tickets.recent";
/// At most this many (the oldest go first; the next fetch brings them back).
pub const RECENT_MAX: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RecentTickets {
    pub instance: String,
    /// Each ticket with when it was noted (unix ms).
    pub tickets: Vec<(TicketSummary, u64)>,
}

pub async fn recent_tickets() -> RecentTickets {
    local_or_default(RECENT).await
}

impl RecentTickets {
    /// A ticket just created, in front (once).
    pub fn note(&mut self, instance: &str, ticket: TicketSummary, now: u64) {
        if self.instance != instance {
            *self = RecentTickets {
                instance: instance.to_owned(),
                tickets: Vec::new(),
            };
        }
        self.tickets.retain(|(t, _)| t.sys_id != ticket.sys_id);
        self.tickets.insert(0, (ticket, now));
        self.tickets.truncate(RECENT_MAX);
    }

    /// What a fetch started at `started` did not see (noted after it started).
    pub fn after_fetch(&mut self, started: u64) {
        self.tickets.retain(|(_, at)| *at >= started);
    }
}

impl TicketCache {
    /// The cache with `recent` in front (each ticket once), when both are of one instance.
    pub fn with_recent(mut self, recent: RecentTickets) -> TicketCache {
        if recent.instance != self.instance || recent.tickets.is_empty() {
            return self;
        }
        self.tickets
            .retain(|t| !recent.tickets.iter().any(|(r, _)| r.sys_id == t.sys_id));
        let mut tickets: Vec<TicketSummary> = recent.tickets.into_iter().map(|(t, _)| t).collect();
        tickets.append(&mut self.tickets);
        self.tickets = tickets;
        self
    }
}

pub async fn state_names(instance: &str) -> StateNamesRecord {
    let record: Option<StateNamesRecord> = get(Area::Local, STATE_NAMES).await.ok().flatten();
    match record {
        Some(r) if r.instance == instance => r,
        _ => StateNamesRecord {
            instance: instance.to_string(),
            ..StateNamesRecord::default()
        },
    }
}

/// Serializes a critical section between the worker's concurrent tasks (JS is single-threaded,
/// but an `await` between a read and a write lets another task interleave): each holder awaits
/// the previous one, in call order.
pub struct AsyncLock {
    tail: RefCell<Option<js_sys::Promise>>,
}

impl Default for AsyncLock {
    fn default() -> Self {
        Self::new()
    }
}

impl AsyncLock {
    pub const fn new() -> Self {
        AsyncLock {
            tail: RefCell::new(None),
        }
    }

    pub async fn run<F: Future>(&self, f: F) -> F::Output {
        let mut release: Option<js_sys::Function> = None;
        let mine = js_sys::Promise::new(&mut |resolve, _| release = Some(resolve));
        let previous = self.tail.replace(Some(mine));
        let mut turn = Turn {
            release,
            waiting_for: previous.clone(),
        };
        if let Some(p) = previous {
            let _ = JsFuture::from(p).await;
        }
        turn.waiting_for = None;
        f.await
        // `turn` lets the next holder in here.
    }
}

/// A holder's place in an [`AsyncLock`]'s line. Dropped, it lets the next holder in: at the end
/// of its section, and also when the holder's future is dropped before (a section that never
/// ends would otherwise stop every later holder for the worker's life). Dropped while still
/// waiting its turn, it lets the next one in only once the holder before it is done.
struct Turn {
    release: Option<js_sys::Function>,
    waiting_for: Option<js_sys::Promise>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let Some(release) = self.release.take() else {
            return;
        };
        match self.waiting_for.take() {
            None => {
                let _ = release.call0(&JsValue::UNDEFINED);
            }
            Some(before) => wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(before).await;
                let _ = release.call0(&JsValue::UNDEFINED);
            }),
        }
    }
}
