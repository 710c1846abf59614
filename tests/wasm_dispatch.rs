//! The worker's dispatcher in a real browser: JS values in, typed answers out, never a panic.
#![cfg(target_arch = "wasm32")]

use snshare_core::messages::{ErrorCode, OwnExtension, ResponseBody, SenderInfo};
use snshare_worker::dispatch::route;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const OWN: &str = "pgmckfnkcjjdbjackbdfdggbempndbni";

fn own() -> OwnExtension {
    OwnExtension::chromium(OWN)
}

fn js(json: &str) -> JsValue {
    js_sys::JSON::parse(json).unwrap_or(JsValue::NULL)
}

fn page() -> SenderInfo {
    SenderInfo {
        id: Some(OWN.into()),
        url: Some(format!("chrome-extension://{OWN}/popup.html")),
        origin: None,
        has_tab: false,
        ..SenderInfo::default()
    }
}

fn code(body: &ResponseBody) -> Option<ErrorCode> {
    match body {
        ResponseBody::Error(e) => Some(e.code),
        _ => None,
    }
}

#[wasm_bindgen_test]
async fn own_page_gets_pong() {
    let r = route(js(r#"{"v":1,"body":{"type":"ping"}}"#), &page(), &own()).await;
    assert!(matches!(r.body, ResponseBody::Pong { .. }), "{r:?}");
}

#[wasm_bindgen_test]
async fn another_extension_is_forbidden() {
    let sender = SenderInfo {
        id: Some("abcdefghijklmnopabcdefghijklmnop".into()),
        url: Some("chrome-extension://abcdefghijklmnopabcdefghijklmnop/x.html".into()),
        origin: None,
        has_tab: false,
        ..SenderInfo::default()
    };
    let r = route(js(r#"{"v":1,"body":{"type":"ping"}}"#), &sender, &own()).await;
    assert_eq!(code(&r.body), Some(ErrorCode::Forbidden));
}

#[wasm_bindgen_test]
async fn content_script_on_another_origin_is_forbidden() {
    let sender = SenderInfo {
        id: Some(OWN.into()),
        url: Some("https://evil.example/securescore".into()),
        origin: Some("https://evil.example".into()),
        has_tab: true,
        tab_id: Some(1),
        frame_id: Some(0),
    };
    let r = route(
        js(r#"{"v":1,"body":{"type":"get_status"}}"#),
        &sender,
        &own(),
    )
    .await;
    assert_eq!(code(&r.body), Some(ErrorCode::Forbidden));
}

#[wasm_bindgen_test]
async fn portal_content_script_cannot_manage_the_connection() {
    let sender = SenderInfo {
        id: Some(OWN.into()),
        url: Some("https://security.microsoft.com/securescore".into()),
        origin: Some("https://security.microsoft.com".into()),
        has_tab: true,
        tab_id: Some(1),
        frame_id: Some(0),
    };
    let r = route(
        js(r#"{"v":1,"body":{"type":"disconnect"}}"#),
        &sender,
        &own(),
    )
    .await;
    assert_eq!(code(&r.body), Some(ErrorCode::Forbidden));
    let r = route(js(r#"{"v":1,"body":{"type":"ping"}}"#), &sender, &own()).await;
    assert!(matches!(r.body, ResponseBody::Pong { .. }), "{r:?}");
}

#[wasm_bindgen_test]
async fn malformed_and_versioned_payloads_get_typed_errors() {
    for (msg, want) in [
        (JsValue::from_str("just a string"), ErrorCode::Version),
        (JsValue::NULL, ErrorCode::Version),
        (js(r#"{"v":2,"body":{"type":"ping"}}"#), ErrorCode::Version),
        (
            js(r#"{"v":1,"body":{"type":"no_such_request"}}"#),
            ErrorCode::Malformed,
        ),
        (
            js(r#"{"v":1,"body":{"type":"share","data":{"share_id":5}}}"#),
            ErrorCode::Malformed,
        ),
        (js(r#"{"v":1}"#), ErrorCode::Malformed),
    ] {
        let r = route(msg, &page(), &own()).await;
        assert_eq!(code(&r.body), Some(want), "{r:?}");
    }
}

/// The `chrome` a worker has, as far as opening a page needs it.
fn stub_chrome() {
    let stub = js_sys::Function::new_no_args(
        "const c = globalThis.chrome = globalThis.chrome || {};
         c.runtime = Object.assign(c.runtime || {}, { getURL: (p) => 'chrome-extension://x/' + p });
         c.tabs = { create: () => Promise.resolve({}) };
         c.i18n = c.i18n || { getMessage: () => '' };",
    );
    assert!(stub.call0(&JsValue::NULL).is_ok(), "chrome stubbed");
}

fn portal_tab(tab: i64) -> SenderInfo {
    SenderInfo {
        id: Some(OWN.into()),
        url: Some("https://security.microsoft.com/securescore".into()),
        origin: Some("https://security.microsoft.com".into()),
        has_tab: true,
        tab_id: Some(tab),
        frame_id: Some(0),
    }
}

/// A page cannot make snshare act in a burst: the sixth page opening in a minute from one tab
/// is refused with its message; another tab, and our own pages, are counted apart.
#[wasm_bindgen_test]
async fn a_tab_that_asks_too_often_is_refused() {
    stub_chrome();
    let open = r#"{"v":1,"body":{"type":"open_page","data":{"page":"options"}}}"#;
    for _ in 0..5 {
        let r = route(js(open), &portal_tab(41), &own()).await;
        assert!(matches!(r.body, ResponseBody::Done), "{r:?}");
    }
    let r = route(js(open), &portal_tab(41), &own()).await;
    match r.body {
        ResponseBody::Error(e) => {
            assert_eq!(e.code, ErrorCode::Failed);
            assert_eq!(e.message, "error_too_many_requests");
        }
        other => panic!("{other:?}"),
    }
    let r = route(js(open), &portal_tab(42), &own()).await;
    assert!(matches!(r.body, ResponseBody::Done), "{r:?}");
    let r = route(js(open), &page(), &own()).await;
    assert!(matches!(r.body, ResponseBody::Done), "{r:?}");
}
