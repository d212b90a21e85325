//! PACT v3 data exchange: buyers pull an issuer's footprints over the PACT Technical
//! Specifications v3 HTTP API, and the signed declaration behind each one.
//!
//! - [`server`]: the host (`pcf serve`) over the issuer's [`pcf_trust::register`], read only.
//! - [`client`]: the buyer's side (`pcf fetch`): authenticate, page through, verify, store
//!   ([`store`]); [`fetched`]: its options, its report and the rule served footprints follow.
//! - [`catalogue`]: the register's declarations as served ProductFootprints.
//! - [`filters`], [`pagination`], [`events`]: the wire formats both sides share.
//! - [`delivery`]: answers to requests, authenticated at the recipient, retried and kept in
//!   an outbox until delivered.
//! - [`server::witness`] and [`submit`]: a log witness over HTTP (C2SP `tlog-witness`) and the
//!   issuer's client of it.
//! - [`tiles`]: C2SP `tlog-tiles` paths, under which `pcf serve --publish-log` serves the
//!   register's log.
//! - [`did`]: a `did:web` DID document fetched over HTTPS (`pcf verify --fetch-did`).
//! - [`auth`]: the clients file (hashed secrets) and access tokens; [`tls`]: certificates.
//!
//! Each served footprint carries an extension ([`catalogue::DECLARATION_SCHEMA`]) with the URL
//! and digest of its signed credential, so the buyer can fetch the credential and check it
//! with [`pcf_trust::declaration::verify`].
//!
//! Why some choices:
//!
//! - *Why is a served footprint not exactly the signed subject?* Its `status` comes from the
//!   register (a declaration is never edited; a later entry deprecates it) and it gains the
//!   link extension. Everything else is the signed subject; `pcf fetch` checks exactly that,
//!   field by field, and accepts a served status only from Active to Deprecated, never back
//!   ([`client::compare_served`]).
//! - *Why does `pcf fetch` name files by content?* A server decides what it serves under an
//!   id; naming files by id let one document (unsigned, or another version) replace another.
//!   A content address is written once and never replaced, and only verified footprints are
//!   kept apart from the rest ([`store`]).
//! - *Why does `--trust` make unsigned footprints fail?* A buyer who names trusted issuers
//!   wants data from them; a footprint without a signature cannot be from anyone in
//!   particular.
//! - *Why a connection limit per address?* The global cap alone lets one address hold every
//!   connection open (idle, until the handshake timeout) and deny everyone else.
//! - *Why stateless tokens?* An HMAC over expiry and client id needs no token store that
//!   requests could fill, and a restart revokes every token.
//! - *Why are answers sent only to registered events URLs?* A `RequestCreated` event names
//!   where to answer; sending there unchecked would let any client make the server post to
//!   any address (server-side request forgery). The clients file lists each client's URLs;
//!   a bare origin as `source` names `<origin>/3/events`, and only a registered one is used.
//! - *Why an outbox on disk?* PACT has the data owner retry an answer for up to 72 hours. A
//!   request is acknowledged only once its answer is written (atomically, owner only), so a
//!   restart within those hours loses nothing; the register itself is never written.
//! - *Why are recipient credentials in their own file?* The clients file holds only hashes
//!   and may be shared; the credentials for the clients' token endpoints are secrets, kept in
//!   a file only its owner may read (a readable one is refused).
//! - *Why rustls with the `ring` provider?* One Rust TLS stack for server and client, no
//!   OpenSSL or native-tls, and a crypto core that builds in seconds (aws-lc-rs takes minutes).
//!
//! ```
//! use pcf_exchange::filters::Criteria;
//!
//! let mut criteria = Criteria::default();
//! criteria.push_parameter("productid", "urn:gtin:06901234567892").unwrap();
//! criteria.push_parameter("status", "Active").unwrap();
//! assert_eq!(criteria.product_ids, ["urn:gtin:06901234567892"]);
//! ```

pub mod auth;
pub mod catalogue;
pub mod client;
pub mod delivery;
pub mod did;
pub mod events;
pub mod fetched;
pub mod filters;
pub mod pagination;
pub mod server;
pub mod store;
pub mod submit;
pub mod tiles;
pub mod tls;

use std::path::Path;

use pcf_base::canonical::JsonError;
use pcf_trust::register::RegisterError;

/// Why the server could not start or the client could not fetch.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExchangeError {
    /// A request that does not fit (a bad URL, plain HTTP without the danger flag).
    #[error("{0}")]
    Usage(String),
    /// A configuration file, certificate or key that cannot be used.
    #[error("{0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        message: String,
    },
    /// The register could not be read.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// A declaration in the register or an upstream file is not strict JSON.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// An HTTP request failed (connection refused, TLS, timeout).
    #[error("{url}: {message}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// The server refused the client's credentials.
    #[error("authentication at {url} failed: {message}")]
    Auth {
        /// The token endpoint.
        url: String,
        /// What it said.
        message: String,
    },
    /// One fetch reached a cap on what it reads or writes (a hostile or runaway server).
    #[error(
        "{url}: stopped at more than {limit} {what}; raise the cap with {flag} if the supplier \
         really serves that much"
    )]
    Cap {
        /// Where the fetch was when it stopped.
        url: String,
        /// What was counted: `bytes read`, `bytes written`, `pages` or `footprints`.
        what: &'static str,
        /// The cap.
        limit: u64,
        /// The `pcf fetch` flag that sets it.
        flag: &'static str,
    },
    /// A witness refused a checkpoint (C2SP `tlog-witness`).
    #[error("{url}: the witness refused the checkpoint ({status}): {message}")]
    WitnessRefused {
        /// The witness's `add-checkpoint` URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What it said, or what its answer means.
        message: String,
    },
    /// The server answered something that does not follow the protocol.
    #[error("{url}: {message}")]
    Protocol {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
    },
}

impl ExchangeError {
    /// An I/O error on `path`.
    pub fn io(path: impl AsRef<Path>, err: &std::io::Error) -> Self {
        ExchangeError::Io { path: path.as_ref().display().to_string(), message: err.to_string() }
    }
}
