//! `pcf init` (a commented inventory from a template, or a bill-of-materials workbook),
//! `pcf import` (a workbook or CSV folder into an inventory) and `pcf export` (an inventory
//! back into the spreadsheet layout).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;

use pcf::atomic::{self, Mode};
use pcf::inventory::Inventory;
use pcf::spreadsheet;
use pcf::template;

use super::Result;

/// The arguments of `pcf init`.
#[derive(clap::Args)]
pub struct InitArgs {
    /// The inventory file to write (never over an existing file).
    #[arg(default_value = "inventory.toml", conflicts_with = "spreadsheet")]
    pub file: PathBuf,
    /// The situation to start from (with --spreadsheet: the workbook is filled with it).
    #[arg(long, value_enum)]
    pub template: Option<TemplateName>,
    /// Write a bill-of-materials workbook (.xlsx) with every sheet, its headers and a README
    /// sheet, instead of a TOML inventory; `pcf import` reads it back.
    #[arg(long, value_name = "FILE.xlsx")]
    pub spreadsheet: Option<PathBuf>,
}

/// The templates `pcf init` offers.
#[derive(Clone, Copy, ValueEnum)]
pub enum TemplateName {
    /// A part made from bought material, with fuel, grid electricity, packaging and scrap,
    /// for a PACT footprint.
    ManufacturedPart,
    /// A CBAM good made from a precursor with fuel and electricity, for EU CBAM embedded
    /// emissions.
    CbamGood,
}

impl TemplateName {
    fn template(self) -> Result<&'static template::Template> {
        let name = match self {
            TemplateName::ManufacturedPart => "manufactured-part",
            TemplateName::CbamGood => "cbam-good",
        };
        template::template(name).ok_or_else(|| pcf::Error::Usage(format!("no template {name}")))
    }
}

/// Writes the template or the workbook.
pub fn init(args: InitArgs) -> Result<ExitCode> {
    let InitArgs { file, template, spreadsheet } = args;
    if let Some(book) = spreadsheet {
        if book.extension().is_none_or(|e| !e.eq_ignore_ascii_case("xlsx")) {
            return Err(pcf::Error::Usage(format!(
                "{}: a workbook's name ends in .xlsx (for CSV files: `pcf export` writes a folder)",
                book.display()
            )));
        }
        let document = match template {
            None => serde_json::json!({}),
            Some(t) => {
                let t = t.template()?;
                Inventory::from_str(Path::new(&format!("{}.toml", t.name)), t.text)?.document
            }
        };
        spreadsheet::export("template", &document, &book)?;
        outln!(
            "wrote {} (sheets: Inventory, Products, Processes, Outputs, Inputs, Energy, Certificates, Emissions, Factors; README explains every column)",
            book.display()
        );
        outln!("next: fill it in, then `pcf import {}`", book.display());
        return Ok(ExitCode::SUCCESS);
    }
    let t = template.unwrap_or(TemplateName::ManufacturedPart).template()?;
    atomic::write_new(&file, t.text.as_bytes(), Mode::Public).map_err(|e| exists(&file, &e))?;
    outln!("wrote {} from the template {}: {}", file.display(), t.name, t.about);
    outln!(
        "next: replace the example figures with yours, then `pcf check {0} --for {1}` (what declaring needs) and `pcf footprint {0} -m {1}`",
        file.display(),
        t.methodology
    );
    Ok(ExitCode::SUCCESS)
}

/// The arguments of `pcf import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// A workbook (.xlsx) or a folder of CSV files in the layout of docs/spreadsheet.md.
    pub source: PathBuf,
    /// The inventory to write (default: beside the source, ending in .toml). Supplier
    /// declarations are read relative to it.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the inventory if it exists (it is derived from the spreadsheet).
    #[arg(long)]
    pub overwrite: bool,
}

/// Reads the spreadsheet, checks the inventory and writes it.
pub fn import(args: ImportArgs) -> Result<ExitCode> {
    let ImportArgs { source, out, overwrite } = args;
    let out = out.unwrap_or_else(|| source.with_extension("toml"));
    let imported = spreadsheet::import(&source)?;
    for w in &imported.warnings {
        eprintln!("warning: {w}");
    }
    let text = imported.to_toml()?;
    let inv = imported.check(&out, &text)?;
    let write = if overwrite { atomic::write_replace } else { atomic::write_new };
    write(&out, text.as_bytes(), Mode::Public).map_err(|e| exists(&out, &e))?;
    outln!(
        "{} -> {}: valid, {} products, {} processes, {} factors, {} supplier declarations",
        source.display(),
        out.display(),
        inv.products.len(),
        inv.processes.len(),
        inv.factors.len(),
        inv.suppliers.len()
    );
    outln!("next: `pcf footprint {}`", out.display());
    Ok(ExitCode::SUCCESS)
}

/// The arguments of `pcf export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The inventory (TOML or JSON).
    pub inventory: PathBuf,
    /// The workbook to write (.xlsx), or else a new folder of CSV files; never over an
    /// existing file.
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes the inventory in the spreadsheet layout.
pub fn export(args: ExportArgs) -> Result<ExitCode> {
    let ExportArgs { inventory, out } = args;
    let inv = pcf::spreadsheet::load(&inventory)?;
    let written = spreadsheet::export(&inventory.display().to_string(), &inv.document, &out)?;
    for path in written {
        outln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// A write error, saying what to do when the file exists.
fn exists(path: &Path, e: &std::io::Error) -> pcf::Error {
    if e.kind() == std::io::ErrorKind::AlreadyExists {
        pcf::Error::Usage(format!(
            "{}: already exists; choose another name (or remove it first)",
            path.display()
        ))
    } else {
        pcf::Error::io(path, e)
    }
}
