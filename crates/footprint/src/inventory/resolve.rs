//! From text to a validated [`Inventory`]: parse TOML or JSON, check the schema, then resolve
//! ids into indices and amounts into the units of what they refer to.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::convert::ConvertInput;
use super::raw::{self, InputKind, RawInventory, RawQuality, SourceType, Stage};
use super::supplier::SupplierDeclaration;
use super::{
    Emission, Factor, Gas, Input, Instrument, InstrumentTiming, Inventory, InventoryError, Meta,
    Output, Process, Product, ProductId, Quality, Source,
};
use crate::units::{Dimension, Unit};

pub(super) struct Resolver<'a> {
    pub(super) file: String,
    pub(super) base: &'a Path,
    pub(super) raw: &'a RawInventory,
}

impl Resolver<'_> {
    /// The index of the supplier declaration at `rel` (read once per file).
    fn supplier(
        &self,
        rel: &str,
        iat: &str,
        suppliers: &mut Vec<SupplierDeclaration>,
        index: &mut HashMap<std::path::PathBuf, usize>,
    ) -> Result<usize, InventoryError> {
        let full = self.base.join(rel);
        if let Some(&ix) = index.get(&full) {
            return Ok(ix);
        }
        let decl = SupplierDeclaration::load(&full).map_err(|problem| {
            self.invalid(
                format!("{iat}/declaration"),
                format!("supplier declaration {rel:?}: {problem}"),
                "check the path (relative to the inventory) and that the file is a PACT product \
                 footprint or a pcf declaration",
            )
        })?;
        suppliers.push(decl);
        index.insert(full, suppliers.len() - 1);
        Ok(suppliers.len() - 1)
    }

    pub(super) fn invalid(&self, pointer: String, problem: String, help: &str) -> InventoryError {
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
    pub(super) fn convert(
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

    pub(super) fn resolve(
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
        let mut precursors = Vec::new();
        let mut cbam_datasets = Vec::new();
        // The year whose CBAM default values precursors take: the reference period's last.
        let year = meta
            .reference_period
            .as_ref()
            .and_then(|(_, end)| end.get(..4)?.parse::<u32>().ok())
            .unwrap_or(2026);
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
                    physical_for: o.physical_for.iter().map(|(m, x)| (m.clone(), x / k)).collect(),
                    displaces,
                    profile: None,
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
                        let ix = self.supplier(&rel, &iat, &mut suppliers, &mut supplier_ix)?;
                        let s = &suppliers[ix];
                        (
                            Source::Supplier(ix),
                            s.unit,
                            s.product_name.clone(),
                            SourceType::SupplierSpecific,
                        )
                    }
                    InputKind::Precursor => {
                        let factor = match &inp.factor {
                            Some(id) => {
                                Some(self.factor_ref(&factor_ix, format!("{iat}/factor"), id)?)
                            }
                            None => None,
                        };
                        let pre = self.precursor(&iat, inp, year, factor, &mut cbam_datasets)?;
                        precursors.push(pre);
                        (
                            Source::Precursor(precursors.len() - 1),
                            Unit::KG,
                            format!("precursor CN {}", precursors[precursors.len() - 1].cn),
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
                                        period: ins
                                            .period
                                            .as_ref()
                                            .map(|p| (p.start.clone(), p.end.clone())),
                                        region: ins.region.clone(),
                                        timing: InstrumentTiming::None,
                                    });
                                }
                                let supplier = match &inp.declaration {
                                    Some(rel) => Some(self.supplier(
                                        rel,
                                        &iat,
                                        &mut suppliers,
                                        &mut supplier_ix,
                                    )?),
                                    None => None,
                                };
                                Source::Electricity {
                                    grid: fi,
                                    residual_mix,
                                    supplier,
                                    instruments,
                                    region: inp
                                        .region
                                        .clone()
                                        .or_else(|| self.raw.inventory.geography.clone()),
                                }
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
                    InputKind::Product
                    | InputKind::Supplier
                    | InputKind::Database
                    | InputKind::Precursor => Stage::RawMaterialAcquisition,
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
                    precursor: inp.precursor.unwrap_or(matches!(
                        inp.kind,
                        InputKind::Product | InputKind::Supplier | InputKind::Precursor
                    )),
                    quality: q,
                    excluded: inp.excluded.clone(),
                    conversion,
                    profile: None,
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
                allocation_for: p.allocation_for.clone(),
                route: p.route.clone(),
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
            datasets: cbam_datasets,
            precursors,
            grid: None,
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
        InputKind::Precursor => "precursor",
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
        // A stated share belongs to the figure it is stated for, never inherited.
        primary_data_share: q.primary_data_share,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::parse_document;

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
