//! `pcf bundle`: packs a declaration with what a buyer needs to verify it (upstream
//! declarations, methodology, superseded versions, register excerpt) into one file.

use std::path::PathBuf;
use std::process::ExitCode;

use pcf::methodology::Methodology;

use super::Result;
use super::input::read_json;

/// The arguments of `pcf bundle`.
#[derive(clap::Args)]
pub struct Args {
    /// The declaration.
    pub declaration: PathBuf,
    /// The inventory it was computed from (its suppliers' declarations are added).
    #[arg(long)]
    pub inventory: Option<PathBuf>,
    /// More upstream declarations or bundles; repeatable.
    #[arg(long)]
    pub upstream: Vec<PathBuf>,
    /// A methodology file, if the declaration's is not shipped.
    #[arg(long, short)]
    pub methodology: Option<PathBuf>,
    /// The issuer's register (superseded versions and an excerpt are added).
    #[arg(long, default_value = pcf::register::DEFAULT_DIR)]
    pub register: PathBuf,
    /// Where to write the bundle (default: DECLARATION with .bundle.json).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The register's checkpoint with witnesses' cosignatures (`pcf witness ... cosign --out`),
    /// carried instead of the issuer's own copy; it must be the checkpoint at the excerpt's head.
    #[arg(long)]
    pub checkpoint: Option<PathBuf>,
    /// Also carry the consistency proof from the register's checkpoint of N entries to the
    /// bundle's, for a buyer who recorded that one (`pcf verify --seen`).
    #[arg(long, value_name = "N")]
    pub consistency_from: Option<u64>,
}

/// Writes the bundle and says what it holds.
pub fn run(args: Args) -> Result<ExitCode> {
    let Args {
        declaration,
        inventory,
        upstream,
        methodology,
        register,
        out,
        checkpoint,
        consistency_from,
    } = args;
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
            if let Some(m) =
                Methodology::shipped_with_digest(&prov.methodology.id, &prov.methodology.digest)
            {
                b.add_methodology(&m);
            }
        }
    }
    if let Some(inv) = &inventory {
        let inv = pcf::spreadsheet::load(inv)?;
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
        let excerpt = reg.excerpt(&wanted)?;
        b.log = reg.log_proof(&excerpt)?;
        if let Some(path) = &checkpoint {
            let cosigned = std::fs::read_to_string(path).map_err(|e| pcf::Error::io(path, &e))?;
            let log = b.log.as_mut().ok_or_else(|| {
                pcf::Error::Usage(format!(
                    "{}: the register has no checkpoint at the excerpt's head to replace",
                    path.display()
                ))
            })?;
            let body = |note: &str| pcf::register::note::Note::parse(note).map(|n| n.text);
            if body(&cosigned)? != body(&log.checkpoint)? {
                return Err(pcf::Error::Usage(format!(
                    "{} is not the register's checkpoint at the excerpt's head",
                    path.display()
                )));
            }
            log.checkpoint = cosigned;
        }
        if let Some(from) = consistency_from {
            let to = excerpt.head.seq + 1;
            if b.log.is_none() || from == 0 || from > to {
                return Err(pcf::Error::Usage(format!(
                    "--consistency-from {from}: the bundle's checkpoint has {to} entries{}; give \
                     the size of an earlier checkpoint, 1 to {to}",
                    if b.log.is_none() { " but the register has no checkpoint of it" } else { "" }
                )));
            }
            let proof = reg.consistency_proof(from, to)?;
            b.log_consistency = Some(pcf::declaration::bundle::ConsistencyProof {
                from,
                to,
                proof: proof.iter().map(pcf::register::note::encode_hash).collect(),
            });
        }
        // The earliest witness-cosigned checkpoint that includes the declaration's entry.
        let own = excerpt.entries.iter().find(|e| {
            matches!(&e.kind, pcf::register::EntryKind::Declared { declaration, .. }
                if *declaration == wanted[0])
        });
        if let Some(entry) = own {
            b.witnessed = reg.witnessed_proof(entry.seq)?;
        }
        b.register_excerpt = Some(excerpt);
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
        "wrote {}: declaration, {} upstream, {} superseded, {} methodology file(s), register excerpt: {}, log proof: {}{}{}",
        out.display(),
        b.upstream.len(),
        b.superseded.len(),
        b.methodologies.len(),
        if b.register_excerpt.is_some() { "yes" } else { "no" },
        if b.log.is_some() { "yes" } else { "no" },
        b.log_consistency
            .as_ref()
            .map_or(String::new(), |c| format!(", consistency proof from size {}", c.from)),
        if b.witnessed.is_some() { ", witnessed checkpoint: yes" } else { "" }
    );
    if !missing.is_empty() {
        outln!(
            "WARNING: upstream declarations not found (pass --inventory or --upstream): {}",
            missing.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}
