//! When a declaration was issued at the latest, from the bundle's witnessed checkpoint: the
//! earliest timestamp a witness the buyer trusts put on a checkpoint of the issuer's log that
//! includes the declaration's entry. Unlike `validFrom`, which the issuer writes, it cannot be
//! moved back.

use serde_json::Value;

use super::{Bundle, CheckStatus, Report, VerifyOptions};
use crate::declaration::issuer_of;
use crate::register::EntryKind;
use pcf_base::time::Instant;

/// A declaration's witnessed issue time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witnessed {
    /// The earliest timestamp of a trusted witness's cosignature on the checkpoint.
    pub time: Instant,
    /// That witness's name.
    pub witness: String,
    /// The size of the cosigned checkpoint.
    pub size: u64,
}

/// The witnessed issue time of `document` from what `bundle` carries, judged with the
/// witnesses of `options`: `Ok(None)` when the bundle carries no witnessed checkpoint or none of
/// the witnesses cosigned it; an error when the checkpoint or the proof does not verify.
pub fn witnessed(
    document: &Value,
    bundle: Option<&Bundle>,
    options: &VerifyOptions,
) -> Result<Option<Witnessed>, String> {
    let Some(proof) = bundle.and_then(|b| b.witnessed.as_ref()) else { return Ok(None) };
    issuer_of(document).ok_or("the declaration names no issuer")?;
    let issuer = super::log_identity(document, options).unwrap_or_default();
    let digest = pcf_base::canonical::digest(document).map_err(|e| e.to_string())?;
    let entry = bundle
        .and_then(|b| b.register_excerpt.as_ref())
        .and_then(|ex| {
            ex.entries.iter().find(|e| {
                matches!(&e.kind, EntryKind::Declared { declaration, .. } if *declaration == digest)
            })
        })
        .ok_or("the bundle's register excerpt has no entry declaring it")?;
    let found = crate::register::witnessed_time(proof, entry, &issuer, &options.witnesses)?;
    Ok(match found {
        None => None,
        Some((t, witness, size)) => {
            let time = i64::try_from(t)
                .ok()
                .and_then(Instant::from_unix_seconds)
                .ok_or_else(|| format!("the cosignature's time {t} is out of range"))?;
            Some(Witnessed { time, witness, size })
        }
    })
}

/// The `witnessed` check, when the bundle carries a witnessed checkpoint.
pub(super) fn witnessed_check(
    r: &mut Report,
    document: &Value,
    bundle: Option<&Bundle>,
    options: &VerifyOptions,
) {
    use CheckStatus::*;
    if bundle.and_then(|b| b.witnessed.as_ref()).is_none() {
        return;
    }
    if options.witnesses.is_empty() {
        r.add(
            "witnessed",
            Skip,
            "the bundle carries a witness-cosigned checkpoint, but no --witness was given to \
             trust its timestamps",
        );
        return;
    }
    match witnessed(document, bundle, options) {
        Err(e) => r.add("witnessed", Fail, e),
        Ok(None) => r.add(
            "witnessed",
            Skip,
            "none of the witnesses given cosigned the bundle's witnessed checkpoint",
        ),
        Ok(Some(w)) => {
            let claimed = document["validFrom"].as_str().unwrap_or("?");
            r.add(
                "witnessed",
                Pass,
                format!(
                    "issued no later than {}, witnessed by {} (its cosignature on the issuer's \
                     checkpoint of size {}); validFrom says {claimed}",
                    w.time, w.witness, w.size
                ),
            )
        }
    }
}
