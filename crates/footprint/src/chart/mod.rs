//! The one SVG chart of `pcf`: one horizontal bar per contribution, then a total row. Every
//! user of the chart gets the same design from here and supplies only data ([`Bar`] rows):
//!
//! - each value is followed by its share of the total, in percent;
//! - the total (the sum of the main rows) closes the chart, drawn to the same scale;
//! - negative values (credits, uptake) are drawn left of the axis, hatched;
//! - each group (a process, a category) has its own colour, the same for its main row and for
//!   its detail rows (drawn lighter);
//! - long labels are wrapped onto two lines and, if still too long, shortened with `…`; the
//!   full label, value and share are kept in each row's SVG `<title>` (a tooltip).
//!
//! The SVG is self-contained (no scripts, no external fonts) and every text is XML-escaped, so
//! it can be opened anywhere and filed with an audit. `pcf footprint --svg` and the audit's
//! `contributions.svg` both draw [`footprint`]; anything else (the browser verifier drawing a
//! declaration's composition) draws plain rows with [`bars`]:
//!
//! ```
//! use pcf_footprint::chart::{self, Bar};
//!
//! let rows = [
//!     Bar::new("fossil emissions", 2.5),
//!     Bar::new("land-use change", 0.5),
//!     Bar::new("biogenic uptake", -1.0),
//! ];
//! let svg = chart::bars("Composition of the declared footprint", None, "kg CO2e", &rows);
//! assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
//! // Shares of the net total (2.0): 125 %, 25 % and -50 %.
//! assert!(svg.contains(">2 kg CO2e (100.0 %)</text>"));
//! assert!(svg.contains(">-1 (-50.0 %)</text>"));
//! ```

use std::fmt::Write as _;

mod matching;
pub use matching::matching;

use crate::engine::Footprint;
use crate::report::{display_width, fixed, num};

/// One row of a chart: what contributes and how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// What contributes, in full: wrapped or shortened to fit when drawn, kept whole in the
    /// row's tooltip.
    pub label: String,
    /// How much, in the chart's unit; negative for a credit.
    pub value: f64,
    /// The colour key: rows with the same group have the same colour (a process and the
    /// items within it). Colours are given in order of first appearance.
    pub group: String,
    /// A detail of the main rows (an item within a process): drawn lighter, its share still
    /// of the total, but not added to the total (its main row already counts it).
    pub detail: bool,
}

impl Bar {
    /// A main row, in a group of its own (named by its label).
    pub fn new(label: impl Into<String>, value: f64) -> Bar {
        let label = label.into();
        Bar { group: label.clone(), label, value, detail: false }
    }

    /// The same row in `group` (shares the group's colour).
    pub fn in_group(self, group: impl Into<String>) -> Bar {
        Bar { group: group.into(), ..self }
    }

    /// The same row as a detail of the main rows.
    pub fn detail(self) -> Bar {
        Bar { detail: true, ..self }
    }
}

/// The chart of `rows` under `title` (and `subtitle`, if any), values in `unit`: a bar per
/// row with its value and share of the total, then the total (the sum of the rows that are
/// not [`Bar::detail`]). With a total of zero, shares are not written.
pub fn bars(title: &str, subtitle: Option<&str>, unit: &str, rows: &[Bar]) -> String {
    let total: f64 = rows.iter().filter(|r| !r.detail).map(|r| r.value).sum();
    let layout = Layout::of(subtitle.is_some(), rows, total);
    let colours = Colours::of(rows);
    let share = |v: f64| {
        if total != 0.0 && total.is_finite() {
            format!(" ({} %)", fixed(100.0 * v / total, 1))
        } else {
            String::new()
        }
    };
    let (width, height) = (layout.width(), layout.height);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, "  <title>{}</title>", escape(title));
    colours.defs(&mut s);
    let _ = writeln!(s, r#"  <rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"  <text x="10" y="22" font-size="15" font-weight="bold">{}</text>"#,
        escape(title)
    );
    if let Some(subtitle) = subtitle {
        let _ = writeln!(s, r##"  <text x="10" y="42" fill="#555">{}</text>"##, escape(subtitle));
    }
    for (bar, &y) in rows.iter().zip(&layout.ys) {
        let lines = wrap(&bar.label, LABEL_CHARS, 2);
        let h = row_height(lines.len());
        let text = format!("{}{}", num(bar.value), share(bar.value));
        let _ = writeln!(
            s,
            "  <g>\n    <title>{}: {} {unit}{}</title>",
            escape(&bar.label),
            escape(&num(bar.value)),
            escape(&share(bar.value))
        );
        let fill = colours.fill(&bar.group, bar.detail, bar.value < 0.0);
        let label_colour = if bar.detail { "#555" } else { "#222" };
        label(&mut s, &lines, y, label_colour, false);
        let (x, len) = layout.extent(bar.value);
        let _ = writeln!(
            s,
            r#"    <rect x="{x:.1}" y="{:.1}" width="{len:.1}" height="{:.1}" fill="{fill}"/>"#,
            y + (h - BAR_HEIGHT) / 2.0,
            BAR_HEIGHT
        );
        let _ = writeln!(
            s,
            r#"    <text x="{:.1}" y="{:.1}">{}</text>"#,
            layout.axis.max(x + len) + 6.0,
            y + h / 2.0 + 4.0,
            escape(&text)
        );
        s.push_str("  </g>\n");
    }
    // The total: a rule above, the bar in near-black, the value with its unit.
    let y = layout.total_y;
    let _ = writeln!(
        s,
        r##"  <line x1="10" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#999"/>"##,
        y - 4.0,
        width - 10.0,
        y - 4.0
    );
    let text = format!("{} {unit}{}", num(total), share(total));
    let _ = writeln!(s, "  <g>\n    <title>total: {}</title>", escape(&text));
    label(&mut s, &["Total".to_string()], y, "#222", true);
    let (x, len) = layout.extent(total);
    let _ = writeln!(
        s,
        r##"    <rect x="{x:.1}" y="{:.1}" width="{len:.1}" height="{:.1}" fill="#263238"/>"##,
        y + (ROW - BAR_HEIGHT) / 2.0,
        BAR_HEIGHT
    );
    let _ = writeln!(
        s,
        r#"    <text x="{:.1}" y="{:.1}" font-weight="bold">{}</text>"#,
        layout.axis.max(x + len) + 6.0,
        y + ROW / 2.0 + 4.0,
        escape(&text)
    );
    s.push_str("  </g>\n");
    let _ = writeln!(
        s,
        r##"  <line x1="{0:.1}" y1="{1:.1}" x2="{0:.1}" y2="{2:.1}" stroke="#333"/>"##,
        layout.axis,
        layout.top - 2.0,
        y + ROW + 2.0
    );
    s.push_str("</svg>\n");
    s
}

/// How many processes [`footprint`] draws; the rest are summed in one row.
pub const PROCESSES: usize = 10;
/// How many of the largest items [`footprint`] draws beneath the processes.
pub const ITEMS: usize = 8;

/// The contribution chart of one declared unit of a product: a row per process (the
/// [`PROCESSES`] largest, the rest summed), then the [`ITEMS`] largest items, lighter, in their
/// process's colour; the total is the footprint excluding biogenic uptake.
pub fn footprint(p: &Footprint) -> String {
    let mut rows: Vec<Bar> = Vec::new();
    let mut by_size: Vec<_> = p.by_process.iter().collect();
    by_size.sort_by(|a, b| b.kg_co2e.abs().total_cmp(&a.kg_co2e.abs()));
    let (shown, rest) = by_size.split_at(by_size.len().min(PROCESSES));
    for l in shown {
        rows.push(Bar::new(format!("process {}", l.name), l.kg_co2e).in_group(&l.name));
    }
    if !rest.is_empty() {
        let sum: f64 = rest.iter().map(|l| l.kg_co2e).sum();
        rows.push(Bar::new(format!("{} other processes", rest.len()), sum).in_group(OTHER));
    }
    for h in p.hotspots.iter().take(ITEMS) {
        let group =
            if shown.iter().any(|l| l.name == h.process) { h.process.as_str() } else { OTHER };
        rows.push(
            Bar::new(format!("{} ({})", h.item, h.process), h.kg_co2e).in_group(group).detail(),
        );
    }
    let title =
        format!("{} - {} kg CO2e per {}", p.name, num(p.totals.excluding_uptake), p.declared_unit);
    bars(
        &title,
        Some(
            "per declared unit, excluding biogenic uptake: by process, then the largest items (lighter, in their process's colour)",
        ),
        "kg CO2e",
        &rows,
    )
}

/// The group of the processes summed in one row (drawn grey).
const OTHER: &str = "\u{0}other";
/// Width of the label column, pixels.
const LABEL: f64 = 330.0;
/// Characters of a label line (about 6.6 pixels each at 12 pixels).
const LABEL_CHARS: usize = 48;
/// Width of the bar area, pixels.
const BAR: f64 = 400.0;
/// Width of the value column, pixels.
const VALUE: f64 = 190.0;
/// Height of a one-line row; each further label line adds [`LINE`].
const ROW: f64 = 22.0;
/// Height of a further label line.
const LINE: f64 = 14.0;
/// Height of a bar.
const BAR_HEIGHT: f64 = 16.0;
/// Space between the main rows and the detail rows.
const GAP: f64 = 8.0;
/// Colour-blind-safe colours (Okabe and Ito's, yellow left out, then two of Paul Tol's), given
/// to groups in order; dark enough that a half tint still shows on white.
const PALETTE: [&str; 8] =
    ["#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#882255", "#999933"];
/// The colour of [`OTHER`] and of groups past the palette.
const GREY: &str = "#9e9e9e";

/// Where rows go and how values scale.
struct Layout {
    /// Top of the first row.
    top: f64,
    /// Top of each row.
    ys: Vec<f64>,
    /// Top of the total row.
    total_y: f64,
    /// Total height.
    height: f64,
    /// The x of the axis (value zero).
    axis: f64,
    /// Pixels per unit of value.
    scale: f64,
}

impl Layout {
    fn of(subtitle: bool, rows: &[Bar], total: f64) -> Layout {
        let top = if subtitle { 56.0 } else { 40.0 };
        let mut y = top;
        let mut ys = Vec::with_capacity(rows.len());
        for (i, bar) in rows.iter().enumerate() {
            if i > 0 && bar.detail && !rows[i - 1].detail {
                y += GAP;
            }
            ys.push(y);
            y += row_height(wrap(&bar.label, LABEL_CHARS, 2).len());
        }
        let total_y = y + GAP;
        let values = rows.iter().map(|r| r.value).chain([total]).filter(|v| v.is_finite());
        let (pos, neg) = values.fold((0.0f64, 0.0f64), |(p, n), v| (p.max(v), n.max(-v)));
        // The axis splits the bar area in proportion to the largest credit and burden.
        let span = pos + neg;
        let (axis, scale) =
            if span > 0.0 { (LABEL + BAR * neg / span, BAR / span) } else { (LABEL, 0.0) };
        Layout { top, ys, total_y, height: total_y + ROW + 12.0, axis, scale }
    }

    fn width(&self) -> f64 {
        LABEL + BAR + VALUE
    }

    /// The left edge and the length of the bar of `value`.
    fn extent(&self, value: f64) -> (f64, f64) {
        // A value that is not zero shows at least a pixel.
        let len = match value.is_finite() && value != 0.0 {
            true => (self.scale * value.abs()).max(1.0),
            false => 0.0,
        };
        if value < 0.0 { (self.axis - len, len) } else { (self.axis, len) }
    }
}

/// The colour of each group, in order of first appearance.
struct Colours(Vec<(String, &'static str)>);

impl Colours {
    fn of(rows: &[Bar]) -> Colours {
        let mut list: Vec<(String, &'static str)> = Vec::new();
        for r in rows {
            if !list.iter().any(|(g, _)| *g == r.group) {
                let colour = if r.group == OTHER {
                    GREY
                } else {
                    let n = list.iter().filter(|(g, _)| g != OTHER).count();
                    PALETTE.get(n).copied().unwrap_or(GREY)
                };
                list.push((r.group.clone(), colour));
            }
        }
        Colours(list)
    }

    fn index(&self, group: &str) -> usize {
        self.0.iter().position(|(g, _)| g == group).unwrap_or(0)
    }

    /// The fill of a bar: the group's colour, lighter for a detail, hatched for a credit.
    fn fill(&self, group: &str, detail: bool, credit: bool) -> String {
        let i = self.index(group);
        match (credit, detail) {
            (true, false) => format!("url(#credit{i})"),
            (true, true) => format!("url(#credit-light{i})"),
            (false, false) => self.0.get(i).map_or(GREY, |(_, c)| *c).to_string(),
            (false, true) => tint(self.0.get(i).map_or(GREY, |(_, c)| *c)),
        }
    }

    /// Hatch patterns for the credits of each group.
    fn defs(&self, s: &mut String) {
        if self.0.is_empty() {
            return;
        }
        s.push_str("  <defs>\n");
        for (i, (_, c)) in self.0.iter().enumerate() {
            for (id, stripe) in [("credit", c.to_string()), ("credit-light", tint(c))] {
                let _ = writeln!(
                    s,
                    r#"    <pattern id="{id}{i}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="white"/><rect width="3" height="6" fill="{stripe}"/></pattern>"#
                );
            }
        }
        s.push_str("  </defs>\n");
    }
}

/// `colour` (`#rrggbb`) mixed half with white.
fn tint(colour: &str) -> String {
    let channel = |i: usize| {
        colour.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0x80)
    };
    let mix = |c: u8| (u16::from(c) + 255).div_ceil(2);
    format!("#{:02x}{:02x}{:02x}", mix(channel(1)), mix(channel(3)), mix(channel(5)))
}

/// Height of a row whose label takes `lines` lines.
fn row_height(lines: usize) -> f64 {
    ROW + LINE * lines.saturating_sub(1) as f64
}

/// A row's label, right-aligned against the bar area, one `<tspan>` per line.
fn label(s: &mut String, lines: &[String], y: f64, colour: &str, bold: bool) {
    let x = LABEL - 8.0;
    let weight = if bold { r#" font-weight="bold""# } else { "" };
    let first = y + ROW / 2.0 + 4.0;
    let _ = write!(
        s,
        r#"    <text x="{x:.1}" y="{first:.1}" text-anchor="end" fill="{colour}"{weight}>"#
    );
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            let _ = write!(s, "<tspan>{}</tspan>", escape(line));
        } else {
            let _ = write!(s, r#"<tspan x="{x:.1}" dy="{LINE}">{}</tspan>"#, escape(line));
        }
    }
    s.push_str("</text>\n");
}

/// `text` in at most `max_lines` lines of at most `width` columns, broken between words (a
/// word longer than a line is cut); what does not fit ends the last line with `…`.
fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word = word.to_string();
        loop {
            let sep = usize::from(!line.is_empty());
            if display_width(&line) + sep + display_width(&word) <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than a whole line: cut it.
            let mut head: String = take_width(&word, width);
            if head.is_empty() {
                head = word.chars().take(1).collect();
            }
            word = word[head.len()..].to_string();
            if word.is_empty() {
                line = head;
                break;
            }
            lines.push(head);
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            let kept = take_width(last, width.saturating_sub(1));
            *last = format!("{}…", kept.trim_end());
        }
    }
    lines
}

/// The longest prefix of `s` at most `width` columns wide.
fn take_width(s: &str, width: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        out.push(c);
        if display_width(&out) > width {
            out.pop();
            break;
        }
    }
    out
}

/// XML-escapes text, dropping the control characters XML 1.0 cannot hold.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(' '),
            c if c < ' ' || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_and_scale() {
        let rows = [Bar::new("x & y", 2.0), Bar::new("credit", -1.0)];
        let svg = bars("a <b>", None, "kg", &rows);
        assert!(svg.contains("a &lt;b&gt;"));
        assert!(svg.contains("x &amp; y"));
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn a_credit_is_drawn_left_of_the_axis_in_proportion() {
        let rows = [Bar::new("burden", 3.0), Bar::new("credit", -1.0)];
        let svg = bars("t", None, "kg", &rows);
        // Largest burden 3, largest credit 1: the axis a quarter into the 400-wide bar area
        // after the 330-wide labels (430), 100 pixels per unit.
        assert!(svg.contains(r#"<rect x="430.0" y="43.0" width="300.0""#), "{svg}");
        assert!(
            svg.contains(
                r#"<rect x="330.0" y="65.0" width="100.0" height="16.0" fill="url(#credit1)"/>"#
            ),
            "{svg}"
        );
        assert!(svg.contains(r#"<line x1="430.0""#), "{svg}");
        // The total (2) to the same scale.
        assert!(svg.contains(r#"<rect x="430.0" y="95.0" width="200.0""#), "{svg}");
        assert!(svg.contains(">2 kg (100.0 %)</text>"), "{svg}");
    }

    #[test]
    fn details_take_their_group_colour_lighter_and_stay_out_of_the_total() {
        let rows = [
            Bar::new("process a", 3.0).in_group("a"),
            Bar::new("process b", 1.0).in_group("b"),
            Bar::new("item & co", 2.0).in_group("a").detail(),
        ];
        let svg = bars("t", Some("sub"), "kg", &rows);
        assert!(svg.contains(r##"<text x="10" y="42" fill="#555">sub</text>"##), "{svg}");
        assert!(svg.contains(">item &amp; co</tspan>"), "{svg}");
        assert!(svg.contains(r##"fill="#0072b2"/>"##), "{svg}");
        assert!(svg.contains(r##"fill="#e69f00"/>"##), "{svg}");
        assert_eq!(tint("#0072b2"), "#80b9d9");
        assert!(svg.contains(r##"fill="#80b9d9"/>"##), "{svg}");
        assert!(svg.contains(">2 (50.0 %)</text>"), "{svg}");
        assert!(svg.contains(">4 kg (100.0 %)</text>"), "{svg}");
    }

    #[test]
    fn no_bars_and_all_zero_bars_draw_without_dividing_by_zero() {
        for rows in [vec![], vec![Bar::new("nothing", 0.0)], vec![Bar::new("nan", f64::NAN)]] {
            let svg = bars("t", None, "kg", &rows);
            assert!(!svg.contains("NaN x") && !svg.contains("inf"), "{svg}");
            assert!(!svg.contains("width=\"NaN\""), "{svg}");
        }
    }

    #[test]
    fn long_labels_wrap_then_shorten() {
        assert_eq!(wrap("short", 10, 2), ["short"]);
        assert_eq!(wrap("one two three", 7, 2), ["one two", "three"]);
        assert_eq!(wrap("one two three four", 7, 2), ["one two", "three…"]);
        assert_eq!(wrap(&"x".repeat(25), 10, 2), ["x".repeat(10), format!("{}…", "x".repeat(9))]);
        assert_eq!(wrap("", 10, 2), [""]);
    }

    #[test]
    fn escape_drops_what_xml_cannot_hold() {
        assert_eq!(escape("a\u{1}b\"c'<\n"), "ab&quot;c&apos;&lt; ");
    }
}
