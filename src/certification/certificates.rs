//! Double counting of green electricity certificates and PPA volumes: the claims that the
//! active declarations of one register make on each serial number, added up and compared with
//! the certificate's quantity.
//!
//! Declarations carry what they claim (serial and kWh, in their provenance and in the register
//! entry), not how much the certificate holds. The quantity comes from the inventories, where
//! each instrument states it: [`Quantities::from_inventory`] reads it at audit time, and
//! [`record`] keeps it in the register directory under `certificates/` (one file per serial,
//! written once, never replaced), so that [`double_counting`] can check a register alone. A
//! serial recorded again with another quantity is itself a finding.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::atomic::{Mode, write_new};
use crate::digest::Digest;
use crate::inventory::{InstrumentKind, Inventory, Source};
use crate::register::{EntryKind, Register, StatusChange};

/// The folder of the register directory where certificate quantities are recorded.
pub const LEDGER_DIR: &str = "certificates";

/// Claims within this relative margin of the quantity are not over-claims (rounding).
const TOLERANCE: f64 = 1e-9;

/// What a certificate holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quantity {
    /// The serial number or contract reference.
    pub serial: String,
    /// Kind of instrument (`gec`, `i-rec`, `ppa`, `onsite`).
    pub kind: String,
    /// Energy it covers, kWh.
    pub quantity_kwh: f64,
    /// Digest of the inventory that stated it.
    pub inventory_digest: Digest,
}

/// Certificate quantities by serial.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quantities(pub BTreeMap<String, Quantity>);

/// One declaration's claim on a serial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Claim {
    /// The declaration.
    pub declaration: Digest,
    /// Its ProductFootprint id.
    pub pf_id: String,
    /// The register entry that declared it (`None`: not in the register yet).
    pub seq: Option<u64>,
    /// kWh claimed.
    pub kwh: f64,
}

/// What is wrong with a serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// Active declarations claim more than the certificate holds.
    OverClaimed,
    /// The serial was stated with two different quantities.
    QuantityConflict,
    /// The serial is claimed but its quantity is not known (not recorded, no inventory given).
    UnknownQuantity,
}

/// A finding about one serial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Finding {
    /// Kind.
    pub kind: FindingKind,
    /// The serial.
    pub serial: String,
    /// What the certificate holds, kWh, if known.
    pub quantity_kwh: Option<f64>,
    /// What active declarations claim in total, kWh.
    pub claimed_kwh: f64,
    /// The claims.
    pub claims: Vec<Claim>,
    /// One sentence.
    pub detail: String,
}

impl Finding {
    /// Whether this finding means a certificate is counted twice (or may be).
    pub fn is_error(&self) -> bool {
        matches!(self.kind, FindingKind::OverClaimed | FindingKind::QuantityConflict)
    }
}

impl Quantities {
    /// The instruments an inventory states, by serial (instruments without serial are
    /// skipped: they cannot be claimed). A serial listed twice with different quantities keeps
    /// the larger and is returned as a conflict.
    pub fn from_inventory(inv: &Inventory) -> (Quantities, Vec<Finding>) {
        let mut q = Quantities::default();
        let mut conflicts = Vec::new();
        for p in &inv.processes {
            for i in &p.inputs {
                let Source::Electricity { instruments, .. } = &i.source else { continue };
                for ins in instruments {
                    let Some(serial) = &ins.serial else { continue };
                    let new = Quantity {
                        serial: serial.clone(),
                        kind: kind_name(ins.kind).into(),
                        quantity_kwh: ins.quantity_kwh,
                        inventory_digest: inv.digest,
                    };
                    if let Some(conflict) = q.add(new) {
                        conflicts.push(conflict);
                    }
                }
            }
        }
        (q, conflicts)
    }

    /// Adds a quantity; a different quantity for a known serial is a conflict (the larger is
    /// kept, so the conflict does not also hide an over-claim).
    pub fn add(&mut self, new: Quantity) -> Option<Finding> {
        match self.0.get_mut(&new.serial) {
            None => {
                self.0.insert(new.serial.clone(), new);
                None
            }
            Some(old) if close(old.quantity_kwh, new.quantity_kwh) => None,
            Some(old) => {
                let finding = Finding {
                    kind: FindingKind::QuantityConflict,
                    serial: new.serial.clone(),
                    quantity_kwh: Some(old.quantity_kwh.max(new.quantity_kwh)),
                    claimed_kwh: 0.0,
                    claims: Vec::new(),
                    detail: format!(
                        "stated as {} kWh (inventory {}) and as {} kWh (inventory {})",
                        crate::report::num(old.quantity_kwh),
                        old.inventory_digest,
                        crate::report::num(new.quantity_kwh),
                        new.inventory_digest
                    ),
                };
                if new.quantity_kwh > old.quantity_kwh {
                    *old = new;
                }
                Some(finding)
            }
        }
    }

    /// Adds every quantity of `other`, returning conflicts.
    pub fn merge(&mut self, other: Quantities) -> Vec<Finding> {
        other.0.into_values().filter_map(|q| self.add(q)).collect()
    }
}

/// The claims of every declaration of the register on each serial, and whether the
/// declaration is still active.
pub fn claims(reg: &Register) -> Result<BTreeMap<String, Vec<(Claim, bool)>>, Error> {
    let entries = reg.entries()?;
    let mut deprecated = std::collections::BTreeSet::new();
    for e in &entries {
        if let EntryKind::StatusChanged { declaration, status: StatusChange::Deprecated, .. } =
            &e.kind
        {
            deprecated.insert(*declaration);
        }
    }
    let mut out: BTreeMap<String, Vec<(Claim, bool)>> = BTreeMap::new();
    for e in &entries {
        if let EntryKind::Declared { declaration, pf_id, certificates, .. } = &e.kind {
            for c in certificates {
                out.entry(c.serial.clone()).or_default().push((
                    Claim {
                        declaration: *declaration,
                        pf_id: pf_id.clone(),
                        seq: Some(e.seq),
                        kwh: c.quantity_kwh,
                    },
                    !deprecated.contains(declaration),
                ));
            }
        }
    }
    Ok(out)
}

/// Serials that the active declarations of `reg` claim beyond their recorded quantity (see
/// [`record`]), quantities recorded twice differently, and claimed serials whose quantity was
/// never recorded. Deprecated declarations release their claims.
pub fn double_counting(reg: &Register) -> Result<Vec<Finding>, Error> {
    let (quantities, mut findings) = recorded(reg)?;
    findings.extend(check(claims(reg)?, &quantities, &[]));
    Ok(findings)
}

/// [`double_counting`] with known quantities (for instance from the audited inventory) and
/// extra claims not in the register yet.
pub fn double_counting_with(
    reg: Option<&Register>,
    quantities: &Quantities,
    extra: &[(String, Claim)],
) -> Result<Vec<Finding>, Error> {
    let claims = match reg {
        Some(r) => claims(r)?,
        None => BTreeMap::new(),
    };
    Ok(check(claims, quantities, extra))
}

fn check(
    mut claims: BTreeMap<String, Vec<(Claim, bool)>>,
    quantities: &Quantities,
    extra: &[(String, Claim)],
) -> Vec<Finding> {
    for (serial, claim) in extra {
        let list = claims.entry(serial.clone()).or_default();
        if !list.iter().any(|(c, _)| c.declaration == claim.declaration) {
            list.push((claim.clone(), true));
        }
    }
    let mut findings = Vec::new();
    for (serial, list) in claims {
        let active: Vec<Claim> = list.into_iter().filter(|(_, a)| *a).map(|(c, _)| c).collect();
        if active.is_empty() {
            continue;
        }
        let claimed: f64 = active.iter().map(|c| c.kwh).sum();
        match quantities.0.get(&serial) {
            None => findings.push(Finding {
                kind: FindingKind::UnknownQuantity,
                serial,
                quantity_kwh: None,
                claimed_kwh: claimed,
                detail: format!(
                    "{} kWh claimed by {} active declaration(s); the certificate's quantity is not known (record it from the inventory that holds it)",
                    crate::report::num(claimed),
                    active.len()
                ),
                claims: active,
            }),
            Some(q) if claimed > q.quantity_kwh * (1.0 + TOLERANCE) => findings.push(Finding {
                kind: FindingKind::OverClaimed,
                detail: format!(
                    "{} kWh claimed by {} active declaration(s), but the {} certificate holds {} kWh: {} kWh counted twice",
                    crate::report::num(claimed),
                    active.len(),
                    q.kind,
                    crate::report::num(q.quantity_kwh),
                    crate::report::num(claimed - q.quantity_kwh)
                ),
                serial,
                quantity_kwh: Some(q.quantity_kwh),
                claimed_kwh: claimed,
                claims: active,
            }),
            Some(_) => {}
        }
    }
    findings
}

/// Records the certificate quantities an inventory states in the register's ledger (one file
/// per serial, never replaced). Returns conflicts with quantities recorded earlier.
pub fn record(reg: &Register, inv: &Inventory) -> Result<Vec<Finding>, Error> {
    let (q, mut findings) = Quantities::from_inventory(inv);
    let (known, _) = recorded(reg)?;
    let dir = reg.dir().join(LEDGER_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
    for new in q.0.into_values() {
        if let Some(old) = known.0.get(&new.serial) {
            let mut probe = Quantities::default();
            probe.add(old.clone());
            findings.extend(probe.add(new));
            continue;
        }
        let path = ledger_file(reg, &new.serial);
        let text = serde_json::to_string_pretty(&new).unwrap_or_default() + "\n";
        match write_new(&path, text.as_bytes(), Mode::Public) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io(&path, &e)),
        }
    }
    Ok(findings)
}

/// The quantities recorded in the register's ledger, with conflicts found while reading.
pub fn recorded(reg: &Register) -> Result<(Quantities, Vec<Finding>), Error> {
    let dir = reg.dir().join(LEDGER_DIR);
    let mut q = Quantities::default();
    let mut findings = Vec::new();
    let listing = match std::fs::read_dir(&dir) {
        Ok(l) => l,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((q, findings)),
        Err(e) => return Err(Error::io(&dir, &e)),
    };
    let mut files: Vec<PathBuf> = listing
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for path in files {
        let value = super::read_json(&path)?;
        let quantity: Quantity = serde_json::from_value(value).map_err(|e| Error::Io {
            path: path.display().to_string(),
            message: format!("not a certificate record: {e}"),
        })?;
        if ledger_file(reg, &quantity.serial) != path {
            return Err(Error::Io {
                path: path.display().to_string(),
                message: format!("records serial {:?} under another name", quantity.serial),
            });
        }
        findings.extend(q.add(quantity));
    }
    Ok((q, findings))
}

fn ledger_file(reg: &Register, serial: &str) -> PathBuf {
    reg.dir().join(LEDGER_DIR).join(format!("{}.json", Digest::of(serial.as_bytes()).hex()))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

fn kind_name(k: InstrumentKind) -> &'static str {
    match k {
        InstrumentKind::Gec => "gec",
        InstrumentKind::IRec => "i-rec",
        InstrumentKind::Ppa => "ppa",
        InstrumentKind::Onsite => "onsite",
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            FindingKind::OverClaimed => "DOUBLE COUNTED",
            FindingKind::QuantityConflict => "QUANTITY CONFLICT",
            FindingKind::UnknownQuantity => "quantity unknown",
        };
        writeln!(f, "{kind}: {} - {}", self.serial, self.detail)?;
        for c in &self.claims {
            let seq = c.seq.map_or("not registered".to_string(), |s| format!("entry {s}"));
            writeln!(
                f,
                "    {} kWh by {} ({}, {seq})",
                crate::report::num(c.kwh),
                c.pf_id,
                c.declaration
            )?;
        }
        Ok(())
    }
}
