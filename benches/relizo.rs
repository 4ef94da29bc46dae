//! Step time of ReLIZO at d = 10², 10³, 10⁴, 10⁵ (f64, one thread, n = 8) on the
//! sphere f(x) = Σxᵢ² (a vectorised sum of squares), against the reference
//! PyTorch `LIZO` on one CPU thread (relizo.md §5.2): 0.40, 0.58, 1.9 and 17 ms
//! per step with the README settings.
//!
//! Configurations as in §5.2: lr = 0.1 with
//! - `readme`: b = 0.2, ρ = 0.5, Gaussian sampling (5 queries, 4 reused per step),
//! - `noreuse`: b = 0, Gaussian (9 queries; reference 0.27, 0.45, 2.25, 26.4 ms),
//! - `defaults`: the reference constructor's defaults, orthogonal sampling, no
//!   reuse (9 queries; reference 0.30, 0.51, 2.48, 32.1 ms).
//!
//! Start x = 0.1·1, so ‖x‖ = 0.1·√d and the step 0.1·‖g‖ ≈ 0.06 stays inside
//! b = 0.2 at every d; when f has shrunk by 10⁴ x is reset to the start (one step
//! in ~10³ then reuses nothing), so that the iterate never drifts into subnormals.
//!
//! Run: `cargo bench --bench relizo -- --warm-up-time 1 --measurement-time 3`
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ndarray::{Array1, ArrayView1};
use std::hint::black_box;
use zoptim::Optimizer;
use zoptim::estimator::Relizo;

fn sphere(x: ArrayView1<f64>) -> f64 {
    let s = x.as_slice().expect("contiguous parameters");
    let mut acc = [0.0f64; 8];
    let chunks = s.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a += v * v;
        }
    }
    acc.iter().sum::<f64>() + rest.iter().map(|v| v * v).sum::<f64>()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("relizo_step");
    for d in [100usize, 1_000, 10_000, 100_000] {
        let configs: [(&str, Relizo<f64>); 3] = [
            ("readme", Relizo::with_reuse_bound(0.2)),
            ("noreuse", Relizo::with_reuse_bound(0.2).reuse_distance_bound(0.0)),
            ("defaults", Relizo::reference_defaults()),
        ];
        for (name, est) in configs {
            // Built once per configuration and warmed up by a few steps, so the
            // samples time steady-state steps, not `prepare` and the first
            // step's page faults.
            let mut opt = Optimizer::builder(est)
                .learning_rate(0.1)
                .seed(1)
                .build()
                .expect("valid configuration");
            let x0 = Array1::from_elem(d, 0.1);
            let f_start = sphere(x0.view());
            let mut x = x0.clone();
            let mut f = |v: ArrayView1<f64>| sphere(v);
            for _ in 0..3 {
                opt.step(&mut x, &mut f).expect("finite step");
            }
            group.bench_with_input(BenchmarkId::new(name, d), &d, |b, _| {
                b.iter(|| {
                    let rec = opt.step(&mut x, &mut f).expect("finite step");
                    if rec.fx.is_some_and(|v| v < 1e-4 * f_start) {
                        x.assign(&x0);
                    }
                    black_box(rec)
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
