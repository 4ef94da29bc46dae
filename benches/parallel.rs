//! Wall time of a 200-evaluation run with a 1 ms busy-loop objective, under
//! `minimize` (this thread) and `minimize_parallel` at 1 and 2 threads.
//!
//! `cargo bench --features rayon --bench parallel`

#[path = "../examples/support/parallel.rs"]
mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;
use support::{busy, configurations, start};

fn parallel(c: &mut Criterion) {
    let cost = Duration::from_millis(1);
    let mut group = c.benchmark_group("200 evaluations of a 1 ms objective");
    group.sample_size(10);
    for (name, d, mut opt) in configurations() {
        let x0 = start(d);
        group.bench_function(format!("{name} / minimize"), |b| {
            b.iter(|| {
                opt.minimize(&mut |x: ndarray::ArrayView1<f64>| busy(x, cost), &x0)
                    .expect("run")
            })
        });
        for n in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .expect("a thread pool");
            group.bench_function(format!("{name} / parallel {n} threads"), |b| {
                b.iter(|| {
                    pool.install(|| opt.minimize_parallel(&|x: ndarray::ArrayView1<f64>| busy(x, cost), &x0))
                        .expect("run")
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, parallel);
criterion_main!(benches);
