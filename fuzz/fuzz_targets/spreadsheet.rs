//! The spreadsheet importer (`pcf import`) never panics on any workbook or CSV folder, and what
//! it accepts turns into TOML it can state.
//!
//! An input starting with `PK` is read as `.xlsx` bytes; any other is split at `\n====\n` into
//! the CSV files of the layout's sheets, in the order of `pcf::spreadsheet::layout::SHEETS`,
//! written into a temporary folder (in `/dev/shm` where there is one).
#![no_main]

use std::sync::OnceLock;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = std::path::Path::new("/dev/shm");
        let made = if shm.is_dir() { tempfile::tempdir_in(shm) } else { tempfile::tempdir() };
        match made {
            Ok(d) => d,
            Err(e) => panic!("no temporary directory: {e}"),
        }
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let imported = if data.starts_with(b"PK") {
        pcf::spreadsheet::read_bytes("fuzz.xlsx", data)
    } else {
        let bom = dir().path().join("bom");
        let _ = std::fs::remove_dir_all(&bom);
        if std::fs::create_dir_all(&bom).is_err() {
            return;
        }
        let text = String::from_utf8_lossy(data);
        for (sheet, part) in pcf::spreadsheet::layout::SHEETS.iter().zip(text.split("\n====\n")) {
            let path = bom.join(pcf::spreadsheet::layout::csv_name(sheet));
            if std::fs::write(path, part).is_err() {
                return;
            }
        }
        pcf::spreadsheet::import(&bom)
    };
    if let Ok(imported) = imported {
        let _ = imported.to_toml();
    }
});
