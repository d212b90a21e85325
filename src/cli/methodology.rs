//! `pcf methodology list|show|hash`: the shipped methodologies and methodology files; its
//! certification subcommands (diff, approve, revoke) are in [`super::certify`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use pcf::methodology::Methodology;
use pcf::report;

use super::Result;
use super::output::{Archived, print_archived, print_json, with_archived};

/// The subcommands of `pcf methodology`.
#[derive(Subcommand)]
pub enum MethodologyCommand {
    /// List the shipped methodologies, then the archived versions old declarations may pin.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a methodology's rules.
    Show {
        /// A shipped id, a shipped ID@VERSION (live or archived) or a file.
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
    Certify(super::certify::MethodologyCommand),
}

/// Runs a methodology subcommand (the certification ones are dispatched to
/// [`super::certify::run_methodology`]).
pub fn run(command: MethodologyCommand) -> Result<ExitCode> {
    match command {
        MethodologyCommand::List { json } => {
            let all = Methodology::all_shipped()?;
            let archived: Vec<Archived> = Methodology::all_archived()?
                .into_iter()
                .map(|(_, m)| Archived {
                    id: m.id().into(),
                    version: m.version().into(),
                    digest: m.digest().to_string(),
                })
                .collect();
            if json {
                let list: Vec<serde_json::Value> = all
                    .iter()
                    .map(|m| {
                        let entry = serde_json::json!({
                            "id": m.id(), "version": m.version(), "digest": m.digest().to_string(),
                            "title": m.rules.title, "gwp": m.rules.gwp.set,
                        });
                        with_archived(entry, m.id(), &archived)
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
                        report::serde_name(&m.rules.electricity.accounting),
                        m.digest().to_string(),
                    ]);
                }
                out!("{}", t.render(0));
                print_archived(&archived, "methodology");
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
    Ok(ExitCode::SUCCESS)
}
