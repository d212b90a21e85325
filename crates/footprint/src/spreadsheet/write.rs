//! Writing the layout: an inventory document as sheets of cells, saved as an `.xlsx` workbook
//! (rust_xlsxwriter, with a README sheet explaining every column) or as a folder of CSV files.
//! Every field of the document has a column, or the export is refused (`check_covered`).

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{Format, Workbook, XlsxError};
use serde_json::Value;

use super::SpreadsheetError;
use super::layout::{Column, Kind, Place, SHEETS, Sheet};

/// A cell to write.
#[derive(Debug, Clone, PartialEq)]
enum Out {
    Blank,
    Text(String),
    Number(f64),
}

/// The header row and data rows of one sheet.
struct Grid {
    sheet: &'static Sheet,
    header: Vec<String>,
    rows: Vec<Vec<Out>>,
}

/// The workbook bytes (`.xlsx`) of an inventory document; `{}` gives an empty workbook with
/// every sheet's header row.
pub fn xlsx_bytes(document: &Value) -> Result<Vec<u8>, SpreadsheetError> {
    let xlsx =
        |e: XlsxError| SpreadsheetError::Write { file: "workbook".into(), message: e.to_string() };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for grid in grids(document)? {
        let ws = book.add_worksheet();
        ws.set_name(grid.sheet.name).map_err(xlsx)?;
        for (c, h) in grid.header.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold).map_err(xlsx)?;
            let width = if grid.sheet.place == Place::Meta && c == 2 {
                80.0
            } else {
                (h.len() as f64 + 2.0).max(12.0)
            };
            ws.set_column_width(c as u16, width).map_err(xlsx)?;
        }
        ws.set_freeze_panes(1, 0).map_err(xlsx)?;
        for (r, row) in grid.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    Out::Blank => {}
                    Out::Text(t) => {
                        ws.write_string(r, c, t).map_err(xlsx)?;
                    }
                    Out::Number(n) => {
                        ws.write_number(r, c, *n).map_err(xlsx)?;
                    }
                }
            }
        }
    }
    let ws = book.add_worksheet();
    ws.set_name(super::layout::README).map_err(xlsx)?;
    for (c, width) in [14.0, 30.0, 10.0, 90.0, 40.0].into_iter().enumerate() {
        ws.set_column_width(c as u16, width).map_err(xlsx)?;
    }
    for (r, line) in readme().iter().enumerate() {
        for (c, text) in line.iter().enumerate() {
            let format = if r == 0 || line.len() == 1 { &bold } else { &wrap };
            ws.write_string_with_format(r as u32, c as u16, text, format).map_err(xlsx)?;
        }
    }
    book.save_to_buffer().map_err(xlsx)
}

/// The CSV files (name, bytes) of an inventory document, one per sheet.
pub fn csv_files(document: &Value) -> Result<Vec<(String, Vec<u8>)>, SpreadsheetError> {
    let mut files = Vec::new();
    for grid in grids(document)? {
        let name = super::layout::csv_name(grid.sheet);
        let failed = |e: &dyn std::fmt::Display| SpreadsheetError::Write {
            file: name.clone(),
            message: e.to_string(),
        };
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(&grid.header).map_err(|e| failed(&e))?;
        for row in &grid.rows {
            let fields: Vec<String> = row
                .iter()
                .map(|c| match c {
                    Out::Blank => String::new(),
                    Out::Text(t) => t.clone(),
                    Out::Number(n) => n.to_string(),
                })
                .collect();
            w.write_record(&fields).map_err(|e| failed(&e))?;
        }
        let bytes = w.into_inner().map_err(|e| failed(&e))?;
        files.push((name, bytes));
    }
    Ok(files)
}

/// Writes `document` to `out`: a workbook if it ends in `.xlsx`, else a new folder of CSV files.
/// Nothing existing is replaced. Returns the files written.
pub(super) fn write(document: &Value, out: &Path) -> Result<Vec<PathBuf>, SpreadsheetError> {
    let failed = |path: &Path, e: std::io::Error| {
        let message = if e.kind() == std::io::ErrorKind::AlreadyExists {
            "it already exists; choose another name or remove it first".into()
        } else {
            e.to_string()
        };
        SpreadsheetError::Write { file: path.display().to_string(), message }
    };
    if out.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx")) {
        let bytes = xlsx_bytes(document)?;
        pcf_base::atomic::write_new(out, &bytes, pcf_base::atomic::Mode::Public)
            .map_err(|e| failed(out, e))?;
        return Ok(vec![out.to_path_buf()]);
    }
    let files = csv_files(document)?;
    std::fs::create_dir(out).map_err(|e| failed(out, e))?;
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = out.join(name);
        pcf_base::atomic::write_new(&path, &bytes, pcf_base::atomic::Mode::Public)
            .map_err(|e| failed(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

/// Refuses a document with a field no column carries (it would be lost on the way back).
pub(super) fn check_covered(source: &str, document: &Value) -> Result<(), SpreadsheetError> {
    let mut missing = Vec::new();
    let columns = |place: Place| -> Vec<&'static Column> {
        SHEETS.iter().filter(|s| s.place == place).flat_map(|s| s.columns.iter()).collect()
    };
    let Some(doc) = document.as_object() else {
        return Err(SpreadsheetError::Unsupported {
            file: source.into(),
            pointers: vec!["/".into()],
        });
    };
    for (key, value) in doc {
        match key.as_str() {
            "$schema" => {}
            "inventory" => uncovered(value, &columns(Place::Meta), &[], "/inventory", &mut missing),
            "products" | "factors" => {
                let place = if key == "products" { Place::Products } else { Place::Factors };
                for (i, v) in list(value).iter().enumerate() {
                    uncovered(v, &columns(place), &[], &format!("/{key}/{i}"), &mut missing);
                }
            }
            "processes" => {
                for (p, process) in list(value).iter().enumerate() {
                    let at = format!("/processes/{p}");
                    let own = ["outputs", "inputs", "emissions"];
                    uncovered(process, &columns(Place::Processes), &own, &at, &mut missing);
                    for (j, o) in list(&process["outputs"]).iter().enumerate() {
                        uncovered(
                            o,
                            &columns(Place::Outputs),
                            &[],
                            &format!("{at}/outputs/{j}"),
                            &mut missing,
                        );
                    }
                    for (j, e) in list(&process["emissions"]).iter().enumerate() {
                        uncovered(
                            e,
                            &columns(Place::Emissions),
                            &[],
                            &format!("{at}/emissions/{j}"),
                            &mut missing,
                        );
                    }
                    for (k, input) in list(&process["inputs"]).iter().enumerate() {
                        let place = if is_energy(input) { Place::Energy } else { Place::Materials };
                        let ins = format!("{at}/inputs/{k}");
                        uncovered(
                            input,
                            &columns(place),
                            &["kind", "instruments"],
                            &ins,
                            &mut missing,
                        );
                        let instruments = list(&input["instruments"]);
                        if !instruments.is_empty() {
                            certificates_link(source, process, input, &ins)?;
                        }
                        for (m, i) in instruments.iter().enumerate() {
                            uncovered(
                                i,
                                &columns(Place::Certificates),
                                &[],
                                &format!("{ins}/instruments/{m}"),
                                &mut missing,
                            );
                        }
                    }
                }
            }
            other => missing.push(format!("/{other}")),
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(SpreadsheetError::Unsupported { file: source.into(), pointers: missing })
    }
}

/// An electricity input with certificates is found by its name: it needs one, unique in its
/// process.
fn certificates_link(
    source: &str,
    process: &Value,
    input: &Value,
    at: &str,
) -> Result<(), SpreadsheetError> {
    let name = &input["name"];
    let same = list(&process["inputs"])
        .iter()
        .filter(|i| is_energy(i) && i["kind"] == "electricity" && i["name"] == *name)
        .count();
    if name.is_string() && same == 1 {
        return Ok(());
    }
    Err(SpreadsheetError::At {
        place: format!("{source} {at}"),
        problem: "an electricity input with certificates needs a name of its own in its process".into(),
        help: "give the input a `name` no other electricity input of the process has: the Certificates sheet refers to it by that name".into(),
    })
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map_or(&[], Vec::as_slice)
}

fn is_energy(input: &Value) -> bool {
    matches!(input["kind"].as_str(), Some("fuel" | "electricity" | "heat"))
}

/// Pushes the pointers of the leaves of `value` that no column carries.
fn uncovered(value: &Value, columns: &[&Column], own: &[&str], at: &str, out: &mut Vec<String>) {
    fn leaves(v: &Value, path: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    let p = if path.is_empty() { k.clone() } else { format!("{path}/{k}") };
                    leaves(v, p, out);
                }
            }
            _ => out.push(path),
        }
    }
    let mut found = Vec::new();
    leaves(value, String::new(), &mut found);
    for leaf in found {
        let top = leaf.split('/').next().unwrap_or_default();
        let carried = own.contains(&top)
            || columns.iter().any(|c| {
                !c.path.is_empty()
                    && (leaf == c.path
                        || (c.kind == Kind::Pairs && leaf.starts_with(&format!("{}/", c.path))))
            });
        if !carried {
            out.push(format!("{at}/{leaf}"));
        }
    }
}

/// Every sheet of the layout with the document's rows.
fn grids(document: &Value) -> Result<Vec<Grid>, SpreadsheetError> {
    let mut grids = Vec::new();
    let processes = list(&document["processes"]);
    for sheet in SHEETS {
        let mut rows: Vec<Vec<Out>> = Vec::new();
        let header: Vec<String>;
        match sheet.place {
            Place::Meta => {
                header = vec!["field".into(), "value".into(), "meaning".into()];
                for c in sheet.columns {
                    let value = cell(c, at_path(&document["inventory"], c.path));
                    rows.push(vec![Out::Text(c.header.into()), value, Out::Text(c.about.into())]);
                }
            }
            _ => {
                header = sheet.columns.iter().map(|c| c.header.to_string()).collect();
                let mut push = |row: &Value, process: &Value, electricity: &Value| {
                    rows.push(
                        sheet
                            .columns
                            .iter()
                            .map(|c| match c.kind {
                                Kind::Process => cell(c, Some(process)),
                                Kind::Electricity => cell(c, Some(electricity)),
                                _ => cell(c, at_path(row, c.path)),
                            })
                            .collect(),
                    );
                };
                match sheet.place {
                    Place::Products => list(&document["products"])
                        .iter()
                        .for_each(|r| push(r, &Value::Null, &Value::Null)),
                    Place::Factors => list(&document["factors"])
                        .iter()
                        .for_each(|r| push(r, &Value::Null, &Value::Null)),
                    Place::Processes => {
                        processes.iter().for_each(|r| push(r, &Value::Null, &Value::Null))
                    }
                    Place::Outputs | Place::Emissions => {
                        let key =
                            if sheet.place == Place::Outputs { "outputs" } else { "emissions" };
                        for p in processes {
                            list(&p[key]).iter().for_each(|r| push(r, &p["id"], &Value::Null));
                        }
                    }
                    Place::Materials | Place::Energy => {
                        for p in processes {
                            for input in list(&p["inputs"]) {
                                if is_energy(input) == (sheet.place == Place::Energy) {
                                    push(input, &p["id"], &Value::Null);
                                }
                            }
                        }
                    }
                    Place::Certificates => {
                        for p in processes {
                            for input in list(&p["inputs"]) {
                                for i in list(&input["instruments"]) {
                                    push(i, &p["id"], &input["name"]);
                                }
                            }
                        }
                    }
                    Place::Meta => {}
                }
            }
        }
        grids.push(Grid { sheet, header, rows });
    }
    Ok(grids)
}

fn at_path<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('/').try_fold(v, |v, k| v.get(k))
}

/// A value as its column writes it.
fn cell(column: &Column, value: Option<&Value>) -> Out {
    let Some(value) = value else { return Out::Blank };
    match (column.kind, value) {
        (_, Value::Null) => Out::Blank,
        (Kind::Bool, Value::Bool(b)) => Out::Text(if *b { "yes" } else { "no" }.into()),
        (Kind::List, Value::Array(items)) => Out::Text(
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        (Kind::Pairs, Value::Object(m)) => {
            Out::Text(m.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join("; "))
        }
        (_, Value::Number(n)) => n.as_f64().map_or(Out::Blank, Out::Number),
        (_, Value::String(s)) => Out::Text(s.clone()),
        (_, other) => Out::Text(other.to_string()),
    }
}

/// The README sheet: what the workbook is and every column of every sheet.
fn readme() -> Vec<Vec<String>> {
    let mut lines: Vec<Vec<String>> = vec![
        vec!["pcf bill-of-materials workbook".into()],
        vec!["Import it with `pcf import bom.xlsx --out inventory.toml`, then `pcf footprint inventory.toml`. One sheet per kind of row; the first row of each sheet names its columns (any order; a column headed \"note...\" is ignored; a row starting with # is a comment). Blank optional cells mean \"not given\": nothing is filled in for you. docs/spreadsheet.md explains the layout, docs/inventory.md every field.".into()],
        vec!["sheet".into(), "column".into(), "required".into(), "meaning".into(), "example".into()],
    ];
    for sheet in SHEETS {
        lines.push(vec![
            sheet.name.into(),
            String::new(),
            if sheet.required { "sheet required" } else { "" }.into(),
            sheet.about.into(),
            String::new(),
        ]);
        for c in sheet.columns {
            let allowed = match c.kind {
                Kind::Choice(values) => format!(" One of: {}.", values.join(", ")),
                Kind::Bool => " yes or no.".into(),
                Kind::Rating => " 1 to 5.".into(),
                Kind::Date => " A date, YYYY-MM-DD.".into(),
                _ => String::new(),
            };
            lines.push(vec![
                sheet.name.into(),
                c.header.into(),
                if c.required { "yes" } else { "" }.into(),
                format!("{}.{allowed}", c.about),
                c.example.into(),
            ]);
        }
    }
    lines
}
