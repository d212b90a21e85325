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
//!
//! Serials are [`CertificateSerial`]s everywhere here, compared (and the ledger's files named)
//! by their normalized key, so a claim on `"gec-1 "` counts against `"GEC-1"`. Sums are exact:
//! claims are whole watt-hours ([`ClaimedKwh`]) and a certificate's quantity is rounded to the
//! nearest watt-hour, and there is no tolerance on top: claims are rounded down when issued, so
//! claims that split a certificate exactly add up to at most what it holds, and one watt-hour
//! more is an over-claim. [`check_issuance`] applies the same rule before a declaration is
//! signed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::register::{CertificateClaim, EntryKind, Register};
use pcf_base::atomic::{Mode, write_new};
use pcf_base::digest::Digest;
use pcf_footprint::certificate::{CertificateSerial, ClaimedKwh, wh_to_string};
use pcf_footprint::inventory::{InstrumentKind, Inventory, Source};

/// The folder of the register directory where certificate quantities are recorded.
pub const LEDGER_DIR: &str = "certificates";

/// What a certificate holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Quantity {
    /// The serial number or contract reference.
    pub serial: CertificateSerial,
    /// Kind of instrument (`gec`, `i-rec`, `ppa`, `onsite`).
    pub kind: String,
    /// Energy it covers, kWh.
    pub quantity_kwh: f64,
    /// Digest of the inventory that stated it.
    pub inventory_digest: Digest,
}

/// Certificate quantities by serial (keyed by the serial's normalized key).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quantities(pub BTreeMap<CertificateSerial, Quantity>);

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
    pub kwh: ClaimedKwh,
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
    pub serial: CertificateSerial,
    /// What the certificate holds, kWh, if known.
    pub quantity_kwh: Option<f64>,
    /// What active declarations claim in total, kWh.
    pub claimed_kwh: f64,
    /// The claims.
    pub claims: Vec<Claim>,
    /// One sentence.
    pub detail: String,
}

/// A declaration refused at issuance because, with the register's active declarations, it
/// would claim more of a certificate than it holds.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "certificate {serial} would be counted twice: it holds {} kWh, the register's active \
     declarations already claim {} kWh ({}), and this declaration would add {} kWh, {} kWh \
     more than it holds; nothing was signed, written or registered\n  help: supersede the \
     declaration that holds it (--supersedes), or lower the instrument's use in the inventory",
    wh_to_string(*.quantity_wh),
    wh_to_string(*.claimed_wh),
    list_holders(.holders),
    wh_to_string(*.adding_wh),
    wh_to_string((.claimed_wh + .adding_wh).saturating_sub(*.quantity_wh))
)]
pub struct OverClaim {
    /// The certificate's serial, as this declaration writes it.
    pub serial: CertificateSerial,
    /// What it holds, Wh.
    pub quantity_wh: u64,
    /// What the register's active declarations claim, Wh.
    pub claimed_wh: u64,
    /// The active declarations that claim it.
    pub holders: Vec<Claim>,
    /// What the refused declaration would claim, Wh.
    pub adding_wh: u64,
}

impl Quantity {
    /// What the certificate holds, rounded to the nearest watt-hour.
    pub fn wh(&self) -> u64 {
        let wh = (self.quantity_kwh * 1_000.0).round();
        // Saturating float-to-int conversion: negative or NaN quantities hold nothing.
        wh as u64
    }
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
            Some(old) if old.wh() == new.wh() => None,
            Some(old) => {
                let finding = Finding {
                    kind: FindingKind::QuantityConflict,
                    serial: new.serial.clone(),
                    quantity_kwh: Some(old.quantity_kwh.max(new.quantity_kwh)),
                    claimed_kwh: 0.0,
                    claims: Vec::new(),
                    detail: format!(
                        "stated as {} kWh (inventory {}) and as {} kWh (inventory {})",
                        pcf_footprint::report::num(old.quantity_kwh),
                        old.inventory_digest,
                        pcf_footprint::report::num(new.quantity_kwh),
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
pub fn claims(reg: &Register) -> Result<BTreeMap<CertificateSerial, Vec<(Claim, bool)>>, Error> {
    let entries = reg.entries()?;
    // Deprecated by a status change or superseded by a later declaration.
    let deprecated: std::collections::BTreeSet<Digest> =
        entries.iter().filter_map(|e| e.kind.deprecates().copied()).collect();
    let mut out: BTreeMap<CertificateSerial, Vec<(Claim, bool)>> = BTreeMap::new();
    for e in &entries {
        if let EntryKind::Declared { declaration, pf_id, certificates, .. } = &e.kind {
            for c in certificates {
                out.entry(c.serial.clone()).or_default().push((
                    Claim {
                        declaration: *declaration,
                        pf_id: pf_id.clone(),
                        seq: Some(e.seq),
                        kwh: c.quantity_kwh.clone(),
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
    extra: &[(CertificateSerial, Claim)],
) -> Result<Vec<Finding>, Error> {
    let claims = match reg {
        Some(r) => claims(r)?,
        None => BTreeMap::new(),
    };
    Ok(check(claims, quantities, extra))
}

/// Refuses `new` claims of a declaration about to be issued if, with the claims of the
/// register's active declarations, they exceed a certificate's quantity (from `inv`, or
/// recorded in the register's ledger; where both state one and they differ, the smaller).
/// `supersedes` is the declaration the new one replaces: its claims are released.
///
/// Call it before signing. It reads the register as it is now; two issuers appending to one
/// register at the same moment are not serialized against each other (`pcf register verify`
/// still finds the over-claim afterwards).
pub fn check_issuance(
    reg: &Register,
    inv: &Inventory,
    new: &[CertificateClaim],
    supersedes: Option<Digest>,
) -> Result<(), Error> {
    if new.is_empty() {
        return Ok(());
    }
    let (mut quantities, _) = Quantities::from_inventory(inv);
    let (recorded, _) = recorded(reg)?;
    for (serial, q) in recorded.0 {
        match quantities.0.get_mut(&serial) {
            Some(known) if known.wh() <= q.wh() => {}
            Some(known) => *known = q,
            None => {
                quantities.0.insert(serial, q);
            }
        }
    }
    for claim in new {
        // Claims of the inventory's own instruments always have a quantity; a serial the
        // inventory does not state has none to check against (`register verify` reports it).
        let Some(q) = quantities.0.get(&claim.serial) else { continue };
        // The register's index has each serial's claims: no walk of the chain.
        let holders: Vec<Claim> = reg
            .claims_on(&claim.serial)?
            .into_iter()
            .filter(|c| c.active && Some(c.declaration) != supersedes)
            .map(|c| Claim {
                declaration: c.declaration,
                pf_id: c.pf_id,
                seq: Some(c.seq),
                kwh: c.quantity_kwh,
            })
            .collect();
        let claimed_wh = holders.iter().fold(0u64, |sum, c| sum.saturating_add(c.kwh.wh()));
        let adding_wh = claim.quantity_kwh.wh();
        if claimed_wh.saturating_add(adding_wh) > q.wh() {
            return Err(super::CertificationError::OverClaimed(Box::new(OverClaim {
                serial: claim.serial.clone(),
                quantity_wh: q.wh(),
                claimed_wh,
                holders,
                adding_wh,
            }))
            .into());
        }
    }
    Ok(())
}

fn check(
    mut claims: BTreeMap<CertificateSerial, Vec<(Claim, bool)>>,
    quantities: &Quantities,
    extra: &[(CertificateSerial, Claim)],
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
        // Exact: whole watt-hours.
        let claimed_wh = active.iter().fold(0u64, |sum, c| sum.saturating_add(c.kwh.wh()));
        let claimed = claimed_wh as f64 / 1_000.0;
        match quantities.0.get(&serial) {
            None => findings.push(Finding {
                kind: FindingKind::UnknownQuantity,
                serial,
                quantity_kwh: None,
                claimed_kwh: claimed,
                detail: format!(
                    "{} kWh claimed by {} active declaration(s); the certificate's quantity is not known (record it from the inventory that holds it)",
                    pcf_footprint::report::num(claimed),
                    active.len()
                ),
                claims: active,
            }),
            Some(q) if claimed_wh > q.wh() => findings.push(Finding {
                kind: FindingKind::OverClaimed,
                detail: format!(
                    "{} kWh claimed by {} active declaration(s), but the {} certificate holds {} kWh: {} kWh counted twice",
                    pcf_footprint::report::num(claimed),
                    active.len(),
                    q.kind,
                    pcf_footprint::report::num(q.quantity_kwh),
                    wh_to_string(claimed_wh - q.wh())
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
    let (q, findings) = Quantities::from_inventory(inv);
    record_quantities(reg, q, findings)
}

/// Records quantities in the register's ledger (one file per serial, never replaced), after
/// `findings` already made; returns them with conflicts with quantities recorded earlier.
pub fn record_quantities(
    reg: &Register,
    q: Quantities,
    mut findings: Vec<Finding>,
) -> Result<Vec<Finding>, Error> {
    let (known, _) = recorded(reg)?;
    let dir = reg.dir().join(LEDGER_DIR);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
    let text_of = |q: &Quantity| {
        serde_json::to_string_pretty(q).map(|t| t + "\n").map_err(|e| Error::Io {
            path: dir.display().to_string(),
            message: format!("cannot write the record of {}: {e}", q.serial),
        })
    };
    for new in q.0.into_values() {
        if let Some(old) = known.0.get(&new.serial) {
            let mut probe = Quantities::default();
            probe.add(old.clone());
            findings.extend(probe.add(new));
            continue;
        }
        let path = ledger_file(reg, &new.serial);
        let text = text_of(&new)?;
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
        // Named by the serial's key; records written before serials were normalized are named
        // by the serial as written.
        if ledger_file(reg, &quantity.serial) != path
            && legacy_ledger_file(reg, &quantity.serial) != path
        {
            return Err(Error::Io {
                path: path.display().to_string(),
                message: format!("records serial {:?} under another name", quantity.serial),
            });
        }
        findings.extend(q.add(quantity));
    }
    Ok((q, findings))
}

/// The ledger file of a serial: named by the SHA-256 of its normalized key.
fn ledger_file(reg: &Register, serial: &CertificateSerial) -> PathBuf {
    reg.dir().join(LEDGER_DIR).join(format!("{}.json", Digest::of(serial.key().as_bytes()).hex()))
}

/// Where ledger files were written before serials were normalized (the serial as written).
fn legacy_ledger_file(reg: &Register, serial: &CertificateSerial) -> PathBuf {
    reg.dir()
        .join(LEDGER_DIR)
        .join(format!("{}.json", Digest::of(serial.as_str().as_bytes()).hex()))
}

fn list_holders(claims: &[Claim]) -> String {
    if claims.is_empty() {
        return "none".to_string();
    }
    claims
        .iter()
        .map(|c| {
            let seq = c.seq.map_or("not registered".to_string(), |s| format!("entry {s}"));
            format!("{} kWh by pf id {} ({}, {seq})", c.kwh, c.pf_id, c.declaration)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn kind_name(k: InstrumentKind) -> &'static str {
    k.name()
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
            writeln!(f, "    {} kWh by {} ({}, {seq})", c.kwh, c.pf_id, c.declaration)?;
        }
        Ok(())
    }
}
