//! Typed ServiceNow OAuth and Table API client over a transport trait.
//! TODO(client helper).
