//! Encoded queries (`sysparm_query`), which have no escape character: whatever the field names
//! and values, a built query has exactly one term per condition (nothing smuggled in with `^`,
//! `^OR` or `^NQ`), free text always becomes buildable, action ids always make query-safe
//! correlation keys, and URL query strings round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snshare_core::domain::correlation;
use snshare_core::domain::query::{
    parse_query_string, percent_decode, percent_encode, sanitize_value, EncodedQuery, QueryString,
};
use snshare_core::servicenow::ticket::ticket_query;
use snshare_core::servicenow::TicketFilter;
use snshare_fuzz::Cursor;

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor::new(data);
    let mut q = EncodedQuery::new();
    let mut terms = 0usize;
    let mut texts = Vec::new();
    while !c.is_empty() && terms < 16 {
        let op = c.byte();
        let field = c.text(0);
        let value = c.text(0);
        q = match op % 10 {
            0 => q.eq(&field, &value),
            1 => q.ne(&field, &value),
            2 => q.starts_with(&field, &value),
            3 => q.like(&field, &value),
            4 => q.or_eq(&field, &value),
            5 => q.or_starts_with(&field, &value),
            6 => q.or_like(&field, &value),
            7 => q.in_(&field, value.split('\u{1f}')),
            8 => q.order_by(&field),
            _ => q.order_by_desc(&field),
        };
        terms += 1;
        texts.push(value);
    }
    if let Ok(built) = q.build() {
        assert_eq!(built.split('^').count(), terms.max(1), "{built:?}");
        assert!(!built.contains(['\n', '\r']), "{built:?}");
    }

    for text in &texts {
        // A search box's text always becomes one LIKE value.
        let clean = sanitize_value(text);
        let one = EncodedQuery::new()
            .like("short_description", &clean)
            .build();
        assert!(one.is_ok(), "{text:?} -> {clean:?}: {one:?}");
        // An action id always gives a key the query can carry, and finds itself again.
        let cid = correlation::correlation_id(Some(text), "share-1");
        assert!(correlation::matches_action(&cid, text), "{text:?} -> {cid}");
        let filter = TicketFilter {
            action_id: Some(text.clone()),
            open_only: true,
            search: Some(text.clone()),
            ..TicketFilter::default()
        };
        assert!(ticket_query(&filter).is_ok(), "{text:?}");
        // URL encoding round-trips.
        assert_eq!(&percent_decode(&percent_encode(text)), text);
        let qs = QueryString::new().param(text, text).finish();
        assert_eq!(parse_query_string(&qs), vec![(text.clone(), text.clone())]);
    }
});
