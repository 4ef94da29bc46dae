//! The default method: scale invariance, monotone iterates, the noise probe,
//! queries inside bounds, and errors for runs that cannot start.

use ndarray::{Array1, ArrayView1};
use std::cell::RefCell;
use zoptim::auto::{Auto, probe_noise};
use zoptim::prelude::*;
use zoptim::report::Recommendation;
use zoptim::testing::ExactGradient;
use zoptim::testing::{Rosenbrock, TestFunction};
use zoptim::{Error, ZoRng};

/// An ill-conditioned, non-separable objective with f* = 0 away from 0.
fn rotated(x: ArrayView1<f64>) -> f64 {
    let d = x.len();
    let mut s = 0.0;
    for i in 0..d {
        let t = x[i] - 1.0 + 0.3 * (x[(i + 1) % d] - 1.0);
        s += 10f64.powf(3.0 * i as f64 / (d - 1) as f64) * t * t;
    }
    s
}

fn run_auto(f: &mut dyn FnMut(ArrayView1<f64>) -> f64, x0: &Array1<f64>, budget: usize) -> Report<f64> {
    let mut opt = Optimizer::auto()
        .max_evaluations(budget)
        .seed(5)
        .history(true)
        .build()
        .unwrap();
    opt.minimize(&mut |x: ArrayView1<f64>| f(x), x0).unwrap()
}

fn rel(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    let num = (a - b).mapv(|v| v * v).sum().sqrt();
    num / b.mapv(|v| v * v).sum().sqrt().max(1e-300)
}

/// f → c·f leaves every decision of the method unchanged: the Newton ratio
/// s/c and every comparison are invariant, so only rounding differs (c is not a
/// power of 2, so the bits do differ).
#[test]
fn rescaling_f_gives_the_same_iterates() {
    let x0 = Array1::from_iter((0..8).map(|i| -0.5 + 0.2 * i as f64));
    let base = run_auto(&mut rotated, &x0, 3_000);
    for c in [1e-6, 1e6] {
        let scaled = run_auto(&mut |x| c * rotated(x), &x0, 3_000);
        assert_eq!(scaled.iterations, base.iterations, "c = {c}");
        assert_eq!(scaled.evaluations, base.evaluations, "c = {c}");
        assert!(
            rel(&scaled.last_x, &base.last_x) < 1e-7,
            "c = {c}: {}",
            rel(&scaled.last_x, &base.last_x)
        );
        let (hs, hb) = (scaled.history.as_ref().unwrap(), base.history.as_ref().unwrap());
        // Every step accepted or rejected its trial alike.
        for (a, b) in hs.iter().zip(hb) {
            assert_eq!(a.fx_new.is_some(), b.fx_new.is_some());
            assert_eq!(
                a.fx_new < a.fx,
                b.fx_new < b.fx,
                "c = {c}: step {} accepted in one run only",
                a.iteration
            );
            // Rounding differs from the first step on (c is not a power of 2)
            // and is carried along the run: 1e-6 relative leaves a margin of 10
            // over the largest difference seen.
            let (fa, fb) = (a.fx_new.unwrap() / c, b.fx_new.unwrap());
            assert!(
                (fa - fb).abs() <= 1e-6 * fb.abs().max(1e-300) + 1e-300,
                "c = {c}: {fa} vs {fb}"
            );
        }
    }
    // And the run works: f fell by more than two orders of magnitude.
    assert!(base.best_f < 1e-2 * rotated(x0.view()), "{}", base.best_f);
}

/// x → s·x (and x₀ with it): μ and the trust radius follow ‖x₀‖, so the
/// iterates are the same up to rounding, rescaled.
#[test]
fn rescaling_x_gives_nearly_the_same_iterates() {
    let x0 = Array1::from_iter((0..8).map(|i| -0.5 + 0.2 * i as f64));
    let base = run_auto(&mut rotated, &x0, 1_500);
    for s in [1e-3, 1e3] {
        let scaled = run_auto(&mut |y| rotated(y.mapv(|v| v / s).view()), &(&x0 * s), 1_500);
        let back = &scaled.last_x / s;
        assert!(rel(&back, &base.last_x) < 1e-6, "s = {s}: {}", rel(&back, &base.last_x));
    }
}

/// f at the iterates never increases, even on Rosenbrock from the standard start.
#[test]
fn f_never_increases_at_the_iterates() {
    let x0 = Rosenbrock::standard_start::<f64>(6);
    let f0 = Rosenbrock.value(x0.view());
    let report = run_auto(&mut |x| Rosenbrock.value(x), &x0, 6_000);
    let mut last = f0;
    for r in report.history.as_ref().unwrap() {
        let v = r.fx_new.expect("the trust step always knows f at the new iterate");
        assert!(v <= last, "step {}: {v} > {last}", r.iteration);
        last = v;
    }
    assert!(report.best_f < 1e-2 * f0, "{}", report.best_f);
    assert_eq!(report.stop, StopReason::MaxEvaluations);
}

/// The probe's σ is the sample standard deviation of n = 50 values: its
/// relative standard error is 1/√(2·49) ≈ 0.10, so ±35% is 3.5 standard errors
/// (a seeded run fails this with probability below 1e-3).
#[test]
fn the_noise_probe_estimates_sigma() {
    for (seed, sigma) in [(1u64, 1e-6), (2, 1e-3), (3, 0.3)] {
        let mut noise = ZoRng::seed_from_u64(seed);
        let mut f = |x: ArrayView1<f64>| x.dot(&x) + sigma * zoptim::random::standard_normal::<f64>(&mut noise);
        let est = probe_noise(
            &mut f,
            &Array1::from_elem(4, 1.0),
            50,
            None,
            &mut ZoRng::seed_from_u64(9),
        )
        .unwrap();
        assert!((est.sigma / sigma - 1.0).abs() < 0.35, "σ = {sigma}: {}", est.sigma);
        assert!(est.is_noisy());
        assert_eq!(est.evaluations, 52);
    }
    // Multiplicative noise f·(1 + 0.01·ξ) at f(x₀) = 4: σ = 0.04.
    let mut noise = ZoRng::seed_from_u64(4);
    let mut f = |x: ArrayView1<f64>| x.dot(&x) * (1.0 + 0.01 * zoptim::random::standard_normal::<f64>(&mut noise));
    let est = probe_noise(
        &mut f,
        &Array1::from_elem(4, 1.0),
        50,
        None,
        &mut ZoRng::seed_from_u64(9),
    )
    .unwrap();
    assert!((est.sigma / 0.04 - 1.0).abs() < 0.35, "{}", est.sigma);
    // A deterministic objective is not noisy.
    let est = probe_noise(
        &mut |x: ArrayView1<f64>| x.dot(&x),
        &Array1::from_elem(4, 1.0),
        4,
        None,
        &mut ZoRng::seed_from_u64(9),
    )
    .unwrap();
    assert_eq!(est.sigma, 0.0);
    assert!(!est.is_noisy());
}

/// Under noise `minimize` recommends the mean of recent iterates, which is
/// better (in the true f) than the best noisy point.
#[test]
fn under_noise_the_report_recommends_an_average() {
    let mut noise = ZoRng::seed_from_u64(8);
    let truth = |x: ArrayView1<f64>| x.iter().map(|v| (v - 1.0) * (v - 1.0)).sum::<f64>();
    let mut f = |x: ArrayView1<f64>| truth(x) + 0.01 * zoptim::random::standard_normal::<f64>(&mut noise);
    let report = zoptim::minimize(&mut f, &Array1::zeros(5), 4_000).unwrap();
    assert!(
        matches!(report.recommendation, Recommendation::Average { .. }),
        "{:?}",
        report.recommendation
    );
    assert!(
        report.best_f < 0.0,
        "the best noisy value is below the true minimum: {}",
        report.best_f
    );
    let at = truth(report.x());
    assert!(at < 1e-2, "{at}");
    assert!(report.evaluations <= 4_000);
}

/// Deterministic objectives keep the best point.
#[test]
fn without_noise_the_report_recommends_the_best_point() {
    let report = zoptim::minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(3, 1.0), 500).unwrap();
    assert_eq!(report.recommendation, Recommendation::Best);
    assert!((490..=500).contains(&report.evaluations), "{}", report.evaluations);
}

/// Σ(xᵢ − 2)² over [0, 1]¹⁰, started inside: the default method reaches the
/// corner x = 1 (f = 10).
#[test]
fn the_default_method_converges_on_an_active_bound() {
    let mut f = |x: ArrayView1<f64>| x.iter().map(|v| (v - 2.0).powi(2)).sum::<f64>();
    let report = Auto::new(4_000)
        .bounds(Bounds::uniform(0.0, 1.0))
        .minimize(&mut f, &Array1::from_elem(10, 0.3))
        .unwrap();
    assert!(report.best_f <= 10.0 + 1e-6, "{}", report.best_f);
    assert!(report.x().iter().all(|&v| (0.0..=1.0).contains(&v)));
}

type Est = Box<dyn GradientEstimator<f64> + Send>;

fn all_estimators() -> Vec<(&'static str, Est)> {
    vec![
        ("spsa", Box::new(TwoPoint::spsa().mu(0.05).directions(3))),
        (
            "forward gaussian",
            Box::new(TwoPoint::forward(Direction::Gaussian).mu(0.05)),
        ),
        ("mezo seeded", Box::new(TwoPoint::mezo().mu(0.05).directions(2))),
        (
            "forward seeded",
            Box::new(TwoPoint::forward(Direction::Sphere).storage(Storage::Seeded).mu(0.05)),
        ),
        ("cge central", Box::new(Cge::central().mu(0.05))),
        ("cge forward", Box::new(Cge::forward().mu(0.05))),
        ("dap", Box::new(Dap::two_stage(3).mu(0.05))),
        (
            "dap exact proxy",
            Box::new(Dap::with_proxy(ExactGradient(Rosenbrock)).mu(0.05)),
        ),
        ("bcd", Box::new(BlockCoordinate::new(3).mu(0.05))),
        ("relizo", Box::new(Relizo::with_reuse_bound(0.1))),
        (
            "directional newton",
            Box::new(zoptim::auto::Curvature::new().absolute_mu(0.05)),
        ),
    ]
}

/// √ is undefined below 0: f = Σ (√xᵢ − 0.5)² + (xᵢ − 0.9)² on [0, 1]⁶, started
/// with coordinates on both bounds. Every query of every estimator (and of a
/// line search's trials) must stay in the box, in every driver.
#[test]
fn every_estimator_keeps_its_queries_inside_the_bounds() {
    let x0 = Array1::from(vec![0.0, 1.0, 0.0, 0.5, 1.0, 0.02]);
    for rule in ["sgd", "armijo"] {
        for (name, est) in all_estimators() {
            let outside = RefCell::new(0usize);
            let calls = RefCell::new(0usize);
            let mut f = |x: ArrayView1<f64>| {
                *calls.borrow_mut() += 1;
                if x.iter().any(|v| !(0.0..=1.0).contains(v)) {
                    *outside.borrow_mut() += 1;
                }
                x.iter()
                    .map(|&v| (v.sqrt() - 0.5).powi(2) + (v - 0.9).powi(2))
                    .sum::<f64>()
            };
            let builder = Optimizer::builder(est).learning_rate(0.05).max_evaluations(400).seed(3);
            let builder = builder.projection(Bounds::uniform(0.0, 1.0));
            let report = if rule == "sgd" {
                builder.build().unwrap().minimize(&mut f, &x0).unwrap()
            } else {
                builder
                    .update(LineSearch::armijo())
                    .build()
                    .unwrap()
                    .minimize(&mut f, &x0)
                    .unwrap()
            };
            assert_eq!(
                *outside.borrow(),
                0,
                "{name} × {rule}: {} of {} queries outside",
                outside.borrow(),
                calls.borrow()
            );
            assert!(
                !matches!(report.stop, StopReason::Failed(_)),
                "{name} × {rule}: {:?}",
                report.stop
            );
            assert!(report.best_f.is_finite());
        }
    }
}

/// The projection of query points is the same in every driver: ask/tell (and
/// `minimize_parallel`, feature `rayon`) give the bits of `minimize`, seeded
/// rows included.
#[test]
fn bounded_runs_give_the_same_bits_in_minimize_and_ask_tell() {
    let f = |x: ArrayView1<f64>| x.iter().map(|v| (v - 2.0).powi(2)).sum::<f64>();
    for (name, make) in [
        ("mezo", (|| Box::new(TwoPoint::mezo().mu(0.1)) as Est) as fn() -> Est),
        ("newton", || Box::new(zoptim::auto::Curvature::new())),
    ] {
        let build = || {
            Optimizer::builder(make())
                .update(zoptim::auto::TrustStep::new())
                .learning_rate(1.0)
                .max_evaluations(300)
                .projection(Bounds::uniform(0.0, 1.0))
                .build()
                .unwrap()
        };
        let x0 = Array1::from_elem(5, 0.5);
        let a = build().minimize(&mut |x: ArrayView1<f64>| f(x), &x0).unwrap();
        let mut opt = build();
        let mut run = opt.start(&x0).unwrap();
        while let Some(batch) = run.ask().unwrap() {
            let v: Vec<f64> = batch.points().rows().into_iter().map(f).collect();
            run.tell(&v).unwrap();
        }
        let b = run.finish();
        assert_eq!(a.last_x, b.last_x, "{name}");
        assert_eq!(a.best_f.to_bits(), b.best_f.to_bits(), "{name}");
        assert_eq!(a.evaluations, b.evaluations, "{name}");
        #[cfg(feature = "rayon")]
        {
            let c = build().minimize_parallel(&f, &x0).unwrap();
            assert_eq!(a.last_x, c.last_x, "{name}: parallel");
            assert_eq!(a.best_f.to_bits(), c.best_f.to_bits(), "{name}: parallel");
        }
    }
}

#[test]
fn minimize_rejects_a_budget_that_cannot_take_one_step() {
    let mut calls = 0;
    let mut f = |x: ArrayView1<f64>| {
        calls += 1;
        x.sum()
    };
    let err = zoptim::minimize(&mut f, &Array1::<f64>::zeros(3), 4).unwrap_err();
    assert!(matches!(err, Error::BudgetExhausted { used: 0, .. }), "{err:?}");
    assert!(matches!(
        zoptim::minimize(&mut f, &Array1::<f64>::zeros(0), 100),
        Err(Error::EmptyParameters)
    ));
    assert_eq!(calls, 0);
}

/// The default method in f32: same API, same guarantees.
#[test]
fn the_default_method_runs_in_f32() {
    let mut f = |x: ArrayView1<f32>| x.iter().map(|v| (v - 3.0) * (v - 3.0)).sum::<f32>();
    let report = zoptim::minimize(&mut f, &Array1::<f32>::zeros(6), 1_500)
        .unwrap()
        .into_result()
        .unwrap();
    assert!(report.best_f < 1e-6, "{}", report.best_f);
}
