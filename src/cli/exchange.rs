//! `pcf` subcommands for PACT data exchange: `pcf serve` (the issuer's PACT v3 endpoint over
//! its register), `pcf fetch` (a buyer pulls and verifies a supplier's footprints) and
//! `pcf clients add` (a client id with a hashed secret for the server's clients file).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;

use pcf::exchange::client::{Caps, ClientSecret, FetchOptions, Signed};
use pcf::exchange::server::{Server, ServerConfig, Transport};
use pcf::exchange::tls::Identity;

/// Subcommands of this area.
#[derive(Subcommand)]
pub enum Command {
    /// Serve the register's declarations over the PACT v3 API (HTTPS).
    Serve {
        /// The issuer's register directory (only ever read).
        #[arg(long, default_value = pcf::register::DEFAULT_DIR)]
        register: PathBuf,
        /// The clients file: client ids with Argon2id-hashed secrets and the events URLs each
        /// may be answered at (see `pcf clients add`) [default: REGISTER/clients.toml].
        #[arg(long)]
        clients: Option<PathBuf>,
        /// Credentials for the clients' own token endpoints, used before posting answers to
        /// their events endpoints (see `pcf clients credentials`; a 0600 file)
        /// [default: REGISTER/recipients.toml, if it exists].
        #[arg(long)]
        recipients: Option<PathBuf>,
        /// Where the server keeps its state: the outbox of answers not yet delivered and the
        /// --self-signed key and certificate [default: REGISTER.serve, beside the register].
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// TLS certificate chain (PEM, leaf first).
        #[arg(long, requires = "key", conflicts_with = "self_signed")]
        cert: Option<PathBuf>,
        /// TLS private key (PEM).
        #[arg(long, requires = "cert")]
        key: Option<PathBuf>,
        /// Use a self-signed certificate for local use (clients must trust it: --cert-out). Its
        /// key and certificate are kept in the state directory (the key 0600) and reused at the
        /// next start, so clients trust it once.
        #[arg(long)]
        self_signed: bool,
        /// Names (DNS or IP) for the self-signed certificate [default: localhost, 127.0.0.1, ::1].
        #[arg(long = "name", requires = "self_signed")]
        names: Vec<String>,
        /// Write the self-signed certificate here, for `pcf fetch --ca-cert`.
        #[arg(long, requires = "self_signed")]
        cert_out: Option<PathBuf>,
        /// Serve plain HTTP: client secrets and tokens travel in clear text. Local tests only.
        #[arg(long, conflicts_with_all = ["cert", "self_signed"])]
        danger_plain_http: bool,
        /// Supplier declarations or bundles (files or directories) to include in the bundles
        /// served, so buyers can verify declarations that consumed them; repeatable.
        #[arg(long)]
        upstream: Vec<PathBuf>,
        /// Access token lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        token_lifetime: u64,
        /// Scheme and host for links in responses (default: the Host the client used).
        #[arg(long)]
        public_url: Option<String>,
        /// Publish the register's transparency log, public and cacheable, under /log/ (C2SP
        /// tlog-tiles: checkpoint, hash tiles, entry bundles). Anyone can then read the
        /// entries: declaration digests, footprint and product ids.
        #[arg(long)]
        publish_log: bool,
        /// Serve this status list credential (pcf register status-list --out) at /status-list,
        /// re-read at each request.
        #[arg(long)]
        status_list: Option<PathBuf>,
        /// Most connections open at once.
        #[arg(long, default_value_t = 256)]
        max_connections: usize,
        /// Most connections open at once from one client address (IPv4 address or IPv6 /64);
        /// the excess is closed at once, so one address cannot take every connection.
        #[arg(long, default_value_t = 32)]
        max_connections_per_address: usize,
        /// Sustained requests per second allowed from one client address.
        #[arg(long, default_value_t = 20.0)]
        rate_limit: f64,
        /// Requests one client address may make in a burst.
        #[arg(long, default_value_t = 100.0)]
        burst: f64,
        /// Seconds between checks for new register entries (0: never re-read).
        #[arg(long, default_value_t = 10)]
        reload_every: u64,
    },
    /// Fetch a supplier's footprints from its PACT v3 endpoint and verify their declarations.
    ///
    /// Each footprint is verified in memory, then stored once under a content-addressed name:
    /// OUT/footprints/ID/SHA256.json (verified), OUT/declarations/SHA256.json,
    /// OUT/bundles/SHA256.json, OUT/unverified/ID/SHA256.json (unsigned or failed). No file is
    /// ever replaced. Exit status 1 when a footprint fails.
    #[command(verbatim_doc_comment)]
    Fetch {
        /// The supplier's base URL (https://host[:port][/subpath]). The client secret is sent
        /// only to a token endpoint on this URL's origin (scheme, host, port).
        url: String,
        /// Client id.
        #[arg(long)]
        client_id: String,
        /// Read the client secret from this file (one line). Without this or --client-secret,
        /// the PCF_CLIENT_SECRET environment variable is used.
        #[arg(long, value_name = "PATH")]
        client_secret_file: Option<PathBuf>,
        /// The client secret itself. Visible to other users of the machine (ps,
        /// /proc/PID/cmdline) and kept in shell history: prefer --client-secret-file or
        /// PCF_CLIENT_SECRET.
        #[arg(long, conflicts_with = "client_secret_file")]
        client_secret: Option<String>,
        /// Where to store the footprints and declarations.
        #[arg(long, default_value = "fetched")]
        out: PathBuf,
        /// DID of a trusted issuer; repeatable. With --trust, every footprint must carry a
        /// declaration signed by a trusted issuer: an unsigned one fails. Without --trust,
        /// nothing is checked against an issuer, so no signed declaration can pass.
        #[arg(long)]
        trust: Vec<String>,
        /// Trust only the certificates in this PEM file (for a self-signed server).
        #[arg(long)]
        ca_cert: Option<PathBuf>,
        /// Footprints to ask for per page.
        #[arg(long)]
        limit: Option<usize>,
        /// Fail (exit 1) if a footprint carries no signed declaration. Implied by --trust;
        /// on its own it only makes unsigned footprints fail too.
        #[arg(long)]
        require_signed: bool,
        /// Most bytes read from the network in one fetch (pages, credentials, bundles).
        #[arg(long, default_value_t = 1 << 30)]
        max_bytes: u64,
        /// Most bytes written under --out in one fetch.
        #[arg(long, default_value_t = 1 << 30)]
        max_disk_bytes: u64,
        /// Most pages of footprints followed in one fetch.
        #[arg(long, default_value_t = 10_000)]
        max_pages: usize,
        /// Most footprints taken in one fetch.
        #[arg(long, default_value_t = 100_000)]
        max_footprints: usize,
        /// Allow http:// URLs: the secret and the data travel in clear text. Local tests only.
        #[arg(long)]
        danger_plain_http: bool,
        /// Seconds allowed per HTTP request.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Manage the clients file of `pcf serve`.
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
}

/// `pcf clients ...`.
#[derive(Subcommand)]
pub enum ClientsCommand {
    /// Add a client: prints its secret once and stores only an Argon2id hash of it.
    Add {
        /// The clients file (created if absent).
        #[arg(long)]
        file: PathBuf,
        /// The client id (A-Z a-z 0-9 . _ ~ -).
        #[arg(long)]
        id: String,
        /// Use this secret instead of a random one (for demos and tests).
        #[arg(long)]
        secret: Option<String>,
        /// An events endpoint where answers to the client's requests may be sent; repeatable.
        /// A request whose `source` is this URL, or its bare origin when the URL is
        /// ORIGIN/3/events, is answered here.
        #[arg(long = "events-url")]
        events_urls: Vec<String>,
    },
    /// Store the credentials `pcf serve` uses at a client's own token endpoint before it posts
    /// answers to the client's events endpoint (kept in a 0600 file, never printed).
    Credentials {
        /// The credentials file (created if absent, owner only).
        #[arg(long)]
        file: PathBuf,
        /// The client (an id in the clients file) these credentials are for.
        #[arg(long)]
        client: String,
        /// Our client id at the client's token endpoint.
        #[arg(long)]
        client_id: String,
        /// Read our client secret from this file (one line); without it, from the
        /// PCF_RECIPIENT_SECRET environment variable.
        #[arg(long, value_name = "PATH")]
        client_secret_file: Option<PathBuf>,
        /// The token endpoint [default: the events URL without /3/events, + /auth/token].
        #[arg(long)]
        token_url: Option<String>,
    },
}

/// Runs a subcommand.
pub fn run(command: Command) -> Result<ExitCode, pcf::Error> {
    match command {
        Command::Serve {
            register,
            clients,
            recipients,
            state_dir,
            listen,
            cert,
            key,
            self_signed,
            names,
            cert_out,
            danger_plain_http,
            upstream,
            token_lifetime,
            public_url,
            publish_log,
            status_list,
            max_connections,
            max_connections_per_address,
            rate_limit,
            burst,
            reload_every,
        } => {
            if !register.join("entries").is_dir() {
                return Err(pcf::Error::Usage(format!(
                    "{}: no register here (pcf declare creates one; or pass --register)",
                    register.display()
                )));
            }
            let clients_file = clients.unwrap_or_else(|| register.join("clients.toml"));
            let clients = pcf::exchange::auth::Clients::load(&clients_file)?;
            let recipients_file = recipients.or_else(|| {
                let default = register.join("recipients.toml");
                default.is_file().then_some(default)
            });
            let recipients = match &recipients_file {
                Some(path) => pcf::exchange::delivery::recipients::Recipients::load(path)?,
                None => Default::default(),
            };
            let state_dir = state_dir.unwrap_or_else(|| default_state_dir(&register));
            let mut fingerprint = None;
            let mut reused = false;
            let transport = match (cert, key, self_signed, danger_plain_http) {
                (Some(cert), Some(key), false, false) => {
                    Transport::Tls(Identity::from_pem_files(&cert, &key)?.server_config()?)
                }
                (None, None, true, false) => {
                    let names = if names.is_empty() {
                        vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
                    } else {
                        names
                    };
                    let (identity, kept) = Identity::self_signed_kept(&state_dir, &names)?;
                    reused = kept;
                    fingerprint = Some(pcf::digest::Digest::of(&identity.chain[0]).to_string());
                    if let Some(path) = &cert_out {
                        pcf::atomic::write_replace(
                            path,
                            identity.certificate_pem.as_bytes(),
                            pcf::atomic::Mode::Public,
                        )
                        .map_err(|e| pcf::Error::io(path, &e))?;
                    }
                    Transport::Tls(identity.server_config()?)
                }
                (None, None, false, true) => Transport::DangerPlainHttp,
                _ => {
                    return Err(pcf::Error::Usage(
                        "pcf serve needs TLS: give --cert and --key, or --self-signed for local \
                         use (plain HTTP only with --danger-plain-http, for local tests)"
                            .into(),
                    ));
                }
            };
            let mut config = ServerConfig::new(register.clone(), clients, transport);
            config.state_dir = Some(state_dir.clone());
            let recipients_count = recipients.len();
            config.recipients = recipients;
            config.upstream = upstream;
            config.token_lifetime = Duration::from_secs(token_lifetime);
            config.public_url = public_url;
            config.publish_log = publish_log;
            let status_list_served = status_list.is_some();
            config.status_list = status_list;
            config.limits.max_connections = max_connections;
            config.limits.max_connections_per_address = max_connections_per_address;
            config.limits.requests_per_second = rate_limit;
            config.limits.burst = burst;
            config.reload_interval = (reload_every > 0).then(|| Duration::from_secs(reload_every));
            config.log = true;
            let clients_count = config.clients.len();
            runtime()?.block_on(async move {
                let server = Server::start(config, listen).await?;
                let url = server.url();
                println!(
                    "pcf serve: {url} serves {} footprint(s) of {} to {clients_count} client(s)",
                    server.footprints(),
                    register.display()
                );
                println!("  token endpoint  {url}/auth/token (tokens live {token_lifetime} s)");
                println!("  footprints      {url}/3/footprints");
                println!(
                    "  events          {url}/3/events (clients from {})",
                    clients_file.display()
                );
                println!(
                    "  answers         kept in {} until delivered; {recipients_count} client(s) \
                     with credentials for their token endpoint{}",
                    state_dir.join("outbox").display(),
                    recipients_file
                        .as_ref()
                        .map(|p| format!(" ({})", p.display()))
                        .unwrap_or_default()
                );
                if server.resumed_answers() > 0 {
                    println!(
                        "  resumed         {} answer(s) left undelivered by the last run",
                        server.resumed_answers()
                    );
                }
                if publish_log {
                    println!("  log (tlog-tiles) {url}/log/checkpoint, {url}/log/tile/...");
                }
                if status_list_served {
                    println!("  status list     {url}/status-list");
                }
                if let Some(fp) = fingerprint {
                    let how = if reused { "kept from the last start" } else { "new" };
                    println!(
                        "  self-signed certificate {fp} ({how}; {})",
                        state_dir.join("self-signed-cert.pem").display()
                    );
                    if let Some(path) = &cert_out {
                        println!(
                            "  written to {}: pcf fetch {url} --ca-cert {} ...",
                            path.display(),
                            path.display()
                        );
                    }
                }
                if matches!(server.url().as_str(), u if u.starts_with("http:")) {
                    println!(
                        "  WARNING plain HTTP (--danger-plain-http): secrets travel in clear text"
                    );
                }
                if max_connections_per_address >= max_connections {
                    println!(
                        "  WARNING --max-connections-per-address {max_connections_per_address} is \
                         not below --max-connections {max_connections}: one address can hold \
                         every connection"
                    );
                }
                println!("press Ctrl-C to stop");
                let _ = tokio::signal::ctrl_c().await;
                server.shutdown().await;
                Ok::<(), pcf::Error>(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch {
            url,
            client_id,
            client_secret_file,
            client_secret,
            out,
            trust,
            ca_cert,
            limit,
            require_signed,
            max_bytes,
            max_disk_bytes,
            max_pages,
            max_footprints,
            danger_plain_http,
            timeout,
            json,
        } => {
            let secret = client_secret_from(client_secret, client_secret_file.as_deref())?;
            let mut options = FetchOptions::new(url, client_id, secret, out);
            options.trust = trust;
            options.require_signed = require_signed;
            options.ca_cert = ca_cert;
            options.danger_plain_http = danger_plain_http;
            options.page_size = limit;
            options.timeout = Duration::from_secs(timeout.max(1));
            options.caps = Caps { max_bytes, max_disk_bytes, max_pages, max_footprints };
            let report = runtime()?.block_on(pcf::exchange::client::fetch(&options))?;
            let no_trust = "no --trust given: nothing was checked against an issuer, so no \
                            signed declaration can be valid and unsigned footprints were not \
                            checked at all";
            if json {
                outln!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
                if report.trusted.is_empty() {
                    eprintln!("pcf fetch: {no_trust}");
                }
            } else {
                outln!(
                    "fetched {} footprint(s) in {} page(s) from {} into {} ({} bytes read, {} \
                     written)",
                    report.footprints.len(),
                    report.pages,
                    report.url,
                    options.out.display(),
                    report.bytes_read,
                    report.bytes_written
                );
                let mut t = pcf::report::Table::new(&[
                    "declaration",
                    "pf id",
                    "status",
                    "product",
                    "detail",
                ]);
                for f in &report.footprints {
                    let (mark, detail) = match &f.declaration {
                        Signed::Valid { issuer, bundle, .. } => (
                            "[valid]",
                            format!(
                                "signed by {}{}",
                                issuer.as_deref().unwrap_or("?"),
                                if bundle.is_some() { ", verified with its bundle" } else { "" }
                            ),
                        ),
                        Signed::Unsigned if report.signatures_required => (
                            "[UNSIGNED]",
                            "carries no signed declaration, so it cannot come from a trusted \
                             issuer"
                                .into(),
                        ),
                        Signed::Unsigned => {
                            ("[unsigned]", "carries no signed declaration".to_string())
                        }
                        Signed::Invalid { reasons } => ("[INVALID]", reasons.join("; ")),
                    };
                    t.row([
                        mark.to_string(),
                        f.pf_id.to_string(),
                        f.status.clone().unwrap_or_else(|| "?".into()),
                        f.product.clone().unwrap_or_else(|| "?".into()),
                        detail,
                    ]);
                }
                if !t.is_empty() {
                    out!("{}", t.render(2));
                }
                outln!(
                    "{} valid, {} invalid, {} without a signed declaration{}",
                    report.valid(),
                    report.invalid(),
                    report.unsigned(),
                    if report.signatures_required && report.unsigned() > 0 {
                        " (failed: signatures are required)"
                    } else {
                        ""
                    }
                );
                if report.trusted.is_empty() {
                    outln!("WARNING {no_trust}");
                }
            }
            let failed = report.failed() > 0;
            Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Clients {
            command:
                ClientsCommand::Credentials { file, client, client_id, client_secret_file, token_url },
        } => {
            let secret = match client_secret_file {
                Some(path) => read_secret_file(&path)?,
                None => std::env::var(RECIPIENT_SECRET_VARIABLE).map_err(|_| {
                    pcf::Error::Usage(format!(
                        "no secret: give --client-secret-file PATH or set {RECIPIENT_SECRET_VARIABLE}"
                    ))
                })?,
            };
            let existing = match std::fs::read_to_string(&file) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => return Err(pcf::Error::io(&file, &e)),
            };
            let text = pcf::exchange::delivery::recipients::with_entry(
                &existing,
                &client,
                &client_id,
                &secret,
                token_url.as_deref(),
            )
            .map_err(|e| pcf::Error::Usage(format!("{}: {e}", file.display())))?;
            pcf::atomic::write_replace(&file, text.as_bytes(), pcf::atomic::Mode::Private)
                .map_err(|e| pcf::Error::io(&file, &e))?;
            println!(
                "stored the credentials for answers to client {client:?} in {} (owner only)",
                file.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Clients { command: ClientsCommand::Add { file, id, secret, events_urls } } => {
            let existing = match std::fs::read_to_string(&file) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => return Err(pcf::Error::io(&file, &e)),
            };
            let clients = pcf::exchange::auth::Clients::parse(&existing)
                .map_err(|e| pcf::Error::Usage(format!("{}: {e}", file.display())))?;
            if clients.get(&id).is_some() {
                return Err(pcf::Error::Usage(format!(
                    "{}: client {id:?} exists already",
                    file.display()
                )));
            }
            let generated = secret.is_none();
            let secret = match secret {
                Some(s) => s,
                None => pcf::exchange::auth::generate_secret()?,
            };
            let hash = pcf::exchange::auth::hash_secret(&secret)?;
            let entry = pcf::exchange::auth::client_entry(&id, &hash, &events_urls)
                .map_err(pcf::Error::Usage)?;
            let mut text = existing;
            if text.is_empty() {
                text.push_str(
                    "# Clients of `pcf serve`: ids with Argon2id hashes of their secrets\n\
                     # (`pcf clients add` appends entries).\n",
                );
            }
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push('\n');
            text.push_str(&entry);
            pcf::atomic::write_replace(&file, text.as_bytes(), pcf::atomic::Mode::Public)
                .map_err(|e| pcf::Error::io(&file, &e))?;
            println!("added client {id:?} to {}", file.display());
            if generated {
                println!("client secret (shown once; only its hash is stored): {secret}");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Where `pcf serve` keeps its state by default: beside the register, never in it (serving
/// only reads the register).
fn default_state_dir(register: &std::path::Path) -> PathBuf {
    let absolute = std::path::absolute(register).unwrap_or_else(|_| register.to_path_buf());
    match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => parent.join(format!("{}.serve", name.to_string_lossy())),
        _ => register.join(".serve"),
    }
}

/// The environment variable `pcf clients credentials` reads the secret from.
const RECIPIENT_SECRET_VARIABLE: &str = "PCF_RECIPIENT_SECRET";

/// The environment variable `pcf fetch` reads the client secret from.
const SECRET_VARIABLE: &str = "PCF_CLIENT_SECRET";
/// Largest client secret file read.
const MAX_SECRET_FILE: u64 = 4096;

/// The client secret: `--client-secret`, else `--client-secret-file`, else the environment.
fn client_secret_from(
    flag: Option<String>,
    file: Option<&std::path::Path>,
) -> Result<ClientSecret, pcf::Error> {
    let secret = match (flag, file) {
        (Some(s), _) => s,
        (None, Some(path)) => read_secret_file(path)?,
        (None, None) => match std::env::var(SECRET_VARIABLE) {
            Ok(s) => s,
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(pcf::Error::Usage(format!("{SECRET_VARIABLE} is not valid UTF-8")));
            }
            Err(std::env::VarError::NotPresent) => {
                return Err(pcf::Error::Usage(format!(
                    "no client secret: give --client-secret-file PATH or set {SECRET_VARIABLE} \
                     (--client-secret works too but is visible to other users in ps)"
                )));
            }
        },
    };
    if secret.is_empty() {
        return Err(pcf::Error::Usage("the client secret is empty".into()));
    }
    Ok(ClientSecret::new(secret))
}

/// The first line of a secret file, without its line ending; refuses a file that holds more.
fn read_secret_file(path: &std::path::Path) -> Result<String, pcf::Error> {
    use std::io::Read as _;
    let file = std::fs::File::open(path).map_err(|e| pcf::Error::io(path, &e))?;
    #[cfg(unix)]
    if let Ok(meta) = file.metadata() {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "pcf fetch: warning: {} is readable by other users; chmod 600 it",
                path.display()
            );
        }
    }
    let mut text = String::new();
    file.take(MAX_SECRET_FILE + 1)
        .read_to_string(&mut text)
        .map_err(|e| pcf::Error::io(path, &e))?;
    if text.len() as u64 > MAX_SECRET_FILE {
        return Err(pcf::Error::Usage(format!(
            "{}: longer than {MAX_SECRET_FILE} bytes; a client secret file holds one line",
            path.display()
        )));
    }
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.contains(['\n', '\r']) {
        return Err(pcf::Error::Usage(format!(
            "{}: more than one line; a client secret file holds the secret alone",
            path.display()
        )));
    }
    Ok(line.to_string())
}

/// The async runtime of the commands that talk HTTP.
pub fn runtime() -> Result<tokio::runtime::Runtime, pcf::Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| pcf::Error::Usage(format!("cannot start the async runtime: {e}")))
}
