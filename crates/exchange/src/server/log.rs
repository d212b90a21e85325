//! The register's transparency log as static resources (C2SP `tlog-tiles`), public and
//! cacheable, when the server is started with `publish_log`:
//!
//! | path | what | cache |
//! | --- | --- | --- |
//! | `/log/checkpoint` | the latest signed checkpoint | a few seconds |
//! | `/log/tile/<L>/<N>[.p/<W>]` | hash tiles | immutable |
//! | `/log/tile/entries/<N>[.p/<W>]` | entry bundles: each entry as a big-endian uint16 length and its canonical JSON (the Merkle leaf) | immutable |
//!
//! With a status list file, `/status-list` serves it (see `register::status_list`).
//!
//! Tiles are served up to the register's size; a tile beyond it is 404. The entries are the
//! register's own (declaration digests, footprint and product ids): publishing them is the
//! issuer's choice, hence the switch.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use pcf_trust::register::note::{Checkpoint, Note, Verifier};
use pcf_trust::register::{CHECKPOINTS, Register, RegisterError};

use super::state::Shared;
use crate::tiles::{Tile, TileKind};

/// `Cache-Control` of the checkpoint, which changes.
const CHECKPOINT_CACHE: &str = "public, max-age=5";
/// `Cache-Control` of the status list, which changes when a declaration is deprecated.
const STATUS_LIST_CACHE: &str = "public, max-age=60";
/// `Cache-Control` of tiles and bundles, which never change once served.
const TILE_CACHE: &str = "public, max-age=31536000, immutable";

pub(super) async fn checkpoint(State(state): State<Shared>) -> Response {
    let dir = state.snapshot().dir().to_path_buf();
    let found = tokio::task::spawn_blocking(move || latest_checkpoint(&dir)).await;
    match found {
        Ok(Ok(Some(note))) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, CHECKPOINT_CACHE),
            ],
            note,
        )
            .into_response(),
        Ok(Ok(None)) => not_found("the register has no signed checkpoint yet"),
        Ok(Err(e)) => failed(&state, &e),
        Err(_) => failed(&state, &"the checkpoint reader failed"),
    }
}

pub(super) async fn tile(State(state): State<Shared>, Path(path): Path<String>) -> Response {
    let Some(tile) = Tile::parse(&format!("tile/{path}")) else {
        return not_found("not a tile path (C2SP tlog-tiles)");
    };
    let dir = state.snapshot().dir().to_path_buf();
    let found = tokio::task::spawn_blocking(move || {
        let register = Register::open(&dir)?;
        tile_bytes(&register, &tile)
    })
    .await;
    match found {
        Ok(Ok(Some(bytes))) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, TILE_CACHE),
            ],
            bytes,
        )
            .into_response(),
        Ok(Ok(None)) => not_found("beyond the log"),
        Ok(Err(e)) => failed(&state, &e),
        Err(_) => failed(&state, &"the tile reader failed"),
    }
}

/// The largest status list file served.
const MAX_STATUS_LIST: u64 = 1 << 20;

/// The issuer's status list credential, as `pcf register status-list` wrote it (signed by the
/// issuer; the server only passes it on).
pub(super) async fn status_list(State(state): State<Shared>) -> Response {
    let Some(path) = state.status_list.clone() else {
        return not_found("no status list is served here");
    };
    let read = tokio::task::spawn_blocking(move || {
        use std::io::Read as _;
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .and_then(|f| f.take(MAX_STATUS_LIST + 1).read_to_end(&mut bytes))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        if bytes.len() as u64 > MAX_STATUS_LIST {
            return Err(format!("{}: over {MAX_STATUS_LIST} bytes", path.display()));
        }
        Ok(bytes)
    })
    .await;
    match read {
        Ok(Ok(bytes)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, crate::catalogue::CREDENTIAL_MEDIA_TYPE),
                (header::CACHE_CONTROL, STATUS_LIST_CACHE),
            ],
            bytes,
        )
            .into_response(),
        Ok(Err(e)) => failed(&state, &e),
        Err(_) => failed(&state, &"the status list reader failed"),
    }
}

/// The tile's bytes, or `None` if the register does not hold it whole.
pub fn tile_bytes(register: &Register, tile: &Tile) -> Result<Option<Vec<u8>>, RegisterError> {
    // Checked here first: a tile beyond the log is a 404, not an error (and levels past the
    // 64-bit tree are never asked of the register).
    if !tile.within(register.size()?) {
        return Ok(None);
    }
    match tile.kind {
        TileKind::Hashes { level } => register.tile(level, tile.index, tile.width).map(Some),
        TileKind::Entries => register.entry_bundle(tile.index, tile.width).map(Some),
    }
}

/// The latest checkpoint stored in the register, checked against the did:key it names.
fn latest_checkpoint(dir: &std::path::Path) -> Result<Option<String>, String> {
    let cps = dir.join(CHECKPOINTS);
    let mut names: Vec<String> = match std::fs::read_dir(&cps) {
        Ok(read) => read
            .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
            .filter(|n| n.len() == 24 && n.ends_with(".txt"))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", cps.display())),
    };
    names.sort();
    let Some(name) = names.pop() else { return Ok(None) };
    let path = cps.join(name);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let origin = Note::parse(&text)
        .and_then(|n| Checkpoint::parse(&n.text))
        .map_err(|e| format!("{}: {e}", path.display()))?
        .origin;
    let issuer = Verifier::for_did_key(&origin).map_err(|e| format!("{}: {e}", path.display()))?;
    let register = Register::open(dir).map_err(|e| e.to_string())?;
    let latest = register.latest_checkpoint(&issuer).map_err(|e| e.to_string())?;
    Ok(latest.map(|c| c.note))
}

fn not_found(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

fn failed(state: &Shared, e: &dyn std::fmt::Display) -> Response {
    if state.log {
        eprintln!("pcf serve: the log cannot be served: {e}");
    }
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "the log cannot be read\n",
    )
        .into_response()
}
