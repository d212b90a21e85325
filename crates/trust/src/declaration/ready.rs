//! What a declaration needs beyond a footprint that computes: the PACT fields the inventory
//! (or `pcf declare`'s options) must state — company name and ids, product ids, reference
//! period, fossil carbon content, whether packaging is included — checked all at once, so that
//! `pcf declare` and `pcf check --for` name every gap in one run, each with where to write it.

use serde::Serialize;

use super::IssueOptions;
use pcf_base::time::Instant;
use pcf_footprint::inventory::{ClassificationScheme, Inventory};
use pcf_footprint::methodology::{Methodology, RouteRule};

/// A field a declaration requires that is missing or wrong.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    /// The PACT field (`companyIds`, `fossilCarbonContent`, ...).
    pub field: &'static str,
    /// Where in the inventory it goes (JSON pointer).
    pub pointer: String,
    /// What is wrong.
    pub problem: String,
    /// What to do.
    pub help: String,
}

/// The fields, present and well formed.
pub(super) struct Ready {
    pub company_name: String,
    pub company_ids: Vec<String>,
    pub start: String,
    pub end_exclusive: Instant,
    pub fossil_carbon: f64,
    pub packaging: bool,
}

/// Every requirement product `j` of `inv` does not meet (empty when it can be declared).
pub fn requirements(
    inv: &Inventory,
    m: &Methodology,
    j: usize,
    options: &IssueOptions,
) -> Vec<Requirement> {
    ready(inv, m, j, options).err().unwrap_or_default()
}

/// The fields of product `j`, or every one that is missing.
pub(super) fn ready(
    inv: &Inventory,
    m: &Methodology,
    j: usize,
    options: &IssueOptions,
) -> Result<Ready, Vec<Requirement>> {
    let p = &inv.products[j];
    let at = format!("/products/{j}");
    let mut missing = Vec::new();
    let mut need = |field, pointer: &str, problem: String, help: &str| {
        missing.push(Requirement { field, pointer: pointer.into(), problem, help: help.into() })
    };
    let company_name = options.company_name.clone().or_else(|| inv.meta.company_name.clone());
    if company_name.is_none() {
        need(
            "companyName",
            "/inventory/company/name",
            "the company name is not known".into(),
            "add `name` under [inventory.company], or pass --company",
        );
    }
    let company_ids = if options.company_ids.is_empty() {
        inv.meta.company_ids.clone()
    } else {
        options.company_ids.clone()
    };
    if company_ids.is_empty() {
        need(
            "companyIds",
            "/inventory/company/ids",
            "PACT requires at least one company id (URN)".into(),
            "add `ids = [\"urn:...\"]` under [inventory.company] (e.g. urn:uscc: and the 18 \
             characters of the unified social credit code; docs/inventory.md lists the forms), \
             or pass --company-id",
        );
    }
    if p.product_ids.is_empty() {
        need(
            "productIds",
            &format!("{at}/product_ids"),
            format!("PACT requires at least one product id (URN) for {:?}", p.id.0),
            "add `product_ids = [\"urn:...\"]` to the product (e.g. urn:gtin: and its GTIN; \
             docs/inventory.md lists the forms)",
        );
    }
    let period = options.reference_period.clone().or_else(|| inv.meta.reference_period.clone());
    let mut dates = None;
    match &period {
        None => need(
            "referencePeriodStart/End",
            "/inventory/reference_period",
            "the reference period is not known".into(),
            "add `reference_period = { start = \"2025-01-01\", end = \"2025-12-31\" }` under \
             [inventory], or pass --reference-period START..END",
        ),
        Some((start, end)) => {
            let start_ok = Instant::parse_date(start).is_ok();
            let end = Instant::end_of_date(end);
            if !start_ok {
                need(
                    "referencePeriodStart",
                    "/inventory/reference_period/start",
                    format!("reference period start {start:?} is not a date"),
                    "write dates as YYYY-MM-DD",
                );
            }
            match end {
                Ok(e) if start_ok => dates = Some((start.clone(), e)),
                Ok(_) => {}
                Err(_) => need(
                    "referencePeriodEnd",
                    "/inventory/reference_period/end",
                    format!(
                        "reference period end {:?} is not a date",
                        period.as_ref().map(|x| &x.1)
                    ),
                    "write dates as YYYY-MM-DD",
                ),
            }
        }
    }
    // PACT requires both; an unknown value is never declared as zero.
    if p.fossil_carbon_content.is_none() {
        need(
            "fossilCarbonContent",
            &format!("{at}/fossil_carbon_content"),
            format!("PACT requires the fossil carbon content of {:?}", p.id.0),
            "add `fossil_carbon_content` (kg C per declared unit; 0 when the product contains \
             no fossil carbon) to the product",
        );
    }
    if p.packaging_emissions_included.is_none() {
        need(
            "packagingEmissionsIncluded",
            &format!("{at}/packaging_emissions_included"),
            format!(
                "PACT requires saying whether packaging emissions of {:?} are included",
                p.id.0
            ),
            "add `packaging_emissions_included = true` or `false` to the product",
        );
    }
    // A CBAM good's communication names its production route, where the methodology says so.
    if let Some(rules) = &m.rules.cbam
        && rules.route == Some(RouteRule::Required)
        && let Some((ClassificationScheme::Cn, cn)) = &p.classification
        && let Some(category) = rules.category(cn)
        && inv.processes[p.made_by.0].route.is_none()
    {
        let process = &inv.processes[p.made_by.0];
        need(
            "productionRoute",
            &process.pointer,
            format!(
                "{:?} is a CBAM good ({}) and {} reports its production route, which process \
                 {:?} does not name",
                p.id.0,
                category.name,
                m.id(),
                process.id
            ),
            "add `route = \"...\"` to the process (for example \"crude steel: electric arc \
             furnace\", \"unwrought aluminium: primary (electrolysis)\")",
        );
    }
    match (company_name, dates, p.fossil_carbon_content, p.packaging_emissions_included) {
        (
            Some(company_name),
            Some((start, end_exclusive)),
            Some(fossil_carbon),
            Some(packaging),
        ) if missing.is_empty() => {
            Ok(Ready { company_name, company_ids, start, end_exclusive, fossil_carbon, packaging })
        }
        _ => Err(missing),
    }
}

/// The requirements as the lines of an error or a report.
pub fn render(list: &[Requirement]) -> String {
    list.iter()
        .map(|r| format!("  - {} ({}, at {})\n    help: {}", r.problem, r.field, r.pointer, r.help))
        .collect::<Vec<_>>()
        .join("\n")
}
