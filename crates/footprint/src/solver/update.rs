//! Incremental recomputation: changing technosphere amounts in place
//! ([`Factorization::update_technosphere`]) and bringing a per-unit solution up to date by
//! recomputing only what lies downstream of a change ([`Factorization::update_per_unit`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::lu::Block;
use super::{Change, Factorization, SolveError, UpdateStats};

impl Factorization {
    /// Changes technosphere amounts in place (the structure stays: no input is added or
    /// removed) and prepares again only the loops that hold a changed product. Returns the
    /// changed products: pass them to [`Factorization::update_per_unit`] to bring a solution
    /// up to date, recomputing only what lies downstream of them.
    ///
    /// Validated like [`Technosphere::new`]; on any error (including a loop that now
    /// consumes more than it makes) nothing is changed.
    ///
    /// [`Technosphere::new`]: super::Technosphere::new
    pub fn update_technosphere(&mut self, changes: &[Change]) -> Result<Vec<usize>, SolveError> {
        let n = self.n;
        // Validate and locate every change first.
        let mut edits: Vec<(usize, Option<usize>, f64)> = Vec::with_capacity(changes.len());
        for (input, change) in changes.iter().enumerate() {
            match *change {
                Change::Production { product, amount } => {
                    if product >= n {
                        let (consumer, supplier) = (product, product);
                        return Err(SolveError::BadIndex {
                            input,
                            consumer,
                            supplier,
                            products: n,
                        });
                    }
                    if !(amount.is_finite() && amount > 0.0) {
                        return Err(SolveError::NonPositiveProduction { product, value: amount });
                    }
                    edits.push((self.pos[product] as usize, None, amount));
                }
                Change::Input { consumer, supplier, amount } => {
                    if consumer >= n || supplier >= n {
                        return Err(SolveError::BadIndex {
                            input,
                            consumer,
                            supplier,
                            products: n,
                        });
                    }
                    if !amount.is_finite() {
                        return Err(SolveError::NonFinite { input, consumer, supplier, amount });
                    }
                    let p = self.pos[consumer] as usize;
                    if consumer == supplier {
                        if amount < 0.0 {
                            return Err(SolveError::NonPositiveInput {
                                input,
                                consumer,
                                supplier,
                                amount,
                            });
                        }
                        edits.push((p, None, -amount));
                        continue;
                    }
                    if amount <= 0.0 {
                        return Err(SolveError::NonPositiveInput {
                            input,
                            consumer,
                            supplier,
                            amount,
                        });
                    }
                    let (lo, hi) = (self.ptr[p], self.ptr[p + 1]);
                    let q = self.pos[supplier];
                    match self.supplier[lo..hi].binary_search(&q) {
                        Ok(k) => edits.push((p, Some(lo + k), amount)),
                        Err(_) => return Err(SolveError::NotAnInput { consumer, supplier }),
                    }
                }
            }
        }
        // Apply, remembering the old values. Production edits are marked by a positive value,
        // self-consumption edits by a non-positive one (minus the amount).
        let mut old_rows = Vec::new();
        let mut old_amounts = Vec::new();
        let mut touched: Vec<usize> = Vec::new();
        for &(p, edge, value) in &edits {
            old_rows.push((p, self.production[p], self.diag[p]));
            match edge {
                Some(e) => {
                    old_amounts.push((e, self.amount[e]));
                    self.amount[e] = value;
                }
                None if value > 0.0 => {
                    let selfc = self.production[p] - self.diag[p];
                    self.production[p] = value;
                    self.diag[p] = value - selfc;
                }
                None => self.diag[p] = self.production[p] + value,
            }
            touched.push(p);
        }
        touched.sort_unstable();
        touched.dedup();
        // Check single products and prepare the loops again.
        let mut rebuilt: Vec<(usize, Block)> = Vec::new();
        let mut result = Ok(());
        for &p in &touched {
            let i = self.blocks.partition_point(|b| b.end <= p);
            match self.blocks.get(i).filter(|b| b.start <= p) {
                Some(b) => {
                    if rebuilt.iter().any(|(k, _)| *k == i) {
                        continue;
                    }
                    match self.factorize_block(b.start, b.end, &self.cyclic[i]) {
                        Ok(block) => rebuilt.push((i, block)),
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    }
                }
                None => {
                    let d = self.diag[p];
                    if !(d.is_finite() && d > 0.0) {
                        let component = vec![self.perm[p] as usize];
                        result = Err(SolveError::Singular { component });
                        break;
                    }
                }
            }
        }
        if let Err(e) = result {
            for (p, production, diag) in old_rows.into_iter().rev() {
                self.production[p] = production;
                self.diag[p] = diag;
            }
            for (e, a) in old_amounts.into_iter().rev() {
                self.amount[e] = a;
            }
            return Err(e);
        }
        for (i, block) in rebuilt {
            self.blocks[i] = block;
        }
        Ok(touched.iter().map(|&p| self.perm[p] as usize).collect())
    }

    /// Recomputes a solution `y = per_unit(direct_old, 1)` after the direct burdens of the
    /// products in `changed` were replaced, so that `y` becomes exactly (bit for bit)
    /// `per_unit(direct, 1)`, touching only the products downstream of a change: the
    /// changed products, their consumers, their consumers' consumers and so on, and the loops
    /// among them.
    ///
    /// `direct` is the whole new vector; products not in `changed` must hold the same values
    /// as before.
    ///
    /// # Panics
    ///
    /// If `direct` or `y` do not have `n` values, or an entry of `changed` is not a product.
    pub fn update_per_unit(&self, direct: &[f64], y: &mut [f64], changed: &[usize]) -> UpdateStats {
        let n = self.n;
        assert_eq!(direct.len(), n, "update_per_unit: expected {n} values");
        assert_eq!(y.len(), n, "update_per_unit: expected {n} values");
        let consumers = self.consumers.get_or_init(|| Consumers::new(self));
        let mut stats = UpdateStats::default();
        let mut queued = vec![false; n];
        let mut heap = BinaryHeap::new();
        for &j in changed {
            let p = self.pos[j] as usize;
            if !queued[p] {
                queued[p] = true;
                heap.push(Reverse(p as u32));
            }
        }
        // Index of the block holding position p, if any (blocks are sorted by start).
        let block_of = |p: usize| -> Option<&Block> {
            let i = self.blocks.partition_point(|b| b.end <= p);
            self.blocks.get(i).filter(|b| b.start <= p)
        };
        let (mut buf, mut scratch) = (Vec::new(), Vec::new());
        // Dirty positions come off a heap in solve order. Once a loop has been solved again
        // most of what follows usually depends on it, so the walk switches to a plain scan
        // of the dirty flags from there on (`scan`), which costs no more than a full solve.
        let mut scan: Option<usize> = None;
        loop {
            let p = match scan.as_mut() {
                None => match heap.pop() {
                    Some(Reverse(p)) => p as usize,
                    None => break,
                },
                Some(next) => {
                    while *next < n && !queued[*next] {
                        *next += 1;
                    }
                    if *next == n {
                        break;
                    }
                    *next += 1;
                    *next - 1
                }
            };
            if let Some(b) = block_of(p) {
                // Solve the loop again from its outside inputs and push all its consumers.
                buf.clear();
                for q in b.start..b.end {
                    buf.push(self.gather_external(
                        q,
                        b.start,
                        direct[self.perm[q] as usize],
                        |i| y[self.perm[i] as usize],
                    ));
                }
                let len = b.end - b.start;
                self.solve_block(b, &mut buf, false, &mut scratch);
                for (q, &v) in (b.start..b.end).zip(&buf) {
                    y[self.perm[q] as usize] = v;
                    queued[q] = true;
                    for &c in consumers.of(q) {
                        queued[c as usize] |= c as usize >= b.end;
                    }
                }
                // Everything dirty is flagged in `queued`; scan from the loop's end on.
                heap.clear();
                scan = Some(b.end);
                stats.recomputed += len;
                stats.loops_solved += 1;
                continue;
            }
            let j = self.perm[p] as usize;
            let v =
                self.gather_external(p, p, direct[j], |i| y[self.perm[i] as usize]) / self.diag[p];
            stats.recomputed += 1;
            if v.to_bits() == y[j].to_bits() {
                continue;
            }
            y[j] = v;
            for &c in consumers.of(p) {
                let c = c as usize;
                if !queued[c] {
                    queued[c] = true;
                    if scan.is_none() {
                        heap.push(Reverse(c as u32));
                    }
                }
            }
        }
        stats
    }
}

/// Consumers of every product in solve positions (the transpose of the CSR structure).
#[derive(Clone)]
pub(super) struct Consumers {
    ptr: Vec<usize>,
    consumer: Vec<u32>,
}

impl Consumers {
    fn new(f: &Factorization) -> Self {
        let n = f.n;
        let mut ptr = vec![0usize; n + 1];
        for &i in &f.supplier {
            ptr[i as usize + 1] += 1;
        }
        for i in 0..n {
            ptr[i + 1] += ptr[i];
        }
        let mut next = ptr.clone();
        let mut consumer = vec![0u32; f.supplier.len()];
        for p in 0..n {
            for &i in &f.supplier[f.ptr[p]..f.ptr[p + 1]] {
                // p < n <= u32::MAX - 1.
                consumer[next[i as usize]] = p as u32;
                next[i as usize] += 1;
            }
        }
        Consumers { ptr, consumer }
    }

    fn of(&self, p: usize) -> &[u32] {
        &self.consumer[self.ptr[p]..self.ptr[p + 1]]
    }
}
