//! The forms module (`snshare-forms`) in a real browser, as the content script reaches it: the
//! request written by the content script's side (`form_request::encode_bulk`) and read back by
//! the module's, and the bulk form opened, closed and refused through the module's exports. No
//! extension around it: the worker "does not answer", which the form must survive.
#![cfg(target_arch = "wasm32")]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/i18n_stub.rs"]
mod i18n_stub;
#[path = "common/sleep.rs"]
mod sleep;

use sleep::sleep;
use snshare_core::domain::action_status::ActionStatus;
use snshare_core::domain::draft::ComplianceFacts;
use snshare_core::domain::ticket::{Category, TicketKind};
use snshare_web::form_request::{
    decode_bulk, decode_task, encode_bulk, encode_task, opener, ActionContext, BulkFormRequest,
    Picked, TaskFormRequest, OPENER_ATTR,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

const XSS_TITLE: &str = "Ensure <img src=x onerror=alert(1)> is blocked";

fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// `chrome.i18n` from the English catalogue, and a manifest that opens the forms' shadow roots
/// (as the e2e suite's copy of the extension does) so the test can look inside.
fn setup() {
    i18n_stub::install();
    let chrome = js_sys::Reflect::get(&js_sys::global(), &"chrome".into()).unwrap();
    let runtime = js_sys::Object::new();
    let manifest =
        js_sys::Function::new_no_args("return { snshare_test: { open_shadow_root: true } };");
    js_sys::Reflect::set(&runtime, &"getManifest".into(), &manifest).unwrap();
    js_sys::Reflect::set(&chrome, &"runtime".into(), &runtime).unwrap();
}

fn request(opener: &str) -> BulkFormRequest {
    BulkFormRequest {
        picked: vec![
            Picked {
                key: "AdminMFAV2".into(),
                title: XSS_TITLE.into(),
                category: Some(Category::Identity),
                status: Some(ActionStatus::ToAddress),
            },
            Picked {
                key: "cm:a1".into(),
                title: "Second".into(),
                category: None,
                status: None,
            },
        ],
        user_id: Some("MeganB@contoso.onmicrosoft.com".into()),
        page_lang: String::new(),
        theme: "dark".into(),
        opener: opener.into(),
    }
}

/// The opener, a button in the page carrying the token.
fn opener_button(token: &str) -> HtmlElement {
    let b: HtmlElement = doc().create_element("button").unwrap().unchecked_into();
    b.set_attribute(OPENER_ATTR, token).unwrap();
    doc().body().unwrap().append_child(&b).unwrap();
    b
}

fn hosts() -> Vec<Element> {
    let list = doc()
        .query_selector_all("[data-snshare=\"bulk-form\"]")
        .unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into().ok())
        .collect()
}

#[wasm_bindgen_test]
fn a_request_reads_back_as_written() {
    let r = request("ab12");
    assert_eq!(decode_bulk(&encode_bulk(&r)).unwrap(), r);
    let bare = BulkFormRequest {
        user_id: None,
        ..request("")
    };
    assert_eq!(decode_bulk(&encode_bulk(&bare)).unwrap(), bare);
}

#[wasm_bindgen_test]
fn a_malformed_request_is_refused() {
    assert!(decode_bulk(&JsValue::UNDEFINED).is_err());
    let no_list = js_sys::JSON::parse(r#"{"picked": "AdminMFAV2"}"#).unwrap();
    assert!(decode_bulk(&no_list).is_err());
    let no_key = js_sys::JSON::parse(r#"{"picked": [{"title": "x"}]}"#).unwrap();
    assert!(decode_bulk(&no_key).is_err());
    // An unknown category or status is dropped, the action kept.
    let odd = js_sys::JSON::parse(
        r#"{"picked": [{"key": "k", "title": "t", "category": "nope", "status": 7}]}"#,
    )
    .unwrap();
    let r = decode_bulk(&odd).unwrap();
    assert_eq!(r.picked[0].category, None);
    assert_eq!(r.picked[0].status, None);
}

#[wasm_bindgen_test]
fn the_opener_is_found_by_its_token_only() {
    let b = opener_button("c0ffee01");
    assert_eq!(opener("c0ffee01").as_ref(), Some(b.as_ref()));
    // Never a selector: anything but letters and digits finds nothing.
    assert_eq!(opener("c0ffee01\"], body, [x=\""), None);
    assert_eq!(opener(""), None);
    b.remove();
}

#[wasm_bindgen_test]
async fn the_bulk_form_opens_lists_the_actions_and_closes_with_focus_back() {
    setup();
    let b = opener_button("feed01");
    let changed = js_sys::Function::new_no_args("");
    snshare_forms::open_bulk_form(encode_bulk(&request("feed01")), changed.clone());
    sleep(20).await;
    let found = hosts();
    assert_eq!(found.len(), 1);
    let host = &found[0];
    assert_eq!(host.get_attribute("data-theme").as_deref(), Some("dark"));
    let root = host.shadow_root().expect("an open shadow root in the test");
    let title = root
        .query_selector("[data-part=\"title\"]")
        .unwrap()
        .unwrap();
    assert_eq!(
        title.text_content().unwrap(),
        "Share 2 actions to ServiceNow"
    );
    let items = root
        .query_selector_all("[data-part=\"actions\"] li")
        .unwrap();
    assert_eq!(items.length(), 2);
    // Titles are text, never markup.
    let first: Element = items.item(0).unwrap().dyn_into().unwrap();
    assert_eq!(first.text_content().unwrap(), XSS_TITLE);
    assert!(root.query_selector("img").unwrap().is_none());

    // A second open replaces the first.
    snshare_forms::open_bulk_form(encode_bulk(&request("feed01")), changed);
    sleep(20).await;
    assert_eq!(hosts().len(), 1);

    snshare_forms::close_forms();
    assert!(hosts().is_empty());
    sleep(20).await;
    assert_eq!(doc().active_element().as_ref(), Some(b.as_ref()));
    b.remove();
}

#[wasm_bindgen_test]
async fn a_request_without_actions_or_malformed_opens_nothing() {
    setup();
    let changed = js_sys::Function::new_no_args("");
    let empty = BulkFormRequest {
        picked: Vec::new(),
        ..request("")
    };
    snshare_forms::open_bulk_form(encode_bulk(&empty), changed.clone());
    snshare_forms::open_bulk_form(JsValue::from_str("not a request"), changed);
    sleep(20).await;
    assert!(hosts().is_empty());
}

#[wasm_bindgen_test]
async fn a_close_before_the_form_showed_keeps_it_closed() {
    setup();
    let changed = js_sys::Function::new_no_args("");
    snshare_forms::open_bulk_form(encode_bulk(&request("")), changed);
    // The page changed before the form was drawn (it waits for the page's catalogue).
    snshare_forms::close_forms();
    sleep(20).await;
    assert!(hosts().is_empty());
}

// ---------------------------------------------------------------------------------------------
// The task form's request
// ---------------------------------------------------------------------------------------------

/// The content script's request for `action` (none: a card's) as the signed-in user, opened
/// from the control carrying `opener`.
fn task(action: Option<ActionContext>, kind: Option<TicketKind>, opener: &str) -> TaskFormRequest {
    TaskFormRequest {
        action,
        kind,
        user_id: Some("MeganB@contoso.onmicrosoft.com".into()),
        title_key: None,
        page_lang: String::new(),
        theme: "light".into(),
        opener: opener.into(),
        planned_offer: None,
    }
}

#[wasm_bindgen_test]
fn a_task_request_reads_back_as_written() {
    let full = TaskFormRequest {
        action: Some(ActionContext {
            compliance: Some(ComplianceFacts {
                assessments: "ISO 27001".into(),
                regulations: XSS_TITLE.into(),
                control_family: "Access".into(),
                points: "0/27".into(),
                implementation_status: "Not implemented".into(),
                test_status: "None".into(),
            }),
            status: Some(ActionStatus::ToAddress),
            ..ActionContext::from_row("cm:a1", XSS_TITLE, Some(Category::Identity), None)
        }),
        kind: Some(TicketKind::ChangeRequest),
        title_key: Some("cm:ensure~1a2b".into()),
        planned_offer: Some("Planned".into()),
        ..task(None, None, "ab12")
    };
    assert_eq!(decode_task(&encode_task(&full)).unwrap(), full);
    // A card's: no action, no kind, no account.
    let bare = TaskFormRequest {
        user_id: None,
        ..task(None, None, "")
    };
    assert_eq!(decode_task(&encode_task(&bare)).unwrap(), bare);
}

#[wasm_bindgen_test]
fn a_malformed_task_request_is_refused_and_odd_values_dropped() {
    assert!(decode_task(&JsValue::UNDEFINED).is_err());
    assert!(decode_task(&JsValue::from_str("AdminMFAV2")).is_err());
    let no_id = js_sys::JSON::parse(r#"{"action": {"title": "x"}}"#).unwrap();
    assert!(decode_task(&no_id).is_err());
    let odd = js_sys::JSON::parse(
        r#"{"action": {"id": "k", "title": "t", "category": "nope", "status": 7}, "kind": "problem"}"#,
    )
    .unwrap();
    let r = decode_task(&odd).unwrap();
    let a = r.action.unwrap();
    assert_eq!((a.category, a.status, r.kind), (None, None, None));
    assert_eq!(r.theme, "light");
}
