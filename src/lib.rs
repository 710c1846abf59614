//! snshare: the Rust core of the extension.
//!
//! Layers (see `../shared/spec/architecture.md`): `domain` and `servicenow` are pure and build
//! natively; `platform` and the surfaces (`background`, `portal`, `ui`) exist only in wasm.
//! The arrows point one way: domain and client never import browser bindings, and no surface
//! but the background imports the client.

pub mod domain;
pub mod messages;
pub mod servicenow;

#[cfg(target_arch = "wasm32")]
pub mod platform;

#[cfg(all(target_arch = "wasm32", feature = "extension"))]
pub mod background;

#[cfg(all(target_arch = "wasm32", feature = "content"))]
pub mod portal;

#[cfg(all(target_arch = "wasm32", feature = "extension"))]
pub mod ui;
