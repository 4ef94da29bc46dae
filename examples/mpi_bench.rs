//! MPI benchmark behind BENCHMARKS.md's "Runs on MPI" section: wall time per
//! step with a 2 ms busy-loop objective (SPSA q = 8, ReLIZO n = 8, d = 1000),
//! the bytes gathered per step at d = 10³ and d = 10⁶, and the latency of one
//! allgather of a round's values.
//!
//! ```text
//! cargo build --release --features mpi --example mpi_bench
//! mpirun -np 1 target/release/examples/mpi_bench
//! mpirun -np 2 target/release/examples/mpi_bench
//! ```
//! (as root, add `--allow-run-as-root`; `--oversubscribe` past the core count).

use mpi::Count;
use mpi::datatype::PartitionMut;
use mpi::traits::{Communicator, CommunicatorCollectives};
use ndarray::{Array1, ArrayView1};
use std::hint::black_box;
use std::time::{Duration, Instant};
use zoptim::prelude::*;

type Boxed = Optimizer<f64, Box<dyn GradientEstimator<f64> + Send>, Sgd>;

/// f(x) = Σ xᵢ² after spinning for `cost` on `Instant` (a busy loop, not a sleep).
fn busy(x: ArrayView1<f64>, cost: Duration) -> f64 {
    let start = Instant::now();
    let mut spin = 0u64;
    while start.elapsed() < cost {
        spin = black_box(spin.wrapping_add(1));
    }
    x.dot(&x)
}

fn configurations(steps: usize) -> Vec<(&'static str, Boxed)> {
    let build = |e: Box<dyn GradientEstimator<f64> + Send>| {
        Optimizer::builder(e)
            .learning_rate(1e-3)
            .max_iterations(steps)
            .history(true)
            .seed(1)
            .build()
            .expect("valid configuration")
    };
    vec![
        ("SPSA q = 8", build(Box::new(TwoPoint::spsa().directions(8)))),
        (
            "ReLIZO n = 8",
            build(Box::new(Relizo::with_reuse_bound(2e-3).samples(8))),
        ),
        ("MeZO q = 8 (seeded)", build(Box::new(TwoPoint::mezo().directions(8)))),
    ]
}

fn main() -> zoptim::Result<()> {
    let universe = mpi::initialize().expect("MPI initialised once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let cost = Duration::from_millis(2);
    let steps = 25;

    if rank == 0 {
        println!("{size} rank(s), 2 ms busy-loop objective, d = 1000, {steps} steps");
        println!("| estimator | queries per step | wall time per step (ms) | bytes gathered per step |");
        println!("|---|---|---|---|");
    }
    for (name, mut opt) in configurations(steps) {
        let x0 = Array1::from_elem(1000, 0.5);
        let mut calls = 0usize;
        let mut f = |x: ArrayView1<f64>| {
            calls += 1;
            busy(x, cost)
        };
        world.barrier();
        let t = Instant::now();
        let (report, traffic) = zoptim::mpi::minimize_with_stats(&world, &mut opt, &mut f, &x0)?;
        world.barrier();
        let wall = t.elapsed();
        if std::env::var_os("ZOPTIM_MPI_BENCH_CALLS").is_some() {
            println!("rank {rank}: {calls} calls of {} evaluations", report.evaluations);
        }
        let queries: usize = report.history.as_ref().map_or(0, |h| h.iter().map(|s| s.queries).sum());
        let it = report.iterations.max(1);
        if rank == 0 {
            // f(x0) and f at the last iterate are one-row rounds outside the steps.
            let extra = traffic.bytes - 8 * queries;
            println!(
                "| {name} | {:.1} | {:.2} | {} (+ {extra} for f(x0) and the final value) |",
                queries as f64 / it as f64,
                wall.as_secs_f64() * 1e3 / it as f64,
                8 * queries / it,
            );
        }
    }

    // Bytes per step do not depend on d.
    if rank == 0 {
        println!();
        println!(
            "| estimator | d | bytes gathered per step | values per step | ms per step, mpi | ms per step, minimize |"
        );
        println!("|---|---|---|---|---|---|");
    }
    for d in [1_000usize, 1_000_000] {
        for (name, mut opt) in configurations(4) {
            let x0 = Array1::from_elem(d, 0.5);
            let mut f = |x: ArrayView1<f64>| x.dot(&x);
            world.barrier();
            let t = Instant::now();
            let (report, traffic) = zoptim::mpi::minimize_with_stats(&world, &mut opt, &mut f, &x0)?;
            let wall = t.elapsed().as_secs_f64() * 1e3;
            let queries: usize = report.history.as_ref().map_or(0, |h| h.iter().map(|s| s.queries).sum());
            let it = report.iterations.max(1);
            if rank == 0 {
                // The same run in one process, for the driver's own cost at large d.
                let t = Instant::now();
                opt.minimize(&mut f, &x0)?;
                let single = t.elapsed().as_secs_f64() * 1e3;
                println!(
                    "| {name} | {d} | {} | {} | {:.2} | {:.2} |",
                    8 * queries / it,
                    queries / it,
                    wall / it as f64,
                    single / it as f64
                );
                let _ = traffic;
            }
            world.barrier();
        }
    }

    // The latency of one allgatherv of a 16-value round (SPSA q = 8).
    let n = 16usize;
    let counts: Vec<Count> = (0..size as usize)
        .map(|r| zoptim::mpi::share(n, size as usize, r).len() as Count)
        .collect();
    let displs: Vec<Count> = (0..size as usize)
        .map(|r| zoptim::mpi::share(n, size as usize, r).start as Count)
        .collect();
    let mine = vec![1.0f64; counts[rank as usize] as usize];
    let mut all = vec![0.0f64; n];
    let reps = 20_000;
    for _ in 0..1000 {
        let mut p = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
        world.all_gather_varcount_into(&mine[..], &mut p);
    }
    world.barrier();
    let t = Instant::now();
    for _ in 0..reps {
        let mut p = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
        world.all_gather_varcount_into(&mine[..], &mut p);
    }
    let per = t.elapsed().as_secs_f64() / reps as f64;
    if rank == 0 {
        println!();
        println!(
            "allgatherv of {n} f64 on {size} rank(s): {:.2} µs per call (mean of {reps})",
            per * 1e6
        );
    }

    // The floor without zoptim: each rank spins its share of 16 × 2 ms, then
    // one allgatherv: what an SPSA q = 8 step cannot beat on this machine.
    let x = Array1::from_elem(10, 0.5);
    world.barrier();
    let t = Instant::now();
    for _ in 0..steps {
        for _ in 0..counts[rank as usize] {
            black_box(busy(x.view(), cost));
        }
        let mut p = PartitionMut::new(&mut all[..], &counts[..], &displs[..]);
        world.all_gather_varcount_into(&mine[..], &mut p);
    }
    let floor = t.elapsed().as_secs_f64() * 1e3 / steps as f64;
    if rank == 0 {
        println!("floor: spin a {n}-row share of 2 ms evaluations + one allgatherv: {floor:.2} ms per step");
    }
    Ok(())
}
