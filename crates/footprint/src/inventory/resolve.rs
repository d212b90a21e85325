//! From text to a validated [`Inventory`]: parse TOML or JSON, check the schema, then resolve
//! ids into indices and amounts into the units of what they refer to.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;

use super::raw::{self, InputKind, RawInventory, RawQuality, SourceType, Stage};
use super::supplier::SupplierDeclaration;
use super::{
    Conversion, Emission, Factor, Gas, Input, Instrument, Inventory, InventoryError, Meta, Output,
    Process, Product, ProductId, Quality, Source,
};
use crate::document::{allowed_values, parse_document, pointer_or_root};
use crate::units::{Dimension, Ratio, Unit};

/// At most this many schema violations are listed.
const MAX_SCHEMA_PROBLEMS: usize = 20;

pub(super) fn load(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
    load_unlocated(path, text).map_err(|e| locate(e, text))
}

/// The error with the line and column of the value it is about, in a TOML file.
fn locate(mut e: InventoryError, text: &str) -> InventoryError {
    match &mut e {
        InventoryError::Invalid { at, pointer, .. } => {
            *at = crate::document::locate(text, pointer);
        }
        InventoryError::Schema { file, problems } => {
            for p in problems.iter_mut() {
                let Some((pointer, message)) = p.split_once(": ") else { continue };
                if let Some(l) = crate::document::locate(text, pointer) {
                    *p = format!("{pointer} ({file}{l}): {message}");
                }
            }
        }
        _ => {}
    }
    e
}

fn load_unlocated(path: &Path, text: &str) -> Result<Inventory, InventoryError> {
    let file = path.display().to_string();
    let original = parse_document(&file, path, text)?;
    // `dataset:ID@FACTOR` references become ordinary factors carrying the shipped dataset's
    // value, source and licence; the datasets used are pinned by digest. Without references
    // the document is the original (no copy: large inventories are large documents).
    let mut expanded = None;
    let mut datasets = Vec::new();
    if mentions_dataset(&original) {
        let mut document = original.clone();
        datasets = crate::dataset::expand_located(&mut document).map_err(|(pointer, e)| {
            InventoryError::Invalid {
                file: file.clone(),
                at: None,
                pointer,
                problem: e.to_string(),
                help: "reference shipped datasets as dataset:ID@FACTOR (see `pcf dataset list`)"
                    .into(),
            }
        })?;
        expanded = Some(document);
    }
    let document = expanded.as_ref().unwrap_or(&original);
    check_schema(&file, document)?;
    let raw = <RawInventory as serde::Deserialize>::deserialize(document).map_err(|e| {
        InventoryError::Schema { file: file.clone(), problems: vec![format!("/: {e}")] }
    })?;
    let digest = pcf_base::canonical::digest(&original).map_err(|e| InventoryError::Invalid {
        file: file.clone(),
        at: None,
        pointer: "/".into(),
        problem: e.to_string(),
        help: "keep numbers within the range JSON tools agree on".into(),
    })?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut inventory = Resolver { file, base, raw: &raw }.resolve(path, digest, original)?;
    inventory.datasets = datasets;
    Ok(inventory)
}

/// A validator's message for people: a value outside a closed list names the allowed values
/// (and the nearest one) instead of "is not valid under any of the schemas listed in the
/// 'oneOf' keyword".
fn schema_message(
    schema: &serde_json::Value,
    pointer: &str,
    e: &jsonschema::ValidationError<'_>,
) -> String {
    use jsonschema::error::ValidationErrorKind as K;
    let closed = matches!(
        e.kind(),
        K::OneOfNotValid { .. } | K::AnyOf { .. } | K::Enum { .. } | K::Constant { .. }
    );
    let allowed = if closed { allowed_values(schema, pointer) } else { Vec::new() };
    if allowed.is_empty() {
        return e.to_string();
    }
    let written = e.instance();
    let near = written
        .as_str()
        .and_then(|w| crate::text::nearest(w, allowed.iter().map(String::as_str)))
        .map(|n| format!("; did you mean {n:?}?"))
        .unwrap_or_default();
    format!("{written} is not one of the allowed values{near} (allowed: {})", allowed.join(", "))
}

/// Whether any string of the document starts like a `dataset:` reference.
fn mentions_dataset(v: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match v {
        J::String(s) => s.starts_with(crate::dataset::REFERENCE_PREFIX),
        J::Array(a) => a.iter().any(mentions_dataset),
        J::Object(o) => o.values().any(mentions_dataset),
        _ => false,
    }
}

fn check_schema(file: &str, document: &serde_json::Value) -> Result<(), InventoryError> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    let validator = VALIDATOR
        .get_or_init(|| jsonschema::validator_for(&super::schema()).map_err(|e| e.to_string()));
    let validator = match validator {
        Ok(v) => v,
        Err(e) => {
            return Err(InventoryError::Schema {
                file: file.into(),
                problems: vec![format!("/: the built-in schema does not compile: {e}")],
            });
        }
    };
    let schema = super::schema();
    let problems: Vec<String> = validator
        .iter_errors(document)
        .take(MAX_SCHEMA_PROBLEMS)
        .map(|e| {
            let pointer = e.instance_path().as_str().to_string();
            format!("{}: {}", pointer_or_root(&pointer), schema_message(&schema, &pointer, &e))
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(InventoryError::Schema { file: file.into(), problems })
    }
}

/// What [`Resolver::convert_input`] converts.
struct ConvertInput<'a> {
    at: &'a str,
    input: &'a raw::RawInput,
    name: &'a str,
    from: Unit,
    to: Unit,
    factor: Option<&'a Factor>,
}

struct Resolver<'a> {
    file: String,
    base: &'a Path,
    raw: &'a RawInventory,
}

impl Resolver<'_> {
    fn invalid(&self, pointer: String, problem: String, help: &str) -> InventoryError {
        InventoryError::Invalid {
            file: self.file.clone(),
            at: None,
            pointer,
            problem,
            help: help.into(),
        }
    }

    fn unit(&self, pointer: String, symbol: &str) -> Result<Unit, InventoryError> {
        symbol
            .parse::<Unit>()
            .map_err(|e| self.invalid(pointer, e.to_string(), "use one of the listed unit symbols"))
    }

    /// Factor converting `amount` in `from` into `to`, or a unit-mismatch error.
    fn convert(
        &self,
        pointer: String,
        from: Unit,
        to: Unit,
        what: &str,
    ) -> Result<f64, InventoryError> {
        from.factor_to(to).map_err(|e| {
            self.invalid(
                pointer,
                format!("{e}: {what} is measured in {to} ({})", to.dimension()),
                &format!("give the amount in a unit of {}", to.dimension()),
            )
        })
    }

    /// A ratio property (`ncv`, `density`), if written.
    fn ratio(&self, pointer: String, text: Option<&str>) -> Result<Option<Ratio>, InventoryError> {
        text.map(|t| {
            t.parse::<Ratio>().map_err(|e| {
                self.invalid(
                    pointer,
                    e.to_string(),
                    "write a number, a space and two units: \"38.931 MJ/Nm3\", \"48.0 TJ/Gg\", \"0.84 t/m3\"",
                )
            })
        })
        .transpose()
    }

    /// The factor converting an input's amount into `to`: directly within a dimension, or
    /// across dimensions through the input's net calorific value and density, then the
    /// factor's (one or two steps: Nm3 -> TJ; t -> TJ; m3 -> kg -> TJ), recorded.
    fn convert_input(
        &self,
        c: ConvertInput<'_>,
    ) -> Result<(f64, Option<Conversion>), InventoryError> {
        let what = format!("{:?}", c.name);
        if c.from.dimension() == c.to.dimension() {
            return Ok((self.convert(format!("{}/unit", c.at), c.from, c.to, &what)?, None));
        }
        let mut properties: Vec<(Ratio, String)> = Vec::new();
        for (field, text) in [("ncv", &c.input.ncv), ("density", &c.input.density)] {
            if let Some(r) = self.ratio(format!("{}/{field}", c.at), text.as_deref())? {
                properties.push((r, format!("{field} {r} (the input)")));
            }
        }
        if let Some(f) = c.factor {
            for (field, r) in [("ncv", f.ncv), ("density", f.density)] {
                let overridden = match field {
                    "ncv" => c.input.ncv.is_some(),
                    _ => c.input.density.is_some(),
                };
                if let (Some(r), false) = (r, overridden) {
                    properties.push((r, format!("{field} {r} (factor {})", f.id)));
                }
            }
        }
        // Breadth-first over at most two properties, each used once.
        let mut paths: Vec<(Unit, f64, Vec<usize>)> = vec![(c.from, 1.0, Vec::new())];
        for _ in 0..2 {
            let mut next = Vec::new();
            for (unit, k, used) in &paths {
                for (i, (r, _)) in properties.iter().enumerate() {
                    if used.contains(&i) {
                        continue;
                    }
                    if let Some((u, step)) = r.step(*unit) {
                        let mut used = used.clone();
                        used.push(i);
                        if u.dimension() == c.to.dimension() {
                            let k = k * step * u.factor_to(c.to).unwrap_or(f64::NAN);
                            let amount = c.input.amount;
                            return Ok((
                                k,
                                Some(Conversion {
                                    pointer: c.at.to_string(),
                                    input: c.name.to_string(),
                                    from: format!("{amount} {}", c.from),
                                    to: format!("{} {}", amount * k, c.to),
                                    via: used.iter().map(|&i| properties[i].1.clone()).collect(),
                                }),
                            ));
                        }
                        next.push((u, k * step, used));
                    }
                }
            }
            paths = next;
        }
        let volumes = [Dimension::Volume, Dimension::NormalVolume];
        let normal_mixup = volumes.contains(&c.from.dimension())
            && properties.iter().any(|(r, _)| {
                let d = r.denominator.dimension();
                volumes.contains(&d) && d != c.from.dimension()
            });
        let ncv_per_mass = properties.iter().any(|(r, _)| {
            r.numerator.dimension() == Dimension::Energy
                && r.denominator.dimension() == Dimension::Mass
        });
        let energy = [c.from.dimension(), c.to.dimension()].contains(&Dimension::Energy);
        let material = if c.from.dimension() == Dimension::Energy { c.to } else { c.from };
        let needs = if c.input.kind == InputKind::Electricity {
            format!(
                "give the electricity in a unit of energy (kWh, MWh, 万kWh, 度), as the factor's {}",
                c.to
            )
        } else if normal_mixup {
            format!(
                "a normal cubic metre (Nm3, 0 °C and 101.325 kPa) is not a cubic metre at \
                 metering conditions: give the amount in Nm3 (converted with the meter's \
                 temperature and pressure), or properties per {}",
                c.from
            )
        } else if energy && volumes.contains(&material.dimension()) && ncv_per_mass {
            format!(
                "give the density on the input (`density = \"<number> kg/{material}\"`), which \
                 with the net calorific value per mass converts it, or the net calorific value \
                 per {material} (`ncv = \"<number> MJ/{material}\"`)"
            )
        } else if energy {
            format!(
                "give the fuel's net calorific value on the input, as `ncv = \"<number> \
                 MJ/{material}\"` (from the supplier's bill, a lab analysis or a national \
                 default), or the amount in {}",
                c.to
            )
        } else if [c.from.dimension(), c.to.dimension()].contains(&Dimension::Mass) {
            format!(
                "give the density on the input, as `density = \"<number> kg/{}\"`, or the \
                 amount in {}",
                if c.from.dimension() == Dimension::Mass { c.to } else { c.from },
                c.to
            )
        } else {
            format!("give the amount in a unit of {}", c.to.dimension())
        };
        Err(self.invalid(
            format!("{}/unit", c.at),
            format!(
                "cannot convert {} ({}) to {} ({}), the unit of the factor of {what}{}",
                c.from,
                c.from.dimension(),
                c.to,
                c.to.dimension(),
                if properties.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} lead{} from {} to no unit of {}",
                        properties.iter().map(|p| p.1.as_str()).collect::<Vec<_>>().join(" and "),
                        if properties.len() == 1 { "s" } else { "" },
                        c.from,
                        c.to.dimension()
                    )
                }
            ),
            &needs,
        ))
    }

    fn resolve(
        self,
        path: &Path,
        digest: pcf_base::digest::Digest,
        document: serde_json::Value,
    ) -> Result<Inventory, InventoryError> {
        let raw = self.raw;
        let meta = Meta {
            name: raw.inventory.name.clone(),
            company_name: raw.inventory.company.as_ref().map(|c| c.name.clone()),
            company_ids: raw
                .inventory
                .company
                .as_ref()
                .map(|c| c.ids.iter().map(|u| u.0.clone()).collect())
                .unwrap_or_default(),
            reference_period: raw
                .inventory
                .reference_period
                .as_ref()
                .map(|p| (p.start.clone(), p.end.clone())),
            geography: raw.inventory.geography.clone(),
            currency: raw.inventory.currency.clone(),
        };
        if let Some((start, end)) = &meta.reference_period {
            // Dates as dates: the schema's `\d` also admits non-ASCII digits, and 2025-02-30
            // has the right shape.
            let date = |field: &str, text: &str| {
                pcf_base::time::Instant::parse_date(text).map_err(|e| {
                    self.invalid(
                        format!("/inventory/reference_period/{field}"),
                        e.to_string(),
                        "write a calendar date as YYYY-MM-DD",
                    )
                })
            };
            if date("start", start)? > date("end", end)? {
                return Err(self.invalid(
                    "/inventory/reference_period".into(),
                    format!("the period starts ({start}) after it ends ({end})"),
                    "swap start and end",
                ));
            }
        }

        // Products: unique ids; makers filled in below.
        let mut product_ix: HashMap<&str, usize> = HashMap::new();
        for (i, p) in raw.products.iter().enumerate() {
            if product_ix.insert(p.id.as_str(), i).is_some() {
                return Err(self.invalid(
                    format!("/products/{i}/id"),
                    format!("product id {:?} is used twice", p.id),
                    "give each product its own id",
                ));
            }
        }
        let mut factor_ix: HashMap<&str, usize> = HashMap::new();
        for (i, f) in raw.factors.iter().enumerate() {
            if factor_ix.insert(f.id.as_str(), i).is_some() {
                return Err(self.invalid(
                    format!("/factors/{i}/id"),
                    format!("factor id {:?} is used twice", f.id),
                    "give each factor its own id",
                ));
            }
        }
        let mut process_ids: HashMap<&str, usize> = HashMap::new();
        for (i, p) in raw.processes.iter().enumerate() {
            if process_ids.insert(p.id.as_str(), i).is_some() {
                return Err(self.invalid(
                    format!("/processes/{i}/id"),
                    format!("process id {:?} is used twice", p.id),
                    "give each process its own id",
                ));
            }
        }

        let factors = raw
            .factors
            .iter()
            .enumerate()
            .map(|(i, f)| self.factor(i, f))
            .collect::<Result<Vec<_>, _>>()?;

        let mut made_by: Vec<Option<(usize, usize)>> = vec![None; raw.products.len()];
        let mut suppliers: Vec<SupplierDeclaration> = Vec::new();
        let mut supplier_ix: HashMap<std::path::PathBuf, usize> = HashMap::new();
        let mut processes = Vec::with_capacity(raw.processes.len());
        for (pi, p) in raw.processes.iter().enumerate() {
            let at = format!("/processes/{pi}");
            let pq = quality(&p.quality, SourceType::Primary, None);
            if p.outputs.is_empty() {
                return Err(self.invalid(
                    format!("{at}/outputs"),
                    format!("process {:?} produces nothing", p.id),
                    "list at least one output (the reference product)",
                ));
            }
            let mut outputs = Vec::with_capacity(p.outputs.len());
            for (oi, o) in p.outputs.iter().enumerate() {
                let oat = format!("{at}/outputs/{oi}");
                let Some(&prod) = product_ix.get(o.product.as_str()) else {
                    return Err(self.unknown_product(format!("{oat}/product"), &o.product));
                };
                if let Some((other, _)) = made_by[prod] {
                    return Err(self.invalid(
                        format!("{oat}/product"),
                        format!(
                            "product {:?} is made by both process {:?} and process {:?}",
                            o.product, raw.processes[other].id, p.id
                        ),
                        "a product is made by one process: split it into two products",
                    ));
                }
                made_by[prod] = Some((pi, oi));
                let rp = &raw.products[prod];
                let declared = declared_unit(rp.declared_unit);
                let unit = self.unit(format!("{oat}/unit"), &o.unit)?;
                let k = self.convert(
                    format!("{oat}/unit"),
                    unit,
                    declared,
                    &format!("product {:?}", rp.id),
                )?;
                let amount = o.amount * k;
                if amount <= 0.0 {
                    return Err(self.invalid(
                        format!("{oat}/amount"),
                        format!("process {:?} makes zero {:?}", p.id, o.product),
                        "give the amount made in the reference period (more than zero)",
                    ));
                }
                let displaces = match &o.displaces {
                    Some(f) => Some(self.factor_ref(&factor_ix, format!("{oat}/displaces"), f)?),
                    None => None,
                };
                outputs.push(Output {
                    product: prod,
                    amount,
                    mass: amount * rp.mass_per_declared_unit,
                    price: o.price.map(|x| x / k),
                    physical: o.physical.map(|x| x / k),
                    displaces,
                    pointer: oat,
                });
            }

            let mut inputs = Vec::with_capacity(p.inputs.len());
            for (ii, inp) in p.inputs.iter().enumerate() {
                let iat = format!("{at}/inputs/{ii}");
                let unit = self.unit(format!("{iat}/unit"), &inp.unit)?;
                let require = |field: &str, v: &Option<String>| -> Result<String, InventoryError> {
                    v.clone().ok_or_else(|| {
                        self.invalid(
                            iat.clone(),
                            format!("an input of kind {:?} needs `{field}`", kind_name(inp.kind)),
                            &format!("add `{field}` to the input"),
                        )
                    })
                };
                let (source, to_unit, name, default_source) = match inp.kind {
                    InputKind::Product => {
                        let id = require("product", &inp.product)?;
                        let Some(&prod) = product_ix.get(id.as_str()) else {
                            return Err(self.unknown_product(format!("{iat}/product"), &id));
                        };
                        let rp = &raw.products[prod];
                        (
                            Source::Product(prod),
                            declared_unit(rp.declared_unit),
                            rp.name.clone(),
                            SourceType::Primary,
                        )
                    }
                    InputKind::Supplier => {
                        let rel = require("declaration", &inp.declaration)?;
                        let full = self.base.join(&rel);
                        let ix = match supplier_ix.get(&full) {
                            Some(&ix) => ix,
                            None => {
                                let decl = SupplierDeclaration::load(&full).map_err(|problem| {
                                    self.invalid(
                                        format!("{iat}/declaration"),
                                        format!("supplier declaration {rel:?}: {problem}"),
                                        "check the path (relative to the inventory) and that the file is a PACT product footprint or a pcf declaration",
                                    )
                                })?;
                                suppliers.push(decl);
                                supplier_ix.insert(full, suppliers.len() - 1);
                                suppliers.len() - 1
                            }
                        };
                        let s = &suppliers[ix];
                        (
                            Source::Supplier(ix),
                            s.unit,
                            s.product_name.clone(),
                            SourceType::SupplierSpecific,
                        )
                    }
                    InputKind::Database
                    | InputKind::Fuel
                    | InputKind::Heat
                    | InputKind::Electricity => {
                        let id = require("factor", &inp.factor)?;
                        let fi = self.factor_ref(&factor_ix, format!("{iat}/factor"), &id)?;
                        let f = &factors[fi];
                        let source = match inp.kind {
                            InputKind::Database => Source::Database(fi),
                            InputKind::Fuel => Source::Fuel(fi),
                            InputKind::Heat => Source::Heat(fi),
                            _ => {
                                if f.per.dimension() != Dimension::Energy {
                                    return Err(self.invalid(
                                        format!("{iat}/factor"),
                                        format!(
                                            "grid factor {:?} is per {}, not per unit of energy",
                                            f.id, f.per
                                        ),
                                        "give electricity factors per kWh or MWh",
                                    ));
                                }
                                let residual_mix = match &inp.residual_mix_factor {
                                    Some(r) => Some(self.factor_ref(
                                        &factor_ix,
                                        format!("{iat}/residual_mix_factor"),
                                        r,
                                    )?),
                                    None => None,
                                };
                                let mut instruments = Vec::new();
                                for (ni, ins) in inp.instruments.iter().enumerate() {
                                    let nat = format!("{iat}/instruments/{ni}");
                                    let iu = self.unit(format!("{nat}/unit"), &ins.unit)?;
                                    let k = self.convert(
                                        format!("{nat}/unit"),
                                        iu,
                                        f.per,
                                        "an electricity instrument",
                                    )?;
                                    let kwh = self.convert(
                                        format!("{nat}/unit"),
                                        iu,
                                        Unit::KWH,
                                        "an electricity instrument",
                                    )?;
                                    let factor = match &ins.factor {
                                        Some(r) => Some(self.factor_ref(
                                            &factor_ix,
                                            format!("{nat}/factor"),
                                            r,
                                        )?),
                                        None => None,
                                    };
                                    let serial = match &ins.serial {
                                        Some(text) => Some(text.parse().map_err(
                                            |e: crate::certificate::CertificateError| {
                                                self.invalid(
                                                    format!("{nat}/serial"),
                                                    e.to_string(),
                                                    "write the serial as the registry issued it, \
                                                     or leave it out",
                                                )
                                            },
                                        )?),
                                        None => None,
                                    };
                                    instruments.push(Instrument {
                                        kind: ins.kind,
                                        serial,
                                        quantity: ins.quantity * k,
                                        quantity_kwh: ins.quantity * kwh,
                                        factor,
                                        technology: ins.technology.clone(),
                                    });
                                }
                                Source::Electricity { grid: fi, residual_mix, instruments }
                            }
                        };
                        (source, f.per, f.name.clone(), SourceType::Secondary)
                    }
                };
                if inp.kind != InputKind::Electricity && !inp.instruments.is_empty() {
                    return Err(self.invalid(
                        format!("{iat}/instruments"),
                        "only electricity inputs carry instruments".into(),
                        "remove `instruments` or make the input kind \"electricity\"",
                    ));
                }
                let factor = match &source {
                    Source::Database(fi) | Source::Fuel(fi) | Source::Heat(fi) => {
                        Some(&factors[*fi])
                    }
                    Source::Electricity { grid, .. } => Some(&factors[*grid]),
                    _ => None,
                };
                let (k, conversion) = self.convert_input(ConvertInput {
                    at: &iat,
                    input: inp,
                    name: inp.name.as_deref().unwrap_or(&name),
                    from: unit,
                    to: to_unit,
                    factor,
                })?;
                let default_stage = match inp.kind {
                    InputKind::Product | InputKind::Supplier | InputKind::Database => {
                        Stage::RawMaterialAcquisition
                    }
                    _ => p.stage.unwrap_or(Stage::Production),
                };
                // The activity data of an input is the process's own (measured) data; the
                // factor's source type is what counts for primary data share.
                // Purchases carry their own quality (the factor's, or the supplier's); only
                // products made in this file inherit the process's ratings.
                let parent = matches!(inp.kind, InputKind::Product).then_some(&pq);
                let q = quality(&inp.quality, default_source, parent);
                inputs.push(Input {
                    name: inp.name.clone().unwrap_or(name),
                    source,
                    amount: inp.amount * k,
                    unit: to_unit,
                    stage: inp.stage.unwrap_or(default_stage),
                    precursor: inp
                        .precursor
                        .unwrap_or(matches!(inp.kind, InputKind::Product | InputKind::Supplier)),
                    quality: q,
                    excluded: inp.excluded.clone(),
                    conversion,
                    pointer: iat,
                });
            }

            let mut emissions = Vec::new();
            for (ei, e) in p.emissions.iter().enumerate() {
                let eat = format!("{at}/emissions/{ei}");
                let unit = self.unit(format!("{eat}/unit"), &e.unit)?;
                let kg = e.amount
                    * self.convert(format!("{eat}/unit"), unit, Unit::KG, "an emission")?;
                let q = quality(&e.quality, SourceType::Primary, Some(&pq));
                match &e.composition {
                    None => emissions.push(Emission {
                        gas: self.gas(format!("{eat}/gas"), &e.gas)?,
                        kg,
                        blend: None,
                        quality: q,
                        pointer: eat,
                    }),
                    Some(parts) => {
                        let total: f64 = parts.values().sum();
                        if (total - 1.0).abs() > 1e-6
                            || parts.values().any(|x| x.is_nan() || *x < 0.0)
                        {
                            return Err(self.invalid(
                                format!("{eat}/composition"),
                                format!(
                                    "the mass fractions of blend {:?} sum to {total}, not 1",
                                    e.gas
                                ),
                                "give each component's mass fraction so that they sum to 1",
                            ));
                        }
                        for (g, frac) in parts {
                            emissions.push(Emission {
                                gas: self.gas(format!("{eat}/composition/{g}"), g)?,
                                kg: kg * frac,
                                blend: Some(e.gas.clone()),
                                quality: q.clone(),
                                pointer: eat.clone(),
                            });
                        }
                    }
                }
            }
            let mass_of =
                |a: &Option<raw::RawAmount>, field: &str| -> Result<f64, InventoryError> {
                    match a {
                        None => Ok(0.0),
                        Some(a) => {
                            let u = self.unit(format!("{at}/{field}/unit"), &a.unit)?;
                            Ok(a.amount
                                * self.convert(format!("{at}/{field}/unit"), u, Unit::KG, field)?)
                        }
                    }
                };
            processes.push(Process {
                id: p.id.clone(),
                name: p.name.clone(),
                stage: p.stage.unwrap_or(Stage::Production),
                geography: p.geography.clone().or_else(|| meta.geography.clone()),
                allocation: p.allocation,
                outputs,
                inputs,
                emissions,
                biogenic_uptake: mass_of(&p.biogenic_uptake, "biogenic_uptake")?,
                land_use_change: mass_of(
                    &p.land_use_change
                        .as_ref()
                        .map(|a| raw::RawAmount { amount: a.amount, unit: a.unit.clone() }),
                    "land_use_change",
                )?,
                quality: pq,
                pointer: at,
            });
        }

        let mut products = Vec::with_capacity(raw.products.len());
        for (i, p) in raw.products.iter().enumerate() {
            let Some(made) = made_by[i] else {
                return Err(self.invalid(
                    format!("/products/{i}"),
                    format!("no process makes product {:?}", p.id),
                    "add it as an output of a process, or remove it from `products`",
                ));
            };
            products.push(Product {
                id: ProductId(p.id.clone()),
                name: p.name.clone(),
                description: p.description.clone(),
                declared_unit: p.declared_unit,
                unit: declared_unit(p.declared_unit),
                mass_per_declared_unit: p.mass_per_declared_unit,
                product_ids: p.product_ids.iter().map(|u| u.0.clone()).collect(),
                classification: p
                    .classification
                    .as_ref()
                    .map(|c| (c.scheme, c.code.chars().filter(char::is_ascii_digit).collect())),
                fossil_carbon_content: p.fossil_carbon_content,
                biogenic_carbon_content: p.biogenic_carbon_content,
                packaging_emissions_included: p.packaging_emissions_included,
                made_by: made,
            });
        }

        Ok(Inventory {
            path: path.to_path_buf(),
            digest,
            document,
            meta,
            products,
            processes,
            factors,
            suppliers,
            datasets: Vec::new(),
        })
    }

    fn unknown_product(&self, pointer: String, id: &str) -> InventoryError {
        let known: Vec<&str> = self.raw.products.iter().map(|p| p.id.as_str()).collect();
        self.invalid(
            pointer,
            format!("unknown product {id:?}"),
            &format!("use one of the ids in `products` ({})", known.join(", ")),
        )
    }

    fn factor_ref(
        &self,
        index: &HashMap<&str, usize>,
        pointer: String,
        id: &str,
    ) -> Result<usize, InventoryError> {
        index.get(id).copied().ok_or_else(|| {
            let known: Vec<&str> = self.raw.factors.iter().map(|f| f.id.as_str()).collect();
            self.invalid(
                pointer,
                format!("unknown factor {id:?}"),
                &if known.is_empty() {
                    "add it to `factors` with its value, source and licence".to_string()
                } else {
                    format!(
                        "use one of the ids in `factors` ({}) or add it there",
                        known.join(", ")
                    )
                },
            )
        })
    }

    fn gas(&self, pointer: String, name: &str) -> Result<Gas, InventoryError> {
        let ok = !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Gas(name.to_string()))
        } else {
            Err(self.invalid(
                pointer,
                format!("{name:?} is not a gas name"),
                "write gases in lower case, e.g. co2-fossil, ch4-non-fossil, n2o, hfc-134a",
            ))
        }
    }

    fn factor(&self, i: usize, f: &raw::RawFactor) -> Result<Factor, InventoryError> {
        let at = format!("/factors/{i}");
        let per = self.unit(format!("{at}/per"), &f.per)?;
        if f.gases.is_none() && f.co2e.is_none() {
            return Err(self.invalid(
                at,
                format!("factor {:?} gives neither `gases` nor `co2e`", f.id),
                "give the emissions per unit by gas (preferred) or as kg CO2e",
            ));
        }
        let mut gases = BTreeMap::new();
        for (g, v) in f.gases.iter().flatten() {
            let gp = format!("{at}/gases/{g}");
            if !(v.is_finite() && *v >= 0.0) {
                return Err(self.invalid(
                    gp,
                    format!("{v} is not a non-negative amount"),
                    "give kg of gas per unit",
                ));
            }
            gases.insert(self.gas(gp, g)?, *v);
        }
        Ok(Factor {
            id: f.id.clone(),
            name: f.name.clone(),
            per,
            gases,
            co2e: f.co2e.unwrap_or(0.0),
            land_use_change: f.land_use_change.unwrap_or(0.0),
            biogenic_uptake: f.biogenic_uptake.unwrap_or(0.0),
            source: f.source.clone(),
            licence: f.licence.clone(),
            dataset: f.dataset.clone(),
            kind: f.kind,
            ncv: self.ratio(format!("{at}/ncv"), f.ncv.as_deref())?,
            density: self.ratio(format!("{at}/density"), f.density.as_deref())?,
            quality: quality(&f.quality, SourceType::Secondary, None),
            pointer: at,
        })
    }
}

fn kind_name(k: InputKind) -> &'static str {
    match k {
        InputKind::Product => "product",
        InputKind::Supplier => "supplier",
        InputKind::Database => "database",
        InputKind::Fuel => "fuel",
        InputKind::Electricity => "electricity",
        InputKind::Heat => "heat",
    }
}

/// The unit of measure of a PACT declared unit.
pub(crate) fn declared_unit(d: raw::DeclaredUnit) -> Unit {
    use raw::DeclaredUnit as D;
    let symbol = match d {
        D::Kilogram => "kg",
        D::Liter => "l",
        D::CubicMeter => "m3",
        D::KilowattHour => "kWh",
        D::Megajoule => "MJ",
        D::TonKilometer => "tkm",
        D::SquareMeter => "m2",
        D::Piece => "piece",
    };
    // Every declared unit maps to a symbol in the unit table (checked by a unit test).
    symbol.parse().unwrap_or(Unit::KG)
}

/// Resolves a quality block: explicit values, else the parent's, else the default source.
fn quality(q: &RawQuality, default_source: SourceType, parent: Option<&Quality>) -> Quality {
    Quality {
        source: q.source.unwrap_or(default_source),
        technological: q.technological.or(parent.and_then(|p| p.technological)),
        temporal: q.temporal.or(parent.and_then(|p| p.temporal)),
        geographical: q.geographical.or(parent.and_then(|p| p.geographical)),
        reference_period: q
            .reference_period
            .as_ref()
            .map(|p| (p.start.clone(), p.end.clone()))
            .or_else(|| parent.and_then(|p| p.reference_period.clone())),
        geography: q.geography.clone().or_else(|| parent.and_then(|p| p.geography.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_declared_unit_has_a_unit() {
        use raw::DeclaredUnit as D;
        // Each PACT declared unit, the symbol it must map to, its dimension and its size in the
        // dimension's base unit (kg, MJ, m3, m2, piece, tkm), written out by hand. A symbol
        // missing from the unit table would fall back to `kg` and fail the symbol check (and,
        // except for the kilogram itself, the dimension check).
        let expected = [
            (D::Kilogram, "kg", Dimension::Mass, 1.0),
            (D::Liter, "l", Dimension::Volume, 1e-3),
            (D::CubicMeter, "m3", Dimension::Volume, 1.0),
            (D::KilowattHour, "kWh", Dimension::Energy, 3.6),
            (D::Megajoule, "MJ", Dimension::Energy, 1.0),
            (D::TonKilometer, "tkm", Dimension::TransportWork, 1.0),
            (D::SquareMeter, "m2", Dimension::Area, 1.0),
            (D::Piece, "piece", Dimension::Count, 1.0),
        ];
        for (d, symbol, dimension, in_base) in expected {
            let unit = declared_unit(d);
            assert_eq!(unit.symbol(), symbol, "{d:?}");
            assert_eq!(unit.dimension(), dimension, "{d:?}");
            let base = match dimension {
                Dimension::Mass => "kg",
                Dimension::Energy => "MJ",
                Dimension::Volume => "m3",
                Dimension::Area => "m2",
                Dimension::Count => "piece",
                Dimension::TransportWork => "tkm",
                Dimension::NormalVolume => "Nm3",
                Dimension::Money => "USD",
            };
            let base: Unit = base.parse().unwrap();
            assert_eq!(unit.factor_to(base).unwrap(), in_base, "{d:?}");
            // And the unit is the one the table gives for that symbol.
            assert_eq!(unit, symbol.parse::<Unit>().unwrap(), "{d:?}");
        }
    }

    #[test]
    fn document_errors_keep_their_messages_as_inventory_errors() {
        let cases = [("f.toml", "a = "), ("f.toml", "n = 9007199254740993"), ("f.json", "{,}")];
        for (file, text) in cases {
            let e = parse_document(file, Path::new(file), text).unwrap_err();
            assert_eq!(InventoryError::from(e.clone()).to_string(), e.to_string(), "{text}");
        }
    }
}
