//! The memory-light MeZO step (`TwoPoint::mezo()`, q = 1, SGD, f32) at
//! d = 10⁶, with an objective that reads two coordinates, so that
//! the time is the step's own work outside f: regenerating the Gaussian
//! direction for +μu, −2μu and the folded move back + update. Compared with the
//! same step when the rule cannot fold the move back into its pass (a user rule
//! that delegates to `Sgd`: four regenerations), and with one ndarray
//! `scaled_add` pass over x timed in the same process.
//!
//! `cargo bench --bench mezo -- --warm-up-time 1 --measurement-time 4` runs on
//! one thread; with `--features rayon` the step also runs in rayon pools of 1
//! and 2 threads (the direction passes over x are split into chunks).

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::{Array1, ArrayView1};
use std::hint::black_box;
use zoptim::estimator::Estimate;
use zoptim::update::{UpdateContext, UpdateInfo, UpdateRule};
use zoptim::{Flow, Optimizer, Round, Sgd, Smoothed, TwoPoint};

const D: usize = 1_000_000;

/// SGD behind a rule of the user's: the engine moves x back before calling it.
struct Delegating(Sgd);

impl UpdateRule<f32> for Delegating {
    fn name(&self) -> &'static str {
        "delegating sgd"
    }
    fn update(
        &mut self,
        x: &mut [f32],
        g: &mut Estimate<f32>,
        ctx: &mut UpdateContext<'_, f32>,
        round: &mut Round<f32>,
    ) -> zoptim::Result<Flow<UpdateInfo<f32>>> {
        self.0.update(x, g, ctx, round)
    }
}

#[cfg(feature = "rayon")]
type Pool = rayon::ThreadPool;
#[cfg(not(feature = "rayon"))]
type Pool = ();

/// The thread counts measured, each with its pool (none without `rayon`).
fn pools() -> Vec<(usize, Option<Pool>)> {
    #[cfg(feature = "rayon")]
    return [1usize, 2]
        .into_iter()
        .map(|t| {
            (
                t,
                Some(
                    rayon::ThreadPoolBuilder::new()
                        .num_threads(t)
                        .build()
                        .expect("a thread pool"),
                ),
            )
        })
        .collect();
    #[cfg(not(feature = "rayon"))]
    vec![(1, None)]
}

/// Runs `work` in `pool` (in this thread without one).
fn on<R: Send>(pool: Option<&Pool>, work: impl FnOnce() -> R + Send) -> R {
    #[cfg(feature = "rayon")]
    if let Some(p) = pool {
        return p.install(work);
    }
    let _ = pool;
    work()
}

fn mezo(c: &mut Criterion) {
    let mut group = c.benchmark_group("mezo f32, d = 1e6");
    group.sample_size(30);
    let f = |x: ArrayView1<f32>| x[0] * x[0] + x[D - 1];
    for (threads, pool) in pools() {
        let pool = pool.as_ref();
        let mut x = Array1::from_elem(D, 0.5f32);
        let mut folded = Optimizer::builder(TwoPoint::<f32>::mezo().mu(1e-3))
            .learning_rate(1e-6)
            .build()
            .expect("valid");
        on(pool, || folded.step(&mut x, &mut f.clone()).expect("warm-up"));
        group.bench_function(format!("step, folded (3 regenerations), {threads} thread(s)"), |b| {
            b.iter(|| on(pool, || folded.step(black_box(&mut x), &mut f.clone()).expect("step")))
        });
        let mut unfolded = Optimizer::builder(TwoPoint::<f32>::mezo().mu(1e-3))
            .update(Delegating(Sgd::new()))
            .learning_rate(1e-6)
            .build()
            .expect("valid");
        on(pool, || unfolded.step(&mut x, &mut f.clone()).expect("warm-up"));
        group.bench_function(
            format!("step, not folded (4 regenerations), {threads} thread(s)"),
            |b| b.iter(|| on(pool, || unfolded.step(black_box(&mut x), &mut f.clone()).expect("step"))),
        );
    }
    let mut x = Array1::from_elem(D, 0.5f32);
    let y = Array1::from_elem(D, 0.25f32);
    group.bench_function("scaled_add, 1 thread", |b| {
        b.iter(|| black_box(&mut x).scaled_add(1e-9, &y))
    });
    group.finish();
}

criterion_group!(benches, mezo);
criterion_main!(benches);
