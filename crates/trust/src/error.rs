//! The error of the trust room: the footprint room's areas (a declaration is issued from a
//! footprint) and the trust room's own (keys, proofs, declarations, the register,
//! certification), one typed sub-error per area, variant for variant with
//! [`pcf_footprint::Error`] so one failure has one name whichever room reports it.

use crate::certification::CertificationError;
use crate::declaration::DeclarationError;
use crate::keys::KeyError;
use crate::proof::ProofError;
use crate::register::RegisterError;
use pcf_base::canonical::JsonError;
use pcf_footprint::engine::EngineError;
use pcf_footprint::inventory::InventoryError;
use pcf_footprint::lci::LciError;
use pcf_footprint::methodology::MethodologyError;
use pcf_footprint::solver::SolveError;

/// Anything that can go wrong issuing, verifying, registering or certifying a declaration.
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

impl From<pcf_footprint::Error> for Error {
    fn from(e: pcf_footprint::Error) -> Self {
        use pcf_footprint::Error as F;
        match e {
            F::Inventory(e) => Error::Inventory(e),
            F::Methodology(e) => Error::Methodology(e),
            F::Engine(e) => Error::Engine(e),
            F::Solve(e) => Error::Solve(e),
            F::Json(e) => Error::Json(e),
            F::Lci(e) => Error::Lci(e),
            F::Usage(message) => Error::Usage(message),
            F::Io { path, message } => Error::Io { path, message },
            // A variant added below is named here before it can be reported above.
            other => Error::Usage(other.to_string()),
        }
    }
}
