//! Using an estimate: its checks, its values and the update's pass over x.

use super::{Estimate, Form, direction_bound};
use crate::real::Real;
use crate::run::seeded::Displacement;

/// Relative slack for the rounding of fl(α·cⱼ)·uᵢ and of a term bound itself.
const SLACK: f64 = 1.0 + 1e-6;

impl<F: Real> Estimate<F> {
    /// True when every value (dense) or every coefficient (stored, seeded) is finite.
    /// Stored and seeded directions are finite by construction.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.dense_mut(2, 0..2)[0] = 1.0;
    /// assert!(g.is_finite());
    /// g.dense_mut(2, 0..2)[1] = f64::NAN;
    /// assert!(!g.is_finite());
    /// ```
    pub fn is_finite(&self) -> bool {
        if self.invalid {
            return false;
        }
        match self.form {
            Form::Dense => self.dense.iter().all(|v| v.is_finite()),
            Form::Stored | Form::Seeded => self.coefs.iter().all(|v| v.is_finite()),
        }
    }

    /// x\[support\] ← x\[support\] + α·g, in one pass per direction for the
    /// combination forms and without materialising g. `x.len()` must be d.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.dense_mut(3, 0..2).copy_from_slice(&[2.0, 4.0]);
    /// let mut x = [1.0, 1.0, 1.0];
    /// g.scaled_add_to(-0.5, &mut x);
    /// assert_eq!(x, [0.0, -1.0, 1.0]); // the third coordinate is off the support
    /// ```
    pub fn scaled_add_to(&self, alpha: F, x: &mut [F]) {
        let Some(xs) = x.get_mut(self.support.clone()) else {
            return;
        };
        if self.materialized {
            for (xi, &gi) in xs.iter_mut().zip(&self.dense) {
                *xi = *xi + alpha * gi;
            }
            return;
        }
        match self.form {
            Form::Dense => unreachable!("dense estimates are always materialized"),
            Form::Stored => {
                let n = xs.len();
                if n == 0 {
                    return;
                }
                for (row, &c) in self.rows.chunks_exact(n).zip(&self.coefs) {
                    let a = alpha * c;
                    for (xi, &ui) in xs.iter_mut().zip(row) {
                        *xi = *xi + a * ui;
                    }
                }
            }
            Form::Seeded => {
                for (dir, &c) in self.seeded.iter().zip(&self.coefs) {
                    dir.axpy_auto(alpha * c, xs);
                }
            }
        }
    }

    /// x\[support\] ← x\[support\] + α·g for an x that still stands at the
    /// iterate plus `d` (a walk's last displacement s·u), folding the move
    /// back into the update's pass: when g's last seeded direction is that u on
    /// the same support, x ← x + fl(α·c_q − s)·u_q, then x ← x + fl(α·c_j)·u_j
    /// for j = 1 … q − 1, so u_q is regenerated once for both. Returns false,
    /// x untouched, when g is not of that shape or a term could come near the
    /// overflow threshold; the caller then moves x back and updates as usual.
    pub(crate) fn scaled_add_folding(&self, alpha: F, x: &mut [F], d: &Displacement<F>) -> bool {
        if self.invalid || self.materialized || self.form != Form::Seeded || self.support != d.support {
            return false;
        }
        let (Some((last, rest)), Some((&c_last, c_rest))) = (self.seeded.split_last(), self.coefs.split_last()) else {
            return false;
        };
        let folded = alpha * c_last - d.scale;
        let safe = crate::update::safe_term::<F>();
        let fits = folded.is_finite()
            && folded.as_f64().abs() * direction_bound(last) * SLACK < safe
            && self.term_bound(alpha) < safe;
        if *last != d.direction || !fits {
            return false;
        }
        let Some(xs) = x.get_mut(self.support.clone()) else {
            return false;
        };
        last.axpy_auto(folded, xs);
        for (dir, &c) in rest.iter().zip(c_rest) {
            dir.axpy_auto(alpha * c, xs);
        }
        true
    }

    /// An upper bound, in f64, on the magnitude of every single term that
    /// [`scaled_add_to`](Estimate::scaled_add_to)`(alpha, x)` adds to a
    /// coordinate: |α·gᵢ| for materialised values, |fl(α·cⱼ)·uⱼᵢ| for each
    /// direction j of the combination forms (which are added one after another).
    /// Not finite when no bound is known. Costs O(q) for seeded directions (their
    /// entries have documented bounds) and one read pass otherwise.
    pub(crate) fn term_bound(&self, alpha: F) -> f64 {
        if self.invalid {
            return 0.0;
        }
        let n = self.support.len();
        if self.materialized {
            let dense = &self.dense[..n.min(self.dense.len())];
            return alpha.as_f64().abs() * crate::update::max_abs(dense) * SLACK;
        }
        match self.form {
            Form::Dense => f64::INFINITY,
            Form::Stored => {
                if n == 0 {
                    return 0.0;
                }
                self.rows
                    .chunks_exact(n)
                    .zip(&self.coefs)
                    .map(|(row, &c)| (alpha * c).as_f64().abs() * crate::update::max_abs(row) * SLACK)
                    .fold(0.0, |m, b| if b > m || b.is_nan() { b } else { m })
            }
            Form::Seeded => self
                .seeded
                .iter()
                .zip(&self.coefs)
                .map(|(dir, &c)| (alpha * c).as_f64().abs() * direction_bound(dir) * SLACK)
                .fold(0.0, |m, b| if b > m || b.is_nan() { b } else { m }),
        }
    }

    /// Applies to `out` exactly the operations [`scaled_add_to`](Estimate::scaled_add_to)`(alpha, x)`
    /// applies to the coordinates support.start + `offset` … support.start +
    /// `offset` + `out.len()` − 1 of x (same bits), where `out` holds those
    /// coordinates of x. For checking a step before it is taken.
    pub(crate) fn scaled_add_range(&self, alpha: F, offset: usize, out: &mut [F]) {
        let n = self.support.len();
        if offset.checked_add(out.len()).is_none_or(|end| end > n) {
            return;
        }
        if self.materialized {
            if let Some(gs) = self.dense.get(offset..offset + out.len()) {
                for (xi, &gi) in out.iter_mut().zip(gs) {
                    *xi = *xi + alpha * gi;
                }
            }
            return;
        }
        match self.form {
            Form::Dense => {}
            Form::Stored => {
                if n == 0 {
                    return;
                }
                for (row, &c) in self.rows.chunks_exact(n).zip(&self.coefs) {
                    let a = alpha * c;
                    for (xi, &ui) in out.iter_mut().zip(&row[offset..]) {
                        *xi = *xi + a * ui;
                    }
                }
            }
            Form::Seeded => {
                for (dir, &c) in self.seeded.iter().zip(&self.coefs) {
                    // As `axpy` on the support: a direction shorter than the
                    // support covers only its own length.
                    let m = dir.len().saturating_sub(offset).min(out.len());
                    if m > 0 {
                        dir.axpy_range(alpha * c, offset, &mut out[..m]);
                    }
                }
            }
        }
    }

    /// The values of g on the support, materialised on first call (one pass per
    /// direction for the combination forms), then cached until the next write.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// let (rows, coefs) = g.stored_mut(3, 1..3, 2);
    /// rows.copy_from_slice(&[1.0, 0.0, 0.0, 1.0]);
    /// coefs.copy_from_slice(&[7.0, 8.0]);
    /// assert_eq!(g.values(), [7.0, 8.0]); // the support's values only
    /// ```
    pub fn values(&mut self) -> &[F] {
        if !self.materialized {
            let n = self.support.len();
            self.dense.clear();
            self.dense.resize(n, F::zero());
            match self.form {
                Form::Dense => {}
                Form::Stored => {
                    if n > 0 {
                        for (row, &c) in self.rows.chunks_exact(n).zip(&self.coefs) {
                            for (gi, &ui) in self.dense.iter_mut().zip(row) {
                                *gi = *gi + c * ui;
                            }
                        }
                    }
                }
                Form::Seeded => {
                    for (dir, &c) in self.seeded.iter().zip(&self.coefs) {
                        dir.axpy_auto(c, &mut self.dense);
                    }
                }
            }
            self.materialized = true;
        }
        &self.dense
    }

    /// ‖g‖², materialising g if needed.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.dense_mut(2, 0..2).copy_from_slice(&[3.0, 4.0]);
    /// assert_eq!(g.norm_squared(), 25.0);
    /// ```
    pub fn norm_squared(&mut self) -> F {
        self.values().iter().map(|&v| v * v).sum()
    }

    /// g as a full d-vector (zeros off the support), allocated: for tests and inspection.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.dense_mut(4, 2..3)[0] = 1.0;
    /// assert_eq!(g.to_vec(), [0.0, 0.0, 1.0, 0.0]);
    /// ```
    pub fn to_vec(&mut self) -> Vec<F> {
        let mut out = vec![F::zero(); self.dim];
        let s = self.support.clone();
        out[s].copy_from_slice(self.values());
        out
    }
}
