//! The Rademacher stream: value i is −1 when bit i mod 32 of word ⌊i/32⌋ of the
//! ChaCha8 stream (stream id [`TAG_SIGNS`], keyed by the sub-seed) is set, +1
//! otherwise.
use super::keystream::Keystream;
use crate::real::Real;

/// Stream id of the sign stream (the normal stream uses 0).
pub(crate) const TAG_SIGNS: u64 = 1;

/// Words generated at a time: 2048 signs.
const WORDS: usize = 64;

/// A reader of the sign stream positioned anywhere (see `normal::Reader`).
pub(crate) struct Reader {
    rng: Keystream,
    /// The current word, bits `bit..` not yet handed out.
    word: u32,
    bit: usize,
}

impl Reader {
    /// The sign stream of `seed`, positioned at sign `index`.
    pub(crate) fn at(seed: u64, index: u64) -> Self {
        let rng = Keystream::at(seed, TAG_SIGNS, index / 32);
        let mut r = Reader { rng, word: 0, bit: 32 };
        if !index.is_multiple_of(32) {
            let mut w = [0u32; 1];
            r.rng.fill(&mut w);
            r.word = w[0];
            r.bit = (index % 32) as usize;
        }
        r
    }

    #[inline(always)]
    fn fill_impl<F: Real>(&mut self, out: &mut [F]) {
        let mut out = out;
        if self.bit < 32 {
            let len = out.len().min(32 - self.bit);
            for (k, v) in out[..len].iter_mut().enumerate() {
                *v = F::signed_one(u64::from(self.word >> (self.bit + k)));
            }
            self.bit += len;
            out = &mut out[len..];
        }
        // Bit k of a word is the sign of its coordinate k.
        let mut words = [0u32; WORDS];
        let whole = out.len() / 32 * 32;
        let (full, rest) = out.split_at_mut(whole);
        for block in full.chunks_mut(32 * WORDS) {
            let w = &mut words[..block.len() / 32];
            self.rng.fill(w);
            for (o, &word) in block.chunks_exact_mut(32).zip(w.iter()) {
                for (k, v) in o.iter_mut().enumerate() {
                    *v = F::signed_one(u64::from(word >> k));
                }
            }
        }
        if !rest.is_empty() {
            self.rng.fill(&mut words[..1]);
            self.word = words[0];
            for (k, v) in rest.iter_mut().enumerate() {
                *v = F::signed_one(u64::from(self.word >> k));
            }
            self.bit = rest.len();
        }
    }

    fill_with_runtime_avx2!("signs");
}
