//! One presenter per fact the content script and the extension pages both show: a diagnosis in
//! words, a ticket's number as a link into ServiceNow, a moment in local time. Each surface
//! styles the node or places the text; what it says, and the rule behind it, is decided here.

use wasm_bindgen::JsValue;
use web_sys::{Document, Element};

use super::i18n::{intl_format, IntlUse};
use super::{t, t_with};
use crate::domain::diagnosis::Diagnosis;
use crate::domain::instance::ticket_href;
use crate::domain::ticket::TicketSummary;

/// What went wrong and how to fix it, through chrome.i18n (`Diagnosis::text`: the messages
/// `diagnosis_<name>` and `diagnosis_<name>_fix`, one fallback rule).
/// A wait the instance asked for reads as a duration in words ("1 second", "30 seconds",
/// "2 minutes"), plural-correct in the surface's language, never "1 seconds".
pub fn diagnosis_text(d: &Diagnosis) -> (String, Option<String>) {
    let wait = match d {
        Diagnosis::RateLimited { retry_after_secs } => Some(duration_words(*retry_after_secs)),
        _ => None,
    };
    d.text(|key, subs| {
        let message = match &wait {
            Some(w) if key == d.message_key() => t_with(key, &[w.as_str()]),
            _ => t_with(key, subs),
        };
        (message != key && !message.is_empty()).then_some(message)
    })
}

/// A number of seconds in words for the surface's language, by `Intl.NumberFormat`'s units
/// (which know each language's plural forms): seconds under two minutes, else whole minutes,
/// rounded up.
pub fn duration_words(secs: u64) -> String {
    let (n, unit) = if secs < 120 {
        (secs, "second")
    } else {
        (secs.div_ceil(60), "minute")
    };
    intl_format(IntlUse::Unit(unit), &JsValue::from_f64(n as f64))
        .unwrap_or_else(|| [&snshare_core::decimal(n), " ", unit, "s"].concat())
}

/// A ticket's number as a link into ServiceNow, opening in a new tab, when its link passes
/// [`ticket_href`] (a web link, on `instance` when the caller knows the connected instance's
/// origin); else the number as text in a `span`. The number is always text, never markup.
pub fn ticket_link(
    doc: &Document,
    ticket: &TicketSummary,
    instance: Option<&str>,
) -> Result<Element, JsValue> {
    let node = match ticket_href(&ticket.link, instance) {
        Some(href) => {
            let a = doc.create_element("a")?;
            a.set_attribute("href", href)?;
            a.set_attribute("target", "_blank")?;
            a.set_attribute("rel", "noopener noreferrer")?;
            a.set_attribute("title", &t("common_opens_new_tab"))?;
            a
        }
        None => doc.create_element("span")?,
    };
    node.set_text_content(Some(&ticket.number));
    Ok(node)
}

/// How much of a moment `local_time` writes (`Intl.DateTimeFormat`'s `dateStyle` and
/// `timeStyle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Full,
    Medium,
    Short,
}

impl Style {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Style::Full => "full",
            Style::Medium => "medium",
            Style::Short => "short",
        }
    }
}

/// A moment in the surface's language and the user's time zone: the date, and the time when
/// `time` is given. The one place snshare formats a date.
pub fn local_time(date: &js_sys::Date, day: Style, time: Option<Style>) -> String {
    intl_format(IntlUse::Date(day, time), date)
        .unwrap_or_else(|| String::from(date.to_iso_string()))
}

/// A ticket's number as [`ticket_link`] makes it, or as text when the browser refused the link.
pub fn ticket_node(doc: &Document, tk: &TicketSummary) -> Element {
    ticket_link(doc, tk, None).unwrap_or_else(|_| crate::dom::el(doc, "span", "", &tk.number))
}

/// The link back to an action on the portal the page is on (commercial, GCC High, DoD).
pub fn action_link(action_id: &str) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    crate::domain::portal_url::action_link_on(&origin, action_id)
}

/// The description prefilled from a row of the list: the title, then the link.
pub fn description_from_row(title: &str, link: &str) -> String {
    [title.trim(), "\n\n", link].concat()
}
