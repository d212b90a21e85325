//! Impact of an upstream change on an issuer's declarations: a supplier's new declaration or a
//! new methodology version. Every active declaration of the register that consumed the old
//! supplier declaration (matched by the new one's `precedingPfIds`, or by product ids) or pins
//! another version of the methodology (same id, other digest) is affected; it is recomputed
//! from its inventory (found among those given, by the digest the declaration pins) with the
//! new input, and compared with what it declared.
//!
//! The rule: a declaration must be reissued when its `pcfExcludingBiogenicUptake`, at the
//! declared precision, moves by more than the threshold (default 0 %: any change at all).
//! Declarations that cannot be recomputed (inventory not given, unit mismatch) are listed as
//! such, never silently passed.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;
use crate::declaration::pact::Decimal;
use crate::register::{EntryKind, Register};
use pcf_base::digest::Digest;
use pcf_footprint::engine;
use pcf_footprint::inventory::{Inventory, SupplierDeclaration};
use pcf_footprint::methodology::Methodology;

/// What changed upstream.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// A supplier's new declaration (file).
    Supplier(&'a Path),
    /// A new methodology version.
    Methodology(&'a Methodology),
}

/// What to do about one declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// The declared figure moves beyond the threshold: issue a new declaration superseding it.
    Reissue,
    /// Within the threshold: no new declaration needed.
    Keep,
    /// Affected, but it could not be recomputed (see the detail).
    Unknown,
}

/// One affected declaration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Affected {
    /// Digest of the declaration.
    pub declaration: Digest,
    /// Its ProductFootprint id.
    pub pf_id: String,
    /// Its product (name).
    pub product: Option<String>,
    /// Why it is affected.
    pub why: String,
    /// Declared pcfExcludingBiogenicUptake.
    pub declared: Option<String>,
    /// Recomputed with the change, at the declared precision.
    pub recomputed: Option<String>,
    /// Recomputed minus declared, kg CO2e per declared unit.
    pub change: Option<f64>,
    /// The change relative to the declared figure, percent.
    pub percent: Option<f64>,
    /// Other declared figures that move beyond the threshold ("field declared -> recomputed"):
    /// a declaration whose uptake or primary data share moves is reissued too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_changes: Vec<String>,
    /// What to do.
    pub action: Action,
    /// Details (why it could not be recomputed, notes).
    pub detail: String,
}

/// The impact of one change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImpactReport {
    /// The change.
    pub change: String,
    /// The reissue rule applied.
    pub rule: String,
    /// Active declarations examined.
    pub active: usize,
    /// The affected ones.
    pub affected: Vec<Affected>,
    /// Declarations that could not be matched either way (their suppliers' declarations are
    /// not in the given inventories), to be checked by hand.
    pub unmatched: Vec<String>,
}

/// Which active declarations of `reg` `change` affects, by how much, and which to reissue
/// (`threshold_percent`: see the module documentation).
pub fn impact(
    reg: &Register,
    change: Change<'_>,
    inventories: &[Inventory],
    threshold_percent: f64,
) -> Result<ImpactReport, Error> {
    let active = active_declarations(reg)?;
    let (description, new_supplier) = match change {
        Change::Methodology(m) => {
            (format!("methodology {} {} ({})", m.id(), m.version(), m.digest()), None)
        }
        Change::Supplier(path) => {
            let doc = super::read_json(path)?;
            let sd = SupplierDeclaration::load(path).map_err(|problem| {
                super::CertificationError::Document { file: path.display().to_string(), problem }
            })?;
            let (doc, bundle) = super::declaration_and_bundle(doc);
            let report = crate::declaration::verify::verify(
                &doc,
                bundle.as_ref(),
                &crate::declaration::VerifyOptions::default(),
            );
            let verifies = if report.is_genuine() {
                format!("genuine, issued by {}", report.issuer.as_deref().unwrap_or("?"))
            } else {
                format!("it does NOT verify: {}", report.failure_summary(&["issuer"]))
            };
            (
                format!(
                    "supplier declaration {} ({}, {}; {verifies})",
                    path.display(),
                    sd.pf_id.as_deref().unwrap_or("no id"),
                    sd.digest
                ),
                Some((doc, sd)),
            )
        }
    };
    let mut affected = Vec::new();
    let mut unmatched = Vec::new();
    for (digest, doc) in &active {
        let Some(prov) = crate::declaration::provenance(doc) else { continue };
        let subject = crate::declaration::pact_footprint(doc).unwrap_or(&Value::Null);
        let why = match (&change, &new_supplier) {
            (Change::Methodology(m), _) => (prov.methodology.id == m.id()
                && prov.methodology.digest != m.digest())
            .then(|| {
                format!(
                    "pins {} {} ({})",
                    prov.methodology.id, prov.methodology.version, prov.methodology.digest
                )
            }),
            (Change::Supplier(_), Some((new_doc, new_sd))) => {
                supplier_reason(&prov.upstream, new_doc, new_sd, inventories)
            }
            _ => None,
        };
        let Some(why) = why else {
            if let (Change::Supplier(_), Some((_, new_sd))) = (&change, &new_supplier) {
                let unknown: Vec<String> = prov
                    .upstream
                    .iter()
                    .filter(|u| u.digest != new_sd.digest)
                    .filter(|u| {
                        !inventories.iter().flat_map(|i| &i.suppliers).any(|s| s.digest == u.digest)
                    })
                    .map(|u| u.pf_id.clone().unwrap_or_else(|| u.digest.to_string()))
                    .collect();
                if !unknown.is_empty() {
                    unmatched.push(format!(
                        "{} ({}) consumed {} whose documents are not in the given inventories: matched by precedingPfIds only",
                        subject["productNameCompany"].as_str().unwrap_or("?"),
                        digest,
                        unknown.join(", ")
                    ));
                }
            }
            continue;
        };
        let mut a = Affected {
            declaration: *digest,
            pf_id: subject["id"].as_str().unwrap_or_default().to_string(),
            product: subject["productNameCompany"].as_str().map(String::from),
            why,
            declared: subject["pcf"]["pcfExcludingBiogenicUptake"].as_str().map(String::from),
            recomputed: None,
            change: None,
            percent: None,
            other_changes: Vec::new(),
            action: Action::Unknown,
            detail: String::new(),
        };
        match recompute(doc, &prov, change, new_supplier.as_ref().map(|x| &x.1), inventories) {
            Err(detail) => a.detail = detail,
            Ok(r) => {
                let (value, places) = (r.excluding, r.places);
                let text = Decimal::new(value, places).0;
                a.other_changes = other_changes(&subject["pcf"], &r, threshold_percent);
                let declared = a.declared.as_deref().and_then(|s| Decimal(s.into()).value());
                let new = Decimal(text.clone()).value();
                a.recomputed = Some(text.clone());
                if let (Some(d), Some(n)) = (declared, new) {
                    let c = n - d;
                    let pct = if d != 0.0 {
                        100.0 * c / d
                    } else if c == 0.0 {
                        0.0
                    } else {
                        f64::INFINITY
                    };
                    a.change = Some(c);
                    a.percent = Some(pct);
                    let moved = a.declared.as_deref() != Some(text.as_str());
                    a.action = if (moved && pct.abs() > threshold_percent)
                        || !a.other_changes.is_empty()
                    {
                        Action::Reissue
                    } else {
                        Action::Keep
                    };
                    if a.action == Action::Keep && matches!(change, Change::Supplier(_)) {
                        a.detail = "the figure holds; it still pins the old supplier declaration (reissue optional)".into();
                    }
                }
            }
        }
        affected.push(a);
    }
    Ok(ImpactReport {
        change: description,
        rule: format!(
            "reissue when pcfExcludingBiogenicUptake, or another declared figure (uptake, the total including it, fossil, land-use change, primary data share), at the declared precision, changes by more than {threshold_percent} %{}",
            if threshold_percent == 0.0 { " (any change)" } else { "" }
        ),
        active: active.len(),
        affected,
        unmatched,
    })
}

/// The register's declarations that are not deprecated, with their documents.
pub fn active_declarations(reg: &Register) -> Result<Vec<(Digest, Value)>, Error> {
    let entries = reg.entries()?;
    // Deprecated by a status change or superseded by a later declaration.
    let deprecated: std::collections::BTreeSet<Digest> =
        entries.iter().filter_map(|e| e.kind.deprecates().copied()).collect();
    let mut out = Vec::new();
    for e in &entries {
        if let EntryKind::Declared { declaration, .. } = &e.kind {
            if deprecated.contains(declaration) {
                continue;
            }
            let bytes = reg.declaration(declaration)?;
            out.push((*declaration, pcf_base::canonical::parse_strict(&bytes)?));
        }
    }
    Ok(out)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).map(String::from).collect())
        .unwrap_or_default()
}

/// Why a declaration that consumed `upstream` is affected by a new supplier declaration.
fn supplier_reason(
    upstream: &[crate::declaration::UpstreamRef],
    new_doc: &Value,
    new_sd: &SupplierDeclaration,
    inventories: &[Inventory],
) -> Option<String> {
    let reason = supplier_match(upstream, new_doc, new_sd, inventories)?;
    // A replacement from another issuer is not a new version of the same supplier's claim.
    let new_issuer = match &new_doc["issuer"] {
        Value::String(s) => Some(s.as_str()),
        other => other["id"].as_str(),
    };
    let (reason, replaced) = reason;
    match (new_issuer, replaced.issuer.as_deref()) {
        (Some(new), Some(old)) if new != old => Some(format!(
            "{reason}; WARNING: the replacement is issued by {new}, not by {old} who issued the \
             declaration consumed"
        )),
        (None, _) => Some(format!("{reason}; WARNING: the replacement names no issuer (unsigned)")),
        _ => Some(reason),
    }
}

/// Why `new_doc` replaces one of `upstream`, and which.
fn supplier_match<'a>(
    upstream: &'a [crate::declaration::UpstreamRef],
    new_doc: &Value,
    new_sd: &SupplierDeclaration,
    inventories: &[Inventory],
) -> Option<(String, &'a crate::declaration::UpstreamRef)> {
    let subject = crate::declaration::pact_footprint(new_doc).unwrap_or(new_doc);
    let preceding = strings(&subject["precedingPfIds"]);
    let new_products = strings(&subject["productIds"]);
    for u in upstream {
        if u.digest == new_sd.digest {
            continue; // already consumes the new one
        }
        if let Some(id) = u.pf_id.as_ref().filter(|id| preceding.contains(id)) {
            return Some((
                format!("consumed supplier declaration {id}, which the new one supersedes"),
                u,
            ));
        }
        let old = inventories.iter().flat_map(|i| &i.suppliers).find(|s| s.digest == u.digest);
        if let Some(old) = old {
            let old_subject =
                crate::declaration::pact_footprint(&old.document).unwrap_or(&old.document);
            let shared: Vec<String> = strings(&old_subject["productIds"])
                .into_iter()
                .filter(|p| new_products.contains(p))
                .collect();
            if !shared.is_empty() {
                return Some((
                    format!(
                        "consumed supplier declaration {} of the same product ({})",
                        u.pf_id.as_deref().unwrap_or("?"),
                        shared.join(", ")
                    ),
                    u,
                ));
            }
        }
    }
    None
}

/// What a changed declaration would say.
struct Recomputed {
    /// pcfExcludingBiogenicUptake.
    excluding: f64,
    /// The other figures a change can move (see [`super::diff::other_figures`]).
    others: Vec<(&'static str, Option<f64>)>,
    /// The declared decimal places.
    places: u32,
}

/// The recomputed figures and the declared decimal places, or why not.
fn recompute(
    doc: &Value,
    prov: &crate::declaration::Provenance,
    change: Change<'_>,
    new_supplier: Option<&SupplierDeclaration>,
    inventories: &[Inventory],
) -> Result<Recomputed, String> {
    let inv = inventories.iter().find(|i| i.digest == prov.inventory_digest).ok_or_else(|| {
        format!("its inventory ({}) was not given with --inventory", prov.inventory_digest)
    })?;
    let pinned = super::pinned_methodology(doc, None, None).map_err(|e| e.to_string());
    let places = pinned.as_ref().map(|m| m.rules.reporting.decimal_places).unwrap_or(6);
    let (methodology, inventory) = match change {
        Change::Methodology(m) => (m.clone(), inv.clone()),
        Change::Supplier(_) => {
            let m = pinned?;
            let mut inv = inv.clone();
            let new = new_supplier.ok_or("no supplier declaration")?;
            let mut replaced = 0;
            for s in &mut inv.suppliers {
                if prov.upstream.iter().any(|u| u.digest == s.digest) && s.unit == new.unit {
                    let keep_path = s.path.clone();
                    *s = new.clone();
                    s.path = keep_path;
                    replaced += 1;
                } else if prov.upstream.iter().any(|u| u.digest == s.digest) {
                    return Err(format!(
                        "the new supplier declaration is per {}, the old one per {}",
                        new.unit.symbol(),
                        s.unit.symbol()
                    ));
                }
            }
            if replaced == 0 {
                return Err("the inventory does not consume the old supplier declaration".into());
            }
            (m, inv)
        }
    };
    let j = super::audit::find_product(
        &inventory,
        crate::declaration::pact_footprint(doc).unwrap_or(&Value::Null),
        None,
    )
    .map_err(|e| e.to_string())?;
    let f = engine::footprint_for(&inventory, &methodology, &engine::Selection::Products(vec![j]))
        .map_err(|e| e.to_string())?;
    let p = &f.products[0];
    Ok(Recomputed {
        excluding: p.totals.excluding_uptake,
        others: super::diff::other_figures(&p.totals, &p.quality, &methodology),
        places,
    })
}

/// The other declared figures that move, each beyond `threshold_percent` of its declared value
/// (or declared on one side only), as "field declared -> recomputed".
fn other_changes(pcf: &Value, r: &Recomputed, threshold_percent: f64) -> Vec<String> {
    let mut out = Vec::new();
    for (field, value) in &r.others {
        // primaryDataShare is declared with two places, the figures with the file's.
        let places = if *field == "primaryDataShare" { 2 } else { r.places };
        let new = value.map(|v| Decimal::new(v, places).0);
        let old = pcf[*field].as_str().map(String::from);
        if new == old {
            continue;
        }
        let moved = match (old.as_deref().and_then(|s| Decimal(s.into()).value()), value) {
            (Some(o), Some(n)) if o != 0.0 => 100.0 * ((n - o) / o).abs() > threshold_percent,
            _ => true,
        };
        if moved {
            let show = |x: &Option<String>| x.clone().unwrap_or_else(|| "not declared".into());
            out.push(format!("{field} {} -> {}", show(&old), show(&new)));
        }
    }
    out
}

impl fmt::Display for ImpactReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "change: {}", self.change)?;
        writeln!(f, "rule:   {}", self.rule)?;
        writeln!(
            f,
            "{} of {} active declaration(s) affected; {} to reissue",
            self.affected.len(),
            self.active,
            self.affected.iter().filter(|a| a.action == Action::Reissue).count()
        )?;
        for a in &self.affected {
            let action = match a.action {
                Action::Reissue => "REISSUE",
                Action::Keep => "keep",
                Action::Unknown => "UNKNOWN",
            };
            writeln!(f, "\n[{action}] {} ({})", a.product.as_deref().unwrap_or("?"), a.pf_id)?;
            writeln!(f, "  declaration {}", a.declaration)?;
            writeln!(f, "  why         {}", a.why)?;
            if let (Some(d), Some(r)) = (&a.declared, &a.recomputed) {
                let pct = a.percent.map_or(String::new(), |p| format!(" ({p:+.3} %)"));
                writeln!(f, "  figure      {d} -> {r} kg CO2e per declared unit{pct}")?;
            }
            for c in &a.other_changes {
                writeln!(f, "  also        {c}")?;
            }
            if !a.detail.is_empty() {
                writeln!(f, "  note        {}", a.detail)?;
            }
        }
        for u in &self.unmatched {
            writeln!(f, "\nNOT MATCHED: {u}")?;
        }
        Ok(())
    }
}
