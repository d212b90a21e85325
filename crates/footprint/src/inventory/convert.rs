//! Amounts across dimensions: an input metered in one kind of unit (a fuel in Nm3 or t) for a
//! factor in another (per TJ), converted through the net calorific values and densities the
//! input or its factor states, and recorded as a [`Conversion`].

use super::raw;
use super::resolve::Resolver;
use super::{Conversion, Factor, InventoryError};
use crate::inventory::raw::InputKind;
use crate::units::{Dimension, Ratio, Unit};

/// What [`Resolver::convert_input`] converts.
pub(super) struct ConvertInput<'a> {
    pub(super) at: &'a str,
    pub(super) input: &'a raw::RawInput,
    pub(super) name: &'a str,
    pub(super) from: Unit,
    pub(super) to: Unit,
    pub(super) factor: Option<&'a Factor>,
}
impl Resolver<'_> {
    /// A ratio property (`ncv`, `density`), if written.
    pub(super) fn ratio(
        &self,
        pointer: String,
        text: Option<&str>,
    ) -> Result<Option<Ratio>, InventoryError> {
        text.map(|t| {
            t.parse::<Ratio>().map_err(|e| {
                self.invalid(
                    pointer,
                    e.to_string(),
                    "write a number, a space and two units: \"38.931 MJ/Nm3\", \"48.0 TJ/Gg\", \"0.84 t/m3\"",
                )
            })
        })
        .transpose()
    }

    /// The factor converting an input's amount into `to`: directly within a dimension, or
    /// across dimensions through the input's net calorific value and density, then the
    /// factor's (one or two steps: Nm3 -> TJ; t -> TJ; m3 -> kg -> TJ), recorded.
    pub(super) fn convert_input(
        &self,
        c: ConvertInput<'_>,
    ) -> Result<(f64, Option<Conversion>), InventoryError> {
        let what = format!("{:?}", c.name);
        if c.from.dimension() == c.to.dimension() {
            return Ok((self.convert(format!("{}/unit", c.at), c.from, c.to, &what)?, None));
        }
        let mut properties: Vec<(Ratio, String)> = Vec::new();
        for (field, text) in [("ncv", &c.input.ncv), ("density", &c.input.density)] {
            if let Some(r) = self.ratio(format!("{}/{field}", c.at), text.as_deref())? {
                properties.push((r, format!("{field} {r} (the input)")));
            }
        }
        if let Some(f) = c.factor {
            for (field, r) in [("ncv", f.ncv), ("density", f.density)] {
                let overridden = match field {
                    "ncv" => c.input.ncv.is_some(),
                    _ => c.input.density.is_some(),
                };
                if let (Some(r), false) = (r, overridden) {
                    properties.push((r, format!("{field} {r} (factor {})", f.id)));
                }
            }
        }
        // Breadth-first over at most two properties, each used once.
        let mut paths: Vec<(Unit, f64, Vec<usize>)> = vec![(c.from, 1.0, Vec::new())];
        for _ in 0..2 {
            let mut next = Vec::new();
            for (unit, k, used) in &paths {
                for (i, (r, _)) in properties.iter().enumerate() {
                    if used.contains(&i) {
                        continue;
                    }
                    if let Some((u, step)) = r.step(*unit) {
                        let mut used = used.clone();
                        used.push(i);
                        if u.dimension() == c.to.dimension() {
                            let k = k * step * u.factor_to(c.to).unwrap_or(f64::NAN);
                            let amount = c.input.amount;
                            return Ok((
                                k,
                                Some(Conversion {
                                    pointer: c.at.to_string(),
                                    input: c.name.to_string(),
                                    from: format!("{amount} {}", c.from),
                                    to: format!("{} {}", amount * k, c.to),
                                    via: used.iter().map(|&i| properties[i].1.clone()).collect(),
                                }),
                            ));
                        }
                        next.push((u, k * step, used));
                    }
                }
            }
            paths = next;
        }
        let volumes = [Dimension::Volume, Dimension::NormalVolume];
        let normal_mixup = volumes.contains(&c.from.dimension())
            && properties.iter().any(|(r, _)| {
                let d = r.denominator.dimension();
                volumes.contains(&d) && d != c.from.dimension()
            });
        let ncv_per_mass = properties.iter().any(|(r, _)| {
            r.numerator.dimension() == Dimension::Energy
                && r.denominator.dimension() == Dimension::Mass
        });
        let energy = [c.from.dimension(), c.to.dimension()].contains(&Dimension::Energy);
        let material = if c.from.dimension() == Dimension::Energy { c.to } else { c.from };
        let money = [c.from.dimension(), c.to.dimension()].contains(&Dimension::Money);
        let needs = if money {
            format!(
                "a spend-based factor takes the amount spent: give it in {}, at the factor's \
                 price year",
                c.to
            )
        } else if c.input.kind == InputKind::Electricity {
            format!(
                "give the electricity in a unit of energy (kWh, MWh, 万kWh, 度), as the factor's {}",
                c.to
            )
        } else if normal_mixup {
            format!(
                "a normal cubic metre (Nm3, 0 °C and 101.325 kPa) is not a cubic metre at \
                 metering conditions: give the amount in Nm3 (converted with the meter's \
                 temperature and pressure), or properties per {}",
                c.from
            )
        } else if energy && volumes.contains(&material.dimension()) && ncv_per_mass {
            format!(
                "give the density on the input (`density = \"<number> kg/{material}\"`), which \
                 with the net calorific value per mass converts it, or the net calorific value \
                 per {material} (`ncv = \"<number> MJ/{material}\"`)"
            )
        } else if energy {
            format!(
                "give the fuel's net calorific value on the input, as `ncv = \"<number> \
                 MJ/{material}\"` (from the supplier's bill, a lab analysis or a national \
                 default), or the amount in {}",
                c.to
            )
        } else if [c.from.dimension(), c.to.dimension()].contains(&Dimension::Mass) {
            format!(
                "give the density on the input, as `density = \"<number> kg/{}\"`, or the \
                 amount in {}",
                if c.from.dimension() == Dimension::Mass { c.to } else { c.from },
                c.to
            )
        } else {
            format!("give the amount in a unit of {}", c.to.dimension())
        };
        Err(self.invalid(
            format!("{}/unit", c.at),
            format!(
                "cannot convert {} ({}) to {} ({}), the unit of the factor of {what}{}",
                c.from,
                c.from.dimension(),
                c.to,
                c.to.dimension(),
                if properties.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; {} lead{} from {} to no unit of {}",
                        properties.iter().map(|p| p.1.as_str()).collect::<Vec<_>>().join(" and "),
                        if properties.len() == 1 { "s" } else { "" },
                        c.from,
                        c.to.dimension()
                    )
                }
            ),
            &needs,
        ))
    }
}
