//! Pieces the three pages share: the connection status, diagnoses, labels, dates, links.
//!
//! Everything here is a function of data (no messaging), so the wasm tests can render it.

use crate::domain::connection::{ConnectionState, ConnectionStatus};
use crate::domain::diagnosis::Diagnosis;
use crate::domain::ticket::{Category, Priority, TicketKind, TicketSummary};
use crate::messages::{ProtocolError, ResponseBody};
use crate::platform::{t, t_with};

use super::dom::{document, el, sr_only, wrap, El};

// ---------------------------------------------------------------------------------------------
// Labels and wire values
// ---------------------------------------------------------------------------------------------

// The names and label keys are the enums' own (`as_str`, `FromStr`, `label_key` in
// `domain`); these keep the pages' names for them.

pub fn kind_value(kind: TicketKind) -> &'static str {
    kind.as_str()
}

pub fn kind_from_value(v: &str) -> Option<TicketKind> {
    v.parse().ok()
}

pub fn kind_label(kind: TicketKind) -> String {
    t(&kind.label_key())
}

pub const PRIORITIES: [Priority; 5] = Priority::ALL;

pub fn priority_value(p: Priority) -> &'static str {
    p.as_str()
}

pub fn priority_from_value(v: &str) -> Option<Priority> {
    v.parse().ok()
}

pub fn priority_label(p: Priority) -> String {
    t(&p.label_key())
}

pub const CATEGORIES: [Category; 5] = Category::ALL;

pub fn category_value(c: Category) -> &'static str {
    c.as_str()
}

pub fn category_from_value(v: &str) -> Option<Category> {
    v.parse().ok()
}

pub fn category_label(c: Category) -> String {
    t(&c.label_key())
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

pub use crate::platform::i18n::{format_sn_time, format_time};

// ---------------------------------------------------------------------------------------------
// Connection status
// ---------------------------------------------------------------------------------------------

/// The one-line headline: "Connected as snshare.integration", "Not connected", …
pub fn status_headline(status: &ConnectionStatus) -> String {
    match status.state {
        ConnectionState::Connected => match &status.user {
            Some(u) if !u.user_name.is_empty() => {
                t_with("common_status_connected_as", &[&u.user_name])
            }
            _ => t("common_status_connected"),
        },
        ConnectionState::NotConnected => t("common_status_not_connected"),
        ConnectionState::AuthorizationNeeded => t("common_status_authorization_needed"),
        ConnectionState::Unreachable => t("common_status_unreachable"),
    }
}

pub fn state_class(state: ConnectionState) -> &'static str {
    match state {
        ConnectionState::Connected => "is-ok",
        ConnectionState::NotConnected => "is-muted",
        ConnectionState::AuthorizationNeeded => "is-warn",
        ConnectionState::Unreachable => "is-error",
    }
}

/// What goes inside the page's `role=status` region. `None`: still asking the worker.
/// `detailed` adds token expiry and last call (options page); the popup shows less.
pub fn render_status(status: Option<&ConnectionStatus>, detailed: bool) -> El {
    let Some(status) = status else {
        return el("p")
            .class("status-line is-muted")
            .text(&t("common_status_checking"));
    };
    let line = el("p")
        .class("status-line")
        .class(state_class(status.state))
        .child(el("span").class("status-dot").attr("aria-hidden", "true"))
        .child(
            el("strong")
                .class("status-headline")
                .text(&status_headline(status)),
        );
    let mut rows: Vec<El> = Vec::new();
    let mut row = |label: &str, value: &str| {
        rows.push(
            el("div")
                .child(el("dt").text(label))
                .child(el("dd").text(value)),
        );
    };
    if let Some(instance) = status.instance.as_deref().filter(|s| !s.is_empty()) {
        row(&t("common_status_instance"), instance);
    }
    if let Some(user) = &status.user {
        let who = if user.name.is_empty() || user.name == user.user_name {
            user.user_name.clone()
        } else {
            format!("{} ({})", user.name, user.user_name)
        };
        row(&t("common_status_user"), &who);
    }
    if detailed {
        if let Some(exp) = status.access_token_expires_at {
            row(&t("common_status_token_expires"), &format_time(exp));
        }
        let last = status
            .last_success_at
            .map(format_time)
            .unwrap_or_else(|| t("common_never"));
        if status.state != ConnectionState::NotConnected || status.last_success_at.is_some() {
            row(&t("common_status_last_success"), &last);
        }
    }
    let hint = match status.state {
        ConnectionState::AuthorizationNeeded => Some(t("common_status_authorization_needed_hint")),
        ConnectionState::Unreachable => Some(t("common_status_unreachable_hint")),
        _ => None,
    };
    let warnings: Vec<El> = status
        .warnings
        .iter()
        .map(|key| el("li").text(&t(key)))
        .collect();
    el("div")
        .class("status-body")
        .child(line)
        .child_opt((!rows.is_empty()).then(|| el("dl").class("status-details").children(rows)))
        .child_opt(hint.map(|h| el("p").class("status-hint").text(&h)))
        .child_opt(
            (!warnings.is_empty()).then(|| el("ul").class("status-warnings").children(warnings)),
        )
}

/// The page's single live status region (product.md: role status, contains "Connected as").
pub fn status_host() -> El {
    el("div")
        .class("status")
        .attr("role", "status")
        .attr("aria-live", "polite")
        .attr("aria-atomic", "true")
}

// ---------------------------------------------------------------------------------------------
// Errors and diagnoses
// ---------------------------------------------------------------------------------------------

/// An inline alert (`role=alert`) with a message that came from the worker or ServiceNow.
pub fn alert(message: &str) -> El {
    el("div")
        .class("alert is-error")
        .attr("role", "alert")
        .child(el("span").class("alert-icon").attr("aria-hidden", "true"))
        .child(el("span").class("alert-text").text(message))
}

/// A protocol error as the user reads it.
pub fn error_message(e: &ProtocolError) -> String {
    if e.message.trim().is_empty() {
        t("common_error_generic")
    } else {
        e.message.clone()
    }
}

/// An answer the caller did not expect, as an error message.
pub fn unexpected(body: &ResponseBody) -> String {
    match body {
        ResponseBody::Error(e) => error_message(e),
        _ => t("common_error_unexpected_answer"),
    }
}

pub fn diagnosis_kind(d: &Diagnosis) -> &'static str {
    d.name()
}

pub use crate::platform::present::diagnosis_text;

pub fn render_diagnosis(d: &Diagnosis) -> El {
    let (message, fix) = diagnosis_text(d);
    el("div")
        .class("diagnosis")
        .attr("data-diagnosis", diagnosis_kind(d))
        .child(el("p").class("diagnosis-message").text(&message))
        .child_opt(fix.map(|f| {
            el("p")
                .class("diagnosis-fix")
                .child(el("strong").text(&t("common_how_to_fix")))
                .append_text(" ")
                .append_text(&f)
        }))
}

// ---------------------------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------------------------

/// Only web links go into an `href` (`domain::instance::ticket_href`, instance unknown): a
/// `javascript:` or `data:` link from data is shown as text.
pub fn safe_href(link: &str) -> Option<&str> {
    crate::domain::instance::ticket_href(link, None)
}

/// A ticket's number as a link into ServiceNow, opening in a new tab
/// (`platform::present::ticket_link`).
pub fn ticket_link(ticket: &TicketSummary) -> El {
    match crate::platform::present::ticket_link(&document(), ticket, None) {
        Ok(node) => wrap(node).class("ticket-number"),
        Err(_) => el("span").class("ticket-number").text(&ticket.number),
    }
}

/// A small state label ("New", "In Progress"…), coloured by open/closed.
pub fn state_chip(ticket: &TicketSummary) -> El {
    el("span")
        .class("chip")
        .class(if ticket.open { "is-open" } else { "is-closed" })
        .text(&ticket.state_label)
}

/// A small spinner with a text for screen readers.
pub fn spinner(label: &str) -> El {
    el("span")
        .class("spinner")
        .child(el("span").class("spinner-ring").attr("aria-hidden", "true"))
        .child(sr_only(label))
}
