//! Typed `chrome.storage`: one key holds one serde value.
//!
//! `Area::Session` lives until the browser closes (access tokens: never on disk); `Area::Local`
//! survives restarts (settings, refresh token, outbox, cache). A value that fails to decode is
//! reported, not silently replaced, so a schema change cannot eat an outbox.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::{chrome, from_js, to_js};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    Local,
    Session,
    Managed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("browser storage is unavailable: {0}")]
    Unavailable(String),
    #[error("stored value '{key}' could not be read: {message}")]
    Decode { key: String, message: String },
    #[error("value for '{key}' could not be stored: {message}")]
    Encode { key: String, message: String },
}

use super::js_error_message as js_message;

async fn settle(p: Result<js_sys::Promise, JsValue>) -> Result<JsValue, StorageError> {
    let p = p.map_err(|e| StorageError::Unavailable(js_message(&e)))?;
    JsFuture::from(p)
        .await
        .map_err(|e| StorageError::Unavailable(js_message(&e)))
}

/// The raw stored object for `key` (undefined when absent).
async fn get_raw(area: Area, key: &str) -> Result<JsValue, StorageError> {
    let keys = JsValue::from_str(key);
    let items = settle(match area {
        Area::Local => chrome::storage_local_get(&keys),
        Area::Session => chrome::storage_session_get(&keys),
        Area::Managed => chrome::storage_managed_get(&keys),
    })
    .await?;
    js_sys::Reflect::get(&items, &keys).map_err(|e| StorageError::Unavailable(js_message(&e)))
}

pub async fn get<T: serde::de::DeserializeOwned>(
    area: Area,
    key: &str,
) -> Result<Option<T>, StorageError> {
    decode(key, get_raw(area, key).await?)
}

/// `get` of a read the caller started earlier: the promise of `chrome.storage.<area>.get(key)`
/// (an extension page's loader asks while its wasm loads, so the answer is there when the
/// page starts).
pub async fn get_started<T: serde::de::DeserializeOwned>(
    started: js_sys::Promise,
    key: &str,
) -> Result<Option<T>, StorageError> {
    let items = settle(Ok(started)).await?;
    if !items.is_object() {
        return Err(StorageError::Unavailable(format!(
            "no stored items for '{key}'"
        )));
    }
    let raw = js_sys::Reflect::get(&items, &JsValue::from_str(key))
        .map_err(|e| StorageError::Unavailable(js_message(&e)))?;
    decode(key, raw)
}

fn decode<T: serde::de::DeserializeOwned>(
    key: &str,
    raw: JsValue,
) -> Result<Option<T>, StorageError> {
    if raw.is_undefined() || raw.is_null() {
        return Ok(None);
    }
    from_js(raw).map(Some).map_err(|e| StorageError::Decode {
        key: key.to_string(),
        message: e.to_string(),
    })
}

/// A stored list decoded item by item: `Err` holds the JSON text of an item that did not
/// decode, so one damaged item never costs the others. Absent: an empty list.
pub async fn get_each<T: serde::de::DeserializeOwned>(
    area: Area,
    key: &str,
) -> Result<Vec<Result<T, String>>, StorageError> {
    let raw = get_raw(area, key).await?;
    if raw.is_undefined() || raw.is_null() {
        return Ok(Vec::new());
    }
    let items: Vec<JsValue> = if js_sys::Array::is_array(&raw) {
        js_sys::Array::from(&raw).iter().collect()
    } else {
        vec![raw]
    };
    Ok(items
        .into_iter()
        .map(|item| {
            from_js(item.clone()).map_err(|_| {
                js_sys::JSON::stringify(&item)
                    .ok()
                    .and_then(|s| s.as_string())
                    .unwrap_or_default()
            })
        })
        .collect())
}

pub async fn set<T: serde::Serialize>(
    area: Area,
    key: &str,
    value: &T,
) -> Result<(), StorageError> {
    let js = to_js(value).map_err(|e| StorageError::Encode {
        key: key.to_string(),
        message: e.to_string(),
    })?;
    let items = js_sys::Object::new();
    js_sys::Reflect::set(&items, &JsValue::from_str(key), &js)
        .map_err(|e| StorageError::Unavailable(js_message(&e)))?;
    settle(match area {
        Area::Local => chrome::storage_local_set(&items),
        Area::Session => chrome::storage_session_set(&items),
        Area::Managed => {
            return Err(StorageError::Unavailable(
                "managed storage is read-only".into(),
            ))
        }
    })
    .await
    .map(|_| ())
}

pub async fn remove(area: Area, keys: &[&str]) -> Result<(), StorageError> {
    let arr = js_sys::Array::new();
    for k in keys {
        arr.push(&JsValue::from_str(k));
    }
    settle(match area {
        Area::Local => chrome::storage_local_remove(&arr),
        Area::Session => chrome::storage_session_remove(&arr),
        Area::Managed => {
            return Err(StorageError::Unavailable(
                "managed storage is read-only".into(),
            ))
        }
    })
    .await
    .map(|_| ())
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = setAccessLevel, catch)]
    fn storage_local_set_access_level(options: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

/// Where a refused `setAccessLevel` is recorded (session storage), for the status warning.
pub const STORAGE_UNRESTRICTED: &str = "storage.unrestricted";
/// What `STORAGE_UNRESTRICTED` holds when the browser has no `setAccessLevel` at all (Firefox,
/// whose content scripts always share `storage.local`): nothing to update, so another warning.
pub const ACCESS_LEVEL_UNSUPPORTED: &str = "unsupported";

/// Whether `chrome.storage.local.setAccessLevel` exists (Chromium 102 and later; never Firefox).
fn has_set_access_level() -> bool {
    let get = |v: &JsValue, k: &str| js_sys::Reflect::get(v, &JsValue::from_str(k)).ok();
    get(&js_sys::global(), "chrome")
        .and_then(|c| get(&c, "storage"))
        .and_then(|s| get(&s, "local"))
        .and_then(|l| get(&l, "setAccessLevel"))
        .is_some_and(|f| f.is_function())
}

/// Keeps `chrome.storage.local` (settings, drafts, outbox, ticket cache) out of content scripts:
/// only the worker and the extension's pages may read it. The secrets do not depend on it (they
/// are in `vault`), but a refusal is not hidden: it is logged and recorded, and every surface's
/// status then carries a warning.
pub fn restrict_local_storage() {
    if !has_set_access_level() {
        wasm_bindgen_futures::spawn_local(async {
            if let Err(e) = set(
                Area::Session,
                STORAGE_UNRESTRICTED,
                &ACCESS_LEVEL_UNSUPPORTED,
            )
            .await
            {
                web_sys::console::warn_1(&format!("snshare: {e}").into());
            }
        });
        return;
    }
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"accessLevel".into(), &"TRUSTED_CONTEXTS".into());
    let call = storage_local_set_access_level(&options);
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = match call {
            Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.map(|_| ()),
            Err(e) => Err(e),
        };
        let result = match outcome {
            Ok(()) => remove(Area::Session, &[STORAGE_UNRESTRICTED]).await,
            Err(e) => {
                let message = js_message(&e);
                web_sys::console::warn_1(
                    &format!("snshare: chrome.storage.local.setAccessLevel refused: {message}")
                        .into(),
                );
                set(Area::Session, STORAGE_UNRESTRICTED, &message).await
            }
        };
        if let Err(e) = result {
            web_sys::console::warn_1(&format!("snshare: {e}").into());
        }
    });
}
