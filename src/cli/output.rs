//! Output for every subcommand: `out!`/`outln!` (print to stdout, ignoring a closed pipe) and
//! [`print_json`], and the archived versions the `list` commands add after the live files.

/// `print!` that ignores a closed stdout (`pcf ... | head` must not panic).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

/// `println!` that ignores a closed stdout.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => outln!("{s}"),
        Err(e) => eprintln!("error: cannot serialize output: {e}"),
    }
}

/// An older version of a shipped file, kept so declarations pinning it still verify.
pub struct Archived {
    /// The file's id.
    pub id: String,
    /// Its version.
    pub version: String,
    /// Its digest.
    pub digest: String,
}

/// A live file's JSON `entry` with the `archived` versions of its `id`, when it has any.
pub fn with_archived(
    mut entry: serde_json::Value,
    id: &str,
    archived: &[Archived],
) -> serde_json::Value {
    let older: Vec<serde_json::Value> = archived
        .iter()
        .filter(|a| a.id == id)
        .map(|a| serde_json::json!({"version": a.version, "digest": a.digest}))
        .collect();
    if !older.is_empty() {
        entry["archived"] = older.into();
    }
    entry
}

/// Prints the table of archived versions after a list, when there are any; `kind` is the
/// subcommand that shows one (`methodology`, `dataset`).
pub fn print_archived(archived: &[Archived], kind: &str) {
    if archived.is_empty() {
        return;
    }
    let mut t = pcf::report::Table::new(&["id", "version", "digest"]);
    for a in archived {
        t.row(vec![a.id.clone(), a.version.clone(), a.digest.clone()]);
    }
    outln!(
        "\narchived versions (declarations pinning them still verify; `pcf {kind} show ID@VERSION`):"
    );
    out!("{}", t.render(0));
}
