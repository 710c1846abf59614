//! The connection's state as every surface shows it.

use serde::{Deserialize, Serialize};

use super::names::names;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// No instance configured or never authorized.
    NotConnected,
    /// Tokens work.
    Connected,
    /// The refresh token is gone or was rejected: the user must Authorize again.
    AuthorizationNeeded,
    /// Authorized, but the instance did not answer the last call.
    Unreachable,
}

names!(ConnectionState {
    NotConnected => "not_connected",
    Connected => "connected",
    AuthorizationNeeded => "authorization_needed",
    Unreachable => "unreachable",
});

/// Who the tokens belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedUser {
    pub user_name: String,
    pub name: String,
    pub email: Option<String>,
    pub sys_id: String,
    /// `sys_user.web_service_access_only` / `internal_integration_user`: `Some(true)` an
    /// account meant for integrations, `Some(false)` a person's, `None` unreadable.
    #[serde(default)]
    pub integration_account: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionStatus {
    pub state: ConnectionState,
    pub instance: Option<String>,
    pub user: Option<ConnectedUser>,
    /// Unix milliseconds.
    pub access_token_expires_at: Option<u64>,
    /// Unix milliseconds.
    pub last_success_at: Option<u64>,
    /// i18n keys of warnings, e.g. the user does not look like an integration user.
    pub warnings: Vec<String>,
}

/// The warning the answer to Disconnect carries when the instance did not confirm that the
/// tokens were revoked (an i18n key, like every warning).
pub const WARNING_REVOKE_UNCONFIRMED: &str = "warning_revoke_unconfirmed";

impl ConnectionStatus {
    pub fn not_connected(instance: Option<String>) -> Self {
        ConnectionStatus {
            state: ConnectionState::NotConnected,
            instance,
            user: None,
            access_token_expires_at: None,
            last_success_at: None,
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_match_serde() {
        crate::domain::names::check_table(&ConnectionState::ALL, ConnectionState::as_str);
    }
}
