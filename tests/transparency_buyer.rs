#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The buyer's side of the transparency log: the record of checkpoints seen (`pcf verify
//! --seen`) catching a split view and a stale checkpoint and advancing only with a consistency
//! proof, freshness from witnesses' timestamps (`--max-age`), and the witnessed issue time
//! judging approvals (`pcf register add-cosigned`, the bundle's witnessed checkpoint).

use serde_json::Value;

use pcf::register::note::{self, COSIGNATURE, Note, Verifier};
use pcf::time::Instant;

use crate::util::{Issuer, stderr};

const WITNESS: &str = "witness.example/w1";

/// Verifies `bundle` with `args` and `--json`: the exit code and the report.
fn verify(is: &Issuer, bundle: &str, args: &[&str]) -> (Option<i32>, Value) {
    let mut all = vec!["verify", bundle, "--trust", &is.did, "--json"];
    all.extend_from_slice(args);
    let out = is.run(&all);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{all:?}: no report: {}", stderr(&out)));
    (out.status.code(), report)
}

/// The status and detail of the check `name` of a report.
fn check(report: &Value, name: &str) -> (String, String) {
    let c = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check: {report}"));
    (c["status"].as_str().unwrap().to_string(), c["detail"].as_str().unwrap().to_string())
}

fn read(is: &Issuer, path: &str) -> String {
    std::fs::read_to_string(is.dir.path().join(path)).unwrap()
}

/// The register's checkpoint of `size`.
fn checkpoint(is: &Issuer, size: u64) -> String {
    read(is, &format!("reg/checkpoints/{size:020}.txt"))
}

/// The checkpoint the record keeps for the issuer's log.
fn recorded(is: &Issuer) -> String {
    read(is, &format!("seen/logs/{}.txt", is.did.replace(':', "_")))
}

/// Now plus `days`, in whole seconds (as a cosignature's timestamp is).
fn days_from_now(days: i64) -> Instant {
    Instant::from_unix_seconds(Instant::now().unix_seconds() + days * 86_400).unwrap()
}

/// A witness key, its verifier key, and a cosigner of checkpoint notes at a chosen time.
struct TestWitness {
    key: ed25519_dalek::SigningKey,
    vkey: String,
}

impl TestWitness {
    fn new() -> TestWitness {
        let key = ed25519_dalek::SigningKey::from_bytes(&[42; 32]);
        let vkey = Verifier::new(WITNESS, COSIGNATURE, key.verifying_key()).unwrap().vkey();
        TestWitness { key, vkey }
    }

    /// `checkpoint` with this witness's cosignature at `time`.
    fn cosign(&self, checkpoint: &str, time: Instant) -> String {
        let mut n = Note::parse(checkpoint).unwrap();
        let t = u64::try_from(time.unix_seconds()).unwrap();
        n.signatures.push(note::cosign(&n.text, WITNESS, &self.key, t).unwrap());
        n.to_text()
    }
}

/// The issuer shows two buyers two histories of its log (two registers, one key, a checkpoint
/// of size 1 each with another root): a buyer who sees both with one record catches the fork,
/// and the record keeps both signed checkpoints as evidence.
#[test]
fn a_split_view_is_caught_by_the_record_of_checkpoints_seen() {
    let is = Issuer::new();
    is.declare("v1.json", &[]);
    is.bundle("v1.json", "a.bundle.json", &[]);
    // The same key declares again into another register: another entry 0, another root.
    is.ok(&[
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "issuer.key",
        "--out",
        "fork.json",
        "--register",
        "reg2",
    ]);
    is.ok(&[
        "bundle",
        "fork.json",
        "--inventory",
        "inventory.toml",
        "--register",
        "reg2",
        "--out",
        "b.bundle.json",
    ]);

    let (code, first) = verify(&is, "a.bundle.json", &["--seen", "seen"]);
    let (status, detail) = check(&first, "seen");
    assert_eq!((code, status.as_str()), (Some(0), "pass"), "{detail}");
    assert!(detail.contains("first checkpoint of this log seen (size 1)"), "{detail}");
    assert_eq!(recorded(&is), checkpoint(&is, 1));

    let (code, forked) = verify(&is, "b.bundle.json", &["--seen", "seen"]);
    let (status, detail) = check(&forked, "seen");
    assert_eq!((code, status.as_str()), (Some(1), "fail"), "{detail}");
    assert!(detail.contains("FORK") && detail.contains("two checkpoints of size 1"), "{detail}");
    // The detail names the evidence file; it holds both signed checkpoints.
    let path = detail.rsplit(" is in ").next().unwrap();
    let evidence = std::fs::read_to_string(is.dir.path().join(path)).unwrap();
    let other = read(&is, "reg2/checkpoints/00000000000000000001.txt");
    assert!(evidence.contains(&checkpoint(&is, 1)) && evidence.contains(&other), "{evidence}");
    // The record still holds the first checkpoint.
    assert_eq!(recorded(&is), checkpoint(&is, 1));
}

/// A deprecated declaration shown with the checkpoint from before its deprecation is caught
/// once a newer checkpoint is known: bundle A (size 1) verifies alone, but not after bundle B
/// (size 2, which shows the supersession) was seen.
#[test]
fn an_old_checkpoint_after_a_newer_one_is_stale() {
    let is = Issuer::new();
    is.declare("v1.json", &[]);
    is.bundle("v1.json", "a.bundle.json", &[]);
    is.declare("v2.json", &["--supersedes", "v1.json"]);
    is.bundle("v1.json", "b.bundle.json", &[]);

    // Alone, A is valid as of its checkpoint.
    let (code, alone) = verify(&is, "a.bundle.json", &["--seen", "fresh"]);
    assert_eq!(code, Some(0), "{alone}");
    let (code, b) = verify(&is, "b.bundle.json", &["--seen", "seen"]);
    assert_eq!(code, Some(3), "{b}");
    assert_eq!(check(&b, "seen").0, "pass");
    let (code, a) = verify(&is, "a.bundle.json", &["--seen", "seen"]);
    let (status, detail) = check(&a, "seen");
    assert_eq!((code, status.as_str()), (Some(1), "fail"), "{detail}");
    assert!(
        detail.contains("has size 1, but a newer checkpoint of size 2")
            && detail.contains("may have been superseded or deprecated since"),
        "{detail}"
    );
    assert_eq!(recorded(&is), checkpoint(&is, 2));
}

/// A newer checkpoint advances the record only with a consistency proof from the one recorded:
/// without it the check warns and the record is kept; with `--consistency FILE` (`pcf register
/// prove`) or a bundle made with `--consistency-from N` it advances.
#[test]
fn a_newer_checkpoint_is_recorded_only_with_a_consistency_proof() {
    let is = Issuer::new();
    is.declare("v1.json", &[]);
    is.bundle("v1.json", "a.bundle.json", &[]);
    is.declare("v2.json", &["--supersedes", "v1.json"]);
    is.bundle("v2.json", "b.bundle.json", &[]);
    is.bundle("v2.json", "c.bundle.json", &["--consistency-from", "1"]);
    let proof = is.ok(&["register", "--register", "reg", "prove", "--from", "1"]);
    std::fs::write(is.dir.path().join("proof.txt"), proof).unwrap();

    verify(&is, "a.bundle.json", &["--seen", "seen"]);
    let (code, b) = verify(&is, "b.bundle.json", &["--seen", "seen"]);
    let (status, detail) = check(&b, "seen");
    assert_eq!((code, status.as_str()), (Some(0), "warn"), "{detail}");
    assert!(detail.contains("could not be checked") && detail.contains("keeps size 1"), "{detail}");
    assert_eq!(recorded(&is), checkpoint(&is, 1));

    let with = ["--seen", "seen", "--consistency", "proof.txt"];
    let (code, b) = verify(&is, "b.bundle.json", &with);
    let (status, detail) = check(&b, "seen");
    assert_eq!((code, status.as_str()), (Some(0), "pass"), "{detail}");
    assert!(detail.contains("consistent with the checkpoint of size 1"), "{detail}");
    assert_eq!(recorded(&is), checkpoint(&is, 2));

    // The proof carried in the bundle does the same for another buyer.
    verify(&is, "a.bundle.json", &["--seen", "seen2"]);
    let (_, c) = verify(&is, "c.bundle.json", &["--seen", "seen2"]);
    let (status, detail) = check(&c, "seen");
    assert_eq!(status, "pass", "{detail}");
    assert!(detail.contains("consistent with the checkpoint of size 1"), "{detail}");
    // A proof between other sizes is refused and the record kept.
    is.declare("v3.json", &["--supersedes", "v2.json"]);
    is.bundle("v3.json", "d.bundle.json", &[]);
    let (code, d) = verify(&is, "d.bundle.json", &["--seen", "seen", "--consistency", "proof.txt"]);
    let (status, detail) = check(&d, "seen");
    assert_eq!((code, status.as_str()), (Some(1), "fail"), "{detail}");
    assert_eq!(recorded(&is), checkpoint(&is, 2));
}

/// `--max-age` takes the checkpoint's age from a trusted witness's timestamp: cosigned ten
/// days ago passes 30d and fails 5d; without `--witness` it is a usage error.
#[test]
fn max_age_is_judged_by_the_witness_timestamp() {
    let is = Issuer::new();
    let w = TestWitness::new();
    is.declare("v1.json", &[]);
    let ten_days_ago = days_from_now(-10);
    std::fs::write(is.dir.path().join("cosigned.txt"), w.cosign(&checkpoint(&is, 1), ten_days_ago))
        .unwrap();
    is.bundle("v1.json", "w.bundle.json", &["--checkpoint", "cosigned.txt"]);

    let (code, ok) = verify(&is, "w.bundle.json", &["--witness", &w.vkey, "--max-age", "30d"]);
    let (status, detail) = check(&ok, "log");
    assert_eq!((code, status.as_str()), (Some(0), "pass"), "{detail}");
    assert!(detail.contains(&format!("cosigned by {WITNESS} at")), "{detail}");
    let (code, old) = verify(&is, "w.bundle.json", &["--witness", &w.vkey, "--max-age", "5d"]);
    let (status, detail) = check(&old, "log");
    assert_eq!((code, status.as_str()), (Some(1), "fail"), "{detail}");
    assert!(detail.contains("more than 5d before"), "{detail}");
    // Judged at an instant twelve days ago, the cosignature is recent enough for 5d.
    let at = days_from_now(-12).to_string();
    let (_, then) =
        verify(&is, "w.bundle.json", &["--witness", &w.vkey, "--max-age", "5d", "--at", &at]);
    assert_eq!(check(&then, "log").0, "pass");

    let out = is.run(&["verify", "w.bundle.json", "--trust", &is.did, "--max-age", "30d"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--max-age needs --witness"), "{}", stderr(&out));
    let out = is.run(&["verify", "w.bundle.json", "--witness", &w.vkey, "--max-age", "30 days"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A declaration whose validFrom precedes the revocation of its methodology's approval, but
/// which a witness first saw in the log after it, is not approved: the witnessed time is the
/// issue time. Without the witness's key the claim is all there is, and it is approved.
#[test]
fn the_witnessed_time_judges_the_approval() {
    let is = Issuer::new();
    let w = TestWitness::new();
    is.declare("v1.json", &[]);
    // The witness first sees the entry ten days after the declaration's validFrom (as if the
    // issuer had backdated it); the approval is revoked in between.
    let later = days_from_now(10);
    std::fs::write(is.dir.path().join("cosigned.txt"), w.cosign(&checkpoint(&is, 1), later))
        .unwrap();
    let kept = is.ok(&["register", "--register", "reg", "add-cosigned", "cosigned.txt"]);
    assert!(kept.contains("checkpoint of size 1 with 1 cosignature(s)"), "{kept}");
    // The issuer's own checkpoint, or another root, is not a cosigned checkpoint of the register.
    std::fs::write(is.dir.path().join("own.txt"), checkpoint(&is, 1)).unwrap();
    let out = is.run(&["register", "--register", "reg", "add-cosigned", "own.txt"]);
    assert!(stderr(&out).contains("no cosignature besides the issuer's"), "{}", stderr(&out));
    let made = is.ok(&[
        "bundle",
        "v1.json",
        "--inventory",
        "inventory.toml",
        "--register",
        "reg",
        "--checkpoint",
        "cosigned.txt",
    ]);
    assert!(made.contains("witnessed checkpoint: yes"), "{made}");

    is.ok(&["keygen", "--out", "cb.key"]);
    let cb = is.ok(&["did", "cb.key"]).trim().to_string();
    is.ok(&[
        "methodology",
        "approve",
        "pact-3.0",
        "--key",
        "cb.key",
        "--scope",
        "steel",
        "--valid-from",
        "2026-01-01",
        "--valid-until",
        "2099-12-31",
        "--out",
        "approval.json",
    ]);
    let revoked = days_from_now(5).to_string();
    is.ok(&[
        "methodology",
        "revoke",
        "approval.json",
        "--key",
        "cb.key",
        "--effective",
        &revoked,
        "--out",
        "revocation.json",
    ]);
    let approval =
        ["--approval", "approval.json", "--approval", "revocation.json", "--trust-body", &cb];

    let (code, claimed) = verify(&is, "v1.bundle.json", &approval);
    let (status, detail) = check(&claimed, "approval");
    assert_eq!((code, status.as_str()), (Some(0), "pass"), "{detail}");
    assert!(detail.contains("revoked later"), "{detail}");
    assert_eq!(check(&claimed, "witnessed").0, "skip");

    let with: Vec<&str> = approval.iter().copied().chain(["--witness", &w.vkey]).collect();
    let (code, witnessed) = verify(&is, "v1.bundle.json", &with);
    let (status, detail) = check(&witnessed, "witnessed");
    assert_eq!(status, "pass", "{detail}");
    assert!(detail.contains(&format!("issued no later than {later}, witnessed by {WITNESS}")));
    assert_eq!(check(&witnessed, "log").0, "pass");
    let (status, detail) = check(&witnessed, "approval");
    assert_eq!((code, status.as_str()), (Some(1), "fail"), "{detail}");
    assert!(
        detail.contains("revoked from")
            && detail.contains(&format!("no later than {later}, witnessed by {WITNESS}")),
        "{detail}"
    );
}
