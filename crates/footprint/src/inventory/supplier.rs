//! Suppliers' declarations as inputs: a PACT ProductFootprint, bare or carried by a pcf
//! declaration (see [`crate::credential`]), read for its per-declared-unit figures. The
//! signature of a signed declaration is checked by the declaration layer, not here.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::units::Unit;
use pcf_base::digest::Digest;

/// The figures of a supplier's declared footprint, per declared unit.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplierDeclaration {
    /// The file.
    pub path: PathBuf,
    /// Digest of the file's canonical JSON.
    pub digest: Digest,
    /// The whole document (for signature verification and for bundling).
    pub document: Value,
    /// PACT ProductFootprint id.
    pub pf_id: Option<String>,
    /// The supplier's name.
    pub company_name: Option<String>,
    /// The supplier's product name.
    pub product_name: String,
    /// Unit of one declared unit.
    pub unit: Unit,
    /// kg CO2e per declared unit, excluding biogenic uptake.
    pub excluding_uptake: f64,
    /// kg CO2e per declared unit, fossil.
    pub fossil: f64,
    /// kg CO2e per declared unit, biogenic non-CO2.
    pub biogenic_non_co2: f64,
    /// kg CO2e per declared unit, land-use change.
    pub land_use_change: f64,
    /// kg CO2 per declared unit removed (positive): the absolute value of `biogenicCO2Uptake`.
    pub biogenic_uptake: f64,
    /// `biogenicCO2Uptake` per declared unit as declared (PACT: zero or negative), so that
    /// the methodology's rule for a value of the wrong sign can be applied.
    pub biogenic_uptake_declared: f64,
    /// The GWP sets the supplier declares (`ipccCharacterizationFactors`, or the deprecated
    /// single `characterizationFactors`), e.g. `["AR6"]`; empty when it declares none.
    pub gwp_sets: Vec<String>,
    /// The standards the supplier declares it followed (`crossSectoralStandards`).
    pub cross_sectoral_standards: Vec<String>,
    /// Primary data share, percent.
    pub primary_data_share: Option<f64>,
    /// Data-quality ratings (technological, temporal, geographical).
    pub dqr: Option<(f64, f64, f64)>,
    /// EU CBAM specific embedded emissions (direct, indirect), kg CO2e per declared unit.
    pub cbam: Option<(f64, f64)>,
    /// The share of those figures based on CBAM default values, percent, where declared
    /// (`defaultValueShare`).
    pub cbam_default_percent: Option<f64>,
    /// The supplier product's CN code (digits), from a `productClassifications` URN
    /// `urn:pact:productclassification:cn:<code>`.
    pub cn: Option<String>,
    /// Whether the document carries a proof (checked by `pcf verify`/`pcf declare`).
    pub signed: bool,
    /// The hourly carbon intensity the declaration carries (a park's electricity), if any.
    pub hourly: Option<super::HourlyIntensity>,
    /// The whole file when it is a pcf bundle (`document` is then its declaration), so that
    /// the declaration can be verified with the suppliers' declarations it carries.
    pub bundle: Option<Value>,
}

impl SupplierDeclaration {
    /// Reads a declaration; the error is a sentence for the inventory error that wraps it.
    pub fn load(path: &Path) -> Result<SupplierDeclaration, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
        let file = pcf_base::canonical::parse_strict(&bytes).map_err(|e| e.to_string())?;
        // A bundle (`pcf bundle`) stands for the declaration it carries.
        let (document, bundle) = match crate::credential::bundle_declaration(&file) {
            Some(declaration) => (declaration.clone(), Some(file)),
            None => (file, None),
        };
        let digest = pcf_base::canonical::digest(&document).map_err(|e| e.to_string())?;
        let mut sd = Self::from_document(path, digest, document)?;
        sd.bundle = bundle;
        Ok(sd)
    }

    fn from_document(path: &Path, digest: Digest, document: Value) -> Result<Self, String> {
        let signed = document.get("proof").is_some();
        // A declaration, or a plain (unsigned) PACT footprint.
        let pf = match document.get("credentialSubject") {
            Some(_) => crate::credential::pact_footprint(&document)
                .ok_or("its credentialSubject holds no PACT product footprint")?,
            None => &document,
        };
        let pcf = pf.get("pcf").ok_or("it has no `pcf` object (not a PACT product footprint)")?;
        let unit_name = pcf
            .get("declaredUnitOfMeasurement")
            .and_then(Value::as_str)
            .ok_or("pcf.declaredUnitOfMeasurement is missing")?;
        let unit: Unit = unit_name.parse().map_err(|_| {
            format!("pcf.declaredUnitOfMeasurement {unit_name:?} is not a unit pcf can convert")
        })?;
        let amount =
            decimal(pcf, "declaredUnitAmount")?.ok_or("pcf.declaredUnitAmount is missing")?;
        if amount.is_nan() || amount <= 0.0 {
            return Err(format!("pcf.declaredUnitAmount is {amount}, not positive"));
        }
        let per = |field: &str| -> Result<f64, String> {
            Ok(decimal(pcf, field)?.unwrap_or(0.0) / amount)
        };
        let excluding_uptake = decimal(pcf, "pcfExcludingBiogenicUptake")?
            .ok_or("pcf.pcfExcludingBiogenicUptake is missing")?
            / amount;
        let fossil = match decimal(pcf, "fossilGhgEmissions")? {
            Some(v) => v / amount,
            None => excluding_uptake,
        };
        let dqr = match pcf.get("dqi") {
            Some(dqi) => {
                let t = decimal(dqi, "technologicalDQR")?;
                let te = decimal(dqi, "temporalDQR")?;
                let g = decimal(dqi, "geographicalDQR")?;
                match (t, te, g) {
                    (Some(a), Some(b), Some(c)) => Some((a, b, c)),
                    _ => None,
                }
            }
            None => None,
        };
        let cbam = pf
            .get("extensions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| x.get("data"))
            .find(|d| d.get("directEmbeddedEmissions").is_some());
        let hourly =
            match pf.get("extensions").and_then(Value::as_array).into_iter().flatten().find(|x| {
                x.get("dataSchema").and_then(Value::as_str) == Some(super::HOURLY_INTENSITY_SCHEMA)
            }) {
                Some(x) => {
                    let h: super::HourlyIntensity =
                        serde_json::from_value(x.get("data").cloned().unwrap_or(Value::Null))
                            .map_err(|e| {
                                format!("its hourly intensity extension is malformed: {e}")
                            })?;
                    if h.delivered.len() != h.kg_co2e_per_unit.len() {
                        return Err(format!(
                            "its hourly intensity extension has {} deliveries but {} intensities",
                            h.delivered.len(),
                            h.kg_co2e_per_unit.len()
                        ));
                    }
                    Some(h)
                }
                None => None,
            };
        let cbam_default_percent = match cbam {
            Some(d) => decimal(d, "defaultValueShare")?,
            None => None,
        };
        let cbam = match cbam {
            Some(d) => Some((
                decimal(d, "directEmbeddedEmissions")?.unwrap_or(0.0) / amount,
                decimal(d, "indirectEmbeddedEmissions")?.unwrap_or(0.0) / amount,
            )),
            None => None,
        };
        const CN_URN: &str = "urn:pact:productclassification:cn:";
        let cn = pf
            .get("productClassifications")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .find_map(|u| {
                let head = u.get(..CN_URN.len())?;
                let code = u.get(CN_URN.len()..)?;
                head.eq_ignore_ascii_case(CN_URN)
                    .then(|| code.chars().filter(char::is_ascii_digit).collect::<String>())
            })
            .filter(|c| !c.is_empty());
        Ok(SupplierDeclaration {
            bundle: None,
            cn,
            path: path.to_path_buf(),
            digest,
            pf_id: pf.get("id").and_then(Value::as_str).map(String::from),
            company_name: pf.get("companyName").and_then(Value::as_str).map(String::from),
            product_name: pf
                .get("productNameCompany")
                .and_then(Value::as_str)
                .unwrap_or("supplier product")
                .to_string(),
            unit,
            excluding_uptake,
            fossil,
            biogenic_non_co2: per("biogenicNonCO2Emissions")?,
            land_use_change: per("landUseChangeGhgEmissions")?,
            biogenic_uptake: per("biogenicCO2Uptake")?.abs(),
            biogenic_uptake_declared: per("biogenicCO2Uptake")?,
            gwp_sets: match strings(pcf, "ipccCharacterizationFactors")? {
                v if v.is_empty() => strings(pcf, "characterizationFactors")?,
                v => v,
            },
            cross_sectoral_standards: strings(pcf, "crossSectoralStandards")?,
            primary_data_share: decimal(pcf, "primaryDataShare")?,
            dqr,
            cbam,
            cbam_default_percent,
            signed,
            hourly,
            document,
        })
    }
}

/// A string or an array of strings (empty when absent).
fn strings(obj: &Value, field: &str) -> Result<Vec<String>, String> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str().map(String::from).ok_or_else(|| format!("{field} has {x}, not a string"))
            })
            .collect(),
        Some(other) => Err(format!("{field} is {other}, not an array of strings")),
    }
}

/// A PACT decimal: a string such as "1.25" (numbers are accepted too).
fn decimal(obj: &Value, field: &str) -> Result<Option<f64>, String> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => match s.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            _ => Err(format!("{field} is {s:?}, not a decimal number")),
        },
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(other) => Err(format!("{field} is {other}, not a decimal string")),
    }
}
