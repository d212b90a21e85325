//! (placeholder: being written)

/// Errors of this module.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// Not written yet.
    #[error("not implemented yet")]
    Unimplemented,
}
