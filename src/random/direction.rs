//! Random directions for two-point estimators, each normalised so that E\[u uᵀ\] = I.
//!
//! | sampler | u = | ‖u‖² | E‖g‖² / ‖∇f‖² (μ → 0, q = 1) | random bits per coordinate |
//! |---|---|---|---|---|
//! | [`Direction::Gaussian`] | z ~ N(0, I) | ≈ d (χ²_d) | d + 2 | 32 |
//! | [`Direction::Rademacher`] | uniform on {−1, +1}^d | d exactly | d | 1 |
//! | [`Direction::Sphere`] | uniform on the sphere of radius √d | d exactly | d | 32, twice |
//! | [`Direction::Coordinate`] | √d·eᵢ, i uniform | d exactly | d | 64 per direction |
//!
//! Every direction is drawn as a [`SeededDirection`]: one `u64` sub-seed taken
//! from the optimizer's [`ZoRng`], from which the vector is *replayed* on demand.
//! The buffered estimators write it once into memory; the memory-light modes
//! regenerate it for each use (MeZO's trick), and both see the same vector.
//!
//! # The streams
//! Coordinate i of a direction is a pure function of (sub-seed, i): the streams
//! are read from the counter-based generator ChaCha8 (Bernstein 2008, 8 rounds)
//! keyed by the sub-seed — key = its 8 little-endian bytes followed by 24 zero
//! bytes, 64-bit stream id 0 for normals and 1 for signs, words read as 32-bit
//! little-endian from position 0 — so any range of coordinates can be generated
//! on its own — out of order, on several threads
//! ([`SeededDirection::write_range`], [`SeededDirection::axpy_range`]) or on
//! another machine — with the same bits as a sequential replay.
//!
//! * **Gaussian**: coordinate i comes from word i and a partner of the normal
//!   stream: in each group of 64 words, (64g + b, 64g + 16 + b) and
//!   (64g + 32 + b, 64g + 48 + b) for b < 16 are Box–Muller pairs, giving
//!   (r cos θ, r sin θ) at their two positions. The transform runs in `f32`
//!   arithmetic on portable polynomials (ln, cos, sin within 2 ulp), so the
//!   values are the same bits on every IEEE 754 platform and CPU feature level,
//!   and an `f64` direction is the `f32` one widened. Departures from N(0, 1): no
//!   value beyond |z| = 6.66 (missing mass 2.7·10⁻¹¹) and an `f32` rounding error
//!   per value (below 4·10⁻⁷ of its pair's radius).
//! * **Sphere**: the Gaussian coordinates times √d/‖z‖ (‖z‖ computed in `f64` at
//!   draw time), rounded to the working precision.
//! * **Rademacher**: coordinate i is −1 when bit i mod 32 of word ⌊i/32⌋ of the
//!   sign stream is set, +1 otherwise.
//! * **Coordinate**: i = `ZoRng::seed_from_u64(sub-seed).below(d)`.
//!
//! ChaCha (Bernstein 2008) is a stream cipher built as a keyed function of a
//! block counter; the best published attacks reach 7 of its rounds, and 8 rounds
//! is the reduced-round variant recommended for speed (Aumasson, "Too Much
//! Crypto", 2019) and used by `rand_chacha`'s `ChaCha8Rng`. It was chosen over a
//! hand-written Philox4x32-10 (Salmon et al., SC 2011; cuRAND's generator) by
//! measurement: on AVX2 the two produce words at about the same speed. The
//! words come from the `chacha20` crate's generator, or, on x86-64 CPUs with
//! AVX2, from an eight-block kernel of the crate's own that computes the same
//! keystream about 1.25× faster (tested word for word against the crate;
//! figures in BENCHMARKS.md).
//! Box–Muller (1958) is exact for independent uniforms, so the quality of the
//! normals is that of the generator, up to the departures above. The tests pin
//! the first values of every sampler, so a change to any stream is a deliberate
//! one.

use super::rng::ZoRng;
use super::{normal, signs};
use crate::real::Real;

#[cfg(feature = "rayon")]
mod parallel;

/// Values generated per chunk when a direction is streamed. 256 values fill four
/// Rademacher words exactly and keep the chunk in L1 for either precision.
const CHUNK: usize = 256;

/// The distribution of a random direction. Every variant has E\[u uᵀ\] = I, so a
/// two-point estimate (f(x+μu) − f(x))/μ·u is unbiased for ∇f as μ → 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
///
/// ```
/// use zoptim::Direction;
///
/// assert_eq!(Direction::default(), Direction::Gaussian);
/// assert_eq!(Direction::ALL.len(), 4);
/// assert!(Direction::ALL.contains(&Direction::Sphere));
/// ```
pub enum Direction {
    /// Standard normal N(0, I). E‖u‖⁴ = d(d+2), so the estimate's second moment is
    /// (d+2)‖∇f‖², a factor (d+2)/d above the minimum-variance samplers.
    #[default]
    Gaussian,
    /// Independent ±1 signs with probability ½ each (SPSA's Bernoulli perturbation).
    /// The cheapest to draw: one 64-bit word gives 64 coordinates.
    Rademacher,
    /// Uniform on the sphere of radius √d: a normal vector rescaled to length √d.
    Sphere,
    /// √d·eᵢ with i uniform on 0..d: a random coordinate, scaled to be unbiased.
    Coordinate,
}

impl Direction {
    /// A short lower-case name for tables: `gaussian`, `rademacher`, `sphere`, `coordinate`.
    ///
    /// ```
    /// use zoptim::Direction;
    ///
    /// assert_eq!(Direction::Rademacher.name(), "rademacher");
    /// let names: Vec<_> = Direction::ALL.iter().map(|d| d.name()).collect();
    /// assert_eq!(names, ["gaussian", "rademacher", "sphere", "coordinate"]);
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Direction::Gaussian => "gaussian",
            Direction::Rademacher => "rademacher",
            Direction::Sphere => "sphere",
            Direction::Coordinate => "coordinate",
        }
    }

    /// True for samplers whose replay costs about as much as reading a stored
    /// vector (Rademacher: one word per 64 coordinates; coordinate: O(1)), so
    /// buffered estimators replay them rather than store them.
    ///
    /// ```
    /// use zoptim::Direction;
    ///
    /// assert!(Direction::Rademacher.cheap_to_replay());
    /// assert!(!Direction::Gaussian.cheap_to_replay());
    /// ```
    pub fn cheap_to_replay(self) -> bool {
        matches!(self, Direction::Rademacher | Direction::Coordinate)
    }

    /// All samplers, in the order of the table above.
    ///
    /// ```
    /// use zoptim::Direction;
    ///
    /// assert_eq!(Direction::ALL[0], Direction::default());
    /// assert!(Direction::ALL.iter().all(|d| !d.name().is_empty()));
    /// ```
    pub const ALL: [Direction; 4] = [
        Direction::Gaussian,
        Direction::Rademacher,
        Direction::Sphere,
        Direction::Coordinate,
    ];

    /// Draws one direction of length `out.len()` into `out`, consuming one `u64`
    /// from `rng` (see [`SeededDirection::draw`]).
    ///
    /// ```
    /// use zoptim::{Direction, ZoRng};
    ///
    /// let mut rng = ZoRng::seed_from_u64(1);
    /// let mut u = [0.0_f64; 8];
    /// let dir = Direction::Rademacher.sample(&mut rng, &mut u);
    /// assert!(u.iter().all(|&v| v == 1.0 || v == -1.0));
    /// let mut again = [0.0_f64; 8];
    /// dir.write(&mut again);
    /// assert_eq!(u, again);
    /// ```
    pub fn sample<F: Real>(self, rng: &mut ZoRng, out: &mut [F]) -> SeededDirection {
        let dir = SeededDirection::draw(self, rng, out.len());
        dir.write(out);
        dir
    }
}

/// One random direction, stored as its sub-seed and replayed on demand.
///
/// Drawing costs one `u64` from the parent generator (plus, for
/// [`Direction::Sphere`], one pass that computes the normalising length). Every
/// replay produces bit-identical values, so a perturbation can be applied,
/// undone and used for the update without ever storing the d-vector.
#[derive(Clone, Copy, Debug, PartialEq)]
///
/// ```
/// use zoptim::{Direction, SeededDirection, ZoRng};
///
/// let mut rng = ZoRng::seed_from_u64(2);
/// let dir = SeededDirection::draw(Direction::Gaussian, &mut rng, 5);
/// let (mut a, mut b) = ([0.0_f64; 5], [0.0_f64; 5]);
/// dir.write(&mut a);
/// dir.write(&mut b);
/// assert_eq!(a, b); // every replay gives the same bits
/// ```
pub struct SeededDirection {
    kind: Direction,
    seed: u64,
    len: usize,
    /// Multiplies the raw normals (Sphere: √d/‖z‖); 1 otherwise.
    scale: f64,
    /// The coordinate of a [`Direction::Coordinate`] draw.
    index: usize,
}

impl SeededDirection {
    /// Draws a direction of length `len` from `kind`, taking one `u64` sub-seed from `rng`.
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let mut rng = ZoRng::seed_from_u64(3);
    /// let dir = SeededDirection::draw(Direction::Sphere, &mut rng, 100);
    /// let mut u = [0.0_f64; 100];
    /// dir.write(&mut u);
    /// let norm = u.iter().map(|v| v * v).sum::<f64>().sqrt();
    /// assert!((norm - 10.0).abs() < 1e-9); // radius √d
    /// ```
    pub fn draw(kind: Direction, rng: &mut ZoRng, len: usize) -> Self {
        let seed = rng.next_u64();
        let mut dir = SeededDirection {
            kind,
            seed,
            len,
            scale: 1.0,
            index: 0,
        };
        match kind {
            Direction::Sphere => {
                let mut sq = 0.0f64;
                dir.for_each_chunk::<f64>(|_, c| sq += c.iter().map(|v| v * v).sum::<f64>());
                dir.scale = if sq > 0.0 { (len as f64 / sq).sqrt() } else { 1.0 };
            }
            Direction::Coordinate => {
                dir.index = ZoRng::seed_from_u64(seed).below(len);
            }
            Direction::Gaussian | Direction::Rademacher => {}
        }
        dir
    }

    /// The sampler this direction came from.
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let dir = SeededDirection::draw(Direction::Coordinate, &mut ZoRng::seed_from_u64(1), 4);
    /// assert_eq!(dir.kind(), Direction::Coordinate);
    /// ```
    pub fn kind(&self) -> Direction {
        self.kind
    }

    /// The sub-seed the direction is replayed from.
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let mut rng = ZoRng::seed_from_u64(9);
    /// let dir = SeededDirection::draw(Direction::Gaussian, &mut rng, 4);
    /// assert_eq!(dir.seed(), ZoRng::seed_from_u64(9).next_u64());
    /// ```
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The direction's length d.
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let dir = SeededDirection::draw(Direction::Gaussian, &mut ZoRng::seed_from_u64(1), 6);
    /// assert_eq!(dir.len(), 6);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when d = 0.
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let mut rng = ZoRng::seed_from_u64(1);
    /// assert!(SeededDirection::draw(Direction::Gaussian, &mut rng, 0).is_empty());
    /// assert!(!SeededDirection::draw(Direction::Gaussian, &mut rng, 1).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes u into `out` (`out.len()` must be d; extra entries are left alone).
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let dir = SeededDirection::draw(Direction::Coordinate, &mut ZoRng::seed_from_u64(4), 4);
    /// let mut u = [0.0_f64; 4];
    /// dir.write(&mut u);
    /// assert_eq!(u.iter().filter(|&&v| v == 2.0).count(), 1); // √d·eᵢ with d = 4
    /// assert_eq!(u.iter().filter(|&&v| v == 0.0).count(), 3);
    /// ```
    pub fn write<F: Real>(&self, out: &mut [F]) {
        let n = out.len().min(self.len);
        self.write_range(0, &mut out[..n]);
    }

    /// Writes the coordinates u\[start\], …, u\[start + out.len() − 1\] into `out`.
    ///
    /// Every coordinate is a pure function of the sub-seed and its index (see the
    /// [module docs](self)), so any range can be generated on its own — out of
    /// order, on another thread or on another machine — with the same bits as
    /// [`write`](Self::write) gives for it. Costs O(`out.len()`), whatever `start`.
    ///
    /// # Panics
    /// If `start + out.len()` exceeds d.
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let dir = SeededDirection::draw(Direction::Gaussian, &mut ZoRng::seed_from_u64(5), 1000);
    /// let mut all = vec![0.0_f32; 1000];
    /// dir.write(&mut all);
    /// let mut part = [0.0_f32; 10];
    /// dir.write_range(500, &mut part);
    /// assert_eq!(part[..], all[500..510]);
    /// ```
    pub fn write_range<F: Real>(&self, start: usize, out: &mut [F]) {
        self.check_range(start, out.len());
        self.cursor(start).fill(out);
    }

    fn check_range(&self, start: usize, len: usize) {
        assert!(
            start.checked_add(len).is_some_and(|end| end <= self.len),
            "range {start}..{start}+{len} outside a direction of length {}",
            self.len
        );
    }

    /// A reader of u positioned at coordinate `start`.
    fn cursor(&self, start: usize) -> Cursor {
        match self.kind {
            Direction::Gaussian => Cursor::Normal(normal::Reader::at(self.seed, start as u64), 1.0),
            Direction::Sphere => Cursor::Normal(normal::Reader::at(self.seed, start as u64), self.scale),
            Direction::Rademacher => Cursor::Signs(signs::Reader::at(self.seed, start as u64)),
            Direction::Coordinate => Cursor::Coordinate(start, self.index, (self.len as f64).sqrt()),
        }
    }

    /// [`axpy`](Self::axpy), on rayon's pool when the crate's `rayon` feature is
    /// on and x is long enough to pay for it (≥ 2¹⁶ coordinates); the same bits
    /// either way.
    pub(crate) fn axpy_auto<F: Real>(&self, alpha: F, x: &mut [F]) {
        #[cfg(feature = "rayon")]
        if x.len() >= PAR_MIN {
            self.par_axpy(alpha, x);
            return;
        }
        self.axpy(alpha, x);
    }

    /// x ← x + α·u, regenerating u chunk by chunk (no d-sized memory).
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let dir = SeededDirection::draw(Direction::Rademacher, &mut ZoRng::seed_from_u64(6), 3);
    /// let (mut u, mut x) = ([0.0_f64; 3], [1.0_f64; 3]);
    /// dir.write(&mut u);
    /// dir.axpy(0.5, &mut x);
    /// assert_eq!(x, [1.0 + 0.5 * u[0], 1.0 + 0.5 * u[1], 1.0 + 0.5 * u[2]]);
    /// ```
    pub fn axpy<F: Real>(&self, alpha: F, x: &mut [F]) {
        let n = x.len().min(self.len);
        self.axpy_range(alpha, 0, &mut x[..n]);
    }

    /// x\[i\] ← x\[i\] + α·u\[start + i\] for every i: [`axpy`](Self::axpy) on the
    /// slice of u that starts at `start`, with the same bits.
    ///
    /// # Panics
    /// If `start + x.len()` exceeds d.
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let dir = SeededDirection::draw(Direction::Gaussian, &mut ZoRng::seed_from_u64(7), 6);
    /// let (mut whole, mut halves) = ([0.0_f64; 6], [0.0_f64; 6]);
    /// dir.axpy(2.0, &mut whole);
    /// let (lo, hi) = halves.split_at_mut(3);
    /// dir.axpy_range(2.0, 0, lo);
    /// dir.axpy_range(2.0, 3, hi);
    /// assert_eq!(whole, halves);
    /// ```
    pub fn axpy_range<F: Real>(&self, alpha: F, start: usize, x: &mut [F]) {
        self.check_range(start, x.len());
        if self.kind == Direction::Coordinate {
            if let Some(v) = self.index.checked_sub(start).and_then(|i| x.get_mut(i)) {
                *v = *v + alpha * F::of_f64((self.len as f64).sqrt());
            }
            return;
        }
        let mut cursor = self.cursor(start);
        if let Cursor::Normal(reader, scale) = &mut cursor {
            let scale = (*scale != 1.0).then(|| F::of_f64(*scale));
            reader.axpy(alpha, scale, x);
            return;
        }
        let mut buf = [F::zero(); CHUNK];
        for xs in x.chunks_mut(CHUNK) {
            let u = &mut buf[..xs.len()];
            cursor.fill(u);
            for (xi, &ui) in xs.iter_mut().zip(u.iter()) {
                *xi = *xi + alpha * ui;
            }
        }
    }

    /// uᵀy, regenerating u (no d-sized memory).
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let dir = SeededDirection::draw(Direction::Rademacher, &mut ZoRng::seed_from_u64(8), 4);
    /// let mut u = [0.0_f64; 4];
    /// dir.write(&mut u);
    /// let y = [1.0, 2.0, 3.0, 4.0];
    /// assert_eq!(dir.dot(&y), u.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>());
    /// ```
    pub fn dot<F: Real>(&self, y: &[F]) -> F {
        if self.kind == Direction::Coordinate {
            return y
                .get(self.index)
                .map_or(F::zero(), |&v| v * F::of_f64((self.len as f64).sqrt()));
        }
        let mut acc = F::zero();
        self.for_each_chunk::<F>(|start, c| {
            let end = (start + c.len()).min(y.len());
            if start < end {
                acc = acc + c.iter().zip(&y[start..end]).map(|(&a, &b)| a * b).sum::<F>();
            }
        });
        acc
    }

    /// Calls `f(offset, chunk)` over consecutive chunks of u (at most 256 values
    /// each, in order), so u can be consumed without being stored.
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let dir = SeededDirection::draw(Direction::Gaussian, &mut ZoRng::seed_from_u64(9), 600);
    /// let mut streamed = Vec::new();
    /// dir.for_each_chunk::<f64>(|offset, c| {
    ///     assert_eq!(offset, streamed.len());
    ///     streamed.extend_from_slice(c);
    /// });
    /// let mut u = vec![0.0_f64; 600];
    /// dir.write(&mut u);
    /// assert_eq!(streamed, u);
    /// ```
    pub fn for_each_chunk<F: Real>(&self, mut f: impl FnMut(usize, &[F])) {
        let mut cursor = self.cursor(0);
        let mut buf = [F::zero(); CHUNK];
        for r in crate::linalg::chunks(self.len, CHUNK) {
            let chunk = &mut buf[..r.len()];
            cursor.fill(chunk);
            f(r.start, chunk);
        }
    }
}

/// The length from which [`SeededDirection::axpy_auto`] spreads a pass over
/// the rayon pool.
#[cfg(feature = "rayon")]
const PAR_MIN: usize = 1 << 16;

/// A positioned reader of one direction's coordinates.
// One per pass, on the stack: boxing the large variant would allocate in hot loops.
#[allow(clippy::large_enum_variant)]
enum Cursor {
    Normal(normal::Reader, f64),
    Signs(signs::Reader),
    /// The coordinate direction: next position, index, value √d.
    Coordinate(usize, usize, f64),
}

impl Cursor {
    #[inline]
    fn fill<F: Real>(&mut self, out: &mut [F]) {
        match self {
            Cursor::Normal(r, scale) => {
                r.fill(out);
                if *scale != 1.0 {
                    let scale = F::of_f64(*scale);
                    out.iter_mut().for_each(|v| *v = *v * scale);
                }
            }
            Cursor::Signs(r) => r.fill(out),
            Cursor::Coordinate(pos, index, value) => {
                out.iter_mut().for_each(|v| *v = F::zero());
                if let Some(v) = index.checked_sub(*pos).and_then(|i| out.get_mut(i)) {
                    *v = F::of_f64(*value);
                }
                *pos += out.len();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_is_bit_identical_and_axpy_matches_write() {
        for kind in Direction::ALL {
            let mut rng = ZoRng::seed_from_u64(5);
            let d = 1000;
            let mut u = vec![0.0f64; d];
            let dir = kind.sample(&mut rng, &mut u);
            let mut u2 = vec![0.0f64; d];
            dir.write(&mut u2);
            assert_eq!(u, u2, "{kind:?}");
            let mut x = vec![1.0f64; d];
            dir.axpy(0.5, &mut x);
            for (xi, ui) in x.iter().zip(&u) {
                assert_eq!(*xi, 1.0 + 0.5 * ui);
            }
            let dot = dir.dot(&vec![1.0; d]);
            let sum: f64 = u.iter().sum();
            assert!((dot - sum).abs() < 1e-9 * (1.0 + sum.abs()));
        }
    }

    #[test]
    fn fixed_length_samplers_have_norm_sqrt_d() {
        for kind in [Direction::Rademacher, Direction::Sphere, Direction::Coordinate] {
            let mut rng = ZoRng::seed_from_u64(9);
            for d in [1, 7, 64, 300, 1025] {
                let mut u = vec![0.0f64; d];
                kind.sample(&mut rng, &mut u);
                let n2: f64 = u.iter().map(|v| v * v).sum();
                assert!((n2 - d as f64).abs() < 1e-10 * d as f64, "{kind:?} d={d} {n2}");
            }
        }
    }

    /// E\[u uᵀ\] = I, checked entry-wise on d = 4 with 200k draws: each entry of the
    /// sample mean has standard deviation at most sqrt(Var(uᵢuⱼ)/n) ≤ sqrt(3/n)
    /// ≈ 3.9e-3 (Gaussian diagonal; Var(uᵢ²) = 2; coordinate diagonal Var = d−1 = 3), so a 6-sd
    /// tolerance of 0.024 holds.
    #[test]
    fn second_moment_is_identity() {
        let d = 4;
        let n = 200_000;
        for kind in Direction::ALL {
            let mut rng = ZoRng::seed_from_u64(21);
            let mut m = [[0.0f64; 4]; 4];
            let mut u = vec![0.0f64; d];
            for _ in 0..n {
                kind.sample(&mut rng, &mut u);
                for i in 0..d {
                    for j in 0..d {
                        m[i][j] += u[i] * u[j];
                    }
                }
            }
            for (i, row) in m.iter().enumerate() {
                for (j, v) in row.iter().enumerate() {
                    let want = if i == j { 1.0 } else { 0.0 };
                    let got = v / n as f64;
                    assert!((got - want).abs() < 0.024, "{kind:?} [{i}][{j}] = {got}");
                }
            }
        }
    }

    #[test]
    fn f32_and_f64_replays_agree_in_sign_pattern() {
        let mut rng = ZoRng::seed_from_u64(1);
        let dir = SeededDirection::draw(Direction::Rademacher, &mut rng, 200);
        let mut a = vec![0.0f32; 200];
        let mut b = vec![0.0f64; 200];
        dir.write(&mut a);
        dir.write(&mut b);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(f64::from(*x), *y);
        }
    }
}
