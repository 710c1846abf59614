//! An improvement action's status in Secure Score, as the portal and its API name it
//! (To address, Planned, Risk accepted, Resolved through third party, Resolved
//! through alternate mitigation, Completed). Written into the ticket's description in these
//! words, whatever the portal's language.

use serde::{Deserialize, Serialize};

use super::names::names;

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

// snshare's own names (messages, saved drafts); the order is the portal's.
names!(ActionStatus {
    ToAddress => "to_address",
    Planned => "planned",
    RiskAccepted => "risk_accepted",
    ResolvedThroughThirdParty => "resolved_through_third_party",
    ResolvedThroughAlternateMitigation => "resolved_through_alternate_mitigation",
    Completed => "completed",
});

impl ActionStatus {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        crate::domain::names::check_table(&ActionStatus::ALL, ActionStatus::as_str);
        assert!("To address".parse::<ActionStatus>().is_err());
        assert_eq!(
            ActionStatus::ResolvedThroughAlternateMitigation.as_str(),
            "resolved_through_alternate_mitigation"
        );
    }
}
