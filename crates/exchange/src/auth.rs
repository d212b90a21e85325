//! Who may call the server: the clients file (client ids with Argon2id-hashed secrets and the
//! events endpoints each may be answered at) and the access tokens of the OAuth2 client
//! credentials grant.
//!
//! A clients file is TOML; `pcf clients add` writes entries to it:
//!
//! ```toml
//! [[client]]
//! id = "buyer-1"
//! secret_hash = "$argon2id$v=19$m=19456,t=2,p=1$..."
//! # where answers to its RequestCreated events may be sent (optional)
//! events_urls = ["https://buyer.example.com/3/events"]
//! ```
//!
//! Access tokens are stateless: `base64url(expiry-in-unix-ms:nonce:client) "." base64url(HMAC-SHA256)`
//! under a key drawn at start-up, so they need no storage, expire on their own and die with the
//! process. A token whose MAC checks but whose expiry has passed is reported as expired.

use std::path::Path;
use std::time::Duration;

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::ExchangeError;
use pcf_base::time::Instant;

/// The clients allowed to call the server.
#[derive(Debug, Clone, Default)]
pub struct Clients {
    clients: Vec<Client>,
}

/// One client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client id.
    pub id: String,
    /// PHC string of the Argon2id hash of its secret.
    secret_hash: String,
    /// Events endpoints its requests may be answered at (absolute URLs).
    pub events_urls: Vec<String>,
}

/// Why a client could not authenticate or a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    /// Unknown client id or wrong secret.
    BadCredentials,
    /// The token is not one this server issued (or the client is gone).
    InvalidToken,
    /// The token was issued here but has expired.
    Expired,
}

/// Issues and checks access tokens.
#[derive(Clone)]
pub struct Tokens {
    key: [u8; 32],
    lifetime: Duration,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClients {
    #[serde(default)]
    client: Vec<RawClient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    id: String,
    secret_hash: String,
    #[serde(default)]
    events_urls: Vec<String>,
}

/// A hash of a fixed secret, verified against when the client id is unknown so that a
/// wrong id costs the same time as a wrong secret.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$cGNmLWR1bW15LXNhbHQ$\
                          WOxbxLtYyxnaCYI9P5zz6z5Dm+v2rvmVGLPfo3XRkWQ";

impl Clients {
    /// Reads a clients file.
    pub fn load(path: &Path) -> Result<Clients, ExchangeError> {
        let text = std::fs::read_to_string(path).map_err(|e| ExchangeError::io(path, &e))?;
        Clients::parse(&text).map_err(|e| ExchangeError::Config(format!("{}: {e}", path.display())))
    }

    /// Parses the text of a clients file.
    pub fn parse(text: &str) -> Result<Clients, String> {
        let raw: RawClients = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut clients = Vec::new();
        for (i, c) in raw.client.into_iter().enumerate() {
            let at = format!("client {} ({:?})", i + 1, c.id);
            check_client_id(&c.id).map_err(|e| format!("client {}: {e}", i + 1))?;
            if clients.iter().any(|x: &Client| x.id == c.id) {
                return Err(format!("{at}: the id is used twice"));
            }
            let hash = PasswordHash::new(&c.secret_hash)
                .map_err(|e| format!("{at}: secret_hash is not a PHC string: {e}"))?;
            if hash.algorithm.as_str() != "argon2id" {
                return Err(format!(
                    "{at}: secret_hash uses {}; only argon2id is accepted (pcf clients add writes one)",
                    hash.algorithm
                ));
            }
            for url in &c.events_urls {
                check_events_url(url).map_err(|e| format!("{at}: events_urls {url:?}: {e}"))?;
            }
            clients.push(Client {
                id: c.id,
                secret_hash: c.secret_hash,
                events_urls: c.events_urls,
            });
        }
        Ok(Clients { clients })
    }

    /// How many clients there are.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// The client with this id.
    pub fn get(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
    }

    /// Checks a client id and secret (slow on purpose: Argon2id). Unknown ids take as long as
    /// wrong secrets.
    pub fn authenticate(&self, id: &str, secret: &str) -> Result<&Client, AuthFailure> {
        let client = self.get(id);
        let hash = client.map_or(DUMMY_HASH, |c| c.secret_hash.as_str());
        let ok = PasswordHash::new(hash)
            .is_ok_and(|h| Argon2::default().verify_password(secret.as_bytes(), &h).is_ok());
        match client {
            Some(c) if ok => Ok(c),
            _ => Err(AuthFailure::BadCredentials),
        }
    }
}

/// The Argon2id hash of a secret, as a PHC string for a clients file.
pub fn hash_secret(secret: &str) -> Result<String, ExchangeError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt)
        .map_err(|e| ExchangeError::Config(format!("no randomness for a salt: {e}")))?;
    Argon2::default()
        .hash_password_with_salt(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ExchangeError::Config(format!("cannot hash the secret: {e}")))
}

/// A new random client secret: 32 bytes, base64url.
pub fn generate_secret() -> Result<String, ExchangeError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ExchangeError::Config(format!("no randomness for a secret: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The `grant_type` of a token request's form body (`application/x-www-form-urlencoded`), if
/// it names one. The first occurrence counts.
pub fn grant_type(body: &[u8]) -> Option<String> {
    form_urlencoded::parse(body).find(|(k, _)| k == "grant_type").map(|(_, v)| v.into_owned())
}

/// The client id and secret of an `Authorization: Basic` header value (RFC 7617): `None`
/// unless it is the `Basic` scheme with at most 1024 characters of standard base64 that
/// decode to UTF-8 `id:secret` (the id ends at the first colon).
pub fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") || encoded.len() > 1024 {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// The text of a `[[client]]` entry for a clients file.
pub fn client_entry(id: &str, secret_hash: &str, events_urls: &[String]) -> Result<String, String> {
    check_client_id(id)?;
    for url in events_urls {
        check_events_url(url).map_err(|e| format!("events url {url:?}: {e}"))?;
    }
    // TOML strings, escaped as TOML escapes (Rust's `{:?}` writes `\0` and `\u{7f}`, which
    // TOML does not read).
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let urls: Vec<String> = events_urls.iter().map(|u| quote(u)).collect();
    Ok(format!(
        "[[client]]\nid = {}\nsecret_hash = {}\nevents_urls = [{}]\n",
        quote(id),
        quote(secret_hash),
        urls.join(", ")
    ))
}

/// Client ids are 1 to 64 characters from `A-Z a-z 0-9 . _ ~ -` (so they need no escaping in
/// HTTP Basic credentials or in a token).
pub fn check_client_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!("client id {id:?}: use 1 to 64 characters from A-Z a-z 0-9 . _ ~ -"))
    }
}

fn check_events_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
        return Err("not an absolute http(s) URL".into());
    }
    Ok(())
}

impl Client {
    /// Which of the client's events endpoints a CloudEvents `source` names: the source may be
    /// the URL itself, the scheme-relative `//host/path` form PACT's examples use (meaning
    /// https), or a bare origin (`https://host:port`, `//host`), which names the PACT events
    /// path on it, `<origin>/3/events`. `None` if it names none of the registered URLs: the
    /// server never sends anything anywhere else.
    pub fn events_url_for(&self, source: &str) -> Option<&str> {
        let absolute = match source.strip_prefix("//") {
            Some(rest) => format!("https://{rest}"),
            None => source.to_string(),
        };
        let parsed = reqwest::Url::parse(&absolute).ok()?;
        if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
            return None;
        }
        let bare = matches!(parsed.path(), "" | "/")
            && parsed.query().is_none()
            && parsed.fragment().is_none()
            && parsed.username().is_empty()
            && parsed.password().is_none();
        let wanted = if bare {
            format!("{}{EVENTS_PATH}", parsed.origin().ascii_serialization())
        } else {
            absolute
        };
        let norm = |u: &str| u.trim_end_matches('/').to_ascii_lowercase();
        let wanted = norm(&wanted);
        self.events_urls.iter().find(|u| norm(u) == wanted).map(String::as_str)
    }
}

/// Where a PACT v3 host takes events, below its base URL.
pub const EVENTS_PATH: &str = "/3/events";

impl Tokens {
    /// A token issuer with a fresh random key.
    pub fn new(lifetime: Duration) -> Result<Tokens, ExchangeError> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|e| ExchangeError::Config(format!("no randomness for the token key: {e}")))?;
        Ok(Tokens { key, lifetime })
    }

    /// How long tokens live.
    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// A token for `client_id`.
    pub fn issue(&self, client_id: &str) -> Result<String, ExchangeError> {
        let lifetime = i64::try_from(self.lifetime.as_millis()).unwrap_or(i64::MAX);
        let expires = Instant::now().unix_millis().saturating_add(lifetime);
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce)
            .map_err(|e| ExchangeError::Config(format!("no randomness for a token: {e}")))?;
        let payload = format!("{expires}:{}:{client_id}", pcf_base::digest::hex(&nonce));
        let mac = self.mac(payload.as_bytes()).finalize().into_bytes();
        Ok(format!("{}.{}", URL_SAFE_NO_PAD.encode(payload), URL_SAFE_NO_PAD.encode(mac)))
    }

    /// The client id a token was issued to, if it is genuine and current.
    pub fn check(&self, token: &str) -> Result<String, AuthFailure> {
        let (payload, mac) = token.split_once('.').ok_or(AuthFailure::InvalidToken)?;
        if payload.len() > 256 || mac.len() > 64 {
            return Err(AuthFailure::InvalidToken);
        }
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| AuthFailure::InvalidToken)?;
        let mac = URL_SAFE_NO_PAD.decode(mac).map_err(|_| AuthFailure::InvalidToken)?;
        self.mac(&payload).verify_slice(&mac).map_err(|_| AuthFailure::InvalidToken)?;
        let text = String::from_utf8(payload).map_err(|_| AuthFailure::InvalidToken)?;
        let mut parts = text.splitn(3, ':');
        let expires: i64 =
            parts.next().and_then(|e| e.parse().ok()).ok_or(AuthFailure::InvalidToken)?;
        let client = parts.nth(1).ok_or(AuthFailure::InvalidToken)?;
        if Instant::now().unix_millis() >= expires {
            return Err(AuthFailure::Expired);
        }
        Ok(client.to_string())
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length, so this cannot fail for a 32-byte key.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(payload);
        mac
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("lifetime", &self.lifetime).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire() {
        let tokens = Tokens::new(Duration::from_secs(60)).unwrap();
        let t = tokens.issue("buyer-1").unwrap();
        assert_eq!(tokens.check(&t).unwrap(), "buyer-1");
        let other = Tokens::new(Duration::from_secs(60)).unwrap();
        assert_eq!(other.check(&t), Err(AuthFailure::InvalidToken));
        let mut tampered = t.clone();
        tampered.insert(3, 'x');
        assert_eq!(tokens.check(&tampered), Err(AuthFailure::InvalidToken));
        let expired = Tokens { key: tokens.key, lifetime: Duration::ZERO };
        let t = expired.issue("buyer-1").unwrap();
        assert_eq!(tokens.check(&t), Err(AuthFailure::Expired));
    }

    #[test]
    fn secrets_hash_and_verify() {
        let hash = hash_secret("s3cret").unwrap();
        let text = client_entry("buyer-1", &hash, &["https://b.example/3/events".into()]).unwrap();
        let clients = Clients::parse(&text).unwrap();
        assert!(clients.authenticate("buyer-1", "s3cret").is_ok());
        assert_eq!(
            clients.authenticate("buyer-1", "wrong").err(),
            Some(AuthFailure::BadCredentials)
        );
        assert_eq!(
            clients.authenticate("nobody", "s3cret").err(),
            Some(AuthFailure::BadCredentials)
        );
        let c = clients.get("buyer-1").unwrap();
        assert!(c.events_url_for("//b.example/3/events").is_some());
        assert!(c.events_url_for("https://evil.example/3/events").is_none());
        // A bare origin names its /3/events, if that is registered.
        assert_eq!(c.events_url_for("https://b.example"), Some("https://b.example/3/events"));
        assert_eq!(c.events_url_for("//B.example/"), Some("https://b.example/3/events"));
        assert!(c.events_url_for("http://b.example").is_none(), "another scheme");
        assert!(c.events_url_for("https://b.example:444").is_none(), "another port");
        assert!(c.events_url_for("https://b.example/?x=1").is_none());
        assert!(c.events_url_for("https://u@b.example").is_none());
        assert!(c.events_url_for("https://b.example/other").is_none());
    }

    #[test]
    fn entries_round_trip_whatever_the_url_holds() {
        let hash = DUMMY_HASH;
        for url in [
            "https://b.example/3/events",
            "http://a/\u{0}",
            "http://a/\u{7f}x",
            "http://a/\u{202e}",
        ] {
            let urls = vec![url.to_string()];
            let text = client_entry("buyer-1", hash, &urls).unwrap();
            let clients = Clients::parse(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(clients.get("buyer-1").unwrap().events_urls, urls);
        }
    }

    #[test]
    fn the_dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn rejects_bad_files() {
        assert!(Clients::parse("[[client]]\nid = \"a b\"\nsecret_hash = \"x\"\n").is_err());
        assert!(Clients::parse("[[client]]\nid = \"a\"\nsecret_hash = \"x\"\n").is_err());
        assert!(Clients::parse("[[client]]\nid = \"a\"\nsecret = \"x\"\n").is_err());
    }
}
