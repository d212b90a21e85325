//! The data-quality extension (`urn:pcf:extension:data-quality:1`): what a buyer needs to
//! judge the primary data share and the DQRs PACT carries. PACT averages the ratings over the
//! rated part of the footprint only, and its primary data share does not say whose data it is;
//! the extension adds the share of the footprint that carries ratings and the share resting on
//! each class of data (own measurements, suppliers' signed declarations, suppliers' unsigned
//! footprints, suppliers' figures typed in, database values). `pcf verify` prints it.

use serde_json::{Value, json};

use super::pact::Decimal;
use pcf_footprint::engine::Quality;

/// URN of pcf's data-quality extension.
pub const DATA_QUALITY_SCHEMA: &str = "urn:pcf:extension:data-quality:1";

/// The extension's `data` for a footprint's quality: percent figures as decimal strings with
/// two places, like PACT's primaryDataShare.
pub fn data(q: &Quality) -> Option<Value> {
    let rated = q.rated_share?;
    let sources: Vec<Value> = q
        .data_sources
        .iter()
        .map(|d| json!({"class": d.class.name(), "sharePercent": Decimal::new(d.share, 2)}))
        .collect();
    Some(json!({
        "ratedSharePercent": Decimal::new(rated, 2),
        "dataSources": sources,
    }))
}

/// One line for a person: the primary data share, the DQRs and the share they cover, and the
/// data the footprint rests on, from a declaration's ProductFootprint (`subject`) and its
/// extension (`data`, when present).
pub fn summary(subject: &Value, data: Option<&Value>) -> Option<String> {
    let pcf = &subject["pcf"];
    let share = pcf["primaryDataShare"].as_str();
    let dqi = &pcf["dqi"];
    let mut parts = Vec::new();
    if let Some(s) = share {
        parts.push(format!("primary data share {s} %"));
    }
    if let (Some(t), Some(te), Some(g)) = (
        dqi["technologicalDQR"].as_str(),
        dqi["temporalDQR"].as_str(),
        dqi["geographicalDQR"].as_str(),
    ) {
        let cover = data.and_then(|d| d["ratedSharePercent"].as_str()).map_or_else(
            || "share of the footprint rated not stated".to_string(),
            |r| format!("rating {r} % of the footprint"),
        );
        parts.push(format!("DQR {t}/{te}/{g} (technological/temporal/geographical), {cover}"));
    } else if let Some(r) = data.and_then(|d| d["ratedSharePercent"].as_str()) {
        parts.push(format!("no DQRs declared ({r} % of the footprint rated)"));
    }
    let sources: Vec<String> = data
        .and_then(|d| d["dataSources"].as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| {
                    Some(format!("{} {} %", s["class"].as_str()?, s["sharePercent"].as_str()?))
                })
                .collect()
        })
        .unwrap_or_default();
    if !sources.is_empty() {
        parts.push(format!("data: {}", sources.join(", ")));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// What is wrong with the extension's `data`: a figure that is not a decimal, a class pcf does
/// not know, or shares that do not add up to the footprint (100 % within the rounding of two
/// places per class). Shares are not bounded to 0-100: a system-expansion credit is a negative
/// part of a footprint.
pub fn problems(data: &Value) -> Vec<String> {
    let percent = |v: &Value| v.as_str().and_then(|s| Decimal(s.into()).value());
    let mut out = Vec::new();
    match percent(&data["ratedSharePercent"]) {
        Some(x) if x.is_finite() => {}
        _ => out.push(format!("ratedSharePercent {} is not a decimal", data["ratedSharePercent"])),
    }
    let Some(sources) = data["dataSources"].as_array() else {
        out.push("dataSources is not a list".into());
        return out;
    };
    let mut sum = 0.0;
    for s in sources {
        let known = pcf_footprint::engine::quality::CLASSES
            .iter()
            .any(|c| s["class"].as_str() == Some(c.name()));
        if !known {
            out.push(format!("data source class {} is not one pcf knows", s["class"]));
        }
        match percent(&s["sharePercent"]) {
            Some(x) if x.is_finite() => sum += x,
            _ => out.push(format!("data source share {} is not a decimal", s["sharePercent"])),
        }
    }
    if !sources.is_empty() && (sum - 100.0).abs() > 0.005 * sources.len() as f64 + 1e-9 {
        out.push(format!("data source shares add up to {sum:.2} %, not 100 %"));
    }
    out
}
