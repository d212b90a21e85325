//! The register's Merkle tree on disk, laid out as C2SP `tlog-tiles` lays out a log: hash
//! tiles of height 8 under `log/tile/<L>/<N>[.p/<W>]`. A level-`L` tile holds up to 256
//! hashes of perfect subtrees of 256^L leaves (level 0: the leaf hashes); a full tile is
//! written once under its index, and the right edge of the tree as a partial tile of width `W`.
//!
//! An append writes the partial tile it extends (and, every 256 appends, the tile above),
//! reading only the tiles on the tree's right edge: O(log n) reads and writes whatever the
//! log's size. Any perfect subtree's hash is one tile read plus at most 127 hashes, so a tree
//! head or a proof reads O(log n) tiles. The directory `log/` is what `pcf serve` publishes.
//!
//! Tiles are derived from the entries (the entries stay the record): each is written with
//! [`write_new`] (complete or absent after a crash), a tile already there must hold the same
//! hashes, and a partial tile is removed only after the wider one that replaces it is on disk
//! and the index says so.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use pcf_base::atomic::{Mode, write_new};

use super::merkle::{Hash, Nodes, ProofError, node_hash};
use super::{RegisterError, io_error};

/// Hashes per full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels per tile level.
const TILE_HEIGHT: u32 = 8;

/// The path of a hash tile relative to the log directory: `tile/<L>/<N>` for a full tile,
/// `tile/<L>/<N>.p/<W>` for a partial one of `width` hashes.
pub fn tile_path(level: u8, index: u64, width: u64) -> String {
    format!("tile/{level}/{}", indexed(index, width))
}

/// The path of an entry bundle relative to the log directory: `tile/entries/<N>[.p/<W>]`.
pub fn entries_path(index: u64, width: u64) -> String {
    format!("tile/entries/{}", indexed(index, width))
}

/// `<N>` in tlog-tiles' encoding (3-digit groups, all but the last prefixed with `x`), with
/// `.p/<W>` for a partial tile.
fn indexed(index: u64, width: u64) -> String {
    let mut groups = vec![format!("{:03}", index % 1000)];
    let mut n = index / 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    let path = groups.join("/");
    if width < TILE_WIDTH { format!("{path}.p/{width}") } else { path }
}

/// How many hashes tile `index` of `level` holds in a tree of `size` leaves (0: none yet).
pub fn tile_width(level: u8, index: u64, size: u64) -> u64 {
    let hashes = size >> (TILE_HEIGHT * u32::from(level));
    hashes.saturating_sub(index.saturating_mul(TILE_WIDTH)).min(TILE_WIDTH)
}

/// The root of a perfect subtree given its leaves' hashes (a power of two of them).
fn perfect_root(hashes: &[Hash]) -> Hash {
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level.chunks(2).map(|p| node_hash(&p[0], &p[1])).collect();
    }
    level[0]
}

/// The hash tiles in a register's `log/` directory.
#[derive(Debug, Clone)]
pub(super) struct Tiles {
    dir: PathBuf,
}

fn damaged(path: &Path, what: &str) -> RegisterError {
    RegisterError::Checkpoint {
        message: format!(
            "{}: {what}; the log's tiles are derived from the entries: remove the register's \
             log/tile and index directories and they are rebuilt on the next command",
            path.display()
        ),
    }
}

impl Tiles {
    pub(super) fn new(log_dir: PathBuf) -> Tiles {
        Tiles { dir: log_dir }
    }

    fn path(&self, level: u8, index: u64, width: u64) -> PathBuf {
        self.dir.join(tile_path(level, index, width))
    }

    /// The first `width` hashes of a tile: from the tile of that width, or else from a wider
    /// one (a partial tile is removed once a wider one is written).
    pub(super) fn read(
        &self,
        level: u8,
        index: u64,
        width: u64,
    ) -> Result<Vec<Hash>, RegisterError> {
        let mut widths = vec![width];
        if width < TILE_WIDTH {
            widths.push(TILE_WIDTH);
            let partial =
                PathBuf::from(format!("{}.p", self.path(level, index, TILE_WIDTH).display()));
            if let Ok(read) = fs::read_dir(&partial) {
                let mut wider: Vec<u64> = read
                    .filter_map(|e| e.ok().and_then(|e| e.file_name().to_str()?.parse().ok()))
                    .filter(|w| *w > width && *w < TILE_WIDTH)
                    .collect();
                wider.sort_unstable();
                widths.extend(wider);
            }
        }
        for stored in widths {
            let path = self.path(level, index, stored);
            let bytes = match fs::read(&path) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_error("read", &path, &e)),
            };
            if bytes.len() as u64 != stored * 32 {
                return Err(damaged(&path, &format!("{} bytes, not {}", bytes.len(), stored * 32)));
            }
            return Ok(bytes
                .chunks_exact(32)
                .take(usize::try_from(width).unwrap_or(usize::MAX))
                .map(|c| c.try_into().unwrap_or([0; 32]))
                .collect());
        }
        Err(damaged(&self.path(level, index, width), "missing"))
    }

    /// Writes a tile once; a tile already there must hold the same hashes.
    fn write(&self, level: u8, index: u64, hashes: &[Hash]) -> Result<(), RegisterError> {
        let path = self.path(level, index, hashes.len() as u64);
        let bytes = hashes.concat();
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| io_error("create", parent, &e))?;
        }
        match write_new(&path, &bytes, Mode::Public) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let stored = fs::read(&path).map_err(|e| io_error("read", &path, &e))?;
                if stored == bytes {
                    Ok(())
                } else {
                    Err(damaged(&path, "holds other hashes than the entries give"))
                }
            }
            Err(e) => Err(io_error("write", &path, &e)),
        }
    }

    /// Adds leaf `leaf` to a tree of `size` leaves. Returns the partial tiles it makes
    /// obsolete, to remove once the new size is recorded.
    pub(super) fn append(&self, size: u64, leaf: Hash) -> Result<Vec<PathBuf>, RegisterError> {
        let new_size = size + 1;
        let mut obsolete = Vec::new();
        let mut hash = leaf;
        let mut level: u8 = 0;
        loop {
            // The hash added at this level is its (count - 1)th.
            let count = new_size >> (TILE_HEIGHT * u32::from(level));
            let index = (count - 1) / TILE_WIDTH;
            let position = (count - 1) % TILE_WIDTH;
            let mut hashes =
                if position > 0 { self.read(level, index, position)? } else { Vec::new() };
            hashes.push(hash);
            self.write(level, index, &hashes)?;
            if position > 0 {
                obsolete.push(self.path(level, index, position));
            }
            if (hashes.len() as u64) < TILE_WIDTH {
                return Ok(obsolete);
            }
            hash = perfect_root(&hashes);
            level += 1;
        }
    }

    /// Removes obsolete partial tiles (and their `.p` directory once empty). Failing to
    /// remove one leaves a harmless extra file.
    pub(super) fn remove(&self, obsolete: &[PathBuf]) {
        for path in obsolete {
            let _ = fs::remove_file(path);
            if let Some(parent) = path.parent() {
                let _ = fs::remove_dir(parent);
            }
        }
    }

    /// The tree of the first `size` leaves, read from the tiles.
    pub(super) fn nodes(&self, size: u64) -> TileNodes<'_> {
        TileNodes { tiles: self, size, cache: RefCell::default() }
    }
}

/// A tile's hashes, shared by the proofs that read it.
type Tile = Rc<Vec<Hash>>;

/// Perfect-subtree hashes of a tree of `size` leaves, read from its tiles (each tile read at
/// most once).
pub(super) struct TileNodes<'a> {
    tiles: &'a Tiles,
    size: u64,
    cache: RefCell<HashMap<(u8, u64), Tile>>,
}

impl TileNodes<'_> {
    /// The hashes of tile `index` at `level` as they are at this size.
    pub(super) fn tile(&self, level: u8, index: u64) -> Result<Tile, RegisterError> {
        if let Some(hashes) = self.cache.borrow().get(&(level, index)) {
            return Ok(Rc::clone(hashes));
        }
        let width = tile_width(level, index, self.size);
        let hashes = Rc::new(self.tiles.read(level, index, width)?);
        self.cache.borrow_mut().insert((level, index), Rc::clone(&hashes));
        Ok(hashes)
    }
}

impl Nodes for TileNodes<'_> {
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
        let missing = || ProofError::Missing(format!("level {level}, index {index}"));
        let tile_level = u8::try_from(level / TILE_HEIGHT).map_err(|_| missing())?;
        let within = level % TILE_HEIGHT;
        let first = index.checked_shl(within).ok_or_else(missing)?;
        let count = 1u64 << within;
        let tile = first / TILE_WIDTH;
        let offset = first % TILE_WIDTH;
        if offset + count > tile_width(tile_level, tile, self.size) {
            return Err(missing());
        }
        let hashes = self.tile(tile_level, tile).map_err(|e| ProofError::Missing(e.to_string()))?;
        let range = usize::try_from(offset).map_err(|_| missing())?
            ..usize::try_from(offset + count).map_err(|_| missing())?;
        Ok(perfect_root(&hashes[range]))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::register::merkle::{self, MemoryTree, leaf_hash};

    #[test]
    fn paths_follow_tlog_tiles() {
        assert_eq!(tile_path(0, 0, 256), "tile/0/000");
        assert_eq!(tile_path(0, 67, 7), "tile/0/067.p/7");
        assert_eq!(tile_path(1, 1234, 256), "tile/1/x001/234");
        assert_eq!(tile_path(2, 1_234_067, 256), "tile/2/x001/x234/067");
        assert_eq!(entries_path(1000, 1), "tile/entries/x001/000.p/1");
        assert_eq!(tile_width(0, 0, 300), 256);
        assert_eq!(tile_width(0, 1, 300), 44);
        assert_eq!(tile_width(1, 0, 300), 1);
        assert_eq!(tile_width(0, 2, 300), 0);
    }

    #[test]
    fn tiles_give_the_roots_and_proofs_of_a_tree_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let tiles = Tiles::new(dir.path().to_path_buf());
        let mut memory = MemoryTree::new();
        // Crosses a full level-0 tile and fills a level-1 hash at 256 and 512.
        for i in 0..600u64 {
            let leaf = leaf_hash(&i.to_be_bytes());
            let obsolete = tiles.append(i, leaf).unwrap();
            tiles.remove(&obsolete);
            memory.push_hash(leaf);
            let size = i + 1;
            if [1, 2, 3, 255, 256, 257, 511, 512, 513, 600].contains(&size) {
                let nodes = tiles.nodes(size);
                assert_eq!(merkle::root(&nodes, size).unwrap(), memory.root(), "size {size}");
                for index in [0, size / 2, size - 1] {
                    assert_eq!(
                        merkle::inclusion_proof(&nodes, index, size).unwrap(),
                        merkle::inclusion_proof(&memory, index, size).unwrap()
                    );
                }
                for old in [1, size / 3 + 1, size] {
                    assert_eq!(
                        merkle::consistency_proof(&nodes, old, size).unwrap(),
                        merkle::consistency_proof(&memory, old, size).unwrap()
                    );
                }
            }
        }
        // Only the right edge is partial: full tiles 0 and 1 of level 0, then 88 leaves.
        assert!(dir.path().join("tile/0/000").is_file());
        assert!(dir.path().join("tile/0/001").is_file());
        assert!(dir.path().join("tile/0/002.p/88").is_file());
        assert!(!dir.path().join("tile/0/002.p/87").exists());
        assert!(!dir.path().join("tile/0/000.p").exists());
        assert!(dir.path().join("tile/1/000.p/2").is_file());
    }

    #[test]
    fn a_damaged_tile_is_reported_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let tiles = Tiles::new(dir.path().to_path_buf());
        for i in 0..3u64 {
            let obsolete = tiles.append(i, leaf_hash(&[i as u8])).unwrap();
            tiles.remove(&obsolete);
        }
        std::fs::write(dir.path().join("tile/0/000.p/3"), [0u8; 95]).unwrap();
        let err = merkle::root(&tiles.nodes(3), 3).unwrap_err().to_string();
        assert!(err.contains("000.p/3") && err.contains("rebuilt"), "{err}");
        // Appending over a tile that holds other hashes is refused.
        std::fs::write(dir.path().join("tile/0/000.p/3"), [0u8; 96]).unwrap();
        std::fs::write(dir.path().join("tile/0/000.p/4"), [1u8; 128]).unwrap();
        let err = tiles.append(3, leaf_hash(&[3])).unwrap_err().to_string();
        assert!(err.contains("other hashes"), "{err}");
    }
}
