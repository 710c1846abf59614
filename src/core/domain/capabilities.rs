//! What an instance offers beyond the Table API (the Change Management, Batch and Aggregate
//! APIs), as learned from its answers: remembered per instance, and asked again after a day,
//! so a plugin activated (or an ACL changed) is noticed without asking on every call.

use serde::{Deserialize, Serialize};

/// How long an answer about an API stays believed.
pub const CHECK_TTL_MS: u64 = 24 * 60 * 60 * 1000;

/// One API: whether it worked, and when that was learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub available: bool,
    pub checked_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InstanceApis {
    pub instance: String,
    /// `/api/sn_chg_rest/change/…`
    #[serde(default)]
    pub change_api: Option<Known>,
    /// `/api/now/v1/batch`
    #[serde(default)]
    pub batch_api: Option<Known>,
    /// `/api/now/stats/…`
    #[serde(default)]
    pub aggregate_api: Option<Known>,
}

/// Which API an entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Change,
    Batch,
    Aggregate,
}

impl InstanceApis {
    pub fn for_instance(instance: &str) -> Self {
        InstanceApis {
            instance: instance.to_owned(),
            ..InstanceApis::default()
        }
    }

    fn slot(&mut self, api: Api) -> &mut Option<Known> {
        match api {
            Api::Change => &mut self.change_api,
            Api::Batch => &mut self.batch_api,
            Api::Aggregate => &mut self.aggregate_api,
        }
    }

    /// Whether to use `api` now: yes unless it was found missing less than a day ago (an
    /// unknown API is tried; the first answer teaches).
    pub fn worth_trying(&self, api: Api, now: u64) -> bool {
        let known = match api {
            Api::Change => self.change_api,
            Api::Batch => self.batch_api,
            Api::Aggregate => self.aggregate_api,
        };
        match known {
            Some(k) if !k.available => now.saturating_sub(k.checked_at) >= CHECK_TTL_MS,
            _ => true,
        }
    }

    /// Records an answer; returns whether anything changed (and so needs storing). A
    /// confirmation of what is known is stored only once a day.
    pub fn learn(&mut self, api: Api, available: bool, now: u64) -> bool {
        let slot = self.slot(api);
        let unchanged = slot.is_some_and(|k| {
            k.available == available && now.saturating_sub(k.checked_at) < CHECK_TTL_MS
        });
        if unchanged {
            return false;
        }
        *slot = Some(Known {
            available,
            checked_at: now,
        });
        true
    }
}

/// Requests per hour the card refreshes of one active user may cost the instance; with the
/// token refresh and a few shares the whole stays under 30 an hour.
pub const REFRESH_REQUESTS_PER_HOUR: u32 = 15;

/// Minutes between card refreshes: the user's setting, stretched when one refresh costs more
/// requests (no Batch API) so the hourly budget holds.
pub fn refresh_minutes(configured: u32, requests_per_refresh: u32) -> u32 {
    let needed = (60 * requests_per_refresh.max(1)).div_ceil(REFRESH_REQUESTS_PER_HOUR);
    configured.max(1).max(needed)
}

impl InstanceApis {
    /// What one card refresh costs: one batch, or a list (and a count when the Aggregate API
    /// is there) per kind.
    pub fn requests_per_refresh(&self, now: u64) -> u32 {
        if self.worth_trying(Api::Batch, now) {
            1
        } else if self.worth_trying(Api::Aggregate, now) {
            4
        } else {
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_stay_within_the_hourly_budget() {
        let mut apis = InstanceApis::for_instance("i");
        assert_eq!(apis.requests_per_refresh(0), 1);
        assert_eq!(refresh_minutes(5, 1), 5);
        apis.learn(Api::Batch, false, 0);
        assert_eq!(apis.requests_per_refresh(0), 4);
        assert_eq!(refresh_minutes(5, 4), 16);
        apis.learn(Api::Aggregate, false, 0);
        assert_eq!(apis.requests_per_refresh(0), 2);
        assert_eq!(refresh_minutes(5, 2), 8);
        assert_eq!(refresh_minutes(30, 4), 30, "a longer setting stands");
        assert_eq!(refresh_minutes(0, 1), 4);
        for reqs in 1..=4 {
            let minutes = refresh_minutes(1, reqs);
            assert!(60 / minutes * reqs <= REFRESH_REQUESTS_PER_HOUR, "{reqs}");
        }
    }

    #[test]
    fn a_missing_api_is_skipped_for_a_day_then_tried_again() {
        let mut apis = InstanceApis::for_instance("https://dev1.service-now.com");
        assert!(apis.worth_trying(Api::Change, 0), "unknown: try it");
        assert!(apis.learn(Api::Change, false, 1_000));
        assert!(!apis.worth_trying(Api::Change, 1_000 + CHECK_TTL_MS - 1));
        assert!(apis.worth_trying(Api::Change, 1_000 + CHECK_TTL_MS));
        assert!(apis.worth_trying(Api::Batch, 1_000), "each API on its own");
        assert!(apis.learn(Api::Change, true, 2_000));
        assert!(apis.worth_trying(Api::Change, 2_001));
        assert!(
            !apis.learn(Api::Change, true, 3_000),
            "nothing new to store"
        );
        assert!(apis.learn(Api::Change, true, 2_000 + CHECK_TTL_MS));
    }
}
