//! Strict JSON in, canonical JSON out: the one place where untrusted JSON text becomes a
//! [`serde_json::Value`] and where a value becomes the bytes that are hashed and signed.
//!
//! [`parse_strict`] accepts only I-JSON (RFC 7493): UTF-8 text holding one value, no duplicate
//! object keys, no integers outside the range a double holds exactly, no numbers that overflow,
//! no `NaN`/`Infinity`, nothing after the value. Every rejection names the bad value, its line
//! and column, and its JSON pointer. Numbers are converted by serde_json itself (with
//! `float_roundtrip`), so a parsed value is identical to what `serde_json::from_slice` gives.
//!
//! [`canonicalize`] is the JSON Canonicalization Scheme (RFC 8785, JCS); [`digest`] is SHA-256
//! over those bytes.
//!
//! ```
//! let a = pcf_base::canonical::parse_strict(br#"{ "b": [1, 2.50], "a": "x" }"#).unwrap();
//! let b = pcf_base::canonical::parse_strict(br#"{"a":"x","b":[1,2.5]}"#).unwrap();
//! assert_eq!(pcf_base::canonical::canonicalize(&a).unwrap(), br#"{"a":"x","b":[1,2.5]}"#);
//! assert_eq!(pcf_base::canonical::digest(&a).unwrap(), pcf_base::canonical::digest(&b).unwrap());
//!
//! let err = pcf_base::canonical::parse_strict(br#"{"a": 1, "a": 2}"#).unwrap_err();
//! assert_eq!(err.to_string(), r#"duplicate key "a" at line 1, column 10 (json pointer "/a")"#);
//! ```

use serde_json::{Map, Number, Value};

use crate::digest::Digest;

/// The largest integer magnitude that I-JSON allows: 2^53 - 1, the last integer `n` for which
/// `n` and `n + 1` are both exactly representable as IEEE 754 doubles.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// How deeply arrays and objects may nest (the same limit serde_json applies).
pub const MAX_DEPTH: usize = 128;

/// Why JSON text was rejected or a value could not be canonicalized.
///
/// Lines and columns count from 1; columns count characters, not bytes. Pointers are RFC 6901
/// JSON pointers (`""` is the whole document).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The input is not valid UTF-8.
    #[error("invalid utf-8 at line {line}, column {column}: json text must be utf-8")]
    InvalidUtf8 {
        /// Line of the first invalid byte.
        line: usize,
        /// Column of the first invalid byte.
        column: usize,
    },
    /// The input is not JSON.
    #[error("{reason} at line {line}, column {column}")]
    Syntax {
        /// What was expected and what was found.
        reason: String,
        /// Line of the offending character.
        line: usize,
        /// Column of the offending character.
        column: usize,
    },
    /// `NaN`, `Infinity` or another bare word where a value was expected.
    #[error(
        "{token} at line {line}, column {column} is not a json value \
         (json has no nan, infinity or undefined)"
    )]
    NotAValue {
        /// The word found.
        token: String,
        /// Line of the word.
        line: usize,
        /// Column of the word.
        column: usize,
    },
    /// An object has the same key twice (serde_json would silently keep the last one).
    #[error("duplicate key {key:?} at line {line}, column {column} (json pointer {pointer:?})")]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// JSON pointer of the repeated member.
        pointer: String,
        /// Line of the second occurrence.
        line: usize,
        /// Column of the second occurrence.
        column: usize,
    },
    /// An integer literal beyond ±(2^53 - 1): it may not survive a round trip through a double.
    #[error(
        "integer {literal} at line {line}, column {column} (json pointer {pointer:?}) is \
         outside the i-json safe range of ±9007199254740991"
    )]
    UnsafeInteger {
        /// The literal as written.
        literal: String,
        /// JSON pointer of the number.
        pointer: String,
        /// Line of the number.
        line: usize,
        /// Column of the number.
        column: usize,
    },
    /// A number too large for a double.
    #[error(
        "number {literal} at line {line}, column {column} (json pointer {pointer:?}) \
         overflows to infinity"
    )]
    NonFinite {
        /// The literal as written.
        literal: String,
        /// JSON pointer of the number.
        pointer: String,
        /// Line of the number.
        line: usize,
        /// Column of the number.
        column: usize,
    },
    /// Arrays and objects nest deeper than [`MAX_DEPTH`].
    #[error(
        "nesting deeper than {limit} levels at line {line}, column {column} \
         (json pointer {pointer:?})"
    )]
    TooDeep {
        /// The limit.
        limit: usize,
        /// JSON pointer of the container that is one level too deep.
        pointer: String,
        /// Line of its opening bracket.
        line: usize,
        /// Column of its opening bracket.
        column: usize,
    },
    /// Something other than whitespace follows the JSON value.
    #[error("trailing data after the json value at line {line}, column {column}")]
    TrailingData {
        /// Line of the first extra character.
        line: usize,
        /// Column of the first extra character.
        column: usize,
    },
    /// A value built in memory holds an integer beyond ±(2^53 - 1), or a double whose canonical
    /// form would be one (an integral double from 2^53 up to 1e21), so it has no canonical form
    /// that strict parsing accepts.
    #[error(
        "number {value} at json pointer {pointer:?} is an integer outside the i-json safe range \
         of ±9007199254740991 and cannot be canonicalized"
    )]
    UnsafeIntegerValue {
        /// The integer.
        value: String,
        /// JSON pointer of the number.
        pointer: String,
    },
    /// The canonicalizer failed.
    #[error("cannot canonicalize json: {reason}")]
    Canonicalize {
        /// What the canonicalizer said.
        reason: String,
    },
}

/// Parses `bytes` as strict I-JSON (see the module docs for what is rejected).
pub fn parse_strict(bytes: &[u8]) -> Result<Value, JsonError> {
    let src = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(bytes, e.valid_up_to());
        JsonError::InvalidUtf8 { line, column }
    })?;
    let mut parser = Parser { src, bytes, pos: 0, path: Vec::new() };
    parser.skip_whitespace();
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.pos < bytes.len() {
        let (line, column) = line_column(bytes, parser.pos);
        return Err(JsonError::TrailingData { line, column });
    }
    Ok(value)
}

/// The RFC 8785 (JCS) canonical bytes of `value`.
///
/// Integers beyond ±(2^53 - 1) are rejected first: JCS serializes every number as an IEEE
/// double, so such an integer would be signed as a different number than the one written.
/// Integral doubles from 2^53 up to 1e21 are rejected too, because JCS writes them as integer
/// literals that [`parse_strict`] refuses: whatever this function accepts, its output
/// re-parses strictly, and canonicalizes again to the same bytes.
///
/// The canonical bytes, not the parsed [`Value`], are the identity of a document: two values
/// are the same document exactly when their canonical bytes are equal. `Value` equality is
/// stricter in one way that matters: `1E1` parses as the float 10.0 and `10` as the integer 10,
/// which compare unequal as `Value`s but canonicalize alike (RFC 8785 writes every number as
/// the shortest form of its double). Compare documents, or parts of them, by their canonical
/// bytes or [`digest`], never with `==` on `Value`s.
pub fn canonicalize(value: &Value) -> Result<Vec<u8>, JsonError> {
    let mut out = Vec::with_capacity(256);
    write_canonical(value, &mut out).map_err(|failure| match failure {
        Failure::Unsafe(value, path) => {
            let mut pointer = String::new();
            for segment in path.iter().rev() {
                pointer.push('/');
                push_escaped(&mut pointer, segment);
            }
            JsonError::UnsafeIntegerValue { value, pointer }
        }
        Failure::Serializer(reason) => JsonError::Canonicalize { reason },
    })?;
    Ok(out)
}

/// SHA-256 over the canonical bytes of `value`: the same for any whitespace and key order.
pub fn digest(value: &Value) -> Result<Digest, JsonError> {
    Ok(Digest::of(&canonicalize(value)?))
}

/// One step of the path from the root to the value being parsed.
enum Segment {
    Key(String),
    Index(usize),
}

/// A recursive-descent parser over text already known to be UTF-8.
struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    path: Vec<Segment>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(c) if c.is_ascii_alphabetic() || c == b'+' || c == b'.' => {
                Err(self.not_a_value(self.pos))
            }
            _ => Err(self.unexpected(self.pos, "a json value")),
        }
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        self.pos += 1; // '{'
        let mut map = Map::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(map));
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected(self.pos, "a string key"));
            }
            let key_at = self.pos;
            let key = self.string()?;
            if map.contains_key(&key) {
                self.path.push(Segment::Key(key.clone()));
                let pointer = self.pointer();
                let (line, column) = line_column(self.bytes, key_at);
                return Err(JsonError::DuplicateKey { key, pointer, line, column });
            }
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.unexpected(self.pos, "':' after an object key"));
            }
            self.pos += 1;
            self.skip_whitespace();
            self.path.push(Segment::Key(key));
            let value = self.value()?;
            if let Some(Segment::Key(key)) = self.path.pop() {
                map.insert(key, value);
            }
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                _ => return Err(self.unexpected(self.pos, "',' or '}' after an object member")),
            }
        }
    }

    fn array(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            self.path.push(Segment::Index(items.len()));
            let value = self.value()?;
            self.path.pop();
            items.push(value);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.unexpected(self.pos, "',' or ']' after an array element")),
            }
        }
    }

    /// Fails when the container opening at `self.pos` would nest too deeply.
    fn enter(&self) -> Result<(), JsonError> {
        let depth = self.path.len() + 1;
        if depth > MAX_DEPTH {
            let (line, column) = line_column(self.bytes, self.pos);
            return Err(JsonError::TooDeep {
                limit: MAX_DEPTH,
                pointer: self.pointer(),
                line,
                column,
            });
        }
        Ok(())
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            let end = self.pos + word.len();
            if !self.bytes.get(end).is_some_and(|c| c.is_ascii_alphanumeric()) {
                self.pos = end;
                return Ok(value);
            }
        }
        Err(self.not_a_value(self.pos))
    }

    /// Parses a string starting at the opening quote and leaves `pos` after the closing quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // '"'
        let mut out = String::new();
        let mut run = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.syntax(self.pos, "unterminated string".into())),
                Some(b'"') => {
                    out.push_str(&self.src[run..self.pos]);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    out.push_str(&self.src[run..self.pos]);
                    self.escape(&mut out)?;
                    run = self.pos;
                }
                Some(c) if c < 0x20 => {
                    let reason = format!("control character U+{c:04X} must be escaped in a string");
                    return Err(self.syntax(self.pos, reason));
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    /// Decodes the escape at `pos` (a backslash) into `out`.
    fn escape(&mut self, out: &mut String) -> Result<(), JsonError> {
        let at = self.pos;
        let decoded = match self.bytes.get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let first = self.hex4(at)?;
                self.pos = at + 6;
                let code = match first {
                    0xD800..=0xDBFF => {
                        let second = if self.bytes[self.pos..].starts_with(b"\\u") {
                            Some(self.hex4(self.pos)?)
                        } else {
                            None
                        };
                        match second {
                            Some(low @ 0xDC00..=0xDFFF) => {
                                self.pos += 6;
                                0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
                            }
                            _ => {
                                let reason = format!("lone surrogate \\u{first:04x} in a string");
                                return Err(self.syntax(at, reason));
                            }
                        }
                    }
                    0xDC00..=0xDFFF => {
                        let reason = format!("lone surrogate \\u{first:04x} in a string");
                        return Err(self.syntax(at, reason));
                    }
                    _ => first,
                };
                // Surrogates were combined or rejected above, so `code` is a scalar value.
                let c = char::from_u32(code).ok_or_else(|| {
                    self.syntax(at, format!("invalid unicode escape \\u{first:04x}"))
                })?;
                out.push(c);
                return Ok(());
            }
            _ => {
                let found = self.describe(at + 1);
                return Err(self.syntax(at, format!("invalid escape \\{found} in a string")));
            }
        };
        out.push(decoded);
        self.pos = at + 2;
        Ok(())
    }

    /// The four hex digits of the `\u` escape whose backslash is at `at`.
    fn hex4(&self, at: usize) -> Result<u32, JsonError> {
        let digits = self.bytes.get(at + 2..at + 6).filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        let Some(digits) = digits else {
            return Err(self.syntax(at, "invalid \\u escape: expected four hex digits".into()));
        };
        Ok(digits.iter().fold(0, |acc, d| {
            // `d` is an ASCII hex digit (checked above), so `to_digit` succeeds.
            acc * 16 + char::from(*d).to_digit(16).unwrap_or(0)
        }))
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                return Err(self.not_a_value(start));
            }
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    return Err(self.syntax(start, "number with a leading zero".into()));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected(self.pos, "a digit")),
        }
        let mut integer = true;
        if self.peek() == Some(b'.') {
            integer = false;
            self.pos += 1;
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.unexpected(self.pos, "a digit after the decimal point"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integer = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.unexpected(self.pos, "a digit in the exponent"));
            }
            self.digits();
        }
        let literal = &self.src[start..self.pos];
        if integer {
            let magnitude = literal.trim_start_matches('-');
            // 16 digits hold every safe integer; more digits are unsafe whatever they are.
            let safe = magnitude.len() <= 16
                && magnitude.parse::<u64>().is_ok_and(|n| n <= MAX_SAFE_INTEGER);
            if !safe {
                let (line, column) = line_column(self.bytes, start);
                return Err(JsonError::UnsafeInteger {
                    literal: literal.to_string(),
                    pointer: self.pointer(),
                    line,
                    column,
                });
            }
        }
        // serde_json converts the literal, so numbers are bit-for-bit what it would produce.
        // The grammar was checked above, so its only possible complaint is overflow.
        match serde_json::from_str::<Number>(literal) {
            Ok(n) if n.as_f64().is_none_or(f64::is_finite) => Ok(Value::Number(n)),
            _ => {
                let (line, column) = line_column(self.bytes, start);
                Err(JsonError::NonFinite {
                    literal: literal.to_string(),
                    pointer: self.pointer(),
                    line,
                    column,
                })
            }
        }
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    fn pointer(&self) -> String {
        let mut out = String::new();
        for segment in &self.path {
            out.push('/');
            match segment {
                Segment::Key(k) => push_escaped(&mut out, k),
                Segment::Index(i) => out.push_str(&i.to_string()),
            }
        }
        out
    }

    fn not_a_value(&self, at: usize) -> JsonError {
        let end = self.src[at..]
            .char_indices()
            .find(|&(i, c)| !(c.is_alphanumeric() || c == '_' || (i == 0 && "+-.".contains(c))))
            .map_or(self.src.len(), |(i, _)| at + i);
        let token: String = self.src[at..end].chars().take(32).collect();
        let (line, column) = line_column(self.bytes, at);
        JsonError::NotAValue { token, line, column }
    }

    fn unexpected(&self, at: usize, expected: &str) -> JsonError {
        let found = self.describe(at);
        self.syntax(at, format!("expected {expected}, found {found}"))
    }

    fn syntax(&self, at: usize, reason: String) -> JsonError {
        let (line, column) = line_column(self.bytes, at);
        JsonError::Syntax { reason, line, column }
    }

    /// The character at `at`, quoted, or "end of input".
    fn describe(&self, at: usize) -> String {
        match self.src.get(at..).and_then(|rest| rest.chars().next()) {
            Some(c) => format!("{c:?}"),
            None => "end of input".to_string(),
        }
    }
}

/// 1-based line and character column of byte `offset` in `bytes`.
fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    // Count characters, not bytes: skip UTF-8 continuation bytes.
    let column = before[line_start..].iter().filter(|&&b| b & 0xC0 != 0x80).count() + 1;
    (line, column)
}

/// Appends `key` to a JSON pointer with `~` and `/` escaped (RFC 6901).
fn push_escaped(out: &mut String, key: &str) {
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Why [`write_canonical`] stopped.
enum Failure {
    /// An unsafe integer, and the path to it with the innermost segment first.
    Unsafe(String, Vec<String>),
    /// serde_json or the canonicalizer failed (writing to a `Vec` cannot fail in practice).
    Serializer(String),
}

impl Failure {
    fn within(self, segment: impl FnOnce() -> String) -> Self {
        match self {
            Failure::Unsafe(value, mut path) => {
                path.push(segment());
                Failure::Unsafe(value, path)
            }
            other => other,
        }
    }
}

/// Appends the RFC 8785 form of `value` to `out`.
///
/// Structure is written here, in one pass with no intermediate buffers: members sorted by the
/// UTF-16 code units of their keys (RFC 8785 3.2.3), strings escaped as serde_json escapes them
/// (exactly the escapes of RFC 8785 3.2.2.2), integers in decimal. Doubles are formatted by
/// serde_json_canonicalizer (ECMAScript `Number.prototype.toString`, RFC 8785 3.2.2.3). The
/// tests check the result against serde_json_canonicalizer on whole documents, which is several
/// times slower because it re-parses every key and buffers every member.
fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), Failure> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => write_number(n, out)?,
        Value::String(s) => write_string(s, out)?,
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out).map_err(|f| f.within(|| i.to_string()))?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(key, out)?;
                out.push(b':');
                write_canonical(item, out).map_err(|f| f.within(|| key.clone()))?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) -> Result<(), Failure> {
    serde_json::to_writer(&mut *out, s).map_err(|e| Failure::Serializer(e.to_string()))
}

fn write_number(n: &Number, out: &mut Vec<u8>) -> Result<(), Failure> {
    if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER {
            return Err(Failure::Unsafe(n.to_string(), Vec::new()));
        }
        out.extend_from_slice(u.to_string().as_bytes());
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(Failure::Unsafe(n.to_string(), Vec::new()));
        }
        out.extend_from_slice(i.to_string().as_bytes());
    } else if let Some(f) = n.as_f64() {
        // JCS writes doubles below 1e21 without an exponent, so an integral double beyond the
        // safe range would come out as an unsafe integer literal that `parse_strict` (rightly)
        // refuses: canonical text must re-parse.
        if f.abs() > MAX_SAFE_INTEGER as f64 && f.abs() < 1e21 {
            return Err(Failure::Unsafe(n.to_string(), Vec::new()));
        }
        serde_json_canonicalizer::to_writer(&f, out)
            .map_err(|e| Failure::Serializer(e.to_string()))?;
    }
    Ok(())
}
