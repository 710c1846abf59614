//! Contract tests of the sandbox (`cargo test -p sn-sandbox`): the client-facing checks shared
//! with the live run, then what only the sandbox can show (the authorization page flow, token
//! lifetimes, ACLs, data policy, rate limits, faults, admin endpoints, persistence, TLS, and
//! the portal replica server). Each test starts its own sandbox on a free loopback port.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod admin;
mod aggregate;
mod batch;
mod change_api;
mod faults;
mod instance;
mod oauth;
mod portal;
mod roles;
mod table;

use common::{checks, Target};

/// The shared client-facing checks, against the sandbox.
mod client_checks {
    use super::*;

    macro_rules! sandbox_checks {
        ($($name:ident),* $(,)?) => {
            $(
                #[test]
                fn $name() {
                    let sandbox = common::sandbox();
                    checks::$name(&Target::sandbox(sandbox.url()));
                }
            )*
        };
    }

    for_each_check!(sandbox_checks);
}
