//! Property tests (proptest): the accounting and exactness guarantees hold for
//! arbitrary budgets, dimensions, configurations and inputs, not just the
//! hand-picked ones of the other tests.

use ndarray::{Array1, ArrayView1};
use proptest::prelude::*;
use std::cell::Cell;
use zoptim::Smoothed;
use zoptim::estimator::{BlockCoordinate, Dap, Relizo};
use zoptim::{Cge, Direction, Error, GradientEstimator, Optimizer, StopReason, TwoPoint};

/// One of the library's estimators, picked by index, with q directions.
fn estimator(kind: usize, q: usize) -> Box<dyn GradientEstimator<f64>> {
    let dir = Direction::ALL[q % 4];
    match kind {
        0 => Box::new(TwoPoint::central(dir).directions(q)),
        1 => Box::new(TwoPoint::forward(dir).directions(q)),
        2 => Box::new(TwoPoint::mezo().directions(q)),
        3 => Box::new(Cge::forward().subset(1)),
        4 => Box::new(Cge::central()),
        5 => Box::new(Dap::two_stage(q)),
        6 => Box::new(Dap::previous().directions(q)),
        7 => Box::new(BlockCoordinate::new(1).directions(q)),
        _ => Box::new(Relizo::with_reuse_bound(0.02).samples(q + 1)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// `minimize` never reports more evaluations than the budget, reports exactly
    /// the calls the objective saw, and stops only when the next step could not fit.
    #[test]
    fn budget_is_exact_and_never_exceeded(
        kind in 0usize..9,
        q in 1usize..4,
        d in 1usize..12,
        budget in 1usize..300,
        seed in any::<u64>(),
    ) {
        let calls = Cell::new(0usize);
        let mut f = |x: ArrayView1<f64>| {
            calls.set(calls.get() + 1);
            x.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v * v).sum::<f64>()
        };
        let mut opt = Optimizer::builder(estimator(kind, q))
            .learning_rate(1e-3)
            .max_evaluations(budget)
            .seed(seed)
            .build()
            .unwrap();
        let per_step = opt.estimator().max_queries(d);
        let r = match opt.minimize(&mut f, &Array1::from_elem(d, 0.7)) {
            // f(x0), one step and the final value cannot fit: refused up front.
            Err(zoptim::Error::BudgetExhausted { used: 0, .. }) => {
                prop_assert!(budget < per_step + 2);
                prop_assert_eq!(calls.get(), 0);
                return Ok(());
            }
            res => res.unwrap(),
        };
        prop_assert!(r.evaluations <= budget);
        prop_assert_eq!(r.evaluations, calls.get());
        prop_assert_eq!(r.stop, StopReason::MaxEvaluations);
        prop_assert!(r.evaluations + per_step + 1 > budget);
    }

    /// On f = aᵀx + c, central coordinate differences return a (to rounding:
    /// the difference quotient of a linear function is exact up to ε·|f|/μ).
    #[test]
    fn central_coordinate_recovers_linear_gradients(
        a in prop::collection::vec(-10.0f64..10.0, 1..10),
        shift in -10.0f64..10.0,
        c in -100.0f64..100.0,
    ) {
        let d = a.len();
        let av = Array1::from(a.clone());
        let mut f = |x: ArrayView1<f64>| av.dot(&x) + c;
        let mut opt = Optimizer::builder(Cge::central().mu(1e-4)).learning_rate(1.0).build().unwrap();
        let mut x = Array1::from_shape_fn(d, |i| shift + i as f64);
        let x0 = x.clone();
        opt.step(&mut x, &mut f).unwrap();
        // One unit step of SGD: x − g, so g = x0 − x.
        let scale = 1.0 + a.iter().map(|v| v.abs()).sum::<f64>() * (1.0 + shift.abs() + d as f64) + c.abs();
        for i in 0..d {
            let g = x0[i] - x[i];
            prop_assert!((g - a[i]).abs() <= 1e-9 * scale, "coordinate {}: {} vs {}", i, g, a[i]);
        }
    }

    /// A step that meets a non-finite value at any of its queries fails with
    /// NonFiniteObjective and leaves x bitwise as it was (buffered storage).
    #[test]
    fn failed_steps_leave_x_untouched(
        kind in prop::sample::select(vec![0usize, 1, 3, 4, 5, 6, 7, 8]),
        q in 1usize..4,
        d in 1usize..10,
        fail_at in 1usize..8,
        seed in any::<u64>(),
    ) {
        let calls = Cell::new(0usize);
        let mut f = |x: ArrayView1<f64>| {
            calls.set(calls.get() + 1);
            if calls.get() == fail_at { f64::NAN } else { x.dot(&x) }
        };
        let mut opt = Optimizer::builder(estimator(kind, q)).learning_rate(1e-3).seed(seed).build().unwrap();
        let mut x = Array1::from_shape_fn(d, |i| 0.3 + 0.1 * i as f64);
        loop {
            let before = x.clone();
            match opt.step(&mut x, &mut f) {
                Ok(_) => prop_assert!(calls.get() < fail_at),
                Err(e) => {
                    let is_nan_error = matches!(e, Error::NonFiniteObjective { evaluation, .. } if evaluation == fail_at);
                    prop_assert!(is_nan_error, "{:?}", e);
                    prop_assert_eq!(&x, &before);
                    break;
                }
            }
        }
    }
}
