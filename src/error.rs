//! The one error type of the `pcf` facade and command line: every room's areas, variant for
//! variant with [`pcf_trust::Error`] (which extends [`pcf_footprint::Error`]), plus the
//! exchange's own. The command line renders it for people and picks the exit code from it.

use pcf_base::canonical::JsonError;
use pcf_exchange::ExchangeError;
use pcf_footprint::engine::EngineError;
use pcf_footprint::inventory::InventoryError;
use pcf_footprint::lci::LciError;
use pcf_footprint::methodology::MethodologyError;
use pcf_footprint::solver::SolveError;
use pcf_trust::certification::CertificationError;
use pcf_trust::declaration::DeclarationError;
use pcf_trust::keys::KeyError;
use pcf_trust::proof::ProofError;
use pcf_trust::register::RegisterError;

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
    /// A witness refused a checkpoint or could not keep its state.
    #[error(transparent)]
    Witness(#[from] pcf_trust::witness::WitnessError),
    /// The buyer's record of checkpoints seen could not be read or written.
    #[error(transparent)]
    Seen(#[from] pcf_trust::seen::SeenError),
    /// A signed note, verifier key or checkpoint was refused.
    #[error(transparent)]
    Note(#[from] pcf_trust::register::note::NoteError),
    /// A pcfbench-csv dataset could not be read.
    #[error(transparent)]
    Lci(#[from] LciError),
    /// A buyer's trust list was refused.
    #[error(transparent)]
    TrustList(#[from] pcf_trust::trustlist::TrustListError),
    /// A DID document was refused.
    #[error(transparent)]
    Did(#[from] pcf_trust::did::DidError),
    /// A UNTP passport could not be issued or opened.
    #[error(transparent)]
    Passport(#[from] pcf_trust::passport::PassportError),
    /// The PACT exchange failed: a server that cannot start, a fetch refused or cut short.
    /// (Boxed: its URLs and messages would double the size of every `Result` in the CLI.)
    #[error("{}", exchange_message(.0))]
    Exchange(Box<ExchangeError>),
    /// A spreadsheet (bill of materials) could not be imported or exported.
    #[error(transparent)]
    Spreadsheet(#[from] pcf_footprint::spreadsheet::SpreadsheetError),
    /// An EU CBAM communication template could not be read or written.
    #[error(transparent)]
    CbamTemplate(#[from] pcf_footprint::cbam_template::TemplateError),
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
    /// The command line's exit code for this error: 2 for a request that does not fit (usage,
    /// or an exchange configuration that cannot be used), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::Exchange(e)
                if matches!(**e, ExchangeError::Usage(_) | ExchangeError::Config(_)) =>
            {
                2
            }
            _ => 1,
        }
    }

    /// An I/O error on `path`, keeping the operating system's message.
    pub fn io(path: impl AsRef<std::path::Path>, err: &std::io::Error) -> Self {
        Error::Io { path: path.as_ref().display().to_string(), message: err.to_string() }
    }
}

impl From<ExchangeError> for Error {
    fn from(e: ExchangeError) -> Self {
        Error::Exchange(Box::new(e))
    }
}

impl From<pcf_trust::Error> for Error {
    fn from(e: pcf_trust::Error) -> Self {
        use pcf_trust::Error as T;
        match e {
            T::Inventory(e) => Error::Inventory(e),
            T::Methodology(e) => Error::Methodology(e),
            T::Engine(e) => Error::Engine(e),
            T::Certification(e) => Error::Certification(e),
            T::Declaration(e) => Error::Declaration(e),
            T::Solve(e) => Error::Solve(e),
            T::Json(e) => Error::Json(e),
            T::Key(e) => Error::Key(e),
            T::Proof(e) => Error::Proof(e),
            T::Register(e) => Error::Register(e),
            T::Lci(e) => Error::Lci(e),
            T::Usage(message) => Error::Usage(message),
            T::Io { path, message } => Error::Io { path, message },
            // A variant added below is named here before it can be reported above.
            other => Error::Usage(other.to_string()),
        }
    }
}

impl From<pcf_footprint::Error> for Error {
    fn from(e: pcf_footprint::Error) -> Self {
        pcf_trust::Error::from(e).into()
    }
}

/// How the command line words an exchange failure: the library's message, except that a
/// refused authentication leads with the endpoint, as every other failure at a URL does.
fn exchange_message(e: &ExchangeError) -> String {
    match e {
        ExchangeError::Auth { url, message } => format!("{url}: authentication failed: {message}"),
        other => other.to_string(),
    }
}
