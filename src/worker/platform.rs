//! The browser layer as the worker sees it: everything of `snshare_web`, plus the bindings only
//! the worker needs (the IndexedDB vault, the fetch transport, identity and alarms), which the
//! content script and the pages never download.

pub use snshare_web::*;

pub mod fetch;
pub mod vault;
pub mod worker;
