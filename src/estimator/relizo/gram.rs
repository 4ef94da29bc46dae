//! The Gram matrix of ReLIZO's offsets: the entries that follow from the
//! previous step's (with their rounding-error bounds), the entries recomputed
//! from the points, the pseudo-inverse solve of the interpolation equations,
//! and the estimate g = Uᵀc it gives.
//!
//! G is kept unscaled, as the offsets' own inner products Eᵢⱼ = δᵢᵀδⱼ (by slot);
//! the solve divides by the lengths hᵢhⱼ.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use super::reuse::{Reuse, Role, Selection};
use super::{CHUNK, Layout};
use crate::linalg::{chunks, pinv_solve};
use crate::real::Real;

/// The unit roundoff of the working precision `F` (at least f64's).
#[inline]
pub(super) fn unit_roundoff<F: Real>() -> f64 {
    F::UNIT_ROUNDOFF.max(f64::EPSILON / 2.0)
}

/// The Gram entries a step computes from the points rather than from the
/// previous G: those with a fresh row (new, or reused but recomputed).
#[derive(Clone, Debug, Default)]
pub(super) struct FreshEntries {
    /// Per slot: whether its row of G is computed from the points this step.
    pub(super) fresh: Vec<bool>,
    /// The (slot, slot) pairs computed from the points, lower triangle in
    /// logical order.
    pub(super) pairs: Vec<(usize, usize)>,
    /// Per pair: its inner product, accumulated block by block.
    pub(super) sums: Vec<f64>,
}

impl FreshEntries {
    /// Room for `ne` samples.
    pub(super) fn resize(&mut self, ne: usize) {
        self.fresh.clear();
        self.fresh.resize(ne, false);
        self.pairs = Vec::with_capacity(ne * (ne + 1) / 2);
        self.sums = Vec::with_capacity(ne * (ne + 1) / 2);
    }

    /// The Gram entries among the k reused rows of `next.order`, from the
    /// previous G and the inner products of pass 1: with δ'ᵢ = δᵢ + Δ,
    /// δ'ᵢᵀδ'ⱼ = Eᵢⱼ + aᵢ + aⱼ + ‖Δ‖² (the previous iterate has δ = 0). Each row
    /// carries a bound on its propagated rounding error; rows whose bound grows
    /// past 100·√u relative (a reused point that nearly coincides with x), or
    /// every row when `exact`, are marked fresh, as are the new rows. Then
    /// lists the pairs to compute from the points. Returns the number of
    /// reused rows marked fresh.
    pub(super) fn propagate<F: Real>(
        &mut self,
        held: &Layout<F>,
        next: &mut Layout<F>,
        selection: &Selection,
        reuse: &Reuse,
        exact: bool,
    ) -> usize {
        let ne = next.order.len();
        let (k, delta2) = (reuse.k, reuse.delta2);
        let (roles, a) = (&selection.roles, &selection.delta_dots);
        let u_f = unit_roundoff::<F>();
        let u64_ = f64::EPSILON / 2.0;
        let r_max = 100.0 * u_f.sqrt();
        next.gram.iter_mut().for_each(|v| *v = 0.0);
        self.fresh.iter_mut().for_each(|f| *f = false);
        let mut recomputed = 0usize;
        for i in 0..k {
            let si = next.order[i];
            let reused_i = roles[si] == Role::Reused;
            let (ei, ai) = if reused_i {
                (held.gram[si * ne + si], a[si])
            } else {
                (0.0, 0.0)
            };
            let new_ii = ei + 2.0 * ai + delta2;
            let sc = ei.max(0.0).sqrt() + delta2.sqrt();
            let e_old = if reused_i { held.gram_error[si] } else { 0.0 };
            let e_new = (e_old * e_old + 4.0 * u64_ * sc * sc + 4.0 * u_f * new_ii.max(0.0)).sqrt();
            next.gram_error[si] = e_new;
            if exact || new_ii.is_nan() || new_ii <= 0.0 || e_new > r_max * new_ii.sqrt() {
                self.fresh[si] = true;
                recomputed += 1;
            }
            for j in 0..=i {
                let sj = next.order[j];
                let reused_j = roles[sj] == Role::Reused;
                let eij = if reused_i && reused_j {
                    held.gram[si * ne + sj]
                } else {
                    0.0
                };
                let aj = if reused_j { a[sj] } else { 0.0 };
                let v = eij + ai + aj + delta2;
                next.gram[si * ne + sj] = v;
                next.gram[sj * ne + si] = v;
            }
        }
        for &sl in &next.order[k..] {
            self.fresh[sl] = true;
        }
        self.list_pairs(&next.order);
        recomputed
    }

    /// Every pair with a fresh row, in logical order, with its sum zeroed.
    fn list_pairs(&mut self, order: &[usize]) {
        self.pairs.clear();
        for i in 0..order.len() {
            for j in 0..=i {
                let (si, sj) = (order[i], order[j]);
                if self.fresh[si] || self.fresh[sj] {
                    self.pairs.push((si, sj));
                }
            }
        }
        self.sums.clear();
        self.sums.resize(self.pairs.len(), 0.0);
    }

    /// Writes the accumulated sums of the pairs `keep` accepts into `gram`
    /// (ne × ne, both triangles).
    pub(super) fn store(&self, gram: &mut [f64], ne: usize, keep: impl Fn(usize, usize) -> bool) {
        for (&(p, q), &v) in self.pairs.iter().zip(&self.sums) {
            if keep(p, q) {
                gram[p * ne + q] = v;
                gram[q * ne + p] = v;
            }
        }
    }
}

/// Lengths, values and error bounds of the new layout, once the values of the
/// new samples are known: hᵢ = √Eᵢᵢ + 10⁻⁸ (σ for orthogonal new rows), the
/// value of each slot, and a fresh row's bound 2√u·√Eᵢᵢ.
pub(super) fn settle<F: Real>(
    held: &Layout<F>,
    next: &mut Layout<F>,
    fresh: &[bool],
    roles: &[Role],
    samples: &[F],
    orthogonal_length: Option<f64>,
) {
    let ne = next.order.len();
    let u_f = unit_roundoff::<F>();
    for &sl in &next.order {
        let eii = next.gram[sl * ne + sl].max(0.0);
        next.values[sl] = match roles[sl] {
            Role::Anchor => held.anchor_value,
            Role::New(j) => samples[j],
            Role::Reused | Role::Free => held.values[sl],
        };
        next.lengths[sl] = match (roles[sl], orthogonal_length) {
            (Role::New(_), Some(sigma)) => sigma,
            _ => eii.sqrt() + super::H_EPS,
        };
        if fresh[sl] {
            next.gram_error[sl] = 2.0 * u_f.sqrt() * eii.sqrt();
        }
    }
}

/// Scratch of the solve c = G⁺y.
#[derive(Clone, Debug, Default)]
pub(super) struct Solver {
    /// G = UUᵀ in logical order (overwritten by its eigenvalues).
    scaled_gram: Vec<f64>,
    /// The eigenvectors of G.
    eigenvectors: Vec<f64>,
    /// yᵢ = (Fᵢ − f₀)/hᵢ.
    differences: Vec<f64>,
    /// The weights cᵢ/hᵢ of the offsets in g = Σ (cᵢ/hᵢ)·δᵢ, in logical order.
    pub(super) weights: Vec<f64>,
}

impl Solver {
    /// Room for `ne` samples.
    pub(super) fn resize(&mut self, ne: usize) {
        for v in [&mut self.scaled_gram, &mut self.eigenvectors] {
            v.clear();
            v.resize(ne * ne, 0.0);
        }
        for v in [&mut self.differences, &mut self.weights] {
            v.clear();
            v.resize(ne, 0.0);
        }
    }

    /// Forms G and y from the settled layout, solves c = G⁺y (in f64, by the
    /// Jacobi pseudo-inverse with the cutoff n·2u·λ_max of `F`) and sets the
    /// weights cᵢ/hᵢ. Returns the numerical rank.
    pub(super) fn solve<F: Real>(&mut self, next: &Layout<F>, f0: F) -> usize {
        let ne = next.order.len();
        let f0d = f0.as_f64();
        for i in 0..ne {
            let si = next.order[i];
            self.differences[i] = (next.values[si].as_f64() - f0d) / next.lengths[si];
            for j in 0..ne {
                let sj = next.order[j];
                self.scaled_gram[i * ne + j] = next.gram[si * ne + sj] / (next.lengths[si] * next.lengths[sj]);
            }
        }
        let eps = 2.0 * unit_roundoff::<F>();
        let rank = pinv_solve(
            &mut self.scaled_gram,
            &mut self.eigenvectors,
            &self.differences,
            &mut self.weights,
            ne,
            eps,
        );
        for (c, &sl) in self.weights.iter_mut().zip(&next.order) {
            *c /= next.lengths[sl];
        }
        rank
    }
}

/// Pass 3: g = Σ cⱼ·uⱼ = Σ (cⱼ/hⱼ)·(pⱼ − x), block by block, with `weights`
/// the cⱼ/hⱼ in the layout's order.
pub(super) fn combine<F: Real>(points: &[F], layout: &Layout<F>, weights: &[f64], x: &[F], g: &mut [F]) {
    let dd = x.len();
    for r in chunks(dd, CHUNK) {
        let gc = &mut g[r.clone()];
        let xc = &x[r.clone()];
        for (i, &sl) in layout.order.iter().enumerate() {
            let w = F::of_f64(weights[i]);
            let row = layout.row_of_slot[sl] * dd;
            let p = &points[row + r.start..row + r.end];
            if i == 0 {
                for ((gv, &pv), &xv) in gc.iter_mut().zip(p).zip(xc) {
                    *gv = w * (pv - xv);
                }
            } else {
                for ((gv, &pv), &xv) in gc.iter_mut().zip(p).zip(xc) {
                    *gv = *gv + w * (pv - xv);
                }
            }
        }
    }
}
