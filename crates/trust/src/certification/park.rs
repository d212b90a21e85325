//! A park's ledger of the green electricity it allocates to its tenants, so that the park's
//! solar, storage and power purchase agreements are claimed once.
//!
//! The park operator describes its green sources (each with its metered generation or
//! delivery, a store with its metered charge, drawn from a named source in the same hour) and
//! each tenant's contracted share of each source (`park.toml`). [`allocate`] gives every tenant
//! its share of every source in every hour, writes each allocation as a meter export
//! (`TENANT/SOURCE.csv`, whole watt-hours, rounded down so the allocations of an hour never add
//! up to more than the source made) and the [`Ledger`] (`ledger.json`, written once, never
//! replaced) with each allocation's serial (`SOURCE-SERIAL/TENANT`), total and file digest.
//!
//! A tenant's inventory claims an allocation as an instrument with that serial, the
//! allocation file as its `profile` and the total as its `quantity`. [`check_inventory`]
//! (`pcf declare --park-ledger`) refuses an instrument that claims more than its allocation,
//! with another profile than the park's, or a park source's own serial. [`check_registers`]
//! (`pcf park check`) adds up the claims that the active declarations of any number of
//! registers (of different issuers) make on each allocation and on each source, and reports
//! each one claimed beyond what the ledger allocates.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::CertificationError;
use crate::Error;
use crate::register::Register;
use pcf_base::atomic::{Mode, write_new};
use pcf_base::digest::Digest;
use pcf_footprint::certificate::{CertificateSerial, ClaimedKwh, wh_to_string};
use pcf_footprint::inventory::{InstrumentKind, InstrumentTiming, Inventory, Source};
use pcf_footprint::timeseries::{Grid, Meter};

/// The `format` of a ledger.
pub const LEDGER_FORMAT: &str = "pcf-park-ledger/1";
/// The ledger's file name in the allocation directory.
pub const LEDGER_FILE: &str = "ledger.json";

/// What a park operator states: its green sources and its tenants' shares (`park.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParkFile {
    /// The park.
    pub park: ParkMeta,
    /// Green sources.
    pub sources: Vec<SourceSpec>,
    /// Tenants.
    pub tenants: Vec<TenantSpec>,
}

/// The park.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParkMeta {
    /// Name.
    pub name: String,
    /// Reference period (first and last day).
    pub reference_period: Period,
    /// IANA time zone of the meters and of the hours.
    pub time_zone: String,
    /// Grid region (`CN-SD`).
    pub region: String,
}

/// First and last day, ISO dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// First day.
    pub start: String,
    /// Last day (inclusive).
    pub end: String,
}

/// A green source of the park.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Short id (`solar`).
    pub id: String,
    /// Kind of instrument a tenant claims it as (`onsite`, `ppa`, ...).
    #[serde(rename = "type")]
    pub kind: InstrumentKind,
    /// Generation technology (`solar`, `wind`).
    pub technology: String,
    /// The source's serial or contract reference; allocations are `SERIAL/TENANT`.
    pub serial: String,
    /// Meter export of what it generated or delivered (a store: its discharge), relative to
    /// the park file.
    pub meter: String,
    /// For a store: meter export of its charge.
    #[serde(default)]
    pub charge: Option<String>,
    /// For a store: the source (id) it charges from, in the same hour.
    #[serde(default)]
    pub charged_from: Option<String>,
}

/// A tenant and its contracted shares.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantSpec {
    /// Short id (`foundry`).
    pub id: String,
    /// Company name.
    pub name: String,
    /// Share of each source (by id), 0 to 1.
    pub shares: BTreeMap<String, f64>,
}

/// The ledger: what was allocated to whom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Ledger {
    /// [`LEDGER_FORMAT`].
    pub format: String,
    /// The park's name.
    pub park: String,
    /// Reference period.
    pub reference_period: Period,
    /// Time zone.
    pub time_zone: String,
    /// Grid region.
    pub region: String,
    /// Digest of the park file.
    pub park_file_digest: Digest,
    /// Sources.
    pub sources: Vec<LedgerSource>,
    /// Allocations.
    pub allocations: Vec<Allocation>,
}

/// A source as allocated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LedgerSource {
    /// Id.
    pub id: String,
    /// Kind (`onsite`, `ppa`, ...).
    pub kind: String,
    /// Technology.
    pub technology: String,
    /// Serial.
    pub serial: CertificateSerial,
    /// Digest of its meter export.
    pub meter_digest: Digest,
    /// Energy it made available to allocate, kWh (a source a store charges from: less the
    /// charge).
    pub allocable_kwh: ClaimedKwh,
    /// Energy allocated, kWh.
    pub allocated_kwh: ClaimedKwh,
}

/// One tenant's allocation of one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Allocation {
    /// `SOURCE-SERIAL/TENANT`.
    pub serial: CertificateSerial,
    /// Source id.
    pub source: String,
    /// Tenant id.
    pub tenant: String,
    /// Tenant name.
    pub tenant_name: String,
    /// Contracted share.
    pub share: f64,
    /// Energy allocated, kWh (the allocation file's total).
    pub kwh: ClaimedKwh,
    /// The allocation file, relative to the ledger.
    pub profile: String,
    /// Its digest.
    pub profile_digest: Digest,
}

/// An allocation claimed beyond what the ledger allocates, across registers.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkFinding {
    /// The serial (an allocation or a source).
    pub serial: String,
    /// kWh allocated (a source: allocable).
    pub allocated_kwh: String,
    /// kWh claimed by active declarations.
    pub claimed_kwh: String,
    /// Who claims it: register directory, pf id and kWh.
    pub claims: Vec<String>,
}

/// Allocates the park's sources to its tenants (see the module doc) into `out`, a directory
/// that must not hold a ledger yet.
pub fn allocate(park_file: &Path, out: &Path) -> Result<Ledger, Error> {
    let text = std::fs::read_to_string(park_file).map_err(|e| Error::io(park_file, &e))?;
    let file = park_file.display().to_string();
    let park: ParkFile = toml::from_str(&text).map_err(|e| {
        refuse(&file, "", e.to_string(), "see examples/zero-carbon-park/park.toml for the layout")
    })?;
    let base = park_file.parent().unwrap_or(Path::new("."));
    let date = |s: &str, at: &str| {
        s.parse::<jiff::civil::Date>().map_err(|e| {
            refuse(&file, &format!("park.reference_period.{at}"), e.to_string(), "write YYYY-MM-DD")
        })
    };
    let p = &park.park;
    let grid = Grid::of_period(
        date(&p.reference_period.start, "start")?,
        date(&p.reference_period.end, "end")?,
        &p.time_zone,
        60,
    )
    .map_err(|e| refuse(&file, "park.time_zone", e.to_string(), "use an IANA time zone name"))?;
    let read = |name: &str, at: &str| -> Result<(Vec<f64>, Digest), Error> {
        let path = base.join(name);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, &e))?;
        let text = String::from_utf8(bytes.clone()).map_err(|_| {
            refuse(
                &file,
                at,
                format!("{} is not UTF-8 text", path.display()),
                "export the meter data as CSV",
            )
        })?;
        let meter = Meter::read(&path.display().to_string(), &text, &p.time_zone)
            .and_then(|m| m.on_grid(&grid))
            .map_err(|e| {
                refuse(&file, at, e.to_string(), "fix the meter export (docs/meter-data.md)")
            })?;
        Ok((meter, Digest::of(&bytes)))
    };
    let mut made: Vec<(Vec<f64>, Digest)> = Vec::with_capacity(park.sources.len());
    for (i, s) in park.sources.iter().enumerate() {
        made.push(read(&s.meter, &format!("sources[{i}].meter"))?);
    }
    // A store's charge comes out of the named source, hour by hour.
    for (i, s) in park.sources.iter().enumerate() {
        let (Some(charge), Some(from)) = (&s.charge, &s.charged_from) else {
            if s.charge.is_some() != s.charged_from.is_some() {
                return Err(refuse(
                    &file,
                    &format!("sources[{i}]"),
                    "a store gives both `charge` and `charged_from`".into(),
                    "name the meter of its charge and the source it charges from",
                ));
            }
            continue;
        };
        let Some(k) = park.sources.iter().position(|x| &x.id == from) else {
            return Err(refuse(
                &file,
                &format!("sources[{i}].charged_from"),
                format!("no source has the id {from:?}"),
                "name one of the park's sources",
            ));
        };
        let (charge, _) = read(charge, &format!("sources[{i}].charge"))?;
        for (h, c) in charge.iter().enumerate() {
            if *c > made[k].0[h] + 1e-9 {
                return Err(refuse(
                    &file,
                    &format!("sources[{i}].charge"),
                    format!(
                        "the store charges {} kWh in the hour from {}, but {from:?} made only {} kWh then: the rest came from elsewhere and is not green",
                        pcf_footprint::report::num(*c),
                        grid.slot_start(h),
                        pcf_footprint::report::num(made[k].0[h])
                    ),
                    "charge the store from the source only, or split its charge",
                ));
            }
            made[k].0[h] -= c;
        }
    }
    // Shares of each source add up to at most one.
    for (i, s) in park.sources.iter().enumerate() {
        let total: f64 = park.tenants.iter().filter_map(|t| t.shares.get(&s.id)).sum();
        if total > 1.0 + 1e-12 {
            return Err(refuse(
                &file,
                &format!("sources[{i}]"),
                format!("the tenants' shares of {:?} add up to {total}, more than all of it", s.id),
                "lower the shares so that they add up to at most 1",
            ));
        }
    }
    for (t, tenant) in park.tenants.iter().enumerate() {
        for (id, share) in &tenant.shares {
            if !park.sources.iter().any(|s| &s.id == id) {
                return Err(refuse(
                    &file,
                    &format!("tenants[{t}].shares"),
                    format!("no source has the id {id:?}"),
                    "name one of the park's sources",
                ));
            }
            if !(0.0..=1.0).contains(share) {
                return Err(refuse(
                    &file,
                    &format!("tenants[{t}].shares.{id}"),
                    format!("a share of {share}"),
                    "give a share from 0 to 1",
                ));
            }
        }
    }
    if out.join(LEDGER_FILE).exists() {
        return Err(refuse(
            &out.display().to_string(),
            "",
            format!("{LEDGER_FILE} exists: a ledger is written once, never replaced"),
            "allocate into a new directory",
        ));
    }
    let mut allocations = Vec::new();
    let mut allocated_wh = vec![0u64; park.sources.len()];
    for tenant in &park.tenants {
        let dir = out.join(&tenant.id);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
        for (i, s) in park.sources.iter().enumerate() {
            let Some(&share) = tenant.shares.get(&s.id) else { continue };
            let mut csv = String::from("timestamp,kwh\n");
            let mut wh = 0u64;
            for (h, v) in made[i].0.iter().enumerate() {
                // Whole watt-hours, rounded down: the allocations of an hour never exceed it.
                let this = ((v.max(0.0) * share) * 1000.0).floor() as u64;
                wh += this;
                let local = grid.slot_start(h).to_zoned_datetime(grid.zone().clone());
                let _ =
                    writeln!(csv, "{},{}", local.strftime("%Y-%m-%dT%H:%M%:z"), wh_to_string(this));
            }
            let name = format!("{}/{}.csv", tenant.id, s.id);
            let path = out.join(&name);
            write_new(&path, csv.as_bytes(), Mode::Public).map_err(|e| Error::io(&path, &e))?;
            allocated_wh[i] += wh;
            let serial: CertificateSerial = format!("{}/{}", s.serial.trim(), tenant.id)
                .parse()
                .map_err(|e: pcf_footprint::certificate::CertificateError| {
                    refuse(
                        &file,
                        &format!("sources[{i}].serial"),
                        e.to_string(),
                        "write the source's serial as issued",
                    )
                })?;
            allocations.push(Allocation {
                serial,
                source: s.id.clone(),
                tenant: tenant.id.clone(),
                tenant_name: tenant.name.clone(),
                share,
                kwh: ClaimedKwh::from_wh(wh),
                profile: name,
                profile_digest: Digest::of(csv.as_bytes()),
            });
        }
    }
    let mut sources = Vec::new();
    for (i, s) in park.sources.iter().enumerate() {
        let allocable: f64 = made[i].0.iter().sum();
        sources.push(LedgerSource {
            id: s.id.clone(),
            kind: s.kind.name().to_string(),
            technology: s.technology.clone(),
            serial: s.serial.parse().map_err(
                |e: pcf_footprint::certificate::CertificateError| {
                    refuse(
                        &file,
                        &format!("sources[{i}].serial"),
                        e.to_string(),
                        "write the source's serial as issued",
                    )
                },
            )?,
            meter_digest: made[i].1,
            allocable_kwh: ClaimedKwh::floor(allocable).unwrap_or(ClaimedKwh::from_wh(0)),
            allocated_kwh: ClaimedKwh::from_wh(allocated_wh[i]),
        });
    }
    let ledger = Ledger {
        format: LEDGER_FORMAT.into(),
        park: p.name.clone(),
        reference_period: p.reference_period.clone(),
        time_zone: p.time_zone.clone(),
        region: p.region.clone(),
        park_file_digest: Digest::of(text.as_bytes()),
        sources,
        allocations,
    };
    let json = serde_json::to_string_pretty(&ledger)
        .map_err(|e| Error::Io { path: out.display().to_string(), message: e.to_string() })?
        + "\n";
    let path = out.join(LEDGER_FILE);
    write_new(&path, json.as_bytes(), Mode::Public).map_err(|e| Error::io(&path, &e))?;
    Ok(ledger)
}

/// Records each allocation of `ledger` (written at `path`) in the park operator's register as
/// what its serial holds (`certificates/`, one file per serial, never replaced), so that the
/// register states what the park gave each tenant; returns conflicts with earlier records.
pub fn record(
    reg: &Register,
    ledger: &Ledger,
    path: &Path,
) -> Result<Vec<super::certificates::Finding>, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
    let digest = Digest::of(&bytes);
    let mut q = super::certificates::Quantities::default();
    let mut findings = Vec::new();
    for a in &ledger.allocations {
        let kind =
            ledger.sources.iter().find(|s| s.id == a.source).map_or("onsite", |s| s.kind.as_str());
        findings.extend(q.add(super::certificates::Quantity {
            serial: a.serial.clone(),
            kind: kind.to_string(),
            quantity_kwh: a.kwh.wh() as f64 / 1000.0,
            inventory_digest: digest,
        }));
    }
    super::certificates::record_quantities(reg, q, findings)
}

/// Reads a ledger strictly.
pub fn read_ledger(path: &Path) -> Result<Ledger, Error> {
    let value = super::read_json(path)?;
    let ledger: Ledger =
        serde_json::from_value(value).map_err(|e| CertificationError::Document {
            file: path.display().to_string(),
            problem: format!("not a park ledger ({LEDGER_FORMAT}): {e}"),
        })?;
    if ledger.format != LEDGER_FORMAT {
        return Err(CertificationError::Document {
            file: path.display().to_string(),
            problem: format!("format {:?}, expected {LEDGER_FORMAT:?}", ledger.format),
        }
        .into());
    }
    Ok(ledger)
}

/// Refuses an inventory that claims a park allocation beyond the ledger (see the module doc);
/// returns one line per instrument checked.
pub fn check_inventory(
    ledger: &Ledger,
    ledger_path: &Path,
    inv: &Inventory,
) -> Result<Vec<String>, Error> {
    let mut checked = Vec::new();
    let file = inv.path.display().to_string();
    for inp in inv.processes.iter().flat_map(|p| &p.inputs) {
        let Source::Electricity { instruments, .. } = &inp.source else { continue };
        for (ni, ins) in instruments.iter().enumerate() {
            let Some(serial) = &ins.serial else { continue };
            let at = format!("{}/instruments/{ni}", inp.pointer);
            if let Some(s) = ledger.sources.iter().find(|s| &s.serial == serial) {
                return Err(refuse(
                    &file,
                    &at,
                    format!(
                        "claims the park source {} ({}) itself; the park allocates it to its tenants, each under its own serial",
                        s.serial.as_str(),
                        s.id
                    ),
                    &format!(
                        "claim your allocation (`{}/TENANT`, listed in {})",
                        s.serial.as_str(),
                        ledger_path.display()
                    ),
                ));
            }
            let Some(a) = ledger.allocations.iter().find(|a| &a.serial == serial) else { continue };
            let claimed =
                ClaimedKwh::floor(ins.quantity_kwh).unwrap_or(ClaimedKwh::from_wh(u64::MAX));
            if claimed.wh() > a.kwh.wh() {
                return Err(refuse(
                    &file,
                    &at,
                    format!(
                        "claims {} kWh of the park allocation {}, but the park's ledger allocates {} kWh to {}",
                        claimed,
                        a.serial.as_str(),
                        a.kwh,
                        a.tenant_name
                    ),
                    "claim at most the allocation (its `kwh` in the ledger)",
                ));
            }
            match &ins.timing {
                InstrumentTiming::Profile { digest, .. } if *digest == a.profile_digest => {}
                _ => {
                    return Err(refuse(
                        &file,
                        &at,
                        format!(
                            "claims the park allocation {} with another profile than the park's allocation file {} ({})",
                            a.serial.as_str(),
                            a.profile,
                            a.profile_digest
                        ),
                        &format!(
                            "give the instrument `profile = \"{}\"` (relative to the inventory)",
                            ledger_path
                                .parent()
                                .unwrap_or(Path::new("."))
                                .join(&a.profile)
                                .display()
                        ),
                    ));
                }
            }
            checked.push(format!(
                "{}: {} kWh of {} kWh allocated to {}",
                a.serial.as_str(),
                claimed,
                a.kwh,
                a.tenant_name
            ));
        }
    }
    Ok(checked)
}

/// The claims of the active declarations of `registers` on the ledger's allocations and
/// sources, and every serial claimed beyond the ledger.
pub fn check_registers(
    ledger: &Ledger,
    registers: &[(PathBuf, Register)],
) -> Result<(Vec<ParkFinding>, usize), Error> {
    let mut claims: BTreeMap<String, Vec<(String, String, u64)>> = BTreeMap::new();
    let mut n = 0;
    let park_serials: std::collections::BTreeSet<&str> = ledger
        .allocations
        .iter()
        .map(|a| a.serial.key())
        .chain(ledger.sources.iter().map(|s| s.serial.key()))
        .collect();
    for (dir, reg) in registers {
        for (serial, list) in super::certificates::claims(reg)? {
            if !park_serials.contains(serial.key()) {
                continue;
            }
            for (c, active) in list {
                if active {
                    n += 1;
                    claims.entry(serial.key().to_string()).or_default().push((
                        dir.display().to_string(),
                        c.pf_id.clone(),
                        c.kwh.wh(),
                    ));
                }
            }
        }
    }
    let mut findings = Vec::new();
    let mut judge = |serial: &CertificateSerial, allowed: u64| {
        let Some(list) = claims.get(serial.key()) else { return };
        let wh: u64 = list.iter().map(|c| c.2).fold(0, u64::saturating_add);
        if wh > allowed {
            findings.push(ParkFinding {
                serial: serial.as_str().to_string(),
                allocated_kwh: wh_to_string(allowed),
                claimed_kwh: wh_to_string(wh),
                claims: list
                    .iter()
                    .map(|(d, id, w)| format!("{} kWh by {id} in {d}", wh_to_string(*w)))
                    .collect(),
            });
        }
    };
    for a in &ledger.allocations {
        judge(&a.serial, a.kwh.wh());
    }
    for s in &ledger.sources {
        // A source's own serial is never claimed: it is allocated.
        judge(&s.serial, 0);
    }
    Ok((findings, n))
}

fn refuse(file: &str, at: &str, problem: String, help: &str) -> Error {
    CertificationError::Park {
        file: file.to_string(),
        at: at.to_string(),
        problem,
        help: help.to_string(),
    }
    .into()
}
