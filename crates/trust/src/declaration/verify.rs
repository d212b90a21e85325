//! Offline verification of a declaration: every check a buyer needs, each reported with its
//! result, and a verdict that says both whether the declaration is genuine and whether it is
//! still the one to rely on (current). This is the one verification path: `pcf verify`,
//! `pcf verify-approval`, `pcf audit`, `pcf declare` (for suppliers' declarations), `pcf impact`
//! and `pcf fetch` all call [`verify`].
//!
//! Work is bounded on hostile input: documents above [`MAX_DOCUMENT_BYTES`] are refused, the
//! bundle is indexed by digest once, each upstream declaration is verified once however many
//! paths reach it (supply chains are DAGs), and the chain may be at most [`MAX_DEPTH`] deep.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bundle::Bundle;
use super::pact::{Decimal, ProductFootprint};
use super::{CBAM_SCHEMA, CREDENTIAL_TYPE, Provenance, VC_CONTEXT, provenance, sri};
use crate::proof;
use crate::register::{EntryKind, RegisterExcerpt};
use pcf_base::digest::Digest;
use pcf_base::time::Instant;
use pcf_footprint::methodology::Methodology;

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
    /// Accept a methodology whose digest is neither shipped nor in the bundle.
    pub danger_accept_unknown_methodology: bool,
    /// The instant at which validity and status are judged (for example the day a shipment
    /// was received); now when `None`.
    pub at: Option<Instant>,
}

/// The result of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Passed.
    Pass,
    /// Passed with a caveat the buyer should read.
    Warn,
    /// Failed: the declaration is not valid.
    Fail,
    /// Not applicable or not possible with what was given.
    Skip,
}

/// One check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// The result.
    pub status: CheckStatus,
    /// Why.
    pub detail: String,
}

/// The verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Genuine, and current at the instant of verification: no check failed, it is within
    /// its validity period, and the bundle's status evidence shows it active.
    Valid,
    /// Genuine, but not current: superseded, deprecated, expired or not yet valid.
    NotCurrent,
    /// Genuine and within its validity period, but nothing given shows whether it is still
    /// current (no register excerpt): not a verdict to rely on alone.
    StatusUnknown,
    /// At least one check failed: not genuine, or not what it claims.
    Invalid,
}

impl Verdict {
    /// The exit code `pcf verify` uses: 0 valid and current, 1 invalid, 3 genuine but not
    /// (shown to be) current. 2 is kept for usage errors.
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Invalid => 1,
            Verdict::NotCurrent | Verdict::StatusUnknown => 3,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Verdict::Valid => "VALID",
            Verdict::NotCurrent => "NOT CURRENT",
            Verdict::StatusUnknown => "STATUS UNKNOWN",
            Verdict::Invalid => "INVALID",
        }
    }
}

/// Where a declaration stands at the instant of verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    /// Within its validity period and shown active.
    Current,
    /// Within its validity period; no evidence of its status was given.
    Unknown,
    /// Its validity period has not begun.
    NotYetValid,
    /// Its validity period has ended.
    Expired,
    /// Its issuer marked it Deprecated.
    Deprecated,
    /// A later declaration of its issuer replaced it.
    Superseded,
}

/// The status part of a report: where the declaration stands, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Status {
    /// The standing.
    pub standing: Standing,
    /// Every reason, in words.
    pub reasons: Vec<String>,
    /// The ProductFootprint id of the declaration that replaced it, where known.
    pub superseded_by: Option<String>,
    /// The instant it was judged at (RFC 3339).
    pub at: String,
}

/// A verification report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// Where the declaration stands at the instant of verification.
    pub status: Status,
    /// Digest of the declaration's canonical JSON.
    pub digest: Option<String>,
    /// Issuer DID.
    pub issuer: Option<String>,
    /// ProductFootprint id.
    pub pf_id: Option<String>,
    /// Product name.
    pub product: Option<String>,
    /// Declared PCF excluding biogenic uptake, with its unit.
    pub pcf: Option<String>,
    /// The checks, in order.
    pub checks: Vec<Check>,
}

impl Report {
    fn add(&mut self, name: &str, status: CheckStatus, detail: impl Into<String>) {
        self.checks.push(Check { name: name.into(), status, detail: detail.into() });
    }

    /// The failed checks, except those named (for example `issuer` where the caller decides
    /// trust itself).
    pub fn failures_except(&self, names: &[&str]) -> Vec<&Check> {
        self.checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail && !names.contains(&c.name.as_str()))
            .collect()
    }

    /// Whether the declaration is genuine: no check failed but, possibly, issuer trust.
    pub fn is_genuine(&self) -> bool {
        self.failures_except(&["issuer"]).is_empty()
    }

    /// Adds a check from outside verification (an approval) and recomputes the verdict.
    pub fn push_check(&mut self, check: Check) {
        self.checks.push(check);
        self.verdict = verdict_of(&self.checks, &self.status);
    }

    /// The failed checks as one line, `name: detail; ...`.
    pub fn failure_summary(&self, except: &[&str]) -> String {
        self.failures_except(except)
            .iter()
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The JSON Schema of the ProductFootprint pcf declares.
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(ProductFootprint)).unwrap_or(Value::Null)
}

/// Verifies `document` (already parsed strictly) with what `bundle` carries.
pub fn verify(document: &Value, bundle: Option<&Bundle>, options: &VerifyOptions) -> Report {
    let at = options.at.unwrap_or_else(Instant::now);
    let mut ctx = Context {
        options,
        index: Index::new(bundle),
        excerpt: bundle.and_then(|b| b.register_excerpt.as_ref()),
        memo: HashMap::new(),
    };
    verify_node(&mut ctx, document, at, &mut Vec::new())
}

/// What one verification carries through the chain of suppliers' declarations.
struct Context<'a> {
    options: &'a VerifyOptions,
    index: Index<'a>,
    excerpt: Option<&'a RegisterExcerpt>,
    /// Upstream reports by digest and the instant they were judged at: a declaration reached
    /// by several paths is verified once.
    memo: HashMap<(Digest, Instant), Report>,
}

/// The bundle's documents by digest, hashed once.
struct Index<'a> {
    by_digest: HashMap<Digest, &'a Value>,
    /// The bundle's methodology files, each parsed (and its digest recomputed) at most once,
    /// and only when a declaration claims its digest.
    methodologies: &'a [super::bundle::MethodologyText],
    recomputed: std::cell::RefCell<HashMap<Digest, bool>>,
    /// Declarations of the bundle that supersede the declaration with this digest.
    successors: HashMap<Digest, Vec<&'a Value>>,
}

impl<'a> Index<'a> {
    fn new(bundle: Option<&'a Bundle>) -> Index<'a> {
        let mut by_digest = HashMap::new();
        let mut successors: HashMap<Digest, Vec<&Value>> = HashMap::new();
        if let Some(b) = bundle {
            for doc in b.upstream.iter().chain(&b.superseded).chain([&b.declaration]) {
                if let Ok(d) = pcf_base::canonical::digest(doc) {
                    by_digest.entry(d).or_insert(doc);
                }
                if let Some(old) = provenance(doc).and_then(|p| p.supersedes) {
                    successors.entry(old).or_default().push(doc);
                }
            }
        }
        let methodologies = bundle.map_or(&[][..], |b| b.methodologies.as_slice());
        Index { by_digest, methodologies, recomputed: Default::default(), successors }
    }

    /// Whether the bundle carries a methodology file whose recomputed digest is `digest`.
    fn has_methodology(&self, digest: &Digest) -> bool {
        if let Some(&known) = self.recomputed.borrow().get(digest) {
            return known;
        }
        let found = self
            .methodologies
            .iter()
            .filter(|t| &t.digest == digest)
            .any(|t| t.load().is_ok_and(|m| &m.digest() == digest));
        self.recomputed.borrow_mut().insert(*digest, found);
        found
    }

    fn find(&self, digest: &Digest) -> Option<&'a Value> {
        self.by_digest.get(digest).copied()
    }
}

fn verify_node(
    ctx: &mut Context<'_>,
    document: &Value,
    at: Instant,
    path: &mut Vec<Digest>,
) -> Report {
    use CheckStatus::*;
    let depth = path.len();
    let canonical = pcf_base::canonical::canonicalize(document).ok();
    let digest = canonical.as_deref().map(Digest::of);
    let subject = &document["credentialSubject"];
    let mut r = Report {
        verdict: Verdict::Invalid,
        status: Status {
            standing: Standing::Unknown,
            reasons: Vec::new(),
            superseded_by: None,
            at: at.to_string(),
        },
        digest: digest.map(|d| d.to_string()),
        issuer: super::issuer_of(document),
        pf_id: subject["id"].as_str().map(String::from),
        product: subject["productNameCompany"].as_str().map(String::from),
        pcf: subject["pcf"]["pcfExcludingBiogenicUptake"].as_str().map(|v| {
            format!(
                "{v} kg CO2e per {} {}",
                subject["pcf"]["declaredUnitAmount"].as_str().unwrap_or("?"),
                subject["pcf"]["declaredUnitOfMeasurement"].as_str().unwrap_or("?")
            )
        }),
        checks: Vec::new(),
    };

    // 0. Size: refused before any further work.
    if let Some(len) = canonical.as_ref().map(Vec::len)
        && len > MAX_DOCUMENT_BYTES
    {
        r.add(
            "size",
            Fail,
            format!("{len} bytes of canonical JSON; pcf verifies declarations of at most {MAX_DOCUMENT_BYTES}"),
        );
        r.verdict = Verdict::Invalid;
        return r;
    }

    // 1. Schema.
    let schema_problems = shape(document);
    let pf: Option<ProductFootprint> = serde_json::from_value(subject.clone()).ok();
    if schema_problems.is_empty() && pf.is_some() {
        r.add("schema", Pass, "a VC 2.0 credential whose subject is a PACT v3 ProductFootprint");
    } else {
        let mut p = schema_problems;
        if pf.is_none() && p.is_empty() {
            p.push("credentialSubject is not a PACT ProductFootprint".into());
        }
        r.add("schema", Fail, p.join("; "));
    }
    let prov = provenance(document);

    // 2. Proof.
    match proof::verify(document, &|_| None) {
        // Data Integrity lets a holder append `@context` entries after signing (the proof
        // covers its own `@context`, a prefix of the document's). pcf declarations are signed
        // whole: anything unsigned would also give one declaration many digests.
        Ok(v) if !same_json(v.document.get("@context"), document.get("@context")) => r.add(
            "proof",
            Fail,
            format!(
                "@context {} has entries the proof does not cover (it signed {}); a declaration \
                 is signed as a whole",
                document.get("@context").map_or_else(|| "null".into(), Value::to_string),
                v.document.get("@context").map_or_else(|| "null".into(), Value::to_string),
            ),
        ),
        Ok(v) => {
            let did = super::did_of(&v.verification_method);
            if r.issuer.as_deref() == Some(did.as_str()) {
                r.add("proof", Pass, format!("eddsa-jcs-2022, Ed25519 verify_strict, key {did}"));
            } else {
                r.add(
                    "proof",
                    Fail,
                    format!(
                        "signed by {did}, but the credential names issuer {}",
                        r.issuer.as_deref().unwrap_or("(none)")
                    ),
                );
            }
        }
        Err(e) => r.add("proof", Fail, e.to_string()),
    }

    // 3. Issuer trust.
    let issuer = r.issuer.clone().unwrap_or_default();
    let trust = &ctx.options.trust;
    if trust.iter().any(|t| t == &issuer) {
        r.add("issuer", Pass, format!("{issuer} is trusted"));
    } else if trust.is_empty() {
        r.add("issuer", Fail, format!("{issuer} is not trusted: no --trust given (compare this DID with the one the issuer publishes, then pass --trust {issuer})"));
    } else {
        r.add("issuer", Fail, format!("{issuer} is not among the trusted issuers"));
    }

    // 4. Methodology.
    match &prov {
        None => {
            r.add("methodology", Fail, "no provenance extension: the methodology is not pinned")
        }
        Some(p) => methodology_check(&mut r, document, p, &ctx.index, ctx.options),
    }

    // 4b. Datasets.
    if let Some(p) = &prov {
        datasets_check(&mut r, document, p);
    }

    // 5. Upstream: each supplier's declaration is judged at the instant this one was issued.
    let issued = document["validFrom"].as_str().and_then(|t| Instant::parse(t).ok());
    match (&prov, issued, digest) {
        (None, _, _) => r.add("upstream", Skip, "no provenance extension"),
        (Some(p), _, _) if p.upstream.is_empty() => {
            r.add("upstream", Pass, "no suppliers' declarations consumed")
        }
        (Some(_), None, _) | (Some(_), _, None) => r.add(
            "upstream",
            Fail,
            "the declaration has no valid validFrom or digest to judge its suppliers' declarations at",
        ),
        (Some(p), Some(issued), Some(d)) => {
            // Each supplier's declaration is listed once (pcf declare never repeats one); a
            // repeated reference is refused, and checked only once whatever the count.
            let mut counts: BTreeMap<Digest, usize> = BTreeMap::new();
            for u in &p.upstream {
                *counts.entry(u.digest).or_default() += 1;
            }
            let repeated: Vec<String> =
                counts.iter().filter(|(_, n)| **n > 1).map(|(d, n)| format!("{d} {n} times")).collect();
            if !repeated.is_empty() {
                r.add(
                    "upstream",
                    Fail,
                    format!("lists the same supplier's declaration more than once: {}", repeated.join(", ")),
                );
            }
            path.push(d);
            for u in &p.upstream {
                if counts.remove(&u.digest).is_some() {
                    upstream_check(ctx, &mut r, u, issued, path);
                }
            }
            path.pop();
        }
    }

    // 6. Supersession.
    supersession_check(&mut r, document, prov.as_ref(), &ctx.index);

    // 7. Numbers.
    numbers_check(&mut r, subject, document);

    // 8. Validity period and status at `at`.
    let mut standing = Vec::new();
    validity_check(&mut r, document, at, &mut standing);
    // The bundle's register excerpt is the top-level issuer's; suppliers keep their own.
    let excerpt = if depth == 0 { ctx.excerpt } else { None };
    status_check(&mut r, document, digest, &ctx.index, excerpt, depth, at, &mut standing);
    standing.sort_by_key(|s| std::cmp::Reverse(s.0));
    match standing.first() {
        Some((s, _)) => r.status.standing = *s,
        None => r.status.standing = Standing::Current,
    }
    r.status.reasons = standing.into_iter().map(|(_, why)| why).collect();
    r.verdict = verdict_of(&r.checks, &r.status);
    r
}

/// Whether two values are one JSON document (canonical bytes equal: `10` and `10.0` are).
fn same_json(a: Option<&Value>, b: Option<&Value>) -> bool {
    let bytes = |v: Option<&Value>| v.map(pcf_base::canonical::canonicalize).transpose().ok();
    match (bytes(a), bytes(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

fn verdict_of(checks: &[Check], status: &Status) -> Verdict {
    if checks.iter().any(|c| c.status == CheckStatus::Fail) {
        return Verdict::Invalid;
    }
    match status.standing {
        Standing::Current => Verdict::Valid,
        Standing::Unknown => Verdict::StatusUnknown,
        _ => Verdict::NotCurrent,
    }
}

fn upstream_check(
    ctx: &mut Context<'_>,
    r: &mut Report,
    u: &super::UpstreamRef,
    issued: Instant,
    path: &mut Vec<Digest>,
) {
    use CheckStatus::*;
    let name = format!("upstream {}", u.pf_id.as_deref().unwrap_or(&u.digest.to_string()));
    if !u.verified {
        let why = u.unverified_reason.as_deref().unwrap_or("no reason given");
        r.add(&name, Fail, format!("recorded as unverified when issued: {why}"));
        return;
    }
    if let Some(i) = path.iter().position(|d| d == &u.digest) {
        let cycle: Vec<String> = path[i..].iter().map(Digest::to_string).collect();
        r.add(
            &name,
            Fail,
            format!(
                "the chain of suppliers' declarations loops: {} -> {}",
                cycle.join(" -> "),
                u.digest
            ),
        );
        return;
    }
    // `path` holds this declaration and those above it: `u` is `path.len()` levels down.
    if path.len() > MAX_DEPTH {
        r.add(
            &name,
            Fail,
            format!("the chain of suppliers' declarations is deeper than {MAX_DEPTH}"),
        );
        return;
    }
    let Some(doc) = ctx.index.find(&u.digest) else {
        r.add(
            &name,
            Fail,
            format!("{} is not in the bundle; ask the issuer for a bundle (pcf bundle)", u.digest),
        );
        return;
    };
    let key = (u.digest, issued);
    let sub = match ctx.memo.get(&key) {
        Some(sub) => sub.clone(),
        None => {
            let sub = verify_node(ctx, doc, issued, path);
            ctx.memo.insert(key, sub.clone());
            sub
        }
    };
    let failed = sub.failure_summary(&["issuer"]);
    let issuer = sub.issuer.as_deref().unwrap_or("?");
    let trusted = sub.checks.iter().any(|c| c.name == "issuer" && c.status == Pass);
    let recorded = u.issuer.as_deref();
    if !failed.is_empty() {
        r.add(&name, Fail, failed);
    } else if recorded.is_some_and(|i| i != issuer) {
        r.add(
            &name,
            Fail,
            format!("recorded as issued by {}, but issued by {issuer}", recorded.unwrap_or("?")),
        );
    } else if matches!(
        sub.status.standing,
        Standing::NotYetValid | Standing::Expired | Standing::Deprecated | Standing::Superseded
    ) {
        r.add(
            &name,
            Fail,
            format!("was not current when consumed at {issued}: {}", sub.status.reasons.join("; ")),
        );
    } else if !trusted {
        r.add(&name, Warn, format!("genuine, but its issuer {issuer} is not trusted"));
    } else {
        r.add(
            &name,
            Pass,
            format!("genuine, issued by trusted {issuer}, valid when consumed at {issued}"),
        );
    }
}

/// Checks the validity windows at `at`; pushes a standing for each window `at` is outside.
fn validity_check(
    r: &mut Report,
    doc: &Value,
    at: Instant,
    standing: &mut Vec<(Standing, String)>,
) {
    use CheckStatus::*;
    let subject = &doc["credentialSubject"];
    let proof = &doc["proof"];
    let mut problems = Vec::new();
    let mut time = |what: &str, v: &Value, required: bool| -> Option<Instant> {
        match v {
            Value::Null if !required => None,
            Value::String(s) => match Instant::parse(s) {
                Ok(t) => Some(t),
                Err(e) => {
                    problems.push(format!("{what} {e}"));
                    None
                }
            },
            other => {
                problems.push(format!("{what} is {other}, not an RFC 3339 date-time"));
                None
            }
        }
    };
    let valid_from = time("validFrom", &doc["validFrom"], true);
    let valid_until = time("validUntil", &doc["validUntil"], false);
    let created = time("credentialSubject.created", &subject["created"], true);
    let period_start =
        time("credentialSubject.validityPeriodStart", &subject["validityPeriodStart"], false);
    let period_end =
        time("credentialSubject.validityPeriodEnd", &subject["validityPeriodEnd"], false);
    let reference_end = time(
        "credentialSubject.pcf.referencePeriodEnd",
        &subject["pcf"]["referencePeriodEnd"],
        true,
    );
    let proof_created = time("proof.created", &proof["created"], false);
    let proof_expires = time("proof.expires", &proof["expires"], false);
    if let (Some(a), Some(b)) = (valid_from, valid_until)
        && b <= a
    {
        problems.push(format!("validUntil {b} is not after validFrom {a}"));
    }
    if !problems.is_empty() {
        r.add("validity", Fail, problems.join("; "));
        return;
    }
    let mut not_yet = |what: &str, t: Option<Instant>| {
        if let Some(t) = t
            && t > at
        {
            standing.push((Standing::NotYetValid, format!("{what} {t} is after {at}")));
        }
    };
    not_yet("validFrom", valid_from);
    not_yet("created", created);
    not_yet("validityPeriodStart", period_start);
    not_yet("proof created", proof_created);
    // PACT: without a validity period end, a footprint is valid for three years after the
    // end of its reference period.
    let (pact_end, pact_what) = match (period_end, reference_end) {
        (Some(e), _) => (Some(e), "validityPeriodEnd".to_string()),
        (None, Some(r)) => (
            Some(r.plus_years(3)),
            format!("the PACT default validity end (referencePeriodEnd {r} + 3 years)"),
        ),
        (None, None) => (None, String::new()),
    };
    for (what, end) in [
        ("validUntil".to_string(), valid_until),
        (pact_what, pact_end),
        ("proof expires".to_string(), proof_expires),
    ] {
        if let Some(end) = end
            && end <= at
        {
            standing.push((Standing::Expired, format!("{what} {end} is not after {at}")));
        }
    }
    let window = format!(
        "valid from {} until {}",
        valid_from.map_or_else(|| "?".into(), |t| t.to_string()),
        [valid_until, pact_end, proof_expires]
            .into_iter()
            .flatten()
            .min()
            .map_or_else(|| "(no end)".into(), |t| t.to_string())
    );
    if standing.is_empty() {
        r.add("validity", Pass, window);
    } else {
        let why: Vec<&str> = standing.iter().map(|(_, w)| w.as_str()).collect();
        r.add("validity", Warn, format!("{window}: {}", why.join("; ")));
    }
}

/// Reads every piece of status evidence: the status the issuer signed, a later declaration of
/// the issuer in the bundle, and the register excerpt.
// Each argument is one piece of the evidence judged here; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
fn status_check(
    r: &mut Report,
    doc: &Value,
    digest: Option<Digest>,
    index: &Index<'_>,
    excerpt: Option<&RegisterExcerpt>,
    depth: usize,
    at: Instant,
    standing: &mut Vec<(Standing, String)>,
) {
    use CheckStatus::*;
    let mut evidence = Vec::new();
    match doc["credentialSubject"]["status"].as_str() {
        Some("Active") => {}
        Some("Deprecated") => {
            standing
                .push((Standing::Deprecated, "its issuer signed it with status Deprecated".into()));
            evidence.push("signed status Deprecated".to_string());
        }
        other => {
            r.add(
                "status",
                Fail,
                format!("credentialSubject.status is {other:?}; PACT allows Active or Deprecated"),
            );
            return;
        }
    }
    let issuer = super::issuer_of(doc);
    let Some(digest) = digest else { return };
    for newer in index.successors.get(&digest).into_iter().flatten() {
        let genuine = proof::verify(newer, &|_| None)
            .is_ok_and(|v| Some(super::did_of(&v.verification_method)) == issuer);
        let newer_from = newer["validFrom"].as_str().and_then(|t| Instant::parse(t).ok());
        if genuine && super::issuer_of(newer) == issuer && newer_from.is_some_and(|t| t <= at) {
            let id = newer["credentialSubject"]["id"].as_str().unwrap_or("?").to_string();
            standing
                .push((Standing::Superseded, format!("superseded by {id}, carried in the bundle")));
            r.status.superseded_by.get_or_insert(id);
            evidence.push("a later declaration in the bundle".to_string());
        }
    }
    match excerpt {
        None if depth > 0 => {}
        None => {
            if standing.iter().all(|(s, _)| *s == Standing::NotYetValid || *s == Standing::Expired)
            {
                standing.push((
                    Standing::Unknown,
                    "the bundle carries no register excerpt: nothing shows whether a later declaration replaced it".into(),
                ));
            }
            r.add("register", Skip, "no register excerpt given: the status is unknown");
        }
        Some(ex) => match crate::register::verify_excerpt(ex) {
            Err(e) => r.add("register", Fail, e.to_string()),
            Ok(rep) if !rep.statuses.contains_key(&digest) => {
                r.add("register", Fail, "the excerpt does not record this declaration")
            }
            Ok(rep) => excerpt_standing(r, ex, &rep.head, digest, at, standing),
        },
    }
}

/// The standing of `digest` at `at` from a verified excerpt (contiguous up to its head).
fn excerpt_standing(
    r: &mut Report,
    ex: &RegisterExcerpt,
    head: &crate::register::Head,
    digest: Digest,
    at: Instant,
    standing: &mut Vec<(Standing, String)>,
) {
    use CheckStatus::*;
    let head_time = ex.entries.last().map(|e| e.time.to_string()).unwrap_or_default();
    let caveat = "the excerpt is the issuer's unsigned record, complete up to its head; a later entry \
                  would not be in it";
    let mut registered = None;
    let mut replaced = None;
    for e in &ex.entries {
        let Ok(t) = Instant::parse(e.time.as_str()) else { continue };
        match &e.kind {
            EntryKind::Declared { declaration, .. } if *declaration == digest => {
                registered = Some((e.seq, t))
            }
            EntryKind::Declared { supersedes: Some(old), pf_id, .. }
                if *old == digest && t <= at =>
            {
                replaced.get_or_insert((Standing::Superseded, e.seq, t, Some(pf_id.clone())));
            }
            EntryKind::StatusChanged { declaration, .. } if *declaration == digest && t <= at => {
                replaced.get_or_insert((Standing::Deprecated, e.seq, t, None));
            }
            _ => {}
        }
    }
    let Some((seq, registered_at)) = registered else {
        r.add("register", Fail, "the excerpt does not record this declaration");
        return;
    };
    if let Some((s, at_seq, t, by)) = replaced {
        let what = match &by {
            Some(id) => format!("superseded by {id} (register entry {at_seq}, {t})"),
            None => format!("deprecated by its issuer (register entry {at_seq}, {t})"),
        };
        if let Some(id) = by {
            r.status.superseded_by.get_or_insert(id);
        }
        standing.push((s, what.clone()));
        r.add("register", Warn, format!("registered at entry {seq}; {what}"));
    } else if registered_at > at {
        standing.push((
            Standing::NotYetValid,
            format!("registered only at {registered_at}, after {at}"),
        ));
        r.add(
            "register",
            Warn,
            format!("registered at entry {seq} on {registered_at}, after {at}"),
        );
    } else {
        r.add(
            "register",
            Pass,
            format!("registered at entry {seq} and active as of the register head {} ({head_time}); {caveat}", head.seq),
        );
    }
}

fn shape(doc: &Value) -> Vec<String> {
    let mut p = Vec::new();
    if doc["@context"].get(0).and_then(Value::as_str) != Some(VC_CONTEXT) {
        p.push(format!("@context must begin with {VC_CONTEXT}"));
    }
    let types: Vec<&str> = doc["type"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !types.contains(&"VerifiableCredential") || !types.contains(&CREDENTIAL_TYPE) {
        p.push(format!("type must include VerifiableCredential and {CREDENTIAL_TYPE}"));
    }
    if super::issuer_of(doc).is_none() {
        p.push("issuer is missing".into());
    }
    if !doc["validFrom"].is_string() {
        p.push("validFrom is missing".into());
    }
    static VALIDATOR: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    if let Some(v) = VALIDATOR.get_or_init(|| jsonschema::validator_for(&schema()).ok()) {
        for e in v.iter_errors(&doc["credentialSubject"]).take(5) {
            p.push(format!("credentialSubject{}: {e}", e.instance_path().as_str()));
        }
    }
    p
}

fn methodology_check(
    r: &mut Report,
    doc: &Value,
    p: &Provenance,
    index: &Index<'_>,
    options: &VerifyOptions,
) {
    use CheckStatus::*;
    let m = &p.methodology;
    let related_ok = doc["relatedResource"].as_array().is_some_and(|a| {
        a.iter().any(|x| {
            x["id"] == format!("urn:pcf:methodology:{}:{}", m.id, m.version).as_str()
                && x["digestSRI"] == sri(&m.digest).as_str()
        })
    });
    if !related_ok {
        r.add(
            "methodology",
            Fail,
            "relatedResource does not pin the methodology digest given in the provenance extension",
        );
        return;
    }
    let label = format!("{} {} ({})", m.id, m.version, m.digest);
    if shipped_digest(Shipped::Methodology, &m.id) == Some(m.digest) {
        r.add("methodology", Pass, format!("{label}: shipped with pcf"));
        return;
    }
    if index.has_methodology(&m.digest) {
        r.add("methodology", Pass, format!("{label}: in the bundle, digest recomputed"));
        return;
    }
    if options.danger_accept_unknown_methodology {
        r.add(
            "methodology",
            Warn,
            format!("{label}: unknown, accepted because of --danger-accept-unknown-methodology"),
        );
    } else {
        r.add(
            "methodology",
            Fail,
            format!(
                "{label}: unknown (not shipped, not in the bundle); its rules cannot be checked"
            ),
        );
    }
}

fn datasets_check(r: &mut Report, doc: &Value, p: &Provenance) {
    use CheckStatus::*;
    if p.datasets.is_empty() {
        return;
    }
    let mut problems = Vec::new();
    let mut known = Vec::new();
    for ds in &p.datasets {
        let label = format!("{} {} ({})", ds.id, ds.version, ds.digest);
        let pinned = doc["relatedResource"].as_array().is_some_and(|a| {
            a.iter().any(|x| {
                x["id"] == format!("urn:pcf:dataset:{}:{}", ds.id, ds.version).as_str()
                    && x["digestSRI"] == sri(&ds.digest).as_str()
            })
        });
        let shipped = shipped_digest(Shipped::Dataset, &ds.id) == Some(ds.digest);
        if !pinned {
            problems.push(format!("{label}: not pinned in relatedResource"));
        } else if !shipped {
            problems.push(format!("{label}: unknown (not shipped with this pcf)"));
        } else {
            known.push(label);
        }
    }
    if problems.is_empty() {
        r.add("datasets", Pass, format!("shipped: {}", known.join(", ")));
    } else {
        r.add("datasets", Fail, problems.join("; "));
    }
}

/// What pcf ships, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Shipped {
    Methodology,
    Dataset,
}

/// The digest of the shipped methodology or dataset `id`, loaded once per process. Loading one
/// parses its TOML and validates it against its schema: 0.25 to 0.5 ms each in a release build,
/// most of a verification's time before this cache (the proof takes 0.07 ms). Only ids pcf
/// ships are remembered, so documents naming made-up ids cannot grow the cache.
fn shipped_digest(kind: Shipped, id: &str) -> Option<Digest> {
    static CACHE: Mutex<BTreeMap<(Shipped, String), Digest>> = Mutex::new(BTreeMap::new());
    let key = (kind, id.to_string());
    if let Some(d) = CACHE.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return Some(*d);
    }
    let digest = match kind {
        Shipped::Methodology => Methodology::shipped(id).ok().map(|m| m.digest()),
        Shipped::Dataset => pcf_footprint::dataset::Dataset::shipped(id).ok().map(|d| d.digest()),
    }?;
    CACHE.lock().unwrap_or_else(PoisonError::into_inner).insert(key, digest);
    Some(digest)
}

fn supersession_check(r: &mut Report, doc: &Value, prov: Option<&Provenance>, index: &Index<'_>) {
    use CheckStatus::*;
    let subject = &doc["credentialSubject"];
    let preceding: Vec<&str> = subject["precedingPfIds"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(old_digest) = prov.and_then(|p| p.supersedes) else {
        if preceding.is_empty() {
            r.add("supersession", Pass, "first version");
        } else {
            r.add(
                "supersession",
                Fail,
                "precedingPfIds is set but no superseded declaration is pinned",
            );
        }
        return;
    };
    let Some(old) = index.find(&old_digest) else {
        r.add("supersession", Warn, format!("supersedes {old_digest}, which is not in the bundle"));
        return;
    };
    let old_subject = &old["credentialSubject"];
    let old_id = old_subject["id"].as_str().unwrap_or_default();
    let mut problems = Vec::new();
    if proof::verify(old, &|_| None).is_err() {
        problems.push("the superseded declaration's proof does not verify".to_string());
    }
    if super::issuer_of(old) != super::issuer_of(doc) {
        problems.push("the superseded declaration has another issuer".into());
    }
    if !preceding.contains(&old_id) {
        problems.push(format!("precedingPfIds does not list {old_id}"));
    }
    if old_subject["productIds"] != subject["productIds"] {
        problems.push("the product ids differ".into());
    }
    if old_subject["created"].as_str() > subject["created"].as_str() {
        problems.push("the superseded declaration is newer".into());
    }
    if problems.is_empty() {
        r.add("supersession", Pass, format!("supersedes {old_id} ({old_digest})"));
    } else {
        r.add("supersession", Fail, problems.join("; "));
    }
}

fn numbers_check(r: &mut Report, subject: &Value, doc: &Value) {
    use CheckStatus::*;
    let pcf = &subject["pcf"];
    let num = |f: &str| pcf[f].as_str().and_then(|s| Decimal(s.into()).value());
    let mut problems = Vec::new();
    // Every figure a decimal within f64's range: a 400-digit number would be infinite.
    const DECIMALS: [&str; 12] = [
        "declaredUnitAmount",
        "productMassPerDeclaredUnit",
        "pcfExcludingBiogenicUptake",
        "pcfIncludingBiogenicUptake",
        "fossilGhgEmissions",
        "fossilCarbonContent",
        "biogenicCarbonContent",
        "biogenicNonCO2Emissions",
        "biogenicCO2Uptake",
        "landUseChangeGhgEmissions",
        "exemptedEmissionsPercent",
        "primaryDataShare",
    ];
    let dqi = ["technologicalDQR", "temporalDQR", "geographicalDQR"];
    let figures =
        DECIMALS.iter().map(|f| (*f, &pcf[*f])).chain(dqi.iter().map(|f| (*f, &pcf["dqi"][*f])));
    for (field, v) in figures {
        if let Some(text) = v.as_str()
            && Decimal(text.into()).value().is_none()
        {
            let shown: String = text.chars().take(24).collect();
            let more = if text.len() > 24 {
                format!("... ({} characters)", text.len())
            } else {
                String::new()
            };
            problems.push(format!("{field} {shown:?}{more} is not a finite decimal"));
        }
    }
    // PACT: the totals of emissions are not negative; only the uptake (and so the total
    // including it) may be.
    for f in [
        "pcfExcludingBiogenicUptake",
        "landUseChangeGhgEmissions",
        "biogenicNonCO2Emissions",
        "fossilCarbonContent",
        "biogenicCarbonContent",
    ] {
        if let Some(x) = num(f)
            && x < 0.0
        {
            problems.push(format!("{f} {x} is negative"));
        }
    }
    let excl = num("pcfExcludingBiogenicUptake");
    let incl = num("pcfIncludingBiogenicUptake");
    let uptake = num("biogenicCO2Uptake").unwrap_or(0.0);
    match (excl, incl) {
        (Some(e), Some(i)) => {
            let tol = 1e-6 * e.abs().max(1.0);
            if (i - (e + uptake)).abs() > tol {
                problems.push(format!("including uptake {i} != excluding {e} + uptake {uptake}"));
            }
        }
        _ => problems.push("the footprint figures are not decimals".into()),
    }
    if uptake > 0.0 {
        problems.push(format!(
            "biogenicCO2Uptake {uptake} is positive (a removal is written as a negative number)"
        ));
    }
    if let Some(f) = num("fossilGhgEmissions")
        && f < 0.0
    {
        problems.push(format!("fossilGhgEmissions {f} is negative"));
    }
    if num("declaredUnitAmount").is_none_or(|a| a <= 0.0) {
        problems.push("declaredUnitAmount must be positive".into());
    }
    if num("productMassPerDeclaredUnit").is_none_or(|a| a < 0.0) {
        problems.push("productMassPerDeclaredUnit must be a non-negative decimal".into());
    }
    if let Some(x) = num("exemptedEmissionsPercent")
        && !(0.0..=100.0).contains(&x)
    {
        problems.push(format!("exemptedEmissionsPercent {x} is not a percentage"));
    }
    if let Some(x) = num("primaryDataShare")
        && !(0.0..=100.0).contains(&x)
    {
        problems.push(format!("primaryDataShare {x} is not a percentage"));
    }
    for f in ["technologicalDQR", "temporalDQR", "geographicalDQR"] {
        if let Some(x) = pcf["dqi"][f].as_str().and_then(|s| Decimal(s.into()).value())
            && !(1.0..=5.0).contains(&x)
        {
            problems.push(format!("{f} {x} is outside 1 to 5"));
        }
    }
    if pcf["referencePeriodStart"].as_str() >= pcf["referencePeriodEnd"].as_str() {
        problems.push("the reference period does not end after it starts".into());
    }
    if let (Some(cbam), Some(e)) = (super::extension(doc, CBAM_SCHEMA), excl) {
        let d = cbam["directEmbeddedEmissions"].as_str().and_then(|s| Decimal(s.into()).value());
        let i = cbam["indirectEmbeddedEmissions"].as_str().and_then(|s| Decimal(s.into()).value());
        match (d, i) {
            (Some(d), Some(i)) if (d + i - e).abs() <= 1e-6 * e.abs().max(1.0) => {}
            _ => problems
                .push("direct + indirect embedded emissions do not add up to the footprint".into()),
        }
    }
    if problems.is_empty() {
        r.add(
            "numbers",
            Pass,
            "including = excluding + uptake; signs, units, percentages and ratings in range",
        );
    } else {
        r.add("numbers", Fail, problems.join("; "));
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let product = self.product.as_deref().unwrap_or("(unknown product)");
        writeln!(f, "{}: {product}", self.verdict.label())?;
        let standing = match self.status.standing {
            Standing::Current => "current",
            Standing::Unknown => "unknown",
            Standing::NotYetValid => "not yet valid",
            Standing::Expired => "expired",
            Standing::Deprecated => "deprecated",
            Standing::Superseded => "superseded",
        };
        match self.verdict {
            Verdict::Invalid => writeln!(f, "  status     not judged: a check failed")?,
            _ if self.status.reasons.is_empty() => {
                writeln!(f, "  status     {standing} (judged at {})", self.status.at)?
            }
            _ => writeln!(
                f,
                "  status     {standing} (judged at {}): {}",
                self.status.at,
                self.status.reasons.join("; ")
            )?,
        }
        if let Some(by) = &self.status.superseded_by {
            writeln!(f, "  replaced   by {by}")?;
        }
        if let Some(p) = &self.pcf {
            writeln!(f, "  footprint  {p}")?;
        }
        writeln!(f, "  issuer     {}", self.issuer.as_deref().unwrap_or("(none)"))?;
        writeln!(f, "  id         {}", self.pf_id.as_deref().unwrap_or("(none)"))?;
        writeln!(f, "  digest     {}", self.digest.as_deref().unwrap_or("(none)"))?;
        let width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &self.checks {
            let mark = match c.status {
                CheckStatus::Pass => "pass",
                CheckStatus::Warn => "WARN",
                CheckStatus::Fail => "FAIL",
                CheckStatus::Skip => "skip",
            };
            writeln!(f, "  [{mark}] {:width$}  {}", c.name, c.detail)?;
        }
        Ok(())
    }
}
