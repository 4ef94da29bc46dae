//! Projected ZO-SGD: every iterate stays feasible, infeasible starts are errors,
//! and the report's best point is feasible.

use ndarray::{Array1, ArrayView1, array};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use zoptim::prelude::*;
use zoptim::projection::Projection;
use zoptim::{Error, StepRecord};

/// ‖x − 2‖²: the unconstrained minimum (2, …, 2) lies outside the sets below.
fn shifted(x: ArrayView1<f64>) -> f64 {
    x.iter().map(|v| (v - 2.0).powi(2)).sum()
}

#[test]
fn box_projection_clips_exactly_and_reports_moves() {
    let b = Bounds::new(array![-1.0, 0.0, f64::NEG_INFINITY], array![1.0, 0.5, 3.0]);
    b.validate().unwrap();
    let mut x = [2.0, 0.25, -1e300];
    assert!(b.project(&mut x, 0..3));
    assert_eq!(x, [1.0, 0.25, -1e300]);
    assert!(!b.project(&mut x, 0..3));
    // Only the changed block is looked at.
    let mut y = [5.0, 5.0, 5.0];
    assert!(b.project(&mut y, 2..3));
    assert_eq!(y, [5.0, 5.0, 3.0]);
    assert!(!b.contains(&y) && b.contains(&x));
}

#[test]
fn ball_projection_lands_on_the_sphere() {
    let ball = Ball::new(array![1.0, 1.0, 1.0], 2.0);
    let mut x = [4.0, 5.0, 1.0]; // x − c = (3, 4, 0), ‖·‖ = 5
    assert!(ball.project(&mut x, 0..0));
    let want: [f64; 3] = [1.0 + 3.0 * 0.4, 1.0 + 4.0 * 0.4, 1.0];
    for (a, b) in x.iter().zip(want) {
        assert!((a - b).abs() < 1e-15);
    }
    assert!(ball.contains(&x));
    assert!(!ball.project(&mut [1.5, 1.0, 1.0], 0..3));
}

type MakeSet = fn() -> Box<dyn Projection<f64> + Send>;

#[test]
fn every_iterate_stays_feasible() {
    let d = 10;
    let sets: [MakeSet; 2] = [|| Box::new(Bounds::uniform(-1.0, 1.0)), || Box::new(Ball::origin(1.5))];
    for make in sets {
        let checker = make();
        let name = checker.name();
        let bad = Arc::new(Mutex::new(0usize));
        let bad2 = bad.clone();
        let mut opt = Optimizer::builder(TwoPoint::central(Direction::Gaussian).mu(1e-3))
            .update(Adam::new())
            .learning_rate(0.05)
            .max_iterations(300)
            .seed(4)
            .projection(BoxedSet(make()))
            .observer(move |_: &StepRecord<f64>, x: ArrayView1<f64>| {
                if !checker.contains(x.as_slice().unwrap()) {
                    *bad2.lock().unwrap() += 1;
                }
                ControlFlow::Continue(())
            })
            .build()
            .unwrap();
        let x0 = Array1::from_elem(d, 0.0);
        let rep = opt.minimize(&mut shifted, &x0).unwrap();
        assert_eq!(*bad.lock().unwrap(), 0, "{name}: an iterate left the set");
        let set = make();
        assert!(
            set.contains(rep.best_x.as_slice().unwrap()),
            "{name}: best_x infeasible"
        );
        assert!(set.contains(rep.last_x.as_slice().unwrap()));
        // The constrained minimum: the box corner (1, …, 1) with f = 10, or the
        // ball's point 1.5·(1, …, 1)/√10 with f = (2√10 − 1.5)² ≈ 23.03. Adam at
        // η = 0.05 ends within ~η of it (f within a few·η·‖∇f‖·√d ≈ 1).
        let fmin = if name == "ball" {
            (2.0 * 10f64.sqrt() - 1.5).powi(2)
        } else {
            10.0
        };
        assert!(
            rep.best_f >= fmin - 1e-9,
            "{name}: best_f {} below the constrained minimum",
            rep.best_f
        );
        assert!(rep.last_f.unwrap() < fmin + 1.0, "{name}: {:?}", rep.last_f);
    }
}

/// Lets the test hand a boxed set to the builder.
struct BoxedSet(Box<dyn Projection<f64> + Send>);
impl Projection<f64> for BoxedSet {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn validate(&self) -> zoptim::Result<()> {
        self.0.validate()
    }
    fn prepare(&mut self, dim: usize) -> zoptim::Result<()> {
        self.0.prepare(dim)
    }
    fn project(&self, x: &mut [f64], changed: std::ops::Range<usize>) -> bool {
        self.0.project(x, changed)
    }
    fn contains(&self, x: &[f64]) -> bool {
        self.0.contains(x)
    }
    fn violation(&self, x: &[f64]) -> Option<String> {
        self.0.violation(x)
    }
}

#[test]
fn an_infeasible_start_is_an_error() {
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .max_iterations(10)
        .projection(Bounds::uniform(-1.0, 1.0))
        .build()
        .unwrap();
    let calls = std::cell::Cell::new(0);
    let mut f = |x: ArrayView1<f64>| {
        calls.set(calls.get() + 1);
        shifted(x)
    };
    let e = opt.minimize(&mut f, &array![0.0, 1.5]).unwrap_err();
    assert!(
        matches!(&e, Error::Infeasible { constraint: "box bounds", violation } if violation.contains("x[1]")),
        "{e}"
    );
    let mut x = array![0.0, 1.5];
    let e = opt.step(&mut x, &mut f).unwrap_err();
    assert!(matches!(e, Error::Infeasible { .. }));
    assert_eq!(x, array![0.0, 1.5]);
    assert_eq!(calls.get(), 0, "nothing is evaluated for an infeasible start");
    // A feasible start on the boundary is fine.
    opt.step(&mut array![0.0, 1.0], &mut f).unwrap();
}

#[test]
fn bad_sets_are_rejected() {
    let lo_above_hi = Optimizer::builder(TwoPoint::<f64>::spsa())
        .projection(Bounds::new(array![0.0, 2.0], array![1.0, 1.0]))
        .build();
    assert!(matches!(
        lo_above_hi,
        Err(Error::InvalidParameter { name: "bounds", .. })
    ));
    let nan = Optimizer::builder(TwoPoint::<f64>::spsa())
        .projection(Bounds::uniform(f64::NAN, 1.0))
        .build();
    assert!(nan.is_err());
    assert!(
        Optimizer::builder(TwoPoint::<f64>::spsa())
            .projection(Ball::origin(0.0))
            .build()
            .is_err()
    );
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .max_iterations(3)
        .projection(Bounds::new(array![0.0, 0.0], array![1.0, 1.0]))
        .build()
        .unwrap();
    let e = opt.minimize(&mut shifted, &array![0.5, 0.5, 0.5]).unwrap_err();
    assert!(matches!(e, Error::DimensionMismatch { .. }), "{e}");
}

#[test]
fn a_projected_conservative_step_does_not_reuse_f_at_the_unprojected_point() {
    // The conservative rule reports f at its chosen point; when the projection
    // then moves x, that value is stale and must not be reported as f(last_x).
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .update(Conservative::new())
        .learning_rate(0.5)
        .max_iterations(40)
        .seed(8)
        .projection(Bounds::uniform(-1.0, 1.0))
        .build()
        .unwrap();
    let rep = opt.minimize(&mut shifted, &Array1::from_elem(5, 0.0)).unwrap();
    assert_eq!(rep.last_f, Some(shifted(rep.last_x.view())));
    assert!(rep.last_x.iter().all(|v| (-1.0..=1.0).contains(v)));
}
