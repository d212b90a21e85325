//! Methodology versions compared by meaning: the parsed rule files are walked as JSON trees and
//! every value that differs is reported by its JSON pointer, old -> new (comments, formatting,
//! key order, `1` vs `1.0` and the order of set-like lists do not count). Given an inventory,
//! [`impact`] computes each product's footprint under both versions and attributes the change
//! one rule at a time: each changed GWP factor and each other changed section is copied alone
//! from B into A and the footprint recomputed. The attributions are one-at-a-time effects
//! measured from A; whatever they do not add up to is reported as the interaction.

use std::collections::BTreeMap;
use std::fmt;

use pcf_footprint::report::{display_width, pad};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Error;
use pcf_base::digest::Digest;
use pcf_footprint::engine;
use pcf_footprint::inventory::Inventory;
use pcf_footprint::methodology::Methodology;

/// Sections that name or describe a methodology without changing any figure.
pub const DESCRIPTIVE_SECTIONS: &[&str] =
    &["id", "version", "title", "summary", "standard", "pact"];

/// A methodology version, pinned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Version {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Digest.
    pub digest: Digest,
}

impl Version {
    /// The version of `m`.
    pub fn of(m: &Methodology) -> Version {
        Version { id: m.id().into(), version: m.version().into(), digest: m.digest() }
    }
}

/// Every rule and factor that differs between two methodology versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MethodologyDiff {
    /// The old version.
    pub a: Version,
    /// The new version.
    pub b: Version,
    /// The changes, in pointer order.
    pub changes: Vec<RuleChange>,
}

/// One changed value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    /// JSON pointer into the parsed rule file, e.g. `/gwp/factors/ch4-fossil`.
    pub path: String,
    /// The top-level section, e.g. `gwp`.
    pub section: String,
    /// The value in A (`None`: absent).
    pub old: Option<Value>,
    /// The value in B (`None`: absent).
    pub new: Option<Value>,
}

/// Compares two methodologies by meaning.
pub fn diff(a: &Methodology, b: &Methodology) -> MethodologyDiff {
    let mut changes = Vec::new();
    walk(String::new(), Some(&a.document), Some(&b.document), &mut changes);
    MethodologyDiff { a: Version::of(a), b: Version::of(b), changes }
}

fn walk(path: String, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<RuleChange>) {
    match (a, b) {
        (Some(Value::Object(x)), Some(Value::Object(y))) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                walk(p, x.get(k), y.get(k), out);
            }
        }
        (Some(x), Some(y)) if same(x, y) => {}
        (None, None) => {}
        (x, y) => {
            let section = path.trim_start_matches('/').split('/').next().unwrap_or("").to_string();
            out.push(RuleChange { path, section, old: x.cloned(), new: y.cloned() });
        }
    }
}

/// Equal by meaning: numbers by value, lists of scalars as sets, objects key by key.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            let scalars = x.iter().chain(y).all(|v| !v.is_array() && !v.is_object());
            if scalars {
                let mut xs: Vec<String> = x.iter().map(scalar_key).collect();
                let mut ys: Vec<String> = y.iter().map(scalar_key).collect();
                xs.sort();
                xs.dedup();
                ys.sort();
                ys.dedup();
                xs == ys
            } else {
                x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
            }
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn scalar_key(v: &Value) -> String {
    match v {
        Value::Number(n) => format!("n:{}", n.as_f64().unwrap_or(f64::NAN)),
        other => other.to_string(),
    }
}

/// How each product's footprint moves from A to B, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Impact {
    /// The inventory file.
    pub inventory: String,
    /// Its digest.
    pub inventory_digest: Digest,
    /// How the change was attributed (stated with every result).
    pub method: String,
    /// Each product.
    pub products: Vec<ProductImpact>,
}

/// One product under A and B.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductImpact {
    /// Product id.
    pub product: String,
    /// Declared unit.
    pub declared_unit: String,
    /// PCF excluding biogenic uptake under A, kg CO2e per declared unit.
    pub a: Figure,
    /// The same under B.
    pub b: Figure,
    /// B minus A.
    pub change: Option<f64>,
    /// The change relative to A, percent.
    pub percent: Option<f64>,
    /// One-at-a-time effects, largest first.
    pub attribution: Vec<Effect>,
    /// The change not explained by the sum of the one-at-a-time effects.
    pub interaction: Option<f64>,
    /// The other declared figures that differ between A and B (uptake, the total including
    /// it, fossil emissions, primary data share).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_figures: Vec<OtherFigure>,
}

/// A declared figure besides the footprint excluding uptake, under A and B.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherFigure {
    /// The PACT field.
    pub field: String,
    /// Under A.
    pub a: Option<f64>,
    /// Under B.
    pub b: Option<f64>,
}

/// A computed figure, or why it could not be computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    /// kg CO2e per declared unit.
    pub kg_co2e: Option<f64>,
    /// The error, if the methodology cannot be applied to the inventory.
    pub error: Option<String>,
}

/// The effect of one rule or factor, copied alone from B into A.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Effect {
    /// What was swapped: a GWP factor (`/gwp/factors/n2o`) or a section (`/electricity`).
    pub rule: String,
    /// The footprint with only this swapped, minus the footprint under A.
    pub delta: Option<f64>,
    /// Why it could not be computed alone, if not.
    pub error: Option<String>,
}

/// The one-at-a-time units of `d`: each changed GWP factor, then each other changed section
/// that can change a figure.
pub fn units(d: &MethodologyDiff) -> Vec<String> {
    let mut units: Vec<String> = Vec::new();
    for c in &d.changes {
        if DESCRIPTIVE_SECTIONS.contains(&c.section.as_str()) {
            continue;
        }
        let unit = if c.path.starts_with("/gwp/factors/") {
            c.path.clone()
        } else if c.section == "gwp" {
            continue; // labels of the GWP table (set, source...) change no figure
        } else {
            format!("/{}", c.section)
        };
        if !units.contains(&unit) {
            units.push(unit);
        }
    }
    units
}

/// Footprints of every product of `inventory` under `a` and `b`, with the change attributed
/// one rule at a time.
pub fn impact(
    a: &Methodology,
    b: &Methodology,
    inventory: &Inventory,
    d: &MethodologyDiff,
) -> Result<Impact, Error> {
    let (fa, oa) = split(per_product_all(inventory, a));
    let (fb, ob) = split(per_product_all(inventory, b));
    let mut effects: Vec<(String, PerProduct)> = Vec::new();
    for unit in units(d) {
        let mut doc = a.document.clone();
        set_pointer(&mut doc, &unit, pointer(&b.document, &unit).cloned());
        let result = super::methodology_from_document(&doc, &format!("A with {unit} from B"))
            .map_err(|e| e.to_string())
            .and_then(|m| per_product(inventory, &m));
        effects.push((unit, result));
    }
    let products = inventory
        .products
        .iter()
        .map(|p| {
            let id = p.id.0.clone();
            let figure = |f: &PerProduct| match f {
                Ok(m) => Figure { kg_co2e: m.get(&id).copied(), error: None },
                Err(e) => Figure { kg_co2e: None, error: Some(e.clone()) },
            };
            let (fa_p, fb_p) = (figure(&fa), figure(&fb));
            let change = fa_p.kg_co2e.zip(fb_p.kg_co2e).map(|(x, y)| y - x);
            let percent =
                change.zip(fa_p.kg_co2e).and_then(|(c, x)| (x != 0.0).then(|| 100.0 * c / x));
            let mut attribution: Vec<Effect> = effects
                .iter()
                .map(|(unit, r)| match r {
                    Ok(m) => Effect {
                        rule: unit.clone(),
                        delta: m.get(&id).copied().zip(fa_p.kg_co2e).map(|(x, y)| x - y),
                        error: None,
                    },
                    Err(e) => Effect { rule: unit.clone(), delta: None, error: Some(e.clone()) },
                })
                .collect();
            attribution.sort_by(|x, y| {
                y.delta.unwrap_or(0.0).abs().total_cmp(&x.delta.unwrap_or(0.0).abs())
            });
            let explained: Option<f64> = attribution.iter().map(|e| e.delta).sum();
            let interaction = change.zip(explained).map(|(c, e)| c - e);
            let other_figures = match (oa.get(&id), ob.get(&id)) {
                (Some(xa), Some(xb)) => xa
                    .iter()
                    .zip(xb)
                    .filter(|((_, va), (_, vb))| differ(*va, *vb))
                    .map(|((field, va), (_, vb))| OtherFigure {
                        field: (*field).to_string(),
                        a: *va,
                        b: *vb,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            ProductImpact {
                product: id,
                declared_unit: p.unit.symbol().to_string(),
                a: fa_p,
                b: fb_p,
                change,
                percent,
                attribution,
                interaction,
                other_figures,
            }
        })
        .collect();
    Ok(Impact {
        inventory: inventory.path.display().to_string(),
        inventory_digest: inventory.digest,
        method: "one-at-a-time from A: each changed GWP factor, and each other changed section, \
                 copied alone from B into A and the footprint recomputed; the interaction is the \
                 change the one-at-a-time effects do not add up to"
            .into(),
        products,
    })
}

/// Each product's PCF excluding uptake, or why the methodology cannot be applied.
type PerProduct = Result<BTreeMap<String, f64>, String>;

/// Each product's other declared figures (see [`other_figures`]).
type Others = BTreeMap<String, Vec<(&'static str, Option<f64>)>>;

fn per_product(inv: &Inventory, m: &Methodology) -> PerProduct {
    Ok(per_product_all(inv, m)?.0)
}

fn per_product_all(
    inv: &Inventory,
    m: &Methodology,
) -> Result<(BTreeMap<String, f64>, Others), String> {
    // Totals only: every product is checked, none broken down.
    let model = engine::Model::build(inv, m).map_err(|e| e.to_string())?;
    model.check_all(&mut engine::ChainScratch::default()).map_err(|e| e.to_string())?;
    let (mut totals, mut others) = (BTreeMap::new(), Others::new());
    for (j, p) in inv.products.iter().enumerate() {
        let (t, q) = model.totals_of(j).map_err(|e| e.to_string())?;
        others.insert(p.id.0.clone(), other_figures(&t, &q, m));
        totals.insert(p.id.0.clone(), t.excluding_uptake);
    }
    Ok((totals, others))
}

/// The figures a declaration states besides pcfExcludingBiogenicUptake that a methodology
/// change can move, as the declaration writer derives them (`None`: not declared).
pub fn other_figures(
    t: &engine::Totals,
    q: &engine::Quality,
    m: &Methodology,
) -> Vec<(&'static str, Option<f64>)> {
    let b = &m.rules.biogenic;
    let uptake = if b.count_uptake { t.biogenic_uptake } else { 0.0 };
    vec![
        ("pcfIncludingBiogenicUptake", Some(t.excluding_uptake - uptake)),
        ("biogenicCO2Uptake", b.count_uptake.then_some(-uptake)),
        ("fossilGhgEmissions", Some(t.fossil)),
        ("landUseChangeGhgEmissions", b.count_land_use_change.then_some(t.land_use_change)),
        ("primaryDataShare", q.primary_data_share),
    ]
}

/// The totals and the other figures apart (the others empty when not computable).
fn split(r: Result<(BTreeMap<String, f64>, Others), String>) -> (PerProduct, Others) {
    match r {
        Ok((totals, others)) => (Ok(totals), others),
        Err(e) => (Err(e), Others::new()),
    }
}

/// Whether two figures differ beyond rounding noise (1e-12 relative), or one is missing.
fn differ(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() > 1e-12 * x.abs().max(y.abs()).max(1.0),
        (None, None) => false,
        _ => true,
    }
}

/// The value at a JSON pointer.
pub fn pointer<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    doc.pointer(path)
}

/// Sets (or, with `None`, removes) the value at a JSON pointer whose parent exists.
pub fn set_pointer(doc: &mut Value, path: &str, value: Option<Value>) {
    let Some((parent, last)) = path.rsplit_once('/') else { return };
    let key = last.replace("~1", "/").replace("~0", "~");
    let target = if parent.is_empty() { Some(doc) } else { doc.pointer_mut(parent) };
    if let Some(Value::Object(map)) = target {
        match value {
            Some(v) => {
                map.insert(key, v);
            }
            None => {
                map.shift_remove(&key);
            }
        }
    }
}

impl fmt::Display for MethodologyDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "A  {} {} ({})", self.a.id, self.a.version, self.a.digest)?;
        writeln!(f, "B  {} {} ({})", self.b.id, self.b.version, self.b.digest)?;
        if self.changes.is_empty() {
            return writeln!(f, "no rule or factor differs (same meaning)");
        }
        writeln!(f, "{} rule(s) and factor(s) differ:", self.changes.len())?;
        let width = self.changes.iter().map(|c| display_width(&c.path)).max().unwrap_or(0);
        for c in &self.changes {
            writeln!(f, "  {}  {} -> {}", pad(&c.path, width), show(&c.old), show(&c.new))?;
        }
        Ok(())
    }
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use pcf_footprint::report::num;
        writeln!(f, "inventory {} ({})", self.inventory, self.inventory_digest)?;
        writeln!(f, "attribution: {}", self.method)?;
        for p in &self.products {
            let fig = |x: &Figure| match (x.kg_co2e, &x.error) {
                (Some(v), _) => num(v),
                (None, Some(e)) => format!("not computable ({})", first_line(e)),
                (None, None) => "-".into(),
            };
            writeln!(f, "\n{} (kg CO2e per {})", p.product, p.declared_unit)?;
            writeln!(f, "  A       {}", fig(&p.a))?;
            writeln!(f, "  B       {}", fig(&p.b))?;
            if let Some(c) = p.change {
                let pct = p.percent.map_or(String::new(), |x| format!(" ({x:+.2} %)"));
                writeln!(f, "  change  {}{pct}", signed(c))?;
            }
            let none: Vec<&str> = p
                .attribution
                .iter()
                .filter(|e| e.delta == Some(0.0))
                .map(|e| e.rule.as_str())
                .collect();
            for e in &p.attribution {
                match (e.delta, &e.error) {
                    (Some(0.0), _) => {}
                    (Some(d), _) => writeln!(f, "    {:40} {}", e.rule, signed(d))?,
                    (None, Some(err)) => {
                        writeln!(f, "    {:40} not computable alone: {}", e.rule, first_line(err))?
                    }
                    _ => {}
                }
            }
            if !none.is_empty() {
                writeln!(f, "    no effect: {}", none.join(", "))?;
            }
            if let Some(i) = p.interaction
                && !p.attribution.is_empty()
            {
                writeln!(f, "    {:40} {}", "(interaction)", signed(i))?;
            }
            for o in &p.other_figures {
                let v = |x: Option<f64>| x.map_or("not declared".to_string(), num);
                writeln!(f, "  also    {:28} {} -> {}", o.field, v(o.a), v(o.b))?;
            }
        }
        Ok(())
    }
}

fn signed(x: f64) -> String {
    let s = pcf_footprint::report::num(x);
    if x > 0.0 { format!("+{s}") } else { s }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

/// A value for a table: compact JSON, long text shortened.
fn show(v: &Option<Value>) -> String {
    match v {
        None => "(absent)".into(),
        Some(v) => {
            let s = v.to_string();
            if s.chars().count() > 90 {
                format!("{}...\"", s.chars().take(86).collect::<String>())
            } else {
                s
            }
        }
    }
}
