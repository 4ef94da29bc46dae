//! Direction generation per coordinate at d = 10⁶ (`SeededDirection::write` and
//! `axpy`, Gaussian and Rademacher, f64 and f32), against `rand_distr`'s
//! `StandardNormal` (driven by ChaCha8, the generator the directions read, and
//! by `ZoRng`, the generator they used before), against one ndarray
//! `scaled_add` pass over the same length (the memory-bandwidth floor of any
//! update), and the raw 32-bit words of ChaCha8 against Philox4x32-10, the
//! alternative generator.
//!
//! `cargo bench --bench directions -- --warm-up-time 1 --measurement-time 3`
//! (add `--features rayon` for `par_axpy`).
//!
//! Each iteration covers d = 10⁶ coordinates, so the time per iteration in ms is
//! the time per coordinate in ns.

#[path = "directions/philox.rs"]
#[allow(dead_code)]
mod philox;

use chacha20::ChaCha8Rng;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array1;
use rand::{RngExt, SeedableRng};
use rand_core::Rng;
use rand_distr::StandardNormal;
use std::hint::black_box;
use zoptim::{Direction, Real, SeededDirection, ZoRng};

const D: usize = 1_000_000;

fn bench_precision<F: Real>(c: &mut Criterion, precision: &str) {
    let mut group = c.benchmark_group(format!("directions/{precision}"));
    group.throughput(Throughput::Elements(D as u64));
    group.sample_size(20);
    let mut out = vec![F::zero(); D];
    let mut x = vec![F::of_f64(0.5); D];
    let alpha = F::of_f64(1e-3);
    for kind in [Direction::Gaussian, Direction::Rademacher] {
        let dir = SeededDirection::draw(kind, &mut ZoRng::seed_from_u64(1), D);
        group.bench_function(format!("{}/write", kind.name()), |b| {
            b.iter(|| dir.write(black_box(&mut out)))
        });
        group.bench_function(format!("{}/axpy", kind.name()), |b| {
            b.iter(|| dir.axpy(alpha, black_box(&mut x)))
        });
        #[cfg(feature = "rayon")]
        group.bench_function(format!("{}/par_axpy", kind.name()), |b| {
            b.iter(|| dir.par_axpy(alpha, black_box(&mut x)))
        });
    }
    // StandardNormal draws in f64, rounded to F (what `zoptim::random::standard_normal` does).
    let mut chacha = ChaCha8Rng::seed_from_u64(1);
    group.bench_function("standard_normal/chacha8", |b| {
        b.iter(|| {
            for v in out.iter_mut() {
                *v = F::of_f64(chacha.sample(StandardNormal));
            }
            black_box(&mut out);
        })
    });
    let mut zo = ZoRng::seed_from_u64(1);
    group.bench_function("standard_normal/zorng", |b| {
        b.iter(|| {
            for v in out.iter_mut() {
                *v = zoptim::random::standard_normal::<F>(&mut zo);
            }
            black_box(&mut out);
        })
    });
    let mut xa = Array1::from_elem(D, F::of_f64(0.5));
    let ya = Array1::from_elem(D, F::of_f64(0.25));
    group.bench_function("scaled_add", |b| b.iter(|| black_box(&mut xa).scaled_add(alpha, &ya)));
    group.finish();
}

/// Philox words, 16 blocks at a time, in the word-major order the Gaussian
/// transform consumed them in (no transposition).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn philox_words_avx2(key: [u32; 2], out: &mut [u32]) {
    for (g, o) in out.chunks_exact_mut(4 * philox::BATCH).enumerate() {
        // SAFETY: this function is compiled for, and only called on, AVX2 CPUs.
        let w = unsafe { philox::blocks_avx2(key, (g * philox::BATCH) as u64, 0) };
        for (dst, src) in o.chunks_exact_mut(philox::BATCH).zip(&w) {
            dst.copy_from_slice(src);
        }
    }
}

/// The words one Gaussian coordinate consumes (one 32-bit word), from each generator.
fn bench_words(c: &mut Criterion) {
    assert_eq!(
        philox::block([0; 4], [0; 2]),
        [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8],
        "Random123 known answer"
    );
    let mut group = c.benchmark_group("directions/words-per-gaussian-coordinate");
    group.throughput(Throughput::Elements(D as u64));
    group.sample_size(20);
    let mut bytes = vec![0u8; 4 * D];
    let mut chacha = ChaCha8Rng::seed_from_u64(1);
    group.bench_function("chacha8", |b| b.iter(|| chacha.fill_bytes(black_box(&mut bytes))));
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        let mut words = vec![0u32; D];
        let key = philox::key_of(1);
        group.bench_function("philox4x32-10-avx2", |b| {
            // SAFETY: AVX2 is available, checked above.
            b.iter(|| unsafe { philox_words_avx2(key, black_box(&mut words)) })
        });
    }
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_precision::<f64>(c, "f64");
    bench_precision::<f32>(c, "f32");
    bench_words(c);
}

criterion_group!(directions, benches);
criterion_main!(directions);
