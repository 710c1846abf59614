//! Extension pages: popup, options, ticket list.
