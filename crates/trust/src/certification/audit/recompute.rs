//! The recomputation: the declaration verified, then re-issued from the inventory under its
//! pinned methodology, and compared with what was declared, field by field.

use std::collections::BTreeMap;

use serde_json::Value;

use super::trace::{build_trace, compare_traces};
use super::{
    Audit, AuditCheck, AuditOptions, AuditReport, AuditVerdict, CheckResult, FieldComparison,
    leaves, show,
};
use crate::Error;
use crate::certification::certificates::{self, Claim, Finding, Quantities};
use crate::certification::{CertificationError, pinned_methodology};
use crate::declaration::bundle::Bundle;
use crate::declaration::pact::Decimal;
use crate::declaration::{self, IssueOptions};
use pcf_base::digest::Digest;
use pcf_footprint::engine;
use pcf_footprint::inventory::Inventory;

/// Audits `declaration` against `inventory`.
pub fn audit(
    declaration: &Value,
    bundle: Option<&Bundle>,
    inventory: &Inventory,
    options: &AuditOptions<'_>,
) -> Result<Audit, Error> {
    let prov =
        declaration::provenance(declaration).ok_or_else(|| CertificationError::Document {
            file: "declaration".into(),
            problem: "not a pcf declaration: it has no provenance extension".into(),
        })?;
    let subject = declaration::pact_footprint(declaration).unwrap_or(&Value::Null);
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
    let methodology = match pinned_methodology(declaration, bundle, options.methodology) {
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
    let new_subject = declaration::pact_footprint(&recomputed.document).unwrap_or(&Value::Null);

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
    // Only the declared product is broken down (every product is still checked).
    let j = inventory
        .product_index(&product)
        .ok_or_else(|| Error::Usage(format!("no footprint for {product}")))?;
    let selection = engine::Selection::Products(vec![j]);
    let footprint =
        engine::footprint_for(inventory, &methodology, &selection)?.products.swap_remove(0);
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
    for f in ["directEmbeddedEmissions", "indirectEmbeddedEmissions", "indirectEmissionsNotCounted"]
    {
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

fn list(d: &[Digest]) -> String {
    if d.is_empty() {
        "none".into()
    } else {
        d.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    }
}
