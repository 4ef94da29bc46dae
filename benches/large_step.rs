//! One central step (q = 1, SGD, f32) at d = 10⁷ on rayon pools of 1 and 2
//! threads, with an objective that reads two coordinates, so that the time is
//! the step's own passes over x: generating the direction, perturbing x and
//! updating it (seeded: x moved in place, u replayed from its seed; buffered:
//! the two query rows written, then the update).
//!
//! `cargo bench --features rayon --bench large_step`

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::{Array1, ArrayView1};
use std::hint::black_box;
use zoptim::{Direction, Optimizer, Smoothed, Storage, TwoPoint};

const D: usize = 10_000_000;

fn large_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("central step f32, d = 1e7");
    group.sample_size(10);
    for (dir, storage) in [
        (Direction::Gaussian, Storage::Seeded),
        (Direction::Rademacher, Storage::Seeded),
        (Direction::Gaussian, Storage::Buffered),
        (Direction::Rademacher, Storage::Buffered),
    ] {
        for threads in [1usize, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("a thread pool");
            let est = TwoPoint::<f32>::central(dir).mu(1e-3).storage(storage);
            let mut opt = Optimizer::builder(est).learning_rate(1e-6).build().expect("valid");
            let mut x = Array1::from_elem(D, 0.5f32);
            let mut f = |x: ArrayView1<f32>| x[0] * x[0] + x[D - 1];
            pool.install(|| opt.step(&mut x, &mut f).expect("warm-up"));
            let storage = if storage == Storage::Seeded {
                "seeded"
            } else {
                "buffered"
            };
            let id = BenchmarkId::new(format!("{}-{storage}", dir.name()), format!("{threads} threads"));
            group.bench_function(id, |b| {
                b.iter(|| pool.install(|| opt.step(black_box(&mut x), &mut f).expect("step")))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, large_step);
criterion_main!(benches);
