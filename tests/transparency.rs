#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The transparency log's Merkle tree against third-party vectors: the RFC 6962/9162 reference
//! hashes and the transparency-dev inclusion and consistency proof probes (happy paths and
//! their mutations), from `../shared/test-vectors/signing/transparency-dev-merkle`.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use pcf::register::merkle::{self, Hash, MemoryTree};

fn vectors() -> Option<std::path::PathBuf> {
    crate::util::test_vectors("signing/transparency-dev-merkle")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn hex_hash(s: &str) -> Hash {
    unhex(s).try_into().unwrap()
}

/// A base64 hash; `None` if it is not 32 bytes (the probes use such values to test rejection).
fn b64_hash(v: &Value) -> Option<Hash> {
    STANDARD.decode(v.as_str()?).ok()?.try_into().ok()
}

/// A root as the probes give it. Go's verifier compares roots as byte strings of any length,
/// and some probes use short placeholders ("don't care"); those stand in as a SHA-256 of the
/// bytes with a prefix no real root has, which keeps equal placeholders equal.
fn b64_root(v: &Value) -> Option<Hash> {
    use sha2::Digest as _;
    let bytes = STANDARD.decode(v.as_str()?).ok()?;
    Some(bytes.clone().try_into().unwrap_or_else(|_| {
        sha2::Sha256::digest([b"placeholder:".as_slice(), &bytes].concat()).into()
    }))
}

/// A proof: an array of base64 hashes (`null` is the empty proof, as Go writes a nil slice).
fn b64_hashes(v: &Value) -> Option<Vec<Hash>> {
    if v.is_null() {
        return Some(Vec::new());
    }
    v.as_array()?.iter().map(b64_hash).collect()
}

/// Every JSON file under `dir`, recursively, sorted.
fn json_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn reference_hashes_and_roots_of_every_size() {
    let Some(dir) = vectors() else { return };
    let r: Value =
        serde_json::from_slice(&std::fs::read(dir.join("rfc6962_reference.json")).unwrap())
            .unwrap();
    let h = &r["hasher"];
    assert_eq!(merkle::empty_root(), hex_hash(h["empty_tree_root"].as_str().unwrap()));
    assert_eq!(merkle::leaf_hash(b""), hex_hash(h["leaf_hash_of_empty_leaf"].as_str().unwrap()));
    assert_eq!(
        merkle::leaf_hash(b"L123456"),
        hex_hash(h["leaf_hash_of_ascii_L123456"].as_str().unwrap())
    );
    let mut tree = MemoryTree::new();
    let roots = r["root_hashes_by_tree_size"].as_object().unwrap();
    assert_eq!(tree.root(), hex_hash(roots["0"].as_str().unwrap()));
    for (i, leaf) in r["leaf_inputs_hex"].as_array().unwrap().iter().enumerate() {
        let s = leaf.as_str().unwrap();
        tree.push(&unhex(s));
        let want = hex_hash(roots[&(i + 1).to_string()].as_str().unwrap());
        assert_eq!(tree.root(), want, "root of size {}", i + 1);
        // The root of every earlier size is still readable from the same store.
        for size in 0..=tree.size() {
            let want = hex_hash(roots[&size.to_string()].as_str().unwrap());
            assert_eq!(merkle::root(&tree, size).unwrap(), want, "root of size {size}");
        }
    }
}

/// Runs `check` on every probe under `testdata/<kind>` and compares its outcome with the
/// probe's `wantErr`; a value that is not a SHA-256 hash (a `None` from the decoders) cannot
/// be a leaf, root or proof element, so `check` returns `None` for it and that counts as
/// refused.
fn probes(kind: &str, check: impl Fn(&Value) -> Option<Result<(), merkle::ProofError>>) {
    let Some(dir) = vectors() else { return };
    let files = json_files(&dir.join("testdata").join(kind));
    assert!(files.len() >= 98, "{} {kind} probes", files.len());
    let (mut ok, mut refused) = (0, 0);
    for f in files {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let want_err = v["wantErr"].as_bool().unwrap();
        let got = check(&v).unwrap_or(Err(merkle::ProofError::Shape("not a 32-byte hash".into())));
        assert_eq!(got.is_err(), want_err, "{}: {} -> {got:?}", f.display(), v["desc"]);
        if want_err { refused += 1 } else { ok += 1 }
    }
    assert!(ok > 0 && refused > ok, "{ok} accepted, {refused} refused");
}

#[test]
fn inclusion_probes_pass_and_fail_as_the_vectors_say() {
    probes("inclusion", |v| {
        let (index, size) = (v["leafIdx"].as_u64().unwrap(), v["treeSize"].as_u64().unwrap());
        let (leaf, root, proof) =
            (b64_hash(&v["leafHash"])?, b64_root(&v["root"])?, b64_hashes(&v["proof"])?);
        Some(merkle::verify_inclusion(&leaf, index, size, &proof, &root))
    });
}

#[test]
fn consistency_probes_pass_and_fail_as_the_vectors_say() {
    probes("consistency", |v| {
        let (size1, size2) = (v["size1"].as_u64().unwrap(), v["size2"].as_u64().unwrap());
        let (r1, r2, proof) =
            (b64_root(&v["root1"])?, b64_root(&v["root2"])?, b64_hashes(&v["proof"])?);
        Some(merkle::verify_consistency(size1, size2, &proof, &r1, &r2))
    });
}

#[test]
fn proofs_we_make_match_the_happy_path_vectors() {
    // The happy-path probes are proofs over the 8 reference leaves: ours must be identical.
    let Some(dir) = vectors() else { return };
    let r: Value =
        serde_json::from_slice(&std::fs::read(dir.join("rfc6962_reference.json")).unwrap())
            .unwrap();
    let mut tree = MemoryTree::new();
    for leaf in r["leaf_inputs_hex"].as_array().unwrap() {
        let s = leaf.as_str().unwrap();
        tree.push(&unhex(s));
    }
    let mut compared = 0;
    for f in json_files(&dir.join("testdata")) {
        if f.file_name().is_none_or(|n| n != "happy-path.json") {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let want = b64_hashes(&v["proof"]).unwrap();
        let ours = if let Some(index) = v["leafIdx"].as_u64() {
            merkle::inclusion_proof(&tree, index, v["treeSize"].as_u64().unwrap()).unwrap()
        } else {
            let (s1, s2) = (v["size1"].as_u64().unwrap(), v["size2"].as_u64().unwrap());
            merkle::consistency_proof(&tree, s1, s2).unwrap()
        };
        assert_eq!(ours, want, "{}", f.display());
        compared += 1;
    }
    assert!(compared >= 8, "{compared} happy paths compared");
}

/// tlog_tiles keeps the hashes in Go tlog's "stored hash" order; a vector is such a store.
struct Stored(Vec<tlog_tiles::Hash>);

impl tlog_tiles::HashReader for Stored {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<tlog_tiles::Hash>, tlog_tiles::Error> {
        Ok(indexes.iter().map(|&i| self.0[i as usize]).collect())
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Roots, inclusion proofs and consistency proofs agree with tlog_tiles on random trees,
    /// and each implementation accepts the other's proofs.
    #[test]
    fn roots_and_proofs_agree_with_tlog_tiles(
        leaves in proptest::collection::vec(proptest::collection::vec(0u8.., 0..40), 1..300),
        a in 0.0f64..1.0,
        b in 0.0f64..1.0,
    ) {
        let mut ours = MemoryTree::new();
        let mut theirs = Stored(Vec::new());
        for (n, leaf) in leaves.iter().enumerate() {
            ours.push(leaf);
            let add = tlog_tiles::stored_hashes(n as u64, leaf, &theirs).unwrap();
            theirs.0.extend(add);
        }
        let n = leaves.len() as u64;
        let size2 = 1 + ((n - 1) as f64 * b) as u64;
        let size1 = 1 + ((size2 - 1) as f64 * a) as u64;
        let index = ((size2 - 1) as f64 * a) as u64;
        let root1 = merkle::root(&ours, size1).unwrap();
        let root2 = merkle::root(&ours, size2).unwrap();
        proptest::prop_assert_eq!(root2, tlog_tiles::tree_hash(size2, &theirs).unwrap().0);
        proptest::prop_assert_eq!(root1, tlog_tiles::tree_hash(size1, &theirs).unwrap().0);

        let proof = merkle::inclusion_proof(&ours, index, size2).unwrap();
        let their_proof = tlog_tiles::prove_record(size2, index, &theirs).unwrap();
        proptest::prop_assert_eq!(&proof, &their_proof.iter().map(|h| h.0).collect::<Vec<_>>());
        let leaf = merkle::leaf_hash(&leaves[index as usize]);
        let wrapped: Vec<tlog_tiles::Hash> = proof.iter().map(|h| tlog_tiles::Hash(*h)).collect();
        tlog_tiles::check_record(&wrapped, size2, tlog_tiles::Hash(root2), index, tlog_tiles::Hash(leaf)).unwrap();
        merkle::verify_inclusion(&leaf, index, size2, &proof, &root2).unwrap();

        let cons = merkle::consistency_proof(&ours, size1, size2).unwrap();
        let their_cons = tlog_tiles::prove_tree(size2, size1, &theirs).unwrap();
        proptest::prop_assert_eq!(&cons, &their_cons.iter().map(|h| h.0).collect::<Vec<_>>());
        let wrapped: Vec<tlog_tiles::Hash> = cons.iter().map(|h| tlog_tiles::Hash(*h)).collect();
        tlog_tiles::check_tree(&wrapped, size2, tlog_tiles::Hash(root2), size1, tlog_tiles::Hash(root1)).unwrap();
        merkle::verify_consistency(size1, size2, &cons, &root1, &root2).unwrap();
    }
}

/// The C2SP signed-note example: its verifier key parses (the key id is the one its name and
/// key give), the note verifies, and any change to the text or the signature is refused.
#[test]
fn c2sp_signed_note_example_verifies_and_tampering_is_refused() {
    use pcf::register::note::{Note, NoteError, Verifier};
    let Some(dir) = crate::util::test_vectors("signing") else { return };
    let v: Value =
        serde_json::from_slice(&std::fs::read(dir.join("c2sp_signed_note_example.json")).unwrap())
            .unwrap();
    let verifier = Verifier::parse_vkey(v["vkey"].as_str().unwrap()).unwrap();
    let id: String = verifier.id().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(id, v["expected_key_id_hex"].as_str().unwrap());
    assert_eq!(verifier.vkey(), v["vkey"].as_str().unwrap());
    let text = v["signed_note"].as_str().unwrap();
    let note = Note::parse(text).unwrap();
    assert_eq!(note.text, v["note_text"].as_str().unwrap());
    assert_eq!(note.to_text(), text);
    assert_eq!(note.verify(std::slice::from_ref(&verifier)).unwrap().len(), 1);

    let tampered = Note::parse(&text.replace("example message", "example massage")).unwrap();
    assert_eq!(
        tampered.verify(std::slice::from_ref(&verifier)),
        Err(NoteError::BadSignature { name: "example.com/foo".into() })
    );
    // A wrong key id in the vkey is refused; an unknown signer alone is not enough.
    let vkey = v["vkey"].as_str().unwrap().replace("+530d903a+", "+530d903b+");
    assert!(Verifier::parse_vkey(&vkey).is_err());
    let other = Verifier::new("example.com/bar", verifier.kind, verifier.key).unwrap();
    assert!(matches!(note.verify(&[other]), Err(NoteError::NoKnownSigner(_))));
    // Malformed notes: no blank line, a control character, a line that is not a signature.
    for bad in [
        text.replacen("\n\n", "\n", 1),
        text.replacen("This", "Th\u{7}is", 1),
        format!("{text}not a signature\n"),
    ] {
        assert!(matches!(Note::parse(&bad), Err(NoteError::Format(_))), "{bad:?}");
    }
}

/// `pcf declare` signs a checkpoint after each entry; the checkpoints verify with the key of
/// their did:key origin, every entry has an inclusion proof against them, the later one is
/// consistent with the earlier, and `pcf register verify` checks them all.
#[test]
fn the_register_checkpoints_every_append_and_proves_inclusion_and_consistency() {
    use pcf::register::note::{Checkpoint, ED25519, Note, Verifier};
    use pcf::register::{CHECKPOINTS, Register};
    let is = crate::util::Issuer::new();
    let first = is.declare("v1.json", &[]);
    assert!(first.contains("checkpoint ") && first.contains("(size 1)"), "{first}");
    is.declare("v2.json", &["--supersedes", "v1.json"]);
    let (dir, did, run) = (&is.dir, &is.did, |args: &[&str]| is.ok(args));
    let reg = Register::open(dir.path().join("reg")).unwrap();
    let issuer = Verifier::new(did, ED25519, pcf::keys::parse_did_key(did).unwrap()).unwrap();
    let read = |size: u64| {
        let path = dir.path().join("reg").join(CHECKPOINTS).join(format!("{size:020}.txt"));
        let note = Note::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        note.verify(std::slice::from_ref(&issuer)).unwrap();
        Checkpoint::parse(&note.text).unwrap()
    };
    let (c1, c2) = (read(1), read(2));
    assert_eq!((c1.origin.as_str(), c1.size, c2.size), (did.as_str(), 1, 2));
    assert_eq!(reg.latest_checkpoint(&issuer).unwrap().unwrap().checkpoint, c2);
    for (seq, entry) in reg.entries().unwrap().iter().enumerate() {
        let leaf = merkle::leaf_hash(&entry.canonical().unwrap());
        let proof = reg.inclusion_proof(seq as u64, 2).unwrap();
        merkle::verify_inclusion(&leaf, seq as u64, 2, &proof, &c2.root).unwrap();
    }
    let proof = reg.consistency_proof(1, 2).unwrap();
    merkle::verify_consistency(1, 2, &proof, &c1.root, &c2.root).unwrap();
    let verify = run(&["register", "--register", "reg", "verify"]);
    assert!(verify.contains("2 signed checkpoint(s) match the entries"), "{verify}");
    // Checkpointing again changes nothing: the same head gives the same signed note.
    run(&["register", "--register", "reg", "checkpoint", "--key", "issuer.key"]);
    assert_eq!(read(2), c2);
}

/// A second head for a size already checkpointed is a fork: the register refuses to sign
/// another, and `pcf register verify` reports the rewritten history.
#[test]
fn a_forked_checkpoint_is_refused_and_reported() {
    use pcf::register::note::{self, Checkpoint, Note};
    use pcf::register::{CHECKPOINTS, Register};
    let is = crate::util::Issuer::new();
    is.declare("v1.json", &[]);
    let (dir, run) = (&is.dir, |args: &[&str]| is.run(args));
    // The same key signs another root for size 1 and puts it in place of the real one.
    let key = pcf::keys::read_private_key(&dir.path().join("issuer.key")).unwrap();
    let origin = pcf::keys::did_key(&key.verifying_key());
    let forged = Checkpoint { origin: origin.clone(), size: 1, root: [7; 32], extensions: vec![] };
    let text = forged.to_text();
    let sig = note::sign(&text, &origin, &key).unwrap();
    let path = dir.path().join("reg").join(CHECKPOINTS).join(format!("{:020}.txt", 1));
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, Note { text, signatures: vec![sig] }.to_text()).unwrap();

    let reg = Register::open(dir.path().join("reg")).unwrap();
    let err = reg.checkpoint(&key).unwrap_err().to_string();
    assert!(err.contains("another checkpoint of size 1") && err.contains("fork"), "{err}");
    let out = run(&["register", "--register", "reg", "verify"]);
    assert!(!out.status.success());
    let err = crate::util::stderr(&out);
    assert!(err.contains("the history it signed was rewritten"), "{err}");
}

/// A witness cosigns the log's first checkpoint, then a later one only with a consistency
/// proof from the one it cosigned; a second head for the same size (a split view) and a proof
/// that does not connect are reported as an equivocation with both checkpoints; an older
/// checkpoint after a newer one (a rollback) is refused. Buyers check the cosignature with the
/// witness's verifier key.
#[test]
fn a_witness_cosigns_consistent_checkpoints_and_reports_a_split_view() {
    use pcf::register::note::{self, COSIGNATURE, Checkpoint, ED25519, Note, Verifier};
    let is = crate::util::Issuer::new();
    let (dir, did) = (&is.dir, is.did.clone());
    let (run, ok) = (|args: &[&str]| is.run(args), |args: &[&str]| is.ok(args));
    ok(&["keygen", "--out", "witness.key"]);
    let declare = |out: &str, extra: &[&str]| {
        is.declare(out, extra);
    };
    let w = ["witness", "--key", "witness.key", "--name", "witness.example/w1"];
    let cosign = |cp: &str, extra: &[&str]| {
        let mut args = w.to_vec();
        args.extend_from_slice(&["cosign", "--state", "wstate", "--log", &did, cp]);
        args.extend_from_slice(extra);
        run(&args)
    };
    let cp = |size: u64| format!("reg/checkpoints/{size:020}.txt");
    declare("v1.json", &[]);
    let first = cosign(&cp(1), &[]);
    assert!(first.status.success(), "{}", crate::util::stderr(&first));

    // The witness's cosignature verifies with its vkey, over the log's checkpoint.
    let vkey = ok(&[&w[..], &["key"]].concat()).trim().to_string();
    let witness = Verifier::parse_vkey(&vkey).unwrap();
    assert_eq!(witness.kind, COSIGNATURE);
    let issuer = Verifier::new(&did, ED25519, pcf::keys::parse_did_key(&did).unwrap()).unwrap();
    let cosigned = Note::parse(&crate::util::stdout(&first)).unwrap();
    let verified = cosigned.verify(&[issuer.clone(), witness.clone()]).unwrap();
    assert_eq!(verified.len(), 2);
    assert!(verified[1].timestamp.is_some());

    // Two more entries; without the proof the witness reports it, with it it cosigns.
    declare("v2.json", &["--supersedes", "v1.json"]);
    let no_proof = cosign(&cp(2), &[]);
    assert_eq!(no_proof.status.code(), Some(1));
    assert!(
        crate::util::stdout(&no_proof).contains("EQUIVOCATION"),
        "{}",
        crate::util::stdout(&no_proof)
    );
    std::fs::write(
        dir.path().join("p.txt"),
        ok(&["register", "--register", "reg", "prove", "--from", "1"]),
    )
    .unwrap();
    let second = cosign(&cp(2), &["--proof", "p.txt"]);
    assert!(second.status.success(), "{}", crate::util::stderr(&second));

    // A rollback to size 1 is refused.
    let back = cosign(&cp(1), &[]);
    assert!(!back.status.success());
    assert!(crate::util::stderr(&back).contains("rollback"), "{}", crate::util::stderr(&back));

    // A split view: the issuer signs another head of size 2 for another buyer.
    let key = pcf::keys::read_private_key(&dir.path().join("issuer.key")).unwrap();
    let other = Checkpoint { origin: did.clone(), size: 2, root: [1; 32], extensions: vec![] };
    let text = other.to_text();
    let sig = note::sign(&text, &did, &key).unwrap();
    std::fs::write(dir.path().join("fork.txt"), Note { text, signatures: vec![sig] }.to_text())
        .unwrap();
    let split = cosign("fork.txt", &[]);
    assert_eq!(split.status.code(), Some(1));
    let report = crate::util::stdout(&split);
    assert!(report.contains("two checkpoints of size 2 with different roots"), "{report}");
    // Both signed checkpoints are in the report, as evidence.
    let real = std::fs::read_to_string(dir.path().join(cp(2))).unwrap();
    assert!(report.contains(&real), "{report}");
    assert!(report.contains(&note::encode_hash(&[1; 32])), "{report}");
}

/// A bundle carries the issuer's checkpoint at the excerpt's head with the excerpt's inclusion
/// proofs, and `pcf verify` checks them: an excerpt that leaves out the deprecation of a
/// superseded declaration no longer matches the checkpoint, and an altered entry is not in it.
#[test]
fn an_excerpt_that_omits_the_deprecation_cannot_match_the_checkpoint() {
    use pcf::declaration::{Bundle, CheckStatus, VerifyOptions};
    let is = crate::util::Issuer::new();
    let (dir, ok) = (&is.dir, |args: &[&str]| is.ok(args));
    let declare = |out: &str, extra: &[&str]| {
        is.declare(out, extra);
    };
    declare("v1.json", &[]);
    declare("v2.json", &["--supersedes", "v1.json"]);
    let made = ok(&["bundle", "v1.json", "--inventory", "inventory.toml", "--register", "reg"]);
    assert!(made.contains("log proof: yes"), "{made}");
    let bundle: Bundle =
        serde_json::from_slice(&std::fs::read(dir.path().join("v1.bundle.json")).unwrap()).unwrap();
    let log_of = |b: &Bundle| {
        let r =
            pcf::declaration::verify::verify(&b.declaration, Some(b), &VerifyOptions::default());
        r.checks
            .iter()
            .find(|c| c.name == "log")
            .map(|c| (c.status, c.detail.clone()))
            .unwrap_or_else(|| panic!("{r}"))
    };
    let (status, detail) = log_of(&bundle);
    assert_eq!(status, CheckStatus::Pass, "{detail}");
    assert!(detail.contains("entries 0..1") && detail.contains("size 2"), "{detail}");

    // The issuer cuts the excerpt before the supersession that deprecates v1.
    let mut cut = bundle.clone();
    let ex = cut.register_excerpt.as_mut().unwrap();
    ex.entries.truncate(1);
    ex.head = pcf::register::Head { seq: 0, digest: ex.entries[0].digest().unwrap() };
    cut.log.as_mut().unwrap().inclusion.truncate(1);
    let (status, detail) = log_of(&cut);
    assert_eq!(status, CheckStatus::Fail, "{detail}");
    assert!(
        detail.contains("the checkpoint has 2 entries but the excerpt's head is entry 0"),
        "{detail}"
    );

    // The last entry rewritten after checkpointing (here its time), with the head moved to
    // match so that the excerpt's own chain holds: it is not the checkpointed leaf.
    let mut altered = bundle.clone();
    let ex = altered.register_excerpt.as_mut().unwrap();
    ex.entries[1].time = "2020-01-01T00:00:00Z".parse().unwrap();
    ex.head = pcf::register::Head { seq: 1, digest: ex.entries[1].digest().unwrap() };
    let (status, detail) = log_of(&altered);
    assert_eq!(status, CheckStatus::Fail, "{detail}");
    assert!(detail.contains("entry 1 is not in the checkpointed log"), "{detail}");
}

/// A buyer who relies on a witness (`--witness VKEY`) accepts a bundle only if its checkpoint
/// carries that witness's cosignature: the issuer's own copy, or another witness's, is refused.
#[test]
fn verify_requires_the_witnesses_the_buyer_names() {
    let is = crate::util::Issuer::new();
    is.ok(&["keygen", "--out", "witness.key"]);
    is.ok(&["keygen", "--out", "other.key"]);
    is.declare("v1.json", &[]);
    let w = |key: &str, name: &str, rest: &[&str]| {
        let mut args = vec!["witness", "--key", key, "--name", name];
        args.extend_from_slice(rest);
        is.ok(&args)
    };
    let vkey = w("witness.key", "witness.example/w1", &["key"]).trim().to_string();
    let other = w("other.key", "witness.example/w2", &["key"]).trim().to_string();
    let cp = "reg/checkpoints/00000000000000000001.txt";
    let did = is.did.clone();
    let cosign = ["cosign", "--state", "ws", "--log", &did, cp, "--out", "cosigned.txt"];
    w("witness.key", "witness.example/w1", &cosign);
    is.ok(&["bundle", "v1.json", "--inventory", "inventory.toml", "--register", "reg"]);
    is.ok(&[
        "bundle",
        "v1.json",
        "--inventory",
        "inventory.toml",
        "--register",
        "reg",
        "--out",
        "witnessed.bundle.json",
        "--checkpoint",
        "cosigned.txt",
    ]);
    let verify = |bundle: &str, witness: &str| {
        let out = is.run(&["verify", bundle, "--trust", &did, "--witness", witness, "--json"]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let log = report["checks"].as_array().unwrap().iter().find(|c| c["name"] == "log").unwrap();
        (log["status"].as_str().unwrap().to_string(), log["detail"].as_str().unwrap().to_string())
    };
    let (status, detail) = verify("witnessed.bundle.json", &vkey);
    assert_eq!(status, "pass", "{detail}");
    assert!(detail.contains("cosigned by witness.example/w1"), "{detail}");
    for (bundle, witness) in [("v1.bundle.json", &vkey), ("witnessed.bundle.json", &other)] {
        let (status, detail) = verify(bundle, witness);
        assert_eq!(status, "fail", "{bundle}: {detail}");
        assert!(detail.contains("fewer than the 1 required"), "{detail}");
    }
    // A cosigned checkpoint of another head cannot replace the register's.
    is.declare("v2.json", &["--supersedes", "v1.json"]);
    let out = is.run(&[
        "bundle",
        "v2.json",
        "--inventory",
        "inventory.toml",
        "--register",
        "reg",
        "--out",
        "x.bundle.json",
        "--checkpoint",
        "cosigned.txt",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        crate::util::stderr(&out)
            .contains("is not the register's checkpoint at the excerpt's head")
    );
}

/// A register kept before the transparency log (entries and declarations only) converts on the
/// next command without loss; its declarations verify without a log proof, and once the issuer
/// signs a checkpoint, with one.
#[test]
fn a_register_from_before_the_log_converts_and_its_declarations_gain_log_proofs() {
    use pcf::declaration::{Bundle, CheckStatus, VerifyOptions};
    let is = crate::util::Issuer::new();
    is.declare("v1.json", &[]);
    is.declare("v2.json", &["--supersedes", "v1.json"]);
    let reg = is.dir.path().join("reg");
    let entries_before: Vec<Vec<u8>> = (0..2)
        .map(|seq| std::fs::read(reg.join(format!("entries/{seq:020}.json"))).unwrap())
        .collect();
    // What a register written before the log holds: no index, no tiles, no checkpoints.
    for gone in ["index", "log", "checkpoints"] {
        std::fs::remove_dir_all(reg.join(gone)).unwrap();
    }
    let log_of = |name: &str| {
        let bundle: Bundle =
            serde_json::from_slice(&std::fs::read(is.dir.path().join(name)).unwrap()).unwrap();
        let r = pcf::declaration::verify::verify(
            &bundle.declaration,
            Some(&bundle),
            &VerifyOptions::default(),
        );
        let check = r.checks.iter().find(|c| c.name == "log").unwrap_or_else(|| panic!("{r}"));
        (check.status, check.detail.clone())
    };
    let made = is.ok(&["bundle", "v2.json", "--inventory", "inventory.toml", "--register", "reg"]);
    assert!(made.contains("log proof: no"), "{made}");
    let (status, detail) = log_of("v2.bundle.json");
    assert_eq!(status, CheckStatus::Skip, "{detail}");
    assert!(detail.contains("carry none"), "{detail}");

    // The issuer signs a checkpoint of the converted register.
    let out = is.ok(&["register", "--register", "reg", "checkpoint", "--key", "issuer.key"]);
    assert!(out.contains("checkpoint of 2 entries"), "{out}");
    std::fs::remove_file(is.dir.path().join("v2.bundle.json")).unwrap();
    let made = is.ok(&["bundle", "v2.json", "--inventory", "inventory.toml", "--register", "reg"]);
    assert!(made.contains("log proof: yes"), "{made}");
    let (status, detail) = log_of("v2.bundle.json");
    assert_eq!(status, CheckStatus::Pass, "{detail}");
    // Nothing was lost or rewritten, and the register goes on.
    for (seq, bytes) in entries_before.iter().enumerate() {
        assert_eq!(&std::fs::read(reg.join(format!("entries/{seq:020}.json"))).unwrap(), bytes);
    }
    let verify = is.ok(&["register", "--register", "reg", "verify"]);
    assert!(verify.contains("2 entries") && verify.contains("1 signed checkpoint"), "{verify}");
    is.declare("v3.json", &["--supersedes", "v2.json"]);
}
