//! `pcf verify` of many files at once (several files, or a directory's `*.json`): one row per
//! file as a table, CSV or JSON, a file that cannot be read or verified a row of its own
//! (`unreadable`), and the exit code of the worst verdict.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Serialize;

use pcf::declaration::{CheckStatus, Report, Verdict};

use super::Result;
use super::output::print_json;

/// The files `paths` name: each file as given, each directory's `*.json` files sorted by
/// name (not recursively).
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| pcf::Error::io(p, &e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(pcf::Error::Usage(format!("{}: no *.json file in it", p.display())));
            }
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

/// One file's outcome.
#[derive(Debug, Serialize)]
pub struct Row {
    /// The file as named.
    pub file: String,
    /// The verdict (`valid`, `invalid`, ..., or `unreadable`).
    pub verdict: String,
    /// The report, when the file could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<Report>,
    /// Why the file could not be read or verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Row {
    /// The row of `file`: its report, or the error that stopped it.
    pub fn new(file: &Path, outcome: Result<Report>) -> Row {
        let file = file.display().to_string();
        match outcome {
            Ok(report) => Row {
                file,
                verdict: pcf::report::serde_name(&report.verdict),
                report: Some(report),
                error: None,
            },
            Err(e) => {
                Row { file, verdict: "unreadable".into(), report: None, error: Some(e.to_string()) }
            }
        }
    }

    /// How bad the row is, for the exit code: valid < not relied on < invalid or unreadable.
    fn rank(&self) -> (u8, u8) {
        match &self.report {
            None => (3, 1),
            Some(r) => match r.verdict {
                Verdict::Valid => (0, 0),
                Verdict::Invalid => (2, 1),
                other => (1, other.exit_code()),
            },
        }
    }

    /// The cells: file, product, supplier, footprint, verdict, reason.
    fn cells(&self, label: bool) -> [String; 6] {
        let text = |o: Option<&String>| o.cloned().unwrap_or_default();
        let r = self.report.as_ref();
        let verdict = match (r, label) {
            (Some(r), true) => r.verdict.label().to_string(),
            _ => self.verdict.clone(),
        };
        [
            self.file.clone(),
            text(r.and_then(|r| r.product.as_ref())),
            text(r.and_then(|r| r.company.as_ref())),
            text(r.and_then(|r| r.pcf.as_ref())),
            verdict,
            r.map_or_else(|| self.error.clone().unwrap_or_default(), reason),
        ]
    }
}

/// Why a report is not VALID, in one line: its first failing check, else where it stands.
pub fn reason(r: &Report) -> String {
    if let Some(c) = r.checks.iter().find(|c| c.status == CheckStatus::Fail) {
        return format!("{}: {}", c.name, c.detail);
    }
    if r.verdict == Verdict::Valid {
        return String::new();
    }
    r.status.reasons.join("; ")
}

/// How the rows are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An aligned table.
    Table,
    /// CSV with a header row.
    Csv,
    /// A JSON array of `{file, verdict, report | error}`.
    Json,
}

/// Prints the rows; the exit code is the worst verdict's.
pub fn print(rows: &[Row], format: Format) -> Result<ExitCode> {
    const HEADER: [&str; 6] = ["file", "product", "supplier", "footprint", "verdict", "reason"];
    match format {
        Format::Json => print_json(&rows),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut write = |cells: &[&str]| {
                w.write_record(cells).map_err(|e| pcf::Error::Usage(format!("csv: {e}")))
            };
            write(&HEADER)?;
            for row in rows {
                let cells = row.cells(false);
                write(&cells.each_ref().map(String::as_str))?;
            }
            let bytes = w.into_inner().map_err(|e| pcf::Error::Usage(format!("csv: {e}")))?;
            out!("{}", String::from_utf8_lossy(&bytes));
        }
        Format::Table => {
            let mut t = pcf::report::Table::new(&HEADER);
            for row in rows {
                // One line per file: a reason's line breaks would break the table.
                t.row(row.cells(true).map(|c| c.replace(['\n', '\r'], " ")));
            }
            out!("{}", t.render(0));
            let count = |v: &str| rows.iter().filter(|r| r.verdict == v).count();
            outln!(
                "{} files: {} valid, {} invalid, {} unreadable, {} not relied on (unsigned, not \
                 current or status unknown)",
                rows.len(),
                count("valid"),
                count("invalid"),
                count("unreadable"),
                rows.len() - count("valid") - count("invalid") - count("unreadable"),
            );
        }
    }
    let worst = rows.iter().map(Row::rank).max().map_or(0, |(_, code)| code);
    Ok(ExitCode::from(worst))
}
