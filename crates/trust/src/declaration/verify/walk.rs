//! Verifying one declaration, every check in order, and walking down to the suppliers'
//! declarations it consumed: each verified once, loops and excessive depth refused.

use std::collections::BTreeMap;

use serde_json::Value;

use super::checks::{datasets_check, methodology_check, numbers_check, shape, supersession_check};
use super::report::verdict_of;
use super::status::{status_check, validity_check};
use super::{
    CheckStatus, Context, MAX_DEPTH, MAX_DOCUMENT_BYTES, Report, Standing, Status, Verdict,
};
use crate::declaration::pact::ProductFootprint;
use crate::declaration::{UpstreamRef, did_of, issuer_of, provenance};
use crate::proof;
use pcf_base::digest::Digest;
use pcf_base::time::Instant;

pub(super) fn verify_node(
    ctx: &mut Context<'_>,
    document: &Value,
    at: Instant,
    path: &mut Vec<Digest>,
) -> Report {
    use CheckStatus::*;
    let depth = path.len();
    let canonical = pcf_base::canonical::canonicalize(document).ok();
    let digest = canonical.as_deref().map(Digest::of);
    let subject = pcf_footprint::credential::pact_footprint(document).unwrap_or(&Value::Null);
    let mut r = Report {
        kind: super::ReportKind::Declaration,
        company: subject["companyName"].as_str().map(String::from),
        verdict: Verdict::Invalid,
        status: Status {
            standing: Standing::Unknown,
            reasons: Vec::new(),
            superseded_by: None,
            at: at.to_string(),
        },
        digest: digest.map(|d| d.to_string()),
        issuer: issuer_of(document),
        pf_id: subject["id"].as_str().map(String::from),
        product: subject["productNameCompany"].as_str().map(String::from),
        pcf: subject["pcf"]["pcfExcludingBiogenicUptake"].as_str().map(|v| {
            format!(
                "{v} kg CO2e per {} {}",
                subject["pcf"]["declaredUnitAmount"].as_str().unwrap_or("?"),
                subject["pcf"]["declaredUnitOfMeasurement"].as_str().unwrap_or("?")
            )
        }),
        data_quality: crate::declaration::quality::summary(
            subject,
            crate::declaration::extension(
                document,
                crate::declaration::quality::DATA_QUALITY_SCHEMA,
            ),
        ),
        cbam: crate::declaration::extension(document, crate::declaration::CBAM_SCHEMA)
            .and_then(crate::declaration::cbam::summary),
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
            let at = pcf_footprint::credential::footprint_path(document);
            p.push(format!("{at} is not a PACT ProductFootprint"));
        }
        r.add("schema", Fail, p.join("; "));
    }
    let prov = provenance(document);

    // 2. Proof.
    match proof::verify(document, &super::resolver(ctx.options)) {
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
            let did = did_of(&v.verification_method);
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
        Err(proof::ProofError::UnresolvedMethod { method }) if method.starts_with("did:web:") => {
            r.add("proof", Fail, unresolved(&method, &ctx.options.did_documents))
        }
        Err(e) => r.add("proof", Fail, e.to_string()),
    }

    // 3. Issuer trust.
    let issuer = r.issuer.clone().unwrap_or_default();
    let trust = &ctx.options.trust;
    if trust.iter().any(|t| t == &issuer) {
        match ctx.options.issuer_names.get(&issuer) {
            Some(name) => r.add("issuer", Pass, format!("{issuer} is trusted ({name})")),
            None => r.add("issuer", Pass, format!("{issuer} is trusted")),
        }
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
    supersession_check(&mut r, document, prov.as_ref(), &ctx.index, ctx.options);

    // 7. Numbers.
    numbers_check(&mut r, subject, document);

    // 8. Validity period and status at `at`.
    let mut standing = Vec::new();
    validity_check(&mut r, document, at, &mut standing);
    // The bundle's register excerpt is the top-level issuer's; suppliers keep their own.
    let (excerpt, log) = if depth == 0 { (ctx.excerpt, ctx.log) } else { (None, None) };
    let evidence = (excerpt, log, ctx.options);
    status_check(&mut r, document, digest, &ctx.index, evidence, depth, at, &mut standing);
    standing.sort_by_key(|s| std::cmp::Reverse(s.0));
    match standing.first() {
        Some((s, _)) => r.status.standing = *s,
        None => r.status.standing = Standing::Current,
    }
    r.status.reasons = standing.into_iter().map(|(_, why)| why).collect();
    r.verdict = verdict_of(&r.checks, &r.status, r.kind);
    r
}

/// Why the `did:web` verification method `method` did not resolve, and what to do.
fn unresolved(method: &str, docs: &crate::did::DidDocuments) -> String {
    let did = method.split('#').next().unwrap_or(method);
    if docs.get(did).is_some() {
        return format!(
            "the DID document of {did} has no assertion method {method}: it was not signed by a \
             key {did} publishes"
        );
    }
    let url = crate::did::document_url(did).unwrap_or_else(|_| "its did.json".into());
    let mut why = format!(
        "{did} could not be resolved: give its DID document with --did-document FILE (from \
         {url}) or allow --fetch-did"
    );
    if !docs.0.is_empty() {
        why.push_str(&format!("; the DID documents given are for {}", docs.dids().join(", ")));
    }
    why
}

/// Whether two values are one JSON document (canonical bytes equal: `10` and `10.0` are).
fn same_json(a: Option<&Value>, b: Option<&Value>) -> bool {
    let bytes = |v: Option<&Value>| v.map(pcf_base::canonical::canonicalize).transpose().ok();
    match (bytes(a), bytes(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// The name of the check of a supplier's declaration `u`.
pub(super) fn link_name(u: &UpstreamRef) -> String {
    format!("upstream {}", u.pf_id.as_deref().unwrap_or(&u.digest.to_string()))
}

fn upstream_check(
    ctx: &mut Context<'_>,
    r: &mut Report,
    u: &UpstreamRef,
    issued: Instant,
    path: &mut Vec<Digest>,
) {
    use CheckStatus::*;
    let name = link_name(u);
    if u.unsigned {
        unsigned_check(ctx, r, u, &name);
        return;
    }
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

/// A supplier's unsigned PACT footprint, accepted under the methodology's rule when issued:
/// genuine only in that the bundle holds the very document by digest; its figures are the
/// supplier's word. A warning, never a pass.
fn unsigned_check(ctx: &Context<'_>, r: &mut Report, u: &UpstreamRef, name: &str) {
    use CheckStatus::*;
    let Some(doc) = ctx.index.find(&u.digest) else {
        r.add(
            name,
            Fail,
            format!(
                "recorded as an unsigned PACT footprint with digest {}, which is not in the \
                 bundle; ask the issuer for a bundle (pcf bundle)",
                u.digest
            ),
        );
        return;
    };
    let subject = pcf_footprint::credential::pact_footprint(doc).unwrap_or(doc);
    if doc.get("proof").is_some() {
        r.add(name, Fail, "recorded as unsigned, but the document carries a proof");
        return;
    }
    match serde_json::from_value::<ProductFootprint>(subject.clone()) {
        Ok(pf) => r.add(
            name,
            Warn,
            format!(
                "unsigned PACT footprint of {} by {}: {} kg CO2e per {} {}; held by digest {}, \
                 not signed: its figures are the supplier's word",
                pf.product_name_company,
                pf.company_name,
                pf.pcf.pcf_excluding_biogenic_uptake.0,
                pf.pcf.declared_unit_amount.0,
                serde_json::to_value(pf.pcf.declared_unit_of_measurement)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                u.digest
            ),
        ),
        Err(e) => r.add(
            name,
            Fail,
            format!("recorded as an unsigned PACT footprint, but it is not one: {e}"),
        ),
    }
}
