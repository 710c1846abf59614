//! "Test connection": a short sequence of real calls, each failure named with its fix.

use crate::domain::diagnosis::Diagnosis;
use crate::domain::ticket::TicketKind;
use crate::messages::{DiagnosticReport, DiagnosticStep};
use crate::platform::{now_ms, worker};
use crate::servicenow::error::Endpoint;
use crate::servicenow::table::TableParams;
use crate::servicenow::transport::{HttpRequest, Method, Transport};

use super::connection;

fn step(key: &str, started: f64, outcome: Result<(), Diagnosis>) -> DiagnosticStep {
    DiagnosticStep {
        step_key: format!("diagnostics_step_{key}"),
        ok: outcome.is_ok(),
        diagnosis: outcome.err(),
        elapsed_ms: js_sys::Date::now() - started,
    }
}

fn report(steps: Vec<DiagnosticStep>) -> DiagnosticReport {
    let ok = steps.iter().all(|s| s.ok);
    DiagnosticReport { steps, ok }
}

pub async fn run() -> DiagnosticReport {
    let mut steps = Vec::new();
    let t = js_sys::Date::now();
    let session = match connection::configured().await {
        Ok(s) => s,
        Err(_) => {
            steps.push(step("settings", t, Err(Diagnosis::NotConfigured)));
            return report(steps);
        }
    };
    steps.push(step("settings", t, Ok(())));

    let t = js_sys::Date::now();
    if !worker::has_host_permission(&session.instance.permission_pattern()).await {
        steps.push(step("permission", t, Err(Diagnosis::PermissionDenied)));
        return report(steps);
    }
    steps.push(step("permission", t, Ok(())));

    // Reach the instance without a token: a ServiceNow instance answers 401 with its JSON
    // envelope; anything else (no answer, an HTML refusal, another site) is named here.
    let t = js_sys::Date::now();
    let probe = HttpRequest {
        method: Method::Get,
        url: session
            .instance
            .url("/api/now/table/sys_user?sysparm_limit=1"),
        headers: vec![("Accept".into(), "application/json".into())],
        body: None,
        timeout_ms: connection::REQUEST_TIMEOUT_MS,
    };
    let reach = match session.client.transport().send(probe).await {
        Err(e) => Err(crate::servicenow::error::ClientError::Transport(e).diagnosis(now_ms())),
        Ok(resp)
            if resp.status == 401
                && serde_json::from_str::<serde_json::Value>(&resp.body).is_ok() =>
        {
            Ok(())
        }
        Ok(resp) => {
            let err = crate::servicenow::client::http_error(
                Endpoint::Table("sys_user".into()),
                Method::Get,
                &resp,
            );
            Err(err.diagnosis(now_ms()))
        }
    };
    let reached = reach.is_ok();
    steps.push(step("reach", t, reach));
    if !reached {
        return report(steps);
    }

    let Ok(session) = connection::session().await else {
        steps.push(step(
            "token",
            js_sys::Date::now(),
            Err(Diagnosis::AuthorizationLost),
        ));
        return report(steps);
    };
    let t = js_sys::Date::now();
    if let Err(e) = session.refresh_now().await {
        steps.push(step("token", t, Err(e.diagnosis(now_ms()))));
        return report(steps);
    }
    steps.push(step("token", t, Ok(())));
    let t = js_sys::Date::now();
    let who = session
        .call(|token| {
            let s = &session;
            async move { s.client.who_am_i(&token).await }
        })
        .await;
    let user = match who {
        Ok(u) => u,
        Err(e) => {
            let d = e.diagnosis(now_ms());
            steps.push(step("user", t, Err(d)));
            return report(steps);
        }
    };
    let t = js_sys::Date::now();
    let roles = session
        .call(|token| {
            let s = &session;
            let id = user.sys_id.clone();
            async move { s.client.user_roles(&token, &id).await }
        })
        .await
        .ok();
    let check = connection::account_check(&user, roles.as_deref()).await;
    steps.push(step(
        "user",
        t,
        match check {
            Some(d @ Diagnosis::PersonalAccount { .. }) => Err(d),
            _ => Ok(()),
        },
    ));

    for kind in TicketKind::ALL {
        let t = js_sys::Date::now();
        let r = session
            .call(|token| {
                let s = &session;
                async move {
                    let params = TableParams {
                        fields: vec!["sys_id".into()],
                        limit: Some(1),
                        no_count: true,
                        ..TableParams::default()
                    };
                    s.client.list(&token, kind.table(), &params).await
                }
            })
            .await;
        let key = match kind {
            TicketKind::Incident => "read_incident",
            TicketKind::ChangeRequest => "read_change_request",
        };
        steps.push(step(
            key,
            t,
            r.map(|_| ()).map_err(|e| e.diagnosis(now_ms())),
        ));
    }

    // State labels come from the records' display values; sys_choice is an optional
    // enrichment that a least-privilege user usually may not read, so it is no step here.
    report(steps)
}
