//! The ServiceNow sandbox. TODO(sandbox helper).
