//! A hand-written SVG bar chart: one horizontal bar per contribution, scaled to the largest,
//! negative values (credits, uptake) drawn to the left of the axis in another colour.

use std::fmt::Write as _;

/// Bars of `rows` (label, value) titled `title`, values in `unit`.
pub fn bars(title: &str, rows: &[(String, f64)], unit: &str) -> String {
    const LABEL: f64 = 300.0;
    const BAR: f64 = 360.0;
    const ROW: f64 = 22.0;
    const TOP: f64 = 40.0;
    let width = LABEL + BAR + 140.0;
    let height = TOP + ROW * rows.len() as f64 + 20.0;
    let max = rows.iter().map(|r| r.1.abs()).fold(0.0, f64::max);
    let has_negative = rows.iter().any(|r| r.1 < 0.0);
    // With credits the axis sits a quarter in; otherwise at the left edge of the bar area.
    let axis = if has_negative { LABEL + BAR * 0.25 } else { LABEL };
    let span = if has_negative { BAR * 0.75 } else { BAR };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"  <title>{}</title>"#, escape(title));
    let _ = writeln!(s, r#"  <rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"  <text x="10" y="22" font-size="14" font-weight="bold">{}</text>"#,
        escape(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let len = if max > 0.0 { span * value.abs() / max } else { 0.0 };
        let x = if *value < 0.0 { axis - len } else { axis };
        let colour = if *value < 0.0 { "#4a9c6d" } else { "#c0504d" };
        let _ = writeln!(
            s,
            r#"  <text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LABEL - 8.0,
            y + 14.0,
            escape(&shorten(label, 46))
        );
        let _ = writeln!(
            s,
            r#"  <rect x="{x:.1}" y="{:.1}" width="{len:.1}" height="{:.1}" fill="{colour}"/>"#,
            y + 3.0,
            ROW - 6.0
        );
        let _ = writeln!(
            s,
            r#"  <text x="{:.1}" y="{:.1}">{} {}</text>"#,
            axis.max(x + len) + 6.0,
            y + 14.0,
            escape(&pcf_footprint::report::num(*value)),
            escape(unit)
        );
    }
    let _ = writeln!(
        s,
        r##"  <line x1="{axis:.1}" y1="{:.1}" x2="{axis:.1}" y2="{:.1}" stroke="#333"/>"##,
        TOP - 4.0,
        height - 16.0
    );
    s.push_str("</svg>\n");
    s
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() > n {
        format!("{}...", s.chars().take(n - 3).collect::<String>())
    } else {
        s.to_string()
    }
}

/// XML-escapes text.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_and_scale() {
        let svg = bars("a <b>", &[("x & y".into(), 2.0), ("credit".into(), -1.0)], "kg");
        assert!(svg.contains("a &lt;b&gt;"));
        assert!(svg.contains("x &amp; y"));
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
    }
}
