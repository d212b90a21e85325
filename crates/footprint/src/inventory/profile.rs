//! Interval data of an inventory: the meter exports and load shapes of electricity inputs and
//! the generation, delivery and storage meters of their instruments, read once at load and laid
//! on the slots of the reference period ([`crate::timeseries::Grid`], hourly, in the
//! inventory's `time_zone`), in the unit of the input's grid factor.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::raw::RawInventory;
use super::{Inventory, InventoryError, Source};
use crate::timeseries::{Grid, LoadShape, Meter};
use crate::units::Unit;
use pcf_base::digest::Digest;

/// The `dataSchema` of the declaration extension that carries an [`HourlyIntensity`].
pub const HOURLY_INTENSITY_SCHEMA: &str = "urn:pcf:extension:hourly-intensity:1";

/// Relative difference allowed between a meter's total and the amount or quantity the
/// inventory states for it (bills and meters are read at different moments).
pub const TOTAL_TOLERANCE: f64 = 1e-3;

/// The hourly carbon intensity of a product, per declared unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HourlyIntensity {
    /// IANA time zone of the grid.
    pub time_zone: String,
    /// Start of the first interval (RFC 3339, UTC).
    pub start: String,
    /// Minutes per interval.
    pub step_minutes: u32,
    /// The declared unit (`kWh`).
    pub unit: String,
    /// Declared units delivered per interval.
    pub delivered: Vec<f64>,
    /// kg CO2e per declared unit in each interval (0 where nothing was delivered).
    pub kg_co2e_per_unit: Vec<f64>,
}

impl HourlyIntensity {
    /// The delivery-weighted mean intensity (the annual footprint per declared unit).
    pub fn mean(&self) -> f64 {
        let d: f64 = self.delivered.iter().sum();
        if d <= 0.0 {
            return 0.0;
        }
        self.delivered.iter().zip(&self.kg_co2e_per_unit).map(|(a, b)| a * b).sum::<f64>() / d
    }
}

/// When an electricity input's energy was used.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Energy per slot of the inventory's grid, in the unit of the input's grid factor.
    pub values: Vec<f64>,
    /// Where it came from, for the record: `meter meters/foundry.csv (sha256:...)` or
    /// `load shape day-shift scaled to 1200000 kWh`.
    pub source: String,
}

/// When an instrument's energy was generated, delivered or stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum InstrumentTiming {
    /// Not said: a quantity over its period.
    #[default]
    None,
    /// Energy per slot (generation meter, delivery schedule, hourly certificates).
    Profile {
        /// Per slot, in the grid factor's unit.
        values: Vec<f64>,
        /// The meter file and its digest.
        source: String,
        /// The digest of the meter file's bytes.
        digest: Digest,
    },
    /// A store's metered charge and discharge.
    Storage {
        /// Energy in per slot, in the grid factor's unit.
        charge: Vec<f64>,
        /// Energy out per slot, in the grid factor's unit.
        discharge: Vec<f64>,
        /// The meter files and their digests.
        source: String,
    },
}

/// Reads every profile the raw inventory names into `inv` (relative paths from `base`).
pub(super) fn attach(
    inv: &mut Inventory,
    raw: &RawInventory,
    base: &Path,
    file: &str,
) -> Result<(), InventoryError> {
    let any = raw.processes.iter().any(|p| {
        p.outputs.iter().any(|o| o.profile.is_some())
            || p.inputs.iter().any(|i| {
                i.profile.is_some()
                    || i.instruments
                        .iter()
                        .any(|x| x.profile.is_some() || x.charge.is_some() || x.discharge.is_some())
            })
    });
    if !any {
        return Ok(());
    }
    let invalid = |pointer: String, problem: String, help: &str| InventoryError::Invalid {
        file: file.to_string(),
        at: None,
        pointer,
        problem,
        help: help.to_string(),
    };
    let Some(period) = &raw.inventory.reference_period else {
        return Err(invalid(
            "/inventory".into(),
            "interval data (a `profile`, `charge` or `discharge`) needs the inventory's \
             reference_period"
                .into(),
            "add `reference_period = { start = \"2025-01-01\", end = \"2025-12-31\" }`",
        ));
    };
    let Some(zone) = &raw.inventory.time_zone else {
        return Err(invalid(
            "/inventory".into(),
            "interval data (a `profile`, `charge` or `discharge`) needs the inventory's \
             time_zone (the local calendar of months and hours)"
                .into(),
            "add `time_zone = \"Asia/Shanghai\"` (an IANA time zone name)",
        ));
    };
    let date = |text: &str, at: &str| {
        text.parse::<jiff::civil::Date>().map_err(|e| {
            invalid(format!("/inventory/reference_period/{at}"), e.to_string(), "write YYYY-MM-DD")
        })
    };
    let grid = Grid::of_period(date(&period.start, "start")?, date(&period.end, "end")?, zone, 60)
        .map_err(|e| {
            invalid("/inventory/time_zone".into(), e.to_string(), "use an IANA time zone name")
        })?;
    let reader = Reader { base, file, grid: &grid, zone };
    for (pi, rp) in raw.processes.iter().enumerate() {
        for (oi, ro) in rp.outputs.iter().enumerate() {
            let Some(rprof) = &ro.profile else { continue };
            let pointer = format!("/processes/{pi}/outputs/{oi}");
            let Some(output) = inv.processes[pi].outputs.iter_mut().find(|o| o.pointer == pointer)
            else {
                continue;
            };
            let unit = inv.products[output.product].unit;
            let to_unit = reader.energy(unit, &format!("{pointer}/profile"))?;
            let p = reader.profile(
                rprof,
                &format!("{pointer}/profile"),
                output.amount,
                to_unit,
                "output's amount",
            )?;
            output.profile = Some(Box::new(p));
        }
        for (ii, ri) in rp.inputs.iter().enumerate() {
            let pointer = format!("/processes/{pi}/inputs/{ii}");
            let Some(input) = inv.processes[pi].inputs.iter_mut().find(|i| i.pointer == pointer)
            else {
                continue;
            };
            let is_electricity = matches!(input.source, Source::Electricity { .. });
            if let Some(rprof) = &ri.profile {
                let at = format!("{pointer}/profile");
                if !is_electricity
                    && !matches!(input.source, Source::Product(_) | Source::Supplier(_))
                {
                    return Err(reader.invalid(
                        &at,
                        "only `electricity`, `product` and `supplier` inputs of energy carry a \
                         profile"
                            .into(),
                        "remove `profile` from this input",
                    ));
                }
                let to_unit = reader.energy(input.unit, &at)?;
                let p = reader.profile(rprof, &at, input.amount, to_unit, "input's amount")?;
                input.profile = Some(Box::new(p));
            }
            let to_unit = Unit::KWH.factor_to(input.unit).unwrap_or(1.0);
            let Source::Electricity { instruments, .. } = &mut input.source else { continue };
            for (ni, (ins, rins)) in instruments.iter_mut().zip(&ri.instruments).enumerate() {
                let at = format!("{pointer}/instruments/{ni}");
                ins.timing = reader.instrument(rins, &at, ins.quantity, to_unit)?;
            }
        }
    }
    inv.grid = Some(grid);
    Ok(())
}

struct Reader<'a> {
    base: &'a Path,
    file: &'a str,
    grid: &'a Grid,
    zone: &'a str,
}

impl Reader<'_> {
    fn invalid(&self, pointer: &str, problem: String, help: &str) -> InventoryError {
        InventoryError::Invalid {
            file: self.file.to_string(),
            at: None,
            pointer: pointer.to_string(),
            problem,
            help: help.to_string(),
        }
    }

    /// A meter's readings on the grid in the grid factor's unit, its total, and its source.
    fn meter(
        &self,
        name: &str,
        at: &str,
        to_unit: f64,
    ) -> Result<(Vec<f64>, String), InventoryError> {
        self.meter_digest(name, at, to_unit).map(|(v, s, _)| (v, s))
    }

    fn meter_digest(
        &self,
        name: &str,
        at: &str,
        to_unit: f64,
    ) -> Result<(Vec<f64>, String, Digest), InventoryError> {
        let path = self.base.join(name);
        let shown = path.display().to_string();
        let bytes = std::fs::read(&path)
            .map_err(|e| InventoryError::Read { file: shown.clone(), message: e.to_string() })?;
        let text = String::from_utf8(bytes.clone()).map_err(|_| {
            self.invalid(at, format!("{shown} is not UTF-8 text"), "export the meter data as CSV")
        })?;
        let help = "fix the meter export (docs/meter-data.md: a `timestamp,kwh` header, one \
                    reading per interval start)";
        let meter = Meter::read(&shown, &text, self.zone)
            .map_err(|e| self.invalid(at, e.to_string(), help))?;
        let on = meter.on_grid(self.grid).map_err(|e| self.invalid(at, e.to_string(), help))?;
        let values = on.into_iter().map(|v| v * to_unit).collect();
        let digest = Digest::of(&bytes);
        Ok((values, format!("meter {name} ({digest})"), digest))
    }

    fn check_total(
        &self,
        at: &str,
        what: &str,
        values: &[f64],
        stated: f64,
        to_unit: f64,
    ) -> Result<(), InventoryError> {
        let total: f64 = values.iter().sum();
        if (total - stated).abs() > TOTAL_TOLERANCE * stated.abs().max(f64::MIN_POSITIVE) {
            let kwh = |x: f64| kwh_text(x / to_unit);
            return Err(self.invalid(
                at,
                format!(
                    "the meter data add up to {} kWh over the reference period, but the {what} \
                     states {} kWh (they may differ by at most {} %)",
                    kwh(total),
                    kwh(stated),
                    TOTAL_TOLERANCE * 100.0
                ),
                "state the metered total, or fix the meter export",
            ));
        }
        Ok(())
    }

    /// kWh to `unit` (an energy unit), or an error: meter data are kWh.
    fn energy(&self, unit: Unit, at: &str) -> Result<f64, InventoryError> {
        Unit::KWH.factor_to(unit).map_err(|_| {
            self.invalid(
                at,
                format!("a profile is energy in kWh, and this amount is in {unit}"),
                "give profiles only to amounts of energy (kWh, MWh, GJ, ...)",
            )
        })
    }

    fn profile(
        &self,
        rp: &super::raw::RawProfile,
        at: &str,
        amount: f64,
        to_unit: f64,
        what: &str,
    ) -> Result<Profile, InventoryError> {
        match (&rp.meter, &rp.shape) {
            (Some(meter), None) => {
                let (values, source) = self.meter(meter, &format!("{at}/meter"), to_unit)?;
                self.check_total(at, what, &values, amount, to_unit)?;
                Ok(Profile { values, source })
            }
            (None, Some(shape)) => {
                let Some(s) = LoadShape::named(shape) else {
                    let known: Vec<&str> = LoadShape::all().iter().map(|s| s.name).collect();
                    return Err(self.invalid(
                        &format!("{at}/shape"),
                        format!("{shape:?} is not a load shape pcf knows"),
                        &format!("use one of: {}", known.join(", ")),
                    ));
                };
                let values = s.on_grid(self.grid, amount);
                let source = format!(
                    "load shape {} scaled to the metered total {} kWh (no interval data)",
                    s.name,
                    kwh_text(amount / to_unit)
                );
                Ok(Profile { values, source })
            }
            _ => Err(self.invalid(
                at,
                "a profile gives exactly one of `meter` and `shape`".into(),
                "give `meter = \"meters/site.csv\"` for interval data, or `shape = \"day-shift\"`",
            )),
        }
    }

    fn instrument(
        &self,
        rins: &super::raw::RawInstrument,
        at: &str,
        quantity: f64,
        to_unit: f64,
    ) -> Result<InstrumentTiming, InventoryError> {
        use super::raw::InstrumentKind as K;
        match (rins.kind, &rins.profile, &rins.charge, &rins.discharge) {
            (K::Storage, None, Some(c), Some(d)) => {
                let (charge, cs) = self.meter(c, &format!("{at}/charge"), to_unit)?;
                let (discharge, ds) = self.meter(d, &format!("{at}/discharge"), to_unit)?;
                self.check_total(
                    at,
                    "instrument's quantity (its discharge)",
                    &discharge,
                    quantity,
                    to_unit,
                )?;
                Ok(InstrumentTiming::Storage {
                    charge,
                    discharge,
                    source: format!("charge {cs}; discharge {ds}"),
                })
            }
            (K::Storage, ..) => Err(self.invalid(
                at,
                "a storage instrument gives its metered `charge` and `discharge` (and no \
                 `profile`)"
                    .into(),
                "add `charge = \"meters/battery-charge.csv\"` and `discharge = \"...\"`",
            )),
            (_, Some(p), None, None) => {
                let (values, source, digest) =
                    self.meter_digest(p, &format!("{at}/profile"), to_unit)?;
                self.check_total(at, "instrument's quantity", &values, quantity, to_unit)?;
                Ok(InstrumentTiming::Profile { values, source, digest })
            }
            (_, None, None, None) => Ok(InstrumentTiming::None),
            _ => Err(self.invalid(
                at,
                "only a storage instrument has `charge` and `discharge`".into(),
                "give this instrument a `profile`, or make it `type = \"storage\"`",
            )),
        }
    }
}

/// kWh as people read them: up to three decimals, no trailing zeros.
fn kwh_text(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
