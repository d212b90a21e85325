//! The checks of what a declaration says: its shape against the schema, the methodology and
//! datasets it pins, what it supersedes, and its numbers.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use serde_json::Value;

use super::index::Index;
use super::{CheckStatus, Report, VerifyOptions, schema};
use crate::declaration::pact::Decimal;
use crate::declaration::{
    CBAM_SCHEMA, CREDENTIAL_TYPE, Provenance, VC_CONTEXT, extension, issuer_of, sri,
};
use crate::proof;
use pcf_base::digest::Digest;
use pcf_footprint::credential;
use pcf_footprint::dataset::Dataset;
use pcf_footprint::methodology::Methodology;

pub(super) fn shape(doc: &Value) -> Vec<String> {
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
    if issuer_of(doc).is_none() {
        p.push("issuer is missing".into());
    }
    if !doc["validFrom"].is_string() {
        p.push("validFrom is missing".into());
    }
    if credential::uses_pcf_context(doc) {
        linked_data_shape(doc, &mut p);
    }
    let at = credential::footprint_path(doc);
    let Some(footprint) = credential::pact_footprint(doc) else {
        p.push(format!("{at} is missing or not an object"));
        return p;
    };
    p.extend(footprint_schema_problems(footprint, at));
    p
}

/// Up to five ways `footprint` breaks the PACT v3 ProductFootprint schema, each at its path
/// after `at`.
pub(super) fn footprint_schema_problems(footprint: &Value, at: &str) -> Vec<String> {
    static VALIDATOR: OnceLock<Option<jsonschema::Validator>> = OnceLock::new();
    let Some(v) = VALIDATOR.get_or_init(|| jsonschema::validator_for(&schema()).ok()) else {
        return vec!["the ProductFootprint schema does not compile".into()];
    };
    v.iter_errors(footprint)
        .take(5)
        .map(|e| format!("{at}{}: {e}", e.instance_path().as_str()))
        .collect()
}

/// What format 2 adds: exactly the two contexts, pcf's pinned at the digest of the version
/// this build knows (a credential signed against another document under the same URL is not
/// one pcf can read), and a subject that names the footprint by its `urn:uuid:` and holds
/// nothing but it.
fn linked_data_shape(doc: &Value, p: &mut Vec<String>) {
    if doc["@context"] != serde_json::json!(credential::CONTEXTS) {
        p.push(format!("@context must be {}", serde_json::json!(credential::CONTEXTS)));
    }
    let pinned = crate::declaration::context_resource();
    let pins: Vec<&Value> = doc["relatedResource"]
        .as_array()
        .map(|a| a.iter().filter(|r| r["id"] == pinned["id"]).collect())
        .unwrap_or_default();
    if pins != [&pinned] {
        p.push(format!(
            "relatedResource must pin {} once, at {} (the context this version of pcf publishes)",
            credential::CONTEXT_V1_URL,
            pinned["digestSRI"].as_str().unwrap_or_default()
        ));
    }
    let subject = &doc["credentialSubject"];
    let keys: Vec<&str> =
        subject.as_object().map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
    if keys.iter().any(|k| !["id", "type", "productFootprint"].contains(k)) {
        p.push(format!(
            "credentialSubject holds {keys:?}; only id, type and productFootprint are defined"
        ));
    }
    if subject["type"] != credential::SUBJECT_TYPE {
        p.push(format!("credentialSubject.type must be {}", credential::SUBJECT_TYPE));
    }
    let footprint_id = credential::pact_footprint(doc).and_then(|f| f["id"].as_str());
    let expected = footprint_id.map(|id| format!("urn:uuid:{id}"));
    if subject["id"].as_str() != expected.as_deref() {
        p.push(format!(
            "credentialSubject.id is {}, but the footprint's id is {}: the subject must be \
             urn:uuid:<footprint id>",
            subject["id"],
            footprint_id.unwrap_or("(none)")
        ));
    }
}

pub(super) fn methodology_check(
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
            x["id"] == credential::methodology_urn(&m.id, &m.version).as_str()
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
    if let Some(file) = shipped_file(Shipped::Methodology, &m.id, m.digest) {
        match file.status(&m.version) {
            Ok(status) => r.add("methodology", Pass, format!("{label}: {status}")),
            Err(problem) => r.add("methodology", Fail, format!("{label}: {problem}")),
        }
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

pub(super) fn datasets_check(r: &mut Report, doc: &Value, p: &Provenance) {
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
        let shipped = shipped_file(Shipped::Dataset, &ds.id, ds.digest);
        if !pinned {
            problems.push(format!("{label}: not pinned in relatedResource"));
        } else if let Some(file) = shipped {
            match (file.status(&ds.version), &file.live) {
                (Err(problem), _) => problems.push(format!("{label}: {problem}")),
                (Ok(_), None) => known.push(label),
                (Ok(_), Some(live)) => known.push(format!("{label} archived (live: {live})")),
            }
        } else {
            problems.push(format!("{label}: unknown (not shipped with this pcf)"));
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

/// A methodology or dataset file shipped with pcf, as a pinned digest found it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ShippedFile {
    /// Its version (the digest covers it).
    version: String,
    /// The live version of its id when this file is an archived one; `None` when it is live.
    live: Option<String>,
}

impl ShippedFile {
    /// What a check says of it, given the version the declaration names: an error if that is
    /// not the file's own version.
    fn status(&self, pinned_version: &str) -> Result<String, String> {
        if pinned_version != self.version {
            return Err(format!(
                "the file shipped with pcf with this digest is version {}, not {pinned_version}",
                self.version
            ));
        }
        Ok(match &self.live {
            None => "shipped with pcf".into(),
            Some(live) => {
                format!("shipped with pcf, archived version {} (live: {live})", self.version)
            }
        })
    }
}

/// The file shipped with pcf (live or archived) of methodology or dataset `id` whose digest is
/// `digest`, remembered once found. Loading one parses its TOML and validates it against its
/// schema: 0.25 to 0.5 ms each in a release build, most of a verification's time before this
/// cache (the proof takes 0.07 ms). Only files pcf ships are remembered, so documents naming
/// made-up ids or digests cannot grow the cache; the price is that a digest no shipped file has
/// (a methodology carried in a bundle, say) parses the files of its id again each time.
fn shipped_file(kind: Shipped, id: &str, digest: Digest) -> Option<ShippedFile> {
    static CACHE: Mutex<BTreeMap<(Shipped, String, Digest), ShippedFile>> =
        Mutex::new(BTreeMap::new());
    let key = (kind, id.to_string(), digest);
    if let Some(f) = CACHE.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return Some(f.clone());
    }
    // The live version is named only for an archived file (the tests ship none without one).
    let live_version = |v: Option<&str>| v.unwrap_or("none").to_string();
    let file = match kind {
        Shipped::Methodology => {
            let m = Methodology::shipped_with_digest(id, &digest)?;
            let live = m.is_archived().then(|| {
                live_version(Methodology::shipped(id).ok().as_ref().map(Methodology::version))
            });
            ShippedFile { version: m.version().into(), live }
        }
        Shipped::Dataset => {
            let d = Dataset::shipped_with_digest(id, &digest)?;
            let live = d
                .is_archived()
                .then(|| live_version(Dataset::shipped(id).ok().as_ref().map(Dataset::version)));
            ShippedFile { version: d.version().into(), live }
        }
    };
    CACHE.lock().unwrap_or_else(PoisonError::into_inner).insert(key, file.clone());
    Some(file)
}

pub(super) fn supersession_check(
    r: &mut Report,
    doc: &Value,
    prov: Option<&Provenance>,
    index: &Index<'_>,
    options: &VerifyOptions,
) {
    use CheckStatus::*;
    let subject = credential::pact_footprint(doc).unwrap_or(&Value::Null);
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
    let old_subject = credential::pact_footprint(old).unwrap_or(&Value::Null);
    let old_id = old_subject["id"].as_str().unwrap_or_default();
    let mut problems = Vec::new();
    if proof::verify(old, &super::resolver(options)).is_err() {
        problems.push("the superseded declaration's proof does not verify".to_string());
    }
    if issuer_of(old) != issuer_of(doc) {
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

pub(super) fn numbers_check(r: &mut Report, subject: &Value, doc: &Value) {
    use CheckStatus::*;
    let pcf = &subject["pcf"];
    let num = |f: &str| pcf[f].as_str().and_then(|s| Decimal(s.into()).value());
    let mut problems = Vec::new();
    // Every figure a decimal within f64's range: a 400-digit number would be infinite.
    const DECIMALS: [&str; 14] = [
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
        "packagingGhgEmissions",
        "aircraftGhgEmissions",
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
        "packagingGhgEmissions",
        "aircraftGhgEmissions",
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
    // PACT: packaging emissions are given only when they are included.
    if pcf["packagingEmissionsIncluded"] == Value::Bool(false)
        && !pcf["packagingGhgEmissions"].is_null()
    {
        problems
            .push("packagingGhgEmissions is given but packagingEmissionsIncluded is false".into());
    }
    if let Some(cbam) = extension(doc, CBAM_SCHEMA) {
        let mass = num("productMassPerDeclaredUnit");
        problems.extend(crate::declaration::cbam::problems(cbam, excl, mass));
    }
    if let Some(q) = extension(doc, crate::declaration::quality::DATA_QUALITY_SCHEMA) {
        problems.extend(crate::declaration::quality::problems(q));
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
