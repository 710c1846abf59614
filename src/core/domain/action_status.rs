//! An improvement action's status in Secure Score, as the portal and its API name it
//! (portal.md: To address, Planned, Risk accepted, Resolved through third party, Resolved
//! through alternate mitigation, Completed). Written into the ticket's description in these
//! words, whatever the portal's language.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    ToAddress,
    Planned,
    RiskAccepted,
    ResolvedThroughThirdParty,
    ResolvedThroughAlternateMitigation,
    Completed,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 6] = [
        ActionStatus::ToAddress,
        ActionStatus::Planned,
        ActionStatus::RiskAccepted,
        ActionStatus::ResolvedThroughThirdParty,
        ActionStatus::ResolvedThroughAlternateMitigation,
        ActionStatus::Completed,
    ];

    /// The API's (and the English portal's) term.
    pub fn label(self) -> &'static str {
        match self {
            ActionStatus::ToAddress => "To address",
            ActionStatus::Planned => "Planned",
            ActionStatus::RiskAccepted => "Risk accepted",
            ActionStatus::ResolvedThroughThirdParty => "Resolved through third party",
            ActionStatus::ResolvedThroughAlternateMitigation => {
                "Resolved through alternate mitigation"
            }
            ActionStatus::Completed => "Completed",
        }
    }

    /// snshare's own key (messages, saved drafts).
    pub fn value(self) -> &'static str {
        match self {
            ActionStatus::ToAddress => "to_address",
            ActionStatus::Planned => "planned",
            ActionStatus::RiskAccepted => "risk_accepted",
            ActionStatus::ResolvedThroughThirdParty => "resolved_through_third_party",
            ActionStatus::ResolvedThroughAlternateMitigation => {
                "resolved_through_alternate_mitigation"
            }
            ActionStatus::Completed => "completed",
        }
    }

    pub fn from_value(v: &str) -> Option<ActionStatus> {
        ActionStatus::ALL.into_iter().find(|s| s.value() == v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_match_serde() {
        for s in ActionStatus::ALL {
            assert_eq!(ActionStatus::from_value(s.value()), Some(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::Value::String(s.value().into())
            );
        }
        assert_eq!(ActionStatus::from_value("To address"), None);
    }
}
