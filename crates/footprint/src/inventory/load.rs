//! Loading an inventory's text: parse, expand dataset references, check the schema (with
//! messages for people), resolve, and locate any error at its line and column in TOML.

use std::path::Path;
use std::sync::OnceLock;

use super::raw::RawInventory;
use super::resolve::Resolver;
use super::{Inventory, InventoryError};
use crate::document::{allowed_values, parse_document, pointer_or_root};

/// At most this many schema violations are listed.
const MAX_SCHEMA_PROBLEMS: usize = 20;

pub(crate) fn load(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
    load_unlocated(path, text).map_err(|e| locate(e, text))
}

/// The error with the line and column of the value it is about, in a TOML file.
fn locate(mut e: InventoryError, text: &str) -> InventoryError {
    match &mut e {
        InventoryError::Invalid { at, pointer, .. } => {
            *at = crate::document::locate(text, pointer);
        }
        InventoryError::Schema { file, problems } => {
            for p in problems.iter_mut() {
                let Some((pointer, message)) = p.split_once(": ") else { continue };
                if let Some(l) = crate::document::locate(text, pointer) {
                    *p = format!("{pointer} ({file}{l}): {message}");
                }
            }
        }
        _ => {}
    }
    e
}

fn load_unlocated(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
    let file = path.display().to_string();
    let original = parse_document(&file, path, text)?;
    // `dataset:ID@FACTOR` references become ordinary factors carrying the shipped dataset's
    // value, source and licence; the datasets used are pinned by digest. Without references
    // the document is the original (no copy: large inventories are large documents).
    let mut expanded = None;
    let mut datasets = Vec::new();
    if mentions_dataset(&original) {
        let mut document = original.clone();
        datasets = crate::dataset::expand_located(&mut document).map_err(|(pointer, e)| {
            InventoryError::Invalid {
                file: file.clone(),
                at: None,
                pointer,
                problem: e.to_string(),
                help: "reference shipped datasets as dataset:ID@FACTOR (see `pcf dataset list`)"
                    .into(),
            }
        })?;
        expanded = Some(document);
    }
    let document = expanded.as_ref().unwrap_or(&original);
    check_schema(&file, document)?;
    let raw = <RawInventory as serde::Deserialize>::deserialize(document).map_err(|e| {
        InventoryError::Schema { file: file.clone(), problems: vec![format!("/: {e}")] }
    })?;
    let digest = pcf_base::canonical::digest(&original).map_err(|e| InventoryError::Invalid {
        file: file.clone(),
        at: None,
        pointer: "/".into(),
        problem: e.to_string(),
        help: "keep numbers within the range JSON tools agree on".into(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let shown = file.clone();
    let mut inventory = Resolver { file, base, raw: &raw }.resolve(path, digest, original)?;
    super::profile::attach(&mut inventory, &raw, base, &shown)?;
    datasets.extend(std::mem::take(&mut inventory.datasets));
    inventory.datasets = datasets;
    Ok(inventory)
}

/// A validator's message for people: a value outside a closed list names the allowed values
/// (and the nearest one) instead of "is not valid under any of the schemas listed in the
/// 'oneOf' keyword".
fn schema_message(
    schema: &serde_json::Value,
    pointer: &str,
    e: &jsonschema::ValidationError<'_>,
) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    let closed = matches!(
        e.kind(),
        K::OneOfNotValid { .. } | K::AnyOf { .. } | K::Enum { .. } | K::Constant { .. }
    );
    let allowed = if closed { allowed_values(schema, pointer) } else { Vec::new() };
    if allowed.is_empty() {
        return e.to_string();
    }
    let written = e.instance();
    let near = written
        .as_str()
        .and_then(|w| crate::text::nearest(w, allowed.iter().map(String::as_str)))
        .map(|n| format!("; did you mean {n:?}?"))
        .unwrap_or_default();
    format!("{written} is not one of the allowed values{near} (allowed: {})", allowed.join(", "))
}

/// Whether any string of the document starts like a `dataset:` reference.
fn mentions_dataset(v: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match v {
        J::String(s) => s.starts_with(crate::dataset::REFERENCE_PREFIX),
        J::Array(a) => a.iter().any(mentions_dataset),
        J::Object(o) => o.values().any(mentions_dataset),
        _ => false,
    }
}

fn check_schema(file: &str, document: &serde_json::Value) -> Result<(), InventoryError> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    let validator = VALIDATOR
        .get_or_init(|| jsonschema::validator_for(&super::schema()).map_err(|e| e.to_string()));
    let validator = match validator {
        Ok(v) => v,
        Err(e) => {
            return Err(InventoryError::Schema {
                file: file.into(),
                problems: vec![format!("/: the built-in schema does not compile: {e}")],
            });
        }
    };
    let schema = super::schema();
    let problems: Vec<String> = validator
        .iter_errors(document)
        .take(MAX_SCHEMA_PROBLEMS)
        .map(|e| {
            let pointer = e.instance_path().as_str().to_string();
            format!("{}: {}", pointer_or_root(&pointer), schema_message(&schema, &pointer, &e))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InventoryError::Schema { file: file.into(), problems })
    }
}
