//! Directions written and added on rayon's thread pool (feature `rayon`),
//! bit-identical to the sequential passes for any number of threads.

use super::SeededDirection;
use crate::real::Real;

/// Coordinates per parallel task: a multiple of every stream's unit (64
/// Gaussian values, 32 signs), so no task regenerates words another one uses,
/// and large enough to amortise a task.
const PAR_CHUNK: usize = 1 << 14;

impl SeededDirection {
    /// [`write`](Self::write) on rayon's thread pool: ranges of 16 384
    /// coordinates written in parallel, each by [`write_range`](Self::write_range).
    /// The bits are those of `write`, whatever the number of threads.
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let dir = SeededDirection::draw(Direction::Gaussian, &mut ZoRng::seed_from_u64(1), 40_000);
    /// let (mut seq, mut par) = (vec![0.0_f32; 40_000], vec![0.0_f32; 40_000]);
    /// dir.write(&mut seq);
    /// dir.par_write(&mut par);
    /// assert_eq!(seq, par);
    /// ```
    pub fn par_write<F: Real>(&self, out: &mut [F]) {
        use rayon::prelude::*;
        let n = out.len().min(self.len);
        out[..n]
            .par_chunks_mut(PAR_CHUNK)
            .enumerate()
            .for_each(|(j, o)| self.write_range(j * PAR_CHUNK, o));
    }

    /// [`axpy`](Self::axpy) on rayon's thread pool: x ← x + α·u by ranges of
    /// 16 384 coordinates, each regenerated where it is used (no d-sized memory).
    /// The bits are those of `axpy`, whatever the number of threads: every
    /// coordinate is updated by the same single operation.
    ///
    /// ```
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let dir = SeededDirection::draw(Direction::Sphere, &mut ZoRng::seed_from_u64(2), 40_000);
    /// let (mut seq, mut par) = (vec![1.0_f32; 40_000], vec![1.0_f32; 40_000]);
    /// dir.axpy(0.1, &mut seq);
    /// dir.par_axpy(0.1, &mut par);
    /// assert_eq!(seq, par);
    /// ```
    pub fn par_axpy<F: Real>(&self, alpha: F, x: &mut [F]) {
        use rayon::prelude::*;
        let n = x.len().min(self.len);
        x[..n]
            .par_chunks_mut(PAR_CHUNK)
            .enumerate()
            .for_each(|(j, xs)| self.axpy_range(alpha, j * PAR_CHUNK, xs));
    }
}
