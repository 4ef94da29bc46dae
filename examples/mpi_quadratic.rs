//! A small problem on MPI: f(x) = Σ (i+1)·(xᵢ − 1)² in d = 20, minimised with
//! SPSA (q = 8, 16 queries per step) split across the ranks. Rank 0 then runs
//! the same optimizer (same seed) in a single process and checks that the
//! reports are bit-identical, and prints the bytes exchanged per step.
//!
//! ```text
//! cargo build --release --features mpi --example mpi_quadratic
//! mpirun -np 2 --oversubscribe target/release/examples/mpi_quadratic
//! ```
//! (as root, add `--allow-run-as-root`). Exits non-zero when the reports differ.

use mpi::traits::Communicator;
use ndarray::{Array1, ArrayView1};
use zoptim::prelude::*;

fn f(x: ArrayView1<f64>) -> f64 {
    x.iter()
        .enumerate()
        .map(|(i, v)| (i + 1) as f64 * (v - 1.0).powi(2))
        .sum()
}

fn optimizer() -> zoptim::Result<Optimizer<f64, TwoPoint<f64>, Sgd>> {
    Optimizer::builder(TwoPoint::spsa().directions(8).mu(1e-6))
        .learning_rate(0.01)
        .max_evaluations(5_000)
        .seed(2026)
        .history(true)
        .build()
}

fn main() -> zoptim::Result<()> {
    let universe = mpi::initialize().expect("MPI initialised once");
    let world = universe.world();
    let x0 = Array1::zeros(20);

    let mut opt = optimizer()?;
    let (report, traffic) = zoptim::mpi::minimize_with_stats(&world, &mut opt, &mut f, &x0)?;

    if world.rank() == 0 {
        let single = optimizer()?.minimize(&mut f, &x0)?;
        let same = single
            .last_x
            .iter()
            .zip(&report.last_x)
            .all(|(a, b)| a.to_bits() == b.to_bits())
            && single
                .best_x
                .iter()
                .zip(&report.best_x)
                .all(|(a, b)| a.to_bits() == b.to_bits())
            && single.best_f.to_bits() == report.best_f.to_bits()
            && single.evaluations == report.evaluations
            && single.iterations == report.iterations
            && single.stop == report.stop;
        let steps = report.iterations.max(1);
        let queries: usize = report.history.as_ref().map_or(0, |h| h.iter().map(|s| s.queries).sum());
        println!("ranks:                     {}", world.size());
        println!(
            "f(x0) = {:.3e}, best f = {:.3e} after {} evaluations, {} steps ({:?})",
            f(x0.view()),
            report.best_f,
            report.evaluations,
            report.iterations,
            report.stop
        );
        println!(
            "equal to the single-process minimize (same seed), bit for bit: {}",
            if same { "yes" } else { "NO" }
        );
        println!(
            "bytes gathered per step:   {} ({} values x {} bytes; {} rounds, {} bytes in all, + {} bytes start check)",
            queries * std::mem::size_of::<f64>() / steps,
            queries / steps,
            std::mem::size_of::<f64>(),
            traffic.rounds,
            traffic.bytes,
            traffic.setup_bytes
        );
        if !same {
            drop(universe);
            std::process::exit(1);
        }
    }
    Ok(())
}
