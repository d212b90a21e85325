//! Fetching a `did:web` DID document over HTTPS (`pcf verify --fetch-did`): from the URL
//! [`pcf_trust::did::document_url`] gives, on pcf's rustls client, with no redirects, a
//! bounded body, and the document read strictly ([`pcf_trust::did::DidDocument::parse`]) and
//! required to describe the DID asked for.

use std::time::Duration;

use pcf_trust::did::{DidDocument, MAX_DID_DOCUMENT_BYTES, document_url};

use super::ExchangeError;

/// Fetches and reads the DID document of `did`; with `ca`, the server's certificate must be
/// one of those (tests), else the platform's roots decide.
pub async fn fetch_did_document(
    did: &str,
    ca: Option<&[rustls_pki_types::CertificateDer<'static>]>,
    timeout: Duration,
) -> Result<DidDocument, ExchangeError> {
    let url = document_url(did).map_err(|e| ExchangeError::Usage(e.to_string()))?;
    let fail = |why: String| ExchangeError::Http {
        url: url.clone(),
        message: format!("cannot fetch the DID document of {did}: {why}"),
    };
    let http = super::client::http_client(ca, timeout)?;
    let mut response = http.get(&url).send().await.map_err(|e| fail(e.to_string()))?;
    if !response.status().is_success() {
        return Err(fail(format!("the server answered {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| fail(e.to_string()))? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_DID_DOCUMENT_BYTES {
            return Err(fail(format!("more than {MAX_DID_DOCUMENT_BYTES} bytes")));
        }
    }
    let doc = DidDocument::parse(&body, &url).map_err(|e| fail(e.to_string()))?;
    if doc.id != did {
        return Err(fail(format!("the document served describes {}, not {did}", doc.id)));
    }
    Ok(doc)
}
