//! Writing the template: a new workbook with the template's 19 sheets and the communication's
//! figures (and, given the inventory, its processes, source streams and purchased precursors)
//! in the cells of [`layout::CELLS`].

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::TemplateError;
use super::layout::{self, Field};
use crate::inventory::communication::{CommunicatedGood, Communication};
use crate::inventory::{Input, Inventory, Process, Source};
use crate::units::Unit;

/// The workbook's bytes: `comm` in the template's layout, with the production processes,
/// source streams (fuel inputs) and purchased precursors of `inv` where one is given.
pub fn xlsx_bytes(comm: &Communication, inv: Option<&Inventory>) -> Result<Vec<u8>, TemplateError> {
    let mut book = Workbook::new();
    for name in layout::SHEETS {
        book.add_worksheet().set_name(name).map_err(xlsx)?;
    }
    let mut w = Writer { book, date: Format::new().set_num_format("yyyy-mm-dd") };
    let note = format!(
        "Written by pcf {} in the layout of the EU CBAM communication template for \
         installations v{}: the template's sheet names and cell positions, values only (not \
         the Commission's file, and without its formulas).",
        env!("CARGO_PKG_VERSION"),
        layout::VERSION
    );
    let (sheet, a1) = layout::NOTE;
    let (letters, row) = layout::split_a1(a1);
    w.book
        .worksheet_from_name(sheet)
        .map_err(xlsx)?
        .write_string(row - 1, layout::column_index(letters), note)
        .map_err(xlsx)?;
    w.installation(comm)?;
    fits("goods", comm.goods.len(), 100)?;
    let (processes, of_good) = process_keys(comm, inv)?;
    for (k, key) in processes.iter().enumerate() {
        let k = k as u32;
        w.text("A_InstData", Field::ProcessName, k, &key.name)?;
        w.text("A_InstData", Field::ProcessCategory, k, &key.name)?;
        w.text("A_InstData", Field::GoodsCategory, k, &key.name)?;
        if let Some(route) = &key.route {
            w.text("A_InstData", Field::GoodsRoute, k, route)?;
        }
    }
    for (i, (g, k)) in comm.goods.iter().zip(&of_good).enumerate() {
        w.good(i as u32, g, &processes[*k].name)?;
    }
    if let Some(inv) = inv {
        for (k, key) in processes.iter().enumerate() {
            if let Some(p) = key.process {
                w.process(k as u32, inv, &inv.processes[p])?;
            }
        }
        w.streams(inv)?;
        w.precursors(inv)?;
    }
    w.book.save_to_buffer().map_err(xlsx)
}

/// The workbook being written.
struct Writer {
    book: Workbook,
    date: Format,
}

impl Writer {
    fn at(
        &mut self,
        sheet: &str,
        field: Field,
        i: u32,
    ) -> Result<(&mut rust_xlsxwriter::Worksheet, u32, u16), TemplateError> {
        let cell = layout::cell(sheet, field).ok_or_else(|| TemplateError::Write {
            problem: format!("no cell for {field:?} on {sheet}"),
            help: "this is a bug in pcf's layout table; please report it".into(),
        })?;
        let (row, col) = cell.position(i);
        Ok((self.book.worksheet_from_name(sheet).map_err(xlsx)?, row, col))
    }

    fn text(&mut self, sheet: &str, field: Field, i: u32, text: &str) -> Result<(), TemplateError> {
        let (ws, row, col) = self.at(sheet, field, i)?;
        ws.write_string(row, col, text).map_err(xlsx)?;
        Ok(())
    }

    fn number(&mut self, sheet: &str, field: Field, i: u32, n: f64) -> Result<(), TemplateError> {
        let (ws, row, col) = self.at(sheet, field, i)?;
        ws.write_number(row, col, n).map_err(xlsx)?;
        Ok(())
    }

    /// An ISO date as a date cell (as the template's date cells are), other text as text.
    fn date(&mut self, sheet: &str, field: Field, iso: &str) -> Result<(), TemplateError> {
        let format = self.date.clone();
        let (ws, row, col) = self.at(sheet, field, 0)?;
        match ExcelDateTime::parse_from_str(iso) {
            Ok(d) if iso.len() == 10 => ws.write_datetime_with_format(row, col, &d, &format),
            _ => ws.write_string(row, col, iso),
        }
        .map_err(xlsx)?;
        Ok(())
    }

    fn installation(&mut self, comm: &Communication) -> Result<(), TemplateError> {
        let inst = &comm.installation;
        for sheet in ["A_InstData", "Summary_Communication"] {
            self.text(sheet, Field::InstallationName, 0, &inst.name)?;
            if let Some(a) = &inst.address {
                self.text(sheet, Field::Street, 0, a)?;
            }
            self.text(sheet, Field::CountryCode, 0, &inst.country)?;
            if let Some(u) = &inst.unlocode {
                self.text(sheet, Field::Unlocode, 0, u)?;
            }
            self.date(sheet, Field::PeriodStart, &comm.period.start)?;
            self.date(sheet, Field::PeriodEnd, &comm.period.end)?;
        }
        self.text("A_InstData", Field::Country, 0, &inst.country)
    }

    fn good(&mut self, i: u32, g: &CommunicatedGood, process: &str) -> Result<(), TemplateError> {
        for sheet in ["Summary_Products", "Summary_Communication"] {
            self.text(sheet, Field::GoodProcess, i, process)?;
            self.text(sheet, Field::GoodCn, i, &g.cn)?;
            self.text(sheet, Field::GoodName, i, &g.name)?;
            self.number(sheet, Field::GoodDirect, i, g.direct)?;
            self.number(sheet, Field::GoodIndirect, i, g.indirect)?;
            self.number(sheet, Field::GoodTotal, i, g.direct + g.indirect)?;
            self.text(sheet, Field::GoodUnit, i, &format!("tCO2e/{}", g.unit))?;
            if let Some(s) = g.default_share {
                let (ws, row, col) = self.at(sheet, Field::GoodDefaultShare, i)?;
                ws.write_number_with_format(row, col, s, &Format::new().set_num_format("0%"))
                    .map_err(xlsx)?;
            }
            if let Some(s) = &g.electricity_factor_source {
                self.text(sheet, Field::GoodElectricitySource, i, s)?;
            }
            if let Some(ef) = g.electricity_factor.filter(|ef| *ef > 0.0) {
                self.number(sheet, Field::GoodElectricity, i, g.indirect / ef)?;
            }
        }
        if let Some(ef) = g.electricity_factor {
            self.number("Summary_Communication", Field::GoodElectricityFactor, i, ef)?;
        }
        Ok(())
    }

    /// D_Processes block `k`: production, CO2 of fuels and process emissions, electricity.
    fn process(&mut self, k: u32, inv: &Inventory, p: &Process) -> Result<(), TemplateError> {
        const D: &str = "D_Processes";
        let tonnes: f64 = p.outputs.iter().map(|o| o.mass / 1000.0).sum();
        self.number(D, Field::ProcessProduction, k, tonnes)?;
        self.text(D, Field::ProcessProductionUnit, k, "t")?;
        let fuels: f64 = p.inputs.iter().filter_map(|i| stream(inv, i)).map(|s| s.tco2).sum();
        let process: f64 =
            p.emissions.iter().filter(|e| e.gas.0 == "co2-fossil").map(|e| e.kg / 1000.0).sum();
        self.number(D, Field::ProcessDirect, k, fuels + process)?;
        let (mut mwh, mut tco2, mut source) = (0.0, 0.0, None);
        for i in p.inputs.iter().filter(|i| i.excluded.is_none()) {
            if let Source::Electricity { grid, .. } = &i.source {
                let Ok(to_kwh) = i.unit.factor_to(Unit::KWH) else { continue };
                let to_mwh = to_kwh / 1000.0;
                let f = &inv.factors[*grid];
                mwh += i.amount * to_mwh;
                tco2 += i.amount * co2_kg(f) / 1000.0;
                source.get_or_insert_with(|| f.source.clone());
            }
        }
        if mwh > 0.0 {
            self.number(D, Field::ProcessElectricity, k, mwh)?;
            self.number(D, Field::ProcessElectricityFactor, k, tco2 / mwh)?;
        }
        if let Some(s) = source {
            self.text(D, Field::ProcessElectricitySource, k, &s)?;
        }
        Ok(())
    }

    /// B_EmInst: one source stream per fuel input of the inventory.
    fn streams(&mut self, inv: &Inventory) -> Result<(), TemplateError> {
        const B: &str = "B_EmInst";
        let streams: Vec<(&Input, Stream)> = inv
            .processes
            .iter()
            .flat_map(|p| &p.inputs)
            .filter_map(|i| Some((i, stream(inv, i)?)))
            .collect();
        fits("source streams (fuel inputs)", streams.len(), 75)?;
        for (k, (input, s)) in streams.iter().enumerate() {
            let k = k as u32;
            self.text(B, Field::StreamMethod, k, "Combustion")?;
            self.text(B, Field::StreamName, k, &input.name)?;
            self.number(B, Field::StreamActivity, k, s.activity)?;
            self.text(B, Field::StreamActivityUnit, k, &s.activity_unit)?;
            if let Some(ncv) = s.ncv {
                self.number(B, Field::StreamNcv, k, ncv)?;
                self.text(B, Field::StreamNcvUnit, k, &format!("GJ/{}", s.activity_unit))?;
            }
            self.number(B, Field::StreamFactor, k, s.factor)?;
            self.text(B, Field::StreamFactorUnit, k, &s.factor_unit)?;
            self.number(B, Field::StreamOxidation, k, 100.0)?;
            self.text(B, Field::StreamOxidationUnit, k, "%")?;
        }
        Ok(())
    }

    /// A_InstData's purchased precursors and their E_PurchPrec blocks: the `precursor`
    /// inputs, and the inputs marked `precursor` that a supplier declares.
    fn precursors(&mut self, inv: &Inventory) -> Result<(), TemplateError> {
        let bought: Vec<Bought> = inv
            .processes
            .iter()
            .flat_map(|p| &p.inputs)
            .filter(|i| i.excluded.is_none())
            .filter_map(|i| bought(inv, i))
            .collect();
        fits("purchased precursors", bought.len(), 20)?;
        const E: &str = "E_PurchPrec";
        for (k, b) in bought.iter().enumerate() {
            let k = k as u32;
            self.text("A_InstData", Field::PrecursorName, k, &b.input.name)?;
            self.text("A_InstData", Field::PrecursorCategory, k, &b.category)?;
            if let Some(country) = &b.country {
                self.text("A_InstData", Field::PrecursorCountry, k, country)?;
            }
            if let Ok(to_kg) = b.input.unit.factor_to(Unit::KG) {
                self.number(E, Field::PurchasedAmount, k, b.input.amount * to_kg / 1000.0)?;
                self.text(E, Field::PurchasedUnit, k, "t")?;
            }
            if let Some((direct, indirect)) = b.see {
                self.number(E, Field::PurchasedDirect, k, direct)?;
                self.number(E, Field::PurchasedIndirect, k, indirect)?;
            }
        }
        Ok(())
    }
}

/// A purchased precursor as the template states it.
struct Bought<'a> {
    input: &'a Input,
    category: String,
    country: Option<String>,
    /// SEE direct and indirect, t CO2e per t.
    see: Option<(f64, f64)>,
}

/// The purchased precursor an input is, if it is one.
fn bought<'a>(inv: &Inventory, input: &'a Input) -> Option<Bought<'a>> {
    match input.source {
        Source::Precursor(p) => {
            let pre = &inv.precursors[p];
            let country = match &pre.basis {
                crate::inventory::PrecursorBasis::Default { country, .. } => Some(country.clone()),
                _ => None,
            };
            let category = format!("CN {}", pre.cn);
            Some(Bought { input, category, country, see: Some((pre.direct, pre.indirect)) })
        }
        Source::Supplier(s) if input.precursor => {
            let supplier = &inv.suppliers[s];
            let see = match (supplier.cbam, supplier.unit.factor_to(Unit::KG)) {
                (Some((direct, indirect)), Ok(kg)) => Some((direct / kg, indirect / kg)),
                _ => None,
            };
            Some(Bought { input, category: supplier.product_name.clone(), country: None, see })
        }
        _ => None,
    }
}

/// A source stream as the template states it.
struct Stream {
    activity: f64,
    activity_unit: String,
    ncv: Option<f64>,
    factor: f64,
    factor_unit: String,
    tco2: f64,
}

/// The source stream of a fuel input: activity data as metered (with the NCV pcf used to
/// convert it to energy) or, for a fuel metered in energy, in TJ; the factor's CO2.
fn stream(inv: &Inventory, input: &Input) -> Option<Stream> {
    let Source::Fuel(f) = input.source else { return None };
    if input.excluded.is_some() {
        return None;
    }
    let co2_t_per_unit = co2_kg(&inv.factors[f]) / 1000.0;
    let tco2 = input.amount * co2_t_per_unit;
    let Ok(to_mj) = input.unit.factor_to(Unit::MJ) else {
        let unit = input.unit.symbol();
        return Some(Stream {
            activity: input.amount,
            activity_unit: unit.to_string(),
            ncv: None,
            factor: co2_t_per_unit,
            factor_unit: format!("tCO2/{unit}"),
            tco2,
        });
    };
    let to_tj = to_mj / 1e6;
    let energy_tj = input.amount * to_tj;
    let metered = input.conversion.as_ref().and_then(|c| {
        let (amount, unit) = c.from.split_once(' ')?;
        let amount: f64 = amount.replace(',', "").parse().ok()?;
        (amount > 0.0).then(|| (amount, unit.trim().to_string()))
    });
    let factor = co2_t_per_unit / to_tj;
    Some(match metered {
        Some((amount, unit)) => Stream {
            activity: amount,
            activity_unit: unit,
            ncv: Some(energy_tj * 1000.0 / amount),
            factor,
            factor_unit: "tCO2/TJ".into(),
            tco2,
        },
        None => Stream {
            activity: energy_tj,
            activity_unit: "TJ".into(),
            ncv: None,
            factor,
            factor_unit: "tCO2/TJ".into(),
            tco2,
        },
    })
}

/// The fossil CO2 of a factor, kg per unit (its pre-characterized CO2e when it lists no gases).
fn co2_kg(f: &crate::inventory::Factor) -> f64 {
    if f.gases.is_empty() {
        return f.co2e;
    }
    f.gases.iter().filter(|(g, _)| g.0 == "co2-fossil").map(|(_, kg)| kg).sum()
}

/// A production process of the template's P1..P10 (and G1..G10).
struct Key {
    /// Its name (the inventory process's, or the good's when there is none).
    name: String,
    /// Its production route.
    route: Option<String>,
    /// The inventory process.
    process: Option<usize>,
}

/// The production processes the goods arise from, and for each good the index of its own. A
/// good is matched to the inventory product of the same name; one without a match is its own
/// process. pcf writes the process's name as its aggregated goods category too, so that the
/// reader can follow a good to its route.
fn process_keys(
    comm: &Communication,
    inv: Option<&Inventory>,
) -> Result<(Vec<Key>, Vec<usize>), TemplateError> {
    let mut keys: Vec<Key> = Vec::new();
    let mut of_good = Vec::with_capacity(comm.goods.len());
    for g in &comm.goods {
        let process = inventory_process(inv, g);
        let mut name = match (inv, process) {
            (Some(inv), Some(p)) => inv.processes[p].name.clone(),
            _ => g.name.clone(),
        };
        if keys.iter().any(|k| k.name == name && k.route != g.route) {
            name = format!("{name} ({})", g.route.as_deref().unwrap_or("no route"));
        }
        let k = match keys.iter().position(|k| k.name == name) {
            Some(k) => k,
            None => {
                keys.push(Key { name, route: g.route.clone(), process });
                keys.len() - 1
            }
        };
        of_good.push(k);
    }
    fits("production processes", keys.len(), 10)?;
    Ok((keys, of_good))
}

fn inventory_process(inv: Option<&Inventory>, g: &CommunicatedGood) -> Option<usize> {
    inv?.products.iter().find(|p| p.name == g.name).map(|p| p.made_by.0)
}

/// An error unless `n` of `what` fit the template's `max` places.
fn fits(what: &str, n: usize, max: usize) -> Result<(), TemplateError> {
    if n <= max {
        return Ok(());
    }
    Err(TemplateError::Write {
        problem: format!("{n} {what}, the template has places for {max}"),
        help: "export fewer products with --product, or split the installation's goods \
               across several templates"
            .into(),
    })
}

fn xlsx(e: XlsxError) -> TemplateError {
    TemplateError::Write {
        problem: e.to_string(),
        help: "this is a bug in pcf; please report it".into(),
    }
}
