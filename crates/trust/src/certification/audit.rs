//! Audits: a declaration re-run from the disclosed inventory under the methodology it pins
//! (shipped, carried by the bundle, or given, always found by digest), compared with what was
//! declared: the inventory digest, the methodology digest, every ProductFootprint figure at the
//! declared precision, the CBAM split, the certificates claimed and the suppliers' declarations
//! consumed. The recomputation goes through [`crate::declaration::issue`] itself (with a
//! throwaway key and the declaration's own creation time), so the comparison is with what pcf
//! would declare today from the same inputs.
//!
//! The audit also produces the calculation [`Trace`] (every input, factor with its source and
//! licence, allocation, exclusion under the cut-off rule, contribution, primary data share and
//! certificate serial) and a Markdown report with an SVG contribution chart. Given the trace
//! filed with an earlier audit, the inputs and factors that changed since are named by id.

use std::collections::BTreeMap;
use std::fmt;
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::certificates::{self, Claim, Finding, Quantities};
use super::diff::Version;
use crate::Error;
use crate::declaration::bundle::Bundle;
use crate::declaration::pact::Decimal;
use crate::declaration::{self, IssueOptions};
use crate::register::Register;
use pcf_base::digest::Digest;
use pcf_footprint::chart::{self, Bar};
use pcf_footprint::engine::{self, Footprint};
use pcf_footprint::inventory::{Inventory, Source};
use pcf_footprint::methodology::Methodology;

/// The trace format name and version.
pub const TRACE_FORMAT: &str = "pcf-trace/1";

/// What to audit with.
#[derive(Debug, Default)]
pub struct AuditOptions<'a> {
    /// The product of the inventory (else found by the declaration's product ids).
    pub product: Option<String>,
    /// A methodology file given by the auditor (used only if its digest is the pinned one,
    /// else reported as a difference and used anyway).
    pub methodology: Option<&'a Methodology>,
    /// The trace filed with an earlier audit, to name changed inputs and factors.
    pub previous_trace: Option<&'a Trace>,
    /// The issuer's register, to check certificate claims across its declarations.
    pub register: Option<&'a Register>,
    /// How the declaration itself is verified first (as by `pcf verify`).
    pub verify: crate::declaration::VerifyOptions,
}

/// Whether the declaration is reproduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditVerdict {
    /// Same digests, same figures at the declared precision, no double counting.
    Identical,
    /// Something differs (see the checks).
    Differs,
}

/// The result of one comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckResult {
    /// Declared and recomputed agree.
    Same,
    /// They do not.
    Differs,
    /// Information for the auditor; no comparison.
    Note,
}

/// One comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditCheck {
    /// What was compared.
    pub name: String,
    /// The result.
    pub result: CheckResult,
    /// Details.
    pub detail: String,
}

/// A declared field and its recomputed value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldComparison {
    /// Path in the credential subject (`pcf/pcfExcludingBiogenicUptake`).
    pub field: String,
    /// As declared.
    pub declared: Option<Value>,
    /// As recomputed.
    pub recomputed: Option<Value>,
    /// Recomputed minus declared, for decimals.
    pub difference: Option<f64>,
    /// Whether they agree.
    pub same: bool,
}

/// An input or factor that changed since the previous trace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputChange {
    /// `factor` or `input`.
    pub what: String,
    /// Factor id, or `process/input name`.
    pub id: String,
    /// The field that changed (`gases/co2-fossil`, `amount`, `source`...), or `(added)` /
    /// `(removed)`.
    pub field: String,
    /// Previous value.
    pub old: Option<Value>,
    /// Current value.
    pub new: Option<Value>,
}

/// What an audit found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditReport {
    /// The verdict.
    pub verdict: AuditVerdict,
    /// Digest of the declaration.
    pub declaration: Option<Digest>,
    /// Its ProductFootprint id.
    pub pf_id: Option<String>,
    /// The inventory product audited.
    pub product: String,
    /// The comparisons.
    pub checks: Vec<AuditCheck>,
    /// Every compared field.
    pub fields: Vec<FieldComparison>,
    /// Inputs and factors changed since the previous trace (empty without one).
    pub changes: Vec<InputChange>,
    /// Certificate findings.
    pub certificates: Vec<Finding>,
}

/// A full audit: the report and the calculation trace.
#[derive(Debug, Clone)]
pub struct Audit {
    /// What was found.
    pub report: AuditReport,
    /// How the figures were computed.
    pub trace: Trace,
}

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
    /// Data source type (`primary`, `supplier-specific`, `secondary`).
    pub data: String,
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

/// Audits `declaration` against `inventory`.
pub fn audit(
    declaration: &Value,
    bundle: Option<&Bundle>,
    inventory: &Inventory,
    options: &AuditOptions<'_>,
) -> Result<Audit, Error> {
    let prov = declaration::provenance(declaration).ok_or_else(|| {
        super::CertificationError::Document {
            file: "declaration".into(),
            problem: "not a pcf declaration: it has no provenance extension".into(),
        }
    })?;
    let subject = &declaration["credentialSubject"];
    let digest = pcf_base::canonical::digest(declaration).ok();
    let mut checks = Vec::new();
    let mut add = |name: &str, result: CheckResult, detail: String| {
        checks.push(AuditCheck { name: name.into(), result, detail });
    };

    // The declaration itself, verified as `pcf verify` does (issuer trust is not the audit's
    // question; that the named issuer signed it is).
    // The suppliers' declarations the inventory names stand in for a bundle's.
    let mut carried = bundle.cloned().unwrap_or_else(|| Bundle::new(declaration.clone()));
    for s in &inventory.suppliers {
        carried.add_upstream(s.bundle.clone().unwrap_or_else(|| s.document.clone()));
    }
    let verified = declaration::verify::verify(declaration, Some(&carried), &options.verify);
    if verified.is_genuine() {
        add(
            "declaration",
            CheckResult::Same,
            format!(
                "genuine: signed by its issuer {}, every check of pcf verify passes",
                verified.issuer.as_deref().unwrap_or("?")
            ),
        );
    } else {
        add(
            "declaration",
            CheckResult::Differs,
            format!("does not verify: {}", verified.failure_summary(&["issuer"])),
        );
    }

    // Methodology, found by digest.
    let pinned = &prov.methodology;
    let methodology = match super::pinned_methodology(declaration, bundle, options.methodology) {
        Ok(m) => {
            add(
                "methodology",
                CheckResult::Same,
                format!("{} {} ({}), from {}", m.id(), m.version(), m.digest(), m.origin),
            );
            m
        }
        Err(e) => match options.methodology {
            Some(given) => {
                add(
                    "methodology",
                    CheckResult::Differs,
                    format!(
                        "pinned {} {} ({}), but the given file is {} {} ({}); recomputed with the given file",
                        pinned.id,
                        pinned.version,
                        pinned.digest,
                        given.id(),
                        given.version(),
                        given.digest()
                    ),
                );
                given.clone()
            }
            None => return Err(e),
        },
    };

    // Inventory digest.
    if inventory.digest == prov.inventory_digest {
        add("inventory", CheckResult::Same, format!("digest {}", inventory.digest));
    } else {
        add(
            "inventory",
            CheckResult::Differs,
            format!(
                "declared {}, given {}{}",
                prov.inventory_digest,
                inventory.digest,
                if options.previous_trace.is_none() {
                    " (give the trace filed with the original audit, --trace, to name the changed inputs and factors)"
                } else {
                    ""
                }
            ),
        );
    }

    // The product.
    let j = find_product(inventory, subject, options.product.as_deref())?;
    let product = inventory.products[j].id.0.clone();
    add(
        "product",
        CheckResult::Same,
        format!(
            "{product} ({}), product ids {}",
            inventory.products[j].name,
            inventory.products[j].product_ids.join(", ")
        ),
    );

    // Recompute through the issuing code path.
    let key = crate::keys::generate()?;
    let period = match &inventory.meta.reference_period {
        Some(_) => None,
        None => declared_period(subject),
    };
    let issue_options = IssueOptions {
        company_name: subject["companyName"].as_str().map(String::from),
        company_ids: strings(&subject["companyIds"]),
        reference_period: period,
        created: subject["created"].as_str().map(String::from),
        supersedes: None,
        danger_accept_unverified_upstream: true,
        comment: None,
    };
    let recomputed = declaration::issue(inventory, &methodology, &product, &key, &issue_options)?;
    let new_subject = &recomputed.document["credentialSubject"];

    // Field by field.
    let fields = compare_fields(declaration, subject, &recomputed.document, new_subject);
    let differing: Vec<&FieldComparison> = fields.iter().filter(|f| !f.same).collect();
    if differing.is_empty() {
        add(
            "figures",
            CheckResult::Same,
            format!(
                "{} fields identical at the declared precision ({} decimals)",
                fields.len(),
                methodology.rules.reporting.decimal_places
            ),
        );
    } else {
        add(
            "figures",
            CheckResult::Differs,
            differing.iter().map(|f| describe(f)).collect::<Vec<_>>().join("; "),
        );
    }

    // Upstream.
    let declared_up: Vec<Digest> = prov.upstream.iter().map(|u| u.digest).collect();
    let new_up: Vec<Digest> = recomputed.upstream.iter().map(|u| u.digest).collect();
    if declared_up == new_up {
        add(
            "upstream",
            CheckResult::Same,
            format!("{} supplier declaration(s), same digests", declared_up.len()),
        );
    } else {
        add(
            "upstream",
            CheckResult::Differs,
            format!("declared {}, recomputed {}", list(&declared_up), list(&new_up)),
        );
    }

    // Certificates: quantities from the inventory, claims across the register.
    let (quantities, mut cert_findings) = Quantities::from_inventory(inventory);
    let extra: Vec<(pcf_footprint::certificate::CertificateSerial, Claim)> = match digest {
        Some(d) => prov
            .certificates
            .iter()
            .map(|c| {
                (
                    c.serial.clone(),
                    Claim {
                        declaration: d,
                        pf_id: subject["id"].as_str().unwrap_or_default().to_string(),
                        seq: None,
                        kwh: c.quantity_kwh.clone(),
                    },
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let mut all_quantities = quantities.clone();
    if let Some(reg) = options.register {
        let (recorded, conflicts) = certificates::recorded(reg)?;
        cert_findings.extend(conflicts);
        cert_findings.extend(all_quantities.merge(recorded));
    }
    cert_findings.extend(certificates::double_counting_with(
        options.register,
        &all_quantities,
        &extra,
    )?);
    let errors: Vec<&Finding> = cert_findings.iter().filter(|f| f.is_error()).collect();
    if prov.certificates.is_empty() && cert_findings.is_empty() {
        add("certificates", CheckResult::Same, "no certificates claimed".into());
    } else if errors.is_empty() {
        add(
            "certificates",
            CheckResult::Same,
            format!(
                "{} serial(s) claimed, none beyond its quantity{}",
                prov.certificates.len(),
                if options.register.is_some() {
                    " across the register's active declarations"
                } else {
                    " (pass --register to check the issuer's other declarations)"
                }
            ),
        );
    } else {
        add(
            "certificates",
            CheckResult::Differs,
            errors
                .iter()
                .map(|f| format!("{}: {}", f.serial, f.detail))
                .collect::<Vec<_>>()
                .join("; "),
        );
    }

    // Trace.
    let footprints = engine::footprint(inventory, &methodology)?;
    let footprint = footprints
        .products
        .into_iter()
        .find(|p| p.product == product)
        .ok_or_else(|| Error::Usage(format!("no footprint for {product}")))?;
    let trace = build_trace(
        declaration,
        digest,
        &methodology,
        inventory,
        &product,
        &recomputed.certificates,
        &quantities,
        footprint,
        new_subject["pcf"].clone(),
    );
    let changes = match options.previous_trace {
        Some(old) => compare_traces(old, &trace),
        None => Vec::new(),
    };
    if options.previous_trace.is_some() {
        if changes.is_empty() {
            add("inputs and factors", CheckResult::Same, "same as in the previous trace".into());
        } else {
            add(
                "inputs and factors",
                CheckResult::Differs,
                changes
                    .iter()
                    .map(|c| {
                        format!(
                            "{} {} {}: {} -> {}",
                            c.what,
                            c.id,
                            c.field,
                            show(&c.old),
                            show(&c.new)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            );
        }
    }

    let verdict = if checks.iter().any(|c| c.result == CheckResult::Differs) {
        AuditVerdict::Differs
    } else {
        AuditVerdict::Identical
    };
    Ok(Audit {
        report: AuditReport {
            verdict,
            declaration: digest,
            pf_id: subject["id"].as_str().map(String::from),
            product,
            checks,
            fields,
            changes,
            certificates: cert_findings,
        },
        trace,
    })
}

pub(crate) fn find_product(
    inv: &Inventory,
    subject: &Value,
    asked: Option<&str>,
) -> Result<usize, Error> {
    if let Some(id) = asked {
        return inv
            .product_index(id)
            .ok_or_else(|| Error::Usage(format!("{}: no product {id:?}", inv.path.display())));
    }
    let mut declared = strings(&subject["productIds"]);
    declared.sort();
    let by_ids = inv.products.iter().position(|p| {
        let mut ids = p.product_ids.clone();
        ids.sort();
        !ids.is_empty() && ids == declared
    });
    let by_name = || {
        inv.products
            .iter()
            .position(|p| Some(p.name.as_str()) == subject["productNameCompany"].as_str())
    };
    by_ids.or_else(by_name).ok_or_else(|| {
        Error::Usage(format!(
            "{}: no product has the declared product ids {}; pass --product (the inventory has: {})",
            inv.path.display(),
            declared.join(", "),
            inv.products.iter().map(|p| p.id.0.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })
}

fn declared_period(subject: &Value) -> Option<(String, String)> {
    let start = subject["pcf"]["referencePeriodStart"].as_str()?.get(..10)?.to_string();
    let end = subject["pcf"]["referencePeriodEnd"].as_str()?.get(..10)?;
    let last_day = pcf_base::time::Instant::parse_date(end).ok()?.plus_days(-1)?.date();
    Some((start, last_day))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_default()
}

/// The fields compared: every leaf of `pcf`, the product identification, the CBAM split and
/// the certificates claimed.
fn compare_fields(
    old_doc: &Value,
    old: &Value,
    new_doc: &Value,
    new: &Value,
) -> Vec<FieldComparison> {
    let mut out = Vec::new();
    let mut leaves_old = BTreeMap::new();
    let mut leaves_new = BTreeMap::new();
    leaves("pcf".into(), &old["pcf"], &mut leaves_old);
    leaves("pcf".into(), &new["pcf"], &mut leaves_new);
    for f in ["productIds", "productClassifications", "productNameCompany", "productDescription"] {
        leaves_old.insert(f.to_string(), old[f].clone());
        leaves_new.insert(f.to_string(), new[f].clone());
    }
    for f in ["directEmbeddedEmissions", "indirectEmbeddedEmissions"] {
        let o = declaration::extension(old_doc, declaration::CBAM_SCHEMA).map(|d| d[f].clone());
        let n = declaration::extension(new_doc, declaration::CBAM_SCHEMA).map(|d| d[f].clone());
        if o.is_some() || n.is_some() {
            leaves_old.insert(format!("cbam/{f}"), o.unwrap_or(Value::Null));
            leaves_new.insert(format!("cbam/{f}"), n.unwrap_or(Value::Null));
        }
    }
    let certs = |doc: &Value| {
        declaration::provenance(doc)
            .map(|p| {
                let mut c: Vec<(String, String)> = p
                    .certificates
                    .iter()
                    .map(|c| (c.serial.key().to_string(), Decimal::new(c.quantity_kwh.kwh(), 3).0))
                    .collect();
                c.sort();
                serde_json::to_value(c).unwrap_or(Value::Null)
            })
            .unwrap_or(Value::Null)
    };
    leaves_old.insert("provenance/certificates (serial, kWh)".into(), certs(old_doc));
    leaves_new.insert("provenance/certificates (serial, kWh)".into(), certs(new_doc));
    let mut keys: Vec<&String> = leaves_old.keys().chain(leaves_new.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        let o = leaves_old.get(k).filter(|v| !v.is_null()).cloned();
        let n = leaves_new.get(k).filter(|v| !v.is_null()).cloned();
        let num = |v: &Option<Value>| {
            v.as_ref().and_then(Value::as_str).and_then(|s| Decimal(s.into()).value())
        };
        let difference = num(&o).zip(num(&n)).map(|(a, b)| b - a);
        out.push(FieldComparison {
            field: k.clone(),
            same: o == n,
            difference: if o == n { None } else { difference },
            declared: o,
            recomputed: n,
        });
    }
    out
}

fn leaves(path: String, v: &Value, out: &mut BTreeMap<String, Value>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                leaves(format!("{path}/{k}"), x, out);
            }
        }
        other => {
            out.insert(path, other.clone());
        }
    }
}

fn describe(f: &FieldComparison) -> String {
    match f.difference {
        Some(d) => format!(
            "{}: declared {} recomputed {} (difference {})",
            f.field,
            show(&f.declared),
            show(&f.recomputed),
            if d > 0.0 {
                format!("+{}", pcf_footprint::report::num(d))
            } else {
                pcf_footprint::report::num(d)
            }
        ),
        None => format!(
            "{}: declared {} recomputed {}",
            f.field,
            show(&f.declared),
            show(&f.recomputed)
        ),
    }
}

fn show(v: &Option<Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn list(d: &[Digest]) -> String {
    if d.is_empty() {
        "none".into()
    } else {
        d.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }
}

#[allow(clippy::too_many_arguments)] // one call site; the pieces of the trace
fn build_trace(
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
    for p in &inv.processes {
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
                Source::Electricity { grid, residual_mix, instruments } => {
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
            inputs.push(TraceInput {
                process: p.id.clone(),
                name: i.name.clone(),
                kind: kind.into(),
                refers_to,
                amount: i.amount,
                unit: i.unit.symbol().to_string(),
                stage: engine::stage_name(i.stage).into(),
                data: source_type(i.quality.source).into(),
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
    Trace {
        format: TRACE_FORMAT.into(),
        declaration: TraceDeclaration {
            digest,
            pf_id: declaration["credentialSubject"]["id"].as_str().map(String::from),
            issuer: match &declaration["issuer"] {
                Value::String(s) => Some(s.clone()),
                other => other["id"].as_str().map(String::from),
            },
            created: declaration["credentialSubject"]["created"].as_str().map(String::from),
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

fn source_type(s: pcf_footprint::inventory::SourceType) -> &'static str {
    match s {
        pcf_footprint::inventory::SourceType::Primary => "primary",
        pcf_footprint::inventory::SourceType::SupplierSpecific => "supplier-specific",
        pcf_footprint::inventory::SourceType::Secondary => "secondary",
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

/// Writes `trace.json`, `report.md` and `contributions.svg` into `dir` (created if needed;
/// existing files are never replaced). Returns the paths written.
pub fn write(audit: &Audit, dir: &Path) -> Result<Vec<std::path::PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, &e))?;
    let files = [
        ("trace.json", serde_json::to_string_pretty(&audit.trace).unwrap_or_default() + "\n"),
        ("report.md", markdown(audit)),
        ("contributions.svg", chart(&audit.trace)),
    ];
    let mut written = Vec::new();
    for (name, text) in files {
        let path = dir.join(name);
        pcf_base::atomic::write_new(&path, text.as_bytes(), pcf_base::atomic::Mode::Public).map_err(
            |e| {
                if e.kind() == std::io::ErrorKind::AlreadyExists {
                    Error::Usage(format!(
                        "{}: already exists; audit files are never overwritten, choose another --out-dir",
                        path.display()
                    ))
                } else {
                    Error::io(&path, &e)
                }
            },
        )?;
        written.push(path);
    }
    Ok(written)
}

/// The contribution chart: hotspots (by process and item), largest first, at most 12.
pub fn chart(trace: &Trace) -> String {
    let rows: Vec<Bar> = trace
        .footprint
        .hotspots
        .iter()
        .take(12)
        .map(|h| Bar {
            label: format!("{} / {}", h.process, h.item),
            value: h.kg_co2e,
            text: format!("{} kg CO2e", pcf_footprint::report::num(h.kg_co2e)),
            light: false,
        })
        .collect();
    let title = format!(
        "Contributions to {} (kg CO2e per {})",
        trace.footprint.name, trace.footprint.declared_unit
    );
    chart::bars(&title, None, &rows)
}

/// The report an auditor files, as Markdown (the chart is `contributions.svg` beside it).
pub fn markdown(audit: &Audit) -> String {
    use pcf_footprint::report::num;
    let (r, t) = (&audit.report, &audit.trace);
    let fp = &t.footprint;
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut s = String::new();
    let _ = writeln!(s, "# Audit of a product carbon footprint declaration\n");
    let _ = writeln!(
        s,
        "**Verdict: {}**\n",
        match r.verdict {
            AuditVerdict::Identical =>
                "IDENTICAL - the declaration is reproduced from the disclosed inventory",
            AuditVerdict::Differs => "DIFFERS - see the checks below",
        }
    );
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(
        s,
        "| Product | {} ({}), per 1 {} |",
        cell(&fp.name),
        cell(&fp.product),
        fp.declared_unit
    );
    let _ = writeln!(s, "| Declaration | {} |", t.declaration.pf_id.as_deref().unwrap_or("-"));
    let _ = writeln!(
        s,
        "| Declaration digest | `{}` |",
        t.declaration.digest.map_or("-".into(), |d| d.to_string())
    );
    let _ = writeln!(s, "| Issuer | `{}` |", t.declaration.issuer.as_deref().unwrap_or("-"));
    let _ = writeln!(s, "| Created | {} |", t.declaration.created.as_deref().unwrap_or("-"));
    let _ = writeln!(
        s,
        "| Methodology | {} {} (`{}`) |",
        t.methodology.id, t.methodology.version, t.methodology.digest
    );
    let _ = writeln!(s, "| Inventory | `{}` |", t.inventory.digest);
    let _ = writeln!(s, "| Recomputed with | {} |\n", t.engine);

    let _ = writeln!(s, "## Checks\n\n| check | result | detail |\n|---|---|---|");
    for c in &r.checks {
        let res = match c.result {
            CheckResult::Same => "same",
            CheckResult::Differs => "**DIFFERS**",
            CheckResult::Note => "note",
        };
        let _ = writeln!(s, "| {} | {res} | {} |", cell(&c.name), cell(&c.detail));
    }

    let _ = writeln!(
        s,
        "\n## Declared and recomputed figures\n\n| field | declared | recomputed | difference |\n|---|---|---|---|"
    );
    for f in &r.fields {
        let _ = writeln!(
            s,
            "| {}{} | {} | {} | {} |",
            cell(&f.field),
            if f.same { "" } else { " **(differs)**" },
            cell(&show(&f.declared)),
            cell(&show(&f.recomputed)),
            f.difference.map_or(String::new(), num)
        );
    }
    if !r.changes.is_empty() {
        let _ = writeln!(
            s,
            "\n## Inputs and factors changed since the previous trace\n\n| what | id | field | before | now |\n|---|---|---|---|---|"
        );
        for c in &r.changes {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                c.what,
                cell(&c.id),
                cell(&c.field),
                cell(&show(&c.old)),
                cell(&show(&c.new))
            );
        }
    }

    let _ = writeln!(s, "\n## Contributions\n\n![Contribution chart](contributions.svg)\n");
    let _ = writeln!(s, "| process | item | kind | kg CO2e | share |\n|---|---|---|---|---|");
    for h in &fp.hotspots {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {:.1} % |",
            cell(&h.process),
            cell(&h.item),
            h.kind,
            num(h.kg_co2e),
            h.percent
        );
    }
    let tt = &fp.totals;
    let _ = writeln!(
        s,
        "\nTotal excluding biogenic uptake {} kg CO2e; including uptake {}; fossil {}; biogenic non-CO2 {}; land-use change {}; biogenic uptake {} kg CO2.",
        num(tt.excluding_uptake),
        num(tt.including_uptake),
        num(tt.fossil),
        num(tt.biogenic_non_co2),
        num(tt.land_use_change),
        num(tt.biogenic_uptake)
    );

    let _ = writeln!(
        s,
        "\n## Emission factors\n\n| id | per | value | source | licence | dataset | used |\n|---|---|---|---|---|---|---|"
    );
    for f in &t.factors {
        let mut value: Vec<String> =
            f.gases.iter().map(|(g, v)| format!("{g} {}", num(*v))).collect();
        if f.co2e != 0.0 {
            value.push(format!("CO2e {}", num(f.co2e)));
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&f.id),
            f.per,
            cell(&value.join(", ")),
            cell(&f.source),
            cell(&f.licence),
            cell(f.dataset.as_deref().unwrap_or("-")),
            if f.used { "yes" } else { "no" }
        );
    }

    let _ = writeln!(
        s,
        "\n## Inputs\n\n| process | input | kind | refers to | amount | stage | data | excluded |\n|---|---|---|---|---|---|---|---|"
    );
    for i in &t.inputs {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} {} | {} | {} | {} |",
            cell(&i.process),
            cell(&i.name),
            i.kind,
            cell(&i.refers_to),
            num(i.amount),
            i.unit,
            i.stage,
            i.data,
            cell(i.excluded.as_deref().unwrap_or(""))
        );
    }
    if !t.emissions.is_empty() {
        let _ = writeln!(
            s,
            "\n## Direct emissions\n\n| process | gas | kg | blend |\n|---|---|---|---|"
        );
        for e in &t.emissions {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                cell(&e.process),
                e.gas,
                num(e.kg),
                cell(e.blend.as_deref().unwrap_or(""))
            );
        }
    }
    if !t.suppliers.is_empty() {
        let _ = writeln!(
            s,
            "\n## Suppliers' declarations\n\n| supplier | product | kg CO2e per unit | primary data share | signed | digest |\n|---|---|---|---|---|---|"
        );
        for x in &t.suppliers {
            let _ = writeln!(
                s,
                "| {} | {} | {} per {} | {} | {} | `{}` |",
                cell(x.company.as_deref().unwrap_or("-")),
                cell(&x.product),
                num(x.excluding_uptake),
                x.unit,
                x.primary_data_share.map_or("-".into(), |p| format!("{p:.2} %")),
                if x.signed { "yes" } else { "no" },
                x.digest
            );
        }
    }

    let _ = writeln!(s, "\n## Allocation\n");
    if fp.allocations.is_empty() {
        let _ = writeln!(s, "No process has co-products.");
    } else {
        for a in &fp.allocations {
            let shares: Vec<String> =
                a.shares.iter().map(|(p, x)| format!("{p} {:.4}", x)).collect();
            let _ = writeln!(s, "- {}: {} allocation ({})", a.process, a.method, shares.join(", "));
        }
    }
    let _ = writeln!(s, "\n## Exclusions under the cut-off rule\n");
    if fp.exclusions.is_empty() {
        let _ = writeln!(s, "None.");
    } else {
        for e in &fp.exclusions {
            let _ = writeln!(
                s,
                "- {} / {}: {} kg CO2e ({:.3} %), reason: {}",
                e.process,
                e.item,
                num(e.kg_co2e),
                e.percent,
                e.reason
            );
        }
        let _ = writeln!(s, "\nExempted in total: {:.3} %.", tt.exempted_percent);
    }
    if !fp.outside_boundary.is_empty() {
        let _ = writeln!(s, "\nOutside the boundary (not counted):\n");
        for o in &fp.outside_boundary {
            let _ = writeln!(
                s,
                "- {} / {}: {} kg CO2e ({})",
                o.process,
                o.item,
                num(o.kg_co2e),
                o.reason
            );
        }
    }
    let _ = writeln!(s, "\n## Electricity and certificates\n");
    for e in &fp.electricity {
        let _ = writeln!(
            s,
            "- {} / {}: {} {} consumed, {} covered by instruments ({}); rest at {}",
            e.process,
            e.input,
            num(e.consumed),
            e.unit,
            num(e.covered),
            e.accounting,
            e.uncovered_factor
        );
        for i in &e.instruments {
            let _ = writeln!(
                s,
                "  - {} {}: holds {}, used {} - {}",
                i.kind,
                i.serial.as_ref().map_or("(no serial)", |s| s.as_str()),
                num(i.quantity),
                num(i.used),
                i.reason
            );
        }
    }
    if !t.certificates.is_empty() {
        let _ = writeln!(
            s,
            "\n| serial | claimed by this declaration, kWh | certificate holds, kWh |\n|---|---|---|"
        );
        for c in &t.certificates {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                cell(&c.serial),
                num(c.claimed_kwh),
                c.quantity_kwh.map_or("-".into(), num)
            );
        }
    }
    for f in &r.certificates {
        let _ = writeln!(s, "\n- {}", cell(&f.to_string().replace('\n', " ")));
    }
    let q = &fp.quality;
    let _ = writeln!(s, "\n## Primary data share and data quality\n");
    let _ = writeln!(
        s,
        "Primary data share {}; DQR technological {}, temporal {}, geographical {} (rated share {}).",
        q.primary_data_share.map_or("-".into(), |x| format!("{x:.2} %")),
        q.technological.map_or("-".into(), |x| format!("{x:.2}")),
        q.temporal.map_or("-".into(), |x| format!("{x:.2}")),
        q.geographical.map_or("-".into(), |x| format!("{x:.2}")),
        q.rated_share.map_or("-".into(), |x| format!("{x:.1} %"))
    );
    let _ = writeln!(
        s,
        "\n## Method\n\nThe declaration was recomputed from the inventory with digest `{}` under methodology {} {} (`{}`), through the same code that issues declarations, and every figure compared at the declared precision. The full calculation trace is `trace.json` beside this report.",
        t.inventory.digest, t.methodology.id, t.methodology.version, t.methodology.digest
    );
    s
}

impl fmt::Display for AuditReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            AuditVerdict::Identical => "IDENTICAL",
            AuditVerdict::Differs => "DIFFERS",
        };
        writeln!(f, "{verdict}: {} ({})", self.product, self.pf_id.as_deref().unwrap_or("-"))?;
        let width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in &self.checks {
            let mark = match c.result {
                CheckResult::Same => "same",
                CheckResult::Differs => "DIFF",
                CheckResult::Note => "note",
            };
            writeln!(f, "  [{mark}] {:width$}  {}", c.name, c.detail)?;
        }
        for c in &self.certificates {
            write!(f, "  {c}")?;
        }
        Ok(())
    }
}
