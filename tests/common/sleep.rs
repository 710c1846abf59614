//! A pause for the wasm tests: resolves after `ms` milliseconds (a timer of the page).
//!
//! Included by the wasm test files with `#[path = "common/sleep.rs"] mod sleep;`.

use wasm_bindgen_futures::JsFuture;

pub async fn sleep(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// Waits (polling every 10 ms, at most 5 s) until `done` holds; fails naming `what`.
pub async fn until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        sleep(10).await;
    }
    panic!("not within 5 s: {what}");
}
