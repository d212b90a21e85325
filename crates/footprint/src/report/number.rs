//! Numbers for people: fixed notation with thousands separators, never an exponent. A column of
//! a table takes one format chosen from all its values ([`column_decimals`]); a number in a
//! sentence takes six significant digits ([`num`]). `--json` output does not come here: it
//! keeps machine numbers.

/// Significant digits the smallest non-zero value of a column keeps.
const COLUMN_SIGNIFICANT: i32 = 4;
/// At most this many decimals in a column (smaller values round to zero).
const COLUMN_MAX_DECIMALS: i32 = 8;
/// Significant digits of a number in a sentence.
const SENTENCE_SIGNIFICANT: i32 = 6;
/// At most this many decimals in a sentence.
const SENTENCE_MAX_DECIMALS: i32 = 12;

/// The decimals for a column of `values`: enough for the smallest non-zero magnitude to show
/// four significant digits (at most eight decimals); none when every value is a whole number.
pub fn column_decimals(values: &[f64]) -> usize {
    let finite = values.iter().copied().filter(|x| x.is_finite() && *x != 0.0);
    if finite.clone().all(|x| x.fract() == 0.0) {
        return 0;
    }
    let smallest = finite.map(f64::abs).fold(f64::INFINITY, f64::min);
    let mag = smallest.log10().floor() as i32;
    (COLUMN_SIGNIFICANT - 1 - mag).clamp(0, COLUMN_MAX_DECIMALS) as usize
}

/// `x` with `decimals` decimals and thousands separators (`1,450,000.00`); a value that rounds
/// to zero loses its sign. Not-a-number and infinities print as Rust does.
pub fn fixed(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let text = format!("{:.decimals$}", x.abs());
    let zero = text.bytes().all(|b| b == b'0' || b == b'.');
    let sign = if x < 0.0 && !zero { "-" } else { "" };
    format!("{sign}{}", group(&text))
}

/// A number in a sentence: six significant digits in fixed notation, trailing zeros dropped,
/// thousands separators (`1,450,000 kWh`, `0.0166909`, `1.09091e-5` as `0.0000109091`).
pub fn num(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    if !x.is_finite() {
        return x.to_string();
    }
    let mag = x.abs().log10().floor() as i32;
    let decimals = (SENTENCE_SIGNIFICANT - 1 - mag).clamp(0, SENTENCE_MAX_DECIMALS) as usize;
    let text = fixed(x, decimals);
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Thousands separators in the whole part of a plain decimal (`1234567.5` as `1,234,567.5`);
/// a leading `-` is kept; anything else (an exponent, letters) is returned as it is.
pub fn group(decimal: &str) -> String {
    let (sign, rest) = decimal.strip_prefix('-').map_or(("", decimal), |r| ("-", r));
    let (whole, frac) = rest.split_once('.').map_or((rest, None), |(w, f)| (w, Some(f)));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()))
    {
        return decimal.to_string();
    }
    let mut out = String::from(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A percentage with one decimal (`12.5 %`).
pub fn pct(x: f64) -> String {
    format!("{} %", fixed(x, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_have_six_significant_digits_and_separators() {
        assert_eq!(num(2.231712), "2.23171");
        assert_eq!(num(2659.4), "2,659.4");
        assert_eq!(num(0.0012345678), "0.00123457");
        assert_eq!(num(0.00001234), "0.00001234");
        assert_eq!(num(1.0909091e-5), "0.0000109091");
        assert_eq!(num(1_450_000.0), "1,450,000");
        assert_eq!(num(-12.5), "-12.5");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(f64::NAN), "NaN");
    }

    #[test]
    fn a_column_takes_one_format() {
        let values = [1.0909091e-5, 0.0166909, 1_450_000.0, 0.0];
        let d = column_decimals(&values);
        assert_eq!(d, 8);
        let shown: Vec<String> = values.iter().map(|&x| fixed(x, d)).collect();
        assert_eq!(shown, ["0.00001091", "0.01669090", "1,450,000.00000000", "0.00000000"]);
        assert_eq!(column_decimals(&[1.0, 1_450_000.0, 0.0]), 0);
        assert_eq!(column_decimals(&[2.5, 12.25]), 3);
        assert_eq!(column_decimals(&[741.5000109]), 1);
        assert_eq!(column_decimals(&[1e-30, 1.0]), 8);
        assert_eq!(column_decimals(&[]), 0);
        assert_eq!(fixed(-1e-12, 3), "0.000");
        assert_eq!(fixed(-1234.5, 1), "-1,234.5");
    }

    #[test]
    fn grouping_leaves_what_is_not_a_plain_decimal() {
        assert_eq!(group("1234567.125"), "1,234,567.125");
        assert_eq!(group("-999"), "-999");
        assert_eq!(group("-1000"), "-1,000");
        assert_eq!(group("1e-5"), "1e-5");
        assert_eq!(group(""), "");
    }
}
