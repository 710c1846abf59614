//! The product's vocabulary and rules, free of any browser or network code.

pub mod action_status;
pub mod action_title;
pub mod bulk;
pub mod capabilities;
pub mod connection;
pub mod correlation;
pub mod diagnosis;
pub mod draft;
pub mod instance;
pub mod names;
pub mod outbox;
pub mod pacing;
pub mod pkce;
pub mod portal_url;
pub mod query;
pub mod retry;
pub mod settings;
pub mod state_names;
pub mod task_form;
pub mod ticket;
pub mod ticket_list;
pub mod token;
