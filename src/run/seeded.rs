//! Seed-replayed query points: how a row is formed from x and a direction
//! regenerated from its seed, and the in-place walk that visits such rows.

use crate::direction::SeededDirection;
use crate::real::Real;
use std::ops::Range;

/// How a seed-replayed query point is formed from the iterate x.
///
/// Seeded rows let a round describe its points without storing them: a row is
/// x plus a multiple of a direction regenerated from its seed. The sequential
/// driver ([`Optimizer::minimize`](crate::Optimizer::minimize)) evaluates such a
/// round *in place* — it moves x to each point, calls the objective, and moves
/// it back — so that nothing d-sized is stored; other drivers materialise the
/// points with exactly the same floating-point operations, so every driver
/// evaluates the same bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
///
/// ```
/// use zoptim::run::Perturb;
/// use zoptim::{Direction, Query, Round, SeededDirection, ZoRng};
///
/// // An exact row is x with its support replaced by x_S + s·u, to the last bit.
/// let u = SeededDirection::draw(Direction::Gaussian, &mut ZoRng::seed_from_u64(1), 2);
/// let mut round = Round::<f64>::new(2);
/// round.push_seeded(Query::Plus(0), u, 0.1, 0..2, Perturb::Exact);
/// let (x, mut p, mut scratch) = ([1.0, 2.0], [0.0; 2], Vec::new());
/// assert!(round.write_point(0, &x, &mut p, &mut scratch));
/// let mut want = x;
/// u.axpy(0.1, &mut want);
/// assert_eq!(p, want);
/// ```
pub enum Perturb {
    /// MeZO's walk: the rows of one direction are visited by moving x in place
    /// (x += s₁·u, then x += (s₂ − s₁)·u, …) and x is moved back by −s_last·u
    /// before the next direction. Each in-place addition rounds, so the point of
    /// a later row and the iterate after the round can differ from the exact
    /// x ± s·u by a few units in the last place of |xᵢ| + 2|s·uᵢ|. Rows of one
    /// direction must be consecutive. The crate's memory-light estimators let
    /// the final move back wait for the update, which folds it into its own pass
    /// (see [`Storage::Seeded`](crate::estimator::Storage::Seeded)); every
    /// driver does the same, so the bits agree.
    Walk,
    /// The point is exactly x with its support replaced by x_S + s·u (x_S is saved
    /// and restored exactly; the iterate does not drift). Costs a copy of the
    /// support.
    Exact,
}

/// A seed-replayed query point: x + `scale`·u on `support`, with u replayed from
/// `direction` (length `support.len()`), formed as [`Perturb`] says.
///
/// This is what a remote worker needs to regenerate its point from x instead of
/// receiving d numbers: the direction (kind, seed and length, see
/// [`SeededDirection`]), the scale and the support. For [`Perturb::Walk`] rows
/// the base point of a direction is the iterate after the previous directions'
/// walks, so a worker replays the earlier directions of the round as well
/// ([`Round::write_point`](super::Round::write_point) does exactly this).
#[derive(Clone, Debug, PartialEq)]
///
/// ```
/// use zoptim::run::Perturb;
/// use zoptim::{Direction, Query, Round, SeededDirection, ZoRng};
///
/// let u = SeededDirection::draw(Direction::Rademacher, &mut ZoRng::seed_from_u64(2), 3);
/// let mut round = Round::<f64>::new(5);
/// round.push_seeded(Query::Minus(0), u, -0.5, 1..4, Perturb::Exact);
/// let row = &round.seeded()[0];
/// assert_eq!((row.scale, row.support.clone(), row.perturb), (-0.5, 1..4, Perturb::Exact));
/// assert_eq!(row.direction.len(), row.support.len());
/// ```
pub struct SeededRow<F> {
    /// The direction, replayed from its seed.
    pub direction: SeededDirection,
    /// The multiple s of u added to x.
    pub scale: F,
    /// The coordinates the direction covers (0..d for a full direction).
    pub support: Range<usize>,
    /// How the point is formed.
    pub perturb: Perturb,
}

impl<F: Real> SeededRow<F> {
    /// y\[support\] += scale·u: the exact perturbation (nothing for a zero
    /// scale, so that a centre row is x itself, signed zeros included).
    pub(crate) fn apply(&self, y: &mut [F]) {
        if self.scale == F::zero() {
            return;
        }
        if let Some(s) = y.get_mut(self.support.clone()) {
            self.direction.axpy_auto(self.scale, s);
        }
    }
}

/// A walk's last displacement, not yet undone: x stands at the iterate plus
/// `s`·u on `support`. A round whose estimator allows it
/// ([`Round::defer_return`](super::Round::defer_return)) leaves x there after
/// its values are in, so that the update rule can fold the move back into its
/// own pass over x (see [`Sgd`](crate::Sgd)); otherwise [`undo`](Self::undo)
/// is exactly the move back the walk would have made.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Displacement<F> {
    pub(crate) direction: SeededDirection,
    pub(crate) support: Range<usize>,
    pub(crate) scale: F,
}

impl<F: Real> Displacement<F> {
    /// x\[support\] += −s·u: the walk's move back (nothing for s = 0).
    pub(crate) fn undo(self, x: &mut [F]) {
        if self.scale != F::zero()
            && let Some(xs) = x.get_mut(self.support)
        {
            self.direction.axpy_auto(-self.scale, xs);
        }
    }
}

/// Where an in-place walk stands: the direction x is displaced along, and by how much.
#[derive(Default)]
pub(crate) struct Walk<F> {
    at: Option<Displacement<F>>,
}

impl<F: Real> Walk<F> {
    /// Moves x from its current displacement to the point of `row`.
    pub(crate) fn move_to(&mut self, row: &SeededRow<F>, x: &mut [F]) {
        if let Some(at) = &mut self.at
            && at.direction == row.direction
            && at.support == row.support
        {
            let step = row.scale - at.scale;
            if let Some(xs) = x.get_mut(row.support.clone()) {
                at.direction.axpy_auto(step, xs);
            }
            at.scale = row.scale;
            return;
        }
        self.finish(x);
        row.apply(x);
        self.at = Some(Displacement {
            direction: row.direction,
            support: row.support.clone(),
            scale: row.scale,
        });
    }

    /// Moves x back by the current displacement.
    pub(crate) fn finish(&mut self, x: &mut [F]) {
        if let Some(at) = self.at.take() {
            at.undo(x);
        }
    }

    /// Ends the walk without moving x back: the displacement x is left at.
    pub(crate) fn leave(&mut self) -> Option<Displacement<F>> {
        self.at.take().filter(|at| at.scale != F::zero())
    }
}
