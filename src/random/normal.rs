//! The counter-based standard normal stream behind Gaussian and sphere
//! directions and ReLIZO's samples.
//!
//! # Definition
//! Value i of the stream with key s (a `u64`) is a pure function of (s, i).
//! The bits are the ChaCha8 stream of s with stream id 0 (see
//! [`SeededDirection`](crate::random::direction::SeededDirection) for the key), read as
//! 32-bit little-endian words: value i uses word i and one partner. Values come
//! in groups of 64, words 64g … 64g + 63, whose pairs are (64g + b, 64g + 16 + b)
//! and (64g + 32 + b, 64g + 48 + b) for b < 16; a pair of words (a, c) gives, in
//! `f32` arithmetic,
//!
//! * x = (⌊a/2⌋ + ½)·2⁻³¹ ∈ \[2⁻³², 1\] (the integer rounded to `f32` first),
//! * q = ⌊c/2³⁰⌋ and t = (⌊c/2⁷⌋ mod 2²³)·2⁻²³ − ½ ∈ \[−½, ½),
//! * θ = (π/2)·(q + t), uniform on a full turn, and r = √(−2 ln x),
//! * r·cos θ at the position of a and r·sin θ at the position of c: the
//!   Box–Muller transform (Box & Muller 1958), exact for two independent uniforms.
//!
//! `f64` values are these `f32` values widened, so a direction is the same vector
//! in either precision.
//!
//! # Departures from N(0, 1)
//! * **Tail.** The smallest x is 2⁻³², so |z| ≤ √(64 ln 2) ≈ 6.66: the mass beyond,
//!   P(|Z| > 6.66) = 2.7·10⁻¹¹, is missing (about one coordinate in 4·10¹⁰).
//! * **Resolution.** x and t live on 31- and 23-bit grids, and each value carries
//!   an `f32` rounding error below 4·10⁻⁷·r (r its pair's radius; see the tests),
//!   so E\[z²\] = 1 to within about 10⁻⁶: far below what any estimator built on
//!   these directions can resolve, and below what a Kolmogorov–Smirnov test on 10⁶
//!   draws can see (its critical value at significance 0.001 is 1.95·10⁻³).
//!
//! The full-`f64` version of the same transform (52-bit uniforms, f64
//! polynomials) was measured first: it was *slower* than `rand_distr`'s
//! `StandardNormal` (5.0 vs 2.7 ns per draw), because four random words per pair
//! and twice the polynomial work per value cost more than a ziggurat's fast path.
//! The `f32` transform on eight lanes is the one that meets the goal of being at
//! least twice as fast (figures in BENCHMARKS.md).
//!
//! # Same bits everywhere
//! ln, cos and sin are evaluated by the portable polynomials below, using only
//! +, −, ×, ÷, √ and integer-to-float conversions (each correctly rounded by
//! IEEE 754) and exact bit manipulations: no fused multiply-add and no libm.
//! The values are therefore bit-identical on every target with IEEE 754 binary32
//! arithmetic (every tier-1 Rust target; an x87-only target such as `i586` may
//! differ) and across the code paths one CPU may take: the AVX2 path chosen at
//! run time and the portable one run the same operations lane by lane, which the
//! tests check. (ChaCha8's own SIMD back ends all compute the specified
//! keystream.)
//!
//! The words could come from any counter-based generator. A hand-written
//! Philox4x32-10 with an AVX2 path was measured against ChaCha8 from the
//! `chacha20` crate (`benches/directions.rs`): the two produced words at about
//! the same speed (about 1.0 ns per word each), so the stream is ChaCha8. Its
//! words come from the crate's generator, or on x86-64 CPUs with AVX2 from the
//! crate-internal eight-block kernel in `keystream.rs`, which computes the same
//! words (tested against the crate) and makes a Gaussian pass about 13% faster.
//!
//! This stream replaced a hand-written 256-layer ziggurat (Marsaglia & Tsang
//! 2000) that was faster than `StandardNormal` (3.3 vs 5.5 ns per draw measured
//! side by side, on a loaded machine) but slower than this stream, and could not
//! seek.

use super::keystream::Keystream;
use super::rng::ZoRng;
use crate::real::Real;
use std::f32::consts::{FRAC_PI_2, SQRT_2};

/// Stream id of the Gaussian stream (Rademacher signs use 1).
pub(crate) const TAG_NORMAL: u64 = 0;

/// Values per group: the unit the pairs are laid out in.
const GROUP: usize = 64;
/// Pairs of words in a group come from positions b and b + `HALF` of each half.
const HALF: usize = 16;

const ONE_BITS: u32 = 0x3F80_0000;
const MANTISSA: u32 = (1 << 23) - 1;
/// ln 2 with its last 9 bits zero (so e·`LN2_HI` is exact for |e| < 2⁹) …
const LN2_HI: f32 = f32::from_bits(0x3F31_7200); // 0.693145751953125
/// … and the rest.
const LN2_LO: f32 = f32::from_bits(0x35BF_BE8E); // 1.4286068e-6

/// ln x for x ∈ \[2⁻³², 1\]. x = 2ᵉ·m with m ∈ \[1/√2, √2), ln m = 2 atanh(s) with
/// s = (m − 1)/(m + 1), |s| ≤ 0.1716, summed to s⁹ (the first omitted term, s¹¹/11,
/// is below 2·10⁻⁹ of the sum), and e·ln 2 added in two parts.
#[inline(always)]
fn ln_unit(x: f32) -> f32 {
    let bits = x.to_bits();
    let e = (bits >> 23) as i32 - 127;
    let m = f32::from_bits((bits & MANTISSA) | ONE_BITS);
    let big = m > SQRT_2;
    let m = if big { m * 0.5 } else { m };
    let e = (if big { e + 1 } else { e }) as f32;
    let f = m - 1.0; // exact (Sterbenz)
    let s = f / (m + 1.0);
    let z = s * s;
    // 2 atanh(s) = 2s·(1 + z/3 + z²/5 + z³/7 + z⁴/9).
    let p = 1.0 / 9.0;
    let p = p * z + 1.0 / 7.0;
    let p = p * z + 1.0 / 5.0;
    let p = p * z + 1.0 / 3.0;
    let hs = s + s;
    let ln_m = hs + hs * (z * p);
    e * LN2_HI + (ln_m + e * LN2_LO)
}

/// (cos φ, sin φ) for |φ| ≤ π/4: Taylor series to φ¹⁰ and φ⁹ (the first omitted
/// terms are below 2·10⁻⁹ relative).
#[inline(always)]
fn cos_sin(phi: f32) -> (f32, f32) {
    let z = phi * phi;
    // sin φ = φ·(1 − z/3! + z²/5! − z³/7! + z⁴/9!)
    let s = 1.0 / 362_880.0;
    let s = s * z - 1.0 / 5040.0;
    let s = s * z + 1.0 / 120.0;
    let s = s * z - 1.0 / 6.0;
    let sin = phi + phi * (z * s);
    // cos φ = 1 − z/2! + z²/4! − z³/6! + z⁴/8! − z⁵/10!
    let c = -1.0 / 3_628_800.0;
    let c = c * z + 1.0 / 40_320.0;
    let c = c * z - 1.0 / 720.0;
    let c = c * z + 1.0 / 24.0;
    let c = c * z - 0.5;
    let cos = 1.0 + z * c;
    (cos, sin)
}

/// The two normals of one pair of words (see the module docs).
#[inline(always)]
fn box_muller(a: u32, c: u32) -> (f32, f32) {
    let x = (((a >> 1) as i32) as f32 + 0.5) * (1.0 / 2_147_483_648.0);
    let r = (-2.0 * ln_unit(x)).sqrt();
    let t = f32::from_bits(ONE_BITS | ((c >> 7) & MANTISSA)) - 1.5; // exact
    let (cs, sn) = cos_sin(t * FRAC_PI_2);
    // Rotate by q quarter turns: q odd swaps cos and sin; the signs follow the quadrant.
    let q = c >> 30;
    let (cs, sn) = if q & 1 == 1 { (sn, cs) } else { (cs, sn) };
    let cos_sign = ((q ^ (q >> 1)) & 1) << 31;
    let sin_sign = (q >> 1) << 31;
    (
        f32::from_bits((r * cs).to_bits() ^ cos_sign),
        f32::from_bits((r * sn).to_bits() ^ sin_sign),
    )
}

/// The 64 values of a group from its 64 words (see the module docs): the
/// pairs are lanes apart, so nothing is shuffled.
#[inline(always)]
fn batch(w: &[u32; GROUP]) -> [f32; GROUP] {
    let mut out = [0.0; GROUP];
    for q in 0..2 {
        let base = 2 * HALF * q;
        for b in 0..HALF {
            (out[base + b], out[base + HALF + b]) = box_muller(w[base + b], w[base + HALF + b]);
        }
    }
    out
}

/// x ← x + α·u with u = z rounded to F (times `scale`, rounded, when given).
#[inline(always)]
fn add_scaled<F: Real>(alpha: F, scale: Option<F>, z: &[f32], x: &mut [F]) {
    match scale {
        None => {
            for (xi, &zi) in x.iter_mut().zip(z) {
                *xi = *xi + alpha * F::of_f64(f64::from(zi));
            }
        }
        Some(s) => {
            for (xi, &zi) in x.iter_mut().zip(z) {
                *xi = *xi + alpha * (F::of_f64(f64::from(zi)) * s);
            }
        }
    }
}

/// A reader of the normal stream positioned anywhere: [`fill`](Self::fill)
/// continues where the previous call stopped, so the values depend only on
/// their positions, never on how the calls are split. Creating one costs a
/// ChaCha key setup; hot loops create one per pass and fill chunk by chunk.
pub(crate) struct Reader {
    rng: Keystream,
    /// The current group's values, `pos..` not yet handed out.
    group: [f32; GROUP],
    pos: usize,
}

impl Reader {
    /// The stream of `key`, positioned at value `index`.
    pub(crate) fn at(key: u64, index: u64) -> Self {
        Self::on(
            Keystream::at(key, TAG_NORMAL, index / GROUP as u64 * GROUP as u64),
            index,
        )
    }

    /// As [`at`](Self::at), reading the words from the crate's generator (for the tests).
    #[cfg(test)]
    fn at_portable(key: u64, index: u64) -> Self {
        Self::on(
            Keystream::portable(key, TAG_NORMAL, index / GROUP as u64 * GROUP as u64),
            index,
        )
    }

    /// A reader at value `index` of the stream whose keystream is `rng`,
    /// positioned at the start of the value's group.
    fn on(rng: Keystream, index: u64) -> Self {
        let mut r = Reader {
            rng,
            group: [0.0; GROUP],
            pos: GROUP,
        };
        let skip = (index % GROUP as u64) as usize;
        if skip != 0 {
            r.next_group();
            r.pos = skip;
        }
        r
    }

    #[inline(always)]
    fn next_group(&mut self) {
        let mut words = [0u32; GROUP];
        self.rng.fill(&mut words);
        self.group = batch(&words);
        self.pos = 0;
    }

    /// Hands `each` the values for `out`, piece by piece as the stream's groups
    /// split it: the rest of the current group, whole groups (two at a time
    /// when possible, so that their 128 words come straight from the keystream
    /// without a copy), then the start of the next group, which is kept.
    #[inline(always)]
    fn for_groups<T>(&mut self, out: &mut [T], mut each: impl FnMut(&mut [T], &[f32])) {
        let mut out = out;
        if self.pos < GROUP {
            let len = out.len().min(GROUP - self.pos);
            each(&mut out[..len], &self.group[self.pos..self.pos + len]);
            self.pos += len;
            out = &mut out[len..];
        }
        let mut pairs = out.chunks_exact_mut(2 * GROUP);
        for o in &mut pairs {
            let mut words = [0u32; 2 * GROUP];
            self.rng.fill(&mut words);
            let (first, second) = words.split_at(GROUP);
            let (o1, o2) = o.split_at_mut(GROUP);
            each(o1, &batch(first.try_into().expect("64 words")));
            each(o2, &batch(second.try_into().expect("64 words")));
        }
        let mut whole = pairs.into_remainder().chunks_exact_mut(GROUP);
        for o in &mut whole {
            let mut words = [0u32; GROUP];
            self.rng.fill(&mut words);
            each(o, &batch(&words));
        }
        let rest = whole.into_remainder();
        if !rest.is_empty() {
            self.next_group();
            each(rest, &self.group[..rest.len()]);
            self.pos = rest.len();
        }
    }

    #[inline(always)]
    fn fill_impl<F: Real>(&mut self, out: &mut [F]) {
        self.for_groups(out, |o, z| {
            for (o, &z) in o.iter_mut().zip(z) {
                *o = F::of_f64(f64::from(z));
            }
        });
    }

    fill_with_runtime_avx2!("values");

    /// x\[i\] ← x\[i\] + α·(s·zᵢ) for the next `x.len()` values zᵢ (s = `scale`,
    /// or zᵢ alone when `None`): the same operations, value by value, as
    /// [`fill`](Self::fill) into a buffer followed by that update, so the same
    /// bits, but each group of 64 values goes from registers into x without a
    /// round trip through memory (about 0.4 ns per coordinate less in
    /// `benches/directions.rs`).
    #[inline(always)]
    fn axpy_impl<F: Real>(&mut self, alpha: F, scale: Option<F>, x: &mut [F]) {
        self.for_groups(x, |o, z| add_scaled(alpha, scale, z, o));
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn axpy_avx2<F: Real>(&mut self, alpha: F, scale: Option<F>, x: &mut [F]) {
        self.axpy_impl(alpha, scale, x);
    }

    /// [`axpy_impl`](Self::axpy_impl), with AVX2 when the CPU has it (the same bits).
    pub(crate) fn axpy<F: Real>(&mut self, alpha: F, scale: Option<F>, x: &mut [F]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { self.axpy_avx2(alpha, scale, x) };
            return;
        }
        self.axpy_impl(alpha, scale, x);
    }

    /// [`fill`](Self::fill) on the portable path only (for the tests).
    #[cfg(test)]
    fn fill_portable<F: Real>(&mut self, out: &mut [F]) {
        self.fill_impl(out);
    }
}

/// Sequential reader of one normal stream keyed by a word of the optimizer's
/// generator, for callers that draw rows one after another (ReLIZO's samples).
pub(crate) struct NormalStream(Reader);

impl NormalStream {
    /// A stream keyed by one word of `rng`.
    pub(crate) fn new(rng: &mut ZoRng) -> Self {
        NormalStream(Reader::at(rng.next_u64(), 0))
    }

    /// Fills `out` with the next `out.len()` N(0, 1) draws.
    pub(crate) fn fill(&mut self, out: &mut [f64]) {
        self.0.fill(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// |got − want| in ulp of `want` as an `f32` (want computed in f64).
    fn ulp_err(got: f32, want: f64) -> f64 {
        let w = want.abs() as f32;
        let ulp = f64::from(f32::from_bits(w.to_bits() + 1) - w);
        (f64::from(got) - want).abs() / ulp
    }

    /// ln is within 2 ulp of libm's f64 `ln` (itself within 1 ulp of f64) on
    /// every binade the stream uses, and exact at 1.
    #[test]
    fn ln_is_within_2_ulp() {
        let mut rng = ZoRng::seed_from_u64(31);
        let mut worst = 0.0f64;
        assert_eq!(ln_unit(1.0), 0.0);
        for _ in 0..400_000 {
            let e = rng.below(32) as i32;
            let x = ((1.0 + rng.uniform()) * 2f64.powi(-e - 1)) as f32;
            if x >= 1.0 {
                continue;
            }
            worst = worst.max(ulp_err(ln_unit(x), f64::from(x).ln()));
        }
        assert!(worst <= 2.0, "{worst}");
    }

    /// cos and sin are within 2 ulp of libm's f64 values on \[−π/4, π/4\].
    #[test]
    fn cos_sin_are_within_2_ulp() {
        let mut rng = ZoRng::seed_from_u64(32);
        let mut worst = 0.0f64;
        for i in 0..400_000 {
            let t = if i == 0 { -0.5 } else { (rng.uniform() - 0.5) as f32 };
            let phi = t * FRAC_PI_2;
            let (c, s) = cos_sin(phi);
            worst = worst.max(ulp_err(c, f64::from(phi).cos()));
            if phi != 0.0 {
                worst = worst.max(ulp_err(s, f64::from(phi).sin()));
            }
        }
        assert!(worst <= 2.0, "{worst}");
    }

    /// The largest |z| the stream can produce is √(−2 ln 2⁻³²) ≈ 6.66.
    #[test]
    fn extreme_words_give_the_stated_extremes() {
        // a = 0: the smallest x; c = 2²⁹: t = 0 and q = 0, so θ = 0.
        let (c, s) = box_muller(0, 1 << 29);
        assert!(
            (f64::from(c) - (64.0 * std::f64::consts::LN_2).sqrt()).abs() < 1e-5,
            "{c}"
        );
        assert_eq!(s, 0.0);
        assert_eq!(box_muller(u32::MAX, 12345), (0.0, 0.0));
    }

    /// Each value is within 4·10⁻⁷·r of the exact Box–Muller value of its grid
    /// point (computed in f64 with libm), r = √(−2 ln x) ≥ |z|.
    #[test]
    fn values_are_within_their_stated_error_of_exact_box_muller() {
        let mut rng = ZoRng::seed_from_u64(33);
        let mut worst = 0.0f64;
        for i in 0..400_000u64 {
            let w = rng.next_u64();
            let (a, c) = if i == 0 { (0, 0) } else { (w as u32, (w >> 32) as u32) };
            let x = f64::from((((a >> 1) as i32) as f32 + 0.5) * (1.0 / 2_147_483_648.0));
            let r = (-2.0 * x.ln()).sqrt();
            let t = f64::from((c >> 7) & MANTISSA) / f64::from(1u32 << 23) - 0.5;
            let theta = std::f64::consts::FRAC_PI_2 * (f64::from(c >> 30) + t);
            let (zc, zs) = box_muller(a, c);
            if r > 0.0 {
                worst = worst.max((f64::from(zc) - r * theta.cos()).abs() / r);
                worst = worst.max((f64::from(zs) - r * theta.sin()).abs() / r);
            }
        }
        assert!(worst < 4e-7, "{worst}");
    }

    #[test]
    fn avx2_and_portable_paths_give_the_same_bits() {
        for index in [0, 5, 64, 1000] {
            let mut a = vec![0.0f32; 1001];
            let mut b = vec![0.0f32; 1001];
            Reader::at_portable(77, index).fill_portable(&mut a);
            Reader::at(77, index).fill(&mut b);
            assert_eq!(
                a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    /// `axpy` is `fill` into a buffer followed by the update, bit for bit, on
    /// both code paths, from any position and for any length, scaled or not.
    #[test]
    fn axpy_is_fill_then_update_on_both_paths() {
        fn check<F: Real>(alpha: F, scale: Option<F>) {
            for (index, len) in [(0, 1000), (5, 59), (5, 300), (64, 128), (63, 1), (130, 0)] {
                let mut u = vec![F::zero(); len];
                Reader::at(41, index).fill(&mut u);
                let x0: Vec<F> = (0..len).map(|i| F::of_f64(0.25 + i as f64 * 1e-3)).collect();
                let want: Vec<F> = x0
                    .iter()
                    .zip(&u)
                    .map(|(&x, &z)| x + alpha * scale.map_or(z, |s| z * s))
                    .collect();
                let (mut fast, mut portable) = (x0.clone(), x0.clone());
                Reader::at(41, index).axpy(alpha, scale, &mut fast);
                Reader::at_portable(41, index).axpy_impl(alpha, scale, &mut portable);
                assert!(fast == want && portable == want, "{index} {len}");
            }
        }
        check::<f32>(0.3, None);
        check::<f32>(-1.7, Some(0.9));
        check::<f64>(0.3, None);
        check::<f64>(-1.7, Some(1.1));
    }

    #[test]
    fn f64_values_are_the_f32_values_widened() {
        let mut a = vec![0.0f32; 333];
        let mut b = vec![0.0f64; 333];
        Reader::at(5, 3).fill(&mut a);
        Reader::at(5, 3).fill(&mut b);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(f64::from(*x), *y);
        }
    }

    #[test]
    fn any_split_of_the_stream_gives_the_same_values() {
        let mut whole = vec![0.0f64; 700];
        Reader::at(9, 0).fill(&mut whole);
        let mut s = NormalStream(Reader::at(9, 0));
        let mut parts = vec![0.0f64; 700];
        let mut start = 0;
        for len in [1, 2, 3, 16, 17, 63, 65, 128, 500] {
            let end = (start + len).min(700);
            s.fill(&mut parts[start..end]);
            start = end;
        }
        assert_eq!(whole, parts);
        // A reader placed anywhere agrees with the one that got there.
        for at in [1, 63, 64, 65, 300] {
            let mut tail = vec![0.0f64; 700 - at];
            Reader::at(9, at as u64).fill(&mut tail);
            assert_eq!(tail, whole[at..]);
        }
    }
}
