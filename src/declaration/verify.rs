//! Offline verification of a declaration: every check a buyer needs, each reported with its
//! result, and a verdict that is valid only when no check failed.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bundle::Bundle;
use super::pact::{Decimal, ProductFootprint};
use super::{CBAM_SCHEMA, CREDENTIAL_TYPE, Provenance, VC_CONTEXT, provenance, sri};
use crate::digest::Digest;
use crate::methodology::Methodology;
use crate::proof;

/// How to verify.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// DIDs of issuers the buyer trusts.
    pub trust: Vec<String>,
    /// Accept a methodology whose digest is neither shipped nor in the bundle.
    pub danger_accept_unknown_methodology: bool,
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
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every check passed (or warned).
    Valid,
    /// At least one check failed.
    Invalid,
}

/// A verification report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
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
}

/// The JSON Schema of the ProductFootprint pcf declares.
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(ProductFootprint)).unwrap_or(Value::Null)
}

/// Verifies `document` (already parsed strictly) with what `bundle` carries.
pub fn verify(document: &Value, bundle: Option<&Bundle>, options: &VerifyOptions) -> Report {
    let mut seen = BTreeSet::new();
    verify_at(document, bundle, options, 0, &mut seen)
}

const MAX_DEPTH: usize = 16;

fn verify_at(
    document: &Value,
    bundle: Option<&Bundle>,
    options: &VerifyOptions,
    depth: usize,
    seen: &mut BTreeSet<Digest>,
) -> Report {
    use CheckStatus::*;
    let digest = crate::canonical::digest(document).ok();
    if let Some(d) = digest {
        seen.insert(d);
    }
    let subject = &document["credentialSubject"];
    let mut r = Report {
        verdict: Verdict::Invalid,
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
        Ok(v) if v.document.get("@context") != document.get("@context") => r.add(
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
    if options.trust.iter().any(|t| t == &issuer) {
        r.add("issuer", Pass, format!("{issuer} is trusted"));
    } else if options.trust.is_empty() {
        r.add("issuer", Fail, format!("{issuer} is not trusted: no --trust given (compare this DID with the one the issuer publishes, then pass --trust {issuer})"));
    } else {
        r.add("issuer", Fail, format!("{issuer} is not among the trusted issuers"));
    }

    // 4. Methodology.
    match &prov {
        None => {
            r.add("methodology", Fail, "no provenance extension: the methodology is not pinned")
        }
        Some(p) => methodology_check(&mut r, document, p, bundle, options),
    }

    // 4b. Datasets.
    if let Some(p) = &prov {
        datasets_check(&mut r, document, p);
    }

    // 5. Upstream.
    match &prov {
        None => r.add("upstream", Skip, "no provenance extension"),
        Some(p) if p.upstream.is_empty() => {
            r.add("upstream", Pass, "no suppliers' declarations consumed")
        }
        Some(p) => {
            for u in &p.upstream {
                let name =
                    format!("upstream {}", u.pf_id.as_deref().unwrap_or(&u.digest.to_string()));
                if !u.verified {
                    r.add(
                        &name,
                        Fail,
                        format!(
                            "recorded as unverified when issued: {}",
                            u.unverified_reason.as_deref().unwrap_or("no reason given")
                        ),
                    );
                    continue;
                }
                if depth >= MAX_DEPTH || seen.contains(&u.digest) {
                    r.add(&name, Fail, "the chain of upstream declarations loops or is too deep");
                    continue;
                }
                let found = bundle.and_then(|b| b.find(&u.digest));
                match found {
                    None => r.add(
                        &name,
                        Fail,
                        format!(
                            "{} is not in the bundle; ask the issuer for a bundle (pcf bundle)",
                            u.digest
                        ),
                    ),
                    Some(doc) => {
                        let sub = verify_at(doc, bundle, options, depth + 1, seen);
                        let failed: Vec<&Check> = sub
                            .checks
                            .iter()
                            .filter(|c| c.status == Fail && c.name != "issuer")
                            .collect();
                        let trusted =
                            sub.checks.iter().any(|c| c.name == "issuer" && c.status == Pass);
                        if !failed.is_empty() {
                            let why: Vec<String> = failed
                                .iter()
                                .map(|c| format!("{}: {}", c.name, c.detail))
                                .collect();
                            r.add(&name, Fail, why.join("; "));
                        } else if !trusted {
                            r.add(
                                &name,
                                Warn,
                                format!(
                                    "valid, but its issuer {} is not trusted",
                                    sub.issuer.as_deref().unwrap_or("?")
                                ),
                            );
                        } else {
                            r.add(
                                &name,
                                Pass,
                                format!(
                                    "valid, issued by trusted {}",
                                    sub.issuer.as_deref().unwrap_or("?")
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    // 6. Supersession.
    supersession_check(&mut r, document, prov.as_ref(), bundle);

    // 7. Register.
    // The bundle's register excerpt is the top-level issuer's; suppliers keep their own.
    let excerpt = if depth == 0 { bundle.and_then(|b| b.register_excerpt.as_ref()) } else { None };
    match excerpt {
        None if depth > 0 => r.add("register", Skip, "a supplier's register is the supplier's own"),
        None => r.add("register", Skip, "no register excerpt given"),
        Some(ex) => match crate::register::verify_excerpt(ex) {
            Err(e) => r.add("register", Fail, e.to_string()),
            Ok(rep) => {
                let status = digest.and_then(|d| rep.statuses.get(&d).copied());
                match status {
                    Some(crate::register::Status::Active) => r.add(
                        "register",
                        Pass,
                        format!("registered and active (register head {})", rep.head.seq),
                    ),
                    Some(crate::register::Status::Deprecated) => {
                        r.add("register", Warn, "registered, but deprecated by a later declaration")
                    }
                    None => r.add("register", Fail, "the excerpt does not record this declaration"),
                }
            }
        },
    }

    // 8. Numbers.
    numbers_check(&mut r, subject, document);

    r.verdict =
        if r.checks.iter().any(|c| c.status == Fail) { Verdict::Invalid } else { Verdict::Valid };
    r
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
    bundle: Option<&Bundle>,
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
    if let Some(b) = bundle {
        for text in &b.methodologies {
            if let Ok(loaded) = text.load()
                && loaded.digest() == m.digest
            {
                r.add("methodology", Pass, format!("{label}: in the bundle, digest recomputed"));
                return;
            }
        }
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
        Shipped::Dataset => crate::dataset::Dataset::shipped(id).ok().map(|d| d.digest()),
    }?;
    CACHE.lock().unwrap_or_else(PoisonError::into_inner).insert(key, digest);
    Some(digest)
}

fn supersession_check(
    r: &mut Report,
    doc: &Value,
    prov: Option<&Provenance>,
    bundle: Option<&Bundle>,
) {
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
    let Some(old) = bundle.and_then(|b| b.find(&old_digest)) else {
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
        let verdict = match self.verdict {
            Verdict::Valid => "VALID",
            Verdict::Invalid => "INVALID",
        };
        writeln!(f, "{verdict}: {}", self.product.as_deref().unwrap_or("(unknown product)"))?;
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
