//! Regression tests for defects found by adversarial testing: huge counts,
//! non-finite values that used to slip through, and what a failed step leaves.

use ndarray::{Array1, ArrayView1, array};
use std::cell::Cell;
use zoptim::prelude::*;
use zoptim::stochastic::StochasticObjective;
use zoptim::{Error, ZoRng};

fn sphere(x: ArrayView1<f64>) -> f64 {
    x.dot(&x)
}

/// Huge counts are an error before anything is evaluated or allocated.
#[test]
fn huge_counts_are_errors_at_start_not_panics_or_overruns() {
    let calls = Cell::new(0usize);
    let mut f = |x: ArrayView1<f64>| {
        calls.set(calls.get() + 1);
        sphere(x)
    };
    let x0 = Array1::from_elem(4, 0.5);
    let mut opt = Optimizer::builder(TwoPoint::mezo().directions(usize::MAX / 2))
        .max_evaluations(100)
        .build()
        .unwrap();
    assert!(matches!(
        opt.minimize(&mut f, &x0),
        Err(Error::BudgetExhausted { used: 0, .. })
    ));
    // 2^28 pilot directions would be an 8 GiB buffer: refused by the budget first.
    let mut opt = Optimizer::builder(Dap::two_stage(1 << 28))
        .max_evaluations(10)
        .build()
        .unwrap();
    assert!(matches!(
        opt.minimize(&mut f, &x0),
        Err(Error::BudgetExhausted { used: 0, .. })
    ));
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .update(LineSearch::armijo().max_trials(usize::MAX))
        .max_evaluations(1000)
        .build()
        .unwrap();
    assert!(matches!(
        opt.minimize(&mut f, &x0),
        Err(Error::BudgetExhausted { used: 0, .. })
    ));
    assert_eq!(calls.get(), 0);
    assert_eq!(Difference::Central.queries(usize::MAX), usize::MAX);
    assert_eq!(Difference::Forward.queries(usize::MAX), usize::MAX);
}

/// A stagnation window of any size neither overflows nor allocates its size.
#[test]
fn a_huge_stagnation_window_is_harmless() {
    for window in [usize::MAX, usize::MAX - 1, 1 << 40] {
        let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6))
            .learning_rate(0.1)
            .max_iterations(30)
            .stagnation(window, 0.0)
            .build()
            .unwrap();
        let r = opt.minimize(&mut sphere, &Array1::from_elem(3, 1.0)).unwrap();
        assert_eq!(r.stop, StopReason::MaxIterations);
    }
}

/// A stochastic problem whose full value is NaN.
struct NanFull;
impl zoptim::Objective<f64> for NanFull {
    fn eval(&mut self, x: ArrayView1<f64>) -> f64 {
        sphere(x)
    }
}
impl StochasticObjective<f64> for NanFull {
    fn resample(&mut self, _rng: &mut ZoRng) {}
    fn full_value(&mut self, _x: ArrayView1<f64>) -> Option<f64> {
        Some(f64::NAN)
    }
}

#[test]
fn a_non_finite_full_value_fails_the_run() {
    let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(5).build().unwrap();
    let r = opt.minimize_stochastic(&mut NanFull, &array![1.0, 2.0]).unwrap();
    assert!(
        matches!(r.stop, StopReason::Failed(Error::NonFiniteObjective { .. })),
        "{:?}",
        r.stop
    );
    assert_eq!(r.last_f, None);
}

/// After a failed step the optimizer is as before it: the next successful step
/// is bit-identical to the one a fresh optimizer takes.
#[test]
fn a_failed_step_leaves_no_trace() {
    let build = || {
        Optimizer::builder(BlockCoordinate::new(3).directions(2).mu(1e-3))
            .update(Adam::new())
            .learning_rate(0.05)
            .build()
            .unwrap()
    };
    let x0 = array![0.5, -0.3, 0.2, 0.9, -0.7, 0.1];
    let mut clean = build();
    let mut want = x0.clone();
    for _ in 0..4 {
        clean.step(&mut want, &mut sphere).unwrap();
    }
    let mut opt = build();
    let mut x = x0.clone();
    for k in 0..4 {
        // Every step first fails on a NaN at its second query, then succeeds.
        let n = Cell::new(0);
        let mut bad = |p: ArrayView1<f64>| {
            n.set(n.get() + 1);
            if n.get() == 2 { f64::NAN } else { sphere(p) }
        };
        let before = x.clone();
        assert!(opt.step(&mut x, &mut bad).is_err(), "step {k}");
        assert_eq!(x, before);
        opt.step(&mut x, &mut sphere).unwrap();
    }
    assert_eq!(x, want);
}

/// A run whose steps cost nothing and change nothing stops instead of looping
/// forever (the budget alone would never end it).
#[test]
fn steps_that_make_no_query_and_no_move_end_the_run() {
    let mut f = |_x: ArrayView1<f64>| 1.0;
    let mut opt = Optimizer::builder(Relizo::reference_defaults().reuse_distance_bound(0.1))
        .update(LineSearch::reference())
        .max_evaluations(100)
        .history(true)
        .build()
        .unwrap();
    let r = opt.minimize(&mut f, &Array1::from_elem(4, 0.5)).unwrap();
    assert_eq!(r.stop, StopReason::Stalled);
    assert!(r.evaluations <= 100);
    let h = r.history.unwrap();
    assert!(h.last().unwrap().stalled && h.last().unwrap().queries == 0);

    // A plateau with Armijo backtracking: the estimate is exactly zero.
    let mut plateau = |x: ArrayView1<f64>| (10.0 * x.sum()).floor();
    let mut opt = Optimizer::builder(Relizo::reference_defaults().reuse_distance_bound(0.1))
        .update(LineSearch::armijo())
        .max_evaluations(1000)
        .build()
        .unwrap();
    let r = opt.minimize(&mut plateau, &Array1::from_elem(4, 0.5)).unwrap();
    assert!(
        matches!(r.stop, StopReason::Stalled | StopReason::MaxEvaluations),
        "{:?}",
        r.stop
    );
}

/// An objective that panics, caught by the caller: x is moved back, the calls
/// made are counted, and the optimizer's state is as before the step.
#[test]
fn a_panicking_objective_leaves_x_counts_and_state_consistent() {
    use std::panic::{AssertUnwindSafe, catch_unwind};
    let panicking = |at: usize| {
        let n = Cell::new(0usize);
        move |x: ArrayView1<f64>| {
            n.set(n.get() + 1);
            if n.get() == at {
                panic!("simulator crashed");
            }
            sphere(x)
        }
    };
    // Block coordinate: x exactly as before, 3 calls counted.
    let x0 = array![0.5, -0.3, 0.2, 0.9, -0.7, 0.1];
    let mut opt = Optimizer::builder(BlockCoordinate::new(2).directions(2))
        .max_evaluations(10)
        .build()
        .unwrap();
    let mut x = x0.clone();
    let mut f = panicking(3);
    assert!(catch_unwind(AssertUnwindSafe(|| opt.step(&mut x, &mut f))).is_err());
    assert_eq!(x, x0);
    assert_eq!(opt.evaluations(), 3);
    // MeZO's walk: x back to within the documented rounding of the walk.
    let mut opt = Optimizer::builder(TwoPoint::mezo().mu(1e-3))
        .max_evaluations(10)
        .build()
        .unwrap();
    let mut x = x0.clone();
    let mut f = panicking(2);
    assert!(catch_unwind(AssertUnwindSafe(|| opt.step(&mut x, &mut f))).is_err());
    for (a, b) in x.iter().zip(&x0) {
        assert!((a - b).abs() <= 8.0 * f64::EPSILON * (b.abs() + 0.1), "{a} vs {b}");
    }
    assert_eq!(opt.evaluations(), 2);
    // ReLIZO is not poisoned: after the panic its next steps are those of an
    // optimizer that never saw it.
    let build = || {
        Optimizer::builder(Relizo::with_reuse_bound(0.2))
            .learning_rate(0.1)
            .seed(3)
            .build()
            .unwrap()
    };
    let lin = |x: ArrayView1<f64>| x.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v).sum::<f64>();
    let mut opt = build();
    let mut twin = build();
    let (mut x, mut y) = (x0.clone(), x0.clone());
    opt.step(&mut x, &mut |p: ArrayView1<f64>| lin(p)).unwrap();
    twin.step(&mut y, &mut |p: ArrayView1<f64>| lin(p)).unwrap();
    let mut f = panicking(2);
    assert!(catch_unwind(AssertUnwindSafe(|| opt.step(&mut x, &mut f))).is_err());
    for _ in 0..3 {
        let a = opt.step(&mut x, &mut |p: ArrayView1<f64>| lin(p)).unwrap();
        let b = twin.step(&mut y, &mut |p: ArrayView1<f64>| lin(p)).unwrap();
        assert_eq!(a.reused, b.reused);
        assert_eq!(x, y);
    }
}

// ---------------------------------------------------------------------------
// D4: a step that would leave x (or a rule's state) non-finite is refused.

use zoptim::estimator::{Estimate, estimate_once};
use zoptim::projection::Projection;
use zoptim::schedule::{Constant, FLOOR, Schedule};
use zoptim::testing::ExactGradient;
use zoptim::testing::{Linear, Quadratic, TestFunction};
use zoptim::update::update_once;

/// The reported case: SPSA with η = 1e308 on x = [1, −2] used to return `Ok`
/// with x = [−∞, ∞].
#[test]
fn a_huge_learning_rate_is_a_non_finite_step_not_an_infinite_x() {
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .learning_rate(1e308)
        .build()
        .unwrap();
    let mut x = array![1.0, -2.0];
    let e = opt.step(&mut x, &mut sphere).unwrap_err();
    assert!(
        matches!(
            e,
            Error::NonFiniteStep {
                rule: "sgd",
                iteration: 0
            }
        ),
        "{e}"
    );
    assert_eq!(x, array![1.0, -2.0]);
    assert_eq!(opt.iterations(), 0);
}

fn dense(g: &[f64]) -> Estimate<f64> {
    let mut e = Estimate::new();
    e.dense_mut(g.len(), 0..g.len()).copy_from_slice(g);
    e
}

/// Every rule, given a step that overflows (x = 1e308, g = −1, η = 1.5e308),
/// returns `NonFiniteStep` with x and its state as before: the next step is
/// bit-identical to that of a twin rule that never saw the failure.
#[test]
fn every_rule_refuses_an_overflowing_step_and_keeps_its_state() {
    type Rule = Box<dyn UpdateRule<f64>>;
    type Named = (&'static str, fn() -> Rule);
    let rules: Vec<Named> = vec![
        ("sgd", || Box::new(Sgd::new())),
        ("sgd wd", || Box::new(Sgd::new().weight_decay(0.1))),
        ("momentum", || Box::new(Momentum::new(0.9))),
        ("nesterov wd", || Box::new(Momentum::nesterov().weight_decay(0.01))),
        ("adam", || Box::new(Adam::new())),
        ("adamw", || Box::new(Adam::adamw())),
        ("amsgrad", || Box::new(Adam::zo_adamm())),
        ("sign", || Box::new(SignSgd::new())),
        ("normalized", || Box::new(Normalized::new())),
        ("armijo", || Box::new(LineSearch::armijo())),
        ("reference", || Box::new(LineSearch::reference())),
        ("conservative", || Box::new(Conservative::new())),
    ];
    // A finite objective at x = 1e308, decreasing along +x.
    let mut f = |x: ArrayView1<f64>| -x.iter().map(|v| v * 1e-300).sum::<f64>();
    for (name, make) in rules {
        let (mut rule, mut twin) = (make(), make());
        rule.prepare(2).unwrap();
        twin.prepare(2).unwrap();
        let (mut x, mut y) = (array![1e308, 1e308], array![1e308, 1e308]);
        let xs = x.as_slice_mut().unwrap();
        let ys = y.as_slice_mut().unwrap();
        update_once(&mut *rule, &mut f, xs, &mut dense(&[-1e-3, 2e-3]), 0.1, None).unwrap();
        update_once(&mut *twin, &mut f, ys, &mut dense(&[-1e-3, 2e-3]), 0.1, None).unwrap();
        let before = xs.to_vec();
        let e = update_once(&mut *rule, &mut f, xs, &mut dense(&[-1.0, -1.0]), 1.5e308, None).unwrap_err();
        assert!(matches!(e, Error::NonFiniteStep { .. }), "{name}: {e}");
        assert_eq!(xs, &before[..], "{name}: x changed");
        update_once(&mut *rule, &mut f, xs, &mut dense(&[0.5, -0.25]), 0.1, None).unwrap();
        update_once(&mut *twin, &mut f, ys, &mut dense(&[0.5, -0.25]), 0.1, None).unwrap();
        assert_eq!(xs, ys, "{name}: state changed by the failed step");
        assert!(xs.iter().all(|v| v.is_finite()), "{name}");
    }
}

/// In f32, Momentum's buffer and Adam's second moment overflow on gradients of
/// 3e38 and 1e21; the step is refused and the state is exactly as before.
#[test]
fn f32_moments_that_would_overflow_are_refused_with_the_state_kept() {
    let mut f = |_: ArrayView1<f32>| 0.0f32;
    let g = |v: f32| {
        let mut e = Estimate::<f32>::new();
        e.dense_mut(1, 0..1)[0] = v;
        e
    };
    let mut m = Momentum::<f32>::new(0.9);
    UpdateRule::<f32>::prepare(&mut m, 1).unwrap();
    let mut x = [0.0f32];
    update_once(&mut m, &mut f, &mut x, &mut g(3e38), 1e-38, None).unwrap();
    let (xb, mb) = (x, m.clone());
    let e = update_once(&mut m, &mut f, &mut x, &mut g(3e38), 1e-38, None).unwrap_err();
    assert!(matches!(e, Error::NonFiniteStep { rule: "momentum", .. }), "{e}");
    assert_eq!((x, &m), (xb, &mb));
    assert!(m.buffer()[0].is_finite());

    let mut a = Adam::<f32>::new();
    UpdateRule::<f32>::prepare(&mut a, 1).unwrap();
    update_once(&mut a, &mut f, &mut x, &mut g(1.0), 1e-3, None).unwrap();
    let (xb, ab) = (x, a.clone());
    let e = update_once(&mut a, &mut f, &mut x, &mut g(1e21), 1e-3, None).unwrap_err();
    assert!(matches!(e, Error::NonFiniteStep { rule: "adam", .. }), "{e}");
    assert_eq!((x, &a), (xb, &ab));
    // The state is usable: the next ordinary step works.
    update_once(&mut a, &mut f, &mut x, &mut g(1.0), 1e-3, None).unwrap();
    assert!(x[0].is_finite() && a.second_moment()[0].is_finite());
}

/// Through the optimizer in f32: objective values around 1e37 (slope 1e37) give
/// Adam a gradient whose square overflows f32.
#[test]
fn f32_adam_on_values_near_the_f32_limit_fails_cleanly() {
    let mut opt = Optimizer::builder(TwoPoint::<f32>::spsa())
        .update(Adam::new())
        .learning_rate(1e-3)
        .build()
        .unwrap();
    let mut x = array![1.0f32];
    let mut f = |x: ArrayView1<f32>| 1e37f32 * x[0];
    let e = opt.step(&mut x, &mut f).unwrap_err();
    assert!(matches!(e, Error::NonFiniteStep { rule: "adam", .. }), "{e}");
    assert_eq!(x, array![1.0f32]);
    assert!(opt.update_rule().first_moment().iter().all(|&v| v == 0.0));
    assert!(opt.update_rule().second_moment().iter().all(|&v| v == 0.0));
}

/// A learning rate that overflows (or underflows) f32 is a build error in f32,
/// and fine in f64.
#[test]
fn a_learning_rate_outside_f32_is_a_build_error() {
    for lr in [1e300, 1e39, 1e-50] {
        let e = Optimizer::builder(TwoPoint::<f32>::spsa())
            .learning_rate(lr)
            .build()
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::InvalidParameter {
                    name: "learning_rate",
                    ..
                }
            ),
            "{lr}: {e}"
        );
        assert!(
            Optimizer::builder(TwoPoint::<f64>::spsa())
                .learning_rate(lr)
                .build()
                .is_ok()
        );
    }
    let e = Optimizer::builder(TwoPoint::<f32>::spsa())
        .smoothing(1e-60)
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { name: "smoothing", .. }), "{e}");
    // A schedule that overflows f32 only later: that step fails, x unchanged.
    let mut opt = Optimizer::builder(TwoPoint::<f32>::spsa())
        .learning_rate(Cosine::new(1e39, 1e38, 10).warmup(4))
        .build()
        .unwrap();
    let mut x = array![1.0f32, -1.0];
    let mut f = |x: ArrayView1<f32>| x.dot(&x);
    let mut failed = false;
    for _ in 0..4 {
        let before = x.clone();
        match opt.step(&mut x, &mut f) {
            Ok(_) => assert!(x.iter().all(|v| v.is_finite())),
            Err(e) => {
                assert!(matches!(e, Error::NonFiniteStep { .. }), "{e}");
                assert_eq!(x, before);
                failed = true;
                break;
            }
        }
    }
    assert!(failed);
}

/// Normalized with a weight decay that is subnormal in f32: the step length is
/// still η (the scaling η/ν is not formed when it would overflow f32).
#[test]
fn normalized_with_a_tiny_weight_decay_takes_a_step_of_length_eta() {
    let mut rule = Normalized::new().weight_decay(1e-45);
    let mut x = [1.0f32, 1.0];
    let mut g = Estimate::<f32>::new();
    g.dense_mut(2, 0..2).copy_from_slice(&[0.0, 0.0]);
    let mut f = |_: ArrayView1<f32>| 0.0f32;
    update_once(&mut rule, &mut f, &mut x, &mut g, 1e-3, None).unwrap();
    let step = ((1.0 - x[0]).powi(2) + (1.0 - x[1]).powi(2)).sqrt();
    assert!(x.iter().all(|v| v.is_finite()));
    assert!((step - 1e-3).abs() < 1e-6, "step {step}");
    // And in f64, λ = 5e-324 with g = 0 (η/ν = 2e320 overflows f64).
    let mut rule = Normalized::new().weight_decay(5e-324);
    let mut x = [1.0f64, 1.0];
    let mut g = dense(&[0.0, 0.0]);
    update_once(&mut rule, &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 1e-3, None).unwrap();
    let step = ((1.0 - x[0]).powi(2) + (1.0 - x[1]).powi(2)).sqrt();
    assert!((step - 1e-3).abs() < 1e-12, "step {step}");
}

// ---------------------------------------------------------------------------
// D8: schedules that pass validation never fail mid-run (values are floored).

#[test]
fn decaying_schedules_are_floored_instead_of_failing_mid_run() {
    let schedules: Vec<(&str, Box<dyn Schedule + Send>)> = vec![
        ("step decay 1e-300", Box::new(StepDecay::new(0.1, 1e-300, 1))),
        (
            "step decay MIN_POSITIVE",
            Box::new(StepDecay::new(0.1, f64::MIN_POSITIVE, 1)),
        ),
        ("power decay ^1000", Box::new(PowerDecay::new(0.1, 0.0, 1000.0))),
        ("inverse sqrt 5e-324", Box::new(InverseSqrt(5e-324))),
        ("cosine to 0", Box::new(Cosine::new(0.1, 0.0, 3))),
        ("constant 5e-324", Box::new(Constant(5e-324))),
    ];
    for (name, s) in schedules {
        s.validate("learning_rate").unwrap();
        for k in [0, 1, 2, 3, 4, 10, 1000, usize::MAX] {
            let v = s.value(k);
            assert!(v.is_finite() && v >= FLOOR, "{name}: value({k}) = {v}");
        }
        let mut opt = Optimizer::builder(TwoPoint::spsa())
            .learning_rate(s)
            .max_iterations(10)
            .build()
            .unwrap();
        let r = opt.minimize(&mut sphere, &array![1.0, -0.5]).unwrap();
        assert_eq!(r.stop, StopReason::MaxIterations, "{name}");
        assert!(r.last_x.iter().all(|v| v.is_finite()));
    }
    // A μ schedule that underflows after 5 steps: μ floored, the estimate is 0.
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .smoothing(PowerDecay::new(1e-3, 0.0, 400.0))
        .learning_rate(0.1)
        .max_iterations(12)
        .build()
        .unwrap();
    let r = opt.minimize(&mut sphere, &array![1.0, -0.5]).unwrap();
    assert_eq!(r.stop, StopReason::MaxIterations);
    // Unchanged values above the floor.
    assert_eq!(StepDecay::new(1.0, 0.5, 1).value(3), 0.125);
    assert_eq!(0.3f64.value(7), 0.3);
}

// ---------------------------------------------------------------------------
// D9: public functions return a clear result instead of panicking.

#[test]
fn test_functions_of_the_wrong_length_give_nan() {
    let l = Linear::new(array![1f64, 2.], 0.);
    assert!(
        Linear::new(array![1f64, 2.], 0.)
            .eval(array![1., 2., 3.].view())
            .is_nan()
    );
    assert!(l.gradient(array![1., 2., 3.].view()).iter().all(|v| v.is_nan()));
    // Through an optimizer the NaN is a typed error, x unchanged.
    let mut opt = Optimizer::builder(TwoPoint::spsa()).build().unwrap();
    let mut x = array![1.0, 2.0, 3.0];
    let mut f = Linear::new(array![1., 2.], 0.);
    let e = opt.step(&mut x, &mut f).unwrap_err();
    assert!(matches!(e, Error::NonFiniteObjective { evaluation: 1, .. }), "{e}");
    assert_eq!(x, array![1.0, 2.0, 3.0]);
}

#[test]
fn a_proxy_of_the_wrong_dimension_is_a_dimension_error() {
    let calls = Cell::new(0);
    let mut f = |x: ArrayView1<f64>| {
        calls.set(calls.get() + 1);
        sphere(x)
    };
    let mut opt = Optimizer::builder(Dap::with_proxy(ExactGradient(Quadratic::new(array![1., 2., 3.]))))
        .build()
        .unwrap();
    let mut x = Array1::from_elem(5, 0.5);
    let e = opt.step(&mut x, &mut f).unwrap_err();
    assert!(
        matches!(
            e,
            Error::DimensionMismatch {
                expected: 5,
                found: 3,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!((calls.get(), opt.evaluations()), (0, 0));
    assert_eq!(x, Array1::from_elem(5, 0.5));
    // The right dimension works.
    let mut opt = Optimizer::builder(Dap::with_proxy(ExactGradient(Quadratic::new(array![1., 2., 3.]))))
        .learning_rate(0.1)
        .build()
        .unwrap();
    let mut x = Array1::from_elem(3, 0.5);
    opt.step(&mut x, &mut f).unwrap();
}

#[test]
fn projections_reject_points_of_the_wrong_length() {
    let b = Bounds::new(array![0.], array![1.]);
    assert!(!b.contains(&[0.5, 0.5]));
    assert!(b.violation(&[0.5, 0.5]).unwrap().contains("2 coordinates"));
    let mut x = [2.0, 2.0];
    assert!(!b.project(&mut x, 0..2));
    assert_eq!(x, [2.0, 2.0]);
    assert!(b.contains(&[0.5]));
    let ball = Ball::new(array![0., 0.], 1.0);
    assert!(ball.violation(&[0.1, 0.1, 0.1]).is_some());
    assert!(!ball.contains(&[0.1, 0.1, 0.1]));
    let mut y = [3.0, 3.0, 3.0];
    assert!(!ball.project(&mut y, 0..3));
    assert_eq!(y, [3.0, 3.0, 3.0]);
    assert!(ball.contains(&[0.1, 0.1]));
}

#[test]
fn an_estimate_too_large_to_allocate_is_invalid_not_a_panic() {
    let mut e = Estimate::<f64>::new();
    let (rows, coefs) = e.stored_mut(4, 0..4, usize::MAX / 2);
    assert!(rows.is_empty() && coefs.is_empty());
    assert!(!e.is_finite());
    assert!(e.values().iter().all(|&v| v == 0.0));
    let mut x = [1.0; 4];
    e.scaled_add_to(1.0, &mut x);
    assert_eq!(x, [1.0; 4]);
    assert!(matches!(
        e.try_stored_mut(4, 0..4, usize::MAX / 2),
        Err(Error::InvalidParameter { name: "directions", .. })
    ));
    // A normal size afterwards is valid again.
    let (rows, coefs) = e.stored_mut(4, 0..4, 2);
    assert_eq!((rows.len(), coefs.len()), (8, 2));
    assert!(e.is_finite());
}

#[test]
fn dap_on_an_empty_x_is_an_error() {
    let mut dap = Dap::<f64>::two_stage(2);
    assert_eq!(
        GradientEstimator::<f64>::prepare(&mut dap, 0),
        Err(Error::EmptyParameters)
    );
    let mut rng = ZoRng::seed_from_u64(1);
    let mut out = Estimate::new();
    let mut x: [f64; 0] = [];
    let e = estimate_once(&mut dap, &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut rng, &mut out);
    assert_eq!(e.unwrap_err(), Error::EmptyParameters);
}
