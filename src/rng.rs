//! The crate's random number generator: a named, portable, seeded Xoshiro256++.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_core::{Infallible, TryRng};

/// The random number generator owned by every [`Optimizer`](crate::Optimizer).
///
/// It is Xoshiro256++ (Blackman & Vigna, 2018) as shipped by `rand`, which
/// documents it as a *portable* generator: the same seed gives the same stream on
/// every platform and in every future `rand` release — unlike `StdRng` or
/// `SmallRng`, whose algorithms may change. Seeding from a `u64` expands the
/// seed with PCG32, as `rand_core::SeedableRng::seed_from_u64` specifies.
///
/// No global or thread-local generator is used anywhere in the crate: a run is a
/// pure function of its configuration, its seed and the objective's values.
///
/// Direction samplers that must be regenerated (the memory-light modes) draw a
/// fresh `u64` *sub-seed* from this generator per direction and replay the
/// direction from a generator seeded with it; see
/// [`SeededDirection`](crate::direction::SeededDirection).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoRng {
    inner: Xoshiro256PlusPlus,
}

impl ZoRng {
    /// A generator seeded from a `u64`.
    pub fn seed_from_u64(seed: u64) -> Self {
        Self {
            inner: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        rand_core::Rng::next_u64(&mut self.inner)
    }

    /// A uniform draw from `[0, 1)` with 53 random bits.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` without modulo bias (Lemire's method).
    /// Returns 0 when `n == 0`.
    #[inline]
    pub fn below(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        let n = n as u64;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            let lo = m as u64;
            if lo >= n || lo >= n.wrapping_neg() % n {
                return (m >> 64) as usize;
            }
        }
    }
}

impl TryRng for ZoRng {
    type Error = Infallible;
    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.inner.try_next_u32()
    }
    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.inner.try_next_u64()
    }
    #[inline]
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.inner.try_fill_bytes(dst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let mut a = ZoRng::seed_from_u64(7);
        let mut b = ZoRng::seed_from_u64(7);
        let mut c = ZoRng::seed_from_u64(8);
        let sa: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let sb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let sc: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
    }

    #[test]
    fn portable_stream_is_pinned() {
        // Pin the first outputs: if `rand` ever changed the algorithm or the
        // u64 seed expansion, reproducibility across versions would be broken.
        let mut r = ZoRng::seed_from_u64(0);
        let first = r.next_u64();
        let mut again = ZoRng::seed_from_u64(0);
        assert_eq!(first, again.next_u64());
        assert_eq!(first, PINNED_FIRST_U64_SEED0);
    }

    const PINNED_FIRST_U64_SEED0: u64 = 0x53175d61490b23df;

    #[test]
    fn below_is_in_range_and_roughly_uniform() {
        let mut r = ZoRng::seed_from_u64(3);
        let mut counts = [0usize; 7];
        let n = 70_000;
        for _ in 0..n {
            counts[r.below(7)] += 1;
        }
        // Each count is Binomial(70000, 1/7): mean 10000, sd ≈ 92.6; 6 sd = 556.
        for c in counts {
            assert!((c as i64 - 10_000).abs() < 556, "{counts:?}");
        }
        assert_eq!(r.below(0), 0);
        assert_eq!(r.below(1), 0);
    }

    #[test]
    fn uniform_mean_is_one_half() {
        let mut r = ZoRng::seed_from_u64(11);
        let n = 100_000;
        let mean: f64 = (0..n).map(|_| r.uniform()).sum::<f64>() / n as f64;
        // sd of the mean = sqrt(1/12/n) ≈ 9.1e-4; 5 sd.
        assert!((mean - 0.5).abs() < 4.6e-3, "{mean}");
    }
}
