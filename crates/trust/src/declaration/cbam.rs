//! The CBAM extension (`urn:pcf:extension:cbam:1`) of a declaration made under a methodology
//! with `[cbam]` rules: direct and indirect embedded emissions per declared unit (adding up to
//! the footprint), and for a CBAM good its specific embedded emissions per tonne (per MWh for
//! electricity), CN code, production route and the share based on default values. This module
//! writes it, checks its figures against each other, and says it in one line for `pcf verify`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::pact::Decimal;
use pcf_base::digest::Digest;
use pcf_footprint::inventory::{Inventory, PrecursorBasis, Source};

/// URN of pcf's CBAM extension.
pub const CBAM_SCHEMA: &str = "urn:pcf:extension:cbam:1";

/// The data of the CBAM extension: direct and counted indirect embedded emissions (they add up
/// to the footprint) and, where the methodology sets some aside, the indirect emissions not
/// counted (those of goods for which only direct emissions count), reported beside them.
/// For a CBAM good, also its specific embedded emissions per tonne (per MWh for electricity),
/// its CN code, production route and the share based on default values (percent).
pub(super) fn data(
    direct: Decimal,
    indirect: Decimal,
    not_counted: Option<Decimal>,
    good: Option<&pcf_footprint::engine::CbamGood>,
    d: &dyn Fn(f64) -> Decimal,
) -> Value {
    let mut data = json!({
        "directEmbeddedEmissions": direct,
        "indirectEmbeddedEmissions": indirect,
    });
    let Some(map) = data.as_object_mut() else { return data };
    if let Some(n) = not_counted {
        map.insert("indirectEmissionsNotCounted".into(), json!(n));
    }
    if let Some(g) = good {
        map.insert("cnCode".into(), json!(g.cn));
        map.insert("goodsCategory".into(), json!(g.category));
        if let Some(r) = &g.route {
            map.insert("productionRoute".into(), json!(r));
        }
        map.insert("specificEmissionsUnit".into(), json!(format!("tCO2e/{}", g.unit)));
        map.insert("specificDirectEmbeddedEmissions".into(), json!(d(g.direct)));
        map.insert("specificIndirectEmbeddedEmissions".into(), json!(d(g.indirect)));
        if g.indirect_not_counted != 0.0 {
            map.insert(
                "specificIndirectEmissionsNotCounted".into(),
                json!(d(g.indirect_not_counted)),
            );
        }
        map.insert("defaultValueShare".into(), json!(Decimal::new(g.default_value_percent, 2)));
    }
    data
}

fn number(data: &Value, field: &str) -> Option<f64> {
    data[field].as_str().and_then(|s| Decimal(s.into()).value())
}

/// One line for a person: the CN code and category, the route, the specific embedded
/// emissions direct + indirect, those not counted, and the share based on default values.
pub fn summary(data: &Value) -> Option<String> {
    let cn = data["cnCode"].as_str()?;
    let unit = data["specificEmissionsUnit"].as_str().unwrap_or("tCO2e/t");
    let mut line = format!(
        "CN {cn} ({}), route {}: SEE {} direct + {} indirect {unit}",
        data["goodsCategory"].as_str().unwrap_or("category not stated"),
        data["productionRoute"].as_str().unwrap_or("not stated"),
        data["specificDirectEmbeddedEmissions"].as_str().unwrap_or("?"),
        data["specificIndirectEmbeddedEmissions"].as_str().unwrap_or("?"),
    );
    if let Some(n) = data["specificIndirectEmissionsNotCounted"].as_str() {
        line.push_str(&format!(" ({n} indirect not counted)"));
    }
    if let Some(s) = data["defaultValueShare"].as_str() {
        line.push_str(&format!(", {s} % on default values"));
    }
    Some(line)
}

/// What is wrong with the extension's figures, given the footprint per declared unit
/// (`excluding`) and the mass of a declared unit in kg (`mass`): direct + indirect must add up
/// to the footprint, the specific figures must be the per-unit ones divided by the tonnes in a
/// declared unit (within the rounding of both), and shares must be percentages.
pub fn problems(data: &Value, excluding: Option<f64>, mass: Option<f64>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = data.get("indirectEmissionsNotCounted")
        && n.as_str().and_then(|s| Decimal(s.into()).value()).is_none_or(|x| x < 0.0)
    {
        out.push(format!("indirectEmissionsNotCounted {n} is not a non-negative decimal"));
    }
    let (d, i) =
        (number(data, "directEmbeddedEmissions"), number(data, "indirectEmbeddedEmissions"));
    if let Some(e) = excluding {
        match (d, i) {
            (Some(d), Some(i)) if (d + i - e).abs() <= 1e-6 * e.abs().max(1.0) => {}
            _ => out
                .push("direct + indirect embedded emissions do not add up to the footprint".into()),
        }
    }
    if let Some(s) = data.get("defaultValueShare")
        && number(data, "defaultValueShare").is_none_or(|x| !(0.0..=100.0).contains(&x))
    {
        out.push(format!("defaultValueShare {s} is not a percentage"));
    }
    // Per tonne: kg CO2e per declared unit / kg per declared unit (t per t). Electricity is
    // declared per unit of energy, with no mass to check against.
    let per_tonne = data["specificEmissionsUnit"].as_str() == Some("tCO2e/t");
    if let (true, Some(mass)) = (per_tonne, mass.filter(|m| *m > 0.0)) {
        for (specific, per_unit) in [
            ("specificDirectEmbeddedEmissions", d),
            ("specificIndirectEmbeddedEmissions", i),
            ("specificIndirectEmissionsNotCounted", number(data, "indirectEmissionsNotCounted")),
        ] {
            let (Some(s), Some(p)) = (number(data, specific), per_unit) else {
                if data.get(specific).is_some() {
                    out.push(format!("{specific} is not a decimal"));
                }
                continue;
            };
            // Both sides are rounded to the declaration's places: allow a unit in the sixth
            // place on the specific figure, scaled by the mass.
            if (s * mass - p).abs() > 1e-5 * mass.max(1.0) + 1e-6 * p.abs() {
                out.push(format!(
                    "{specific} {s} is not the per-unit figure {p} divided by {mass} kg per \
                     declared unit"
                ));
            }
        }
    }
    out
}

/// A precursor's CBAM communication, pinned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CommunicationRef {
    /// The file as the inventory names it.
    pub file: String,
    /// Digest of its canonical JSON.
    pub digest: Digest,
    /// The installation that communicated it.
    pub installation: String,
}

/// The communications of the precursors of the processes the product's chain runs (`supply`:
/// how often each product is made per declared unit), each once.
pub(super) fn communications(inv: &Inventory, supply: &[f64]) -> Vec<CommunicationRef> {
    let mut out: Vec<CommunicationRef> = Vec::new();
    for p in &inv.processes {
        if !p.outputs.iter().any(|o| supply[o.product] != 0.0) {
            continue;
        }
        for i in p.inputs.iter().filter(|i| i.excluded.is_none()) {
            let Source::Precursor(x) = i.source else { continue };
            if let PrecursorBasis::Communication { file, digest, installation, .. } =
                &inv.precursors[x].basis
                && !out.iter().any(|c| c.digest == *digest)
            {
                out.push(CommunicationRef {
                    file: file.clone(),
                    digest: *digest,
                    installation: installation.clone(),
                });
            }
        }
    }
    out
}
