//! A batch of query points, as [`Run::ask`](super::Run::ask) hands it out.

use super::{Round, SeededRow};
use crate::oracle::Query;
use crate::real::Real;
use ndarray::ArrayView2;

/// A batch of query points to evaluate: one round of a run, from [`Run::ask`](super::Run::ask).
///
/// Evaluate f at every row of [`points`](Batch::points) and pass the values, in
/// row order, to [`Run::tell`](super::Run::tell). Each row carries a [`Query`] label. Rows that are
/// x plus a seed-replayed direction also have a compact description
/// ([`seeded`](Batch::seeded)), from which a worker that holds x can regenerate
/// its point instead of receiving d numbers ([`Round::write_point`]).
#[derive(Debug)]
pub struct Batch<'r, F> {
    pub(super) round: &'r Round<F>,
}

impl<F: Real> Batch<'_, F> {
    /// The number of query points.
    pub fn len(&self) -> usize {
        self.round.len()
    }

    /// True when the batch has no point (never the case for a batch from `ask`).
    pub fn is_empty(&self) -> bool {
        self.round.is_empty()
    }

    /// The query points, one row each (`len × d`).
    pub fn points(&self) -> ArrayView2<'_, F> {
        self.round.points()
    }

    /// Row `i`'s label: which point of the step it is.
    pub fn query(&self, i: usize) -> Option<Query> {
        self.round.queries().get(i).copied()
    }

    /// Every row's label, in row order.
    pub fn queries(&self) -> &[Query] {
        self.round.queries()
    }

    /// The seed-replayed description of each row, when the round is seeded
    /// (empty otherwise). See [`SeededRow`].
    pub fn seeded(&self) -> &[SeededRow<F>] {
        self.round.seeded()
    }

    /// The round itself.
    pub fn round(&self) -> &Round<F> {
        self.round
    }
}
