//! One dispatcher for every message: sender check, decode, route, always answer.

use wasm_bindgen::JsValue;

use std::cell::RefCell;

use crate::messages::{
    DiagnosticReport, DiagnosticStep, ErrorCode, ExtensionPage, OwnExtension, PageGuard,
    ProtocolError, Request, RequestBody, Response, ResponseBody, SenderInfo, SenderKind,
    ShareOutcome, PROTOCOL_VERSION,
};
use crate::platform::storage;
use crate::platform::{self, chrome, from_js, to_js, worker};

use super::connection::{self, CallError};
use super::{bulk, diagnostics, drafts, mapping, outbox, portal_context, settings, store, tickets};

/// Worker start (install, browser start, or a wake-up after being stopped): lock local storage
/// to the extension's own pages and worker, and resume the outbox.
pub fn on_start() {
    storage::restrict_local_storage();
    wasm_bindgen_futures::spawn_local(async {
        outbox::drive().await;
        // Tickets are refreshed when a surface asks and the cache is stale, never on a timer:
        // an idle browser costs the instance nothing (issue 13). Earlier versions left a
        // repeating alarm behind.
        worker::clear_alarm(tickets::REFRESH_ALARM).await;
    });
}

pub async fn on_alarm(name: &str) {
    if name == outbox::OUTBOX_ALARM {
        outbox::drive().await;
    }
}

thread_local! {
    /// What the content scripts of each tab have spent and been shown (see `PageGuard`).
    static PAGE_GUARD: RefCell<PageGuard> = RefCell::new(PageGuard::default());
}

/// `runtime.id` and `runtime.getURL("")`: our pages' URL is not derived from the id (Firefox's
/// differ, see `OwnExtension`).
fn own_extension() -> OwnExtension {
    OwnExtension {
        id: chrome::RUNTIME_ID.with(|id| id.as_string().unwrap_or_default()),
        pages_url: chrome::runtime_get_url(""),
    }
}

fn sender_info(sender: &JsValue) -> SenderInfo {
    let get = |k: &str| {
        js_sys::Reflect::get(sender, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_string())
    };
    let number = |v: &JsValue, k: &str| {
        js_sys::Reflect::get(v, &JsValue::from_str(k))
            .ok()
            .and_then(|v| v.as_f64())
            .filter(|n| n.fract() == 0.0 && n.abs() < 9.0e15)
            .map(|n| n as i64)
    };
    let tab = js_sys::Reflect::get(sender, &JsValue::from_str("tab")).unwrap_or(JsValue::NULL);
    SenderInfo {
        id: get("id"),
        url: get("url"),
        origin: get("origin"),
        has_tab: tab.is_object(),
        tab_id: number(&tab, "id"),
        frame_id: number(sender, "frameId"),
    }
}

pub async fn handle(message: JsValue, sender: JsValue) -> JsValue {
    let response = route(message, &sender_info(&sender), &own_extension()).await;
    to_js(&response).unwrap_or(JsValue::NULL)
}

/// Decodes, checks and answers one message as if we were `own`; every path ends in a
/// `Response` (never a panic, never silence).
pub async fn route(message: JsValue, sender: &SenderInfo, own: &OwnExtension) -> Response {
    let Some(kind) = sender.classify(own) else {
        return Response::error(ErrorCode::Forbidden, "sender not allowed");
    };
    // Check the version before the body, so an old page gets "version" rather than "malformed".
    let version = js_sys::Reflect::get(&message, &JsValue::from_str("v"))
        .ok()
        .and_then(|v| v.as_f64());
    if version != Some(f64::from(PROTOCOL_VERSION)) {
        return Response::error(
            ErrorCode::Version,
            format!("protocol version {PROTOCOL_VERSION} expected"),
        );
    }
    let request: Request = match from_js(message) {
        Ok(r) => r,
        Err(e) => return Response::error(ErrorCode::Malformed, e.to_string()),
    };
    if !request.body.allowed_from(kind) {
        return Response::error(ErrorCode::Forbidden, "request not allowed from this sender");
    }
    // A Send answered before its ticket's bookkeeping was stored: whatever comes next reads
    // it stored.
    outbox::settled().await;
    match kind {
        SenderKind::ExtensionPage => Response::new(answer(request.body).await),
        SenderKind::PortalContentScript => {
            Response::new(answer_content_script(request.body, sender.tab_id.unwrap_or(-1)).await)
        }
    }
}

/// A content script's request, judged by what the page it runs in could have provoked: within
/// the tab's budgets, a duplicate only when the tab was shown the open tickets, and answers
/// that carry only what the portal's UI shows (security review M2, L10).
async fn answer_content_script(mut body: RequestBody, tab: i64) -> ResponseBody {
    let now = platform::now_ms();
    if let Some(budget) = body.budget() {
        if !PAGE_GUARD.with(|g| g.borrow_mut().spend(tab, budget, now)) {
            return ResponseBody::Error(ProtocolError {
                code: ErrorCode::Failed,
                message: platform::t("error_too_many_requests"),
            });
        }
    }
    let mut confirmed_duplicate = false;
    let shared_action = match &mut body {
        RequestBody::Share(req) => {
            let action = req.draft.action_id.clone();
            if req.allow_duplicate {
                confirmed_duplicate = action.as_deref().is_some_and(|a| {
                    PAGE_GUARD.with(|g| g.borrow_mut().take_duplicate_confirmation(tab, a, now))
                });
                req.allow_duplicate = confirmed_duplicate;
            }
            action
        }
        _ => None,
    };
    let looked_up = match &body {
        RequestBody::FindOpenTickets { action_id } => Some(action_id.clone()),
        _ => shared_action,
    };
    bulk::guard_request(&mut body, |a| {
        PAGE_GUARD.with(|g| g.borrow_mut().take_duplicate_confirmation(tab, a, now))
    });
    let bulk_request = matches!(
        body,
        RequestBody::ShareBulk(_) | RequestBody::FindOpenTicketsBulk { .. }
    )
    .then(|| body.clone());
    let answer = match answer(body).await {
        ResponseBody::Status(mut status) => {
            // The form needs the state only; the integration user's name, email and sys_id
            // and the instance stay with our own pages.
            status.instance = None;
            status.user = None;
            status.access_token_expires_at = None;
            status.last_success_at = None;
            status.warnings.clear();
            ResponseBody::Status(status)
        }
        ResponseBody::Settings(mut view) => {
            // The ticket defaults, the fallback user ID and the default group, nothing else.
            view.instance = None;
            view.client_id = None;
            view.has_client_secret = false;
            view.redirect_url.clear();
            view.locked.clear();
            let group = view.mapping.assignment_group.take();
            view.mapping = Default::default();
            view.mapping.assignment_group = group;
            ResponseBody::Settings(view)
        }
        other => other,
    };
    // A confirmation the share did not use (the form did not validate, no connection yet)
    // stays for the corrected resend.
    let unused_confirmation = confirmed_duplicate
        && matches!(
            &answer,
            ResponseBody::Share(ShareOutcome::Invalid { .. } | ShareOutcome::NotConnected)
        );
    let showed_open_tickets = unused_confirmation
        || matches!(&answer, ResponseBody::Tickets(t) if !t.is_empty())
        || matches!(&answer, ResponseBody::Share(ShareOutcome::Duplicate { .. }));
    if let (true, Some(action)) = (showed_open_tickets, looked_up) {
        PAGE_GUARD.with(|g| g.borrow_mut().showed_open_tickets(tab, &action, now));
    }
    for action in bulk_request.map_or_else(Vec::new, |b| bulk::shown_actions(&b, &answer)) {
        PAGE_GUARD.with(|g| g.borrow_mut().showed_open_tickets(tab, &action, now));
    }
    answer
}

async fn answer(body: RequestBody) -> ResponseBody {
    match body {
        RequestBody::Ping => ResponseBody::Pong {
            version: env!("CARGO_PKG_VERSION").to_string(),
        },
        RequestBody::GetStatus => ResponseBody::Status(connection::status().await),
        RequestBody::GetSettings => ResponseBody::Settings(settings::settings_view().await),
        RequestBody::SaveSettings(input) => ResponseBody::SettingsSaved {
            errors: settings::save_settings(input).await,
        },
        RequestBody::Authorize(method) => match connection::authorize(method).await {
            Ok(status) => {
                // Shares held while authorization was needed go now.
                wasm_bindgen_futures::spawn_local(outbox::drive());
                ResponseBody::Status(status)
            }
            Err(diagnosis) => ResponseBody::Diagnostics(DiagnosticReport {
                steps: vec![DiagnosticStep {
                    step_key: "diagnostics_step_authorize".into(),
                    ok: false,
                    diagnosis: Some(diagnosis),
                    elapsed_ms: 0.0,
                }],
                ok: false,
            }),
        },
        RequestBody::Disconnect => {
            let confirmed = connection::disconnect().await;
            let mut status = connection::status().await;
            if !confirmed {
                status
                    .warnings
                    .push(crate::domain::connection::WARNING_REVOKE_UNCONFIRMED.to_string());
            }
            ResponseBody::Status(status)
        }
        RequestBody::TestConnection => ResponseBody::Diagnostics(diagnostics::run().await),
        // A draft's `user_id` may be typed, or the options' fallback: never the portal's
        // account. Only the UPN the portal shows (`LearnPortalContext`) feeds the
        // "same person" check.
        RequestBody::Share(req) => ResponseBody::Share(outbox::share(req).await),
        RequestBody::FindOpenTickets { action_id } => match tickets::find_open(&action_id).await {
            Ok(t) => ResponseBody::Tickets(t),
            Err(e) => failed(e),
        },
        RequestBody::GetTickets {
            force_refresh,
            need,
        } => ResponseBody::Snapshot(tickets::snapshot(force_refresh, need).await),
        RequestBody::ListTickets(q) => match tickets::list(q).await {
            Ok(page) => ResponseBody::Page(page),
            Err(e) => failed(e),
        },
        body @ (RequestBody::FindOpenTicketsBulk { .. }
        | RequestBody::ShareBulk(_)
        | RequestBody::GetBulk { .. }
        | RequestBody::RetryBulk { .. }) => bulk::answer(body).await,
        RequestBody::GetOutbox => ResponseBody::Outbox(outbox::views().await),
        RequestBody::RetryShare { share_id } => match outbox::retry(&share_id).await {
            Ok(()) => ResponseBody::Outbox(outbox::views().await),
            Err(m) => ResponseBody::Error(ProtocolError {
                code: ErrorCode::Failed,
                message: m,
            }),
        },
        RequestBody::DiscardShare { share_id } => match outbox::discard(&share_id).await {
            Ok(()) => ResponseBody::Outbox(outbox::views().await),
            Err(m) => ResponseBody::Error(ProtocolError {
                code: ErrorCode::Failed,
                message: m,
            }),
        },
        RequestBody::GetDraft { key } => ResponseBody::Draft(drafts::get(&key).await),
        RequestBody::SaveDraft { key, draft } => match drafts::save(&key, &draft).await {
            Ok(()) => ResponseBody::Done,
            Err(message) => ResponseBody::Error(ProtocolError {
                code: ErrorCode::Failed,
                message,
            }),
        },
        RequestBody::DeleteDraft { key } => {
            drafts::delete(&key).await;
            ResponseBody::Done
        }
        RequestBody::GetStateNames => {
            ResponseBody::StateNames(tickets::state_names_for_options().await)
        }
        RequestBody::SaveStateNames(changes) => {
            ResponseBody::StateNames(tickets::save_state_names(changes).await)
        }
        RequestBody::SearchRecords { table, text } => match mapping::search(table, &text).await {
            Ok(r) => ResponseBody::Records(r),
            Err(e) => failed(e),
        },
        RequestBody::GetFieldChoices { kind, field } => {
            match mapping::choices(kind, &field).await {
                Ok(c) => ResponseBody::Choices(c),
                Err(e) => failed(e),
            }
        }
        RequestBody::GetPortalContext { tenant } => {
            let ctx = portal_context::get(&tenant).await;
            ResponseBody::PortalContext {
                titles: ctx.titles.entries(),
                upn: ctx.upn,
            }
        }
        RequestBody::LearnPortalContext {
            tenant,
            titles,
            upn,
        } => {
            // The UPN read on the portal also feeds the "same person" check at connect.
            if let Some(upn) = &upn {
                store::note_portal_account(upn).await;
            }
            portal_context::learn(&tenant, &titles, upn).await;
            ResponseBody::Done
        }
        RequestBody::OpenPage { page } => {
            let path = match page {
                ExtensionPage::Options => "options.html",
                ExtensionPage::Tickets => "tickets.html",
            };
            worker::open_tab(&chrome::runtime_get_url(path)).await;
            ResponseBody::Done
        }
    }
}

/// A call that could not be made, as a typed answer the surfaces render with the diagnosis.
fn failed(e: CallError) -> ResponseBody {
    let code = match e {
        CallError::NotConnected | CallError::NeedsAuthorization(_) => ErrorCode::Connection,
        CallError::Client(_) => ErrorCode::Failed,
    };
    let (message, _) = platform::present::diagnosis_text(&e.diagnosis(platform::now_ms()));
    ResponseBody::Error(ProtocolError { code, message })
}
