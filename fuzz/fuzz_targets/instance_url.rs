//! What a user types (or policy sets, or storage holds) as the instance address, and the portal
//! links the content script reads: no panic, and an accepted instance is an https origin on a
//! plain ASCII host that reads back to itself, so a token can only ever go where it was parsed
//! to go.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snshare_core::domain::instance::InstanceUrl;
use snshare_core::domain::portal_url::{action_id_from_href, PortalPage};
use snshare_core::domain::ticket::TicketKind;

fuzz_target!(|data: &[u8]| {
    let mut c = snshare_fuzz::Cursor::new(data);
    let typed = c.text(0);
    let sys_id = c.rest();

    // The portal side reads hrefs and location.href with the same kind of hand-rolled parsing.
    let _ = PortalPage::from_url(&typed).map(|p| p.action_id().map(str::len));
    let _ = action_id_from_href(&typed);

    let Ok(url) = InstanceUrl::parse(&typed) else {
        return;
    };
    let origin = url.origin();
    assert!(origin.starts_with("https://"), "{origin}");
    let host = url.host();
    assert!(
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'),
        "host {host:?} of {typed:?}"
    );
    assert!(
        !host
            .split('.')
            .any(|l| l.is_empty() || l.starts_with("xn--")),
        "{host}"
    );
    assert_eq!(url.permission_pattern(), format!("https://{host}/*"));
    // Stored as its origin and re-validated on read: it must read back to itself.
    assert_eq!(InstanceUrl::parse(&origin).as_ref(), Ok(&url), "{typed:?}");
    let stored = serde_json::to_string(&url).expect("a string serializes");
    let read: InstanceUrl = serde_json::from_str(&stored).expect("its own origin re-parses");
    assert_eq!(read, url);

    // A record link stays on the instance whatever the sys_id: one query value, encoded.
    for kind in TicketKind::ALL {
        let link = url.record_link(kind, &sys_id);
        let tail = link
            .strip_prefix(&format!("{origin}/nav_to.do?uri="))
            .expect("the link starts on the instance");
        assert!(
            tail.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'%' | b'-' | b'.' | b'_' | b'~')),
            "{link}"
        );
    }
});
