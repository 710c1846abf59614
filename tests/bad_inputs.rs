//! Bad inputs from outside, one test each, and the table of them in SECURITY.md.
//!
//! Each row names the input, the function that meets it first, and the safe outcome, which the
//! row's test asserts. The rows come from the security review's "Bad inputs worth turning into
//! tests" (its number is in the Review column) plus a few more found while fuzzing. A row whose
//! finding is fixed on another branch is `#[ignore]`d with the finding's id: its test states
//! the CORRECT outcome and is un-ignored when the fix is merged.
//!
//! SECURITY.md's table is produced from `ROWS`: `BLESS=1 cargo test --test bad_inputs` rewrites
//! it, and `security_md_lists_exactly_these_rows` fails when it is out of date.
#![cfg(not(target_arch = "wasm32"))]
// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use snshare_core::domain::correlation;
use snshare_core::domain::draft::{due_date_value, parse_date, DraftField, TaskDraft};
use snshare_core::domain::instance::{InstanceError, InstanceUrl};
use snshare_core::domain::portal_url::{action_id_from_href, PortalPage};
use snshare_core::domain::query::{sanitize_value, EncodedQuery, QueryError};
use snshare_core::domain::retry::{parse_retry_after, Failure, MAX_RETRY_AFTER_MS};
use snshare_core::domain::settings::{FieldMapping, TicketDefaults};
use snshare_core::domain::ticket::TicketKind;
use snshare_core::domain::token::{Secret, TokenSet};
use snshare_core::messages::{OwnExtension, Request, RequestBody, SenderInfo, SenderKind};
use snshare_core::servicenow::oauth::{decode_token, parse_redirect};
use snshare_core::servicenow::table::decode_list;
use snshare_core::servicenow::ticket::ticket_query;
use snshare_core::servicenow::{
    AuthError, Client, ClientError, DecodeKind, Grant, HttpResponse, NewTicket, TableParams,
    TicketFilter, TicketList,
};

// The fuzz targets' helpers: a transport answering one fixed response, and `block_on`.
#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod fuzz_support;
use fuzz_support::{block_on, OneAnswer};

/// 2026-12-01T00:00:00Z.
const NOW_MS: u64 = 1_796_083_200_000;
const OUR_ID: &str = "pgmckfnkcjjdbjackbdfdggbempndbni";
const STATE: &str = "s1";

struct Row {
    test: &'static str,
    section: &'static str,
    review: &'static str,
    what: &'static str,
    place: &'static str,
    expected: &'static str,
    ignored: Option<&'static str>,
}

/// One `#[test]` per row, and `ROWS` describing them all, from the same text.
macro_rules! bad_inputs {
    ($(
        $(#[ignore = $why:literal])?
        fn $name:ident($section:literal, $review:literal, $what:literal, $place:literal, $expected:literal)
        $body:block
    )*) => {
        const ROWS: &[Row] = &[$(Row {
            test: stringify!($name),
            section: $section,
            review: $review,
            what: $what,
            place: $place,
            expected: $expected,
            ignored: bad_inputs!(@why $($why)?),
        }),*];
        $(
            #[test]
            $(#[ignore = $why])?
            fn $name() $body
        )*
    };
    (@why) => { None };
    (@why $why:literal) => { Some($why) };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn instance(input: &str) -> Result<InstanceUrl, InstanceError> {
    InstanceUrl::parse(input)
}

fn dev1() -> InstanceUrl {
    instance("dev1").unwrap()
}

fn redirect(query: &str) -> Result<Secret, AuthError> {
    parse_redirect(&format!("https://{OUR_ID}.chromiumapp.org/{query}"), STATE)
}

fn token_answer(status: u16, body: &str) -> Result<TokenSet, ClientError> {
    decode_token(
        Grant::AuthorizationCode,
        &HttpResponse::new(status, vec![], body),
        NOW_MS,
    )
}

fn decode_kind(r: Result<impl std::fmt::Debug, ClientError>) -> DecodeKind {
    match r {
        Err(ClientError::Decode { kind, .. }) => kind,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse::new(
        status,
        headers
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        body,
    )
}

/// A client of dev1 whose every request gets `resp`.
fn client(resp: HttpResponse) -> Client<OneAnswer> {
    Client::new(OneAnswer(resp), dev1())
}

/// The error a Table API read ends with when the instance answers `resp`.
fn table_error(resp: HttpResponse) -> ClientError {
    block_on(client(resp).list(&Secret::new("t"), "incident", &TableParams::default()))
        .expect_err("a non-2xx answer is an error")
}

fn record_json(sys_id: &str, number: &str, correlation_id: &str) -> serde_json::Value {
    serde_json::json!({
        "sys_id": sys_id,
        "number": number,
        "short_description": "x",
        "state": "1",
        "correlation_id": correlation_id,
    })
}

fn tickets(body: &str) -> Result<TicketList, ClientError> {
    let page = decode_list("incident", &answer(200, &[], body))?;
    TicketList::from_page(TicketKind::Incident, &page, &dev1(), &[])
}

fn query_of(filter: TicketFilter) -> Result<String, QueryError> {
    ticket_query(&filter)
}

fn search(text: &str) -> String {
    query_of(TicketFilter {
        search: Some(text.to_owned()),
        ..TicketFilter::default()
    })
    .unwrap()
}

/// Read from JSON, as the worker reads `MessageSender`: a sender that names the top frame, so
/// each row is refused for the reason it names (the frame check is another branch's).
fn sender(id: &str, url: Option<&str>, origin: Option<&str>, has_tab: bool) -> Option<SenderKind> {
    let info: SenderInfo = serde_json::from_value(serde_json::json!({
        "id": id, "url": url, "origin": origin, "has_tab": has_tab, "frame_id": 0,
    }))
    .unwrap();
    info.classify(&OwnExtension::chromium(OUR_ID))
}

fn request(json: &str) -> Result<Request, serde_json::Error> {
    serde_json::from_str(json)
}

fn from_content_script(json: &str) -> bool {
    request(&format!(r#"{{"v":1,"body":{json}}}"#))
        .unwrap()
        .body
        .allowed_from(SenderKind::PortalContentScript)
}

fn today() -> time::Date {
    parse_date("2026-12-02").unwrap()
}

/// A share's draft as a content script sends it, with `changes` applied on top.
fn draft(changes: serde_json::Value) -> TaskDraft {
    let mut d = serde_json::json!({
        "kind": "incident",
        "name": "Require MFA for administrative roles",
        "description": "Admins need MFA.",
        "priority": "high",
        "due_date": "2030-01-15",
        "user_id": "admin@contoso.com",
        "source": "microsoft",
        "category": "identity",
        "action_id": "AdminMFAV2",
        "action_url": null,
    });
    for (k, v) in changes.as_object().unwrap() {
        d[k] = v.clone();
    }
    serde_json::from_value(d).unwrap()
}

/// What the worker does with a share's draft: validate it, and only then build the record.
/// `Err` lists the refused fields; a panic on the way fails the test with the panic's text.
fn share_record(d: &TaskDraft, utc_offset_minutes: i32) -> Result<String, Vec<DraftField>> {
    let errors = d.validate(today());
    if !errors.is_empty() {
        return Err(errors.into_iter().map(|e| e.field).collect());
    }
    let ticket = catch_unwind(AssertUnwindSafe(|| {
        format!(
            "{:?}",
            NewTicket::from_draft(
                d,
                "snshare:a:b",
                utc_offset_minutes,
                &FieldMapping::default()
            )
        )
    }));
    Ok(ticket.unwrap_or_else(|_| panic!("building the record panicked")))
}

fn huge(n: usize) -> String {
    "x".repeat(n)
}

// ---------------------------------------------------------------------------------------------
// The rows
// ---------------------------------------------------------------------------------------------

bad_inputs! {
    // A. Instance address -----------------------------------------------------------------------
    fn a01_user_name_before_the_host("A", "1", "`https://dev1.service-now.com@evil.example`",
        "`InstanceUrl::parse`", "refused: `Credentials`") {
        assert_eq!(instance("https://dev1.service-now.com@evil.example"), Err(InstanceError::Credentials));
    }
    fn a02_backslash_after_the_host("A", "2", "`https://dev1.service-now.com\\evil.example`",
        "`InstanceUrl::parse`", "refused (a browser reads `\\` as `/`)") {
        assert!(instance("https://dev1.service-now.com\\evil.example").is_err());
    }
    fn a03_cyrillic_look_alike_host("A", "3", "`https://dеv1.service-now.com` (Cyrillic е)",
        "`InstanceUrl::parse`", "refused: `NonAsciiHost`") {
        assert_eq!(instance("https://d\u{435}v1.service-now.com"), Err(InstanceError::NonAsciiHost));
    }
    fn a04_punycode_host("A", "3", "`https://xn--dv1-8ya.service-now.com`",
        "`InstanceUrl::parse`", "refused: `NonAsciiHost`") {
        assert_eq!(instance("https://xn--dv1-8ya.service-now.com"), Err(InstanceError::NonAsciiHost));
    }
    fn a05_trailing_dot("A", "4", "`https://dev1.service-now.com.`",
        "`InstanceUrl::parse`", "refused: `EmptyLabel`") {
        assert_eq!(instance("https://dev1.service-now.com."), Err(InstanceError::EmptyLabel));
    }
    fn a06_ipv6_literal("A", "5", "`https://[::1]:8443`",
        "`InstanceUrl::parse`", "refused: `IpAddress`") {
        assert_eq!(instance("https://[::1]:8443"), Err(InstanceError::IpAddress));
    }
    fn a07_private_ipv4("A", "5", "`https://10.0.0.5`, `https://8.8.8.8:443`",
        "`InstanceUrl::parse`", "refused: `IpAddress`") {
        assert_eq!(instance("https://10.0.0.5"), Err(InstanceError::IpAddress));
        assert_eq!(instance("https://8.8.8.8:443"), Err(InstanceError::IpAddress));
    }
    fn a08_odd_port("A", "6", "`https://dev1.service-now.com:8443`",
        "`InstanceUrl::parse`", "refused: `Port`") {
        assert_eq!(instance("https://dev1.service-now.com:8443"), Err(InstanceError::Port));
    }
    fn a09_case_default_port_and_slash("A", "7", "`HTTPS://Dev1.Service-Now.com:443/`",
        "`InstanceUrl::parse`", "accepted as `https://dev1.service-now.com`") {
        assert_eq!(instance("HTTPS://Dev1.Service-Now.com:443/").unwrap().origin(), "https://dev1.service-now.com");
    }
    fn a10_instance_name_as_a_subdomain("A", "8", "`https://dev1.service-now.com.evil.example`",
        "`InstanceUrl::parse`", "accepted as exactly that host; permission `https://dev1.service-now.com.evil.example/*`") {
        let url = instance("https://dev1.service-now.com.evil.example").unwrap();
        assert_eq!(url.host(), "dev1.service-now.com.evil.example");
        assert_eq!(url.permission_pattern(), "https://dev1.service-now.com.evil.example/*");
    }
    fn a11_loopback_with_leading_zeros("A", "10", "`https://127.0.0.01`, `https://127.000.000.001`",
        "`InstanceUrl::parse`", "refused, or canonicalised to `127.0.0.1`") {
        for input in ["https://127.0.0.01", "https://127.000.000.001"] {
            if let Ok(url) = instance(input) {
                assert_eq!(url.host(), "127.0.0.1", "{input} kept non-canonical");
            }
        }
    }
    fn a12_ipv4_as_one_number("A", "11", "`https://2130706433`",
        "`InstanceUrl::parse`", "refused: `IpAddress`") {
        assert_eq!(instance("https://2130706433"), Err(InstanceError::IpAddress));
    }
    fn a13_ipv4_hex_and_short_forms("A", "11", "`https://0x7f.1`, `https://1.2.3.4.5`",
        "`InstanceUrl::parse`", "refused: `IpAddress`") {
        assert_eq!(instance("https://0x7f.1"), Err(InstanceError::IpAddress));
        assert_eq!(instance("https://1.2.3.4.5"), Err(InstanceError::IpAddress));
    }
    fn a14_plain_http("A", "", "`http://dev1.service-now.com`",
        "`InstanceUrl::parse`", "refused: `InsecureScheme`") {
        assert_eq!(instance("http://dev1.service-now.com"), Err(InstanceError::InsecureScheme));
    }
    fn a15_script_url("A", "", "`javascript:alert(1)`, `data:text/html,x`",
        "`InstanceUrl::parse`", "refused: `UnsupportedScheme`") {
        assert_eq!(instance("javascript:alert(1)"), Err(InstanceError::UnsupportedScheme));
        assert_eq!(instance("data:text/html,x"), Err(InstanceError::UnsupportedScheme));
    }
    fn a16_path_to_the_token_endpoint("A", "", "`https://dev1.service-now.com/oauth_token.do`",
        "`InstanceUrl::parse`", "the origin only: `https://dev1.service-now.com`") {
        assert_eq!(instance("https://dev1.service-now.com/oauth_token.do").map(|u| u.origin()), Ok("https://dev1.service-now.com".to_string()));
    }
    fn a17_fragment_hiding_a_host("A", "", "`https://dev1.service-now.com#@evil.example`",
        "`InstanceUrl::parse`", "the origin only: `https://dev1.service-now.com`, never evil.example") {
        assert_eq!(instance("https://dev1.service-now.com#@evil.example").map(|u| u.origin()), Ok("https://dev1.service-now.com".to_string()));
    }
    fn a18_control_characters("A", "", "`dev\\u00001`, `dev1\\u202e.evil`",
        "`InstanceUrl::parse`", "refused") {
        assert_eq!(instance("dev\u{0}1"), Err(InstanceError::Whitespace));
        assert!(instance("dev1\u{202e}.evil").is_err());
    }
    fn a19_ten_thousand_characters("A", "", "a 10 000-character address",
        "`InstanceUrl::parse`", "refused: `TooLong`") {
        assert_eq!(instance(&format!("https://{}.com", huge(10_000))), Err(InstanceError::TooLong));
    }

    // B. OAuth redirect and token endpoint -------------------------------------------------------
    fn b01_redirect_with_a_foreign_state("B", "12", "redirect `?code=c&state=evil`",
        "`oauth::parse_redirect`", "`StateMismatch`, no code") {
        assert_eq!(redirect("?code=c&state=evil").unwrap_err(), AuthError::StateMismatch);
    }
    fn b02_redirect_without_state("B", "13", "redirect `?code=c`",
        "`oauth::parse_redirect`", "`StateMismatch`, no code") {
        assert_eq!(redirect("?code=c").unwrap_err(), AuthError::StateMismatch);
    }
    fn b03_error_with_a_foreign_state("B", "14", "redirect `?error=access_denied&state=wrong`",
        "`oauth::parse_redirect`", "`StateMismatch`") {
        assert_eq!(redirect("?error=access_denied&state=wrong").unwrap_err(), AuthError::StateMismatch);
    }
    fn b04_state_given_twice("B", "15", "redirect `?state=s1&state=evil&code=c`",
        "`oauth::parse_redirect`", "deterministic: the first `state` decides; the second never lets a code through") {
        assert_eq!(redirect("?state=s1&state=evil&code=c").unwrap().expose(), "c");
        assert_eq!(redirect("?state=evil&state=s1&code=c").unwrap_err(), AuthError::StateMismatch);
    }
    fn b05_state_in_the_fragment("B", "", "redirect `?code=c#state=s1`",
        "`oauth::parse_redirect`", "`StateMismatch` (the fragment is never read)") {
        assert_eq!(redirect("?code=c#state=s1").unwrap_err(), AuthError::StateMismatch);
    }
    fn b06_long_error_description_without_state("B", "16", "redirect `?error=x&error_description=<4 KB>`, no state",
        "`oauth::parse_redirect`", "refused; the description is dropped or cut to a few hundred characters") {
        let err = redirect(&format!("?error=x&error_description={}", huge(4096))).unwrap_err();
        let shown = format!("{err:?}");
        assert!(shown.len() < 600, "{} characters carried to the options page", shown.len());
    }
    fn b07_token_answer_is_html("B", "17", "token endpoint 200 `<html>`",
        "`oauth::decode_token`", "decode error `NotJson` (diagnosed as not ServiceNow)") {
        assert_eq!(decode_kind(token_answer(200, "<html><body>Log in</body></html>")), DecodeKind::NotJson);
    }
    fn b08_access_token_of_the_wrong_type("B", "18", "token `{\"access_token\":5}`",
        "`oauth::decode_token`", "decode error naming the field") {
        assert_eq!(decode_kind(token_answer(200, r#"{"access_token":5}"#)), DecodeKind::Field);
    }
    fn b09_empty_access_token("B", "18", "token `{\"access_token\":\"\"}`",
        "`oauth::decode_token`", "decode error: no token") {
        assert_eq!(decode_kind(token_answer(200, r#"{"access_token":""}"#)), DecodeKind::NoResult);
    }
    fn b10_negative_lifetime("B", "18", "token `expires_in: -5`",
        "`oauth::decode_token`", "decode error naming `expires_in`") {
        assert_eq!(decode_kind(token_answer(200, r#"{"access_token":"a","expires_in":-5}"#)), DecodeKind::Field);
    }
    fn b11_not_a_bearer_token("B", "18", "token `token_type: \"mac\"`",
        "`oauth::decode_token`", "decode error naming `token_type`") {
        assert_eq!(decode_kind(token_answer(200, r#"{"access_token":"a","token_type":"mac"}"#)), DecodeKind::Field);
    }
    fn b12_lifetime_of_1e300_seconds("B", "19", "token `expires_in: 1e300`",
        "`TokenSet::from_token_response`", "lifetime clamped (the expiry stays a storable integer ≤ 2^53)") {
        let set = token_answer(200, r#"{"access_token":"a","expires_in":1e300}"#).unwrap();
        assert!(set.expires_at_ms <= 1u64 << 53, "expires_at_ms {}", set.expires_at_ms);
    }
    fn b13_header_breaking_token("B", "20", "token `{\"access_token\":\"a\\r\\nX: y\"}`, or non-ASCII",
        "`TokenSet::from_token_response`", "decode error at parse, never a header that throws later") {
        assert!(token_answer(200, r#"{"access_token":"a\r\nX: y"}"#).is_err());
        assert!(token_answer(200, r#"{"access_token":"jeton-é"}"#).is_err());
    }
    fn b14_token_rejected_with_an_oauth_error("B", "", "token 401 `{\"error\":\"invalid_client\"}`",
        "`oauth::decode_token`", "`TokenRejected` with the error code") {
        match token_answer(401, r#"{"error":"invalid_client"}"#) {
            Err(ClientError::Auth(AuthError::TokenRejected { error, status: 401, .. })) => assert_eq!(error, "invalid_client"),
            other => panic!("{other:?}"),
        }
    }
    fn b15_refresh_token_of_the_wrong_type("B", "", "token `{\"access_token\":\"a\",\"refresh_token\":7}`",
        "`oauth::decode_token`", "decode error naming `refresh_token`") {
        assert_eq!(decode_kind(token_answer(200, r#"{"access_token":"a","refresh_token":7}"#)), DecodeKind::Field);
    }

    // C. Table API answers -----------------------------------------------------------------------
    fn c01_list_of_numbers("C", "22", "`{\"result\":[1]}`",
        "`table::decode_list`", "decode error at `incident.result[0]`") {
        match decode_list("incident", &answer(200, &[], r#"{"result":[1]}"#)) {
            Err(ClientError::Decode { context, .. }) => assert_eq!(context, "incident.result[0]"),
            other => panic!("{other:?}"),
        }
    }
    fn c02_list_answer_shaped_as_one_record("C", "23", "list answer `{\"result\":{…}}`",
        "`table::decode_list`", "decode error") {
        assert_eq!(decode_kind(decode_list("incident", &answer(200, &[], r#"{"result":{"sys_id":"a"}}"#))), DecodeKind::Field);
    }
    fn c03_no_result_member("C", "23", "`{\"records\":[]}`",
        "`table::decode_list`", "decode error `NoResult`") {
        assert_eq!(decode_kind(decode_list("incident", &answer(200, &[], r#"{"records":[]}"#))), DecodeKind::NoResult);
    }
    fn c04_html_login_page_with_200("C", "23", "HTML page with status 200",
        "`table::decode_list`", "decode error `NotJson`") {
        assert_eq!(decode_kind(decode_list("incident", &answer(200, &[], "<html>Instance hibernating</html>"))), DecodeKind::NotJson);
    }
    fn c05_one_bad_record_among_a_thousand("C", "24", "1000 records, one without `number`",
        "`TicketList::from_page`", "the bad record is skipped, the other 999 are read") {
        let mut records: Vec<_> = (0..1000).map(|i| record_json(&format!("id{i}"), &format!("INC{i:07}"), "snshare:a:b")).collect();
        records[500].as_object_mut().unwrap().remove("number");
        let list = tickets(&serde_json::json!({ "result": records }).to_string()).unwrap();
        assert_eq!(list.tickets.len(), 999);
    }
    fn c06_sys_id_with_an_ampersand("C", "25", "`sys_id` = `a&b`",
        "`decode_ticket` → `InstanceUrl::record_link`", "link stays on the instance, one query parameter") {
        let list = tickets(&serde_json::json!({ "result": [record_json("a&b", "INC1", "")] }).to_string()).unwrap();
        assert_eq!(list.tickets[0].link, "https://dev1.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3Da%2526b");
    }
    fn c07_sys_id_walking_off_the_instance("C", "", "`sys_id` = `/../../evil.example/#`",
        "`InstanceUrl::record_link`", "link stays on the instance; every special character encoded") {
        let link = dev1().record_link(TicketKind::Incident, "/../../evil.example/#");
        let tail = link.strip_prefix("https://dev1.service-now.com/nav_to.do?uri=").unwrap();
        assert!(tail.bytes().all(|b| b.is_ascii_alphanumeric() || b"%-._~".contains(&b)), "{link}");
    }
    fn c08_html_in_record_fields("C", "26", "`number`, `short_description`, state label, `assigned_to` = `<script>`/`<img onerror>`",
        "`decode_ticket`", "kept as the literal text (rendered as text: `tests/wasm_ui.rs`, e2e `track.spec.mjs`)") {
        let html = "<img src=x onerror=alert(1)><script>alert(2)</script>";
        let body = serde_json::json!({ "result": [{
            "sys_id": "a", "number": html, "short_description": html,
            "state": { "value": "1", "display_value": html },
            "assigned_to": { "value": "u", "display_value": html },
            "correlation_id": "snshare:a:b",
        }] });
        let t = &tickets(&body.to_string()).unwrap().tickets[0];
        assert_eq!((t.number.as_str(), t.short_description.as_str(), t.state_label.as_str()), (html, html, html));
        assert_eq!(t.assigned_to.as_deref(), Some(html));
    }
    fn c09_json_nested_100000_deep("C", "31", "JSON nested 100 000 deep",
        "`table::decode_list`", "decode error, no stack overflow") {
        let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(decode_kind(decode_list("incident", &answer(200, &[], &body))), DecodeKind::NotJson);
    }
    fn c10_total_count_out_of_range("C", "32", "`X-Total-Count: 99999999999`, `-1`",
        "`table::decode_list`", "ignored (no total), the rows still read") {
        for count in ["99999999999", "-1"] {
            let page = decode_list("incident", &answer(200, &[("X-Total-Count", count)], r#"{"result":[]}"#)).unwrap();
            assert_eq!(page.total, None, "{count}");
        }
    }
    fn c11_retry_after_of_21_digits("C", "33", "`Retry-After: 999999999999999999999`",
        "`retry::parse_retry_after`", "capped at 2 h") {
        assert_eq!(parse_retry_after("999999999999999999999", NOW_MS), Some(MAX_RETRY_AFTER_MS));
    }
    fn c12_rate_limit_reset_in_ten_years("C", "34", "429 with `X-RateLimit-Reset` = now + 10 years",
        "`Client::execute` → `diagnose::failure`", "the wait is capped at 2 h") {
        let reset = (NOW_MS / 1000 + 10 * 365 * 86_400).to_string();
        let err = table_error(answer(429, &[("X-RateLimit-Reset", &reset)], "{}"));
        match err.failure(NOW_MS) {
            Failure::Status { status: 429, retry_after_ms: Some(ms) } => assert!(ms <= MAX_RETRY_AFTER_MS, "{ms}"),
            other => panic!("{other:?}"),
        }
    }
    fn c13_error_message_of_one_megabyte("C", "35", "error envelope whose `message` is 1 MB",
        "`Client::execute` → `diagnose`", "the diagnosis carries at most a few hundred characters of it") {
        let body = serde_json::json!({ "error": { "message": huge(1 << 20), "detail": huge(1 << 20) }, "status": "failure" });
        let err = table_error(answer(400, &[], &body.to_string()));
        let shown = format!("{:?}", err.diagnosis(NOW_MS));
        assert!(shown.len() < 2000, "{} characters kept", shown.len());
    }
    fn c14_error_envelope_of_the_wrong_shape("C", "", "error answer `{\"error\":{\"message\":5}}`",
        "`Client::execute`", "an HTTP error without an envelope, no panic") {
        match table_error(answer(500, &[], r#"{"error":{"message":5}}"#)) {
            ClientError::Http(h) => assert_eq!((h.status, h.envelope.is_none()), (500, true)),
            other => panic!("{other:?}"),
        }
    }
    fn c15_field_values_of_odd_shapes("C", "", "`sys_id` as `{\"value\":[1]}`, `number` as `null`",
        "`decode_ticket`", "decode error naming the field") {
        let body = r#"{"result":[{"sys_id":{"value":[1]},"number":null}]}"#;
        match tickets(body) {
            Err(ClientError::Decode { context, .. }) => assert_eq!(context, "incident.sys_id"),
            other => panic!("{other:?}"),
        }
    }
    fn c16_broken_link_header("C", "", "`Link: <<<>;rel=next, <x;rel=\"last`",
        "`table::decode_list`", "read as far as it makes sense, no panic") {
        let page = decode_list("incident", &answer(200, &[("Link", "<<<>;rel=next, <x;rel=\"last")], r#"{"result":[]}"#)).unwrap();
        assert_eq!(page.records.len(), 0);
    }
    fn c17_planted_snshare_record("C", "", "a record another user gave a `snshare:` correlation id",
        "`ticket_query` (`TicketFilter::owned_by`)", "the lookup asks only for records the connected user opened") {
        let filter = TicketFilter { action_id: Some("AdminMFAV2".into()), ..TicketFilter::default() }.owned_by(Some("u1"));
        assert!(query_of(filter).unwrap().contains("^opened_by=u1^"));
    }

    // D. Encoded queries --------------------------------------------------------------------------
    fn d01_action_id_breaking_the_query("D", "36", "action id `X^ORactive=false^NQsys_idISNOTEMPTY,y:z`",
        "`correlation::action_key` → `ticket_query`", "hashed key; the query keeps its own terms only") {
        let action = "X^ORactive=false^NQsys_idISNOTEMPTY,y:z";
        let q = query_of(TicketFilter { action_id: Some(action.into()), ..TicketFilter::default() }).unwrap();
        let key = correlation::action_key(action);
        assert!(!key.contains(['^', ',', ':', '=']), "{key}");
        assert!(!q.contains("active=false") && !q.contains("^NQ"), "{q}");
    }
    fn d02_search_with_a_caret("D", "37", "search `mfa^ORactive=false`",
        "`query::sanitize_value` → `ticket_query`", "caret stripped: still one LIKE group") {
        let q = search("mfa^ORactive=false");
        assert!(q.contains("numberLIKEmfaORactive=false^ORshort_descriptionLIKEmfaORactive=false"), "{q}");
        assert!(!q.contains("^ORactive"), "{q}");
    }
    fn d03_search_running_script("D", "38", "search `javascript:gs.getUserID()`, `  JAVASCRIPT:x`",
        "`query::sanitize_value`", "the colon is removed") {
        assert_eq!(sanitize_value("javascript:gs.getUserID()"), "javascript gs.getUserID()");
        assert_eq!(sanitize_value("  JAVASCRIPT:x"), "JAVASCRIPT x");
    }
    fn d04_control_character_before_script("D", "39", "search `\\u0001javascript:gs.getUserID()`",
        "`query::sanitize_value` → `ticket_query`", "control characters stripped: no `javascript:` reaches the instance") {
        let q = search("\u{1}javascript:gs.getUserID()");
        assert!(!q.chars().any(char::is_control), "{q:?}");
        assert!(!q.to_ascii_lowercase().contains("javascript:"), "{q:?}");
    }
    fn d05_control_characters_in_a_value("D", "39", "value `\\u0001javascript:x`, `a\\u0000b`",
        "`EncodedQuery::build`", "refused") {
        assert!(EncodedQuery::new().eq("state", "\u{1}javascript:x").build().is_err());
        assert!(EncodedQuery::new().like("number", "a\u{0}b").build().is_err());
    }
    fn d06_comma_in_a_state_filter("D", "40", "state filter `1,2` (list page hash)",
        "`ticket_query`", "`CommaInList`, nothing sent") {
        let r = query_of(TicketFilter { states: vec!["1,2".into()], ..TicketFilter::default() });
        assert!(matches!(r, Err(QueryError::CommaInList { .. })), "{r:?}");
    }
    fn d07_script_in_a_state_filter("D", "41", "state filter `javascript:x` (an IN value)",
        "`ticket_query`", "`Script` error, nothing sent") {
        let r = query_of(TicketFilter { states: vec!["javascript:x".into()], ..TicketFilter::default() });
        assert!(matches!(r, Err(QueryError::Script { .. })), "{r:?}");
    }
    fn d08_underscore_as_a_like_wildcard("D", "42", "actions `a_b` and `aXb`, each with an open ticket",
        "`Client::find_open_for_action`", "the duplicate warning lists only `a_b`'s ticket") {
        let body = serde_json::json!({ "result": [
            record_json("1", "INC1", "snshare:a_b:s1"),
            record_json("2", "INC2", "snshare:aXb:s2"),
        ] });
        let c = client(answer(200, &[], &body.to_string()));
        let open = block_on(c.find_open_for_action(&Secret::new("t"), "a_b", &[])).unwrap();
        assert!(!open.is_empty());
        assert!(open.iter().all(|t| t.correlation_id.starts_with("snshare:a_b:")), "{open:?}");
    }
    fn d09_field_name_smuggling_a_term("D", "", "field name `state^ORactive`",
        "`EncodedQuery::build`", "`InvalidField`") {
        let r = EncodedQuery::new().eq("state^ORactive", "1").build();
        assert!(matches!(r, Err(QueryError::InvalidField(_))), "{r:?}");
    }
    fn d10_line_break_in_a_value("D", "", "value `1\\r\\nactive=false`",
        "`EncodedQuery::build`", "`LineBreak`") {
        let r = EncodedQuery::new().eq("state", "1\r\nactive=false").build();
        assert!(matches!(r, Err(QueryError::LineBreak { .. })), "{r:?}");
    }

    // E. Messages, senders and worker input --------------------------------------------------------
    fn e01_another_extension("E", "43", "message from another extension's id",
        "`SenderInfo::classify`", "refused (no sender kind)") {
        assert_eq!(sender("abcdefghijklmnopabcdefghijklmnop", Some("chrome-extension://abcdefghijklmnopabcdefghijklmnop/x.html"), None, false), None);
    }
    fn e02_look_alike_portal_origin("E", "44", "our content script on `https://security.microsoft.com.evil.example`",
        "`SenderInfo::classify`", "refused") {
        assert_eq!(sender(OUR_ID, Some("https://security.microsoft.com.evil.example/"), Some("https://security.microsoft.com.evil.example"), true), None);
        // The same sender on the real portal is ours: the refusal above is the origin's doing.
        assert_eq!(sender(OUR_ID, Some("https://security.microsoft.com/"), Some("https://security.microsoft.com"), true), Some(SenderKind::PortalContentScript));
    }
    fn e03_portal_url_with_user_info("E", "", "content script whose URL is `https://security.microsoft.com@evil.example/`, no origin",
        "`SenderInfo::classify`", "refused") {
        assert_eq!(sender(OUR_ID, Some("https://security.microsoft.com@evil.example/"), None, true), None);
    }
    fn e04_portal_url_without_a_tab("E", "", "sender without a tab claiming the portal URL",
        "`SenderInfo::classify`", "refused (only our pages send without a tab)") {
        assert_eq!(sender(OUR_ID, Some("https://security.microsoft.com/"), Some("https://security.microsoft.com"), false), None);
    }
    fn e05_content_script_touching_the_connection("E", "45", "content script sends `disconnect`, `authorize`, `test_connection`, `list_tickets`",
        "`RequestBody::allowed_from`", "`Forbidden`") {
        for body in [r#"{"type":"disconnect"}"#, r#"{"type":"authorize","data":{"method":"authorization_code"}}"#,
            r#"{"type":"test_connection"}"#,
            r#"{"type":"list_tickets","data":{"kind":null,"states":[],"category":null,"search":null,"sort":"updated","descending":true,"offset":0,"limit":50}}"#] {
            assert!(!from_content_script(body), "{body}");
        }
    }
    fn e06_content_script_changing_settings("E", "46", "content script sends `save_settings` (instance `https://evil.example`), `retry_share`, `discard_share`, `save_state_names`",
        "`RequestBody::allowed_from`", "`Forbidden`") {
        let input = serde_json::json!({
            "instance": "https://evil.example", "client_id": "x", "client_secret": null,
            "defaults": TicketDefaults::default(), "fallback_user_id": null, "refresh_minutes": null,
        });
        assert!(!from_content_script(&format!(r#"{{"type":"save_settings","data":{input}}}"#)));
        for body in [r#"{"type":"retry_share","data":{"share_id":"s"}}"#, r#"{"type":"discard_share","data":{"share_id":"s"}}"#,
            r#"{"type":"save_state_names","data":[]}"#] {
            assert!(!from_content_script(body), "{body}");
        }
    }
    fn e07_content_script_reading_the_outbox("E", "", "content script sends `get_outbox`, `get_state_names`",
        "`RequestBody::allowed_from`", "`Forbidden` (the content script never uses them)") {
        assert!(!from_content_script(r#"{"type":"get_outbox"}"#));
        assert!(!from_content_script(r#"{"type":"get_state_names"}"#));
    }
    fn e08_share_id_of_the_wrong_type("E", "47", "`{\"v\":1,\"body\":{\"type\":\"share\",\"data\":{\"share_id\":5}}}`",
        "`Request` decoding", "typed decode error (`Malformed`)") {
        assert!(request(r#"{"v":1,"body":{"type":"share","data":{"share_id":5}}}"#).is_err());
    }
    fn e09_not_a_request_at_all("E", "47", "`\"just a string\"`, `null`, `[]`, `{}`",
        "`Request` decoding", "typed decode error (`Malformed`)") {
        for m in [r#""just a string""#, "null", "[]", "{}", r#"{"v":1}"#] {
            assert!(request(m).is_err(), "{m}");
        }
    }
    fn e10_unknown_request_type("E", "", "`{\"v\":1,\"body\":{\"type\":\"eval\",\"data\":\"x\"}}`",
        "`Request` decoding", "typed decode error") {
        assert!(request(r#"{"v":1,"body":{"type":"eval","data":"x"}}"#).is_err());
    }
    fn e11_request_nested_100000_deep("E", "", "a message nested 100 000 deep",
        "`Request` decoding", "decode error, no stack overflow") {
        let m = format!(r#"{{"v":1,"body":{{"type":"save_state_names","data":{}{}}}}}"#, "[".repeat(100_000), "]".repeat(100_000));
        assert!(request(&m).is_err());
    }
    fn e12_due_9999_12_31_west_of_utc("E", "48", "share due `9999-12-31`, worker at UTC−5",
        "`TaskDraft::validate` → `NewTicket::from_draft`", "`Invalid` due date, or a valid date; never a panic") {
        let _ = share_record(&draft(serde_json::json!({ "due_date": "9999-12-31" })), -300);
    }
    fn e13_end_of_time_at_every_offset("E", "48", "`due_date_value(9999-12-31, −1 min … −14 h)`",
        "`draft::due_date_value`", "no panic") {
        let d = parse_date("9999-12-31").unwrap();
        for offset in [-1, -300, -720, -840] {
            let r = catch_unwind(|| format!("{:?}", due_date_value(d, offset)));
            assert!(r.is_ok(), "panicked at offset {offset}");
        }
    }
    fn e14_due_9999_12_31_east_of_utc("E", "48", "share due `9999-12-31`, worker at UTC+14",
        "`NewTicket::from_draft`", "`9999-12-31 09:59:59` UTC (or `Invalid` due date)") {
        // A cap on far due dates (the M1 fix may add one) refuses it instead: also safe.
        match share_record(&draft(serde_json::json!({ "due_date": "9999-12-31" })), 840) {
            Ok(record) => assert!(record.contains("9999-12-31 09:59:59"), "{record}"),
            Err(fields) => assert_eq!(fields, vec![DraftField::DueDate]),
        }
    }
    fn e15_action_id_of_one_megabyte("E", "49", "share whose `action_id` is 1 MB",
        "`TaskDraft::validate` (worker side)", "refused") {
        assert!(share_record(&draft(serde_json::json!({ "action_id": huge(1 << 20) })), 0).is_err());
    }
    fn e16_action_id_with_control_characters("E", "49", "share whose `action_id` is `a\\u0000b\\nc`",
        "`TaskDraft::validate` (worker side)", "refused") {
        assert!(share_record(&draft(serde_json::json!({ "action_id": "a\u{0}b\nc" })), 0).is_err());
    }
    fn e17_description_of_ten_megabytes("E", "49", "share whose `description` is 10 MB",
        "`TaskDraft::validate` (worker side)", "refused") {
        assert!(share_record(&draft(serde_json::json!({ "description": huge(10 << 20) })), 0).is_err());
    }
    fn e18_user_id_of_ten_megabytes("E", "49", "share whose `user_id` is 10 MB",
        "`TaskDraft::validate` (worker side)", "refused") {
        assert!(share_record(&draft(serde_json::json!({ "user_id": huge(10 << 20) })), 0).is_err());
    }
    fn e19_name_too_long_or_blank("E", "", "task name of 161 characters; a name of spaces",
        "`TaskDraft::validate`", "refused on the name field") {
        for name in [huge(161), "   ".to_owned()] {
            assert_eq!(share_record(&draft(serde_json::json!({ "name": name })), 0), Err(vec![DraftField::Name]));
        }
    }
    fn e20_lone_surrogate_in_a_name("E", "52", "draft name `\"\\uD800\"` (a lone surrogate)",
        "`Request` decoding", "a decode error or U+FFFD, no panic") {
        let m = r#"{"v":1,"body":{"type":"get_draft","data":{"key":"\uD800"}}}"#;
        if let Ok(r) = request(m) {
            assert_eq!(r.body, RequestBody::GetDraft { key: "\u{FFFD}".into() });
        }
    }
    fn e21_unknown_ticket_kind("E", "", "share with `kind: \"problem\"`",
        "`Request` decoding", "typed decode error") {
        let mut d = serde_json::to_value(draft(serde_json::json!({}))).unwrap();
        d["kind"] = "problem".into();
        let m = serde_json::json!({ "v": 1, "body": { "type": "share", "data": { "share_id": "s", "draft": d, "allow_duplicate": false } } });
        assert!(serde_json::from_value::<Request>(m).is_err());
    }
    fn e22_script_link_in_a_draft("E", "", "draft `action_url` = `javascript:alert(1)`",
        "`TaskDraft::ticket_description`", "the ticket's link is rebuilt on the portal's origin") {
        let d = draft(serde_json::json!({ "action_url": "javascript:alert(1)" }));
        let text = d.ticket_description();
        assert!(text.contains("Link: https://security.microsoft.com/securescore?viewid=actions&actionId=AdminMFAV2"), "{text}");
        assert!(!text.contains("javascript:"), "{text}");
    }
    fn e23_portal_page_on_a_look_alike_origin("E", "", "`location.href` = `https://security.microsoft.com.evil.example/securescore`",
        "`PortalPage::from_url`", "not a portal page") {
        assert_eq!(PortalPage::from_url("https://security.microsoft.com.evil.example/securescore"), None);
    }
    fn e24_action_id_of_300_characters_in_a_link("E", "", "row link with `actionId=<300 characters>` or a control character",
        "`portal_url::action_id_from_href`", "no action id") {
        assert_eq!(action_id_from_href(&format!("/securescore?viewid=actions&actionId={}", huge(300))), None);
        assert_eq!(action_id_from_href("/securescore?viewid=actions&actionId=a%00b"), None);
    }

    // F. Storage tampering and settings ---------------------------------------------------------
    fn f01_stored_instance_over_http("F", "55", "`storage.local` instance `http://evil.example`",
        "`InstanceUrl` as read from storage", "refused when read: `NotConnected`, no request") {
        assert!(serde_json::from_str::<InstanceUrl>(r#""http://evil.example""#).is_err());
    }
    fn f02_stored_instance_with_user_info("F", "55", "stored instance `https://dev1.service-now.com@evil.example/x`",
        "`InstanceUrl` as read from storage", "refused when read") {
        assert!(serde_json::from_str::<InstanceUrl>(r#""https://dev1.service-now.com@evil.example/x""#).is_err());
    }
    fn f03_outbox_correlation_id_with_a_caret("F", "56", "outbox entry whose `correlation_id` holds `^ORactive=false`",
        "`ticket_query` (lookup before a retry)", "`Caret`: the query is refused, never widened") {
        let r = query_of(TicketFilter { correlation_id: Some("snshare:a:b^ORactive=false".into()), ..TicketFilter::default() });
        assert!(matches!(r, Err(QueryError::Caret { .. })), "{r:?}");
    }
    fn f04_stored_tokens_of_the_wrong_shape("F", "", "stored tokens without `access_token`, or with `expires_at_ms: \"x\"`",
        "`TokenSet` as read from storage", "decode error (treated as no tokens), no panic") {
        assert!(serde_json::from_str::<TokenSet>(r#"{"refresh_token":"r","expires_at_ms":1,"scope":null}"#).is_err());
        assert!(serde_json::from_str::<TokenSet>(r#"{"access_token":"a","refresh_token":null,"expires_at_ms":"x","scope":null}"#).is_err());
    }
    fn f05_stored_tokens_never_print("F", "", "stored tokens formatted into a log or an error",
        "`Secret`'s `Debug`", "`[redacted]`, never the token") {
        let set: TokenSet = serde_json::from_str(r#"{"access_token":"AT-secret","refresh_token":"RT-secret","expires_at_ms":1,"scope":null}"#).unwrap();
        let shown = format!("{set:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}

// ---------------------------------------------------------------------------------------------
// SECURITY.md's table is these rows
// ---------------------------------------------------------------------------------------------

const BEGIN: &str = "<!-- bad-inputs:begin (generated from tests/bad_inputs.rs: BLESS=1 cargo test --test bad_inputs) -->";
const END: &str = "<!-- bad-inputs:end -->";

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn table() -> String {
    let mut out = String::from(
        "| # | Review | Input | Where | Expected outcome (asserted) | Test | Status |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for (i, r) in ROWS.iter().enumerate() {
        let review = if r.review.is_empty() {
            "new".to_owned()
        } else {
            format!("{}#{}", r.section, r.review)
        };
        let status = match r.ignored {
            None => "passes".to_owned(),
            Some(why) => format!("ignored: {why}"),
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | `{}` | {} |\n",
            i + 1,
            review,
            cell(r.what),
            cell(r.place),
            cell(r.expected),
            r.test,
            cell(&status),
        ));
    }
    out
}

#[test]
fn security_md_lists_exactly_these_rows() {
    assert!(
        ROWS.len() >= 50,
        "the table promises at least 50 bad inputs, has {}",
        ROWS.len()
    );
    for sec in ["A", "B", "C", "D", "E", "F"] {
        assert!(
            ROWS.iter().any(|r| r.section == sec),
            "no row in section {sec}"
        );
        assert!(ROWS
            .iter()
            .filter(|r| r.section == sec)
            .all(|r| r.test.starts_with(&sec.to_ascii_lowercase())));
    }
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../SECURITY.md"));
    let doc = std::fs::read_to_string(&path).expect("SECURITY.md at the repository root");
    let start = doc.find(BEGIN).expect("SECURITY.md has the begin marker") + BEGIN.len();
    let end = doc.find(END).expect("SECURITY.md has the end marker");
    assert!(start <= end, "markers out of order");
    let wanted = format!("\n{}", table());
    if std::env::var_os("BLESS").is_some() {
        let updated = format!("{}{}{}", &doc[..start], wanted, &doc[end..]);
        std::fs::write(&path, updated).expect("SECURITY.md written");
        return;
    }
    assert!(
        doc[start..end] == wanted,
        "SECURITY.md's bad-inputs table is out of date: run `BLESS=1 cargo test --test bad_inputs`"
    );
}
