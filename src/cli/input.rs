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

/// The usage error for a product the inventory does not have, naming the ones it has.
pub fn unknown_product(inv: &Inventory, id: &str) -> pcf::Error {
    let known: Vec<&str> = inv.products.iter().map(|p| p.id.0.as_str()).collect();
    pcf::Error::Usage(format!(
        "{}: no product {id:?}; the inventory has: {}",
        inv.path.display(),
        known.join(", ")
    ))
}
