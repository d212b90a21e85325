//! Bills of materials in spreadsheets: an `.xlsx` workbook (or a folder of CSV files, one per
//! sheet) in the layout of [`layout::SHEETS`], read into an inventory document ([`import`]) and
//! written back from one ([`export`]). The reader never panics on what a user typed: every
//! problem is a [`SpreadsheetError`] naming the file, sheet and cell (`bom.xlsx!Inputs!C14`),
//! what is wrong and what to do, including the inventory's own checks, whose JSON pointers are
//! traced back to the cells the values came from. Nothing is filled in: a blank optional cell is
//! an absent field, with the same meaning as in a TOML inventory.
//!
//! ```
//! use pcf_footprint::spreadsheet;
//! let toml = "[[products]]\nid = \"p\"\nname = \"P\"\ndeclared_unit = \"kilogram\"\n\
//!     mass_per_declared_unit = 1.0\n[[processes]]\nid = \"make\"\nname = \"Make\"\n\
//!     [[processes.outputs]]\nproduct = \"p\"\namount = 1.0\nunit = \"kg\"\n";
//! let doc: serde_json::Value = toml::from_str(toml).unwrap();
//! let book = spreadsheet::xlsx_bytes(&doc).unwrap();
//! let back = spreadsheet::read_bytes("bom.xlsx", &book).unwrap();
//! assert_eq!(back.document["products"][0]["id"], "p");
//! ```

mod build;
pub(crate) use build::serial_date;
mod cbam_columns;
pub mod layout;
mod read;
mod sheets;
mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::inventory::{Inventory, InventoryError};

pub use write::{csv_files, xlsx_bytes};

/// Why a spreadsheet could not be read or written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SpreadsheetError {
    /// The file or folder could not be read.
    #[error("{file}: cannot read: {message}")]
    Read {
        /// The file.
        file: String,
        /// What went wrong.
        message: String,
    },
    /// A file, sheet, column or cell holds something the layout cannot take.
    #[error("{place}: {problem}\n  help: {help}")]
    At {
        /// Where: `file`, `file!Sheet` or `file!Sheet!C14`.
        place: String,
        /// What is wrong.
        problem: String,
        /// What to do.
        help: String,
    },
    /// The spreadsheet was read, but the inventory it describes is not valid.
    #[error("{file}: the inventory it describes is not valid ({} problem{}):{}\n  help: {help}",
        .problems.len(), if .problems.len() == 1 { "" } else { "s" },
        .problems.iter().map(|p| format!("\n  {p}")).collect::<String>())]
    Inventory {
        /// The spreadsheet.
        file: String,
        /// Each problem, led by the cell it comes from.
        problems: Vec<String>,
        /// What to do.
        help: String,
    },
    /// The inventory holds a field the spreadsheet layout has no column for.
    #[error("{file}: the spreadsheet layout has no column for {}\n  help: keep this inventory in TOML, or remove these fields first",
        .pointers.join(", "))]
    Unsupported {
        /// The inventory.
        file: String,
        /// The JSON pointers of the fields.
        pointers: Vec<String>,
    },
    /// The output could not be written.
    #[error("{file}: cannot write: {message}")]
    Write {
        /// The file.
        file: String,
        /// What went wrong.
        message: String,
    },
}

/// An inventory read from a spreadsheet.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The inventory document (what the TOML file holds).
    pub document: serde_json::Value,
    /// Things worth telling that did not stop the import (sheets not in the layout).
    pub warnings: Vec<String>,
    /// Where each value of the document came from: JSON pointer to `file!Sheet!C14`.
    pub cells: BTreeMap<String, String>,
    /// The spreadsheet's name as errors give it.
    pub file: String,
}

/// Reads a workbook (`.xlsx`) or a folder of CSV files into an inventory document.
pub fn import(path: &Path) -> Result<Imported, SpreadsheetError> {
    let file = display_name(path);
    let tables = if path.is_dir() {
        read::csv_folder(path, &file)?
    } else {
        let bytes = std::fs::read(path)
            .map_err(|e| SpreadsheetError::Read { file: file.clone(), message: e.to_string() })?;
        read::xlsx(&file, &bytes)?
    };
    build::document(&file, tables)
}

/// Whether `path` is a bill of materials in the spreadsheet layout: an `.xlsx` workbook or a
/// folder (of CSV files).
pub fn is_spreadsheet(path: &Path) -> bool {
    path.is_dir() || path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

/// Loads an inventory from an inventory file, or from a workbook or CSV folder read as `pcf
/// import` reads it (the same document, so the same digest; suppliers' declarations are found
/// beside it); a problem in a spreadsheet is named at its cell.
pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
    if !is_spreadsheet(path) {
        return Inventory::load(path);
    }
    let read = |e: SpreadsheetError| InventoryError::Read {
        file: path.display().to_string(),
        message: e.to_string(),
    };
    let imported = import(path).map_err(read)?;
    let text = imported.to_toml().map_err(read)?;
    let mut inventory = imported.check(&path.with_extension("toml"), &text).map_err(read)?;
    inventory.path = path.to_path_buf();
    Ok(inventory)
}

/// Reads workbook bytes (`.xlsx`); `file` names it in errors.
pub fn read_bytes(file: &str, bytes: &[u8]) -> Result<Imported, SpreadsheetError> {
    build::document(file, read::xlsx(file, bytes)?)
}

impl Imported {
    /// The inventory as TOML text, with a header saying where it came from.
    pub fn to_toml(&self) -> Result<String, SpreadsheetError> {
        let body = toml::to_string_pretty(&self.document).map_err(|e| SpreadsheetError::Write {
            file: self.file.clone(),
            message: e.to_string(),
        })?;
        Ok(format!(
            "# Inventory imported from {} by `pcf import`: edit the spreadsheet and import again,\n\
             # or edit this file (docs/inventory.md describes every field).\n\n{body}",
            self.file
        ))
    }

    /// Checks the inventory as `pcf check` does, as if it were the file `path` (supplier
    /// declarations are read relative to it); a problem is reported at the cell it came from.
    pub fn check(&self, path: &Path, text: &str) -> Result<Inventory, SpreadsheetError> {
        Inventory::from_str(path, text).map_err(|e| self.locate(e))
    }

    /// An inventory error, its JSON pointers replaced by the cells the values came from.
    fn locate(&self, e: InventoryError) -> SpreadsheetError {
        let help = "correct the cell and import again (docs/spreadsheet.md describes the columns)";
        let problems = match e {
            InventoryError::Invalid { pointer, problem, help: inner, .. } => {
                // A bad `dataset:ID@FACTOR` is reported at the processes as a whole: find the
                // cell holding the reference the problem names.
                let cell = dataset_reference(&problem)
                    .and_then(|r| find_string(&self.document, &r, ""))
                    .unwrap_or(pointer);
                vec![format!("{}: {problem} ({inner})", self.cell_of(&cell))]
            }
            InventoryError::Schema { problems, .. } => problems
                .iter()
                .map(|p| match p.split_once(": ") {
                    Some((pointer, message)) => format!("{}: {message}", self.cell_of(pointer)),
                    None => p.clone(),
                })
                .collect(),
            other => vec![other.to_string()],
        };
        SpreadsheetError::Inventory { file: self.file.clone(), problems, help: help.into() }
    }

    /// The cell a JSON pointer's value came from (the nearest recorded enclosing value), else
    /// the pointer itself.
    pub fn cell_of(&self, pointer: &str) -> String {
        let mut p = pointer;
        loop {
            if let Some(cell) = self.cells.get(p) {
                return if p == pointer { cell.clone() } else { format!("{cell} ({pointer})") };
            }
            match p.rfind('/') {
                Some(at) if at > 0 => p = &p[..at],
                _ => return format!("{} {pointer}", self.file),
            }
        }
    }
}

/// Writes an inventory document as a workbook (`.xlsx`) or a folder of CSV files (any other
/// path), never replacing an existing file. `source` names the inventory in errors.
pub fn export(
    source: &str,
    document: &serde_json::Value,
    out: &Path,
) -> Result<Vec<PathBuf>, SpreadsheetError> {
    write::check_covered(source, document)?;
    write::write(document, out)
}

/// The `dataset:ID@FACTOR` a "dataset ID has no factor \"FACTOR\"" problem is about.
fn dataset_reference(problem: &str) -> Option<String> {
    let rest = problem.strip_prefix("dataset ")?;
    let (id, rest) = rest.split_once(" has no factor \"")?;
    let (factor, _) = rest.split_once('"')?;
    Some(format!("{}{id}@{factor}", crate::dataset::REFERENCE_PREFIX))
}

/// The JSON pointer of the first string equal to `text` in `v` (below `at`).
fn find_string(v: &serde_json::Value, text: &str, at: &str) -> Option<String> {
    match v {
        serde_json::Value::String(s) if s == text => Some(at.to_string()),
        serde_json::Value::Array(a) => {
            a.iter().enumerate().find_map(|(i, v)| find_string(v, text, &format!("{at}/{i}")))
        }
        serde_json::Value::Object(m) => {
            m.iter().find_map(|(k, v)| find_string(v, text, &format!("{at}/{k}")))
        }
        _ => None,
    }
}

/// A path as errors name it: its file name when it has one.
fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into())
}
