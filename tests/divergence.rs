//! Divergence is never silent; a run that cannot take one step is an error.

use ndarray::{Array1, ArrayView1};
use zoptim::prelude::*;
use zoptim::testing::Rosenbrock;
use zoptim::{Error, observer::Progress};

/// SPSA with the default learning rate on Rosenbrock (d = 10) blows up to
/// |x| ≈ 1e28; the run must say so, and `into_result` must turn it into an error.
#[test]
fn spsa_on_rosenbrock_with_defaults_is_reported_as_diverged() {
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .max_evaluations(20_000)
        .seed(1)
        .build()
        .unwrap();
    let x0 = Rosenbrock::standard_start::<f64>(10);
    let report = opt.minimize(&mut Rosenbrock, &x0).unwrap();
    let StopReason::Diverged { value, best, .. } = report.stop else {
        panic!("expected Diverged, got {:?}", report.stop);
    };
    assert!(value - best > 100.0 * best.abs().max(1.0), "{value} {best}");
    // The best point is still the best evaluated one, not the diverged iterate.
    let f0 = zoptim::testing::TestFunction::value(&Rosenbrock, x0.view());
    assert!(report.best_f <= f0, "{} > f(x0) = {f0}", report.best_f);
    assert!(report.evaluations < 20_000, "stopped early: {}", report.evaluations);
    assert!(matches!(report.into_result(), Err(Error::Diverged { .. })));
}

#[test]
fn progress_flags_the_diverged_step() {
    let buf = std::sync::Arc::new(std::sync::Mutex::new(Vec::<u8>::new()));
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .learning_rate(10.0)
        .max_evaluations(1_000)
        .observer(Progress::new(Shared(buf.clone()), 1_000_000))
        .build()
        .unwrap();
    let report = opt
        .minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(4, 1.0))
        .unwrap();
    assert!(matches!(report.stop, StopReason::Diverged { .. }));
    let text = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
    // Step 0 (printed as a multiple of `every`) and the diverged step.
    assert!(text.lines().last().unwrap().ends_with("DIVERGED"), "{text}");
}

/// Well-tuned and noisy runs never trip the test.
#[test]
fn normal_and_noisy_runs_do_not_diverge() {
    let mut rng = zoptim::ZoRng::seed_from_u64(3);
    let mut noisy = move |x: ArrayView1<f64>| x.dot(&x) + 0.01 * zoptim::random::standard_normal::<f64>(&mut rng);
    for lr in [0.01, 0.05, 0.1] {
        let mut opt = Optimizer::builder(TwoPoint::spsa().mu(0.1))
            .learning_rate(lr)
            .max_evaluations(4_000)
            .build()
            .unwrap();
        let report = opt.minimize(&mut noisy, &Array1::from_elem(5, 0.1)).unwrap();
        assert_eq!(report.stop, StopReason::MaxEvaluations, "lr {lr}");
        assert!(report.into_result().is_ok());
    }
}

/// A failed run surfaces as its error.
#[test]
fn a_failed_run_is_an_error_through_into_result() {
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .max_evaluations(100)
        .build()
        .unwrap();
    let mut calls = 0;
    let mut f = |x: ArrayView1<f64>| {
        calls += 1;
        if calls > 5 { f64::NAN } else { x.sum() }
    };
    let report = opt.minimize(&mut f, &Array1::from_elem(3, 1.0)).unwrap();
    assert!(matches!(report.into_result(), Err(Error::NonFiniteObjective { .. })));
}

/// CGE at d = 10⁵ needs d + 1 queries per step: a budget of 2,000 can never
/// take one, which is an error before anything is evaluated.
#[test]
fn a_budget_that_cannot_fit_one_step_is_an_error_at_start() {
    let d = 100_000;
    let x0 = Array1::<f64>::zeros(d);
    let mut calls = 0usize;
    let mut f = |x: ArrayView1<f64>| {
        calls += 1;
        x.sum()
    };
    let mut opt = Optimizer::builder(Cge::forward())
        .max_evaluations(2_000)
        .build()
        .unwrap();
    let err = opt.minimize(&mut f, &x0).unwrap_err();
    assert!(
        matches!(
            err,
            Error::BudgetExhausted {
                used: 0,
                budget: 2_000,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(opt.start(&x0).is_err());
    assert_eq!(calls, 0);
}
