//! The live contract run: the client-facing checks of `common/checks.rs` against a real
//! instance. Set `SN_INSTANCE` (e.g. `dev12345`, `dev12345.service-now.com` or a URL),
//! `SN_CLIENT_ID`, `SN_CLIENT_SECRET` (an OAuth Application Registry entry with the password
//! grant allowed), `SN_USER` and `SN_PASSWORD` (the integration user as snshare's README sets
//! it up: role `itil`, "Web service access only"), then `cargo test -p sn-sandbox --test live`.
//! Without them every check is reported as ignored ("skipped: set SN_INSTANCE…"), never as
//! passed. Every call snshare makes is checked: OAuth, the Table API (records,
//! `sysparm_display_value=all`, `sys_user` with `web_service_access_only`, `sys_user_group`,
//! `sys_user_has_role`, `sys_choice`), the Aggregate API, the Batch API and the Change
//! Management API. The checks create a few incidents and change requests marked
//! `snshare-contract:…` in correlation_id, and try to delete them.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use common::{checks, Target};

macro_rules! live_checks {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            #[cfg_attr(
                not(sn_live),
                ignore = "skipped: set SN_INSTANCE, SN_CLIENT_ID, SN_CLIENT_SECRET, SN_USER and SN_PASSWORD to run against a real instance"
            )]
            fn $name() {
                let target = Target::from_env().expect("SN_* variables changed since the build: rebuild");
                checks::$name(&target);
            }
        )*
    };
}

for_each_check!(live_checks);
