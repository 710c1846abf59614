//! What a fresh sandbox holds: the OAuth applications, users, groups, choice lists, and some
//! incidents and change requests in several states.

use sha2::{Digest, Sha256};

use crate::app::now_secs;
use crate::schema::CHOICES;
use crate::store::{Record, Store};
use crate::table::{self, Actor};
use crate::Error;

/// An OAuth Application Registry entry.
pub struct OAuthApp {
    pub client_id: &'static str,
    /// `None`: a public client, which must use PKCE (S256).
    pub client_secret: Option<&'static str>,
    pub name: &'static str,
    pub redirect_patterns: &'static [&'static str],
}

pub static APPS: [OAuthApp; 2] = [
    OAuthApp {
        client_id: "snshare-demo",
        client_secret: Some("snshare-demo-secret"),
        name: "snshare demo",
        redirect_patterns: &["https://*.chromiumapp.org/*"],
    },
    OAuthApp {
        client_id: "snshare-public",
        client_secret: None,
        name: "snshare (public client)",
        redirect_patterns: &["https://*.chromiumapp.org/*"],
    },
];

pub fn app(client_id: &str) -> Option<&'static OAuthApp> {
    APPS.iter().find(|a| a.client_id == client_id)
}

pub struct SeedUser {
    pub user_name: &'static str,
    /// `None`: cannot log in (a user to assign work to).
    pub password: Option<&'static str>,
    pub first: &'static str,
    pub last: &'static str,
    /// `None`: `<user_name>@example.com`.
    pub email: Option<&'static str>,
    pub roles: &'static str,
    pub title: &'static str,
    /// "Web service access only": REST and SOAP only, no sign-in on the login page.
    pub web_service_only: bool,
}

pub static USERS: [SeedUser; 6] = [
    SeedUser {
        user_name: "snshare.integration",
        password: Some("Integration#1"),
        first: "snshare",
        last: "Integration",
        email: None,
        roles: "itil",
        title: "Integration user",
        web_service_only: true,
    },
    SeedUser {
        user_name: "abel.tuter",
        password: Some("Personal#1"),
        first: "Abel",
        last: "Tuter",
        email: None,
        roles: "itil",
        title: "Security analyst",
        web_service_only: false,
    },
    SeedUser {
        user_name: "megan.bowen",
        password: Some("Personal#2"),
        first: "Megan",
        last: "Bowen",
        email: Some("MeganB@contoso.onmicrosoft.com"),
        roles: "itil",
        title: "Security administrator",
        web_service_only: false,
    },
    SeedUser {
        user_name: "admin",
        password: Some("Admin#1"),
        first: "System",
        last: "Administrator",
        email: None,
        roles: "admin",
        title: "System Administrator",
        web_service_only: false,
    },
    SeedUser {
        user_name: "beth.anglin",
        password: None,
        first: "Beth",
        last: "Anglin",
        email: None,
        roles: "itil",
        title: "Service desk agent",
        web_service_only: false,
    },
    SeedUser {
        user_name: "david.loo",
        password: None,
        first: "David",
        last: "Loo",
        email: None,
        roles: "itil",
        title: "Network engineer",
        web_service_only: false,
    },
];

/// Every role the sandbox's ACLs know, as on a default instance with the ITSM roles plugin.
/// `sys_user_role` holds all of them, whether or not a user has them.
pub static ROLES: [(&str, &str); 7] = [
    ("admin", "System administrator"),
    ("itil", "Fulfiller: incidents, problems, changes"),
    (
        "snc_platform_rest_api_access",
        "REST API access where the Table API ACL is active",
    ),
    ("sn_change_read", "Read change requests (ITSM roles)"),
    (
        "sn_change_write",
        "Create and update change requests (ITSM roles)",
    ),
    ("change_manager", "Change manager"),
    ("user_admin", "User administrator"),
];

/// (name, type, description): the change models of a default instance.
pub static CHANGE_MODELS: [(&str, &str, &str); 3] = [
    ("Normal", "normal", "Normal change model"),
    ("Standard", "standard", "Standard change model"),
    ("Emergency", "emergency", "Emergency change model"),
];

/// (name, short description, category, template value): published standard change templates.
pub static STANDARD_TEMPLATES: [(&str, &str, &str, &str); 3] = [
    (
        "Rotate service account credentials",
        "Rotate the credentials of a service account",
        "Software",
        "short_description=Rotate service account credentials^category=Software^risk=4^impact=3^implementation_plan=Rotate the secret, update the vault, verify sign-in^backout_plan=Restore the previous secret from the vault^test_plan=Sign in with the new secret",
    ),
    (
        "Add a firewall rule",
        "Add an allow or deny rule to a perimeter firewall",
        "Network",
        "short_description=Add a firewall rule^category=Network^risk=4^impact=2^implementation_plan=Add the rule in the change window^backout_plan=Remove the rule^test_plan=Check the flow logs",
    ),
    (
        "Enable a security policy setting",
        "Turn on a recommended security setting from a tested baseline",
        "Software",
        "short_description=Enable a security policy setting^category=Software^risk=4^impact=3^implementation_plan=Apply the setting to a pilot group, then to all^backout_plan=Turn the setting off^test_plan=Verify on a pilot device",
    ),
];

pub fn password_of(user_name: &str) -> Option<&'static str> {
    USERS
        .iter()
        .find(|u| u.user_name == user_name)
        .and_then(|u| u.password)
}

/// (name, description, manager)
pub static GROUPS: [(&str, &str, &str); 5] = [
    ("Service Desk", "First line support", "beth.anglin"),
    (
        "Security Operations",
        "Identity, endpoint and cloud security posture",
        "abel.tuter",
    ),
    ("Network", "Network engineering", "david.loo"),
    ("Software", "Application support", "beth.anglin"),
    ("Database", "Database administration", "david.loo"),
];

/// A stable sys_id for seeded rows, so tests and docs can name them.
pub fn seed_sys_id(table: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("snshare-sandbox:{table}:{key}").as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

fn rec(pairs: &[(&str, String)]) -> Record {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

pub fn seed(store: &mut Store, demo_records: bool) -> Result<(), Error> {
    store.batch(|store| {
        let now = now_secs();
        let admin = Actor {
            user_name: "admin".into(),
            sys_id: seed_sys_id("sys_user", "admin"),
        };
        for u in &USERS {
            let fields = rec(&[
                ("sys_id", seed_sys_id("sys_user", u.user_name)),
                ("user_name", u.user_name.into()),
                ("first_name", u.first.into()),
                ("last_name", u.last.into()),
                ("name", format!("{} {}", u.first, u.last)),
                (
                    "email",
                    u.email
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{}@example.com", u.user_name)),
                ),
                ("title", u.title.into()),
                ("roles", u.roles.into()),
                ("active", "true".into()),
                ("locked_out", "false".into()),
                ("web_service_access_only", u.web_service_only.to_string()),
                ("internal_integration_user", "false".into()),
                ("time_zone", "GMT".into()),
            ]);
            table::insert_raw(store, "sys_user", fields, &admin, now)?;
        }
        for (name, description, manager) in &GROUPS {
            let fields = rec(&[
                ("sys_id", seed_sys_id("sys_user_group", name)),
                ("name", (*name).into()),
                ("description", (*description).into()),
                ("manager", seed_sys_id("sys_user", manager)),
                (
                    "email",
                    format!("{}@example.com", name.to_lowercase().replace(' ', ".")),
                ),
                ("active", "true".into()),
            ]);
            table::insert_raw(store, "sys_user_group", fields, &admin, now)?;
        }
        for (tbl, element, list) in CHOICES {
            for (i, (value, label)) in list.iter().enumerate() {
                let fields = rec(&[
                    (
                        "sys_id",
                        seed_sys_id("sys_choice", &format!("{tbl}.{element}.{value}")),
                    ),
                    ("name", (*tbl).into()),
                    ("element", (*element).into()),
                    ("value", (*value).into()),
                    ("label", (*label).into()),
                    ("sequence", ((i + 1) * 10).to_string()),
                    ("language", "en".into()),
                    ("inactive", "false".into()),
                ]);
                table::insert_raw(store, "sys_choice", fields, &admin, now)?;
            }
        }
        seed_roles(store, &admin, now)?;
        seed_change_catalog(store, &admin, now)?;
        if demo_records {
            seed_tickets(store, now)?;
        }
        store.mark_seeded()
    })
}

/// Brings a data directory seeded by an older sandbox up to date: the role tables and the
/// change catalog (models and standard change templates).
pub fn upgrade(store: &mut Store) -> Result<(), Error> {
    store.batch(|store| {
        let admin = Actor {
            user_name: "admin".into(),
            sys_id: seed_sys_id("sys_user", "admin"),
        };
        seed_roles(store, &admin, now_secs())?;
        seed_change_catalog(store, &admin, now_secs())
    })
}

/// Change models and standard change templates, by stable sys_id (`seed_sys_id("chg_model",
/// "normal")`, `seed_sys_id("std_change_record_producer", "0")`…); existing rows are left alone.
fn seed_change_catalog(store: &mut Store, admin: &Actor, now: u64) -> Result<(), Error> {
    for (name, ty, description) in &CHANGE_MODELS {
        let id = seed_sys_id("chg_model", ty);
        if store.contains("chg_model", &id) {
            continue;
        }
        let fields = rec(&[
            ("sys_id", id),
            ("name", (*name).into()),
            ("type", (*ty).into()),
            ("description", (*description).into()),
            ("active", "true".into()),
        ]);
        table::insert_raw(store, "chg_model", fields, admin, now)?;
    }
    for (i, (name, short, category, value)) in STANDARD_TEMPLATES.iter().enumerate() {
        let id = seed_sys_id("std_change_record_producer", &i.to_string());
        if store.contains("std_change_record_producer", &id) {
            continue;
        }
        let fields = rec(&[
            ("sys_id", id),
            ("name", (*name).into()),
            ("short_description", (*short).into()),
            ("category", (*category).into()),
            ("template_value", (*value).into()),
            ("active", "true".into()),
        ]);
        table::insert_raw(store, "std_change_record_producer", fields, admin, now)?;
    }
    Ok(())
}

/// `sys_user_role` (one per role the users hold, in order of first use) and `sys_user_has_role`
/// (one active, not inherited row per user and role), from the users' `roles` field. Rows whose
/// seeded sys_id exists are left alone.
fn seed_roles(store: &mut Store, admin: &Actor, now: u64) -> Result<(), Error> {
    let users: Vec<(String, String, Vec<String>)> = store
        .rows("sys_user")
        .map(|u| {
            let get = |k: &str| u.get(k).cloned().unwrap_or_default();
            let roles = get("roles")
                .split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            (get("user_name"), get("sys_id"), roles)
        })
        .collect();
    let mut roles: Vec<&str> = ROLES.iter().map(|(name, _)| *name).collect();
    for (_, _, rs) in &users {
        for r in rs {
            if !roles.contains(&r.as_str()) {
                roles.push(r);
            }
        }
    }
    for role in roles {
        let id = seed_sys_id("sys_user_role", role);
        if store.contains("sys_user_role", &id) {
            continue;
        }
        let description = ROLES
            .iter()
            .find(|(n, _)| *n == role)
            .map(|(_, d)| *d)
            .unwrap_or("");
        let fields = rec(&[
            ("sys_id", id),
            ("name", role.into()),
            ("description", description.into()),
        ]);
        table::insert_raw(store, "sys_user_role", fields, admin, now)?;
    }
    for (user_name, user_id, rs) in &users {
        for role in rs {
            let id = seed_sys_id("sys_user_has_role", &format!("{user_name}:{role}"));
            if store.contains("sys_user_has_role", &id) {
                continue;
            }
            let fields = rec(&[
                ("sys_id", id),
                ("user", user_id.clone()),
                ("role", seed_sys_id("sys_user_role", role)),
                ("state", "active".into()),
                ("inherited", "false".into()),
            ]);
            table::insert_raw(store, "sys_user_has_role", fields, admin, now)?;
        }
    }
    Ok(())
}

/// Seven texts and an age in days: the columns differ per table, see each list.
type SeedTicket = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    u64,
);

fn seed_tickets(store: &mut Store, now: u64) -> Result<(), Error> {
    let abel = Actor {
        user_name: "abel.tuter".into(),
        sys_id: seed_sys_id("sys_user", "abel.tuter"),
    };
    let integration = Actor {
        user_name: "snshare.integration".into(),
        sys_id: seed_sys_id("sys_user", "snshare.integration"),
    };
    let group = |n: &str| seed_sys_id("sys_user_group", n);
    let user = |n: &str| seed_sys_id("sys_user", n);
    let day = 86_400;
    // (short description, state, impact, urgency, category, group, assignee, age in days)
    let incidents: [SeedTicket; 8] = [
        (
            "Email server not responding",
            "1",
            "2",
            "2",
            "software",
            "Service Desk",
            "",
            1,
        ),
        (
            "VPN drops every few minutes",
            "2",
            "2",
            "1",
            "network",
            "Network",
            "david.loo",
            3,
        ),
        (
            "Laptop will not boot after update",
            "2",
            "3",
            "2",
            "hardware",
            "Service Desk",
            "beth.anglin",
            4,
        ),
        (
            "Suspicious sign-ins from an unfamiliar location",
            "3",
            "1",
            "1",
            "inquiry",
            "Security Operations",
            "abel.tuter",
            6,
        ),
        (
            "Shared drive quota exceeded",
            "6",
            "3",
            "3",
            "inquiry",
            "Service Desk",
            "beth.anglin",
            9,
        ),
        (
            "Database backups failing on replica",
            "7",
            "2",
            "2",
            "database",
            "Database",
            "david.loo",
            20,
        ),
        (
            "Printer on floor 3 jams",
            "8",
            "3",
            "3",
            "hardware",
            "Service Desk",
            "",
            25,
        ),
        (
            "Password reset portal slow",
            "1",
            "3",
            "2",
            "software",
            "Software",
            "",
            2,
        ),
    ];
    for (i, (sd, state, impact, urgency, category, grp, assignee, age)) in
        incidents.iter().enumerate()
    {
        let mut fields = vec![
            ("sys_id", seed_sys_id("incident", &i.to_string())),
            ("short_description", (*sd).to_string()),
            (
                "description",
                format!("{sd}. Reported by the user; seeded by the sandbox."),
            ),
            ("state", (*state).to_string()),
            ("impact", (*impact).to_string()),
            ("urgency", (*urgency).to_string()),
            ("category", (*category).to_string()),
            ("contact_type", "self-service".to_string()),
            ("assignment_group", group(grp)),
            ("caller_id", user("abel.tuter")),
        ];
        if !assignee.is_empty() {
            fields.push(("assigned_to", user(assignee)));
        }
        table::insert_raw(store, "incident", rec(&fields), &abel, now - age * day)?;
    }
    // (short description, type, state, risk, impact, urgency, group, age in days)
    let changes: [SeedTicket; 5] = [
        (
            "Upgrade core switches firmware",
            "normal",
            "-5",
            "3",
            "2",
            "2",
            "Network",
            1,
        ),
        (
            "Enable MFA registration policy",
            "normal",
            "-4",
            "3",
            "2",
            "2",
            "Security Operations",
            2,
        ),
        (
            "Rotate database service credentials",
            "standard",
            "-2",
            "4",
            "3",
            "3",
            "Database",
            5,
        ),
        (
            "Emergency patch for mail gateway",
            "emergency",
            "-1",
            "2",
            "1",
            "1",
            "Software",
            7,
        ),
        (
            "Decommission legacy file server",
            "normal",
            "3",
            "4",
            "3",
            "3",
            "Service Desk",
            30,
        ),
    ];
    for (i, (sd, ty, state, risk, impact, urgency, grp, age)) in changes.iter().enumerate() {
        let start = now - age * day + day;
        let fields = rec(&[
            ("sys_id", seed_sys_id("change_request", &i.to_string())),
            ("short_description", (*sd).to_string()),
            ("description", format!("{sd}. Seeded by the sandbox.")),
            ("type", (*ty).to_string()),
            ("chg_model", seed_sys_id("chg_model", ty)),
            ("state", (*state).to_string()),
            ("risk", (*risk).to_string()),
            ("impact", (*impact).to_string()),
            ("urgency", (*urgency).to_string()),
            ("category", "Other".to_string()),
            ("assignment_group", group(grp)),
            ("start_date", crate::app::glide_datetime(start)),
            ("end_date", crate::app::glide_datetime(start + 7_200)),
        ]);
        table::insert_raw(
            store,
            "change_request",
            fields,
            &integration,
            now - age * day,
        )?;
    }
    Ok(())
}
