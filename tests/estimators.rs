//! Estimator correctness: exactness on linear functions, unbiasedness and the
//! second moments predicted by theory (statistical, seeded, with stated tolerances).

use ndarray::{Array1, array};
use zoptim::Smoothed;
use zoptim::estimator::estimate_once;
use zoptim::testing::{Linear, Quadratic, Rosenbrock, TestFunction};
use zoptim::{
    Cge, Direction, Estimate, EstimateInfo, GradientEstimator, Objective, Optimizer, Storage, TwoPoint, ZoRng,
};

/// One estimate of ∇f(x), returned as a full vector with its info.
fn estimate<E: GradientEstimator<f64>, O: Objective<f64>>(
    est: &mut E,
    f: &mut O,
    x: &mut [f64],
    rng: &mut ZoRng,
    out: &mut Estimate<f64>,
) -> (Vec<f64>, EstimateInfo<f64>) {
    let info = estimate_once(est, f, x, rng, out).expect("estimate");
    assert!(info.queries <= est.max_queries(x.len()));
    (out.to_vec(), info)
}

fn prepared<E: GradientEstimator<f64>>(mut e: E, d: usize) -> E {
    e.validate().unwrap();
    e.prepare(d).unwrap();
    e
}

/// On f = aᵀx + c the central difference along u is exactly aᵀu (up to
/// rounding), so g = (aᵀu)·u; recover u from the estimate's stored direction.
#[test]
fn central_two_point_on_linear_is_a_dot_u_times_u() {
    let a = array![1.5, -2.0, 0.25, 3.0, -0.75];
    let d = a.len();
    for dir in Direction::ALL {
        for storage in [Storage::Buffered, Storage::Seeded] {
            let mut f = Linear::new(a.clone(), 4.0);
            let mut est = prepared(TwoPoint::central(dir).mu(1e-3).storage(storage), d);
            let mut rng = ZoRng::seed_from_u64(3);
            let mut twin = ZoRng::seed_from_u64(3);
            let mut out = Estimate::new();
            let mut x = vec![0.3, -0.1, 2.0, 0.0, 1.0];
            let mut u = vec![0.0; d];
            for _ in 0..20 {
                let (g, info) = estimate(&mut est, &mut f, &mut x, &mut rng, &mut out);
                assert_eq!(info.queries, 2);
                // The estimator draws one direction per step from the generator:
                // replay it from a twin generator.
                dir.sample(&mut twin, &mut u);
                let adotu: f64 = a.iter().zip(&u).map(|(ai, ui)| ai * ui).sum();
                for (gi, ui) in g.iter().zip(&u) {
                    assert!(
                        (gi - adotu * ui).abs() < 1e-9 * (1.0 + adotu.abs()),
                        "{dir:?} {storage:?}: {gi} vs {}",
                        adotu * ui
                    );
                }
            }
        }
    }
}

#[test]
fn central_coordinate_on_linear_returns_a() {
    let a = array![1.5, -2.0, 0.25, 3.0, -0.75, 1e-3, 7.0];
    let d = a.len();
    for batch in [1, 3, 8] {
        let mut f = Linear::new(a.clone(), -1.0);
        let mut est = prepared(Cge::central().mu(1e-4).batch(batch), d);
        let mut rng = ZoRng::seed_from_u64(0);
        let mut out = Estimate::new();
        let mut x: Vec<f64> = (0..d).map(|i| i as f64 * 0.37 - 1.0).collect();
        let x0 = x.clone();
        let (g, info) = estimate(&mut est, &mut f, &mut x, &mut rng, &mut out);
        assert_eq!(info.queries, 2 * d);
        assert_eq!(x, x0, "x must be untouched");
        for (gi, ai) in g.iter().zip(a.iter()) {
            assert!((gi - ai).abs() < 1e-9 * (1.0 + ai.abs()), "{gi} vs {ai}");
        }
    }
}

#[test]
fn forward_coordinate_reuses_known_fx_and_subset_is_k_sparse() {
    let a: Array1<f64> = array![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let d = a.len();
    let mut f = Linear::new(a.clone(), 0.0);
    // `minimize` evaluates f(x0) first and hands it to the first step.
    let mut opt = Optimizer::builder(Cge::forward().subset(2).mu(1e-6))
        .max_iterations(1)
        .history(true)
        .build()
        .unwrap();
    let report = opt.minimize(&mut f, &Array1::from_elem(d, 0.5)).unwrap();
    let history = report.history.unwrap();
    assert_eq!(
        history[0].queries, 2,
        "f(x) was given, so only the 2 coordinates are queried"
    );
    let g = opt.last_estimate().to_vec();
    let nz: Vec<usize> = (0..d).filter(|&i| g[i] != 0.0).collect();
    assert_eq!(nz.len(), 2);
    for i in nz {
        assert!((g[i] - a[i]).abs() < 1e-6 * a[i], "{} vs {}", g[i], a[i]);
    }
}

/// Mean and standard error of each coordinate of `n` estimates.
fn moments<E: GradientEstimator<f64>, O: Objective<f64>>(
    est: &mut E,
    f: &mut O,
    x: &[f64],
    n: usize,
    seed: u64,
) -> (Vec<f64>, Vec<f64>, f64, f64) {
    let d = x.len();
    let mut rng = ZoRng::seed_from_u64(seed);
    let mut out = Estimate::new();
    let mut xs = x.to_vec();
    let mut sum = vec![0.0; d];
    let mut sum2 = vec![0.0; d];
    let (mut n2, mut n4) = (0.0, 0.0);
    for _ in 0..n {
        let (g, _) = estimate(est, f, &mut xs, &mut rng, &mut out);
        let gn2: f64 = g.iter().map(|v| v * v).sum();
        n2 += gn2;
        n4 += gn2 * gn2;
        for i in 0..d {
            sum[i] += g[i];
            sum2[i] += g[i] * g[i];
        }
    }
    let nf = n as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s / nf).collect();
    let se: Vec<f64> = (0..d)
        .map(|i| ((sum2[i] / nf - mean[i] * mean[i]) / nf).sqrt())
        .collect();
    let m2 = n2 / nf;
    let m2_se = ((n4 / nf - m2 * m2) / nf).sqrt();
    (mean, se, m2, m2_se)
}

/// E[g] → ∇f for smooth f and small μ. On Rosenbrock (d = 6) with central
/// differences and μ = 1e-5 the bias is O(μ²·f''') ≈ 1e-8, far below the
/// sampling error, so every coordinate of the mean of 20,000 estimates lies
/// within 5 standard errors of ∇f (a two-sided 5-sd bound fails with
/// probability ~6e-7 per coordinate). The se itself is checked to be small
/// relative to ‖∇f‖, so the test has teeth.
#[test]
fn mean_estimate_approaches_the_gradient() {
    let x = [0.2, -0.4, 0.9, 1.1, -0.3, 0.5];
    let grad: Array1<f64> = Rosenbrock.gradient(Array1::from(x.to_vec()).view());
    let gnorm = grad.dot(&grad).sqrt();
    for dir in Direction::ALL {
        let mut est = prepared(TwoPoint::central(dir).mu(1e-5), x.len());
        let (mean, se, _, _) = moments(&mut est, &mut Rosenbrock, &x, 20_000, 17);
        for i in 0..x.len() {
            assert!(se[i] < 0.05 * gnorm, "{dir:?}: se too large to be a test");
            assert!(
                (mean[i] - grad[i]).abs() < 5.0 * se[i],
                "{dir:?} coord {i}: mean {} vs ∇f {} (se {})",
                mean[i],
                grad[i],
                se[i]
            );
        }
    }
    // Forward differences: bias O(μ·f'') = 1e-6·O(100), still far below 5 se.
    let mut est = prepared(TwoPoint::forward(Direction::Gaussian).mu(1e-8), x.len());
    let (mean, se, _, _) = moments(&mut est, &mut Rosenbrock, &x, 20_000, 18);
    for i in 0..x.len() {
        assert!((mean[i] - grad[i]).abs() < 5.0 * se[i], "forward coord {i}");
    }
}

/// E‖g‖² = (d+2)‖∇f‖² for Gaussian directions and d‖∇f‖² for Rademacher,
/// sphere and coordinate ones (μ → 0). On a linear f the central difference
/// is exact, so these are exact identities for the sample mean's expectation;
/// we assert the sample mean of 40,000 draws lies within 5 of its own standard
/// errors of the prediction, and that the two predictions are told apart.
#[test]
fn second_moment_matches_theory() {
    let d = 10;
    let a = Array1::from_shape_fn(d, |i| ((i * 7 % 5) as f64 - 2.0) + 0.5);
    let a2 = a.dot(&a);
    let x = vec![0.1; d];
    for dir in Direction::ALL {
        let mut f = Linear::new(a.clone(), 0.0);
        let mut est = prepared(TwoPoint::central(dir).mu(1e-3), d);
        let (_, _, m2, m2_se) = moments(&mut est, &mut f, &x, 40_000, 5);
        let want = if dir == Direction::Gaussian {
            (d + 2) as f64
        } else {
            d as f64
        } * a2;
        let other = if dir == Direction::Gaussian {
            d as f64
        } else {
            (d + 2) as f64
        } * a2;
        assert!(
            (m2 - want).abs() < 5.0 * m2_se,
            "{dir:?}: E‖g‖² = {m2}, want {want} (se {m2_se})"
        );
        assert!(
            (other - want).abs() > 10.0 * m2_se,
            "{dir:?}: test cannot tell d from d+2"
        );
    }
    // The coordinate estimator's ‖g‖² is exactly ‖∇f‖² (no sampling variance).
    let mut f = Linear::new(a.clone(), 0.0);
    let mut est = prepared(Cge::central(), d);
    let (_, _, m2, _) = moments(&mut est, &mut f, &x, 10, 5);
    assert!((m2 - a2).abs() < 1e-8 * a2);
}

/// Unbiased random-subset CGE: E[g] = ∇f with the d/k scaling, (k/d)·∇f without.
#[test]
fn coordinate_subset_scaling() {
    let a = array![1.0, -2.0, 3.0, -4.0, 5.0];
    let d = a.len();
    let x = vec![0.0; d];
    for (unbiased, factor) in [(true, 1.0), (false, 2.0 / 5.0)] {
        let mut f = Linear::new(a.clone(), 0.0);
        let mut est = prepared(Cge::central().subset(2).unbiased(unbiased), d);
        let (mean, se, _, _) = moments(&mut est, &mut f, &x, 20_000, 9);
        for i in 0..d {
            assert!(
                (mean[i] - factor * a[i]).abs() < 5.0 * se[i] + 1e-12,
                "unbiased={unbiased} coord {i}: {}",
                mean[i]
            );
        }
    }
}

/// The memory-light mode draws the same directions as the buffered one: the
/// estimates agree to rounding, and x comes back within the documented drift
/// (a few ulps of |xᵢ| + 2μ|uᵢ|).
#[test]
fn seeded_mode_matches_buffered_and_restores_x() {
    let d = 50;
    let q = Quadratic::<f64>::ill_conditioned(d, 100.0);
    let x0: Vec<f64> = (0..d).map(|i| (i as f64 * 0.618).sin()).collect();
    for dir in Direction::ALL {
        let mu = 1e-4;
        let mut b = prepared(TwoPoint::central(dir).mu(mu).directions(3), d);
        let mut s = prepared(TwoPoint::central(dir).mu(mu).directions(3).storage(Storage::Seeded), d);
        let (mut r1, mut r2) = (ZoRng::seed_from_u64(8), ZoRng::seed_from_u64(8));
        let (mut o1, mut o2) = (Estimate::new(), Estimate::new());
        let mut xb = x0.clone();
        let mut xs = x0.clone();
        let (gb, _) = estimate(&mut b, &mut q.clone(), &mut xb, &mut r1, &mut o1);
        let (gs, _) = estimate(&mut s, &mut q.clone(), &mut xs, &mut r2, &mut o2);
        assert_eq!(xb, x0, "buffered mode never touches x");
        let scale = gb.iter().map(|v| v.abs()).fold(0.0, f64::max);
        for (u, v) in gb.iter().zip(&gs) {
            assert!((u - v).abs() < 1e-6 * scale, "{dir:?}: {u} vs {v}");
        }
        for (xi, x0i) in xs.iter().zip(&x0) {
            let bound = 4.0 * f64::EPSILON * (x0i.abs() + 2.0 * mu * 6.0);
            assert!((xi - x0i).abs() <= bound, "{dir:?}: drift {}", (xi - x0i).abs());
        }
    }
}
