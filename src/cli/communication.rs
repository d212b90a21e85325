//! `pcf cbam`: the EU CBAM communication template for installations. `export` computes the
//! footprints of an inventory and writes the specific embedded emissions of its CBAM goods in
//! the template's layout (with the installation's processes, source streams and purchased
//! precursors); `import` reads a filled template into a communication file
//! (`pcf-cbam-communication/1`) that a `precursor` input can name.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pcf::cbam_template;
use pcf::engine::{ChainScratch, Model};
use pcf::methodology::Methodology;

use super::Result;
use super::input::unknown_product;

/// The subcommands of `pcf cbam`.
#[derive(clap::Subcommand)]
pub enum CbamCommand {
    /// Write the CBAM communication template (.xlsx) of an inventory's CBAM goods.
    Export(ExportArgs),
    /// Read a filled CBAM communication template into a communication file (JSON).
    Import(ImportArgs),
}

/// The arguments of `pcf cbam export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Inventory file (TOML, JSON or a bill-of-materials workbook).
    pub inventory: PathBuf,
    /// Methodology: a CBAM methodology's shipped id or a file.
    #[arg(long, short, default_value = "eu-cbam-2026")]
    pub methodology: String,
    /// Only these products (repeatable; default: every product).
    #[arg(long)]
    pub product: Vec<String>,
    /// The workbook to write (.xlsx); never over an existing file.
    #[arg(long, short)]
    pub out: PathBuf,
}

/// The arguments of `pcf cbam import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The filled template (.xlsx).
    pub template: PathBuf,
    /// The communication file to write (JSON); never over an existing file.
    #[arg(long, short)]
    pub out: PathBuf,
}

/// Runs `pcf cbam`.
pub fn run(command: CbamCommand) -> Result<ExitCode> {
    match command {
        CbamCommand::Export(args) => export(args),
        CbamCommand::Import(args) => import(args),
    }
}

/// Computes the footprints and writes the template.
fn export(args: ExportArgs) -> Result<ExitCode> {
    let ExportArgs { inventory, methodology, product, out } = args;
    let inv = pcf::spreadsheet::load(&inventory)?;
    let m = Methodology::resolve(&methodology)?;
    let model = Model::build(&inv, &m)?;
    let selected: Vec<usize> = if product.is_empty() {
        (0..inv.products.len()).collect()
    } else {
        product
            .iter()
            .map(|id| inv.product_index(id).ok_or_else(|| unknown_product(&inv, id)))
            .collect::<Result<_>>()?
    };
    let mut scratch = ChainScratch::default();
    let mut fps = model.header();
    for j in selected {
        fps.products.push(model.product_footprint(j, &mut scratch)?);
    }
    let comm = cbam_template::from_footprints(&inv, &fps);
    if comm.goods.is_empty() {
        return Err(pcf::Error::Usage(format!(
            "{}: no product has CBAM figures under {}, so there is nothing to communicate (nothing \
             written)\n  help: compute under a methodology with [cbam] rules (-m eu-cbam-2026) \
             and give the goods their CN codes (`classification = {{ scheme = \"CN\", code = \
             \"...\" }}`)",
            inventory.display(),
            m.id()
        )));
    }
    let bytes = cbam_template::xlsx_bytes(&comm, Some(&inv))?;
    write_new(&out, &bytes)?;
    outln!("wrote {} ({} CBAM good{})", out.display(), comm.goods.len(), plural(comm.goods.len()));
    Ok(ExitCode::SUCCESS)
}

/// Reads the template and writes the communication file.
fn import(args: ImportArgs) -> Result<ExitCode> {
    let ImportArgs { template, out } = args;
    let comm = cbam_template::read(&template)?;
    let value = serde_json::to_value(&comm)
        .map_err(|e| pcf::Error::Usage(format!("{}: {e}", template.display())))?;
    let text = serde_json::to_string_pretty(&value).unwrap_or_default() + "\n";
    write_new(&out, text.as_bytes())?;
    outln!(
        "wrote {} ({} good{} of {}, {} to {})",
        out.display(),
        comm.goods.len(),
        plural(comm.goods.len()),
        comm.installation.name,
        comm.period.start,
        comm.period.end
    );
    Ok(ExitCode::SUCCESS)
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Writes a new file atomically, creating its folder; refuses to replace an existing one.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| pcf::Error::io(dir, &e))?;
    }
    pcf::atomic::write_new(path, bytes, pcf::atomic::Mode::Public).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            pcf::Error::Usage(format!(
                "{}: already exists; choose another --out (or remove it first)",
                path.display()
            ))
        } else {
            pcf::Error::io(path, &e)
        }
    })
}
