//! From read sheets to the inventory document: headers matched to the layout's columns, each
//! cell read as its column's kind, rows linked to their process, and every value's cell recorded
//! so the inventory's own checks can point back at it.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::layout::{self, Column, Kind, Place, SHEETS, Sheet};
use super::read::{Cell, Table, Tables, cell_name};
use super::{Imported, SpreadsheetError};

const MERGED_HINT: &str =
    "a merged cell is read as blank except in its first row: write the value on every row";

/// Builds the inventory document from the sheets read from `file`.
pub(super) fn document(file: &str, read: Tables) -> Result<Imported, SpreadsheetError> {
    let Tables { mut tables, warnings } = read;
    for sheet in SHEETS.iter().filter(|s| s.required) {
        if !tables.iter().any(|t| std::ptr::eq(t.sheet, sheet)) {
            return Err(SpreadsheetError::At {
                place: file.into(),
                problem: format!(
                    "no sheet {} (the layout's sheets: {})",
                    sheet.name,
                    super::read::sheet_list()
                ),
                help: format!(
                    "add a sheet named {} with its header row; `pcf init --spreadsheet bom.xlsx` writes an empty workbook with every sheet",
                    sheet.name
                ),
            });
        }
    }
    tables.sort_by_key(|t| SHEETS.iter().position(|s| std::ptr::eq(s, t.sheet)));
    let mut b = Builder { file, cells: BTreeMap::new(), doc: Doc::default() };
    for table in &tables {
        b.table(table)?;
    }
    let document = b.doc.finish();
    Ok(Imported { document, warnings, cells: b.cells, file: file.into() })
}

/// The document under construction.
#[derive(Default)]
struct Doc {
    meta: Map<String, Value>,
    products: Vec<Value>,
    processes: Vec<ProcessRows>,
    factors: Vec<Value>,
}

struct ProcessRows {
    fields: Map<String, Value>,
    outputs: Vec<Value>,
    inputs: Vec<Map<String, Value>>,
    emissions: Vec<Value>,
}

impl Doc {
    fn finish(self) -> Value {
        let mut doc = Map::new();
        if !self.meta.is_empty() {
            doc.insert("inventory".into(), Value::Object(self.meta));
        }
        doc.insert("products".into(), Value::Array(self.products));
        let processes = self
            .processes
            .into_iter()
            .map(|p| {
                let mut fields = p.fields;
                fields.insert("outputs".into(), Value::Array(p.outputs));
                if !p.inputs.is_empty() {
                    let inputs = p.inputs.into_iter().map(Value::Object).collect();
                    fields.insert("inputs".into(), Value::Array(inputs));
                }
                if !p.emissions.is_empty() {
                    fields.insert("emissions".into(), Value::Array(p.emissions));
                }
                Value::Object(fields)
            })
            .collect();
        doc.insert("processes".into(), Value::Array(processes));
        if !self.factors.is_empty() {
            doc.insert("factors".into(), Value::Array(self.factors));
        }
        Value::Object(doc)
    }
}

struct Builder<'a> {
    file: &'a str,
    cells: BTreeMap<String, String>,
    doc: Doc,
}

/// A row's cells matched to the layout's columns.
struct Row<'t> {
    place: &'t str,
    number: usize,
    values: Vec<(&'static Column, usize, &'t Cell)>,
}

impl Row<'_> {
    fn at(&self, col: usize) -> String {
        format!("{}!{}", self.place, cell_name(col, self.number))
    }
}

impl Builder<'_> {
    fn table(&mut self, table: &Table) -> Result<(), SpreadsheetError> {
        let Some((header_row, header)) = &table.header else {
            return Ok(()); // an empty sheet: nothing to read
        };
        if table.sheet.place == Place::Meta {
            return self.meta(table, *header_row, header);
        }
        let columns = self.columns(table, *header_row, header)?;
        for (number, cells) in &table.rows {
            let mut values = Vec::new();
            for (column, col) in &columns {
                let cell = cells.get(*col).unwrap_or(&Cell::Empty);
                if *cell != Cell::Empty {
                    values.push((*column, *col, cell));
                } else if column.required {
                    return Err(SpreadsheetError::At {
                        place: format!("{}!{}", table.place, cell_name(*col, *number)),
                        problem: format!(
                            "no value in column \"{}\", which every row needs",
                            column.header
                        ),
                        help: format!("{} ({MERGED_HINT})", column.about),
                    });
                }
            }
            // Cells beyond the header's columns hold data nobody named.
            for (col, cell) in cells.iter().enumerate() {
                if *cell != Cell::Empty && !header.iter().any(|(c, _)| *c == col) {
                    return Err(SpreadsheetError::At {
                        place: format!("{}!{}", table.place, cell_name(col, *number)),
                        problem: "a value in a column without a header".into(),
                        help: "give the column a header from the layout, or clear the cell".into(),
                    });
                }
            }
            self.row(table.sheet, Row { place: &table.place, number: *number, values })?;
        }
        Ok(())
    }

    /// Matches the header row to the layout's columns: each column with its position.
    fn columns(
        &self,
        table: &Table,
        header_row: usize,
        header: &[(usize, Cell)],
    ) -> Result<Vec<(&'static Column, usize)>, SpreadsheetError> {
        let sheet = table.sheet;
        let mut found: Vec<(&'static Column, usize)> = Vec::new();
        for (col, cell) in header {
            let place = format!("{}!{}", table.place, cell_name(*col, header_row));
            let text = match cell {
                Cell::Text(t) => t.clone(),
                Cell::Number(n) => n.to_string(),
                _ => {
                    return Err(SpreadsheetError::At {
                        place,
                        problem: "a header that is not text".into(),
                        help: format!(
                            "the first row of a sheet names its columns: {}",
                            headers(sheet)
                        ),
                    });
                }
            };
            let key = layout::header_key(&text);
            if key.starts_with("note") || key.starts_with("comment") {
                continue; // the user's own remarks
            }
            let Some(column) = sheet.columns.iter().find(|c| layout::header_key(c.header) == key)
            else {
                let near = sheet
                    .columns
                    .iter()
                    .map(|c| {
                        (crate::text::edit_distance(&key, &layout::header_key(c.header)), c.header)
                    })
                    .min();
                let hint = match near {
                    Some((d, h)) if d <= 3 => format!("did you mean \"{h}\"? "),
                    _ => String::new(),
                };
                return Err(SpreadsheetError::At {
                    place,
                    problem: format!("unknown column \"{}\" on sheet {}", text.trim(), sheet.name),
                    help: format!(
                        "{hint}the columns of {} are: {} (a column headed \"note...\" is ignored)",
                        sheet.name,
                        headers(sheet)
                    ),
                });
            };
            if found.iter().any(|(c, _)| std::ptr::eq(*c, column)) {
                return Err(SpreadsheetError::At {
                    place,
                    problem: format!("a second column \"{}\"", column.header),
                    help: "keep one column of each name".into(),
                });
            }
            found.push((column, *col));
        }
        for column in sheet.columns.iter().filter(|c| c.required) {
            if !found.iter().any(|(c, _)| std::ptr::eq(*c, column)) {
                return Err(SpreadsheetError::At {
                    place: table.place.clone(),
                    problem: format!(
                        "no column \"{}\" in the header row (row {header_row})",
                        column.header
                    ),
                    help: format!("add it: {}", column.about),
                });
            }
        }
        Ok(found)
    }

    /// The Inventory sheet: a field name in the `field` column, its value in `value`.
    fn meta(
        &mut self,
        table: &Table,
        header_row: usize,
        header: &[(usize, Cell)],
    ) -> Result<(), SpreadsheetError> {
        let position = |name: &str| {
            header.iter().find_map(|(c, cell)| match cell {
                Cell::Text(t) if layout::header_key(t) == name => Some(*c),
                _ => None,
            })
        };
        let (Some(field_col), Some(value_col)) = (position("field"), position("value")) else {
            return Err(SpreadsheetError::At {
                place: format!("{}!{}", table.place, cell_name(0, header_row)),
                problem: "the header row needs the columns \"field\" and \"value\"".into(),
                help:
                    "write one field per row: its name under \"field\", its value under \"value\""
                        .into(),
            });
        };
        let mut seen: Vec<&str> = Vec::new();
        for (number, cells) in &table.rows {
            let name = match cells.get(field_col) {
                Some(Cell::Text(t)) => t.clone(),
                _ => continue,
            };
            let place = format!("{}!{}", table.place, cell_name(field_col, *number));
            let Some(column) = table
                .sheet
                .columns
                .iter()
                .find(|c| layout::header_key(c.header) == layout::header_key(&name))
            else {
                return Err(SpreadsheetError::At {
                    place,
                    problem: format!("unknown field \"{}\"", name.trim()),
                    help: format!("the fields of sheet Inventory are: {}", headers(table.sheet)),
                });
            };
            if seen.contains(&column.header) {
                return Err(SpreadsheetError::At {
                    place,
                    problem: format!("the field \"{}\" a second time", column.header),
                    help: "give each field once".into(),
                });
            }
            seen.push(column.header);
            let cell = cells.get(value_col).unwrap_or(&Cell::Empty);
            if *cell == Cell::Empty {
                continue;
            }
            let at = format!("{}!{}", table.place, cell_name(value_col, *number));
            let value = read_cell(column, cell, &at)?;
            self.cells.insert(format!("/inventory/{}", column.path), at);
            set(&mut self.doc.meta, column.path, value);
        }
        Ok(())
    }

    /// One data row.
    fn row(&mut self, sheet: &Sheet, row: Row<'_>) -> Result<(), SpreadsheetError> {
        let mut fields = Map::new();
        let mut process = None;
        let mut electricity = None;
        let mut cells = Vec::new();
        for (column, col, cell) in &row.values {
            let at = row.at(*col);
            let value = read_cell(column, cell, &at)?;
            match column.kind {
                Kind::Process => process = Some((value, at)),
                Kind::Electricity => electricity = Some((value, at)),
                _ => {
                    cells.push((column.path, at));
                    set(&mut fields, column.path, value);
                }
            }
        }
        let first = row.at(row.values.first().map_or(0, |v| v.1));
        let pointer = match sheet.place {
            Place::Meta => return Ok(()),
            Place::Products => {
                self.doc.products.push(Value::Object(fields));
                format!("/products/{}", self.doc.products.len() - 1)
            }
            Place::Factors => {
                self.doc.factors.push(Value::Object(fields));
                format!("/factors/{}", self.doc.factors.len() - 1)
            }
            Place::Processes => {
                self.doc.processes.push(ProcessRows {
                    fields,
                    outputs: Vec::new(),
                    inputs: Vec::new(),
                    emissions: Vec::new(),
                });
                format!("/processes/{}", self.doc.processes.len() - 1)
            }
            Place::Outputs | Place::Materials | Place::Energy | Place::Emissions => {
                let p = self.process(process)?;
                let rows = &mut self.doc.processes[p];
                match sheet.place {
                    Place::Outputs => {
                        rows.outputs.push(Value::Object(fields));
                        format!("/processes/{p}/outputs/{}", rows.outputs.len() - 1)
                    }
                    Place::Emissions => {
                        rows.emissions.push(Value::Object(fields));
                        format!("/processes/{p}/emissions/{}", rows.emissions.len() - 1)
                    }
                    _ => {
                        let fields = if sheet.place == Place::Materials {
                            material_kind(fields, &first)?
                        } else {
                            fields
                        };
                        rows.inputs.push(fields);
                        format!("/processes/{p}/inputs/{}", rows.inputs.len() - 1)
                    }
                }
            }
            Place::Certificates => {
                let p = self.process(process)?;
                let (name, at) = electricity.unwrap_or((Value::Null, first.clone()));
                let inputs = &mut self.doc.processes[p].inputs;
                let matches: Vec<usize> = inputs
                    .iter()
                    .enumerate()
                    .filter(|(_, i)| {
                        i.get("kind") == Some(&"electricity".into()) && i.get("name") == Some(&name)
                    })
                    .map(|(k, _)| k)
                    .collect();
                let [k] = matches[..] else {
                    let problem = if matches.is_empty() {
                        format!(
                            "process {} has no electricity row named {name} on sheet Energy",
                            self.doc.processes[p].fields.get("id").unwrap_or(&Value::Null)
                        )
                    } else {
                        format!(
                            "process {} has {} electricity rows named {name} on sheet Energy",
                            self.doc.processes[p].fields.get("id").unwrap_or(&Value::Null),
                            matches.len()
                        )
                    };
                    return Err(SpreadsheetError::At {
                        place: at,
                        problem,
                        help: "name the electricity row on sheet Energy (column \"name\", once per process) and give that name here".into(),
                    });
                };
                let instruments =
                    inputs[k].entry("instruments").or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(list) = instruments else {
                    return Ok(()); // only this code puts `instruments` there, always as a list
                };
                list.push(Value::Object(fields));
                format!("/processes/{p}/inputs/{k}/instruments/{}", list.len() - 1)
            }
        };
        self.cells.insert(pointer.clone(), first);
        for (path, at) in cells {
            self.cells.insert(format!("{pointer}/{path}"), at);
        }
        Ok(())
    }

    /// The index of the process a row names.
    fn process(&self, process: Option<(Value, String)>) -> Result<usize, SpreadsheetError> {
        let Some((id, at)) = process else {
            return Err(SpreadsheetError::At {
                place: self.file.into(),
                problem: "a row without its process".into(),
                help: MERGED_HINT.into(),
            });
        };
        let ids: Vec<&Value> =
            self.doc.processes.iter().filter_map(|p| p.fields.get("id")).collect();
        ids.iter().position(|i| **i == id).ok_or_else(|| SpreadsheetError::At {
            place: at,
            problem: format!("no process {id} on sheet Processes"),
            help: format!(
                "use the id of a process on sheet Processes: {}",
                ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
            ),
        })
    }
}

/// A row of the Inputs sheet: its kind is given by which reference column is filled.
fn material_kind(
    fields: Map<String, Value>,
    at: &str,
) -> Result<Map<String, Value>, SpreadsheetError> {
    // A precursor (a CN code filled) may name a life-cycle factor beside its CBAM figures.
    let mut filled: Vec<(&str, &str)> = [("product", "product"), ("declaration", "supplier")]
        .into_iter()
        .filter(|(field, _)| fields.contains_key(*field))
        .collect();
    if fields.contains_key("cn") {
        filled.push(("cn", "precursor"));
    } else if fields.contains_key("factor") {
        filled.push(("factor", "database"));
    }
    let [(_, kind)] = filled[..] else {
        return Err(SpreadsheetError::At {
            place: at.into(),
            problem: if filled.is_empty() {
                "the input names no product, supplier declaration, factor or precursor CN code"
                    .into()
            } else {
                "the input names more than one of product, supplier declaration, factor and \
                 precursor CN code"
                    .into()
            },
            help: "fill exactly one: \"product (made here)\" for a product of another process here, \"supplier declaration\" for a purchase with the supplier's declaration, \"factor\" for a purchase with an emission factor, \"cbam precursor cn\" for an EU CBAM precursor".into(),
        });
    };
    let mut out = Map::new();
    out.insert("kind".into(), kind.into());
    out.extend(fields);
    Ok(out)
}

/// Puts `value` at `path` (`a/b`) in `map`, making the objects on the way.
fn set(map: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('/') {
        None => {
            map.insert(path.into(), value);
        }
        Some((head, rest)) => {
            let inner = map.entry(head).or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = inner {
                set(inner, rest, value);
            }
        }
    }
}

/// Reads one cell as its column's kind.
fn read_cell(column: &Column, cell: &Cell, at: &str) -> Result<Value, SpreadsheetError> {
    let err =
        |problem: String, help: String| SpreadsheetError::At { place: at.into(), problem, help };
    if let Cell::Error(e) = cell {
        return Err(err(
            format!("the cell holds the error {e} (from a formula)"),
            "correct the formula, or type the value".into(),
        ));
    }
    match column.kind {
        Kind::Text | Kind::Process | Kind::Electricity => {
            text(cell).map(Value::String).ok_or_else(|| {
                err(
                    format!("a date where text is expected ({})", column.header),
                    "format the cell as text".into(),
                )
            })
        }
        Kind::Number => number(cell, column, at).map(Value::from),
        Kind::Rating => {
            let n = number(cell, column, at)?;
            if n.fract() == 0.0 && (1.0..=5.0).contains(&n) {
                Ok(Value::from(n as u64))
            } else {
                Err(err(
                    format!("{n} is not a rating ({})", column.header),
                    "rate from 1 (best) to 5 (worst), a whole number".into(),
                ))
            }
        }
        Kind::Bool => match cell {
            Cell::Bool(b) => Ok(Value::Bool(*b)),
            Cell::Number(n) if *n == 1.0 || *n == 0.0 => Ok(Value::Bool(*n == 1.0)),
            Cell::Text(t) => match t.trim().to_lowercase().as_str() {
                "yes" | "y" | "true" | "是" => Ok(Value::Bool(true)),
                "no" | "n" | "false" | "否" => Ok(Value::Bool(false)),
                _ => Err(err(
                    format!("\"{}\" is not yes or no", t.trim()),
                    format!("write yes or no ({})", column.about),
                )),
            },
            _ => Err(err("not yes or no".into(), format!("write yes or no ({})", column.about))),
        },
        Kind::Choice(values) => {
            let t = text(cell).unwrap_or_default();
            let key = |s: &str| s.trim().to_lowercase().replace(['_', ' '], "-");
            values
                .iter()
                .find(|v| key(v) == key(&t))
                .map(|v| Value::String((*v).into()))
                .ok_or_else(|| {
                    err(
                        format!("\"{}\" is not a value of column \"{}\"", t.trim(), column.header),
                        format!("write one of: {}", values.join(", ")),
                    )
                })
        }
        Kind::List => {
            let t = text(cell).unwrap_or_default();
            let items = t
                .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
                .filter(|s| !s.is_empty());
            Ok(Value::Array(items.map(|s| Value::String(s.into())).collect()))
        }
        Kind::Pairs => {
            let t = text(cell).unwrap_or_default();
            let mut out = Map::new();
            for piece in t.split([';', '\n']).map(str::trim).filter(|s| !s.is_empty()) {
                let parsed = piece
                    .split_once(['=', ':'])
                    .and_then(|(k, v)| Some((k.trim(), parse_number(v)?)))
                    .filter(|(k, _)| !k.is_empty());
                let Some((k, v)) = parsed else {
                    return Err(err(
                        format!("\"{piece}\" is not `name = number`"),
                        format!("write pairs separated by semicolons, such as {}", column.example),
                    ));
                };
                out.insert(k.to_lowercase(), Value::from(v));
            }
            Ok(Value::Object(out))
        }
        Kind::Date => match cell {
            Cell::Date(serial) | Cell::Number(serial) => Ok(Value::String(serial_date(*serial))),
            other => Ok(Value::String(text(other).unwrap_or_default())),
        },
    }
}

/// A cell as text: numbers by their digits (whole numbers without a decimal point).
fn text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Text(t) => Some(t.trim().to_string()),
        Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => Some(format!("{}", *n as i64)),
        Cell::Number(n) => Some(n.to_string()),
        Cell::Bool(b) => Some(if *b { "yes" } else { "no" }.into()),
        Cell::Date(_) | Cell::Empty | Cell::Error(_) => None,
    }
}

fn number(cell: &Cell, column: &Column, at: &str) -> Result<f64, SpreadsheetError> {
    let err = |problem: String| SpreadsheetError::At {
        place: at.into(),
        problem,
        help: format!(
            "write a number such as {} with a decimal point and no unit (the unit has its own column)",
            if column.example.is_empty() { "1200.5" } else { column.example }
        ),
    };
    match cell {
        Cell::Number(n) if n.is_finite() => Ok(*n),
        Cell::Text(t) => parse_number(t).ok_or_else(|| {
            if t.contains(',') && !t.contains('.') {
                err(format!("\"{}\" is not a number (a decimal comma?)", t.trim()))
            } else {
                err(format!("\"{}\" is not a number ({})", t.trim(), column.header))
            }
        }),
        Cell::Date(_) => Err(err(format!("a date where a number is expected ({})", column.header))),
        Cell::Bool(_) => {
            Err(err(format!("true/false where a number is expected ({})", column.header)))
        }
        _ => Err(err(format!("not a number ({})", column.header))),
    }
}

/// A number typed as text: `1200`, `1 200`, `1,200.5`, `-3.5e-4`; never a decimal comma.
fn parse_number(text: &str) -> Option<f64> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\''))
        .collect();
    let t = if t.contains(',') {
        // Thousands separators only: 1,234 or 1,234,567.89.
        let int = t.split('.').next().unwrap_or_default().trim_start_matches(['-', '+']);
        let groups: Vec<&str> = int.split(',').collect();
        let ok = groups.len() > 1
            && (1..=3).contains(&groups[0].len())
            && groups[1..].iter().all(|g| g.len() == 3);
        if !ok {
            return None;
        }
        t.replace(',', "")
    } else {
        t
    };
    if t.is_empty()
        || !t.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// An Excel date serial (days since 1899-12-30) as `YYYY-MM-DD` (the time of day dropped).
pub(crate) fn serial_date(serial: f64) -> String {
    // Days since 1970-01-01, then Howard Hinnant's civil_from_days.
    let z = serial.floor() as i64 - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The headers of a sheet's columns, for messages.
fn headers(sheet: &Sheet) -> String {
    sheet.columns.iter().map(|c| format!("\"{}\"", c.header)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_typed() {
        assert_eq!(parse_number(" 1200 "), Some(1200.0));
        assert_eq!(parse_number("1,200.5"), Some(1200.5));
        assert_eq!(parse_number("1 234 567"), Some(1_234_567.0));
        assert_eq!(parse_number("-3.5e-4"), Some(-3.5e-4));
        assert_eq!(parse_number("1,5"), None);
        assert_eq!(parse_number("12 kg"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number(""), None);
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(serial_date(45658.0), "2025-01-01");
        assert_eq!(serial_date(46022.0), "2025-12-31");
        assert_eq!(serial_date(61.0), "1900-03-01");
    }
}
