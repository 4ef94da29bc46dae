//! The step loop: convergence, budget accounting, reproducibility and errors.

use ndarray::{Array1, ArrayView1, array};
use std::cell::Cell;
use zoptim::Smoothed;
use zoptim::estimator::EstimateContext;
use zoptim::testing::{Quadratic, Sphere, TestFunction};
use zoptim::{
    Cge, Direction, Error, Estimate, EstimateInfo, GradientEstimator, Objective, Optimizer, Query, Sgd, StopReason,
    Storage, TwoPoint,
};

/// ZO-SGD reaches f < 1e-6 on a d = 10 quadratic (curvatures log-spaced 1…10,
/// x0 = 1, f(x0) ≈ 21) for every sampler, within 30,000 evaluations.
/// lr = 1/(L·(d+2)) with L = 10 is the classical stable choice for q = 1; the
/// coordinate sampler updates one coordinate per step, so it gets d times
/// the step on that coordinate's budget share (lr = 1/(L·d) is still stable
/// since ‖√d·eᵢ‖² = d).
#[test]
fn zo_sgd_converges_for_every_sampler_f64() {
    let d = 10;
    for dir in Direction::ALL {
        for storage in [Storage::Buffered, Storage::Seeded] {
            let mut f = Quadratic::<f64>::ill_conditioned(d, 10.0);
            let mut opt = Optimizer::builder(TwoPoint::central(dir).mu(1e-6).storage(storage))
                .learning_rate(1.0 / (10.0 * (d + 2) as f64))
                .max_evaluations(30_000)
                .target(1e-6)
                .seed(11)
                .build()
                .unwrap();
            let r = opt.minimize(&mut f, &Array1::from_elem(d, 1.0)).unwrap();
            assert_eq!(
                r.stop,
                StopReason::TargetReached,
                "{dir:?} {storage:?}: best {}",
                r.best_f
            );
            assert!(r.best_f < 1e-6);
            assert!(f.value(r.best_x.view()) < 1e-6, "best_f must be the value at best_x");
        }
    }
}

/// The same in f32. Central differences are exact on a quadratic up to
/// rounding, so μ only has to keep f(x+μu) − f(x−μu) = 2μ·∇fᵀu well above f32's
/// rounding of f (about 6e-8·|f|): with μ = 1e-4, near f = 1e-6 (|∇f| ~ 1e-3)
/// the difference is ~2e-7 against a rounding of ~1e-13. μ must also be small
/// enough that the query points, at distance μ‖u‖ ≈ μ√d, can show f < 1e-6:
/// the iterate itself is never evaluated by a central estimator.
#[test]
fn zo_sgd_converges_for_every_sampler_f32() {
    let d = 10;
    for dir in Direction::ALL {
        let mut f = Quadratic::<f32>::ill_conditioned(d, 10.0);
        let mut opt = Optimizer::builder(TwoPoint::central(dir).mu(1e-4))
            .learning_rate(1.0 / (10.0 * (d + 2) as f64))
            .max_evaluations(30_000)
            .target(1e-6)
            .seed(12)
            .build()
            .unwrap();
        let r = opt.minimize(&mut f, &Array1::from_elem(d, 1.0f32)).unwrap();
        assert_eq!(r.stop, StopReason::TargetReached, "{dir:?}: best {}", r.best_f);
    }
}

#[test]
fn forward_and_coordinate_estimators_converge() {
    let d = 10;
    let mut f = Quadratic::<f64>::ill_conditioned(d, 10.0);
    let mut opt = Optimizer::builder(TwoPoint::forward(Direction::Rademacher).mu(1e-8).directions(4))
        .learning_rate(0.02)
        .max_evaluations(30_000)
        .target(1e-6)
        .build()
        .unwrap();
    let r = opt.minimize(&mut f, &Array1::from_elem(d, 1.0)).unwrap();
    assert_eq!(r.stop, StopReason::TargetReached, "forward: {}", r.best_f);
    // Full CGE is an exact gradient up to O(μ²): plain GD with lr = 1/L. The
    // query points lie μ from the iterate, so f there is ≥ ½·μ²·aᵢ ≈ 5e-11:
    // the target must sit above that to be seen.
    let mut opt = Optimizer::builder(Cge::central().mu(1e-5))
        .learning_rate(0.1)
        .max_evaluations(30_000)
        .target(1e-9)
        .build()
        .unwrap();
    let r = opt.minimize(&mut f, &Array1::from_elem(d, 1.0)).unwrap();
    assert_eq!(r.stop, StopReason::TargetReached, "coordinate: {}", r.best_f);
}

/// `minimize` never reports more evaluations than the budget, and the count it
/// reports is exactly the number of calls the objective received.
#[test]
fn budget_is_never_exceeded_and_counts_are_exact() {
    let d = 7;
    type Factory = fn() -> Box<dyn GradientEstimator<f64>>;
    let factories: [Factory; 5] = [
        || Box::new(TwoPoint::central(Direction::Gaussian).directions(3)),
        || Box::new(TwoPoint::forward(Direction::Sphere).directions(2)),
        || Box::new(TwoPoint::mezo()),
        || Box::new(Cge::forward()),
        || Box::new(Cge::central().subset(3)),
    ];
    for make in factories {
        for budget in [1usize, 2, 5, 6, 7, 13, 100, 1001] {
            let calls = Cell::new(0usize);
            let mut f = |x: ArrayView1<f64>| {
                calls.set(calls.get() + 1);
                x.dot(&x)
            };
            let est = make();
            let name = est.name();
            let mut opt = Optimizer::builder(est)
                .learning_rate(0.01)
                .max_evaluations(budget)
                .build()
                .unwrap();
            let per_step = opt.estimator().max_queries(d);
            let r = match opt.minimize(&mut f, &Array1::from_elem(d, 1.0)) {
                // f(x0), one step and the final value cannot fit: an error
                // before anything is evaluated.
                Err(Error::BudgetExhausted { used: 0, .. }) => {
                    assert!(budget < per_step + 2, "{name}: budget {budget} was enough");
                    assert_eq!(calls.get(), 0);
                    continue;
                }
                res => res.unwrap(),
            };
            assert!(r.evaluations <= budget, "{name}: {} > {budget}", r.evaluations);
            assert_eq!(r.evaluations, calls.get(), "{name}: reported vs seen");
            assert_eq!(r.stop, StopReason::MaxEvaluations);
            assert!(r.last_f.is_some());
            // The run stops only when the next step would not fit.
            assert!(
                r.evaluations + per_step + 1 > budget,
                "{name}: stopped early at {} of {budget}",
                r.evaluations
            );
        }
    }
}

#[test]
fn step_refuses_a_step_that_could_exceed_the_budget() {
    let mut f = Sphere;
    let mut opt = Optimizer::builder(TwoPoint::<f64>::central(Direction::Gaussian).directions(2))
        .max_evaluations(10)
        .build()
        .unwrap();
    let mut x = Array1::from_elem(3, 1.0);
    opt.step(&mut x, &mut f).unwrap();
    opt.step(&mut x, &mut f).unwrap();
    let before = x.clone();
    let err = opt.step(&mut x, &mut f).unwrap_err();
    assert_eq!(
        err,
        Error::BudgetExhausted {
            used: 8,
            budget: 10,
            needed: 4
        }
    );
    assert_eq!(x, before);
    assert_eq!(opt.evaluations(), 8);
}

fn run(seed: u64) -> zoptim::Report<f64> {
    let mut f = Quadratic::<f64>::ill_conditioned(20, 100.0);
    let mut opt = Optimizer::builder(TwoPoint::central(Direction::Gaussian).directions(2))
        .learning_rate(1e-3)
        .max_evaluations(2_000)
        .history(true)
        .seed(seed)
        .build()
        .unwrap();
    opt.minimize(&mut f, &Array1::from_elem(20, 1.0)).unwrap()
}

#[test]
fn same_seed_same_bits_other_seed_other_run() {
    let (a, b, c) = (run(5), run(5), run(6));
    assert_eq!(a.last_x, b.last_x);
    assert_eq!(a.best_x, b.best_x);
    assert_eq!(a.best_f.to_bits(), b.best_f.to_bits());
    assert_eq!(a.history, b.history);
    assert_ne!(a.last_x, c.last_x);
    // A second minimize on the same optimizer repeats the first (fresh run).
    let mut f = Quadratic::<f64>::ill_conditioned(20, 100.0);
    let mut opt = Optimizer::builder(TwoPoint::central(Direction::Gaussian).directions(2))
        .learning_rate(1e-3)
        .max_evaluations(2_000)
        .history(true)
        .seed(5)
        .build()
        .unwrap();
    let first = opt.minimize(&mut f, &Array1::from_elem(20, 1.0)).unwrap();
    let again = opt.minimize(&mut f, &Array1::from_elem(20, 1.0)).unwrap();
    assert_eq!(first.last_x, again.last_x);
    assert_eq!(first.last_x, a.last_x);
}

#[test]
fn stop_criteria_each_fire() {
    let d = 5;
    let build = || Optimizer::builder(TwoPoint::<f64>::central(Direction::Rademacher).mu(1e-6)).learning_rate(0.05);
    let x0 = Array1::from_elem(d, 1.0);
    let r = build()
        .max_iterations(7)
        .build()
        .unwrap()
        .minimize(&mut Sphere, &x0)
        .unwrap();
    assert_eq!(
        (r.stop, r.iterations, r.evaluations),
        (StopReason::MaxIterations, 7, 1 + 14 + 1)
    );
    let r = build()
        .max_evaluations(100_000)
        .target(1e-3)
        .build()
        .unwrap()
        .minimize(&mut Sphere, &x0)
        .unwrap();
    assert_eq!(r.stop, StopReason::TargetReached);
    assert!(r.best_f <= 1e-3);
    // A constant function never improves: stagnation after exactly `window` steps.
    let mut flat = |_x: ArrayView1<f64>| 1.0;
    let r = build()
        .max_evaluations(1_000)
        .stagnation(5, 0.0)
        .build()
        .unwrap()
        .minimize(&mut flat, &x0)
        .unwrap();
    assert_eq!((r.stop, r.iterations), (StopReason::Stagnation, 5));
    // An observer stops the run at the step it asks for.
    let r = build()
        .max_evaluations(1_000)
        .observer(|rec: &zoptim::StepRecord<f64>, _x: ArrayView1<f64>| {
            if rec.iteration == 3 {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            }
        })
        .build()
        .unwrap()
        .minimize(&mut Sphere, &x0)
        .unwrap();
    assert_eq!((r.stop, r.iterations), (StopReason::Observer, 4));
}

#[test]
fn history_records_every_step() {
    let r = run(1);
    let h = r.history.unwrap();
    assert_eq!(h.len(), r.iterations);
    assert!(h.iter().enumerate().all(|(i, s)| s.iteration == i && s.queries == 4));
    assert_eq!(
        h.last().unwrap().evaluations + 1,
        r.evaluations,
        "plus the final evaluation"
    );
}

// ---------------------------------------------------------------- errors

fn invalid(name: &str, e: Error) {
    match e {
        Error::InvalidParameter { name: n, .. } => assert_eq!(n, name),
        other => panic!("expected InvalidParameter({name}), got {other:?}"),
    }
}

#[test]
fn configuration_errors_at_build() {
    let b = |e: TwoPoint<f64>| Optimizer::builder(e).max_evaluations(10).build().map(|_| ());
    invalid("mu", b(TwoPoint::central(Direction::Gaussian).mu(0.0)).unwrap_err());
    invalid("mu", b(TwoPoint::central(Direction::Gaussian).mu(-1.0)).unwrap_err());
    invalid(
        "mu",
        b(TwoPoint::central(Direction::Gaussian).mu(f64::NAN)).unwrap_err(),
    );
    invalid(
        "directions",
        b(TwoPoint::central(Direction::Gaussian).directions(0)).unwrap_err(),
    );
    let t = || Optimizer::builder(TwoPoint::<f64>::spsa());
    for lr in [0.0, -1e-3, f64::NAN, f64::INFINITY] {
        invalid("learning_rate", t().learning_rate(lr).build().unwrap_err());
    }
    invalid("smoothing", t().smoothing(-1.0).build().unwrap_err());
    assert_eq!(t().max_evaluations(0).build().unwrap_err(), Error::EmptyBudget);
    invalid("target", t().target(f64::NAN).build().unwrap_err());
    invalid("stagnation window", t().stagnation(0, 0.1).build().unwrap_err());
    invalid(
        "weight_decay",
        t().update(Sgd::new().weight_decay(-1.0)).build().unwrap_err(),
    );
    invalid(
        "subset",
        Optimizer::builder(Cge::<f64>::central().subset(0)).build().unwrap_err(),
    );
    invalid(
        "batch",
        Optimizer::builder(Cge::<f64>::central().batch(0)).build().unwrap_err(),
    );
    let mut opt = t().build().unwrap();
    invalid(
        "max_evaluations / max_iterations",
        opt.minimize(&mut Sphere, &array![1.0]).unwrap_err(),
    );
}

#[test]
fn input_errors_leave_x_untouched() {
    let mut opt = Optimizer::builder(TwoPoint::<f64>::spsa())
        .max_evaluations(100)
        .build()
        .unwrap();
    assert_eq!(
        opt.minimize(&mut Sphere, &Array1::<f64>::zeros(0)).unwrap_err(),
        Error::EmptyParameters
    );
    let mut empty = Array1::<f64>::zeros(0);
    assert_eq!(opt.step(&mut empty, &mut Sphere).unwrap_err(), Error::EmptyParameters);
    let err = opt.minimize(&mut Sphere, &array![1.0, f64::NAN]).unwrap_err();
    assert!(matches!(err, Error::NonFiniteStart { index: 1, .. }));
    let mut x = array![f64::INFINITY, 1.0];
    assert!(matches!(
        opt.step(&mut x, &mut Sphere).unwrap_err(),
        Error::NonFiniteStart { index: 0, .. }
    ));
    let mut x = array![1.0, 2.0, 3.0];
    opt.step(&mut x, &mut Sphere).unwrap();
    let mut y = array![1.0, 2.0];
    let err = opt.step(&mut y, &mut Sphere).unwrap_err();
    assert!(matches!(
        err,
        Error::DimensionMismatch {
            expected: 3,
            found: 2,
            ..
        }
    ));
    assert_eq!(y, array![1.0, 2.0]);
    // Subset larger than d is found when the dimension is first seen.
    let mut opt = Optimizer::builder(Cge::<f64>::central().subset(5)).build().unwrap();
    let mut x = array![1.0, 2.0];
    invalid("subset", opt.step(&mut x, &mut Sphere).unwrap_err());
}

/// A non-finite objective value fails the step with the evaluation and query
/// named, x exactly as before (buffered) or within the documented drift (seeded),
/// and the failed step's evaluations still counted.
#[test]
fn non_finite_objective_fails_cleanly() {
    for storage in [Storage::Buffered, Storage::Seeded] {
        let calls = Cell::new(0usize);
        let mut f = |x: ArrayView1<f64>| {
            calls.set(calls.get() + 1);
            if calls.get() == 4 { f64::NAN } else { x.dot(&x) }
        };
        let mut opt = Optimizer::builder(TwoPoint::central(Direction::Gaussian).storage(storage))
            .learning_rate(0.01)
            .build()
            .unwrap();
        let mut x = array![0.5, -0.25, 1.0];
        opt.step(&mut x, &mut f).unwrap();
        let before = x.clone();
        let err = opt.step(&mut x, &mut f).unwrap_err();
        assert!(matches!(
            err,
            Error::NonFiniteObjective {
                evaluation: 4,
                query: Query::Minus(0),
                ..
            }
        ));
        assert!(err.to_string().contains("evaluation 4"), "{err}");
        match storage {
            Storage::Buffered => assert_eq!(x, before),
            _ => {
                for (a, b) in x.iter().zip(&before) {
                    assert!((a - b).abs() <= 8.0 * f64::EPSILON * (1.0 + b.abs()));
                }
            }
        }
        assert_eq!(opt.evaluations(), 4);
        assert_eq!(calls.get(), 4);
    }
}

/// f+ − f− overflows to ∞: the estimate is not finite, the step fails, x is untouched.
#[test]
fn non_finite_estimate_fails_cleanly() {
    let mut f = |x: ArrayView1<f64>| if x[0] > 0.5 { 1e308 } else { -1e308 };
    let mut opt = Optimizer::builder(TwoPoint::central(Direction::Coordinate))
        .build()
        .unwrap();
    let mut x = array![0.5];
    let err = opt.step(&mut x, &mut f).unwrap_err();
    assert!(matches!(err, Error::NonFiniteEstimate { iteration: 0, .. }), "{err:?}");
    assert_eq!(x, array![0.5]);
}

/// An estimator that queries more than it declared is stopped by the oracle
/// before it can overrun the budget.
#[test]
fn over_querying_estimator_is_stopped() {
    struct Liar;
    impl GradientEstimator<f64> for Liar {
        fn name(&self) -> &'static str {
            "liar"
        }
        fn validate(&self) -> zoptim::Result<()> {
            Ok(())
        }
        fn max_queries(&self, _dim: usize) -> usize {
            1
        }
        fn estimate(
            &mut self,
            x: &[f64],
            _ctx: &mut EstimateContext<'_, f64>,
            round: &mut zoptim::Round<f64>,
            _out: &mut Estimate<f64>,
        ) -> zoptim::Result<zoptim::Flow<EstimateInfo<f64>>> {
            round.push_copy(Query::Center, x);
            round.push_copy(Query::Center, x);
            Ok(zoptim::Flow::Query)
        }
    }
    let mut opt = Optimizer::builder(Liar).max_evaluations(5).build().unwrap();
    let mut x = array![1.0, 2.0];
    let err = opt.step(&mut x, &mut Sphere).unwrap_err();
    assert_eq!(
        err,
        Error::QueryLimitExceeded {
            component: "liar",
            limit: 1
        }
    );
    assert_eq!(x, array![1.0, 2.0]);
    // The over-long round is rejected before any point of it is evaluated.
    assert_eq!(opt.evaluations(), 0);
}

/// A failure mid-run ends `minimize` with `StopReason::Failed`, keeping the progress.
#[test]
fn minimize_keeps_progress_when_a_step_fails() {
    let calls = Cell::new(0usize);
    let mut f = |x: ArrayView1<f64>| {
        calls.set(calls.get() + 1);
        if calls.get() == 50 { f64::INFINITY } else { x.dot(&x) }
    };
    let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6))
        .learning_rate(0.05)
        .max_evaluations(1_000)
        .build()
        .unwrap();
    let x0 = Array1::from_elem(4, 1.0);
    let r = opt.minimize(&mut f, &x0).unwrap();
    assert!(matches!(
        r.stop,
        StopReason::Failed(Error::NonFiniteObjective { evaluation: 50, .. })
    ));
    assert!(r.best_f < 4.0 && r.iterations == 24);
    assert_eq!(r.evaluations, calls.get());
    assert!(r.last_f.is_some());
}

/// A non-contiguous view is stepped through an internal buffer.
#[test]
fn strided_views_are_supported() {
    let mut m = Array1::from_elem(8, 1.0);
    let mut opt = Optimizer::builder(TwoPoint::<f64>::spsa().mu(1e-6))
        .learning_rate(0.1)
        .build()
        .unwrap();
    let mut strided = m.slice_mut(ndarray::s![..;2]);
    for _ in 0..50 {
        opt.step(strided.view_mut(), &mut Sphere).unwrap();
    }
    assert!(Sphere.value(m.slice(ndarray::s![..;2])) < 1e-3);
    assert!(m.slice(ndarray::s![1..;2]).iter().all(|&v| v == 1.0));
    let _ = Sphere.eval(m.view());
}

/// ZO-Bench's scalar sign divides η by |c|: a subnormal coefficient makes the
/// step overflow, which fails the step with `NonFiniteStep`, x untouched.
#[test]
fn non_finite_step_fails_cleanly() {
    // f = 5e-324·x₀: with μ = 1 and x₀ = 1 ± u₀ the central coefficient is the
    // smallest subnormal, and η/|c| = 1e-3/4.9e-324 overflows.
    let mut f = |x: ArrayView1<f64>| 5e-324 * x[0];
    let mut opt = Optimizer::builder(TwoPoint::central(Direction::Rademacher).mu(1.0))
        .update(zoptim::update::SignSgd::scalar())
        .build()
        .unwrap();
    let mut x = array![1.0, 0.0];
    let err = opt.step(&mut x, &mut f).unwrap_err();
    assert!(matches!(err, Error::NonFiniteStep { iteration: 0, .. }), "{err:?}");
    assert_eq!(x, array![1.0, 0.0]);
}

/// Without best-point tracking the report's best is the last iterate, and the
/// target criterion still sees the smallest value evaluated.
#[test]
fn keep_best_point_off_reports_the_last_iterate() {
    let build = |keep: bool| {
        Optimizer::builder(TwoPoint::<f64>::spsa().mu(1e-6))
            .learning_rate(0.05)
            .max_evaluations(400)
            .target(1e-4)
            .keep_best_point(keep)
            .seed(3)
            .build()
            .unwrap()
    };
    let x0 = Array1::from_elem(6, 1.0);
    let on = build(true).minimize(&mut Sphere, &x0).unwrap();
    let off = build(false).minimize(&mut Sphere, &x0).unwrap();
    assert_eq!(on.last_x, off.last_x, "tracking must not change the trajectory");
    assert_eq!(on.stop, StopReason::TargetReached);
    assert_eq!(off.stop, StopReason::TargetReached);
    assert_eq!(off.best_x, off.last_x);
    assert_eq!(Some(off.best_f), off.last_f);
    assert!(on.best_f <= off.best_f);
}
