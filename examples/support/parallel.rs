//! The parallel-evaluation workload shared by the `parallel` example and the
//! `parallel` criterion bench: a 1 ms busy-loop objective and one configuration
//! per estimator, each run for a budget of 200 evaluations.
#![allow(dead_code)] // each user takes part of it

use ndarray::{Array1, ArrayView1};
use std::hint::black_box;
use std::time::{Duration, Instant};
use zoptim::prelude::*;

/// Evaluations per run.
pub const BUDGET: usize = 200;

/// f(x) = Σ xᵢ², after spinning for `cost` (a busy loop, not a sleep, so a
/// thread that evaluates really occupies a core).
pub fn busy(x: ArrayView1<f64>, cost: Duration) -> f64 {
    let start = Instant::now();
    let mut spin = 0u64;
    while start.elapsed() < cost {
        spin = black_box(spin.wrapping_add(1));
    }
    x.dot(&x)
}

pub type Boxed = Optimizer<f64, Box<dyn GradientEstimator<f64> + Send>, Sgd>;

/// (name, dimension, optimizer) for every estimator of the comparison.
pub fn configurations() -> Vec<(&'static str, usize, Boxed)> {
    fn build(e: Box<dyn GradientEstimator<f64> + Send>) -> Boxed {
        Optimizer::builder(e)
            .learning_rate(1e-3)
            .max_evaluations(BUDGET)
            .seed(1)
            .build()
            .expect("valid configuration")
    }
    vec![
        ("SPSA q = 8", 64, build(Box::new(TwoPoint::spsa().directions(8)))),
        (
            "ReLIZO n = 8",
            64,
            build(Box::new(Relizo::with_reuse_bound(2e-3).samples(8))),
        ),
        ("CGE", 16, build(Box::new(Cge::central()))),
        (
            "DAP two-stage b = 8",
            64,
            build(Box::new(Dap::two_stage(8).directions(8))),
        ),
        ("MeZO q = 8", 64, build(Box::new(TwoPoint::mezo().directions(8)))),
        ("BCD q = 8", 64, build(Box::new(BlockCoordinate::new(4).directions(8)))),
    ]
}

pub fn start(d: usize) -> Array1<f64> {
    Array1::from_elem(d, 0.5)
}
