//! The error of the footprint room: a documented, non-exhaustive enum with one typed
//! sub-error per area, so callers can match on what went wrong and tests can assert it exactly.
//! The rooms above (`pcf-trust`, the `pcf` facade) extend it with their own areas, variant for
//! variant, so one failure has one name whichever room reports it.

use pcf_base::canonical::JsonError;

use crate::document::DocumentError;
use crate::engine::EngineError;
use crate::inventory::InventoryError;
use crate::lci::LciError;
use crate::methodology::MethodologyError;
use crate::solver::SolveError;

/// Anything that can go wrong computing a footprint.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An inventory file could not be read, parsed or resolved.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// A methodology file could not be read, parsed or resolved.
    #[error(transparent)]
    Methodology(#[from] MethodologyError),
    /// The methodology could not be applied to the inventory.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A linear system of the supply chain could not be solved.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// A JSON document was rejected by the strict parser or could not be canonicalized.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// A pcfbench-csv dataset could not be read.
    #[error(transparent)]
    Lci(#[from] LciError),
    /// A request that does not fit the input (an unknown product id, a missing option).
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        message: String,
    },
}

impl Error {
    /// An I/O error on `path`, keeping the operating system's message.
    pub fn io(path: impl AsRef<std::path::Path>, err: &std::io::Error) -> Self {
        Error::Io { path: path.as_ref().display().to_string(), message: err.to_string() }
    }
}

impl From<DocumentError> for Error {
    /// A document's parse error, reported as the inventory error of the same name and message.
    fn from(e: DocumentError) -> Self {
        Error::Inventory(e.into())
    }
}
