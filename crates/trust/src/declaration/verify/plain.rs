//! Plain PACT footprints: a ProductFootprint (v2 or v3) with no proof, as PACT servers serve
//! them, on its own or as the subject of an unsigned credential. Nothing shows who wrote one or
//! that it is unchanged, so it is never VALID: its content is checked (shape, numbers, dates,
//! status) and the verdict is UNSIGNED PACT FOOTPRINT when that content is sound, INVALID when
//! it is not.

use serde_json::{Value, json};

use super::checks::{footprint_schema_problems, numbers_check};
use super::report::verdict_of;
use super::{CheckStatus, Report, ReportKind, Standing, Status, Verdict};
use crate::declaration::pact::{Decimal, ProductFootprint};
use pcf_base::time::Instant;

/// The PACT footprint `document` is, or is the subject of, when it is no pcf declaration:
/// a top-level object with `specVersion`, `productNameCompany` and `pcf` and no credential
/// wrapper; or such an object as the `credentialSubject` of a credential with no proof.
pub(super) fn plain_footprint(document: &Value) -> Option<&Value> {
    let looks = |v: &Value| {
        v.is_object()
            && v["specVersion"].is_string()
            && v.get("productNameCompany").is_some()
            && v["pcf"].is_object()
    };
    if looks(document) && document.get("credentialSubject").is_none() {
        return Some(document);
    }
    // A credential typed as a pcf declaration is judged as one, proof or not.
    let pcf_typed = document["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(|x| x == crate::declaration::CREDENTIAL_TYPE));
    let subject = pcf_footprint::credential::pact_footprint(document)?;
    (document.get("proof").is_none() && !pcf_typed && looks(subject)).then_some(subject)
}

/// Checks the content of the plain footprint `footprint` (found in `document`) at `at`.
pub(super) fn verify_plain(document: &Value, footprint: &Value, at: Instant) -> Report {
    use CheckStatus::*;
    let spec = footprint["specVersion"].as_str().unwrap_or_default();
    let v2 = spec.starts_with("2.");
    let (excl, amount, unit) = if v2 {
        ("pCfExcludingBiogenic", "unitaryProductAmount", "declaredUnit")
    } else {
        ("pcfExcludingBiogenicUptake", "declaredUnitAmount", "declaredUnitOfMeasurement")
    };
    let pcf = &footprint["pcf"];
    let mut r = Report {
        kind: ReportKind::UnsignedPactFootprint,
        verdict: Verdict::Unsigned,
        status: Status {
            standing: Standing::Unknown,
            reasons: Vec::new(),
            superseded_by: None,
            at: at.to_string(),
        },
        digest: pcf_base::canonical::digest(document).ok().map(|d| d.to_string()),
        issuer: None,
        company: footprint["companyName"].as_str().map(String::from),
        pf_id: footprint["id"].as_str().map(String::from),
        product: footprint["productNameCompany"].as_str().map(String::from),
        pcf: pcf[excl].as_str().map(|v| {
            format!(
                "{v} kg CO2e per {} {}",
                pcf[amount].as_str().unwrap_or("?"),
                pcf[unit].as_str().unwrap_or("?")
            )
        }),
        data_quality: None,
        cbam: None,
        checks: Vec::new(),
    };

    // The proof: none, or one pcf cannot check.
    let proof = document.get("proof").or_else(|| footprint.get("proof"));
    if proof.is_some() {
        r.add(
            "proof",
            Warn,
            "carries a proof, but is not a pcf declaration (a Verifiable Credential with an \
             eddsa-jcs-2022 proof): pcf cannot check it, so the footprint is taken as unsigned; \
             ask the supplier for a pcf declaration",
        );
    } else {
        r.add(
            "proof",
            Warn,
            "unsigned PACT footprint: nothing shows who wrote it or that it is unchanged; its \
             figures are the supplier's word",
        );
    }

    // Schema.
    if v2 {
        let p = v2_problems(footprint);
        if p.is_empty() {
            r.add("schema", Pass, format!("a PACT v2 ProductFootprint (specVersion {spec})"));
        } else {
            r.add("schema", Fail, p.join("; "));
        }
    } else if spec.starts_with("3.") {
        let mut p: Vec<String> = footprint_schema_problems(footprint, "");
        if p.is_empty() && serde_json::from_value::<ProductFootprint>(footprint.clone()).is_err() {
            p.push("not a PACT v3 ProductFootprint".into());
        }
        if p.is_empty() {
            r.add("schema", Pass, format!("a PACT v3 ProductFootprint (specVersion {spec})"));
        } else {
            r.add("schema", Fail, p.join("; "));
        }
    } else {
        r.add(
            "schema",
            Fail,
            format!(
                "specVersion {spec:?}: pcf reads PACT ProductFootprints of versions 2.x and 3.x"
            ),
        );
    }

    // Numbers.
    if v2 {
        let p = v2_numbers(pcf);
        if p.is_empty() {
            r.add("numbers", Pass, "signs, units, percentages and ratings in range");
        } else {
            r.add("numbers", Fail, p.join("; "));
        }
    } else {
        numbers_check(&mut r, footprint, &json!({ "credentialSubject": footprint }));
    }

    // Dates and status.
    let mut standing = Vec::new();
    dates_check(&mut r, footprint, at, &mut standing);
    match footprint["status"].as_str() {
        Some("Active") => r.add("status", Pass, "status Active"),
        Some("Deprecated") => {
            standing.push((Standing::Deprecated, "its status is Deprecated".to_string()));
            r.add("status", Warn, "status Deprecated");
        }
        other => r.add(
            "status",
            Fail,
            format!("status {}, not Active or Deprecated", other.unwrap_or("missing")),
        ),
    }
    standing.sort_by_key(|s| std::cmp::Reverse(s.0));
    if let Some((s, _)) = standing.first() {
        r.status.standing = *s;
    }
    r.status.reasons = standing.into_iter().map(|(_, why)| why).collect();
    r.status.reasons.push(
        "unsigned PACT footprint: nothing shows who wrote it or whether it is current".into(),
    );
    r.verdict = verdict_of(&r.checks, &r.status, r.kind);
    r
}

/// The field shape of a PACT v2 ProductFootprint: the required fields with their JSON types.
fn v2_problems(fp: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let mut want = |at: &str, v: &Value, kind: Kind| {
        let ok = match kind {
            Kind::Text => v.as_str().is_some_and(|s| !s.is_empty()),
            Kind::AnyText => v.is_string(),
            Kind::Int => v.as_u64().is_some(),
            Kind::Texts => v.as_array().is_some_and(|a| {
                !a.is_empty() && a.iter().all(|x| x.as_str().is_some_and(|s| !s.is_empty()))
            }),
            Kind::Bool => v.is_boolean(),
            Kind::Figure => v.as_str().is_some_and(|s| Decimal(s.into()).value().is_some()),
            Kind::Time => v.as_str().is_some_and(|s| Instant::parse(s).is_ok()),
        };
        if !ok {
            let what = match v {
                Value::Null => "missing".to_string(),
                other => format!("{} is not {}", short(other), kind.name()),
            };
            p.push(format!("{at}: {what}"));
        }
    };
    use Kind::*;
    for (f, k) in [
        ("id", Text),
        ("specVersion", Text),
        ("version", Int),
        ("created", Time),
        ("status", Text),
        ("companyName", Text),
        ("companyIds", Texts),
        ("productDescription", AnyText),
        ("productIds", Texts),
        ("productCategoryCpc", Text),
        ("productNameCompany", Text),
        ("comment", AnyText),
    ] {
        want(f, &fp[f], k);
    }
    let pcf = &fp["pcf"];
    for (f, k) in [
        ("declaredUnit", Text),
        ("unitaryProductAmount", Figure),
        ("pCfExcludingBiogenic", Figure),
        ("fossilGhgEmissions", Figure),
        ("fossilCarbonContent", Figure),
        ("biogenicCarbonContent", Figure),
        ("characterizationFactors", Text),
        ("ipccCharacterizationFactorsSources", Texts),
        ("crossSectoralStandardsUsed", Texts),
        ("boundaryProcessesDescription", AnyText),
        ("referencePeriodStart", Time),
        ("referencePeriodEnd", Time),
        ("exemptedEmissionsPercent", Figure),
        ("exemptedEmissionsDescription", AnyText),
        ("packagingEmissionsIncluded", Bool),
    ] {
        want(&format!("pcf.{f}"), &pcf[f], k);
    }
    if let Some(u) = pcf["declaredUnit"].as_str()
        && !V2_UNITS.contains(&u)
    {
        p.push(format!("pcf.declaredUnit {u:?} is not one of {}", V2_UNITS.join(", ")));
    }
    if let Some(id) = fp["id"].as_str()
        && uuid::Uuid::parse_str(id).is_err()
    {
        p.push(format!("id {:?} is not a UUID", short(&fp["id"])));
    }
    p
}

/// PACT v2's declared units.
const V2_UNITS: [&str; 7] = [
    "liter",
    "kilogram",
    "cubic meter",
    "kilowatt hour",
    "megajoule",
    "ton kilometer",
    "square meter",
];

#[derive(Clone, Copy)]
enum Kind {
    Text,
    AnyText,
    Int,
    Texts,
    Bool,
    Figure,
    Time,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Text => "a non-empty string",
            Kind::AnyText => "a string",
            Kind::Int => "a whole number",
            Kind::Texts => "a non-empty array of non-empty strings",
            Kind::Bool => "true or false",
            Kind::Figure => "a decimal string",
            Kind::Time => "an RFC 3339 date-time",
        }
    }
}

/// The figures of a PACT v2 CarbonFootprint: signs, percentages and ratings.
fn v2_numbers(pcf: &Value) -> Vec<String> {
    let num = |f: &str| pcf[f].as_str().and_then(|s| Decimal(s.into()).value());
    let mut p = Vec::new();
    for f in [
        "pCfExcludingBiogenic",
        "fossilGhgEmissions",
        "fossilCarbonContent",
        "biogenicCarbonContent",
        "dLucGhgEmissions",
        "landManagementGhgEmissions",
        "otherBiogenicGhgEmissions",
        "iLucGhgEmissions",
        "aircraftGhgEmissions",
        "packagingGhgEmissions",
    ] {
        if num(f).is_some_and(|x| x < 0.0) {
            p.push(format!("{f} is negative"));
        }
    }
    if num("biogenicCarbonWithdrawal").is_some_and(|x| x > 0.0) {
        p.push(
            "biogenicCarbonWithdrawal is positive (a withdrawal is written as a negative number)"
                .into(),
        );
    }
    // Including biogenic withdrawal, the footprint can be no larger than excluding it plus the
    // biogenic emissions it adds.
    if let (Some(e), Some(i)) = (num("pCfExcludingBiogenic"), num("pCfIncludingBiogenic")) {
        let added = ["dLucGhgEmissions", "landManagementGhgEmissions", "otherBiogenicGhgEmissions"]
            .iter()
            .filter_map(|f| num(f))
            .sum::<f64>();
        if i > e + added + 1e-6 * e.abs().max(1.0) {
            p.push(format!("pCfIncludingBiogenic {i} is above pCfExcludingBiogenic {e}"));
        }
    }
    if num("unitaryProductAmount").is_some_and(|a| a <= 0.0) {
        p.push("unitaryProductAmount must be positive".into());
    }
    for f in ["exemptedEmissionsPercent", "primaryDataShare"] {
        if let Some(x) = num(f)
            && !(0.0..=100.0).contains(&x)
        {
            p.push(format!("{f} {x} is not a percentage"));
        }
    }
    for f in [
        "coveragePercent",
        "technologicalDQR",
        "temporalDQR",
        "geographicalDQR",
        "completenessDQR",
        "reliabilityDQR",
    ] {
        let Some(x) = pcf["dqi"][f].as_str().and_then(|s| Decimal(s.into()).value()) else {
            continue;
        };
        let range = if f == "coveragePercent" { 0.0..=100.0 } else { 1.0..=3.0 };
        if !range.contains(&x) {
            p.push(format!("dqi.{f} {x} is outside {} to {}", range.start(), range.end()));
        }
    }
    p
}

/// The footprint's dates: in order (a failure otherwise), and whether `at` is within its
/// validity (a standing otherwise).
fn dates_check(r: &mut Report, fp: &Value, at: Instant, standing: &mut Vec<(Standing, String)>) {
    use CheckStatus::*;
    let mut problems = Vec::new();
    let mut time = |what: &str, v: &Value| match v {
        Value::Null => None,
        Value::String(s) => match Instant::parse(s) {
            Ok(t) => Some(t),
            Err(e) => {
                problems.push(format!("{what} {e}"));
                None
            }
        },
        other => {
            problems.push(format!("{what} is {}, not an RFC 3339 date-time", short(other)));
            None
        }
    };
    let created = time("created", &fp["created"]);
    let start = time("validityPeriodStart", &fp["validityPeriodStart"]);
    let end = time("validityPeriodEnd", &fp["validityPeriodEnd"]);
    let ref_start = time("pcf.referencePeriodStart", &fp["pcf"]["referencePeriodStart"]);
    let ref_end = time("pcf.referencePeriodEnd", &fp["pcf"]["referencePeriodEnd"]);
    if let (Some(a), Some(b)) = (ref_start, ref_end)
        && b <= a
    {
        problems.push(format!("the reference period ends ({b}) before it starts ({a})"));
    }
    if let (Some(a), Some(b)) = (start, end)
        && b <= a
    {
        problems.push(format!("the validity period ends ({b}) before it starts ({a})"));
    }
    if !problems.is_empty() {
        r.add("validity", Fail, problems.join("; "));
        return;
    }
    let begins = start.or(created);
    if let Some(b) = begins
        && b > at
    {
        standing.push((Standing::NotYetValid, format!("valid from {b}, after {at}")));
    }
    // PACT: without a validity period end, valid for three years after the reference period.
    let (ends, how) = match (end, ref_end) {
        (Some(e), _) => (Some(e), "validityPeriodEnd"),
        (None, Some(e)) => (Some(e.plus_years(3)), "referencePeriodEnd + 3 years"),
        (None, None) => (None, ""),
    };
    if let Some(e) = ends
        && e <= at
    {
        standing.push((Standing::Expired, format!("expired at {e} ({how})")));
    }
    let window = format!(
        "valid from {} until {}",
        begins.map_or_else(|| "?".into(), |t| t.to_string()),
        ends.map_or_else(|| "(no end)".into(), |t| t.to_string())
    );
    if standing.is_empty() {
        r.add("validity", Pass, window);
    } else {
        let why: Vec<&str> = standing.iter().map(|(_, w)| w.as_str()).collect();
        r.add("validity", Warn, format!("{window}: {}", why.join("; ")));
    }
}

/// A value for a message: at most 40 characters of its JSON.
fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}
