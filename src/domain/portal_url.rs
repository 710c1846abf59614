//! Which portal page a URL is, as pure functions (portal.md, "Pages").
//! TODO(domain helper).
