//! The one table renderer of `pcf`'s terminal output. Columns are two spaces apart and aligned
//! by display width (a CJK character such as 中 takes two terminal columns, measured with
//! `unicode-width`); text columns are left-aligned and number columns right-aligned, and each
//! number column takes one format from all its values ([`super::number::column_decimals`]).

use unicode_width::UnicodeWidthStr;

use super::number::{column_decimals, fixed, group};

/// One cell of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, left-aligned. `-` and the empty string are placeholders that do not make a
    /// number column a text column.
    Text(String),
    /// A number, formatted with the other numbers of its column, right-aligned.
    Number(f64),
    /// A number already written (a percentage, a value exactly as stored, a count),
    /// right-aligned as it is.
    Figure(String),
}

impl Cell {
    /// A figure written as `text`, with thousands separators added to a plain decimal.
    pub fn figure(text: impl AsRef<str>) -> Cell {
        Cell::Figure(group(text.as_ref()))
    }

    fn is_placeholder(&self) -> bool {
        matches!(self, Cell::Text(t) if t.is_empty() || t == "-")
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<f64> for Cell {
    fn from(x: f64) -> Cell {
        Cell::Number(x)
    }
}

/// Terminal columns `s` takes: two for East Asian wide characters, none for combining marks.
pub fn display_width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

/// `s` padded with spaces to `width` terminal columns (left-aligned), for aligned lists that
/// are not tables (a check's name before its detail).
pub fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(display_width(s))))
}

/// A table: a header row, a rule and rows of cells. A column of numbers, figures and
/// placeholders only is right-aligned, any other column left-aligned.
#[derive(Debug, Default)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Table {
        Table { header: header.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }

    /// Adds a row (cells past the header's columns are ignored, missing ones are empty).
    pub fn row<C: Into<Cell>>(&mut self, cells: impl IntoIterator<Item = C>) {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Renders with `indent` spaces before each line; trailing spaces are trimmed.
    pub fn render(&self, indent: usize) -> String {
        let cols = self.header.len();
        let empty = Cell::Text(String::new());
        let cell = |r: &Vec<Cell>, c: usize| r.get(c).unwrap_or(&empty).clone();
        // Each column's numbers formatted together; a column is right-aligned when it holds a
        // number or figure and no text but placeholders.
        let mut text: Vec<Vec<String>> = vec![Vec::with_capacity(self.rows.len()); cols];
        let mut right = vec![false; cols];
        for (c, column) in text.iter_mut().enumerate() {
            let cells: Vec<Cell> = self.rows.iter().map(|r| cell(r, c)).collect();
            let numbers: Vec<f64> = cells
                .iter()
                .filter_map(|x| if let Cell::Number(n) = x { Some(*n) } else { None })
                .collect();
            let decimals = column_decimals(&numbers);
            right[c] = !cells.is_empty()
                && cells.iter().all(|x| !matches!(x, Cell::Text(_)) || x.is_placeholder());
            for x in cells {
                column.push(match x {
                    Cell::Text(t) | Cell::Figure(t) => t,
                    Cell::Number(n) => fixed(n, decimals),
                });
            }
        }
        let mut width: Vec<usize> = self.header.iter().map(|h| display_width(h)).collect();
        for (c, column) in text.iter().enumerate() {
            for t in column {
                width[c] = width[c].max(display_width(t));
            }
        }
        let pad = " ".repeat(indent);
        let mut out = String::new();
        let mut line = |cells: &mut dyn Iterator<Item = &str>| {
            let mut l = pad.clone();
            for (c, t) in cells.enumerate() {
                if c > 0 {
                    l.push_str("  ");
                }
                let fill = " ".repeat(width[c].saturating_sub(display_width(t)));
                if right[c] {
                    l.push_str(&fill);
                    l.push_str(t);
                } else {
                    l.push_str(t);
                    l.push_str(&fill);
                }
            }
            out.push_str(l.trim_end());
            out.push('\n');
        };
        line(&mut self.header.iter().map(String::as_str));
        let rule = width.iter().sum::<usize>() + 2 * cols.saturating_sub(1);
        line(&mut std::iter::once("-".repeat(rule).as_str()));
        for r in 0..self.rows.len() {
            line(&mut text.iter().map(|column| column[r].as_str()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_left_numbers_right() {
        let mut t = Table::new(&["a", "bb"]);
        t.row(vec![Cell::from("long name"), Cell::Number(1.0)]);
        assert_eq!(t.render(0), "a          bb\n-------------\nlong name   1\n");
    }

    #[test]
    fn chinese_text_takes_two_columns_a_character() {
        let mut t = Table::new(&["product", "kg CO2e"]);
        t.row(vec![Cell::from("压铸外壳"), Cell::Number(2.5)]);
        t.row(vec![Cell::from("bracket"), Cell::Number(12.25)]);
        let out = t.render(0);
        let widths: Vec<usize> = out.lines().map(display_width).collect();
        assert_eq!(widths, [17, 17, 17, 17], "{out}");
        assert!(out.contains("压铸外壳    2.500\n"), "{out}");
        assert!(out.contains("bracket    12.250\n"), "{out}");
    }

    #[test]
    fn placeholders_keep_a_number_column_right_aligned() {
        let mut t = Table::new(&["gas", "kg"]);
        t.row(vec![Cell::from("co2"), Cell::Number(1_450_000.0)]);
        t.row(vec![Cell::from("ch4"), Cell::from("-")]);
        t.row(vec![Cell::from("n2o"), Cell::figure("12.5 %")]);
        assert_eq!(
            t.render(2),
            "  gas         kg\n  --------------\n  co2  1,450,000\n  ch4          -\n  n2o     12.5 %\n"
        );
    }
}
