//! Everything a ServiceNow instance (or whatever answers in its place) can send back, through
//! the client's real calls: Table API lists and records, the token endpoint, revoke, the
//! Aggregate and Batch APIs, who-am-i, error envelopes, rate-limit headers; then the diagnosis
//! and retry decision of every failure. Also the OAuth redirect URL the web-auth window lands
//! on. No answer may panic the worker.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snshare_core::domain::instance::InstanceUrl;
use snshare_core::domain::pkce::PkceVerifier;
use snshare_core::domain::retry::{classify, Attempt};
use snshare_core::domain::ticket::TicketKind;
use snshare_core::domain::token::{Secret, TokenSet};
use snshare_core::messages::StateName;
use snshare_core::servicenow::oauth::{parse_redirect, web_auth_error};
use snshare_core::servicenow::table::{decode_one, decode_one_or_only, parse_link_header};
use snshare_core::servicenow::{
    diagnose, Client, ClientError, DiagnoseContext, HttpResponse, OAuthClient, TableParams,
    TicketFilter, TokenGrant,
};
use snshare_fuzz::{block_on, now_ms, Cursor, OneAnswer};

const STATUSES: [u16; 14] = [
    200, 201, 204, 301, 307, 400, 401, 403, 404, 409, 429, 500, 502, 503,
];

fn check_error(err: &ClientError, now: u64) {
    let d = diagnose(err, DiagnoseContext { now_ms: now });
    let _ = (
        d.message_key(),
        d.fix_key(),
        d.message_args(),
        d.is_transient(),
    );
    let f = err.failure(now);
    for idempotent in [false, true] {
        for refreshed in [false, true] {
            let _ = classify(
                &f,
                Attempt {
                    idempotent,
                    refreshed,
                },
            );
        }
    }
    let _ = err.to_string();
}

fn check<T>(r: Result<T, ClientError>, now: u64) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            check_error(&e, now);
            None
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor::new(data);
    let pick = c.byte();
    let status = match STATUSES.get(usize::from(pick)) {
        Some(s) => *s,
        None => c.u16(),
    };
    let now = now_ms(&mut c);
    let headers: Vec<(String, String)> = c
        .text(0)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let body = c.rest();
    let answer = HttpResponse::new(status, headers, body.clone());

    let Ok(instance) = InstanceUrl::parse("dev1") else {
        return;
    };
    let client = Client::new(OneAnswer(answer.clone()), instance.clone())
        .with_owner(Some("6816f79cc0a8016401c5a33be04be441".into()));
    let token = Secret::new("t");
    let names: Vec<StateName> = Vec::new();

    // The token endpoint, for every grant.
    let oauth = OAuthClient::new("client", Some(Secret::new("secret")));
    let grants = [
        TokenGrant::AuthorizationCode {
            code: Secret::new("c"),
            redirect_uri: "https://x.chromiumapp.org/".into(),
            verifier: PkceVerifier::from_random_bytes([7; 32]),
        },
        TokenGrant::Password {
            username: "u".into(),
            password: Secret::new("p"),
        },
        TokenGrant::RefreshToken {
            refresh_token: Secret::new("r"),
        },
    ];
    for grant in &grants {
        if let Some(set) = check(block_on(client.token(&oauth, grant, now)), now) {
            assert!(!set.access_token.is_empty());
            let _ = (
                set.needs_refresh(now),
                set.is_expired(now),
                set.refresh_at_ms(),
            );
            // What the worker stores must read back.
            let stored = serde_json::to_string(&set).expect("tokens serialize");
            let read: TokenSet = serde_json::from_str(&stored).expect("stored tokens read back");
            assert_eq!(read, set);
        }
    }
    let _ = check(block_on(client.revoke(&oauth, &token)), now);

    // Table API reads, as each caller makes them.
    let _ = check(
        block_on(client.list(&token, "incident", &TableParams::default())),
        now,
    )
    .map(|p| (p.total, p.links));
    // One record, as the worker decodes a created or read record.
    let _ = check(decode_one("incident", &answer), now);
    let _ = check(decode_one_or_only("incident", &answer), now);
    let _ = check(block_on(client.who_am_i(&token)), now);
    let _ = check(block_on(client.user_roles(&token, "u")), now);
    let filter = TicketFilter::default();
    for kind in TicketKind::ALL {
        if let Some(list) = check(
            block_on(client.list_tickets(&token, kind, &filter, &names)),
            now,
        ) {
            for t in &list.tickets {
                // A record's link stays on the instance, whatever its sys_id.
                assert!(t
                    .link
                    .starts_with("https://dev1.service-now.com/nav_to.do?uri="));
            }
        }
        let _ = check(
            block_on(client.find_by_correlation(&token, kind, "snshare:a:b", &names)),
            now,
        );
        let _ = check(block_on(client.state_counts(&token, kind)), now);
        let _ = check(block_on(client.state_labels(&token, kind, "en")), now);
    }
    let _ = check(
        block_on(client.find_open_for_action(&token, "AdminMFAV2", &names)),
        now,
    );
    for with_counts in [false, true] {
        let _ = check(
            block_on(client.read_cards_batch(&token, &filter, &names, with_counts)),
            now,
        );
    }
    let _ = parse_link_header(&body);

    // The OAuth redirect the web-auth window resolves with, and its rejection messages.
    let _ = parse_redirect(&body, "expected-state").map(|code| code.is_empty());
    let _ = web_auth_error(&body);
});
