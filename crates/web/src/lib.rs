//! The buyer's verifier page: the verification of `pcf verify`, compiled to WebAssembly and
//! run in the browser, offline. The page (`crates/web/page`, built by `scripts/page/build.mjs`)
//! hands this crate the bytes of the files a buyer dropped and the trust list kept in the
//! browser's storage; it gets back one JSON answer with the report (every check and the
//! verdict), the report as `pcf verify` prints it, the summary of what the declaration says,
//! the supply chain below it and the composition chart. Nothing here reads a clock, a file or
//! the network: the page passes the instant to judge at.

use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::wasm_bindgen;

use pcf_trust::declaration::Bundle;
use pcf_trust::declaration::verify::{self, Report, Summary, Supplier, VerifyOptions};

/// What the page gets for one verification.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// What was dropped: `bundle`, `declaration`, `passport` or `pact-footprint`.
    pub kind: &'static str,
    /// The verification report.
    pub report: Report,
    /// The report as `pcf verify` prints it.
    pub text: String,
    /// What the declaration says.
    pub summary: Summary,
    /// The suppliers' declarations below it.
    pub chain: Vec<Supplier>,
    /// The composition chart (SVG), where the declaration states the parts of its footprint.
    pub chart: Option<String>,
}

/// Why nothing could be verified: a file that is not strict JSON, or not a bundle where one
/// was expected, or a bad trust list or instant.
#[derive(Debug, Serialize)]
pub struct Refusal {
    /// In words, naming the file.
    pub error: String,
}

/// Verifies `file` (a bundle, a declaration, a UNTP passport or a plain PACT footprint) with
/// the suppliers' declarations of `bundle` (an optional second file), judged at `at` (RFC 3339)
/// against `trust_list` (the CLI's trust-list file). Returns [`Answer`] or [`Refusal`] as JSON.
#[wasm_bindgen]
pub fn verify_files(
    file_name: &str,
    file: &[u8],
    bundle_name: Option<String>,
    bundle: Option<Vec<u8>>,
    trust_list: &[u8],
    at: &str,
) -> String {
    let second = bundle_name.zip(bundle);
    let answer =
        answer(file_name, file, second.as_ref().map(|(n, b)| (n.as_str(), &b[..])), trust_list, at);
    let json = match answer {
        Ok(a) => serde_json::to_string(&a),
        Err(error) => serde_json::to_string(&Refusal { error }),
    };
    json.unwrap_or_else(|e| format!(r#"{{"error":"the answer could not be written: {e}"}}"#))
}

/// The version of pcf the page was built from.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// [`verify_files`] as Rust: the answer, or why there is none.
pub fn answer(
    file_name: &str,
    file: &[u8],
    bundle: Option<(&str, &[u8])>,
    trust_list: &[u8],
    at: &str,
) -> Result<Answer, String> {
    let at = pcf_base::time::Instant::parse(at).map_err(|e| format!("the instant {at:?}: {e}"))?;
    let mut options = VerifyOptions { at: Some(at), ..VerifyOptions::default() };
    trust(trust_list, &mut options)?;
    let doc = parse(file_name, file)?;
    let mut extra = match bundle {
        Some((name, bytes)) => Some(as_bundle(name, parse(name, bytes)?)?),
        None => None,
    };
    let (kind, declaration) = if pcf_footprint::credential::is_bundle(&doc) {
        let inner = as_bundle(file_name, doc)?;
        let d = inner.declaration.clone();
        extra.get_or_insert(inner);
        ("bundle", d)
    } else if pcf_trust::passport::is_enveloped(&doc) {
        ("passport", doc)
    } else {
        ("declaration", doc)
    };
    let (report, chain) = if kind == "passport" {
        (pcf_trust::passport::verify(&declaration, extra.as_ref(), &options), Vec::new())
    } else {
        verify::verify_with_chain(&declaration, extra.as_ref(), &options)
    };
    let kind = match report.kind {
        verify::ReportKind::UnsignedPactFootprint => "pact-footprint",
        verify::ReportKind::Declaration => kind,
    };
    // A passport's figures are those of the declaration it links to.
    let described = match (kind, &extra) {
        ("passport", Some(b)) => &b.declaration,
        _ => &declaration,
    };
    let summary = verify::summary(described);
    Ok(Answer {
        kind,
        text: report.to_string(),
        chart: verify::composition_chart(&summary),
        report,
        summary,
        chain,
    })
}

fn parse(name: &str, bytes: &[u8]) -> Result<Value, String> {
    if bytes.len() as u64 > verify::MAX_BUNDLE_BYTES {
        return Err(format!(
            "{name}: {} bytes; pcf verifies files of at most {} bytes",
            bytes.len(),
            verify::MAX_BUNDLE_BYTES
        ));
    }
    pcf_base::canonical::parse_strict(bytes).map_err(|e| format!("{name}: not strict JSON: {e}"))
}

fn as_bundle(name: &str, v: Value) -> Result<Bundle, String> {
    serde_json::from_value(v).map_err(|e| format!("{name}: not a pcf bundle: {e}"))
}

/// The trust list's issuers (and witnesses) into `options`.
fn trust(trust_list: &[u8], options: &mut VerifyOptions) -> Result<(), String> {
    if trust_list.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let list = pcf_trust::trustlist::TrustList::parse(trust_list, "the page's trust list")
        .map_err(|e| e.to_string())?;
    list.apply(options).map_err(|e| e.to_string())
}
