//! Philox4x32-10 (Salmon et al., SC 2011), kept only to measure it against
//! ChaCha8 as the source of the direction streams' words. The library used this
//! implementation while the generator was chosen; ChaCha8 from the `chacha20`
//! crate produced words at the same speed on AVX2, so the library uses the crate.
//! Checked against Random123's known-answer vectors when the benchmark starts.

/// Multipliers and Weyl key increments of Philox4x32 (Salmon et al. 2011, table 2).
const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Blocks generated together by [`blocks`]: four AVX2 registers of four 64-bit
/// lanes per word, enough independent multiplications to hide their latency.
pub const BATCH: usize = 16;

/// Philox4x32-10 of the 128-bit counter `ctr` under the 64-bit key `key`:
/// ten rounds of two 32×32→64-bit multiplications, the key bumped by the Weyl
/// constants between rounds.
#[inline]
pub fn block(ctr: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = ctr;
    let [mut k0, mut k1] = key;
    for _ in 0..10 {
        (c0, c1, c2, c3) = round(c0, c1, c2, c3, k0, k1);
        k0 = k0.wrapping_add(W0);
        k1 = k1.wrapping_add(W1);
    }
    [c0, c1, c2, c3]
}

#[inline(always)]
fn round(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32) -> (u32, u32, u32, u32) {
    let p0 = u64::from(M0) * u64::from(c0);
    let p1 = u64::from(M1) * u64::from(c2);
    (
        ((p1 >> 32) as u32) ^ c1 ^ k0,
        p1 as u32,
        ((p0 >> 32) as u32) ^ c3 ^ k1,
        p0 as u32,
    )
}

/// [`BATCH`] consecutive blocks: counters (n, tag) for n = `first`, `first` + 1, …
/// (n in counter words 0–1, low word first; `tag` in word 2; word 3 zero).
/// Returned word-major: `out[w][b]` is word w of block `first + b`, the layout
/// in which the lanes vectorise.
///
/// Each 32-bit word lives in the low half of a 64-bit lane, so that the
/// 32×32→64 products map onto `pmuludq`, which reads only the low halves. The
/// high halves of c₁ and c₃ (the unmasked products) are garbage that never
/// reaches a low half — XOR keeps halves apart, and the multiplier ignores them —
/// and is cleared once, on output.
#[inline(always)]
pub fn blocks(key: [u32; 2], first: u64, tag: u32) -> [[u32; BATCH]; 4] {
    const LOW: u64 = 0xFFFF_FFFF;
    let mut c0 = [0u64; BATCH];
    let mut c1 = [0u64; BATCH];
    let mut c2 = [u64::from(tag); BATCH];
    let mut c3 = [0u64; BATCH];
    for b in 0..BATCH {
        let n = first.wrapping_add(b as u64);
        c0[b] = n & LOW;
        c1[b] = n >> 32;
    }
    let [mut k0, mut k1] = key.map(u64::from);
    for _ in 0..10 {
        for b in 0..BATCH {
            let p0 = u64::from(M0) * (c0[b] & LOW);
            let p1 = u64::from(M1) * (c2[b] & LOW);
            c0[b] = (p1 >> 32) ^ c1[b] ^ k0;
            c2[b] = (p0 >> 32) ^ c3[b] ^ k1;
            c1[b] = p1;
            c3[b] = p0;
        }
        k0 = (k0 + u64::from(W0)) & LOW;
        k1 = (k1 + u64::from(W1)) & LOW;
    }
    let mut out = [[0u32; BATCH]; 4];
    for b in 0..BATCH {
        out[0][b] = c0[b] as u32;
        out[1][b] = c1[b] as u32;
        out[2][b] = c2[b] as u32;
        out[3][b] = c3[b] as u32;
    }
    out
}

/// [`blocks`] with AVX2 intrinsics: the same integer operations on four 64-bit
/// lanes at a time, so the same words. (The compiler does not vectorise the
/// portable loop across blocks; it stays scalar.)
///
/// # Safety
/// The CPU must support AVX2. (A plain `#[inline(always)]` function rather than
/// a `#[target_feature]` one, so that it inlines into its AVX2 callers: measured
/// 10% on the whole Gaussian stream.)
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn blocks_avx2(key: [u32; 2], first: u64, tag: u32) -> [[u32; BATCH]; 4] {
    use std::arch::x86_64::*;
    // SAFETY: every intrinsic below needs only AVX2, which the caller guarantees.
    unsafe {
        const H: usize = BATCH / 4;
        let m0 = _mm256_set1_epi64x(i64::from(M0));
        let m1 = _mm256_set1_epi64x(i64::from(M1));
        let zero = _mm256_setzero_si256();
        let mut c0 = [zero; H];
        let mut c1 = [zero; H];
        let mut c2 = [_mm256_set1_epi64x(i64::from(tag)); H];
        let mut c3 = [zero; H];
        for h in 0..H {
            let n = |j: u64| first.wrapping_add((4 * h) as u64 + j) as i64;
            // Low halves hold the counter's word 0; the high halves are ignored by
            // the multiplier and cleared on output.
            c0[h] = _mm256_set_epi64x(n(3), n(2), n(1), n(0));
            c1[h] = _mm256_srli_epi64::<32>(c0[h]);
        }
        let [mut k0, mut k1] = key;
        for _ in 0..10 {
            let k0v = _mm256_set1_epi64x(i64::from(k0));
            let k1v = _mm256_set1_epi64x(i64::from(k1));
            for h in 0..H {
                let p0 = _mm256_mul_epu32(c0[h], m0);
                let p1 = _mm256_mul_epu32(c2[h], m1);
                c0[h] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p1), c1[h]), k0v);
                c2[h] = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64::<32>(p0), c3[h]), k1v);
                c1[h] = p1;
                c3[h] = p0;
            }
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        let mut out = [[0u32; BATCH]; 4];
        for (w, c) in [c0, c1, c2, c3].iter().enumerate() {
            for h in 0..H {
                let mut lanes = [0u64; 4];
                // `lanes` is 32 bytes, the size of one unaligned store.
                _mm256_storeu_si256(lanes.as_mut_ptr().cast(), c[h]);
                for j in 0..4 {
                    out[w][4 * h + j] = lanes[j] as u32;
                }
            }
        }
        out
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn blocks_avx2_entry(key: [u32; 2], first: u64, tag: u32) -> [[u32; BATCH]; 4] {
    // SAFETY: this function is compiled for, and only called on, AVX2 CPUs.
    unsafe { blocks_avx2(key, first, tag) }
}

/// [`blocks`] through the fastest path the CPU has (the same words on every path).
#[inline]
pub fn blocks_any(key: [u32; 2], first: u64, tag: u32) -> [[u32; BATCH]; 4] {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU supports AVX2, checked just above.
        return unsafe { blocks_avx2_entry(key, first, tag) };
    }
    blocks(key, first, tag)
}

/// The key words of a 64-bit seed (low word first).
#[inline]
pub fn key_of(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}
