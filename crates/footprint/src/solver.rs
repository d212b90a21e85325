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
//! see `DESIGN` below) and the components are solved in topological order: suppliers first for
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
//!
//! # DESIGN: why a hand-written Tarjan and not petgraph's?
//!
//! petgraph's `tarjan_scc` recurses once per node on the depth-first path; a supply chain of a
//! million activities has paths hundreds of thousands deep and overflows the stack.
//! `kosaraju_scc` is iterative but needs the reverse graph and allocates a `Vec` per
//! component. The iterative Tarjan below runs on the solver's own CSR arrays with no per-node
//! allocation; the tests check it against petgraph's on random graphs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt;
use std::sync::OnceLock;

use faer::MatMut;
use faer::linalg::solvers::Solve;
use faer::sparse::linalg::solvers::{Lu, SymbolicLu};
use faer::sparse::{SparseColMat, SymbolicSparseColMat};

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

impl Technosphere {
    /// Validates production amounts and inputs `(consumer, supplier, amount)` and stores them
    /// by consumer, summing duplicates.
    pub fn new(production: Vec<f64>, inputs: &[(usize, usize, f64)]) -> Result<Self, SolveError> {
        Self::from_inputs(production, inputs.len(), || inputs.iter().copied())
    }

    /// Like [`Technosphere::new`], for inputs held elsewhere (for example three columns read
    /// from a file): `inputs` is called twice and must yield the same `len` inputs both times.
    ///
    /// # Panics
    ///
    /// If `inputs` yields a different number of inputs than `len`, or different ones the
    /// second time.
    pub fn from_inputs<I, F>(
        production: Vec<f64>,
        len: usize,
        inputs: F,
    ) -> Result<Self, SolveError>
    where
        F: Fn() -> I,
        I: Iterator<Item = (usize, usize, f64)>,
    {
        let n = production.len();
        let max = u32::MAX as usize - 1;
        if n > max {
            return Err(SolveError::TooLarge { products: n, max });
        }
        for (product, &value) in production.iter().enumerate() {
            if !(value.is_finite() && value > 0.0) {
                return Err(SolveError::NonPositiveProduction { product, value });
            }
        }
        // First pass: validate and count inputs per consumer; self-consumption goes to the
        // diagonal.
        let mut diag = production.clone();
        let mut count = vec![0usize; n + 1];
        let mut seen = 0usize;
        // Whether the inputs between different products come sorted by (consumer, supplier),
        // as files usually are: then they go straight into the rows.
        let mut sorted = true;
        let mut last = (0usize, 0usize);
        for (input, (consumer, supplier, amount)) in inputs().enumerate() {
            seen += 1;
            if consumer >= n || supplier >= n {
                return Err(SolveError::BadIndex { input, consumer, supplier, products: n });
            }
            if !amount.is_finite() {
                return Err(SolveError::NonFinite { input, consumer, supplier, amount });
            }
            if amount <= 0.0 {
                return Err(SolveError::NonPositiveInput { input, consumer, supplier, amount });
            }
            if consumer == supplier {
                diag[consumer] -= amount;
            } else {
                count[consumer + 1] += 1;
                sorted &= (consumer, supplier) >= last;
                last = (consumer, supplier);
            }
        }
        assert_eq!(seen, len, "inputs yielded a different number of items than announced");
        for j in 0..n {
            count[j + 1] += count[j];
        }
        if sorted {
            return Ok(Self::from_sorted(production, diag, &count, inputs()));
        }
        // Second pass: bucket by consumer (validated above).
        let total = count[n];
        let mut next = count.clone();
        let mut entries = vec![(0u32, 0.0f64); total];
        for (consumer, supplier, amount) in inputs() {
            if consumer != supplier {
                // Indices were checked in the first pass and fit in u32 (n <= u32::MAX - 1).
                entries[next[consumer]] = (supplier as u32, amount);
                next[consumer] += 1;
            }
        }
        assert!(next[..n] == count[1..], "inputs yielded different items the second time");
        // Sort every row by supplier and sum duplicates.
        let mut ptr = Vec::with_capacity(n + 1);
        let mut supplier = Vec::with_capacity(total);
        let mut amount = Vec::with_capacity(total);
        ptr.push(0);
        for j in 0..n {
            let row = &mut entries[count[j]..count[j + 1]];
            if !row.is_sorted_by_key(|e| e.0) {
                row.sort_unstable_by_key(|e| e.0);
            }
            for &(s, a) in row.iter() {
                if supplier.len() > ptr[j] && supplier.last() == Some(&s) {
                    if let Some(last) = amount.last_mut() {
                        *last += a;
                    }
                } else {
                    supplier.push(s);
                    amount.push(a);
                }
            }
            ptr.push(supplier.len());
        }
        Ok(Technosphere { production, diag, ptr, supplier, amount })
    }

    /// The rows from inputs already validated and sorted by (consumer, supplier), with
    /// `count[j]..count[j + 1]` the inputs of consumer `j` (self-consumption excluded).
    fn from_sorted(
        production: Vec<f64>,
        diag: Vec<f64>,
        count: &[usize],
        inputs: impl Iterator<Item = (usize, usize, f64)>,
    ) -> Self {
        let n = production.len();
        let mut ptr = vec![0usize; n + 1];
        let mut supplier: Vec<u32> = Vec::with_capacity(count[n]);
        let mut amount: Vec<f64> = Vec::with_capacity(count[n]);
        let mut row = 0usize;
        for (consumer, s, a) in inputs.filter(|e| e.0 != e.1) {
            assert!(consumer >= row, "inputs yielded different items the second time");
            while row < consumer {
                row += 1;
                ptr[row] = supplier.len();
            }
            // Indices were checked by the caller and fit in u32 (n <= u32::MAX - 1).
            let s = s as u32;
            if supplier.len() > ptr[row] && supplier.last() == Some(&s) {
                if let Some(last) = amount.last_mut() {
                    *last += a;
                }
            } else {
                supplier.push(s);
                amount.push(a);
            }
        }
        while row < n {
            row += 1;
            ptr[row] = supplier.len();
        }
        Technosphere { production, diag, ptr, supplier, amount }
    }

    /// Number of products.
    pub fn len(&self) -> usize {
        self.production.len()
    }

    /// Whether there are no products.
    pub fn is_empty(&self) -> bool {
        self.production.is_empty()
    }

    /// Number of distinct inputs between different products (self-consumption excluded).
    pub fn inputs(&self) -> usize {
        self.supplier.len()
    }

    /// Production per run of every product, as given.
    pub fn production(&self) -> &[f64] {
        &self.production
    }

    /// Condenses the loops, factorizes each one and checks that every loop makes more than it
    /// consumes ([`LoopMethod::Auto`]).
    pub fn factorize(&self) -> Result<Factorization, SolveError> {
        self.factorize_with(LoopMethod::Auto)
    }

    /// [`Technosphere::factorize`] with a chosen method for the loops.
    pub fn factorize_with(&self, method: LoopMethod) -> Result<Factorization, SolveError> {
        let n = self.len();
        let (perm, comp_ptr) = tarjan(n, &self.ptr, &self.supplier);
        let mut pos = vec![0u32; n];
        for (p, &j) in perm.iter().enumerate() {
            // p < n <= u32::MAX - 1 (checked in `from_inputs`).
            pos[j as usize] = p as u32;
        }
        // Renumber into solve positions, rows sorted by supplier position.
        let mut diag = Vec::with_capacity(n);
        let mut ptr = Vec::with_capacity(n + 1);
        let mut supplier = Vec::with_capacity(self.supplier.len());
        let mut amount = Vec::with_capacity(self.amount.len());
        let mut row: Vec<(u32, f64)> = Vec::new();
        ptr.push(0);
        for &j in &perm {
            let j = j as usize;
            diag.push(self.diag[j]);
            row.clear();
            let (lo, hi) = (self.ptr[j], self.ptr[j + 1]);
            row.extend(
                self.supplier[lo..hi]
                    .iter()
                    .zip(&self.amount[lo..hi])
                    .map(|(&s, &a)| (pos[s as usize], a)),
            );
            row.sort_unstable_by_key(|e| e.0);
            supplier.extend(row.iter().map(|e| e.0));
            amount.extend(row.iter().map(|e| e.1));
            ptr.push(supplier.len());
        }
        let production = perm.iter().map(|&j| self.production[j as usize]).collect();
        let mut fact = Factorization {
            n,
            perm,
            pos,
            production,
            diag,
            method,
            ptr,
            supplier,
            amount,
            blocks: Vec::new(),
            cyclic: Vec::new(),
            consumers: OnceLock::new(),
        };
        for w in comp_ptr.windows(2) {
            let (start, end) = (w[0] as usize, w[1] as usize);
            if end - start == 1 {
                let d = fact.diag[start];
                if !(d.is_finite() && d > 0.0) {
                    return Err(SolveError::Singular {
                        component: vec![fact.perm[start] as usize],
                    });
                }
                continue;
            }
            let mut component: Vec<usize> =
                fact.perm[start..end].iter().map(|&j| j as usize).collect();
            component.sort_unstable();
            let block = fact.factorize_block(start, end, &component)?;
            fact.blocks.push(block);
            fact.cyclic.push(component);
        }
        Ok(fact)
    }
}

impl fmt::Debug for Technosphere {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Technosphere")
            .field("products", &self.len())
            .field("inputs", &self.inputs())
            .finish_non_exhaustive()
    }
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

    /// Changes technosphere amounts in place (the structure stays: no input is added or
    /// removed) and prepares again only the loops that hold a changed product. Returns the
    /// changed products: pass them to [`Factorization::update_per_unit`] to bring a solution
    /// up to date, recomputing only what lies downstream of them.
    ///
    /// Validated like [`Technosphere::new`]; on any error (including a loop that now
    /// consumes more than it makes) nothing is changed.
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

    /// Solves `M x = rhs` (or `M^T x = rhs` if `transpose`) for the loop `b`, `M = A_c^T`,
    /// in place, with one step of iterative refinement: LU with partial pivoting is only
    /// normwise backward stable, and one refinement step makes the solution componentwise
    /// backward stable (Skeel), which matters for products whose scores are far below the
    /// largest ones.
    fn solve_block(&self, b: &Block, x: &mut [f64], transpose: bool, r: &mut Vec<f64>) {
        let len = b.end - b.start;
        if let (Some(cert), false) = (&b.cert, transpose) {
            if self.gauss_seidel(b, cert, x, r) {
                return;
            }
            // Not certified within the budget: start again from the right-hand side (which
            // `gauss_seidel` left in `r`) with the LU.
            x.copy_from_slice(r);
        }
        let lu = self.block_lu(b);
        r.clear();
        r.extend_from_slice(x);
        let solve = |v: &mut [f64]| {
            let v = MatMut::from_column_major_slice_mut(v, len, 1);
            if transpose { lu.solve_transpose_in_place(v) } else { lu.solve_in_place(v) }
        };
        solve(x);
        // r = rhs - M x (or rhs - M^T x).
        for (local, q) in (b.start..b.end).enumerate() {
            r[local] -= self.diag[q] * x[local];
            let (lo, hi) = (self.ptr[q], self.ptr[q + 1]);
            for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                let i = i as usize;
                if i >= b.start {
                    if transpose {
                        r[i - b.start] += a * x[local];
                    } else {
                        r[local] += a * x[i - b.start];
                    }
                }
            }
        }
        solve(r);
        for (v, d) in x.iter_mut().zip(r.iter()) {
            *v += d;
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

    /// Prepares the loop at positions `start..end` (`component` names it for errors) and
    /// checks that it is a non-singular M-matrix: by a Gauss-Seidel certificate for loops
    /// solved iteratively (falling back to LU if none is found), else by LU and `M y = 1`.
    fn factorize_block(
        &self,
        start: usize,
        end: usize,
        component: &[usize],
    ) -> Result<Block, SolveError> {
        let len = end - start;
        let iterative = match self.method {
            LoopMethod::Lu => false,
            LoopMethod::Iterative => true,
            LoopMethod::Auto => len > LU_MAX,
        };
        let split: Vec<usize> = (start..end)
            .map(|q| {
                let (lo, hi) = (self.ptr[q], self.ptr[q + 1]);
                lo + self.supplier[lo..hi].partition_point(|&i| (i as usize) < start)
            })
            .collect();
        let mut block = Block { start, end, split, lu: OnceLock::new(), cert: None };
        if iterative {
            block.cert = self.certify(&block);
            if block.cert.is_some() {
                return Ok(block);
            }
        }
        let lu = self.lu_of(start, end, component)?;
        // M-matrix test: M y = 1 has a finite, positive solution iff M is a non-singular
        // M-matrix (spectral radius of the inputs per unit of output below 1).
        let mut ones = vec![1.0; len];
        lu.solve_in_place(MatMut::from_column_major_slice_mut(&mut ones, len, 1));
        if !ones.iter().all(|&v| v.is_finite() && v > 0.0) {
            return Err(SolveError::Singular { component: component.to_vec() });
        }
        block.lu = OnceLock::from(Some(lu));
        Ok(block)
    }

    /// The sparse LU of `M = A_c^T` for the loop at positions `start..end`.
    fn lu_of(
        &self,
        start: usize,
        end: usize,
        component: &[usize],
    ) -> Result<Lu<u32, f64>, SolveError> {
        let len = end - start;
        let singular = || SolveError::Singular { component: component.to_vec() };
        let failed = |message: String| SolveError::Factorization { size: len, message };
        // M = A_c^T in local indices: M[j, i] = -a(j consumes i), M[j, j] = diag[j]. Row j of
        // M is the row of consumer j here, so build the CSC of M by counting columns.
        let mut col_ptr = vec![0u32; len + 1];
        for q in start..end {
            col_ptr[q - start + 1] += 1; // diagonal
            let (lo, hi) = (self.ptr[q], self.ptr[q + 1]);
            for &i in &self.supplier[lo..hi] {
                let i = i as usize;
                if i >= start {
                    col_ptr[i - start + 1] += 1;
                }
            }
        }
        for c in 0..len {
            col_ptr[c + 1] += col_ptr[c];
        }
        let nnz = col_ptr[len] as usize;
        let mut next: Vec<u32> = col_ptr[..len].to_vec();
        let mut row_idx = vec![0u32; nnz];
        let mut val = vec![0.0f64; nnz];
        let mut put = |col: usize, row: usize, v: f64| {
            let at = next[col] as usize;
            // Local indices are < len <= n <= u32::MAX - 1.
            row_idx[at] = row as u32;
            val[at] = v;
            next[col] += 1;
        };
        for q in start..end {
            let j = q - start;
            let (lo, hi) = (self.ptr[q], self.ptr[q + 1]);
            // Rows of each column must come out ascending: visit row j's entries and its
            // diagonal for every j in ascending order.
            put(j, j, self.diag[q]);
            for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                let i = i as usize;
                if i >= start {
                    put(i - start, j, -a);
                }
            }
        }
        let symbolic = SymbolicSparseColMat::new_checked(len, len, col_ptr, None, row_idx);
        let m = SparseColMat::new(symbolic, val);
        let sym = SymbolicLu::try_new(m.symbolic()).map_err(|e| failed(format!("{e:?}")))?;
        let lu = match Lu::try_new_with_symbolic(sym, m.as_ref()) {
            Ok(lu) => lu,
            Err(faer::sparse::linalg::LuError::SymbolicSingular { .. }) => return Err(singular()),
            Err(e) => return Err(failed(format!("{e:?}"))),
        };
        Ok(lu)
    }

    /// The LU of a loop, made on first use for loops solved iteratively.
    ///
    /// # Panics
    ///
    /// If the LU of a loop that passed the M-matrix certificate fails, which only running out
    /// of memory can cause (a non-singular matrix is structurally non-singular).
    fn block_lu<'a>(&self, b: &'a Block) -> &'a Lu<u32, f64> {
        let lu = b.lu.get_or_init(|| {
            let component: Vec<usize> =
                self.perm[b.start..b.end].iter().map(|&j| j as usize).collect();
            Some(
                self.lu_of(b.start, b.end, &component)
                    .unwrap_or_else(|e| panic!("lu of a certified loop failed: {e}")),
            )
        });
        match lu {
            Some(lu) => lu,
            None => unreachable!("blocks store Some once initialized"),
        }
    }

    /// A Gauss-Seidel certificate that the loop's `M` is a non-singular M-matrix: `v > 0`
    /// with a rigorous lower bound `w > 0` of `M v` (rounding errors included). `None` if the
    /// iteration does not produce one within its budget (the loop may be unphysical, or just
    /// slow to converge; the caller then decides with LU).
    fn certify(&self, b: &Block) -> Option<Certificate> {
        let len = b.end - b.start;
        let ones = vec![1.0; len];
        let mut v = vec![0.0; len];
        let mut history = [f64::INFINITY; 16];
        for sweep in 1..=CERT_SWEEPS {
            let change = self.gauss_seidel_sweep(b, &ones, &mut v);
            if !v.iter().all(|x| x.is_finite() && *x < 1e300) {
                return None;
            }
            // An unphysical loop makes the iterates grow without end: the relative change
            // stops shrinking. Leave the verdict to the LU early.
            if stagnates(&mut history, sweep, change) {
                return None;
            }
            if change > 1e-6 && sweep % 8 != 0 {
                continue;
            }
            if !v.iter().all(|&x| x > 0.0) {
                continue;
            }
            let mut w = vec![0.0; len];
            for (j, q) in (b.start..b.end).enumerate() {
                // w_j = (M v)_j minus a bound on its rounding error.
                let (lo, hi) = (b.split[j], self.ptr[q + 1]);
                let mut acc = self.diag[q] * v[j];
                let mut mag = acc.abs();
                for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                    let t = a * v[i as usize - b.start];
                    acc -= t;
                    mag += t;
                }
                w[j] = acc - gamma(hi - lo + 2) * mag * (1.0 + 4.0 * f64::EPSILON);
            }
            if w.iter().all(|&x| x > 0.0) {
                return Some(Certificate { v, w });
            }
            if change == 0.0 {
                return None;
            }
        }
        None
    }

    /// One Gauss-Seidel sweep for `M x = rhs` on a loop, in place; returns the largest
    /// relative change of an entry.
    fn gauss_seidel_sweep(&self, b: &Block, rhs: &[f64], x: &mut [f64]) -> f64 {
        let mut change = 0.0f64;
        for (j, q) in (b.start..b.end).enumerate() {
            let (lo, hi) = (b.split[j], self.ptr[q + 1]);
            let mut acc = rhs[j];
            for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                acc += a * x[i as usize - b.start];
            }
            let new = acc / self.diag[q];
            let d = (new - x[j]).abs();
            if d > 0.0 {
                change = change.max(d / new.abs());
            }
            x[j] = new;
        }
        change
    }

    /// Solves `M x = rhs` on a certified loop by Gauss-Seidel from zero until the rigorous
    /// forward error bound `|x - x*| <= alpha v` is below [`ITERATIVE_TOL`] times `|x|` in
    /// every entry. `x` holds `rhs` on entry. Returns false (with `x` unspecified) if the
    /// bound is not reached within the sweep budget.
    fn gauss_seidel(
        &self,
        b: &Block,
        cert: &Certificate,
        x: &mut [f64],
        rhs: &mut Vec<f64>,
    ) -> bool {
        rhs.clear();
        rhs.extend_from_slice(x);
        x.fill(0.0);
        // Sweep until the iteration stops moving (round-off level) or stops improving, then
        // prove the bound.
        let mut history = [f64::INFINITY; 16];
        for sweep in 1..=SOLVE_SWEEPS {
            let change = self.gauss_seidel_sweep(b, rhs, x);
            if change <= 4.0 * f64::EPSILON || stagnates(&mut history, sweep, change) {
                return self.error_bound_ok(b, cert, rhs, x);
            }
        }
        false
    }

    /// Whether a rigorous componentwise bound on the forward error of `x` as a solution of
    /// `M x = rhs` is below [`ITERATIVE_TOL`] relative in every entry (relative to the
    /// entry's gross magnitude `M^-1 |rhs|` where `rhs` has both signs).
    ///
    /// With `rt >= |rhs - M x|` (the computed residual plus a bound on its rounding error),
    /// the error `e = M^-1 (rhs - M x)` satisfies `|e| <= M^-1 rt` because `M^-1 >= 0`, and
    /// `M^-1 rt <= z` for any `z` with `M z >= rt`. `z` comes from a few Gauss-Seidel sweeps
    /// on `M z = 1.25 rt`; what rounding leaves short of `M z >= rt` is covered by adding
    /// `eta v` from the certificate (`M v >= w > 0`).
    fn error_bound_ok(&self, b: &Block, cert: &Certificate, rhs: &[f64], x: &[f64]) -> bool {
        let len = b.end - b.start;
        let up = 1.0 + 8.0 * f64::EPSILON;
        let mut rt = vec![0.0; len];
        for (j, q) in (b.start..b.end).enumerate() {
            let (lo, hi) = (b.split[j], self.ptr[q + 1]);
            let dx = self.diag[q] * x[j];
            let mut acc = rhs[j] - dx;
            let mut mag = rhs[j].abs() + dx.abs();
            for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                let t = a * x[i as usize - b.start];
                acc += t;
                mag += t.abs();
            }
            rt[j] = (acc.abs() + gamma(hi - lo + 2) * mag) * up;
        }
        if !rt.iter().all(|v| v.is_finite()) {
            return false;
        }
        let target: Vec<f64> = rt.iter().map(|&r| 1.25 * r).collect();
        let mut z = vec![0.0; len];
        for _ in 0..BOUND_SWEEPS {
            if self.gauss_seidel_sweep(b, &target, &mut z) <= 1e-3 {
                break;
            }
        }
        // eta: how far a rigorous lower bound of M z falls short of rt, in units of w.
        let mut eta = 0.0f64;
        for (j, q) in (b.start..b.end).enumerate() {
            let (lo, hi) = (b.split[j], self.ptr[q + 1]);
            let mut acc = self.diag[q] * z[j];
            let mut mag = acc;
            for (&i, &a) in self.supplier[lo..hi].iter().zip(&self.amount[lo..hi]) {
                let t = a * z[i as usize - b.start];
                acc -= t;
                mag += t;
            }
            let lower = acc - gamma(hi - lo + 2) * mag * up;
            if lower < rt[j] {
                eta = eta.max((rt[j] - lower) / cert.w[j] * up);
            }
        }
        if !eta.is_finite() {
            return false;
        }
        // The error is measured against |x|, or where the right-hand side has both signs,
        // against the gross magnitude M^-1 |rhs| >= |x| (an entry that cancels to near zero
        // cannot be known to better than that by any method).
        let scale: Vec<f64> = if rhs.iter().any(|&r| r < 0.0) {
            let gross: Vec<f64> = rhs.iter().map(|r| r.abs()).collect();
            let mut s = vec![0.0; len];
            for _ in 0..BOUND_SWEEPS {
                if self.gauss_seidel_sweep(b, &gross, &mut s) <= 1e-3 {
                    break;
                }
            }
            s.iter().zip(x).map(|(&g, &xj)| g.max(xj.abs())).collect()
        } else {
            x.iter().map(|v| v.abs()).collect()
        };
        scale
            .iter()
            .zip(z.iter().zip(&cert.v))
            .all(|(&sj, (&zj, &vj))| (zj + eta * vj) * up <= ITERATIVE_TOL * sj)
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

/// One loop: solve positions `start..end` and the LU of `A_c^T`.
#[derive(Clone)]
struct Block {
    start: usize,
    end: usize,
    /// For each position of the loop, the index of its first input from inside the loop.
    split: Vec<usize>,
    /// The LU of `A_c^T`: made at factorization for LU loops, on first need otherwise.
    lu: OnceLock<Option<Lu<u32, f64>>>,
    /// Present for loops solved by certified Gauss-Seidel.
    cert: Option<Certificate>,
}

/// `v > 0` and a rigorous lower bound `w > 0` of `M v` for a loop's `M = A_c^T`: proves `M`
/// is a non-singular M-matrix and bounds the error of any approximate solution.
#[derive(Clone)]
struct Certificate {
    v: Vec<f64>,
    w: Vec<f64>,
}

/// Loops up to this many products are solved by sparse LU under [`LoopMethod::Auto`].
const LU_MAX: usize = 2000;
/// Sweep budget for finding a certificate.
const CERT_SWEEPS: usize = 2000;
/// Sweep budget for one Gauss-Seidel solve before falling back to LU.
const SOLVE_SWEEPS: usize = 2000;
/// Sweep budget for the error bound's auxiliary solve (it needs little accuracy).
const BOUND_SWEEPS: usize = 200;
/// Relative forward error bound an iterative loop solve must prove in every entry.
const ITERATIVE_TOL: f64 = 1e-13;

/// Records `change` of sweep `sweep` in `history` and tells whether the iteration has
/// stopped converging: less than a 10 % reduction over the last 16 sweeps (a convergent
/// Gauss-Seidel on these systems shrinks it by orders of magnitude in that many).
fn stagnates(history: &mut [f64; 16], sweep: usize, change: f64) -> bool {
    let slot = &mut history[sweep % 16];
    let stalled = sweep > 32 && change > 0.9 * *slot;
    *slot = change;
    stalled
}

/// `m u / (1 - m u)`: bounds the relative rounding error of a sum of `m` products.
fn gamma(m: usize) -> f64 {
    let mu = m as f64 * (f64::EPSILON / 2.0);
    mu / (1.0 - mu)
}

/// Consumers of every product in solve positions (the transpose of the CSR structure).
#[derive(Clone)]
struct Consumers {
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

/// Strongly connected components of the graph with an edge from every consumer to each of its
/// suppliers, by an iterative Tarjan. Returns the products in the order the components are
/// completed (suppliers before their consumers) and the component boundaries in that order.
fn tarjan(n: usize, ptr: &[usize], supplier: &[u32]) -> (Vec<u32>, Vec<u32>) {
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut order: Vec<u32> = Vec::with_capacity(n);
    let mut comp_ptr: Vec<u32> = vec![0];
    let mut counter = 0u32;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        // All indices and counters are < n <= u32::MAX - 1.
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        calls.push((root as u32, ptr[root]));
        while let Some(frame) = calls.last_mut() {
            let v = frame.0 as usize;
            if frame.1 < ptr[v + 1] {
                let w = supplier[frame.1] as usize;
                frame.1 += 1;
                if index[w] == UNSEEN {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    calls.push((w as u32, ptr[w]));
                } else if on_stack[w] && index[w] < low[v] {
                    low[v] = index[w];
                }
                continue;
            }
            calls.pop();
            if let Some(parent) = calls.last() {
                let u = parent.0 as usize;
                if low[v] < low[u] {
                    low[u] = low[v];
                }
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w as usize] = false;
                    order.push(w);
                    if w as usize == v {
                        break;
                    }
                }
                comp_ptr.push(order.len() as u32);
            }
        }
    }
    (order, comp_ptr)
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
