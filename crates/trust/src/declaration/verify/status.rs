//! Whether a declaration is current at the instant of verification: its validity windows,
//! the status its issuer signed, later declarations in the bundle and the register excerpt.

use serde_json::Value;

use super::index::Index;
use super::{CheckStatus, Report, Standing};
use crate::declaration::{did_of, issuer_of};
use crate::proof;
use crate::register::{EntryKind, RegisterExcerpt};
use pcf_base::digest::Digest;
use pcf_base::time::Instant;

/// Checks the validity windows at `at`; pushes a standing for each window `at` is outside.
pub(super) fn validity_check(
    r: &mut Report,
    doc: &Value,
    at: Instant,
    standing: &mut Vec<(Standing, String)>,
) {
    use CheckStatus::*;
    let subject = pcf_footprint::credential::pact_footprint(doc).unwrap_or(&Value::Null);
    let fp = pcf_footprint::credential::footprint_path(doc);
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
    let created = time(&format!("{fp}.created"), &subject["created"], true);
    let period_start =
        time(&format!("{fp}.validityPeriodStart"), &subject["validityPeriodStart"], false);
    let period_end = time(&format!("{fp}.validityPeriodEnd"), &subject["validityPeriodEnd"], false);
    let reference_end =
        time(&format!("{fp}.pcf.referencePeriodEnd"), &subject["pcf"]["referencePeriodEnd"], true);
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
pub(super) fn status_check(
    r: &mut Report,
    doc: &Value,
    digest: Option<Digest>,
    index: &Index<'_>,
    (excerpt, log, options): (
        Option<&RegisterExcerpt>,
        Option<&crate::register::LogProof>,
        &super::VerifyOptions,
    ),
    depth: usize,
    at: Instant,
    standing: &mut Vec<(Standing, String)>,
) {
    use CheckStatus::*;
    let mut evidence = Vec::new();
    let footprint = pcf_footprint::credential::pact_footprint(doc).unwrap_or(&Value::Null);
    match footprint["status"].as_str() {
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
                format!(
                    "{}.status is {other:?}; PACT allows Active or Deprecated",
                    pcf_footprint::credential::footprint_path(doc)
                ),
            );
            return;
        }
    }
    let issuer = issuer_of(doc);
    let Some(digest) = digest else { return };
    for newer in index.successors.get(&digest).into_iter().flatten() {
        let genuine = proof::verify(newer, &super::resolver(options))
            .is_ok_and(|v| Some(did_of(&v.verification_method)) == issuer);
        let newer_from = newer["validFrom"].as_str().and_then(|t| Instant::parse(t).ok());
        if genuine && issuer_of(newer) == issuer && newer_from.is_some_and(|t| t <= at) {
            let id = pcf_footprint::credential::pact_footprint(newer)
                .and_then(|f| f["id"].as_str())
                .unwrap_or("?")
                .to_string();
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
            Ok(rep) => {
                let log_issuer = super::log_identity(doc, options);
                log_check(r, ex, log, log_issuer.as_deref(), options, at);
                excerpt_standing(r, ex, &rep.head, digest, at, standing)
            }
        },
    }
}

/// Whether the excerpt is the issuer's checkpointed log (every entry from the declaration's
/// own to the checkpoint, as the issuer's signed checkpoint commits to) or only its unsigned
/// record.
fn log_check(
    r: &mut Report,
    ex: &RegisterExcerpt,
    log: Option<&crate::register::LogProof>,
    issuer: Option<&str>,
    options: &super::VerifyOptions,
    at: Instant,
) {
    use CheckStatus::*;
    let need = options.min_witnesses;
    match (log, issuer) {
        (None, _) if need > 0 => r.add(
            "log",
            Fail,
            format!("{need} witness cosignature(s) required, but the bundle has no checkpoint"),
        ),
        (None, _) => r.add(
            "log",
            Skip,
            "no checkpoint of the issuer's log: the excerpt is its unsigned record (declarations \
             issued before the transparency log carry none)",
        ),
        (Some(_), Some(issuer)) if !issuer.starts_with("did:key:") => r.add(
            "log",
            Skip,
            format!("the issuer {issuer} is not a did:key: its checkpoints cannot be checked here"),
        ),
        (Some(proof), Some(issuer)) => {
            match crate::register::verify_log_proof(ex, proof, issuer, &options.witnesses) {
                Ok((_, cosigners)) if cosigners.len() < need => r.add(
                    "log",
                    Fail,
                    format!(
                        "the checkpoint is cosigned by {} of the witnesses given ({}), fewer than \
                         the {need} required",
                        cosigners.len(),
                        if cosigners.is_empty() { "none".into() } else { cosigners.join(", ") }
                    ),
                ),
                Ok((cp, cosigners)) => {
                    let fresh = match options.max_age {
                        Some(max) => freshness(proof, issuer, options, at, max),
                        None => Ok(String::new()),
                    };
                    match fresh {
                        Err(why) => r.add("log", Fail, why),
                        Ok(fresh) => r.add(
                            "log",
                            Pass,
                            format!(
                                "the excerpt is entries {}..{} of the issuer's log, as its \
                                 checkpoint of size {} (signed by the issuer{}) commits to: no \
                                 later status change up to it can be left out{fresh}",
                                ex.entries.first().map_or(0, |e| e.seq),
                                cp.size - 1,
                                cp.size,
                                if cosigners.is_empty() {
                                    String::new()
                                } else {
                                    format!(", cosigned by {}", cosigners.join(", "))
                                }
                            ),
                        ),
                    }
                }
                Err(e) => r.add("log", Fail, e),
            }
        }
        (Some(_), None) => r.add("log", Fail, "the declaration names no issuer"),
    }
}

/// Whether a trusted witness cosigned the checkpoint no more than `max_age` seconds before
/// `at`: the text to add to the log check, or why it fails. (The checkpoint verified already;
/// it is opened again for the cosignatures' times.)
fn freshness(
    proof: &crate::register::LogProof,
    issuer: &str,
    options: &super::VerifyOptions,
    at: Instant,
    max_age: u64,
) -> Result<String, String> {
    use crate::register::note::{self, Verifier};
    let mut known = vec![Verifier::for_did_key(issuer).map_err(|e| e.to_string())?];
    known.extend(options.witnesses.iter().cloned());
    let (_, _, verified) = note::open_checkpoint(&proof.checkpoint, &known)
        .map_err(|e| format!("the checkpoint: {e}"))?;
    let newest = verified
        .iter()
        .filter(|v| v.verifier > 0 && known[v.verifier].kind == note::COSIGNATURE)
        .filter_map(|v| Some((v.timestamp?, known[v.verifier].name.as_str())))
        .max();
    let limit = at.unix_seconds().saturating_sub(i64::try_from(max_age).unwrap_or(i64::MAX));
    let age = duration_text(max_age);
    let when = |t: u64| {
        i64::try_from(t)
            .ok()
            .and_then(Instant::from_unix_seconds)
            .map_or_else(|| format!("{t} (POSIX)"), |i| i.to_string())
    };
    match newest {
        None => Err(format!(
            "--max-age {age}: no witness given cosigned the checkpoint, so nothing shows how \
             recent it is (the issuer's own word is not taken for it)"
        )),
        Some((t, name)) if i64::try_from(t).unwrap_or(i64::MAX) < limit => Err(format!(
            "the newest cosignature of a trusted witness on the checkpoint is {} ({name}), more \
             than {age} before {at}: it may no longer be the log's head, and a later status \
             change would not show; ask the issuer for a freshly cosigned bundle",
            when(t)
        )),
        Some((t, name)) => Ok(format!("; cosigned by {name} at {}, within {age} of {at}", when(t))),
    }
}

/// A number of seconds as `--max-age` takes it: days, hours, minutes or seconds.
fn duration_text(seconds: u64) -> String {
    for (unit, n) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if seconds > 0 && seconds.is_multiple_of(n) {
            return format!("{}{unit}", seconds / n);
        }
    }
    format!("{seconds}s")
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
