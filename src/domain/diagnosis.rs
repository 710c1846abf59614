//! Every way a connection or a share can fail, named for the person who has to fix it.
//!
//! One module maps failures to these diagnoses (`servicenow::diagnose`, beside the error type
//! it reads); the UI shows `message_key` then `fix_key` through `chrome.i18n` (with
//! `message_args` as the `$1` substitution), never raw server text alone.

use serde::{Deserialize, Serialize};

use super::connection::ConnectedUser;

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

impl Diagnosis {
    /// The snake_case name, as in the serialized `kind` tag; the i18n keys derive from it.
    pub fn name(&self) -> &'static str {
        match self {
            Diagnosis::InstanceUnreachable => "instance_unreachable",
            Diagnosis::NotServiceNow => "not_service_now",
            Diagnosis::ClientRejected => "client_rejected",
            Diagnosis::CredentialsRejected => "credentials_rejected",
            Diagnosis::RefreshTokenExpired => "refresh_token_expired",
            Diagnosis::AuthorizationLost => "authorization_lost",
            Diagnosis::PersonalAccount { .. } => "personal_account",
            Diagnosis::SingleSignOn => "single_sign_on",
            Diagnosis::CrossScopeRefused => "cross_scope_refused",
            Diagnosis::IpFiltered => "ip_filtered",
            Diagnosis::MissingRoles { .. } => "missing_roles",
            Diagnosis::RateLimited { .. } => "rate_limited",
            Diagnosis::AccessDenied => "access_denied",
            Diagnosis::AuthorizationCancelled => "authorization_cancelled",
            Diagnosis::PermissionDenied => "permission_denied",
            Diagnosis::StateMismatch => "state_mismatch",
            Diagnosis::RecordRejected { .. } => "record_rejected",
            Diagnosis::ServerError { .. } => "server_error",
            Diagnosis::Timeout => "timeout",
            Diagnosis::Offline => "offline",
            Diagnosis::NotConfigured => "not_configured",
            Diagnosis::Unexpected { .. } => "unexpected",
        }
    }

    /// i18n key of what happened (`diagnosis_<name>`); may use `$1` (see `message_args`).
    pub fn message_key(&self) -> String {
        format!("diagnosis_{}", self.name())
    }

    /// i18n key of what to do about it, in words (`diagnosis_<name>_fix`).
    pub fn fix_key(&self) -> String {
        format!("diagnosis_{}_fix", self.name())
    }

    /// Substitutions for `$1` in the message (chrome.i18n.getMessage's second argument).
    pub fn message_args(&self) -> Vec<String> {
        match self {
            Diagnosis::PersonalAccount { user_name } => vec![user_name.clone()],
            Diagnosis::MissingRoles { table } => vec![table.clone()],
            Diagnosis::RateLimited { retry_after_secs } => vec![retry_after_secs.to_string()],
            Diagnosis::RecordRejected { message } | Diagnosis::Unexpected { message } => {
                vec![message.clone()]
            }
            Diagnosis::ServerError { status } => vec![status.to_string()],
            _ => Vec::new(),
        }
    }

    /// Transient causes: the share stays queued and is retried without the user.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Diagnosis::InstanceUnreachable
                | Diagnosis::RateLimited { .. }
                | Diagnosis::ServerError { .. }
                | Diagnosis::Timeout
                | Diagnosis::Offline
        )
    }

    /// Causes that only a new authorization fixes (every surface shows Authorize).
    pub fn needs_authorization(&self) -> bool {
        matches!(
            self,
            Diagnosis::RefreshTokenExpired
                | Diagnosis::AuthorizationLost
                | Diagnosis::PersonalAccount { .. }
        )
    }
}

/// Words in a user name that mark a service account rather than a person.
const SERVICE_ACCOUNT_HINTS: [&str; 8] = [
    "integration",
    "snshare",
    "svc",
    "service",
    "api",
    "system",
    "automation",
    "bot",
];

/// Whether the token's user looks like the integration user it should be (issue 4): not the
/// person signed in to the portal, and able to create change requests.
///
/// - Same person as the portal account (its UPN equals the ServiceNow e-mail or user name, or
///   its part before `@` equals the user name) → `PersonalAccount`.
/// - Cannot create change requests (`Some(false)`): a user name that looks like a service
///   account (`integration`, `svc`, …) → `MissingRoles { table: "change_request" }`; any
///   other → `PersonalAccount` (an integration user is given those roles; a person may not
///   have them).
/// - `None` for "unknown" inputs never warns.
pub fn integration_user_check(
    user: &ConnectedUser,
    portal_upn: Option<&str>,
    can_create_change_requests: Option<bool>,
) -> Option<Diagnosis> {
    let personal = || Diagnosis::PersonalAccount {
        user_name: user.user_name.clone(),
    };
    let user_name = user.user_name.trim().to_lowercase();
    let email = user
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .unwrap_or_default();
    if let Some(upn) = portal_upn
        .map(|u| u.trim().to_lowercase())
        .filter(|u| !u.is_empty())
    {
        let local = upn.split('@').next().unwrap_or_default();
        let same = (!email.is_empty() && email == upn)
            || (!user_name.is_empty()
                && (user_name == upn || (!user_name.contains('@') && user_name == local)));
        if same {
            return Some(personal());
        }
    }
    if can_create_change_requests == Some(false) {
        let service_like = SERVICE_ACCOUNT_HINTS.iter().any(|h| user_name.contains(h));
        return Some(if service_like {
            Diagnosis::MissingRoles {
                table: "change_request".to_owned(),
            }
        } else {
            personal()
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each variant, so a new variant without keys or text fails here
    /// (`all_is_every_variant` holds this list to the enum).
    pub(crate) fn all() -> Vec<Diagnosis> {
        vec![
            Diagnosis::InstanceUnreachable,
            Diagnosis::NotServiceNow,
            Diagnosis::ClientRejected,
            Diagnosis::CredentialsRejected,
            Diagnosis::RefreshTokenExpired,
            Diagnosis::AuthorizationLost,
            Diagnosis::PersonalAccount {
                user_name: "jane.doe".into(),
            },
            Diagnosis::SingleSignOn,
            Diagnosis::CrossScopeRefused,
            Diagnosis::IpFiltered,
            Diagnosis::MissingRoles {
                table: "incident".into(),
            },
            Diagnosis::RateLimited {
                retry_after_secs: 5,
            },
            Diagnosis::AccessDenied,
            Diagnosis::AuthorizationCancelled,
            Diagnosis::PermissionDenied,
            Diagnosis::StateMismatch,
            Diagnosis::RecordRejected {
                message: "Data policy".into(),
            },
            Diagnosis::ServerError { status: 503 },
            Diagnosis::Timeout,
            Diagnosis::Offline,
            Diagnosis::NotConfigured,
            Diagnosis::Unexpected {
                message: "?".into(),
            },
        ]
    }

    #[test]
    fn names_match_the_serde_tag_and_keys_are_chrome_safe() {
        for d in all() {
            let json = serde_json::to_value(&d).unwrap();
            assert_eq!(json["kind"], d.name(), "{d:?}");
            for key in [d.message_key(), d.fix_key()] {
                assert!(key.starts_with("diagnosis_"));
                assert!(
                    key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'),
                    "{key}"
                );
            }
        }
        let mut names: Vec<_> = all().iter().map(Diagnosis::name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all().len());
    }

    /// The enum's own list of variants, as serde's derive keeps it: the "expected one of"
    /// of an unknown tag. No hand-kept list can fall behind it.
    fn variant_names() -> Vec<String> {
        let err = serde_json::from_str::<Diagnosis>(r#"{"kind":"no_such_diagnosis"}"#)
            .unwrap_err()
            .to_string();
        let (_, expected) = err.split_once("expected one of ").unwrap();
        // "`a`, `b`, … `z` at line 1 column 32"
        expected
            .split(", ")
            .map(|v| v.split('`').nth(1).unwrap().to_string())
            .collect()
    }

    #[test]
    fn all_is_every_variant() {
        let mut expected = variant_names();
        expected.sort();
        let mut listed: Vec<String> = all().iter().map(|d| d.name().to_string()).collect();
        listed.sort();
        assert_eq!(listed, expected);
        assert_eq!(expected.len(), 22, "{expected:?}");
    }

    /// The English texts live in extension/_locales/en/messages.json (added with
    /// tests/tools/i18n_add.py); every key used here must be there, with `$1` where an
    /// argument is passed. Compiled in, so a moved catalogue fails the build, not the check.
    #[test]
    fn every_key_has_english_text() {
        let messages: serde_json::Value =
            serde_json::from_str(include_str!("../../extension/_locales/en/messages.json"))
                .unwrap();
        for d in all() {
            let msg = messages[d.message_key()]["message"]
                .as_str()
                .unwrap_or_else(|| panic!("missing {}", d.message_key()));
            assert_eq!(
                msg.contains("$1"),
                !d.message_args().is_empty(),
                "{}",
                d.message_key()
            );
            assert!(
                messages[d.fix_key()]["message"].is_string(),
                "missing {}",
                d.fix_key()
            );
        }
    }

    #[test]
    fn arguments_and_classes() {
        assert_eq!(
            Diagnosis::RateLimited {
                retry_after_secs: 30
            }
            .message_args(),
            ["30"]
        );
        assert_eq!(
            Diagnosis::MissingRoles {
                table: "incident".into()
            }
            .message_args(),
            ["incident"]
        );
        assert_eq!(
            Diagnosis::ServerError { status: 502 }.message_args(),
            ["502"]
        );
        assert!(Diagnosis::Timeout.message_args().is_empty());
        assert!(Diagnosis::Offline.is_transient());
        assert!(!Diagnosis::ClientRejected.is_transient());
        assert!(Diagnosis::RefreshTokenExpired.needs_authorization());
        assert!(!Diagnosis::Timeout.needs_authorization());
    }

    fn user(user_name: &str, email: Option<&str>) -> ConnectedUser {
        ConnectedUser {
            user_name: user_name.into(),
            name: "X".into(),
            email: email.map(Into::into),
            sys_id: "1".into(),
        }
    }

    #[test]
    fn personal_account_heuristic() {
        let personal = |n: &str| {
            Some(Diagnosis::PersonalAccount {
                user_name: n.into(),
            })
        };
        let jane = user("jane.doe", Some("Jane.Doe@contoso.com"));
        assert_eq!(
            integration_user_check(&jane, Some("jane.doe@contoso.com"), Some(true)),
            personal("jane.doe")
        );
        assert_eq!(
            integration_user_check(&jane, Some("JANE.DOE@contoso.onmicrosoft.com"), None),
            personal("jane.doe")
        );
        let upn_login = user("jane.doe@contoso.com", None);
        assert_eq!(
            integration_user_check(&upn_login, Some("jane.doe@contoso.com"), None),
            personal("jane.doe@contoso.com")
        );
        // A different person at the portal, roles fine: no warning.
        assert_eq!(
            integration_user_check(&jane, Some("admin@contoso.com"), Some(true)),
            None
        );
        // Lacking change roles: a person → personal account; a service account → missing roles.
        assert_eq!(
            integration_user_check(&jane, Some("admin@contoso.com"), Some(false)),
            personal("jane.doe")
        );
        let svc = user("snshare.integration", Some("snshare@contoso.com"));
        assert_eq!(
            integration_user_check(&svc, Some("admin@contoso.com"), Some(false)),
            Some(Diagnosis::MissingRoles {
                table: "change_request".into()
            })
        );
        assert_eq!(
            integration_user_check(&svc, Some("admin@contoso.com"), Some(true)),
            None
        );
        assert_eq!(integration_user_check(&svc, None, None), None);
        // Blank values never match each other.
        assert_eq!(
            integration_user_check(&user("", None), Some("  "), None),
            None
        );
        assert_eq!(
            integration_user_check(&user("", Some("")), Some("x@y"), None),
            None
        );
    }
}
