//! The extension pages' render functions in a real browser: data in, DOM out.
//!
//! No extension context here, so a stand-in `chrome.i18n` answers from the real English
//! catalogue (extension/_locales/en/messages.json, compiled in). Messaging is not involved:
//! the render functions take data and a dispatch callback, which the tests record.
#![cfg(target_arch = "wasm32")]
// Test code: a failed unwrap is a failed test (clippy.toml allows it in test functions; these
// are their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/dom.rs"]
mod dom;
#[path = "common/i18n_stub.rs"]
mod i18n_stub;
use dom::all;

use std::cell::RefCell;
use std::rc::Rc;

use snshare_core::domain::connection::{ConnectedUser, ConnectionState, ConnectionStatus};
use snshare_core::domain::diagnosis::Diagnosis;
use snshare_core::domain::outbox::OutboxStatus;
use snshare_core::domain::settings::{SettingsView, TicketDefaults};
use snshare_core::domain::ticket::{Priority, TicketKind, TicketSummary};
use snshare_core::messages::{
    DiagnosticReport, DiagnosticStep, OutboxView, SettingsError, StateCount, StateName, TicketPage,
    TicketSnapshot, TicketSort,
};
use snshare_pages::common::{
    diagnosis_text, kind_from_value, priority_from_value, safe_href, status_from_markup,
};
use snshare_pages::options::{
    bind_settings_form, instance_origin_pattern, render_diagnostics, render_state_names,
    state_name_overrides, OptionsAction,
};
use snshare_pages::popup::{
    render_outbox, render_status_actions, render_tickets, Drawn, PopupAction,
};
use snshare_pages::tickets::{
    age_line, bind_toolbar, change_announcement, paging_label, render_results, ListState,
    TicketsAction, PAGE_SIZE,
};
use snshare_web::dom::build::{el, Dispatch, Region};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

use i18n_stub::CATALOGUE;
const POPUP_HTML: &str = include_str!("../extension/popup.html");
const TICKETS_HTML: &str = include_str!("../extension/tickets.html");
const XSS: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";

/// `chrome.i18n` from the English catalogue (tests/common/i18n_stub.rs).
fn setup() {
    i18n_stub::install();
}

fn recorder<A: 'static>() -> (Dispatch<A>, Rc<RefCell<Vec<A>>>) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    (Rc::new(move |a| l.borrow_mut().push(a)), log)
}

fn one(root: &Element, selector: &str) -> Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("no {selector}"))
}

/// The English text of a catalogue key, as written in messages.json.
fn english(key: &str) -> String {
    let catalogue: serde_json::Value = serde_json::from_str(CATALOGUE).unwrap();
    catalogue[key]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in the catalogue"))
        .to_string()
}

fn text(e: &Element) -> String {
    e.text_content().unwrap_or_default()
}

fn click(e: &Element) {
    e.dyn_ref::<HtmlElement>().unwrap().click();
}

/// The view attached to the document, for the selectors and clicks to behave as on the page.
fn mount(view: &snshare_web::dom::build::View) -> Element {
    let body = web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .body()
        .unwrap();
    body.append_child(view.root()).unwrap();
    view.root().clone()
}

/// An extension page's markup (its `#app` and templates) in the document, as the browser
/// loads it, replacing the page an earlier test loaded; its `#app`, not yet translated.
fn load_page(html: &str) -> Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    if let Some(old) = doc.get_element_by_id("test-page") {
        old.remove();
    }
    let host = doc.create_element("div").unwrap();
    host.set_id("test-page");
    host.set_inner_html(html);
    doc.body().unwrap().append_child(&host).unwrap();
    one(&host, "#app")
}

fn ticket(kind: TicketKind, n: u32, name: &str) -> TicketSummary {
    let prefix = if kind == TicketKind::Incident {
        "INC"
    } else {
        "CHG"
    };
    TicketSummary {
        kind,
        sys_id: format!("sys{n}"),
        number: format!("{prefix}{n:07}"),
        short_description: name.to_string(),
        state: "1".into(),
        state_label: "New".into(),
        open: true,
        priority: Some(Priority::High),
        assigned_to: None,
        updated_on: "2025-03-01 10:00:00".into(),
        correlation_id: format!("snshare:act{n}:s{n}"),
        action_id: Some(format!("act{n}")),
        link: format!("https://dev12345.service-now.com/nav_to.do?uri=incident.do?sys_id=sys{n}"),
    }
}

fn connected() -> ConnectionStatus {
    ConnectionStatus {
        state: ConnectionState::Connected,
        instance: Some("https://dev12345.service-now.com".into()),
        user: Some(ConnectedUser {
            user_name: "snshare.integration".into(),
            name: "snshare Integration".into(),
            email: None,
            sys_id: "u1".into(),
            integration_account: Some(true),
        }),
        access_token_expires_at: Some(1_700_000_000_000),
        last_success_at: Some(1_700_000_000_000),
        warnings: vec![],
    }
}

// ---------------------------------------------------------------------------------------------
// Connection status
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn status_says_connected_as_the_login() {
    setup();
    load_page(POPUP_HTML);
    let view = status_from_markup(Some(&connected()), true).unwrap();
    let s = text(&view);
    assert!(s.contains("Connected as snshare.integration"), "{s}");
    assert!(s.contains("https://dev12345.service-now.com"), "{s}");
    assert!(s.contains("Access token expires"), "{s}");
    assert!(s.contains("Last successful call"), "{s}");
}

#[wasm_bindgen_test]
fn status_names_each_other_state() {
    setup();
    load_page(POPUP_HTML);
    let shown =
        |s: Option<&ConnectionStatus>, detailed| text(&status_from_markup(s, detailed).unwrap());
    let mut status = ConnectionStatus::not_connected(None);
    assert!(shown(Some(&status), true).contains("Not connected"));
    status.state = ConnectionState::AuthorizationNeeded;
    assert!(shown(Some(&status), false).contains("Authorization needed"));
    status.state = ConnectionState::Unreachable;
    assert!(shown(Some(&status), false).contains("Instance unreachable"));
    assert!(shown(None, false).contains("Checking"));
}

#[wasm_bindgen_test]
fn status_renders_a_hostile_user_name_as_text() {
    setup();
    let mut status = connected();
    if let Some(u) = status.user.as_mut() {
        u.user_name = XSS.into();
    }
    load_page(POPUP_HTML);
    let view = status_from_markup(Some(&status), true).unwrap();
    assert!(text(&view).contains(XSS));
    assert!(all(&view, "script, img").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Ticket list page
// ---------------------------------------------------------------------------------------------

fn page_of(total: u32, offset: u32, shown: u32) -> TicketPage {
    TicketPage {
        tickets: (0..shown)
            .map(|i| {
                ticket(
                    TicketKind::Incident,
                    offset + i + 1,
                    &format!("Task {}", offset + i + 1),
                )
            })
            .collect(),
        total,
        offset,
        fetched_at: None,
    }
}

#[wasm_bindgen_test]
fn paging_label_reads_first_last_of_total() {
    setup();
    assert_eq!(paging_label(0, 25, 300), "1–25 of 300");
    assert_eq!(paging_label(25, 25, 300), "26–50 of 300");
    assert_eq!(paging_label(275, 25, 300), "276–300 of 300");
    assert_eq!(paging_label(0, 3, 3), "1–3 of 3");
    assert_eq!(paging_label(0, 0, 0), "No tickets");
}

#[wasm_bindgen_test]
fn ticket_table_has_caption_headers_rows_and_sort_state() {
    setup();
    let (d, _) = recorder::<TicketsAction>();
    load_page(TICKETS_HTML);
    let view = render_results(&page_of(300, 0, 25), &ListState::default(), &d)
        .unwrap()
        .build();
    let root = view.root();
    let table = one(root, "table");
    assert!(text(&one(&table, "caption")).contains("snshare tickets in ServiceNow"));
    assert_eq!(all(&table, "thead th[scope=col]").len(), 7);
    assert_eq!(all(&table, "tbody tr").len(), 25);
    // Newest first by default: only the Updated column carries aria-sort.
    let sorted = all(&table, "th[aria-sort]");
    assert_eq!(sorted.len(), 1);
    assert_eq!(
        sorted[0].get_attribute("aria-sort").as_deref(),
        Some("descending")
    );
    assert!(text(&sorted[0]).contains("Updated"));
    // Number links into ServiceNow in a new tab.
    let link = one(&table, "tbody tr a");
    assert_eq!(text(&link), "INC0000001");
    assert_eq!(link.get_attribute("target").as_deref(), Some("_blank"));
    assert!(link
        .get_attribute("rel")
        .unwrap_or_default()
        .contains("noopener"));
    assert!(text(&one(root, ".paging-label")).contains("1–25 of 300"));
}

#[wasm_bindgen_test]
fn ticket_fields_holding_html_stay_text() {
    setup();
    let (d, _) = recorder::<TicketsAction>();
    let mut t = ticket(TicketKind::Incident, 1, XSS);
    t.state_label = XSS.into();
    t.assigned_to = Some(XSS.into());
    t.number = XSS.into();
    t.link = "javascript:alert(3)".into();
    load_page(TICKETS_HTML);
    let view = render_results(
        &TicketPage {
            tickets: vec![t],
            total: 1,
            offset: 0,
            fetched_at: None,
        },
        &ListState::default(),
        &d,
    )
    .unwrap()
    .build();
    let root = view.root();
    assert!(all(root, "script, img").is_empty(), "markup was parsed");
    assert!(text(&one(root, "tbody")).matches(XSS).count() >= 3);
    // A javascript: link is not a link at all.
    assert!(all(root, "tbody a").is_empty());
    assert_eq!(safe_href("javascript:alert(1)"), None);
    assert_eq!(
        safe_href(" https://x.service-now.com/a "),
        Some("https://x.service-now.com/a")
    );
    assert_eq!(
        safe_href("http://127.0.0.1:8443/x"),
        Some("http://127.0.0.1:8443/x")
    );
    assert_eq!(safe_href("http://127.0.0.1.evil.example/"), None);
}

#[wasm_bindgen_test]
fn paging_buttons_follow_the_position() {
    setup();
    let (d, log) = recorder::<TicketsAction>();
    load_page(TICKETS_HTML);
    // The view owns the listeners: it must outlive the clicks.
    let first_view = render_results(&page_of(300, 0, 25), &ListState::default(), &d)
        .unwrap()
        .build();
    let first = mount(&first_view);
    let prev = one(&first, "[data-action=previous]");
    let next = one(&first, "[data-action=next]");
    assert!(prev.has_attribute("disabled"));
    assert!(!next.has_attribute("disabled"));
    click(&next);
    assert_eq!(log.borrow().as_slice(), &[TicketsAction::Next]);
    first.remove();

    let last = render_results(
        &page_of(300, 275, 25),
        &ListState {
            page: 11,
            ..ListState::default()
        },
        &d,
    )
    .unwrap()
    .build();
    assert!(!one(last.root(), "[data-action=previous]").has_attribute("disabled"));
    assert!(one(last.root(), "[data-action=next]").has_attribute("disabled"));
}

#[wasm_bindgen_test]
fn clicking_a_header_asks_for_that_sort() {
    setup();
    let (d, log) = recorder::<TicketsAction>();
    load_page(TICKETS_HTML);
    let view = render_results(&page_of(30, 0, 25), &ListState::default(), &d)
        .unwrap()
        .build();
    let root = mount(&view);
    click(&one(&root, "button[data-sort=number]"));
    click(&one(&root, "button[data-sort=updated]"));
    assert_eq!(
        log.borrow().as_slice(),
        &[
            TicketsAction::Sort(TicketSort::Number),
            TicketsAction::Sort(TicketSort::Updated)
        ]
    );
    root.remove();
}

#[wasm_bindgen_test]
fn empty_list_says_so_and_offers_to_clear_filters() {
    setup();
    let (d, log) = recorder::<TicketsAction>();
    let empty = TicketPage {
        tickets: vec![],
        total: 0,
        offset: 0,
        fetched_at: None,
    };
    let page = load_page(TICKETS_HTML);
    let plain = render_results(&empty, &ListState::default(), &d)
        .unwrap()
        .build();
    assert!(text(plain.root()).contains("No snshare tickets yet"));
    assert!(all(plain.root(), "table").is_empty());

    let filtered = ListState {
        search: "mfa".into(),
        ..ListState::default()
    };
    let view = render_results(&empty, &filtered, &d).unwrap().build();
    assert!(text(view.root()).contains("No tickets match these filters."));
    assert!(!text(view.root()).contains("No snshare tickets yet"));
    // The toolbar's Clear filters is the only one (unique accessible name on the page).
    assert!(all(view.root(), "button").is_empty());
    let (toolbar, _) = bind_toolbar(&page, &filtered, &[], &d).unwrap();
    let toolbar = toolbar.build();
    click(&one(toolbar.root(), "#clear-filters"));
    assert_eq!(log.borrow().as_slice(), &[TicketsAction::ClearFilters]);
}

#[wasm_bindgen_test]
fn list_state_round_trips_through_the_hash() {
    setup();
    assert_eq!(ListState::default().to_hash(), "");
    assert_eq!(ListState::from_hash(""), ListState::default());
    assert_eq!(ListState::from_hash("#"), ListState::default());
    let s = ListState {
        kind: Some(TicketKind::ChangeRequest),
        state: Some("-5".into()),
        category: Some(snshare_core::domain::ticket::Category::Identity),
        source: Some(snshare_core::domain::ticket::RecommendationSource::ComplianceManager),
        search: "MFA & <b>admins</b>".into(),
        sort: TicketSort::Number,
        descending: false,
        page: 3,
    };
    let hash = s.to_hash();
    assert!(hash.contains("page=4"), "{hash}");
    assert!(hash.contains("source=compliance_manager"), "{hash}");
    assert_eq!(
        s.query().source,
        Some(snshare_core::domain::ticket::RecommendationSource::ComplianceManager)
    );
    assert_eq!(ListState::from_hash(&format!("#{hash}")), s);
    let q = s.query();
    assert_eq!(q.offset, 3 * PAGE_SIZE);
    assert_eq!(q.limit, PAGE_SIZE);
    assert_eq!(q.states, vec!["-5".to_string()]);
    assert_eq!(q.search.as_deref(), Some("MFA & <b>admins</b>"));
    // Junk falls back to defaults instead of failing.
    let junk = ListState::from_hash("#kind=nope&sort=bogus&page=-3&dir=sideways");
    assert_eq!(junk, ListState::default());
}

#[wasm_bindgen_test]
fn toolbar_has_labelled_search_and_filters() {
    setup();
    let (d, log) = recorder::<TicketsAction>();
    let names = vec![
        StateName {
            kind: TicketKind::Incident,
            state: "1".into(),
            instance_label: "New".into(),
            custom_label: None,
        },
        StateName {
            kind: TicketKind::ChangeRequest,
            state: "-5".into(),
            instance_label: "New".into(),
            custom_label: Some("Draft".into()),
        },
    ];
    let state = ListState {
        kind: Some(TicketKind::ChangeRequest),
        state: Some("-5".into()),
        ..ListState::default()
    };
    let page = load_page(TICKETS_HTML);
    snshare_web::template::translate(&page);
    let (toolbar, controls) = bind_toolbar(&page, &state, &names, &d).unwrap();
    let view = toolbar.build();
    let root = view.root();
    assert_eq!(root.get_attribute("role").as_deref(), Some("search"));
    for id in [
        "ticket-search",
        "filter-kind",
        "filter-state",
        "filter-category",
        "filter-source",
    ] {
        assert!(
            root.query_selector(&format!("label[for={id}]"))
                .unwrap()
                .is_some(),
            "{id} has no label"
        );
    }
    assert_eq!(controls.kind.value(), "change_request");
    assert_eq!(controls.state.value(), "change_request:-5");
    // Only the chosen kind's states, with the user's rename.
    assert!(text(controls.state.unchecked_ref::<Element>()).contains("Draft"));
    assert!(!controls.clear.has_attribute("hidden"));
    // The filters ask for what the user picked (events bubble to the form, as typed ones do).
    let bubbling = |kind: &str| {
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        web_sys::Event::new_with_event_init_dict(kind, &init).unwrap()
    };
    controls.kind.set_value("incident");
    controls.kind.dispatch_event(&bubbling("change")).unwrap();
    controls.search.dispatch_event(&bubbling("input")).unwrap();
    controls.source.set_value("compliance_manager");
    controls.source.dispatch_event(&bubbling("change")).unwrap();
    assert_eq!(
        log.borrow().as_slice(),
        &[
            TicketsAction::Kind(Some(TicketKind::Incident)),
            TicketsAction::Search { now: false },
            TicketsAction::Source(Some(
                snshare_core::domain::ticket::RecommendationSource::ComplianceManager
            ))
        ]
    );
}

#[wasm_bindgen_test]
fn list_says_how_old_its_tickets_are_and_announces_only_what_changed() {
    use snshare_core::domain::ticket_list::TicketChanges;
    setup();
    let now = 1_700_000_000_000;
    assert_eq!(
        age_line(Some(now - 3 * 60_000 - 1_000), now),
        "Updated 3 minutes ago"
    );
    assert_eq!(
        age_line(Some(now - 2 * 3_600_000), now),
        "Updated 2 hours ago"
    );
    assert_eq!(age_line(Some(now - 86_400_000), now), "Updated yesterday");
    assert_eq!(age_line(Some(now), now), "Updated now");
    assert_eq!(age_line(None, now), english("tickets_not_updated"));
    assert_eq!(change_announcement(&TicketChanges::default()), None);
    assert_eq!(
        change_announcement(&TicketChanges {
            changed_state: 2,
            added: 1,
            removed: 0
        })
        .as_deref(),
        Some("2 tickets changed state. 1 new ticket.")
    );
    assert_eq!(
        change_announcement(&TicketChanges {
            changed_state: 1,
            added: 0,
            removed: 3
        })
        .as_deref(),
        Some("1 ticket changed state. 3 tickets left this page.")
    );
    // The page: a Refresh button, the age line, and one live region for what changed; the
    // results themselves are not live (a change never re-reads the whole table).
    let page = load_page(TICKETS_HTML);
    snshare_web::template::translate(&page);
    assert_eq!(text(&one(&page, "button[data-action=refresh]")), "Refresh");
    assert!(page.query_selector("[data-part=age]").unwrap().is_some());
    let live = all(&page, "[role=status], [aria-live]");
    assert_eq!(live.len(), 1, "one live region");
    assert_eq!(
        live[0].get_attribute("data-part").as_deref(),
        Some("announcement")
    );
    assert!(!one(&page, "#results").has_attribute("aria-live"));
}

#[wasm_bindgen_test]
fn pages_show_nothing_untranslated_and_every_key_exists() {
    setup();
    for html in [POPUP_HTML, TICKETS_HTML] {
        let page = load_page(html);
        // Hidden until bound: no empty or untranslated frame shows first.
        assert!(page.has_attribute("hidden"));
        let host = page.parent_element().unwrap();
        // Every key the markup (page and templates) names is in the catalogue.
        let mut markup = vec![host.clone()];
        for tpl in all(&host, "template") {
            let content = tpl
                .dyn_ref::<web_sys::HtmlTemplateElement>()
                .unwrap()
                .content();
            let words = content.text_content().unwrap_or_default();
            assert!(
                !words.chars().any(char::is_alphabetic),
                "untranslated text in a template: {words}"
            );
            let list = content.query_selector_all("*").unwrap();
            markup.extend((0..list.length()).filter_map(|i| list.item(i)?.dyn_into().ok()));
        }
        for node in markup {
            for el in std::iter::once(node.clone()).chain(all(&node, "*")) {
                for attr in [
                    "data-i18n",
                    "data-i18n-aria-label",
                    "data-i18n-title",
                    "data-i18n-placeholder",
                ] {
                    if let Some(key) = el.get_attribute(attr) {
                        english(&key);
                    }
                }
            }
        }
        // The markup's own text is symbols only: words come from the catalogue.
        let words: String = text(&page).chars().filter(|c| c.is_alphabetic()).collect();
        assert_eq!(words, "", "untranslated text in the page markup");
    }
}

// ---------------------------------------------------------------------------------------------
// Popup
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn popup_shows_five_latest_per_kind_with_counts() {
    setup();
    let mut tickets: Vec<TicketSummary> = (1..=8)
        .map(|n| ticket(TicketKind::Incident, n, &format!("Incident {n}")))
        .collect();
    tickets.push(ticket(TicketKind::ChangeRequest, 1, XSS));
    let snapshot = TicketSnapshot {
        fetched_at: Some(1_700_000_000_000),
        tickets,
        counts: vec![
            StateCount {
                kind: TicketKind::Incident,
                state: "1".into(),
                label: "New".into(),
                count: 6,
            },
            StateCount {
                kind: TicketKind::Incident,
                state: "2".into(),
                label: "In Progress".into(),
                count: 2,
            },
            StateCount {
                kind: TicketKind::ChangeRequest,
                state: "-5".into(),
                label: "New".into(),
                count: 1,
            },
        ],
        queued_action_ids: vec![],
        refreshing: false,
        shown: String::new(),
    };
    load_page(POPUP_HTML);
    let view = render_tickets(&snapshot).unwrap().build();
    let root = view.root();
    assert_eq!(all(root, "[data-kind=incident] .ticket").len(), 5);
    assert_eq!(all(root, "[data-kind=change_request] .ticket").len(), 1);
    let counts = text(&one(root, "[data-kind=incident] .counts"));
    assert!(
        counts.contains("New") && counts.contains('6') && counts.contains("In Progress"),
        "{counts}"
    );
    assert_eq!(text(&one(root, "[data-kind=incident] h2 .badge")), "8");
    assert!(all(root, "script, img").is_empty());
    assert!(text(&one(root, "[data-kind=change_request] .ticket-name")).contains(XSS));
    let link = one(root, "[data-kind=incident] .ticket a");
    assert_eq!(link.get_attribute("target").as_deref(), Some("_blank"));
}

#[wasm_bindgen_test]
fn popup_keeps_only_what_it_draws_and_draws_it_alike() {
    setup();
    let mut tickets: Vec<TicketSummary> = (1..=8)
        .map(|n| ticket(TicketKind::Incident, n, &format!("Incident {n}")))
        .collect();
    tickets.extend((1..=7).map(|n| ticket(TicketKind::ChangeRequest, n, &format!("Change {n}"))));
    let snapshot = TicketSnapshot {
        fetched_at: Some(1_700_000_000_000),
        tickets,
        counts: vec![StateCount {
            kind: TicketKind::Incident,
            state: "1".into(),
            label: "New".into(),
            count: 8,
        }],
        queued_action_ids: vec!["ActionQ".into()],
        refreshing: true,
        shown: String::new(),
    };
    let drawn = Drawn::new(connected(), &snapshot);
    // Five of each kind and nothing the popup does not draw; a refresh that was running is
    // over by the next opening.
    assert_eq!(drawn.tickets.tickets.len(), 10);
    assert!(!drawn.tickets.refreshing);
    assert!(drawn.tickets.queued_action_ids.is_empty());
    assert_eq!(drawn.status, connected());
    // As session storage keeps it, then drawn: the same as from the worker's whole snapshot.
    let kept: Drawn = serde_json::from_str(&serde_json::to_string(&drawn).unwrap()).unwrap();
    load_page(POPUP_HTML);
    let from_worker = render_tickets(&snapshot).unwrap().build();
    let from_kept = render_tickets(&kept.tickets).unwrap().build();
    assert_eq!(
        from_kept.root().outer_html(),
        from_worker.root().outer_html()
    );
}

#[wasm_bindgen_test]
fn popup_offers_authorize_only_when_authorization_is_needed() {
    setup();
    let (d, log) = recorder::<PopupAction>();
    load_page(POPUP_HTML);
    let mut status = connected();
    assert!(all(
        render_status_actions(Some(&status), &d)
            .unwrap()
            .build()
            .root(),
        "button"
    )
    .is_empty());
    status.state = ConnectionState::AuthorizationNeeded;
    let view = render_status_actions(Some(&status), &d).unwrap().build();
    let root = mount(&view);
    let buttons = all(&root, "button");
    assert_eq!(
        buttons.iter().map(text).collect::<Vec<_>>(),
        vec!["Authorize"]
    );
    click(&buttons[0]);
    assert_eq!(log.borrow().as_slice(), &[PopupAction::Authorize]);
    root.remove();
    let not_connected = ConnectionStatus::not_connected(None);
    assert!(text(
        render_status_actions(Some(&not_connected), &d)
            .unwrap()
            .build()
            .root()
    )
    .contains("Options"));
}

#[wasm_bindgen_test]
fn popup_status_from_its_markup_says_less_than_the_options_page() {
    use snshare_pages::common::status_from_markup;
    setup();
    load_page(POPUP_HTML);
    let mut status = connected();
    let popup = status_from_markup(Some(&status), false).unwrap();
    let s = text(&popup);
    assert!(s.contains("Connected as snshare.integration"), "{s}");
    assert!(s.contains("https://dev12345.service-now.com"), "{s}");
    // The popup shows less than the options page: no token expiry.
    assert!(!s.contains("Access token expires"), "{s}");
    status.state = ConnectionState::AuthorizationNeeded;
    status.warnings = vec!["common_status_unreachable_hint".into()];
    if let Some(u) = status.user.as_mut() {
        u.user_name = XSS.into();
    }
    let warned = status_from_markup(Some(&status), false).unwrap();
    assert!(text(&warned).contains("Authorization needed"));
    assert_eq!(all(&warned, ".status-warnings li").len(), 1);
    assert!(all(&warned, "script, img").is_empty());
    assert!(text(&status_from_markup(None, false).unwrap()).contains("Checking"));
}

fn outbox_item(id: &str, status: OutboxStatus) -> OutboxView {
    OutboxView {
        share_id: id.into(),
        name: format!("Require MFA {id}"),
        kind: TicketKind::Incident,
        action_id: Some("mfa".into()),
        status,
        attempts: 2,
        last_error: None,
        next_attempt_at: 1_700_000_000_000,
        created_at: 1_700_000_000_000,
    }
}

#[wasm_bindgen_test]
fn outbox_lists_shares_with_retry_and_discard() {
    setup();
    let (d, log) = recorder::<PopupAction>();
    load_page(POPUP_HTML);
    let empty = render_outbox(&[], &d).unwrap().build();
    assert!(all(empty.root(), "li").is_empty());
    assert!(
        empty.root().has_attribute("hidden"),
        "an empty outbox shows nothing"
    );
    let items = vec![
        outbox_item("a", OutboxStatus::Pending),
        outbox_item(
            "b",
            OutboxStatus::Failed {
                diagnosis: Diagnosis::RecordRejected {
                    message: XSS.into(),
                },
            },
        ),
    ];
    let view = render_outbox(&items, &d).unwrap().build();
    let root = mount(&view);
    assert_eq!(all(&root, "li.outbox-item").len(), 2);
    assert!(text(&root).contains("Queued"));
    assert!(text(&root).contains("Failed"));
    // The failed share says why, as text.
    let failed = one(&root, "[data-share-id=b]");
    assert!(failed.query_selector(".diagnosis").unwrap().is_some());
    assert!(text(&failed).contains(XSS));
    assert!(all(&root, "script, img").is_empty());
    // Buttons are named Retry / Discard and described by the share's name.
    let buttons = all(&failed, "button");
    assert_eq!(
        buttons.iter().map(text).collect::<Vec<_>>(),
        vec!["Retry", "Discard"]
    );
    let described = buttons[0].get_attribute("aria-describedby").unwrap();
    assert!(text(&one(&root, &format!("#{described}"))).contains("Require MFA b"));
    click(&buttons[0]);
    click(&buttons[1]);
    assert_eq!(
        log.borrow().as_slice(),
        &[
            PopupAction::Retry("b".into()),
            PopupAction::Discard("b".into())
        ]
    );
    root.remove();
}

// ---------------------------------------------------------------------------------------------
// Options page
// ---------------------------------------------------------------------------------------------

fn settings(locked: &[&str]) -> SettingsView {
    SettingsView {
        instance: Some("https://dev12345.service-now.com".into()),
        client_id: Some("abc123".into()),
        has_client_secret: true,
        defaults: TicketDefaults {
            kind: TicketKind::ChangeRequest,
            priority: Priority::Low,
            due_in_days: 7,
        },
        fallback_user_id: None,
        refresh_minutes: 15,
        redirect_url: "https://pgmckfnkcjjdbjackbdfdggbempndbni.chromiumapp.org/".into(),
        locked: locked.iter().map(|s| s.to_string()).collect(),
        mapping: Default::default(),
    }
}

const OPTIONS_HTML: &str = include_str!("../extension/options.html");

/// The options page's markup in the document, translated as the page translates it (its
/// templates ready to instantiate). Remove it at the end: the ids are the page's.
fn options_page() -> Element {
    let doc = web_sys::window().unwrap().document().unwrap();
    let root = doc.create_element("div").unwrap();
    root.set_inner_html(OPTIONS_HTML);
    doc.body().unwrap().append_child(&root).unwrap();
    snshare_web::template::translate(&root);
    root
}

fn label_for(root: &Element, control: &Element) -> String {
    let id = control.id();
    text(&one(root, &format!("label[for=\"{id}\"]")))
}

#[wasm_bindgen_test]
fn settings_form_has_the_named_fields_and_reads_back() {
    setup();
    let (d, log) = recorder::<OptionsAction>();
    let view_data = settings(&[]);
    let root = options_page();
    let handles = bind_settings_form(&root, &view_data, &d).unwrap();
    // Every text the markup names is in the catalogue (the stub answers "" for unknown keys).
    for node in all(&root, "[data-i18n]") {
        let key = node.get_attribute("data-i18n").unwrap();
        assert_eq!(text(&node), english(&key), "{key}");
    }
    assert_eq!(
        label_for(&root, handles.instance.unchecked_ref()),
        "ServiceNow instance"
    );
    assert_eq!(
        label_for(&root, handles.client_id.unchecked_ref()),
        "Client ID"
    );
    assert_eq!(
        label_for(&root, handles.client_secret.unchecked_ref()),
        "Client secret"
    );
    assert_eq!(handles.client_secret.type_(), "password");
    assert_eq!(handles.redirect_url.value(), view_data.redirect_url);
    let names: Vec<String> = all(&root, "button").iter().map(text).collect();
    for name in [
        "Connect to ServiceNow",
        "Save settings",
        "Copy",
        "Sign in with password",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
    let summary = text(&one(&root, "details summary"));
    assert!(
        summary.starts_with("Sign in with user name and password"),
        "{summary}"
    );

    let input = handles.read(&view_data).unwrap();
    assert_eq!(input.instance, "https://dev12345.service-now.com");
    assert_eq!(input.client_id, "abc123");
    assert_eq!(
        input.client_secret, None,
        "empty secret keeps the stored one"
    );
    assert_eq!(input.defaults.kind, TicketKind::ChangeRequest);
    assert_eq!(input.defaults.priority, Priority::Low);
    assert_eq!(input.defaults.due_in_days, 7);
    assert_eq!(input.refresh_minutes, Some(15));

    handles.client_secret.set_value("s3cret");
    assert_eq!(
        handles.read(&view_data).unwrap().client_secret.as_deref(),
        Some("s3cret")
    );
    handles.clear_secret.set_checked(true);
    assert_eq!(
        handles.read(&view_data).unwrap().client_secret.as_deref(),
        Some("")
    );

    // The markup's option values are the wire names the form reads back.
    for option in all(&root, "#default-kind option") {
        let value = option.get_attribute("value").unwrap();
        assert!(kind_from_value(&value).is_some(), "{value}");
    }
    for option in all(&root, "#default-priority option") {
        let value = option.get_attribute("value").unwrap();
        assert!(priority_from_value(&value).is_some(), "{value}");
    }
    assert_eq!(all(&root, "#default-priority option").len(), 5);

    // Submitting the form is Connect.
    click(&one(&root, "#connect"));
    assert_eq!(log.borrow().first(), Some(&OptionsAction::Connect));
    root.remove();
}

#[wasm_bindgen_test]
fn refused_fields_show_their_message_and_keep_what_was_typed() {
    setup();
    let (d, _) = recorder::<OptionsAction>();
    let view_data = settings(&[]);
    let root = options_page();
    let handles = bind_settings_form(&root, &view_data, &d).unwrap();
    handles.instance.set_value("http://not allowed");
    handles.client_id.set_value("typed-client");
    handles.due_in_days.set_value("0");
    // Refused before sending: the instance (same parser as the worker) and the days.
    let local = handles.read(&view_data).unwrap_err();
    let fields: Vec<&str> = local.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, vec!["instance", "due_in_days"]);
    assert!(
        local[0].message_key.starts_with("instance_error_"),
        "{:?}",
        local[0]
    );
    let rest = handles.show_errors(&[
        SettingsError {
            field: "instance".into(),
            message_key: "options_error_instance_required".into(),
        },
        SettingsError {
            field: "nonexistent".into(),
            message_key: "x".into(),
        },
    ]);
    assert_eq!(rest.len(), 1);
    assert_eq!(
        handles.error_of("instance"),
        "Enter your ServiceNow instance, e.g. dev12345."
    );
    let instance: &Element = handles.instance.unchecked_ref();
    assert_eq!(
        instance.get_attribute("aria-invalid").as_deref(),
        Some("true")
    );
    let described = instance.get_attribute("aria-describedby").unwrap();
    assert!(described.contains("instance-error"));
    // Nothing typed is lost.
    assert_eq!(handles.instance.value(), "http://not allowed");
    assert_eq!(handles.client_id.value(), "typed-client");
    handles.clear_errors();
    assert_eq!(handles.error_of("instance"), "");
    assert!(instance.get_attribute("aria-invalid").is_none());
    root.remove();
}

#[wasm_bindgen_test]
fn managed_fields_are_read_only_and_say_who_set_them() {
    setup();
    let (d, _) = recorder::<OptionsAction>();
    let root = options_page();
    let handles = bind_settings_form(&root, &settings(&["instance", "default_kind"]), &d).unwrap();
    let instance: &Element = handles.instance.unchecked_ref();
    assert!(handles.instance.read_only());
    let described = instance.get_attribute("aria-describedby").unwrap();
    let note_id = described
        .split_whitespace()
        .find(|id| id.ends_with("-locked"))
        .unwrap();
    assert_eq!(
        text(&one(&root, &format!("#{note_id}"))).trim(),
        "Set by your administrator"
    );
    assert!(handles.default_kind.disabled());
    assert!(!handles.client_id.read_only());
    assert_eq!(all(&root, ".field-locked").len(), 2);
    root.remove();
}

#[wasm_bindgen_test]
fn options_status_has_the_details_and_leaves_out_what_it_lacks() {
    setup();
    let page = options_page();
    let checking = status_from_markup(None, true).unwrap();
    assert_eq!(text(&checking), english("common_status_checking"));
    let view = status_from_markup(Some(&connected()), true).unwrap();
    let s = text(&view);
    assert!(s.contains("Connected as snshare.integration"), "{s}");
    assert!(one(&view, ".status-line").class_list().contains("is-ok"));
    let labels: Vec<String> = all(&view, "dt").iter().map(text).collect();
    assert_eq!(
        labels,
        [
            english("common_status_instance"),
            english("common_status_user"),
            english("common_status_token_expires"),
            english("common_status_last_success"),
        ]
    );
    assert_eq!(
        text(&all(&view, "dd")[1]),
        "snshare Integration (snshare.integration)"
    );
    // Nothing to hint or warn: those pieces are gone, not empty.
    assert!(all(&view, ".status-hint, .status-warnings").is_empty());
    let mut status = ConnectionStatus::not_connected(None);
    status.state = ConnectionState::AuthorizationNeeded;
    status.warnings = vec!["warning_personal_account".into()];
    if let Some(u) = connected().user {
        status.user = Some(ConnectedUser {
            user_name: XSS.into(),
            ..u
        });
    }
    let view = status_from_markup(Some(&status), false).unwrap();
    assert_eq!(
        text(&one(&view, ".status-hint")),
        english("common_status_authorization_needed_hint")
    );
    assert_eq!(
        text(&one(&view, ".status-warnings li")),
        english("warning_personal_account")
    );
    assert_eq!(all(&view, "dt").len(), 1, "not detailed: the user only");
    assert!(text(&view).contains(XSS));
    assert!(all(&view, "script, img").is_empty());
    page.remove();
}

#[wasm_bindgen_test]
fn field_mapping_shows_the_saved_mapping_with_labelled_fields() {
    use snshare_core::domain::settings::{CategoryMapping, CategoryValue, FieldMapping, RecordRef};
    use snshare_core::domain::ticket::Category;
    setup();
    let page = options_page();
    let mut view_data = settings(&[]);
    view_data.mapping = FieldMapping {
        assignment_group: Some(RecordRef {
            sys_id: "g1".into(),
            name: XSS.into(),
        }),
        category: vec![CategoryMapping {
            kind: TicketKind::ChangeRequest,
            field: "u_area".into(),
            values: vec![CategoryValue {
                category: Category::Data,
                value: "data_protection".into(),
            }],
        }],
        ..Default::default()
    };
    let _section = snshare_pages::mapping::bind(&page, &view_data).unwrap();
    let value = |sel: &str| one(&page, sel).unchecked_into::<HtmlInputElement>().value();
    assert_eq!(value("#mapping-assignment-group"), XSS);
    assert_eq!(value("#mapping-caller"), "");
    let fieldsets = all(&page, "#field-mapping fieldset.mapping-category");
    let legends: Vec<String> = fieldsets.iter().map(|f| text(&one(f, "legend"))).collect();
    assert_eq!(
        legends,
        [
            english("options_mapping_category_incident"),
            english("options_mapping_category_change_request")
        ]
    );
    assert_eq!(value("#mapping-category-incident"), "");
    assert_eq!(value("#mapping-category-change-request"), "u_area");
    assert_eq!(
        value("#mapping-category-change-request-data"),
        "data_protection"
    );
    // Every control is named by its label, and the values suggest the field's choices.
    for fieldset in &fieldsets {
        let inputs = all(fieldset, "input");
        assert_eq!(inputs.len(), 1 + Category::ALL.len());
        for input in &inputs {
            assert!(!label_for(&page, input).is_empty(), "{}", input.id());
        }
        let choices = one(fieldset, "datalist").id();
        assert!(inputs[1..]
            .iter()
            .all(|i| i.get_attribute("list").as_deref() == Some(choices.as_str())));
    }
    assert_eq!(
        label_for(&page, &one(&page, "#mapping-category-incident-identity")),
        english("common_category_identity")
    );
    page.remove();
}

#[wasm_bindgen_test]
fn instance_patterns_are_exactly_the_instance_origin() {
    setup();
    let cases = [
        ("dev12345", Some("https://dev12345.service-now.com/*")),
        (" DEV12345 ", Some("https://dev12345.service-now.com/*")),
        (
            "dev12345.service-now.com",
            Some("https://dev12345.service-now.com/*"),
        ),
        (
            "https://dev12345.service-now.com/",
            Some("https://dev12345.service-now.com/*"),
        ),
        ("https://sn.example.com", Some("https://sn.example.com/*")),
        (
            "https://agency.servicenowservices.com",
            Some("https://agency.servicenowservices.com/*"),
        ),
        ("http://dev12345.service-now.com", None),
        ("javascript:alert(1)", None),
        ("https://user:pw@sn.example.com", None),
        ("dev 12345", None),
        ("", None),
        // A page of the instance: its origin.
        (
            "dev12345.service-now.com/now/nav/ui/home",
            Some("https://dev12345.service-now.com/*"),
        ),
        ("-dev.example.com", None),
        ("https://127.0.0.1:8443", Some("https://127.0.0.1/*")),
    ];
    for (input, want) in cases {
        assert_eq!(instance_origin_pattern(input).as_deref(), want, "{input}");
    }
}

#[wasm_bindgen_test]
fn diagnostics_list_each_step_with_cause_and_fix() {
    setup();
    let report = DiagnosticReport {
        ok: false,
        steps: vec![
            DiagnosticStep {
                // The worker's keys (background/diagnostics.rs), so the labels come from the
                // catalogue, not from the fallback that prettifies an unknown key.
                step_key: "diagnostics_step_reach".into(),
                ok: true,
                diagnosis: None,
                elapsed_ms: 12.0,
            },
            DiagnosticStep {
                step_key: "diagnostics_step_token".into(),
                ok: false,
                diagnosis: Some(Diagnosis::RateLimited {
                    retry_after_secs: 30,
                }),
                elapsed_ms: 40.4,
            },
        ],
    };
    let page = options_page();
    let view = render_diagnostics(&report).unwrap();
    let root = &view;
    assert_eq!(all(root, "li.step").len(), 2);
    assert_eq!(all(root, "li.step.is-ok").len(), 1);
    let names: Vec<String> = all(root, "li.step .step-name").iter().map(text).collect();
    assert_eq!(
        names,
        [
            english("diagnostics_step_reach"),
            english("diagnostics_step_token")
        ]
    );
    let failed = one(
        root,
        "li.step.is-error .diagnosis[data-diagnosis=rate_limited]",
    );
    assert!(text(root).contains("A check failed."));
    // The failed step's own diagnosis says the cause, with the seconds, and then the fix.
    assert_eq!(
        text(&one(&failed, ".diagnosis-message")),
        english("diagnosis_rate_limited").replace("$1", "30 seconds")
    );
    // A wait in words, plural-correct: never "1 seconds"; long waits in minutes.
    for (secs, words) in [(1, "1 second"), (119, "119 seconds"), (121, "3 minutes")] {
        let (message, _) = diagnosis_text(&Diagnosis::RateLimited {
            retry_after_secs: secs,
        });
        assert_eq!(
            message,
            english("diagnosis_rate_limited").replace("$1", words)
        );
    }
    assert_eq!(
        text(&one(&failed, ".diagnosis-fix")),
        format!(
            "{} {}",
            english("common_how_to_fix"),
            english("diagnosis_rate_limited_fix")
        )
    );
    let (unknown, _) = diagnosis_text(&Diagnosis::Unexpected {
        message: XSS.into(),
    });
    assert!(!unknown.is_empty());
    let v = render_diagnostics(&DiagnosticReport {
        ok: false,
        steps: vec![DiagnosticStep {
            step_key: "x".into(),
            ok: false,
            diagnosis: Some(Diagnosis::Unexpected {
                message: XSS.into(),
            }),
            elapsed_ms: 1.0,
        }],
    })
    .unwrap();
    assert!(all(&v, "script, img").is_empty());
    page.remove();
}

#[wasm_bindgen_test]
fn state_names_are_editable_and_saved_as_overrides() {
    setup();
    let names = vec![
        StateName {
            kind: TicketKind::Incident,
            state: "1".into(),
            instance_label: "New".into(),
            custom_label: Some("Open".into()),
        },
        StateName {
            kind: TicketKind::Incident,
            state: "2".into(),
            instance_label: "In Progress".into(),
            custom_label: None,
        },
        StateName {
            kind: TicketKind::ChangeRequest,
            state: "-5".into(),
            instance_label: "New".into(),
            custom_label: None,
        },
    ];
    let page = options_page();
    let (view, inputs) = render_state_names(&names).unwrap();
    let root = mount(&view);
    assert_eq!(all(&root, "table").len(), 2);
    assert_eq!(
        text(&one(&root, "table[data-kind=incident] caption")),
        "Incident"
    );
    assert_eq!(inputs.len(), 3);
    assert_eq!(inputs[0].value(), "Open");
    assert_eq!(
        inputs[0].get_attribute("aria-label").as_deref(),
        Some("Display name for New")
    );
    inputs[1].set_value("  Working  ");
    inputs[2].set_value("New"); // same as the instance's label: no rename
    let overrides = state_name_overrides(&names, &inputs);
    assert_eq!(overrides[0].label.as_deref(), Some("Open"));
    assert_eq!(overrides[1].label.as_deref(), Some("Working"));
    assert_eq!(overrides[2].label, None);
    // Reset empties the row.
    click(&one(&root, "table[data-kind=incident] tbody tr button"));
    assert_eq!(inputs[0].value(), "");
    assert_eq!(state_name_overrides(&names, &inputs)[0].label, None);
    root.remove();
    page.remove();
}

// ---------------------------------------------------------------------------------------------
// The element builder
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn re_rendering_a_region_drops_the_old_listeners() {
    setup();
    let host = el("div").build();
    let mut region = Region::new(host.root().clone());
    let clicks = Rc::new(RefCell::new(0));
    let render = |clicks: Rc<RefCell<i32>>| {
        el("div").children((0..3).map(move |_| {
            let c = clicks.clone();
            el("button")
                .text("x")
                .on("click", move |_| *c.borrow_mut() += 1)
        }))
    };
    let first = render(clicks.clone()).build();
    let old_button = one(first.root(), "button");
    region.set(first);
    assert_eq!(region.listener_count(), 3);
    region.set(render(clicks.clone()).build());
    assert_eq!(region.listener_count(), 3, "listeners accumulate");
    // The replaced view's listener is gone: clicking its (detached) button does nothing.
    click(&old_button);
    assert_eq!(*clicks.borrow(), 0);
    click(&one(host.root(), "button"));
    assert_eq!(*clicks.borrow(), 1);
    let text_only = el("p").text(XSS).build();
    assert!(text_only.root().first_element_child().is_none());
    let _unused: Option<HtmlInputElement> = None;
}

#[wasm_bindgen_test]
fn a_template_is_translated_and_bound_by_part_never_parsed_from_text() {
    use snshare_web::template;
    setup();
    let doc = web_sys::window().unwrap().document().unwrap();
    let tpl = template::parse(
        &doc,
        r#"<section data-part="root"><h2 data-i18n="options_title"></h2>
           <button type="button" data-part="go" data-i18n-aria-label="options_save"
             data-i18n="options_save"></button><p data-part="note"></p><p data-part="note"></p></section>"#,
    )
    .unwrap();
    let view = template::instantiate(&tpl).unwrap();
    assert_eq!(text(&one(&view, "h2")), english("options_title"));
    let go: web_sys::HtmlButtonElement = template::part(&view, "go").unwrap();
    assert_eq!(go.text_content().unwrap(), english("options_save"));
    assert_eq!(
        go.get_attribute("aria-label").unwrap(),
        english("options_save")
    );
    assert_eq!(template::parts(&view, "note").len(), 2);
    assert!(
        template::part::<Element>(&view, "root").is_some(),
        "root is its own part"
    );
    assert!(template::part::<Element>(&view, "missing").is_none());
    // A second instance is a fresh copy: the first one's changes do not leak into it.
    go.set_text_content(Some("changed"));
    let again = template::instantiate(&tpl).unwrap();
    assert_eq!(text(&one(&again, "button")), english("options_save"));
    // A translation is text, never markup.
    let hostile = template::parse(&doc, r#"<p data-i18n="k"></p>"#).unwrap();
    let p = hostile.content().first_element_child().unwrap();
    template::translate_with(&p, &|_| XSS.to_string());
    assert!(p.first_element_child().is_none());
    assert_eq!(text(&p), XSS);
}

// ---------------------------------------------------------------------------------------------
// Presenters both bundles use (platform::present)
// ---------------------------------------------------------------------------------------------

#[wasm_bindgen_test]
fn present_diagnosis_text_is_the_catalogue_s_words_with_the_server_s_as_text() {
    use snshare_web::present;
    setup();
    let roles = Diagnosis::MissingRoles {
        table: "change_request".into(),
    };
    let (message, fix) = present::diagnosis_text(&roles);
    assert_eq!(
        message,
        english("diagnosis_missing_roles").replace("$1", "change_request")
    );
    assert_eq!(
        fix,
        Some(english("diagnosis_missing_roles_fix").replace("$1", "change_request"))
    );
    // The worker's error answers say the same words as the pages.
    let (unexpected, _) = present::diagnosis_text(&Diagnosis::Unexpected {
        message: XSS.into(),
    });
    assert_eq!(
        unexpected,
        english("diagnosis_unexpected").replace("$1", XSS)
    );
}

#[wasm_bindgen_test]
fn present_ticket_link_links_only_to_the_connected_instance() {
    use snshare_web::present;
    setup();
    let doc = web_sys::window().unwrap().document().unwrap();
    let ticket = |link: &str| TicketSummary {
        number: format!("INC0010001{XSS}"),
        link: link.into(),
        ..ticket(TicketKind::Incident, 1, "x")
    };
    let instance = Some("https://dev1.service-now.com");
    let ok = "https://dev1.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3D1";
    let a = present::ticket_link(&doc, &ticket(ok), instance).unwrap();
    assert_eq!(a.tag_name(), "A");
    assert_eq!(a.get_attribute("href").as_deref(), Some(ok));
    assert_eq!(a.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(
        a.get_attribute("rel").as_deref(),
        Some("noopener noreferrer")
    );
    assert_eq!(
        a.get_attribute("title"),
        Some(english("common_opens_new_tab"))
    );
    // The number is text, never markup.
    assert_eq!(text(&a), format!("INC0010001{XSS}"));
    assert!(a.first_element_child().is_none());
    for bad in [
        "javascript:alert(1)",
        "https://dev2.service-now.com/nav_to.do",
        "https://dev1.service-now.com@evil.example/",
        "http://dev1.service-now.com/nav_to.do",
    ] {
        let span = present::ticket_link(&doc, &ticket(bad), instance).unwrap();
        assert_eq!(span.tag_name(), "SPAN", "{bad}");
        assert!(!span.has_attribute("href"), "{bad}");
        assert_eq!(text(&span), format!("INC0010001{XSS}"));
    }
    // The pages' binder: the same rule, on a template's link and plain-number parts.
    let bound = |link: &str| {
        let root = doc.create_element("p").unwrap();
        root.set_inner_html(r#"<a data-part="link"></a><span data-part="number"></span>"#);
        snshare_pages::common::bind_ticket_number(&root, &ticket(link));
        root
    };
    let linked = bound(ok);
    assert_eq!(one(&linked, "a").get_attribute("href").as_deref(), Some(ok));
    assert!(linked.query_selector("span").unwrap().is_none());
    let plain = bound("javascript:alert(1)");
    assert!(plain.query_selector("a").unwrap().is_none());
    assert_eq!(text(&one(&plain, "span")), format!("INC0010001{XSS}"));
}

#[wasm_bindgen_test]
fn present_local_time_is_intl_s_in_the_surface_s_language() {
    use snshare_web::i18n::{format_sn_time, format_time};
    use snshare_web::present::{local_time, Style};
    setup();
    // 2026-03-12 14:05 UTC.
    let ms = 1_773_324_300_000.0;
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    let intl = |day: &str, time: &str| {
        let opts = js_sys::Object::new();
        js_sys::Reflect::set(&opts, &"dateStyle".into(), &day.into()).unwrap();
        js_sys::Reflect::set(&opts, &"timeStyle".into(), &time.into()).unwrap();
        js_sys::Intl::DateTimeFormat::new(&js_sys::Array::of1(&"en".into()), &opts)
            .format()
            .call1(&JsValue::NULL, &date)
            .unwrap()
            .as_string()
            .unwrap()
    };
    assert_eq!(
        local_time(&date, Style::Short, Some(Style::Short)),
        intl("short", "short")
    );
    assert_eq!(format_time(ms as u64), intl("medium", "short"));
    // ServiceNow's UTC text is the same moment.
    assert_eq!(
        format_sn_time("2026-03-12 14:05:00"),
        intl("short", "short")
    );
    // Text that is no time is shown as it is.
    assert_eq!(format_sn_time("soon"), "soon");
}

/// Each `Intl` object is made once per language and use, not once per value: a list of times,
/// counts and plural forms would otherwise load locale data for each (0.1 to 0.6 ms each).
/// What each writes is still `Intl`'s, with the styles asked for.
#[wasm_bindgen_test]
fn intl_objects_are_made_once_per_language_and_use_not_per_value() {
    use snshare_web::i18n::{format_day, format_number, format_sn_time, format_time, t_count};
    setup();
    // Counts what the three constructors make while the loop runs, then puts them back.
    let counter = js_sys::Function::new_no_args(
        "const made = { n: 0 }, saved = {};
         for (const name of ['DateTimeFormat', 'NumberFormat', 'PluralRules']) {
           saved[name] = Intl[name];
           Intl[name] = new Proxy(saved[name], {
             construct(target, args, newTarget) { made.n++; return Reflect.construct(target, args, newTarget); },
           });
         }
         made.restore = () => Object.assign(Intl, saved);
         return made;",
    )
    .call0(&JsValue::NULL)
    .unwrap();
    let intl = |ctor: &str, opts: &str, value: f64| -> String {
        js_sys::Function::new_with_args(
            "ctor, opts, value",
            "return new Intl[ctor]('en', JSON.parse(opts)).format(value);",
        )
        .call3(&JsValue::NULL, &ctor.into(), &opts.into(), &value.into())
        .unwrap()
        .as_string()
        .unwrap()
    };
    let mut written = Vec::new();
    for i in 0..25u64 {
        // 2026-03-12 14:05 UTC plus i minutes; the due day 2026-03-(1 + i).
        let ms = 1_773_324_300_000 + i * 60_000;
        let day = format!("2026-03-{:02}", 1 + i);
        written.push((
            format_sn_time(&format!("2026-03-12 14:{:02}:00", 5 + i)),
            format_time(ms),
            format_day(&day).unwrap(),
            format_number(1000 + i),
            t_count(i, "popup_total_one", "popup_total_other"),
            ms,
            day,
        ));
    }
    let made = js_sys::Reflect::get(&counter, &"n".into())
        .unwrap()
        .as_f64()
        .unwrap();
    let restore: js_sys::Function = js_sys::Reflect::get(&counter, &"restore".into())
        .unwrap()
        .into();
    restore.call0(&JsValue::NULL).unwrap();
    // Two date styles, a due day, numbers, plural rules: at most five, whatever the count of
    // values (fewer when an earlier test already made some).
    assert!(
        made <= 5.0,
        "{made} Intl objects made for 25 values of each"
    );
    let short = r#"{"dateStyle":"short","timeStyle":"short"}"#;
    let medium = r#"{"dateStyle":"medium","timeStyle":"short"}"#;
    for (i, (sn, time, due, number, count, ms, day)) in written.into_iter().enumerate() {
        assert_eq!(sn, intl("DateTimeFormat", short, ms as f64));
        assert_eq!(time, intl("DateTimeFormat", medium, ms as f64));
        let noon = js_sys::Date::new_with_year_month_day_hr(2026, 2, 1 + i as i32, 12);
        assert_eq!(
            due,
            intl("DateTimeFormat", r#"{"dateStyle":"full"}"#, noon.get_time()),
            "{day}"
        );
        assert_eq!(number, intl("NumberFormat", "{}", (1000 + i) as f64));
        let n = intl("NumberFormat", "{}", i as f64);
        let expected = if i == 1 {
            english("popup_total_one")
        } else {
            english("popup_total_other")
        };
        assert_eq!(count, expected.replace("$1", &n));
    }
}

/// The popup's "Share all actions on this page that have no ticket" (issue 18): each draft
/// takes the options' defaults (kind, priority, due date, assignment group) and its action's
/// source, not fixed values.
#[wasm_bindgen_test]
fn share_all_drafts_follow_the_options_and_the_page() {
    use snshare_core::domain::settings::RecordRef;
    use snshare_core::domain::ticket::RecommendationSource;
    use snshare_pages::popup::{bulk_items, PreviewItem};

    let mut s = settings(&[]);
    s.mapping.assignment_group = Some(RecordRef {
        sys_id: "287ebd7da9fe198100f92cc8d1d2154e".into(),
        name: "Network".into(),
    });
    let item = |key: &str| PreviewItem {
        key: key.into(),
        title: format!("Title of {key}"),
        category: None,
        status: None,
        description: "Description".into(),
        link: format!("https://security.microsoft.com/x?actionId={key}"),
        user_id: String::new(),
    };
    let today = time::macros::date!(2030 - 01 - 10);
    let items = bulk_items("b1", &[item("AdminMFAV2"), item("cm:1234")], &s, today);
    assert_eq!(items.len(), 2);
    for i in &items {
        assert_eq!(i.draft.kind, TicketKind::ChangeRequest);
        assert_eq!(i.draft.priority, Priority::Low);
        assert_eq!(i.draft.due_date, "2030-01-17");
        assert_eq!(
            i.draft.assignment_group.as_ref().map(|g| g.name.as_str()),
            Some("Network")
        );
        assert!(!i.allow_duplicate);
    }
    assert_eq!(items[0].share_id, "b10");
    assert_eq!(items[0].draft.source, RecommendationSource::Microsoft);
    assert_eq!(
        items[1].draft.source,
        RecommendationSource::ComplianceManager
    );
}

/// The pages' message client: a worker that never answers ends as an error the page shows,
/// not a wait without end; an answer in time is read; Authorize alone waits for as long as the
/// person at ServiceNow's consent page takes.
#[wasm_bindgen_test]
async fn a_page_stops_waiting_for_a_worker_that_does_not_answer_except_for_authorize() {
    use snshare_core::messages::{AuthMethod, RequestBody, ResponseBody};
    use snshare_web::messaging::{send_within, wait_ms, WAIT_MS};

    let chrome = js_sys::Reflect::get(&js_sys::global(), &"chrome".into()).unwrap();
    let runtime = js_sys::Object::new();
    js_sys::Reflect::set(&chrome, &"runtime".into(), &runtime).unwrap();
    let answer_with = |script: &str| {
        let f = js_sys::Function::new_no_args(script);
        js_sys::Reflect::set(&runtime, &"sendMessage".into(), &f).unwrap();
    };

    answer_with("return new Promise(() => {});");
    match send_within(RequestBody::GetStatus, Some(50)).await {
        ResponseBody::Error(e) => assert!(e.message.contains("did not answer in time"), "{e:?}"),
        other => panic!("{other:?}"),
    }
    answer_with(
        "return new Promise((ok) => setTimeout(() => ok({ v: 1, body: { type: 'done' } }), 10));",
    );
    assert!(matches!(
        send_within(RequestBody::GetStatus, Some(1_000)).await,
        ResponseBody::Done
    ));

    assert_eq!(wait_ms(&RequestBody::GetStatus), Some(WAIT_MS));
    assert_eq!(wait_ms(&RequestBody::Disconnect), Some(WAIT_MS));
    assert_eq!(
        wait_ms(&RequestBody::Authorize(AuthMethod::AuthorizationCode)),
        None
    );
}
