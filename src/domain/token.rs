//! TODO(domain helper): see the module list in the task.
