//! snshare's core: the product's rules (`domain`), the ServiceNow client (`servicenow`) and the
//! message contract between the surfaces (`messages`). Pure Rust, native and wasm alike: no
//! browser binding is a dependency of this crate, so everything here is tested natively.
//!
//! Inside the crate the arrows point down (ARCHITECTURE.md): `messages` may use `servicenow` and
//! `domain`, `servicenow` may use `domain`, and `domain` uses neither.

pub mod domain;
pub mod messages;
pub mod servicenow;
