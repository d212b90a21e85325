//! Reading a filled template (calamine; formulas give the values Excel cached when it saved)
//! into a [`Communication`]: the installation and period from A_InstData (Summary_Communication
//! where A_InstData is blank), the goods from Summary_Communication's product rows
//! (Summary_Products' where those are all blank, as in a file saved without calculation), and
//! each good's route through its production process on A_InstData.

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Range, Reader, Xlsx};
use pcf_base::digest::Digest;

use super::TemplateError;
use super::layout::{self, Field};
use crate::inventory::communication::{
    CommunicatedGood, Communication, FORMAT, Installation, Period, SourceDocument,
};
use crate::spreadsheet::serial_date;

const A: &str = "A_InstData";
const SC: &str = "Summary_Communication";
const SP: &str = "Summary_Products";
const CODES: &str = "c_CodeLists";

/// Reads the template at `path` (its name, as given, is recorded as the source).
pub fn read(path: &Path) -> Result<Communication, TemplateError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| TemplateError::Read { file: file.clone(), message: e.to_string() })?;
    read_bytes(&file, &bytes)
}

/// Reads a template's bytes; `file` names it in errors and in the communication's source,
/// with the SHA-256 of `bytes`.
pub fn read_bytes(file: &str, bytes: &[u8]) -> Result<Communication, TemplateError> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| TemplateError::At {
        place: file.to_string(),
        problem: format!("not an .xlsx workbook ({e})"),
        help: "give the communication template saved as .xlsx (Excel 2007 or later)".into(),
    })?;
    let names = book.sheet_names();
    let mut sheets = BTreeMap::new();
    for sheet in [A, SC, SP, CODES] {
        if !names.iter().any(|n| n == sheet) {
            if sheet == CODES || sheet == SP {
                continue;
            }
            return Err(TemplateError::At {
                place: format!("{file}!{sheet}"),
                problem: format!("the workbook has no sheet {sheet:?}"),
                help: format!(
                    "give a CBAM communication template for installations (v{}) with its \
                     sheets as the Commission named them, or one written by `pcf cbam export`",
                    layout::VERSION
                ),
            });
        }
        let range = book.worksheet_range(sheet).map_err(|e| TemplateError::At {
            place: format!("{file}!{sheet}"),
            problem: format!("cannot read the sheet ({e})"),
            help: "open the file in a spreadsheet program and save it again as .xlsx".into(),
        })?;
        sheets.insert(sheet, range);
    }
    let book = Book { file, sheets };
    let mut c = Communication {
        format: FORMAT.to_string(),
        installation: book.installation()?,
        period: book.period()?,
        goods: book.goods()?,
        source: None,
    };
    c.source =
        Some(SourceDocument { file: file.to_string(), sha256: Digest::of(bytes).to_string() });
    Ok(c)
}

/// The sheets read, by name.
struct Book<'a> {
    file: &'a str,
    sheets: BTreeMap<&'static str, Range<Data>>,
}

/// A cell's value.
enum Value {
    Empty,
    Text(String),
    Number(f64),
    Date(f64),
    Error(String),
}

impl Book<'_> {
    fn place(&self, sheet: &str, field: Field, i: u32) -> String {
        let a1 = layout::cell(sheet, field).map(|c| c.a1(i)).unwrap_or_default();
        format!("{}!{sheet}!{a1}", self.file)
    }

    fn at(&self, sheet: &str, row: u32, col: u16) -> Value {
        let Some(data) = self.sheets.get(sheet).and_then(|r| r.get_value((row, u32::from(col))))
        else {
            return Value::Empty;
        };
        match data {
            Data::Empty => Value::Empty,
            Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
                let s = s.trim();
                if s.is_empty() { Value::Empty } else { Value::Text(s.to_string()) }
            }
            Data::Int(i) => Value::Number(*i as f64),
            Data::Float(f) => Value::Number(*f),
            Data::Bool(b) => Value::Text(b.to_string()),
            Data::DateTime(d) => Value::Date(d.as_f64()),
            Data::Error(e) => Value::Error(e.to_string()),
        }
    }

    fn value(&self, sheet: &str, field: Field, i: u32) -> Value {
        match layout::cell(sheet, field) {
            Some(c) => {
                let (row, col) = c.position(i);
                self.at(sheet, row, col)
            }
            None => Value::Empty,
        }
    }

    fn error(
        &self,
        sheet: &str,
        field: Field,
        i: u32,
        problem: String,
        help: &str,
    ) -> TemplateError {
        TemplateError::At { place: self.place(sheet, field, i), problem, help: help.to_string() }
    }

    /// A text cell (a number is read as its digits, a date as ISO), or None when blank.
    fn text(&self, sheet: &str, field: Field, i: u32) -> Result<Option<String>, TemplateError> {
        Ok(match self.value(sheet, field, i) {
            Value::Empty => None,
            Value::Text(s) => Some(s),
            Value::Number(n) => Some(number_text(n)),
            Value::Date(d) => Some(serial_date(d)),
            Value::Error(e) => return Err(self.cell_error(sheet, field, i, &e)),
        })
    }

    /// A number cell (a text cell holding a number is read too), or None when blank.
    fn number(&self, sheet: &str, field: Field, i: u32) -> Result<Option<f64>, TemplateError> {
        let n = match self.value(sheet, field, i) {
            Value::Empty => return Ok(None),
            Value::Number(n) => n,
            Value::Text(s) => s.replace(' ', "").parse::<f64>().map_err(|_| {
                self.error(
                    sheet,
                    field,
                    i,
                    format!("text {s:?} where a number is expected"),
                    "write a number in the cell (a decimal point, no unit)",
                )
            })?,
            Value::Date(_) => {
                return Err(self.error(
                    sheet,
                    field,
                    i,
                    "a date where a number is expected".into(),
                    "format the cell as a number and write the figure",
                ));
            }
            Value::Error(e) => return Err(self.cell_error(sheet, field, i, &e)),
        };
        if !n.is_finite() {
            return Err(self.error(
                sheet,
                field,
                i,
                format!("{n} is not a figure"),
                "write a number",
            ));
        }
        Ok(Some(n))
    }

    /// A date cell (or text `YYYY-MM-DD`), as an ISO date.
    fn date(&self, sheet: &str, field: Field) -> Result<Option<String>, TemplateError> {
        match self.value(sheet, field, 0) {
            Value::Date(d) | Value::Number(d) => Ok(Some(serial_date(d))),
            Value::Text(s) if is_serial_date(&s) => Ok(Some(s)),
            Value::Text(s) => Err(self.error(
                sheet,
                field,
                0,
                format!("{s:?} is not a date"),
                "write the date as a date cell, or as text YYYY-MM-DD",
            )),
            Value::Empty => Ok(None),
            Value::Error(e) => Err(self.cell_error(sheet, field, 0, &e)),
        }
    }

    fn cell_error(&self, sheet: &str, field: Field, i: u32, e: &str) -> TemplateError {
        self.error(
            sheet,
            field,
            i,
            format!("the cell holds the error {e}"),
            "fix the inputs the template flags, let Excel recalculate and save the file again",
        )
    }

    fn installation(&self) -> Result<Installation, TemplateError> {
        let either = |field| -> Result<Option<String>, TemplateError> {
            Ok(match self.text(A, field, 0)? {
                Some(v) => Some(v),
                None => self.text(SC, field, 0)?,
            })
        };
        let name = either(Field::InstallationName)?.ok_or_else(|| {
            self.error(
                A,
                Field::InstallationName,
                0,
                "the installation's name is blank".into(),
                "fill in the name of the installation (English name)",
            )
        })?;
        let address: Vec<String> = [Field::Street, Field::PostCode, Field::City]
            .into_iter()
            .map(&either)
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        Ok(Installation {
            name,
            operator: None,
            country: self.country()?,
            address: (!address.is_empty()).then(|| address.join(", ")),
            unlocode: either(Field::Unlocode)?,
        })
    }

    /// The country code: the country cell if it holds one, the code the template computed
    /// from it, or the country's name looked up in the workbook's own code list.
    fn country(&self) -> Result<String, TemplateError> {
        let given = self.text(A, Field::Country, 0)?;
        let candidates = [
            given.clone(),
            self.text(A, Field::CountryCode, 0)?,
            self.text(SC, Field::CountryCode, 0)?,
        ];
        if let Some(code) = candidates.into_iter().flatten().find(|c| is_country_code(c)) {
            return Ok(code.to_ascii_uppercase());
        }
        let help = "choose the country from the template's list, or write its ISO 3166-1 \
                    alpha-2 code (TR, CN, IN...)";
        let Some(name) = given else {
            return Err(self.error(A, Field::Country, 0, "the country is blank".into(), help));
        };
        // c_CodeLists: codes in column F, names in column G, from row 11.
        if let Some(range) = self.sheets.get(CODES) {
            for row in 10..range.end().map_or(0, |e| e.0 + 1) {
                if let (Value::Text(code), Value::Text(n)) =
                    (self.at(CODES, row, 5), self.at(CODES, row, 6))
                    && n.eq_ignore_ascii_case(&name)
                    && is_country_code(&code)
                {
                    return Ok(code.to_ascii_uppercase());
                }
            }
        }
        Err(self.error(A, Field::Country, 0, format!("unknown country {name:?}"), help))
    }

    fn period(&self) -> Result<Period, TemplateError> {
        let mut ends = Vec::new();
        for field in [Field::PeriodStart, Field::PeriodEnd] {
            let d = match self.date(A, field)? {
                Some(d) => Some(d),
                None => self.date(SC, field)?,
            };
            ends.push(d.ok_or_else(|| {
                self.error(
                    A,
                    field,
                    0,
                    "the reporting period is incomplete".into(),
                    "fill in the start and end dates of the reporting period",
                )
            })?);
        }
        let end = ends.pop().unwrap_or_default();
        let start = ends.pop().unwrap_or_default();
        Ok(Period { start, end })
    }

    fn goods(&self) -> Result<Vec<CommunicatedGood>, TemplateError> {
        let rows = layout::cell(SC, Field::GoodCn).map_or(0, |c| c.count);
        let filled = |sheet| -> Result<bool, TemplateError> {
            for i in 0..rows {
                if self.text(sheet, Field::GoodCn, i)?.is_some() {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        let sheet = if !filled(SC)? && self.sheets.contains_key(SP) { SP } else { SC };
        let mut goods = Vec::new();
        for i in 0..rows {
            if let Some(cn) = self.text(sheet, Field::GoodCn, i)? {
                goods.push(self.good(sheet, i, &cn)?);
            }
        }
        Ok(goods)
    }

    fn good(&self, sheet: &str, i: u32, cn: &str) -> Result<CommunicatedGood, TemplateError> {
        let digits: String = cn.chars().filter(|c| !matches!(c, ' ' | '.')).collect();
        if !(4..=8).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.error(
                sheet,
                Field::GoodCn,
                i,
                format!("CN code {cn:?} is not 4 to 8 digits"),
                "write the good's CN code (for example 72083800)",
            ));
        }
        let required = |field, what: &str| -> Result<f64, TemplateError> {
            self.number(sheet, field, i)?.ok_or_else(|| {
                self.error(
                    sheet,
                    field,
                    i,
                    format!("the {what} of CN {digits} is blank"),
                    "fill in the figure (let Excel recalculate the template and save it)",
                )
            })
        };
        let direct = required(Field::GoodDirect, "SEE (direct)")?;
        let indirect = required(Field::GoodIndirect, "SEE (indirect)")?;
        let unit = match self.text(sheet, Field::GoodUnit, i)? {
            None => "t".to_string(),
            Some(u) => match u.rsplit('/').next().map(str::trim) {
                Some("t") => "t".to_string(),
                Some(m) if m.eq_ignore_ascii_case("MWh") => "MWh".to_string(),
                _ => {
                    return Err(self.error(
                        sheet,
                        Field::GoodUnit,
                        i,
                        format!("unit {u:?} is neither tCO2e/t nor tCO2e/MWh"),
                        "write tCO2e/t (or tCO2e/MWh for electricity)",
                    ));
                }
            },
        };
        let default_share = match self.number(sheet, Field::GoodDefaultShare, i)? {
            Some(s) if !(0.0..=1.0).contains(&s) => {
                return Err(self.error(
                    sheet,
                    Field::GoodDefaultShare,
                    i,
                    format!("share {s} is not between 0 and 1"),
                    "write the share as a fraction (0.4) or a percentage cell (40%)",
                ));
            }
            s => s,
        };
        let electricity_factor = match self.number(sheet, Field::GoodElectricityFactor, i)? {
            Some(ef) => Some(ef),
            None => self
                .number(sheet, Field::GoodElectricity, i)?
                .filter(|mwh| *mwh > 0.0)
                .map(|mwh| indirect / mwh),
        };
        let process = self.text(sheet, Field::GoodProcess, i)?;
        Ok(CommunicatedGood {
            name: self.text(sheet, Field::GoodName, i)?.unwrap_or_else(|| format!("CN {digits}")),
            cn: digits,
            route: match process {
                Some(p) => self.route(&p)?,
                None => None,
            },
            unit,
            direct,
            indirect,
            default_share,
            electricity_factor,
            electricity_factor_source: self.text(sheet, Field::GoodElectricitySource, i)?,
        })
    }

    /// The route of the production process named `process`: its aggregated goods category's
    /// first route on A_InstData.
    fn route(&self, process: &str) -> Result<Option<String>, TemplateError> {
        let n = |f| layout::cell(A, f).map_or(0, |c| c.count);
        for k in 0..n(Field::ProcessName) {
            if self.text(A, Field::ProcessName, k)?.as_deref() != Some(process) {
                continue;
            }
            let Some(category) = self.text(A, Field::ProcessCategory, k)? else { return Ok(None) };
            for g in 0..n(Field::GoodsCategory) {
                if self.text(A, Field::GoodsCategory, g)?.as_deref() == Some(category.as_str()) {
                    return self.text(A, Field::GoodsRoute, g);
                }
            }
        }
        Ok(None)
    }
}

/// A number as text: whole numbers without a decimal point (CN codes typed as numbers).
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { n.to_string() }
}

fn is_country_code(s: &str) -> bool {
    s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

fn is_serial_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excel_dates() {
        assert_eq!(serial_date(45_658.0), "2025-01-01");
        assert_eq!(serial_date(46_022.5), "2025-12-31");
        assert_eq!(serial_date(25_569.0), "1970-01-01");
    }
}
