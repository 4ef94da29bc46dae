//! DAP estimator: the direction's exact length and alignment, E[vvᵀ] = I,
//! exactness along the true gradient, the two-stage scheme, fall-backs, errors
//! and integration with the optimizer.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations;
use ndarray::{Array1, ArrayView1, ArrayViewMut1};
use std::cell::RefCell;
use zoptim::Smoothed;
use zoptim::estimator::{Dap, Estimate, GradientEstimator, ProxyKind, estimate_once};
use zoptim::testing::ExactGradient;
use zoptim::testing::{Linear, Quadratic, Rosenbrock, TestFunction};
use zoptim::{Difference, Direction, Error, Optimizer, TwoPoint, ZoRng};

/// A proxy that always returns the same vector.
fn constant_proxy(a: Vec<f64>) -> impl FnMut(ArrayView1<f64>, ArrayViewMut1<f64>) {
    move |_x: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| out.assign(&ArrayView1::from(&a[..]))
}

fn unit(a: &[f64]) -> Vec<f64> {
    let n = a.iter().map(|v| v * v).sum::<f64>().sqrt();
    a.iter().map(|v| v / n).collect()
}

/// With x = 0 and μ = 1 (forward differences), every query point other than
/// f(x) is 0 + 1·v = v exactly, so recording the query points records the
/// directions bit for bit.
#[test]
fn every_direction_has_squared_norm_d_and_unit_alignment() {
    for d in [1usize, 2, 3, 8, 100, 1001] {
        let a: Vec<f64> = (0..d).map(|i| (i as f64 * 0.7).sin() + 0.1).collect();
        let a_hat = unit(&a);
        let recorded = RefCell::new(Vec::<Vec<f64>>::new());
        let mut f = |x: ArrayView1<f64>| {
            if x.iter().any(|&v| v != 0.0) {
                recorded.borrow_mut().push(x.to_vec());
            }
            x.sum()
        };
        let draws = if d > 100 { 20 } else { 200 };
        let mut rng = ZoRng::seed_from_u64(d as u64);
        let mut out = Estimate::new();
        let mut x = vec![0.0; d];
        // Given proxy: ‖v‖² = d and âᵀv = ±1 (to rounding).
        let mut dap = Dap::with_proxy(constant_proxy(a.clone())).mu(1.0).directions(3);
        GradientEstimator::<f64>::prepare(&mut dap, d).unwrap();
        for _ in 0..draws {
            estimate_once(&mut dap, &mut f, &mut x, &mut rng, &mut out).unwrap();
        }
        let vs = recorded.take();
        assert_eq!(vs.len(), 3 * draws);
        for v in &vs {
            let n2: f64 = v.iter().map(|t| t * t).sum();
            let al: f64 = v.iter().zip(&a_hat).map(|(s, t)| s * t).sum();
            assert!((n2 - d as f64).abs() <= 1e-12 * d as f64, "d={d}: ‖v‖² = {n2}");
            assert!((al.abs() - 1.0).abs() <= 1e-12 * (d as f64).sqrt(), "d={d}: âᵀv = {al}");
        }
        // Both signs ξ occur.
        if d > 1 {
            let pos = vs
                .iter()
                .filter(|v| v.iter().zip(&a_hat).map(|(s, t)| s * t).sum::<f64>() > 0.0)
                .count();
            assert!(pos > 0 && pos < vs.len(), "d={d}: {pos} of {}", vs.len());
        }
        // Zero proxy: the uniform-sphere fall-back, also ‖v‖² = d.
        let mut dap = Dap::with_proxy(constant_proxy(vec![0.0; d])).mu(1.0);
        GradientEstimator::<f64>::prepare(&mut dap, d).unwrap();
        for _ in 0..10 {
            estimate_once(&mut dap, &mut f, &mut x, &mut rng, &mut out).unwrap();
        }
        assert_eq!(dap.fallbacks(), 10);
        for v in recorded.take() {
            let n2: f64 = v.iter().map(|t| t * t).sum();
            assert!((n2 - d as f64).abs() <= 1e-12 * d as f64, "fallback d={d}: ‖v‖² = {n2}");
        }
    }
}

/// A tiny but non-zero proxy (1e-200 per entry: its squared norm underflows f64)
/// still gives aligned directions; a threshold set by the user makes it fall back.
#[test]
fn tiny_proxies_are_aligned_unless_a_threshold_is_set() {
    let d = 5;
    let a = vec![1e-200, -2e-200, 0.0, 3e-200, 1e-200];
    let a_hat = unit(&a.iter().map(|v| v * 1e200).collect::<Vec<_>>());
    let recorded = RefCell::new(Vec::<Vec<f64>>::new());
    let mut f = |x: ArrayView1<f64>| {
        if x.iter().any(|&v| v != 0.0) {
            recorded.borrow_mut().push(x.to_vec());
        }
        x.sum()
    };
    let mut rng = ZoRng::seed_from_u64(6);
    let mut out = Estimate::new();
    let mut x = vec![0.0; d];
    let mut dap = Dap::with_proxy(constant_proxy(a.clone())).mu(1.0);
    GradientEstimator::<f64>::prepare(&mut dap, d).unwrap();
    for _ in 0..20 {
        estimate_once(&mut dap, &mut f, &mut x, &mut rng, &mut out).unwrap();
    }
    assert_eq!(dap.fallbacks(), 0);
    for v in recorded.take() {
        let al: f64 = v.iter().zip(&a_hat).map(|(s, t)| s * t).sum();
        assert!((al.abs() - 1.0).abs() < 1e-12, "âᵀv = {al}");
    }
    let mut dap = Dap::with_proxy(constant_proxy(a)).mu(1.0).min_proxy_norm(1e-100);
    GradientEstimator::<f64>::prepare(&mut dap, d).unwrap();
    estimate_once(&mut dap, &mut f, &mut x, &mut rng, &mut out).unwrap();
    assert_eq!(dap.fallbacks(), 1);
}

/// E[vvᵀ] = I and E[v] = 0 for a fixed proxy, entry by entry, over 100k draws
/// at d = 4. Each entry's sample mean is compared with its target within 5
/// estimated standard errors (sqrt of the entry's sample variance over n; the
/// entries are bounded by ‖v‖² = 4, so the variance estimate is accurate at
/// this n). The proxy (1, 2, 3, 4) is not axis-aligned, so every entry of
/// ââᵀ + P is exercised.
#[test]
fn second_moment_is_identity() {
    let d = 4;
    let n = 100_000;
    let stats = RefCell::new(([[0.0f64; 4]; 4], [[0.0f64; 4]; 4], [0.0f64; 4]));
    let mut f = |x: ArrayView1<f64>| {
        if x.iter().any(|&v| v != 0.0) {
            let (m, m2, s) = &mut *stats.borrow_mut();
            for i in 0..4 {
                s[i] += x[i];
                for j in 0..4 {
                    let p = x[i] * x[j];
                    m[i][j] += p;
                    m2[i][j] += p * p;
                }
            }
        }
        0.0
    };
    let mut dap = Dap::with_proxy(constant_proxy(vec![1.0, 2.0, 3.0, 4.0])).mu(1.0);
    GradientEstimator::<f64>::prepare(&mut dap, d).unwrap();
    let mut rng = ZoRng::seed_from_u64(2024);
    let mut out = Estimate::new();
    let mut x = vec![0.0; d];
    for _ in 0..n {
        estimate_once(&mut dap, &mut f, &mut x, &mut rng, &mut out).unwrap();
    }
    let (m, m2, s) = stats.take();
    let nf = n as f64;
    for i in 0..4 {
        // |vᵢ| ≤ 2, so Var(vᵢ) ≤ 4: 5 standard errors ≤ 0.032.
        assert!((s[i] / nf).abs() < 0.032, "E[v{i}] = {}", s[i] / nf);
        for j in 0..4 {
            let mean = m[i][j] / nf;
            let var = m2[i][j] / nf - mean * mean;
            let se = (var / nf).sqrt();
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((mean - want).abs() < 5.0 * se + 1e-12, "E[v{i}v{j}] = {mean} (se {se})");
        }
    }
}

/// With the true gradient a as proxy, âᵀg = (aᵀv)(âᵀv) = ‖a‖ on every draw (as
/// μ → 0). Central differences with μ = 1e-6 on Rosenbrock (not quadratic, so
/// the difference is not exact) have truncation error O(μ²) and rounding error
/// O(ε|f|/μ) ≈ 1e-9 relative here: the tolerance 1e-6·‖a‖ is loose by three
/// orders. The uniform-sphere two-point estimate at the same point misses by
/// far more, which shows the check has teeth.
#[test]
fn aligned_component_is_exact_with_the_true_gradient() {
    let d = 20;
    let x0 = Rosenbrock::standard_start::<f64>(d);
    let a = Rosenbrock.gradient(x0.view());
    let a_norm = a.dot(&a).sqrt();
    let a_hat = &a / a_norm;
    for (difference, mu, tol) in [(Difference::Central, 1e-6, 1e-6), (Difference::Forward, 1e-8, 1e-4)] {
        let mut dap = Dap::with_proxy(ExactGradient(Rosenbrock)).mu(mu).difference(difference);
        GradientEstimator::<f64>::prepare(&mut dap, d).unwrap();
        let mut f = Rosenbrock;
        let mut rng = ZoRng::seed_from_u64(8);
        let mut out = Estimate::new();
        let mut x = x0.to_vec();
        for _ in 0..300 {
            estimate_once(&mut dap, &mut f, &mut x, &mut rng, &mut out).unwrap();
            let g = Array1::from(out.to_vec());
            let along = a_hat.dot(&g);
            assert!(
                (along - a_norm).abs() <= tol * a_norm,
                "{difference:?}: âᵀg = {along}, ‖a‖ = {a_norm}"
            );
            // The estimate is not the gradient itself: its variance lies in a⊥.
            assert!((&g - &a).dot(&(&g - &a)) > 1e-3 * a_norm * a_norm);
        }
        assert_eq!(dap.fallbacks(), 0);
    }
    let mut sphere = TwoPoint::central(Direction::Sphere).mu(1e-6);
    let mut f = Rosenbrock;
    let mut rng = ZoRng::seed_from_u64(8);
    let mut out = Estimate::new();
    let mut x = x0.to_vec();
    let mut worst = 0.0f64;
    for _ in 0..300 {
        estimate_once(&mut sphere, &mut f, &mut x, &mut rng, &mut out).unwrap();
        let along = a_hat.dot(&Array1::from(out.to_vec()));
        worst = worst.max((along - a_norm).abs() / a_norm);
    }
    assert!(worst > 0.5, "sphere estimate unexpectedly aligned: {worst}");
}

/// Two-stage DAP on a linear function (every forward difference exact to
/// rounding): the declared and actual query counts are 2b + 1, and the mean of
/// (g₀ + g_D)/2 over 4000 draws is the gradient within 5 estimated standard
/// errors per coordinate.
#[test]
fn two_stage_counts_2b_plus_1_queries_and_is_unbiased() {
    let d = 6;
    let b = 4;
    let c = Array1::from(vec![1.0, -2.0, 0.5, 3.0, 0.0, -1.0]);
    let mut f = Linear::new(c.clone(), 2.0);
    let mut dap = Dap::<f64>::two_stage(b).mu(1e-3);
    GradientEstimator::<f64>::prepare(&mut dap, d).unwrap();
    assert_eq!(dap.proxy_kind(), ProxyKind::TwoStage { pilot: b });
    assert_eq!(dap.max_queries(d), 2 * b + 1);
    assert_eq!(
        Dap::<f64>::two_stage(b).difference(Difference::Central).max_queries(d),
        4 * b
    );
    let mut rng = ZoRng::seed_from_u64(31);
    let mut out = Estimate::new();
    let mut x = vec![0.5; d];
    let n = 4000;
    let mut s = vec![0.0; d];
    let mut s2 = vec![0.0; d];
    for _ in 0..n {
        let info = estimate_once(&mut dap, &mut f, &mut x, &mut rng, &mut out).unwrap();
        assert_eq!(info.queries, 2 * b + 1);
        for (i, g) in out.to_vec().into_iter().enumerate() {
            s[i] += g;
            s2[i] += g * g;
        }
    }
    for i in 0..d {
        let mean = s[i] / n as f64;
        let se = ((s2[i] / n as f64 - mean * mean) / n as f64).sqrt();
        assert!(
            (mean - c[i]).abs() < 5.0 * se,
            "coordinate {i}: {mean} vs {} (se {se})",
            c[i]
        );
    }
    assert_eq!(dap.fallbacks(), 0);
}

/// The previous-estimate proxy has nothing to align with on the first step (and
/// after a reset): it falls back to the sphere once, then aligns.
#[test]
fn previous_proxy_falls_back_on_the_first_step_only() {
    let d = 10;
    let mut f = Quadratic::<f64>::ill_conditioned(d, 10.0);
    let mut dap = Dap::<f64>::previous().mu(1e-6);
    GradientEstimator::<f64>::prepare(&mut dap, d).unwrap();
    assert_eq!(dap.max_queries(d), 2);
    let mut rng = ZoRng::seed_from_u64(4);
    let mut out = Estimate::new();
    let mut x = vec![1.0; d];
    for _ in 0..5 {
        let info = estimate_once(&mut dap, &mut f, &mut x, &mut rng, &mut out).unwrap();
        assert_eq!(info.queries, 2);
    }
    assert_eq!(dap.fallbacks(), 1);
    dap.reset();
    estimate_once(&mut dap, &mut f, &mut x, &mut rng, &mut out).unwrap();
    assert_eq!(dap.fallbacks(), 1);
}

#[test]
fn non_finite_proxy_is_an_error_and_leaves_x_alone() {
    let dap = Dap::with_proxy(constant_proxy(vec![1.0, f64::NAN, 0.0]));
    let mut f = |x: ArrayView1<f64>| x.dot(&x);
    let mut opt = Optimizer::builder(dap).max_evaluations(10).build().unwrap();
    let mut x = Array1::from(vec![1.0, 2.0, 3.0]);
    let err = opt.step(&mut x, &mut f).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { name: "proxy", .. }), "{err:?}");
    assert_eq!(x, Array1::from(vec![1.0, 2.0, 3.0]));
    for bad in [
        Dap::<f64>::two_stage(0),
        Dap::two_stage(2).mu(-1.0),
        Dap::previous().directions(0),
        Dap::previous().min_proxy_norm(f64::NAN),
    ] {
        assert!(matches!(
            Optimizer::builder(bad).build(),
            Err(Error::InvalidParameter { .. })
        ));
    }
}

/// In a run: the budget holds, evaluations are exactly counted, the same seed
/// gives the same bits, and every proxy makes progress on an ill-conditioned quadratic.
#[test]
fn runs_within_budget_reproducibly_and_makes_progress() {
    let d = 30;
    let x0 = Array1::from_elem(d, 1.0);
    let f0 = Quadratic::<f64>::ill_conditioned(d, 10.0).value(x0.view());
    type Make = fn() -> Dap<f64>;
    let makers: [(Make, usize); 3] = [
        (
            || Dap::with_proxy(ExactGradient(Quadratic::ill_conditioned(30, 10.0))).mu(1e-6),
            2,
        ),
        (|| Dap::two_stage(3).mu(1e-6), 7),
        (|| Dap::previous().mu(1e-6), 2),
    ];
    for (make, per_step) in makers {
        let run = |seed: u64| {
            let mut f = Quadratic::<f64>::ill_conditioned(d, 10.0);
            let mut opt = Optimizer::builder(make())
                .learning_rate(0.002)
                .max_evaluations(3000)
                .seed(seed)
                .history(true)
                .build()
                .unwrap();
            opt.minimize(&mut f, &x0).unwrap()
        };
        let r = run(1);
        let again = run(1);
        assert!(r.evaluations <= 3000);
        let h = r.history.as_ref().unwrap();
        // f(x0) is reused by the first step; later steps query f(x) themselves.
        assert_eq!(h[0].queries, per_step - 1);
        assert!(h[1..].iter().all(|s| s.queries == per_step));
        let total: usize = h.iter().map(|s| s.queries).sum();
        assert_eq!(r.evaluations, 1 + total + 1);
        assert_eq!(
            r.last_x.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            again.last_x.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert!(r.best_f < 0.1 * f0, "{:?}: {} vs {f0}", make().proxy_kind(), r.best_f);
    }
}

/// After the first step, a step allocates nothing, for each proxy source and
/// both differences (a closure proxy writing in place; `ExactGradient` allocates
/// by design and is not used here).
#[test]
fn steps_allocate_nothing_after_warm_up() {
    counting_alloc::assert_counting();
    let d = 300;
    let mut f = |x: ArrayView1<f64>| x.dot(&x);
    let makers: [fn() -> Dap<f64>; 3] = [
        || {
            Dap::with_proxy(|x: ArrayView1<f64>, mut a: ArrayViewMut1<f64>| {
                a.zip_mut_with(&x, |ai, &xi| *ai = 2.0 * xi)
            })
        },
        || Dap::two_stage(3),
        || Dap::previous().directions(2),
    ];
    for make in makers {
        for difference in [Difference::Forward, Difference::Central] {
            let mut opt = Optimizer::builder(make().difference(difference).mu(1e-6))
                .learning_rate(1e-3)
                .build()
                .unwrap();
            let mut x = Array1::from_elem(d, 1.0);
            opt.step(&mut x, &mut f).unwrap();
            let before = allocations();
            for _ in 0..20 {
                opt.step(&mut x, &mut f).unwrap();
            }
            assert_eq!(allocations() - before, 0, "{:?} {difference:?}", make().proxy_kind());
        }
    }
}

/// An overflowing pilot difference (finite values, 1e308 then ordinary ones)
/// is a non-finite estimate, not an `Ok` step to x = ±∞; x is unchanged.
#[test]
fn an_overflowing_pilot_is_an_error_not_an_infinite_step() {
    let mut n = 0;
    let mut f = |x: ArrayView1<f64>| {
        n += 1;
        if n == 1 { 1e308 } else { x.dot(&x) }
    };
    let mut opt = Optimizer::builder(Dap::two_stage(2).difference(Difference::Central).mu(1e-4))
        .learning_rate(0.01)
        .build()
        .unwrap();
    let mut x = ndarray::array![0.3, 0.4, 0.5, 0.6];
    let err = opt.step(&mut x, &mut f).unwrap_err();
    assert!(matches!(err, zoptim::Error::NonFiniteEstimate { .. }), "{err:?}");
    assert_eq!(x, ndarray::array![0.3, 0.4, 0.5, 0.6]);
}
