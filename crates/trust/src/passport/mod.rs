//! UN Transparency Protocol Digital Product Passports (UNTP DPP 0.6.1): a declaration's
//! footprint issued as the passport's `emissionsScorecard`, linked to the signed PACT
//! declaration by digest, as a W3C VC 2.0 secured with an enveloping proof: a VC-JOSE
//! `application/vc+jwt` token (EdDSA, [`crate::jose`]) inside an
//! `EnvelopedVerifiableCredential`. [`verify()`] checks one; [`open`] unwraps one.
//!
//! # From the declaration to the passport
//!
//! Every figure comes from the PACT ProductFootprint of the declaration (read through
//! `pact_footprint`) and nothing is recomputed, so the passport cannot disagree with the
//! declaration it links to; [`verify()`] recomputes the mapping from the declaration and
//! compares.
//!
//! | passport (UNTP DPP 0.6.1) | declaration (PACT v3 footprint) |
//! |---|---|
//! | `emissionsScorecard.carbonFootprint` | `pcf.pcfExcludingBiogenicUptake` (kg CO2e per declared unit, biogenic uptake **not** subtracted), the decimal string read as a JSON number with the same digits; only footprints per 1 declared unit (`declaredUnitAmount` = 1, what pcf issues) are mapped |
//! | `emissionsScorecard.declaredUnit` | `pcf.declaredUnitOfMeasurement` as a UN/ECE Recommendation 20 code: kilogram KGM, liter LTR, cubic meter MTQ, kilowatt hour KWH, megajoule 3B, ton kilometer TKM, square meter MTK, piece H87 |
//! | `emissionsScorecard.primarySourcedRatio` | `pcf.primaryDataShare` / 100, by moving the decimal point (`"90.71"` -> `0.9071`), so no rounding enters |
//! | `emissionsScorecard.operationalScope` | the boundary the methodology states, which starts `pcf.boundaryProcessesDescription`: `cradle-to-gate` -> `CradleToGate`, `gate-to-gate` -> `None` (no upstream scope 3) |
//! | `emissionsScorecard.reportingStandard` | the methodology pinned in the provenance extension: `id` `urn:pcf:methodology:ID:VERSION` (the id the declaration's `relatedResource` gives it), `name` the methodology file's standard name with id and version, `issuingParty` its publisher (`urn:pcf:publisher:` and the publisher's name in lower case, words joined by `-`) |
//! | `product` | `id` the first of `productIds` (a URN), `name` `productNameCompany`, `description` `productDescription` |
//! | `issuer` | the declaration's issuer DID (the signing key must be that issuer's), `name` `companyName`, `issuerAlsoKnownAs` `companyIds` |
//! | `validUntil` | the end of the declaration's validity as `pcf verify` judges it: the earliest of its `validUntil` and the PACT `validityPeriodEnd` (by default `referencePeriodEnd` + 3 years), so a passport does not outlive its declaration |
//! | `relatedResource` | `{id: the declaration's id, digestSRI: sha256 of its RFC 8785 canonical JSON}` (the digest pcf registers) |
//! | `conformityClaim[0]` | a `Declaration` claim, `id` the declaration's id, under `reportingStandard`, topic `environment.emissions`, whose `conformityEvidence` is a `SecureLink` to the declaration with `hashMethod` `SHA-256` and `hashDigest` the same digest in hex |
//!
//! `granularityLevel` is `model`: a PACT footprint covers a product over a reference period,
//! not a batch or an item.
//!
//! # The envelope
//!
//! The JWT payload is the credential itself (VC-JOSE-COSE, no `vc` claim); its protected
//! header is `{"alg":"EdDSA","kid":"did:key:z6Mk…#z6Mk…","typ":"vc+jwt","cty":"vc"}`. The
//! enveloped credential is `{"@context": [VC 2.0], "id": "data:application/vc+jwt,<jwt>",
//! "type": "EnvelopedVerifiableCredential"}`.

pub mod verify;

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde_json::{Map, Value, json};

use crate::declaration::{PROVENANCE_SCHEMA, VC_CONTEXT, pact_footprint, sri};
use crate::jose::{self, JoseError};
use crate::keys::{self, KeyError};
use pcf_base::canonical::{self, JsonError};
use pcf_base::digest::Digest;
use pcf_base::time::Instant;
use pcf_footprint::methodology::Methodology;

pub use verify::verify;

/// The UNTP DPP version pcf issues.
pub const DPP_VERSION: &str = "0.6.1";
/// The JSON-LD context of UNTP DPP 0.6.1.
pub const DPP_CONTEXT: &str = "https://test.uncefact.org/vocabulary/untp/dpp/0.6.1/";
/// The type of the envelope.
pub const ENVELOPED_TYPE: &str = "EnvelopedVerifiableCredential";
/// The media type of the enveloped token.
pub const MEDIA_TYPE: &str = "application/vc+jwt";
/// The JOSE `typ` of the token.
pub const JWT_TYP: &str = "vc+jwt";
/// The JOSE `cty` of the token.
pub const JWT_CTY: &str = "vc";

/// UN/ECE Recommendation 20 codes of the PACT declared units.
const UNITS: [(&str, &str); 8] = [
    ("kilogram", "KGM"),
    ("liter", "LTR"),
    ("cubic meter", "MTQ"),
    ("kilowatt hour", "KWH"),
    ("megajoule", "3B"),
    ("ton kilometer", "TKM"),
    ("square meter", "MTK"),
    ("piece", "H87"),
];

/// Why a passport could not be issued or opened.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PassportError {
    /// The declaration lacks something the passport needs, or is not a pcf declaration.
    #[error("cannot issue a passport from declaration {declaration}: {problem}")]
    Declaration {
        /// The declaration's id, where it has one.
        declaration: String,
        /// What is missing or wrong.
        problem: String,
    },
    /// The signing key is not the declaration's issuer.
    #[error(
        "the key given is {key}, the declaration's issuer is {issuer}: a passport is signed by the issuer of the declaration it links to"
    )]
    Issuer {
        /// The key's DID.
        key: String,
        /// The declaration's issuer.
        issuer: String,
    },
    /// The methodology given is not the one the declaration pins.
    #[error("the methodology given is {given}, the declaration pins {pinned}")]
    Methodology {
        /// id, version and digest of the methodology given.
        given: String,
        /// What the declaration pins.
        pinned: String,
    },
    /// The document is not an enveloped passport.
    #[error("not an enveloped verifiable credential: {0}")]
    Envelope(String),
    /// The token is not a valid JWS.
    #[error("passport token: {0}")]
    Jose(#[from] JoseError),
    /// The token's header or payload is not that of a pcf passport.
    #[error("passport token: {0}")]
    Token(String),
    /// The payload is not strict JSON, or the credential cannot be canonicalized.
    #[error("passport credential: {0}")]
    Json(#[from] JsonError),
    /// No randomness for a new passport id.
    #[error("no randomness for a passport id: {0}")]
    Random(String),
    /// The `kid` is not a `did:key` verification method pcf admits.
    #[error("passport token kid: {0}")]
    Key(#[from] KeyError),
}

/// What to issue beyond what the declaration holds (for reproducible tests).
#[derive(Debug, Clone, Default)]
pub struct PassportOptions {
    /// The passport's id; a new `urn:uuid:` when `None`.
    pub id: Option<String>,
    /// `validFrom` (RFC 3339 UTC); now when `None`.
    pub valid_from: Option<String>,
}

/// An issued passport.
#[derive(Debug, Clone, PartialEq)]
pub struct Passport {
    /// The `EnvelopedVerifiableCredential`: what is written and sent.
    pub enveloped: Value,
    /// The credential inside the token.
    pub credential: Value,
    /// The `vc+jwt` token.
    pub jwt: String,
}

/// A passport whose signature verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// The credential inside the token.
    pub credential: Value,
    /// The issuer's DID (the `kid`'s, and the credential's `issuer`).
    pub issuer: String,
    /// The `kid`.
    pub kid: String,
}

/// Issues the passport of `declaration` (a pcf declaration, signed by `key`'s owner),
/// computed under `methodology` (the one the declaration pins).
pub fn issue(
    declaration: &Value,
    methodology: &Methodology,
    key: &SigningKey,
    options: &PassportOptions,
) -> Result<Passport, PassportError> {
    let did = keys::did_key(&key.verifying_key());
    let issuer = issuer_id(declaration).unwrap_or("(none)");
    if issuer != did {
        return Err(PassportError::Issuer { key: did, issuer: issuer.into() });
    }
    let id = match &options.id {
        Some(id) => id.clone(),
        None => format!(
            "urn:uuid:{}",
            crate::declaration::uuid_v4().map_err(|e| PassportError::Random(e.to_string()))?
        ),
    };
    let valid_from = options.valid_from.clone().unwrap_or_else(crate::proof::utc_now);
    let credential = credential(declaration, methodology, &id, &valid_from)?;
    envelope(credential, key)
}

/// The unsigned passport credential of `declaration` (see the module docs for the mapping).
pub fn credential(
    declaration: &Value,
    methodology: &Methodology,
    id: &str,
    valid_from: &str,
) -> Result<Value, PassportError> {
    let decl_id = declaration["id"].as_str().unwrap_or("(without id)");
    let fail =
        |problem: String| PassportError::Declaration { declaration: decl_id.to_string(), problem };
    let linked = Link::of(declaration).map_err(fail)?;
    let fp = pact_footprint(declaration).ok_or_else(|| fail("no PACT footprint".into()))?;
    let card = Scorecard::of(fp).map_err(fail)?;
    let pinned = format!("{} {} {}", card.methodology.0, card.methodology.1, card.methodology.2);
    if (methodology.id(), methodology.version(), methodology.digest())
        != (card.methodology.0.as_str(), card.methodology.1.as_str(), card.methodology.2)
    {
        let given =
            format!("{} {} {}", methodology.id(), methodology.version(), methodology.digest());
        return Err(PassportError::Methodology { given, pinned });
    }
    let issuer = issuer_id(declaration).ok_or_else(|| fail("no issuer".into()))?;
    let company = fp["companyName"].as_str().ok_or_else(|| fail("no companyName".into()))?;
    let product_id = fp["productIds"][0].as_str().ok_or_else(|| fail("no productIds".into()))?;
    let product_name =
        fp["productNameCompany"].as_str().ok_or_else(|| fail("no productNameCompany".into()))?;
    let standard = &methodology.rules.standard;
    let reporting_standard = json!({
        "type": ["Standard"],
        "id": card.standard_id(),
        "name": format!("{} (pcf methodology {} {})", standard.name, methodology.id(), methodology.version()),
        "issuingParty": { "id": publisher_urn(&standard.publisher), "name": standard.publisher },
    });
    let also_known_as: Vec<Value> = fp["companyIds"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|c| json!({ "id": c, "name": company }))
        .collect();
    let mut issuer_v = json!({ "type": ["CredentialIssuer"], "id": issuer, "name": company });
    if !also_known_as.is_empty() {
        issuer_v["issuerAlsoKnownAs"] = Value::Array(also_known_as);
    }
    let mut product = json!({ "type": ["Product"], "id": product_id, "name": product_name });
    if let Some(d) = fp["productDescription"].as_str() {
        product["description"] = json!(d);
    }
    let mut c = Map::new();
    c.insert("@context".into(), json!([VC_CONTEXT, DPP_CONTEXT]));
    c.insert("type".into(), json!(["DigitalProductPassport", "VerifiableCredential"]));
    c.insert("id".into(), json!(id));
    c.insert("issuer".into(), issuer_v);
    c.insert("validFrom".into(), json!(valid_from));
    if let Some(until) = valid_until(declaration, fp) {
        c.insert("validUntil".into(), json!(until.to_string()));
    }
    c.insert(
        "relatedResource".into(),
        json!([{ "id": linked.id, "digestSRI": sri(&linked.digest) }]),
    );
    c.insert(
        "credentialSubject".into(),
        json!({
            "type": ["ProductPassport"],
            "granularityLevel": "model",
            "product": product,
            "emissionsScorecard": {
                "type": ["EmissionsPerformance"],
                "carbonFootprint": card.carbon_footprint,
                "declaredUnit": card.declared_unit,
                "operationalScope": card.operational_scope,
                "primarySourcedRatio": card.primary_sourced_ratio,
                "reportingStandard": reporting_standard,
            },
            "conformityClaim": [{
                "type": ["Claim", "Declaration"],
                "id": linked.id,
                "description": "Product carbon footprint declared as a PACT v3 ProductFootprint in a W3C Verifiable Credential secured with eddsa-jcs-2022 (the linked evidence); the emissions scorecard repeats its figures.",
                "referenceStandard": reporting_standard,
                "conformance": true,
                "conformityTopic": "environment.emissions",
                "conformityEvidence": {
                    "linkURL": linked.id,
                    "linkName": "PACT product footprint declaration",
                    "hashDigest": linked.digest.hex(),
                    "hashMethod": "SHA-256",
                    "encryptionMethod": "none",
                },
            }],
        }),
    );
    Ok(Value::Object(c))
}

/// Signs `credential` as a `vc+jwt` token and wraps it in an `EnvelopedVerifiableCredential`.
pub fn envelope(credential: Value, key: &SigningKey) -> Result<Passport, PassportError> {
    let header = json!({
        "alg": jose::ALG,
        "kid": keys::did_key_verification_method(&key.verifying_key()),
        "typ": JWT_TYP,
        "cty": JWT_CTY,
    });
    let header = header.as_object().cloned().unwrap_or_default();
    // The canonical bytes: the payload re-parses strictly whatever the credential held.
    let payload = canonical::canonicalize(&credential)?;
    let jwt = jose::sign(&header, &payload, key)?;
    let enveloped = json!({
        "@context": [VC_CONTEXT],
        "id": format!("data:{MEDIA_TYPE},{jwt}"),
        "type": ENVELOPED_TYPE,
    });
    Ok(Passport { enveloped, credential, jwt })
}

/// Whether `doc` claims to be an enveloped credential (then it is verified as a passport).
pub fn is_enveloped(doc: &Value) -> bool {
    doc["type"] == ENVELOPED_TYPE
        || doc["type"].as_array().is_some_and(|t| t.iter().any(|x| x == ENVELOPED_TYPE))
}

/// Unwraps an enveloped passport and verifies its token strictly: the envelope holds exactly
/// `@context` (VC 2.0), `id` (a `data:application/vc+jwt,` URL) and `type`; the header is
/// `EdDSA` with `typ` `vc+jwt`, `cty` `vc` and a `kid` that is a `did:key` verification method
/// whose DID is the credential's `issuer`; the payload is strict JSON; the signature verifies
/// with the `kid`'s key.
pub fn open(enveloped: &Value) -> Result<Opened, PassportError> {
    let env = |m: &str| PassportError::Envelope(m.to_string());
    let obj = enveloped.as_object().ok_or_else(|| env("not a json object"))?;
    if let Some(k) = obj.keys().find(|k| !matches!(k.as_str(), "@context" | "id" | "type")) {
        return Err(env(&format!(
            "unexpected member {k:?} (an envelope holds @context, id and type)"
        )));
    }
    if obj.get("@context") != Some(&json!([VC_CONTEXT])) {
        return Err(env(&format!("@context must be [\"{VC_CONTEXT}\"]")));
    }
    if obj.get("type") != Some(&json!(ENVELOPED_TYPE)) {
        return Err(env(&format!("type must be \"{ENVELOPED_TYPE}\"")));
    }
    let token = obj
        .get("id")
        .and_then(Value::as_str)
        .and_then(|id| id.strip_prefix("data:application/vc+jwt,"))
        .ok_or_else(|| env("id must be a data:application/vc+jwt, url"))?;
    let jws = jose::decode(token)?;
    for (name, want) in [("typ", JWT_TYP), ("cty", JWT_CTY)] {
        let got = jws.header_str(name)?;
        if got != want {
            return Err(PassportError::Token(format!(
                "header {name} is {got:?}, expected {want:?}"
            )));
        }
    }
    let kid = jws.header_str("kid")?.to_string();
    let Some((did, _)) = kid.split_once('#') else {
        return Err(PassportError::Token(format!(
            "kid {kid:?} is not a did:key verification method (did:key:z6Mk…#z6Mk…)"
        )));
    };
    let key: VerifyingKey = keys::parse_did_key(&kid)?;
    let credential = canonical::parse_strict(&jws.payload)?;
    let issuer = issuer_id(&credential)
        .ok_or_else(|| PassportError::Token("the credential has no issuer id".into()))?;
    if issuer != did {
        return Err(PassportError::Token(format!(
            "kid {kid} is not a key of the credential's issuer {issuer}"
        )));
    }
    jws.verify(&key)?;
    Ok(Opened { issuer: did.to_string(), kid, credential })
}

/// The end of a declaration's validity: the earliest of its `validUntil` and the PACT
/// `validityPeriodEnd` (by default `referencePeriodEnd` + 3 years), as verification judges it.
fn valid_until(declaration: &Value, fp: &Value) -> Option<Instant> {
    let time = |v: &Value| v.as_str().and_then(|s| Instant::parse(s).ok());
    let pact = time(&fp["validityPeriodEnd"])
        .or_else(|| time(&fp["pcf"]["referencePeriodEnd"]).map(|r| r.plus_years(3)));
    [time(&declaration["validUntil"]), pact].into_iter().flatten().min()
}

/// The issuer's id of a credential (`issuer` as a string or an object with `id`).
pub fn issuer_id(credential: &Value) -> Option<&str> {
    credential["issuer"].as_str().or_else(|| credential["issuer"]["id"].as_str())
}

/// The declaration a passport links to: its id and the digest of its canonical JSON.
#[derive(Debug, Clone, PartialEq)]
struct Link {
    id: String,
    digest: Digest,
}

impl Link {
    fn of(declaration: &Value) -> Result<Link, String> {
        let id = declaration["id"].as_str().ok_or("no id")?.to_string();
        let digest = canonical::digest(declaration).map_err(|e| e.to_string())?;
        Ok(Link { id, digest })
    }
}

/// The figures of the emissions scorecard, as read from a PACT footprint.
#[derive(Debug, Clone, PartialEq)]
struct Scorecard {
    carbon_footprint: f64,
    declared_unit: &'static str,
    operational_scope: &'static str,
    primary_sourced_ratio: f64,
    /// The pinned methodology: id, version, digest.
    methodology: (String, String, Digest),
}

impl Scorecard {
    fn of(fp: &Value) -> Result<Scorecard, String> {
        let pcf = &fp["pcf"];
        let text = |name: &str| pcf[name].as_str().ok_or_else(|| format!("no pcf.{name}"));
        let amount = text("declaredUnitAmount")?;
        if decimal(amount, 0) != Some(1.0) {
            return Err(format!(
                "declaredUnitAmount is {amount}: a passport states its footprint per 1 declared unit"
            ));
        }
        let unit = text("declaredUnitOfMeasurement")?;
        let declared_unit =
            UNITS.iter().find(|(u, _)| *u == unit).map(|(_, code)| *code).ok_or_else(|| {
                format!("declared unit {unit:?} has no UN/ECE Recommendation 20 code here")
            })?;
        let pcf_text = text("pcfExcludingBiogenicUptake")?;
        let carbon_footprint = decimal(pcf_text, 0)
            .ok_or_else(|| format!("pcfExcludingBiogenicUptake {pcf_text:?} is not a decimal"))?;
        let share = text("primaryDataShare")?;
        let primary_sourced_ratio =
            decimal(share, 2).filter(|r| (0.0..=1.0).contains(r)).ok_or_else(|| {
                format!("primaryDataShare {share:?} is not a percentage from 0 to 100")
            })?;
        let boundary = text("boundaryProcessesDescription")?;
        let operational_scope = match boundary.split(" (").next().unwrap_or("") {
            "cradle-to-gate" => "CradleToGate",
            "gate-to-gate" => "None",
            other => return Err(format!("boundary {other:?} has no UNTP operational scope")),
        };
        let prov = fp["extensions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["dataSchema"] == PROVENANCE_SCHEMA)
            .map(|e| &e["data"]["methodology"])
            .ok_or("no provenance extension: the methodology is not pinned")?;
        let m =
            |k: &str| prov[k].as_str().ok_or_else(|| format!("provenance methodology has no {k}"));
        let digest: Digest =
            m("digest")?.parse().map_err(|e| format!("provenance methodology digest: {e}"))?;
        Ok(Scorecard {
            carbon_footprint,
            declared_unit,
            operational_scope,
            primary_sourced_ratio,
            methodology: (m("id")?.to_string(), m("version")?.to_string(), digest),
        })
    }

    fn standard_id(&self) -> String {
        format!("urn:pcf:methodology:{}:{}", self.methodology.0, self.methodology.1)
    }
}

/// A non-negative decimal string divided by 10^`shift`, by moving the point (no rounding
/// beyond the one parse of the shifted digits).
fn decimal(text: &str, shift: usize) -> Option<f64> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty()
        || !digits_only(int)
        || !digits_only(frac)
        || (text.contains('.') && frac.is_empty())
    {
        return None;
    }
    let int = format!("{}{int}", "0".repeat(shift));
    let (head, moved) = int.split_at(int.len() - shift);
    format!("{head}.{moved}{frac}").parse().ok()
}

/// `urn:pcf:publisher:` and the publisher's name in lower case, runs of other characters as `-`.
fn publisher_urn(publisher: &str) -> String {
    let mut slug = String::new();
    for c in publisher.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    format!("urn:pcf:publisher:{}", slug.trim_matches('-'))
}

#[cfg(test)]
mod tests;
