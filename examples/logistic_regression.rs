//! Trains a logistic-regression model on synthetic data by minibatch ZO-SGD and
//! ZO-Adam, and reports the training loss and the test accuracy.
//!
//! Every query of a step sees the same minibatch: the optimizer redraws the batch
//! from its own generator before each step (`minimize_stochastic`), so the run is
//! reproducible from the seed.
//!
//! Run with `cargo run --release --example logistic_regression`.

#[path = "support/logistic.rs"]
mod logistic;

use ndarray::Array1;
use zoptim::prelude::*;

const FEATURES: usize = 20;
const BATCH: usize = 32;
const BUDGET: usize = 40_000;

fn main() -> zoptim::Result<()> {
    let (train, test, truth) = logistic::synthetic(2_000, 1_000, FEATURES, 7);
    let x0 = Array1::zeros(FEATURES + 1);
    println!(
        "logistic regression: {} train / {} test samples, {} features + bias, batch {BATCH}, budget {BUDGET} evaluations",
        train.n, test.n, FEATURES
    );
    println!(
        "{:<44} {:>9} {:>11} {:>10} {:>9}",
        "method", "lr", "train loss", "test acc", "steps"
    );
    println!(
        "{:<44} {:>9} {:>11.4} {:>9.1}% {:>9}",
        "w = 0 (start)",
        "-",
        train.full_loss(x0.view()),
        100.0 * test.accuracy(x0.view()),
        0
    );

    type Rule = Box<dyn UpdateRule<f64>>;
    let runs: Vec<(&str, Rule, f64)> = vec![
        ("ZO-SGD (central Gaussian, q = 1)", Box::new(Sgd::new()), 0.01),
        ("ZO-SGD-MMT (β = 0.9)", Box::new(Momentum::heavy_ball()), 0.001),
        ("ZO-Adam (0.9, 0.999, 1e-8)", Box::new(Adam::new()), 0.01),
        (
            "ZO-AdaMM (AMSGrad, no bias correction)",
            Box::new(Adam::zo_adamm()),
            0.01,
        ),
    ];
    for (name, rule, lr) in runs {
        let mut problem = logistic::Minibatch::new(&train, BATCH);
        let mut opt = Optimizer::builder(TwoPoint::central(Direction::Gaussian).mu(1e-3))
            .update(rule)
            .learning_rate(lr)
            .max_evaluations(BUDGET)
            .seed(1)
            .build()?;
        let rep = opt.minimize_stochastic(&mut problem, &x0)?;
        println!(
            "{:<44} {:>9.0e} {:>11.4} {:>9.1}% {:>9}",
            name,
            lr,
            rep.last_f.unwrap_or(f64::NAN),
            100.0 * test.accuracy(rep.last_x.view()),
            rep.iterations
        );
    }
    println!(
        "{:<44} {:>9} {:>11.4} {:>9.1}% {:>9}",
        "true (w*, b*) (the data's generating model)",
        "-",
        train.full_loss(truth.view()),
        100.0 * test.accuracy(truth.view()),
        "-"
    );
    Ok(())
}
