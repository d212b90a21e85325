//! What the PACT v3 OpenAPI says each event field is, and the one check every event goes
//! through: the CloudEvents envelope (`BaseEvent`), then the `data` of its kind, field by
//! field, with the formats the OpenAPI names (`uuid`, `date-time`, `uri-reference`, URN).
//!
//! Each event kind is a list of [`Field`]s; nested objects are lists too. [`check`] walks a
//! value against such a list and names the first field that does not fit by its path
//! (`data.pfIds[0]`), so every kind is validated by the same code and a new field is one line.

use serde_json::{Map, Value};

/// What one field must be.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    /// A string of 1 to [`MAX_ID`] characters.
    Id,
    /// Any string (free text), at most [`MAX_TEXT`] characters.
    Text,
    /// An RFC 3986 URI reference (CloudEvents `source`).
    UriReference,
    /// An RFC 3339 date-time.
    DateTime,
    /// An RFC 9562 UUID in its hyphenated form.
    Uuid,
    /// A URN (RFC 8141): `urn:` then a namespace and a specific string.
    Urn,
    /// One of these strings, exactly.
    OneOf(&'static [&'static str]),
    /// A JSON object with these fields (others are allowed).
    Object(&'static [Field]),
    /// A JSON object, whatever it holds.
    AnyObject,
    /// An array of at least `min` items of a kind.
    List(&'static Kind, usize),
    /// An array of items of a kind, or a single one (taken as a list of one).
    OneOrList(&'static Kind),
}

/// One field of an object.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
    pub(crate) required: bool,
}

/// Largest accepted `id`, `source` or `requestEventId`.
pub(crate) const MAX_ID: usize = 512;
/// Largest accepted free text (a `comment`, an error `message`).
pub(crate) const MAX_TEXT: usize = 4096;

const fn required(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, required: true }
}

const fn optional(name: &'static str, kind: Kind) -> Field {
    Field { name, kind, required: false }
}

/// PACT's error codes (`Error.code`).
const ERROR_CODES: &[&str] =
    &["BadRequest", "AccessDenied", "TokenExpired", "NotFound", "InternalError", "NotImplemented"];

/// `BaseEvent`: every event, whatever its kind.
pub(crate) const ENVELOPE: &[Field] = &[
    required("type", Kind::Id),
    required("specversion", Kind::Id),
    required("id", Kind::Id),
    required("source", Kind::UriReference),
    required("time", Kind::DateTime),
    required("data", Kind::AnyObject),
];

/// `PublishedEvent.data`.
pub(crate) const PUBLISHED: &[Field] = &[required("pfIds", Kind::List(&Kind::Uuid, 1))];

/// `RequestCreatedEvent.data`: the criteria (a single string is taken as a list of one, as
/// the query parameters are; unknown members are refused by [`crate::filters::Criteria`]).
pub(crate) const REQUEST_CREATED: &[Field] = &[
    optional("productId", Kind::OneOrList(&Kind::Id)),
    optional("companyId", Kind::OneOrList(&Kind::Id)),
    optional("geography", Kind::OneOrList(&Kind::Id)),
    optional("classification", Kind::OneOrList(&Kind::Id)),
    optional("validOn", Kind::DateTime),
    optional("validAfter", Kind::DateTime),
    optional("validBefore", Kind::DateTime),
    optional("status", Kind::OneOrList(&Kind::OneOf(&["Active", "Deprecated"]))),
    optional("comment", Kind::Text),
];

/// The fields of a `ProductFootprint` that identify it, as carried in `RequestFulfilled`.
const FOOTPRINT: &[Field] = &[
    required("id", Kind::Uuid),
    required("specVersion", Kind::Id),
    required("created", Kind::DateTime),
    optional("status", Kind::OneOf(&["Active", "Deprecated"])),
    required("companyIds", Kind::List(&Kind::Urn, 1)),
    required("productIds", Kind::List(&Kind::Urn, 1)),
    required("pcf", Kind::AnyObject),
];

/// `RequestFulfilledEvent.data`.
pub(crate) const REQUEST_FULFILLED: &[Field] = &[
    required("requestEventId", Kind::Id),
    required("pfs", Kind::List(&Kind::Object(FOOTPRINT), 1)),
];

/// `RequestRejectedEvent.data`.
pub(crate) const REQUEST_REJECTED: &[Field] =
    &[required("requestEventId", Kind::Id), required("error", Kind::Object(ERROR))];

/// `Error`.
const ERROR: &[Field] =
    &[required("code", Kind::OneOf(ERROR_CODES)), required("message", Kind::Text)];

/// Checks the members of `object` named in `fields`; `path` prefixes the names in errors.
pub(crate) fn check(
    object: &Map<String, Value>,
    fields: &[Field],
    path: &str,
) -> Result<(), String> {
    for field in fields {
        let at =
            if path.is_empty() { field.name.to_string() } else { format!("{path}.{}", field.name) };
        match object.get(field.name) {
            Some(value) => check_value(value, &field.kind, &at)?,
            None if field.required => return Err(format!("{at} is missing")),
            None => {}
        }
    }
    Ok(())
}

fn check_value(value: &Value, kind: &Kind, at: &str) -> Result<(), String> {
    let shown = || shorten(&value.to_string());
    let string = || value.as_str().ok_or_else(|| format!("{at} must be a string, not {}", shown()));
    match kind {
        Kind::Id => {
            let s = string()?;
            if s.is_empty() || s.len() > MAX_ID {
                return Err(format!("{at} must be 1 to {MAX_ID} characters"));
            }
        }
        Kind::Text => {
            if string()?.len() > MAX_TEXT {
                return Err(format!("{at} is longer than {MAX_TEXT} bytes"));
            }
        }
        Kind::UriReference => {
            let s = string()?;
            if s.is_empty() || s.len() > MAX_ID || !is_uri_reference(s) {
                return Err(format!("{at} {}: not a URI reference (RFC 3986)", shown()));
            }
        }
        Kind::DateTime => {
            if pcf_base::time::Instant::parse_pact(string()?).is_err() {
                return Err(format!("{at} {}: not an RFC 3339 date-time", shown()));
            }
        }
        Kind::Uuid => {
            if !is_uuid(string()?) {
                return Err(format!(
                    "{at} {}: not a UUID (like 079e425a-464f-528d-341d-4a944a1dfd70)",
                    shown()
                ));
            }
        }
        Kind::Urn => {
            if !is_urn(string()?) {
                return Err(format!("{at} {}: not a URN (urn:NID:NSS)", shown()));
            }
        }
        Kind::OneOf(allowed) => {
            if !allowed.contains(&string()?) {
                return Err(format!("{at} {}: must be one of {}", shown(), allowed.join(", ")));
            }
        }
        Kind::Object(fields) => {
            let object = value
                .as_object()
                .ok_or_else(|| format!("{at} must be an object, not {}", shown()))?;
            check(object, fields, at)?;
        }
        Kind::AnyObject => {
            if !value.is_object() {
                return Err(format!("{at} must be an object, not {}", shown()));
            }
        }
        Kind::List(item, min) => {
            let items = value
                .as_array()
                .ok_or_else(|| format!("{at} must be an array, not {}", shown()))?;
            if items.len() < *min {
                return Err(format!("{at} must hold at least {min} item(s)"));
            }
            for (i, v) in items.iter().enumerate() {
                check_value(v, item, &format!("{at}[{i}]"))?;
            }
        }
        Kind::OneOrList(item) => match value {
            Value::Array(items) => {
                if items.is_empty() {
                    return Err(format!("{at} is an empty list; give a value or leave it out"));
                }
                for (i, v) in items.iter().enumerate() {
                    check_value(v, item, &format!("{at}[{i}]"))?;
                }
            }
            _ => check_value(value, item, at)?,
        },
    }
    Ok(())
}

/// An RFC 9562 UUID, hyphenated (`8-4-4-4-12` hex digits, either case), as JSON Schema's
/// `uuid` format reads it.
pub(crate) fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// `urn:` (any case), a namespace identifier of letters, digits and hyphens, `:`, and a
/// non-empty specific string without spaces or control characters.
fn is_urn(s: &str) -> bool {
    let Some(rest) = s.get(..4).filter(|p| p.eq_ignore_ascii_case("urn:")).map(|_| &s[4..]) else {
        return false;
    };
    let Some((nid, nss)) = rest.split_once(':') else {
        return false;
    };
    !nid.is_empty()
        && nid.len() <= 32
        && nid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !nss.is_empty()
        && nss.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// An RFC 3986 URI reference: only URI characters, `%` followed by two hex digits, and, if
/// it starts with a scheme, a scheme of a letter then letters, digits, `+`, `-` or `.`.
fn is_uri_reference(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b)) {
            return false;
        }
        i += 1;
    }
    // A colon before any '/', '?' or '#' ends a scheme, which must be well formed.
    let head = s.split(['/', '?', '#']).next().unwrap_or("");
    match head.split_once(':') {
        Some((scheme, _)) => {
            scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
                && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        }
        None => true,
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 80 {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(80).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(is_uuid("079e425a-464f-528d-341d-4a944a1dfd70"));
        assert!(is_uuid("079E425A-464F-528D-341D-4A944A1DFD70"));
        for bad in ["urn:gtin:4712345060507", "079e425a464f528d341d4a944a1dfd70", "", "x"] {
            assert!(!is_uuid(bad), "{bad}");
        }
        assert!(is_urn("urn:gtin:4712345060507"));
        assert!(is_urn("URN:uuid:079e425a-464f-528d-341d-4a944a1dfd70"));
        for bad in ["urn:", "urn:x", "urn::y", "gtin:1", "urn:a b:c", "urn:x:a b"] {
            assert!(!is_urn(bad), "{bad}");
        }
        for good in ["http://localhost:8004", "//api.example.com/3/events", "/pact/3/events", "x"] {
            assert!(is_uri_reference(good), "{good}");
        }
        for bad in ["a b", "http://x/%zz", "1http://x", "http://x/\u{e9}", "ht tp:"] {
            assert!(!is_uri_reference(bad), "{bad}");
        }
    }

    #[test]
    fn errors_name_the_path_of_the_bad_value() {
        let data =
            serde_json::json!({"pfIds": ["079e425a-464f-528d-341d-4a944a1dfd70", "urn:gtin:1"]});
        let e = check(data.as_object().unwrap(), PUBLISHED, "data").unwrap_err();
        assert_eq!(
            e,
            "data.pfIds[1] \"urn:gtin:1\": not a UUID (like 079e425a-464f-528d-341d-4a944a1dfd70)"
        );
        let data =
            serde_json::json!({"requestEventId": "r", "error": {"code": "Oops", "message": "m"}});
        let e = check(data.as_object().unwrap(), REQUEST_REJECTED, "data").unwrap_err();
        assert!(e.starts_with("data.error.code \"Oops\": must be one of BadRequest"), "{e}");
    }
}
