//! The shape of pcf's signed documents, as anything that reads them needs it: where a
//! declaration keeps its PACT footprint, how a bundle is recognised and which credential is its
//! declaration, and pcf's JSON-LD context. The supplier input here and the whole trust room read
//! declarations through these functions, so a new format is taught in one place.
//!
//! Two declaration formats are read:
//! - **format 1** (issued until December 2026): `@context` is the VC 2.0 context alone and the
//!   `credentialSubject` *is* the PACT ProductFootprint (its bare UUID as the subject's `id`);
//! - **format 2**: `@context` also names [`CONTEXT_V1_URL`], and the subject is
//!   `{"id": "urn:uuid:<footprint id>", "type": "ProductCarbonFootprint", "productFootprint": {..}}`
//!   with the ProductFootprint, unchanged, as a JSON literal (`@type: @json`).
//!
//! Bundles are read in two formats too: a `pcf-bundle/1` object, or a W3C Verifiable
//! Presentation typed `DeclarationBundle` whose first credential is the declaration.

use serde_json::Value;

/// The stable URL of pcf's JSON-LD context, version 1. The document at this URL never changes:
/// a change is a new version at a new URL.
pub const CONTEXT_V1_URL: &str = "https://pcf-engine.github.io/pcf/contexts/v1.jsonld";
/// The context document, byte for byte as published (`schemas/context-v1.jsonld`).
pub const CONTEXT_V1: &str = include_str!("../../../schemas/context-v1.jsonld");
/// The SHA-256 of [`CONTEXT_V1`], as every format-2 credential pins it (a test keeps the file
/// and this value together: version 1 of the context can never be edited).
pub const CONTEXT_V1_SHA256: &str =
    "sha256:b312028b48f4c5a1b60da6318cbbbb9731700791e4d953d58617d2f8562ff8a7";
/// The VC 2.0 base context.
pub const VC_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// The `@context` of every credential pcf issues now.
pub const CONTEXTS: [&str; 2] = [VC_CONTEXT, CONTEXT_V1_URL];
/// The subject type of a format-2 declaration.
pub const SUBJECT_TYPE: &str = "ProductCarbonFootprint";
/// The bundle format of the original JSON object.
pub const BUNDLE_V1: &str = "pcf-bundle/1";
/// The bundle format of a Verifiable Presentation.
pub const BUNDLE_V2: &str = "pcf-bundle/2";
/// The presentation type of a bundle, beside `VerifiablePresentation`.
pub const BUNDLE_TYPE: &str = "DeclarationBundle";

/// The IRI of a methodology version: `urn:pcf:methodology:<id>:<version>`.
pub fn methodology_urn(id: &str, version: &str) -> String {
    format!("urn:pcf:methodology:{id}:{version}")
}

/// Whether `document`'s `@context` names pcf's context (version 1).
pub fn uses_pcf_context(document: &Value) -> bool {
    document["@context"].as_array().is_some_and(|a| a.iter().any(|c| c == CONTEXT_V1_URL))
}

/// The PACT ProductFootprint a declaration carries: its subject (format 1) or the subject's
/// `productFootprint` (format 2). `None` when the document has no subject object, or is format
/// 2 without a `productFootprint` object.
pub fn pact_footprint(document: &Value) -> Option<&Value> {
    let subject = document.get("credentialSubject").filter(|s| s.is_object())?;
    if uses_pcf_context(document) {
        subject.get("productFootprint").filter(|f| f.is_object())
    } else {
        Some(subject)
    }
}

/// Where [`pact_footprint`] looks in `document`, for messages: `credentialSubject` or
/// `credentialSubject.productFootprint`.
pub fn footprint_path(document: &Value) -> &'static str {
    if uses_pcf_context(document) {
        "credentialSubject.productFootprint"
    } else {
        "credentialSubject"
    }
}

/// Whether `document` is a bundle (either format).
pub fn is_bundle(document: &Value) -> bool {
    document["format"] == BUNDLE_V1 || is_presentation_bundle(document)
}

/// Whether `document` is a bundle in the presentation format.
pub fn is_presentation_bundle(document: &Value) -> bool {
    let typed = |t: &str| document["type"].as_array().is_some_and(|a| a.iter().any(|x| x == t));
    typed("VerifiablePresentation") && typed(BUNDLE_TYPE)
}

/// The declaration a bundle carries (`None` for a document that is not a bundle).
pub fn bundle_declaration(document: &Value) -> Option<&Value> {
    if document["format"] == BUNDLE_V1 {
        document.get("declaration")
    } else if is_presentation_bundle(document) {
        document["verifiableCredential"].as_array()?.first()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn the_published_context_is_the_one_pinned() {
        assert_eq!(
            pcf_base::digest::Digest::of(CONTEXT_V1.as_bytes()).to_string(),
            CONTEXT_V1_SHA256,
            "schemas/context-v1.jsonld changed: version 1 is published and pinned in signed \
             credentials; write a context-v2.jsonld instead"
        );
        let parsed: Value = serde_json::from_str(CONTEXT_V1).unwrap();
        assert_eq!(parsed["@context"]["@protected"], true);
    }

    #[test]
    fn the_footprint_is_found_in_both_formats_and_nowhere_else() {
        let pf = json!({"id": "30c2e7a0-a127-415a-a8de-0540687f54c1", "pcf": {}});
        let v1 = json!({"@context": [VC_CONTEXT], "credentialSubject": pf});
        assert_eq!(pact_footprint(&v1), Some(&pf));
        let v2 = json!({"@context": CONTEXTS, "credentialSubject": {
            "id": "urn:uuid:30c2e7a0-a127-415a-a8de-0540687f54c1",
            "type": SUBJECT_TYPE, "productFootprint": pf}});
        assert_eq!(pact_footprint(&v2), Some(&pf));
        // Format 2 without the literal does not fall back to the subject.
        let hollow = json!({"@context": CONTEXTS, "credentialSubject": pf});
        assert_eq!(pact_footprint(&hollow), None);
        assert_eq!(pact_footprint(&json!({"credentialSubject": "x"})), None);
        assert_eq!(pact_footprint(&pf), None);
    }

    #[test]
    fn bundles_are_recognised_in_both_formats() {
        let d = json!({"id": "urn:uuid:1"});
        let v1 = json!({"format": BUNDLE_V1, "declaration": d});
        let vp =
            json!({"type": ["VerifiablePresentation", BUNDLE_TYPE], "verifiableCredential": [d]});
        let other = json!({"type": ["VerifiablePresentation"], "verifiableCredential": [d]});
        assert_eq!(bundle_declaration(&v1), Some(&d));
        assert_eq!(bundle_declaration(&vp), Some(&d));
        assert!(is_bundle(&v1) && is_bundle(&vp) && !is_bundle(&other));
        assert_eq!(bundle_declaration(&other), None);
    }
}
