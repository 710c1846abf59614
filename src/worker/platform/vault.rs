//! Where the secrets live: the refresh token and the client secret, in the extension origin's
//! IndexedDB. A content script shares the page's renderer and could read `chrome.storage.local`
//! on any Chrome where `setAccessLevel` is missing for that area or fails; IndexedDB is bound to
//! the origin, and the content script's origin is the portal's, never the extension's, on every
//! Chrome version (security review M3).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbFactory, IdbRequest, IdbTransaction, IdbTransactionMode};

use super::js_error_message;
use super::storage::StorageError;

pub const DATABASE: &str = "snshare-secrets";
pub const STORE: &str = "secrets";
const VERSION: u32 = 1;

fn unavailable(e: JsValue) -> StorageError {
    StorageError::Unavailable(format!("secret store: {}", js_error_message(&e)))
}

fn error_of(target: &JsValue, what: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str("error"))
        .ok()
        .filter(|e| !e.is_null() && !e.is_undefined())
        .unwrap_or_else(|| JsValue::from_str(what))
}

/// The request's result once it succeeds.
async fn settle(req: &IdbRequest) -> Result<JsValue, StorageError> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let done = req.clone();
        let on_success = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::UNDEFINED, &done.result().unwrap_or_default());
        });
        let failed = req.clone();
        let on_error = Closure::once_into_js(move || {
            let e = error_of(failed.as_ref(), "IndexedDB request failed");
            let _ = reject.call1(&JsValue::UNDEFINED, &e);
        });
        req.set_onsuccess(Some(on_success.unchecked_ref()));
        req.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(unavailable)
}

/// Resolves once the transaction committed: a write is only believed once it is durable.
async fn committed(tx: &IdbTransaction) -> Result<(), StorageError> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let on_complete = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        });
        let failed = tx.clone();
        let reject_abort = reject.clone();
        let aborted = tx.clone();
        let on_error = Closure::once_into_js(move || {
            let _ = reject.call1(
                &JsValue::UNDEFINED,
                &error_of(failed.as_ref(), "IndexedDB write failed"),
            );
        });
        let on_abort = Closure::once_into_js(move || {
            let _ = reject_abort.call1(
                &JsValue::UNDEFINED,
                &error_of(aborted.as_ref(), "IndexedDB write aborted"),
            );
        });
        tx.set_oncomplete(Some(on_complete.unchecked_ref()));
        tx.set_onerror(Some(on_error.unchecked_ref()));
        tx.set_onabort(Some(on_abort.unchecked_ref()));
    });
    JsFuture::from(promise)
        .await
        .map(|_| ())
        .map_err(unavailable)
}

async fn open() -> Result<IdbDatabase, StorageError> {
    let factory: IdbFactory = js_sys::Reflect::get(&js_sys::global(), &"indexedDB".into())
        .map_err(unavailable)?
        .dyn_into()
        .map_err(|_| StorageError::Unavailable("secret store: no IndexedDB".into()))?;
    let req = factory
        .open_with_u32(DATABASE, VERSION)
        .map_err(unavailable)?;
    let upgrading = req.clone();
    let on_upgrade = Closure::once_into_js(move || {
        // Version 1 is the only schema: an upgrade is always the first open.
        if let Ok(db) = upgrading.result() {
            let _ = db
                .unchecked_into::<IdbDatabase>()
                .create_object_store(STORE);
        }
    });
    req.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
    Ok(settle(&req).await?.unchecked_into())
}

/// The secret stored under `key`, if any.
pub async fn get(key: &str) -> Result<Option<String>, StorageError> {
    let db = open().await?;
    let read = async {
        let tx = db.transaction_with_str(STORE).map_err(unavailable)?;
        let store = tx.object_store(STORE).map_err(unavailable)?;
        settle(&store.get(&JsValue::from_str(key)).map_err(unavailable)?).await
    }
    .await;
    db.close();
    Ok(read?.as_string())
}

/// Stores (`Some`) or deletes (`None`) each secret, in one transaction: all or nothing.
pub async fn write(entries: &[(&str, Option<&str>)]) -> Result<(), StorageError> {
    let db = open().await?;
    let written = async {
        let tx = db
            .transaction_with_str_and_mode(STORE, IdbTransactionMode::Readwrite)
            .map_err(unavailable)?;
        let store = tx.object_store(STORE).map_err(unavailable)?;
        for (key, value) in entries {
            let key = JsValue::from_str(key);
            match value {
                Some(v) => store.put_with_key(&JsValue::from_str(v), &key),
                None => store.delete(&key),
            }
            .map_err(unavailable)?;
        }
        committed(&tx).await
    }
    .await;
    db.close();
    written
}
