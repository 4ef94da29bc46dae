//! Checkpoints at d = 10⁶: taking one (`Run::checkpoint`), writing it to JSON
//! on disk (`Checkpoint::write`: serialise, flush, fsync, rename) and reading
//! it back (`Checkpoint::read`), for memory-light MeZO in f32 (x and the best
//! point) and for ReLIZO in f64 (x, the best point and the sample pool). The
//! file size is printed once per case.
//!
//! `cargo bench --features serde --bench checkpoint`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::{Array1, ArrayView1};
use std::hint::black_box;
use zoptim::{Checkpoint, GradientEstimator, Optimizer, Real, Relizo, Smoothed, TwoPoint, UpdateRule};

const D: usize = 1_000_000;

fn bench_case<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>>(
    c: &mut Criterion,
    name: &str,
    mut opt: Optimizer<F, E, U>,
    steps: usize,
) {
    let path = std::env::temp_dir().join(format!("zoptim-bench-{name}.json"));
    let f = |x: ArrayView1<F>| x.iter().map(|&v| v * v).fold(F::zero(), |a, b| a + b);
    let x0 = Array1::from_elem(D, F::of_f64(0.5));
    let mut run = opt.start(&x0).expect("start");
    for _ in 0..steps {
        let batch = run.ask().expect("ask").expect("the run is not over");
        let v: Vec<F> = batch.points().rows().into_iter().map(f).collect();
        run.tell(&v).expect("tell");
    }
    let checkpoint = run.checkpoint().expect("checkpoint");
    checkpoint.write(&path).expect("write");
    let bytes = std::fs::metadata(&path).expect("written").len();
    println!(
        "checkpoint/{name}: {bytes} bytes ({:.1} MB) at d = {D}",
        bytes as f64 / 1e6
    );

    let mut group = c.benchmark_group("checkpoint");
    group.sample_size(10);
    group.bench_function(BenchmarkId::new("take", name), |b| {
        b.iter(|| black_box(run.checkpoint().expect("checkpoint")))
    });
    group.bench_function(BenchmarkId::new("write", name), |b| {
        b.iter(|| checkpoint.write(black_box(&path)).expect("write"))
    });
    group.bench_function(BenchmarkId::new("read", name), |b| {
        b.iter(|| black_box(Checkpoint::<F>::read(&path).expect("read")))
    });
    group.finish();
    std::fs::remove_file(&path).ok();
}

fn checkpoints(c: &mut Criterion) {
    let mezo = Optimizer::builder(TwoPoint::<f32>::mezo().mu(1e-3))
        .learning_rate(1e-6)
        .max_evaluations(1_000)
        .build()
        .expect("valid");
    bench_case(c, "mezo-f32", mezo, 4);
    let relizo = Optimizer::builder(Relizo::<f64>::with_reuse_bound(2e-3))
        .learning_rate(1e-3)
        .max_evaluations(1_000)
        .build()
        .expect("valid");
    bench_case(c, "relizo-f64", relizo, 4);
}

criterion_group!(benches, checkpoints);
criterion_main!(benches);
