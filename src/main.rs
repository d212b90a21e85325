//! The `pcf` command line: parses arguments, calls the library, renders results and errors for
//! people (or JSON for machines), and picks the exit code: 0 ok, 1 invalid input or a failed
//! check, 2 usage error.

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

// After the macros, so the subcommand modules can use them.
mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use pcf::engine;
use pcf::graph::SupplyChain;
use pcf::inventory::Inventory;
use pcf::methodology::{self, Methodology};
use pcf::report;

/// Product carbon footprints from supply-chain inventories, issued as signed declarations.
#[derive(Parser)]
#[command(name = "pcf", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute the footprint of every product in an inventory.
    Footprint {
        /// Inventory file (TOML or JSON).
        inventory: PathBuf,
        /// Methodology: a shipped id (see `pcf methodology list`) or a file.
        #[arg(long, short, default_value = "pact-3.0")]
        methodology: String,
        /// Only this product.
        #[arg(long)]
        product: Option<String>,
        /// Also print the contribution tree.
        #[arg(long)]
        tree: bool,
        /// Print JSON (the full result, contribution tree included).
        #[arg(long)]
        json: bool,
        /// Write an SVG contribution chart per product into this directory.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Validate an inventory without computing.
    Check {
        /// Inventory file.
        inventory: PathBuf,
        /// Also check it against this methodology's rules (GWP table, boundary, allocation).
        #[arg(long, short)]
        methodology: Option<String>,
    },
    /// Work with methodology files.
    Methodology {
        #[command(subcommand)]
        command: MethodologyCommand,
    },
    /// Print a JSON Schema.
    Schema {
        /// Which schema.
        #[arg(value_enum, default_value = "inventory")]
        which: SchemaKind,
    },
    /// Print the supply chain as a Graphviz DOT graph.
    Graph {
        /// Inventory file.
        inventory: PathBuf,
        /// Weight edges by their contribution to this product's footprint.
        #[arg(long)]
        product: Option<String>,
        /// Methodology for the contributions.
        #[arg(long, short, default_value = "pact-3.0")]
        methodology: String,
    },
    /// Create an Ed25519 signing key (PKCS#8 PEM, owner-only, never over an existing file).
    Keygen {
        /// Where to write the private key.
        #[arg(long, default_value = "issuer.key")]
        out: PathBuf,
        /// Also print the did:web DID document to publish at https://DOMAIN/.well-known/did.json.
        #[arg(long)]
        domain: Option<String>,
    },
    /// Show the public identity of a key: its did:key and, with --domain, the did:web document.
    Did {
        /// The private key file.
        key: PathBuf,
        /// The company domain for did:web.
        #[arg(long)]
        domain: Option<String>,
    },
    /// Issue a signed declaration of one product's footprint and record it in the register.
    Declare {
        /// Inventory file.
        inventory: PathBuf,
        /// The product to declare.
        #[arg(long)]
        product: String,
        /// Methodology: a shipped id or a file.
        #[arg(long, short, default_value = "pact-3.0")]
        methodology: String,
        /// The issuer's private key.
        #[arg(long)]
        key: PathBuf,
        /// Company name, if the inventory does not give it.
        #[arg(long)]
        company: Option<String>,
        /// Company id (URN), if the inventory does not give one; repeatable.
        #[arg(long = "company-id")]
        company_ids: Vec<String>,
        /// Reference period START..END (ISO dates, inclusive), if the inventory does not give it.
        #[arg(long)]
        reference_period: Option<String>,
        /// The earlier declaration this one replaces (it becomes Deprecated in the register).
        #[arg(long)]
        supersedes: Option<PathBuf>,
        /// A comment for the declaration.
        #[arg(long)]
        comment: Option<String>,
        /// Where to write the declaration (default: declarations/PRODUCT-ID.json).
        #[arg(long)]
        out: Option<PathBuf>,
        /// The issuer's register directory.
        #[arg(long, default_value = pcf::register::DEFAULT_DIR)]
        register: PathBuf,
        /// Issue even if a supplier's declaration does not verify, recording it as unverified.
        #[arg(long)]
        danger_accept_unverified_upstream: bool,
    },
    /// Verify a declaration (or a bundle) offline and print every check.
    #[command(after_help = VERIFY_HELP)]
    Verify {
        /// The declaration or bundle file.
        file: PathBuf,
        /// A bundle with the upstream declarations, methodology and register excerpt.
        #[arg(long)]
        bundle: Option<PathBuf>,
        /// DID of a trusted issuer; repeatable.
        #[arg(long)]
        trust: Vec<String>,
        /// Accept a methodology pcf does not ship and the bundle does not carry.
        #[arg(long)]
        danger_accept_unknown_methodology: bool,
        /// A certification body's approval (or revocation) of methodology versions; repeatable.
        #[arg(long = "approval")]
        approvals: Vec<PathBuf>,
        /// DID of a certification body whose approvals the buyer trusts; repeatable. With it,
        /// the declaration's methodology version must have been approved when it was issued.
        #[arg(long = "trust-body")]
        trust_bodies: Vec<String>,
        /// Judge validity and status at this instant (an ISO date or an RFC 3339 time, for
        /// example the day a shipment was received) instead of now.
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Pack a declaration with what a buyer needs to verify it into one file.
    Bundle {
        /// The declaration.
        declaration: PathBuf,
        /// The inventory it was computed from (its suppliers' declarations are added).
        #[arg(long)]
        inventory: Option<PathBuf>,
        /// More upstream declarations or bundles; repeatable.
        #[arg(long)]
        upstream: Vec<PathBuf>,
        /// A methodology file, if the declaration's is not shipped.
        #[arg(long)]
        methodology: Option<PathBuf>,
        /// The issuer's register (superseded versions and an excerpt are added).
        #[arg(long, default_value = pcf::register::DEFAULT_DIR)]
        register: PathBuf,
        /// Where to write the bundle (default: DECLARATION with .bundle.json).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Read and check the issuer's register.
    Register {
        /// The register directory.
        #[arg(long, default_value = pcf::register::DEFAULT_DIR)]
        dir: PathBuf,
        #[command(subcommand)]
        command: RegisterCommand,
    },
    /// Certification: methodology diffs and approvals, audits, impact (see `cli::certify`).
    #[command(flatten)]
    Certify(cli::certify::Command),
    /// PACT data exchange: serve and fetch footprints (see `cli::exchange`).
    #[command(flatten)]
    Exchange(cli::exchange::Command),
    /// Score every product of a pcfbench-csv dataset (database-scale life cycle inventory).
    Lci {
        /// Dataset directory.
        dataset: PathBuf,
        /// Output directory for product_scores.csv and demand_scores.csv.
        #[arg(long)]
        out: PathBuf,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum MethodologyCommand {
    /// List the shipped methodologies.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a methodology's rules.
    Show {
        /// A shipped id or a file.
        id: String,
        /// Print the parsed rules as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a methodology file's digest.
    Hash {
        /// The file.
        file: PathBuf,
    },
    /// Diffs, approvals and revocations (see `cli::certify`).
    #[command(flatten)]
    Certify(cli::certify::MethodologyCommand),
}

#[derive(Subcommand)]
enum RegisterCommand {
    /// List the entries.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one entry.
    Show {
        /// Sequence number.
        seq: u64,
    },
    /// Re-walk the chain and report the first broken link.
    Verify {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// What `pcf verify` answers, for `--help`.
const VERIFY_HELP: &str = "\
Verdicts and exit codes:
  VALID           0  genuine and current: every check passed, it is within its validity
                     period at the instant judged (now, or --at), and the bundle's register
                     excerpt shows it active
  INVALID         1  a check failed: not genuine (proof, issuer, schema, numbers, methodology,
                     datasets, suppliers' declarations, supersession chain or register excerpt)
  (usage error)   2  a file could not be read or an option is wrong
  NOT CURRENT     3  genuine, but superseded, deprecated, expired or not yet valid; the report
                     gives the reason and, where known, the id of the declaration replacing it
  STATUS UNKNOWN  3  genuine and within its validity period, but nothing given shows that it
                     is still current (no register excerpt in the bundle): ask for a bundle

What a bundle proves: the declaration, its suppliers' declarations and superseded versions are
signed by their issuers; the methodology and datasets are the ones pinned. Its register excerpt
is the issuer's unsigned record, complete from the declaration's entry up to the head it names:
it shows the status as of that head, not any later change.";

#[derive(Clone, Copy, ValueEnum)]
enum SchemaKind {
    Inventory,
    Methodology,
    Declaration,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

type Result<T> = std::result::Result<T, pcf::Error>;

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Footprint { inventory, methodology, product, tree, json, svg } => {
            let inv = Inventory::load(&inventory)?;
            let m = Methodology::resolve(&methodology)?;
            let mut result = engine::footprint(&inv, &m)?;
            if let Some(id) = &product {
                result.products.retain(|p| &p.product == id);
                if result.products.is_empty() {
                    return Err(unknown_product(&inv, id));
                }
            }
            if let Some(dir) = &svg {
                std::fs::create_dir_all(dir).map_err(|e| pcf::Error::io(dir, &e))?;
                for p in &result.products {
                    let path = dir.join(format!("{}.svg", p.product));
                    pcf::atomic::write_replace(
                        &path,
                        report::contribution_svg(p).as_bytes(),
                        pcf::atomic::Mode::Public,
                    )
                    .map_err(|e| pcf::Error::io(&path, &e))?;
                    eprintln!("wrote {}", path.display());
                }
            }
            if json {
                print_json(&result);
            } else {
                out!("{}", report::footprints(&result));
                if tree {
                    for p in &result.products {
                        outln!("\ncontribution tree of {}:", p.product);
                        out!("{}", report::tree(&p.contributions));
                    }
                }
            }
        }
        Command::Check { inventory, methodology } => {
            let inv = Inventory::load(&inventory)?;
            if let Some(m) = methodology {
                let m = Methodology::resolve(&m)?;
                engine::footprint(&inv, &m)?;
                outln!("{}: valid under {} ({})", inventory.display(), m.id(), m.digest());
            } else {
                outln!("{}: valid", inventory.display());
            }
            outln!(
                "  {} products, {} processes, {} factors, {} supplier declarations; digest {}",
                inv.products.len(),
                inv.processes.len(),
                inv.factors.len(),
                inv.suppliers.len(),
                inv.digest
            );
        }
        Command::Methodology { command: MethodologyCommand::Certify(c) } => {
            return cli::certify::run_methodology(c);
        }
        Command::Methodology { command } => methodology_command(command)?,
        Command::Schema { which } => {
            let schema = match which {
                SchemaKind::Inventory => pcf::inventory::schema(),
                SchemaKind::Methodology => methodology::schema(),
                SchemaKind::Declaration => pcf::declaration::verify::schema(),
            };
            print_json(&schema);
        }
        Command::Graph { inventory, product, methodology } => {
            let inv = Inventory::load(&inventory)?;
            let chain = SupplyChain::new(&inv);
            let dot = match product {
                Some(id) => {
                    let j = inv.product_index(&id).ok_or_else(|| unknown_product(&inv, &id))?;
                    let m = Methodology::resolve(&methodology)?;
                    let model = engine::Model::build(&inv, &m)?;
                    chain.to_dot(&inv, Some((&model, j)))
                }
                None => chain.to_dot(&inv, None),
            };
            out!("{dot}");
        }
        Command::Keygen { out, domain } => {
            let key = pcf::keys::generate()?;
            pcf::keys::write_private_key(&out, &key)?;
            let public = key.verifying_key();
            outln!("wrote {} (private key, readable by you only; keep it secret)", out.display());
            outln!("issuer DID: {}", pcf::keys::did_key(&public));
            if let Some(domain) = domain {
                outln!("\npublish this at https://{domain}/.well-known/did.json:");
                print_json(&pcf::keys::did_web_document(&domain, &public));
            }
        }
        Command::Did { key, domain } => {
            let key = pcf::keys::read_private_key(&key)?;
            let public = key.verifying_key();
            outln!("{}", pcf::keys::did_key(&public));
            if let Some(domain) = domain {
                print_json(&pcf::keys::did_web_document(&domain, &public));
            }
        }
        Command::Declare {
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
        } => {
            let inv = Inventory::load(&inventory)?;
            let m = Methodology::resolve(&methodology)?;
            let key = pcf::keys::read_private_key(&key)?;
            let reference_period = match reference_period {
                None => None,
                Some(p) => Some(
                    p.split_once("..")
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .ok_or_else(|| pcf::Error::Usage(format!("--reference-period {p:?}: write START..END, e.g. 2025-01-01..2025-12-31")))?,
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
                    return Ok(ExitCode::SUCCESS);
                }
                _ => return Ok(ExitCode::SUCCESS),
            };
            // Certificate quantities that differ from those recorded earlier.
            for f in warnings {
                outln!("  WARNING   {f}");
            }
            let pcf_value = d.document["credentialSubject"]["pcf"]["pcfExcludingBiogenicUptake"]
                .as_str()
                .unwrap_or("?");
            outln!(
                "declared {product}: {pcf_value} kg CO2e per declared unit ({} {})",
                m.id(),
                m.version()
            );
            outln!("  file      {}", out.display());
            outln!("  id        {}", d.pf_id);
            outln!("  digest    {}", d.digest);
            outln!("  issuer    {}", pcf::keys::did_key(&key.verifying_key()));
            outln!("  register  {} entry {}", register.display(), entry.seq);
            for u in d.upstream.iter().filter(|u| !u.verified) {
                outln!(
                    "  WARNING   upstream {} recorded as unverified: {}",
                    u.digest,
                    u.unverified_reason.as_deref().unwrap_or("")
                );
            }
            outln!("next: pcf bundle {} --inventory {}", out.display(), inventory.display());
        }
        Command::Verify {
            file,
            bundle,
            trust,
            danger_accept_unknown_methodology,
            approvals,
            trust_bodies,
            at,
            json,
        } => {
            let at = at.as_deref().map(parse_at).transpose()?;
            let doc = read_json_usage(&file)?;
            let mut b = match &bundle {
                Some(path) => Some(parse_bundle(path, read_json_usage(path)?)?),
                None => None,
            };
            let declaration = if doc["format"] == pcf::declaration::bundle::FORMAT {
                let inner = parse_bundle(&file, doc)?;
                let d = inner.declaration.clone();
                if b.is_none() {
                    b = Some(inner);
                }
                d
            } else {
                doc
            };
            let options =
                pcf::declaration::VerifyOptions { trust, danger_accept_unknown_methodology, at };
            let mut report = pcf::declaration::verify::verify(&declaration, b.as_ref(), &options);
            if !approvals.is_empty() || !trust_bodies.is_empty() {
                let docs = approvals
                    .iter()
                    .map(|p| Ok((p.display().to_string(), read_json_usage(p)?)))
                    .collect::<Result<Vec<_>>>()?;
                let a = pcf::certification::approval::check(
                    &declaration,
                    b.as_ref(),
                    &options,
                    &docs,
                    &trust_bodies,
                )?;
                report.push_check(pcf::certification::approval::as_check(&a));
            }
            if json {
                print_json(&report);
            } else {
                out!("{report}");
            }
            return Ok(ExitCode::from(report.verdict.exit_code()));
        }
        Command::Bundle { declaration, inventory, upstream, methodology, register, out } => {
            let doc = read_json(&declaration)?;
            let mut b = pcf::declaration::Bundle::new(doc.clone());
            let prov = pcf::declaration::provenance(&doc).ok_or_else(|| {
                pcf::Error::Usage(format!(
                    "{}: not a pcf declaration (no provenance extension)",
                    declaration.display()
                ))
            })?;
            match &methodology {
                Some(path) => b.add_methodology(&Methodology::load(path)?),
                None => {
                    if let Ok(m) = Methodology::shipped(&prov.methodology.id)
                        && m.digest() == prov.methodology.digest
                    {
                        b.add_methodology(&m);
                    }
                }
            }
            if let Some(inv) = &inventory {
                let inv = Inventory::load(inv)?;
                for s in &inv.suppliers {
                    b.add_upstream(s.bundle.clone().unwrap_or_else(|| s.document.clone()));
                }
            }
            for path in &upstream {
                b.add_upstream(read_json(path)?);
            }
            if register.exists() {
                let reg = pcf::register::Register::open(&register)?;
                let mut wanted = vec![pcf::canonical::digest(&doc)?];
                let mut next = prov.supersedes;
                while let Some(old) = next {
                    let bytes = reg.declaration(&old)?;
                    let old_doc = pcf::canonical::parse_strict(&bytes)?;
                    next = pcf::declaration::provenance(&old_doc).and_then(|p| p.supersedes);
                    b.superseded.push(old_doc);
                    wanted.push(old);
                }
                b.register_excerpt = Some(reg.excerpt(&wanted)?);
            }
            let missing: Vec<String> = prov
                .upstream
                .iter()
                .filter(|u| b.find(&u.digest).is_none())
                .map(|u| u.digest.to_string())
                .collect();
            let out = out.unwrap_or_else(|| declaration.with_extension("bundle.json"));
            let text = serde_json::to_string_pretty(&b).unwrap_or_default() + "\n";
            pcf::atomic::write_replace(&out, text.as_bytes(), pcf::atomic::Mode::Public)
                .map_err(|e| pcf::Error::io(&out, &e))?;
            outln!(
                "wrote {}: declaration, {} upstream, {} superseded, {} methodology file(s), register excerpt: {}",
                out.display(),
                b.upstream.len(),
                b.superseded.len(),
                b.methodologies.len(),
                if b.register_excerpt.is_some() { "yes" } else { "no" }
            );
            if !missing.is_empty() {
                outln!(
                    "WARNING: upstream declarations not found (pass --inventory or --upstream): {}",
                    missing.join(", ")
                );
            }
        }
        Command::Register { dir, command } => {
            if !dir.exists() {
                return Err(pcf::Error::Usage(format!(
                    "{}: no register here (pcf declare creates it; or pass --dir)",
                    dir.display()
                )));
            }
            let reg = pcf::register::Register::open(&dir)?;
            match command {
                RegisterCommand::List { json } => {
                    let entries = reg.entries()?;
                    if json {
                        print_json(&entries);
                    } else {
                        // The current status of each declaration (a superseded one is
                        // deprecated by the entry that supersedes it).
                        let statuses = reg.statuses()?;
                        let mut t = report::Table::new(&[
                            "seq",
                            "time",
                            "kind",
                            "declaration",
                            "pf id",
                            "status now",
                        ]);
                        for e in &entries {
                            let (kind, decl, pf) = match &e.kind {
                                pcf::register::EntryKind::Declared {
                                    declaration,
                                    pf_id,
                                    supersedes,
                                    ..
                                } => (
                                    if supersedes.is_some() {
                                        "declared (supersedes)"
                                    } else {
                                        "declared"
                                    },
                                    declaration.to_string(),
                                    pf_id.clone(),
                                ),
                                pcf::register::EntryKind::StatusChanged {
                                    declaration,
                                    pf_id,
                                    ..
                                } => ("deprecated", declaration.to_string(), pf_id.clone()),
                                _ => ("other", String::new(), String::new()),
                            };
                            let status = match (&e.kind, statuses.get(e.kind.declaration())) {
                                (pcf::register::EntryKind::Declared { .. }, Some(s)) => match s {
                                    pcf::register::Status::Active => "active",
                                    pcf::register::Status::Deprecated => "deprecated",
                                    _ => "other",
                                },
                                _ => "",
                            };
                            t.row(vec![
                                e.seq.to_string(),
                                e.time.as_str().to_string(),
                                kind.into(),
                                decl,
                                pf,
                                status.into(),
                            ]);
                        }
                        out!("{}", t.render(0));
                    }
                }
                RegisterCommand::Show { seq } => print_json(&reg.entry(seq)?),
                RegisterCommand::Verify { json } => {
                    let rep = reg.verify()?;
                    let findings = pcf::certification::certificates::double_counting(&reg)?;
                    let failed = findings.iter().any(|f| f.is_error());
                    if json {
                        print_json(&serde_json::json!({ "chain": rep, "certificates": findings }));
                    } else {
                        outln!(
                            "register {} is intact: {} entries, {} declarations ({} deprecated){}",
                            dir.display(),
                            rep.entries,
                            rep.declarations,
                            rep.deprecated,
                            rep.head.map_or(String::new(), |h| format!(
                                "; head {} {}",
                                h.seq, h.digest
                            ))
                        );
                        if rep.stray_temp_files > 0 {
                            outln!(
                                "  {} leftover temporary file(s) from interrupted writes (harmless)",
                                rep.stray_temp_files
                            );
                        }
                        for f in &findings {
                            outln!("  {f}");
                        }
                        if findings.is_empty() {
                            outln!(
                                "  no green electricity certificate is claimed beyond its quantity"
                            );
                        }
                    }
                    if failed {
                        return Ok(ExitCode::from(1));
                    }
                }
            }
        }
        Command::Certify(c) => return cli::certify::run(c),
        Command::Exchange(c) => return cli::exchange::run(c),
        Command::Lci { dataset, out, json } => {
            let summary = pcf::lci::run(&dataset, &out)?;
            if json {
                print_json(&summary);
            } else {
                out!("{summary}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn methodology_command(command: MethodologyCommand) -> Result<()> {
    match command {
        MethodologyCommand::List { json } => {
            let all = Methodology::all_shipped()?;
            if json {
                let list: Vec<serde_json::Value> = all
                    .iter()
                    .map(|m| {
                        serde_json::json!({
                            "id": m.id(), "version": m.version(), "digest": m.digest().to_string(),
                            "title": m.rules.title, "gwp": m.rules.gwp.set,
                        })
                    })
                    .collect();
                print_json(&list);
            } else {
                let mut t = report::Table::new(&["id", "version", "gwp", "electricity", "digest"]);
                for m in &all {
                    t.row(vec![
                        m.id().into(),
                        m.version().into(),
                        m.rules.gwp.set.clone(),
                        format!("{:?}", m.rules.electricity.accounting),
                        m.digest().to_string(),
                    ]);
                }
                out!("{}", t.render(0));
            }
        }
        MethodologyCommand::Show { id, json } => {
            let m = Methodology::resolve(&id)?;
            if json {
                print_json(&serde_json::json!({
                    "id": m.id(), "version": m.version(), "digest": m.digest().to_string(),
                    "origin": m.origin, "rules": m.rules,
                }));
            } else {
                outln!("# {} {} ({})\n# from: {}\n", m.id(), m.version(), m.digest(), m.origin);
                out!("{}", m.text);
            }
        }
        MethodologyCommand::Certify(_) => {}
        MethodologyCommand::Hash { file } => {
            let m = Methodology::load(&file)?;
            outln!("{}  {} {} {}", m.digest(), m.id(), m.version(), file.display());
        }
    }
    Ok(())
}

/// Reads a JSON file strictly; a missing file is an input error.
fn read_json(path: &std::path::Path) -> Result<serde_json::Value> {
    let bytes = std::fs::read(path).map_err(|e| pcf::Error::io(path, &e))?;
    pcf::canonical::parse_strict(&bytes).map_err(|e| pcf::Error::Io {
        path: path.display().to_string(),
        message: format!("rejected: {e}"),
    })
}

/// Reads a JSON file for verification: an unreadable file is a usage error (exit 2), a file
/// that is not strict JSON is invalid input (exit 1).
fn read_json_usage(path: &std::path::Path) -> Result<serde_json::Value> {
    pcf::declaration::bundle::read_document(path).map_err(pcf::Error::from)
}

/// `--at`: an ISO date (its midnight UTC) or an RFC 3339 time.
fn parse_at(text: &str) -> Result<pcf::time::Instant> {
    pcf::time::Instant::parse_date_or_time(text).map_err(|e| pcf::Error::Usage(format!("--at {e}")))
}

fn parse_bundle(path: &std::path::Path, v: serde_json::Value) -> Result<pcf::declaration::Bundle> {
    serde_json::from_value(v).map_err(|e| pcf::Error::Io {
        path: path.display().to_string(),
        message: format!("not a pcf bundle: {e}"),
    })
}

fn unknown_product(inv: &Inventory, id: &str) -> pcf::Error {
    let known: Vec<&str> = inv.products.iter().map(|p| p.id.0.as_str()).collect();
    pcf::Error::Usage(format!(
        "{}: no product {id:?}; the inventory has: {}",
        inv.path.display(),
        known.join(", ")
    ))
}

fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => outln!("{s}"),
        Err(e) => eprintln!("error: cannot serialize output: {e}"),
    }
}
