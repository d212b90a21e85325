//! Input helpers several subcommands share: reading JSON files (strictly, or for
//! verification), `--at`, and the error for a product the inventory does not have.

use pcf::inventory::Inventory;

use super::Result;

/// Reads a JSON file strictly; a missing file is an input error.
pub fn read_json(path: &std::path::Path) -> Result<serde_json::Value> {
    let bytes = std::fs::read(path).map_err(|e| pcf::Error::io(path, &e))?;
    pcf::canonical::parse_strict(&bytes).map_err(|e| pcf::Error::Io {
        path: path.display().to_string(),
        message: format!("rejected: {e}"),
    })
}

/// Reads a JSON file for verification: an unreadable file is a usage error (exit 2), a file
/// that is not strict JSON is invalid input (exit 1).
pub fn read_json_usage(path: &std::path::Path) -> Result<serde_json::Value> {
    pcf::declaration::bundle::read_document(path).map_err(pcf::Error::from)
}

/// `--at`: an ISO date (its midnight UTC) or an RFC 3339 time.
pub fn parse_at(text: &str) -> Result<pcf::time::Instant> {
    pcf::time::Instant::parse_date_or_time(text).map_err(|e| pcf::Error::Usage(format!("--at {e}")))
}

/// `--max-age`: a whole number of days (`30d`), hours (`12h`), minutes (`90m`) or seconds
/// (`45s`), in seconds.
pub fn parse_duration(flag: &str, text: &str) -> Result<u64> {
    let bad = || {
        pcf::Error::Usage(format!(
            "{flag} {text:?}: not a duration (a whole number followed by d, h, m or s: 30d, 12h)"
        ))
    };
    let unit = match text.chars().last() {
        Some('d') => 86_400,
        Some('h') => 3_600,
        Some('m') => 60,
        Some('s') => 1,
        _ => return Err(bad()),
    };
    let digits = &text[..text.len() - 1];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits.parse::<u64>().ok().and_then(|n| n.checked_mul(unit)).ok_or_else(bad)
}

/// The usage error for a product the inventory does not have, naming the ones it has.
pub fn unknown_product(inv: &Inventory, id: &str) -> pcf::Error {
    let known: Vec<&str> = inv.products.iter().map(|p| p.id.0.as_str()).collect();
    pcf::Error::Usage(format!(
        "{}: no product {id:?}; the inventory has: {}",
        inv.path.display(),
        known.join(", ")
    ))
}
