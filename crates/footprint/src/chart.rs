//! The one SVG chart of `pcf`: one horizontal bar per contribution, scaled to the largest, with
//! negative values (credits, uptake) drawn left of the axis in green. Self-contained (no
//! scripts, no external fonts), so it can be opened anywhere and filed with an audit.
//! `pcf footprint --svg` and the audit's `contributions.svg` both draw with [`bars`].

use std::fmt::Write as _;

/// One bar: what contributes, how much, and the text written after it (the value as the
/// caller formats it, with its unit and share).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// What contributes (shortened to fit).
    pub label: String,
    /// How much; negative for a credit. Only its size relative to the others is drawn.
    pub value: f64,
    /// Written after the bar, e.g. `1.5 kg CO2e (25.0%)`.
    pub text: String,
    /// Drawn lighter: a detail beneath the main bars (an item within a process).
    pub light: bool,
}

/// Bars of `rows` under `title` (and `subtitle`, if any).
pub fn bars(title: &str, subtitle: Option<&str>, rows: &[Bar]) -> String {
    const LABEL: f64 = 360.0;
    const BAR: f64 = 380.0;
    const ROW: f64 = 22.0;
    let top = if subtitle.is_some() { 56.0 } else { 40.0 };
    let width = LABEL + BAR + 170.0;
    let height = top + ROW * rows.len() as f64 + 20.0;
    let max = rows.iter().map(|r| r.value.abs()).fold(0.0, f64::max);
    let has_negative = rows.iter().any(|r| r.value < 0.0);
    // With credits the axis sits a quarter in; otherwise at the left edge of the bar area.
    let axis = if has_negative { LABEL + BAR * 0.25 } else { LABEL };
    let span = if has_negative { BAR * 0.75 } else { BAR };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Helvetica, Arial, sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"  <title>{}</title>"#, escape(title));
    let _ = writeln!(s, r#"  <rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"  <text x="10" y="22" font-size="15" font-weight="bold">{}</text>"#,
        escape(title)
    );
    if let Some(subtitle) = subtitle {
        let _ = writeln!(s, r##"  <text x="10" y="42" fill="#555">{}</text>"##, escape(subtitle));
    }
    for (i, bar) in rows.iter().enumerate() {
        let y = top + ROW * i as f64;
        let len = if max > 0.0 { span * bar.value.abs() / max } else { 0.0 };
        let x = if bar.value < 0.0 { axis - len } else { axis };
        let colour = match (bar.value < 0.0, bar.light) {
            (true, _) => "#4caf50",
            (false, false) => "#37474f",
            (false, true) => "#90a4ae",
        };
        let _ = writeln!(
            s,
            r#"  <text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LABEL - 8.0,
            y + 15.0,
            escape(&shorten(&bar.label, 56))
        );
        let _ = writeln!(
            s,
            r#"  <rect x="{x:.1}" y="{:.1}" width="{len:.1}" height="{:.1}" fill="{colour}"/>"#,
            y + 3.0,
            ROW - 6.0
        );
        let _ = writeln!(
            s,
            r#"  <text x="{:.1}" y="{:.1}">{}</text>"#,
            axis.max(x + len) + 6.0,
            y + 15.0,
            escape(&bar.text)
        );
    }
    let _ = writeln!(
        s,
        r##"  <line x1="{axis:.1}" y1="{:.1}" x2="{axis:.1}" y2="{:.1}" stroke="#333"/>"##,
        top - 4.0,
        height - 16.0
    );
    s.push_str("</svg>\n");
    s
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    } else {
        s.to_string()
    }
}

/// XML-escapes text.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: impl Into<String>, value: f64) -> Bar {
        Bar { label: label.into(), value, text: format!("{value} kg"), light: false }
    }

    #[test]
    fn bars_escape_and_scale() {
        let rows = [bar("x & y", 2.0), bar("credit", -1.0)];
        let svg = bars("a <b>", None, &rows);
        assert!(svg.contains("a &lt;b&gt;"));
        assert!(svg.contains("x &amp; y"));
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }

    #[test]
    fn a_credit_is_drawn_left_of_the_axis_and_the_largest_bar_spans_the_scale() {
        let rows = [bar("burden", 3.0), bar("credit", -1.5)];
        let svg = bars("t", None, &rows);
        // Axis a quarter into the 380-wide bar area after the 360-wide labels: 455.
        assert!(svg.contains(r#"<rect x="455.0" y="43.0" width="285.0""#), "{svg}");
        assert!(
            svg.contains(
                r##"<rect x="312.5" y="65.0" width="142.5" height="16.0" fill="#4caf50"/>"##
            ),
            "{svg}"
        );
        assert!(svg.contains(r#"<line x1="455.0""#), "{svg}");
    }

    #[test]
    fn notes_subtitles_and_light_bars() {
        let item = Bar { text: "1 kg CO2e (25.0%)".into(), light: true, ..bar("item & co", 1.0) };
        let svg = bars("t", Some("sub"), &[bar("process", 4.0), item]);
        assert!(svg.contains(r##"<text x="10" y="42" fill="#555">sub</text>"##), "{svg}");
        assert!(svg.contains(">1 kg CO2e (25.0%)</text>"), "{svg}");
        assert!(svg.contains(">item &amp; co</text>"), "{svg}");
        assert!(svg.contains(r##"fill="#90a4ae""##), "{svg}");
        assert!(svg.contains(r##"fill="#37474f""##), "{svg}");
    }

    #[test]
    fn no_bars_and_all_zero_bars_draw_without_dividing_by_zero() {
        for rows in [vec![], vec![bar("nothing", 0.0)]] {
            let svg = bars("t", None, &rows);
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
        }
    }

    #[test]
    fn long_labels_are_shortened() {
        let svg = bars("t", None, &[bar("x".repeat(80), 1.0)]);
        assert!(svg.contains(&format!("{}…</text>", "x".repeat(55))), "{svg}");
    }
}
