//! One optimizer step (TwoPoint central, q = 1, SGD) on the sphere objective,
//! against the memory-bandwidth floor of one `scaled_add` pass over x.
//!
//! `cargo bench --bench step`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array1;
use std::hint::black_box;
use zoptim::Smoothed;
use zoptim::testing::Sphere;
use zoptim::{Direction, Optimizer, Real, Storage, TwoPoint};

const DIMS: [usize; 3] = [100, 10_000, 1_000_000];

fn bench_precision<F: Real>(c: &mut Criterion, precision: &str) {
    let mut group = c.benchmark_group(format!("step/{precision}"));
    for &d in &DIMS {
        group.throughput(Throughput::Elements(d as u64));
        if d >= 1_000_000 {
            group.sample_size(20);
        } else {
            group.sample_size(60);
        }
        for (dir, storage) in [
            (Direction::Gaussian, Storage::Buffered),
            (Direction::Rademacher, Storage::Buffered),
            (Direction::Gaussian, Storage::Seeded),
            (Direction::Rademacher, Storage::Seeded),
        ] {
            let est = TwoPoint::<F>::central(dir).mu(1e-3).storage(storage);
            let mut opt = Optimizer::builder(est).learning_rate(1e-6).build().expect("valid");
            let mut x = Array1::from_elem(d, F::of_f64(0.5));
            let mut f = Sphere;
            opt.step(&mut x, &mut f).expect("warm-up");
            let id = format!(
                "{}-{}",
                dir.name(),
                if storage == Storage::Seeded {
                    "seeded"
                } else {
                    "buffered"
                }
            );
            group.bench_with_input(BenchmarkId::new(id, d), &d, |b, _| {
                b.iter(|| opt.step(black_box(&mut x), &mut f).expect("step"))
            });
        }
        // The floor: one x ← x + a·y pass (read 2 vectors, write 1).
        let mut x = Array1::from_elem(d, F::of_f64(0.5));
        let y = Array1::from_elem(d, F::of_f64(0.25));
        group.bench_with_input(BenchmarkId::new("scaled_add-floor", d), &d, |b, _| {
            b.iter(|| x.scaled_add(black_box(F::of_f64(1e-9)), &y))
        });
    }
    group.finish();
}

fn step(c: &mut Criterion) {
    bench_precision::<f64>(c, "f64");
    bench_precision::<f32>(c, "f32");
}

criterion_group!(benches, step);
criterion_main!(benches);
