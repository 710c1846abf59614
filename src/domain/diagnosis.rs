//! Every way a connection or a share can fail, named for the person who has to fix it.
//!
//! One module maps failures to these diagnoses (see `diagnose`); the UI shows
//! `cause_key` and `fix_key` through `chrome.i18n`, never raw server text alone.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Diagnosis {
    /// The instance name does not resolve or nothing answers (DNS, TLS, connection refused).
    InstanceUnreachable,
    /// Something answered but it is not a ServiceNow instance (wrong instance name).
    NotServiceNow,
    /// The opaque 401 from `/oauth_token.do`: client id or secret wrong (or grant disabled).
    ClientRejected,
    /// Password grant refused: user name or password wrong.
    CredentialsRejected,
    /// The refresh token expired or was revoked: Authorize again.
    RefreshTokenExpired,
    /// Tokens are gone: installed and authorized once, but nothing works now.
    AuthorizationLost,
    /// Signed in with personal credentials instead of the integration user.
    PersonalAccount { user_name: String },
    /// The instance uses single sign-on for the login page.
    SingleSignOn,
    /// Read of `oauth_entity` refused by the cross-scope access policy.
    CrossScopeRefused,
    /// IP address access control refused the request before authentication.
    IpFiltered,
    /// The user lacks a role (403 "Insufficient rights…"); `table` says where.
    MissingRoles { table: String },
    /// 429: `retry_after_secs` from Retry-After.
    RateLimited { retry_after_secs: u64 },
    /// The user denied access on the consent page.
    AccessDenied,
    /// The user closed the authorization window.
    AuthorizationCancelled,
    /// The host permission for the instance was not granted.
    PermissionDenied,
    /// `state` returned by the authorization redirect did not match.
    StateMismatch,
    /// ServiceNow refused the record (data policy, business rule, field too long…).
    RecordRejected { message: String },
    /// 5xx from the instance.
    ServerError { status: u16 },
    /// The request took longer than the client waits.
    Timeout,
    /// The browser is offline.
    Offline,
    /// Not configured yet.
    NotConfigured,
    /// Anything else, with the server's words.
    Unexpected { message: String },
}
