//! What the run-comparison tests share: boxed components, a smooth test
//! objective, a start point, and a bit-for-bit comparison of two reports.
#![allow(dead_code)]

use ndarray::{Array1, ArrayView1};
use zoptim::{GradientEstimator, Report, UpdateRule};

pub type Est = Box<dyn GradientEstimator<f64> + Send>;
pub type Rule = Box<dyn UpdateRule<f64> + Send>;
/// Named factories, so that each configuration is built fresh per driver.
pub type Named<T> = Vec<(&'static str, fn() -> T)>;

pub const D: usize = 6;

/// A smooth, non-separable objective with its minimum away from 0.
pub fn objective(x: ArrayView1<f64>) -> f64 {
    let mut s = 0.0;
    for (i, v) in x.iter().enumerate() {
        let t = v - 0.3;
        s += (i + 1) as f64 * t * t + 0.1 * t.powi(4);
    }
    s + 0.05 * x[0] * x[x.len() - 1]
}

pub fn x0() -> Array1<f64> {
    Array1::from_iter((0..D).map(|i| 0.5 - 0.15 * i as f64))
}

pub fn bits(v: &Array1<f64>) -> Vec<u64> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Every field of two reports, floats compared by their bits.
pub fn assert_same(a: &Report<f64>, b: &Report<f64>, what: &str) {
    assert_eq!(bits(&a.best_x), bits(&b.best_x), "{what}: best_x");
    assert_eq!(a.best_f.to_bits(), b.best_f.to_bits(), "{what}: best_f");
    assert_eq!(bits(&a.last_x), bits(&b.last_x), "{what}: last_x");
    assert_eq!(a.last_f.map(f64::to_bits), b.last_f.map(f64::to_bits), "{what}: last_f");
    assert_eq!(a.evaluations, b.evaluations, "{what}: evaluations");
    assert_eq!(a.iterations, b.iterations, "{what}: iterations");
    assert_eq!(a.stop, b.stop, "{what}: stop");
    assert_eq!(a.history, b.history, "{what}: history");
}
