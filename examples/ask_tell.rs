//! Ask/tell: the optimizer never calls the objective. An "external simulator"
//! runs in another thread and receives query points over a channel, as a job
//! queue, a GPU worker or another process would; the run's report equals
//! `minimize`'s bit for bit.
//!
//! `cargo run --release --example ask_tell`

use ndarray::{Array1, ArrayView1};
use std::sync::mpsc;
use std::thread;
use zoptim::prelude::*;

/// The "simulator": an extended Rosenbrock function.
fn simulate(x: ArrayView1<f64>) -> f64 {
    x.windows(2)
        .into_iter()
        .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
        .sum()
}

fn main() -> zoptim::Result<()> {
    let d = 8;
    let x0 = Array1::from_elem(d, -0.5);
    let build = || {
        Optimizer::builder(TwoPoint::spsa().directions(4).mu(1e-4))
            .update(Adam::new())
            .learning_rate(0.02)
            .max_evaluations(20_000)
            .history(true)
            .seed(2026)
            .build()
    };

    // The simulator thread: receives batches of points, sends back their values.
    let (to_sim, jobs) = mpsc::channel::<Vec<Array1<f64>>>();
    let (to_opt, results) = mpsc::channel::<Vec<f64>>();
    let simulator = thread::spawn(move || {
        let mut evaluated = 0usize;
        for batch in jobs {
            evaluated += batch.len();
            let values = batch.iter().map(|p| simulate(p.view())).collect();
            if to_opt.send(values).is_err() {
                break;
            }
        }
        evaluated
    });

    let mut opt = build()?;
    let mut run = opt.start(&x0)?;
    let mut batches = 0usize;
    while let Some(batch) = run.ask()? {
        let points: Vec<Array1<f64>> = batch.points().rows().into_iter().map(|r| r.to_owned()).collect();
        to_sim.send(points).expect("the simulator is running");
        let values = results.recv().expect("the simulator answers");
        run.tell(&values)?;
        batches += 1;
    }
    let told = run.finish();
    drop(to_sim);
    let simulated = simulator.join().expect("the simulator thread");

    let mut reference = build()?;
    let direct = reference.minimize(&mut simulate, &x0)?;

    println!("ask/tell through a simulator thread: {batches} batches, {simulated} evaluations");
    println!(
        "  best f = {:.6e}, last f = {:.6e}, stop = {:?}",
        told.best_f,
        told.last_f.unwrap_or(f64::NAN),
        told.stop
    );
    println!(
        "minimize in this thread:             best f = {:.6e}, {} evaluations",
        direct.best_f, direct.evaluations
    );
    let same = told.best_x == direct.best_x
        && told.last_x == direct.last_x
        && told.best_f.to_bits() == direct.best_f.to_bits()
        && told.evaluations == direct.evaluations
        && told.history == direct.history;
    println!(
        "reports identical (every history entry, best and last x, evaluations): {}",
        if same { "yes" } else { "NO" }
    );
    assert!(same, "the ask/tell report differs from minimize's");
    assert_eq!(simulated, told.evaluations);
    Ok(())
}
