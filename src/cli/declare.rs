//! `pcf declare`: issues a signed declaration of one product's footprint, records it in the
//! register and says what it wrote.

use std::path::PathBuf;
use std::process::ExitCode;

use pcf::methodology::Methodology;

use super::Result;
use super::input::read_json;

/// The arguments of `pcf declare`.
#[derive(clap::Args)]
pub struct Args {
    /// Inventory file.
    pub inventory: PathBuf,
    /// The product to declare.
    #[arg(long)]
    pub product: String,
    /// Methodology: a shipped id or a file.
    #[arg(long, short, default_value = "pact-3.0")]
    pub methodology: String,
    /// The issuer's private key.
    #[arg(long)]
    pub key: PathBuf,
    /// Company name, if the inventory does not give it.
    #[arg(long)]
    pub company: Option<String>,
    /// Company id (URN), if the inventory does not give one; repeatable.
    #[arg(long = "company-id")]
    pub company_ids: Vec<String>,
    /// Reference period START..END (ISO dates, inclusive), if the inventory does not give it.
    #[arg(long)]
    pub reference_period: Option<String>,
    /// The earlier declaration this one replaces (it becomes Deprecated in the register).
    #[arg(long)]
    pub supersedes: Option<PathBuf>,
    /// A comment for the declaration.
    #[arg(long)]
    pub comment: Option<String>,
    /// Where to write the declaration (default: declarations/PRODUCT-ID.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Issue as did:web:DOMAIN (host, host:port or host/path) instead of the key's did:key;
    /// publish the document `pcf did KEY --domain DOMAIN` prints at its URL.
    #[arg(long = "did-web", value_name = "DOMAIN")]
    pub did_web: Option<String>,
    /// A park's ledger (`pcf park allocate`): refuse to claim more of the park's green
    /// electricity than it allocates to this company.
    #[arg(long = "park-ledger", value_name = "LEDGER")]
    pub park_ledger: Option<PathBuf>,
    /// The issuer's register directory.
    #[arg(long, default_value = pcf::register::DEFAULT_DIR)]
    pub register: PathBuf,
    /// Issue even if a supplier's declaration does not verify, recording it as unverified.
    #[arg(long)]
    pub danger_accept_unverified_upstream: bool,
    /// What to write: the PACT declaration, or also a UNTP Digital Product Passport linked to
    /// it by digest (beside it, as NAME.untp-dpp.json).
    #[arg(long, value_enum, default_value = "pact")]
    pub format: super::untp::Format,
}

/// Issues and registers the declaration.
pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        inventory,
        product,
        methodology,
        key,
        company,
        company_ids,
        reference_period,
        supersedes,
        comment,
        out,
        register,
        danger_accept_unverified_upstream,
        format,
        did_web,
        park_ledger,
    } = args;
    let inv = pcf::spreadsheet::load(&inventory)?;
    if let Some(path) = &park_ledger {
        let ledger = pcf::certification::park::read_ledger(path)?;
        for line in pcf::certification::park::check_inventory(&ledger, path, &inv)? {
            outln!("  park allocation {line}");
        }
    }
    let m = Methodology::resolve(&methodology)?;
    if let Some(why) = &m.rules.draft {
        eprintln!("note: methodology {} {} is a DRAFT: {why}", m.id(), m.version());
    }
    let key = pcf::keys::read_private_key(&key)?;
    let reference_period = match reference_period {
        None => None,
        Some(p) => Some(
            p.split_once("..").map(|(a, b)| (a.to_string(), b.to_string())).ok_or_else(|| {
                pcf::Error::Usage(format!(
                    "--reference-period {p:?}: write START..END, e.g. 2025-01-01..2025-12-31"
                ))
            })?,
        ),
    };
    let supersedes = match &supersedes {
        None => None,
        Some(path) => Some(read_json(path)?),
    };
    let options = pcf::declaration::IssueOptions {
        company_name: company,
        company_ids,
        reference_period,
        created: None,
        supersedes,
        danger_accept_unverified_upstream,
        comment,
    };
    let reg = pcf::register::Register::open(&register)?;
    let now: pcf::register::Timestamp = pcf::proof::utc_now()
        .parse()
        .map_err(|e: pcf::register::TimestampError| pcf::Error::Usage(e.to_string()))?;
    let request = pcf::issuance::Request {
        inventory: &inv,
        methodology: &m,
        product: &product,
        key: &key,
        options: &options,
        register: &reg,
        did_web: did_web.as_deref(),
        out: out.as_deref(),
    };
    let (d, entry, warnings, out) = match pcf::issuance::declare(&request, now)? {
        pcf::issuance::Outcome::Declared { declaration, entry, warnings, out } => {
            (declaration, entry, warnings, out)
        }
        pcf::issuance::Outcome::Finished { declaration, pf_id, seq, out, wrote_out } => {
            outln!(
                "already declared {product}: an earlier run registered {declaration} \
                 (pf id {pf_id}) in {} entry {seq}, superseding the declaration given; \
                 it was interrupted before finishing",
                register.display()
            );
            let verb = if wrote_out { "wrote" } else { "kept" };
            outln!("  file      {} ({verb} the registered declaration)", out.display());
            let passport = super::untp::passport_path(&out);
            if format == super::untp::Format::UntpDpp && !passport.exists() {
                super::untp::write_passport(&read_json(&out)?, &m, &key, &out)?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        _ => return Ok(ExitCode::SUCCESS),
    };
    // Certificate quantities that differ from those recorded earlier.
    for f in warnings {
        outln!("  WARNING   {f}");
    }
    let pcf_value = pcf::declaration::pact_footprint(&d.document)
        .and_then(|f| f["pcf"]["pcfExcludingBiogenicUptake"].as_str())
        .unwrap_or("?");
    outln!(
        "declared {product}: {pcf_value} kg CO2e per declared unit ({} {})",
        m.id(),
        m.version()
    );
    outln!("  file      {}", out.display());
    outln!("  id        {}", d.pf_id);
    outln!("  digest    {}", d.digest);
    outln!(
        "  issuer    {}",
        pcf::declaration::identity(&key.verifying_key(), did_web.as_deref()).0
    );
    outln!("  register  {} entry {}", register.display(), entry.seq);
    if format == super::untp::Format::UntpDpp {
        super::untp::write_passport(&d.document, &m, &key, &out)?;
    }
    let cp = reg.checkpoint(&key)?;
    outln!("  checkpoint {} (size {})", cp.path.display(), cp.checkpoint.size);
    for u in d.upstream.iter().filter(|u| u.unsigned) {
        outln!(
            "  unsigned  upstream {} is an unsigned PACT footprint: declared as such (the buyer \
             sees it); ask the supplier for a signed declaration",
            u.digest
        );
    }
    for u in d.upstream.iter().filter(|u| !u.verified && !u.unsigned) {
        outln!(
            "  WARNING   upstream {} recorded as unverified: {}",
            u.digest,
            u.unverified_reason.as_deref().unwrap_or("")
        );
    }
    outln!("next: pcf bundle {} --inventory {}", out.display(), inventory.display());
    Ok(ExitCode::SUCCESS)
}
