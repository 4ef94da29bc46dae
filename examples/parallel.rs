//! Parallel evaluation: every round of a step evaluated on the rayon pool.
//!
//! With a 1 ms objective, the wall time of a 200-evaluation run under
//! `minimize` (this thread) and under `minimize_parallel` at 1 and 2 threads,
//! for each estimator; the reports are checked to be bit-identical.
//!
//! `cargo run --release --features rayon --example parallel`

#[path = "support/parallel.rs"]
mod support;

use std::time::{Duration, Instant};
use support::{busy, configurations, start};

fn main() -> zoptim::Result<()> {
    let cost = Duration::from_millis(1);
    let threads = [1usize, 2];
    println!(
        "1 ms objective, {} evaluations per run; wall time in ms",
        support::BUDGET
    );
    println!("| estimator | queries per round | minimize | parallel, 1 thread | parallel, 2 threads | speed-up at 2 |");
    println!("|---|---|---|---|---|---|");
    for (name, d, mut opt) in configurations() {
        let x0 = start(d);
        let t = Instant::now();
        let seq = opt.minimize(&mut |x: ndarray::ArrayView1<f64>| busy(x, cost), &x0)?;
        let t_seq = t.elapsed();
        let mut times = Vec::new();
        for &n in &threads {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .expect("a thread pool");
            let t = Instant::now();
            let par = pool.install(|| opt.minimize_parallel(&|x: ndarray::ArrayView1<f64>| busy(x, cost), &x0))?;
            times.push(t.elapsed());
            assert_eq!(par.last_x, seq.last_x, "{name}: parallel run differs");
            assert_eq!(par.evaluations, seq.evaluations, "{name}: evaluation counts differ");
        }
        let per_round = seq.evaluations as f64 / seq.iterations.max(1) as f64;
        let ms = |t: Duration| t.as_secs_f64() * 1e3;
        println!(
            "| {name} | {per_round:.1} per step | {:.0} | {:.0} | {:.0} | {:.2}× |",
            ms(t_seq),
            ms(times[0]),
            ms(times[1]),
            t_seq.as_secs_f64() / times[1].as_secs_f64()
        );
    }
    println!("(every parallel report is bit-identical to minimize's)");
    Ok(())
}
