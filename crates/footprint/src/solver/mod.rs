//! The linear algebra of supply chains, shared by the footprint engine and `pcf lci`.
//!
//! Conventions are Brightway's. There are `n` products; product `j` is made by exactly one
//! activity `j`, which makes `production[j] > 0` units of it per run. A technosphere input
//! `(consumer j, supplier i, amount a)` says that one run of `j` consumes `a > 0` units of
//! product `i`. Duplicates are summed, and `j == i` (self-consumption, such as grid losses)
//! reduces the net output. The technosphere matrix is
//!
//! ```text
//! A[j, j] = production[j],    A[i, j] -= a   for every input
//! ```
//!
//! and the two questions asked of it are the per-unit cradle-to-gate burden of every product,
//! `y = A^-T b` ([`Factorization::per_unit`]), and the activity needed to deliver a demand,
//! `s = A^-1 f` ([`Factorization::supply`]).
//!
//! # Method
//!
//! The supplier graph is condensed into strongly connected components (an iterative Tarjan,
//! see `DESIGN` in `scc.rs`) and the components are solved in topological order: suppliers first for
//! `per_unit`, consumers first for `supply`. A component without a loop is one substitution
//! (self-consumption only changes its divisor). A component with a loop is solved exactly with
//! faer's sparse LU of `A_c^T` (the orientation with far less fill on supply-chain matrices),
//! with the inputs from outside the component moved to the right-hand side. The
//! factorizations are kept in [`Factorization`], so any number of right-hand sides reuse them.
//!
//! Products are renumbered in solve order inside a [`Factorization`], so each sweep walks its
//! arrays front to back and every loop is a contiguous block.
//!
//! # Physical validity
//!
//! `A_c^T` is a Z-matrix (positive diagonal, non-positive off-diagonal). It is a non-singular
//! M-matrix, i.e. the inputs per unit of output have spectral radius below 1, if and only if
//! the solution of `A_c^T y = 1` is finite and positive, and also if and only if some `v > 0`
//! has `A_c^T v > 0`. [`Technosphere::factorize`] proves one of the two for every loop (the
//! second, with rounding errors bounded, for loops solved iteratively; the first, by LU, for the
//! others and wherever no certificate is found) and checks `production > self-consumption` on
//! every product, so a loop that consumes more than it makes is reported as
//! [`SolveError::Singular`] naming its products, even where the LU itself would succeed.
//!
//! ```
//! use pcf_footprint::solver::Technosphere;
//!
//! // 0 makes 1 unit and uses 0.5 of product 1; 1 makes 2 units and uses 0.5 of product 0.
//! let tech = Technosphere::new(vec![1.0, 2.0], &[(0, 1, 0.5), (1, 0, 0.5)]).unwrap();
//! let fact = tech.factorize().unwrap();
//! assert_eq!(fact.cyclic_components(), &[vec![0, 1]]);
//! // Direct emissions per run: 1 kg for activity 0, 0 for activity 1.
//! let y = fact.per_unit(&[1.0, 0.0], 1);
//! // y0 = 1 + 0.5 y1 and 2 y1 = 0.5 y0, so y0 = 8/7 and y1 = 2/7.
//! assert!((y[0] - 8.0 / 7.0).abs() < 1e-15 && (y[1] - 2.0 / 7.0).abs() < 1e-15);
//! ```

mod iterative;
mod lu;
mod reach;
mod scc;
mod technosphere;
mod update;

use std::fmt;
use std::sync::OnceLock;

use lu::Block;
pub use reach::ChainScratch;
use update::Consumers;

/// A validated technosphere: production amounts and the summed inputs of every product,
/// stored row by row per consumer (CSR), sorted by supplier, self-consumption folded into
/// the diagonal.
#[derive(Clone, PartialEq)]
pub struct Technosphere {
    /// Production per run (as given).
    production: Vec<f64>,
    /// Net output per run: production minus self-consumption.
    diag: Vec<f64>,
    /// Row pointers: the inputs of consumer `j` are `ptr[j]..ptr[j + 1]`.
    ptr: Vec<usize>,
    /// Supplier of each input (never the consumer itself).
    supplier: Vec<u32>,
    /// Amount of each input per run of the consumer (summed over duplicates).
    amount: Vec<f64>,
}

/// A technosphere condensed into components, with the LU factorization of every loop: solves
/// any number of right-hand sides without refactorizing.
#[derive(Clone)]
pub struct Factorization {
    n: usize,
    /// `perm[p]` is the original index of the product at solve position `p`.
    perm: Vec<u32>,
    /// `pos[j]` is the solve position of original product `j`.
    pos: Vec<u32>,
    /// Production per run, by solve position.
    production: Vec<f64>,
    /// Net output per run (production minus self-consumption), by solve position.
    diag: Vec<f64>,
    /// How loops are solved.
    method: LoopMethod,
    /// CSR by consumer in solve positions; each row sorted by supplier position, so the
    /// inputs from outside a block come before the inputs from inside it.
    ptr: Vec<usize>,
    supplier: Vec<u32>,
    amount: Vec<f64>,
    /// The loops, in solve order, each a contiguous range of solve positions.
    blocks: Vec<Block>,
    /// The loops as original product indices (sorted), in solve order.
    cyclic: Vec<Vec<usize>>,
    /// Consumers of every product (built on first incremental update).
    consumers: OnceLock<Consumers>,
}

/// Everything that can make a technosphere invalid or a system unsolvable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SolveError {
    /// An input names a product outside `0..products`.
    #[error(
        "input {input}: consumer {consumer} or supplier {supplier} is not a product \
         (there are {products})"
    )]
    BadIndex {
        /// Position of the input in the list given.
        input: usize,
        /// The consumer given.
        consumer: usize,
        /// The supplier given.
        supplier: usize,
        /// Number of products.
        products: usize,
    },
    /// An input amount is NaN or infinite.
    #[error(
        "input {input}: amount {amount} of product {supplier} consumed by {consumer} is not finite"
    )]
    NonFinite {
        /// Position of the input in the list given.
        input: usize,
        /// The consuming product.
        consumer: usize,
        /// The supplying product.
        supplier: usize,
        /// The amount given.
        amount: f64,
    },
    /// An input amount is zero or negative.
    #[error(
        "input {input}: amount {amount} of product {supplier} consumed by {consumer} is not positive"
    )]
    NonPositiveInput {
        /// Position of the input in the list given.
        input: usize,
        /// The consuming product.
        consumer: usize,
        /// The supplying product.
        supplier: usize,
        /// The amount given.
        amount: f64,
    },
    /// A production amount is zero, negative or not finite.
    #[error("production amount {value} of product {product} is not a positive finite number")]
    NonPositiveProduction {
        /// The product.
        product: usize,
        /// The amount given.
        value: f64,
    },
    /// More products than the solver's 32-bit indices can hold.
    #[error("{products} products is more than the solver supports ({max})")]
    TooLarge {
        /// Number of products given.
        products: usize,
        /// The largest number supported.
        max: usize,
    },
    /// A loop (or a self-consuming product) consumes at least as much as it makes, so the
    /// system has no physical solution.
    #[error("{}", singular_message(.component))]
    Singular {
        /// The products of the loop, ascending.
        component: Vec<usize>,
    },
    /// A technosphere update names an input the technosphere does not have (updates change
    /// amounts; a new or removed input changes the loops and needs a new factorization).
    #[error("product {consumer} has no input from product {supplier} to update")]
    NotAnInput {
        /// The consuming product.
        consumer: usize,
        /// The supplying product.
        supplier: usize,
    },
    /// The sparse LU failed for a reason other than singularity (for example out of memory).
    #[error("sparse lu of a loop of {size} products failed: {message}")]
    Factorization {
        /// Number of products in the loop.
        size: usize,
        /// What faer reported.
        message: String,
    },
}

/// What [`Factorization::update_per_unit`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdateStats {
    /// Products whose per-unit burden was recomputed.
    pub recomputed: usize,
    /// Loops that were solved again.
    pub loops_solved: usize,
}

/// One change of a technosphere coefficient for [`Factorization::update_technosphere`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Change {
    /// Product `product` is now made `amount > 0` units per run.
    Production {
        /// The product.
        product: usize,
        /// The new production per run.
        amount: f64,
    },
    /// One run of `consumer` now consumes `amount` units of `supplier` (the sum over all its
    /// inputs from that supplier). `consumer == supplier` sets the self-consumption
    /// (`amount >= 0`); otherwise the input must exist and `amount > 0`.
    Input {
        /// The consuming product.
        consumer: usize,
        /// The supplying product.
        supplier: usize,
        /// The new amount per run of the consumer.
        amount: f64,
    },
}

/// How [`Technosphere::factorize_with`] solves the loops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LoopMethod {
    /// Sparse LU for loops of up to 2000 products, certified Gauss-Seidel for bigger ones.
    #[default]
    Auto,
    /// Sparse LU for every loop (with one step of iterative refinement per solve).
    Lu,
    /// Certified Gauss-Seidel for every loop: `factorize` proves each loop is a non-singular
    /// M-matrix with a vector `v > 0`, `M v > 0` (rounding included), and every solve
    /// iterates to round-off and then proves a componentwise bound on `|x - x*|` below 1e-13
    /// of `|x|` in every entry (of `M^-1 |b|` where the right-hand side `b` has both signs,
    /// such as with negative emissions). Where either fails within its budget, the loop falls back to
    /// sparse LU, so results and errors are those of [`LoopMethod::Lu`].
    Iterative,
}

impl Factorization {
    /// Number of products.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no products.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// `y = A^-T b` for `k` right-hand sides stored column-major (`n * k` values, column `c`
    /// at `c * n..(c + 1) * n`): `y[j]` is the per-unit cradle-to-gate burden of product `j`
    /// when `b[j]` is the direct burden of one run of activity `j`.
    ///
    /// # Panics
    ///
    /// If `direct.len() != n * k`.
    pub fn per_unit(&self, direct: &[f64], k: usize) -> Vec<f64> {
        let n = self.n;
        assert_eq!(direct.len(), n * k, "per_unit: expected {k} columns of {n} values");
        let mut w = vec![0.0; n * k];
        for c in 0..k {
            let (src, dst) = (&direct[c * n..(c + 1) * n], &mut w[c * n..(c + 1) * n]);
            for (d, &j) in dst.iter_mut().zip(&self.perm) {
                *d = src[j as usize];
            }
        }
        self.per_unit_permuted(&mut w, k);
        let mut out = vec![0.0; n * k];
        for c in 0..k {
            let (src, dst) = (&w[c * n..(c + 1) * n], &mut out[c * n..(c + 1) * n]);
            for (&v, &j) in src.iter().zip(&self.perm) {
                dst[j as usize] = v;
            }
        }
        out
    }

    /// `s = A^-1 f`: the activity (in units of reference product) of every product needed to
    /// deliver the demand `f`.
    ///
    /// # Panics
    ///
    /// If `demand.len() != n`.
    pub fn supply(&self, demand: &[f64]) -> Vec<f64> {
        let n = self.n;
        assert_eq!(demand.len(), n, "supply: expected {n} values");
        let mut w: Vec<f64> = self.perm.iter().map(|&j| demand[j as usize]).collect();
        let mut scratch = Vec::new();
        let mut blocks = self.blocks.iter().rev().peekable();
        let mut p = n;
        while p > 0 {
            if let Some(b) = blocks.peek().filter(|b| b.end == p) {
                let (start, end) = (b.start, b.end);
                self.solve_block(b, &mut w[start..end], true, &mut scratch);
                for q in start..end {
                    let s = w[q];
                    let (lo, hi) = (self.ptr[q], self.ptr[q + 1]);
                    for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                        let i = i as usize;
                        if i < start {
                            w[i] += a * s;
                        }
                    }
                }
                blocks.next();
                p = start;
                continue;
            }
            p -= 1;
            let s = w[p] / self.diag[p];
            w[p] = s;
            let (lo, hi) = (self.ptr[p], self.ptr[p + 1]);
            for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                w[i as usize] += a * s;
            }
        }
        let mut out = vec![0.0; n];
        for (&v, &j) in w.iter().zip(&self.perm) {
            out[j as usize] = v;
        }
        out
    }

    /// The strongly connected components with a loop between different products (each as
    /// ascending product indices), in solve order (suppliers first). A product that only
    /// consumes its own output is not listed: self-consumption is folded into its divisor.
    pub fn cyclic_components(&self) -> &[Vec<usize>] {
        &self.cyclic
    }

    /// The largest relative residual `|A^T y - b| / (|A^T| |y| + |b|)` over all products and
    /// columns of a solution `y` of `per_unit(direct, k)`: about 1e-16 for an exact solve.
    ///
    /// # Panics
    ///
    /// If `direct` or `y` do not have `n * k` values.
    pub fn residual_per_unit(&self, direct: &[f64], y: &[f64], k: usize) -> f64 {
        let n = self.n;
        assert_eq!(direct.len(), n * k, "residual_per_unit: expected {k} columns of {n} values");
        assert_eq!(y.len(), n * k, "residual_per_unit: expected {k} columns of {n} values");
        let mut worst = 0.0f64;
        for c in 0..k {
            let (b, y) = (&direct[c * n..(c + 1) * n], &y[c * n..(c + 1) * n]);
            for p in 0..n {
                let j = self.perm[p] as usize;
                let yj = y[j];
                let mut r = self.diag[p] * yj - b[j];
                let mut scale = (self.diag[p] * yj).abs() + b[j].abs();
                let (lo, hi) = (self.ptr[p], self.ptr[p + 1]);
                for (&q, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                    let t = a * y[self.perm[q as usize] as usize];
                    r -= t;
                    scale += t.abs();
                }
                let rel = if scale > 0.0 { r.abs() / scale } else { r.abs() };
                if rel > worst || rel.is_nan() {
                    worst = rel;
                }
            }
        }
        worst
    }

    /// Per-unit solve on `k` columns already in solve positions, in place.
    fn per_unit_permuted(&self, w: &mut [f64], k: usize) {
        let n = self.n;
        let mut scratch = Vec::new();
        let mut blocks = self.blocks.iter().peekable();
        let mut p = 0;
        while p < n {
            if let Some(b) = blocks.peek().filter(|b| b.start == p) {
                let (start, end) = (b.start, b.end);
                for c in 0..k {
                    let col = &mut w[c * n..(c + 1) * n];
                    for q in start..end {
                        let v = self.gather_external(q, start, col[q], |i| col[i]);
                        col[q] = v;
                    }
                    self.solve_block(b, &mut col[start..end], false, &mut scratch);
                }
                blocks.next();
                p = end;
                continue;
            }
            let (lo, hi) = (self.ptr[p], self.ptr[p + 1]);
            let (sup, amt) = (&self.supplier[lo..hi], &self.amount[lo..hi]);
            let d = self.diag[p];
            for c in 0..k {
                let col = &mut w[c * n..(c + 1) * n];
                let mut acc = col[p];
                for (&i, &a) in sup.iter().zip(amt) {
                    acc += a * col[i as usize];
                }
                col[p] = acc / d;
            }
            p += 1;
        }
    }

    /// `b + sum of a * y(i)` over the inputs of position `q` from suppliers before `limit`
    /// (rows are sorted, so those come first).
    #[inline]
    fn gather_external(&self, q: usize, limit: usize, b: f64, y: impl Fn(usize) -> f64) -> f64 {
        let (lo, hi) = (self.ptr[q], self.ptr[q + 1]);
        let mut acc = b;
        for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
            let i = i as usize;
            if i >= limit {
                break;
            }
            acc += a * y(i);
        }
        acc
    }
}

impl fmt::Debug for Factorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Factorization")
            .field("products", &self.n)
            .field("loops", &self.cyclic.len())
            .field("largest_loop", &self.cyclic.iter().map(Vec::len).max().unwrap_or(0))
            .finish_non_exhaustive()
    }
}

/// The message of [`SolveError::Singular`]: the loop's products, the first 20 for big loops.
fn singular_message(component: &[usize]) -> String {
    const SHOWN: usize = 20;
    let list: Vec<String> = component.iter().take(SHOWN).map(usize::to_string).collect();
    let more = component.len().saturating_sub(SHOWN);
    let tail = if more > 0 { format!(", ... ({more} more)") } else { String::new() };
    if component.len() == 1 {
        format!(
            "product {} consumes at least as much of itself as it makes, so it has no \
             physical solution",
            list.join(", ")
        )
    } else {
        format!(
            "the loop of {} products [{}{tail}] consumes at least as much as it makes, so it \
             has no physical solution",
            component.len(),
            list.join(", ")
        )
    }
}
