//! `pcf verify`: verifies a declaration or bundle offline (and, with approvals, its
//! methodology's approval) and prints every check; the exit code is the verdict's.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::Result;
use super::input::{parse_at, parse_duration, read_json_usage};
use super::output::print_json;
use super::verify_many;

/// What `pcf verify` answers, for `--help`.
pub const VERIFY_HELP: &str = "\
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
  UNSIGNED PACT FOOTPRINT
                  3  a plain PACT ProductFootprint (v2 or v3) with no proof pcf can check: its
                     schema, numbers, dates and status are sound, but nothing shows who wrote
                     it; never VALID (INVALID, 1, when its content is not sound)

Several files, or a directory (its *.json files, sorted), print one row per file: file,
product, supplier, footprint, verdict and reason (the first failing check, or why it is not
current), as a table, --csv or --json. A file that cannot be read is a row of its own,
verdict `unreadable`. The exit code is the worst verdict's: 1 if any is invalid or unreadable,
else 3 if any is not relied on, else 0.

A did:web issuer's proof is checked against its DID document: give it with --did-document
(saved from https://HOST/.well-known/did.json), or let pcf fetch it with --fetch-did.

What a bundle proves: the declaration, its suppliers' declarations and superseded versions are
signed by their issuers; the methodology and datasets are the ones pinned. Its register excerpt
is the issuer's unsigned record, complete from the declaration's entry up to the head it names:
it shows the status as of that head, not any later change.

With --seen DIR (your record of the checkpoints seen) a bundle whose checkpoint forks from or
is older than the one recorded for its issuer's log fails the `seen` check (a fork's evidence is
written to DIR/evidence/); a newer one is recorded only with a consistency proof (--consistency,
or carried in the bundle by pcf bundle --consistency-from). With --witness, --max-age requires a
witness's cosignature that recent, and a bundle's witnessed checkpoint gives the time the
declaration was issued at the latest, at which approvals are judged.";

/// The arguments of `pcf verify`.
#[derive(clap::Args)]
pub struct Args {
    /// The declaration or bundle file, a plain PACT footprint, or a UNTP passport (`pcf
    /// declare --format untp-dpp`; --bundle then carries the declaration it links to). Several
    /// files, or a directory (its *.json files), print one row per file.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// A bundle with the upstream declarations, methodology and register excerpt.
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// DID of a trusted issuer; repeatable.
    #[arg(long)]
    pub trust: Vec<String>,
    /// A trust list (`pcf trust add`): its issuers are trusted, and named in the report by
    /// the names it gives them; its witnesses are relied on as --witness; repeatable.
    #[arg(long = "trust-list", value_name = "FILE")]
    pub trust_lists: Vec<PathBuf>,
    /// Accept a methodology pcf does not ship and the bundle does not carry.
    #[arg(long)]
    pub danger_accept_unknown_methodology: bool,
    /// A certification body's approval (or revocation) of methodology versions; repeatable.
    #[arg(long = "approval")]
    pub approvals: Vec<PathBuf>,
    /// DID of a certification body whose approvals the buyer trusts; repeatable. With it,
    /// the declaration's methodology version must have been approved when it was issued.
    #[arg(long = "trust-body")]
    pub trust_bodies: Vec<String>,
    /// Judge validity and status at this instant (an ISO date or an RFC 3339 time, for
    /// example the day a shipment was received) instead of now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// A witness you rely on: its verifier key (`pcf witness ... key`); repeatable.
    #[arg(long = "witness", value_name = "VKEY")]
    pub witnesses: Vec<String>,
    /// How many of the witnesses given must have cosigned the bundle's checkpoint (default:
    /// 1 when a witness is given).
    #[arg(long, value_name = "K")]
    pub min_witnesses: Option<usize>,
    /// The newest cosignature of a --witness on the bundle's checkpoint must be at most this
    /// old at the instant judged (now, or --at): 30d, 12h, 90m, 45s.
    #[arg(long, value_name = "DURATION")]
    pub max_age: Option<String>,
    /// Your record of the checkpoints seen, a directory (created if absent): the bundle's
    /// checkpoint must not fork from or be older than the one recorded for its issuer's log,
    /// and a newer one is recorded only with a consistency proof from it.
    #[arg(long, value_name = "DIR")]
    pub seen: Option<PathBuf>,
    /// The consistency proof from the checkpoint recorded in --seen to the bundle's (`pcf
    /// register prove --from N --size M`: one base64 hash per line).
    #[arg(long, value_name = "FILE", requires = "seen")]
    pub consistency: Option<PathBuf>,
    /// The DID document of a did:web issuer (its https://HOST/.well-known/did.json, saved);
    /// repeatable. A did:web proof is checked only against a document given or fetched.
    #[arg(long = "did-document", value_name = "FILE")]
    pub did_documents: Vec<PathBuf>,
    /// Fetch the DID document of a did:web issuer that no --did-document gives, over HTTPS
    /// (the only network access of pcf verify; off by default).
    #[arg(long)]
    pub fetch_did: bool,
    /// Print the report as JSON (with several files: an array of {file, verdict, report}).
    #[arg(long)]
    pub json: bool,
    /// With several files: print the rows as CSV.
    #[arg(long, conflicts_with = "json")]
    pub csv: bool,
}

/// Verifies and prints the report (or, for several files, one row per file); the exit code
/// is the (worst) verdict's.
pub fn run(args: Args) -> Result<ExitCode> {
    let many = args.files.len() > 1 || args.files.iter().any(|f| f.is_dir());
    if many && (args.bundle.is_some() || args.consistency.is_some()) {
        return Err(pcf::Error::Usage(
            "--bundle and --consistency apply to one file: verify the files one by one for them"
                .into(),
        ));
    }
    if !many && args.csv {
        return Err(pcf::Error::Usage("--csv prints one row per file: give several files".into()));
    }
    let files = verify_many::expand(&args.files)?;
    let mut ctx = Ctx::new(&args)?;
    if !many {
        let report = verify_file(&files[0], &args, &mut ctx)?;
        if args.json {
            print_json(&report);
        } else {
            out!("{report}");
        }
        return Ok(ExitCode::from(report.verdict.exit_code()));
    }
    let rows: Vec<verify_many::Row> =
        files.iter().map(|f| verify_many::Row::new(f, verify_file(f, &args, &mut ctx))).collect();
    let format = match (args.json, args.csv) {
        (true, _) => verify_many::Format::Json,
        (_, true) => verify_many::Format::Csv,
        _ => verify_many::Format::Table,
    };
    verify_many::print(&rows, format)
}

/// What every file is verified with: the options, and the consistency proof given.
struct Ctx {
    options: pcf::declaration::VerifyOptions,
    consistency: Option<Vec<pcf::register::merkle::Hash>>,
}

impl Ctx {
    fn new(args: &Args) -> Result<Ctx> {
        let mut options = pcf::declaration::VerifyOptions {
            trust: args.trust.clone(),
            danger_accept_unknown_methodology: args.danger_accept_unknown_methodology,
            witnesses: args
                .witnesses
                .iter()
                .map(|v| pcf::register::note::Verifier::parse_vkey(v))
                .collect::<std::result::Result<Vec<_>, _>>()?,
            ..Default::default()
        };
        let mut lists = pcf::trustlist::TrustList::default();
        for path in &args.trust_lists {
            lists.merge(super::trust::read(path)?);
        }
        lists.apply(&mut options)?;
        for path in &args.did_documents {
            let bytes = std::fs::read(path).map_err(|e| pcf::Error::io(path, &e))?;
            let doc = pcf::did::DidDocument::parse(&bytes, &path.display().to_string())?;
            options.did_documents.0.push(doc);
        }
        let witnesses = &options.witnesses;
        let min_witnesses = args.min_witnesses.unwrap_or(usize::from(!witnesses.is_empty()));
        if min_witnesses > witnesses.len() {
            return Err(pcf::Error::Usage(format!(
                "--min-witnesses {min_witnesses} but only {} --witness given",
                witnesses.len()
            )));
        }
        let max_age =
            args.max_age.as_deref().map(|m| parse_duration("--max-age", m)).transpose()?;
        if max_age.is_some() && witnesses.is_empty() {
            return Err(pcf::Error::Usage(
                "--max-age needs --witness: the checkpoint's age is the time a witness you trust \
                 cosigned it (the issuer's own word is not taken for it)"
                    .into(),
            ));
        }
        let consistency = match &args.consistency {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| pcf::Error::io(p, &e))?;
                Some(super::register::parse_proof(&text, p)?)
            }
            None => None,
        };
        options.at = args.at.as_deref().map(parse_at).transpose()?;
        options.min_witnesses = min_witnesses;
        options.max_age = max_age;
        Ok(Ctx { options, consistency })
    }

    /// With --fetch-did, fetches the DID documents of the did:web issuers of `docs` that no
    /// document given describes.
    fn fetch_dids(&mut self, docs: &[&serde_json::Value], fetch: bool) -> Result<()> {
        if !fetch {
            return Ok(());
        }
        for d in docs {
            let Some(issuer) = issuer_did(d) else { continue };
            if !issuer.starts_with("did:web:") || self.options.did_documents.get(&issuer).is_some()
            {
                continue;
            }
            let doc =
                super::exchange::runtime()?.block_on(pcf::exchange::did::fetch_did_document(
                    &issuer,
                    None,
                    std::time::Duration::from_secs(20),
                ))?;
            self.options.did_documents.0.push(doc);
        }
        Ok(())
    }
}

/// The issuer DID a credential names (`issuer` or `issuer.id`).
fn issuer_did(doc: &serde_json::Value) -> Option<String> {
    match &doc["issuer"] {
        serde_json::Value::String(s) => Some(s.clone()),
        other => other["id"].as_str().map(String::from),
    }
}

/// Verifies one file with the options and extra checks the arguments give.
fn verify_file(file: &Path, args: &Args, ctx: &mut Ctx) -> Result<pcf::declaration::Report> {
    let doc = read_json_usage(file)?;
    let mut b = match &args.bundle {
        Some(path) => Some(parse_bundle(path, read_json_usage(path)?)?),
        None => None,
    };
    let declaration = if pcf::credential::is_bundle(&doc) {
        let inner = parse_bundle(file, doc)?;
        let d = inner.declaration.clone();
        if b.is_none() {
            b = Some(inner);
        }
        d
    } else {
        doc
    };
    let mut issuers = vec![&declaration];
    if let Some(b) = &b {
        issuers.extend(b.upstream.iter().chain(&b.superseded));
    }
    ctx.fetch_dids(&issuers, args.fetch_did)?;
    let options = &ctx.options;
    let (approvals, trust_bodies) = (&args.approvals, &args.trust_bodies);
    if pcf::passport::is_enveloped(&declaration) {
        if !approvals.is_empty() || !trust_bodies.is_empty() || args.seen.is_some() {
            return Err(pcf::Error::Usage(
                "--approval, --trust-body and --seen apply to the declaration: verify its bundle \
                 for them (the passport is checked against the declaration with --bundle)"
                    .into(),
            ));
        }
        return Ok(pcf::passport::verify(&declaration, b.as_ref(), options));
    }
    let mut report = pcf::declaration::verify::verify(&declaration, b.as_ref(), options);
    if report.kind == pcf::declaration::verify::ReportKind::UnsignedPactFootprint {
        return Ok(report);
    }
    if !approvals.is_empty() || !trust_bodies.is_empty() {
        let docs = approvals
            .iter()
            .map(|p| Ok((p.display().to_string(), read_json_usage(p)?)))
            .collect::<Result<Vec<_>>>()?;
        let a = pcf::certification::approval::check(
            &declaration,
            b.as_ref(),
            options,
            &docs,
            trust_bodies,
        )?;
        report.push_check(pcf::certification::approval::as_check(&a));
    }
    if let Some(dir) = &args.seen {
        let store = pcf::seen::Seen::open(dir)?;
        let check = match &b {
            Some(b) => pcf::seen::check_bundle(
                &store,
                b,
                report.issuer.as_deref(),
                ctx.consistency.as_deref(),
            )?,
            None => pcf::declaration::Check {
                name: "seen".into(),
                status: pcf::declaration::CheckStatus::Skip,
                detail: "a declaration alone carries no checkpoint to compare with those seen"
                    .into(),
            },
        };
        report.push_check(check);
    }
    Ok(report)
}

fn parse_bundle(path: &Path, v: serde_json::Value) -> Result<pcf::declaration::Bundle> {
    serde_json::from_value(v).map_err(|e| pcf::Error::Io {
        path: path.display().to_string(),
        message: format!("not a pcf bundle: {e}"),
    })
}
