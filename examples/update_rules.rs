//! ZO-Bench's question on zoptim's test problems: how much does the update rule matter,
//! for a given gradient estimator, at a fixed evaluation budget?
//!
//! For every update rule × estimator, runs each learning rate of a stated grid
//! and prints the final f (f at the last iterate; for the logistic regression
//! the full training loss) at the best one, with that learning rate.
//!
//! Problems:
//! - the d = 1000 ill-conditioned quadratic ½·Σ aᵢxᵢ², aᵢ log-spaced 1 … 100,
//!   from x0 ~ N(0, I) (seed 0; f(x0) ≈ 11 123), budget 50 000 evaluations;
//! - logistic regression (2000 samples, 20 features + bias, minibatch 32, the
//!   same data as the `logistic_regression` example), from w = 0, budget 4 000
//!   evaluations.
//!
//! Every run uses seed 1. A learning rate marked `*` is at an end of the grid
//! (the best may lie beyond it).
//!
//! To add an estimator or a rule, add one line to `ESTIMATORS` or `RULES`.
//!
//! Run with `cargo run --release --example update_rules`.

#[path = "support/logistic.rs"]
mod logistic;

use ndarray::Array1;
use zoptim::GradientEstimator;
use zoptim::prelude::*;
use zoptim::testing::Quadratic;

type MakeEstimator = fn() -> Box<dyn GradientEstimator<f64>>;
type MakeRule = fn() -> Box<dyn UpdateRule<f64>>;

/// The estimators compared: (name, constructor). One line each.
const ESTIMATORS: &[(&str, MakeEstimator)] = &[
    ("gaussian", || Box::new(TwoPoint::central(Direction::Gaussian).mu(1e-3))),
    ("rademacher", || {
        Box::new(TwoPoint::central(Direction::Rademacher).mu(1e-3))
    }),
    ("coordinate", || Box::new(Cge::forward().mu(1e-3))),
    ("dap (prev.)", || Box::new(zoptim::estimator::Dap::previous().mu(1e-3))),
    ("bcd K=8", || {
        Box::new(zoptim::estimator::BlockCoordinate::new(8).mu(1e-3))
    }),
];

/// The update rules compared: (name, constructor). One line each.
const RULES: &[(&str, MakeRule)] = &[
    ("sgd", || Box::new(Sgd::new())),
    ("momentum 0.9", || Box::new(Momentum::heavy_ball())),
    ("nesterov 0.9", || Box::new(Momentum::nesterov())),
    ("sign (elem.)", || Box::new(SignSgd::new())),
    ("sign (scalar)", || Box::new(SignSgd::scalar())),
    ("adam", || Box::new(Adam::new())),
    ("zo-adamm", || Box::new(Adam::zo_adamm())),
    ("conservative", || Box::new(Conservative::new())),
];

/// The learning-rate grid, the same for every rule: 10⁻⁶ … 10⁰ in decades.
const LR_GRID: [f64; 7] = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0];

/// The best (final f, lr) over the grid; `None` when the rule does not apply to
/// the estimator (every run failed on the first step with an InvalidParameter).
fn best_over_grid(mut run: impl FnMut(f64) -> Result<Report<f64>, zoptim::Error>) -> Option<(f64, f64)> {
    let mut best: Option<(f64, f64)> = None;
    let mut applies = false;
    for lr in LR_GRID {
        let rep = run(lr).ok()?;
        if let StopReason::Failed(zoptim::Error::InvalidParameter { .. }) = rep.stop
            && rep.iterations == 0
        {
            continue;
        }
        applies = true;
        // A diverged run (non-finite f, or a failed final evaluation) counts as +∞.
        let f = rep.last_f.filter(|v| v.is_finite()).unwrap_or(f64::INFINITY);
        if best.is_none_or(|(b, _)| f < b) {
            best = Some((f, lr));
        }
    }
    if applies { best } else { None }
}

fn print_table(title: &str, results: &[Vec<Option<(f64, f64)>>]) {
    println!("\n{title}");
    print!("{:<15}", "rule \\ estimator");
    for (name, _) in ESTIMATORS {
        print!(" | {name:>20}");
    }
    println!();
    for ((rule, _), row) in RULES.iter().zip(results) {
        print!("{rule:<15}");
        for cell in row {
            match cell {
                Some((f, lr)) if f.is_finite() => {
                    let edge = if *lr == LR_GRID[0] || *lr == LR_GRID[LR_GRID.len() - 1] {
                        "*"
                    } else {
                        " "
                    };
                    print!(" | {:>10.4e} @ {lr:<5.0e}{edge} ", f)
                }
                Some(_) => print!(" | {:>20}", "diverged"),
                None => print!(" | {:>20}", "n/a"),
            }
        }
        println!();
    }
}

fn main() {
    let d = 1000;
    // A generic start: from x0 = (1, …, 1) element-wise sign steps of size 1 with
    // exact coordinate differences land on the minimiser in one step.
    let mut rng = zoptim::ZoRng::seed_from_u64(0);
    let x0 = Array1::from_shape_fn(d, |_| zoptim::random::standard_normal::<f64>(&mut rng));
    let mut quad = Quadratic::<f64>::ill_conditioned(d, 100.0);
    let f0 = zoptim::testing::TestFunction::value(&quad, x0.view());
    let quad_results: Vec<Vec<_>> = RULES
        .iter()
        .map(|(_, rule)| {
            ESTIMATORS
                .iter()
                .map(|(_, est)| {
                    best_over_grid(|lr| {
                        Optimizer::builder(est())
                            .update(rule())
                            .learning_rate(lr)
                            .max_evaluations(50_000)
                            .seed(1)
                            .build()?
                            .minimize(&mut quad, &x0)
                    })
                })
                .collect()
        })
        .collect();
    print_table(
        &format!(
            "ill-conditioned quadratic, d = {d}, a = 1…100 log-spaced, f(x0) = {f0:.1}, budget 50 000 evaluations \
             (final f @ best lr of 1e-6…1e0)"
        ),
        &quad_results,
    );

    let (train, _test, _) = logistic::synthetic(2_000, 1_000, 20, 7);
    let w0 = Array1::zeros(21);
    let logistic_results: Vec<Vec<_>> = RULES
        .iter()
        .map(|(_, rule)| {
            ESTIMATORS
                .iter()
                .map(|(_, est)| {
                    best_over_grid(|lr| {
                        let mut problem = logistic::Minibatch::new(&train, 32);
                        Optimizer::builder(est())
                            .update(rule())
                            .learning_rate(lr)
                            .max_evaluations(4_000)
                            .seed(1)
                            .build()?
                            .minimize_stochastic(&mut problem, &w0)
                    })
                })
                .collect()
        })
        .collect();
    print_table(
        &format!(
            "logistic regression, 21 parameters, minibatch 32, full training loss at w = 0: {:.4}, budget 4 000 \
             evaluations (final full loss @ best lr of 1e-6…1e0)",
            train.full_loss(w0.view())
        ),
        &logistic_results,
    );
}
