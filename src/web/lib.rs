//! Browser bindings (wasm only): `chrome.*`, messaging, i18n, time and randomness, templates
//! and the DOM toolkit every surface uses.
//!
//! Everything the surfaces need from the browser goes through here, so the rest of the code
//! sees typed Rust functions and errors, never raw `JsValue`s. What only the worker needs
//! (IndexedDB vault, fetch transport, identity and alarms) is in the worker crate.

#![cfg(target_arch = "wasm32")]

pub mod chrome;
pub mod dom;
pub mod form_host;
pub mod form_request;
pub mod i18n;
pub mod messaging;
pub mod outline;
pub mod present;
pub mod storage;
pub mod template;
pub mod wire;

pub use i18n::{t, t_with};

use snshare_core::{domain, messages};

use wasm_bindgen::prelude::*;

// Every surface's allocator, declared once here (every wasm surface links this crate, and a
// binary may have only one): talc's wasm allocator, not Rust's default dlmalloc, for 3.1 KB less
// code and faster allocations on the rows' path (issue 17; README, "The allocator: talc").
// It grows the wasm memory when it runs out, as dlmalloc does.
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    let now = js_sys::Date::now() + bench_clock_offset_ms();
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

/// Today's date in the user's time zone.
pub fn today() -> time::Date {
    let d = js_sys::Date::new_0();
    let month = time::Month::try_from((d.get_month() + 1) as u8).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(d.get_full_year() as i32, month, d.get_date() as u8)
        .unwrap_or(time::Date::MIN)
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);
}

/// Cryptographically random bytes from `crypto.getRandomValues` (window and worker alike).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    get_random_values(&mut buf);
    buf
}

/// A random id in lowercase hex (share ids, request ids).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    get_random_values(&mut buf);
    snshare_core::lower_hex(&buf)
}

/// Log to the console for developers (never a token: callers pass only safe text).
pub fn log(msg: &str) {
    web_sys::console::log_1(&JsValue::from_str(msg));
}

/// Serialize for chrome messaging and storage: plain objects, never `Map`s (which chrome
/// messaging turns into `{}`).
pub fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, serde_wasm_bindgen::Error> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
}

pub fn from_js<T: serde::de::DeserializeOwned>(
    value: JsValue,
) -> Result<T, serde_wasm_bindgen::Error> {
    serde_wasm_bindgen::from_value(value)
}

/// The `message` of a JS error (or the value itself when it is a string), for our own error
/// types and messages; never shown raw to users without context.
pub fn js_error_message(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &JsValue::from_str("message"))
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_string())
}

/// `./build.sh bench` compresses a user's day: it advances the worker's clock by setting
/// `globalThis.__snshareClockOffsetMs` (bench builds only; shipped builds read the real clock).
#[cfg(feature = "bench")]
fn bench_clock_offset_ms() -> f64 {
    js_sys::Reflect::get(
        &js_sys::global(),
        &JsValue::from_str("__snshareClockOffsetMs"),
    )
    .ok()
    .and_then(|v| v.as_f64())
    .filter(|v| v.is_finite())
    .unwrap_or(0.0)
}

#[cfg(not(feature = "bench"))]
fn bench_clock_offset_ms() -> f64 {
    0.0
}

/// Calls its function once the triggers stop for `ms` (search boxes, draft saving). One
/// closure for its whole life, however often it is triggered; dropping it cancels a pending
/// call.
pub struct Debouncer {
    cb: Closure<dyn FnMut()>,
    timer: std::cell::Cell<Option<i32>>,
    ms: i32,
}

impl Debouncer {
    pub fn new(ms: i32, f: impl FnMut() + 'static) -> Self {
        Debouncer {
            cb: Closure::<dyn FnMut()>::new(f),
            timer: std::cell::Cell::new(None),
            ms,
        }
    }

    pub fn trigger(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(id) = self.timer.take() {
            window.clear_timeout_with_handle(id);
        }
        let id = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(
                self.cb.as_ref().unchecked_ref(),
                self.ms,
            )
            .ok();
        self.timer.set(id);
    }

    /// Whether a call is waiting; clears it (the caller runs the work itself).
    pub fn take_pending(&self) -> bool {
        match (self.timer.take(), web_sys::window()) {
            (Some(id), Some(window)) => {
                window.clear_timeout_with_handle(id);
                true
            }
            _ => false,
        }
    }

    pub fn cancel(&self) {
        self.take_pending();
    }
}

impl Drop for Debouncer {
    fn drop(&mut self) {
        self.take_pending();
    }
}
