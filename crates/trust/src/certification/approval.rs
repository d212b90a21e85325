//! Approvals of methodology versions by certification bodies, as W3C Verifiable Credentials 2.0
//! with `eddsa-jcs-2022` proofs (proof purpose `assertionMethod`):
//!
//! - a [`MethodologyApproval`](APPROVAL_TYPE) names the methodology id, version and digest,
//!   the body, the scope and the validity period (`validFrom`, `validUntil`);
//! - a [`MethodologyApprovalRevocation`](REVOCATION_TYPE), signed by the same key, withdraws an
//!   approval (named by its id and digest) from its own `validFrom` on.
//!
//! Both are issued in the format of [`pcf_footprint::credential`] (pcf's JSON-LD context, every
//! id an IRI: the methodology version is `urn:pcf:methodology:<id>:<version>`); approvals and
//! revocations issued before it (methodology as a nested `{id, version, digest}` object) are
//! still read.
//!
//! [`check`] answers the buyer's question for one declaration: was the methodology version it
//! pins approved by a body the buyer trusts, and was that approval valid when the declaration
//! was issued (its `validFrom`): started, not expired, not yet revoked. A revocation issued after
//! the declaration does not undo it, but is reported.

use std::fmt;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::CertificationError;
use crate::Error;
use crate::declaration::{CONTEXTS, context_resource, sri};
use crate::keys;
use crate::proof::{self, ProofOptions};
use pcf_base::digest::Digest;
use pcf_base::time::Instant;
use pcf_footprint::credential::methodology_urn;
use pcf_footprint::methodology::Methodology;

/// The credential type of an approval.
pub const APPROVAL_TYPE: &str = "MethodologyApproval";
/// The credential type of a revocation.
pub const REVOCATION_TYPE: &str = "MethodologyApprovalRevocation";
/// The subject type of an approval: a methodology version.
pub const METHODOLOGY_TYPE: &str = "MethodologyVersion";

/// What an approval says beyond the methodology.
#[derive(Debug, Clone)]
pub struct ApprovalRequest {
    /// The body's name.
    pub body: String,
    /// What the approval covers (products, sectors, standards).
    pub scope: String,
    /// Start of validity (RFC 3339 UTC); now if `None`.
    pub valid_from: Option<String>,
    /// End of validity (RFC 3339 UTC, exclusive).
    pub valid_until: String,
    /// Signing time; now if `None`.
    pub created: Option<String>,
}

/// Issues a signed approval of `m` by the holder of `key`.
pub fn approve(
    m: &Methodology,
    key: &SigningKey,
    request: &ApprovalRequest,
) -> Result<Value, Error> {
    let created = request.created.clone().unwrap_or_else(proof::utc_now);
    let valid_from = request.valid_from.clone().unwrap_or_else(|| created.clone());
    let from = instant("--valid-from", &valid_from)?;
    let until = instant("--valid-until", &request.valid_until)?;
    if until <= from {
        return Err(Error::Usage(format!(
            "the approval would end ({}) before it starts ({})",
            request.valid_until, valid_from
        )));
    }
    let id = crate::declaration::uuid_v4()
        .map_err(|e| Error::Usage(format!("cannot draw a random id: {e}")))?;
    let did = keys::did_key(&key.verifying_key());
    let subject_id = methodology_urn(m.id(), m.version());
    let credential = json!({
        "@context": CONTEXTS,
        "id": format!("urn:uuid:{id}"),
        "type": ["VerifiableCredential", APPROVAL_TYPE],
        "issuer": { "id": did, "name": request.body },
        "validFrom": valid_from,
        "validUntil": request.valid_until,
        "credentialSubject": {
            "id": subject_id,
            "type": METHODOLOGY_TYPE,
            "methodologyId": m.id(),
            "methodologyVersion": m.version(),
            "methodologyDigest": m.digest().to_string(),
            "body": request.body,
            "scope": request.scope,
        },
        "relatedResource": [
            context_resource(),
            { "id": subject_id, "digestSRI": sri(&m.digest()) },
        ],
    });
    Ok(proof::sign(&credential, key, ProofOptions::did_key(&key.verifying_key(), created))?)
}

/// Issues a signed revocation of `approval`, effective from `effective` (now if `None`). Only
/// the key that signed the approval can revoke it.
pub fn revoke(
    approval: &Value,
    key: &SigningKey,
    reason: Option<&str>,
    effective: Option<String>,
) -> Result<Value, Error> {
    let parsed = parse_approval(approval)
        .map_err(|problem| CertificationError::Document { file: "approval".into(), problem })?;
    let signer = keys::did_key(&key.verifying_key());
    if parsed.issuer != signer {
        return Err(Error::Usage(format!(
            "the approval was issued by {}, not by this key ({signer}); only its issuer can revoke it",
            parsed.issuer
        )));
    }
    let created = proof::utc_now();
    let effective = effective.unwrap_or_else(|| created.clone());
    instant("--effective", &effective)?;
    let id = crate::declaration::uuid_v4()
        .map_err(|e| Error::Usage(format!("cannot draw a random id: {e}")))?;
    let mut subject = json!({
        "id": parsed.id,
        "approvalDigest": parsed.digest.to_string(),
        "methodology": methodology_urn(&parsed.methodology_id, &parsed.methodology_version),
        "methodologyDigest": parsed.methodology_digest.to_string(),
    });
    if let (Some(r), Value::Object(m)) = (reason, &mut subject) {
        m.insert("reason".into(), json!(r));
    }
    let credential = json!({
        "@context": CONTEXTS,
        "id": format!("urn:uuid:{id}"),
        "type": ["VerifiableCredential", REVOCATION_TYPE],
        "issuer": { "id": signer, "name": parsed.body },
        "validFrom": effective,
        "credentialSubject": subject,
        "relatedResource": [context_resource()],
    });
    Ok(proof::sign(&credential, key, ProofOptions::did_key(&key.verifying_key(), created))?)
}

fn instant(option: &str, text: &str) -> Result<Instant, Error> {
    Instant::parse_utc(text).map_err(|_| {
        Error::Usage(format!(
            "{option} {text:?}: write a date (2026-12-31) or an RFC 3339 UTC time (2026-12-31T00:00:00Z)"
        ))
    })
}

/// An approval, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Approval {
    /// Credential id.
    pub id: String,
    /// Digest of the whole signed approval.
    pub digest: Digest,
    /// Issuer DID (the proof's key).
    pub issuer: String,
    /// Body name.
    pub body: String,
    /// Scope.
    pub scope: String,
    /// Methodology id.
    pub methodology_id: String,
    /// Methodology version.
    pub methodology_version: String,
    /// Methodology digest.
    pub methodology_digest: Digest,
    /// Start of validity.
    pub valid_from: Instant,
    /// End of validity (exclusive).
    pub valid_until: Instant,
}

/// A revocation, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Revocation {
    /// Issuer DID (the proof's key).
    pub issuer: String,
    /// The revoked approval's digest.
    pub approval_digest: Digest,
    /// From when.
    pub effective: Instant,
    /// Why.
    pub reason: Option<String>,
}

/// Reads an approval whose proof verifies; the error is a sentence.
pub fn parse_approval(doc: &Value) -> Result<Approval, String> {
    let verified = verified_issuer(doc, APPROVAL_TYPE)?;
    let s = &doc["credentialSubject"];
    let text = |v: &Value, what: &str| -> Result<String, String> {
        v.as_str().map(String::from).ok_or_else(|| format!("{what} is missing"))
    };
    // Where the methodology's id, version and digest are: format 2 or the nested object before.
    let m = |field: &str| -> (&Value, String) {
        if pcf_footprint::credential::uses_pcf_context(doc) {
            let name = format!("methodology{}{}", field[..1].to_uppercase(), &field[1..]);
            (&s[name.as_str()], format!("credentialSubject.{name}"))
        } else {
            (&s["methodology"][field], format!("credentialSubject.methodology.{field}"))
        }
    };
    let (id, version, digest) = (m("id"), m("version"), m("digest"));
    let time = |v: &Value, what: &str| -> Result<Instant, String> {
        let t = text(v, what)?;
        Instant::parse_utc(&t).map_err(|_| format!("{what} {t:?} is not an RFC 3339 UTC time"))
    };
    Ok(Approval {
        id: text(&doc["id"], "id")?,
        digest: pcf_base::canonical::digest(doc).map_err(|e| e.to_string())?,
        issuer: verified,
        body: text(&s["body"], "credentialSubject.body")?,
        scope: text(&s["scope"], "credentialSubject.scope")?,
        methodology_id: text(id.0, &id.1)?,
        methodology_version: text(version.0, &version.1)?,
        methodology_digest: text(digest.0, &digest.1)?
            .parse()
            .map_err(|e: pcf_base::digest::DigestParseError| e.to_string())?,
        valid_from: time(&doc["validFrom"], "validFrom")?,
        valid_until: time(&doc["validUntil"], "validUntil")?,
    })
}

/// Reads a revocation whose proof verifies; the error is a sentence.
pub fn parse_revocation(doc: &Value) -> Result<Revocation, String> {
    let issuer = verified_issuer(doc, REVOCATION_TYPE)?;
    let s = &doc["credentialSubject"];
    let effective = doc["validFrom"].as_str().ok_or("validFrom is missing")?;
    Ok(Revocation {
        issuer,
        approval_digest: s["approvalDigest"]
            .as_str()
            .ok_or("credentialSubject.approvalDigest is missing")?
            .parse()
            .map_err(|e: pcf_base::digest::DigestParseError| e.to_string())?,
        effective: Instant::parse_utc(effective)
            .map_err(|_| format!("validFrom {effective:?} is not an RFC 3339 UTC time"))?,
        reason: s["reason"].as_str().map(String::from),
    })
}

fn verified_issuer(doc: &Value, kind: &str) -> Result<String, String> {
    let types: Vec<&str> = doc["type"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !types.contains(&"VerifiableCredential") || !types.contains(&kind) {
        return Err(format!("not a {kind} credential"));
    }
    let v = proof::verify(doc, &|_| None).map_err(|e| format!("proof: {e}"))?;
    let did = v.verification_method.split('#').next().unwrap_or_default().to_string();
    let named = match &doc["issuer"] {
        Value::String(s) => Some(s.as_str()),
        other => other["id"].as_str(),
    };
    if named != Some(did.as_str()) {
        return Err(format!(
            "signed by {did}, but the credential names issuer {}",
            named.unwrap_or("(none)")
        ));
    }
    Ok(did)
}

/// Whether the methodology of a declaration was approved when it was issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalVerdict {
    /// A trusted body's approval of this exact version was valid at issue time.
    Approved,
    /// No such approval.
    NotApproved,
}

/// What was found about one approval (or a document that is not one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalStatus {
    /// Trusted, for this version, valid at issue time.
    Valid,
    /// Valid at issue time, revoked later (the declaration stands; new ones would not).
    RevokedLater,
    /// The body is not trusted.
    Untrusted,
    /// It approves another methodology or version (digest differs).
    OtherMethodology,
    /// The declaration was issued before the approval's start.
    NotYetValid,
    /// The approval had expired when the declaration was issued.
    Expired,
    /// The approval had been revoked when the declaration was issued.
    Revoked,
    /// Not an approval, or its proof does not verify.
    Rejected,
}

/// One approval document's assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalFinding {
    /// Where it came from (file name).
    pub source: String,
    /// The status.
    pub status: ApprovalStatus,
    /// The body's DID, if read.
    pub issuer: Option<String>,
    /// The body's name, if read.
    pub body: Option<String>,
    /// Why.
    pub detail: String,
}

/// The answer for one declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalReport {
    /// The verdict.
    pub verdict: ApprovalVerdict,
    /// The pinned methodology, `id version (digest)`.
    pub methodology: String,
    /// When the declaration was issued (its `validFrom`).
    pub issued: String,
    /// One finding per approval given (revocations are reported within them).
    pub approvals: Vec<ApprovalFinding>,
    /// Documents that are neither approvals nor valid revocations.
    pub rejected: Vec<ApprovalFinding>,
}

/// Checks a declaration's methodology against approval and revocation documents (each with a
/// name for the report) and the DIDs of bodies the buyer trusts.
///
/// The declaration is verified first, by the same [`crate::declaration::verify::verify`] as
/// `pcf verify` (with `bundle` and `options`): the issue time an approval is judged against is
/// only meaningful in a genuine declaration. One that is not genuine (any failed check but
/// issuer trust, which is the caller's to judge) is never approved.
pub fn check(
    declaration: &Value,
    bundle: Option<&crate::declaration::Bundle>,
    options: &crate::declaration::VerifyOptions,
    documents: &[(String, Value)],
    trusted_bodies: &[String],
) -> Result<ApprovalReport, Error> {
    let verified = crate::declaration::verify::verify(declaration, bundle, options);
    if !verified.is_genuine() {
        let pinned = crate::declaration::provenance(declaration).map(|p| p.methodology);
        return Ok(ApprovalReport {
            verdict: ApprovalVerdict::NotApproved,
            methodology: pinned.map_or_else(
                || "(not pinned)".into(),
                |m| format!("{} {} ({})", m.id, m.version, m.digest),
            ),
            issued: declaration["validFrom"].as_str().unwrap_or("(unknown)").to_string(),
            approvals: Vec::new(),
            rejected: vec![ApprovalFinding {
                source: "declaration".into(),
                status: ApprovalStatus::Rejected,
                issuer: verified.issuer.clone(),
                body: None,
                detail: format!(
                    "the declaration does not verify, so no approval applies to it: {}",
                    verified.failure_summary(&["issuer"])
                ),
            }],
        });
    }
    let prov = crate::declaration::provenance(declaration).ok_or_else(|| {
        CertificationError::Document {
            file: "declaration".into(),
            problem: "not a pcf declaration: it has no provenance extension".into(),
        }
    })?;
    let issued_text = declaration["validFrom"]
        .as_str()
        .or_else(|| declaration["credentialSubject"]["created"].as_str())
        .unwrap_or_default()
        .to_string();
    let issued = Instant::parse_utc(&issued_text).map_err(|_| CertificationError::Document {
        file: "declaration".into(),
        problem: format!("validFrom {issued_text:?} is not an RFC 3339 UTC time"),
    })?;
    // A witness's timestamp bounds the issue time from above, whatever validFrom claims: the
    // later of the two is the instant the approval must hold at.
    let (issued, issued_label, issued_text) =
        match crate::declaration::verify::witnessed(declaration, bundle, options) {
            Ok(Some(w)) if w.time > issued => (
                w.time,
                format!("no later than {}, witnessed by {}", w.time, w.witness),
                format!(
                    "{} (witnessed by {}; its validFrom claims {issued_text})",
                    w.time, w.witness
                ),
            ),
            _ => (issued, issued.to_string(), issued_text),
        };
    let pinned = &prov.methodology;
    let mut approvals = Vec::new();
    let mut revocations = Vec::new();
    let mut rejected = Vec::new();
    for (source, doc) in documents {
        let types: Vec<&str> = doc["type"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let result = if types.contains(&REVOCATION_TYPE) {
            parse_revocation(doc).map(|r| revocations.push(r))
        } else {
            parse_approval(doc).map(|a| approvals.push((source.clone(), a)))
        };
        if let Err(detail) = result {
            rejected.push(ApprovalFinding {
                source: source.clone(),
                status: ApprovalStatus::Rejected,
                issuer: None,
                body: None,
                detail,
            });
        }
    }
    let mut findings = Vec::new();
    for (source, a) in &approvals {
        // A revocation counts only if the approval's own issuer signed it.
        let revoked = revocations
            .iter()
            .filter(|r| r.approval_digest == a.digest && r.issuer == a.issuer)
            .min_by(|x, y| x.effective.cmp(&y.effective));
        let why = |r: &Revocation| r.reason.as_deref().map_or(String::new(), |x| format!(" ({x})"));
        let (status, detail) = if a.methodology_digest != pinned.digest {
            (
                ApprovalStatus::OtherMethodology,
                format!(
                    "approves {} {} ({}), not the pinned {} {} ({})",
                    a.methodology_id,
                    a.methodology_version,
                    a.methodology_digest,
                    pinned.id,
                    pinned.version,
                    pinned.digest
                ),
            )
        } else if !trusted_bodies.iter().any(|t| t == &a.issuer) {
            (
                ApprovalStatus::Untrusted,
                format!("{} ({}) is not among the trusted bodies", a.body, a.issuer),
            )
        } else if issued < a.valid_from {
            (
                ApprovalStatus::NotYetValid,
                format!(
                    "valid from {}, but the declaration was issued {}",
                    a.valid_from, issued_label
                ),
            )
        } else if issued >= a.valid_until {
            (
                ApprovalStatus::Expired,
                format!(
                    "expired {}, before the declaration was issued {}",
                    a.valid_until, issued_label
                ),
            )
        } else if let Some(r) = revoked.filter(|r| r.effective <= issued) {
            (
                ApprovalStatus::Revoked,
                format!(
                    "revoked from {}{}, before the declaration was issued {}",
                    r.effective,
                    why(r),
                    issued_label
                ),
            )
        } else if let Some(r) = revoked {
            (
                ApprovalStatus::RevokedLater,
                format!(
                    "valid {} to {} when the declaration was issued {}; revoked later, from {}{}",
                    a.valid_from,
                    a.valid_until,
                    issued_label,
                    r.effective,
                    why(r)
                ),
            )
        } else {
            (
                ApprovalStatus::Valid,
                format!(
                    "valid {} to {}, scope: {}; the declaration was issued {}",
                    a.valid_from, a.valid_until, a.scope, issued_label
                ),
            )
        };
        findings.push(ApprovalFinding {
            source: source.clone(),
            status,
            issuer: Some(a.issuer.clone()),
            body: Some(a.body.clone()),
            detail,
        });
    }
    let verdict = if findings
        .iter()
        .any(|f| matches!(f.status, ApprovalStatus::Valid | ApprovalStatus::RevokedLater))
    {
        ApprovalVerdict::Approved
    } else {
        ApprovalVerdict::NotApproved
    };
    Ok(ApprovalReport {
        verdict,
        methodology: format!("{} {} ({})", pinned.id, pinned.version, pinned.digest),
        issued: issued_text,
        approvals: findings,
        rejected,
    })
}

/// The approval report as one check of a declaration's verification report (for `pcf verify
/// --approval`): pass when approved, fail otherwise.
pub fn as_check(report: &ApprovalReport) -> crate::declaration::Check {
    use crate::declaration::CheckStatus;
    let status = match report.verdict {
        ApprovalVerdict::Approved => CheckStatus::Pass,
        ApprovalVerdict::NotApproved => CheckStatus::Fail,
    };
    let detail = report
        .approvals
        .iter()
        .chain(&report.rejected)
        .map(|f| format!("{}: {}", f.source, f.detail))
        .collect::<Vec<_>>()
        .join("; ");
    crate::declaration::Check {
        name: "approval".into(),
        status,
        detail: if detail.is_empty() { "no approval given".into() } else { detail },
    }
}

impl fmt::Display for ApprovalReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = match self.verdict {
            ApprovalVerdict::Approved => "APPROVED",
            ApprovalVerdict::NotApproved => "NOT APPROVED",
        };
        writeln!(f, "{v}: methodology {}", self.methodology)?;
        writeln!(f, "  declaration issued {}", self.issued)?;
        for a in self.approvals.iter().chain(&self.rejected) {
            let s = match a.status {
                ApprovalStatus::Valid => "valid",
                ApprovalStatus::RevokedLater => "valid then",
                ApprovalStatus::Untrusted => "UNTRUSTED",
                ApprovalStatus::OtherMethodology => "OTHER VERSION",
                ApprovalStatus::NotYetValid => "NOT YET VALID",
                ApprovalStatus::Expired => "EXPIRED",
                ApprovalStatus::Revoked => "REVOKED",
                ApprovalStatus::Rejected => "REJECTED",
            };
            writeln!(f, "  [{s}] {}: {}", a.source, a.detail)?;
        }
        if self.approvals.is_empty() && self.rejected.is_empty() {
            writeln!(f, "  no approval given")?;
        }
        Ok(())
    }
}
