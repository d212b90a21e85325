//! Reading cells: an `.xlsx` workbook (calamine; formulas give their cached values) or a folder
//! of CSV files (csv), each sheet turned into a [`Table`] of typed cells with their positions.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Reader, Xlsx};

use super::SpreadsheetError;
use super::layout::{self, Sheet};

/// A cell's value, as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cell {
    /// Nothing (also every cell of a merged range but the first).
    Empty,
    /// Text, as typed.
    Text(String),
    /// A number.
    Number(f64),
    /// A boolean cell.
    Bool(bool),
    /// A date cell: days since 1899-12-30 (Excel's serial).
    Date(f64),
    /// An error value such as `#DIV/0!`.
    Error(String),
}

/// One sheet of the layout, as read.
#[derive(Debug)]
pub(super) struct Table {
    /// The layout's sheet.
    pub sheet: &'static Sheet,
    /// Where it is, for messages: `bom.xlsx!Inputs` or `bom/inputs.csv`.
    pub place: String,
    /// The header row (1-based) and its cells, each with its column (0-based).
    pub header: Option<(usize, Vec<(usize, Cell)>)>,
    /// The rows after the header, each with its number (1-based) and cells by column.
    pub rows: Vec<(usize, Vec<Cell>)>,
}

/// Sheets read from a file, and what was skipped.
pub(super) struct Tables {
    pub tables: Vec<Table>,
    pub warnings: Vec<String>,
}

/// A1-style name of a cell (`C14`), from a 0-based column and a 1-based row.
pub(super) fn cell_name(col: usize, row: usize) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect::<String>() + &row.to_string()
}

/// Reads the sheets of the layout from workbook bytes.
pub(super) fn xlsx(file: &str, bytes: &[u8]) -> Result<Tables, SpreadsheetError> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| SpreadsheetError::At {
        place: file.into(),
        problem: format!("not an .xlsx workbook: {e}"),
        help: "save the workbook as Excel Workbook (.xlsx); .xls, .ods and .csv files are not read (a folder of CSV files is, see docs/spreadsheet.md)".into(),
    })?;
    let mut tables = Vec::new();
    let mut warnings = Vec::new();
    for name in book.sheet_names() {
        let Some(sheet) = layout::sheet(&name) else {
            if !name.eq_ignore_ascii_case(layout::README) {
                warnings.push(format!(
                    "{file}!{name}: not a sheet of the layout, skipped (the layout's sheets: {})",
                    sheet_list()
                ));
            }
            continue;
        };
        if tables.iter().any(|t: &Table| std::ptr::eq(t.sheet, sheet)) {
            return Err(SpreadsheetError::At {
                place: format!("{file}!{name}"),
                problem: format!("a second sheet named {}", sheet.name),
                help: "keep one sheet of each name".into(),
            });
        }
        let range = book.worksheet_range(&name).map_err(|e| SpreadsheetError::At {
            place: format!("{file}!{name}"),
            problem: format!("the sheet cannot be read: {e}"),
            help: "open and save the workbook in a spreadsheet program, then import again".into(),
        })?;
        let (row0, col0) = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
        let mut rows: Vec<(usize, Vec<Cell>)> = Vec::new();
        for (i, r) in range.rows().enumerate() {
            let mut cells = vec![Cell::Empty; col0];
            cells.extend(r.iter().map(cell));
            rows.push((row0 + i + 1, cells));
        }
        tables.push(table(sheet, format!("{file}!{name}"), rows));
    }
    Ok(Tables { tables, warnings })
}

/// Reads the sheets of the layout from a folder of CSV files (`products.csv`, ...).
pub(super) fn csv_folder(dir: &Path, name: &str) -> Result<Tables, SpreadsheetError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| SpreadsheetError::Read { file: name.into(), message: e.to_string() })?;
    let mut files: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    let mut tables = Vec::new();
    let mut warnings = Vec::new();
    for path in files {
        let Some(file_name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let Some(stem) = file_name.strip_suffix(".csv") else { continue };
        let place = format!("{name}/{file_name}");
        let Some(sheet) = layout::sheet(stem) else {
            if !stem.eq_ignore_ascii_case(layout::README) {
                warnings.push(format!("{place}: not a sheet of the layout, skipped"));
            }
            continue;
        };
        let bytes = std::fs::read(&path)
            .map_err(|e| SpreadsheetError::Read { file: place.clone(), message: e.to_string() })?;
        // A byte-order mark (Excel's "CSV UTF-8") is not part of the first header.
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut reader =
            csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
        let mut rows = Vec::new();
        for (i, record) in reader.byte_records().enumerate() {
            let record = record.map_err(|e| SpreadsheetError::At {
                place: format!("{place}:{}", e.position().map_or(i + 1, |p| p.line() as usize)),
                problem: format!("not readable as CSV: {e}"),
                help: "save the sheet as CSV UTF-8 (comma delimited)".into(),
            })?;
            let line = record.position().map_or(i + 1, |p| p.line() as usize);
            let mut cells = Vec::new();
            for (c, field) in record.iter().enumerate() {
                let text = std::str::from_utf8(field).map_err(|_| SpreadsheetError::At {
                    place: format!("{place}!{}", cell_name(c, line)),
                    problem: "the text is not UTF-8".into(),
                    help: "save the sheet as CSV UTF-8 (comma delimited)".into(),
                })?;
                cells.push(if text.trim().is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(text.to_string())
                });
            }
            rows.push((line, cells));
        }
        tables.push(table(sheet, place, rows));
    }
    Ok(Tables { tables, warnings })
}

/// The names of the layout's sheets, for messages.
pub(super) fn sheet_list() -> String {
    layout::SHEETS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
}

/// Splits rows into the header (the first row with anything in it) and the rows after it,
/// leaving out blank rows and rows whose first filled cell starts with `#` (comments).
fn table(sheet: &'static Sheet, place: String, rows: Vec<(usize, Vec<Cell>)>) -> Table {
    let mut header = None;
    let mut body = Vec::new();
    for (n, cells) in rows {
        let first = cells.iter().find(|c| **c != Cell::Empty);
        match first {
            None => continue,
            Some(Cell::Text(t)) if t.trim_start().starts_with('#') => continue,
            Some(_) => {}
        }
        if header.is_none() {
            let filled = cells.into_iter().enumerate().filter(|(_, c)| *c != Cell::Empty).collect();
            header = Some((n, filled));
        } else {
            body.push((n, cells));
        }
    }
    Table { sheet, place, header, rows: body }
}

fn cell(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(d) => Cell::Date(d.as_f64()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 1), "A1");
        assert_eq!(cell_name(2, 14), "C14");
        assert_eq!(cell_name(25, 3), "Z3");
        assert_eq!(cell_name(26, 3), "AA3");
        assert_eq!(cell_name(27, 9), "AB9");
    }
}
