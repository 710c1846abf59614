//! The content script on the portal.
