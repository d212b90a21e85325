//! Biogenic rules of the methodology: values of the wrong sign (`biogenic.wrong_sign`) and a
//! product's uptake by its carbon content (`biogenic.uptake`).

use crate::inventory::Inventory;
use crate::methodology::{Methodology, UptakeRule, WrongSign};

use super::EngineError;

/// kg CO2 per kg C (PACT: carbon content converted with the molar ratio 44/12).
pub const CO2_PER_C: f64 = 44.0 / 12.0;

/// A value that the standard wants zero or above, under the methodology's rule for a value of
/// the wrong sign: a value at or above zero is returned as is; a negative one is counted
/// (`count`), refused (`error`) or, when the file states no rule, replaced by `legacy` (what
/// the files released before the rule did with it; `None`: they refused it). `problem`
/// describes the value.
pub(super) fn non_negative(
    m: &Methodology,
    file: &str,
    pointer: &str,
    value: f64,
    legacy: Option<f64>,
    problem: impl FnOnce() -> String,
) -> Result<f64, EngineError> {
    if value.is_nan() || value >= 0.0 {
        return Ok(value);
    }
    let rule = match (m.rules.biogenic.wrong_sign, legacy) {
        (None, Some(legacy)) => return Ok(legacy),
        (Some(WrongSign::Count), _) => return Ok(value),
        (Some(WrongSign::Error), _) => "`biogenic.wrong_sign = \"error\"`",
        (None, None) => "it states no `biogenic.wrong_sign` rule",
    };
    Err(EngineError::Rule {
        file: file.into(),
        pointer: pointer.into(),
        problem: format!(
            "{}; methodology {} refuses it ({rule}: {})",
            problem(),
            m.id(),
            m.rules.biogenic.clause
        ),
        help: "correct the sign, or state the value where the standard has a field for it \
                   (a removal is not a negative emission)"
            .into(),
    })
}

/// The biogenic CO2 uptake of product `j` per declared unit (kg CO2, positive), given the
/// uptake its chain allocates to it: that figure (`allocated`, the default), or the CO2
/// equivalent of its biogenic carbon content (`carbon-content`).
pub(super) fn product_uptake(
    inv: &Inventory,
    m: &Methodology,
    j: usize,
    allocated: f64,
) -> Result<f64, EngineError> {
    match m.rules.biogenic.uptake {
        None | Some(UptakeRule::Allocated) => Ok(allocated),
        Some(UptakeRule::CarbonContent) => {
            let p = &inv.products[j];
            match p.biogenic_carbon_content {
                Some(c) => Ok(c * CO2_PER_C),
                None if allocated == 0.0 => Ok(0.0),
                None => Err(EngineError::Rule {
                    file: inv.path.display().to_string(),
                    pointer: format!("/products/{j}"),
                    problem: format!(
                        "product {:?} takes up biogenic CO2 in its chain ({allocated:.6} kg CO2 \
                         per {} allocated to it) but does not state its biogenic carbon \
                         content; methodology {} counts the uptake of a product as the CO2 \
                         equivalent of the biogenic carbon in it at the gate \
                         (`biogenic.uptake = \"carbon-content\"`: {})",
                        p.id.0,
                        p.unit.symbol(),
                        m.id(),
                        m.rules.biogenic.clause
                    ),
                    help: "add `biogenic_carbon_content = <kg C per declared unit>` to the \
                           product (0 if the product contains no biogenic carbon)"
                        .into(),
                }),
            }
        }
    }
}
