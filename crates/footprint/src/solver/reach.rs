//! The supply of one product over its own supply chain: [`Factorization::supply_chain`] visits
//! only the products the chain reaches (a depth-first walk over suppliers), so its cost follows
//! the size of that chain, not of the whole technosphere. The arithmetic is that of
//! [`Factorization::supply`] in the same order, so the values are the same bit for bit.

use super::Factorization;

/// Reusable scratch space for [`Factorization::supply_chain`]: one dense value and one mark
/// per product, reset after each use by visiting only the entries the chain touched.
#[derive(Debug, Default, Clone)]
pub struct ChainScratch {
    w: Vec<f64>,
    seen: Vec<bool>,
    stack: Vec<u32>,
    reached: Vec<u32>,
    block_rhs: Vec<f64>,
}

impl Factorization {
    /// The activity of every product the supply chain of `demand_units` of product `j` runs,
    /// as `(product, activity)` pairs in ascending product order, zero activities left out:
    /// the non-zero entries of [`Factorization::supply`] for a demand of `demand_units` of
    /// `j` alone, computed over the chain only.
    ///
    /// # Panics
    ///
    /// If `j` is not a product.
    pub fn supply_chain(
        &self,
        j: usize,
        demand_units: f64,
        scratch: &mut ChainScratch,
    ) -> Vec<(usize, f64)> {
        let n = self.n;
        assert!(j < n, "supply_chain: product {j} out of range ({n} products)");
        let s = scratch;
        if s.w.len() != n {
            s.w = vec![0.0; n];
            s.seen = vec![false; n];
        }
        // Reach: every position the chain of `j` runs, by a depth-first walk over suppliers.
        s.reached.clear();
        s.stack.clear();
        let start = self.pos[j];
        s.seen[start as usize] = true;
        s.stack.push(start);
        while let Some(p) = s.stack.pop() {
            s.reached.push(p);
            let p = p as usize;
            for &i in &self.supplier[self.ptr[p]..self.ptr[p + 1]] {
                if !s.seen[i as usize] {
                    s.seen[i as usize] = true;
                    s.stack.push(i);
                }
            }
        }
        // Consumers first, as in `supply`: descending solve positions.
        s.reached.sort_unstable_by(|a, b| b.cmp(a));
        s.w[start as usize] = demand_units;
        let mut k = 0;
        while k < s.reached.len() {
            let p = s.reached[k] as usize;
            if let Some(b) = self.block_at(p) {
                // A loop: every member is reached (it is strongly connected), and `p` is its
                // last position, so the whole block is next in `reached`.
                let (bs, be) = (b.start, b.end);
                self.solve_block(b, &mut s.w[bs..be], true, &mut s.block_rhs);
                for q in bs..be {
                    let act = s.w[q];
                    let (lo, hi) = (self.ptr[q], self.ptr[q + 1]);
                    for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                        let i = i as usize;
                        if i < bs {
                            s.w[i] += a * act;
                        }
                    }
                }
                k += be - bs;
                continue;
            }
            let act = s.w[p] / self.diag[p];
            s.w[p] = act;
            let (lo, hi) = (self.ptr[p], self.ptr[p + 1]);
            for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                s.w[i as usize] += a * act;
            }
            k += 1;
        }
        let mut out = Vec::with_capacity(s.reached.len());
        for &p in &s.reached {
            let p = p as usize;
            let v = std::mem::take(&mut s.w[p]);
            s.seen[p] = false;
            if v != 0.0 {
                out.push((self.perm[p] as usize, v));
            }
        }
        out.sort_unstable_by_key(|&(j, _)| j);
        out
    }

    /// The loop whose last solve position is `p`, if any.
    fn block_at(&self, p: usize) -> Option<&super::lu::Block> {
        let i = self.blocks.partition_point(|b| b.end <= p);
        self.blocks.get(i).filter(|b| b.start <= p && p < b.end && b.end == p + 1)
    }
}
