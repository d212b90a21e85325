//! The one public error type of the library: a documented, non-exhaustive enum with one typed
//! sub-error per area, so callers can match on what went wrong and tests can assert it exactly.

use crate::canonical::JsonError;
use crate::certification::CertificationError;
use crate::declaration::DeclarationError;
use crate::engine::EngineError;
use crate::inventory::InventoryError;
use crate::keys::KeyError;
use crate::lci::LciError;
use crate::methodology::MethodologyError;
use crate::proof::ProofError;
use crate::register::RegisterError;
use crate::solver::SolveError;

/// Anything that can go wrong in `pcf`.
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
    /// A certification document or request was refused.
    #[error(transparent)]
    Certification(#[from] CertificationError),
    /// A declaration could not be issued.
    #[error(transparent)]
    Declaration(#[from] DeclarationError),
    /// A linear system of the supply chain could not be solved.
    #[error(transparent)]
    Solve(#[from] SolveError),
    /// A JSON document was rejected by the strict parser or could not be canonicalized.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// A key could not be created, read or admitted.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A Data Integrity proof could not be created or did not verify.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// The issuer's register could not be read, written or verified.
    #[error(transparent)]
    Register(#[from] RegisterError),
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
