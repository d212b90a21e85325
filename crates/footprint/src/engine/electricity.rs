//! Electricity: the methodology's accounting method applied to one electricity input (grid
//! factor, contractual instruments, the uncovered rest), with every decision recorded in an
//! [`ElectricityRecord`]. The rules (accepted instruments, what an instrument without a factor
//! means, the factor of the uncovered rest, the factor kind required) are the file's.

use crate::dataset::{Dataset, REFERENCE_PREFIX};
use crate::inventory::{Factor, Gas, Input, Instrument, Inventory, Quality, SourceType};
use crate::methodology::{
    ClaimWithoutResidual, ElectricityAccounting, InstrumentWithoutFactor, KindMismatch,
    Methodology, Uncovered, WithoutSerial,
};

use super::EngineError;
use super::items::{Cbam, Item};
use super::result::{ElectricityRecord, InstrumentUse};

/// The electricity input `inp` of process `process`, applied to `it`.
#[allow(clippy::too_many_arguments)]
pub(super) fn apply(
    it: &mut Item,
    inv: &Inventory,
    m: &Methodology,
    file: &str,
    process: &str,
    inp: &Input,
    grid: usize,
    residual_mix: Option<usize>,
    instruments: &[Instrument],
) -> Result<ElectricityRecord, EngineError> {
    let rules = &m.rules;
    it.cbam = Cbam::Indirect { counted: true };
    let grid_f = &inv.factors[grid];
    let total = inp.amount;
    let mut record = ElectricityRecord {
        process: process.to_string(),
        input: inp.name.clone(),
        accounting: match rules.electricity.accounting {
            ElectricityAccounting::LocationBased => "location-based".into(),
            ElectricityAccounting::MarketBased => "market-based".into(),
        },
        consumed: total,
        unit: grid_f.per.symbol().to_string(),
        covered: 0.0,
        uncovered_factor: grid_f.id.clone(),
        uncovered_source: grid_f.source.clone(),
        instruments: Vec::new(),
        pointer: inp.pointer.clone(),
        notes: Vec::new(),
        matching: None,
    };
    if rules.electricity.accounting == ElectricityAccounting::LocationBased {
        check_kind(m, file, &inp.pointer, &inp.name, grid_f, &mut record)?;
        it.add_factor(m, file, grid_f, total)?;
        for ins in instruments {
            record.instruments.push(InstrumentUse {
                kind: instrument_name(ins.kind).into(),
                serial: ins.serial.clone(),
                quantity: ins.quantity,
                used: 0.0,
                counted: false,
                reason: format!("{} uses location-based accounting", m.id()),
                default_factor: None,
                default_dataset: None,
            });
        }
        return Ok(record);
    }
    // Under a matching rule, what each instrument counts is decided in time (engine/timing).
    let refused: Vec<Option<String>> = instruments
        .iter()
        .map(|ins| {
            if !rules.electricity.accepted_instruments.contains(&ins.kind) {
                Some(format!("{} does not accept this kind of instrument", m.id()))
            } else if rules.electricity.require_serial && ins.serial.is_none() {
                Some(format!("{} requires a serial number: not counted", m.id()))
            } else {
                None
            }
        })
        .collect();
    let plan = super::timing::plan(inv, m, file, inp, instruments, &refused)?;
    let mut left = total;
    for (ni, ins) in instruments.iter().enumerate() {
        let kind_ok = rules.electricity.accepted_instruments.contains(&ins.kind);
        let serial_ok = !rules.electricity.require_serial || ins.serial.is_some();
        let (used, counted, mut reason) = if !kind_ok {
            (0.0, false, format!("{} does not accept this kind of instrument", m.id()))
        } else if !serial_ok {
            if rules.electricity.without_serial == Some(WithoutSerial::Error) {
                return Err(EngineError::Rule {
                    file: file.to_string(),
                    pointer: format!("{}/instruments/{ni}", inp.pointer),
                    problem: format!(
                        "this {} instrument has no serial number; {} counts an instrument only \
                         with its serial (`electricity.require_serial`), and refuses one without \
                         (`electricity.without_serial = \"error\"`) rather than leave it out \
                         unseen ({})",
                        instrument_name(ins.kind),
                        m.id(),
                        rules.electricity.clause
                    ),
                    help:
                        "add `serial = \"...\"` as printed on the certificate (a GEC's 证书编号), \
                           or remove the instrument to account for the electricity at the grid \
                           factor"
                            .into(),
                });
            }
            (0.0, false, format!("{} requires a serial number: not counted", m.id()))
        } else if let Some(p) = &plan {
            (p.matched[ni], p.matched[ni] > 0.0, p.reasons[ni].clone())
        } else {
            let used = ins.quantity.min(left);
            let reason = if used < ins.quantity {
                format!(
                    "{} of {} not needed (consumption already covered)",
                    fmt_amount(ins.quantity - used),
                    fmt_amount(ins.quantity)
                )
            } else {
                "counted".to_string()
            };
            (used, true, reason)
        };
        left -= used;
        // The energy counted at this instrument's factor (under matching: with its share of
        // storage's shifted green energy; a store carries none of its own).
        let activity = plan.as_ref().map_or(used, |p| p.activity[ni]);
        let (mut default_factor, mut default_dataset) = (None, None);
        if activity > 0.0 {
            let at = format!("{}/instruments/{ni}", inp.pointer);
            match (ins.factor, rules.electricity.instrument_without_factor) {
                (Some(f), _) => {
                    let f = &inv.factors[f];
                    check_kind(m, file, &inp.pointer, &inp.name, f, &mut record)?;
                    // `activity` is in the grid factor's unit; the instrument's factor may be per
                    // another unit of energy.
                    let activity = activity * unit_ratio(grid_f, f, file, &at)?;
                    it.add_factor(m, file, f, activity)?;
                }
                // The methodology counts it as zero-emission generation.
                (None, InstrumentWithoutFactor::Zero) => {}
                (None, InstrumentWithoutFactor::Error) => {
                    return Err(EngineError::Rule {
                        file: file.to_string(),
                        pointer: at,
                        problem: format!(
                            "{} counts this {} instrument but it has no emission factor, and the methodology's rule `electricity.instrument_without_factor = \"error\"` requires one ({})",
                            m.id(),
                            instrument_name(ins.kind),
                            rules.electricity.clause
                        ),
                        help: "give the instrument the emission factor of the generation it covers, e.g. `factor = \"dataset:cn-grid@2023-footprint-wind\"` or a factor of the generator in `factors`".into(),
                    });
                }
                (None, InstrumentWithoutFactor::TechnologyDefault) => {
                    let (tech, reference, f, ds) = technology_default(inv, m, file, &at, ins)?;
                    check_kind(m, file, &inp.pointer, &inp.name, &f, &mut record)?;
                    let activity = activity * unit_ratio(grid_f, &f, file, &at)?;
                    it.add_factor(m, file, &f, activity)?;
                    reason = format!(
                        "{reason}; no emission factor: the {tech} default {reference} of {} \
                         (`electricity.instrument_without_factor = \"technology-default\"`)",
                        m.id()
                    );
                    default_factor = Some(reference);
                    default_dataset = Some(ds);
                }
            }
        }
        record.covered += used;
        record.instruments.push(InstrumentUse {
            kind: instrument_name(ins.kind).into(),
            serial: ins.serial.clone(),
            quantity: ins.quantity,
            used,
            counted,
            reason,
            default_factor,
            default_dataset,
        });
    }
    let unmatched = plan.as_ref().map(|p| p.unmatched_by_bucket.clone());
    record.matching = plan.map(|p| p.record);
    let supplier = match &inp.source {
        crate::inventory::Source::Electricity { supplier, .. } => *supplier,
        _ => None,
    };
    if let (Some(s), true) = (supplier, left > 1e-12 * total.abs()) {
        super::supplier::uncovered(it, inv, m, file, inp, s, grid_f, left, unmatched, &mut record)?;
        return Ok(record);
    }
    if left > 1e-12 * total.abs() {
        let f = match (rules.electricity.uncovered, residual_mix) {
            (Uncovered::Grid, _) => grid_f,
            (_, Some(r)) => &inv.factors[r],
            (Uncovered::ResidualMixOrGrid, None) => {
                if record.covered > 0.0 {
                    claim_without_residual(m, file, inp, grid_f, left, &mut record)?;
                }
                grid_f
            }
            (Uncovered::ResidualMix, None) => {
                return Err(EngineError::Rule {
                    file: file.to_string(),
                    pointer: inp.pointer.clone(),
                    problem: format!(
                        "{} requires a residual-mix factor for electricity not covered by instruments",
                        m.id()
                    ),
                    help: "add `residual_mix_factor` to this input".into(),
                });
            }
        };
        record.uncovered_factor = f.id.clone();
        record.uncovered_source = f.source.clone();
        check_kind(m, file, &inp.pointer, &inp.name, f, &mut record)?;
        // `left` is in the grid factor's unit; a residual-mix factor may be per another.
        let activity = left * unit_ratio(grid_f, f, file, &inp.pointer)?;
        it.add_factor(m, file, f, activity)?;
    }
    Ok(record)
}

/// Instruments are counted and the uncovered rest takes the grid average for want of a
/// residual mix: the claimed attributes are in the grid average too. As the file says.
fn claim_without_residual(
    m: &Methodology,
    file: &str,
    inp: &Input,
    grid_f: &Factor,
    left: f64,
    record: &mut ElectricityRecord,
) -> Result<(), EngineError> {
    let Some(rule) = m.rules.electricity.on_claim_without_residual else { return Ok(()) };
    let problem = format!(
        "{} {unit} of {} {unit} are claimed by instruments while the uncovered {} {unit} take \
         the grid average {} for want of a residual-mix factor: the claimed generation is also \
         in the grid average, so its attributes are counted twice",
        fmt_amount(record.covered),
        fmt_amount(record.consumed),
        fmt_amount(left),
        grid_f.id,
        unit = record.unit,
    );
    match rule {
        ClaimWithoutResidual::Note => {
            record.notes.push(format!(
                "{problem} ({} `electricity.on_claim_without_residual = \"note\"`)",
                m.id()
            ));
            Ok(())
        }
        ClaimWithoutResidual::Error => Err(EngineError::Rule {
            file: file.to_string(),
            pointer: inp.pointer.clone(),
            problem: format!(
                "{problem}, and {} `electricity.on_claim_without_residual = \"error\"` refuses it",
                m.id()
            ),
            help: "add `residual_mix_factor` to this input (a residual mix of the kind the methodology requires), or drop the instruments".into(),
        }),
    }
}

/// The default factor of the instrument's technology: (technology, reference, factor, the
/// dataset it was read from).
fn technology_default(
    inv: &Inventory,
    m: &Methodology,
    file: &str,
    at: &str,
    ins: &Instrument,
) -> Result<(String, String, Factor, crate::dataset::DatasetRef), EngineError> {
    let e = &m.rules.electricity;
    let known = e.technology_defaults.keys().map(String::as_str).collect::<Vec<_>>().join(", ");
    let rule = format!(
        "the methodology's rule `electricity.instrument_without_factor = \"technology-default\"` \
         ({})",
        e.clause
    );
    let refuse = |problem: String, help: String| EngineError::Rule {
        file: file.to_string(),
        pointer: at.to_string(),
        problem,
        help,
    };
    let Some(tech) = &ins.technology else {
        return Err(refuse(
            format!(
                "{} counts this {} instrument but it has neither an emission factor nor a \
                 `technology`, and {rule} needs one of them",
                m.id(),
                instrument_name(ins.kind)
            ),
            format!(
                "add the generation technology of the certificate or contract, e.g. \
                 `technology = \"wind\"` ({} has defaults for: {known}), or give the instrument \
                 its own `factor`",
                m.id()
            ),
        ));
    };
    let Some(reference) = e.technology_defaults.get(tech) else {
        return Err(refuse(
            format!(
                "{} counts this {} instrument without an emission factor, and its technology \
                 {tech:?} has no default in the methodology's `electricity.technology_defaults` \
                 ({rule})",
                m.id(),
                instrument_name(ins.kind)
            ),
            format!(
                "give the instrument its own `factor`, or use a technology {} has a default \
                 for: {known}",
                m.id()
            ),
        ));
    };
    let broken = |why: String| {
        refuse(
            format!("{}'s `electricity.technology_defaults.{tech}` = {reference:?}: {why}", m.id()),
            "give the instrument its own `factor`, or use a methodology file whose defaults \
             this pcf ships"
                .into(),
        )
    };
    let (ds_id, factor_id) = reference
        .strip_prefix(REFERENCE_PREFIX)
        .and_then(|r| r.split_once('@'))
        .ok_or_else(|| broken("not a dataset reference".into()))?;
    // The dataset version the inventory pins (so one declaration uses one version), else the
    // shipped one.
    let ds = match inv.datasets.iter().find(|d| d.id == ds_id) {
        Some(pinned) => Dataset::shipped_with_digest(ds_id, &pinned.digest)
            .ok_or_else(|| broken(format!("dataset {ds_id} {} is not shipped", pinned.version)))?,
        None => Dataset::shipped(ds_id).map_err(|err| broken(err.to_string()))?,
    };
    let df = ds.factor(factor_id).ok_or_else(|| {
        broken(format!("dataset {} {} has no factor {factor_id:?}", ds.id(), ds.version()))
    })?;
    let per = df.per.parse().map_err(|err| broken(format!("{err}")))?;
    let f = Factor {
        id: format!("dataset.{ds_id}.{factor_id}"),
        name: df.name.clone(),
        per,
        gases: df.gases.iter().map(|(g, v)| (Gas(g.clone()), *v)).collect(),
        co2e: df.co2e.unwrap_or(0.0),
        land_use_change: 0.0,
        biogenic_uptake: 0.0,
        ncv: None,
        density: None,
        source: match &df.source {
            Some(s) => format!("{s} ({})", ds.file.dataset.source),
            None => ds.file.dataset.source.clone(),
        },
        licence: ds.file.dataset.licence.clone(),
        dataset: Some(format!("{} {} {}", ds.id(), ds.version(), ds.digest())),
        kind: df.kind,
        quality: Quality {
            source: SourceType::Secondary,
            technological: None,
            temporal: None,
            geographical: None,
            reference_period: None,
            geography: None,
            primary_data_share: None,
        },
        pointer: at.to_string(),
    };
    Ok((tech.clone(), format!("{reference} ({} {})", ds.id(), ds.version()), f, ds.reference()))
}

/// Units of `f.per` in one unit of the grid factor's.
fn unit_ratio(grid: &Factor, f: &Factor, file: &str, at: &str) -> Result<f64, EngineError> {
    grid.per.factor_to(f.per).map_err(|err| EngineError::Rule {
        file: file.to_string(),
        pointer: at.to_string(),
        problem: format!(
            "the factor {} is per {}, which does not convert from the grid factor's {}: {err}",
            f.id, f.per, grid.per
        ),
        help: "give electricity factors per unit of energy (kWh, MWh, GJ, ...)".into(),
    })
}

/// Checks an electricity factor's kind against the kind the methodology requires: a mismatch
/// is an error or a note (as the methodology says); a factor without a kind is accepted and
/// noted.
fn check_kind(
    m: &Methodology,
    file: &str,
    pointer: &str,
    input: &str,
    f: &Factor,
    record: &mut ElectricityRecord,
) -> Result<(), EngineError> {
    let e = &m.rules.electricity;
    let Some(required) = e.grid_factor_kind else { return Ok(()) };
    let Some(kind) = f.kind else {
        let note = format!(
            "factor {:?} does not state its kind; {} requires {} electricity factors \
             (accepted, not checked)",
            f.id,
            m.id(),
            required.as_str()
        );
        if !record.notes.contains(&note) {
            record.notes.push(note);
        }
        return Ok(());
    };
    if kind == required {
        return Ok(());
    }
    let dataset = f.dataset.as_deref().and_then(|d| d.split_whitespace().next());
    let written = match dataset {
        Some(d) => match f.id.strip_prefix(&format!("dataset.{d}.")) {
            Some(rest) => format!("dataset:{d}@{rest}"),
            None => f.id.clone(),
        },
        None => f.id.clone(),
    };
    let problem = format!(
        "electricity input {input:?} applies factor {written} of kind {}; {} requires a {} \
         electricity factor",
        kind.as_str(),
        m.id(),
        required.as_str()
    );
    let instead = dataset.and_then(|d| crate::dataset::Dataset::shipped(d).ok()).and_then(|d| {
        let ok: Vec<&str> = d
            .file
            .factors
            .iter()
            .filter(|x| x.kind == Some(required) && x.per == f.per.symbol())
            .map(|x| x.id.as_str())
            .collect();
        // The shortest id of the latest year: the national average, not a technology.
        let best = ok.iter().min_by(|a, b| a.len().cmp(&b.len()).then(b.cmp(a)))?;
        Some(format!("dataset:{}@{best}", d.id()))
    });
    let help = match &instead {
        Some(r) => format!("use a {} factor instead, e.g. `factor = \"{r}\"`", required.as_str()),
        None => format!("use a {} electricity factor instead", required.as_str()),
    };
    match e.on_factor_kind_mismatch.unwrap_or(KindMismatch::Error) {
        KindMismatch::Error => Err(EngineError::Rule {
            file: file.to_string(),
            pointer: pointer.to_string(),
            problem,
            help,
        }),
        KindMismatch::Warn => {
            let note = format!("{problem} (counted; {help})");
            if !record.notes.contains(&note) {
                record.notes.push(note);
            }
            Ok(())
        }
    }
}

pub(super) fn instrument_name(k: crate::inventory::InstrumentKind) -> &'static str {
    k.name()
}

pub(super) fn fmt_amount(x: f64) -> String {
    let s = format!("{x:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}
