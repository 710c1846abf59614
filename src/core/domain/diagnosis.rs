//! Every way a connection or a share can fail, named for the person who has to fix it.
//!
//! One module maps failures to these diagnoses (`servicenow::diagnose`, beside the error type
//! it reads); the UI shows `message_key` then `fix_key` through `chrome.i18n` (with
//! `message_args` as the `$1` substitution), never raw server text alone.

use serde::{Deserialize, Serialize};

use super::connection::ConnectedUser;
use super::names::names;

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
    /// The Change Management API has no usable standard change template under the sys_id the
    /// options name (deleted, retired, or not readable by this user). Nothing was created: a
    /// normal change instead would skip the pre-approval the template stands for.
    ChangeTemplateUnusable,
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
    /// A queued share whose stored form could not be read (damaged or from another version):
    /// set aside so the others still go; only Discard is offered.
    ShareUnreadable,
    /// The worker stopped in the middle of this share several times: set aside so the shares
    /// queued behind it still go; the user may retry it.
    ShareInterrupted,
    /// The browser refused to store what had to be kept (storage full or unavailable): the
    /// share was not queued.
    StorageFailed,
}

// The names, as in the serialized `kind` tag (stored outbox entries and the message contract
// carry them: never rename one); the i18n keys derive from them.
names!(data Diagnosis {
    InstanceUnreachable => "instance_unreachable",
    NotServiceNow => "not_service_now",
    ClientRejected => "client_rejected",
    CredentialsRejected => "credentials_rejected",
    RefreshTokenExpired => "refresh_token_expired",
    AuthorizationLost => "authorization_lost",
    PersonalAccount { user_name } => "personal_account",
    SingleSignOn => "single_sign_on",
    CrossScopeRefused => "cross_scope_refused",
    IpFiltered => "ip_filtered",
    MissingRoles { table } => "missing_roles",
    RateLimited { retry_after_secs } => "rate_limited",
    AccessDenied => "access_denied",
    AuthorizationCancelled => "authorization_cancelled",
    PermissionDenied => "permission_denied",
    StateMismatch => "state_mismatch",
    RecordRejected { message } => "record_rejected",
    ServerError { status } => "server_error",
    Timeout => "timeout",
    Offline => "offline",
    NotConfigured => "not_configured",
    Unexpected { message } => "unexpected",
    ShareUnreadable => "share_unreadable",
    ShareInterrupted => "share_interrupted",
    StorageFailed => "storage_failed",
    ChangeTemplateUnusable => "change_template_unusable",
});

/// The longest server text a diagnosis carries.
pub const MESSAGE_MAX: usize = 500;

impl Diagnosis {
    /// i18n key of what happened (`diagnosis_<name>`); may use `$1` (see `message_args`).
    pub fn message_key(&self) -> String {
        format!("diagnosis_{}", self.name())
    }

    /// i18n key of what to do about it, in words (`diagnosis_<name>_fix`).
    pub fn fix_key(&self) -> String {
        format!("diagnosis_{}_fix", self.name())
    }

    /// What went wrong and how to fix it, in the words of `lookup` (a catalogue: key and `$1`…
    /// substitutions → the message, `None` when it lacks the key). The one fallback rule: a
    /// catalogue without the message still names the diagnosis, with its words when it has
    /// some (`common_diagnosis_fallback_detail`, `common_diagnosis_fallback`, then the bare
    /// name); one without the fix gives none.
    pub fn text(
        &self,
        lookup: impl Fn(&str, &[&str]) -> Option<String>,
    ) -> (String, Option<String>) {
        let args = self.message_args();
        let subs: Vec<&str> = args.iter().map(String::as_str).collect();
        let message = lookup(&self.message_key(), &subs).unwrap_or_else(|| {
            let name = self.name().replace('_', " ");
            match subs.first() {
                Some(detail) => lookup("common_diagnosis_fallback_detail", &[&name, detail])
                    .unwrap_or_else(|| format!("{name}: {detail}")),
                None => lookup("common_diagnosis_fallback", &[&name]).unwrap_or(name),
            }
        });
        let fix = lookup(&self.fix_key(), &subs).filter(|f| !f.trim().is_empty());
        (message, fix)
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

    /// The same diagnosis with the server's words (or names) cut to `MESSAGE_MAX` characters
    /// and without control characters: a 1 MB error body stays a sentence, in storage and on
    /// screen.
    pub fn bounded(self) -> Self {
        let cut = |s: String| -> String {
            let mut out: String = s
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(MESSAGE_MAX + 1)
                .collect();
            if out.chars().count() > MESSAGE_MAX {
                out = out.chars().take(MESSAGE_MAX - 1).collect();
                out.push('…');
            }
            out
        };
        match self {
            Diagnosis::RecordRejected { message } => Diagnosis::RecordRejected {
                message: cut(message),
            },
            Diagnosis::Unexpected { message } => Diagnosis::Unexpected {
                message: cut(message),
            },
            Diagnosis::PersonalAccount { user_name } => Diagnosis::PersonalAccount {
                user_name: cut(user_name),
            },
            Diagnosis::MissingRoles { table } => Diagnosis::MissingRoles { table: cut(table) },
            other => other,
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

/// Whether the token's user is the integration user it should be (issue 13), judged only by
/// what the instance and the portal say:
///
/// - the same person as an account signed in to the portal (its UPN equals the ServiceNow
///   e-mail or user name, its part before `@` equals the user name, or reads as the user's
///   name) → `PersonalAccount`;
/// - `sys_user` says the account is not meant for integrations (neither "Web service access
///   only" nor "internal integration user") → `PersonalAccount`;
/// - roles were read and none may create change requests (`Some(false)`) →
///   `MissingRoles { table: "change_request" }`.
///
/// Unknown inputs (`None`, no portal account, hidden role rows) never warn, so a correctly set
/// up least-privilege integration user sees nothing.
pub fn integration_user_check(
    user: &ConnectedUser,
    portal_accounts: &[String],
    can_create_change_requests: Option<bool>,
) -> Option<Diagnosis> {
    let personal = || Diagnosis::PersonalAccount {
        user_name: user.user_name.clone(),
    };
    if portal_accounts.iter().any(|upn| same_person(user, upn)) {
        return Some(personal());
    }
    if user.integration_account == Some(false) {
        return Some(personal());
    }
    if can_create_change_requests == Some(false) {
        return Some(Diagnosis::MissingRoles {
            table: "change_request".to_owned(),
        });
    }
    None
}

/// How many portal accounts the worker remembers (a browser profile is used by one person,
/// sometimes with an admin account beside the daily one).
pub const PORTAL_ACCOUNTS_MAX: usize = 4;

/// Notes an account seen signed in to the portal, most recent first. Only e-mail-shaped UPNs
/// of sane length count; returns whether the list changed.
pub fn remember_portal_account(accounts: &mut Vec<String>, upn: &str) -> bool {
    let upn = upn.trim().to_lowercase();
    let plausible = upn.len() <= 254
        && upn.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !upn.chars().any(|c| c.is_whitespace() || c.is_control());
    if !plausible || accounts.first() == Some(&upn) {
        return false;
    }
    accounts.retain(|a| *a != upn);
    accounts.insert(0, upn);
    accounts.truncate(PORTAL_ACCOUNTS_MAX);
    true
}

/// The ServiceNow user and the portal account `upn` are one person.
pub fn same_person(user: &ConnectedUser, upn: &str) -> bool {
    let upn = upn.trim().to_lowercase();
    if upn.is_empty() {
        return false;
    }
    let user_name = user.user_name.trim().to_lowercase();
    let email = user
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .unwrap_or_default();
    let local = upn.split('@').next().unwrap_or_default();
    let words = |s: &str| {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let name_words = words(&user.name.to_lowercase());
    (!email.is_empty() && email == upn)
        || (!user_name.is_empty()
            && (user_name == upn || (!user_name.contains('@') && user_name == local)))
        || (name_words.len() > 1 && name_words == words(local))
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
            Diagnosis::ShareUnreadable,
            Diagnosis::ShareInterrupted,
            Diagnosis::StorageFailed,
            Diagnosis::ChangeTemplateUnusable,
        ]
    }

    #[test]
    fn server_words_are_bounded() {
        let huge = Diagnosis::RecordRejected {
            message: format!("a\u{0}b{}", "x".repeat(1 << 20)),
        }
        .bounded();
        let Diagnosis::RecordRejected { message } = huge else {
            panic!("kind kept");
        };
        assert_eq!(message.chars().count(), MESSAGE_MAX);
        assert!(
            message.starts_with("a b") && message.ends_with('…'),
            "{message:.20}"
        );
        let short = Diagnosis::Unexpected {
            message: "Data policy".into(),
        };
        assert_eq!(short.clone().bounded(), short);
        // A 1 MB error envelope from the instance, on a create.
        let body = format!(
            r#"{{"error":{{"message":"{}","detail":"d"}},"status":"failure"}}"#,
            "y".repeat(1 << 20)
        );
        let resp = crate::servicenow::HttpResponse::new(400, vec![], &body);
        let err = crate::servicenow::client::http_error(
            crate::servicenow::Endpoint::Table("incident".into()),
            crate::servicenow::Method::Post,
            &resp,
        );
        let d = crate::servicenow::diagnose(&err, Default::default());
        assert_eq!(d.name(), "record_rejected");
        assert!(
            d.message_args()
                .iter()
                .all(|m| m.chars().count() <= MESSAGE_MAX),
            "{d:?}"
        );
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

    /// The names are stored (outbox entries) and sent (the message contract): pinned here,
    /// byte for byte, so a renamed variant cannot change them.
    #[test]
    fn names_are_pinned() {
        let pinned = [
            "instance_unreachable",
            "not_service_now",
            "client_rejected",
            "credentials_rejected",
            "refresh_token_expired",
            "authorization_lost",
            "personal_account",
            "single_sign_on",
            "cross_scope_refused",
            "ip_filtered",
            "missing_roles",
            "rate_limited",
            "access_denied",
            "authorization_cancelled",
            "permission_denied",
            "state_mismatch",
            "record_rejected",
            "server_error",
            "timeout",
            "offline",
            "not_configured",
            "unexpected",
            "share_unreadable",
            "share_interrupted",
            "storage_failed",
            "change_template_unusable",
        ];
        let names: Vec<&str> = all().iter().map(Diagnosis::name).collect();
        assert_eq!(names, pinned);
        for d in all() {
            let empty = Diagnosis::with_name(d.name()).unwrap();
            assert_eq!(empty.name(), d.name());
            // The variant with empty fields is what serde reads from the bare tag (numbers
            // aside, which serde needs present).
            let json = serde_json::to_value(&d).unwrap();
            let back: Diagnosis = serde_json::from_value(json).unwrap();
            assert_eq!(back, d);
        }
        assert_eq!(
            Diagnosis::with_name("personal_account"),
            Some(Diagnosis::PersonalAccount {
                user_name: String::new()
            })
        );
        assert_eq!(Diagnosis::with_name("no_such_diagnosis"), None);
        assert_eq!(Diagnosis::with_name(""), None);
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
        assert_eq!(expected.len(), 26, "{expected:?}");
    }

    /// The English texts live in extension/_locales/en/messages.json (added with
    /// tests/tools/i18n_add.py); every key used here must be there, with `$1` where an
    /// argument is passed. Compiled in, so a moved catalogue fails the build, not the check.
    #[test]
    fn every_key_has_english_text() {
        let messages: serde_json::Value =
            serde_json::from_str(include_str!("../../../extension/_locales/en/messages.json"))
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

    /// A catalogue of the given keys, substituting `$1`, `$2`.
    fn catalogue(entries: &[(&str, &str)]) -> impl Fn(&str, &[&str]) -> Option<String> {
        let entries: Vec<(String, String)> = entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key, subs| {
            let (_, msg) = entries.iter().find(|(k, _)| k == key)?;
            let mut out = msg.clone();
            for (i, s) in subs.iter().enumerate().rev() {
                out = out.replace(&format!("${}", i + 1), s);
            }
            Some(out)
        }
    }

    #[test]
    fn text_is_the_catalogue_s_with_one_fallback_rule() {
        let roles = Diagnosis::MissingRoles {
            table: "incident".into(),
        };
        let full = catalogue(&[
            ("diagnosis_missing_roles", "No rights on $1."),
            ("diagnosis_missing_roles_fix", "Grant itil for $1."),
            ("common_diagnosis_fallback", "Failed: $1."),
            ("common_diagnosis_fallback_detail", "Failed: $1 ($2)."),
        ]);
        assert_eq!(
            roles.text(&full),
            (
                "No rights on incident.".to_owned(),
                Some("Grant itil for incident.".to_owned())
            )
        );
        // Without the message: the name and the words; without the fix: none.
        assert_eq!(
            Diagnosis::Unexpected {
                message: "Boom".into()
            }
            .text(&full),
            ("Failed: unexpected (Boom).".to_owned(), None)
        );
        assert_eq!(
            Diagnosis::Timeout.text(&full),
            ("Failed: timeout.".to_owned(), None)
        );
        // Not even the fallback messages: still the name, never an empty text.
        let empty = catalogue(&[]);
        assert_eq!(
            roles.text(&empty),
            ("missing roles: incident".to_owned(), None)
        );
        assert_eq!(
            Diagnosis::NotServiceNow.text(&empty),
            ("not service now".to_owned(), None)
        );
        // A blank fix is no fix.
        let blank_fix = catalogue(&[
            ("diagnosis_timeout", "Slow."),
            ("diagnosis_timeout_fix", " "),
        ]);
        assert_eq!(
            Diagnosis::Timeout.text(&blank_fix),
            ("Slow.".to_owned(), None)
        );
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
            integration_account: None,
        }
    }

    fn upn(s: &str) -> Vec<String> {
        vec![s.to_owned()]
    }

    #[test]
    fn the_same_person_as_the_portal_account_is_a_personal_account() {
        let personal = |n: &str| {
            Some(Diagnosis::PersonalAccount {
                user_name: n.into(),
            })
        };
        let jane = user("jane.doe", Some("Jane.Doe@contoso.com"));
        assert_eq!(
            integration_user_check(&jane, &upn("jane.doe@contoso.com"), Some(true)),
            personal("jane.doe")
        );
        assert_eq!(
            integration_user_check(&jane, &upn("JANE.DOE@contoso.onmicrosoft.com"), None),
            personal("jane.doe")
        );
        let upn_login = user("jane.doe@contoso.com", None);
        assert_eq!(
            integration_user_check(&upn_login, &upn("jane.doe@contoso.com"), None),
            personal("jane.doe@contoso.com")
        );
        // By name: "Megan Bowen" is megan.bowen@ at the portal.
        let mut megan = user("mbowen", None);
        megan.name = "Megan Bowen".into();
        assert!(same_person(&megan, "Megan.Bowen@contoso.onmicrosoft.com"));
        assert!(!same_person(&megan, "MeganB@contoso.onmicrosoft.com"));
        // Any of the portal accounts seen.
        assert_eq!(
            integration_user_check(
                &jane,
                &[
                    "admin@contoso.com".to_owned(),
                    "jane.doe@contoso.com".to_owned()
                ],
                None
            ),
            personal("jane.doe")
        );
        // Blank values never match each other.
        assert_eq!(
            integration_user_check(&user("", None), &upn("  "), None),
            None
        );
        assert_eq!(
            integration_user_check(&user("", Some("")), &upn("x@y"), None),
            None
        );
    }

    #[test]
    fn portal_accounts_are_remembered_most_recent_first_and_bounded() {
        let mut list = Vec::new();
        assert!(remember_portal_account(
            &mut list,
            " MeganB@contoso.onmicrosoft.com "
        ));
        assert!(!remember_portal_account(
            &mut list,
            "meganb@contoso.onmicrosoft.com"
        ));
        for bad in [
            "",
            "megan",
            "a@b",
            "a b@c.d",
            "@c.d",
            &format!("{}@c.d", "x".repeat(300)),
        ] {
            assert!(!remember_portal_account(&mut list, bad), "{bad}");
        }
        for i in 0..6 {
            remember_portal_account(&mut list, &format!("u{i}@contoso.com"));
        }
        assert_eq!(list.len(), PORTAL_ACCOUNTS_MAX);
        assert_eq!(list[0], "u5@contoso.com");
        remember_portal_account(&mut list, "u3@contoso.com");
        assert_eq!(list[0], "u3@contoso.com");
        assert_eq!(list.len(), PORTAL_ACCOUNTS_MAX);
    }

    #[test]
    fn sys_user_flags_and_roles_decide_the_rest() {
        // A least-privilege integration user: roles unreadable, web service access only.
        let mut svc = user("snshare.integration", Some("snshare@contoso.com"));
        svc.integration_account = Some(true);
        assert_eq!(
            integration_user_check(&svc, &upn("admin@contoso.com"), None),
            None
        );
        assert_eq!(integration_user_check(&svc, &[], None), None);
        // Flags unreadable, roles unreadable: nothing to say.
        let unknown = user("jane.doe", Some("jane@contoso.com"));
        assert_eq!(
            integration_user_check(&unknown, &upn("admin@contoso.com"), None),
            None
        );
        // sys_user says it is a person's account.
        let mut abel = user("abel.tuter", Some("abel.tuter@example.com"));
        abel.integration_account = Some(false);
        assert_eq!(
            integration_user_check(&abel, &[], Some(true)),
            Some(Diagnosis::PersonalAccount {
                user_name: "abel.tuter".into()
            })
        );
        // Roles read, none creates changes.
        assert_eq!(
            integration_user_check(&svc, &[], Some(false)),
            Some(Diagnosis::MissingRoles {
                table: "change_request".into()
            })
        );
        assert_eq!(integration_user_check(&svc, &[], Some(true)), None);
    }
}
