//! Building a [`Technosphere`] from production amounts and inputs (validated, summed, stored
//! by consumer) and condensing it into a [`Factorization`].

use std::fmt;
use std::sync::OnceLock;

use super::scc::tarjan;
use super::{Factorization, LoopMethod, SolveError, Technosphere};

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
