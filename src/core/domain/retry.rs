//! When to try again, and how: backoff, Retry-After, and which failures may be retried.
//!
//! The rule that makes shares exactly-once (issue 7): a create whose outcome is unknown (a
//! timeout, a connection dropped after the request left, a 5xx, an unreadable success) is never
//! resent blindly; the record is looked up by its correlation id first (`CheckThenRetry`).

/// First backoff ceiling.
pub const BASE_DELAY_MS: u64 = 2_000;
/// No backoff waits longer than this.
pub const MAX_DELAY_MS: u64 = 5 * 60_000;
/// A Retry-After longer than this is clamped: ServiceNow's rate limits are per hour, so more
/// than two hours means a broken header, and must not freeze the outbox for days.
pub const MAX_RETRY_AFTER_MS: u64 = 2 * 3_600_000;

/// Exponential backoff with full jitter (AWS architecture blog): a delay drawn uniformly from
/// `[0, min(cap, base·2^attempt))`. `attempt` counts from 0 (the first retry); `jitter` is a
/// random number in `[0, 1)` supplied by the caller so tests are deterministic. A jitter out of
/// range is clamped; NaN counts as 1 (the longest wait, the safe side).
pub fn backoff_ms(attempt: u32, jitter: f64) -> u64 {
    let ceiling = BASE_DELAY_MS
        .saturating_mul(1u64 << attempt.min(20))
        .min(MAX_DELAY_MS);
    let j = if jitter.is_nan() {
        1.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    (ceiling as f64 * j) as u64
}

/// Parses a Retry-After header into a delay in ms from `now_ms`: delta-seconds (`120`) or an
/// HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, and the two obsolete forms RFC 9110 still asks
/// recipients to accept). A date in the past gives 0. Unparseable gives `None`.
pub fn parse_retry_after(value: &str, now_ms: u64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs: u64 = value.parse().unwrap_or(u64::MAX);
        return Some(secs.saturating_mul(1000).min(MAX_RETRY_AFTER_MS));
    }
    let at_ms = parse_http_date(value)?;
    Some(at_ms.saturating_sub(now_ms).min(MAX_RETRY_AFTER_MS))
}

/// Unix ms of an HTTP-date (IMF-fixdate, RFC 850, or asctime), read by `httpdate`.
pub fn parse_http_date(value: &str) -> Option<u64> {
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    let ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    u64::try_from(ms).ok()
}

/// What went wrong with one request, reduced to the facts retrying depends on. The ServiceNow
/// client turns its `ClientError` into this (`ClientError::failure`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The browser is offline: nothing was sent.
    Offline,
    /// Could not connect (DNS, TLS, refused). A browser's fetch reports a reset after the
    /// request left the same way, so for a create the outcome is treated as unknown.
    Network,
    /// No answer in time: the request may have been processed.
    Timeout,
    /// The connection dropped after the request was sent.
    DroppedAfterSend,
    /// An HTTP status other than 2xx; `retry_after_ms` from the Retry-After header.
    Status {
        status: u16,
        retry_after_ms: Option<u64>,
    },
    /// A 2xx whose body could not be read: for a create, the record probably exists.
    UnreadableSuccess,
    /// The token endpoint refused the grant (credentials, client, or refresh token).
    AuthRejected,
    /// Anything that will not get better by itself (bad request built locally, decode of a
    /// non-ServiceNow answer).
    Other,
}

/// What the caller should do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Nothing was committed: send again after the backoff.
    Retry,
    /// Send again after this many ms (Retry-After), and pause the whole instance until then.
    RetryAfter(u64),
    /// The outcome is unknown: look the record up by correlation id, adopt it if found, and only
    /// otherwise send again (after the backoff).
    CheckThenRetry,
    /// 401 on the Table API: refresh the access token once, then send again at once.
    RefreshThenRetry,
    /// Do not retry by yourself; show the diagnosis to the user.
    Permanent,
}

/// The request that failed, as far as retrying cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempt {
    /// GET/PUT/DELETE may be repeated; a POST (create) may not.
    pub idempotent: bool,
    /// The access token was already refreshed for this request.
    pub refreshed: bool,
}

/// Classifies a failure (issue 7): transport errors and 5xx are retried with backoff, unknown
/// create outcomes are checked first, 429 honours Retry-After, 401 refreshes once, other 4xx
/// are permanent.
pub fn classify(failure: &Failure, attempt: Attempt) -> RetryDecision {
    let unknown = if attempt.idempotent {
        RetryDecision::Retry
    } else {
        RetryDecision::CheckThenRetry
    };
    match failure {
        Failure::Offline => RetryDecision::Retry,
        Failure::Network | Failure::Timeout | Failure::DroppedAfterSend => unknown,
        Failure::UnreadableSuccess => {
            if attempt.idempotent {
                RetryDecision::Permanent
            } else {
                RetryDecision::CheckThenRetry
            }
        }
        Failure::AuthRejected | Failure::Other => RetryDecision::Permanent,
        Failure::Status {
            status,
            retry_after_ms,
        } => match *status {
            401 if !attempt.refreshed => RetryDecision::RefreshThenRetry,
            401 => RetryDecision::Permanent,
            // 408: the server gave up waiting for us; a POST may still have been read.
            408 => unknown,
            429 => match retry_after_ms {
                Some(ms) => RetryDecision::RetryAfter(*ms),
                None => RetryDecision::Retry,
            },
            500..=599 => match retry_after_ms {
                // A 503 with Retry-After is maintenance: wait, but still check a create first
                // (a 5xx may come from a proxy after the instance committed).
                Some(ms) if attempt.idempotent => RetryDecision::RetryAfter(*ms),
                _ => unknown,
            },
            _ => RetryDecision::Permanent,
        },
    }
}

/// Whether no answer came to the request: a timeout, a connection that failed or dropped, or
/// a gateway that gave up waiting for it (504). The instance may not be done with it: the
/// lookup after such a failed create waits as long as the request timeout first.
pub fn unanswered(failure: &Failure) -> bool {
    matches!(
        failure,
        Failure::Timeout
            | Failure::Network
            | Failure::DroppedAfterSend
            | Failure::Status { status: 504, .. }
    )
}

/// Whether the instance may still be working on a create that failed this way, for as long
/// as its transaction limit allows (`outbox::COMMIT_WINDOW_MS`): it got the request and gave
/// no answer in time. Not `Network`: a browser reports every connection that failed before an
/// answer alike, and most are an instance it could not reach at all (DNS, TLS, refused); held
/// for the window, every share of an unreachable instance would wait a minute more once it is
/// back. After any answer the create is over.
pub fn may_still_commit(failure: &Failure) -> bool {
    unanswered(failure) && !matches!(failure, Failure::Network)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_request_left_without_an_answer_may_still_commit() {
        for f in [Failure::Timeout, Failure::DroppedAfterSend] {
            assert!(unanswered(&f) && may_still_commit(&f), "{f:?}");
        }
        // The outbox relies on it: a create left unanswered is always looked up first.
        for f in [
            Failure::Timeout,
            Failure::DroppedAfterSend,
            Failure::Network,
            Failure::Status {
                status: 504,
                retry_after_ms: Some(1_000),
            },
        ] {
            assert_eq!(classify(&f, POST), RetryDecision::CheckThenRetry, "{f:?}");
        }
        let status = |status| Failure::Status {
            status,
            retry_after_ms: None,
        };
        assert!(unanswered(&status(504)) && may_still_commit(&status(504)));
        // A connection that failed: waited for, but mostly an instance not reached at all.
        assert!(unanswered(&Failure::Network) && !may_still_commit(&Failure::Network));
        for f in [
            Failure::Offline,
            Failure::UnreadableSuccess,
            Failure::AuthRejected,
            Failure::Other,
            status(500),
            status(502),
            status(503),
            status(429),
        ] {
            assert!(!unanswered(&f) && !may_still_commit(&f), "{f:?}");
        }
    }

    const POST: Attempt = Attempt {
        idempotent: false,
        refreshed: false,
    };
    const GET: Attempt = Attempt {
        idempotent: true,
        refreshed: false,
    };

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let top = |a| backoff_ms(a, 1.0);
        assert_eq!(top(0), 2_000);
        assert_eq!(top(1), 4_000);
        assert_eq!(top(2), 8_000);
        assert_eq!(top(6), 128_000);
        assert_eq!(top(7), 256_000);
        assert_eq!(top(8), MAX_DELAY_MS);
        assert_eq!(top(63), MAX_DELAY_MS);
        assert_eq!(top(u32::MAX), MAX_DELAY_MS);
    }

    #[test]
    fn full_jitter_spans_zero_to_the_ceiling() {
        assert_eq!(backoff_ms(3, 0.0), 0);
        assert_eq!(backoff_ms(3, 0.5), 8_000);
        assert_eq!(backoff_ms(3, 0.999_999), 15_999);
        for a in 0..40 {
            for j in [0.0, 0.1, 0.37, 0.5, 0.9, 0.999] {
                let d = backoff_ms(a, j);
                assert!(d <= MAX_DELAY_MS, "attempt {a} jitter {j}: {d}");
            }
        }
        assert_eq!(backoff_ms(1, -3.0), 0);
        assert_eq!(backoff_ms(1, 7.0), 4_000);
        assert_eq!(backoff_ms(1, f64::NAN), 4_000);
        assert_eq!(backoff_ms(1, f64::INFINITY), 4_000);
    }

    #[test]
    fn retry_after_in_seconds() {
        assert_eq!(parse_retry_after("5", 0), Some(5_000));
        assert_eq!(parse_retry_after(" 120 ", 0), Some(120_000));
        assert_eq!(parse_retry_after("0", 0), Some(0));
        assert_eq!(
            parse_retry_after("999999999999999999999", 0),
            Some(MAX_RETRY_AFTER_MS)
        );
        assert_eq!(parse_retry_after("86400", 0), Some(MAX_RETRY_AFTER_MS));
        assert_eq!(parse_retry_after("-5", 0), None);
        assert_eq!(parse_retry_after("5.5", 0), None);
        assert_eq!(parse_retry_after("", 0), None);
        assert_eq!(parse_retry_after("soon", 0), None);
    }

    #[test]
    fn retry_after_as_http_date() {
        // 1994-11-06T08:49:37Z
        let at = 784_111_777_000;
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(at));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(at));
        assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(at));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at - 30_000),
            Some(30_000)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", at + 1),
            Some(0)
        );
        assert_eq!(
            parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(1_445_412_480_000)
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
        assert_eq!(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1969 08:49:37 GMT"), None);
    }

    #[test]
    fn transport_failures() {
        assert_eq!(classify(&Failure::Offline, POST), RetryDecision::Retry);
        assert_eq!(
            classify(&Failure::Timeout, POST),
            RetryDecision::CheckThenRetry
        );
        assert_eq!(classify(&Failure::Timeout, GET), RetryDecision::Retry);
        assert_eq!(
            classify(&Failure::DroppedAfterSend, POST),
            RetryDecision::CheckThenRetry
        );
        assert_eq!(
            classify(&Failure::Network, POST),
            RetryDecision::CheckThenRetry
        );
        assert_eq!(classify(&Failure::Network, GET), RetryDecision::Retry);
        assert_eq!(
            classify(&Failure::UnreadableSuccess, POST),
            RetryDecision::CheckThenRetry
        );
        assert_eq!(
            classify(&Failure::UnreadableSuccess, GET),
            RetryDecision::Permanent
        );
        assert_eq!(
            classify(&Failure::AuthRejected, GET),
            RetryDecision::Permanent
        );
        assert_eq!(classify(&Failure::Other, POST), RetryDecision::Permanent);
    }

    fn status(status: u16, retry_after_ms: Option<u64>) -> Failure {
        Failure::Status {
            status,
            retry_after_ms,
        }
    }

    #[test]
    fn http_statuses() {
        assert_eq!(
            classify(&status(401, None), POST),
            RetryDecision::RefreshThenRetry
        );
        assert_eq!(
            classify(
                &status(401, None),
                Attempt {
                    idempotent: false,
                    refreshed: true
                }
            ),
            RetryDecision::Permanent
        );
        assert_eq!(
            classify(&status(429, Some(5_000)), POST),
            RetryDecision::RetryAfter(5_000)
        );
        assert_eq!(classify(&status(429, None), POST), RetryDecision::Retry);
        assert_eq!(
            classify(&status(500, None), POST),
            RetryDecision::CheckThenRetry
        );
        assert_eq!(
            classify(&status(502, None), POST),
            RetryDecision::CheckThenRetry
        );
        assert_eq!(
            classify(&status(503, Some(1_000)), POST),
            RetryDecision::CheckThenRetry
        );
        assert_eq!(
            classify(&status(503, Some(1_000)), GET),
            RetryDecision::RetryAfter(1_000)
        );
        assert_eq!(classify(&status(503, None), GET), RetryDecision::Retry);
        assert_eq!(
            classify(&status(408, None), POST),
            RetryDecision::CheckThenRetry
        );
        for s in [400, 403, 404, 405, 409, 415, 422] {
            assert_eq!(
                classify(&status(s, None), POST),
                RetryDecision::Permanent,
                "{s}"
            );
            assert_eq!(
                classify(&status(s, None), GET),
                RetryDecision::Permanent,
                "{s}"
            );
        }
    }
}
