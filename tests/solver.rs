//! Tests: the supply-chain solver (`pcf::solver`) against hand-computed systems, a dense
//! Gaussian elimination, petgraph's Tarjan, and its own identities.

use petgraph::graph::DiGraph;
use proptest::prelude::*;

use pcf::solver::{Change, LoopMethod, SolveError, Technosphere};

/// Dense `A` (row-major n x n) from production and inputs, as the module docs define it.
fn dense_a(production: &[f64], inputs: &[(usize, usize, f64)]) -> Vec<f64> {
    let n = production.len();
    let mut a = vec![0.0; n * n];
    for (j, &p) in production.iter().enumerate() {
        a[j * n + j] += p;
    }
    for &(consumer, supplier, amount) in inputs {
        a[supplier * n + consumer] -= amount;
    }
    a
}

/// Transpose of a row-major n x n matrix.
fn transpose(a: &[f64], n: usize) -> Vec<f64> {
    let mut t = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            t[j * n + i] = a[i * n + j];
        }
    }
    t
}

/// Solves `m x = b` by Gaussian elimination with partial pivoting (m row-major n x n).
fn dense_solve(m: &[f64], b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let mut m = m.to_vec();
    let mut x = b.to_vec();
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&r, &s| m[r * n + col].abs().total_cmp(&m[s * n + col].abs()))
            .unwrap_or(col);
        if piv != col {
            for c in 0..n {
                m.swap(piv * n + c, col * n + c);
            }
            x.swap(piv, col);
        }
        let d = m[col * n + col];
        for r in col + 1..n {
            let f = m[r * n + col] / d;
            if f != 0.0 {
                for c in col..n {
                    m[r * n + c] -= f * m[col * n + c];
                }
                x[r] -= f * x[col];
            }
        }
    }
    for r in (0..n).rev() {
        let mut s = x[r];
        for c in r + 1..n {
            s -= m[r * n + c] * x[c];
        }
        x[r] = s / m[r * n + r];
    }
    x
}

/// Every entry within `tol` relative to itself or to the largest entry (a dense LU makes
/// round-off of that size on entries that are exactly zero).
fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    let norm = want.iter().fold(0.0f64, |m, w| m.max(w.abs()));
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let scale = g.abs().max(w.abs()).max(norm).max(1e-300);
        assert!((g - w).abs() / scale <= tol, "entry {i}: got {g:e}, want {w:e}");
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn chain_by_hand() {
    // 1 consumes 0.5 of product 0 per run and makes 2 units; 2 consumes 3 of product 1.
    let tech = Technosphere::new(vec![1.0, 2.0, 1.0], &[(1, 0, 0.5), (2, 1, 3.0)]).unwrap();
    let fact = tech.factorize().unwrap();
    assert!(fact.cyclic_components().is_empty());
    let b = [2.0, 1.0, 0.5];
    let y = fact.per_unit(&b, 1);
    assert_eq!(y, vec![2.0, 1.0, 3.5]);
    let s = fact.supply(&[0.0, 0.0, 1.0]);
    assert_eq!(s, vec![0.75, 1.5, 1.0]);
    assert_eq!(dot(&b, &s), y[2]);
    assert_eq!(fact.residual_per_unit(&b, &y, 1), 0.0);
}

#[test]
fn two_cycle_by_hand() {
    // 0 makes 1 and uses 0.5 of 1; 1 makes 2 and uses 0.5 of 0.
    let tech = Technosphere::new(vec![1.0, 2.0], &[(0, 1, 0.5), (1, 0, 0.5)]).unwrap();
    let fact = tech.factorize().unwrap();
    assert_eq!(fact.cyclic_components(), &[vec![0, 1]]);
    // y0 = 1 + 0.5 y1, 2 y1 = 0.5 y0  =>  y0 = 8/7, y1 = 2/7.
    let y = fact.per_unit(&[1.0, 0.0], 1);
    assert_close(&y, &[8.0 / 7.0, 2.0 / 7.0], 1e-15);
    // s0 - 0.5 s1 = 1, 2 s1 - 0.5 s0 = 0  =>  s1 = s0 / 4, s0 = 8/7.
    let s = fact.supply(&[1.0, 0.0]);
    assert_close(&s, &[8.0 / 7.0, 2.0 / 7.0], 1e-15);
    assert!(fact.residual_per_unit(&[1.0, 0.0], &y, 1) < 1e-15);
}

#[test]
fn self_loop_by_hand() {
    // A grid that loses 20 % of what it makes, fed by a plant emitting 1 per unit.
    let tech = Technosphere::new(vec![1.0, 1.0], &[(1, 1, 0.2), (1, 0, 1.0)]).unwrap();
    let fact = tech.factorize().unwrap();
    assert!(fact.cyclic_components().is_empty(), "self-consumption is not a loop");
    let y = fact.per_unit(&[1.0, 0.0], 1);
    assert_close(&y, &[1.0, 1.25], 1e-15);
    let s = fact.supply(&[0.0, 1.0]);
    assert_close(&s, &[1.25, 1.25], 1e-15);
}

#[test]
fn duplicates_are_summed() {
    let a = Technosphere::new(vec![1.0, 1.0], &[(1, 0, 0.25), (1, 0, 0.5)]).unwrap();
    let b = Technosphere::new(vec![1.0, 1.0], &[(1, 0, 0.75)]).unwrap();
    assert_eq!(a, b);
    let c = Technosphere::new(vec![1.0], &[(0, 0, 0.25), (0, 0, 0.25)]).unwrap();
    let y = c.factorize().unwrap().per_unit(&[1.0], 1);
    assert_eq!(y, vec![2.0]);
}

#[test]
fn several_right_hand_sides() {
    let tech =
        Technosphere::new(vec![1.0, 2.0, 1.0], &[(0, 1, 0.5), (1, 0, 0.5), (2, 1, 1.0)]).unwrap();
    let fact = tech.factorize().unwrap();
    let b = [1.0, 0.0, 0.0, 0.0, 1.0, 3.0];
    let y = fact.per_unit(&b, 2);
    let y0 = fact.per_unit(&b[..3], 1);
    let y1 = fact.per_unit(&b[3..], 1);
    assert_close(&y[..3], &y0, 1e-15);
    assert_close(&y[3..], &y1, 1e-15);
    assert!(fact.residual_per_unit(&b, &y, 2) < 1e-15);
}

#[test]
fn empty_system() {
    let fact = Technosphere::new(vec![], &[]).unwrap().factorize().unwrap();
    assert!(fact.per_unit(&[], 3).is_empty());
    assert!(fact.supply(&[]).is_empty());
}

#[test]
fn invalid_inputs_are_named() {
    let err = Technosphere::new(vec![1.0, 1.0], &[(0, 1, 1.0), (2, 0, 1.0)]).unwrap_err();
    assert_eq!(err, SolveError::BadIndex { input: 1, consumer: 2, supplier: 0, products: 2 });
    assert_eq!(err.to_string(), "input 1: consumer 2 or supplier 0 is not a product (there are 2)");
    let err = Technosphere::new(vec![1.0, 1.0], &[(0, 1, f64::NAN)]).unwrap_err();
    assert_eq!(err.to_string(), "input 0: amount NaN of product 1 consumed by 0 is not finite");
    let err = Technosphere::new(vec![1.0, 1.0], &[(0, 1, -0.5)]).unwrap_err();
    assert_eq!(
        err,
        SolveError::NonPositiveInput { input: 0, consumer: 0, supplier: 1, amount: -0.5 }
    );
    assert_eq!(err.to_string(), "input 0: amount -0.5 of product 1 consumed by 0 is not positive");
    let err = Technosphere::new(vec![1.0, 0.0], &[]).unwrap_err();
    assert_eq!(err, SolveError::NonPositiveProduction { product: 1, value: 0.0 });
    assert_eq!(err.to_string(), "production amount 0 of product 1 is not a positive finite number");
    let err = Technosphere::new(vec![f64::INFINITY], &[]).unwrap_err();
    assert_eq!(err, SolveError::NonPositiveProduction { product: 0, value: f64::INFINITY });
}

#[test]
fn self_loop_consuming_everything_is_singular() {
    let tech = Technosphere::new(vec![1.0, 2.0], &[(1, 0, 1.0), (1, 1, 2.0)]).unwrap();
    let err = tech.factorize().unwrap_err();
    assert_eq!(err, SolveError::Singular { component: vec![1] });
    assert_eq!(
        err.to_string(),
        "product 1 consumes at least as much of itself as it makes, so it has no physical solution"
    );
}

#[test]
fn over_consuming_loop_is_named_even_when_lu_succeeds() {
    // 2 and 5 each need 2 units of the other per unit made: inputs per unit of output have
    // spectral radius 2. A^T = [[1, -2], [-2, 1]] is non-singular (det -3), so an LU alone
    // would return y = (-1, -1); the M-matrix test must reject it.
    let production = vec![1.0; 7];
    let inputs = [(2, 5, 2.0), (5, 2, 2.0), (2, 0, 1.0), (6, 5, 1.0), (3, 4, 0.5)];
    let err = Technosphere::new(production, &inputs).unwrap().factorize().unwrap_err();
    assert_eq!(err, SolveError::Singular { component: vec![2, 5] });
    assert_eq!(
        err.to_string(),
        "the loop of 2 products [2, 5] consumes at least as much as it makes, so it has no \
         physical solution"
    );
}

#[test]
fn loop_exactly_at_spectral_radius_one_is_singular() {
    // 0 -> 1 -> 2 -> 0, each making 1 and consuming 1: A^T is singular.
    let inputs = [(0, 2, 1.0), (1, 0, 1.0), (2, 1, 1.0), (3, 0, 0.1)];
    let err = Technosphere::new(vec![1.0; 4], &inputs).unwrap().factorize().unwrap_err();
    assert_eq!(err, SolveError::Singular { component: vec![0, 1, 2] });
}

#[test]
fn big_loop_message_is_shortened() {
    let n = 30;
    let inputs: Vec<_> = (0..n).map(|j| (j, (j + 1) % n, 1.5)).collect();
    let err = Technosphere::new(vec![1.0; n], &inputs).unwrap().factorize().unwrap_err();
    assert_eq!(err, SolveError::Singular { component: (0..n).collect() });
    assert_eq!(
        err.to_string(),
        "the loop of 30 products [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, \
         18, 19, ... (10 more)] consumes at least as much as it makes, so it has no physical \
         solution"
    );
}

#[test]
fn deep_chains_and_long_loops_do_not_overflow_the_stack() {
    // A 300,000-long chain feeding a 300,000-long loop: depth-first paths that deep would
    // overflow a recursive Tarjan.
    let n = 600_000;
    let half = n / 2;
    let mut inputs: Vec<(usize, usize, f64)> = (1..half).map(|j| (j, j - 1, 1.0)).collect();
    inputs.extend((half..n).map(|j| (j, if j + 1 < n { j + 1 } else { half }, 0.5)));
    inputs.push((half, half - 1, 1.0));
    let fact = Technosphere::new(vec![1.0; n], &inputs).unwrap().factorize().unwrap();
    assert_eq!(fact.cyclic_components().len(), 1);
    assert_eq!(fact.cyclic_components()[0].len(), half);
    let mut b = vec![0.0; n];
    b[0] = 1.0;
    let y = fact.per_unit(&b, 1);
    assert!(y[..half].iter().all(|&v| v == 1.0));
    assert!(fact.residual_per_unit(&b, &y, 1) < 1e-14);
}

/// Production amounts, inputs `(consumer, supplier, amount)` and direct burdens.
type System = (Vec<f64>, Vec<(usize, usize, f64)>, Vec<f64>);

/// A random system: `n` products, random inputs; in a cyclic system every consumer spends at
/// most `budget` of its output on inputs (its own product included), so the inputs per unit
/// of output have spectral radius <= budget < 1.
fn system(acyclic: bool, budget: f64) -> impl Strategy<Value = System> {
    (2usize..40)
        .prop_flat_map(move |n| {
            (
                prop::collection::vec(prop_oneof![Just(1.0), 0.01f64..100.0], n),
                prop::collection::vec((0..n, 0..n, 0.01f64..1.0), 0..4 * n),
                prop::collection::vec(prop_oneof![Just(0.0), 0.0f64..10.0], n),
            )
        })
        .prop_map(move |(production, raw, direct)| {
            let n = production.len();
            let mut inputs: Vec<(usize, usize, f64)> =
                raw.into_iter().filter(|&(c, s, _)| !acyclic || s < c).collect();
            let mut total = vec![0.0; n];
            for &(c, _, a) in &inputs {
                total[c] += a;
            }
            for e in &mut inputs {
                e.2 *= budget * production[e.0] / total[e.0];
            }
            (production, inputs, direct)
        })
}

fn check_against_dense(
    production: &[f64],
    inputs: &[(usize, usize, f64)],
    direct: &[f64],
    method: LoopMethod,
) {
    let n = production.len();
    let fact =
        match Technosphere::new(production.to_vec(), inputs).map(|t| t.factorize_with(method)) {
            Ok(Ok(fact)) => fact,
            other => panic!("a valid system was rejected: {other:?}"),
        };
    let a = dense_a(production, inputs);
    let y = fact.per_unit(direct, 1);
    assert_close(&y, &dense_solve(&transpose(&a, n), direct), 1e-12);
    assert!(fact.residual_per_unit(direct, &y, 1) < 1e-14);
    // supply and per_unit agree: f . y == b . s for every unit demand.
    for j in 0..n {
        let mut f = vec![0.0; n];
        f[j] = 1.0;
        let s = fact.supply(&f);
        assert_close(&s, &dense_solve(&a, &f), 1e-12);
        assert!(s.iter().all(|&v| v >= 0.0), "an M-matrix has a non-negative inverse");
        let lhs = dot(&f, &y);
        let rhs = dot(direct, &s);
        assert!((lhs - rhs).abs() <= 1e-12 * lhs.abs().max(rhs.abs()).max(1e-300));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn acyclic_sweep_matches_dense_solve((production, inputs, direct) in system(true, 0.9)) {
        let fact = Technosphere::new(production.clone(), &inputs).unwrap().factorize().unwrap();
        prop_assert!(fact.cyclic_components().is_empty());
        check_against_dense(&production, &inputs, &direct, LoopMethod::Auto);
    }

    #[test]
    fn cyclic_systems_match_dense_solve((production, inputs, direct) in system(false, 0.95)) {
        check_against_dense(&production, &inputs, &direct, LoopMethod::Lu);
    }

    #[test]
    fn iterative_loops_match_dense_solve((production, inputs, direct) in system(false, 0.95)) {
        check_against_dense(&production, &inputs, &direct, LoopMethod::Iterative);
    }

    #[test]
    fn iterative_loops_with_negative_burdens_match_lu(
        (production, inputs, direct) in system(false, 0.95),
        flip in prop::collection::vec(any::<bool>(), 40),
    ) {
        // Uptake (negative direct burdens) next to emissions: results may cancel to ~0.
        let direct: Vec<f64> =
            direct.iter().zip(&flip).map(|(&d, &f)| if f { -d } else { d }).collect();
        let tech = Technosphere::new(production, &inputs).unwrap();
        let it = tech.factorize_with(LoopMethod::Iterative).unwrap().per_unit(&direct, 1);
        let lu = tech.factorize_with(LoopMethod::Lu).unwrap().per_unit(&direct, 1);
        assert_close(&it, &lu, 1e-12);
    }

    #[test]
    fn iterative_and_lu_agree_on_singularity((production, inputs, _d) in system(false, 1.5)) {
        let tech = Technosphere::new(production, &inputs).unwrap();
        let lu = tech.factorize_with(LoopMethod::Lu).map(|f| f.cyclic_components().to_vec());
        let it = tech.factorize_with(LoopMethod::Iterative).map(|f| f.cyclic_components().to_vec());
        prop_assert_eq!(lu, it);
    }

    #[test]
    fn over_budget_loops_are_rejected_or_solved_physically(
        (production, inputs, direct) in system(false, 1.5)
    ) {
        // With inputs worth more than the output some loops (or self-loops) are unphysical:
        // either the factorization says so, or every loop passed the M-matrix test and the
        // solution is the non-negative one the dense solve finds.
        let tech = Technosphere::new(production.clone(), &inputs).unwrap();
        match tech.factorize() {
            Ok(fact) => {
                let y = fact.per_unit(&direct, 1);
                prop_assert!(y.iter().all(|&v| v >= 0.0));
                let a = dense_a(&production, &inputs);
                let want = dense_solve(&transpose(&a, production.len()), &direct);
                assert_close(&y, &want, 1e-9);
            }
            Err(SolveError::Singular { component }) => {
                prop_assert!(!component.is_empty());
                prop_assert!(component.windows(2).all(|w| w[0] < w[1]));
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }

    #[test]
    fn sorted_and_unsorted_inputs_build_the_same_rows((production, inputs, _d) in system(false, 0.9)) {
        let mut sorted = inputs.clone();
        sorted.sort_by_key(|e| (e.0, e.1));
        let a = Technosphere::new(production.clone(), &inputs).unwrap();
        let b = Technosphere::new(production, &sorted).unwrap();
        // Summation order of duplicates may differ: compare per-unit results instead of bits.
        prop_assert_eq!(a.inputs(), b.inputs());
        let direct = vec![1.0; a.len()];
        let ya = a.factorize().unwrap().per_unit(&direct, 1);
        let yb = b.factorize().unwrap().per_unit(&direct, 1);
        assert_close(&ya, &yb, 1e-13);
    }

    #[test]
    fn components_match_petgraph((production, inputs, _direct) in system(false, 0.9)) {
        let n = production.len();
        let fact = Technosphere::new(production, &inputs).unwrap().factorize().unwrap();
        let mut g = DiGraph::<(), ()>::new();
        let nodes: Vec<_> = (0..n).map(|_| g.add_node(())).collect();
        for &(c, s, _) in &inputs {
            if c != s {
                g.add_edge(nodes[s], nodes[c], ());
            }
        }
        let mut want: Vec<Vec<usize>> = petgraph::algo::tarjan_scc(&g)
            .into_iter()
            .filter(|c| c.len() > 1)
            .map(|c| {
                let mut v: Vec<usize> = c.into_iter().map(|x| x.index()).collect();
                v.sort_unstable();
                v
            })
            .collect();
        // petgraph lists consumers first for supplier -> consumer edges; ours are suppliers
        // first. Compare as sets and check our order is a topological one.
        let mut got = fact.cyclic_components().to_vec();
        let rank = |c: &Vec<usize>| got.iter().position(|x| x == c).unwrap();
        for &(c, s, _) in &inputs {
            let (cc, sc) = (got.iter().find(|x| x.contains(&c)), got.iter().find(|x| x.contains(&s)));
            if let (Some(cc), Some(sc)) = (cc, sc) {
                prop_assert!(rank(sc) <= rank(cc), "supplier loop solved after consumer loop");
            }
        }
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn incremental_update_equals_full_recomputation(
        (production, inputs, direct) in system(false, 0.9),
        changes in prop::collection::vec((any::<prop::sample::Index>(), 0.0f64..5.0), 1..4),
        iterative in any::<bool>(),
    ) {
        let method = if iterative { LoopMethod::Iterative } else { LoopMethod::Lu };
        let tech = Technosphere::new(production, &inputs).unwrap();
        let fact = tech.factorize_with(method).unwrap();
        let n = direct.len();
        let mut y = fact.per_unit(&direct, 1);
        let mut new = direct.clone();
        let changed: Vec<usize> = changes.iter().map(|(i, v)| {
            let j = i.index(n);
            new[j] = *v;
            j
        }).collect();
        let stats = fact.update_per_unit(&new, &mut y, &changed);
        let full = fact.per_unit(&new, 1);
        prop_assert!(stats.recomputed <= n);
        prop_assert_eq!(
            y.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            full.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn technosphere_updates_equal_a_fresh_factorization(
        (production, inputs, direct) in system(false, 0.9),
        pick in any::<prop::sample::Index>(),
        scale in 0.5f64..1.0,
        iterative in any::<bool>(),
    ) {
        let method = if iterative { LoopMethod::Iterative } else { LoopMethod::Lu };
        let n = production.len();
        prop_assume!(!inputs.is_empty());
        // Scale every input of one consumer (self-consumption included) and its production.
        let consumer = inputs[pick.index(inputs.len())].0;
        let mut changes = Vec::new();
        let mut summed: Vec<(usize, f64)> = Vec::new();
        for &(c, s, a) in inputs.iter().filter(|e| e.0 == consumer) {
            match summed.iter_mut().find(|e| e.0 == s) {
                Some(e) => e.1 += a,
                None => summed.push((s, a)),
            }
            let _ = c;
        }
        let mut modified: Vec<(usize, usize, f64)> =
            inputs.iter().copied().filter(|e| e.0 != consumer).collect();
        for &(s, a) in &summed {
            changes.push(Change::Input { consumer, supplier: s, amount: a * scale });
            modified.push((consumer, s, a * scale));
        }
        let mut fact = Technosphere::new(production.clone(), &inputs)
            .unwrap()
            .factorize_with(method)
            .unwrap();
        let mut y = fact.per_unit(&direct, 1);
        let touched = fact.update_technosphere(&changes).unwrap();
        prop_assert_eq!(&touched, &vec![consumer]);
        fact.update_per_unit(&direct, &mut y, &touched);
        let fresh = Technosphere::new(production, &modified).unwrap().factorize_with(method).unwrap();
        let want = fresh.per_unit(&direct, 1);
        assert_close(&y, &want, 1e-13);
        prop_assert!(fact.residual_per_unit(&direct, &y, 1) < 1e-14);
        prop_assert_eq!(n, y.len());
    }
}

#[test]
fn technosphere_update_of_one_input_equals_a_fresh_factorization_bit_for_bit() {
    let (production, inputs, direct) = supply_chain(20_000, 3);
    let tech = Technosphere::new(production.clone(), &inputs).unwrap();
    let mut fact = tech.factorize().unwrap();
    let mut y = fact.per_unit(&direct, 1);
    for &(c, s, _) in [inputs[10], inputs[77_000], inputs[inputs.len() - 1]].iter() {
        let mut summed = 0.0;
        let mut modified: Vec<(usize, usize, f64)> = Vec::new();
        for &(cc, ss, a) in &inputs {
            if (cc, ss) == (c, s) {
                summed += a;
            } else {
                modified.push((cc, ss, a));
            }
        }
        if c == s {
            continue;
        }
        modified.push((c, s, summed * 0.5));
        let mut y_here = y.clone();
        let mut f = fact.clone();
        let touched = f
            .update_technosphere(&[Change::Input {
                consumer: c,
                supplier: s,
                amount: summed * 0.5,
            }])
            .unwrap();
        f.update_per_unit(&direct, &mut y_here, &touched);
        let want = Technosphere::new(production.clone(), &modified)
            .unwrap()
            .factorize()
            .unwrap()
            .per_unit(&direct, 1);
        assert!(y_here.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
    // Updates that would make a loop over-consume are refused and change nothing.
    let (c, s, _) = inputs.iter().copied().find(|&(c, s, _)| c != s && c % 2000 == 0).unwrap();
    let err = fact.update_technosphere(&[Change::Input { consumer: c, supplier: s, amount: 1e6 }]);
    assert!(matches!(err, Err(SolveError::Singular { .. })), "{err:?}");
    let again = fact.per_unit(&direct, 1);
    assert_eq!(again, y);
    let err =
        fact.update_technosphere(&[Change::Input { consumer: 0, supplier: 19_999, amount: 1.0 }]);
    assert_eq!(err, Err(SolveError::NotAnInput { consumer: 0, supplier: 19_999 }));
    assert_eq!(err.unwrap_err().to_string(), "product 0 has no input from product 19999 to update");
    let _ = fact.update_technosphere(&[Change::Production { product: 5, amount: 2.0 }]).unwrap();
    y = fact.per_unit(&direct, 1);
    assert!(fact.residual_per_unit(&direct, &y, 1) < 1e-15);
}

#[test]
fn incremental_update_touches_only_downstream() {
    // 0 -> 1 -> 2 and 3 -> 4: changing 1 recomputes 1 and 2 only.
    let tech = Technosphere::new(vec![1.0; 5], &[(1, 0, 1.0), (2, 1, 1.0), (4, 3, 1.0)]).unwrap();
    let fact = tech.factorize().unwrap();
    let mut b = vec![1.0; 5];
    let mut y = fact.per_unit(&b, 1);
    b[1] = 2.0;
    let stats = fact.update_per_unit(&b, &mut y, &[1]);
    assert_eq!(stats.recomputed, 2);
    assert_eq!(y, vec![1.0, 3.0, 4.0, 1.0, 2.0]);
}

/// A supply-chain-like system of `n` products (`n` a multiple of 10): most inputs from lower
/// ids, a few from higher ones, 30 % from ten hubs that buy from anywhere (which makes one
/// big loop); every consumer spends at most 80 % of its output on inputs. Deterministic (a
/// small LCG).
fn supply_chain(n: usize, seed: u64) -> System {
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let production: Vec<f64> =
        (0..n).map(|_| if next() < 0.9 { 1.0 } else { 0.1 + 10.0 * next() }).collect();
    let mut inputs = Vec::new();
    for c in 0..n {
        let k = 1 + (next() * 12.0) as usize;
        let mut row = Vec::new();
        for _ in 0..k {
            // Ten hubs at positions i * n / 10; they buy from anywhere.
            let s = if c % (n / 10) == 0 {
                (next() * n as f64) as usize % n
            } else if next() < 0.3 {
                (next() * 10.0) as usize * (n / 10)
            } else if next() < 0.05 {
                (c + 1 + (next() * 30.0) as usize) % n
            } else {
                c.saturating_sub(1 + (next() * 30.0) as usize)
            };
            row.push((c, s, 0.01 + next()));
        }
        let total: f64 = row.iter().map(|e| e.2).sum();
        let budget = 0.2 + 0.6 * next();
        inputs.extend(row.into_iter().map(|(c, s, a)| (c, s, a * budget * production[c] / total)));
    }
    let direct = (0..n).map(|_| if next() < 0.2 { 0.0 } else { next() * 100.0 }).collect();
    (production, inputs, direct)
}

#[test]
fn big_loops_solved_iteratively_match_lu() {
    let (production, inputs, direct) = supply_chain(20_000, 7);
    let tech = Technosphere::new(production, &inputs).unwrap();
    let auto = tech.factorize().unwrap();
    let lu = tech.factorize_with(LoopMethod::Lu).unwrap();
    assert_eq!(auto.cyclic_components(), lu.cyclic_components());
    let biggest = auto.cyclic_components().iter().map(Vec::len).max().unwrap();
    assert!(biggest > 5000, "the test needs a loop above the LU threshold, got {biggest}");
    let (ya, yl) = (auto.per_unit(&direct, 1), lu.per_unit(&direct, 1));
    for (a, l) in ya.iter().zip(&yl) {
        assert!((a - l).abs() <= 1e-12 * a.abs().max(l.abs()), "{a} vs {l}");
    }
    assert!(auto.residual_per_unit(&direct, &ya, 1) < 1e-15);
    // supply() on an iteratively solved loop uses an LU made on first need.
    let mut f = vec![0.0; direct.len()];
    f[123] = 1.0;
    let (sa, sl) = (auto.supply(&f), lu.supply(&f));
    assert_eq!(sa, sl);
    assert!((dot(&direct, &sa) - ya[123]).abs() <= 1e-12 * ya[123]);
}

#[test]
fn big_over_consuming_loop_is_found_iteratively_too() {
    let (production, mut inputs, _) = supply_chain(5_000, 11);
    // Triple every input of the first 4,000 consumers: their inputs are now worth more than
    // their output (up to 240 %).
    for e in inputs.iter_mut().filter(|e| e.0 < 4000) {
        e.2 *= 3.0;
    }
    let tech = Technosphere::new(production, &inputs).unwrap();
    let err = tech.factorize_with(LoopMethod::Iterative).unwrap_err();
    assert_eq!(Some(err), tech.factorize_with(LoopMethod::Lu).err());
}
