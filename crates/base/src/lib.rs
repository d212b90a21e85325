//! What every `pcf` record is made of, below any domain concept: JSON parsed strictly and
//! written in its RFC 8785 canonical form ([`canonical`]), SHA-256 content digests
//! ([`digest`]), files written atomically and never replaced by accident ([`atomic`]), and one
//! instant type for every date-time ([`time`]).
//!
//! It knows nothing of footprints or signatures; the footprint and trust rooms build on it.

pub mod atomic;
pub mod canonical;
pub mod digest;
pub mod time;
