//! The crate's random number generators: a named, portable, seeded Xoshiro256++
//! ([`ZoRng`]) for the optimizer, and the counter-based Philox4x32-10 ([`Philox`])
//! that directions are replayed from.

pub(crate) mod philox;

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
/// direction and replay the direction from the counter-based [`Philox`] stream
/// keyed by it, so that any part of a direction can be regenerated on its own;
/// see [`SeededDirection`](crate::direction::SeededDirection).
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

/// Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy
/// as 1, 2, 3", SC 2011) read as a sequential stream of 32-bit words: the
/// generator that [`SeededDirection`](crate::direction::SeededDirection)s are
/// replayed from.
///
/// Philox is *counter-based*: block n of the stream is a keyed bijection of the
/// counter n, so any block is computed directly, without the ones before it
/// ([`seek`](Self::seek) is O(1)). Philox4x32-10 passes the BigCrush battery of
/// TestU01 with any key and counter pattern (Salmon et al., table 2); it is the
/// default generator of cuRAND and of PyTorch's CUDA and XLA back ends, and is
/// portable by definition: the stream is a pure function of the key.
///
/// Block n has counter words (n mod 2³², ⌊n/2³²⌋, `tag`, 0) and key words
/// (key mod 2³², ⌊key/2³²⌋); its four output words are read in order. The
/// directions use tag 0 (Gaussian and sphere) and tag 1 (Rademacher), keyed by
/// their sub-seed. This type is public so that the direction streams can be
/// reproduced elsewhere and `rand_distr` samplers driven by the same bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Philox {
    key: [u32; 2],
    tag: u32,
    /// The block `buf` holds.
    block: u64,
    buf: [u32; 4],
    /// Next word of `buf` to hand out (4: `buf` used up, compute block + 1).
    pos: usize,
}

impl Philox {
    /// The stream of `key` with counter word 2 equal to `tag`, positioned at word 0.
    pub fn new(key: u64, tag: u32) -> Self {
        let key = philox::key_of(key);
        Philox {
            key,
            tag,
            block: 0,
            buf: philox::block([0, 0, tag, 0], key),
            pos: 0,
        }
    }

    /// Block `n` of the stream: four 32-bit words, independent of the position.
    pub fn block(&self, n: u64) -> [u32; 4] {
        philox::block([n as u32, (n >> 32) as u32, self.tag, 0], self.key)
    }

    /// Moves to 32-bit word `word` of the stream (word 4n + k is word k of block n).
    pub fn seek(&mut self, word: u64) {
        self.block = word / 4;
        self.buf = self.block(self.block);
        self.pos = (word % 4) as usize;
    }

    #[inline]
    fn next_word(&mut self) -> u32 {
        if self.pos == 4 {
            self.block = self.block.wrapping_add(1);
            self.buf = self.block(self.block);
            self.pos = 0;
        }
        let w = self.buf[self.pos];
        self.pos += 1;
        w
    }
}

impl TryRng for Philox {
    type Error = Infallible;
    #[inline]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.next_word())
    }
    /// Two words, the first in the low half.
    #[inline]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let lo = self.next_word();
        Ok(u64::from(lo) | (u64::from(self.next_word()) << 32))
    }
    /// Words in order, little-endian; whole batches of blocks at a time (the
    /// vectorised path of the direction streams) once the position is block-aligned.
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        let mut dst = dst;
        while self.pos != 4 && !dst.is_empty() {
            let n = dst.len().min(4);
            dst[..n].copy_from_slice(&self.next_word().to_le_bytes()[..n]);
            dst = &mut dst[n..];
        }
        const BYTES: usize = 16 * philox::BATCH;
        let mut whole = dst.chunks_exact_mut(BYTES);
        for out in &mut whole {
            let w = philox::blocks_any(self.key, self.block.wrapping_add(1), self.tag);
            for (b, o) in out.chunks_exact_mut(16).enumerate() {
                for (k, ob) in o.chunks_exact_mut(4).enumerate() {
                    ob.copy_from_slice(&w[k][b].to_le_bytes());
                }
            }
            self.block = self.block.wrapping_add(philox::BATCH as u64);
        }
        // Keep `buf` consistent with `block` (the last block handed out whole).
        self.buf = self.block(self.block);
        for o in whole.into_remainder().chunks_mut(4) {
            let n = o.len();
            o.copy_from_slice(&self.next_word().to_le_bytes()[..n]);
        }
        Ok(())
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
    fn philox_reads_blocks_in_order_whatever_the_access() {
        let mut seq = Philox::new(0xfeed, 3);
        let words: Vec<u32> = (0..600).map(|_| seq.next_word()).collect();
        for (i, &w) in words.iter().enumerate() {
            assert_eq!(w, seq.block(i as u64 / 4)[i % 4]);
        }
        let mut p = Philox::new(0xfeed, 3);
        p.seek(37);
        assert_eq!(
            p.try_next_u64().unwrap(),
            u64::from(words[37]) | u64::from(words[38]) << 32
        );
        // fill_bytes across the unaligned head, whole batches and a tail.
        let mut bytes = vec![0u8; 4 * 540 + 3];
        p.try_fill_bytes(&mut bytes).unwrap();
        for (k, b) in bytes.chunks(4).enumerate() {
            let w = words[39 + k].to_le_bytes();
            assert_eq!(b, &w[..b.len()], "word {k}");
        }
        assert_eq!(p.next_word(), words[39 + 541]);
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
