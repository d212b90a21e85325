//! The certified iterative solver for big loops: a Gauss-Seidel certificate that a loop's
//! `M = A_c^T` is a non-singular M-matrix, and Gauss-Seidel solves with a rigorous
//! componentwise forward error bound (see [`LoopMethod::Iterative`](super::LoopMethod)).

use super::Factorization;
use super::lu::Block;

impl Factorization {
    /// A Gauss-Seidel certificate that the loop's `M` is a non-singular M-matrix: `v > 0`
    /// with a rigorous lower bound `w > 0` of `M v` (rounding errors included). `None` if the
    /// iteration does not produce one within its budget (the loop may be unphysical, or just
    /// slow to converge; the caller then decides with LU).
    pub(super) fn certify(&self, b: &Block) -> Option<Certificate> {
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
    pub(super) fn gauss_seidel(
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

/// `v > 0` and a rigorous lower bound `w > 0` of `M v` for a loop's `M = A_c^T`: proves `M`
/// is a non-singular M-matrix and bounds the error of any approximate solution.
#[derive(Clone)]
pub(super) struct Certificate {
    v: Vec<f64>,
    w: Vec<f64>,
}

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
