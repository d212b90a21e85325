//! The spreadsheet layout: which sheets a bill-of-materials workbook has, their columns, what
//! each column means and where its value goes in the inventory document. The reader, the
//! writer, the workbook's README sheet and `docs/spreadsheet.md` all follow this one table.

/// A sheet of the layout (a CSV file of the same name in lower case, in a CSV folder).
#[derive(Debug)]
pub struct Sheet {
    /// The sheet's name in a workbook.
    pub name: &'static str,
    /// What one row is.
    pub about: &'static str,
    /// Whether a workbook must have it.
    pub required: bool,
    /// Where its rows go in the inventory.
    pub place: Place,
    /// Its columns, in the order written.
    pub columns: &'static [Column],
}

/// Where the rows of a sheet go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Field/value rows of `/inventory`.
    Meta,
    /// `/products`.
    Products,
    /// `/processes`.
    Processes,
    /// `/processes/N/outputs`.
    Outputs,
    /// `/processes/N/inputs` of kind product, supplier or database.
    Materials,
    /// `/processes/N/inputs` of kind fuel, electricity or heat.
    Energy,
    /// `/processes/N/inputs/M/instruments`.
    Certificates,
    /// `/processes/N/emissions`.
    Emissions,
    /// `/factors`.
    Factors,
}

/// A column (or, on the Inventory sheet, a row) of the layout.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Its header, as written; matched without letter case, and without the text in
    /// parentheses at its end (`mass per declared unit (kg)` matches `Mass per declared unit`).
    pub header: &'static str,
    /// Where the value goes, as a path below the row's object (`quality/technological`);
    /// empty for the columns that link a row to its process or electricity input.
    pub path: &'static str,
    /// How the cell is read.
    pub kind: Kind,
    /// Whether every row must fill it.
    pub required: bool,
    /// What it means, with its unit.
    pub about: &'static str,
    /// An example value.
    pub example: &'static str,
}

/// How a cell is read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text (a number is read as its digits).
    Text,
    /// A number (a text cell holding a number is read too).
    Number,
    /// A whole number from 1 to 5 (data-quality ratings).
    Rating,
    /// `yes` or `no`.
    Bool,
    /// One of the listed values.
    Choice(&'static [&'static str]),
    /// Several values separated by spaces, commas or semicolons (URNs).
    List,
    /// `name = number` pairs separated by semicolons (gases of a factor, a blend).
    Pairs,
    /// A calendar date (a date cell, or text `YYYY-MM-DD`).
    Date,
    /// The id of the process the row belongs to.
    Process,
    /// The name of the electricity row (Energy sheet) a certificate covers.
    Electricity,
}

pub use super::sheets::SHEETS;

/// A column, in one line of the layout's tables.
pub(super) const fn col(
    header: &'static str,
    path: &'static str,
    kind: Kind,
    required: bool,
    about: &'static str,
    example: &'static str,
) -> Column {
    Column { header, path, kind, required, about, example }
}

/// The README sheet of a workbook (ignored on import).
pub const README: &str = "README";

/// A sheet by name, without letter case.
pub fn sheet(name: &str) -> Option<&'static Sheet> {
    SHEETS.iter().find(|s| s.name.eq_ignore_ascii_case(name.trim()))
}

/// The file name of a sheet in a CSV folder.
pub fn csv_name(sheet: &Sheet) -> String {
    format!("{}.csv", sheet.name.to_ascii_lowercase())
}

/// A header reduced for matching: lower case, single spaces, without a final `(...)`.
pub fn header_key(text: &str) -> String {
    let text = text.trim();
    let text = match (text.ends_with(')'), text.rfind('(')) {
        (true, Some(at)) if at > 0 => &text[..at],
        _ => text,
    };
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::raw;

    fn parses<T: serde::de::DeserializeOwned>(values: &[&str]) {
        for v in values {
            let r: Result<T, _> = serde_json::from_value(serde_json::Value::String((*v).into()));
            assert!(r.is_ok(), "{v} is not a value of {}", std::any::type_name::<T>());
        }
    }

    /// The choices offered are the values the inventory format accepts.
    #[test]
    fn choices_are_values_of_the_format() {
        for sheet in SHEETS {
            for c in sheet.columns {
                let Kind::Choice(values) = c.kind else { continue };
                match c.path {
                    "quality/source" => parses::<raw::SourceType>(values),
                    "stage" => parses::<raw::Stage>(values),
                    "declared_unit" => parses::<raw::DeclaredUnit>(values),
                    "classification/scheme" => parses::<raw::ClassificationScheme>(values),
                    "allocation" | "allocation_for/eu-cbam-2026" => {
                        parses::<raw::AllocationMethod>(values)
                    }
                    "kind" if sheet.place == Place::Energy => parses::<raw::InputKind>(values),
                    "kind" => parses::<raw::FactorKind>(values),
                    "type" => parses::<raw::InstrumentKind>(values),
                    other => panic!("choice column {other} not checked"),
                }
            }
        }
    }

    #[test]
    fn header_keys_are_distinct_per_sheet() {
        for sheet in SHEETS {
            let mut keys: Vec<String> =
                sheet.columns.iter().map(|c| header_key(c.header)).collect();
            keys.sort();
            let n = keys.len();
            keys.dedup();
            assert_eq!(n, keys.len(), "{}", sheet.name);
        }
        assert_eq!(header_key("  Mass per  declared unit (kg) "), "mass per declared unit");
    }
}
