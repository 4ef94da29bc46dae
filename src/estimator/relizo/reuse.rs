//! The first phase of a ReLIZO step: which held samples are reused, and the
//! layout of the new step (slots, rows, order) that follows from that choice.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use super::{CHUNK, Layout};
use crate::linalg::{chunks, dot, dot_diff};
use crate::real::Real;

/// What a slot holds during a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Role {
    /// Not used this step.
    #[default]
    Free,
    /// A reused sample (its point is kept; its offset from x is δ + Δ).
    Reused,
    /// The previous iterate (offset Δ from x), copied into a free slot.
    Anchor,
    /// New draw j, queried as [`Query::Sample`](crate::Query::Sample)`(k + j)`
    /// after k reused samples.
    New(usize),
}

impl Role {
    /// Whether the slot gets a point drawn this step.
    #[inline]
    pub(super) fn is_new(self) -> bool {
        matches!(self, Role::New(_))
    }
}

/// A sample offered for reuse.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    /// Its slot, or ne for the previous iterate.
    slot: usize,
    /// Its squared distance to x.
    dist2: f64,
    /// Its position among the candidates (ties are broken in this order).
    index: usize,
}

/// What reuse decided for the step in progress.
#[derive(Clone, Copy, Debug)]
pub(super) struct Reuse {
    /// Samples reused (the previous iterate included).
    pub(super) k: usize,
    /// ‖Δ‖² for Δ = x_prev − x (0 when nothing is reused).
    pub(super) delta2: f64,
    /// Whether the previous iterate is among the reused samples.
    pub(super) previous_iterate: bool,
}

/// Scratch of the reuse phase, and its outcome: the role of every slot.
#[derive(Clone, Debug, Default)]
pub(super) struct Selection {
    /// Per slot: aᵢ = δᵢᵀΔ, the held offset's inner product with Δ.
    pub(super) delta_dots: Vec<f64>,
    candidates: Vec<Candidate>,
    /// Per slot: what it holds this step.
    pub(super) roles: Vec<Role>,
}

impl Selection {
    /// Room for `ne` samples.
    pub(super) fn resize(&mut self, ne: usize) {
        self.delta_dots.clear();
        self.delta_dots.resize(ne, 0.0);
        self.candidates = Vec::with_capacity(ne + 1);
        self.roles.clear();
        self.roles.resize(ne, Role::Free);
    }

    /// Chooses the reused samples and lays out the next step: `next.order`
    /// (reused first, then the new draws), the slot roles and `next`'s rows.
    /// `reuse` is the bound b and the rate ρ, or `None` when nothing may be
    /// reused; `delta_block` is CHUNK values of scratch.
    pub(super) fn plan<F: Real>(
        &mut self,
        points: &[F],
        held: &Layout<F>,
        next: &mut Layout<F>,
        x: &[F],
        reuse: Option<(f64, f64)>,
        delta_block: &mut [F],
    ) -> Reuse {
        let ne = held.order.len();
        self.candidates.clear();
        let mut delta2 = 0.0;
        if let Some((b, rho)) = reuse {
            delta2 = self.measure(points, held, x, delta_block);
            self.select(held, delta2, b, (ne as f64 * rho).floor() as usize);
        }
        let anchor_slot = self.assign_slots(&mut next.order);
        assign_rows(&self.roles, held, next);
        Reuse {
            k: self.candidates.len(),
            delta2,
            previous_iterate: anchor_slot.is_some(),
        }
    }

    /// Pass 1: with Δ = x_prev − x, returns ‖Δ‖² and sets aᵢ = δᵢᵀΔ, where
    /// δᵢ = pᵢ − x_prev is sample i's offset from the iterate it was used at.
    fn measure<F: Real>(&mut self, points: &[F], held: &Layout<F>, x: &[F], delta_block: &mut [F]) -> f64 {
        let dd = x.len();
        let mut delta2 = 0.0f64;
        self.delta_dots.iter_mut().for_each(|v| *v = 0.0);
        for r in chunks(dd, CHUNK) {
            let dc = &mut delta_block[..r.len()];
            let anc = &held.anchor[r.clone()];
            for ((d, &av), &xv) in dc.iter_mut().zip(anc).zip(&x[r.clone()]) {
                *d = av - xv;
            }
            delta2 += dot(dc, dc);
            for (a, &row) in self.delta_dots.iter_mut().zip(&held.row_of_slot) {
                *a += dot_diff(&points[row * dd + r.start..row * dd + r.end], anc, dc);
            }
        }
        delta2
    }

    /// The candidates at distance in (0, b), at most `cap` of them: the nearest
    /// (ascending distance, ties in index order) when more qualify. Index `ne`
    /// stands for the previous iterate.
    fn select<F>(&mut self, held: &Layout<F>, delta2: f64, b: f64, cap: usize) {
        let ne = held.order.len();
        for &slot in &held.order {
            let d2 = (held.gram[slot * ne + slot] + 2.0 * self.delta_dots[slot] + delta2).max(0.0);
            let dist = d2.sqrt();
            if dist < b && dist > 0.0 {
                self.push_candidate(slot, d2);
            }
        }
        let dist = delta2.sqrt();
        if dist < b && dist > 0.0 {
            self.push_candidate(ne, delta2);
        }
        if self.candidates.len() > cap {
            // Ascending distance, ties in index order (no allocation, unlike a stable sort).
            self.candidates
                .sort_unstable_by(|p, q| p.dist2.total_cmp(&q.dist2).then(p.index.cmp(&q.index)));
            self.candidates.truncate(cap);
        }
    }

    fn push_candidate(&mut self, slot: usize, dist2: f64) {
        let index = self.candidates.len();
        self.candidates.push(Candidate { slot, dist2, index });
    }

    /// Slots: reused samples keep theirs; the previous iterate and the new
    /// draws take free ones. Writes the logical order into `order` and the
    /// roles; returns the previous iterate's slot, if it is reused.
    fn assign_slots(&mut self, order: &mut Vec<usize>) -> Option<usize> {
        let ne = self.roles.len();
        self.roles.iter_mut().for_each(|r| *r = Role::Free);
        for c in &self.candidates {
            if c.slot < ne {
                self.roles[c.slot] = Role::Reused;
            }
        }
        order.clear();
        let mut anchor_slot = None;
        {
            let roles = &self.roles;
            let mut free = (0..ne).filter(|&sl| roles[sl] == Role::Free);
            for c in &self.candidates {
                if c.slot < ne {
                    order.push(c.slot);
                } else if let Some(sl) = free.next() {
                    // A free slot exists: with the previous iterate among the k ≤ n
                    // reused candidates, at most n − 1 samples are reused.
                    anchor_slot = Some(sl);
                    order.push(sl);
                }
            }
            order.extend(free);
        }
        if let Some(sl) = anchor_slot {
            self.roles[sl] = Role::Anchor;
        }
        let k = self.candidates.len();
        for (j, &sl) in order[k..].iter().enumerate() {
            self.roles[sl] = Role::New(j);
        }
        anchor_slot
    }
}

/// Rows: a slot that gets a new point (a new draw, or the previous iterate)
/// takes a spare row, and its old row becomes spare once the step is committed.
fn assign_rows<F>(roles: &[Role], held: &Layout<F>, next: &mut Layout<F>) {
    next.row_of_slot.copy_from_slice(&held.row_of_slot);
    next.spare_rows.copy_from_slice(&held.spare_rows);
    let mut t = 0;
    for (sl, role) in roles.iter().enumerate() {
        if matches!(role, Role::Anchor | Role::New(_)) {
            next.row_of_slot[sl] = held.spare_rows[t];
            next.spare_rows[t] = held.row_of_slot[sl];
            t += 1;
        }
    }
}
