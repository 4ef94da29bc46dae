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
        Optimizer::builder(Relizo::readme(0.1))
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
