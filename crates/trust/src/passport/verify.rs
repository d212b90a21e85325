//! Verifying a UNTP passport offline: its envelope and JWS ([`super::open`]), the structure of
//! the credential inside, its validity period, and, when the PACT declaration it links to is
//! given (in a bundle), that declaration (the one verification of [`crate::declaration::verify`]),
//! the digest link to it, its issuer, and every figure of the emissions scorecard recomputed
//! from it.

use serde_json::Value;

use super::{DPP_CONTEXT, Link, Scorecard, issuer_id, open, pact_footprint};
use crate::declaration::verify::{Check, CheckStatus, Report, Standing, Status, Verdict};
use crate::declaration::{Bundle, VC_CONTEXT, VerifyOptions, sri};
use pcf_base::canonical;
use pcf_base::time::{Instant, check_xsd_datetime};

use CheckStatus::{Fail, Pass, Skip};

/// Verifies an enveloped passport; with `bundle`, also the declaration the bundle carries
/// and the passport's link to it. The verdict is drawn as for a declaration: without the
/// declaration the passport's status cannot be judged (`STATUS UNKNOWN` at best).
pub fn verify(enveloped: &Value, bundle: Option<&Bundle>, options: &VerifyOptions) -> Report {
    let at = options.at.unwrap_or_else(Instant::now);
    let mut report = match bundle {
        Some(b) => crate::declaration::verify::verify(&b.declaration, Some(b), options),
        None => Report {
            kind: crate::declaration::verify::ReportKind::Declaration,
            company: None,
            verdict: Verdict::StatusUnknown,
            status: Status {
                standing: Standing::Unknown,
                reasons: vec![
                    "no PACT declaration given (pass its bundle with --bundle): the passport's \
                     link, figures and status are not checked"
                        .into(),
                ],
                superseded_by: None,
                at: at.to_string(),
            },
            digest: canonical::digest(enveloped).ok().map(|d| d.to_string()),
            issuer: None,
            pf_id: None,
            product: None,
            pcf: None,
            data_quality: None,
            cbam: None,
            checks: Vec::new(),
        },
    };
    let mut checks = Vec::new();
    let mut add = |name: &str, status, detail: String| {
        checks.push(Check { name: name.into(), status, detail });
    };
    let opened = match open(enveloped) {
        Ok(o) => o,
        Err(e) => {
            add("passport-signature", Fail, e.to_string());
            for c in checks {
                report.push_check(c);
            }
            return report;
        }
    };
    let c = &opened.credential;
    add(
        "passport-signature",
        Pass,
        format!("vc+jwt signed with EdDSA by {} ({})", opened.issuer, opened.kid),
    );
    let problems = structure(c);
    if problems.is_empty() {
        add(
            "passport-structure",
            Pass,
            "a UNTP DPP 0.6.1 credential with an emissions scorecard".into(),
        );
    } else {
        add("passport-structure", Fail, problems.join("; "));
    }
    let card = &c["credentialSubject"]["emissionsScorecard"];
    if bundle.is_none() {
        report.issuer = Some(opened.issuer.clone());
        report.pf_id = c["id"].as_str().map(String::from);
        report.product = c["credentialSubject"]["product"]["name"].as_str().map(String::from);
        report.pcf = Some(format!(
            "{} kg CO2e per {} (excluding biogenic uptake)",
            card["carbonFootprint"],
            card["declaredUnit"].as_str().unwrap_or("?")
        ));
        let issuer = &opened.issuer;
        if options.trust.iter().any(|t| t == issuer) {
            add("issuer", Pass, format!("{issuer} is trusted"));
        } else if options.trust.is_empty() {
            add(
                "issuer",
                Fail,
                format!(
                    "{issuer} is not trusted: no --trust given (compare this DID with the one the issuer publishes, then pass --trust {issuer})"
                ),
            );
        } else {
            add("issuer", Fail, format!("{issuer} is not among the trusted issuers"));
        }
    }
    validity(&mut report.status, c, at);
    match bundle {
        None => {
            let why = "no PACT declaration given (pass its bundle with --bundle)";
            add("passport-link", Skip, why.into());
            add("passport-figures", Skip, why.into());
        }
        Some(b) => {
            let declared = issuer_id(&b.declaration).unwrap_or("(none)");
            if declared == opened.issuer {
                add("passport-issuer", Pass, format!("the declaration's issuer, {declared}"));
            } else {
                add(
                    "passport-issuer",
                    Fail,
                    format!("signed by {}, the declaration by {declared}", opened.issuer),
                );
            }
            let (status, detail) = link(c, &b.declaration);
            add("passport-link", status, detail);
            let (status, detail) = figures(c, &b.declaration);
            add("passport-figures", status, detail);
        }
    }
    for c in checks {
        report.push_check(c);
    }
    report
}

/// What is wrong with the credential's structure (empty when nothing is).
fn structure(c: &Value) -> Vec<String> {
    let mut p = Vec::new();
    if c["@context"][0] != VC_CONTEXT || c["@context"][1] != DPP_CONTEXT {
        p.push(format!("@context must start with {VC_CONTEXT} and {DPP_CONTEXT}"));
    }
    let has = |v: &Value, t: &str| v.as_array().is_some_and(|a| a.iter().any(|x| x == t));
    if !has(&c["type"], "DigitalProductPassport") || !has(&c["type"], "VerifiableCredential") {
        p.push("type must hold DigitalProductPassport and VerifiableCredential".into());
    }
    if !c["id"].as_str().is_some_and(|id| id.contains(':')) {
        p.push("id must be a URI".into());
    }
    if c["issuer"]["id"].as_str().is_none() || c["issuer"]["name"].as_str().is_none() {
        p.push("issuer must have an id and a name".into());
    }
    for name in ["validFrom", "validUntil"] {
        match &c[name] {
            Value::Null if name == "validUntil" => {}
            Value::String(s) if check_xsd_datetime(s).is_ok() && Instant::parse(s).is_ok() => {}
            other => p.push(format!("{name} {other} is not a date-time with a time zone")),
        }
    }
    let s = &c["credentialSubject"];
    if !has(&s["type"], "ProductPassport") {
        p.push("credentialSubject.type must hold ProductPassport".into());
    }
    if s["product"]["id"].as_str().is_none() || s["product"]["name"].as_str().is_none() {
        p.push("credentialSubject.product must have an id and a name".into());
    }
    let e = &s["emissionsScorecard"];
    if !e.is_object() {
        p.push("credentialSubject has no emissionsScorecard".into());
        return p;
    }
    if !e["carbonFootprint"].is_number() {
        p.push(format!(
            "emissionsScorecard.carbonFootprint {} is not a number",
            e["carbonFootprint"]
        ));
    }
    if !e["declaredUnit"].is_string() {
        p.push("emissionsScorecard.declaredUnit is not a unit code".into());
    }
    if !matches!(e["operationalScope"].as_str(), Some("None" | "CradleToGate" | "CradleToGrave")) {
        p.push(format!(
            "emissionsScorecard.operationalScope {} is not None, CradleToGate or CradleToGrave",
            e["operationalScope"]
        ));
    }
    if !e["primarySourcedRatio"].as_f64().is_some_and(|r| (0.0..=1.0).contains(&r)) {
        p.push(format!(
            "emissionsScorecard.primarySourcedRatio {} is not a ratio from 0 to 1",
            e["primarySourcedRatio"]
        ));
    }
    p
}

/// Narrows the standing to not-yet-valid or expired by the passport's own validity period.
fn validity(status: &mut Status, c: &Value, at: Instant) {
    if !matches!(status.standing, Standing::Current | Standing::Unknown) {
        return;
    }
    let time = |name: &str| c[name].as_str().and_then(|s| Instant::parse(s).ok());
    if let Some(from) = time("validFrom")
        && at < from
    {
        status.standing = Standing::NotYetValid;
        status.reasons.push(format!("the passport is valid from {from}"));
    } else if let Some(until) = time("validUntil")
        && at > until
    {
        status.standing = Standing::Expired;
        status.reasons.push(format!("the passport expired at {until}"));
    }
}

/// The digest link: `relatedResource` and the claim's `conformityEvidence` both name the
/// declaration given, with the digest of its canonical JSON.
fn link(c: &Value, declaration: &Value) -> (CheckStatus, String) {
    let linked = match Link::of(declaration) {
        Ok(l) => l,
        Err(e) => return (Fail, format!("the declaration given cannot be linked: {e}")),
    };
    let sri = sri(&linked.digest);
    let resources = c["relatedResource"].as_array().map(Vec::as_slice).unwrap_or_default();
    let Some(r) = resources.iter().find(|r| r["id"] == linked.id.as_str()) else {
        return (
            Fail,
            format!("relatedResource does not name the declaration given ({})", linked.id),
        );
    };
    if r["digestSRI"] != sri.as_str() {
        return (
            Fail,
            format!(
                "relatedResource gives {} for {}, the declaration given is {sri}",
                r["digestSRI"], linked.id
            ),
        );
    }
    let claims =
        c["credentialSubject"]["conformityClaim"].as_array().map(Vec::as_slice).unwrap_or_default();
    let hex = linked.digest.hex();
    let evidence = claims
        .iter()
        .map(|x| &x["conformityEvidence"])
        .find(|e| e["linkURL"] == linked.id.as_str());
    match evidence {
        None => (Fail, format!("no conformityClaim has evidence linking to {}", linked.id)),
        Some(e) if e["hashMethod"] != "SHA-256" || e["hashDigest"] != hex.as_str() => (
            Fail,
            format!(
                "conformityEvidence gives {} {} for {}, the declaration given is SHA-256 {hex}",
                e["hashMethod"], e["hashDigest"], linked.id
            ),
        ),
        Some(_) => (Pass, format!("links to {} by digest {}", linked.id, linked.digest)),
    }
}

/// Every figure of the scorecard, recomputed from the declaration given.
fn figures(c: &Value, declaration: &Value) -> (CheckStatus, String) {
    let Some(fp) = pact_footprint(declaration) else {
        return (Fail, "the declaration given has no PACT footprint".into());
    };
    let want = match Scorecard::of(fp) {
        Ok(s) => s,
        Err(e) => return (Fail, format!("the declaration given maps to no scorecard: {e}")),
    };
    let e = &c["credentialSubject"]["emissionsScorecard"];
    let mut wrong = Vec::new();
    // Numbers compare as doubles: canonical JSON writes 3.0 as 3, which parses as an integer.
    let same = |got: &Value, want: &Value| match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => g == w,
        _ => got == want,
    };
    let mut compare = |name: &str, got: &Value, want: Value| {
        if !same(got, &want) {
            wrong.push(format!("{name} is {got}, the declaration gives {want}"));
        }
    };
    compare("carbonFootprint", &e["carbonFootprint"], want.carbon_footprint.into());
    compare("declaredUnit", &e["declaredUnit"], want.declared_unit.into());
    compare("operationalScope", &e["operationalScope"], want.operational_scope.into());
    compare("primarySourcedRatio", &e["primarySourcedRatio"], want.primary_sourced_ratio.into());
    compare("reportingStandard.id", &e["reportingStandard"]["id"], want.standard_id().into());
    compare("product.id", &c["credentialSubject"]["product"]["id"], fp["productIds"][0].clone());
    if wrong.is_empty() {
        (
            Pass,
            format!(
                "{} kg CO2e per {} ({}), primary {}, {}: as declared",
                want.carbon_footprint,
                want.declared_unit,
                want.operational_scope,
                want.primary_sourced_ratio,
                want.standard_id()
            ),
        )
    } else {
        (Fail, wrong.join("; "))
    }
}
