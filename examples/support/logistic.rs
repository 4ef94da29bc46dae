//! Synthetic logistic regression shared by the `logistic_regression` and
//! `update_rules` examples.
#![allow(dead_code)] // each example uses part of it

use ndarray::{Array1, ArrayView1};
use zoptim::stochastic::BatchIndices;
use zoptim::{Objective, StochasticObjective, ZoRng};

/// n samples of p features (row-major) with labels ±1.
pub struct Dataset {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub n: usize,
    pub p: usize,
}

/// Features N(0, I); labels +1 with probability σ(w*ᵀx + b*), w* ~ N(0, I), b* = 0.5.
/// Returns (train, test, (w*, b*) as one vector with the bias last).
pub fn synthetic(n_train: usize, n_test: usize, p: usize, seed: u64) -> (Dataset, Dataset, Array1<f64>) {
    let mut rng = ZoRng::seed_from_u64(seed);
    let mut truth = Array1::from_shape_fn(p + 1, |_| zoptim::random::standard_normal::<f64>(&mut rng));
    truth[p] = 0.5;
    let mut make = |n: usize| {
        let x: Vec<f64> = (0..n * p)
            .map(|_| zoptim::random::standard_normal::<f64>(&mut rng))
            .collect();
        let y = (0..n)
            .map(|i| {
                let z = margin(&x[i * p..(i + 1) * p], truth.view());
                if rng.uniform() < 1.0 / (1.0 + (-z).exp()) {
                    1.0
                } else {
                    -1.0
                }
            })
            .collect();
        Dataset { x, y, n, p }
    };
    let train = make(n_train);
    let test = make(n_test);
    (train, test, truth)
}

/// wᵀx + b for parameters (w, b) with the bias last.
fn margin(x: &[f64], wb: ArrayView1<f64>) -> f64 {
    let p = x.len();
    x.iter().zip(wb.iter()).map(|(a, b)| a * b).sum::<f64>() + wb[p]
}

/// log(1 + e^(−m)), without overflow.
fn softplus_neg(m: f64) -> f64 {
    if m > 0.0 {
        (-m).exp().ln_1p()
    } else {
        -m + m.exp().ln_1p()
    }
}

impl Dataset {
    /// Mean logistic loss over the samples `idx`.
    pub fn loss(&self, idx: &[usize], wb: ArrayView1<f64>) -> f64 {
        let p = self.p;
        idx.iter()
            .map(|&i| softplus_neg(self.y[i] * margin(&self.x[i * p..(i + 1) * p], wb)))
            .sum::<f64>()
            / idx.len() as f64
    }

    /// Mean logistic loss over all samples.
    pub fn full_loss(&self, wb: ArrayView1<f64>) -> f64 {
        let p = self.p;
        (0..self.n)
            .map(|i| softplus_neg(self.y[i] * margin(&self.x[i * p..(i + 1) * p], wb)))
            .sum::<f64>()
            / self.n as f64
    }

    /// Fraction of samples classified right, predicting +1 when wᵀx + b ≥ 0.
    pub fn accuracy(&self, wb: ArrayView1<f64>) -> f64 {
        let p = self.p;
        let right = (0..self.n)
            .filter(|&i| {
                let predicted = if margin(&self.x[i * p..(i + 1) * p], wb) >= 0.0 {
                    1.0
                } else {
                    -1.0
                };
                predicted == self.y[i]
            })
            .count();
        right as f64 / self.n as f64
    }
}

/// The minibatch objective: the mean loss over a batch redrawn (from the
/// optimizer's generator) before every step; the full training loss for reports.
pub struct Minibatch<'a> {
    data: &'a Dataset,
    batch: BatchIndices,
}

impl<'a> Minibatch<'a> {
    pub fn new(data: &'a Dataset, batch: usize) -> Self {
        Minibatch {
            data,
            batch: BatchIndices::new(data.n, batch).expect("batch ≤ n"),
        }
    }
}

impl Objective<f64> for Minibatch<'_> {
    fn eval(&mut self, wb: ArrayView1<f64>) -> f64 {
        self.data.loss(self.batch.current(), wb)
    }
}

impl StochasticObjective<f64> for Minibatch<'_> {
    fn resample(&mut self, rng: &mut ZoRng) {
        self.batch.draw(rng);
    }

    fn full_value(&mut self, wb: ArrayView1<f64>) -> Option<f64> {
        Some(self.data.full_loss(wb))
    }
}
