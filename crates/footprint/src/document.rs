//! Text to a JSON value: TOML (by default) or strict JSON (`.json`), with errors that name the
//! file and, for TOML, the line and column. Inventories, datasets and methodologies are all
//! parsed through it.

use std::path::Path;

/// Why a document could not be parsed. The messages are those of the inventory errors of the
/// same names, which these convert into variant for variant.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocumentError {
    /// The file is not valid TOML.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file is not strict JSON (the message gives line and column).
    #[error("{file}: {message}")]
    Json {
        /// The file.
        file: String,
        /// What the strict parser said.
        message: String,
    },
    /// A TOML value JSON cannot carry (an integer beyond 2^53, a number that is not finite).
    #[error("{file}: at {pointer}: {problem}\n  help: {help}")]
    Invalid {
        /// The file.
        file: String,
        /// JSON pointer to the value.
        pointer: String,
        /// What is wrong.
        problem: String,
        /// What to do.
        help: String,
    },
}

/// Parses TOML (by default) or JSON (`.json`), as JSON values.
pub(crate) fn parse_document(
    file: &str,
    path: &Path,
    text: &str,
) -> Result<serde_json::Value, DocumentError> {
    let is_json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        return pcf_base::canonical::parse_strict(text.as_bytes())
            .map_err(|e| DocumentError::Json { file: file.into(), message: e.to_string() });
    }
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let (line, column) = e.span().map(|s| line_column(text, s.start)).unwrap_or((1, 1));
        DocumentError::Syntax {
            file: file.into(),
            line,
            column,
            message: e.message().trim_end_matches('\n').to_string(),
        }
    })?;
    toml_to_json(file, &toml::Value::Table(table), &mut String::new())
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn toml_to_json(
    file: &str,
    value: &toml::Value,
    pointer: &mut String,
) -> Result<serde_json::Value, DocumentError> {
    use serde_json::Value as J;
    Ok(match value {
        toml::Value::String(s) => J::String(s.clone()),
        toml::Value::Integer(i) => {
            if i.unsigned_abs() > (1u64 << 53) {
                return Err(DocumentError::Invalid {
                    file: file.into(),
                    pointer: pointer_or_root(pointer),
                    problem: format!("integer {i} is beyond 2^53 and cannot be exchanged safely"),
                    help: "write it as a decimal number".into(),
                });
            }
            J::from(*i)
        }
        toml::Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => J::Number(n),
            None => {
                return Err(DocumentError::Invalid {
                    file: file.into(),
                    pointer: pointer_or_root(pointer),
                    problem: format!("{f} is not a finite number"),
                    help: "give a finite amount".into(),
                });
            }
        },
        toml::Value::Boolean(b) => J::Bool(*b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                out.push(toml_to_json(file, item, pointer)?);
                pointer.truncate(len);
            }
            J::Array(out)
        }
        toml::Value::Table(t) => {
            let mut out = serde_json::Map::new();
            for (k, v) in t {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&k.replace('~', "~0").replace('/', "~1"));
                out.insert(k.clone(), toml_to_json(file, v, pointer)?);
                pointer.truncate(len);
            }
            J::Object(out)
        }
    })
}

/// A place in a text file, 1-based, written `:line:column` after the file's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Line.
    pub line: u32,
    /// Column, in characters.
    pub column: u32,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, ":{}:{}", self.line, self.column)
    }
}

/// Where the value at JSON `pointer` is written in TOML `text`: the value itself, or the
/// nearest enclosing value that is written (a missing field is located at its table). `None`
/// for text that is not TOML or a pointer that names nothing below the root.
pub fn locate(text: &str, pointer: &str) -> Option<Location> {
    use toml::de::{DeArray, DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut table = Some(root.get_ref());
    let mut array: Option<&DeArray<'_>> = None;
    let mut found: Option<std::ops::Range<usize>> = None;
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let next = if let Some(t) = table {
            t.iter().find(|(k, _)| k.get_ref().as_ref() == segment).map(|(_, v)| v)
        } else if let Some(a) = array {
            segment.parse::<usize>().ok().and_then(|i| a.get(i))
        } else {
            None
        };
        let Some(value) = next else { break };
        found = Some(value.span());
        (table, array) = match value.get_ref() {
            DeValue::Table(t) => (Some(t), None),
            DeValue::Array(a) => (None, Some(a)),
            _ => (None, None),
        };
    }
    let span = found?;
    let (line, column) = line_column(text, span.start);
    Some(Location { line: u32::try_from(line).ok()?, column: u32::try_from(column).ok()? })
}

/// The values a JSON Schema allows at an instance `pointer` when they are a closed list
/// (`enum`, or `oneOf`/`anyOf` branches that are `const`s), following `properties`, `items`,
/// `additionalProperties` and local `$ref`s; empty when the place takes something else.
pub(crate) fn allowed_values(schema: &serde_json::Value, pointer: &str) -> Vec<String> {
    use serde_json::Value as J;
    fn expand<'a>(root: &'a J, node: &'a J, out: &mut Vec<&'a J>, depth: usize) {
        if depth > 16 || out.iter().any(|n| std::ptr::eq(*n, node)) {
            return;
        }
        if let Some(r) = node.get("$ref").and_then(J::as_str) {
            let target = r.strip_prefix('#').and_then(|p| root.pointer(p));
            if let Some(t) = target {
                expand(root, t, out, depth + 1);
            }
        }
        out.push(node);
        for key in ["oneOf", "anyOf", "allOf"] {
            for branch in node.get(key).and_then(J::as_array).into_iter().flatten() {
                expand(root, branch, out, depth + 1);
            }
        }
    }
    let mut nodes = Vec::new();
    expand(schema, schema, &mut nodes, 0);
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        let mut next = Vec::new();
        for n in &nodes {
            let child = n
                .get("properties")
                .and_then(|p| p.get(&segment))
                .or_else(|| segment.parse::<usize>().ok().and_then(|_| n.get("items")))
                .or_else(|| n.get("additionalProperties").filter(|a| a.is_object()));
            if let Some(c) = child {
                expand(schema, c, &mut next, 0);
            }
        }
        nodes = next;
    }
    let mut values = Vec::new();
    for n in nodes {
        let consts = n
            .get("const")
            .into_iter()
            .chain(n.get("enum").and_then(J::as_array).into_iter().flatten());
        for c in consts {
            let text = c.as_str().map_or_else(|| c.to_string(), str::to_string);
            if !values.contains(&text) {
                values.push(text);
            }
        }
    }
    values
}

pub(crate) fn pointer_or_root(p: &str) -> String {
    if p.is_empty() { "/".into() } else { p.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_pointers_in_toml_text() {
        let text = "[a]\nb = 1\n\n[[c]]\nd = \"x\"\n\n[[c]]\nd = \"y\"\ne = [1, 2]\n";
        let at = |p: &str| locate(text, p).map(|l| (l.line, l.column));
        assert_eq!(at("/a/b"), Some((2, 5)));
        assert_eq!(at("/c/1/d"), Some((8, 5)));
        assert_eq!(at("/c/1/e/1"), Some((9, 9)));
        assert_eq!(at("/c/1/missing"), at("/c/1"), "a missing field is at its table");
        assert_eq!(at("/nothing"), None);
        assert_eq!(locate("{\"json\": 1}", "/json"), None);
    }

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
    }
}
