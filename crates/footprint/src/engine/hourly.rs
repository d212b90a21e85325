//! The hourly carbon intensity of an energy product (a park's electricity): when the output has
//! a delivery profile, its footprint is spread over the hours of the reference period. Each of
//! the process's contributions is placed in time by the profile of the input it comes from (a
//! CHP plant's metered output, a grid import meter) and, where the input has none (direct
//! emissions, chemicals), by the output's own profile; the intensity of an hour is what was
//! placed in it over what was delivered in it. So the hours, weighted by delivery, give back
//! the annual footprint exactly, which [`Model::hourly_intensity`] checks.

use super::{EngineError, Model, ch};
use crate::inventory::{HourlyIntensity, Profile};

impl Model<'_> {
    /// The hourly intensity of product `j`, when its output carries a profile.
    pub fn hourly_intensity(&self, j: usize) -> Result<Option<HourlyIntensity>, EngineError> {
        let inv = self.inventory;
        let product = &inv.products[j];
        let (pi, oi) = product.made_by;
        let process = &inv.processes[pi];
        let output = &process.outputs[oi];
        let (Some(out), Some(grid)) = (&output.profile, &inv.grid) else { return Ok(None) };
        let n = grid.len();
        let by_pointer = |pointer: &str| -> Option<&Profile> {
            process.inputs.iter().find(|i| i.pointer == pointer).and_then(|i| i.profile.as_deref())
        };
        // Emissions per slot for the whole output of the reference period.
        let mut placed = vec![0.0; n];
        let mut place = |kg: f64, profile: &Profile| {
            let total: f64 = profile.values.iter().sum();
            if total > 0.0 {
                for (p, v) in placed.iter_mut().zip(&profile.values) {
                    *p += kg * v / total;
                }
            }
        };
        let amount = output.amount;
        for &(it, r) in &self.product_items[j] {
            let item = &self.items[it];
            let kg = amount * r * self.item_channels[it][ch::COUNTED];
            place(kg, by_pointer(&item.pointer).unwrap_or(out));
        }
        for (m, a, pointer) in &self.product_inputs[j] {
            let kg = amount * a * self.unit_value(*m, ch::COUNTED);
            place(kg, by_pointer(pointer).unwrap_or(out));
        }
        let total: f64 = placed.iter().sum();
        let delivered: Vec<f64> = out.values.clone();
        let mut stranded = 0.0;
        let intensity: Vec<f64> = placed
            .iter()
            .zip(&delivered)
            .map(|(kg, d)| {
                if *d > 0.0 {
                    kg / d
                } else {
                    stranded += kg;
                    0.0
                }
            })
            .collect();
        if stranded.abs() > 1e-6 * total.abs().max(1.0) {
            return Err(EngineError::Rule {
                file: inv.path.display().to_string(),
                pointer: format!("{}/profile", output.pointer),
                problem: format!(
                    "the input profiles of process {:?} place {} kg CO2e in intervals where \
                     its output {:?} delivers nothing, so the hourly intensity cannot account \
                     for them",
                    process.id,
                    super::electricity::fmt_amount(stranded),
                    product.id
                ),
                help: "give the output the profile of what it delivers, covering every \
                       interval its inputs are used in"
                    .into(),
            });
        }
        Ok(Some(HourlyIntensity {
            time_zone: grid.zone_name().to_string(),
            start: grid.start().to_string(),
            step_minutes: grid.step_minutes(),
            unit: product.unit.symbol().to_string(),
            delivered,
            kg_co2e_per_unit: intensity,
        }))
    }
}
