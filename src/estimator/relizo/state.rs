//! What a ReLIZO estimator carries between steps, and the scratch of each phase.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use super::RelizoStep;
use super::gram::{FreshEntries, Solver};
use super::reuse::Selection;
use super::sampling::{Draw, Orthogonalizer, Staging};
use crate::real::Real;

/// The samples' layout: where each sample's point is stored, the iterate the
/// offsets are measured from, and per-slot lengths, values and Gram entries.
/// A [`State`] holds two: the one committed (`held`) and the one the step in
/// progress builds (`next`); [`commit`](crate::GradientEstimator::commit) swaps them.
#[derive(Clone, Default)]
pub(super) struct Layout<F> {
    /// Slot → the row of `State::points` holding its point.
    pub(super) row_of_slot: Vec<usize>,
    /// The rows of `State::points` that hold no sample.
    pub(super) spare_rows: Vec<usize>,
    /// The iterate the samples' offsets pᵢ − anchor are measured from.
    pub(super) anchor: Vec<F>,
    /// f(anchor).
    pub(super) anchor_value: F,
    /// Logical position → slot.
    pub(super) order: Vec<usize>,
    /// Per slot: the length h of its offset.
    pub(super) lengths: Vec<f64>,
    /// Per slot: the value F = f(p) of its point.
    pub(super) values: Vec<F>,
    /// Per slot: the bound on the rounding error of its row of `gram`.
    pub(super) gram_error: Vec<f64>,
    /// ne × ne Gram matrix of the offsets δᵢᵀδⱼ, by slot.
    pub(super) gram: Vec<f64>,
}

impl<F: Real> Layout<F> {
    /// The layout of no samples for `ne` slots in dimension `dim`: slot i in
    /// row i, rows ne..2ne spare.
    pub(super) fn resize(&mut self, ne: usize, dim: usize) {
        self.row_of_slot.clear();
        self.row_of_slot.extend(0..ne);
        self.spare_rows.clear();
        self.spare_rows.extend(ne..2 * ne);
        self.anchor.clear();
        self.anchor.resize(dim, F::zero());
        self.anchor_value = F::zero();
        self.order.clear();
        self.order.extend(0..ne);
        self.lengths.clear();
        self.lengths.resize(ne, 1.0);
        self.values.clear();
        self.values.resize(ne, F::zero());
        self.gram_error.clear();
        self.gram_error.resize(ne, 0.0);
        self.gram.clear();
        self.gram.resize(ne * ne, 0.0);
    }

    /// The offset pᵢ − anchor of the sample in `slot`, coordinate j.
    pub(super) fn offset(&self, points: &[F], slot: usize, j: usize) -> F {
        let dim = self.anchor.len();
        points[self.row_of_slot[slot] * dim + j] - self.anchor[j]
    }
}

/// Everything a [`Relizo`] carries between steps, what the step in progress has
/// prepared, and the scratch of each phase.
///
/// A step only reads the state carried between steps: it writes its results
/// into `next` and its new points into spare rows of `points`, and
/// [`commit`](crate::GradientEstimator::commit) swaps `next` in. A rolled-back step
/// therefore has nothing to undo.
#[derive(Clone, Default)]
pub(super) struct State<F> {
    pub(super) dim: usize,
    /// Effective n = min(n, d).
    pub(super) ne: usize,
    /// 2·ne rows of d values: the points of the samples (the points actually
    /// queried), in the rows the layouts name, and spare rows for a step's new points.
    pub(super) points: Vec<F>,
    pub(super) held: Layout<F>,
    pub(super) next: Layout<F>,
    pub(super) has_samples: bool,
    pub(super) last: Option<RelizoStep>,
    /// The step in progress: made permanent by commit, dropped by rollback.
    pub(super) plan: Option<Plan<F>>,
    pub(super) selection: Selection,
    pub(super) entries: FreshEntries,
    pub(super) staging: Staging<F>,
    pub(super) ortho: Orthogonalizer,
    pub(super) solver: Solver,
}

impl<F: Real> State<F> {
    /// Room for `ne` samples of dimension `dim`, holding none.
    pub(super) fn resize(&mut self, ne: usize, dim: usize) {
        self.dim = dim;
        self.ne = ne;
        // A fresh zeroed allocation rather than a resize: the operating system maps
        // zeroed pages lazily, so a row costs nothing until a step first writes it
        // (and the spare half is written only as steps draw new points).
        self.points = vec![F::zero(); 2 * ne * dim];
        self.held.resize(ne, dim);
        self.next.resize(ne, dim);
        self.has_samples = false;
        self.last = None;
        self.plan = None;
        self.selection.resize(ne);
        self.entries.resize(ne);
        self.staging.resize(ne);
        self.ortho.resize(ne);
        self.solver.resize(ne);
    }
}

/// What the step in progress has decided, kept from its first call to commit.
#[derive(Clone, Copy, Debug)]
pub(super) struct Plan<F> {
    /// How the new samples are drawn (k reused, m new, σ).
    pub(super) draw: Draw,
    /// f(x) when it was known at the start of the step; otherwise it is the
    /// first query of the round.
    pub(super) fx: Option<F>,
    pub(super) reused_previous_iterate: bool,
    pub(super) recomputed: usize,
    /// Set once the estimate is written: f(x) and the step's statistics.
    pub(super) done: Option<(F, RelizoStep)>,
}

impl<F> Plan<F> {
    /// Queries of the step's round: f(x) unless known, and the new samples.
    pub(super) fn queries(&self) -> usize {
        usize::from(self.fx.is_none()) + self.draw.m
    }
}
