//! Every estimator × sampler on a synthetic ill-conditioned quadratic.
//!
//! f(x) = ½·Σ aᵢ·xᵢ² with d = 100 curvatures log-spaced from 1 to 100, x0 = 1
//! (f(x0) ≈ 1075). Each method gets the same budget of evaluations and runs
//! ZO-SGD at the best learning rate of a small grid (the grid and the winner
//! are printed), from the same seed.
//!
//! `cargo run --release --example quickstart`; with `--features plot` it also
//! writes `quickstart.svg`, the convergence of a few of the methods at their best
//! learning rate.

use ndarray::Array1;
use std::time::Instant;
use zoptim::Smoothed;
use zoptim::estimator::{BlockCoordinate, Dap, Relizo};
use zoptim::testing::Quadratic;
use zoptim::{Cge, Direction, GradientEstimator, Optimizer, Report, Storage, TwoPoint};

const D: usize = 100;
const BUDGET: usize = 20_000;
const LR_GRID: [f64; 7] = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1];

/// Builds an estimator for a learning rate (ReLIZO's reuse radius is 2·lr).
type Make = Box<dyn Fn(f64) -> Box<dyn GradientEstimator<f64>>>;

fn methods() -> Vec<(String, Make)> {
    let mut m: Vec<(String, Make)> = Vec::new();
    for dir in Direction::ALL {
        m.push((
            format!("two-point central, {}", dir.name()),
            Box::new(move |_| Box::new(TwoPoint::central(dir).mu(1e-4))),
        ));
        m.push((
            format!("two-point forward, {}", dir.name()),
            Box::new(move |_| Box::new(TwoPoint::forward(dir).mu(1e-6))),
        ));
    }
    m.push((
        "two-point central, gaussian, q = 8".into(),
        Box::new(|_| Box::new(TwoPoint::central(Direction::Gaussian).mu(1e-4).directions(8))),
    ));
    m.push((
        "MeZO (seeded, in place)".into(),
        Box::new(|_| Box::new(TwoPoint::mezo().mu(1e-4).storage(Storage::Seeded))),
    ));
    m.push(("SPSA".into(), Box::new(|_| Box::new(TwoPoint::spsa().mu(1e-4)))));
    m.push((
        "coordinate (CGE) central".into(),
        Box::new(|_| Box::new(Cge::central().mu(1e-4))),
    ));
    m.push((
        "coordinate forward, k = 10".into(),
        Box::new(|_| Box::new(Cge::forward().mu(1e-6).subset(10))),
    ));
    m.push((
        "DAP, previous-step proxy".into(),
        Box::new(|_| Box::new(Dap::previous().mu(1e-6))),
    ));
    m.push((
        "DAP, two-stage b = 4".into(),
        Box::new(|_| Box::new(Dap::two_stage(4).mu(1e-6))),
    ));
    m.push((
        "ReLIZO, README settings (n = 8)".into(),
        Box::new(|lr| Box::new(Relizo::with_reuse_bound(2.0 * lr))),
    ));
    m.push((
        "ReLIZO, no reuse (n = 8)".into(),
        Box::new(|lr| Box::new(Relizo::with_reuse_bound(2.0 * lr).reuse_distance_bound(0.0))),
    ));
    m.push((
        "MeZO-BCD, K = 10 blocks".into(),
        Box::new(|_| Box::new(BlockCoordinate::new(10).mu(1e-4))),
    ));
    m
}

fn run(make: &Make, lr: f64) -> Report<f64> {
    let mut f = Quadratic::<f64>::ill_conditioned(D, 100.0);
    let mut opt = Optimizer::builder(make(lr))
        .learning_rate(lr)
        .max_evaluations(BUDGET)
        .history(true)
        .seed(2026)
        .build()
        .expect("valid configuration");
    opt.minimize(&mut f, &Array1::from_elem(D, 1.0)).expect("valid start")
}

fn main() {
    println!("ill-conditioned quadratic, d = {D}, condition 100, f(x0) = 1075.4, budget {BUDGET} evaluations");
    println!("learning-rate grid: {LR_GRID:?}\n");
    println!(
        "{:<38} {:>8} {:>7} {:>12} {:>10}",
        "method", "lr", "evals", "final f", "time"
    );
    println!("{}", "-".repeat(79));
    let mut winners: Vec<(String, Report<f64>)> = Vec::new();
    for (name, make) in methods() {
        let start = Instant::now();
        let mut best: Option<(f64, Report<f64>)> = None;
        for lr in LR_GRID {
            let r = run(&make, lr);
            let f = r.last_f.unwrap_or(f64::INFINITY);
            if f.is_finite() && best.as_ref().is_none_or(|(_, b)| f < b.last_f.unwrap_or(f64::INFINITY)) {
                best = Some((lr, r));
            }
        }
        let per_run = start.elapsed() / LR_GRID.len() as u32;
        match best {
            Some((lr, r)) => {
                println!(
                    "{:<38} {:>8.0e} {:>7} {:>12.4e} {:>8.1?}",
                    name,
                    lr,
                    r.evaluations,
                    r.last_f.unwrap_or(f64::NAN),
                    per_run
                );
                winners.push((name, r));
            }
            None => println!("{name:<38} diverged at every learning rate"),
        }
    }
    println!("\nfinal f is f at the last iterate; time is per run (mean over the grid).");
    plot(&winners);
}

/// The convergence of a few methods, at their best learning rate.
#[cfg(feature = "plot")]
fn plot(winners: &[(String, Report<f64>)]) {
    let shown = [
        "SPSA",
        "MeZO (seeded, in place)",
        "coordinate (CGE) central",
        "DAP, two-stage b = 4",
        "ReLIZO, README settings (n = 8)",
        "MeZO-BCD, K = 10 blocks",
    ];
    let runs: Vec<(&str, &Report<f64>)> = winners
        .iter()
        .filter(|(n, _)| shown.contains(&n.as_str()))
        .map(|(n, r)| (n.as_str(), r))
        .collect();
    match zoptim::plot::convergence(&runs, "quickstart.svg") {
        Ok(()) => println!("wrote quickstart.svg"),
        Err(e) => eprintln!("could not write quickstart.svg: {e}"),
    }
}

#[cfg(not(feature = "plot"))]
fn plot(_winners: &[(String, Report<f64>)]) {}
