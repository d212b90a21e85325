//! Pictures: the SVG contribution chart (`pcf footprint --svg`, the audit's
//! `contributions.svg`, plain rows for the browser verifier) and the Graphviz DOT of the supply
//! chain (`pcf graph`). The SVG is checked to be well-formed XML by hand (tags balanced,
//! attributes quoted, entities known); the DOT by reading its text (no Graphviz needed).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use pcf::chart::{self, Bar};
use pcf::engine::{self, Footprint};
use pcf::inventory::Inventory;
use pcf::methodology::Methodology;

use crate::util;

fn bracket_footprints() -> Vec<Footprint> {
    let inv = Inventory::load(&util::root().join("examples/steel-bracket/inventory.toml")).unwrap();
    engine::footprint(&inv, &Methodology::shipped("pact-3.0").unwrap()).unwrap().products
}

/// Checks `xml` is well-formed as far as `pcf` writes it: one root, every tag closed in order,
/// attribute values quoted without `<`, `&` only in known entities, no stray `>`.
fn well_formed(xml: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = xml;
    let entity_ok = |s: &str| -> Result<(), String> {
        for (i, _) in s.match_indices('&') {
            let tail = &s[i..];
            if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].iter().any(|e| tail.starts_with(e)) {
                return Err(format!("bare & in {s:?}"));
            }
        }
        if s.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r')) {
            return Err(format!("control character in {s:?}"));
        }
        Ok(())
    };
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if text.contains('>') {
            return Err(format!("stray > in text {text:?}"));
        }
        entity_ok(text)?;
        if !text.trim().is_empty() && stack.is_empty() {
            return Err(format!("text outside the root: {text:?}"));
        }
        let close = rest[open..].find('>').ok_or("unclosed tag")? + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if top != name.trim() {
                return Err(format!("</{name}> closes <{top}>"));
            }
            continue;
        }
        let (body, empty) = tag.strip_suffix('/').map_or((tag, false), |b| (b, true));
        let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad tag name in <{tag}>"));
        }
        // Attributes: name="value" pairs, values without < and with known entities.
        let mut attrs = body[name.len()..].trim();
        while !attrs.is_empty() {
            let eq = attrs.find("=\"").ok_or(format!("unquoted attribute in <{tag}>"))?;
            let end = attrs[eq + 2..].find('"').ok_or(format!("open quote in <{tag}>"))? + eq + 2;
            let value = &attrs[eq + 2..end];
            if value.contains('<') {
                return Err(format!("< in an attribute of <{tag}>"));
            }
            entity_ok(value)?;
            attrs = attrs[end + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !empty {
            stack.push(name);
        }
    }
    if !rest.trim().is_empty() {
        return Err(format!("text after the root: {rest:?}"));
    }
    match (roots, stack.is_empty()) {
        (1, true) => Ok(()),
        (n, true) => Err(format!("{n} roots")),
        (_, false) => Err(format!("unclosed: {stack:?}")),
    }
}

/// Each row of a chart as (tooltip, fill of its bar): the tooltip is `label: value unit
/// (share %)`, the full label.
fn rows(svg: &str) -> Vec<(String, String)> {
    svg.split("<g>")
        .skip(1)
        .map(|g| {
            let title = g.split("<title>").nth(1).unwrap().split("</title>").next().unwrap();
            let fill = g.split("<rect ").nth(1).unwrap().split("fill=\"").nth(1).unwrap();
            (title.to_string(), fill.split('"').next().unwrap().to_string())
        })
        .collect()
}

/// The share written at the end of a tooltip, `... (12.3 %)`.
fn share(tooltip: &str) -> f64 {
    let open = tooltip.rfind('(').unwrap();
    tooltip[open + 1..].trim_end_matches(" %)").replace(',', "").parse().unwrap()
}

#[test]
fn the_well_formedness_check_finds_broken_xml() {
    assert!(well_formed("<svg><g/><text x=\"1\">a &amp; b</text></svg>").is_ok());
    for bad in
        ["<svg><g></svg>", "<svg>a & b</svg>", "<svg x=1/>", "<svg/><svg/>", "<svg>\u{1}</svg>"]
    {
        assert!(well_formed(bad).is_err(), "{bad}");
    }
}

/// `pcf footprint --svg DIR` draws one chart per product: the total in the title and as the
/// last row (the sum of the process rows), a row per process with its share (the shares of a
/// burden-only product sum to 100 % within rounding), then the largest items in their
/// process's colour, lighter.
#[test]
fn footprint_svg_shows_shares_a_total_and_process_colours() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = util::root().join("examples/steel-bracket/inventory.toml");
    let args = ["footprint", inventory.to_str().unwrap(), "--methodology", "pact-3.0"];
    let out = util::pcf(dir.path(), &[&args[..], &["--svg", "charts"]].concat());
    assert!(out.status.success(), "{}", util::stderr(&out));
    let products = bracket_footprints();
    assert!(products.len() > 1);
    for p in &products {
        let file = dir.path().join("charts").join(format!("{}.svg", p.product));
        let svg = std::fs::read_to_string(&file).unwrap();
        well_formed(&svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
        assert!(!svg.contains("<script") && !svg.contains("@font-face") && !svg.contains("href"));
        let total = pcf::report::num(p.totals.excluding_uptake);
        assert!(svg.contains(&format!(" - {total} kg CO2e per ")), "{svg}");
        let rows = rows(&svg);
        let (total_row, rows) = rows.split_last().unwrap();
        assert_eq!(total_row.0, format!("total: {total} kg CO2e (100.0 %)"), "{svg}");
        let sum: f64 = p.by_process.iter().map(|l| l.kg_co2e).sum();
        assert_eq!(pcf::report::num(sum), total);
        let (processes, items): (Vec<_>, Vec<_>) =
            rows.iter().partition(|(t, _)| t.starts_with("process "));
        assert_eq!(processes.len(), p.by_process.len(), "{svg}");
        assert_eq!(items.len(), p.hotspots.len().min(chart::ITEMS), "{svg}");
        if p.by_process.iter().all(|l| l.kg_co2e >= 0.0) {
            let shares: f64 = processes.iter().map(|(t, _)| share(t)).sum();
            let rounding = 0.05 * processes.len() as f64;
            assert!((shares - 100.0).abs() <= rounding + 1e-9, "{shares}: {svg}");
        }
        for l in &p.by_process {
            let (tooltip, _) = processes
                .iter()
                .find(|(t, _)| t.starts_with(&format!("process {}:", l.name)))
                .unwrap();
            assert!(tooltip.ends_with(&format!("({})", pcf::report::pct(l.percent))), "{tooltip}");
        }
        // Colours: one per process, distinct; an item takes a lighter colour of its own,
        // the same for every item of one process.
        let fill_of = |id: &str| {
            &processes.iter().find(|(t, _)| t.starts_with(&format!("process {id}:"))).unwrap().1
        };
        let mut fills: Vec<&String> = processes.iter().map(|(_, f)| f).collect();
        fills.sort();
        fills.dedup();
        assert_eq!(fills.len(), processes.len(), "{svg}");
        for h in p.hotspots.iter().take(chart::ITEMS) {
            let item = items
                .iter()
                .find(|(t, _)| t.starts_with(&format!("{} ({}):", h.item, h.process)))
                .unwrap_or_else(|| panic!("{} in {svg}", h.item));
            assert_ne!(&item.1, fill_of(&h.process), "{svg}");
            for other in p.hotspots.iter().take(chart::ITEMS).filter(|o| o.process == h.process) {
                let o = items
                    .iter()
                    .find(|(t, _)| t.starts_with(&format!("{} ({}):", other.item, other.process)))
                    .unwrap();
                assert_eq!(o.1, item.1);
            }
        }
    }
}

/// A label longer than the label column is wrapped and shortened on the picture, and kept
/// whole in the row's tooltip; markup in labels and titles is escaped.
#[test]
fn long_labels_keep_their_full_text_in_the_tooltip() {
    let long = format!("{} END", "Cold-rolled & galvanised <coil> \"S355\" ".repeat(5));
    let rows = [Bar::new(long.clone(), 3.0), Bar::new("short", 1.0)];
    let svg = chart::bars("Chart of \"things\" & <stuff>", Some("sub 'title'"), "kg", &rows);
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
    let escaped =
        long.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    assert!(svg.contains(&format!("<title>{escaped}: 3 kg (75.0 %)</title>")), "{svg}");
    // Two lines on the picture, the second cut with an ellipsis: "END" is only in the tooltip.
    let label = svg.split("<g>").nth(1).unwrap().split("</title>").nth(1).unwrap();
    assert_eq!(label.matches("<tspan").count(), 2, "{label}");
    assert!(label.contains("…</tspan>") && !label.contains("END"), "{label}");
    assert!(svg.contains("<title>total: 4 kg (100.0 %)</title>"), "{svg}");
}

/// Plain rows (what the browser verifier draws of a declaration's composition): a credit is
/// drawn left of the axis, its share negative, and the total is the net sum.
#[test]
fn plain_rows_draw_credits_left_of_the_axis() {
    let rows = [
        Bar::new("fossil", 3.0),
        Bar::new("land-use change", 1.0),
        Bar::new("biogenic uptake", -2.0),
    ];
    let svg = chart::bars("Composition", None, "kg CO2e", &rows);
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
    let axis: f64 =
        svg.split("<line x1=\"").last().unwrap().split('"').next().unwrap().parse().unwrap();
    let x_of = |g: &str| -> (f64, f64) {
        let rect = g.split("<rect x=\"").nth(1).unwrap();
        let x: f64 = rect.split('"').next().unwrap().parse().unwrap();
        let w: f64 =
            rect.split("width=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
        (x, w)
    };
    let groups: Vec<&str> = svg.split("<g>").skip(1).collect();
    let (x, w) = x_of(groups[2]);
    assert!((x + w - axis).abs() < 0.05 && w > 0.0, "{svg}");
    let (x, _) = x_of(groups[0]);
    assert!((x - axis).abs() < 0.05, "{svg}");
    let rows = self::rows(&svg);
    assert_eq!(rows[2].0, "biogenic uptake: -2 kg CO2e (-100.0 %)");
    assert_eq!(rows[3].0, "total: 2 kg CO2e (100.0 %)");
    assert!(rows[2].1.starts_with("url(#credit"), "{svg}");
}

/// The audit files the same chart as `pcf footprint --svg` of the recomputed footprint.
#[test]
fn the_audit_chart_is_the_footprint_chart() {
    let dir = tempfile::tempdir().unwrap();
    let p = &bracket_footprints()[0];
    let trace_chart = chart::footprint(p);
    let inventory = util::root().join("examples/steel-bracket/inventory.toml");
    let args = ["footprint", inventory.to_str().unwrap(), "--product", &p.product, "--svg", "c"];
    let out = util::pcf(dir.path(), &args);
    assert!(out.status.success(), "{}", util::stderr(&out));
    let cli = std::fs::read_to_string(dir.path().join(format!("c/{}.svg", p.product))).unwrap();
    assert_eq!(cli, trace_chart);
}

fn graph(dir: &Path, inventory: &Path, product: Option<&str>) -> String {
    let mut args = vec!["graph", inventory.to_str().unwrap()];
    if let Some(p) = product {
        args.extend(["--product", p]);
    }
    let out = util::pcf(dir, &args);
    assert!(out.status.success(), "{}", util::stderr(&out));
    util::stdout(&out)
}

/// Every `"` of a DOT line opens or closes a string (escaped ones aside), so strings close.
fn strings_closed(dot: &str) {
    for line in dot.lines() {
        let mut quotes = 0;
        let mut escaped = false;
        for c in line.chars() {
            match (c, escaped) {
                ('\\', false) => escaped = true,
                ('"', false) => quotes += 1,
                _ => escaped = false,
            }
        }
        assert_eq!(quotes % 2, 0, "unclosed string: {line}");
    }
}

/// `pcf graph --product`: a title with the product, the methodology and the footprint the
/// engine computes, a legend cluster, and every edge per declared unit of the product.
#[test]
fn graph_is_titled_with_a_legend_and_one_basis() {
    let root = util::root();
    let inventory = root.join("examples/steel-bracket/inventory.toml");
    let dot = graph(&root, &inventory, Some("bracket"));
    strings_closed(&dot);
    assert!(dot.starts_with("digraph supply_chain {"));
    let bracket = bracket_footprints().into_iter().find(|p| p.product == "bracket").unwrap();
    let total = pcf::report::num(bracket.totals.excluding_uptake);
    let title = dot.lines().find(|l| l.starts_with("  label=\"")).unwrap();
    assert!(
        title.contains(&format!(
            "Supply chain of Galvanised steel bracket BR-40 (bracket): {total} kg CO2e per piece\\nmethodology pact-3.0 "
        )),
        "{title}"
    );
    assert!(title.contains("per declared unit (piece) of bracket"), "{title}");
    let legend = dot.split("subgraph cluster_legend {").nth(1).unwrap_or_else(|| panic!("{dot}"));
    for row in [
        "<td bgcolor=\"#dbe9f6\">rounded box</td><td align=\"left\">process of the reporting company",
        "<td bgcolor=\"#fde0c5\">house</td><td align=\"left\">supplier's product",
        ">cylinder</td><td align=\"left\">database emission factor",
        ">octagon</td><td align=\"left\">fuel burnt",
        ">parallelogram</td><td align=\"left\">electricity",
        "dashed edge</td><td align=\"left\">input excluded under the cut-off rule",
        "<td align=\"left\">edge width: share of the product's footprint",
    ] {
        assert!(legend.contains(row), "{row}: {legend}");
    }
    // Kinds of nodes the graph does not have are not in the legend.
    assert!(!legend.contains("precursor") && !legend.contains("hexagon"), "{legend}");
    // Edges outside the legend: one per input of the two processes (3 + 5).
    let body = dot.split("subgraph cluster_legend").next().unwrap();
    assert_eq!(body.matches(" -> n").count(), 8, "{dot}");
    // Per piece: 935 t of coil x 10/11 (mass allocation to the blanks) / 1 000 000 pieces
    // = 0.85 kg.
    let coil = body
        .lines()
        .find(|l| l.contains("-> n") && l.contains("label=\"0.85 kg\\n1.74"))
        .unwrap_or_else(|| panic!("{dot}"));
    // 1 919 159.495 kg x 10/11 / 1 000 000 = 1.744690 of 2.709701 kg per piece: 64.4 %.
    assert!(coil.contains("kg CO2e (64.4 %)"), "{coil}");
    let film = body
        .lines()
        .find(|l| l.contains("-> n") && l.contains("excluded under cut-off"))
        .unwrap_or_else(|| panic!("{dot}"));
    assert!(film.contains("style=dashed"), "{film}");
}

/// Without a product, the title says amounts are per reference period of the consuming
/// process; names with quotes, backslashes and line breaks stay inside their DOT strings.
#[test]
fn graph_escapes_labels_and_states_its_basis_without_a_product() {
    let dir = util::bracket_example();
    let path = dir.path().join("inventory.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replace(
        "name = \"Blanking and stamping\"",
        "name = \"Blanking \\\"BR\\\" \\\\ stamping\\nline two\"",
    );
    std::fs::write(&path, text).unwrap();
    let dot = graph(dir.path(), &path, None);
    strings_closed(&dot);
    assert!(dot.contains("per reference period of the consuming process"), "{dot}");
    assert!(
        dot.contains("label=\"Blanking \\\"BR\\\" \\\\ stamping\\nline two\\n-> blank, scrap\""),
        "{dot}"
    );
    assert!(dot.contains("subgraph cluster_legend {"), "{dot}");
    assert!(!dot.contains("edge width"), "{dot}");
    let dot = graph(dir.path(), &path, Some("scrap"));
    strings_closed(&dot);
    assert!(dot.contains("per declared unit (kg) of scrap"), "{dot}");
}
