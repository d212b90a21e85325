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

pub(crate) fn pointer_or_root(p: &str) -> String {
    if p.is_empty() { "/".into() } else { p.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one() {
        assert_eq!(line_column("ab\ncd", 0), (1, 1));
        assert_eq!(line_column("ab\ncd", 4), (2, 2));
    }
}
