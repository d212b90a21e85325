//! Credentials the server uses at its clients' own token endpoints before it posts answers to
//! their events endpoints (PACT v3: the data owner authenticates with the data recipient's
//! `/auth/token`, OAuth2 client credentials), and the access tokens it gets there, cached
//! until shortly before they expire.
//!
//! The credentials file is TOML, readable by its owner only (0600: it holds secrets; a file
//! others can read is refused), written atomically by `pcf clients credentials`:
//!
//! ```toml
//! [[recipient]]
//! client = "buyer-1"                  # the client (clients file) these credentials are for
//! client_id = "supplier-at-buyer"     # our id at the client's token endpoint
//! client_secret = "..."
//! # optional; by default the events URL's base (without /3/events) + /auth/token
//! token_url = "https://buyer.example.com/auth/token"
//! ```

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::ExchangeError;
use crate::auth::EVENTS_PATH;

/// The credentials for each client's token endpoint.
#[derive(Clone, Default)]
pub struct Recipients {
    by_client: HashMap<String, Credentials>,
}

/// Our credentials at one client's token endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Our client id there.
    pub client_id: String,
    secret: String,
    /// The token endpoint, if not the default one.
    pub token_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    recipient: Vec<RawRecipient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecipient {
    client: String,
    client_id: String,
    client_secret: String,
    token_url: Option<String>,
}

impl Recipients {
    /// Reads a credentials file; refuses one that users other than its owner may read.
    pub fn load(path: &Path) -> Result<Recipients, ExchangeError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(path).map_err(|e| ExchangeError::io(path, &e))?;
            if meta.permissions().mode() & 0o077 != 0 {
                return Err(ExchangeError::Config(format!(
                    "{}: holds client secrets but others may read it; chmod 600 it",
                    path.display()
                )));
            }
        }
        let text = std::fs::read_to_string(path).map_err(|e| ExchangeError::io(path, &e))?;
        Recipients::parse(&text)
            .map_err(|e| ExchangeError::Config(format!("{}: {e}", path.display())))
    }

    /// Parses the text of a credentials file.
    pub fn parse(text: &str) -> Result<Recipients, String> {
        let raw: RawFile = toml::from_str(text).map_err(|e| e.message().to_string())?;
        let mut by_client = HashMap::new();
        for (i, r) in raw.recipient.into_iter().enumerate() {
            let at = format!("recipient {} ({:?})", i + 1, r.client);
            crate::auth::check_client_id(&r.client).map_err(|e| format!("{at}: {e}"))?;
            if r.client_id.is_empty() || r.client_id.contains(':') {
                return Err(format!("{at}: client_id must be non-empty and without ':'"));
            }
            if r.client_secret.is_empty() {
                return Err(format!("{at}: client_secret is empty"));
            }
            if let Some(url) = &r.token_url {
                check_url(url).map_err(|e| format!("{at}: token_url {url:?}: {e}"))?;
            }
            let credentials = Credentials {
                client_id: r.client_id,
                secret: r.client_secret,
                token_url: r.token_url,
            };
            if by_client.insert(r.client, credentials).is_some() {
                return Err(format!("{at}: the client has credentials twice"));
            }
        }
        Ok(Recipients { by_client })
    }

    /// The credentials for `client`, if any.
    pub fn get(&self, client: &str) -> Option<&Credentials> {
        self.by_client.get(client)
    }

    /// How many clients have credentials.
    pub fn len(&self) -> usize {
        self.by_client.len()
    }

    /// Whether none has.
    pub fn is_empty(&self) -> bool {
        self.by_client.is_empty()
    }
}

/// Adds or replaces the entry of `client` in the text of a credentials file.
pub fn with_entry(
    existing: &str,
    client: &str,
    client_id: &str,
    secret: &str,
    token_url: Option<&str>,
) -> Result<String, String> {
    let mut entries = Recipients::parse(existing)?.by_client;
    entries.insert(
        client.to_string(),
        Credentials {
            client_id: client_id.to_string(),
            secret: secret.to_string(),
            token_url: token_url.map(String::from),
        },
    );
    let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
    let mut clients: Vec<&String> = entries.keys().collect();
    clients.sort();
    let mut text = String::from(
        "# Credentials pcf serve uses at its clients' token endpoints before posting answers to\n\
         # their events endpoints (pcf clients credentials writes this file; keep it 0600).\n",
    );
    for c in clients {
        let e = &entries[c];
        text.push_str(&format!(
            "\n[[recipient]]\nclient = {}\nclient_id = {}\nclient_secret = {}\n",
            quote(c),
            quote(&e.client_id),
            quote(&e.secret)
        ));
        if let Some(url) = &e.token_url {
            text.push_str(&format!("token_url = {}\n", quote(url)));
        }
    }
    Recipients::parse(&text)?;
    Ok(text)
}

impl Credentials {
    /// The token endpoint for answers posted to `events_url`: the configured one, else the
    /// base of the events URL (without `/3/events`) + `/auth/token`.
    pub fn token_url(&self, events_url: &str) -> String {
        match &self.token_url {
            Some(url) => url.clone(),
            None => {
                let trimmed = events_url.trim_end_matches('/');
                let base = trimmed.strip_suffix(EVENTS_PATH).unwrap_or(trimmed);
                format!("{base}/auth/token")
            }
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Recipients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recipients").field("clients", &self.by_client.len()).finish()
    }
}

fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
        return Err("not an absolute http(s) URL".into());
    }
    Ok(())
}

/// Access tokens obtained at clients' token endpoints, per token URL and client id.
#[derive(Default)]
pub(crate) struct TokenCache {
    tokens: Mutex<HashMap<(String, String), (String, Instant)>>,
    /// Held while a token is fetched, so that answers sent at once share one token.
    fetching: tokio::sync::Mutex<()>,
}

/// A token is used until this long before it expires.
const MARGIN: Duration = Duration::from_secs(30);
/// How long a token without `expires_in` is used.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);
/// Largest token answer read.
const MAX_TOKEN_ANSWER: usize = 64 << 10;

impl TokenCache {
    /// A current token for `credentials` at `token_url`: the cached one, or a new one.
    pub(crate) async fn token(
        &self,
        http: &reqwest::Client,
        token_url: &str,
        credentials: &Credentials,
    ) -> Result<String, String> {
        let key = (token_url.to_string(), credentials.client_id.clone());
        let _fetching = self.fetching.lock().await;
        if let Some(token) = self.cached(&key) {
            return Ok(token);
        }
        let response = http
            .post(token_url)
            .basic_auth(&credentials.client_id, Some(&credentials.secret))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(reqwest::header::ACCEPT, "application/json")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| format!("token endpoint {token_url}: {e}"))?;
        let status = response.status();
        let body =
            response.bytes().await.map_err(|e| format!("token endpoint {token_url}: {e}"))?;
        if !status.is_success() {
            return Err(format!("token endpoint {token_url} answered {status}"));
        }
        if body.len() > MAX_TOKEN_ANSWER {
            return Err(format!(
                "token endpoint {token_url}: answer larger than {MAX_TOKEN_ANSWER} bytes"
            ));
        }
        let answer: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| format!("token endpoint {token_url}: not JSON: {e}"))?;
        let token = answer
            .get("access_token")
            .and_then(serde_json::Value::as_str)
            .filter(|t| !t.is_empty() && t.len() <= 8192 && t.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| {
                format!("token endpoint {token_url}: no usable access_token in the answer")
            })?
            .to_string();
        let lifetime = answer
            .get("expires_in")
            .and_then(serde_json::Value::as_u64)
            .map_or(DEFAULT_LIFETIME, Duration::from_secs);
        let until = Instant::now() + lifetime.saturating_sub(MARGIN);
        self.lock().insert(key, (token.clone(), until));
        Ok(token)
    }

    fn cached(&self, key: &(String, String)) -> Option<String> {
        let tokens = self.lock();
        let (token, until) = tokens.get(key)?;
        (Instant::now() < *until).then(|| token.clone())
    }

    /// Forgets the token for `credentials` at `token_url` (the recipient refused it).
    pub(crate) fn forget(&self, token_url: &str, credentials: &Credentials) {
        self.lock().remove(&(token_url.to_string(), credentials.client_id.clone()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), (String, Instant)>> {
        match self.tokens.lock() {
            Ok(t) => t,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_secrets_stay_out_of_debug() {
        let text = with_entry("", "buyer", "us", "s3cr\"et", None).unwrap();
        let text = with_entry(&text, "other", "us2", "x", Some("https://o.example/t")).unwrap();
        let r = Recipients::parse(&text).unwrap();
        assert_eq!(r.len(), 2);
        let c = r.get("buyer").unwrap();
        assert_eq!(c.secret, "s3cr\"et");
        assert_eq!(
            c.token_url("https://b.example/pact/3/events"),
            "https://b.example/pact/auth/token"
        );
        assert_eq!(
            c.token_url("http://localhost:8004/3/events/"),
            "http://localhost:8004/auth/token"
        );
        assert_eq!(r.get("other").unwrap().token_url("https://x/3/events"), "https://o.example/t");
        assert!(!format!("{r:?} {c:?}").contains("s3cr"));
        let replaced = with_entry(&text, "buyer", "us", "new", None).unwrap();
        assert_eq!(Recipients::parse(&replaced).unwrap().get("buyer").unwrap().secret, "new");
    }

    #[test]
    fn rejects_bad_files() {
        for bad in [
            "[[recipient]]\nclient = \"a b\"\nclient_id = \"x\"\nclient_secret = \"y\"\n",
            "[[recipient]]\nclient = \"a\"\nclient_id = \"\"\nclient_secret = \"y\"\n",
            "[[recipient]]\nclient = \"a\"\nclient_id = \"x\"\nclient_secret = \"\"\n",
            "[[recipient]]\nclient = \"a\"\nclient_id = \"x\"\nclient_secret = \"y\"\ntoken_url = \"ftp://x\"\n",
            "[[recipient]]\nclient = \"a\"\nclient_id = \"x\"\nclient_secret = \"y\"\nsecret = \"z\"\n",
        ] {
            assert!(Recipients::parse(bad).is_err(), "{bad}");
        }
    }
}
