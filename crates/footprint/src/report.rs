//! Output for people: footprints as aligned terminal tables, and number formatting shared by
//! every table `pcf` prints. Machines get `--json` instead (serde of the same results).

use std::fmt::Write as _;

use crate::engine::{Contribution, Footprint, Footprints, Summary};

mod number;
mod table;

pub use number::{column_decimals, fixed, group, num, pct};
pub use table::{Cell, Table, display_width, pad};

/// How many hotspots a table shows.
const HOTSPOTS: usize = 8;

/// The name serde gives a value (`market-based` for `MarketBased`): how an enum is shown to
/// people, as files and JSON write it, never its Rust (Debug) spelling.
pub fn serde_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// Renders all footprints as text tables.
pub fn footprints(f: &Footprints) -> String {
    let mut out = footprints_header(f);
    for p in &f.products {
        out.push('\n');
        out.push_str(&footprint(p));
    }
    out
}

/// The header of a footprint report: inventory, methodology, and the supply loops solved.
pub fn footprints_header(f: &Footprints) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\nmethodology {} {} ({}), GWP100 {}\ninventory {}",
        f.inventory,
        f.methodology,
        f.methodology_version,
        f.methodology_digest,
        f.gwp,
        f.inventory_digest
    );
    for c in &f.cyclic_components {
        let _ = writeln!(out, "supply loop solved exactly: {}", c.join(" <-> "));
    }
    for c in &f.conversions {
        let _ = writeln!(
            out,
            "converted: {} of {} = {} by {}",
            c.from,
            c.input,
            c.to,
            c.via.join(", then ")
        );
    }
    out.push_str(&notices(&f.notices));
    out
}

/// Warnings, then the defaults applied, one per line with the rule and what to do.
pub fn notices(list: &[crate::engine::notices::Notice]) -> String {
    use crate::engine::notices::Level;
    let mut out = String::new();
    for (level, title) in [
        (Level::Warning, "warnings (data given but not used, or used at less than face value)"),
        (Level::Default, "defaults applied (the methodology's rule where the inventory is silent)"),
    ] {
        let of: Vec<_> = list.iter().filter(|n| n.level == level).collect();
        if of.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}:");
        for n in of {
            let _ = writeln!(
                out,
                "  - {} [{}; at {}]
    {}",
                n.message, n.rule, n.pointer, n.help
            );
        }
    }
    out
}

/// One row per product: its totals and primary data share, per declared unit.
pub fn summary(rows: &[Summary]) -> String {
    let mut t = Table::new(&[
        "product",
        "per",
        "PCF excl. uptake",
        "PCF incl. uptake",
        "fossil",
        "biogenic CO2",
        "excluded",
        "primary data",
    ]);
    for r in rows {
        let x = &r.totals;
        t.row(vec![
            r.product.clone().into(),
            r.declared_unit.clone().into(),
            Cell::Number(x.excluding_uptake),
            Cell::Number(x.including_uptake),
            Cell::Number(x.fossil),
            Cell::Number(x.biogenic_co2_emissions),
            Cell::Number(x.exempted),
            r.quality.primary_data_share.map_or("-".into(), |x| Cell::Figure(pct(x))),
        ]);
    }
    t.render(0)
}

/// The specific embedded emissions of a CBAM good, as a table.
pub fn cbam_good(g: &crate::engine::CbamGood) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "  CBAM good CN {} ({}), route {}; {} {} per declared unit",
        g.cn,
        g.category,
        g.route.as_deref().unwrap_or("not stated"),
        g.per_declared_unit,
        g.unit
    );
    let unit = format!("t CO2e/{}", g.unit);
    let mut tab = Table::new(&["specific embedded emissions (SEE)", &unit]);
    tab.row(vec!["direct".into(), Cell::Number(g.direct)]);
    tab.row(vec!["indirect (counted)".into(), Cell::Number(g.indirect)]);
    tab.row(vec!["embedded (direct + counted indirect)".into(), Cell::Number(g.embedded)]);
    if g.indirect_not_counted != 0.0 {
        tab.row(vec![
            "indirect not counted (direct-only goods)".into(),
            Cell::Number(g.indirect_not_counted),
        ]);
    }
    out.push_str(&tab.render(2));
    let _ = writeln!(out, "  based on default values: {}", pct(g.default_value_percent));
    out
}

/// Renders one footprint.
pub fn footprint(p: &Footprint) -> String {
    let mut out = String::new();
    let u = &p.declared_unit;
    let _ = writeln!(out, "{} - {}, per 1 {u}", p.product, p.name);
    let t = &p.totals;
    let mut tab = Table::new(&["figure", "kg CO2e"]);
    tab.row(vec!["PCF excluding biogenic uptake".into(), Cell::Number(t.excluding_uptake)]);
    tab.row(vec!["PCF including biogenic uptake".into(), Cell::Number(t.including_uptake)]);
    tab.row(vec!["  fossil GHG emissions".into(), Cell::Number(t.fossil)]);
    tab.row(vec!["  biogenic CO2 emissions".into(), Cell::Number(t.biogenic_co2_emissions)]);
    tab.row(vec!["  biogenic non-CO2 emissions".into(), Cell::Number(t.biogenic_non_co2)]);
    tab.row(vec!["  land-use change".into(), Cell::Number(t.land_use_change)]);
    if t.other != 0.0 {
        tab.row(vec!["  supplier-declared, unattributed".into(), Cell::Number(t.other)]);
    }
    tab.row(vec!["  biogenic CO2 uptake (removal)".into(), Cell::Number(-t.biogenic_uptake)]);
    if let (Some(d), Some(i)) = (t.direct, t.indirect) {
        tab.row(vec!["  direct embedded emissions".into(), Cell::Number(d)]);
        tab.row(vec!["  indirect embedded emissions".into(), Cell::Number(i)]);
    }
    if let Some(n) = t.indirect_not_counted {
        tab.row(vec!["indirect emissions not counted (direct-only goods)".into(), Cell::Number(n)]);
    }
    tab.row(vec![
        format!("excluded under cut-off ({})", pct(t.exempted_percent)).into(),
        Cell::Number(t.exempted),
    ]);
    out.push_str(&tab.render(2));
    if let Some(g) = &t.cbam {
        out.push('\n');
        out.push_str(&cbam_good(g));
        out.push('\n');
    }

    let q = &p.quality;
    let opt = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.2}"));
    let _ = writeln!(
        out,
        "  primary data share {}; DQR technological {}, temporal {}, geographical {} (rated: {})",
        q.primary_data_share.map_or("-".into(), pct),
        opt(q.technological),
        opt(q.temporal),
        opt(q.geographical),
        q.rated_share.map_or("-".into(), pct)
    );
    if !q.data_sources.is_empty() {
        let parts: Vec<String> =
            q.data_sources.iter().map(|d| format!("{} {}", d.class.name(), pct(d.share))).collect();
        let _ = writeln!(out, "  data: {}", parts.join(", "));
    }

    out.push('\n');
    let mut g = Table::new(&["by gas", "kg gas", "kg CO2e", "share"]);
    for l in &p.by_gas {
        g.row(vec![
            l.gas.clone().into(),
            if l.kg == 0.0 { Cell::from("-") } else { Cell::Number(l.kg) },
            Cell::Number(l.kg_co2e),
            Cell::Figure(pct(l.percent)),
        ]);
    }
    out.push_str(&g.render(2));
    out.push('\n');
    let mut s = Table::new(&["by stage", "kg CO2e", "share"]);
    for l in &p.by_stage {
        s.row(vec![l.name.clone().into(), Cell::Number(l.kg_co2e), Cell::Figure(pct(l.percent))]);
    }
    out.push_str(&s.render(2));
    out.push('\n');
    let mut pr = Table::new(&["by process", "kg CO2e", "share"]);
    for l in &p.by_process {
        pr.row(vec![l.name.clone().into(), Cell::Number(l.kg_co2e), Cell::Figure(pct(l.percent))]);
    }
    out.push_str(&pr.render(2));
    out.push('\n');
    let mut h = Table::new(&["hotspots", "process", "kind", "kg CO2e", "share"]);
    for l in p.hotspots.iter().take(HOTSPOTS) {
        h.row(vec![
            l.item.clone().into(),
            l.process.clone().into(),
            l.kind.clone().into(),
            Cell::Number(l.kg_co2e),
            Cell::Figure(pct(l.percent)),
        ]);
    }
    out.push_str(&h.render(2));

    for a in &p.allocations {
        let shares: Vec<String> =
            a.shares.iter().map(|(prod, s)| format!("{prod} {}", pct(100.0 * s))).collect();
        let _ =
            writeln!(out, "\n  allocation in {} ({}): {}", a.process, a.method, shares.join(", "));
    }
    for e in &p.electricity {
        let _ = writeln!(
            out,
            "\n  electricity in {} ({}): {} {} consumed, {} covered by instruments, rest at {}",
            e.process,
            e.accounting,
            num(e.consumed),
            e.unit,
            num(e.covered),
            e.uncovered_factor
        );
        if let Some(mr) = &e.matching {
            let share = if e.consumed > 0.0 { 100.0 * e.covered / e.consumed } else { 0.0 };
            let _ = writeln!(
                out,
                "    matched {} (storage: {}): {} of consumption; {} {} unmatched\n    consumption timing: {}",
                mr.granularity.phrase(),
                match mr.storage {
                    crate::matching::Storage::Shift => "shifts green surplus",
                    crate::matching::Storage::Ignore => "not an instrument",
                },
                pct(share),
                num(mr.unmatched),
                e.unit,
                mr.consumption_source
            );
        }
        for n in &e.notes {
            let _ = writeln!(out, "    note: {n}");
        }
        for i in &e.instruments {
            let _ = writeln!(
                out,
                "    {} {}: {} of {} {} used - {}",
                i.kind,
                i.serial.as_ref().map_or("(no serial)", |s| s.as_str()),
                num(i.used),
                num(i.quantity),
                e.unit,
                i.reason
            );
        }
    }
    if let Some(h) = &p.hourly {
        let (lo, hi) = h
            .kg_co2e_per_unit
            .iter()
            .zip(&h.delivered)
            .filter(|(_, d)| **d > 0.0)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (x, _)| (lo.min(*x), hi.max(*x)));
        let _ = writeln!(
            out,
            "\n  hourly intensity ({} intervals of {} minutes from {}, {}): {} to {} kg CO2e/{}, \
             {} weighted by delivery",
            h.kg_co2e_per_unit.len(),
            h.step_minutes,
            h.start,
            h.time_zone,
            num(lo),
            num(hi),
            h.unit,
            num(h.mean())
        );
    }
    for e in &p.exclusions {
        let _ = writeln!(
            out,
            "\n  excluded: {} in {} ({} kg CO2e, {}): {}",
            e.item,
            e.process,
            num(e.kg_co2e),
            pct(e.percent),
            e.reason
        );
    }
    for o in &p.outside_boundary {
        let _ = writeln!(
            out,
            "\n  outside the boundary: {} in {} ({} kg CO2e): {}",
            o.item,
            o.process,
            num(o.kg_co2e),
            o.reason
        );
    }
    out
}

/// Renders a contribution tree as indented text.
pub fn tree(c: &Contribution) -> String {
    let mut out = String::new();
    walk(c, 0, &mut out);
    out
}

fn walk(c: &Contribution, depth: usize, out: &mut String) {
    let amount = match (c.amount, &c.unit) {
        (Some(a), Some(u)) => format!("{} {u} ", num(a)),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "{}{}{} [{}]: {} kg CO2e",
        "  ".repeat(depth),
        amount,
        c.name,
        c.kind,
        num(c.kg_co2e)
    );
    for ch in &c.children {
        walk(ch, depth + 1, out);
    }
}
