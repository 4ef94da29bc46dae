//! The second phase of a ReLIZO step: the new points (Gaussian or orthogonal
//! draws), the previous iterate's copy, and the Gram entries computed from the
//! points, in fused passes over blocks of coordinates.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use super::gram::{FreshEntries, unit_roundoff};
use super::reuse::Role;
use super::{CHUNK, Layout};
use crate::linalg::{cholesky_qr2, chunks, dot, jacobi_eigen, max_eigenvalue, pinv_apply};
use crate::random::normal::NormalStream;
use crate::real::Real;
use std::ops::Range;

/// How the step in progress draws its new samples.
#[derive(Clone, Copy, Debug)]
pub(super) struct Draw {
    /// Samples reused.
    pub(super) k: usize,
    /// New samples drawn.
    pub(super) m: usize,
    /// σ for this step.
    pub(super) sigma: f64,
    /// The draws' mean is `mean`·Δ (Δ = x_prev − x); 0 for no mean.
    pub(super) mean: f64,
    /// Gaussian (true) or orthogonal sampling.
    pub(super) gaussian: bool,
}

/// Block-sized scratch of the fused passes.
#[derive(Clone, Debug, Default)]
pub(super) struct Staging<F> {
    /// Per block: the offsets p − x of up to ne rows (row i at i·CHUNK), then
    /// Δ = x_prev − x.
    offsets: Vec<F>,
    /// One block of N(0, 1) draws.
    normals: Vec<f64>,
}

impl<F: Real> Staging<F> {
    /// Room for `ne` rows.
    pub(super) fn resize(&mut self, ne: usize) {
        self.offsets.clear();
        self.offsets.resize((ne + 1) * CHUNK, F::zero());
        self.normals.clear();
        self.normals.resize(CHUNK, 0.0);
    }

    /// The block that holds Δ.
    pub(super) fn delta_block(&mut self) -> &mut [F] {
        let ne = self.offsets.len() / CHUNK - 1;
        &mut self.offsets[ne * CHUNK..]
    }
}

/// Scratch of the orthogonal draws.
#[derive(Clone, Debug, Default)]
pub(super) struct Orthogonalizer {
    /// 1/√Eᵢᵢ of the reused rows.
    row_scale: Vec<f64>,
    /// The reused rows' Gram matrix scaled to unit diagonal (then its eigenvalues).
    reused_gram: Vec<f64>,
    /// Its eigenvectors.
    reused_eigenvectors: Vec<f64>,
    /// B = δZᵀ (k × m).
    cross: Vec<f64>,
    /// One column of S·B, the right-hand side of the projection.
    rhs: Vec<f64>,
    /// Cᵀ with C = S Ĝ⁺ S B (m × k): the coefficients of Z on the reused rows.
    coefficients: Vec<f64>,
    /// W = ZZᵀ of the new rows (m × m).
    row_gram: Vec<f64>,
    /// Its Cholesky factor.
    factor: Vec<f64>,
}

impl Orthogonalizer {
    /// Room for `ne` rows.
    pub(super) fn resize(&mut self, ne: usize) {
        for v in [&mut self.row_scale, &mut self.rhs] {
            v.clear();
            v.resize(ne, 0.0);
        }
        for v in [
            &mut self.reused_gram,
            &mut self.reused_eigenvectors,
            &mut self.cross,
            &mut self.coefficients,
            &mut self.row_gram,
            &mut self.factor,
        ] {
            v.clear();
            v.resize(ne * ne, 0.0);
        }
    }
}

/// What the sampling passes read and write: the stored points, the held and
/// the next layout, the slot roles, the Gram entries to compute, and scratch.
pub(super) struct Passes<'a, F> {
    pub(super) points: &'a mut [F],
    pub(super) held: &'a Layout<F>,
    pub(super) next: &'a mut Layout<F>,
    pub(super) roles: &'a [Role],
    pub(super) entries: &'a mut FreshEntries,
    pub(super) staging: &'a mut Staging<F>,
    pub(super) x: &'a [F],
}

impl<F: Real> Passes<'_, F> {
    /// Writes the new points into their rows of `points` and into `block` (the
    /// round's m × d rows), copies the previous iterate into its slot, sets the
    /// next anchor to x and computes the fresh Gram entries.
    pub(super) fn run(&mut self, block: &mut [F], normal: &mut NormalStream, draw: &Draw, ortho: &mut Orthogonalizer) {
        self.place_and_draw(block, normal, draw);
        if !draw.gaussian {
            let roles = self.roles;
            let ne = roles.len();
            // Entries among reused rows, computed in the first pass (the projection needs them).
            let old = |p: usize, q: usize| !roles[p].is_new() && !roles[q].is_new();
            self.entries.store(&mut self.next.gram, ne, old);
            if draw.m > 0 {
                self.orthogonal_draws(block, normal, draw, ortho);
            }
            self.place_orthogonal(block);
        }
        self.entries.store(&mut self.next.gram, self.roles.len(), |_, _| true);
    }

    /// The first pass: place the previous iterate, draw the new Gaussian
    /// points, and accumulate the fresh Gram entries from the offsets p − x
    /// (staged per block). Orthogonal mode accumulates here only the entries
    /// between rows that are not new.
    fn place_and_draw(&mut self, block: &mut [F], normal: &mut NormalStream, draw: &Draw) {
        let (dd, ne) = (self.x.len(), self.roles.len());
        for r in chunks(dd, CHUNK) {
            let xc = &self.x[r.clone()];
            let (stage, delta) = self.staging.offsets.split_at_mut(ne * CHUNK);
            if draw.mean > 0.0 {
                for ((d, &av), &xv) in delta.iter_mut().zip(&self.held.anchor[r.clone()]).zip(xc) {
                    *d = av - xv;
                }
            }
            for sl in 0..ne {
                let row = self.next.row_of_slot[sl] * dd;
                let p = &mut self.points[row + r.start..row + r.end];
                match self.roles[sl] {
                    Role::Anchor => p.copy_from_slice(&self.held.anchor[r.clone()]),
                    Role::New(j) if draw.gaussian => {
                        let nb = &mut self.staging.normals[..r.len()];
                        normal.fill(nb);
                        let q = &mut block[j * dd + r.start..j * dd + r.end];
                        let off = &mut stage[sl * CHUNK..sl * CHUNK + r.len()];
                        gaussian_points(xc, nb, &delta[..r.len()], draw, p, q, off);
                    }
                    _ => {}
                }
            }
            if draw.gaussian {
                self.next.anchor[r.clone()].copy_from_slice(xc);
            }
            if !self.entries.pairs.is_empty() {
                self.stage_slots(r.clone(), |role| !role.is_new());
                let roles = self.roles;
                let both_old = |p: usize, q: usize| !roles[p].is_new() && !roles[q].is_new();
                self.accumulate(r.len(), |p, q| draw.gaussian || both_old(p, q));
            }
        }
    }

    /// Stages p − x over `r` for the slots whose role `stage` accepts (row `slot`
    /// of the staging block).
    #[inline]
    fn stage_slots(&mut self, r: Range<usize>, stage: impl Fn(Role) -> bool) {
        let dd = self.x.len();
        let xc = &self.x[r.clone()];
        for (sl, &role) in self.roles.iter().enumerate() {
            if stage(role) {
                let row = self.next.row_of_slot[sl] * dd;
                let off = &mut self.staging.offsets[sl * CHUNK..sl * CHUNK + r.len()];
                for ((o, &pv), &xv) in off.iter_mut().zip(&self.points[row + r.start..row + r.end]).zip(xc) {
                    *o = pv - xv;
                }
            }
        }
    }

    /// Adds one block's inner products of the staged offsets to the sums of the
    /// pairs that `take` accepts.
    #[inline]
    fn accumulate(&mut self, len: usize, take: impl Fn(usize, usize) -> bool) {
        let stage = &self.staging.offsets;
        for (acc, &(p, q)) in self.entries.sums.iter_mut().zip(&self.entries.pairs) {
            if take(p, q) {
                *acc += dot(&stage[p * CHUNK..p * CHUNK + len], &stage[q * CHUNK..q * CHUNK + len]);
            }
        }
    }

    /// Orthogonal mode, after the draws: copy the new points into their rows,
    /// accumulate the Gram entries that involve a new row, and set the next
    /// anchor to x.
    fn place_orthogonal(&mut self, block: &[F]) {
        let dd = self.x.len();
        for r in chunks(dd, CHUNK) {
            for (sl, &role) in self.roles.iter().enumerate() {
                if let Role::New(j) = role {
                    let row = self.next.row_of_slot[sl] * dd;
                    self.points[row + r.start..row + r.end].copy_from_slice(&block[j * dd + r.start..j * dd + r.end]);
                }
            }
            self.stage_slots(r.clone(), |_| true);
            let roles = self.roles;
            self.accumulate(r.len(), |p, q| roles[p].is_new() || roles[q].is_new());
            self.next.anchor[r.clone()].copy_from_slice(&self.x[r]);
        }
    }

    /// Orthogonal mode: draw the m new directions as Gaussian vectors (mean
    /// `draw.mean`·Δ) into the rows of `basis` (m × d), project them onto the
    /// orthogonal complement of the reused offsets δᵢ = pᵢ − x, orthonormalise
    /// them, then overwrite each qⱼ with its point x + (σ/√m)·qⱼ.
    ///
    /// The reference takes the last m columns of the QR factor of [u_R; Z]ᵀ;
    /// this computes the same subspace block-wise, in a few passes over the
    /// block instead of one pass per pair of vectors: the projection
    /// Z ← Z − Zδᵀ(δδᵀ)⁺δ (with the reused rows' Gram matrix, scaled to unit
    /// diagonal, through the Jacobi pseudo-inverse) applied twice, then a
    /// Cholesky QR of Z applied twice ([`cholesky_qr2`]), which makes the rows
    /// orthonormal to rounding. The Gram matrix of the new rows is recomputed
    /// exactly afterwards, so nothing relies on the orthogonality being exact.
    fn orthogonal_draws(&mut self, basis: &mut [F], normal: &mut NormalStream, draw: &Draw, o: &mut Orthogonalizer) {
        let (dd, m) = (self.x.len(), draw.m);
        self.draw_block(basis, normal, draw);
        if draw.k > 0 {
            self.project_out_reused(basis, draw, o);
        }
        cholesky_qr2(basis, m, dd, CHUNK, &mut o.row_gram[..m * m], &mut o.factor[..m * m]);
        // The points x + (σ/√m)·qⱼ, in place.
        let w = F::of_f64(draw.sigma / (m as f64).sqrt());
        for q in basis.chunks_exact_mut(dd).take(m) {
            for (qt, &xt) in q.iter_mut().zip(self.x) {
                *qt = xt + w * *qt;
            }
        }
    }

    /// Z: the m Gaussian draws, block by block, rows of `basis`.
    fn draw_block(&mut self, basis: &mut [F], normal: &mut NormalStream, draw: &Draw) {
        let (dd, x, anchor) = (self.x.len(), self.x, &self.held.anchor);
        let (sigma, momentum) = (draw.sigma, draw.mean);
        for r in chunks(dd, CHUNK) {
            for j in 0..draw.m {
                let nb = &mut self.staging.normals[..r.len()];
                normal.fill(nb);
                let z = &mut basis[j * dd + r.start..j * dd + r.end];
                if momentum > 0.0 {
                    for t in 0..r.len() {
                        let mean = momentum * (anchor[r.start + t] - x[r.start + t]).as_f64();
                        z[t] = F::of_f64(sigma * nb[t] + mean);
                    }
                } else {
                    for t in 0..r.len() {
                        z[t] = F::of_f64(sigma * nb[t]);
                    }
                }
            }
        }
    }

    /// Z ← Z − Cᵀδ with C = S Ĝ⁺ S δZᵀ, twice: the projection onto the
    /// complement of the reused offsets. Ĝ = S·E_RR·S with S = diag(1/√Eᵢᵢ);
    /// δᵀ S Ĝ⁺ S δ projects onto span(δ).
    fn project_out_reused(&mut self, basis: &mut [F], draw: &Draw, o: &mut Orthogonalizer) {
        let (k, m) = (draw.k, draw.m);
        let ne = self.roles.len();
        let order = &self.next.order;
        for (scale, &si) in o.row_scale.iter_mut().zip(&order[..k]) {
            let di = self.next.gram[si * ne + si];
            *scale = if di > 0.0 { 1.0 / di.sqrt() } else { 0.0 };
        }
        for i in 0..k {
            for j in 0..k {
                let (si, sj) = (order[i], order[j]);
                o.reused_gram[i * k + j] = self.next.gram[si * ne + sj] * o.row_scale[i] * o.row_scale[j];
            }
        }
        jacobi_eigen(&mut o.reused_gram[..k * k], &mut o.reused_eigenvectors[..k * k], k);
        let cut = k as f64 * 2.0 * unit_roundoff::<F>() * max_eigenvalue(&o.reused_gram, k);
        for _ in 0..2 {
            self.cross_products(basis, k, m, &mut o.cross);
            for j in 0..m {
                for i in 0..k {
                    o.rhs[i] = o.cross[i * m + j] * o.row_scale[i];
                }
                let c = &mut o.coefficients[j * k..(j + 1) * k];
                pinv_apply(
                    &o.reused_gram[..k * k],
                    &o.reused_eigenvectors[..k * k],
                    k,
                    cut,
                    &o.rhs,
                    c,
                );
                for (ci, &si) in c.iter_mut().zip(&o.row_scale) {
                    *ci *= si;
                }
            }
            self.subtract_reused(basis, k, m, &o.coefficients);
        }
    }

    /// B = δZᵀ (k × m), from the offsets of the first k rows of the next order.
    fn cross_products(&mut self, basis: &[F], k: usize, m: usize, cross: &mut [f64]) {
        let dd = self.x.len();
        cross[..k * m].iter_mut().for_each(|v| *v = 0.0);
        for r in chunks(dd, CHUNK) {
            self.stage_reused(r.clone(), k);
            for i in 0..k {
                let off = &self.staging.offsets[i * CHUNK..i * CHUNK + r.len()];
                for j in 0..m {
                    cross[i * m + j] += dot(off, &basis[j * dd + r.start..j * dd + r.end]);
                }
            }
        }
    }

    /// Z ← Z − Cᵀδ, with Cᵀ stored row by row in `coefficients` (m × k).
    fn subtract_reused(&mut self, basis: &mut [F], k: usize, m: usize, coefficients: &[f64]) {
        let dd = self.x.len();
        for r in chunks(dd, CHUNK) {
            self.stage_reused(r.clone(), k);
            for j in 0..m {
                let z = &mut basis[j * dd + r.start..j * dd + r.end];
                for i in 0..k {
                    let c = F::of_f64(coefficients[j * k + i]);
                    for (zt, &ot) in z.iter_mut().zip(&self.staging.offsets[i * CHUNK..i * CHUNK + r.len()]) {
                        *zt = *zt - c * ot;
                    }
                }
            }
        }
    }

    /// Stages the offsets pᵢ − x over `r` of the first k rows of the next order
    /// (row i at i·CHUNK). Recomputed per block rather than stored, so no k×d
    /// buffer is needed.
    #[inline]
    fn stage_reused(&mut self, r: Range<usize>, k: usize) {
        let dd = self.x.len();
        for (i, &sl) in self.next.order[..k].iter().enumerate() {
            let off = &mut self.staging.offsets[i * CHUNK..i * CHUNK + r.len()];
            let row = self.next.row_of_slot[sl] * dd;
            for ((o, &pv), &xv) in off
                .iter_mut()
                .zip(&self.points[row + r.start..row + r.end])
                .zip(&self.x[r.clone()])
            {
                *o = pv - xv;
            }
        }
    }
}

/// One block of a Gaussian new point p = x + σ·z (+ mean·Δ), written to its row
/// `p`, to the round's row `q`, and as its offset p − x to `off`.
#[inline(always)]
fn gaussian_points<F: Real>(xc: &[F], nb: &[f64], delta: &[F], draw: &Draw, p: &mut [F], q: &mut [F], off: &mut [F]) {
    let (sigma, momentum) = (draw.sigma, draw.mean);
    let len = xc.len();
    if momentum > 0.0 {
        for t in 0..len {
            let pt = xc[t] + F::of_f64(sigma * nb[t] + momentum * delta[t].as_f64());
            p[t] = pt;
            q[t] = pt;
            off[t] = pt - xc[t];
        }
    } else {
        for t in 0..len {
            let pt = xc[t] + F::of_f64(sigma * nb[t]);
            p[t] = pt;
            q[t] = pt;
            off[t] = pt - xc[t];
        }
    }
}
