//! What the server serves: every declaration of the issuer's register as a PACT
//! ProductFootprint, with its status taken from the register (Deprecated once a status change
//! or a superseding declaration says so) and an extension pointing at the signed credential, so a buyer can verify it.
//!
//! The catalogue is a read-only snapshot: it is built from the register by reading it, never
//! writing it, and replaced as a whole when the register's head moves.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};

use super::ExchangeError;
use super::filters::FilterKeys;
use pcf_base::digest::Digest;
use pcf_trust::declaration::{self, Bundle};
use pcf_trust::register::{EntryKind, Head, Register, Status};

/// `dataSchema` of the extension that links a served footprint to its signed credential.
pub const DECLARATION_SCHEMA: &str = "urn:pcf:extension:declaration:1";
/// The version of that extension.
pub const DECLARATION_SCHEMA_VERSION: &str = "1.0.0";
/// Media type of a served credential (a VC 2.0 with an embedded Data Integrity proof).
pub const CREDENTIAL_MEDIA_TYPE: &str = "application/vc";

/// The footprints of a register at one head.
#[derive(Debug)]
pub struct Catalogue {
    register: Register,
    head: Option<Head>,
    footprints: Vec<Footprint>,
    by_id: HashMap<String, usize>,
    documents: HashMap<Digest, Arc<Value>>,
    upstream: Arc<HashMap<Digest, Value>>,
}

/// One declaration of the register, as served.
#[derive(Debug)]
pub struct Footprint {
    /// The ProductFootprint id.
    pub pf_id: String,
    /// Digest of the signed credential.
    pub declaration: Digest,
    /// Status according to the register.
    pub status: Status,
    /// The issuer's DID.
    pub issuer: Option<String>,
    /// The signed credential's bytes, exactly as stored in the register.
    pub credential: Arc<Vec<u8>>,
    subject: Value,
    keys: FilterKeys,
    bundle: OnceLock<Result<Arc<Vec<u8>>, String>>,
}

impl Catalogue {
    /// Reads the register at `dir` (which must exist: the server never creates one) and the
    /// supplier declarations or bundles in `upstream` (files or directories of `.json` files),
    /// which it adds to the bundles it serves.
    pub fn load(dir: &Path, upstream: &[PathBuf]) -> Result<Catalogue, ExchangeError> {
        let upstream = Arc::new(load_upstream(upstream)?);
        Catalogue::load_with(dir, upstream)
    }

    /// Re-reads the register, keeping the supplier declarations already loaded.
    pub fn reload(&self) -> Result<Catalogue, ExchangeError> {
        Catalogue::load_with(self.register.dir(), self.upstream.clone())
    }

    fn load_with(
        dir: &Path,
        upstream: Arc<HashMap<Digest, Value>>,
    ) -> Result<Catalogue, ExchangeError> {
        if !dir.join("entries").is_dir() {
            return Err(ExchangeError::Config(format!(
                "{}: not a register (no entries/ directory); pcf declare creates one",
                dir.display()
            )));
        }
        let register = Register::open(dir)?;
        let entries = register.entries()?;
        let head = entries.last().map(|e| -> Result<Head, ExchangeError> {
            Ok(Head { seq: e.seq, digest: e.digest()? })
        });
        let head = head.transpose()?;
        let mut footprints = Vec::new();
        let mut by_id = HashMap::new();
        let mut by_digest = HashMap::new();
        let mut documents = HashMap::new();
        for entry in &entries {
            // Other entries add no footprint; what they do to one's status is below.
            if let EntryKind::Declared { declaration, pf_id, .. } = &entry.kind {
                let bytes = register.declaration(declaration)?;
                let document = pcf_base::canonical::parse_strict(&bytes)?;
                let mut subject = pact_footprint(&document).cloned().unwrap_or(Value::Null);
                if subject["id"].as_str() != Some(pf_id.as_str()) {
                    return Err(ExchangeError::Config(format!(
                        "{}: declaration {declaration} has subject id {} but the register \
                         records pf id {pf_id}",
                        dir.display(),
                        subject["id"]
                    )));
                }
                subject["status"] = json!("Active");
                let keys = FilterKeys::of(&subject);
                let issuer = issuer_of(&document);
                documents.insert(*declaration, Arc::new(document));
                by_digest.insert(*declaration, footprints.len());
                by_id.insert(pf_id.to_ascii_lowercase(), footprints.len());
                footprints.push(Footprint {
                    pf_id: pf_id.clone(),
                    declaration: *declaration,
                    status: Status::Active,
                    issuer,
                    credential: Arc::new(bytes),
                    subject,
                    keys,
                    bundle: OnceLock::new(),
                });
            }
            // A status change, or a declaration that supersedes an earlier one.
            if let Some(&i) = entry.kind.deprecates().and_then(|d| by_digest.get(d)) {
                footprints[i].status = Status::Deprecated;
                footprints[i].subject["status"] = json!("Deprecated");
            }
        }
        Ok(Catalogue { register, head, footprints, by_id, documents, upstream })
    }

    /// The register's head when the catalogue was read.
    pub fn head(&self) -> Option<Head> {
        self.head
    }

    /// The register directory.
    pub fn dir(&self) -> &Path {
        self.register.dir()
    }

    /// Every footprint, in register order.
    pub fn footprints(&self) -> &[Footprint] {
        &self.footprints
    }

    /// The footprint with this id (case-insensitive).
    pub fn get(&self, pf_id: &str) -> Option<&Footprint> {
        self.by_id.get(&pf_id.to_ascii_lowercase()).map(|&i| &self.footprints[i])
    }

    /// How many supplier declarations were loaded for bundles.
    pub fn upstream_count(&self) -> usize {
        self.upstream.len()
    }

    /// The bundle of a footprint's declaration, as JSON bytes: the credential, the versions it
    /// supersedes, the supplier declarations it consumed (as far as the register or the
    /// upstream files hold them) and a register excerpt. Built on first use (it reads the
    /// register), then kept.
    pub fn bundle(&self, footprint: &Footprint) -> Result<Arc<Vec<u8>>, String> {
        footprint.bundle.get_or_init(|| self.build_bundle(footprint)).clone()
    }

    fn build_bundle(&self, footprint: &Footprint) -> Result<Arc<Vec<u8>>, String> {
        let document = self
            .documents
            .get(&footprint.declaration)
            .ok_or_else(|| format!("declaration {} is not loaded", footprint.declaration))?;
        let mut bundle = Bundle::new((**document).clone());
        let mut wanted = vec![footprint.declaration];
        let mut next = declaration::provenance(document).and_then(|p| p.supersedes);
        while let Some(old) = next {
            if wanted.contains(&old) {
                break;
            }
            let Some(old_doc) = self.documents.get(&old) else { break };
            next = declaration::provenance(old_doc).and_then(|p| p.supersedes);
            bundle.superseded.push((**old_doc).clone());
            wanted.push(old);
        }
        // Suppliers' declarations, at any depth, from the register or the upstream files.
        let mut queue: Vec<Digest> = declaration::provenance(document)
            .map(|p| p.upstream.iter().map(|u| u.digest).collect())
            .unwrap_or_default();
        let mut seen = Vec::new();
        while let Some(d) = queue.pop() {
            if seen.contains(&d) || seen.len() > 1024 {
                continue;
            }
            seen.push(d);
            let found = self.upstream.get(&d).or_else(|| self.documents.get(&d).map(|a| &**a));
            if let Some(doc) = found {
                if let Some(p) = declaration::provenance(doc) {
                    queue.extend(p.upstream.iter().map(|u| u.digest));
                }
                bundle.add_upstream(doc.clone());
            }
        }
        if let Some(prov) = declaration::provenance(document)
            && let Some(m) = pcf_footprint::methodology::Methodology::shipped_with_digest(
                &prov.methodology.id,
                &prov.methodology.digest,
            )
        {
            bundle.add_methodology(&m);
        }
        bundle.register_excerpt = Some(self.register.excerpt(&wanted).map_err(|e| e.to_string())?);
        serde_json::to_vec(&bundle).map(Arc::new).map_err(|e| e.to_string())
    }
}

impl Footprint {
    /// The ProductFootprint as served to a client reaching the server at `base` (scheme and
    /// authority, such as `https://pcf.example.com:8443`): the signed subject with the status
    /// from the register and a [`DECLARATION_SCHEMA`] extension linking the credential.
    pub fn served(&self, base: &str) -> Value {
        let mut pf = self.subject.clone();
        let link = json!({
            "specVersion": DECLARATION_SCHEMA_VERSION,
            "dataSchema": DECLARATION_SCHEMA,
            "data": {
                "credentialUrl": format!("{base}/3/footprints/{}/declaration", self.pf_id),
                "bundleUrl": format!("{base}/3/footprints/{}/bundle", self.pf_id),
                "digest": self.declaration.to_string(),
                "digestSRI": declaration::sri(&self.declaration),
                "mediaType": CREDENTIAL_MEDIA_TYPE,
                "issuer": self.issuer,
            }
        });
        match pf.get_mut("extensions").and_then(Value::as_array_mut) {
            Some(extensions) => extensions.push(link),
            None => pf["extensions"] = json!([link]),
        }
        pf
    }

    /// The filter keys.
    pub fn keys(&self) -> &FilterKeys {
        &self.keys
    }
}

pub use pcf_trust::declaration::pact_footprint;

/// The link a served footprint carries to its signed credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationLink {
    /// Where the credential is served.
    pub credential_url: String,
    /// Where its bundle is served, if anywhere.
    pub bundle_url: Option<String>,
    /// The credential's digest.
    pub digest: Digest,
}

impl DeclarationLink {
    /// The link in a served footprint, if it carries one; `Err` when it carries a malformed
    /// one.
    pub fn of(footprint: &Value) -> Result<Option<DeclarationLink>, String> {
        let Some(ext) = footprint["extensions"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["dataSchema"] == DECLARATION_SCHEMA))
        else {
            return Ok(None);
        };
        let data = &ext["data"];
        let credential_url = data["credentialUrl"]
            .as_str()
            .ok_or("the declaration extension has no credentialUrl")?
            .to_string();
        let digest = data["digest"]
            .as_str()
            .and_then(|d| d.parse::<Digest>().ok())
            .ok_or("the declaration extension has no valid digest")?;
        let bundle_url = data["bundleUrl"].as_str().map(String::from);
        Ok(Some(DeclarationLink { credential_url, bundle_url, digest }))
    }

    /// `footprint` without the declaration extension (and without `extensions` if that was
    /// the only one): what must equal the credential's subject, status aside.
    pub fn strip(footprint: &Value) -> Value {
        let mut pf = footprint.clone();
        if let Some(extensions) = pf.get_mut("extensions").and_then(Value::as_array_mut) {
            extensions.retain(|e| e["dataSchema"] != DECLARATION_SCHEMA);
            if extensions.is_empty()
                && let Some(o) = pf.as_object_mut()
            {
                o.remove("extensions");
            }
        }
        pf
    }
}

fn issuer_of(document: &Value) -> Option<String> {
    match &document["issuer"] {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(String::from),
        _ => None,
    }
}

/// Reads supplier declarations and bundles (every `.json` file of the directories given, and
/// the files given), indexed by digest.
fn load_upstream(paths: &[PathBuf]) -> Result<HashMap<Digest, Value>, ExchangeError> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| ExchangeError::io(path, &e))?;
            let mut names: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            names.sort();
            files.extend(names);
        } else {
            files.push(path.clone());
        }
    }
    let mut out = HashMap::new();
    for file in files {
        let bytes = std::fs::read(&file).map_err(|e| ExchangeError::io(&file, &e))?;
        let doc = pcf_base::canonical::parse_strict(&bytes).map_err(|e| {
            ExchangeError::Config(format!("{}: not a declaration: {e}", file.display()))
        })?;
        let mut bundle = Bundle::new(Value::Null);
        bundle.add_upstream(doc);
        for d in bundle.upstream {
            out.insert(pcf_base::canonical::digest(&d)?, d);
        }
    }
    Ok(out)
}
