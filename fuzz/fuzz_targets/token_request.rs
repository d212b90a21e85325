//! Token requests: the form body, the `Authorization: Basic` header and bearer tokens are
//! read without panicking; credentials and tokens this side writes are read back unchanged;
//! no arbitrary text passes as a token.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use pcf::exchange::auth::{self, Tokens};

fn tokens() -> &'static Tokens {
    static T: OnceLock<Tokens> = OnceLock::new();
    T.get_or_init(|| match Tokens::new(Duration::from_secs(3600)) {
        Ok(t) => t,
        Err(e) => panic!("no token key: {e}"),
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = auth::grant_type(data);
    let text = String::from_utf8_lossy(data);
    let _ = auth::basic_credentials(&text);
    assert!(tokens().check(&text).is_err(), "{text:?} passed as a token");

    let (id, secret) = text.split_once('\u{1f}').unwrap_or((&text, ""));
    // Basic credentials as a client writes them.
    let header = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    );
    if header.len() <= 1024 + 6 && !id.contains(':') {
        assert_eq!(
            auth::basic_credentials(&header),
            Some((id.to_string(), secret.to_string())),
            "{header:?}"
        );
    }
    // A form body as a client writes it.
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", secret)
        .append_pair("scope", id)
        .finish();
    assert_eq!(auth::grant_type(body.as_bytes()).as_deref(), Some(secret));
    // Tokens issued to valid client ids are read back.
    if auth::check_client_id(id).is_ok() {
        let token = match tokens().issue(id) {
            Ok(t) => t,
            Err(e) => panic!("cannot issue a token: {e}"),
        };
        assert_eq!(tokens().check(&token).as_deref(), Ok(id));
    }
});
