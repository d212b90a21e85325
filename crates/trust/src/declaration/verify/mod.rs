//! Offline verification of a declaration: every check a buyer needs, each reported with its
//! result, and a verdict that says both whether the declaration is genuine and whether it is
//! still the one to rely on (current). This is the one verification path: `pcf verify`,
//! `pcf verify-approval`, `pcf audit`, `pcf declare` (for suppliers' declarations), `pcf impact`
//! and `pcf fetch` all call [`verify`].
//!
//! Work is bounded on hostile input: documents above [`MAX_DOCUMENT_BYTES`] are refused, the
//! bundle is indexed by digest once, each upstream declaration is verified once however many
//! paths reach it (supply chains are DAGs), and the chain may be at most [`MAX_DEPTH`] deep.

mod checks;
mod index;
mod plain;
mod report;
mod status;
mod summary;
mod walk;
mod witnessed;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::bundle::Bundle;
use super::pact::ProductFootprint;
use crate::register::RegisterExcerpt;
use index::Index;
use pcf_base::digest::Digest;
use pcf_base::time::Instant;
use walk::verify_node;

pub use report::{Check, CheckStatus, Report, ReportKind, Standing, Status, Verdict};
pub use summary::{
    Cbam, DataSource, Dqr, Figure, Methodology, Period, Summary, Supplier, composition_chart,
    footprint_line, footprint_of, summary,
};
pub use witnessed::{Witnessed, witnessed};

/// The largest declaration pcf verifies, as canonical JSON (a declaration is a few kB).
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;
/// The largest file `pcf verify` reads: a bundle with its suppliers' declarations (about
/// 1,500 of them). Parsing and verifying a bundle of this size takes under 1 s on one core
/// (see the verify benchmark in tests/declaration.rs).
pub const MAX_BUNDLE_BYTES: u64 = 8 << 20;
/// The deepest chain of suppliers' declarations pcf follows.
pub const MAX_DEPTH: usize = 16;

/// How to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// DIDs of issuers the buyer trusts.
    pub trust: Vec<String>,
    /// The names the buyer knows trusted issuers by, by DID (from a trust list,
    /// [`crate::trustlist::TrustList::apply`]): the `issuer` check names them.
    pub issuer_names: BTreeMap<String, String>,
    /// Accept a methodology whose digest is neither shipped nor in the bundle.
    pub danger_accept_unknown_methodology: bool,
    /// The instant at which validity and status are judged (for example the day a shipment
    /// was received); now when `None`.
    pub at: Option<Instant>,
    /// Witnesses the buyer relies on (their cosignature verifier keys).
    pub witnesses: Vec<crate::register::note::Verifier>,
    /// DID documents of `did:web` issuers (`pcf verify --did-document`): a `did:web` proof's
    /// verification method is resolved in them, and nowhere else.
    pub did_documents: crate::did::DidDocuments,
    /// How many of them must have cosigned the bundle's checkpoint.
    pub min_witnesses: usize,
    /// How old, in seconds before the instant judged, the newest cosignature of one of
    /// `witnesses` on the bundle's checkpoint may be: the checkpoint was then the log's head as
    /// far as that witness knew. The issuer's own word is never taken for freshness.
    pub max_age: Option<u64>,
}

/// The JSON Schema of the ProductFootprint pcf declares.
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(ProductFootprint)).unwrap_or(Value::Null)
}

/// Verifies `document` (already parsed strictly) with what `bundle` carries.
pub fn verify(document: &Value, bundle: Option<&Bundle>, options: &VerifyOptions) -> Report {
    run(document, bundle, options).0
}

/// [`verify`], with the supply chain below the declaration: every supplier's declaration the
/// verification reached, once each (the first path that reached it), with its own verdict and
/// its consumer's check of it.
pub fn verify_with_chain(
    document: &Value,
    bundle: Option<&Bundle>,
    options: &VerifyOptions,
) -> (Report, Vec<Supplier>) {
    let (report, ctx) = run(document, bundle, options);
    let chain = chain(&ctx, document, &report);
    (report, chain)
}

fn run<'a>(
    document: &Value,
    bundle: Option<&'a Bundle>,
    options: &'a VerifyOptions,
) -> (Report, Context<'a>) {
    let at = options.at.unwrap_or_else(Instant::now);
    let mut ctx = Context {
        options,
        index: Index::new(bundle),
        excerpt: bundle.and_then(|b| b.register_excerpt.as_ref()),
        log: bundle.and_then(|b| b.log.as_ref()),
        memo: HashMap::new(),
    };
    if let Some(footprint) = plain::plain_footprint(document) {
        return (plain::verify_plain(document, footprint, at), ctx);
    }
    let mut report = verify_node(&mut ctx, document, at, &mut Vec::new());
    witnessed::witnessed_check(&mut report, document, bundle, options);
    report.verdict = report::verdict_of(&report.checks, &report.status, report.kind);
    (report, ctx)
}

/// The suppliers' declarations below `document`, from what the walk verified (`ctx.memo`).
fn chain(ctx: &Context<'_>, document: &Value, report: &Report) -> Vec<Supplier> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack = vec![(document, report.clone())];
    while let Some((doc, r)) = stack.pop() {
        let Some(p) = super::provenance(doc) else { continue };
        let issued = doc["validFrom"].as_str().and_then(|t| Instant::parse(t).ok());
        for u in &p.upstream {
            if !seen.insert(u.digest) {
                continue;
            }
            let name = walk::link_name(u);
            let link = r.checks.iter().find(|c| c.name == name).cloned().unwrap_or(Check {
                name,
                status: CheckStatus::Skip,
                detail: "not checked".into(),
            });
            let found = ctx.index.find(&u.digest);
            let sub = issued.and_then(|i| ctx.memo.get(&(u.digest, i))).filter(|_| !u.unsigned);
            let pf = found.and_then(footprint_of);
            let text = |k: &str| pf.and_then(|f| f[k].as_str()).map(String::from);
            out.push(Supplier {
                digest: u.digest.to_string(),
                product: text("productNameCompany"),
                company: text("companyName"),
                issuer: u.issuer.clone().or_else(|| sub.and_then(|s| s.issuer.clone())),
                footprint: found.and_then(footprint_line),
                trusted: sub.map(|s| {
                    s.checks.iter().any(|c| c.name == "issuer" && c.status == CheckStatus::Pass)
                }),
                link,
                suppliers: found
                    .and_then(super::provenance)
                    .map(|q| q.upstream.iter().map(|x| x.digest.to_string()).collect())
                    .unwrap_or_default(),
            });
            if let (Some(d), Some(s)) = (found, sub) {
                stack.push((d, s.clone()));
            }
        }
    }
    out
}

/// The key of a proof's verification method, for [`crate::proof::verify`]: a `did:web`
/// method from the DID documents given (a `did:key` needs none).
pub(crate) fn resolver(
    options: &VerifyOptions,
) -> impl Fn(&str) -> Option<ed25519_dalek::VerifyingKey> + '_ {
    |method: &str| {
        if method.starts_with("did:web:") { options.did_documents.resolve(method) } else { None }
    }
}

/// The `did:key` whose log (the issuer's register) records `document`: its issuer's, or for a
/// `did:web` issuer that of the key its document gives the proof's verification method.
pub(super) fn log_identity(document: &Value, options: &VerifyOptions) -> Option<String> {
    let issuer = crate::declaration::issuer_of(document)?;
    if !issuer.starts_with("did:web:") {
        return Some(issuer);
    }
    let method = document["proof"]["verificationMethod"].as_str()?;
    if method.split('#').next() != Some(issuer.as_str()) {
        return Some(issuer);
    }
    Some(options.did_documents.resolve(method).map_or(issuer, |k| crate::keys::did_key(&k)))
}

/// What one verification carries through the chain of suppliers' declarations.
struct Context<'a> {
    options: &'a VerifyOptions,
    index: Index<'a>,
    excerpt: Option<&'a RegisterExcerpt>,
    /// The bundle's proof that the excerpt is the issuer's checkpointed log.
    log: Option<&'a crate::register::LogProof>,
    /// Upstream reports by digest and the instant they were judged at: a declaration reached
    /// by several paths is verified once.
    memo: HashMap<(Digest, Instant), Report>,
}
