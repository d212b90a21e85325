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

const SOURCE_TYPES: &[&str] = &["primary", "supplier-specific", "secondary"];
const STAGES: &[&str] = &[
    "raw-material-acquisition",
    "production",
    "upstream-transport",
    "distribution",
    "use",
    "end-of-life",
];

macro_rules! quality_columns {
    () => {
        [
            Column {
                header: "data source",
                path: "quality/source",
                kind: Kind::Choice(SOURCE_TYPES),
                required: false,
                about: "where the datum comes from (blank: the default of its kind, see docs/inventory.md)",
                example: "primary",
            },
            Column {
                header: "dqr technological",
                path: "quality/technological",
                kind: Kind::Rating,
                required: false,
                about: "technological representativeness, 1 (best) to 5",
                example: "2",
            },
            Column {
                header: "dqr temporal",
                path: "quality/temporal",
                kind: Kind::Rating,
                required: false,
                about: "temporal representativeness, 1 (best) to 5",
                example: "2",
            },
            Column {
                header: "dqr geographical",
                path: "quality/geographical",
                kind: Kind::Rating,
                required: false,
                about: "geographical representativeness, 1 (best) to 5",
                example: "2",
            },
        ]
    };
}

const fn col(
    header: &'static str,
    path: &'static str,
    kind: Kind,
    required: bool,
    about: &'static str,
    example: &'static str,
) -> Column {
    Column { header, path, kind, required, about, example }
}

const PROCESS: Column = col(
    "process",
    "",
    Kind::Process,
    true,
    "id of the process (sheet Processes) this row belongs to, on every row",
    "casting",
);

/// The sheets, in the order a workbook holds them.
pub static SHEETS: &[Sheet] = &[
    Sheet {
        name: "Inventory",
        about: "who reports, for what period and where: one field per row (column A the field, column B its value)",
        required: false,
        place: Place::Meta,
        columns: &[
            col(
                "name",
                "name",
                Kind::Text,
                false,
                "a title for the inventory",
                "Aluminium die-cast housings, 2025",
            ),
            col(
                "company",
                "company/name",
                Kind::Text,
                false,
                "the reporting company's legal name",
                "Kunshan Example Die Casting Co., Ltd.",
            ),
            col(
                "company ids",
                "company/ids",
                Kind::List,
                false,
                "the company's identifiers as URNs, separated by spaces",
                "urn:uscc:91320583EXAMPLE0002",
            ),
            col(
                "reference period start",
                "reference_period/start",
                Kind::Date,
                false,
                "first day of the period the activity data cover",
                "2025-01-01",
            ),
            col(
                "reference period end",
                "reference_period/end",
                Kind::Date,
                false,
                "last day of that period (inclusive)",
                "2025-12-31",
            ),
            col(
                "geography",
                "geography",
                Kind::Text,
                false,
                "where the products are made: ISO 3166 country or subdivision",
                "CN-JS",
            ),
            col(
                "currency",
                "currency",
                Kind::Text,
                false,
                "ISO 4217 currency of the prices (economic allocation)",
                "CNY",
            ),
        ],
    },
    Sheet {
        name: "Products",
        about: "one row per product the plant makes (the declared product, intermediates, co-products and scrap)",
        required: true,
        place: Place::Products,
        columns: &[
            col(
                "id",
                "id",
                Kind::Text,
                true,
                "short id used in this workbook: letters, digits, - _ .",
                "housing",
            ),
            col(
                "name",
                "name",
                Kind::Text,
                true,
                "the product's name as the company uses it",
                "Die-cast housing DH-120",
            ),
            col(
                "description",
                "description",
                Kind::Text,
                false,
                "a longer description",
                "ADC12 gearbox housing, machined",
            ),
            col(
                "declared unit",
                "declared_unit",
                Kind::Choice(&[
                    "kilogram",
                    "liter",
                    "cubic meter",
                    "kilowatt hour",
                    "megajoule",
                    "ton kilometer",
                    "square meter",
                    "piece",
                ]),
                true,
                "the unit the footprint is declared per",
                "piece",
            ),
            col(
                "mass per declared unit (kg)",
                "mass_per_declared_unit",
                Kind::Number,
                true,
                "kilograms in one declared unit",
                "1.2",
            ),
            col(
                "product ids",
                "product_ids",
                Kind::List,
                false,
                "the product's identifiers as URNs, separated by spaces (needed to declare)",
                "urn:gtin:06901234567893",
            ),
            col(
                "classification scheme",
                "classification/scheme",
                Kind::Choice(&["CN", "HS", "CPC"]),
                false,
                "customs classification scheme",
                "CN",
            ),
            col(
                "classification code",
                "classification/code",
                Kind::Text,
                false,
                "the code, digits (spaces and dots allowed)",
                "7616 99 10",
            ),
            col(
                "fossil carbon content (kg C)",
                "fossil_carbon_content",
                Kind::Number,
                false,
                "fossil carbon in one declared unit, kg C (needed to declare)",
                "0",
            ),
            col(
                "biogenic carbon content (kg C)",
                "biogenic_carbon_content",
                Kind::Number,
                false,
                "biogenic carbon in one declared unit, kg C",
                "0",
            ),
            col(
                "packaging emissions included",
                "packaging_emissions_included",
                Kind::Bool,
                false,
                "yes when the packaging's emissions are in the footprint (needed to declare)",
                "yes",
            ),
        ],
    },
    Sheet {
        name: "Processes",
        about: "one row per process of the plant (melting, casting, machining...) over the reference period",
        required: true,
        place: Place::Processes,
        columns: &{
            let q = quality_columns!();
            [
                col("id", "id", Kind::Text, true, "short id used in this workbook", "casting"),
                col(
                    "name",
                    "name",
                    Kind::Text,
                    true,
                    "the process's name",
                    "Melting and high-pressure die casting",
                ),
                col(
                    "stage",
                    "stage",
                    Kind::Choice(STAGES),
                    false,
                    "life-cycle stage of its own emissions (blank: production)",
                    "production",
                ),
                col("geography", "geography", Kind::Text, false, "where it runs", "CN-JS"),
                col(
                    "allocation",
                    "allocation",
                    Kind::Choice(&["mass", "economic", "physical", "system-expansion"]),
                    false,
                    "how its co-products share its burdens, where the methodology allows a choice (blank: the methodology's default)",
                    "mass",
                ),
                q[0],
                q[1],
                q[2],
                q[3],
                col(
                    "biogenic uptake",
                    "biogenic_uptake/amount",
                    Kind::Number,
                    false,
                    "biogenic CO2 taken up by biomass in the process",
                    "",
                ),
                col(
                    "biogenic uptake unit",
                    "biogenic_uptake/unit",
                    Kind::Text,
                    false,
                    "its unit (a mass of CO2)",
                    "kg",
                ),
                col(
                    "land use change",
                    "land_use_change/amount",
                    Kind::Number,
                    false,
                    "direct land-use change emissions (below zero for a stock gain)",
                    "",
                ),
                col(
                    "land use change unit",
                    "land_use_change/unit",
                    Kind::Text,
                    false,
                    "its unit (a mass of CO2e)",
                    "t",
                ),
            ]
        },
    },
    Sheet {
        name: "Outputs",
        about: "what each process makes in the reference period: its main product first, then co-products and scrap",
        required: true,
        place: Place::Outputs,
        columns: &[
            PROCESS,
            col(
                "product",
                "product",
                Kind::Text,
                true,
                "id of the product made (sheet Products)",
                "housing",
            ),
            col(
                "amount",
                "amount",
                Kind::Number,
                true,
                "amount made in the reference period",
                "500000",
            ),
            col(
                "unit",
                "unit",
                Kind::Text,
                true,
                "its unit (of the product's declared unit's dimension)",
                "piece",
            ),
            col(
                "price",
                "price",
                Kind::Number,
                false,
                "value per unit of output, in the inventory currency (economic allocation)",
                "38",
            ),
            col(
                "physical",
                "physical",
                Kind::Number,
                false,
                "the physical allocation property per unit of output",
                "",
            ),
            col(
                "displaces",
                "displaces",
                Kind::Text,
                false,
                "for system expansion: the factor of what this co-product displaces",
                "",
            ),
        ],
    },
    Sheet {
        name: "Inputs",
        about: "materials and parts a process consumes: fill exactly one of `product (made here)`, `supplier declaration` or `factor`",
        required: false,
        place: Place::Materials,
        columns: &{
            let q = quality_columns!();
            [
                PROCESS,
                col(
                    "material",
                    "name",
                    Kind::Text,
                    false,
                    "what it is",
                    "Aluminium alloy ingot ADC12",
                ),
                col(
                    "amount",
                    "amount",
                    Kind::Number,
                    true,
                    "amount consumed in the reference period",
                    "640",
                ),
                col(
                    "unit",
                    "unit",
                    Kind::Text,
                    true,
                    "its unit: kg, t, g, piece, tkm, l, m3...",
                    "t",
                ),
                col(
                    "product (made here)",
                    "product",
                    Kind::Text,
                    false,
                    "for a product made by another process of this workbook: its id",
                    "",
                ),
                col(
                    "supplier declaration",
                    "declaration",
                    Kind::Text,
                    false,
                    "for a purchase with the supplier's signed declaration: the file, relative to the inventory",
                    "",
                ),
                col(
                    "factor",
                    "factor",
                    Kind::Text,
                    false,
                    "for a purchase with an emission factor: a factor id (sheet Factors) or dataset:ID@FACTOR",
                    "alu-ingot-adc12",
                ),
                col(
                    "stage",
                    "stage",
                    Kind::Choice(STAGES),
                    false,
                    "life-cycle stage (blank: raw-material-acquisition)",
                    "upstream-transport",
                ),
                col(
                    "cbam precursor",
                    "precursor",
                    Kind::Bool,
                    false,
                    "yes when it is a relevant precursor under EU CBAM (blank: yes for products and suppliers, no otherwise)",
                    "yes",
                ),
                col(
                    "excluded because",
                    "excluded",
                    Kind::Text,
                    false,
                    "excluded under the methodology's cut-off rule: why (its estimate is reported as exempted)",
                    "",
                ),
                q[0],
                q[1],
                q[2],
                q[3],
            ]
        },
    },
    Sheet {
        name: "Energy",
        about: "fuels burnt on site, electricity and purchased heat, as metered or billed",
        required: false,
        place: Place::Energy,
        columns: &{
            let q = quality_columns!();
            [
                PROCESS,
                col(
                    "kind",
                    "kind",
                    Kind::Choice(&["fuel", "electricity", "heat"]),
                    true,
                    "fuel (burnt on site), electricity or heat (purchased heat or steam)",
                    "electricity",
                ),
                col(
                    "name",
                    "name",
                    Kind::Text,
                    false,
                    "what it is (certificates refer to electricity by this name)",
                    "Grid electricity, casting cells",
                ),
                col(
                    "amount",
                    "amount",
                    Kind::Number,
                    true,
                    "amount consumed in the reference period",
                    "1450",
                ),
                col("unit", "unit", Kind::Text, true, "its unit: kWh, MWh, GJ, TJ, MJ...", "MWh"),
                col(
                    "factor",
                    "factor",
                    Kind::Text,
                    true,
                    "emission factor: a factor id (sheet Factors) or dataset:ID@FACTOR (for electricity the location-based grid factor)",
                    "dataset:cn-grid@2022-east",
                ),
                col(
                    "residual mix factor",
                    "residual_mix_factor",
                    Kind::Text,
                    false,
                    "for electricity: the factor for consumption not covered by certificates, where the methodology uses one",
                    "",
                ),
                col(
                    "stage",
                    "stage",
                    Kind::Choice(STAGES),
                    false,
                    "life-cycle stage (blank: the process's stage)",
                    "",
                ),
                col(
                    "cbam precursor",
                    "precursor",
                    Kind::Bool,
                    false,
                    "yes when it is a relevant precursor under EU CBAM (blank: no)",
                    "",
                ),
                col(
                    "excluded because",
                    "excluded",
                    Kind::Text,
                    false,
                    "excluded under the methodology's cut-off rule: why",
                    "",
                ),
                q[0],
                q[1],
                q[2],
                q[3],
            ]
        },
    },
    Sheet {
        name: "Certificates",
        about: "green electricity certificates, PPAs and on-site generation covering an electricity row of sheet Energy",
        required: false,
        place: Place::Certificates,
        columns: &[
            PROCESS,
            col(
                "electricity",
                "",
                Kind::Electricity,
                true,
                "the name of the electricity row (sheet Energy, same process) it covers",
                "Grid electricity, casting cells",
            ),
            col(
                "type",
                "type",
                Kind::Choice(&["gec", "i-rec", "ppa", "onsite"]),
                true,
                "gec (China Green Electricity Certificate), i-rec, ppa or onsite",
                "gec",
            ),
            col(
                "serial",
                "serial",
                Kind::Text,
                false,
                "certificate serial number or contract reference",
                "GEC-2025-JS-000512001-000512200",
            ),
            col("quantity", "quantity", Kind::Number, true, "energy covered", "200"),
            col("unit", "unit", Kind::Text, true, "its unit (an energy unit)", "MWh"),
            col(
                "technology",
                "technology",
                Kind::Text,
                false,
                "generation technology, lower case: wind, solar, hydro, nuclear, biomass...",
                "solar",
            ),
            col(
                "factor",
                "factor",
                Kind::Text,
                false,
                "the instrument's own emission factor, if known (blank: the methodology decides)",
                "",
            ),
            col(
                "period start",
                "period/start",
                Kind::Date,
                false,
                "first day of generation covered",
                "",
            ),
            col(
                "period end",
                "period/end",
                Kind::Date,
                false,
                "last day of generation covered",
                "",
            ),
        ],
    },
    Sheet {
        name: "Emissions",
        about: "direct emissions to air of a process other than from fuels burnt (refrigerant leaks, process CO2, PFCs)",
        required: false,
        place: Place::Emissions,
        columns: &{
            let q = quality_columns!();
            [
                PROCESS,
                col(
                    "gas",
                    "gas",
                    Kind::Text,
                    true,
                    "co2-fossil, co2-biogenic, ch4-fossil, ch4-non-fossil, n2o, sf6, nf3, an HFC or PFC (hfc-134a), or a blend's name with its composition",
                    "hfc-134a",
                ),
                col(
                    "amount",
                    "amount",
                    Kind::Number,
                    true,
                    "mass emitted in the reference period",
                    "8",
                ),
                col("unit", "unit", Kind::Text, true, "its unit (a mass unit)", "kg"),
                col(
                    "blend composition",
                    "composition",
                    Kind::Pairs,
                    false,
                    "for a refrigerant blend: mass fractions summing to 1",
                    "hfc-32 = 0.5; hfc-125 = 0.5",
                ),
                q[0],
                q[1],
                q[2],
                q[3],
            ]
        },
    },
    Sheet {
        name: "Factors",
        about: "emission factors the Inputs and Energy sheets name, each with its source and licence",
        required: false,
        place: Place::Factors,
        columns: &{
            let q = quality_columns!();
            [
                col(
                    "id",
                    "id",
                    Kind::Text,
                    true,
                    "short id the Inputs and Energy sheets use",
                    "alu-ingot-adc12",
                ),
                col(
                    "name",
                    "name",
                    Kind::Text,
                    true,
                    "what the factor describes",
                    "Aluminium alloy ingot ADC12, secondary, cradle-to-gate",
                ),
                col(
                    "per",
                    "per",
                    Kind::Text,
                    true,
                    "the unit of activity it applies to: kg, t, kWh, TJ, tkm, piece...",
                    "kg",
                ),
                col(
                    "co2e (kg)",
                    "co2e",
                    Kind::Number,
                    false,
                    "kg CO2e per unit, already characterized (or give gases)",
                    "3.1",
                ),
                col(
                    "gases (kg)",
                    "gases",
                    Kind::Pairs,
                    false,
                    "kg of each gas per unit, characterized by the methodology's GWPs",
                    "co2-fossil = 0.078; n2o = 0.000003",
                ),
                col(
                    "land use change (kg CO2e)",
                    "land_use_change",
                    Kind::Number,
                    false,
                    "land-use change emissions included, kg CO2e per unit",
                    "",
                ),
                col(
                    "biogenic uptake (kg CO2)",
                    "biogenic_uptake",
                    Kind::Number,
                    false,
                    "biogenic CO2 uptake embodied, kg CO2 per unit",
                    "",
                ),
                col(
                    "source",
                    "source",
                    Kind::Text,
                    true,
                    "the dataset or document it comes from, with table or clause",
                    "supplier's EPD S-P-01234, table 5",
                ),
                col(
                    "licence",
                    "licence",
                    Kind::Text,
                    true,
                    "the licence under which it may be used",
                    "used with the supplier's permission",
                ),
                col(
                    "dataset",
                    "dataset",
                    Kind::Text,
                    false,
                    "dataset name and version, if from a database",
                    "",
                ),
                col(
                    "kind",
                    "kind",
                    Kind::Choice(&["combustion-co2", "residual-combustion-co2", "life-cycle"]),
                    false,
                    "for electricity: what the factor covers",
                    "",
                ),
                q[0],
                q[1],
                q[2],
                q[3],
            ]
        },
    },
];

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
                    "allocation" => parses::<raw::AllocationMethod>(values),
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
