//! Reading a pcfbench-csv v1 dataset: `meta.json` and the six CSV files, by a small chunked
//! byte parser, into what the calculation needs; every error ([`LciError`]) names the file and
//! the line.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{FORMAT_NAME, FORMAT_VERSION};

/// Why a dataset could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LciError {
    /// A file of the dataset does not exist.
    #[error(
        "{path}: no such file (a pcfbench-csv v1 dataset has meta.json, activities.csv, \
         technosphere.csv, biosphere.csv, flows.csv, characterization.csv and demands.csv)"
    )]
    Missing {
        /// The file.
        path: String,
    },
    /// A file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// The file.
        path: String,
        /// What the operating system said.
        message: String,
    },
    /// `meta.json` does not describe a pcfbench-csv v1 dataset.
    #[error("{path}: not a pcfbench-csv v1 dataset ({found})")]
    Format {
        /// The file.
        path: String,
        /// What was found instead.
        found: String,
    },
    /// The header line is not the one the format prescribes.
    #[error("{path}:1: header is `{found}`, expected `{expected}`")]
    BadHeader {
        /// The file.
        path: String,
        /// The header the format prescribes.
        expected: String,
        /// The header found.
        found: String,
    },
    /// A line has the wrong number of fields or an unterminated quote.
    #[error("{path}:{line}: {problem}")]
    BadLine {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// What is wrong with it.
        problem: String,
    },
    /// A field that must be a number or an id is not one.
    #[error("{path}:{line}: {column} `{value}` is not {expected}")]
    Malformed {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The column.
        column: String,
        /// The text found.
        value: String,
        /// What it should be.
        expected: String,
    },
    /// A number is NaN or infinite.
    #[error("{path}:{line}: {column} {value} is not finite")]
    NonFinite {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The column.
        column: String,
        /// The value found.
        value: f64,
    },
    /// An amount that must be positive is zero or negative.
    #[error("{path}:{line}: {column} {value} is not positive")]
    NotPositive {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The column.
        column: String,
        /// The value found.
        value: f64,
    },
    /// An id refers to no activity or flow of the dataset.
    #[error("{path}:{line}: {column} {id} is not {known}")]
    UnknownId {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The column.
        column: String,
        /// The id found.
        id: u64,
        /// What the known ids are.
        known: String,
    },
    /// An id is defined twice, or activity ids are not 0, 1, 2, ... in order.
    #[error("{path}:{line}: {column} {id} {problem}")]
    BadId {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The column.
        column: String,
        /// The id found.
        id: u64,
        /// What is wrong with it.
        problem: String,
    },
    /// `characterization.csv` holds more than one method.
    #[error("{path}:{line}: second method `{found}`, expected only `{first}`")]
    SeveralMethods {
        /// The file.
        path: String,
        /// The line (1 is the header).
        line: usize,
        /// The method of the first row.
        first: String,
        /// The other method found.
        found: String,
    },
}

/// The dataset as the calculation needs it.
pub(super) struct Dataset {
    pub(super) production: Vec<f64>,
    pub(super) consumer: Vec<u32>,
    pub(super) supplier: Vec<u32>,
    pub(super) amount: Vec<f64>,
    /// `B^T c`: characterized direct emissions per run of every activity.
    pub(super) direct: Vec<f64>,
    pub(super) biosphere_rows: usize,
    pub(super) flows: usize,
    pub(super) method: String,
    /// Demand id -> (activity, amount), sorted by id.
    pub(super) demands: BTreeMap<String, Vec<(u32, f64)>>,
}

impl Dataset {
    pub(super) fn read(dir: &Path) -> Result<Self, LciError> {
        check_meta(&dir.join("meta.json"))?;

        let mut production = Vec::new();
        let file = CsvFile::new(dir, "activities.csv", "id,name,unit,production_amount,segment");
        file.for_each_row::<5>(|line, f| {
            let id = file.id(line, "id", f[0])?;
            if id != production.len() as u64 {
                let problem = format!("is out of order, expected {}", production.len());
                return Err(file.bad_id(line, "id", id, problem));
            }
            production.push(file.positive(line, "production_amount", f[3])?);
            Ok(())
        })?;
        let n = production.len();
        if n >= u32::MAX as usize {
            return Err(file.bad_id(n + 1, "id", n as u64, "is too large".into()));
        }
        let activities = format!("an activity id (there are {n}, 0..{})", n.saturating_sub(1));
        let activity = |file: &CsvFile, line, column: &str, text: &[u8]| -> Result<u32, LciError> {
            let id = file.id(line, column, text)?;
            if id >= n as u64 {
                return Err(file.unknown(line, column, id, &activities));
            }
            // id < n < u32::MAX (checked above).
            Ok(id as u32)
        };

        let (mut consumer, mut supplier, mut amount) = (Vec::new(), Vec::new(), Vec::new());
        let file = CsvFile::new(dir, "technosphere.csv", "consumer,supplier,amount");
        file.for_each_row::<3>(|line, f| {
            consumer.push(activity(&file, line, "consumer", f[0])?);
            supplier.push(activity(&file, line, "supplier", f[1])?);
            amount.push(file.positive(line, "amount", f[2])?);
            Ok(())
        })?;

        // Flow ids -> dense index.
        let mut flow_index: BTreeMap<u64, usize> = BTreeMap::new();
        let file = CsvFile::new(dir, "flows.csv", "id,name,compartment,unit");
        file.for_each_row::<4>(|line, f| {
            let id = file.id(line, "id", f[0])?;
            let next = flow_index.len();
            if flow_index.insert(id, next).is_some() {
                return Err(file.bad_id(line, "id", id, "is defined twice".into()));
            }
            Ok(())
        })?;
        let flows = flow_index.len();
        let flow = |file: &CsvFile, line, column: &str, text: &[u8]| -> Result<usize, LciError> {
            let id = file.id(line, column, text)?;
            flow_index
                .get(&id)
                .copied()
                .ok_or_else(|| file.unknown(line, column, id, "a flow of flows.csv"))
        };

        let mut factor = vec![0.0; flows];
        let mut method: Option<String> = None;
        let file = CsvFile::new(dir, "characterization.csv", "method,flow,factor");
        file.for_each_row::<3>(|line, f| {
            let name = unquote(f[0]);
            match &method {
                None => method = Some(name),
                Some(first) if *first == name => {}
                Some(first) => {
                    return Err(LciError::SeveralMethods {
                        path: file.path(),
                        line,
                        first: first.clone(),
                        found: name,
                    });
                }
            }
            let k = flow(&file, line, "flow", f[1])?;
            factor[k] += file.finite(line, "factor", f[2])?;
            Ok(())
        })?;

        let mut direct = vec![0.0; n];
        let mut biosphere_rows = 0;
        let file = CsvFile::new(dir, "biosphere.csv", "activity,flow,amount");
        file.for_each_row::<3>(|line, f| {
            let j = activity(&file, line, "activity", f[0])?;
            let k = flow(&file, line, "flow", f[1])?;
            direct[j as usize] += file.finite(line, "amount", f[2])? * factor[k];
            biosphere_rows += 1;
            Ok(())
        })?;

        let mut demands: BTreeMap<String, Vec<(u32, f64)>> = BTreeMap::new();
        let file = CsvFile::new(dir, "demands.csv", "demand_id,activity,amount");
        file.for_each_row::<3>(|line, f| {
            let j = activity(&file, line, "activity", f[1])?;
            let a = file.finite(line, "amount", f[2])?;
            demands.entry(unquote(f[0])).or_default().push((j, a));
            Ok(())
        })?;

        Ok(Dataset {
            production,
            consumer,
            supplier,
            amount,
            direct,
            biosphere_rows,
            flows,
            method: method.unwrap_or_default(),
            demands,
        })
    }
}

/// Checks that `meta.json` names the format and version this module reads.
fn check_meta(path: &Path) -> Result<(), LciError> {
    let text = fs::read(path).map_err(|e| read_error(path, &e))?;
    let format = |found: String| LciError::Format { path: path.display().to_string(), found };
    let meta: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| format(format!("invalid json: {e}")))?;
    let name = meta.get("format").and_then(|v| v.as_str());
    let version = meta.get("format_version").and_then(|v| v.as_u64());
    if name != Some(FORMAT_NAME) || version != Some(FORMAT_VERSION) {
        return Err(format(format!(
            "format {}, version {}",
            meta.get("format").map_or("missing".into(), |v| v.to_string()),
            meta.get("format_version").map_or("missing".into(), |v| v.to_string())
        )));
    }
    Ok(())
}

fn read_error(path: &Path, e: &io::Error) -> LciError {
    let path = path.display().to_string();
    if e.kind() == io::ErrorKind::NotFound {
        LciError::Missing { path }
    } else {
        LciError::Read { path, message: e.to_string() }
    }
}

/// One CSV file of the dataset: its path and the header it must have.
struct CsvFile {
    path: PathBuf,
    header: &'static str,
}

impl CsvFile {
    fn new(dir: &Path, name: &str, header: &'static str) -> Self {
        CsvFile { path: dir.join(name), header }
    }

    fn path(&self) -> String {
        self.path.display().to_string()
    }

    /// Checks the header, then calls `row(line number, fields)` for every non-blank line.
    /// The file is read in chunks, so memory stays small whatever its size.
    fn for_each_row<const N: usize>(
        &self,
        mut row: impl FnMut(usize, [&[u8]; N]) -> Result<(), LciError>,
    ) -> Result<(), LciError> {
        let mut file = fs::File::open(&self.path).map_err(|e| read_error(&self.path, &e))?;
        let mut buf: Vec<u8> = vec![0; CHUNK];
        let mut filled = 0;
        let mut line = 0usize;
        let mut eof = false;
        while !eof {
            if filled == buf.len() {
                // A line longer than the buffer: grow it.
                buf.resize(buf.len() * 2, 0);
            }
            let got = file.read(&mut buf[filled..]).map_err(|e| read_error(&self.path, &e))?;
            eof = got == 0;
            filled += got;
            // Whole lines only, but the last line of the file needs no '\n'.
            let end = if eof {
                filled
            } else {
                match buf[..filled].iter().rposition(|&b| b == b'\n') {
                    Some(i) => i + 1,
                    None => continue,
                }
            };
            if end > 0 {
                let chunk = &buf[..end];
                for text in chunk.strip_suffix(b"\n").unwrap_or(chunk).split(|&b| b == b'\n') {
                    line += 1;
                    self.line(line, text, &mut row)?;
                }
            }
            buf.copy_within(end..filled, 0);
            filled -= end;
        }
        if line == 0 {
            return Err(self.bad_header(b""));
        }
        Ok(())
    }

    fn line<const N: usize>(
        &self,
        line: usize,
        text: &[u8],
        row: &mut impl FnMut(usize, [&[u8]; N]) -> Result<(), LciError>,
    ) -> Result<(), LciError> {
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if line == 1 {
            return if text == self.header.as_bytes() {
                Ok(())
            } else {
                Err(self.bad_header(text))
            };
        }
        if text.is_empty() {
            return Ok(());
        }
        let fields = split_fields::<N>(text).map_err(|problem| LciError::BadLine {
            path: self.path(),
            line,
            problem,
        })?;
        row(line, fields)
    }

    fn bad_header(&self, found: &[u8]) -> LciError {
        LciError::BadHeader {
            path: self.path(),
            expected: self.header.to_string(),
            found: String::from_utf8_lossy(found).into_owned(),
        }
    }

    fn malformed(&self, line: usize, column: &str, text: &[u8], expected: &str) -> LciError {
        LciError::Malformed {
            path: self.path(),
            line,
            column: column.to_string(),
            value: String::from_utf8_lossy(text).into_owned(),
            expected: expected.to_string(),
        }
    }

    fn unknown(&self, line: usize, column: &str, id: u64, known: &str) -> LciError {
        LciError::UnknownId {
            path: self.path(),
            line,
            column: column.to_string(),
            id,
            known: known.to_string(),
        }
    }

    fn bad_id(&self, line: usize, column: &str, id: u64, problem: String) -> LciError {
        LciError::BadId { path: self.path(), line, column: column.to_string(), id, problem }
    }

    /// A non-negative decimal integer.
    fn id(&self, line: usize, column: &str, text: &[u8]) -> Result<u64, LciError> {
        let bad = || self.malformed(line, column, text, "an id (a non-negative integer)");
        if text.is_empty() || text.len() > 19 {
            return Err(bad());
        }
        let mut v = 0u64;
        for &b in text {
            if !b.is_ascii_digit() {
                return Err(bad());
            }
            // At most 19 digits: fits in u64.
            v = v * 10 + u64::from(b - b'0');
        }
        Ok(v)
    }

    /// A finite number.
    fn finite(&self, line: usize, column: &str, text: &[u8]) -> Result<f64, LciError> {
        let v: f64 = std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.malformed(line, column, text, "a number"))?;
        if !v.is_finite() {
            return Err(LciError::NonFinite {
                path: self.path(),
                line,
                column: column.to_string(),
                value: v,
            });
        }
        Ok(v)
    }

    /// A finite number above zero.
    fn positive(&self, line: usize, column: &str, text: &[u8]) -> Result<f64, LciError> {
        let v = self.finite(line, column, text)?;
        if v <= 0.0 {
            return Err(LciError::NotPositive {
                path: self.path(),
                line,
                column: column.to_string(),
                value: v,
            });
        }
        Ok(v)
    }
}

/// Bytes read from a file at a time.
const CHUNK: usize = 1 << 22;

/// Splits a line into exactly `N` comma-separated fields; a field may be double-quoted (with
/// `""` for a quote inside), in which case it is returned with its quotes.
fn split_fields<const N: usize>(text: &[u8]) -> Result<[&[u8]; N], String> {
    let mut out: [&[u8]; N] = [&[]; N];
    let mut count = 0;
    let mut start = 0;
    let mut i = 0;
    let mut quoted = false;
    while i <= text.len() {
        let b = text.get(i).copied();
        if quoted {
            match b {
                Some(b'"') if text.get(i + 1) == Some(&b'"') => i += 1,
                Some(b'"') => quoted = false,
                None => return Err("unterminated quote".to_string()),
                _ => {}
            }
        } else {
            match b {
                Some(b'"') if i == start => quoted = true,
                Some(b',') | None => {
                    if count < N {
                        out[count] = &text[start..i];
                    }
                    count += 1;
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if count != N {
        return Err(format!("{count} fields, expected {N}"));
    }
    Ok(out)
}

/// The text of a field, without its quotes if it has them.
fn unquote(field: &[u8]) -> String {
    let text = String::from_utf8_lossy(field);
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => text.into_owned(),
    }
}
