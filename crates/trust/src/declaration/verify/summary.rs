//! What a declaration says, as data a buyer reads: the product and declared unit, the footprint
//! and what it is made of, the data behind it (primary data share, DQRs and the share they
//! rate, exempted share), boundary, periods, methodology and the CBAM split, and the supply
//! chain of suppliers' declarations with each one's verdict. The browser verifier and
//! `pcf verify --json` show it beside the checks; it judges nothing itself (the checks do).
//!
//! It reads PACT v3 field names and, for a supplier's plain footprint, the PACT v2 names.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Check;
use pcf_footprint::chart::{self, Bar};

/// The summary of one declaration or PACT footprint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Product name.
    pub product: Option<String>,
    /// Product ids (URNs).
    pub product_ids: Vec<String>,
    /// The company that declares it.
    pub company: Option<String>,
    /// The declared unit, e.g. `1 kilogram`.
    pub declared_unit: Option<String>,
    /// Mass of a declared unit, kg.
    pub mass_per_declared_unit_kg: Option<String>,
    /// The footprint and its parts, kg CO2e per declared unit (biogenic uptake negative).
    pub figures: Vec<Figure>,
    /// Primary data share, percent.
    pub primary_data_share_percent: Option<String>,
    /// The data-quality ratings, with the share of the footprint they rate where stated.
    pub dqr: Option<Dqr>,
    /// The share of the footprint resting on each class of data (pcf's extension).
    pub data_sources: Vec<DataSource>,
    /// Emissions left out under the cut-off rule, percent.
    pub exempted_emissions_percent: Option<String>,
    /// The processes within the boundary, as the issuer describes them.
    pub boundary: Option<String>,
    /// Country (and subdivision) of production.
    pub geography: Option<String>,
    /// The period the activity data covers.
    pub reference_period: Option<Period>,
    /// The period the declaration is valid for.
    pub validity_period: Option<Period>,
    /// PACT `status` (Active or Deprecated).
    pub pact_status: Option<String>,
    /// Cross-sectoral standards and product or sector rules declared.
    pub standards: Vec<String>,
    /// The methodology version pinned by the declaration.
    pub methodology: Option<Methodology>,
    /// For a CBAM good, the specific embedded emissions.
    pub cbam: Option<Cbam>,
}

/// One figure of the footprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// What it is, in words.
    pub name: String,
    /// kg CO2e per declared unit, as declared (a decimal string).
    pub value: String,
    /// Whether it is a part of the footprint excluding biogenic uptake (a row of its chart).
    pub part: bool,
}

/// The data-quality ratings (1 best, 3 worst).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dqr {
    /// Technological representativeness.
    pub technological: String,
    /// Temporal representativeness.
    pub temporal: String,
    /// Geographical representativeness.
    pub geographical: String,
    /// The share of the footprint the ratings cover, percent, where stated.
    pub rated_share_percent: Option<String>,
}

/// One class of data and its share of the footprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataSource {
    /// The class (own measurements, suppliers' signed declarations, ...).
    pub class: String,
    /// Percent of the footprint.
    pub share_percent: String,
}

/// A period of time, as declared.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// Start (RFC 3339).
    pub start: Option<String>,
    /// End (RFC 3339).
    pub end: Option<String>,
    /// How the end was found when no field states it (PACT's default validity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The pinned methodology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Methodology {
    /// Its id, e.g. `pact-3.0`.
    pub id: String,
    /// Its version.
    pub version: String,
    /// The digest of its canonical content.
    pub digest: String,
}

/// The CBAM figures of a good.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cbam {
    /// CN code.
    pub cn_code: Option<String>,
    /// Goods category.
    pub category: Option<String>,
    /// Production route.
    pub route: Option<String>,
    /// Unit of the specific figures (tCO2e/t or tCO2e/MWh).
    pub unit: Option<String>,
    /// Specific direct embedded emissions.
    pub direct: Option<String>,
    /// Specific indirect embedded emissions counted.
    pub indirect: Option<String>,
    /// Specific indirect emissions reported but not counted.
    pub indirect_not_counted: Option<String>,
    /// Share of the embedded emissions based on default values, percent.
    pub default_value_share_percent: Option<String>,
}

/// One supplier's declaration in the supply chain below the one verified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Supplier {
    /// Digest of its canonical JSON.
    pub digest: String,
    /// Product name, where the bundle carries the document.
    pub product: Option<String>,
    /// The supplier.
    pub company: Option<String>,
    /// Its issuer, where signed.
    pub issuer: Option<String>,
    /// Its footprint with its declared unit, in words.
    pub footprint: Option<String>,
    /// Whether its issuer is among those trusted (none for an unsigned footprint or one the
    /// bundle does not carry).
    pub trusted: Option<bool>,
    /// The consumer's check of it, the supplier's verdict in the chain: pass when genuine,
    /// current when consumed and trusted; warn when genuine but untrusted or unsigned; fail
    /// otherwise.
    pub link: Check,
    /// Digests of the suppliers' declarations it consumed in turn.
    pub suppliers: Vec<String>,
}

/// The ProductFootprint in `document`: a credential's subject, or the document itself when it
/// is a plain PACT footprint.
pub fn footprint_of(document: &Value) -> Option<&Value> {
    pcf_footprint::credential::pact_footprint(document)
        .or_else(|| super::plain::plain_footprint(document))
}

/// The summary of `document` (a declaration or a plain PACT footprint); fields it lacks stay
/// empty.
pub fn summary(document: &Value) -> Summary {
    let Some(pf) = footprint_of(document) else { return Summary::default() };
    let pcf = &pf["pcf"];
    let text =
        |v: &Value, names: &[&str]| names.iter().find_map(|n| v[*n].as_str().map(String::from));
    let mut s = Summary {
        product: text(pf, &["productNameCompany"]),
        product_ids: strings(&pf["productIds"]),
        company: text(pf, &["companyName"]),
        declared_unit: declared_unit(pcf),
        mass_per_declared_unit_kg: text(pcf, &["productMassPerDeclaredUnit"]),
        figures: figures(pcf),
        primary_data_share_percent: text(pcf, &["primaryDataShare"]),
        exempted_emissions_percent: text(pcf, &["exemptedEmissionsPercent"]),
        boundary: text(pcf, &["boundaryProcessesDescription"]),
        geography: match (
            text(pcf, &["geographyCountry"]),
            text(pcf, &["geographyCountrySubdivision"]),
        ) {
            (Some(c), Some(sub)) => Some(format!("{c} ({sub})")),
            (c, sub) => c.or(sub).or_else(|| text(pcf, &["geographyRegionOrSubregion"])),
        },
        reference_period: period(pcf, "referencePeriodStart", "referencePeriodEnd"),
        validity_period: validity(document, pf),
        pact_status: text(pf, &["status"]),
        standards: strings(&pcf["crossSectoralStandards"])
            .into_iter()
            .chain(strings(&pcf["crossSectoralStandardsUsed"]))
            .chain(
                pcf["productOrSectorSpecificRules"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(rules),
            )
            .collect(),
        ..Summary::default()
    };
    let quality =
        crate::declaration::extension(document, crate::declaration::quality::DATA_QUALITY_SCHEMA);
    let dqi = &pcf["dqi"];
    if let (Some(t), Some(te), Some(g)) = (
        dqi["technologicalDQR"].as_str(),
        dqi["temporalDQR"].as_str(),
        dqi["geographicalDQR"].as_str(),
    ) {
        s.dqr = Some(Dqr {
            technological: t.into(),
            temporal: te.into(),
            geographical: g.into(),
            rated_share_percent: quality
                .and_then(|q| q["ratedSharePercent"].as_str())
                .or_else(|| dqi["coveragePercent"].as_str())
                .map(String::from),
        });
    }
    s.data_sources = quality
        .and_then(|q| q["dataSources"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|d| {
            Some(DataSource {
                class: d["class"].as_str()?.into(),
                share_percent: d["sharePercent"].as_str()?.into(),
            })
        })
        .collect();
    s.methodology = crate::declaration::provenance(document).map(|p| Methodology {
        id: p.methodology.id,
        version: p.methodology.version,
        digest: p.methodology.digest.to_string(),
    });
    s.cbam = crate::declaration::extension(document, crate::declaration::CBAM_SCHEMA).map(|c| {
        let t = |n: &str| c[n].as_str().map(String::from);
        Cbam {
            cn_code: t("cnCode"),
            category: t("goodsCategory"),
            route: t("productionRoute"),
            unit: t("specificEmissionsUnit"),
            direct: t("specificDirectEmbeddedEmissions"),
            indirect: t("specificIndirectEmbeddedEmissions"),
            indirect_not_counted: t("specificIndirectEmissionsNotCounted"),
            default_value_share_percent: t("defaultValueShare"),
        }
    });
    s
}

/// The footprint of a PACT footprint in words: `12.5 kg CO2e per 1 kilogram`.
pub fn footprint_line(document: &Value) -> Option<String> {
    let s = summary(document);
    let total = s.figures.first()?;
    Some(format!(
        "{} kg CO2e per {}",
        total.value,
        s.declared_unit.as_deref().unwrap_or("declared unit (not stated)")
    ))
}

/// The chart of what the footprint excluding biogenic uptake is made of (fossil, biogenic
/// non-CO2, land-use change, and what the declaration does not itemise), closed by its total;
/// `None` when the declaration states no parts.
pub fn composition_chart(s: &Summary) -> Option<String> {
    let total_figure = s.figures.first()?;
    let total = number(&total_figure.value)?;
    let parts: Vec<(&Figure, f64)> =
        s.figures.iter().filter(|f| f.part).filter_map(|f| Some((f, number(&f.value)?))).collect();
    if parts.is_empty() {
        return None;
    }
    let mut rows: Vec<Bar> = parts.iter().map(|(f, v)| Bar::new(f.name.clone(), *v)).collect();
    let other = total - parts.iter().map(|(_, v)| v).sum::<f64>();
    if other.abs() > 1e-9 * total.abs().max(1.0) {
        rows.push(Bar::new("Other emissions (not itemised)", other));
    }
    let unit = s.declared_unit.as_deref().unwrap_or("declared unit");
    let title = format!(
        "{}: {} kg CO2e per {unit}",
        s.product.as_deref().unwrap_or("Footprint"),
        total_figure.value
    );
    Some(chart::bars(
        &title,
        Some("what the footprint excluding biogenic uptake is made of"),
        "kg CO2e",
        &rows,
    ))
}

fn declared_unit(pcf: &Value) -> Option<String> {
    let unit =
        pcf["declaredUnitOfMeasurement"].as_str().or_else(|| pcf["declaredUnit"].as_str())?;
    let amount =
        pcf["declaredUnitAmount"].as_str().or_else(|| pcf["unitaryProductAmount"].as_str());
    Some(match amount {
        Some(a) => format!("{a} {unit}"),
        None => unit.to_string(),
    })
}

/// The footprint first, then its parts (PACT v3 names, then v2 names).
fn figures(pcf: &Value) -> Vec<Figure> {
    const FIGURES: &[(&[&str], &str, bool)] = &[
        (
            &["pcfExcludingBiogenicUptake", "pCfExcludingBiogenic"],
            "Footprint excluding biogenic uptake",
            false,
        ),
        (
            &["pcfIncludingBiogenicUptake", "pCfIncludingBiogenic"],
            "Footprint including biogenic uptake",
            false,
        ),
        (&["fossilGhgEmissions"], "Fossil GHG emissions", true),
        (
            &["biogenicNonCO2Emissions", "otherBiogenicGhgEmissions"],
            "Biogenic non-CO2 emissions",
            true,
        ),
        (&["landUseChangeGhgEmissions", "dLucGhgEmissions"], "Land-use change", true),
        (&["biogenicCO2Uptake"], "Biogenic CO2 uptake", false),
        (&["biogenicCarbonWithdrawal"], "Biogenic carbon withdrawal", false),
        (&["aircraftGhgEmissions"], "of which air transport", false),
        (&["packagingGhgEmissions"], "of which packaging", false),
    ];
    FIGURES
        .iter()
        .filter_map(|(names, label, part)| {
            let value = names.iter().find_map(|n| pcf[*n].as_str())?;
            Some(Figure { name: (*label).into(), value: value.into(), part: *part })
        })
        .collect()
}

fn period(v: &Value, start: &str, end: &str) -> Option<Period> {
    let (s, e) = (v[start].as_str(), v[end].as_str());
    (s.is_some() || e.is_some()).then(|| Period {
        start: s.map(String::from),
        end: e.map(String::from),
        note: None,
    })
}

/// The footprint's validity period, each end falling back to the credential's (a pcf
/// declaration states its end as the credential's `validUntil`).
fn validity(document: &Value, pf: &Value) -> Option<Period> {
    let own = period(pf, "validityPeriodStart", "validityPeriodEnd");
    let vc = (!std::ptr::eq(pf, document))
        .then(|| period(document, "validFrom", "validUntil"))
        .flatten();
    let mut p = match (own, vc) {
        (Some(o), Some(v)) => {
            Period { start: o.start.or(v.start), end: o.end.or(v.end), note: None }
        }
        (o, v) => o.or(v)?,
    };
    // PACT: without a stated end, a footprint is valid for three years after the end of its
    // reference period (as the validity check judges it).
    if p.end.is_none()
        && let Some(r) = pf["pcf"]["referencePeriodEnd"].as_str()
        && let Ok(r) = pcf_base::time::Instant::parse(r)
    {
        p.end = Some(r.plus_years(3).to_string());
        p.note = Some("PACT's default: the reference period's end + 3 years".into());
    }
    Some(p)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(|x| x.as_str().map(String::from)).collect()
}

fn rules(r: &Value) -> Vec<String> {
    let operator = r["operator"].as_str().or_else(|| r["otherOperatorName"].as_str()).unwrap_or("");
    strings(&r["ruleNames"])
        .into_iter()
        .map(|n| format!("{operator} {n}").trim().to_string())
        .collect()
}

fn number(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|x| x.is_finite())
}
