//! Proactive pacing of creates from the instance's rate-limit headers (issue 18).
//!
//! An instance with a rate limit rule says so on every answer the rule matches:
//! `X-RateLimit-Limit` (requests per window, an hour on ServiceNow), `X-RateLimit-Reset` (unix
//! seconds when the window's count starts again) and `X-RateLimit-Rule`; some gateways add
//! `X-RateLimit-Remaining`. ServiceNow itself sends no Remaining, so the meter also counts the
//! answers of the current window it has seen, and believes whichever says less is left.
//!
//! The outbox asks [`RateMeter::create_delay_ms`] after each create: while everything queued
//! fits into what the window has left, nothing waits; when it does not, the creates that still
//! fit are spaced evenly up to the reset (the bulk ends no later than sending them at once and
//! waiting, and the instance never sees the burst), and a reserve is left for the user's own
//! lookups (cards, badges, the form's duplicate check) until the window turns. A 429 remains
//! possible (other clients of the same user, an instance that counts per node) and is handled
//! by Retry-After as before; pacing makes it rare.

use super::retry::{parse_http_date, MAX_RETRY_AFTER_MS};

/// Waited past the reset, for the instance's clock and the second the reset is given in.
pub const MARGIN_MS: u64 = 250;
/// A reset below this is read as seconds from now rather than a unix time (some gateways).
const UNIX_TIME_FLOOR: u64 = 1_000_000_000;

/// The rate-limit facts of one answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// Requests allowed per window.
    pub limit: u32,
    /// `X-RateLimit-Remaining`, when the answer has one.
    pub remaining: Option<u32>,
    /// The reset as the instance gives it (unix seconds): names the window.
    pub reset_secs: u64,
    /// When the window resets on this machine's clock (unix ms): from the answer's `Date`
    /// when it has one, so a skewed local clock neither waits too long nor resumes too early.
    pub reset_at_ms: u64,
    /// The answer was a 429: nothing is left in this window.
    pub limited: bool,
}

impl RateLimitHeaders {
    /// Reads an answer's headers (`header` looks one up by lowercase name); `None` when the
    /// answer carries no usable `X-RateLimit-Limit` and `X-RateLimit-Reset`.
    pub fn read<'a>(
        header: impl Fn(&str) -> Option<&'a str>,
        status: u16,
        now_ms: u64,
    ) -> Option<Self> {
        let number = |name: &str| -> Option<u64> { header(name)?.trim().parse().ok() };
        let limit = u32::try_from(number("x-ratelimit-limit")?).ok()?;
        let reset = number("x-ratelimit-reset")?;
        let remaining =
            number("x-ratelimit-remaining").map(|r| u32::try_from(r).unwrap_or(u32::MAX));
        let (reset_secs, in_ms) = if reset < UNIX_TIME_FLOOR {
            (now_ms / 1000 + reset, reset.saturating_mul(1000))
        } else {
            let server_now = header("date").and_then(parse_http_date).unwrap_or(now_ms);
            (reset, reset.saturating_mul(1000).saturating_sub(server_now))
        };
        Some(RateLimitHeaders {
            limit,
            remaining,
            reset_secs,
            reset_at_ms: now_ms.saturating_add(in_ms.min(MAX_RETRY_AFTER_MS)),
            limited: status == 429,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Window {
    limit: u32,
    reset_secs: u64,
    reset_at_ms: u64,
    /// The lowest Remaining an answer of this window gave (0 after a 429).
    remaining: Option<u32>,
    /// Answers of this window seen.
    seen: u32,
}

/// What one instance's answers said about its rate limit, window by window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateMeter {
    window: Option<Window>,
}

/// Requests left, at the end of a window, for what the user does meanwhile: a tenth of the
/// limit, at least 2 and at most 50, and always less than the limit.
pub fn reserve(limit: u32) -> u32 {
    (limit / 10).clamp(2, 50).min(limit.saturating_sub(1))
}

impl RateMeter {
    /// Counts one answer that carried the headers.
    pub fn observe(&mut self, h: RateLimitHeaders) {
        let remaining = if h.limited { Some(0) } else { h.remaining };
        match &mut self.window {
            // An answer of an earlier window arriving late says nothing about this one.
            Some(w) if h.reset_secs < w.reset_secs => {}
            Some(w) if h.reset_secs == w.reset_secs => {
                w.seen = w.seen.saturating_add(1);
                w.limit = h.limit;
                w.reset_at_ms = w.reset_at_ms.min(h.reset_at_ms);
                w.remaining = match (w.remaining, remaining) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
            }
            _ => {
                self.window = Some(Window {
                    limit: h.limit,
                    reset_secs: h.reset_secs,
                    reset_at_ms: h.reset_at_ms,
                    remaining,
                    seen: 1,
                })
            }
        }
    }

    fn current(&self, now_ms: u64) -> Option<&Window> {
        self.window.as_ref().filter(|w| now_ms < w.reset_at_ms)
    }

    /// Requests the window has left as far as the answers tell; `None` when no window is known
    /// (no rule applies, or the last one has reset).
    pub fn left(&self, now_ms: u64) -> Option<u32> {
        let w = self.current(now_ms)?;
        let counted = w.limit.saturating_sub(w.seen);
        Some(w.remaining.map_or(counted, |r| r.min(counted)))
    }

    /// How long to hold the next create to this instance, with `queued` creates (this one
    /// included) still waiting for it. 0 while they all fit into what is left above the
    /// reserve; the time to the reset once only the reserve is left; else the time to the
    /// reset shared evenly among the creates that still fit.
    pub fn create_delay_ms(&self, now_ms: u64, queued: usize) -> u64 {
        let (Some(w), Some(left)) = (self.current(now_ms), self.left(now_ms)) else {
            return 0;
        };
        let to_reset = w.reset_at_ms.saturating_sub(now_ms);
        let spendable = left.saturating_sub(reserve(w.limit));
        if spendable == 0 {
            return to_reset.saturating_add(MARGIN_MS);
        }
        if queued as u64 <= u64::from(spendable) {
            return 0;
        }
        to_reset / u64::from(spendable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-02T16:00:00Z
    const T0: u64 = 1_796_227_200_000;
    const DATE_T0: &str = "Wed, 02 Dec 2026 16:00:00 GMT";

    fn headers<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    fn answer(limit: u32, remaining: Option<u32>, reset_secs: u64) -> RateLimitHeaders {
        RateLimitHeaders {
            limit,
            remaining,
            reset_secs,
            reset_at_ms: reset_secs * 1000,
            limited: false,
        }
    }

    #[test]
    fn reads_servicenows_headers_against_the_answers_date() {
        let reset = (T0 / 1000 + 60).to_string();
        let h = [
            ("x-ratelimit-limit", "60"),
            ("x-ratelimit-reset", reset.as_str()),
            ("x-ratelimit-rule", "8a0b3c4d5e6f40718293a4b5c6d7e8f9"),
            ("date", DATE_T0),
        ];
        // This machine's clock is 7 s ahead of the instance's: the reset is 60 s away by
        // the instance's clock, so 60 s from now here too.
        let r = RateLimitHeaders::read(headers(&h), 201, T0 + 7_000).unwrap();
        assert_eq!(r.limit, 60);
        assert_eq!(r.remaining, None);
        assert_eq!(r.reset_secs, T0 / 1000 + 60);
        assert_eq!(r.reset_at_ms, T0 + 67_000);
        assert!(!r.limited);
        // Without a Date, the local clock.
        let r = RateLimitHeaders::read(headers(&h[..2]), 429, T0 + 7_000).unwrap();
        assert_eq!(r.reset_at_ms, T0 + 60_000);
        assert!(r.limited);
    }

    #[test]
    fn reads_remaining_and_a_relative_reset() {
        let h = [
            ("x-ratelimit-limit", " 30 "),
            ("x-ratelimit-remaining", "25"),
            ("x-ratelimit-reset", "17"),
        ];
        let r = RateLimitHeaders::read(headers(&h), 200, T0).unwrap();
        assert_eq!((r.limit, r.remaining), (30, Some(25)));
        assert_eq!(r.reset_at_ms, T0 + 17_000);
        assert_eq!(r.reset_secs, T0 / 1000 + 17);
    }

    #[test]
    fn answers_without_usable_headers_are_not_rate_limited() {
        let reset = (T0 / 1000 + 60).to_string();
        let none: [(&str, &str); 0] = [];
        assert_eq!(RateLimitHeaders::read(headers(&none), 200, T0), None);
        let cases: [&[(&str, &str)]; 4] = [
            &[("x-ratelimit-limit", "60")],
            &[("x-ratelimit-reset", reset.as_str())],
            &[
                ("x-ratelimit-limit", "lots"),
                ("x-ratelimit-reset", reset.as_str()),
            ],
            &[
                ("x-ratelimit-limit", "-1"),
                ("x-ratelimit-reset", reset.as_str()),
            ],
        ];
        for h in cases {
            assert_eq!(RateLimitHeaders::read(headers(h), 200, T0), None, "{h:?}");
        }
        // A reset hours away is clamped like a Retry-After.
        let far = (T0 / 1000 + 86_400 * 30).to_string();
        let h = [
            ("x-ratelimit-limit", "60"),
            ("x-ratelimit-reset", far.as_str()),
        ];
        let r = RateLimitHeaders::read(headers(&h), 200, T0).unwrap();
        assert_eq!(r.reset_at_ms, T0 + MAX_RETRY_AFTER_MS);
    }

    #[test]
    fn counts_answers_per_window() {
        let reset = T0 / 1000 + 60;
        let mut m = RateMeter::default();
        assert_eq!(m.left(T0), None);
        for _ in 0..10 {
            m.observe(answer(60, None, reset));
        }
        assert_eq!(m.left(T0), Some(50));
        // A gateway's Remaining below the count wins (other clients of the same user)...
        m.observe(answer(60, Some(20), reset));
        assert_eq!(m.left(T0), Some(20));
        // ...and one above it (answers out of order) does not.
        m.observe(answer(60, Some(55), reset));
        assert_eq!(m.left(T0), Some(20));
        // A late answer of the previous window changes nothing.
        m.observe(answer(60, Some(59), reset - 60));
        assert_eq!(m.left(T0), Some(20));
        // A 429 spends the window.
        m.observe(RateLimitHeaders {
            limited: true,
            ..answer(60, None, reset)
        });
        assert_eq!(m.left(T0), Some(0));
        // The window resets: nothing is known until an answer of the next one.
        assert_eq!(m.left(reset * 1000), None);
        m.observe(answer(60, None, reset + 60));
        assert_eq!(m.left(reset * 1000), Some(59));
    }

    #[test]
    fn the_reserve_is_a_tenth_within_bounds() {
        assert_eq!(reserve(1), 0);
        assert_eq!(reserve(3), 2);
        assert_eq!(reserve(60), 6);
        assert_eq!(reserve(1000), 50);
        assert_eq!(reserve(100_000), 50);
    }

    #[test]
    fn creates_wait_only_when_the_queue_does_not_fit() {
        let reset = T0 / 1000 + 60;
        let mut m = RateMeter::default();
        assert_eq!(m.create_delay_ms(T0, 100), 0, "no rule seen: no pacing");
        m.observe(answer(60, None, reset));
        // 59 left, 6 kept in reserve: 53 may still go.
        assert_eq!(m.create_delay_ms(T0, 53), 0);
        assert_eq!(m.create_delay_ms(T0, 54), 60_000 / 53);
        assert_eq!(m.create_delay_ms(T0 + 30_000, 99), 30_000 / 53);
        // Only the reserve left: wait for the reset.
        m.observe(answer(60, Some(6), reset));
        assert_eq!(m.create_delay_ms(T0 + 10_000, 1), 50_000 + MARGIN_MS);
        // Past the reset, nothing to go by until the next answer.
        assert_eq!(m.create_delay_ms(T0 + 60_000, 40), 0);
    }

    /// 100 creates (after 3 lookups) against an instance that allows 60 requests per
    /// 60-second window, counted in fixed windows as the sandbox and ServiceNow do, each
    /// answer 100 ms after its request: paced, no 429, and done within the second window.
    #[test]
    fn a_bulk_of_100_at_60_per_minute_runs_under_the_limit() {
        const WINDOW_MS: u64 = 60_000;
        let mut now = T0;
        let mut window = (now / WINDOW_MS, 0u32);
        let mut meter = RateMeter::default();
        let mut limited = 0;
        let mut send = |now: u64, meter: &mut RateMeter| -> bool {
            let w = now / WINDOW_MS;
            if window.0 != w {
                window = (w, 0);
            }
            let ok = window.1 < 60;
            if ok {
                window.1 += 1;
            }
            meter.observe(RateLimitHeaders {
                limit: 60,
                remaining: None,
                reset_secs: (w + 1) * WINDOW_MS / 1000,
                reset_at_ms: (w + 1) * WINDOW_MS,
                limited: !ok,
            });
            ok
        };
        for _ in 0..3 {
            assert!(send(now, &mut meter));
            now += 100;
        }
        let start = now;
        let mut queued = 100usize;
        while queued > 0 {
            if send(now, &mut meter) {
                queued -= 1;
            } else {
                limited += 1;
            }
            now += 100;
            now += meter.create_delay_ms(now, queued);
        }
        assert_eq!(limited, 0);
        let wall = now - start;
        let first_window_left = (start / WINDOW_MS + 1) * WINDOW_MS - start;
        assert!(
            wall <= first_window_left + 60 * 100 + MARGIN_MS,
            "{wall} ms (first window had {first_window_left} ms left)"
        );
    }
}
