//! The issuer's side of C2SP `tlog-witness` (`pcf register submit`): send the register's
//! latest checkpoint to a witness with a consistency proof from the size the witness last
//! cosigned, and keep the checkpoint with the witness's cosignature.
//!
//! The issuer does not know that size beforehand: it asks with its best guess (0 the first
//! time) and, when the witness answers 409 with its size, asks once more with a proof from
//! there. The cosignature is checked with the witness's verifier key before it is kept.

use pcf_trust::register::Register;
use pcf_trust::register::merkle::Hash;
use pcf_trust::register::note::{self, Note, Verifier};
use pcf_trust::witness::AddCheckpoint;

use crate::ExchangeError;
use crate::server::witness::SIZE_CONTENT_TYPE;

/// Largest witness answer read.
const MAX_ANSWER: usize = 64 << 10;

/// A checkpoint a witness cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    /// The checkpoint with the witness's cosignature (a signed note).
    pub note: String,
    /// The size the proof started from (the size the witness had cosigned before).
    pub old: u64,
    /// The checkpoint's size.
    pub size: u64,
    /// Whether the witness named another old size first (one retry).
    pub retried: bool,
}

/// Sends `checkpoint` (signed by `issuer`, a checkpoint of `register`) to the witness at
/// `base` (its `add-checkpoint` is under it) whose verifier key is `witness`, starting from
/// old size `old`.
pub async fn submit(
    http: &reqwest::Client,
    base: &str,
    register: &Register,
    issuer: &Verifier,
    witness: &Verifier,
    checkpoint: &str,
    old: u64,
) -> Result<Submitted, ExchangeError> {
    let url = format!("{}/add-checkpoint", base.trim_end_matches('/'));
    let (cp, _, _) = note::open_checkpoint(checkpoint, std::slice::from_ref(issuer))
        .map_err(|e| ExchangeError::Usage(format!("the checkpoint: {e}")))?;
    let refused = |status: u16, message: String| ExchangeError::WitnessRefused {
        url: url.clone(),
        status,
        message,
    };
    let mut old = old;
    for attempt in 0..2 {
        if old > cp.size {
            return Err(refused(
                409,
                format!(
                    "the witness has cosigned {old} entries of this log, more than the {} of the \
                     register's checkpoint: it was shown a longer history (the register lost \
                     entries, or another copy of it grew)",
                    cp.size
                ),
            ));
        }
        let proof = proof(register, old, cp.size)?;
        let body = AddCheckpoint { old, proof, checkpoint: checkpoint.to_string() }.to_text();
        let response = http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(body)
            .send()
            .await
            .map_err(|e| ExchangeError::Http { url: url.clone(), message: e.to_string() })?;
        let status = response.status().as_u16();
        let size_answer = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == SIZE_CONTENT_TYPE);
        let answer = read_answer(response, &url).await?;
        match status {
            200 => {
                let note = cosigned(checkpoint, &answer, issuer, witness)
                    .map_err(|m| ExchangeError::Protocol { url: url.clone(), message: m })?;
                return Ok(Submitted { note, old, size: cp.size, retried: attempt > 0 });
            }
            409 if size_answer => {
                let theirs: u64 =
                    answer.trim_end_matches('\n').parse().map_err(|_| ExchangeError::Protocol {
                        url: url.clone(),
                        message: format!("{answer:?} is not a tree size"),
                    })?;
                if theirs == old || attempt > 0 {
                    return Err(refused(
                        409,
                        format!("it keeps asking for old size {theirs} (sent {old})"),
                    ));
                }
                old = theirs;
            }
            _ => {
                let said: String = answer.chars().take(500).collect();
                return Err(refused(status, said.trim_end().to_string()));
            }
        }
    }
    Err(refused(409, "no agreement on the old size after one retry".into()))
}

fn proof(register: &Register, old: u64, size: u64) -> Result<Vec<Hash>, ExchangeError> {
    if old == 0 || old == size {
        return Ok(Vec::new());
    }
    Ok(register.consistency_proof(old, size)?)
}

async fn read_answer(mut response: reqwest::Response, url: &str) -> Result<String, ExchangeError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ExchangeError::Http { url: url.to_string(), message: e.to_string() })?
    {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_ANSWER {
            return Err(ExchangeError::Cap {
                url: url.to_string(),
                what: "bytes read",
                limit: MAX_ANSWER as u64,
                flag: "(none)",
            });
        }
    }
    String::from_utf8(bytes).map_err(|_| ExchangeError::Protocol {
        url: url.to_string(),
        message: "the answer is not UTF-8".into(),
    })
}

/// The checkpoint with the witness's cosignature lines added, after checking that the
/// witness's cosignature is among them and verifies.
fn cosigned(
    checkpoint: &str,
    answer: &str,
    issuer: &Verifier,
    witness: &Verifier,
) -> Result<String, String> {
    if answer.is_empty() || !answer.ends_with('\n') || !answer.starts_with('\u{2014}') {
        return Err("the answer is not signature lines".into());
    }
    let note = Note::parse(&format!("{checkpoint}{answer}"))
        .map_err(|e| format!("the cosigned checkpoint: {e}"))?;
    let verified = note
        .verify(&[issuer.clone(), witness.clone()])
        .map_err(|e| format!("the cosigned checkpoint: {e}"))?;
    if !verified.iter().any(|v| v.verifier == 1) {
        return Err(format!("no cosignature of {} in the answer", witness.name));
    }
    // Keep the log's signatures and the witness's, nothing the answer added besides.
    let kept = Note {
        text: note.text.clone(),
        signatures: note
            .signatures
            .into_iter()
            .filter(|s| {
                (s.name == issuer.name && s.id == issuer.id())
                    || (s.name == witness.name && s.id == witness.id())
            })
            .collect(),
    };
    Ok(kept.to_text())
}
