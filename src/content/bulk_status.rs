//! Ticket state flowing back to the improvement action (issue 18): after a ticket is created,
//! and when an action's ticket is resolved or closed, snshare offers to set the action's Secure
//! Score status through the portal's own status control in the open panel, as the person would
//! (a status picker's choices: radios, or menu / list items, named in the portal's language).
//! Nothing changes without the person's click on snshare's offer, and no portal API is called:
//! the click chooses the status in the portal's control, which does the rest.

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, HtmlElement};

use super::dom::{self, closest, set, OWN_ATTR};
use super::selectors;
use crate::domain::action_status::ActionStatus;
use crate::domain::ticket::{ShownTicket, TicketKind};
use crate::platform::t_with;

/// On an offer button: the status it sets (`ActionStatus::as_str`).
pub const STATUS_ATTR: &str = "data-snshare-status";
/// What a click on an offer does (one delegated listener, `bulk`'s).
pub const CMD_SELECTOR: &str = "[data-snshare-cmd=\"set-status\"]";
const CHOICE: &str =
    "[role=\"radio\"], [role=\"menuitemradio\"], [role=\"option\"], input[type=\"radio\"]";

/// The status a ticket's state suggests for its action: resolved → "Resolved through third
/// party", closed → "Completed"; anything else (open, canceled) suggests nothing.
pub fn follow_up(ticket: &ShownTicket) -> Option<ActionStatus> {
    match (ticket.kind, ticket.state.as_str()) {
        (TicketKind::Incident, "6") => Some(ActionStatus::ResolvedThroughThirdParty),
        (TicketKind::Incident, "7") | (TicketKind::ChangeRequest, "3") => {
            Some(ActionStatus::Completed)
        }
        _ => None,
    }
}

/// The status choices of the panel's status control, with the name the page gives each.
fn choices(panel: &Element) -> Vec<(ActionStatus, String, Element)> {
    dom::all(panel, CHOICE)
        .into_iter()
        .filter(|c| !dom::is_ours(c))
        .filter_map(|c| {
            let name = selectors::choice_name(&c);
            selectors::status_in_place(&name).map(|s| (s, name, c))
        })
        .collect()
}

fn checked(choice: &Element) -> bool {
    choice
        .dyn_ref::<web_sys::HtmlInputElement>()
        .map(|i| i.checked())
        .unwrap_or_else(|| {
            ["aria-checked", "aria-selected"]
                .iter()
                .any(|a| choice.get_attribute(a).as_deref() == Some("true"))
        })
}

/// An offer to set the panel's action to `status`: `None` when the panel has no status control
/// offering it, or the action has that status already.
pub fn offer(doc: &Document, panel: &Element, status: ActionStatus) -> Option<Element> {
    let all = choices(panel);
    let (_, name, choice) = all.iter().find(|(s, _, _)| *s == status)?;
    if checked(choice) {
        return None;
    }
    let button = dom::el(
        doc,
        "button",
        "snshare-btn",
        &t_with("bulk_set_status", &[name]),
    );
    set(&button, "type", "button");
    set(&button, OWN_ATTR, "set-status");
    set(&button, "data-snshare-cmd", "set-status");
    set(&button, STATUS_ATTR, status.as_str());
    Some(button)
}

/// The open panel, when it shows `action_id` (the page's URL names it).
fn panel_of(doc: &Document, action_id: &str) -> Option<Element> {
    let href = web_sys::window()?.location().href().ok()?;
    let page = crate::domain::portal_url::PortalPage::from_url(&href)?;
    if page.action_id()? != action_id {
        return None;
    }
    selectors::find_panel(&doc.document_element()?)
}

/// The page's name for `status` when the panel showing `action_id` offers it and the action
/// does not have it yet (the task form offers it once its ticket exists).
pub fn offered(doc: &Document, action_id: &str, status: ActionStatus) -> Option<String> {
    let panel = panel_of(doc, action_id)?;
    let (_, name, choice) = choices(&panel).into_iter().find(|(s, _, _)| *s == status)?;
    (!checked(&choice)).then_some(name)
}

/// Chooses `status` in the control of the panel showing `action_id` (the task form's offer, on
/// a person's click): whether the action has it now.
pub fn set_for(action_id: &str, status: ActionStatus) -> bool {
    dom::document()
        .and_then(|d| panel_of(&d, action_id))
        .and_then(|panel| choose(&panel, status))
        .is_some()
}

/// A person's click on an offer drawn in the page (the panel's badges): one delegated
/// listener on the window.
pub fn on_click(e: &Event) {
    let Some(button) = e
        .target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .and_then(|t| closest(&t, CMD_SELECTOR))
    else {
        return;
    };
    e.stop_propagation();
    if dom::by_user(e) {
        // After this listener returns: the click on the portal's control reaches this same
        // listener, which must not run inside itself.
        dom::after(0, move || apply(&button));
    }
}

/// Chooses the offer's status in the open panel's control, and says so in place of the offer.
/// Called only from a person's click.
pub fn apply(button: &Element) {
    let Some(status) = button
        .get_attribute(STATUS_ATTR)
        .and_then(|s| s.parse::<ActionStatus>().ok())
    else {
        return;
    };
    let panel = closest(button, "[role=\"dialog\"], [role=\"complementary\"]")
        .filter(|p| !dom::is_ours(p))
        .or_else(|| {
            dom::document()
                .and_then(|d| d.document_element())
                .and_then(|r| selectors::find_panel(&r))
        });
    let Some(panel) = panel else { return };
    if let Some(name) = choose(&panel, status) {
        button.set_text_content(Some(&t_with("bulk_status_set", &[&name])));
        set(button, "disabled", "");
    }
}

/// Clicks `status`'s choice in the panel's control, as the person would: its name when it took.
fn choose(panel: &Element, status: ActionStatus) -> Option<String> {
    let (_, name, choice) = choices(panel).into_iter().find(|(s, _, _)| *s == status)?;
    if let Some(h) = choice.dyn_ref::<HtmlElement>() {
        h.click();
    }
    checked(&choice).then_some(name)
}
