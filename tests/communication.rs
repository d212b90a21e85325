#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The EU CBAM communication template: what `pcf cbam export` writes sits in the template's
//! sheets and cells (checked against the Commission's blank template in the shared data), reads
//! back into the same communication, and `pcf cbam import` names the sheet and cell of what it
//! cannot read.

use std::io::Cursor;
use std::path::PathBuf;

use calamine::{Data, Reader, Xlsx};
use pcf::cbam_template::{self, TemplateError, layout};
use pcf::inventory::communication::{
    CommunicatedGood, Communication, FORMAT, Installation, Period,
};
use rust_xlsxwriter::Workbook;

use crate::util;

/// The blank template v2.1.1, in the shared data (see its PROVENANCE.md).
const BLANK: &str =
    "cbam/communication-template/CBAM Communication template for installations_en_20241213.xlsx";

/// A communication of two goods, the second with a share of default values and an
/// electricity factor.
fn sample() -> Communication {
    Communication {
        format: FORMAT.into(),
        installation: Installation {
            name: "Example Steel Works, Iskenderun".into(),
            operator: None,
            country: "TR".into(),
            address: Some("Organize Sanayi Bolgesi 12".into()),
            unlocode: Some("TRISK".into()),
        },
        period: Period { start: "2025-01-01".into(), end: "2025-12-31".into() },
        goods: vec![
            CommunicatedGood {
                cn: "72083800".into(),
                name: "Hot-rolled coil S355".into(),
                route: Some("Basic oxygen steelmaking".into()),
                unit: "t".into(),
                direct: 1.85,
                indirect: 0.15,
                default_share: None,
                electricity_factor: None,
                electricity_factor_source: None,
            },
            CommunicatedGood {
                cn: "7326".into(),
                name: "Forged brackets".into(),
                route: None,
                unit: "t".into(),
                direct: 2.125,
                indirect: 0.5,
                default_share: Some(0.25),
                electricity_factor: Some(0.625),
                electricity_factor_source: Some("D.4.1".into()),
            },
        ],
        source: None,
    }
}

fn open(bytes: &[u8]) -> Xlsx<Cursor<&[u8]>> {
    Xlsx::new(Cursor::new(bytes)).unwrap()
}

/// The value of `sheet!a1`.
fn value(book: &mut Xlsx<Cursor<&[u8]>>, sheet: &str, a1: &str) -> Data {
    let (letters, row) = layout::split_a1(a1);
    let range = book.worksheet_range(sheet).unwrap();
    range
        .get_value((row - 1, u32::from(layout::column_index(letters))))
        .cloned()
        .unwrap_or(Data::Empty)
}

fn at(sheet: &str, field: layout::Field, i: u32) -> String {
    layout::cell(sheet, field).unwrap().a1(i)
}

#[test]
fn written_template_has_the_template_sheets_and_the_figures_in_its_cells() {
    use layout::Field as F;
    let bytes = cbam_template::xlsx_bytes(&sample(), None).unwrap();
    let mut book = open(&bytes);
    assert_eq!(book.sheet_names(), layout::SHEETS.map(String::from).to_vec());
    if let Some(blank) = util::shared_data(BLANK) {
        let blank = std::fs::read(blank).unwrap();
        assert_eq!(book.sheet_names(), open(&blank).sheet_names(), "the blank template's sheets");
    }
    assert!(matches!(value(&mut book, "0_Versions", "A1"), Data::String(s) if s.contains("pcf")));
    let sc = "Summary_Communication";
    assert_eq!(value(&mut book, sc, "F26"), Data::String("72083800".into()));
    assert_eq!(
        value(&mut book, sc, &at(sc, F::GoodName, 0)),
        Data::String("Hot-rolled coil S355".into())
    );
    assert_eq!(value(&mut book, sc, "I26"), Data::Float(1.85));
    assert_eq!(value(&mut book, sc, "J26"), Data::Float(0.15));
    assert_eq!(value(&mut book, sc, "K26"), Data::Float(2.0));
    assert_eq!(value(&mut book, sc, "L26"), Data::String("tCO2e/t".into()));
    assert_eq!(value(&mut book, sc, "M26"), Data::Empty);
    assert_eq!(value(&mut book, sc, "F27"), Data::String("7326".into()));
    assert_eq!(value(&mut book, sc, "M27"), Data::Float(0.25));
    assert_eq!(value(&mut book, sc, "O27"), Data::Float(0.8));
    assert_eq!(value(&mut book, sc, "P27"), Data::Float(0.625));
    assert_eq!(value(&mut book, sc, "G16"), Data::String("TR".into()));
    let sp = "Summary_Products";
    assert_eq!(value(&mut book, sp, "F11"), Data::String("7326".into()));
    assert_eq!(value(&mut book, sp, "I11"), Data::Float(2.125));
    let a = "A_InstData";
    assert_eq!(value(&mut book, a, "I20"), Data::String("Example Steel Works, Iskenderun".into()));
    assert_eq!(value(&mut book, a, "I27"), Data::String("TRISK".into()));
    assert!(matches!(value(&mut book, a, "I9"), Data::DateTime(_)));
    assert_eq!(value(&mut book, a, "I62"), Data::String("Basic oxygen steelmaking".into()));

    let back = cbam_template::read_bytes("works.xlsx", &bytes).unwrap();
    let source = back.source.clone().unwrap();
    assert_eq!(source.file, "works.xlsx");
    assert_eq!(source.sha256, pcf::digest::Digest::of(&bytes).to_string());
    assert_eq!(Communication { source: None, ..back }, sample());
}

/// Every cell of the layout has, in the Commission's blank template, the label it was mapped
/// by next to it (blocks: in every block).
#[test]
fn the_layout_matches_the_blank_template() {
    let Some(blank) = util::shared_data(BLANK) else { return };
    let bytes = std::fs::read(blank).unwrap();
    let mut book = open(&bytes);
    let mut checked = 0;
    for c in layout::CELLS {
        let labelled = if c.stride > 1 { c.count } else { 1 };
        for i in 0..labelled {
            let label = value(&mut book, c.sheet, &c.label_a1(i));
            let text = label.to_string();
            assert!(
                text.trim().starts_with(c.label),
                "{}!{} (for {}): {text:?}, expected {:?}",
                c.sheet,
                c.label_a1(i),
                c.a1(i),
                c.label
            );
            checked += 1;
        }
    }
    assert!(checked > layout::CELLS.len());
}

/// `docs/cbam-template.md` holds the layout table between its markers (`PCF_UPDATE_DOCS=1`
/// rewrites it).
#[test]
fn the_docs_table_is_the_layout() {
    let path = util::root().join("docs/cbam-template.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (begin, end) = ("<!-- layout:begin -->\n", "<!-- layout:end -->");
    let (head, rest) = doc.split_once(begin).unwrap();
    let (_, tail) = rest.split_once(end).unwrap();
    let expected = format!("{head}{begin}{}{end}{tail}", layout::markdown());
    if std::env::var_os("PCF_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &expected).unwrap();
    }
    assert!(doc == expected, "docs/cbam-template.md is not the layout: run with PCF_UPDATE_DOCS=1");
}

/// A workbook with the sheets and cells given, as `(sheet, a1, text or number)`.
fn workbook(sheets: &[&str], cells: &[(&str, &str, Result<f64, &str>)]) -> Vec<u8> {
    let mut book = Workbook::new();
    for s in sheets {
        book.add_worksheet().set_name(*s).unwrap();
    }
    for (sheet, a1, v) in cells {
        let (letters, row) = layout::split_a1(a1);
        let ws = book.worksheet_from_name(sheet).unwrap();
        let col = layout::column_index(letters);
        match v {
            Ok(n) => ws.write_number(row - 1, col, *n).unwrap(),
            Err(t) => ws.write_string(row - 1, col, *t).unwrap(),
        };
    }
    book.save_to_buffer().unwrap()
}

fn place(e: &TemplateError) -> &str {
    match e {
        TemplateError::At { place, .. } => place,
        other => panic!("not a placed error: {other}"),
    }
}

/// The minimum of a filled template, and one good whose direct SEE is `direct`.
fn minimal(direct: Result<f64, &'static str>) -> Vec<u8> {
    let a = "A_InstData";
    let sc = "Summary_Communication";
    workbook(
        &[a, sc],
        &[
            (a, "I20", Err("Mill")),
            (a, "I26", Err("TR")),
            (a, "I9", Err("2025-01-01")),
            (a, "L9", Err("2025-12-31")),
            (sc, "F26", Ok(72_083_800.0)),
            (sc, "I26", direct),
            (sc, "J26", Ok(0.1)),
        ],
    )
}

#[test]
fn import_errors_name_the_sheet_and_cell() {
    let ok = cbam_template::read_bytes("m.xlsx", &minimal(Ok(1.5))).unwrap();
    assert_eq!(ok.goods[0].cn, "72083800");
    assert_eq!(ok.goods[0].name, "CN 72083800");
    assert_eq!(ok.installation.country, "TR");

    let e = cbam_template::read_bytes("m.xlsx", &minimal(Err("about 1.5"))).unwrap_err();
    assert_eq!(place(&e), "m.xlsx!Summary_Communication!I26");
    assert!(e.to_string().contains("text \"about 1.5\" where a number is expected"), "{e}");

    let blank = workbook(
        &["A_InstData", "Summary_Communication"],
        &[
            ("A_InstData", "I20", Err("Mill")),
            ("A_InstData", "I26", Err("TR")),
            ("A_InstData", "I9", Err("2025-01-01")),
            ("A_InstData", "L9", Err("2025-12-31")),
            ("Summary_Communication", "F26", Err("7208")),
        ],
    );
    let e = cbam_template::read_bytes("m.xlsx", &blank).unwrap_err();
    assert_eq!(place(&e), "m.xlsx!Summary_Communication!I26");
    assert!(e.to_string().contains("blank"), "{e}");

    let missing = workbook(&["A_InstData"], &[]);
    let e = cbam_template::read_bytes("m.xlsx", &missing).unwrap_err();
    assert_eq!(place(&e), "m.xlsx!Summary_Communication");
    assert!(e.to_string().contains("no sheet"), "{e}");

    let no_name = workbook(&["A_InstData", "Summary_Communication"], &[]);
    let e = cbam_template::read_bytes("m.xlsx", &no_name).unwrap_err();
    assert_eq!(place(&e), "m.xlsx!A_InstData!I20");

    let e = cbam_template::read_bytes("m.xlsx", b"not a workbook").unwrap_err();
    assert_eq!(place(&e), "m.xlsx");
}

/// The blank template itself reads to an error about its blank installation name, not a panic.
#[test]
fn the_blank_template_is_refused_for_its_blank_cells() {
    let Some(blank) = util::shared_data(BLANK) else { return };
    let e = cbam_template::read(&blank).unwrap_err();
    assert!(place(&e).ends_with("!A_InstData!I20"), "{e}");
}

/// The CBAM steel bracket, exported and imported again by the command line.
fn exported() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    util::copy_dir(&util::root().join("examples/steel-bracket-cbam"), dir.path());
    let out = util::pcf(
        dir.path(),
        &["cbam", "export", "inventory.toml", "-m", "eu-cbam-2026", "-o", "see.xlsx"],
    );
    assert!(out.status.success(), "{}", util::stderr(&out));
    let out = util::pcf(dir.path(), &["cbam", "import", "see.xlsx", "-o", "suppliers/x.json"]);
    assert!(out.status.success(), "{}", util::stderr(&out));
    let path = dir.path().join("suppliers/x.json");
    (dir, path)
}

#[test]
fn cli_exports_and_imports_the_steel_bracket() {
    let (dir, path) = exported();
    let text = std::fs::read_to_string(&path).unwrap();
    let c = Communication::from_text(&path, &text).unwrap();
    assert_eq!(c.period, Period { start: "2025-01-01".into(), end: "2025-12-31".into() });
    assert_eq!(c.installation.country, "CN");
    assert_eq!(c.source.unwrap().file, "see.xlsx");
    // The inventory's sheets: the natural gas as a source stream (1600 GJ at 56 100 kg CO2 per
    // TJ), the coil bought as a purchased precursor with its supplier's SEE.
    let bytes = std::fs::read(dir.path().join("see.xlsx")).unwrap();
    let mut book = open(&bytes);
    assert_eq!(
        value(&mut book, "B_EmInst", "E17"),
        Data::String("Natural gas, galvanizing kettle".into())
    );
    assert_eq!(value(&mut book, "B_EmInst", "G17"), Data::String("TJ".into()));
    let close = |d: Data, x: f64| matches!(d, Data::Float(f) if (f - x).abs() < 1e-9);
    assert!(close(value(&mut book, "B_EmInst", "F17"), 1.6));
    assert!(close(value(&mut book, "B_EmInst", "J17"), 56.1));
    assert!(close(value(&mut book, "E_PurchPrec", "L17"), 935.0));
    assert!(close(value(&mut book, "E_PurchPrec", "L49"), 1.85));
    assert!(close(value(&mut book, "E_PurchPrec", "L52"), 0.15));
    let again = util::pcf(dir.path(), &["cbam", "import", "see.xlsx", "-o", "suppliers/x.json"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(util::stderr(&again).contains("already exists"), "{}", util::stderr(&again));
}

#[test]
fn cli_export_carries_the_goods() {
    let (_dir, path) = exported();
    let c = Communication::from_text(&path, &std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(!c.goods.is_empty(), "the engine fills totals.cbam under eu-cbam-2026");
    let bracket = c.goods.iter().find(|g| g.cn == "73269098").unwrap();
    assert_eq!(bracket.unit, "t");
    assert!(bracket.direct > 0.0 && bracket.route.is_some(), "{bracket:?}");
    // Indirect emissions of iron and steel goods do not count, but are communicated.
    assert!(bracket.indirect > 0.0, "{bracket:?}");
}
