#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `pcf verify` of many suppliers' files at once: a directory (its *.json, sorted) or several
//! files, one row per file as a table, CSV (parsed back here) or JSON; an unreadable file is a
//! row, never the end of the batch; the exit code is the worst verdict's.

use serde_json::Value;

use crate::plain_pact::{v2_footprint, v3_footprint, write};
use crate::util::{Issuer, stderr, stdout};

/// A directory `in/` with a valid bundle, a tampered declaration, a plain PACT footprint
/// (v3), a junk file and a file that is not JSON by name (ignored).
fn suppliers(is: &Issuer) {
    is.declare("d.json", &[]);
    is.bundle("d.json", "in/a-bundle.json", &[]);
    let mut doc: Value =
        serde_json::from_slice(&std::fs::read(is.dir.path().join("d.json")).unwrap()).unwrap();
    doc["credentialSubject"]["productFootprint"]["pcf"]["pcfExcludingBiogenicUptake"] =
        "0.1".into();
    write(is, "in/b-tampered.json", &doc);
    write(is, "in/c-plain.json", &v3_footprint());
    std::fs::write(is.dir.path().join("in/d-junk.json"), "this is not json").unwrap();
    std::fs::write(is.dir.path().join("in/notes.txt"), "ignored").unwrap();
}

fn new_issuer() -> Issuer {
    let is = Issuer::new();
    std::fs::create_dir(is.dir.path().join("in")).unwrap();
    is
}

#[test]
fn verify_many_a_directory_as_a_table() {
    let is = new_issuer();
    suppliers(&is);
    let out = is.run(&["verify", "in", "--trust", &is.did]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("file"), "{text}");
    assert!(lines[0].contains("product") && lines[0].contains("supplier"), "{text}");
    assert!(lines[2].starts_with("in/a-bundle.json") && lines[2].contains("VALID"), "{text}");
    assert!(lines[3].starts_with("in/b-tampered.json"), "{text}");
    assert!(lines[3].contains("INVALID") && lines[3].contains("proof: "), "{text}");
    assert!(lines[4].contains("UNSIGNED PACT FOOTPRINT"), "{text}");
    assert!(lines[4].contains("Jiangsu Example Iron & Steel Co., Ltd."), "{text}");
    assert!(lines[5].starts_with("in/d-junk.json") && lines[5].contains("unreadable"), "{text}");
    assert!(!text.contains("notes.txt"), "{text}");
    assert!(text.contains("4 files: 1 valid, 1 invalid, 1 unreadable, 1 not relied on"), "{text}");
    // The columns are aligned: the verdicts start at one column.
    let col = lines[0].find("verdict").unwrap();
    assert_eq!(&lines[2][col..col + 5], "VALID", "{text}");

    // Without the invalid and junk files the worst verdict is the plain footprint's: 3.
    let out = is.run(&["verify", "in/a-bundle.json", "in/c-plain.json", "--trust", &is.did]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    // --bundle is for one file.
    let out = is.run(&["verify", "in", "--bundle", "in/a-bundle.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn verify_many_as_csv_and_json() {
    let is = new_issuer();
    suppliers(&is);
    write(&is, "in/e-v2.json", &v2_footprint());
    is.ok(&["trust", "add", "--list", "trust.json", "--did", &is.did, "--name", "Bracket Co."]);
    let out = is.run(&["verify", "in", "--trust-list", "trust.json", "--csv"]);
    assert_eq!(out.status.code(), Some(1));
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, ["file", "product", "supplier", "footprint", "verdict", "reason"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    let verdicts: Vec<&str> = rows.iter().map(|r| &r[4]).collect();
    assert_eq!(verdicts, ["valid", "invalid", "unsigned", "unreadable", "unsigned"]);
    // A comma inside a field survives quoting.
    assert_eq!(&rows[2][2], "Jiangsu Example Iron & Steel Co., Ltd.");
    assert_eq!(&rows[2][3], "2.052577 kg CO2e per 1 kilogram");
    assert_eq!(&rows[4][1], "Primary ingot A1");
    assert!(rows[1][5].starts_with("proof: "), "{:?}", &rows[1]);
    assert!(rows[3][5].contains("d-junk.json"), "{:?}", &rows[3]);
    assert_eq!(&rows[0][5], "");

    let out = is.run(&["verify", "in", "--trust-list", "trust.json", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all[0]["file"], "in/a-bundle.json");
    assert_eq!(all[0]["verdict"], "valid");
    // Each report reads back as a report, unknown fields refused.
    let report: pcf::declaration::Report =
        serde_json::from_value(all[0]["report"].clone()).unwrap();
    let issuer = report.checks.iter().find(|c| c.name == "issuer").unwrap();
    assert_eq!(issuer.detail, format!("{} is trusted (Bracket Co.)", is.did));
    assert_eq!(all[2]["report"]["kind"], "unsigned-pact-footprint");
    assert_eq!(all[3]["verdict"], "unreadable");
    assert!(all[3].get("report").is_none());
    assert!(all[3]["error"].as_str().unwrap().contains("d-junk.json"), "{}", all[3]);

    let out = is.run(&["verify", "in/a-bundle.json", "--csv"]);
    assert_eq!(out.status.code(), Some(2), "--csv is for several files");
}
