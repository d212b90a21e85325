//! The matching chart: consumption against matched green supply, month by month and, for
//! hourly matching, over an average day (consumption, green energy available, matched). Drawn
//! from an electricity record's [`crate::engine::MatchingRecord`], self-contained SVG like the
//! bar chart.

use std::fmt::Write as _;

use super::escape;
use crate::engine::{ElectricityRecord, Period};
use crate::report::num;

/// Grey of consumption (not matched).
const CONSUMPTION: &str = "#bbbbbb";
/// Bluish green of matched energy (Okabe-Ito).
const MATCHED: &str = "#009e73";
/// Orange of the green energy available (Okabe-Ito).
const AVAILABLE: &str = "#e69f00";
const WIDTH: f64 = 760.0;
const PANEL: f64 = 190.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;

/// The chart of one electricity record under matching, titled with the product; `None` when
/// the record has no matching.
pub fn matching(product: &str, e: &ElectricityRecord) -> Option<String> {
    let m = e.matching.as_ref()?;
    let panels: Vec<(&str, &[Period])> = [
        ("By month (energy per month, {unit})", m.months.as_slice()),
        ("Average day (energy per local hour, {unit})", m.average_day.as_slice()),
    ]
    .into_iter()
    .filter(|(_, p)| !p.is_empty())
    .collect();
    let top = 92.0;
    let height = top + panels.len().max(1) as f64 * (PANEL + 60.0) + 20.0;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"sans-serif\" font-size=\"12\">\
         <title>{}</title><rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>",
        escape(&format!("Electricity matched in time: {product}, {}", e.process))
    );
    let share = if e.consumed > 0.0 { 100.0 * e.covered / e.consumed } else { 0.0 };
    let _ = write!(
        s,
        "<text x=\"{LEFT}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>\
         <text x=\"{LEFT}\" y=\"42\">{}</text><text x=\"{LEFT}\" y=\"58\">{}</text>",
        escape(&clip(
            &format!("Green electricity matched {} — {product}", m.granularity.phrase()),
            72
        )),
        escape(&format!(
            "{} in {}: {} {} consumed, {:.1} % matched, {} {} unmatched",
            clip(&e.input, 30),
            clip(&e.process, 30),
            num(round3(e.consumed)),
            e.unit,
            share,
            num(round3(m.unmatched)),
            e.unit,
        )),
        escape(&clip(&format!("unmatched at {}", e.uncovered_factor), 100))
    );
    legend(&mut s, top - 16.0);
    if panels.is_empty() {
        let _ = write!(
            s,
            "<text x=\"{LEFT}\" y=\"{}\">{}</text>",
            top + 30.0,
            escape("annual matching: one interval, no time profile to draw")
        );
    }
    for (k, (title, periods)) in panels.iter().enumerate() {
        let y0 = top + k as f64 * (PANEL + 60.0) + 24.0;
        panel(&mut s, &title.replace("{unit}", &e.unit), periods, y0, &e.unit);
    }
    s.push_str("</svg>");
    Some(s)
}

fn legend(s: &mut String, y: f64) {
    let items = [
        (CONSUMPTION, "consumption"),
        (MATCHED, "matched green supply"),
        (AVAILABLE, "green supply available"),
    ];
    let mut x = LEFT;
    for (colour, label) in items {
        if colour == AVAILABLE {
            let _ = write!(
                s,
                "<line x1=\"{x}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{colour}\" \
                 stroke-width=\"2.5\"/>",
                y - 4.0,
                x + 14.0,
                y - 4.0
            );
        } else {
            let _ = write!(
                s,
                "<rect x=\"{x}\" y=\"{}\" width=\"14\" height=\"10\" fill=\"{colour}\"/>",
                y - 9.0
            );
        }
        let _ = write!(s, "<text x=\"{}\" y=\"{y}\">{label}</text>", x + 20.0);
        x += 40.0 + label.len() as f64 * 7.0;
    }
}

/// One panel: a column per period (consumption in grey, matched in green over it) and the
/// green energy available as a line.
fn panel(s: &mut String, title: &str, periods: &[Period], y0: f64, unit: &str) {
    let max = nice(
        periods.iter().flat_map(|p| [p.consumption, p.available, p.matched]).fold(0.0f64, f64::max),
    );
    let plot = WIDTH - LEFT - RIGHT;
    let step = plot / periods.len() as f64;
    let bar = (step * 0.7).min(48.0);
    let base = y0 + PANEL;
    let y = |v: f64| base - v / max * (PANEL - 10.0);
    let _ = write!(
        s,
        "<text x=\"{LEFT}\" y=\"{}\" font-weight=\"bold\">{}</text>",
        y0 - 6.0,
        escape(title)
    );
    for frac in [0.0, 0.5, 1.0] {
        let v = max * frac;
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{}\" y2=\"{yy:.1}\" stroke=\"#e0e0e0\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"10\">{}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            y(v) + 3.0,
            escape(&num(round3(v))),
            yy = y(v)
        );
    }
    let mut line = String::new();
    for (i, p) in periods.iter().enumerate() {
        let x = LEFT + i as f64 * step + (step - bar) / 2.0;
        let tip = format!(
            "{}: consumption {} {unit}, matched {} {unit}, green available {} {unit}",
            p.label,
            num(round3(p.consumption)),
            num(round3(p.matched)),
            num(round3(p.available))
        );
        let _ = write!(
            s,
            "<g><title>{}</title>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{CONSUMPTION}\"/>\
             <rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bar:.1}\" height=\"{:.1}\" fill=\"{MATCHED}\"/></g>",
            escape(&tip),
            y(p.consumption),
            base - y(p.consumption),
            y(p.matched),
            base - y(p.matched)
        );
        let cx = x + bar / 2.0;
        let _ = write!(line, "{}{cx:.1},{:.1}", if i == 0 { "" } else { " " }, y(p.available));
        if periods.len() <= 24 || i % 2 == 0 {
            let _ = write!(
                s,
                "<text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
                base + 14.0,
                escape(&p.label)
            );
        }
    }
    let _ = write!(
        s,
        "<polyline points=\"{line}\" fill=\"none\" stroke=\"{AVAILABLE}\" stroke-width=\"2.5\"/>\
         <line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#333333\"/>",
        WIDTH - RIGHT
    );
}

/// The smallest 1, 2 or 5 times a power of ten at or above `x` (the top of an axis).
fn nice(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|k| k * p).find(|v| *v >= x).unwrap_or(10.0 * p)
}

/// `s` cut to `n` characters with an ellipsis (the full text is in the record).
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
    out.push('…');
    out
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
