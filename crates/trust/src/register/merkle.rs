//! The register's Merkle tree, as RFC 9162 (Certificate Transparency v2) §2.1 defines it: leaf
//! hash SHA-256(0x00 || entry), interior hash SHA-256(0x01 || left || right), the tree head of
//! any size, inclusion proofs and consistency proofs, and their verification.
//!
//! Proofs are built from the hashes of *perfect* subtrees (2^level leaves starting at a
//! multiple of 2^level), which a [`Nodes`] store keeps; any proof or tree head then reads
//! O(log n) of them. [`MemoryTree`] is such a store in memory; the register keeps the same
//! hashes on disk.

use sha2::{Digest as _, Sha256};

/// A SHA-256 hash.
pub type Hash = [u8; 32];

/// The root of the empty tree: SHA-256 of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The hash of a leaf: SHA-256(0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// The hash of an interior node: SHA-256(0x01 || left || right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Why a proof does not verify or cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// The index or sizes are impossible (a leaf past the end, a smaller later tree, ...).
    #[error("{0}")]
    Range(String),
    /// The proof has the wrong number of hashes for its sizes.
    #[error("the proof has {got} hashes where {want} are needed")]
    Length {
        /// Hashes in the proof.
        got: usize,
        /// Hashes the sizes call for.
        want: usize,
    },
    /// The proof leads to another root than the one given.
    #[error("the proof leads to root {computed}, not {expected}")]
    RootMismatch {
        /// Root computed from the proof (hex).
        computed: String,
        /// Root given (hex).
        expected: String,
    },
    /// The proof's hashes do not fit its sizes.
    #[error("{0}")]
    Shape(String),
    /// The store does not hold a hash the proof needs.
    #[error("the tree store has no hash for {0}")]
    Missing(String),
}

/// A store of perfect-subtree hashes: `node(level, index)` is the hash of leaves
/// `index * 2^level .. (index + 1) * 2^level` (level 0: the leaf hashes).
pub trait Nodes {
    /// The hash of a perfect subtree, or [`ProofError::Missing`] if the store lacks it.
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError>;
}

/// The largest power of two strictly below `n` (n > 1).
fn split(n: u64) -> u64 {
    debug_assert!(n > 1);
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[start..end]) for a range of the recursion of RFC 9162 (its left parts are perfect and
/// aligned), read from `nodes` in O(log n).
pub fn range_hash(nodes: &impl Nodes, start: u64, end: u64) -> Result<Hash, ProofError> {
    let n = end - start;
    if n == 0 {
        return Ok(empty_root());
    }
    if n.is_power_of_two() && start.is_multiple_of(n) {
        return nodes.node(n.trailing_zeros(), start >> n.trailing_zeros());
    }
    let k = split(n);
    Ok(node_hash(&range_hash(nodes, start, start + k)?, &range_hash(nodes, start + k, end)?))
}

/// The root of the first `size` leaves.
pub fn root(nodes: &impl Nodes, size: u64) -> Result<Hash, ProofError> {
    range_hash(nodes, 0, size)
}

/// The inclusion proof of leaf `index` in the tree of `size` leaves: `PATH(index, D[0:size])`,
/// leaf level first (RFC 9162 §2.1.3.1).
pub fn inclusion_proof(nodes: &impl Nodes, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
    if index >= size {
        return Err(ProofError::Range(format!("leaf {index} is not in a tree of {size} leaves")));
    }
    let mut proof = Vec::new();
    path(nodes, index, 0, size, &mut proof)?;
    Ok(proof)
}

fn path(
    nodes: &impl Nodes,
    m: u64,
    start: u64,
    end: u64,
    out: &mut Vec<Hash>,
) -> Result<(), ProofError> {
    let n = end - start;
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(nodes, m, start, start + k, out)?;
        out.push(range_hash(nodes, start + k, end)?);
    } else {
        path(nodes, m - k, start + k, end, out)?;
        out.push(range_hash(nodes, start, start + k)?);
    }
    Ok(())
}

/// The consistency proof between the trees of `size1` and `size2` leaves:
/// `PROOF(size1, D[0:size2])` (RFC 9162 §2.1.4.1); empty when the sizes are equal or `size1` is 0.
pub fn consistency_proof(
    nodes: &impl Nodes,
    size1: u64,
    size2: u64,
) -> Result<Vec<Hash>, ProofError> {
    if size1 > size2 {
        return Err(ProofError::Range(format!(
            "a tree of {size1} leaves cannot precede one of {size2}"
        )));
    }
    let mut proof = Vec::new();
    if size1 > 0 && size1 < size2 {
        subproof(nodes, size1, 0, size2, true, &mut proof)?;
    }
    Ok(proof)
}

fn subproof(
    nodes: &impl Nodes,
    m: u64,
    start: u64,
    end: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<(), ProofError> {
    let n = end - start;
    if m == n {
        if !complete {
            out.push(range_hash(nodes, start, end)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(nodes, m, start, start + k, complete, out)?;
        out.push(range_hash(nodes, start + k, end)?);
    } else {
        subproof(nodes, m - k, start + k, end, false, out)?;
        out.push(range_hash(nodes, start, start + k)?);
    }
    Ok(())
}

fn hex(h: &Hash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

fn matches(computed: Hash, expected: &Hash) -> Result<(), ProofError> {
    if computed == *expected {
        Ok(())
    } else {
        Err(ProofError::RootMismatch { computed: hex(&computed), expected: hex(expected) })
    }
}

/// Checks that `leaf` (a leaf hash) is leaf `index` of the tree of `size` leaves whose root is
/// `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::Range(format!("leaf {index} is not in a tree of {size} leaves")));
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return Err(ProofError::Length { got: proof.len(), want: inclusion_len(index, size) });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(ProofError::Length { got: proof.len(), want: inclusion_len(index, size) });
    }
    matches(r, root)
}

/// The number of hashes in the inclusion proof of leaf `index` in a tree of `size` leaves.
fn inclusion_len(index: u64, size: u64) -> usize {
    let (mut f, mut s, mut len) = (index, size - 1, 0);
    while s != 0 {
        if f & 1 == 1 || f == s {
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        }
        f >>= 1;
        s >>= 1;
        len += 1;
    }
    len
}

/// Checks that the tree of `size1` leaves with root `root1` is a prefix of the tree of
/// `size2` leaves with root `root2` (RFC 9162 §2.1.4.2). Equal sizes need an empty proof and
/// equal roots. A proof from the empty tree proves nothing and is refused, as transparency-dev's
/// verifier does (a witness takes its first checkpoint of a log without one).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    proof: &[Hash],
    root1: &Hash,
    root2: &Hash,
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::Range(format!(
            "a tree of {size1} leaves cannot precede one of {size2}"
        )));
    }
    if size1 == 0 {
        return Err(ProofError::Range(
            "a consistency proof from the empty tree proves nothing".into(),
        ));
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::Length { got: proof.len(), want: 0 });
        }
        return matches(*root2, root1);
    }
    let wrong = || {
        ProofError::Shape(format!(
            "{} hashes do not make a consistency proof from {size1} to {size2} leaves",
            proof.len()
        ))
    };
    if proof.is_empty() {
        return Err(wrong());
    }
    // If size1 is a power of two, the proof starts implicitly with root1.
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(*root1);
    }
    path.extend_from_slice(proof);
    let (mut f, mut s) = (size1 - 1, size2 - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if s == 0 {
            return Err(wrong());
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(wrong());
    }
    matches(fr, root1)?;
    matches(sr, root2)
}

/// A tree in memory: every perfect subtree's hash, level by level. Appending a leaf costs
/// O(1) amortized hashes.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> MemoryTree {
        MemoryTree::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf (its entry's bytes), completing every perfect subtree it closes.
    pub fn push(&mut self, entry: &[u8]) {
        self.push_hash(leaf_hash(entry));
    }

    /// Appends a leaf hash.
    pub fn push_hash(&mut self, leaf: Hash) {
        let mut h = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(h);
            let len = self.levels[level].len();
            if len % 2 == 1 {
                break;
            }
            h = node_hash(&self.levels[level][len - 2], &self.levels[level][len - 1]);
            level += 1;
        }
    }

    /// The root of the whole tree.
    pub fn root(&self) -> Hash {
        // The store holds every perfect subtree of the current size.
        root(self, self.size()).unwrap_or_else(|_| empty_root())
    }
}

impl Nodes for MemoryTree {
    fn node(&self, level: u32, index: u64) -> Result<Hash, ProofError> {
        self.levels
            .get(level as usize)
            .and_then(|l| usize::try_from(index).ok().and_then(|i| l.get(i)))
            .copied()
            .ok_or_else(|| ProofError::Missing(format!("level {level}, index {index}")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// MTH by the RFC's recursive definition, straight from the leaves.
    fn mth(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => empty_root(),
            1 => leaves[0],
            n => {
                let k = split(n as u64) as usize;
                node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn every_proof_of_every_small_tree_verifies_and_the_roots_match_the_definition() {
        let mut tree = MemoryTree::new();
        let mut leaves = Vec::new();
        let mut roots = vec![empty_root()];
        for i in 0..70u64 {
            let entry = i.to_be_bytes();
            tree.push(&entry);
            leaves.push(leaf_hash(&entry));
            assert_eq!(tree.root(), mth(&leaves), "size {}", i + 1);
            roots.push(tree.root());
        }
        for size in 1..=70u64 {
            let r = root(&tree, size).unwrap();
            assert_eq!(r, roots[size as usize]);
            for index in 0..size {
                let p = inclusion_proof(&tree, index, size).unwrap();
                assert_eq!(p.len(), inclusion_len(index, size));
                verify_inclusion(&leaves[index as usize], index, size, &p, &r).unwrap();
                // Another leaf, or another index, fails.
                let other = leaf_hash(b"other");
                assert!(verify_inclusion(&other, index, size, &p, &r).is_err());
                if size > 1 {
                    assert!(
                        verify_inclusion(&leaves[index as usize], (index + 1) % size, size, &p, &r)
                            .is_err()
                    );
                }
            }
            for size1 in 1..=size {
                let p = consistency_proof(&tree, size1, size).unwrap();
                verify_consistency(size1, size, &p, &roots[size1 as usize], &r).unwrap();
                if size1 > 0 && size1 < size {
                    // A forked history (another root for the earlier size) fails.
                    let forked = leaf_hash(b"fork");
                    assert!(verify_consistency(size1, size, &p, &forked, &r).is_err());
                }
            }
        }
    }
}
