//! The loops (strongly connected components with more than one product): how each is
//! prepared and checked ([`Factorization::factorize_block`]) and solved
//! ([`Factorization::solve_block`]), by faer's sparse LU of `A_c^T` with one step of iterative
//! refinement, or by the certified Gauss-Seidel of `iterative.rs` where that is chosen.

use std::sync::OnceLock;

use faer::MatMut;
use faer::linalg::solvers::Solve;
use faer::sparse::linalg::solvers::{Lu, SymbolicLu};
use faer::sparse::{SparseColMat, SymbolicSparseColMat};

use super::iterative::Certificate;
use super::{Factorization, LoopMethod, SolveError};

impl Factorization {
    /// Solves `M x = rhs` (or `M^T x = rhs` if `transpose`) for the loop `b`, `M = A_c^T`,
    /// in place, with one step of iterative refinement: LU with partial pivoting is only
    /// normwise backward stable, and one refinement step makes the solution componentwise
    /// backward stable (Skeel), which matters for products whose scores are far below the
    /// largest ones.
    pub(super) fn solve_block(&self, b: &Block, x: &mut [f64], transpose: bool, r: &mut Vec<f64>) {
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

    /// Prepares the loop at positions `start..end` (`component` names it for errors) and
    /// checks that it is a non-singular M-matrix: by a Gauss-Seidel certificate for loops
    /// solved iteratively (falling back to LU if none is found), else by LU and `M y = 1`.
    pub(super) fn factorize_block(
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
}

/// One loop: solve positions `start..end` and the LU of `A_c^T`.
#[derive(Clone)]
pub(super) struct Block {
    pub(super) start: usize,
    pub(super) end: usize,
    /// For each position of the loop, the index of its first input from inside the loop.
    pub(super) split: Vec<usize>,
    /// The LU of `A_c^T`: made at factorization for LU loops, on first need otherwise.
    pub(super) lu: OnceLock<Option<Lu<u32, f64>>>,
    /// Present for loops solved by certified Gauss-Seidel.
    pub(super) cert: Option<Certificate>,
}

/// Loops up to this many products are solved by sparse LU under [`LoopMethod::Auto`].
const LU_MAX: usize = 2000;
