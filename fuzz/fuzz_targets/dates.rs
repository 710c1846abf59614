//! Dates from outside: the due date a user (or a page script) types, the browser's offset from
//! UTC, the day the worker thinks it is, and the HTTP dates ServiceNow sends in Retry-After.
//! No combination may panic: with `panic = "abort"` a panic kills the worker and poisons the
//! outbox entry that caused it (security review M1).
#![no_main]

use libfuzzer_sys::fuzz_target;
use snshare_core::domain::draft::{default_due_date, due_date_value, format_date, parse_date};
use snshare_core::domain::retry::{backoff_ms, parse_http_date, parse_retry_after};
use snshare_fuzz::{now_ms, Cursor};

/// Any date `time` can hold (without its large-dates feature): -9999-01-01 ..= 9999-12-31.
fn any_date(c: &mut Cursor<'_>) -> time::Date {
    let min = time::Date::MIN.to_julian_day();
    let max = time::Date::MAX.to_julian_day();
    let span = u32::try_from(max - min + 1).expect("the span fits");
    let day = min + i32::try_from(c.u32() % span).expect("below the span");
    time::Date::from_julian_day(day).expect("within MIN..=MAX")
}

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor::new(data);
    let date = any_date(&mut c);
    let today = any_date(&mut c);
    // A browser's offset is within ±14 h, but nothing bounds what the worker is handed.
    let offset = match c.byte() {
        0..=200 => i32::from(c.u16() % 1681) - 840,
        _ => c.i32(),
    };
    let days = c.u32();
    let now = now_ms(&mut c);
    let typed = c.text(0);
    let header = c.rest();

    // The due date as the form gives it, read back exactly.
    if let Some(d) = parse_date(&typed) {
        assert_eq!(format_date(d), typed);
        let _ = due_date_value(d, offset);
    }
    // Every date the type can hold, at every offset: the value sent as `due_date`.
    let _ = format!("{:?}", due_date_value(date, offset));
    let _ = default_due_date(today, days);

    let _ = parse_retry_after(&header, now).map(|ms| assert!(ms <= 2 * 3_600_000));
    let _ = parse_http_date(&header);
    let _ = backoff_ms(days, f64::from(offset) / 1000.0);
});
