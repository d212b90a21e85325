//! Declarations: a product's footprint issued as a W3C Verifiable Credential 2.0 that carries a
//! PACT v3 ProductFootprint (format 2: as the JSON literal `productFootprint` of a subject whose
//! id is the footprint's `urn:uuid:`; see [`pcf_footprint::credential`], which also reads format
//! 1), secured with an `eddsa-jcs-2022` Data Integrity proof. Beyond PACT, a declaration binds the methodology (id, version, digest), the
//! inventory's digest, the digests of the suppliers' declarations it consumed, and the
//! declaration it supersedes. Declarations are never edited: a change is a new declaration.
//! [`verify`] checks one offline; [`bundle`] packs what a buyer needs to do so.

pub mod bundle;
pub mod cbam;
mod figures;
pub mod pact;
pub mod quality;
pub mod ready;
pub mod verify;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::keys;
use crate::proof::{self, ProofOptions};
use crate::register::CertificateClaim;
use pact::{CarbonFootprint, Decimal, Dqi, Extension, ProductFootprint, SectorRules};
use pcf_base::digest::Digest;
use pcf_footprint::certificate::{CertificateSerial, ClaimedKwh};
use pcf_footprint::engine::{self, Model};
use pcf_footprint::inventory::{Inventory, Source};
use pcf_footprint::methodology::{Methodology, UnsignedSupplier};

pub use bundle::Bundle;
pub use verify::{Check, CheckStatus, Report, Verdict, VerifyOptions};

/// URN of pcf's provenance extension.
pub const PROVENANCE_SCHEMA: &str = "urn:pcf:extension:provenance:1";
/// URN of pcf's EU CBAM extension (direct and indirect embedded emissions).
pub use cbam::CBAM_SCHEMA;
/// The credential type pcf issues, beside `VerifiableCredential`.
pub const CREDENTIAL_TYPE: &str = "ProductCarbonFootprintDeclaration";
pub use pcf_footprint::credential::{CONTEXTS, VC_CONTEXT, pact_footprint};

/// What pcf records beside the PACT figures (the `data` of the provenance extension).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Provenance {
    /// The methodology that produced the figures.
    pub methodology: MethodologyRef,
    /// Digest of the inventory's canonical JSON (the data stays with the exporter).
    pub inventory_digest: Digest,
    /// Suppliers' declarations consumed as inputs.
    pub upstream: Vec<UpstreamRef>,
    /// Digest of the declaration this one supersedes.
    pub supersedes: Option<Digest>,
    /// Green electricity certificates claimed, in kWh.
    pub certificates: Vec<CertificateClaim>,
    /// Shipped emission-factor datasets the inventory used, pinned by digest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<pcf_footprint::dataset::DatasetRef>,
    /// EU CBAM communications of precursors the figures rest on, pinned by digest (the
    /// inventory names them by path only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub communications: Vec<cbam::CommunicationRef>,
    /// The software that computed it.
    pub engine: String,
}

/// A methodology, pinned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MethodologyRef {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Digest.
    pub digest: Digest,
}

/// A supplier's declaration consumed as an input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpstreamRef {
    /// Digest of its canonical JSON.
    pub digest: Digest,
    /// Its ProductFootprint id.
    pub pf_id: Option<String>,
    /// Its issuer's DID, where signed.
    pub issuer: Option<String>,
    /// Whether its proof verified when this declaration was computed.
    pub verified: bool,
    /// Why not, when not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unverified_reason: Option<String>,
    /// A supplier's PACT footprint without a proof, accepted as the methodology's
    /// `primary_data.unsigned_supplier` rule allows: its figures are the supplier's word, held
    /// by digest (and carried in the bundle), not signed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unsigned: bool,
}

/// What to issue beyond what the inventory holds.
#[derive(Debug, Clone, Default)]
pub struct IssueOptions {
    /// Company name (else the inventory's).
    pub company_name: Option<String>,
    /// Company ids (else the inventory's).
    pub company_ids: Vec<String>,
    /// Reference period as ISO dates, inclusive (else the inventory's).
    pub reference_period: Option<(String, String)>,
    /// Creation time (RFC 3339 UTC); now if `None`.
    pub created: Option<String>,
    /// The declaration this one supersedes.
    pub supersedes: Option<Value>,
    /// Record suppliers' declarations that do not verify instead of refusing.
    pub danger_accept_unverified_upstream: bool,
    /// A free-form comment.
    pub comment: Option<String>,
}

/// An issued declaration.
#[derive(Debug, Clone)]
pub struct Declaration {
    /// The signed credential.
    pub document: Value,
    /// Digest of its canonical JSON.
    pub digest: Digest,
    /// The ProductFootprint id.
    pub pf_id: String,
    /// Product ids.
    pub product_ids: Vec<String>,
    /// Certificates claimed.
    pub certificates: Vec<CertificateClaim>,
    /// Digest of the superseded declaration.
    pub supersedes: Option<Digest>,
    /// Upstream declarations and whether they verified.
    pub upstream: Vec<UpstreamRef>,
}

/// Why a declaration could not be issued.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DeclarationError {
    /// Fields PACT (or the methodology) requires are not known: every one is listed.
    #[error(
        "cannot declare {product}: {} field(s) missing or wrong\n{}\n  (`pcf check INVENTORY --for METHODOLOGY` lists them without a key)",
        missing.len(),
        ready::render(missing)
    )]
    Incomplete {
        /// Product id.
        product: String,
        /// What is missing.
        missing: Vec<ready::Requirement>,
    },
    /// A supplier's declaration did not verify.
    #[error(
        "supplier declaration {file}: {reason}\n  help: ask the supplier for a declaration signed with pcf (or any eddsa-jcs-2022 issuer), or pass --danger-accept-unverified-upstream to issue anyway and record it as unverified"
    )]
    UpstreamUnverified {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// The superseded declaration is not one this issuer may supersede.
    #[error("cannot supersede: {0}")]
    Supersedes(String),
    /// Signing failed.
    #[error(transparent)]
    Proof(#[from] crate::proof::ProofError),
    /// The document could not be canonicalized.
    #[error(transparent)]
    Json(#[from] pcf_base::canonical::JsonError),
}

/// Computes and signs the declaration of `product` from `inv` under `methodology`.
pub fn issue(
    inv: &Inventory,
    methodology: &Methodology,
    product: &str,
    key: &SigningKey,
    options: &IssueOptions,
) -> Result<Declaration, crate::Error> {
    issue_as(inv, methodology, product, key, options, None)
}

/// The issuer DID and the proof's verification method for `key`: its `did:key`, or with
/// `did_web` (`host`, `host:port` or `host/path`) `did:web:<domain>` with the key's Multikey
/// verification method, as [`keys::did_web_document`] publishes it.
pub fn identity(key: &keys::VerifyingKey, did_web: Option<&str>) -> (String, String) {
    match did_web {
        Some(domain) => {
            let did = keys::did_web(domain);
            let method = format!("{did}#{}", keys::multikey(key));
            (did, method)
        }
        None => (keys::did_key(key), keys::did_key_verification_method(key)),
    }
}

/// [`issue`], as the issuer [`identity`] gives for `did_web`.
pub fn issue_as(
    inv: &Inventory,
    methodology: &Methodology,
    product: &str,
    key: &SigningKey,
    options: &IssueOptions,
    did_web: Option<&str>,
) -> Result<Declaration, crate::Error> {
    let model = Model::build(inv, methodology)?;
    let mut scratch = engine::ChainScratch::default();
    model.check_all(&mut scratch)?;
    let j = inv.product_index(product).ok_or_else(|| {
        crate::Error::Usage(format!(
            "{}: no product {product:?}; the inventory has: {}",
            inv.path.display(),
            inv.products.iter().map(|p| p.id.0.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })?;
    let fp = model.product_footprint(j, &mut scratch)?;
    let p = &inv.products[j];
    let rules = &methodology.rules;
    let places = rules.reporting.decimal_places;
    let d = |x: f64| Decimal::new(x, places);
    let ready::Ready { company_name, company_ids, start, end_exclusive, fossil_carbon, packaging } =
        ready::ready(inv, methodology, j, options).map_err(|missing| {
            DeclarationError::Incomplete { product: product.to_string(), missing }
        })?;

    // Suppliers' declarations this product's chain consumes, verified.
    let mut demand = vec![0.0; inv.products.len()];
    demand[j] = 1.0;
    let supply = model.factorization.supply(&demand);
    let mut upstream = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for proc_ in &inv.processes {
        if !proc_.outputs.iter().any(|o| supply[o.product] != 0.0) {
            continue;
        }
        for input in &proc_.inputs {
            // A supplier input, or the supplier of electricity left uncovered (a park).
            let s = match input.source {
                Source::Supplier(s) | Source::Electricity { supplier: Some(s), .. } => s,
                _ => continue,
            };
            if input.excluded.is_some() || !seen.insert(s) {
                continue;
            }
            let sd = &inv.suppliers[s];
            let (verified, issuer, reason) = if sd.signed {
                // The same verification a buyer runs, at the instant of issue; trust in the
                // supplier is recorded (its DID), not judged here.
                let bundle =
                    sd.bundle.clone().and_then(|b| serde_json::from_value::<Bundle>(b).ok());
                let at = match &options.created {
                    Some(t) => pcf_base::time::Instant::parse(t).ok(),
                    None => None,
                };
                let report = verify::verify(
                    &sd.document,
                    bundle.as_ref(),
                    &VerifyOptions { at, ..VerifyOptions::default() },
                );
                let issuer = report.issuer.clone();
                if !report.is_genuine() {
                    (false, issuer, Some(report.failure_summary(&["issuer"])))
                } else if matches!(
                    report.status.standing,
                    verify::Standing::Deprecated
                        | verify::Standing::Superseded
                        | verify::Standing::Expired
                        | verify::Standing::NotYetValid
                ) {
                    (
                        false,
                        issuer,
                        Some(format!("not current: {}", report.status.reasons.join("; "))),
                    )
                } else {
                    (true, issuer, None)
                }
            } else {
                (false, None, Some("it carries no proof (unsigned)".to_string()))
            };
            // An unsigned PACT footprint the methodology accepts is recorded as such.
            // A plain ProductFootprint, that is: a credential without its proof is refused as
            // before (its proof was stripped, or never made).
            let unsigned = !sd.signed
                && sd.document.get("credentialSubject").is_none()
                && matches!(
                    rules.primary_data.unsigned_supplier,
                    Some(UnsignedSupplier::DeclaredShare | UnsignedSupplier::Secondary)
                );
            let reason = if unsigned {
                Some(
                    "an unsigned PACT footprint, accepted under the methodology's rule \
                      `primary_data.unsigned_supplier`"
                        .to_string(),
                )
            } else {
                reason
            };
            if let Some(r) = &reason
                && !unsigned
                && !options.danger_accept_unverified_upstream
            {
                return Err(DeclarationError::UpstreamUnverified {
                    file: sd.path.display().to_string(),
                    reason: r.clone(),
                }
                .into());
            }
            upstream.push(UpstreamRef {
                digest: sd.digest,
                pf_id: sd.pf_id.clone(),
                issuer,
                verified,
                unverified_reason: reason,
                unsigned,
            });
        }
    }

    let certificates = claims_of(inv, &model, &fp, j, &supply);

    // Supersession.
    let (preceding, supersedes) = match &options.supersedes {
        None => (Vec::new(), None),
        Some(old) => {
            let digest = pcf_base::canonical::digest(old)?;
            let (_, own_method) = identity(&key.verifying_key(), did_web);
            let own_key = key.verifying_key();
            let own = move |m: &str| (m == own_method).then_some(own_key);
            let verified = proof::verify(old, &own).map_err(|e| {
                DeclarationError::Supersedes(format!("its proof does not verify: {e}"))
            })?;
            if verified.key != key.verifying_key() {
                return Err(DeclarationError::Supersedes(
                    "it was signed by another key; only its issuer can supersede it".into(),
                )
                .into());
            }
            let subject = pact_footprint(old).unwrap_or(&Value::Null);
            if subject["productIds"] != json!(p.product_ids) {
                return Err(DeclarationError::Supersedes(format!(
                    "it declares product ids {}, but {product} has {}; a declaration supersedes \
                     only one of the same product",
                    subject["productIds"],
                    json!(p.product_ids)
                ))
                .into());
            }
            let old_id = subject["id"].as_str().unwrap_or_default().to_string();
            let mut ids: Vec<String> = subject["precedingPfIds"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
                .unwrap_or_default();
            ids.push(old_id);
            (ids, Some(digest))
        }
    };

    let t = &fp.totals;
    // Figures the methodology does not assess are left out, not written as zero.
    let uptake = if rules.biogenic.count_uptake { t.biogenic_uptake } else { 0.0 };
    // Totals are written as the exact decimal sums of their parts as written, so that a reader
    // re-adding the strings gets the stated total; rounding each separately can differ by one
    // in the last place. Both parts come from `Decimal::new`, so the sum cannot fail in
    // practice; the fallback rounds the total on its own.
    let excluding = d(t.excluding_uptake);
    let uptake_figure = d(-uptake);
    let including =
        excluding.checked_add(&uptake_figure).unwrap_or_else(|| d(t.excluding_uptake - uptake));
    let (country, subdivision) = match inv.meta.geography.as_deref() {
        Some(g) if g.len() == 2 => (Some(g.to_string()), None),
        Some(g) => (None, Some(g.to_string())),
        None => (None, None),
    };
    let q = &fp.quality;
    let dqi = match (q.technological, q.temporal, q.geographical) {
        (Some(a), Some(b), Some(c)) => Some(Dqi {
            technological_dqr: Decimal::new(a, 2),
            temporal_dqr: Decimal::new(b, 2),
            geographical_dqr: Decimal::new(c, 2),
        }),
        _ => None,
    };
    let stages: Vec<&str> = rules.boundary.stages.iter().map(|s| engine::stage_name(*s)).collect();
    let pcf = CarbonFootprint {
        declared_unit_of_measurement: p.declared_unit,
        declared_unit_amount: Decimal("1".into()),
        product_mass_per_declared_unit: d(p.mass_per_declared_unit),
        reference_period_start: format!("{start}T00:00:00Z"),
        reference_period_end: end_exclusive.to_string(),
        geography_country: country,
        geography_country_subdivision: subdivision,
        boundary_processes_description: Some(format!(
            "{} ({}): {}",
            rules.boundary.kind,
            stages.join(", "),
            inv.processes.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join("; ")
        )),
        pcf_excluding_biogenic_uptake: excluding.clone(),
        pcf_including_biogenic_uptake: including,
        fossil_ghg_emissions: d(t.fossil),
        fossil_carbon_content: d(fossil_carbon),
        biogenic_carbon_content: p.biogenic_carbon_content.map(d),
        // Suppliers' figures not attributed to a pool leave the biogenic split unknown.
        biogenic_non_co2_emissions: (t.other == 0.0).then(|| d(t.biogenic_non_co2)),
        biogenic_co2_uptake: rules.biogenic.count_uptake.then(|| uptake_figure.clone()),
        land_use_change_ghg_emissions: rules
            .biogenic
            .count_land_use_change
            .then(|| d(t.land_use_change)),
        // Every set used: ours, then those of the suppliers' declarations counted (PACT: "In
        // the event this is not possible, include the set of all characterization factors
        // used").
        ipcc_characterization_factors: std::iter::once(rules.gwp.set.clone())
            .chain(fp.supplier_gwp_sets.iter().cloned())
            .collect(),
        cross_sectoral_standards: rules.pact.cross_sectoral_standards.clone(),
        product_or_sector_specific_rules: if rules.pact.product_or_sector_specific_rules.is_empty()
        {
            Vec::new()
        } else {
            vec![SectorRules {
                operator: "Other".into(),
                rule_names: rules.pact.product_or_sector_specific_rules.clone(),
                other_operator_name: Some(rules.standard.publisher.clone()),
            }]
        },
        exempted_emissions_percent: Decimal::new(t.exempted_percent, 2),
        primary_data_share: q.primary_data_share.map(|x| Decimal::new(x, 2)),
        dqi,
        allocation_rules_description: if fp.allocations.is_empty() {
            None
        } else {
            Some(
                fp.allocations
                    .iter()
                    .map(|a| format!("{}: {} allocation", a.process, a.method))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        },
        packaging_emissions_included: Some(packaging),
        ccs_technological_co2_capture_included: Some(false),
        secondary_emission_factor_sources: figures::secondary_sources(inv, &fp, &supply),
    };
    // The inventory's datasets, and those the methodology's technology defaults were read from.
    let mut datasets = inv.datasets.clone();
    for e in &fp.electricity {
        for d in e.instruments.iter().filter_map(|i| i.default_dataset.as_ref()) {
            if !datasets.contains(d) {
                datasets.push(d.clone());
            }
        }
    }
    let provenance = Provenance {
        methodology: MethodologyRef {
            id: methodology.id().to_string(),
            version: methodology.version().to_string(),
            digest: methodology.digest(),
        },
        inventory_digest: inv.digest,
        upstream: upstream.clone(),
        supersedes,
        certificates: certificates.clone(),
        datasets: datasets.clone(),
        communications: cbam::communications(inv, &supply),
        engine: format!("pcf {}", env!("CARGO_PKG_VERSION")),
    };
    let mut extensions = vec![Extension {
        spec_version: "1.0.0".into(),
        data_schema: PROVENANCE_SCHEMA.into(),
        data: serde_json::to_value(&provenance).unwrap_or(Value::Null),
    }];
    if let Some(data) = quality::data(&fp.quality) {
        extensions.push(Extension {
            spec_version: "1.0.0".into(),
            data_schema: quality::DATA_QUALITY_SCHEMA.into(),
            data,
        });
    }
    if let (Some(direct), Some(indirect)) = (t.direct, t.indirect) {
        // Direct + indirect must re-add to the footprint as written: the indirect figure takes
        // the rounding (at most one in the last place).
        let direct = d(direct);
        let indirect = excluding.checked_sub(&direct).unwrap_or_else(|| d(indirect));
        extensions.push(Extension {
            spec_version: "1.0.0".into(),
            data_schema: CBAM_SCHEMA.into(),
            data: cbam::data(direct, indirect, t.indirect_not_counted.map(d), t.cbam.as_ref(), &d),
        });
    }
    if let Some(h) = &fp.hourly {
        // A park's electricity: its hourly intensity, so that a tenant's hourly matching uses
        // the park's real hours (rounded: grams per MWh, watt-hours).
        let round = |x: &f64, k: f64| (x * k).round() / k;
        let mut h = h.clone();
        h.kg_co2e_per_unit = h.kg_co2e_per_unit.iter().map(|x| round(x, 1e6)).collect();
        h.delivered = h.delivered.iter().map(|x| round(x, 1e3)).collect();
        extensions.push(Extension {
            spec_version: "1.0.0".into(),
            data_schema: pcf_footprint::inventory::HOURLY_INTENSITY_SCHEMA.into(),
            data: serde_json::to_value(&h).unwrap_or(Value::Null),
        });
    }
    let created = options.created.clone().unwrap_or_else(proof::utc_now);
    let pf_id =
        uuid_v4().map_err(|e| crate::Error::Usage(format!("cannot draw a random id: {e}")))?;
    let pf = ProductFootprint {
        id: pf_id.clone(),
        spec_version: pact::SPEC_VERSION.into(),
        preceding_pf_ids: preceding,
        created: created.clone(),
        status: "Active".into(),
        validity_period_start: None,
        validity_period_end: None,
        company_name: company_name.clone(),
        company_ids,
        product_description: p.description.clone().unwrap_or_else(|| p.name.clone()),
        product_ids: p.product_ids.clone(),
        product_classifications: p
            .classification
            .iter()
            .map(|(scheme, code)| {
                format!("urn:pact:productclassification:{}:{code}", scheme_name(*scheme))
            })
            .collect(),
        product_name_company: p.name.clone(),
        comment: options.comment.clone(),
        pcf,
        extensions,
    };
    let (issuer, method) = identity(&key.verifying_key(), did_web);
    let mut related = vec![json!({
        "id": pcf_footprint::credential::methodology_urn(methodology.id(), methodology.version()),
        "digestSRI": sri(&methodology.digest()),
    })];
    for ds in &datasets {
        related.push(json!({
            "id": format!("urn:pcf:dataset:{}:{}", ds.id, ds.version),
            "digestSRI": sri(&ds.digest),
        }));
    }
    for u in &upstream {
        related.push(json!({
            "id": u.pf_id.as_ref().map_or_else(|| format!("urn:pcf:declaration:{}", u.digest.hex()), |id| format!("urn:uuid:{id}")),
            "digestSRI": sri(&u.digest),
        }));
    }
    related.insert(0, context_resource());
    let credential_id =
        uuid_v4().map_err(|e| crate::Error::Usage(format!("cannot draw a random id: {e}")))?;
    let credential = json!({
        "@context": CONTEXTS,
        "id": format!("urn:uuid:{credential_id}"),
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": { "id": issuer, "name": company_name },
        "validFrom": created,
        "credentialSubject": {
            "id": format!("urn:uuid:{pf_id}"),
            "type": pcf_footprint::credential::SUBJECT_TYPE,
            "productFootprint": serde_json::to_value(&pf).unwrap_or(Value::Null),
        },
        "relatedResource": related,
    });
    let document = proof::sign(&credential, key, ProofOptions::new(method, created))
        .map_err(DeclarationError::from)?;
    let digest = pcf_base::canonical::digest(&document).map_err(DeclarationError::from)?;
    Ok(Declaration {
        document,
        digest,
        pf_id,
        product_ids: p.product_ids.clone(),
        certificates,
        supersedes,
        upstream,
    })
}

/// The certificates `product` (index `j` of `inv`) claims under `methodology`, as
/// [`issue`] would write them: what a caller checks against the register before issuing
/// (none for a product the inventory lacks: [`issue`] reports that).
pub fn certificate_claims(
    inv: &Inventory,
    methodology: &Methodology,
    product: &str,
) -> Result<Vec<CertificateClaim>, crate::Error> {
    let model = Model::build(inv, methodology)?;
    let mut scratch = engine::ChainScratch::default();
    model.check_all(&mut scratch)?;
    let Some(j) = inv.product_index(product) else {
        return Ok(Vec::new());
    };
    let fp = model.product_footprint(j, &mut scratch)?;
    let mut demand = vec![0.0; inv.products.len()];
    demand[j] = 1.0;
    let supply = model.factorization.supply(&demand);
    Ok(claims_of(inv, &model, &fp, j, &supply))
}

/// Certificates product `j` claims: the used quantity times the share of the process's
/// reference-period output that the product's reference-period production needs. A serial
/// used by several processes is claimed once with the sum; each claim is rounded down to the
/// watt-hour (see [`pcf_footprint::certificate::ClaimedKwh`]) and a claim that rounds to nothing is
/// left out.
fn claims_of(
    inv: &Inventory,
    model: &Model<'_>,
    fp: &engine::Footprint,
    j: usize,
    supply: &[f64],
) -> Vec<CertificateClaim> {
    let p = &inv.products[j];
    let made = inv.processes[p.made_by.0].outputs[p.made_by.1].amount;
    let mut kwh: std::collections::BTreeMap<CertificateSerial, f64> = Default::default();
    for e in &fp.electricity {
        let Some(pi) = inv.processes.iter().position(|x| x.id == e.process) else { continue };
        let proc_ = &inv.processes[pi];
        let shares = model
            .allocations
            .iter()
            .find(|a| a.process == proc_.id)
            .map(|a| a.shares.iter().map(|s| s.1).collect::<Vec<_>>())
            .unwrap_or_else(|| vec![1.0]);
        let fraction: f64 = proc_
            .outputs
            .iter()
            .zip(shares.iter().chain(std::iter::repeat(&0.0)))
            .map(|(o, share)| share * (supply[o.product] * made / o.amount).min(1.0))
            .sum();
        let kwh_per_unit = pcf_footprint::units::Unit::KWH;
        let unit: pcf_footprint::units::Unit = e.unit.parse().unwrap_or(kwh_per_unit);
        let to_kwh = unit.factor_to(kwh_per_unit).unwrap_or(1.0);
        for i in &e.instruments {
            if let (true, Some(serial)) = (i.counted && i.used > 0.0, &i.serial) {
                *kwh.entry(serial.clone()).or_default() += i.used * to_kwh * fraction;
            }
        }
    }

    kwh.into_iter()
        .filter_map(|(serial, kwh)| {
            let quantity_kwh = ClaimedKwh::floor(kwh).filter(|q| q.wh() > 0)?;
            Some(CertificateClaim { serial, quantity_kwh })
        })
        .collect()
}

/// The provenance extension of a declaration's subject, if present and well-formed.
pub fn provenance(document: &Value) -> Option<Provenance> {
    extension(document, PROVENANCE_SCHEMA).and_then(|d| serde_json::from_value(d.clone()).ok())
}

/// The `data` of the extension with `data_schema` in a declaration's subject.
pub fn extension<'a>(document: &'a Value, data_schema: &str) -> Option<&'a Value> {
    pact_footprint(document)?["extensions"]
        .as_array()?
        .iter()
        .find(|e| e["dataSchema"] == data_schema)
        .map(|e| &e["data"])
}

/// The `relatedResource` entry that pins pcf's context by digest (VC 2.0 §5.3): a verifier that
/// fetches the context URL can check it got the document the issuer signed against.
pub fn context_resource() -> Value {
    let digest: Digest =
        pcf_footprint::credential::CONTEXT_V1_SHA256.parse().unwrap_or(Digest([0; 32]));
    json!({ "id": pcf_footprint::credential::CONTEXT_V1_URL, "digestSRI": sri(&digest) })
}

/// `sha256-<base64>`: a digest as a W3C Subresource Integrity string (VC 2.0 `digestSRI`).
pub fn sri(d: &Digest) -> String {
    format!("sha256-{}", base64(&d.0))
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn did_of(verification_method: &str) -> String {
    verification_method.split('#').next().unwrap_or(verification_method).to_string()
}

fn issuer_of(document: &Value) -> Option<String> {
    match &document["issuer"] {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(String::from),
        _ => None,
    }
}

fn scheme_name(s: pcf_footprint::inventory::ClassificationScheme) -> &'static str {
    use pcf_footprint::inventory::ClassificationScheme as C;
    match s {
        C::Cn => "cn",
        C::Hs => "hs",
        C::Cpc => "un-cpc",
    }
}

/// A random UUID version 4, lower case.
pub fn uuid_v4() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain_and_never_negative_zero() {
        assert_eq!(Decimal::new(2.2317119999, 6).0, "2.231712");
        assert_eq!(Decimal::new(-0.0000001, 6).0, "0");
        assert_eq!(Decimal::new(1500.0, 6).0, "1500");
        assert_eq!(Decimal("1e5".into()).value(), None);
        assert_eq!(Decimal("-1.50".into()).value(), Some(-1.5));
    }

    #[test]
    fn sri_is_base64_of_the_raw_digest() {
        // sha256("abc") in base64, from RFC 4634 test vectors re-encoded.
        assert_eq!(sri(&Digest::of(b"abc")), "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    }

    #[test]
    fn uuids_are_version_4() {
        let id = uuid_v4().unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
    }
}
