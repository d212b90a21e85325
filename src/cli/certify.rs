//! `pcf` subcommands for certification bodies and exporters: methodology diffs, approvals and
//! revocations, approval checks, audits, certificate double counting, impact of upstream
//! changes and the shipped emission-factor datasets. Each command parses its arguments, calls
//! [`pcf::certification`] or [`pcf::dataset`], and prints text or `--json`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use pcf::certification::{self, approval, audit, certificates, diff, impact};
use pcf::dataset::Dataset;
use pcf::methodology::Methodology;
use pcf::time::Instant;

use super::output::{Archived, print_archived, print_json, with_archived};

/// Top-level subcommands of this area.
#[derive(Subcommand)]
pub enum Command {
    /// Re-run a declaration from its inventory and pinned methodology; write the trace and a report.
    Audit {
        /// The declaration (or a bundle carrying it).
        declaration: PathBuf,
        /// The inventory disclosed to the auditor.
        #[arg(long)]
        inventory: PathBuf,
        /// A bundle with the methodology file, if the declaration's is not shipped.
        #[arg(long)]
        bundle: Option<PathBuf>,
        /// A methodology, shipped id or file (used if its digest is the pinned one; else the
        /// difference is reported and the figures recomputed with it).
        #[arg(long, short)]
        methodology: Option<String>,
        /// The inventory product (default: the one with the declared product ids).
        #[arg(long)]
        product: Option<String>,
        /// The trace filed with an earlier audit, to name the inputs and factors that changed.
        #[arg(long)]
        trace: Option<PathBuf>,
        /// The issuer's register, to check certificate claims across its declarations.
        #[arg(long)]
        register: Option<PathBuf>,
        /// Where to write trace.json, report.md and contributions.svg (never overwritten;
        /// `--out-dir` is an old spelling, still accepted).
        #[arg(long = "out", alias = "out-dir", value_name = "DIR")]
        out_dir: Option<PathBuf>,
        /// Print the audit report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Which active declarations a supplier's new declaration or a new methodology affects.
    Impact {
        /// The issuer's register.
        #[arg(long, default_value = pcf::register::DEFAULT_DIR)]
        register: PathBuf,
        /// The supplier's new declaration.
        #[arg(long, conflicts_with = "methodology", required_unless_present = "methodology")]
        supplier: Option<PathBuf>,
        /// The new methodology version (a file or a shipped id).
        #[arg(long, short)]
        methodology: Option<String>,
        /// Inventories of the declarations (matched by digest); repeatable.
        #[arg(long = "inventory")]
        inventories: Vec<PathBuf>,
        /// Reissue when the declared figure moves by more than this percent (0: any change).
        #[arg(long, default_value_t = 0.0)]
        threshold: f64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Was a declaration's methodology approved by a trusted body when it was issued?
    VerifyApproval {
        /// The declaration (or a bundle carrying it). It is verified as by `pcf verify` first:
        /// a declaration that is not genuine is never approved.
        declaration: PathBuf,
        /// DID of a trusted issuer of the declaration; repeatable (shown in the report; trust
        /// in the issuer is judged by `pcf verify`).
        #[arg(long)]
        trust: Vec<String>,
        /// Approval and revocation files; repeatable.
        #[arg(long = "approval")]
        approvals: Vec<PathBuf>,
        /// DID of a certification body the buyer trusts; repeatable.
        #[arg(long = "trust-body")]
        trust_bodies: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Emission-factor datasets shipped with pcf (GWP, China grid, IPCC fuels, EU CBAM defaults,
    /// UK DESNZ materials/waste/freight/fuels, US EPA spend-based supply-chain factors).
    Dataset {
        #[command(subcommand)]
        command: DatasetCommand,
    },
    /// Check green electricity certificates claimed across a register's declarations.
    RegisterClaims {
        /// The register directory (`--dir` is an old spelling, still accepted).
        #[arg(long, alias = "dir", value_name = "DIR", default_value = pcf::register::DEFAULT_DIR)]
        register: PathBuf,
        /// Record the certificate quantities these inventories state first; repeatable.
        #[arg(long = "record")]
        record: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `pcf dataset` subcommands.
#[derive(Subcommand)]
pub enum DatasetCommand {
    /// List the shipped datasets with version, licence and digest, then the archived versions
    /// old declarations may pin.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a dataset's source, licence and values.
    Show {
        /// Dataset id, or ID@VERSION for a shipped version (live or archived).
        id: String,
        /// Print the parsed dataset as JSON.
        #[arg(long)]
        json: bool,
    },
    /// An EU CBAM default value including the mark-up of a year, as published, from the
    /// country's table or, where it gives none, from "Other countries and territories" (said);
    /// the mark-up is recomputed from the total as a check (exit 1 when they differ).
    Cbam {
        /// CN code (spaces allowed; a code under a listed heading takes the heading's value), or
        /// a good's key where the annex lists a code twice (25231000-grey).
        cn: String,
        /// Country of origin: ISO 3166-1 alpha-2, or `other` for "Other countries and
        /// territories".
        #[arg(long, default_value = "CN")]
        country: String,
        /// Year of import (the mark-up depends on it).
        #[arg(long, default_value_t = 2026)]
        year: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print an inventory with its `dataset:ID@FACTOR` references expanded into factors (JSON).
    Expand {
        /// Inventory file.
        inventory: PathBuf,
    },
    /// Find factors by words in their id, name or category (every word must match).
    Search(super::dataset::SearchArgs),
}

/// Subcommands added under `pcf methodology`.
#[derive(Subcommand)]
pub enum MethodologyCommand {
    /// Every rule and factor that differs between two versions and, with an inventory, the impact.
    Diff {
        /// The old version (a file or a shipped id).
        a: String,
        /// The new version (a file or a shipped id).
        b: String,
        /// Compute each product's footprint under both and attribute the change.
        #[arg(long)]
        inventory: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Issue a signed approval of a methodology version (certification bodies).
    Approve {
        /// The methodology (a file or a shipped id).
        file: String,
        /// The body's private key.
        #[arg(long)]
        key: PathBuf,
        /// What the approval covers.
        #[arg(long)]
        scope: String,
        /// Last day of validity (YYYY-MM-DD, through the end of that day UTC) or an RFC 3339 time.
        #[arg(long)]
        valid_until: String,
        /// First day of validity (default: now).
        #[arg(long)]
        valid_from: Option<String>,
        /// The body's name (default: its DID).
        #[arg(long)]
        body: Option<String>,
        /// Where to write the approval (never overwritten).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Issue a signed revocation of an approval (by the body that issued it).
    Revoke {
        /// The approval file.
        approval: PathBuf,
        /// The body's private key.
        #[arg(long)]
        key: PathBuf,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
        /// From when (YYYY-MM-DD or RFC 3339; default: now).
        #[arg(long)]
        effective: Option<String>,
        /// Where to write the revocation (never overwritten).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Runs a `pcf methodology` subcommand of this area.
pub fn run_methodology(command: MethodologyCommand) -> Result<ExitCode, pcf::Error> {
    match command {
        MethodologyCommand::Diff { a, b, inventory, json } => {
            let ma = Methodology::resolve(&a)?;
            let mb = Methodology::resolve(&b)?;
            let d = diff::diff(&ma, &mb);
            let imp = match &inventory {
                Some(path) => Some(diff::impact(&ma, &mb, &pcf::spreadsheet::load(path)?, &d)?),
                None => None,
            };
            if json {
                print_json(&serde_json::json!({ "diff": d, "impact": imp }));
            } else {
                out!("{d}");
                if let Some(i) = imp {
                    outln!();
                    out!("{i}");
                }
            }
        }
        MethodologyCommand::Approve { file, key, scope, valid_until, valid_from, body, out } => {
            let m = Methodology::resolve(&file)?;
            let key = pcf::keys::read_private_key(&key)?;
            let did = pcf::keys::did_key(&key.verifying_key());
            let until = Instant::parse(&valid_until)
                .or_else(|_| Instant::end_of_date(&valid_until))
                .map(|i| i.to_string())
                .map_err(|_| usage_date("--valid-until", &valid_until))?;
            let from = match valid_from {
                None => None,
                Some(v) => Some(
                    Instant::parse_date_or_time(&v)
                        .map(|i| i.to_string())
                        .map_err(|_| usage_date("--valid-from", &v))?,
                ),
            };
            let request = approval::ApprovalRequest {
                body: body.unwrap_or_else(|| did.clone()),
                scope,
                valid_from: from,
                valid_until: until,
                created: None,
            };
            let doc = approval::approve(&m, &key, &request)?;
            let out = out.unwrap_or_else(|| {
                PathBuf::from(format!("approval-{}-{}.json", m.id(), m.version()))
            });
            write_new(&out, &doc)?;
            outln!(
                "approved {} {} ({}) by {} until {}",
                m.id(),
                m.version(),
                m.digest(),
                did,
                request.valid_until
            );
            outln!("  file  {}", out.display());
        }
        MethodologyCommand::Revoke { approval: path, key, reason, effective, out } => {
            let doc = certification::read_json(&path)?;
            let key = pcf::keys::read_private_key(&key)?;
            let effective = match effective {
                None => None,
                Some(v) => Some(
                    Instant::parse_date_or_time(&v)
                        .map(|i| i.to_string())
                        .map_err(|_| usage_date("--effective", &v))?,
                ),
            };
            let rev = approval::revoke(&doc, &key, reason.as_deref(), effective)?;
            let out = out.unwrap_or_else(|| path.with_extension("revocation.json"));
            write_new(&out, &rev)?;
            outln!("revoked {} from {}", path.display(), rev["validFrom"].as_str().unwrap_or("?"));
            outln!("  file  {}", out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a subcommand.
pub fn run(command: Command) -> Result<ExitCode, pcf::Error> {
    match command {
        Command::Audit {
            declaration,
            inventory,
            bundle,
            methodology,
            product,
            trace,
            register,
            out_dir,
            json,
        } => {
            let (doc, mut inner) =
                certification::declaration_and_bundle(certification::read_json(&declaration)?);
            if let Some(path) = &bundle {
                let b = certification::read_json(path)?;
                inner = Some(serde_json::from_value(b).map_err(|e| pcf::Error::Io {
                    path: path.display().to_string(),
                    message: format!("not a pcf bundle: {e}"),
                })?);
            }
            let inv = pcf::spreadsheet::load(&inventory)?;
            let m = match &methodology {
                Some(id) => Some(Methodology::resolve(id)?),
                None => None,
            };
            let previous: Option<audit::Trace> = match &trace {
                Some(p) => {
                    Some(serde_json::from_value(certification::read_json(p)?).map_err(|e| {
                        pcf::Error::Io {
                            path: p.display().to_string(),
                            message: format!("not a pcf trace: {e}"),
                        }
                    })?)
                }
                None => None,
            };
            let reg = match &register {
                Some(dir) => Some(open_register(dir)?),
                None => None,
            };
            let options = audit::AuditOptions {
                product,
                methodology: m.as_ref(),
                previous_trace: previous.as_ref(),
                register: reg.as_ref(),
                verify: pcf::declaration::VerifyOptions::default(),
            };
            let result = audit::audit(&doc, inner.as_ref(), &inv, &options)?;
            let dir = out_dir.unwrap_or_else(|| {
                let id = result.report.pf_id.clone().unwrap_or_else(|| "declaration".into());
                PathBuf::from(format!("audit-{}", id.get(..8).unwrap_or(&id)))
            });
            let written = audit::write(&result, &dir)?;
            if json {
                print_json(&result.report);
            } else {
                out!("{}", result.report);
                for w in &written {
                    outln!("  wrote {}", w.display());
                }
            }
            return Ok(match result.report.verdict {
                audit::AuditVerdict::Identical => ExitCode::SUCCESS,
                audit::AuditVerdict::Differs => ExitCode::from(1),
            });
        }
        Command::Impact { register, supplier, methodology, inventories, threshold, json } => {
            if !(threshold.is_finite() && threshold >= 0.0) {
                return Err(pcf::Error::Usage(format!(
                    "--threshold {threshold}: give a percentage of 0 or more"
                )));
            }
            let reg = open_register(&register)?;
            let invs = inventories
                .iter()
                .map(|p| pcf::spreadsheet::load(p))
                .collect::<Result<Vec<_>, _>>()?;
            let m = match &methodology {
                Some(id) => Some(Methodology::resolve(id)?),
                None => None,
            };
            let change = match (&supplier, &m) {
                (Some(path), _) => impact::Change::Supplier(path),
                (None, Some(m)) => impact::Change::Methodology(m),
                (None, None) => {
                    return Err(pcf::Error::Usage("give --supplier or --methodology".into()));
                }
            };
            let report = impact::impact(&reg, change, &invs, threshold)?;
            if json {
                print_json(&report);
            } else {
                out!("{report}");
            }
        }
        Command::VerifyApproval { declaration, trust, approvals, trust_bodies, json } => {
            let (doc, bundle) = certification::declaration_and_bundle(
                pcf::declaration::bundle::read_document(&declaration)?,
            );
            let docs = approvals
                .iter()
                .map(|p| Ok((p.display().to_string(), certification::read_json(p)?)))
                .collect::<Result<Vec<_>, pcf::Error>>()?;
            let options = pcf::declaration::VerifyOptions { trust, ..Default::default() };
            let report = approval::check(&doc, bundle.as_ref(), &options, &docs, &trust_bodies)?;
            if json {
                print_json(&report);
            } else {
                out!("{report}");
                if trust_bodies.is_empty() {
                    outln!("  (no --trust-body given: no body is trusted)");
                }
            }
            return Ok(match report.verdict {
                approval::ApprovalVerdict::Approved => ExitCode::SUCCESS,
                approval::ApprovalVerdict::NotApproved => ExitCode::from(1),
            });
        }
        Command::Dataset { command } => return run_dataset(command),
        Command::RegisterClaims { register: dir, record, json } => {
            let reg = open_register(&dir)?;
            let mut findings = Vec::new();
            for path in &record {
                findings.extend(certificates::record(&reg, &pcf::spreadsheet::load(path)?)?);
            }
            findings.extend(certificates::double_counting(&reg)?);
            let errors = findings.iter().filter(|f| f.is_error()).count();
            if json {
                print_json(&findings);
            } else if findings.is_empty() {
                outln!("no certificate is claimed beyond its quantity in {}", dir.display());
            } else {
                for f in &findings {
                    out!("{f}");
                }
            }
            return Ok(if errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS });
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn run_dataset(command: DatasetCommand) -> Result<ExitCode, pcf::Error> {
    match command {
        DatasetCommand::List { json } => {
            let all = Dataset::all_shipped()?;
            let archived: Vec<Archived> = Dataset::all_archived()?
                .into_iter()
                .map(|(_, d)| Archived {
                    id: d.id().into(),
                    version: d.version().into(),
                    digest: d.digest().to_string(),
                })
                .collect();
            if json {
                let list: Vec<serde_json::Value> = all
                    .iter()
                    .map(|d| {
                        let entry = serde_json::json!({
                            "id": d.id(), "version": d.version(), "digest": d.digest().to_string(),
                            "title": d.file.dataset.title, "licence": d.file.dataset.licence,
                        });
                        with_archived(entry, d.id(), &archived)
                    })
                    .collect();
                print_json(&list);
            } else {
                let mut t = pcf::report::Table::new(&["id", "version", "entries", "digest"]);
                for d in &all {
                    let n = d.file.factors.len()
                        + d.file.gwp.as_ref().map_or(0, |g| g.factors.len())
                        + d.file.cbam.as_ref().map_or(0, |c| c.len());
                    t.row(vec![
                        d.id().into(),
                        d.version().into(),
                        pcf::report::Cell::figure(n.to_string()),
                        d.digest().to_string().into(),
                    ]);
                }
                out!("{}", t.render(0));
                print_archived(&archived, "dataset");
            }
        }
        DatasetCommand::Show { id, json } => {
            let d = match id.split_once('@') {
                Some((id, version)) => Dataset::shipped_version(id, version).ok_or_else(|| {
                    pcf::Error::Usage(format!("pcf ships no dataset {id} at version {version}"))
                })?,
                None => Dataset::shipped(&id)?,
            };
            if json {
                print_json(&serde_json::json!({
                    "id": d.id(), "version": d.version(), "digest": d.digest().to_string(),
                    "dataset": d.document,
                }));
            } else {
                let m = &d.file.dataset;
                outln!("# {} {} ({})", d.id(), d.version(), d.digest());
                outln!(
                    "{}
publisher: {}
source: {}
licence: {}",
                    m.title,
                    m.publisher,
                    m.source,
                    m.licence
                );
                if let Some(n) = &m.notes {
                    outln!("notes: {n}");
                }
                for f in &d.file.factors {
                    let mut v: Vec<String> = f
                        .gases
                        .iter()
                        .map(|(g, x)| format!("{g} {}", pcf::report::num(*x)))
                        .collect();
                    if let Some(c) = f.co2e {
                        v.push(format!("CO2e {}", pcf::report::num(c)));
                    }
                    outln!(
                        "  dataset:{}@{}  {} per {}  ({})",
                        d.id(),
                        f.id,
                        v.join(", "),
                        f.per,
                        f.name
                    );
                }
                if let Some(g) = &d.file.gwp {
                    outln!("  GWP{} {}:", g.horizon_years, g.set);
                    for (gas, x) in &g.factors {
                        outln!("    {gas} {}", pcf::report::num(*x));
                    }
                }
                if let Some(c) = &d.file.cbam {
                    super::cbam::show(c);
                }
            }
        }
        DatasetCommand::Cbam { cn, country, year, json } => {
            return super::cbam::lookup(&cn, &country, year, json);
        }
        DatasetCommand::Search(args) => return super::dataset::search(args),
        DatasetCommand::Expand { inventory } => {
            let text =
                std::fs::read_to_string(&inventory).map_err(|e| pcf::Error::io(&inventory, &e))?;
            let (doc, used) = pcf::dataset::expanded_document(&inventory, &text)?;
            print_json(&doc);
            for u in &used {
                eprintln!("uses dataset {} {} ({})", u.id, u.version, u.digest);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn open_register(dir: &Path) -> Result<pcf::register::Register, pcf::Error> {
    if !dir.exists() {
        return Err(pcf::Error::Usage(format!("{}: no register here", dir.display())));
    }
    Ok(pcf::register::Register::open(dir)?)
}

/// The published values with the mark-up, by year: `2026 1.1, 2027 1.2` (as stored).
fn usage_date(option: &str, value: &str) -> pcf::Error {
    pcf::Error::Usage(format!(
        "{option} {value:?}: write a date (2026-12-31) or an RFC 3339 UTC time (2026-12-31T00:00:00Z)"
    ))
}

fn write_new(path: &Path, doc: &serde_json::Value) -> Result<(), pcf::Error> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| pcf::Error::io(dir, &e))?;
    }
    let text = serde_json::to_string_pretty(doc).unwrap_or_default() + "\n";
    pcf::atomic::write_new(path, text.as_bytes(), pcf::atomic::Mode::Public).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            pcf::Error::Usage(format!("{}: already exists; choose another --out", path.display()))
        } else {
            pcf::Error::io(path, &e)
        }
    })
}
