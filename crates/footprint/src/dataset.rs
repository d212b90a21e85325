//! Emission-factor datasets shipped in `datasets/`, like methodologies: GWP tables (AR4, AR5,
//! AR6), China's electricity emission factors (MEE/NBS), IPCC 2006 default stationary
//! combustion factors, EU CBAM default values, and the factor libraries of what exporters buy:
//! the UK Government (DESNZ) 2024 conversion factors for materials, waste, freight and fuels,
//! and the US EPA supply-chain factors (spend-based, per US dollar). Each names its source,
//! licence and version and is identified by a digest: SHA-256 over the RFC 8785 canonical JSON
//! of the parsed file, so comments and formatting do not change it and any value does.
//! [`search`] finds factors by words in their id, name and category.
//!
//! An inventory refers to a dataset factor as `factor = "dataset:cn-grid@2023"` (dataset id,
//! `@`, factor id) wherever it names a factor. [`expand`] replaces each such reference by an
//! ordinary inventory factor carrying the value, the source, the licence and the dataset's id,
//! version and digest, and returns the datasets used so a declaration can pin them.
//!
//! ```
//! let grid = pcf_footprint::dataset::Dataset::shipped("cn-grid").unwrap();
//! let f = grid.factor("2023").unwrap();
//! assert_eq!(f.gases["co2-fossil"], 0.5306);
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::Error;
use crate::shipped;
use pcf_base::digest::Digest;

pub mod cbam;
mod search;

pub use cbam::{
    CbamDefault, CbamError, CbamGood, CbamLookup, CbamTable, CountryTable, Fallback, Markup,
};
pub use search::{SearchHit, search};

/// The dataset files shipped with pcf, by file name.
const SHIPPED: &[(&str, &str)] = &[
    ("gwp-ar4.toml", include_str!("../../../datasets/gwp-ar4.toml")),
    ("gwp-ar5.toml", include_str!("../../../datasets/gwp-ar5.toml")),
    ("gwp-ar6.toml", include_str!("../../../datasets/gwp-ar6.toml")),
    ("cn-grid.toml", include_str!("../../../datasets/cn-grid.toml")),
    (
        "ipcc-2006-stationary-combustion.toml",
        include_str!("../../../datasets/ipcc-2006-stationary-combustion.toml"),
    ),
    ("eu-cbam-default-values.toml", include_str!("../../../datasets/eu-cbam-default-values.toml")),
    ("uk-desnz-2024.toml", include_str!("../../../datasets/uk-desnz-2024.toml")),
    (
        "us-epa-supply-chain-2022.toml",
        include_str!("../../../datasets/us-epa-supply-chain-2022.toml"),
    ),
];

/// Released versions kept so that declarations pinning them keep verifying, by file name
/// `<id>@<version>.toml` (see `datasets/archive/README.md`). To release a new version of a
/// shipped file, first copy the file as released, byte for byte, to
/// `datasets/archive/<id>@<version>.toml` and add its line here:
/// `("<id>@<version>.toml", include_str!("../../../datasets/archive/<id>@<version>.toml")),`
/// then bump the version in the live file. An archived file is never edited.
const ARCHIVED: &[(&str, &str)] = &[
    ("cn-grid@2026.1.toml", include_str!("../../../datasets/archive/cn-grid@2026.1.toml")),
    ("cn-grid@2026.2.toml", include_str!("../../../datasets/archive/cn-grid@2026.2.toml")),
    (
        "ipcc-2006-stationary-combustion@1.0.0.toml",
        include_str!("../../../datasets/archive/ipcc-2006-stationary-combustion@1.0.0.toml"),
    ),
    (
        "eu-cbam-default-values@2026.1.toml",
        include_str!("../../../datasets/archive/eu-cbam-default-values@2026.1.toml"),
    ),
];

/// The prefix of a dataset reference in an inventory.
pub const REFERENCE_PREFIX: &str = "dataset:";

/// A dataset file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetFile {
    /// What the dataset is.
    pub dataset: Meta,
    /// Emission factors.
    #[serde(default)]
    pub factors: Vec<DatasetFactor>,
    /// A GWP table.
    #[serde(default)]
    pub gwp: Option<GwpTable>,
    /// EU CBAM default values.
    #[serde(default)]
    pub cbam: Option<CbamTable>,
}

/// Identification, source and licence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// Short id (`cn-grid`).
    pub id: String,
    /// Version of this file.
    pub version: String,
    /// Title.
    pub title: String,
    /// Publisher of the data.
    pub publisher: String,
    /// Where the values come from.
    pub source: String,
    /// Under what terms they may be used and redistributed.
    pub licence: String,
    /// Caveats.
    #[serde(default)]
    pub notes: Option<String>,
    /// What the factors are per: a physical activity (`activity`: kg, kWh, tkm) or money spent
    /// (`spend`: environmentally extended input-output averages, secondary data). Optional:
    /// datasets without it keep their digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
    /// The IPCC assessment whose GWP100 values characterize the `co2e` factors (`AR5`), where
    /// the publisher states one. Optional, as `basis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gwp: Option<String>,
}

/// What a dataset's factors are per.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    /// A physical amount of the activity (mass, energy, transport work).
    Activity,
    /// Money spent (spend-based, secondary: an industry average per currency unit).
    Spend,
}

impl Basis {
    /// The name as written in files (`spend`).
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Activity => "activity",
            Basis::Spend => "spend",
        }
    }
}

/// What an electricity emission factor covers. Grid factors come in kinds a standard may
/// accept or refuse: the CO2 from fuel combustion at power plants, a residual mix (the same
/// CO2 after taking out attributes claimed by market instruments), or the whole life cycle of
/// the supply (upstream fuel chains, plant construction, generation, transmission and
/// distribution, in CO2e).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FactorKind {
    /// CO2 from combustion at generation only (e.g. China's MEE/NBS grid CO2 factors).
    CombustionCo2,
    /// Combustion CO2 of the mix left after market-traded attributes are taken out (e.g.
    /// China's factor excluding market-traded non-fossil electricity).
    ResidualCombustionCo2,
    /// Life cycle of the electricity supply, CO2e (e.g. China's electricity carbon footprint
    /// factors).
    LifeCycle,
}

impl FactorKind {
    /// The name as written in files (`life-cycle`).
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::CombustionCo2 => "combustion-co2",
            FactorKind::ResidualCombustionCo2 => "residual-combustion-co2",
            FactorKind::LifeCycle => "life-cycle",
        }
    }
}

/// An emission factor of a dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetFactor {
    /// Id within the dataset.
    pub id: String,
    /// What it describes.
    pub name: String,
    /// Unit of activity.
    pub per: String,
    /// kg of each gas per unit.
    #[serde(default)]
    pub gases: BTreeMap<String, f64>,
    /// Or already characterized kg CO2e per unit.
    #[serde(default)]
    pub co2e: Option<f64>,
    /// The specific publication, where it differs from the dataset's.
    #[serde(default)]
    pub source: Option<String>,
    /// A grouping the publisher uses (`material use (scope 3): Metal`, a NAICS sector),
    /// matched by [`search`] (`pcf dataset search`). Optional: datasets without it keep
    /// their digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// What an electricity factor covers (`combustion-co2`, `residual-combustion-co2`,
    /// `life-cycle`); copied into the inventory factor so a methodology can require a kind.
    /// Optional: datasets without it keep their digests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FactorKind>,
    /// Net calorific value of the fuel (`"48.0 TJ/Gg"`), copied into the inventory factor: an
    /// input metered by mass or volume is converted with it (optional, like `kind`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ncv: Option<String>,
    /// Density of the material (`"0.84 t/m3"`), likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub density: Option<String>,
}

/// A GWP table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GwpTable {
    /// `AR4`, `AR5`, `AR6`.
    pub set: String,
    /// Years.
    pub horizon_years: u32,
    /// kg CO2e per kg of gas.
    pub factors: BTreeMap<String, f64>,
}

/// A loaded dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The parsed file.
    pub file: DatasetFile,
    /// The parsed file as JSON (what the digest covers).
    pub document: Value,
    /// Where it came from: `shipped`, `archived` (an older version shipped with pcf) or a path.
    pub origin: String,
    digest: Digest,
}

/// A dataset, pinned (what a declaration's provenance should carry).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DatasetRef {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Digest.
    pub digest: Digest,
}

impl Dataset {
    /// A shipped dataset by id.
    pub fn shipped(id: &str) -> Result<Dataset, Error> {
        // Parsed once per process: every inventory load that references a shipped dataset
        // asks for it (a shipped file that does not parse is parsed, and fails, each time).
        static PARSED: OnceLock<Mutex<BTreeMap<&'static str, Dataset>>> = OnceLock::new();
        for (name, text) in SHIPPED {
            if name.trim_end_matches(".toml") == id {
                let cache = PARSED.get_or_init(Default::default);
                if let Some(d) = cache.lock().ok().and_then(|c| c.get(name).cloned()) {
                    return Ok(d);
                }
                let d = Dataset::from_text(Path::new(name), text, shipped::LIVE_ORIGIN)?;
                if let Ok(mut c) = cache.lock() {
                    c.insert(*name, d.clone());
                }
                return Ok(d);
            }
        }
        Err(Error::Usage(format!(
            "unknown dataset {id:?}: pcf ships {}",
            SHIPPED.iter().map(|(n, _)| n.trim_end_matches(".toml")).collect::<Vec<_>>().join(", ")
        )))
    }

    /// All shipped datasets.
    pub fn all_shipped() -> Result<Vec<Dataset>, Error> {
        SHIPPED
            .iter()
            .map(|(n, t)| Dataset::from_text(Path::new(n), t, shipped::LIVE_ORIGIN))
            .collect()
    }

    /// The shipped dataset `id` (live or archived) whose digest is `digest`: the file a
    /// declaration pinning that digest was made with. Only files whose parsed id is `id` match.
    pub fn shipped_with_digest(id: &str, digest: &Digest) -> Option<Dataset> {
        shipped_files(id).find(|d| d.id() == id && d.digest() == *digest)
    }

    /// The shipped dataset `id` at `version`, live or archived.
    pub fn shipped_version(id: &str, version: &str) -> Option<Dataset> {
        shipped_files(id).find(|d| d.id() == id && d.version() == version)
    }

    /// Every archived dataset, with its file name `<id>@<version>.toml`.
    pub fn all_archived() -> Result<Vec<(&'static str, Dataset)>, Error> {
        ARCHIVED
            .iter()
            .map(|(n, t)| Ok((*n, Dataset::from_text(Path::new(n), t, shipped::ARCHIVED_ORIGIN)?)))
            .collect()
    }

    /// Whether this is an archived version shipped with pcf (not the live one).
    pub fn is_archived(&self) -> bool {
        self.origin == shipped::ARCHIVED_ORIGIN
    }

    /// Reads a dataset file.
    pub fn load(path: &Path) -> Result<Dataset, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        Dataset::from_text(path, &text, &path.display().to_string())
    }

    /// Parses dataset text (TOML, or JSON for `.json`).
    pub fn from_text(path: &Path, text: &str, origin: &str) -> Result<Dataset, Error> {
        let name = path.display().to_string();
        let document = crate::document::parse_document(&name, path, text)?;
        let file: DatasetFile = serde_json::from_value(document.clone()).map_err(|e| {
            Error::Io { path: name.clone(), message: format!("not a dataset: {e}") }
        })?;
        let digest = pcf_base::canonical::digest(&document)?;
        let bad = |problem: String| Error::Io { path: name.clone(), message: problem };
        for f in &file.factors {
            if f.gases.is_empty() && f.co2e.is_none() {
                return Err(bad(format!("factor {:?} gives neither gases nor co2e", f.id)));
            }
            if f.gases.values().chain(f.co2e.iter()).any(|v| !(v.is_finite() && *v >= 0.0)) {
                return Err(bad(format!(
                    "factor {:?} has a value that is not a non-negative number",
                    f.id
                )));
            }
            if f.per.parse::<crate::units::Unit>().is_err() {
                return Err(bad(format!("factor {:?}: unknown unit {:?}", f.id, f.per)));
            }
        }
        if let Some(c) = &file.cbam {
            c.validate().map_err(|e| bad(format!("CBAM default values: {e}")))?;
        }
        Ok(Dataset { file, document, origin: origin.into(), digest })
    }

    /// The id.
    pub fn id(&self) -> &str {
        &self.file.dataset.id
    }

    /// The version.
    pub fn version(&self) -> &str {
        &self.file.dataset.version
    }

    /// The digest.
    pub fn digest(&self) -> Digest {
        self.digest
    }

    /// The pin of this dataset.
    pub fn reference(&self) -> DatasetRef {
        DatasetRef { id: self.id().into(), version: self.version().into(), digest: self.digest }
    }

    /// A factor by id.
    pub fn factor(&self, id: &str) -> Option<&DatasetFactor> {
        self.file.factors.iter().find(|f| f.id == id)
    }

    /// The CBAM default value of the good `code` (CN code, spaces allowed) from `country`
    /// (ISO 3166-1 alpha-2, or `other`) for `year`, with the fallback to "Other countries and
    /// territories" applied (see [`cbam`]).
    pub fn cbam(&self, code: &str, country: &str, year: u32) -> Result<CbamLookup, CbamError> {
        self.file.cbam.as_ref().ok_or(CbamError::NoTables)?.lookup(code, country, year)
    }

    /// The factor `id` of this dataset: one of its `factors`, or a CBAM default value
    /// (`72071116-CN-2026`, see [`cbam`]).
    pub fn resolve_factor(&self, id: &str) -> Result<Option<Cow<'_, DatasetFactor>>, CbamError> {
        if let Some(f) = self.factor(id) {
            return Ok(Some(Cow::Borrowed(f)));
        }
        match &self.file.cbam {
            Some(c) if !c.tables.is_empty() => Ok(Some(Cow::Owned(c.factor(id)?))),
            _ => Ok(None),
        }
    }
}

/// The shipped files (live first, then archived) whose file name says `id`, parsed; a file
/// that does not parse is skipped here (the tests load every one).
fn shipped_files(id: &str) -> impl Iterator<Item = Dataset> + '_ {
    shipped::files_of(id, SHIPPED, ARCHIVED)
        .filter_map(|(name, text, origin)| Dataset::from_text(Path::new(name), text, origin).ok())
}

/// Replaces every `dataset:ID@FACTOR` reference of an inventory document by an inventory
/// factor (id `dataset.ID.FACTOR`) carrying the dataset's value, source and licence, and
/// returns the datasets used.
pub fn expand(document: &mut Value) -> Result<Vec<DatasetRef>, Error> {
    expand_located(document).map_err(|(_, e)| e)
}

/// [`expand`], with the JSON pointer of the reference an error is about (the first place it
/// is written).
#[allow(clippy::result_large_err)] // taken once per inventory load, on the error path
pub(crate) fn expand_located(document: &mut Value) -> Result<Vec<DatasetRef>, (String, Error)> {
    let mut used: BTreeMap<String, Dataset> = BTreeMap::new();
    let mut added: Vec<Value> = Vec::new();
    let mut refs: Vec<Reference> = Vec::new();
    if let Some(processes) = document.get_mut("processes").and_then(Value::as_array_mut) {
        for (pi, p) in processes.iter_mut().enumerate() {
            for key in ["inputs", "outputs"] {
                let items = p.get_mut(key).and_then(Value::as_array_mut).into_iter().flatten();
                for (ii, item) in items.enumerate() {
                    let at = format!("/processes/{pi}/{key}/{ii}");
                    for field in ["factor", "residual_mix_factor", "displaces"] {
                        rewrite(item.get_mut(field), format!("{at}/{field}"), &mut refs)?;
                    }
                    let instruments = item.get_mut("instruments").and_then(Value::as_array_mut);
                    for (ni, ins) in instruments.into_iter().flatten().enumerate() {
                        let at = format!("{at}/instruments/{ni}/factor");
                        rewrite(ins.get_mut("factor"), at, &mut refs)?;
                    }
                }
            }
        }
    }
    for Reference { dataset: dataset_id, factor: factor_id, pointer } in refs {
        if !used.contains_key(&dataset_id) {
            let ds = Dataset::shipped(&dataset_id).map_err(|e| (pointer.clone(), e))?;
            used.insert(dataset_id.clone(), ds);
        }
        let ds = &used[&dataset_id];
        let found = ds.resolve_factor(&factor_id).map_err(|e| {
            (
                pointer.clone(),
                Error::Usage(format!(
                    "dataset {dataset_id} {}: {e} (`pcf dataset cbam CN --country CC --year \
                     YYYY` looks a value up)",
                    ds.version()
                )),
            )
        })?;
        let f = found.ok_or_else(|| {
            let ids: Vec<&str> = ds.file.factors.iter().map(|f| f.id.as_str()).collect();
            let near = crate::text::nearest(&factor_id, ids.iter().copied())
                .map(|n| format!("; did you mean {n:?}?"))
                .unwrap_or_default();
            let listed = if ids.is_empty() {
                "it has none".to_string()
            } else if ids.len() > 20 {
                format!("it has {} factors", ids.len())
            } else {
                format!("it has: {}", ids.join(", "))
            };
            (
                pointer.clone(),
                Error::Usage(format!(
                    "dataset {dataset_id} {} has no factor {factor_id:?}{near} ({listed}; \
                     `pcf dataset show {dataset_id}` lists them, `pcf dataset search WORD` \
                     finds them)",
                    ds.version()
                )),
            )
        })?;
        let id = local_id(&dataset_id, &factor_id);
        if added.iter().any(|a| a["id"] == id.as_str()) {
            continue;
        }
        let mut factor = json!({
            "id": id,
            "name": f.name,
            "per": f.per,
            "source": match &f.source {
                Some(s) => format!("{} ({})", s, ds.file.dataset.source),
                None => ds.file.dataset.source.clone(),
            },
            "licence": ds.file.dataset.licence,
            "dataset": format!("{} {} {}", ds.id(), ds.version(), ds.digest()),
            "quality": { "source": "secondary" },
        });
        if !f.gases.is_empty() {
            factor["gases"] = json!(f.gases);
        }
        if let Some(c) = f.co2e {
            factor["co2e"] = json!(c);
        }
        if let Some(k) = f.kind {
            factor["kind"] = json!(k);
        }
        for (field, value) in [("ncv", &f.ncv), ("density", &f.density)] {
            if let Some(v) = value {
                factor[field] = json!(v);
            }
        }
        added.push(factor);
    }
    if !added.is_empty() {
        let factors =
            document.as_object_mut().map(|o| o.entry("factors").or_insert_with(|| json!([])));
        match factors.and_then(Value::as_array_mut) {
            Some(list) => {
                for a in added {
                    if let Some(at) = list.iter().position(|x| x["id"] == a["id"]) {
                        return Err((
                            format!("/factors/{at}/id"),
                            Error::Usage(format!(
                                "the inventory already has a factor with id {}; rename it",
                                a["id"]
                            )),
                        ));
                    }
                    list.push(a);
                }
            }
            None => {
                return Err((
                    "/factors".into(),
                    Error::Usage("the inventory's `factors` is not a list".into()),
                ));
            }
        }
    }
    Ok(used.values().map(Dataset::reference).collect())
}

/// A `dataset:ID@FACTOR` reference and where it is first written.
struct Reference {
    dataset: String,
    factor: String,
    pointer: String,
}

#[allow(clippy::result_large_err)] // as expand_located
fn rewrite(
    value: Option<&mut Value>,
    pointer: String,
    refs: &mut Vec<Reference>,
) -> Result<(), (String, Error)> {
    let Some(v) = value else { return Ok(()) };
    let Some(text) = v.as_str() else { return Ok(()) };
    let Some(rest) = text.strip_prefix(REFERENCE_PREFIX) else { return Ok(()) };
    let Some((dataset, factor)) = rest.split_once('@') else {
        return Err((
            pointer,
            Error::Usage(format!(
                "{text:?}: write a dataset reference as dataset:ID@FACTOR, e.g. \
                 dataset:cn-grid@2023"
            )),
        ));
    };
    let (dataset, factor) = (dataset.to_string(), factor.to_string());
    *v = Value::String(local_id(&dataset, &factor));
    if !refs.iter().any(|r| r.dataset == dataset && r.factor == factor) {
        refs.push(Reference { dataset, factor, pointer });
    }
    Ok(())
}

fn local_id(dataset: &str, factor: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '-' }
            })
            .collect()
    };
    format!("dataset.{}.{}", clean(dataset), clean(factor))
}

/// The inventory document of `path` with its dataset references expanded.
pub fn expanded_document(path: &Path, text: &str) -> Result<(Value, Vec<DatasetRef>), Error> {
    let mut document = crate::document::parse_document(&path.display().to_string(), path, text)?;
    let used = expand(&mut document)?;
    Ok((document, used))
}

/// The name under which an expanded inventory is reported (`inventory.toml` ->
/// `inventory.toml+datasets.json`, beside it so suppliers' paths still resolve).
pub fn expanded_path(path: &Path) -> PathBuf {
    let name =
        path.file_name().map_or_else(|| "inventory".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!("{name}+datasets.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_dataset_loads_with_source_and_licence() {
        for d in Dataset::all_shipped().unwrap() {
            assert!(!d.file.dataset.source.is_empty());
            assert!(!d.file.dataset.licence.is_empty());
            assert!(d.digest().to_string().starts_with("sha256:"));
        }
    }

    #[test]
    fn references_expand_into_factors() {
        let mut doc = json!({
            "processes": [{ "inputs": [{ "kind": "electricity", "factor": "dataset:cn-grid@2023" }] }],
        });
        let used = expand(&mut doc).unwrap();
        assert_eq!(used.len(), 1);
        assert_eq!(doc["processes"][0]["inputs"][0]["factor"], "dataset.cn-grid.2023");
        assert_eq!(doc["factors"][0]["gases"]["co2-fossil"], 0.5306);
        let mut bad =
            json!({ "processes": [{ "inputs": [{ "factor": "dataset:cn-grid@1999" }] }] });
        assert!(expand(&mut bad).is_err());
    }
}
