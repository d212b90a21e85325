//! Text for people: the nearest of a set of names to what a user wrote (for "did you mean"),
//! by edit distance ignoring letter case.

/// The name of `names` nearest to `written`, when near enough to be a likely typo (at most one
/// edit for names of up to three letters, two for longer ones).
pub fn nearest<'a>(written: &str, names: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower: Vec<char> = written.to_lowercase().chars().collect();
    let limit = if lower.len() <= 3 { 1 } else { 2 };
    names
        .into_iter()
        .map(|name| {
            let candidate: Vec<char> = name.to_lowercase().chars().collect();
            (distance(&lower, &candidate), name)
        })
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, _)| d)
        .map(|(_, name)| name)
}

/// Levenshtein distance between two strings, by characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    distance(&a, &b)
}

fn distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diagonal + usize::from(ca != cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_not_strangers() {
        let names = ["natural-gas-manufacturing", "lpg", "wood"];
        assert_eq!(nearest("natural-gas-manufacturng", names), Some("natural-gas-manufacturing"));
        assert_eq!(nearest("LPG", names), Some("lpg"));
        assert_eq!(nearest("wod", names), Some("wood"));
        assert_eq!(nearest("coal", names), None);
        assert_eq!(edit_distance("amount", "amout"), 1);
        assert_eq!(edit_distance("unit", "units"), 1);
    }
}
