//! The crate's random number generator, a named, portable, seeded Xoshiro256++
//! ([`ZoRng`]), and the ChaCha8 streams that directions are replayed from.

use chacha20::ChaCha8Rng;
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
/// Direction samplers draw a fresh `u64` *sub-seed* from this generator per
/// direction and replay the direction from the counter-based ChaCha8 stream
/// keyed by it, so that any part of a direction can be regenerated on its own;
/// see [`SeededDirection`](crate::random::direction::SeededDirection).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
///
/// ```
/// use zoptim::ZoRng;
///
/// let mut a = ZoRng::seed_from_u64(7);
/// let mut b = ZoRng::seed_from_u64(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert_eq!(a, b);
/// ```
pub struct ZoRng {
    inner: Xoshiro256PlusPlus,
}

impl ZoRng {
    /// A generator seeded from a `u64`.
    ///
    /// ```
    /// use zoptim::ZoRng;
    ///
    /// let first = ZoRng::seed_from_u64(1).next_u64();
    /// assert_eq!(first, ZoRng::seed_from_u64(1).next_u64());
    /// assert_ne!(first, ZoRng::seed_from_u64(2).next_u64());
    /// ```
    pub fn seed_from_u64(seed: u64) -> Self {
        Self {
            inner: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }

    /// The next 64 random bits.
    #[inline]
    ///
    /// ```
    /// use zoptim::ZoRng;
    ///
    /// let mut rng = ZoRng::seed_from_u64(3);
    /// let (x, y) = (rng.next_u64(), rng.next_u64());
    /// assert_ne!(x, y);
    /// ```
    pub fn next_u64(&mut self) -> u64 {
        rand_core::Rng::next_u64(&mut self.inner)
    }

    /// A uniform draw from `[0, 1)` with 53 random bits.
    #[inline]
    ///
    /// ```
    /// use zoptim::ZoRng;
    ///
    /// let mut rng = ZoRng::seed_from_u64(4);
    /// let draws: Vec<f64> = (0..1000).map(|_| rng.uniform()).collect();
    /// assert!(draws.iter().all(|&u| (0.0..1.0).contains(&u)));
    /// let mean = draws.iter().sum::<f64>() / 1000.0;
    /// assert!((mean - 0.5).abs() < 0.05);
    /// ```
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` without modulo bias (Lemire's method).
    /// Returns 0 when `n == 0`.
    #[inline]
    ///
    /// ```
    /// use zoptim::ZoRng;
    ///
    /// let mut rng = ZoRng::seed_from_u64(5);
    /// let mut seen = [false; 6];
    /// for _ in 0..200 {
    ///     seen[rng.below(6)] = true;
    /// }
    /// assert!(seen.iter().all(|&s| s));
    /// assert_eq!(rng.below(0), 0);
    /// ```
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

/// The ChaCha8 stream of a direction's sub-seed: the key is the seed's eight
/// little-endian bytes followed by 24 zero bytes, the 64-bit stream id (nonce)
/// is `tag`, and the stream's 32-bit words are read from word 0 (ChaCha block
/// counter 0). See [`SeededDirection`](crate::random::direction::SeededDirection) for
/// how the directions read it.
pub(crate) fn chacha_stream(seed: u64, tag: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(tag);
    rng
}

/// The next `out.len()` (at most 64) 32-bit words of a ChaCha stream, in order.
#[inline]
pub(crate) fn chacha_words(rng: &mut ChaCha8Rng, out: &mut [u32]) {
    let mut bytes = [0u8; 256];
    let bytes = &mut bytes[..4 * out.len()];
    rand_core::Rng::fill_bytes(rng, bytes);
    for (w, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
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

    /// The direction streams are plain ChaCha8: the stream of seed 0, tag 0 (zero
    /// key, zero nonce) is test case TC1 of draft-strombergson-chacha-test-vectors
    /// (8 rounds, 256-bit key), read as little-endian words, and a seek lands on
    /// the same words.
    #[test]
    fn chacha_streams_are_the_specified_keystream() {
        let tc1: [u8; 64] = [
            0x3e, 0x00, 0xef, 0x2f, 0x89, 0x5f, 0x40, 0xd6, 0x7f, 0x5b, 0xb8, 0xe8, 0x1f, 0x09, 0xa5, 0xa1, 0x2c, 0x84,
            0x0e, 0xc3, 0xce, 0x9a, 0x7f, 0x3b, 0x18, 0x1b, 0xe1, 0x88, 0xef, 0x71, 0x1a, 0x1e, 0x98, 0x4c, 0xe1, 0x72,
            0xb9, 0x21, 0x6f, 0x41, 0x9f, 0x44, 0x53, 0x67, 0x45, 0x6d, 0x56, 0x19, 0x31, 0x4a, 0x42, 0xa3, 0xda, 0x86,
            0xb0, 0x01, 0x38, 0x7b, 0xfd, 0xb8, 0x0e, 0x0c, 0xfe, 0x42,
        ];
        let mut w = [0u32; 16];
        chacha_words(&mut chacha_stream(0, 0), &mut w);
        for (k, b) in tc1.chunks_exact(4).enumerate() {
            assert_eq!(w[k], u32::from_le_bytes([b[0], b[1], b[2], b[3]]), "word {k}");
        }
        let mut seq = [0u32; 64];
        let mut r = chacha_stream(99, 1);
        chacha_words(&mut r, &mut seq);
        let mut r = chacha_stream(99, 1);
        r.set_word_pos(37);
        let mut tail = [0u32; 27];
        chacha_words(&mut r, &mut tail);
        assert_eq!(tail, seq[37..]);
    }

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
