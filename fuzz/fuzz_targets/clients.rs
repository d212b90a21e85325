//! The clients file (TOML): parsing never panics; every client it accepts has a valid id, a
//! unique one, and is found by it; an entry written by `client_entry` parses back to the same
//! client.
#![no_main]

use pcf::exchange::auth::{self, Clients};

/// A valid Argon2id PHC string (of the secret "s").
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$cGNmLWR1bW15LXNhbHQ$\
                    WOxbxLtYyxnaCYI9P5zz6z5Dm+v2rvmVGLPfo3XRkWQ";

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(clients) = Clients::parse(text) {
        assert_eq!(clients.is_empty(), clients.len() == 0);
    }
    // Round trip: an id and events URLs from the input.
    let mut fields = text.split('\u{1f}');
    let id = fields.next().unwrap_or_default();
    let urls: Vec<String> = fields.map(String::from).collect();
    let Ok(entry) = auth::client_entry(id, HASH, &urls) else { return };
    let clients = match Clients::parse(&entry) {
        Ok(c) => c,
        Err(e) => panic!("client_entry wrote {entry:?}, which does not parse: {e}"),
    };
    assert_eq!(clients.len(), 1);
    let Some(client) = clients.get(id) else { panic!("client {id:?} lost in {entry:?}") };
    assert_eq!(client.events_urls, urls);
    // Twice the same entry is refused (ids are unique).
    assert!(Clients::parse(&format!("{entry}{entry}")).is_err());
});
