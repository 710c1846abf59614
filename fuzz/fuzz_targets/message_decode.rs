//! What a sender can put in a `chrome.runtime` message, decoded as the worker decodes it (the
//! same serde `Request`), checked against the sender rules, and for a share, carried as far as
//! the record the worker would send to ServiceNow: validation, correlation id, the create body.
//! Also the answers the content script and pages decode, and the badges' packed tickets. No
//! message may panic the worker.
//!
//! The worker decodes from a JS value (serde-wasm-bindgen), this target from JSON: the derive
//! that decides what is accepted is the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snshare_core::domain::correlation;
use snshare_core::domain::settings::FieldMapping;
use snshare_core::messages::{
    OwnExtension, Request, RequestBody, Response, SenderInfo, SenderKind,
};
use snshare_core::servicenow::NewTicket;

/// Offsets a browser reports (minutes east of UTC), from the Line Islands to Baker Island.
const OFFSETS: [i32; 6] = [-720, -300, 0, 60, 330, 840];

fuzz_target!(|data: &[u8]| {
    if let Ok(sender) = serde_json::from_slice::<SenderInfo>(data) {
        let own = OwnExtension::chromium("pgmckfnkcjjdbjackbdfdggbempndbni");
        if sender.classify(&own) == Some(SenderKind::PortalContentScript) {
            let origin = sender
                .origin
                .as_deref()
                .or(sender.url.as_deref())
                .unwrap_or("");
            assert!(
                snshare_core::messages::PORTAL_ORIGINS
                    .iter()
                    .any(|o| origin.starts_with(o)),
                "{sender:?}"
            );
        }
    }
    let _ = serde_json::from_slice::<Response>(data);
    // The badges' packed tickets (`ticket::unpack_shown`): any text reads without a panic.
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = snshare_core::domain::ticket::unpack_shown(text);
    }

    let Ok(request) = serde_json::from_slice::<Request>(data) else {
        return;
    };
    for kind in [SenderKind::ExtensionPage, SenderKind::PortalContentScript] {
        let _ = request.body.allowed_from(kind);
    }
    // What the worker decodes, it can encode and decode again to the same request (drafts
    // and outbox entries go through storage this way).
    let again = serde_json::to_vec(&request).expect("a decoded request encodes");
    let round: Request = serde_json::from_slice(&again).expect("and decodes again");
    assert_eq!(round, request);

    let draft = match &request.body {
        RequestBody::Share(share) => &share.draft,
        RequestBody::SaveDraft { draft, .. } => draft,
        _ => return,
    };
    let today =
        time::Date::from_calendar_date(2026, time::Month::December, 2).expect("a real date");
    let _ = (
        draft.short_description(),
        draft.ticket_description(),
        draft.due(),
    );
    if !draft.validate(today).is_empty() {
        return;
    }
    let share_id = match &request.body {
        RequestBody::Share(share) => share.share_id.as_str(),
        _ => "s",
    };
    let cid = correlation::correlation_id(draft.action_id.as_deref(), share_id);
    assert!(cid.len() <= correlation::MAX_LEN, "{cid}");
    assert!(correlation::parse(&cid).is_some(), "{cid}");
    for offset in OFFSETS {
        let ticket = NewTicket::from_draft(draft, &cid, offset, &FieldMapping::default());
        let _ = serde_json::to_string(&ticket).expect("the create body serializes");
    }
});
