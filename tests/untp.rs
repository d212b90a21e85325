//! UNTP Digital Product Passports: `pcf declare --format untp-dpp` issues one beside the PACT
//! declaration; it validates against the UNTP DPP 0.6.1 JSON Schema (tests/data/untp); its
//! figures trace to the declaration; `pcf verify` checks its JWS, its structure and, with the
//! declaration's bundle, its digest link, issuer and figures, and refuses tampered copies.

// `allow-unwrap-in-tests` covers only `#[test]` functions; the helpers here are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::util::{Issuer, root, stderr, stdout};
use pcf::declaration::{CheckStatus, Report, Verdict};

/// What a schema test breaks, and how.
type Edit = (&'static str, fn(&mut Value));

/// The schema's sha256 as copied (tests/data/untp/README.md gives its source).
const SCHEMA_SHA256: &str = "079b729617744cda34fa27d1763d64de138a31b39fb9e2c11b473c531859b9bf";

/// An issuer who declared the bracket with a passport and bundled the declaration.
fn issued() -> (Issuer, Value, Value) {
    let i = Issuer::new();
    let said = i.declare("bracket.json", &["--format", "untp-dpp"]);
    assert!(
        said.contains("passport  bracket.untp-dpp.json (UNTP DPP 0.6.1, vc+jwt, urn:uuid:"),
        "{said}"
    );
    i.ok(&["bundle", "bracket.json", "--inventory", "inventory.toml", "--register", "reg"]);
    let declaration = read(&i, "bracket.json");
    let passport = read(&i, "bracket.untp-dpp.json");
    (i, declaration, passport)
}

fn read(i: &Issuer, name: &str) -> Value {
    pcf::canonical::parse_strict(&std::fs::read(i.dir.path().join(name)).unwrap()).unwrap()
}

fn write(i: &Issuer, name: &str, v: &Value) {
    std::fs::write(i.dir.path().join(name), serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

fn token(passport: &Value) -> &str {
    passport["id"].as_str().unwrap().strip_prefix("data:application/vc+jwt,").unwrap()
}

fn part(passport: &Value, n: usize) -> Value {
    let p = token(passport).split('.').nth(n).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

fn verify(i: &Issuer, args: &[&str]) -> (i32, Report) {
    let mut all = vec!["verify"];
    all.extend(args);
    all.push("--json");
    let out = i.run(&all);
    let report: Report = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("verify --json is not a Report ({e}):\n{}{}", stdout(&out), stderr(&out))
    });
    (out.status.code().unwrap(), report)
}

fn status(r: &Report, name: &str) -> CheckStatus {
    r.checks.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no {name}: {r}")).status
}

fn detail<'a>(r: &'a Report, name: &str) -> &'a str {
    &r.checks.iter().find(|c| c.name == name).unwrap().detail
}

/// The UNTP DPP 0.6.1 schema validator (format assertions on: `uri`, `date`, `date-time`).
fn schema() -> jsonschema::Validator {
    let bytes = std::fs::read(root().join("tests/data/untp/untp-dpp-schema-0.6.1.json")).unwrap();
    let sha = sha2::Sha256::digest(&bytes);
    let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, SCHEMA_SHA256, "tests/data/untp/untp-dpp-schema-0.6.1.json changed");
    let schema: Value = serde_json::from_slice(&bytes).unwrap();
    jsonschema::options().should_validate_formats(true).build(&schema).unwrap()
}

fn schema_errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect()
}

#[test]
fn passport_is_an_enveloped_vc_jwt_that_validates_against_the_untp_schema() {
    let (i, _, passport) = issued();
    let did = i.did.clone();
    let id = passport["id"].as_str().unwrap();
    assert!(id.starts_with("data:application/vc+jwt,ey"), "{id}");
    assert_eq!(
        passport,
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": id,
            "type": "EnvelopedVerifiableCredential",
        })
    );
    let vm = format!("{did}#{}", did.strip_prefix("did:key:").unwrap());
    assert_eq!(
        part(&passport, 0),
        json!({"alg": "EdDSA", "kid": vm, "typ": "vc+jwt", "cty": "vc"})
    );
    let credential = part(&passport, 1);
    let v = schema();
    assert_eq!(schema_errors(&v, &credential), Vec::<String>::new());

    // The schema can fail: each edit below breaks one of its rules.
    let edits: [Edit; 5] = [
        ("operationalScope", |c| {
            c["credentialSubject"]["emissionsScorecard"]["operationalScope"] = json!("Scope3")
        }),
        ("carbonFootprint", |c| {
            c["credentialSubject"]["emissionsScorecard"]["carbonFootprint"] = json!("2.7")
        }),
        ("issuer", |c| {
            c.as_object_mut().unwrap().remove("issuer");
        }),
        ("@context", |c| {
            c["@context"][1] = json!("https://test.uncefact.org/vocabulary/untp/dpp/0.5.0/")
        }),
        ("hashMethod", |c| {
            c["credentialSubject"]["conformityClaim"][0]["conformityEvidence"]["hashMethod"] =
                json!("MD5")
        }),
    ];
    for (what, edit) in edits {
        let mut c = credential.clone();
        edit(&mut c);
        assert!(
            !schema_errors(&v, &c).is_empty(),
            "the schema accepts a passport with a bad {what}"
        );
    }
}

#[test]
fn passport_figures_and_link_trace_to_the_declaration() {
    let (i, declaration, passport) = issued();
    let c = part(&passport, 1);
    let fp = &declaration["credentialSubject"]["productFootprint"];
    let pcf = &fp["pcf"];
    let card = &c["credentialSubject"]["emissionsScorecard"];
    // pcfExcludingBiogenicUptake "2.709701" per 1 piece; primaryDataShare "90.71" %.
    assert_eq!(pcf["pcfExcludingBiogenicUptake"], "2.709701");
    assert_eq!(pcf["declaredUnitAmount"], "1");
    assert_eq!(card["carbonFootprint"], json!(2.709701));
    assert_eq!(pcf["primaryDataShare"], "90.71");
    assert_eq!(card["primarySourcedRatio"], json!(0.9071));
    assert_eq!(card["declaredUnit"], "H87");
    assert_eq!(card["operationalScope"], "CradleToGate");
    assert_eq!(
        card["reportingStandard"],
        json!({
            "type": ["Standard"],
            "id": "urn:pcf:methodology:pact-3.0:1.3.0",
            "name": "PACT Methodology (Pathfinder Framework) v3.0 (pcf methodology pact-3.0 1.3.0)",
            "issuingParty": {
                "id": "urn:pcf:publisher:wbcsd-partnership-for-carbon-transparency",
                "name": "WBCSD Partnership for Carbon Transparency",
            },
        })
    );
    // referencePeriodEnd 2026-01-01 + the PACT default of 3 years, as `pcf verify` judges it.
    assert_eq!(pcf["referencePeriodEnd"], "2026-01-01T00:00:00Z");
    assert_eq!(c["validUntil"], "2029-01-01T00:00:00Z");
    assert_eq!(c["issuer"]["id"], json!(i.did));
    assert_eq!(c["issuer"]["name"], fp["companyName"]);
    assert_eq!(c["credentialSubject"]["product"]["id"], fp["productIds"][0]);
    assert_eq!(c["credentialSubject"]["product"]["name"], fp["productNameCompany"]);
    let digest = pcf::canonical::digest(&declaration).unwrap();
    assert_eq!(
        c["relatedResource"],
        json!([{ "id": declaration["id"], "digestSRI": pcf::declaration::sri(&digest) }])
    );
    let evidence = &c["credentialSubject"]["conformityClaim"][0]["conformityEvidence"];
    assert_eq!(evidence["linkURL"], declaration["id"]);
    assert_eq!(evidence["hashDigest"], json!(digest.hex()));
    assert_eq!(evidence["hashMethod"], "SHA-256");
}

#[test]
fn verify_checks_the_passport_alone_and_against_the_bundled_declaration() {
    let (i, _, _) = issued();
    let did = i.did.clone();
    let (code, r) =
        verify(&i, &["bracket.untp-dpp.json", "--bundle", "bracket.bundle.json", "--trust", &did]);
    assert_eq!((code, r.verdict), (0, Verdict::Valid), "{r}");
    for name in [
        "passport-signature",
        "passport-structure",
        "passport-issuer",
        "passport-link",
        "passport-figures",
    ] {
        assert_eq!(status(&r, name), CheckStatus::Pass, "{r}");
    }
    assert!(
        detail(&r, "passport-figures")
            .starts_with("2.709701 kg CO2e per H87 (CradleToGate), primary 0.9071"),
        "{r}"
    );

    // Alone: genuine, but its status and link cannot be judged.
    let (code, r) = verify(&i, &["bracket.untp-dpp.json", "--trust", &did]);
    assert_eq!((code, r.verdict), (3, Verdict::StatusUnknown), "{r}");
    assert_eq!(status(&r, "passport-link"), CheckStatus::Skip);
    assert_eq!(r.issuer.as_deref(), Some(did.as_str()));
    // Alone and without --trust: the issuer is not trusted.
    let (code, r) = verify(&i, &["bracket.untp-dpp.json"]);
    assert_eq!((code, r.verdict, status(&r, "issuer")), (1, Verdict::Invalid, CheckStatus::Fail));
    // Judged before it was issued: not yet valid.
    let (code, r) = verify(&i, &["bracket.untp-dpp.json", "--trust", &did, "--at", "2020-01-01"]);
    assert_eq!((code, r.verdict), (3, Verdict::NotCurrent), "{r}");
    assert_eq!(r.status.standing, pcf::declaration::verify::Standing::NotYetValid);
    // Judged after its declaration's validity ended: expired.
    let (code, r) = verify(&i, &["bracket.untp-dpp.json", "--trust", &did, "--at", "2029-06-01"]);
    assert_eq!((code, r.verdict), (3, Verdict::NotCurrent), "{r}");
    assert_eq!(r.status.standing, pcf::declaration::verify::Standing::Expired);

    // Approvals and --seen apply to declarations, not to passports.
    let out = i.run(&["verify", "bracket.untp-dpp.json", "--trust-body", &did]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn tampered_or_relinked_passports_fail() {
    let (i, _, passport) = issued();
    let did = i.did.clone();
    let key = pcf::keys::read_private_key(&i.dir.path().join("issuer.key")).unwrap();
    let credential = part(&passport, 1);
    let check = |name: &str, doc: &Value, failed: &str, says: &str| {
        write(&i, name, doc);
        let (code, r) = verify(&i, &[name, "--bundle", "bracket.bundle.json", "--trust", &did]);
        assert_eq!((code, r.verdict), (1, Verdict::Invalid), "{name}: {r}");
        assert_eq!(status(&r, failed), CheckStatus::Fail, "{name}: {r}");
        assert!(detail(&r, failed).contains(says), "{name}: {}", detail(&r, failed));
    };

    // The payload edited, the signature kept.
    let [h, _, s]: [&str; 3] = token(&passport).split('.').collect::<Vec<_>>().try_into().unwrap();
    let mut c = credential.clone();
    c["credentialSubject"]["emissionsScorecard"]["carbonFootprint"] = json!(1.0);
    let p = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
    let doc = json!({"@context": passport["@context"], "id": format!("data:application/vc+jwt,{h}.{p}.{s}"), "type": "EnvelopedVerifiableCredential"});
    check("edited.json", &doc, "passport-signature", "signature does not verify");

    // Re-signed by the issuer with another figure: genuine, but not what was declared.
    let resigned = pcf::passport::envelope(c, &key).unwrap();
    check(
        "lower.json",
        &resigned.enveloped,
        "passport-figures",
        "carbonFootprint is 1, the declaration gives 2.709701",
    );

    // Re-signed with a digest that is not the declaration's.
    let mut c = credential.clone();
    c["relatedResource"][0]["digestSRI"] = json!(format!("sha256-{}", "A".repeat(43) + "="));
    let relinked = pcf::passport::envelope(c, &key).unwrap();
    check("relinked.json", &relinked.enveloped, "passport-link", "relatedResource gives");
    let mut c = credential.clone();
    c["credentialSubject"]["conformityClaim"][0]["conformityEvidence"]["hashDigest"] =
        json!("00".repeat(32));
    let relinked = pcf::passport::envelope(c, &key).unwrap();
    check("evidence.json", &relinked.enveloped, "passport-link", "conformityEvidence gives");

    // Another key, naming itself as the issuer: not the declaration's issuer.
    i.ok(&["keygen", "--out", "other.key"]);
    let other = pcf::keys::read_private_key(&i.dir.path().join("other.key")).unwrap();
    let mut c = credential.clone();
    c["issuer"]["id"] = json!(pcf::keys::did_key(&other.verifying_key()));
    let stolen = pcf::passport::envelope(c, &other).unwrap();
    check("stolen.json", &stolen.enveloped, "passport-issuer", "the declaration by");

    // alg none: refused before any key is used.
    let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"vc+jwt","cty":"vc"}"#);
    let doc = json!({"@context": passport["@context"], "id": format!("data:application/vc+jwt,{none}.{}.", token(&passport).split('.').nth(1).unwrap()), "type": "EnvelopedVerifiableCredential"});
    check("none.json", &doc, "passport-signature", "only EdDSA");

    // The issuer cannot issue a passport for another issuer's declaration.
    let declaration = read(&i, "bracket.json");
    let m = pcf::methodology::Methodology::resolve("pact-3.0").unwrap();
    let e = pcf::passport::issue(&declaration, &m, &other, &Default::default()).unwrap_err();
    assert!(matches!(e, pcf::passport::PassportError::Issuer { .. }), "{e}");
    // Nor under a methodology the declaration does not pin.
    let iso = pcf::methodology::Methodology::resolve("iso-14067-2018").unwrap();
    let e = pcf::passport::issue(&declaration, &iso, &key, &Default::default()).unwrap_err();
    assert!(matches!(e, pcf::passport::PassportError::Methodology { .. }), "{e}");
}
