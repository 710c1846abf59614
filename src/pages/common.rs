//! Pieces the three pages share: the connection status, diagnoses, labels, dates, links.
//!
//! Everything here is a function of data (no messaging), so the wasm tests can render it.

use crate::domain::connection::{ConnectionState, ConnectionStatus};
use crate::domain::diagnosis::Diagnosis;
use crate::domain::ticket::{Category, Priority, TicketKind, TicketSummary};
use crate::messages::{ProtocolError, ResponseBody};
use crate::platform::{t, t_with};

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

// ---------------------------------------------------------------------------------------------
// Errors and diagnoses
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Links
// ---------------------------------------------------------------------------------------------

/// Only web links go into an `href`: a `javascript:` or `data:` link from data is shown as text.
pub fn safe_href(link: &str) -> Option<&str> {
    crate::domain::instance::ticket_href(link, None)
}

// ---------------------------------------------------------------------------------------------
// Presenters bound to the page's templates (the options page's markup; any page that carries
// the same `tpl-*` templates can use them)
// ---------------------------------------------------------------------------------------------

pub fn page_document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

/// A one-string piece (notice, progress, success, alert) from the page's template `id`.
pub fn text_view(id: &str, text: &str) -> Option<web_sys::Element> {
    crate::platform::template::instantiate_with_text(&page_document()?, id, text)
}

/// An inline alert (`role=alert`, template `tpl-alert`) with a message from the worker or
/// ServiceNow, as text.
pub fn alert_view(message: &str) -> Option<web_sys::Element> {
    text_view("tpl-alert", message)
}

// ---------------------------------------------------------------------------------------------
// Binding templates (extension/*.html): the same facts as above, on static markup
// ---------------------------------------------------------------------------------------------

/// Fills a ticket's number in a template holding both `data-part="link"` (an `<a>`) and
/// `data-part="number"` (plain text): the link into ServiceNow when the link is safe, else
/// the text; the other node is removed.
pub fn bind_ticket_number(root: &web_sys::Element, ticket: &TicketSummary) {
    let link = crate::platform::template::part::<web_sys::Element>(root, "link");
    let plain = crate::platform::template::part::<web_sys::Element>(root, "number");
    let (shown, gone) = match safe_href(&ticket.link) {
        Some(href) => {
            if let Some(a) = &link {
                let _ = a.set_attribute("href", href);
            }
            (link, plain)
        }
        None => (plain, link),
    };
    if let Some(node) = shown {
        node.set_text_content(Some(&ticket.number));
    }
    if let Some(node) = gone {
        node.remove();
    }
}

/// A state chip (`<span class="chip">`) for `ticket`: its label, coloured by open/closed.
pub fn bind_state_chip(chip: &web_sys::Element, ticket: &TicketSummary) {
    chip.set_text_content(Some(&ticket.state_label));
    let _ = chip
        .class_list()
        .add_1(if ticket.open { "is-open" } else { "is-closed" });
}

/// Fills a diagnosis block (`diagnosis-message`, `diagnosis-fix`, `diagnosis-fix-text`
/// parts); the fix line goes when there is none.
pub fn bind_diagnosis(block: &web_sys::Element, d: &Diagnosis) {
    use crate::platform::template::part;
    let (message, fix) = diagnosis_text(d);
    let _ = block.set_attribute("data-diagnosis", diagnosis_kind(d));
    if let Some(m) = part::<web_sys::Element>(block, "diagnosis-message") {
        m.set_text_content(Some(&message));
    }
    match (fix, part::<web_sys::Element>(block, "diagnosis-fix")) {
        (Some(f), Some(_)) => {
            if let Some(text) = part::<web_sys::Element>(block, "diagnosis-fix-text") {
                text.set_text_content(Some(&f));
            }
        }
        (None, Some(line)) => line.remove(),
        _ => {}
    }
}

/// The `data-action` of the control an event came from (delegated listeners: one per view,
/// the markup names what each control does), with that control.
pub fn event_action(e: &web_sys::Event) -> Option<(String, web_sys::Element)> {
    use wasm_bindgen::JsCast;
    let target = e.target()?.dyn_into::<web_sys::Element>().ok()?;
    let control = target.closest("[data-action]").ok()??;
    if control.has_attribute("disabled") {
        return None;
    }
    Some((control.get_attribute("data-action")?, control))
}

/// "Updated 3 minutes ago" for a fetch at `fetched_at`, at `now` (unix ms), in the surface's
/// language (`Intl.RelativeTimeFormat`, "now" and "yesterday" where the language says so).
pub fn format_age(fetched_at: u64, now: u64) -> String {
    let (count, unit) = crate::domain::ticket_list::age(fetched_at, now);
    let ago = crate::platform::i18n::format_relative(-(count as f64), unit.name())
        .unwrap_or_else(|| [snshare_core::decimal(count), " ".into(), unit.name().into()].concat());
    t_with("common_updated_ago", &[&ago])
}

/// What the connection status says, as text: the same facts whether a page builds its status
/// from the page's templates ([`status_from_markup`]).
pub struct StatusFacts {
    /// `is-ok`, `is-warn`… (the dot's colour; the headline says it in words).
    pub class: &'static str,
    pub headline: String,
    /// (label, value): instance, user, and with `detailed` token expiry and last call.
    pub rows: Vec<(String, String)>,
    pub hint: Option<String>,
    pub warnings: Vec<String>,
}

pub fn status_facts(status: &ConnectionStatus, detailed: bool) -> StatusFacts {
    let mut rows = Vec::new();
    if let Some(instance) = status.instance.as_deref().filter(|s| !s.is_empty()) {
        rows.push((t("common_status_instance"), instance.to_string()));
    }
    if let Some(user) = &status.user {
        let who = if user.name.is_empty() || user.name == user.user_name {
            user.user_name.clone()
        } else {
            format!("{} ({})", user.name, user.user_name)
        };
        rows.push((t("common_status_user"), who));
    }
    if detailed {
        if let Some(exp) = status.access_token_expires_at {
            rows.push((t("common_status_token_expires"), format_time(exp)));
        }
        let last = status
            .last_success_at
            .map(format_time)
            .unwrap_or_else(|| t("common_never"));
        if status.state != ConnectionState::NotConnected || status.last_success_at.is_some() {
            rows.push((t("common_status_last_success"), last));
        }
    }
    let hint = match status.state {
        ConnectionState::AuthorizationNeeded => Some(t("common_status_authorization_needed_hint")),
        ConnectionState::Unreachable => Some(t("common_status_unreachable_hint")),
        _ => None,
    };
    StatusFacts {
        class: state_class(status.state),
        headline: status_headline(status),
        rows,
        hint,
        warnings: status.warnings.iter().map(|key| t(key)).collect(),
    }
}

/// The status region's content from the page's templates (`status`, `status-row`,
/// `status-warning`, `status-checking`). `None` status: still asking the worker.
pub fn status_from_markup(
    status: Option<&ConnectionStatus>,
    detailed: bool,
) -> Option<web_sys::Element> {
    use crate::platform::template::{instantiate_by_id, part};
    let doc = page_document()?;
    let Some(status) = status else {
        return instantiate_by_id(&doc, "tpl-status-checking");
    };
    let facts = status_facts(status, detailed);
    let root = instantiate_by_id(&doc, "tpl-status")?;
    let line = part::<web_sys::Element>(&root, "line")?;
    let _ = line.class_list().add_1(facts.class);
    part::<web_sys::Element>(&root, "headline")?.set_text_content(Some(&facts.headline));
    let fill = |name: &str, template: &str, items: Vec<(String, Option<String>)>| -> Option<()> {
        let list = part::<web_sys::Element>(&root, name)?;
        if items.is_empty() {
            list.remove();
        }
        for (text, value) in items {
            let item = instantiate_by_id(&doc, template)?;
            match value {
                Some(v) => {
                    part::<web_sys::Element>(&item, "label")?.set_text_content(Some(&text));
                    part::<web_sys::Element>(&item, "value")?.set_text_content(Some(&v));
                }
                None => item.set_text_content(Some(&text)),
            }
            let _ = list.append_child(&item);
        }
        Some(())
    };
    fill(
        "details",
        "tpl-status-row",
        facts.rows.into_iter().map(|(l, v)| (l, Some(v))).collect(),
    )?;
    fill(
        "warnings",
        "tpl-status-warning",
        facts.warnings.into_iter().map(|w| (w, None)).collect(),
    )?;
    let hint = part::<web_sys::Element>(&root, "hint")?;
    match facts.hint {
        Some(h) => hint.set_text_content(Some(&h)),
        None => hint.remove(),
    }
    Some(root)
}

/// A diagnosis (template `tpl-diagnosis`): what went wrong and, when the catalogue has one,
/// how to fix it.
pub fn diagnosis_view(d: &Diagnosis) -> Option<web_sys::Element> {
    use crate::platform::template::{instantiate_by_id, part};
    let node = instantiate_by_id(&page_document()?, "tpl-diagnosis")?;
    let _ = node.set_attribute("data-diagnosis", diagnosis_kind(d));
    let (message, fix) = diagnosis_text(d);
    part::<web_sys::Element>(&node, "message")?.set_text_content(Some(&message));
    let fix_line: web_sys::Element = part(&node, "fix")?;
    match fix {
        Some(f) => part::<web_sys::Element>(&fix_line, "fix-text")?.set_text_content(Some(&f)),
        None => fix_line.remove(),
    }
    Some(node)
}

/// A validation message by i18n key; a key missing from the catalogue still reads as a sentence.
pub fn error_text(key: &str) -> String {
    let s = t(key);
    if s == key {
        t("common_field_invalid")
    } else {
        s
    }
}
