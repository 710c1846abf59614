//! Typed ServiceNow OAuth and Table API client over a transport trait.
//!
//! Pure like `domain`: it never touches browser bindings, and builds and tests natively with a
//! fake transport. The background worker is its only user (ARCHITECTURE.md).
//!
//! - `transport`: the `Transport` trait the platform implements with fetch.
//! - `client`: `Client` (instance + transport + timeout) and `Record` (either value shape).
//! - one module per resource: `oauth`, `table` (generic), `ticket` (incident/change_request),
//!   `choice` (sys_choice labels), `user` (who am I, roles).
//! - `error`: `ClientError`; `diagnose`: the one place turning it into a `Diagnosis` and a
//!   retry `Failure`.

pub mod cards;
pub mod change;
pub mod choice;
pub mod client;
pub mod diagnose;
pub mod error;
pub mod oauth;
pub mod reference;
pub mod table;
pub mod ticket;
pub mod transport;
pub mod user;

pub use client::{Client, Record, DEFAULT_TIMEOUT_MS};
pub use diagnose::{diagnose, DiagnoseContext};
pub use error::{AuthError, ClientError, DecodeKind, Endpoint, Grant, HttpError, ServiceNowError};
pub use oauth::{OAuthClient, TokenGrant};
pub use table::{DisplayValue, Links, Page, TableParams};
pub use ticket::{NewTicket, SortField, TicketFilter, TicketList};
pub use transport::{HttpRequest, HttpResponse, Method, Transport, TransportError};
