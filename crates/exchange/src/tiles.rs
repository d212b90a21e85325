//! C2SP `tlog-tiles` paths: where a tiled transparency log serves its hash tiles
//! (`tile/<L>/<N>[.p/<W>]`) and entry bundles (`tile/entries/<N>[.p/<W>]`), with the tile
//! index `N` written in 3-digit path elements, all but the last prefixed with `x`
//! (`1234067` is `x001/x234/067`). A parser and a printer; each tile has exactly one path.
//!
//! ```
//! use pcf_exchange::tiles::{Tile, TileKind};
//!
//! let tile = Tile { kind: TileKind::Hashes { level: 0 }, index: 1234067, width: 256 };
//! assert_eq!(tile.path(), "tile/0/x001/x234/067");
//! assert_eq!(Tile::parse("tile/0/x001/x234/067"), Some(tile));
//! ```

/// Hashes in a full tile, entries in a full bundle.
pub const FULL: u16 = 256;

/// Which resource a tile path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileKind {
    /// A tile of Merkle tree hashes at `level` (0: leaf hashes; `level` 0 to 63).
    Hashes {
        /// The tile level.
        level: u8,
    },
    /// An entry bundle: the entries behind the level-0 tile of the same index.
    Entries,
}

/// A tile or entry bundle: its kind, index within its level and width (1 to 256; below 256
/// a partial tile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    /// Hash tile or entry bundle.
    pub kind: TileKind,
    /// The index of the tile within its level.
    pub index: u64,
    /// How many hashes (or entries) it holds.
    pub width: u16,
}

impl Tile {
    /// The path of the tile under a log's prefix (no leading slash).
    pub fn path(&self) -> String {
        let level = match self.kind {
            TileKind::Hashes { level } => level.to_string(),
            TileKind::Entries => "entries".to_string(),
        };
        let mut path = format!("tile/{level}/{}", encode_index(self.index));
        if self.width < FULL {
            path.push_str(&format!(".p/{}", self.width));
        }
        path
    }

    /// Parses a tile path (`tile/...`, no leading slash); `None` unless it is the one path of
    /// a tile.
    pub fn parse(path: &str) -> Option<Tile> {
        let rest = path.strip_prefix("tile/")?;
        let (level, rest) = rest.split_once('/')?;
        let kind = if level == "entries" {
            TileKind::Entries
        } else {
            let level = decimal(level)?;
            if level > 63 {
                return None;
            }
            TileKind::Hashes { level: u8::try_from(level).ok()? }
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((index, width)) => {
                let width = decimal(width)?;
                if !(1..u64::from(FULL)).contains(&width) {
                    return None;
                }
                (index, u16::try_from(width).ok()?)
            }
            None => (rest, FULL),
        };
        Some(Tile { kind, index: decode_index(index)?, width })
    }

    /// The number of level-0 entries one hash of this tile stands for: 256^level.
    pub fn span(&self) -> Option<u64> {
        match self.kind {
            TileKind::Hashes { level } => 256u64.checked_pow(u32::from(level)),
            TileKind::Entries => Some(1),
        }
    }

    /// Whether a tree of `size` leaves holds this whole tile: a full tile must be complete, a
    /// partial one at most as wide as the level's last (partial) tile at that size.
    pub fn within(&self, size: u64) -> bool {
        let Some(span) = self.span() else { return false };
        let at_level = size / span;
        let Some(end) = self
            .index
            .checked_mul(u64::from(FULL))
            .and_then(|s| s.checked_add(u64::from(self.width)))
        else {
            return false;
        };
        end <= at_level
    }
}

/// The tile index as path elements: zero-padded groups of three digits, all but the last
/// prefixed with `x`.
pub fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// The index a tile index path names; `None` unless it is the one encoding of an index.
pub fn decode_index(path: &str) -> Option<u64> {
    let elements: Vec<&str> = path.split('/').collect();
    let (last, leading) = elements.split_last()?;
    let mut n: u64 = 0;
    for (i, e) in leading.iter().enumerate() {
        let digits = e.strip_prefix('x')?;
        // A leading zero group would give a second path to the same tile.
        if i == 0 && digits == "000" {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(group(digits)?)?;
    }
    n.checked_mul(1000)?.checked_add(group(last)?)
}

fn group(digits: &str) -> Option<u64> {
    (digits.len() == 3 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// A decimal with no leading zeros.
fn decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tile_indices_are_written_in_groups_of_three() {
        for (n, path) in [
            (0, "000"),
            (7, "007"),
            (999, "999"),
            (1000, "x001/000"),
            (1234067, "x001/x234/067"),
            (u64::MAX, "x018/x446/x744/x073/x709/x551/615"),
        ] {
            assert_eq!(encode_index(n), path);
            assert_eq!(decode_index(path), Some(n), "{path}");
        }
        for bad in [
            "",
            "1",
            "01",
            "0000",
            "x001",
            "001/002",
            "x000/001",
            "x1/001",
            "x001/x002",
            "x0a1/000",
            "x001//000",
            "x018/x446/x744/x073/x709/x551/616",
        ] {
            assert_eq!(decode_index(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tile_paths_round_trip_and_only_canonical_ones_parse() {
        let tiles = [
            Tile { kind: TileKind::Hashes { level: 0 }, index: 0, width: 256 },
            Tile { kind: TileKind::Hashes { level: 2 }, index: 1234, width: 17 },
            Tile { kind: TileKind::Entries, index: 1234067, width: 1 },
            Tile { kind: TileKind::Hashes { level: 63 }, index: 5, width: 255 },
        ];
        let paths = [
            "tile/0/000",
            "tile/2/x001/234.p/17",
            "tile/entries/x001/x234/067.p/1",
            "tile/63/005.p/255",
        ];
        for (t, p) in tiles.iter().zip(paths) {
            assert_eq!(t.path(), p);
            assert_eq!(Tile::parse(p), Some(*t));
        }
        for bad in [
            "tile/64/000",
            "tile/01/000",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/07",
            "tile/0/000.p/",
            "tile/x/000",
            "tile/0/",
            "tile/entries/000.p/1/2",
            "tiles/0/000",
        ] {
            assert_eq!(Tile::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn paths_are_those_the_register_stores_tiles_under() {
        for (level, index, width) in [(0, 0, 256), (1, 1234067, 17), (5, 999, 1), (0, 1000, 255)] {
            let t = Tile { kind: TileKind::Hashes { level }, index, width };
            assert_eq!(
                t.path(),
                pcf_trust::register::tiles::tile_path(level, index, u64::from(width))
            );
            let e = Tile { kind: TileKind::Entries, index, width };
            assert_eq!(e.path(), pcf_trust::register::tiles::entries_path(index, u64::from(width)));
        }
    }

    #[test]
    fn which_tiles_a_tree_holds() {
        let t = |level, index, width| Tile { kind: TileKind::Hashes { level }, index, width };
        // 70,000 leaves: 273 full level-0 tiles and one of width 112, one full level-1 tile
        // and one of width 17, one level-2 tile of width 1.
        assert!(t(0, 272, 256).within(70_000));
        assert!(!t(0, 273, 256).within(70_000));
        assert!(t(0, 273, 112).within(70_000));
        assert!(!t(0, 273, 113).within(70_000));
        assert!(t(1, 0, 256).within(70_000));
        assert!(t(1, 1, 17).within(70_000));
        assert!(!t(1, 1, 18).within(70_000));
        assert!(t(2, 0, 1).within(70_000));
        assert!(!t(2, 0, 2).within(70_000));
        assert!(!t(63, 0, 1).within(u64::MAX));
        assert!(!t(0, u64::MAX, 256).within(u64::MAX));
    }
}
