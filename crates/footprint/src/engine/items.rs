//! Items: each burden of a process in its reference period (a direct emission, a fuel burnt, an
//! electricity or heat purchase, a purchased product, biogenic uptake, land-use change, a
//! system-expansion credit), characterized with the methodology's GWP table and classified by
//! carbon pool, stage, source type and (for EU CBAM) direct or indirect.

use crate::inventory::{Factor, Gas, GasOrigin, Inventory, Output, Quality, Source, Stage};
use crate::methodology::{Methodology, PurchasedInputs};

use super::biogenic::non_negative;
use super::quality::{self, Classified, DataClass};
use super::result::ElectricityRecord;
use super::{EngineError, ch};

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// A direct emission of the process.
    Emission,
    /// A fuel burnt on site.
    Fuel,
    /// Electricity.
    Electricity,
    /// Purchased heat.
    Heat,
    /// A purchased product with a supplier's declaration.
    Supplier,
    /// A purchased product with a database factor.
    Database,
    /// An EU CBAM precursor with its producer's specific embedded emissions.
    Precursor,
    /// Biogenic CO2 uptake.
    Uptake,
    /// Land-use change.
    LandUseChange,
    /// A system-expansion credit.
    Credit,
}

impl ItemKind {
    /// Kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            ItemKind::Emission => "emission",
            ItemKind::Fuel => "fuel",
            ItemKind::Electricity => "electricity",
            ItemKind::Heat => "heat",
            ItemKind::Supplier => "supplier",
            ItemKind::Database => "database",
            ItemKind::Precursor => "precursor",
            ItemKind::Uptake => "biogenic-uptake",
            ItemKind::LandUseChange => "land-use-change",
            ItemKind::Credit => "system-expansion-credit",
        }
    }
}

/// A carbon pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Fossil GHG.
    Fossil,
    /// Biogenic CO2.
    BiogenicCo2,
    /// Biogenic non-CO2 (methane).
    BiogenicNonCo2,
}

/// One gas of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct GasAmount {
    /// Gas name.
    pub gas: String,
    /// kg of gas.
    pub kg: f64,
    /// kg CO2e.
    pub co2e: f64,
    /// Pool.
    pub category: Category,
}

/// One burden of a process, per reference period.
#[derive(Debug, Clone)]
pub struct Item {
    /// Process index.
    pub process: usize,
    /// Label for tables.
    pub label: String,
    /// Kind.
    pub kind: ItemKind,
    /// Stage.
    pub stage: Stage,
    /// Gases (characterized).
    pub gases: Vec<GasAmount>,
    /// CO2e not broken down by gas, fossil unless stated otherwise (pre-characterized factors,
    /// suppliers' declared figures).
    pub unspecified_co2e: f64,
    /// Biogenic non-CO2 CO2e not broken down by gas (suppliers).
    pub unspecified_bio_non_co2: f64,
    /// Declared figures not attributable to a pool (suppliers), counted as declared.
    pub other: f64,
    /// Land-use change, kg CO2e.
    pub luc: f64,
    /// Biogenic uptake, kg CO2 (positive).
    pub uptake: f64,
    /// Share of the item's counted CO2e that rests on primary data (0..1).
    pub primary_fraction: f64,
    /// Where the item's data come from.
    pub data: DataClass,
    /// DQRs (technological, temporal, geographical).
    pub dqr: Option<(f64, f64, f64)>,
    /// EU CBAM: share of the item that is direct (the rest indirect), or a declared split.
    pub cbam: Cbam,
    /// Excluded under the cut-off rule (reason).
    pub excluded: Option<String>,
    /// Outside the methodology's boundary (reason).
    pub outside: Option<String>,
    /// JSON pointer in the inventory.
    pub pointer: String,
    /// The supplier declaration of a supplier item (index into the inventory's suppliers).
    pub supplier: Option<usize>,
    /// The precursor of a precursor item (index into the inventory's precursors).
    pub precursor: Option<usize>,
    /// Share of the item based on EU CBAM default values (0..1).
    pub default_fraction: f64,
    /// Gases of an item outside the boundary that the methodology has no GWP for (left out of
    /// its reported CO2e; inside the boundary such a gas is an error).
    pub uncharacterized: Vec<String>,
}

/// Direct/indirect classification.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cbam {
    /// Entirely direct.
    Direct,
    /// Entirely indirect; `counted` is false when the methodology's `[cbam]` rules leave it
    /// out of the embedded emissions (a good that counts only direct emissions).
    Indirect {
        /// Whether it counts.
        counted: bool,
    },
    /// A declared split per reference period.
    Split {
        /// Direct part.
        direct: f64,
        /// Indirect part.
        indirect: f64,
        /// Whether the indirect part counts.
        indirect_counted: bool,
    },
}

impl Item {
    fn new(process: usize, label: String, kind: ItemKind, stage: Stage, pointer: String) -> Item {
        Item {
            process,
            label,
            kind,
            stage,
            gases: Vec::new(),
            unspecified_co2e: 0.0,
            unspecified_bio_non_co2: 0.0,
            other: 0.0,
            luc: 0.0,
            uptake: 0.0,
            primary_fraction: 0.0,
            data: DataClass::Secondary,
            dqr: None,
            cbam: Cbam::Direct,
            excluded: None,
            outside: None,
            pointer,
            supplier: None,
            precursor: None,
            default_fraction: 0.0,
            uncharacterized: Vec::new(),
        }
    }

    /// The CO2e of the item that the methodology's `[cbam]` rules leave out of the counted
    /// figures as indirect emissions not counted (zero for an item outside the boundary).
    pub fn indirect_not_counted(&self, m: &Methodology) -> f64 {
        if self.outside.is_some() {
            return 0.0;
        }
        match self.cbam {
            Cbam::Indirect { counted: false } => self.counted_all(m),
            Cbam::Split { indirect, indirect_counted: false, .. } => indirect,
            _ => 0.0,
        }
    }

    /// Whether the whole item is indirect emissions not counted.
    pub fn wholly_not_counted(&self) -> bool {
        matches!(self.cbam, Cbam::Indirect { counted: false })
    }

    /// What the item counts before the `[cbam]` rules: every pool the methodology counts.
    fn counted_all(&self, m: &Methodology) -> f64 {
        let b = &m.rules.biogenic;
        let mut fossil = self.unspecified_co2e;
        let mut bio_co2 = 0.0;
        let mut bio_non = self.unspecified_bio_non_co2;
        for g in &self.gases {
            match g.category {
                Category::Fossil => fossil += g.co2e,
                Category::BiogenicCo2 => bio_co2 += g.co2e,
                Category::BiogenicNonCo2 => bio_non += g.co2e,
            }
        }
        fossil
            + bio_non
            + self.other
            + if b.count_co2_emissions { bio_co2 } else { 0.0 }
            + if b.count_land_use_change { self.luc } else { 0.0 }
    }

    /// All CO2e of the item regardless of what the methodology counts.
    pub fn co2e_all(&self, _m: &Methodology) -> f64 {
        self.gases.iter().map(|g| g.co2e).sum::<f64>()
            + self.unspecified_co2e
            + self.unspecified_bio_non_co2
            + self.other
            + self.luc
    }

    /// The solver channels of this item (the channel indices of the engine's `ch` module).
    pub fn channels(&self, m: &Methodology) -> [f64; ch::K] {
        let mut c = [0.0; ch::K];
        if self.outside.is_some() {
            return c;
        }
        let b = &m.rules.biogenic;
        let mut fossil = self.unspecified_co2e;
        let mut bio_co2 = 0.0;
        let mut bio_non = self.unspecified_bio_non_co2;
        for g in &self.gases {
            match g.category {
                Category::Fossil => fossil += g.co2e,
                Category::BiogenicCo2 => bio_co2 += g.co2e,
                Category::BiogenicNonCo2 => bio_non += g.co2e,
            }
        }
        let mut counted = fossil
            + bio_non
            + self.other
            + if b.count_co2_emissions { bio_co2 } else { 0.0 }
            + if b.count_land_use_change { self.luc } else { 0.0 };
        if self.excluded.is_some() {
            c[ch::EXCLUDED] = counted;
            return c;
        }
        // EU CBAM: indirect emissions of a good that counts only direct emissions leave every
        // counted channel. A supplier's declared indirect figure (electricity CO2) leaves the
        // fossil pool it was declared in.
        let not_counted = self.indirect_not_counted(m);
        if self.wholly_not_counted() {
            c[ch::INDIRECT_NOT_COUNTED] = not_counted;
            return c;
        }
        c[ch::INDIRECT_NOT_COUNTED] = not_counted;
        counted -= not_counted;
        fossil -= not_counted;
        c[ch::COUNTED] = counted;
        c[ch::FOSSIL] = fossil;
        c[ch::BIO_CO2] = bio_co2;
        c[ch::BIO_NON_CO2] = bio_non;
        c[ch::LUC] = self.luc;
        c[ch::UPTAKE] = self.uptake;
        c[ch::OTHER] = self.other;
        c[ch::PRIMARY] = counted * self.primary_fraction;
        c[ch::DATA + self.data.index()] = counted;
        c[ch::CBAM_DEFAULT] = counted * self.default_fraction;
        if let Some((t, te, g)) = self.dqr {
            c[ch::DQR_T] = t * counted;
            c[ch::DQR_TE] = te * counted;
            c[ch::DQR_G] = g * counted;
            c[ch::DQR_W] = counted;
        }
        match self.cbam {
            Cbam::Direct => c[ch::DIRECT] = counted,
            Cbam::Indirect { .. } => c[ch::INDIRECT] = counted,
            Cbam::Split { direct, indirect, indirect_counted } => {
                c[ch::DIRECT] = direct;
                c[ch::INDIRECT] = if indirect_counted { indirect } else { 0.0 };
            }
        }
        c
    }

    /// Sets the item's data class (and so its primary fraction) and its ratings.
    pub(super) fn set_quality(&mut self, class: Classified, q: &Quality) {
        self.data = class.class;
        self.primary_fraction = class.primary;
        if let (Some(t), Some(te), Some(g)) = (q.technological, q.temporal, q.geographical) {
            self.dqr = Some((f64::from(t), f64::from(te), f64::from(g)));
        }
    }

    /// Adds `amount` of `gas`, characterized.
    fn add_gas(
        &mut self,
        m: &Methodology,
        file: &str,
        gas: &Gas,
        kg: f64,
    ) -> Result<(), EngineError> {
        if self.outside.is_some() && m.gwp(gas).is_none() {
            // Not counted either way; reported as not characterized.
            if !self.uncharacterized.contains(&gas.0) {
                self.uncharacterized.push(gas.0.clone());
            }
            return Ok(());
        }
        let gwp = m.gwp(gas).ok_or_else(|| EngineError::Rule {
            file: file.into(),
            pointer: self.pointer.clone(),
            problem: match &m.rules.cbam {
                Some(_) => format!(
                    "gas {:?} is not a greenhouse gas of any CBAM good: Regulation (EU) 2023/956 \
                     Annex I, as methodology {} encodes it, names only {}",
                    gas.0,
                    m.id(),
                    m.rules.gwp.factors.keys().cloned().collect::<Vec<_>>().join(", "),
                ),
                None => format!(
                    "gas {:?} has no GWP in methodology {} ({})",
                    gas.0,
                    m.id(),
                    m.rules.gwp.set
                ),
            },
            help: match &m.rules.cbam {
                Some(_) => "list only CBAM gases (Regulation (EU) 2023/956 Annex I); for a \
                            fuel, a CO2-only combustion factor, as the EU ETS monitors"
                    .into(),
                None => format!(
                    "use one of: {}",
                    m.rules.gwp.factors.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            },
        })?;
        let category = match gas.origin() {
            GasOrigin::Fossil => Category::Fossil,
            GasOrigin::BiogenicCo2 => Category::BiogenicCo2,
            GasOrigin::BiogenicNonCo2 => Category::BiogenicNonCo2,
        };
        match self.gases.iter_mut().find(|g| g.gas == gas.0) {
            Some(g) => {
                g.kg += kg;
                g.co2e += kg * gwp;
            }
            None => self.gases.push(GasAmount { gas: gas.0.clone(), kg, co2e: kg * gwp, category }),
        }
        Ok(())
    }

    /// Adds `activity` units of factor `f`.
    pub(super) fn add_factor(
        &mut self,
        m: &Methodology,
        file: &str,
        f: &Factor,
        activity: f64,
    ) -> Result<(), EngineError> {
        for (gas, per) in &f.gases {
            self.add_gas(m, file, gas, activity * per)?;
        }
        self.unspecified_co2e += activity * f.co2e;
        self.luc += activity * f.land_use_change;
        self.uptake += activity * f.biogenic_uptake;
        Ok(())
    }
}

/// Builds every process's items; records electricity decisions.
pub(super) fn build(
    inv: &Inventory,
    m: &Methodology,
    electricity: &mut Vec<ElectricityRecord>,
) -> Result<Vec<Item>, EngineError> {
    let file = inv.path.display().to_string();
    let rules = &m.rules;
    let mut items = Vec::new();
    for (pi, p) in inv.processes.iter().enumerate() {
        for e in &p.emissions {
            let label = match &e.blend {
                Some(b) => format!("{} ({} in {b})", p.name, e.gas),
                None => format!("{}: {}", p.name, e.gas),
            };
            let mut it = Item::new(pi, label, ItemKind::Emission, p.stage, e.pointer.clone());
            it.add_gas(m, &file, &e.gas, e.kg)?;
            it.set_quality(quality::of_quality(m, &e.quality), &e.quality);
            items.push(it);
        }
        // Uptake is zero or above (the inventory schema says so); a negative land-use change
        // (carbon stock gain) is counted or refused by the methodology's rule for a value of
        // the wrong sign, and refused by files without one (the schema refused it before).
        let uptake = non_negative(m, &file, &p.pointer, p.biogenic_uptake, Some(0.0), || {
            format!("process {:?} states biogenic uptake {} kg CO2", p.id, p.biogenic_uptake)
        })?;
        if uptake != 0.0 {
            let mut it = Item::new(
                pi,
                format!("{}: biogenic uptake", p.name),
                ItemKind::Uptake,
                p.stage,
                format!("{}/biogenic_uptake", p.pointer),
            );
            it.uptake = uptake;
            it.set_quality(quality::of_quality(m, &p.quality), &p.quality);
            items.push(it);
        }
        let pointer = format!("{}/land_use_change", p.pointer);
        let luc = non_negative(m, &file, &pointer, p.land_use_change, None, || {
            format!("process {:?} states land-use change {} kg CO2e", p.id, p.land_use_change)
        })?;
        if luc != 0.0 {
            let mut it = Item::new(
                pi,
                format!("{}: land-use change", p.name),
                ItemKind::LandUseChange,
                p.stage,
                format!("{}/land_use_change", p.pointer),
            );
            it.luc = luc;
            it.set_quality(quality::of_quality(m, &p.quality), &p.quality);
            items.push(it);
        }
        for inp in &p.inputs {
            let (kind, factor_quality) = match &inp.source {
                Source::Product(_) => continue,
                Source::Supplier(_) => (ItemKind::Supplier, None),
                Source::Precursor(x) => (
                    ItemKind::Precursor,
                    inv.precursors[*x].factor.filter(|_| rules.cbam.is_none()),
                ),
                Source::Database(f) => (ItemKind::Database, Some(*f)),
                Source::Fuel(f) => (ItemKind::Fuel, Some(*f)),
                Source::Heat(f) => (ItemKind::Heat, Some(*f)),
                Source::Electricity { grid, .. } => (ItemKind::Electricity, Some(*grid)),
            };
            let mut it = Item::new(pi, inp.name.clone(), kind, inp.stage, inp.pointer.clone());
            it.excluded = inp.excluded.clone();
            if !rules.boundary.stages.contains(&inp.stage) {
                it.outside = Some(format!(
                    "stage {} is outside the {} boundary of {}",
                    super::stage_name(inp.stage),
                    rules.boundary.kind,
                    m.id()
                ));
            } else if rules.boundary.purchased_inputs == PurchasedInputs::Precursors
                && matches!(kind, ItemKind::Supplier | ItemKind::Database | ItemKind::Precursor)
                && !inp.precursor
            {
                it.outside = Some(format!(
                    "{} counts only precursors; this input is not marked `precursor = true`",
                    m.id()
                ));
            }
            match &inp.source {
                Source::Product(_) => {}
                Source::Supplier(s) => super::supplier::fill(&mut it, inv, m, &file, inp, *s)?,
                Source::Precursor(x) => super::cbam::precursor(&mut it, inv, m, &file, inp, *x)?,
                Source::Database(f) | Source::Fuel(f) | Source::Heat(f) => {
                    it.add_factor(m, &file, &inv.factors[*f], inp.amount)?;
                }
                Source::Electricity { grid, residual_mix, instruments, .. } => {
                    electricity.push(super::electricity::apply(
                        &mut it,
                        inv,
                        m,
                        &file,
                        &p.id,
                        inp,
                        *grid,
                        *residual_mix,
                        instruments,
                    )?);
                }
            }
            if let Some(fi) = factor_quality {
                // Factor-based items: the one classification decides the primary data share;
                // explicit input ratings win over the factor's.
                let mut q = inv.factors[fi].quality.clone();
                if inp.quality.technological.is_some()
                    && inp.quality.temporal.is_some()
                    && inp.quality.geographical.is_some()
                {
                    q.technological = inp.quality.technological;
                    q.temporal = inp.quality.temporal;
                    q.geographical = inp.quality.geographical;
                }
                if let Some(class) = quality::of_input(inv, m, pi, inp) {
                    it.set_quality(class, &q);
                }
            }
            items.push(it);
        }
    }
    Ok(items)
}

/// A system-expansion credit for co-product `o` of process `pi`, displacing factor `f`.
pub(super) fn credit(
    inv: &Inventory,
    m: &Methodology,
    pi: usize,
    o: &Output,
    f: usize,
) -> Result<Item, EngineError> {
    let file = inv.path.display().to_string();
    let factor = &inv.factors[f];
    let product = &inv.products[o.product];
    let k = product.unit.factor_to(factor.per).map_err(|e| EngineError::Rule {
        file: file.clone(),
        pointer: format!("{}/displaces", o.pointer),
        problem: format!("{e}: factor {:?} cannot value co-product {:?}", factor.id, product.id.0),
        help: "displace a factor given per unit of the co-product's declared unit dimension".into(),
    })?;
    let mut it = Item::new(
        pi,
        format!("credit: {} displaces {}", product.name, factor.name),
        ItemKind::Credit,
        inv.processes[pi].stage,
        format!("{}/displaces", o.pointer),
    );
    it.add_factor(m, &file, factor, -o.amount * k)?;
    // The displaced product's uptake is a negative uptake of this chain: left out by the
    // first files, counted or refused by the methodology's rule for a value of the wrong sign.
    it.uptake = non_negative(m, &file, &it.pointer, it.uptake, Some(0.0), || {
        format!(
            "co-product {:?} displaces factor {:?}, which carries biogenic uptake: the credit \
             is a negative uptake of {} kg CO2",
            product.id.0, factor.id, it.uptake
        )
    })?;
    it.set_quality(quality::of_quality(m, &factor.quality), &factor.quality);
    Ok(it)
}
