//! Random directions for two-point estimators, each normalised so that E\[u uᵀ\] = I.
//!
//! | sampler | u = | ‖u‖² | E‖g‖² / ‖∇f‖² (μ → 0, q = 1) | random numbers per direction |
//! |---|---|---|---|---|
//! | [`Direction::Gaussian`] | z ~ N(0, I) | ≈ d (χ²_d) | d + 2 | d normals |
//! | [`Direction::Rademacher`] | uniform on {−1, +1}^d | d exactly | d | d / 64 words |
//! | [`Direction::Sphere`] | uniform on the sphere of radius √d | d exactly | d | d normals, twice |
//! | [`Direction::Coordinate`] | √d·eᵢ, i uniform | d exactly | d | 1 word |
//!
//! Every direction is drawn as a [`SeededDirection`]: one `u64` sub-seed taken
//! from the optimizer's [`ZoRng`], from which the vector is *replayed* on demand.
//! The buffered estimators write it once into memory; the memory-light modes
//! regenerate it for each use (MeZO's trick), and both see the same vector.

use crate::real::Real;
use crate::rng::ZoRng;

/// Values generated per chunk when a direction is streamed. 256 values fill four
/// Rademacher words exactly and keep the chunk in L1 for either precision.
const CHUNK: usize = 256;

/// The distribution of a random direction. Every variant has E\[u uᵀ\] = I, so a
/// two-point estimate (f(x+μu) − f(x))/μ·u is unbiased for ∇f as μ → 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    pub fn cheap_to_replay(self) -> bool {
        matches!(self, Direction::Rademacher | Direction::Coordinate)
    }

    /// All samplers, in the order of the table above.
    pub const ALL: [Direction; 4] = [
        Direction::Gaussian,
        Direction::Rademacher,
        Direction::Sphere,
        Direction::Coordinate,
    ];

    /// Draws one direction of length `out.len()` into `out`, consuming one `u64`
    /// from `rng` (see [`SeededDirection::draw`]).
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
    pub fn kind(&self) -> Direction {
        self.kind
    }

    /// The sub-seed the direction is replayed from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The direction's length d.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when d = 0.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes u into `out` (`out.len()` must be d; extra entries are left alone).
    pub fn write<F: Real>(&self, out: &mut [F]) {
        if self.kind == Direction::Coordinate {
            out.iter_mut().for_each(|v| *v = F::zero());
            if let Some(v) = out.get_mut(self.index) {
                *v = F::of_f64((self.len as f64).sqrt());
            }
            return;
        }
        let out_len = out.len();
        self.for_each_chunk::<F>(|start, c| {
            let end = (start + c.len()).min(out_len);
            if start < end {
                out[start..end].copy_from_slice(&c[..end - start]);
            }
        });
    }

    /// x ← x + α·u, regenerating u chunk by chunk (no d-sized memory).
    pub fn axpy<F: Real>(&self, alpha: F, x: &mut [F]) {
        if self.kind == Direction::Coordinate {
            if let Some(v) = x.get_mut(self.index) {
                *v = *v + alpha * F::of_f64((self.len as f64).sqrt());
            }
            return;
        }
        let x_len = x.len();
        self.for_each_chunk::<F>(|start, c| {
            let end = (start + c.len()).min(x_len);
            if start < end {
                for (xi, &ui) in x[start..end].iter_mut().zip(c) {
                    *xi = *xi + alpha * ui;
                }
            }
        });
    }

    /// uᵀy, regenerating u (no d-sized memory).
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
    pub fn for_each_chunk<F: Real>(&self, mut f: impl FnMut(usize, &[F])) {
        if self.kind == Direction::Coordinate {
            let mut buf = [F::zero(); CHUNK];
            let mut start = 0;
            while start < self.len {
                let n = CHUNK.min(self.len - start);
                if (start..start + n).contains(&self.index) {
                    buf[self.index - start] = F::of_f64((self.len as f64).sqrt());
                    f(start, &buf[..n]);
                    buf[self.index - start] = F::zero();
                } else {
                    f(start, &buf[..n]);
                }
                start += n;
            }
            return;
        }
        let mut rng = ZoRng::seed_from_u64(self.seed);
        let mut buf = [F::zero(); CHUNK];
        let scale = F::of_f64(self.scale);
        let signs: [[F; 4]; 16] = std::array::from_fn(|n| std::array::from_fn(|j| F::signed_one((n >> j) as u64)));
        let mut start = 0;
        while start < self.len {
            let n = CHUNK.min(self.len - start);
            let chunk = &mut buf[..n];
            match self.kind {
                Direction::Rademacher => {
                    // Bit b of each word gives coordinate b's sign; 4 bits at a time
                    // through a 16-entry table (a variable shift per coordinate
                    // does not vectorise).
                    for words in chunk.chunks_mut(64) {
                        let mut w = rng.next_u64();
                        let mut quads = words.chunks_exact_mut(4);
                        for quad in &mut quads {
                            let t = &signs[(w & 15) as usize];
                            quad[0] = t[0];
                            quad[1] = t[1];
                            quad[2] = t[2];
                            quad[3] = t[3];
                            w >>= 4;
                        }
                        let t = &signs[(w & 15) as usize];
                        for (v, &s) in quads.into_remainder().iter_mut().zip(t) {
                            *v = s;
                        }
                    }
                }
                Direction::Gaussian => chunk.iter_mut().for_each(|v| *v = F::standard_normal(&mut rng)),
                Direction::Sphere => chunk.iter_mut().for_each(|v| *v = F::standard_normal(&mut rng) * scale),
                Direction::Coordinate => {}
            }
            f(start, chunk);
            start += n;
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
