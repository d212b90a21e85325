//! Output for people: footprints as aligned terminal tables, and number formatting shared by
//! every table `pcf` prints. Machines get `--json` instead (serde of the same results).

use std::fmt::Write as _;

use crate::chart::{self, Bar};
use crate::engine::{Contribution, Footprint, Footprints, Summary};

/// How many hotspots a table shows.
const HOTSPOTS: usize = 8;

/// A simple table: a header row and rows of cells; the first column is left-aligned and the
/// others right-aligned.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        Table { header: header.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Renders with `indent` spaces before each line.
    pub fn render(&self, indent: usize) -> String {
        let cols = self.header.len();
        let mut width = vec![0; cols];
        for r in std::iter::once(&self.header).chain(&self.rows) {
            for (i, c) in r.iter().enumerate().take(cols) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        let pad = " ".repeat(indent);
        for (ri, r) in std::iter::once(&self.header).chain(&self.rows).enumerate() {
            out.push_str(&pad);
            for (i, c) in r.iter().enumerate().take(cols) {
                let n = c.chars().count();
                let fill = " ".repeat(width[i] - n);
                if i == 0 {
                    out.push_str(c);
                    out.push_str(&fill);
                } else {
                    out.push_str("  ");
                    out.push_str(&fill);
                    out.push_str(c);
                }
            }
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
            out.push('\n');
            if ri == 0 {
                out.push_str(&pad);
                let total: usize = width.iter().sum::<usize>() + 2 * (cols.saturating_sub(1));
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        out
    }
}

/// A number with six significant digits, without exponent for ordinary magnitudes.
pub fn num(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if !x.is_finite() {
        return x.to_string();
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-3..=12).contains(&mag) {
        return format!("{x:.5e}");
    }
    let decimals = (5 - mag).clamp(0, 12) as usize;
    format!("{x:.decimals$}")
}

/// A percentage with one decimal.
pub fn pct(x: f64) -> String {
    format!("{x:.1} %")
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
            r.product.clone(),
            r.declared_unit.clone(),
            num(x.excluding_uptake),
            num(x.including_uptake),
            num(x.fossil),
            num(x.biogenic_co2_emissions),
            num(x.exempted),
            r.quality.primary_data_share.map_or("-".into(), pct),
        ]);
    }
    t.render(0)
}

/// Renders one footprint.
pub fn footprint(p: &Footprint) -> String {
    let mut out = String::new();
    let u = &p.declared_unit;
    let _ = writeln!(out, "{} - {}, per 1 {u}", p.product, p.name);
    let t = &p.totals;
    let mut tab = Table::new(&["figure", "kg CO2e"]);
    tab.row(vec!["PCF excluding biogenic uptake".into(), num(t.excluding_uptake)]);
    tab.row(vec!["PCF including biogenic uptake".into(), num(t.including_uptake)]);
    tab.row(vec!["  fossil GHG emissions".into(), num(t.fossil)]);
    tab.row(vec!["  biogenic CO2 emissions".into(), num(t.biogenic_co2_emissions)]);
    tab.row(vec!["  biogenic non-CO2 emissions".into(), num(t.biogenic_non_co2)]);
    tab.row(vec!["  land-use change".into(), num(t.land_use_change)]);
    if t.other != 0.0 {
        tab.row(vec!["  supplier-declared, unattributed".into(), num(t.other)]);
    }
    tab.row(vec!["  biogenic CO2 uptake (removal)".into(), num(-t.biogenic_uptake)]);
    if let (Some(d), Some(i)) = (t.direct, t.indirect) {
        tab.row(vec!["  direct embedded emissions".into(), num(d)]);
        tab.row(vec!["  indirect embedded emissions".into(), num(i)]);
    }
    if let Some(n) = t.indirect_not_counted {
        tab.row(vec!["indirect emissions not counted (direct-only goods)".into(), num(n)]);
    }
    tab.row(vec![format!("excluded under cut-off ({})", pct(t.exempted_percent)), num(t.exempted)]);
    out.push_str(&tab.render(2));

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
            l.gas.clone(),
            if l.kg == 0.0 { "-".into() } else { num(l.kg) },
            num(l.kg_co2e),
            pct(l.percent),
        ]);
    }
    out.push_str(&g.render(2));
    out.push('\n');
    let mut s = Table::new(&["by stage", "kg CO2e", "share"]);
    for l in &p.by_stage {
        s.row(vec![l.name.clone(), num(l.kg_co2e), pct(l.percent)]);
    }
    out.push_str(&s.render(2));
    out.push('\n');
    let mut pr = Table::new(&["by process", "kg CO2e", "share"]);
    for l in &p.by_process {
        pr.row(vec![l.name.clone(), num(l.kg_co2e), pct(l.percent)]);
    }
    out.push_str(&pr.render(2));
    out.push('\n');
    let mut h = Table::new(&["hotspots", "process", "kind", "kg CO2e", "share"]);
    for l in p.hotspots.iter().take(HOTSPOTS) {
        h.row(vec![
            l.item.clone(),
            l.process.clone(),
            l.kind.clone(),
            num(l.kg_co2e),
            pct(l.percent),
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

/// An SVG bar chart of what contributes to one declared unit of a product: by process, then the
/// largest hotspots (lighter).
pub fn contribution_svg(p: &Footprint) -> String {
    let bar = |label: String, value: f64, share: f64, light: bool| Bar {
        label,
        value,
        text: format!("{} ({})", num(value), pct(share)),
        light,
    };
    let mut rows = Vec::new();
    for l in &p.by_process {
        rows.push(bar(format!("process {}", l.name), l.kg_co2e, l.percent, false));
    }
    for h in p.hotspots.iter().take(HOTSPOTS) {
        rows.push(bar(format!("{} ({})", h.item, h.process), h.kg_co2e, h.percent, true));
    }
    let title =
        format!("{} - {} kg CO2e per {}", p.name, num(p.totals.excluding_uptake), p.declared_unit);
    chart::bars(
        &title,
        Some("contribution by process (dark) and largest items (light), kg CO2e"),
        &rows,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_six_significant_digits() {
        assert_eq!(num(2.231712), "2.23171");
        assert_eq!(num(2659.4), "2659.40");
        assert_eq!(num(0.0012345678), "0.00123457");
        assert_eq!(num(0.00001234), "1.23400e-5");
        assert_eq!(num(-12.5), "-12.5000");
        assert_eq!(num(0.0), "0");
    }

    #[test]
    fn tables_align() {
        let mut t = Table::new(&["a", "bb"]);
        t.row(vec!["long name".into(), "1".into()]);
        assert_eq!(t.render(0), "a          bb\n-------------\nlong name   1\n");
    }
}
