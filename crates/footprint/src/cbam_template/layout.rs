//! Where the figures sit in the Commission's communication template v2.1.1: its 19 sheet names
//! and [`CELLS`], one row per value cell (or per column of a table, or per cell of a repeated
//! block) with the cell of the template's own label for it. The writer, the reader,
//! `docs/cbam-template.md` and the test against the blank template all follow this one table.

/// The template version this layout follows.
pub const VERSION: &str = "2.1.1";

/// The template's sheets, in its order (the last five are hidden in the Commission's file).
pub const SHEETS: [&str; 19] = [
    "0_Versions",
    "a_Contents",
    "b_Guidelines&Conditions",
    "c_CodeLists",
    "A_InstData",
    "B_EmInst",
    "C_Emissions&Energy",
    "D_Processes",
    "E_PurchPrec",
    "F_Tools",
    "G_FurtherGuidance",
    "Summary_Processes",
    "Summary_Products",
    "Summary_Communication",
    "InputOutput",
    "Parameters_Constants",
    "Parameters_CNCodes",
    "Translations",
    "VersionDocumentation",
];

/// The sheet that says who wrote the workbook, and the cell pcf writes its note into.
pub const NOTE: (&str, &str) = ("0_Versions", "A1");

/// What a value cell holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Field {
    /// First day of the reporting period.
    PeriodStart,
    /// Last day of the reporting period.
    PeriodEnd,
    /// Name of the installation.
    InstallationName,
    /// Street and number.
    Street,
    /// Post code.
    PostCode,
    /// City.
    City,
    /// Country (the template's country name, or an ISO code).
    Country,
    /// Country, ISO 3166-1 alpha-2 (the template computes it from [`Field::Country`]).
    CountryCode,
    /// UN/LOCODE.
    Unlocode,
    /// An aggregated goods category produced (table G1..G10).
    GoodsCategory,
    /// Its first production route.
    GoodsRoute,
    /// The aggregated goods category of a production process (table P1..P10).
    ProcessCategory,
    /// The production process's name.
    ProcessName,
    /// The production process (category) of a purchased precursor (table PP1..PP20).
    PrecursorCategory,
    /// The country of production of a purchased precursor, ISO code.
    PrecursorCountry,
    /// A purchased precursor's name.
    PrecursorName,
    /// Source stream: monitoring method.
    StreamMethod,
    /// Source stream: name.
    StreamName,
    /// Source stream: activity data.
    StreamActivity,
    /// Source stream: unit of the activity data.
    StreamActivityUnit,
    /// Source stream: net calorific value.
    StreamNcv,
    /// Source stream: unit of the net calorific value.
    StreamNcvUnit,
    /// Source stream: emission factor.
    StreamFactor,
    /// Source stream: unit of the emission factor.
    StreamFactorUnit,
    /// Source stream: oxidation factor, percent.
    StreamOxidation,
    /// Source stream: unit of the oxidation factor.
    StreamOxidationUnit,
    /// Production process: total production level (route 1).
    ProcessProduction,
    /// Production process: unit of the production level.
    ProcessProductionUnit,
    /// Production process: directly attributable emissions, t CO2e.
    ProcessDirect,
    /// Production process: electricity consumed, MWh.
    ProcessElectricity,
    /// Production process: emission factor of that electricity, t CO2 per MWh.
    ProcessElectricityFactor,
    /// Production process: source of that factor.
    ProcessElectricitySource,
    /// Purchased precursor: amount purchased (route 1).
    PurchasedAmount,
    /// Purchased precursor: unit of that amount.
    PurchasedUnit,
    /// Purchased precursor: specific direct embedded emissions.
    PurchasedDirect,
    /// Purchased precursor: specific indirect embedded emissions.
    PurchasedIndirect,
    /// A good: the production process it arises from.
    GoodProcess,
    /// A good: its CN code.
    GoodCn,
    /// A good: its name.
    GoodName,
    /// A good: specific direct embedded emissions.
    GoodDirect,
    /// A good: specific indirect embedded emissions.
    GoodIndirect,
    /// A good: specific embedded emissions, direct plus indirect.
    GoodTotal,
    /// A good: the unit of its SEE (`tCO2e/t`, `tCO2e/MWh`).
    GoodUnit,
    /// A good: share of its embedded emissions based on default values, 0 to 1.
    GoodDefaultShare,
    /// A good: source of the electricity emission factor.
    GoodElectricitySource,
    /// A good: embedded electricity, MWh per unit.
    GoodElectricity,
    /// A good: electricity emission factor, t CO2 per MWh.
    GoodElectricityFactor,
}

/// One value cell of the layout (or the first of a table column or of a repeated block).
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    /// What it holds.
    pub field: Field,
    /// The sheet.
    pub sheet: &'static str,
    /// The column letters.
    pub column: &'static str,
    /// The first row (1-based).
    pub row: u32,
    /// How many there are: 1 for a single cell, else table rows or blocks.
    pub count: u32,
    /// Rows from one to the next.
    pub stride: u32,
    /// The cell of the template's label for the first one (`E20`; a table's header).
    pub label_cell: &'static str,
    /// How that label starts in the English template.
    pub label: &'static str,
    /// What the value means, with its unit.
    pub meaning: &'static str,
}

const A: &str = "A_InstData";
const B: &str = "B_EmInst";
const D: &str = "D_Processes";
const E: &str = "E_PurchPrec";
const SP: &str = "Summary_Products";
const SC: &str = "Summary_Communication";

/// A single cell.
const fn one(
    field: Field,
    sheet: &'static str,
    column: &'static str,
    row: u32,
    label_cell: &'static str,
    label: &'static str,
    meaning: &'static str,
) -> Cell {
    Cell { field, sheet, column, row, count: 1, stride: 1, label_cell, label, meaning }
}

/// A cell repeated `count` times, `stride` rows apart.
#[allow(clippy::too_many_arguments)] // one row of the table, positional like its neighbours
const fn many(
    field: Field,
    sheet: &'static str,
    column: &'static str,
    row: u32,
    (count, stride): (u32, u32),
    label_cell: &'static str,
    label: &'static str,
    meaning: &'static str,
) -> Cell {
    Cell { field, sheet, column, row, count, stride, label_cell, label, meaning }
}

/// Ten table rows (goods categories, production processes).
const TEN: (u32, u32) = (10, 1);
/// The source-stream table's 75 rows.
const STREAMS: (u32, u32) = (75, 1);
/// The 20 purchased precursors listed on A_InstData.
const TWENTY: (u32, u32) = (20, 1);
/// The 10 blocks of D_Processes, 65 rows apart.
const PROCESS_BLOCKS: (u32, u32) = (10, 65);
/// The 20 blocks of E_PurchPrec, 44 rows apart.
const PRECURSOR_BLOCKS: (u32, u32) = (20, 44);
/// The 100 product rows of the summaries.
const GOODS: (u32, u32) = (100, 1);

use Field as F;

/// Every value cell pcf writes or reads.
#[rustfmt::skip] // one cell a line, as the table in docs/cbam-template.md
pub const CELLS: &[Cell] = &[
    one(F::PeriodStart, A, "I", 9, "H9", "Start:", "first day of the reporting period (date)"),
    one(F::PeriodEnd, A, "L", 9, "K9", "End:", "last day of the reporting period (date)"),
    one(F::InstallationName, A, "I", 20, "E20", "Name of the installation (English name)", "installation name"),
    one(F::Street, A, "I", 21, "E21", "Street, Number", "street and number"),
    one(F::PostCode, A, "I", 23, "E23", "Post code", "post code"),
    one(F::City, A, "I", 25, "E25", "City", "city"),
    one(F::Country, A, "I", 26, "E26", "Country", "country (name from the template's list, or ISO code)"),
    one(F::CountryCode, A, "S", 26, "E26", "Country", "country, ISO 3166-1 alpha-2 (a formula in the template)"),
    one(F::Unlocode, A, "I", 27, "E27", "UNLOCODE", "UN/LOCODE of the installation"),
    many(F::GoodsCategory, A, "E", 62, TEN, "E61", "Aggregated goods category", "aggregated goods category G1..G10"),
    many(F::GoodsRoute, A, "I", 62, TEN, "I61", "Route 1", "its production route"),
    many(F::ProcessCategory, A, "E", 83, TEN, "E81", "Aggregated goods category", "aggregated goods category of production process P1..P10"),
    many(F::ProcessName, A, "L", 83, TEN, "L81", "Name", "production process name"),
    many(F::PrecursorCategory, A, "E", 102, TWENTY, "E101", "Production process", "production process of purchased precursor PP1..PP20"),
    many(F::PrecursorCountry, A, "F", 102, TWENTY, "F101", "Country code", "country where it was produced, ISO code"),
    many(F::PrecursorName, A, "L", 102, TWENTY, "L101", "Name", "purchased precursor name"),
    many(F::StreamMethod, B, "D", 17, STREAMS, "D13", "Method", "monitoring method (Combustion)"),
    many(F::StreamName, B, "E", 17, STREAMS, "E13", "Source stream name", "source stream (fuel input) name"),
    many(F::StreamActivity, B, "F", 17, STREAMS, "F13", "Activity data", "activity data over the reporting period"),
    many(F::StreamActivityUnit, B, "G", 17, STREAMS, "G13", "AD Unit", "its unit"),
    many(F::StreamNcv, B, "H", 17, STREAMS, "H13", "Net calorific value", "net calorific value (blank when the activity data is energy)"),
    many(F::StreamNcvUnit, B, "I", 17, STREAMS, "I13", "NCV Unit", "its unit"),
    many(F::StreamFactor, B, "J", 17, STREAMS, "J13", "Emission factor", "CO2 emission factor"),
    many(F::StreamFactorUnit, B, "K", 17, STREAMS, "K13", "EF Unit", "its unit (tCO2/TJ, tCO2/t)"),
    many(F::StreamOxidation, B, "N", 17, STREAMS, "N13", "Oxidation factor", "oxidation factor (100: complete)"),
    many(F::StreamOxidationUnit, B, "O", 17, STREAMS, "O13", "OxF Unit", "its unit (%)"),
    many(F::ProcessProduction, D, "L", 16, PROCESS_BLOCKS, "E15", "Total production levels", "production of process P1..P10 over the period"),
    many(F::ProcessProductionUnit, D, "K", 16, PROCESS_BLOCKS, "K15", "Unit", "its unit (t)"),
    many(F::ProcessDirect, D, "L", 54, PROCESS_BLOCKS, "E54", "Directly attributable emissions", "directly attributable emissions, t CO2 (fuels and process CO2)"),
    many(F::ProcessElectricity, D, "L", 65, PROCESS_BLOCKS, "E65", "Electricity consumption", "electricity consumed, MWh"),
    many(F::ProcessElectricityFactor, D, "L", 66, PROCESS_BLOCKS, "E66", "Emission factor of the electricity", "its emission factor, t CO2 per MWh"),
    many(F::ProcessElectricitySource, D, "L", 67, PROCESS_BLOCKS, "E67", "Source of the emission factor", "where that factor comes from"),
    many(F::PurchasedAmount, E, "L", 17, PRECURSOR_BLOCKS, "E16", "Total purchased levels", "amount of purchased precursor PP1..PP20 over the period"),
    many(F::PurchasedUnit, E, "K", 17, PRECURSOR_BLOCKS, "K16", "Unit", "its unit (t)"),
    many(F::PurchasedDirect, E, "L", 49, PRECURSOR_BLOCKS, "E49", "Specific embedded direct emissions", "its SEE (direct), t CO2e per t"),
    many(F::PurchasedIndirect, E, "L", 52, PRECURSOR_BLOCKS, "E52", "Specific embedded indirect emissions", "its SEE (indirect), t CO2e per t"),
    many(F::GoodProcess, SP, "D", 10, GOODS, "D8", "Production process", "production process the good arises from"),
    many(F::GoodCn, SP, "F", 10, GOODS, "F8", "CN Codes", "CN code"),
    many(F::GoodName, SP, "H", 10, GOODS, "H8", "Product name", "good's name"),
    many(F::GoodDirect, SP, "I", 10, GOODS, "I8", "SEE (direct)", "specific direct embedded emissions, t CO2e per unit"),
    many(F::GoodIndirect, SP, "J", 10, GOODS, "J8", "SEE (indirect)", "specific indirect embedded emissions, t CO2e per unit"),
    many(F::GoodTotal, SP, "K", 10, GOODS, "K8", "SEE (total)", "direct plus indirect"),
    many(F::GoodUnit, SP, "L", 10, GOODS, "L8", "Unit", "tCO2e/t or tCO2e/MWh"),
    many(F::GoodDefaultShare, SP, "M", 10, GOODS, "M8", "Share of emissions by default value", "share based on default values, 0 to 1"),
    many(F::GoodElectricitySource, SP, "N", 10, GOODS, "N8", "Source for electricity EF", "source of the electricity emission factor"),
    many(F::GoodElectricity, SP, "O", 10, GOODS, "O8", "Embedded electricity", "embedded electricity, MWh per unit"),
    one(F::InstallationName, SC, "G", 12, "D12", "Name of the installation (English name)", "installation name"),
    one(F::Street, SC, "G", 13, "D13", "Street, Number", "street and number"),
    one(F::CountryCode, SC, "G", 16, "D16", "Country", "country, ISO code"),
    one(F::Unlocode, SC, "G", 17, "D17", "UNLOCODE", "UN/LOCODE"),
    one(F::PeriodStart, SC, "G", 20, "D20", "Reporting period start", "first day of the reporting period (date)"),
    one(F::PeriodEnd, SC, "G", 21, "D21", "Reporting period end", "last day of the reporting period (date)"),
    many(F::GoodProcess, SC, "D", 26, GOODS, "D25", "Production process", "production process the good arises from"),
    many(F::GoodCn, SC, "F", 26, GOODS, "F25", "CN Codes", "CN code"),
    many(F::GoodName, SC, "H", 26, GOODS, "H25", "Product name", "good's name"),
    many(F::GoodDirect, SC, "I", 26, GOODS, "I25", "SEE (direct)", "specific direct embedded emissions, t CO2e per unit"),
    many(F::GoodIndirect, SC, "J", 26, GOODS, "J25", "SEE (indirect)", "specific indirect embedded emissions, t CO2e per unit"),
    many(F::GoodTotal, SC, "K", 26, GOODS, "K25", "SEE (total)", "direct plus indirect"),
    many(F::GoodUnit, SC, "L", 26, GOODS, "L25", "Unit", "tCO2e/t or tCO2e/MWh"),
    many(F::GoodDefaultShare, SC, "M", 26, GOODS, "M25", "Share of emissions by default value", "share based on default values, 0 to 1"),
    many(F::GoodElectricitySource, SC, "N", 26, GOODS, "N25", "Source for electricity EF", "source of the electricity emission factor"),
    many(F::GoodElectricity, SC, "O", 26, GOODS, "O25", "Embedded electricity", "embedded electricity, MWh per unit"),
    many(F::GoodElectricityFactor, SC, "P", 26, GOODS, "P25", "Electricity EF", "electricity emission factor, t CO2 per MWh"),
];

impl Cell {
    /// The `i`th of its cells (0 for a single cell), `(row, column)`, 0-based.
    pub fn position(&self, i: u32) -> (u32, u16) {
        (self.row - 1 + i * self.stride, column_index(self.column))
    }

    /// The `i`th of its cells as written in a spreadsheet (`I9`).
    pub fn a1(&self, i: u32) -> String {
        format!("{}{}", self.column, self.row + i * self.stride)
    }

    /// The label cell that goes with its `i`th cell (`E20`): blocks repeat their labels, a
    /// table's header is above its first row only.
    pub fn label_a1(&self, i: u32) -> String {
        let (letters, row) = split_a1(self.label_cell);
        let shift = if self.stride > 1 { i * self.stride } else { 0 };
        format!("{letters}{}", row + shift)
    }
}

/// The cell of `field` on `sheet`.
pub fn cell(sheet: &str, field: Field) -> Option<&'static Cell> {
    CELLS.iter().find(|c| c.sheet == sheet && c.field == field)
}

/// The 0-based index of column letters (`A` 0, `AA` 26).
pub fn column_index(letters: &str) -> u16 {
    letters.bytes().fold(0u16, |n, b| n * 26 + u16::from(b.to_ascii_uppercase() - b'A' + 1)) - 1
}

/// `("E", 20)` from `"E20"`.
pub fn split_a1(a1: &str) -> (&str, u32) {
    let digits = a1.find(|c: char| c.is_ascii_digit()).unwrap_or(a1.len());
    (&a1[..digits], a1[digits..].parse().unwrap_or(0))
}

/// The layout as a Markdown table, for `docs/cbam-template.md`.
pub fn markdown() -> String {
    let mut s = String::from(
        "| sheet | cell | count | step | label cell | label starts with | meaning |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for c in CELLS {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} |\n",
            c.sheet,
            c.a1(0),
            c.count,
            c.stride,
            c.label_cell,
            c.label,
            c.meaning
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_address() {
        assert_eq!(column_index("A"), 0);
        assert_eq!(column_index("AA"), 26);
        let c = cell(D, Field::ProcessDirect).unwrap();
        assert_eq!(c.a1(1), "L119");
        assert_eq!(c.label_a1(1), "E119");
        assert_eq!(c.position(0), (53, 11));
    }
}
