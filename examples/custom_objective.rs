//! Implementing `Objective` for your own type: a small least-squares model
//! fitted to data, evaluated only through its loss (no gradients), with a
//! batch evaluation that a real application could parallelise.
//!
//! `cargo run --release --example custom_objective`

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use zoptim::ZoRng;
use zoptim::prelude::*;

/// Mean squared error of a linear model y ≈ A·w on fixed data.
struct LeastSquares {
    a: Array2<f64>,
    y: Array1<f64>,
    /// How many times the loss was computed (to show the exact accounting).
    calls: usize,
}

impl LeastSquares {
    fn synthetic(n: usize, d: usize, seed: u64) -> (Self, Array1<f64>) {
        let mut rng = ZoRng::seed_from_u64(seed);
        let a = Array2::from_shape_fn((n, d), |_| rng.uniform() * 2.0 - 1.0);
        let w_true = Array1::from_shape_fn(d, |i| (i as f64 + 1.0) / d as f64);
        let y = a.dot(&w_true);
        (LeastSquares { a, y, calls: 0 }, w_true)
    }
}

impl Objective<f64> for LeastSquares {
    fn eval(&mut self, w: ArrayView1<f64>) -> f64 {
        self.calls += 1;
        let r = self.a.dot(&w) - &self.y;
        r.dot(&r) / self.y.len() as f64
    }

    /// All query points of a step at once: one matrix product instead of one
    /// matrix-vector product per point. (A GPU or a thread pool would go here.)
    fn eval_batch(&mut self, points: ArrayView2<f64>, out: &mut [f64]) {
        self.calls += points.nrows();
        let pred = self.a.dot(&points.t()); // n × rows
        for (j, o) in out.iter_mut().enumerate() {
            let r = &pred.column(j) - &self.y;
            *o = r.dot(&r) / self.y.len() as f64;
        }
    }
}

fn main() -> Result<(), zoptim::Error> {
    let (mut model, w_true) = LeastSquares::synthetic(200, 20, 1);
    let w0 = Array1::zeros(20);
    let f0 = model.eval(w0.view());
    model.calls = 0;

    let mut opt = Optimizer::builder(TwoPoint::central(Direction::Rademacher).mu(1e-5).directions(4))
        .learning_rate(0.05)
        .max_evaluations(20_000)
        .target(1e-8)
        .seed(7)
        .build()?;
    let report = opt.minimize(&mut model, &w0)?;

    let err = (&report.best_x - &w_true).mapv(|v| v * v).sum().sqrt();
    println!(
        "loss {f0:.3e} -> {:.3e} in {} evaluations ({} iterations), stop: {:?}",
        report.best_f, report.evaluations, report.iterations, report.stop
    );
    println!("the objective saw {} calls; ‖w − w_true‖ = {err:.2e}", model.calls);
    assert_eq!(model.calls, report.evaluations);
    Ok(())
}
