//! Finding dataset factors by words (`pcf dataset search`): which factors of which datasets
//! match, with what each one needs to be used and cited (its `dataset:ID@FACTOR` reference,
//! value, unit, source, licence and whether it is spend-based).

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Basis, Dataset, FactorKind, REFERENCE_PREFIX};

/// A factor that matched a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// What to write in an inventory: `dataset:ID@FACTOR`.
    pub reference: String,
    /// The dataset's id.
    pub dataset: String,
    /// The dataset's version.
    pub version: String,
    /// The factor's id within the dataset.
    pub factor: String,
    /// What the factor describes.
    pub name: String,
    /// The publisher's grouping, where the dataset gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// kg CO2e per unit, where the factor is given characterized.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub co2e: Option<f64>,
    /// kg of each gas per unit, where the factor is given by gas.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub gases: BTreeMap<String, f64>,
    /// The unit of activity (`t`, `tkm`, `kWh`, `USD`).
    pub per: String,
    /// What an electricity factor covers, where stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<FactorKind>,
    /// Activity-based or spend-based, where the dataset states it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<Basis>,
    /// The factor's own source, else the dataset's.
    pub source: String,
    /// The dataset's licence (with the attribution it requires).
    pub licence: String,
}

impl SearchHit {
    /// Whether the factor is spend-based (per unit of money; secondary data).
    pub fn is_spend_based(&self) -> bool {
        self.basis == Some(Basis::Spend)
    }
}

/// The factors of `datasets` that match every word of `query` (split at white space), ignoring
/// letter case, in the factor's id, name or category or the dataset's id; in dataset order,
/// then file order. An empty query matches nothing.
pub fn search(datasets: &[Dataset], query: &str) -> Vec<SearchHit> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    if words.is_empty() {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for d in datasets {
        let meta = &d.file.dataset;
        let dataset_id = d.id().to_lowercase();
        for f in &d.file.factors {
            let text = [f.id.as_str(), f.name.as_str(), f.category.as_deref().unwrap_or("")]
                .join("\n")
                .to_lowercase();
            if !words.iter().all(|w| text.contains(w.as_str()) || dataset_id.contains(w.as_str())) {
                continue;
            }
            hits.push(SearchHit {
                reference: format!("{REFERENCE_PREFIX}{}@{}", d.id(), f.id),
                dataset: d.id().into(),
                version: d.version().into(),
                factor: f.id.clone(),
                name: f.name.clone(),
                category: f.category.clone(),
                co2e: f.co2e,
                gases: f.gases.clone(),
                per: f.per.clone(),
                kind: f.kind,
                basis: meta.basis,
                source: f.source.clone().unwrap_or_else(|| meta.source.clone()),
                licence: meta.licence.clone(),
            });
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_must_match_in_any_field() {
        let all = Dataset::all_shipped().unwrap();
        let hits = search(&all, "JIANGSU 2023");
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].reference, "dataset:cn-grid@2023-jiangsu");
        assert_eq!(hits[0].gases["co2-fossil"], 0.5827);
        assert!(search(&all, "  ").is_empty());
        let spend = search(&all, "331110");
        assert!(spend.iter().all(SearchHit::is_spend_based), "{spend:?}");
        assert_eq!(spend.len(), 2);
    }
}
