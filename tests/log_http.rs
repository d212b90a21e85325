#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The transparency log over HTTP, on loopback: a witness speaking C2SP `tlog-witness`
//! (`pcf witness serve`'s server) reached with `pcf register submit`, and the register's log
//! served as C2SP `tlog-tiles` by `pcf serve --publish-log`, checked against its checkpoint.

use std::path::Path;
use std::time::Duration;

use pcf::exchange::auth::Clients;
use pcf::exchange::server::witness::{WitnessConfig, WitnessServer};
use pcf::exchange::server::{Limits, Server, ServerConfig, Transport};
use pcf::exchange::tiles::{Tile, TileKind};
use pcf::register::merkle::{self, Hash, MemoryTree};
use pcf::register::note::{self, COSIGNATURE, Checkpoint, Note, Verifier};
use pcf::register::{EntryKind, Register};
use pcf::witness::Witness;

/// Runs `pcf` off the async workers (the servers under test run on them).
async fn pcf(dir: &Path, args: &[&str]) -> std::process::Output {
    let (dir, args): (std::path::PathBuf, Vec<String>) =
        (dir.to_path_buf(), args.iter().map(|s| s.to_string()).collect());
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::util::pcf(&dir, &args)
    })
    .await
    .unwrap()
}

async fn ok(dir: &Path, args: &[&str]) -> String {
    let out = pcf(dir, args).await;
    assert!(out.status.success(), "{args:?}: {}", crate::util::stderr(&out));
    crate::util::stdout(&out)
}

/// Declares the bracket into `out` and the register `reg`.
async fn declare(dir: &Path, out: &str, extra: &[&str]) {
    ok(dir, &crate::util::declare_args(out, extra)).await;
}

/// A checkpoint of `size` entries with `root`, signed by the issuer: another history.
fn forged(dir: &Path, did: &str, size: u64, root: Hash) -> String {
    let key = pcf::keys::read_private_key(&dir.join("issuer.key")).unwrap();
    let text = Checkpoint { origin: did.to_string(), size, root, extensions: vec![] }.to_text();
    let sig = note::sign(&text, did, &key).unwrap();
    Note { text, signatures: vec![sig] }.to_text()
}

/// The issuer submits its checkpoint to a witness over HTTP: the first is cosigned, a later one
/// after the witness names the size it holds (409, one retry with a proof from there). A
/// fork of the same size is refused with 409 and one with a proof that does not connect with
/// 422, both kept as evidence; a wrong old size gets 409 with the witness's size; an unknown
/// log 404; a checkpoint the log did not sign 403.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_over_http_cosigns_what_extends_and_keeps_evidence_of_forks() {
    let work = crate::util::bracket_example();
    let dir = work.path();
    ok(dir, &["keygen", "--out", "issuer.key"]).await;
    let did = ok(dir, &["did", "issuer.key"]).await.trim().to_string();
    declare(dir, "v1.json", &[]).await;

    let witness = Witness {
        name: "witness.example/w1".into(),
        key: ed25519_dalek::SigningKey::from_bytes(&[3; 32]),
        state: dir.join("wstate"),
    };
    let vkey = witness.vkey().unwrap();
    let issuer = Verifier::for_did_key(&did).unwrap();
    let config = WitnessConfig {
        witness,
        logs: vec![issuer.clone()],
        transport: Transport::DangerPlainHttp,
        limits: Limits::default(),
        log: false,
    };
    let server = WitnessServer::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let url = server.url();
    let submit = |out: &'static str| {
        let (url, vkey) = (url.clone(), vkey.clone());
        async move {
            let args = [
                "register",
                "--register",
                "reg",
                "submit",
                "--key",
                "issuer.key",
                "--witness",
                &url,
                "--witness-key",
                &vkey,
                "--out",
                out,
            ];
            pcf(dir, &args).await
        }
    };
    let w = Verifier::parse_vkey(&vkey).unwrap();
    assert_eq!(w.kind, COSIGNATURE);
    let cosigned = |file: &str| {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let n = Note::parse(&text).unwrap();
        let verified = n.verify(&[issuer.clone(), w.clone()]).unwrap();
        assert_eq!(verified.len(), 2, "{text}");
        assert!(verified[1].timestamp.is_some());
        Checkpoint::parse(&n.text).unwrap()
    };

    let first = submit("c1.txt").await;
    assert!(first.status.success(), "{}", crate::util::stderr(&first));
    let said = crate::util::stdout(&first);
    assert!(said.contains("the first checkpoint of this log it cosigns"), "{said}");
    let c1 = cosigned("c1.txt");
    assert_eq!(c1.size, 1);

    declare(dir, "v2.json", &["--supersedes", "v1.json"]).await;
    let second = submit("c2.txt").await;
    assert!(second.status.success(), "{}", crate::util::stderr(&second));
    let said = crate::util::stdout(&second);
    assert!(said.contains("consistent with the 1 it cosigned before, as it told us"), "{said}");
    assert!(said.contains("kept in the register: "), "{said}");
    let c2 = cosigned("c2.txt");
    assert!(c2.size > 1);

    let http = pcf::exchange::client::http_client(None, Duration::from_secs(10)).unwrap();
    let post = |body: String| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let r = http.post(format!("{url}/add-checkpoint")).body(body).send().await.unwrap();
            let ctype = r
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (r.status().as_u16(), ctype, r.text().await.unwrap())
        }
    };
    let real =
        std::fs::read_to_string(dir.join("reg/checkpoints").join(format!("{:020}.txt", c2.size)))
            .unwrap();

    // A wrong old size: 409 with the witness's size.
    let (status, ctype, body) = post(format!("old 0\n\n{real}")).await;
    assert_eq!(
        (status, ctype.as_str(), body.clone()),
        (409, "text/x.tlog.size", format!("{}\n", c2.size))
    );

    // The same checkpoint again is cosigned again (a retry after a lost answer).
    let (status, _, body) = post(format!("old {}\n\n{real}", c2.size)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with("\u{2014} witness.example/w1 ") && body.ends_with('\n'), "{body}");

    // A split view: another root at the witnessed size.
    let fork = forged(dir, &did, c2.size, [1; 32]);
    let (status, _, body) = post(format!("old {}\n\n{fork}", c2.size)).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("two checkpoints of size"), "{body}");

    // A longer history whose proof does not connect.
    let longer = forged(dir, &did, c2.size + 5, [2; 32]);
    let proof = note::encode_hash(&[9; 32]);
    let (status, _, body) = post(format!("old {}\n{proof}\n\n{longer}", c2.size)).await;
    assert_eq!(status, 422, "{body}");

    // Both forks are kept as evidence, each with the checkpoint cosigned before.
    let mut evidence: Vec<String> = std::fs::read_dir(dir.join("wstate/evidence"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    evidence.sort();
    assert_eq!(evidence.len(), 2);
    for e in &evidence {
        assert!(e.contains(&real), "{e}");
    }
    assert!(evidence.iter().any(|e| e.contains(&fork)));
    assert!(evidence.iter().any(|e| e.contains(&longer) && e.contains(&proof)));

    // The witness still holds the real head: the honest issuer is cosigned again.
    let again = submit("c3.txt").await;
    assert!(again.status.success(), "{}", crate::util::stderr(&again));
    assert_eq!(cosigned("c3.txt"), c2);

    // A log the witness is not configured for: 404; the log's origin with a bad signature:
    // 403; a malformed request: 400; an old size above the checkpoint's: 400.
    let other = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    let other_did = pcf::keys::did_key(&other.verifying_key());
    let text = text_of(&other_did);
    let sig = note::sign(&text, &other_did, &other).unwrap();
    let stranger = Note { text, signatures: vec![sig] };
    let (status, _, _) = post(format!("old 0\n\n{}", stranger.to_text())).await;
    assert_eq!(status, 404);
    let tampered = real.replace(&note::encode_hash(&c2.root), &note::encode_hash(&[7; 32]));
    let (status, _, body) = post(format!("old {}\n\n{tampered}", c2.size)).await;
    assert_eq!(status, 403, "{body}");
    let (status, _, _) = post("old x\n\nsomething".into()).await;
    assert_eq!(status, 400);
    let (status, _, _) = post(format!("old {}\n\n{real}", c2.size + 1)).await;
    assert_eq!(status, 400);
    server.shutdown().await;
}

fn text_of(did: &str) -> String {
    Checkpoint { origin: did.to_string(), size: 1, root: [0; 32], extensions: vec![] }.to_text()
}

/// A register of `n` declarations made through the library (fast), checkpointed; its
/// directory and the issuer's verifier.
fn big_register(dir: &Path, n: u64) -> Verifier {
    let register = Register::open(dir).unwrap();
    for i in 0..n {
        let pf_id = format!("3f2504e0-4f89-41d3-9a0c-{i:012x}");
        let doc = format!(r#"{{"credentialSubject":{{"id":"{pf_id}"}}}}"#);
        let declaration = register.store_declaration(doc.as_bytes()).unwrap();
        let kind = EntryKind::Declared {
            declaration,
            pf_id,
            product_ids: vec![format!("urn:gtin:{:014}", i)],
            supersedes: None,
            certificates: vec![],
        };
        register.append(kind, "2026-03-01T12:00:00Z".parse().unwrap()).unwrap();
    }
    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    register.checkpoint(&key).unwrap();
    Verifier::for_did_key(&pcf::keys::did_key(&key.verifying_key())).unwrap()
}

async fn log_server(dir: &Path, publish: bool) -> Server {
    let clients = Clients::parse("").unwrap();
    let mut config = ServerConfig::new(dir.to_path_buf(), clients, Transport::DangerPlainHttp);
    config.publish_log = publish;
    config.reload_interval = None;
    config.limits.requests_per_second = 1e9;
    config.limits.burst = 1e9;
    Server::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// `pcf serve --publish-log` serves the checkpoint and the tiles of a 300-entry log: the
/// level-0 tiles give back the checkpoint's root, the level-1 tile holds the root of the
/// first full tile, the entry bundles hash into the level-0 tiles, and tiles beyond the log
/// are 404. Without the switch there is no log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_served_as_tiles_that_give_back_the_checkpoint() {
    let work = tempfile::tempdir().unwrap();
    let issuer = big_register(work.path(), 300);
    let server = log_server(work.path(), true).await;
    let url = server.url();
    let http = pcf::exchange::client::http_client(None, Duration::from_secs(10)).unwrap();
    let get = |path: String| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let r = http.get(format!("{url}/log/{path}")).send().await.unwrap();
            let cache = r
                .headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            (r.status().as_u16(), cache, r.bytes().await.unwrap().to_vec())
        }
    };
    let (status, cache, body) = get("checkpoint".into()).await;
    assert_eq!(status, 200);
    assert_eq!(cache, "public, max-age=5");
    let (cp, _, _) =
        note::open_checkpoint(&String::from_utf8(body).unwrap(), std::slice::from_ref(&issuer))
            .unwrap();
    assert_eq!(cp.size, 300);

    let tile = |level, index, width| {
        let t = Tile { kind: TileKind::Hashes { level }, index, width };
        get(t.path())
    };
    let hashes =
        |bytes: &[u8]| -> Vec<Hash> { bytes.chunks(32).map(|c| c.try_into().unwrap()).collect() };
    let (status, cache, full) = tile(0, 0, 256).await;
    assert_eq!(status, 200);
    assert_eq!(cache, "public, max-age=31536000, immutable");
    assert_eq!(full.len(), 256 * 32);
    let (status, _, partial) = tile(0, 1, 44).await;
    assert_eq!((status, partial.len()), (200, 44 * 32));
    let mut tree = MemoryTree::new();
    for h in hashes(&full).into_iter().chain(hashes(&partial)) {
        tree.push_hash(h);
    }
    assert_eq!(tree.size(), 300);
    assert_eq!(tree.root(), cp.root);
    let (status, _, upper) = tile(1, 0, 1).await;
    assert_eq!(status, 200);
    assert_eq!(upper, merkle::root(&tree, 256).unwrap().to_vec());

    // Entry bundles: uint16 length + the entry's canonical JSON, whose leaf hashes are the
    // level-0 tile's.
    for (bundle, level0) in [
        (Tile { kind: TileKind::Entries, index: 0, width: 256 }, &full),
        (Tile { kind: TileKind::Entries, index: 1, width: 44 }, &partial),
    ] {
        let (status, _, bytes) = get(bundle.path()).await;
        assert_eq!(status, 200);
        let mut leaves = Vec::new();
        let mut rest = bytes.as_slice();
        while !rest.is_empty() {
            let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            leaves.push(merkle::leaf_hash(&rest[2..2 + len]));
            serde_json::from_slice::<serde_json::Value>(&rest[2..2 + len]).unwrap();
            rest = &rest[2 + len..];
        }
        assert_eq!(leaves, hashes(level0));
    }

    // Beyond the log, or not a tile path: 404.
    for path in [
        "tile/0/001.p/45",
        "tile/0/001",
        "tile/1/000",
        "tile/1/000.p/2",
        "tile/2/000.p/1",
        "tile/entries/001.p/45",
        "tile/entries/002.p/1",
        "tile/0/1",
        "tile/0/x000/001",
        "tile/0/000.p/256",
    ] {
        assert_eq!(get(path.into()).await.0, 404, "{path}");
    }
    server.shutdown().await;

    let hidden = log_server(work.path(), false).await;
    let r = http.get(format!("{}/log/checkpoint", hidden.url())).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    hidden.shutdown().await;
}

/// `pcf serve --status-list FILE` passes the issuer's status list credential on as written,
/// re-reading the file at each request; without the file there is no endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_list_is_served_as_the_issuer_signed_it() {
    use pcf::register::status_list;
    let work = tempfile::tempdir().unwrap();
    big_register(work.path(), 3);
    let register = Register::open(work.path()).unwrap();
    let key = ed25519_dalek::SigningKey::from_bytes(&[5; 32]);
    let file = work.path().join("status.json");
    let write = |now: &str| {
        let c = status_list::credential(&register, &key, "https://issuer.example/status-list", now)
            .unwrap();
        std::fs::write(&file, serde_json::to_vec(&c).unwrap()).unwrap();
    };
    write("2026-03-01T12:00:00Z");
    let clients = Clients::parse("").unwrap();
    let mut config =
        ServerConfig::new(work.path().to_path_buf(), clients, Transport::DangerPlainHttp);
    config.reload_interval = None;
    config.status_list = Some(file.clone());
    let server = Server::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let http = pcf::exchange::client::http_client(None, Duration::from_secs(10)).unwrap();
    let get = || {
        let (http, url) = (http.clone(), server.url());
        async move {
            let r = http.get(format!("{url}/status-list")).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200);
            assert_eq!(r.headers()["content-type"], "application/vc");
            r.bytes().await.unwrap().to_vec()
        }
    };
    let served: serde_json::Value = serde_json::from_slice(&get().await).unwrap();
    pcf::proof::verify(&served, &|_| None).unwrap();
    assert_eq!(served["validFrom"], "2026-03-01T12:00:00Z");
    write("2026-03-02T12:00:00Z");
    assert_eq!(get().await, std::fs::read(&file).unwrap());
    server.shutdown().await;

    let none = log_server(work.path(), true).await;
    let r = http.get(format!("{}/status-list", none.url())).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    none.shutdown().await;
}

/// Throughput of full tiles on loopback (not a test of timing: run with --ignored
/// --nocapture to see the figure).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: cargo test --test main log_http -- --ignored --nocapture"]
async fn tile_serving_throughput() {
    let work = tempfile::tempdir().unwrap();
    big_register(work.path(), 1024);
    let server = log_server(work.path(), true).await;
    let http = pcf::exchange::client::http_client(None, Duration::from_secs(30)).unwrap();
    let (requests, workers) = (20_000u64, 8u64);
    let start = std::time::Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (http, url) = (http.clone(), server.url());
        tasks.push(tokio::spawn(async move {
            for i in 0..requests / workers {
                let t =
                    Tile { kind: TileKind::Hashes { level: 0 }, index: (w + i) % 4, width: 256 };
                let r = http.get(format!("{url}/log/{}", t.path())).send().await.unwrap();
                assert_eq!(r.status().as_u16(), 200);
                assert_eq!(r.bytes().await.unwrap().len(), 8192);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "tile serving: {requests} full tiles (8 KiB) in {secs:.2} s over {workers} connections: \
         {:.0} requests/s",
        requests as f64 / secs
    );
    server.shutdown().await;
}

/// The commands themselves: `pcf witness serve` (plain HTTP on a free port) cosigns what
/// `pcf register submit` sends it; without TLS or the danger switch it does not start.
#[test]
fn pcf_witness_serve_cosigns_what_pcf_register_submit_sends() {
    use std::io::BufRead as _;
    let work = crate::util::bracket_example();
    let dir = work.path();
    let run = |args: &[&str]| {
        let out = crate::util::pcf(dir, args);
        assert!(out.status.success(), "{args:?}: {}", crate::util::stderr(&out));
        crate::util::stdout(&out)
    };
    run(&["keygen", "--out", "issuer.key"]);
    run(&["keygen", "--out", "witness.key"]);
    let did = run(&["did", "issuer.key"]).trim().to_string();
    run(&[
        "declare",
        "inventory.toml",
        "--product",
        "bracket",
        "--key",
        "issuer.key",
        "--out",
        "v1.json",
        "--register",
        "reg",
    ]);
    let w = ["witness", "--key", "witness.key", "--name", "witness.example/w1"];
    let vkey = run(&[&w[..], &["key"]].concat()).trim().to_string();
    let serve = [&w[..], &["serve", "--state", "wstate", "--log", &did, "--listen", "127.0.0.1:0"]]
        .concat();

    let refused = crate::util::pcf(dir, &serve);
    assert!(!refused.status.success());
    assert!(
        crate::util::stderr(&refused).contains("needs TLS"),
        "{}",
        crate::util::stderr(&refused)
    );

    let mut child = Stop(
        std::process::Command::new(env!("CARGO_BIN_EXE_pcf"))
            .current_dir(dir)
            .args([&serve[..], &["--danger-plain-http"]].concat())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut first = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let url = first
        .trim()
        .strip_prefix("pcf witness: ")
        .and_then(|u| u.strip_suffix("/add-checkpoint"))
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_string();
    let submitted = crate::util::pcf(
        dir,
        &[
            "register",
            "--register",
            "reg",
            "submit",
            "--key",
            "issuer.key",
            "--witness",
            &url,
            "--witness-key",
            &vkey,
            "--out",
            "cosigned.txt",
        ],
    );
    drop(child);
    assert!(submitted.status.success(), "{}", crate::util::stderr(&submitted));
    let text = std::fs::read_to_string(dir.join("cosigned.txt")).unwrap();
    let known = [Verifier::for_did_key(&did).unwrap(), Verifier::parse_vkey(&vkey).unwrap()];
    assert_eq!(Note::parse(&text).unwrap().verify(&known).unwrap().len(), 2);
}

/// A child process stopped (by its id) when the test ends, passed or failed.
struct Stop(std::process::Child);

impl Drop for Stop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
