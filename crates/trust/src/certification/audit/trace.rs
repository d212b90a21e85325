//! The calculation trace: every input, factor, emission, supplier's declaration and
//! certificate the recomputed figures rest on, and what changed between two traces.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{InputChange, leaves};
use crate::certification::certificates::Quantities;
use crate::certification::diff::Version;
use pcf_base::digest::Digest;
use pcf_footprint::engine::{self, Footprint};
use pcf_footprint::inventory::{Inventory, Source};
use pcf_footprint::methodology::Methodology;

/// The trace format name and version.
pub const TRACE_FORMAT: &str = "pcf-trace/1";

/// The calculation trace: everything the recomputed figures rest on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Trace {
    /// Always [`TRACE_FORMAT`].
    pub format: String,
    /// The audited declaration.
    pub declaration: TraceDeclaration,
    /// The methodology applied.
    pub methodology: Version,
    /// The inventory file and digest.
    pub inventory: TraceInventory,
    /// The product.
    pub product: String,
    /// The software.
    pub engine: String,
    /// Every emission factor of the inventory.
    pub factors: Vec<TraceFactor>,
    /// Every input of every process.
    pub inputs: Vec<TraceInput>,
    /// Direct emissions, blends split into gases.
    pub emissions: Vec<TraceEmission>,
    /// Suppliers' declarations consumed.
    pub suppliers: Vec<TraceSupplier>,
    /// Certificates claimed by the recomputed declaration.
    pub certificates: Vec<TraceCertificate>,
    /// The footprint: totals, breakdowns, quality (primary data share), hotspots,
    /// contribution tree, allocation, electricity, exclusions under the cut-off rule.
    pub footprint: Footprint,
    /// The recomputed ProductFootprint `pcf` object.
    pub recomputed_pcf: Value,
}

/// The audited declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceDeclaration {
    /// Digest.
    pub digest: Option<Digest>,
    /// ProductFootprint id.
    pub pf_id: Option<String>,
    /// Issuer DID.
    pub issuer: Option<String>,
    /// Creation time.
    pub created: Option<String>,
}

/// The inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceInventory {
    /// File.
    pub file: String,
    /// Digest.
    pub digest: Digest,
}

/// An emission factor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceFactor {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Unit of activity.
    pub per: String,
    /// kg of each gas per unit.
    pub gases: BTreeMap<String, f64>,
    /// Pre-characterized kg CO2e per unit.
    pub co2e: f64,
    /// Land-use change, kg CO2e per unit.
    pub land_use_change: f64,
    /// Biogenic uptake, kg CO2 per unit.
    pub biogenic_uptake: f64,
    /// Source.
    pub source: String,
    /// Licence.
    pub licence: String,
    /// Dataset.
    pub dataset: Option<String>,
    /// Whether an input or output refers to it.
    pub used: bool,
}

/// An input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceInput {
    /// Process id.
    pub process: String,
    /// Input name.
    pub name: String,
    /// Kind (`product`, `supplier`, `database`, `fuel`, `heat`, `electricity`).
    pub kind: String,
    /// What it refers to: a product id, a supplier's pf id or digest, a factor id.
    pub refers_to: String,
    /// Amount per reference period.
    pub amount: f64,
    /// Unit of the amount.
    pub unit: String,
    /// Stage.
    pub stage: String,
    /// Where its data come from, as the footprint classifies it
    /// ([`pcf_footprint::engine::quality::DataClass`]: `own-measurement`, `supplier-signed`,
    /// `supplier-unsigned`, `supplier-typed`, `secondary`; empty for a product made in the
    /// inventory). Traces before the classification wrote `primary`, `supplier-specific` or
    /// `secondary`, the input's own label.
    pub data: String,
    /// The percent of it that counts as primary data under the methodology.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_percent: Option<f64>,
    /// Reason for exclusion under the cut-off rule.
    pub excluded: Option<String>,
    /// JSON pointer in the inventory.
    pub pointer: String,
}

/// A direct emission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceEmission {
    /// Process id.
    pub process: String,
    /// Gas.
    pub gas: String,
    /// kg per reference period.
    pub kg: f64,
    /// The blend it came from.
    pub blend: Option<String>,
    /// JSON pointer.
    pub pointer: String,
}

/// A supplier's declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceSupplier {
    /// Digest.
    pub digest: Digest,
    /// ProductFootprint id.
    pub pf_id: Option<String>,
    /// Supplier.
    pub company: Option<String>,
    /// Product.
    pub product: String,
    /// kg CO2e per declared unit, excluding uptake.
    pub excluding_uptake: f64,
    /// Declared unit.
    pub unit: String,
    /// Primary data share, percent.
    pub primary_data_share: Option<f64>,
    /// Whether it carries a proof.
    pub signed: bool,
}

/// A certificate claimed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TraceCertificate {
    /// Serial.
    pub serial: String,
    /// kWh claimed by this declaration.
    pub claimed_kwh: f64,
    /// kWh the certificate holds, as the inventory states it.
    pub quantity_kwh: Option<f64>,
    /// Kind.
    pub kind: Option<String>,
}

#[allow(clippy::too_many_arguments)] // one call site; the pieces of the trace
pub(super) fn build_trace(
    declaration: &Value,
    digest: Option<Digest>,
    m: &Methodology,
    inv: &Inventory,
    product: &str,
    claims: &[crate::register::CertificateClaim],
    quantities: &Quantities,
    footprint: Footprint,
    recomputed_pcf: Value,
) -> Trace {
    let mut used = vec![false; inv.factors.len()];
    let mut inputs = Vec::new();
    let mut emissions = Vec::new();
    for (pi, p) in inv.processes.iter().enumerate() {
        for o in &p.outputs {
            if let Some(f) = o.displaces {
                used[f] = true;
            }
        }
        for i in &p.inputs {
            let (kind, refers_to) = match &i.source {
                Source::Product(k) => ("product", inv.products[*k].id.0.clone()),
                Source::Supplier(s) => {
                    let sd = &inv.suppliers[*s];
                    ("supplier", sd.pf_id.clone().unwrap_or_else(|| sd.digest.to_string()))
                }
                Source::Database(f) => {
                    used[*f] = true;
                    ("database", inv.factors[*f].id.clone())
                }
                Source::Fuel(f) => {
                    used[*f] = true;
                    ("fuel", inv.factors[*f].id.clone())
                }
                Source::Heat(f) => {
                    used[*f] = true;
                    ("heat", inv.factors[*f].id.clone())
                }
                Source::Precursor(x) => {
                    let pre = &inv.precursors[*x];
                    if let Some(f) = pre.factor {
                        used[f] = true;
                    }
                    ("precursor", format!("CN {}: {}", pre.cn, pre.basis.describe()))
                }
                Source::Electricity { grid, residual_mix, instruments, .. } => {
                    used[*grid] = true;
                    if let Some(r) = residual_mix {
                        used[*r] = true;
                    }
                    for ins in instruments {
                        if let Some(f) = ins.factor {
                            used[f] = true;
                        }
                    }
                    ("electricity", inv.factors[*grid].id.clone())
                }
            };
            let class = pcf_footprint::engine::quality::of_input(inv, m, pi, i);
            inputs.push(TraceInput {
                process: p.id.clone(),
                name: i.name.clone(),
                kind: kind.into(),
                refers_to,
                amount: i.amount,
                unit: i.unit.symbol().to_string(),
                stage: engine::stage_name(i.stage).into(),
                data: class.map(|c| c.class.name()).unwrap_or_default().into(),
                primary_percent: class.map(|c| 100.0 * c.primary),
                excluded: i.excluded.clone(),
                pointer: i.pointer.clone(),
            });
        }
        for e in &p.emissions {
            emissions.push(TraceEmission {
                process: p.id.clone(),
                gas: e.gas.0.clone(),
                kg: e.kg,
                blend: e.blend.clone(),
                pointer: e.pointer.clone(),
            });
        }
    }
    let factors = inv
        .factors
        .iter()
        .zip(used)
        .map(|(f, used)| TraceFactor {
            id: f.id.clone(),
            name: f.name.clone(),
            per: f.per.symbol().to_string(),
            gases: f.gases.iter().map(|(g, v)| (g.0.clone(), *v)).collect(),
            co2e: f.co2e,
            land_use_change: f.land_use_change,
            biogenic_uptake: f.biogenic_uptake,
            source: f.source.clone(),
            licence: f.licence.clone(),
            dataset: f.dataset.clone(),
            used,
        })
        .collect();
    let suppliers = inv
        .suppliers
        .iter()
        .map(|s| TraceSupplier {
            digest: s.digest,
            pf_id: s.pf_id.clone(),
            company: s.company_name.clone(),
            product: s.product_name.clone(),
            excluding_uptake: s.excluding_uptake,
            unit: s.unit.symbol().to_string(),
            primary_data_share: s.primary_data_share,
            signed: s.signed,
        })
        .collect();
    let certificates = claims
        .iter()
        .map(|c| {
            let q = quantities.0.get(&c.serial);
            TraceCertificate {
                serial: c.serial.to_string(),
                claimed_kwh: c.quantity_kwh.kwh(),
                quantity_kwh: q.map(|q| q.quantity_kwh),
                kind: q.map(|q| q.kind.clone()),
            }
        })
        .collect();
    let pf = crate::declaration::pact_footprint(declaration).unwrap_or(&Value::Null);
    Trace {
        format: TRACE_FORMAT.into(),
        declaration: TraceDeclaration {
            digest,
            pf_id: pf["id"].as_str().map(String::from),
            issuer: match &declaration["issuer"] {
                Value::String(s) => Some(s.clone()),
                other => other["id"].as_str().map(String::from),
            },
            created: pf["created"].as_str().map(String::from),
        },
        methodology: Version::of(m),
        inventory: TraceInventory { file: inv.path.display().to_string(), digest: inv.digest },
        product: product.into(),
        engine: format!("pcf {}", env!("CARGO_PKG_VERSION")),
        factors,
        inputs,
        emissions,
        suppliers,
        certificates,
        footprint,
        recomputed_pcf,
    }
}

/// Inputs and factors that differ between two traces, by factor id and by process and input
/// name.
pub fn compare_traces(old: &Trace, new: &Trace) -> Vec<InputChange> {
    let mut out = Vec::new();
    let by_id = |t: &Trace| -> BTreeMap<String, Value> {
        t.factors
            .iter()
            .map(|f| {
                let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.shift_remove("used");
                }
                (f.id.clone(), v)
            })
            .collect()
    };
    diff_maps("factor", &by_id(old), &by_id(new), &mut out);
    let inputs = |t: &Trace| -> BTreeMap<String, Value> {
        t.inputs
            .iter()
            .map(|i| {
                let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.shift_remove("pointer");
                    m.shift_remove("process");
                    m.shift_remove("name");
                }
                (format!("{}/{}", i.process, i.name), v)
            })
            .collect()
    };
    diff_maps("input", &inputs(old), &inputs(new), &mut out);
    let emissions = |t: &Trace| -> BTreeMap<String, Value> {
        t.emissions
            .iter()
            .map(|e| (format!("{}/{}", e.process, e.gas), serde_json::json!({ "kg": e.kg })))
            .collect()
    };
    diff_maps("emission", &emissions(old), &emissions(new), &mut out);
    out
}

fn diff_maps(
    what: &str,
    old: &BTreeMap<String, Value>,
    new: &BTreeMap<String, Value>,
    out: &mut Vec<InputChange>,
) {
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        match (old.get(k), new.get(k)) {
            (Some(a), Some(b)) => {
                let mut la = BTreeMap::new();
                let mut lb = BTreeMap::new();
                leaves(String::new(), a, &mut la);
                leaves(String::new(), b, &mut lb);
                let mut fields: Vec<&String> = la.keys().chain(lb.keys()).collect();
                fields.sort();
                fields.dedup();
                for f in fields {
                    let (x, y) = (la.get(f), lb.get(f));
                    if x != y {
                        out.push(InputChange {
                            what: what.into(),
                            id: k.clone(),
                            field: f.trim_start_matches('/').to_string(),
                            old: x.cloned(),
                            new: y.cloned(),
                        });
                    }
                }
            }
            (a, b) => out.push(InputChange {
                what: what.into(),
                id: k.clone(),
                field: if a.is_none() { "(added)".into() } else { "(removed)".into() },
                old: a.cloned(),
                new: b.cloned(),
            }),
        }
    }
}
