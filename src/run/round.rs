//! A round: a batch of query points whose values do not depend on one another.

use crate::direction::SeededDirection;
use crate::error::Query;
use crate::real::Real;
use ndarray::ArrayView2;
use std::ops::Range;

use super::seeded::{Displacement, Walk};
pub use super::seeded::{Perturb, SeededRow};

/// The query points of one round, written by an estimator or update rule and
/// evaluated by whoever holds the objective.
///
/// Rows are either *materialised* ([`push`](Round::push): the component writes
/// the d values) or *seeded* ([`push_seeded`](Round::push_seeded): x plus a
/// replayed direction, materialised only when a driver needs the numbers). A
/// round holds one kind of row. Buffers keep their capacity between rounds, so
/// after the first step of a given size nothing is allocated.
#[derive(Clone, Debug, Default)]
///
/// ```
/// use zoptim::{Query, Round};
///
/// let x = [1.0, 2.0];
/// let mut round = Round::<f64>::new(2);
/// round.push_copy(Query::Center, &x);
/// round.push(Query::Plus(0)).copy_from_slice(&[1.5, 2.0]);
/// assert_eq!(round.len(), 2);
/// assert_eq!(round.queries(), [Query::Center, Query::Plus(0)]);
/// assert_eq!(round.points().row(1).to_vec(), [1.5, 2.0]);
/// assert!(round.values().is_empty()); // not evaluated yet
/// ```
pub struct Round<F> {
    dim: usize,
    /// Point storage; only the first `used` values belong to this round. The
    /// buffer is never shrunk, so rows are not zero-filled again every step.
    points: Vec<F>,
    used: usize,
    queries: Vec<Query>,
    values: Vec<F>,
    seeded: Vec<SeededRow<F>>,
    /// True when `points` holds the materialised seeded rows.
    materialized: bool,
    /// Where a materialised walk leaves x (applied when the round is answered).
    walk_end: Vec<F>,
    walk_pending: bool,
    /// The largest support the component's seeded rows will use (a sizing hint).
    support_hint: usize,
    /// True once the in-place driver has moved x along this round's walk.
    walked: bool,
    /// The component lets the drivers leave x at the walk's last displacement
    /// (see [`defer_return`](Round::defer_return)).
    defer: bool,
    /// The displacement x was left at, once the round has been evaluated.
    left: Option<Displacement<F>>,
}

impl<F: Real> Round<F> {
    /// An empty round for points of dimension `dim`.
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let round = Round::<f32>::new(3);
    /// assert_eq!((round.dim(), round.len()), (3, 0));
    /// ```
    pub fn new(dim: usize) -> Self {
        Round {
            dim,
            points: Vec::new(),
            used: 0,
            queries: Vec::new(),
            values: Vec::new(),
            seeded: Vec::new(),
            materialized: false,
            walk_end: Vec::new(),
            walk_pending: false,
            support_hint: 0,
            walked: false,
            defer: false,
            left: None,
        }
    }

    /// Empties the round (capacity is kept) for points of dimension `dim`.
    pub(crate) fn clear(&mut self, dim: usize) {
        self.dim = dim;
        self.used = 0;
        self.queries.clear();
        self.values.clear();
        self.seeded.clear();
        self.materialized = false;
        self.walk_pending = false;
        self.support_hint = 0;
        self.walked = false;
        self.defer = false;
        self.left = None;
    }

    /// Lets the drivers leave x at this round's last walk displacement instead
    /// of moving it back, recording it for the engine (which hands it to an
    /// update rule that folds the move back into its own pass, or undoes it).
    /// Only for a component whose next call reads neither x nor the points.
    pub(crate) fn defer_return(&mut self) {
        self.defer = true;
    }

    /// True when [`defer_return`](Round::defer_return) was called.
    pub(crate) fn defers_return(&self) -> bool {
        self.defer
    }

    /// Records the displacement a driver left x at (in-place evaluation).
    pub(crate) fn set_left(&mut self, left: Option<Displacement<F>>) {
        self.left = left;
    }

    /// The displacement x was left at by the evaluation of this round, if any.
    pub(crate) fn take_left(&mut self) -> Option<Displacement<F>> {
        self.left.take()
    }

    /// Makes the point buffer at least `n` values long (it never shrinks).
    fn grow(&mut self, n: usize) {
        if self.points.len() < n {
            self.points.resize(n, F::zero());
        }
    }

    /// Tells the drivers that this component's seeded rows use supports of at
    /// most `len` coordinates, over all its steps, so that the buffer the
    /// in-place driver saves a support into is sized once (a component whose
    /// support changes size from step to step calls this every step).
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(1000);
    /// round.reserve_support(64); // seeded rows of this component cover ≤ 64 coordinates
    /// assert!(round.is_empty());
    /// ```
    pub fn reserve_support(&mut self, len: usize) {
        self.support_hint = self.support_hint.max(len);
    }

    pub(crate) fn support_hint(&self) -> usize {
        self.support_hint
    }

    /// The dimension d of the points.
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// assert_eq!(Round::<f64>::new(7).dim(), 7);
    /// ```
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The number of query points.
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(1);
    /// round.push_copy(Query::Center, &[0.0]);
    /// round.push_copy(Query::Plus(0), &[1.0]);
    /// assert_eq!(round.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// True when the round has no query point.
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(1);
    /// assert!(round.is_empty());
    /// round.push_copy(Query::Center, &[0.0]);
    /// assert!(!round.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }

    /// Adds a materialised query point labelled `query` and returns its d values
    /// to be written (contents unspecified: write every entry).
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(3);
    /// let p = round.push(Query::Sample(0));
    /// assert_eq!(p.len(), 3);
    /// p.copy_from_slice(&[1.0, 2.0, 3.0]);
    /// assert_eq!(round.point(0), [1.0, 2.0, 3.0]);
    /// ```
    pub fn push(&mut self, query: Query) -> &mut [F] {
        debug_assert!(self.seeded.is_empty(), "a round holds one kind of row");
        self.queries.push(query);
        let start = self.used;
        self.grow(start + self.dim);
        self.used = start + self.dim;
        self.materialized = true;
        &mut self.points[start..self.used]
    }

    /// The last `rows` materialised rows, contiguous (`rows × d` values).
    pub(crate) fn last_rows_mut(&mut self, rows: usize) -> &mut [F] {
        let n = (rows * self.dim).min(self.used);
        let start = self.used - n;
        &mut self.points[start..self.used]
    }

    /// Adds a copy of `point` (d values) as a query point labelled `query`.
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(2);
    /// round.push_copy(Query::Trial(0), &[4.0, 5.0]);
    /// assert_eq!((round.queries()[0], round.point(0)), (Query::Trial(0), &[4.0, 5.0][..]));
    /// ```
    pub fn push_copy(&mut self, query: Query, point: &[F]) {
        debug_assert!(self.seeded.is_empty(), "a round holds one kind of row");
        self.queries.push(query);
        let start = self.used;
        self.grow(start + self.dim);
        self.used = start + self.dim;
        let n = self.dim.min(point.len());
        self.points[start..start + n].copy_from_slice(&point[..n]);
        self.materialized = true;
    }

    /// Adds a seeded query point: x + `scale`·u on `support`, u replayed from
    /// `direction` (whose length must be `support.len()`).
    ///
    /// ```
    /// use zoptim::run::Perturb;
    /// use zoptim::{Direction, Query, Round, SeededDirection, ZoRng};
    ///
    /// let u = SeededDirection::draw(Direction::Gaussian, &mut ZoRng::seed_from_u64(3), 4);
    /// let mut round = Round::<f64>::new(4);
    /// round.push_seeded(Query::Plus(0), u, 1e-3, 0..4, Perturb::Walk);
    /// round.push_seeded(Query::Minus(0), u, -1e-3, 0..4, Perturb::Walk);
    /// assert!(round.is_seeded() && round.len() == 2);
    /// assert_eq!(round.points().nrows(), 0); // nothing materialised
    /// ```
    pub fn push_seeded(
        &mut self,
        query: Query,
        direction: SeededDirection,
        scale: F,
        support: Range<usize>,
        perturb: Perturb,
    ) {
        debug_assert!(self.used == 0 || !self.materialized, "a round holds one kind of row");
        self.queries.push(query);
        self.seeded.push(SeededRow {
            direction,
            scale,
            support,
            perturb,
        });
    }

    /// The label of each query point, in row order.
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(1);
    /// round.push_copy(Query::Plus(3), &[0.0]);
    /// assert_eq!(round.queries(), [Query::Plus(3)]);
    /// ```
    pub fn queries(&self) -> &[Query] {
        &self.queries
    }

    /// The seeded description of each row, when the round is seeded (empty otherwise).
    ///
    /// ```
    /// use zoptim::run::Perturb;
    /// use zoptim::{Direction, Query, Round, SeededDirection, ZoRng};
    ///
    /// let u = SeededDirection::draw(Direction::Sphere, &mut ZoRng::seed_from_u64(4), 2);
    /// let mut round = Round::<f64>::new(2);
    /// round.push_seeded(Query::Plus(0), u, 0.5, 0..2, Perturb::Exact);
    /// assert_eq!(round.seeded()[0].direction, u);
    /// ```
    pub fn seeded(&self) -> &[SeededRow<F>] {
        &self.seeded
    }

    /// True when the rows are seeded (see [`SeededRow`]).
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(1);
    /// round.push_copy(Query::Center, &[0.0]);
    /// assert!(!round.is_seeded());
    /// ```
    pub fn is_seeded(&self) -> bool {
        !self.seeded.is_empty()
    }

    /// The values of the round's points, in row order, once the round has been
    /// evaluated (empty before).
    ///
    /// The driver fills them; an estimator reads them on its next call through
    /// [`EstimateContext::answered`](crate::estimator::EstimateContext::answered)
    /// (see the example there). Before evaluation there are none:
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(1);
    /// round.push_copy(Query::Center, &[0.0]);
    /// assert!(round.values().is_empty());
    /// ```
    pub fn values(&self) -> &[F] {
        &self.values
    }

    /// The value of the first row labelled `query`, once evaluated.
    ///
    /// Used in the [`EstimateContext`](crate::estimator::EstimateContext) example;
    /// before evaluation it is `None`:
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(1);
    /// round.push_copy(Query::Center, &[0.0]);
    /// assert_eq!(round.value_of(Query::Center), None);
    /// ```
    pub fn value_of(&self, query: Query) -> Option<F> {
        let i = self.queries.iter().position(|&q| q == query)?;
        self.values.get(i).copied()
    }

    /// Row `i` of a materialised round (or of a seeded round once a driver has
    /// materialised it); empty when out of range.
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(2);
    /// round.push_copy(Query::Center, &[1.0, 2.0]);
    /// assert_eq!(round.point(0), [1.0, 2.0]);
    /// assert!(round.point(1).is_empty());
    /// ```
    pub fn point(&self, i: usize) -> &[F] {
        let d = self.dim;
        if !self.materialized {
            return &[];
        }
        if (i + 1) * d > self.used {
            return &[];
        }
        &self.points[i * d..(i + 1) * d]
    }

    /// All points as a `len × d` view (materialised rounds only; empty otherwise).
    ///
    /// ```
    /// use zoptim::{Query, Round};
    ///
    /// let mut round = Round::<f64>::new(2);
    /// round.push_copy(Query::Center, &[1.0, 2.0]);
    /// round.push_copy(Query::Plus(0), &[1.1, 2.0]);
    /// assert_eq!(round.points().dim(), (2, 2));
    /// assert_eq!(round.points()[[1, 0]], 1.1);
    /// ```
    pub fn points(&self) -> ArrayView2<'_, F> {
        let rows = if self.materialized { self.len() } else { 0 };
        let d = self.dim;
        ArrayView2::from_shape((rows, d), &self.points[..rows * d]).expect("the point buffer holds len × d values")
    }

    pub(crate) fn set_values(&mut self, values: &[F]) {
        self.values.clear();
        self.values.extend_from_slice(values);
    }

    pub(crate) fn is_materialized(&self) -> bool {
        self.materialized
    }

    /// Calls `visit(i, point)` for every row `i` in `rows`, in order, forming
    /// seeded points from the iterate `x` with one replay of the round's walk
    /// (so a block of rows costs one pass per direction, not one replay per
    /// row as repeated [`write_point`](Round::write_point) calls would).
    /// `scratch` and `out` are d-sized scratch. Returns false when the range or
    /// `x.len()` does not fit the round.
    ///
    /// ```
    /// use zoptim::run::Perturb;
    /// use zoptim::{Direction, Query, Round, SeededDirection, ZoRng};
    ///
    /// let u = SeededDirection::draw(Direction::Gaussian, &mut ZoRng::seed_from_u64(5), 3);
    /// let mut round = Round::<f64>::new(3);
    /// round.push_seeded(Query::Plus(0), u, 0.1, 0..3, Perturb::Walk);
    /// round.push_seeded(Query::Minus(0), u, -0.1, 0..3, Perturb::Walk);
    /// let x = [1.0, 2.0, 3.0];
    /// let (mut scratch, mut out, mut one) = (Vec::new(), Vec::new(), [0.0; 3]);
    /// let mut visited = Vec::new();
    /// assert!(round.visit_points(0..2, &x, &mut scratch, &mut out, |i, p| visited.push((i, p.to_vec()))));
    /// for (i, p) in &visited {
    ///     round.write_point(*i, &x, &mut one, &mut Vec::new());
    ///     assert_eq!(p[..], one);
    /// }
    /// ```
    pub fn visit_points(
        &self,
        rows: Range<usize>,
        x: &[F],
        scratch: &mut Vec<F>,
        out: &mut Vec<F>,
        mut visit: impl FnMut(usize, &[F]),
    ) -> bool {
        let d = self.dim;
        if rows.end > self.len() || rows.start > rows.end || x.len() != d {
            return false;
        }
        if !self.is_seeded() {
            for i in rows {
                visit(i, self.point(i));
            }
            return true;
        }
        scratch.clear();
        scratch.extend_from_slice(x);
        let mut walk = Walk::default();
        for (i, r) in self.seeded[..rows.end].iter().enumerate() {
            match r.perturb {
                Perturb::Walk => {
                    walk.move_to(r, scratch);
                    if i >= rows.start {
                        visit(i, scratch);
                    }
                }
                Perturb::Exact => {
                    walk.finish(scratch);
                    if i >= rows.start {
                        out.clear();
                        out.extend_from_slice(scratch);
                        r.apply(out);
                        visit(i, out);
                    }
                }
            }
        }
        true
    }

    /// Writes the point of row `i` into `out` (d values) from the iterate `x`,
    /// replaying seeded directions exactly as the in-place driver moves x.
    /// `scratch` (d values) is used for [`Perturb::Walk`] rows. Returns false when
    /// `i` is out of range or the lengths do not match.
    ///
    /// ```
    /// use zoptim::run::Perturb;
    /// use zoptim::{Direction, Query, Round, SeededDirection, ZoRng};
    ///
    /// let u = SeededDirection::draw(Direction::Rademacher, &mut ZoRng::seed_from_u64(6), 2);
    /// let mut round = Round::<f64>::new(2);
    /// round.push_seeded(Query::Plus(0), u, 0.25, 0..2, Perturb::Walk);
    /// let (mut p, mut scratch) = ([0.0; 2], Vec::new());
    /// assert!(round.write_point(0, &[1.0, 1.0], &mut p, &mut scratch));
    /// let mut want = [1.0, 1.0];
    /// u.axpy(0.25, &mut want);
    /// assert_eq!(p, want);
    /// assert!(!round.write_point(1, &[1.0, 1.0], &mut p, &mut scratch)); // no row 1
    /// ```
    pub fn write_point(&self, i: usize, x: &[F], out: &mut [F], scratch: &mut Vec<F>) -> bool {
        let d = self.dim;
        if i >= self.len() || x.len() != d || out.len() != d {
            return false;
        }
        if self.materialized && !self.is_seeded() {
            out.copy_from_slice(self.point(i));
            return true;
        }
        let row = &self.seeded[i];
        match row.perturb {
            Perturb::Exact | Perturb::Walk => {
                // Replay the rounds's earlier walks: a row's base point is where
                // they leave x.
                scratch.clear();
                scratch.extend_from_slice(x);
                let mut walk = Walk::default();
                for r in &self.seeded[..i] {
                    match r.perturb {
                        Perturb::Walk => walk.move_to(r, scratch),
                        Perturb::Exact => walk.finish(scratch),
                    }
                }
                match row.perturb {
                    Perturb::Walk => walk.move_to(row, scratch),
                    Perturb::Exact => {
                        walk.finish(scratch);
                        row.apply(scratch);
                    }
                }
                out.copy_from_slice(scratch);
            }
        }
        true
    }

    /// Materialises seeded rows into the point buffer (a no-op for a materialised
    /// round), with exactly the operations the in-place driver applies to x. x
    /// itself is not changed; for [`Perturb::Walk`] rows the point the walk ends
    /// at is kept, and [`settle`](Round::settle) moves x there once the round is
    /// answered (as the in-place driver leaves it).
    pub(crate) fn materialize(&mut self, x: &[F]) {
        if self.materialized || self.seeded.is_empty() {
            return;
        }
        let d = self.dim;
        let n = self.seeded.len();
        self.grow(n * d);
        self.used = n * d;
        let mut walked = false;
        self.walk_end.clear();
        self.walk_end.extend_from_slice(x);
        let mut walk = Walk::default();
        for (r, out) in self.seeded.iter().zip(self.points[..n * d].chunks_exact_mut(d.max(1))) {
            match r.perturb {
                Perturb::Exact => {
                    walk.finish(&mut self.walk_end);
                    out.copy_from_slice(&self.walk_end);
                    r.apply(out);
                }
                Perturb::Walk => {
                    walk.move_to(r, &mut self.walk_end);
                    out.copy_from_slice(&self.walk_end);
                    walked = true;
                }
            }
        }
        self.end_walk(&mut walk, None);
        self.walk_pending = walked;
        self.materialized = true;
    }

    /// Moves x to where the in-place walk of the round leaves it, once its
    /// values are in (a no-op for rounds without [`Perturb::Walk`] rows, and for
    /// rounds the in-place driver evaluated, which left x there already).
    pub(crate) fn settle(&mut self, x: &mut [F]) {
        if self.walk_pending && x.len() == self.walk_end.len() {
            x.copy_from_slice(&self.walk_end);
        } else if !self.materialized && self.seeded.iter().any(|r| r.perturb == Perturb::Walk) && !self.walked {
            // Told without materialising (ask_compact): replay the walk's moves.
            let mut walk = Walk::default();
            for r in &self.seeded {
                match r.perturb {
                    Perturb::Walk => walk.move_to(r, x),
                    Perturb::Exact => walk.finish(x),
                }
            }
            self.end_walk(&mut walk, Some(x));
        }
        self.walk_pending = false;
    }

    /// Ends a walk on `x` (the walk-end buffer when `None`): moved back, or left
    /// displaced and recorded when the round defers its return.
    fn end_walk(&mut self, walk: &mut Walk<F>, x: Option<&mut [F]>) {
        if self.defer {
            self.left = walk.leave();
            return;
        }
        match x {
            Some(x) => walk.finish(x),
            None => walk.finish(&mut self.walk_end),
        }
    }

    /// Projects every point of the round onto `set` (materialising seeded rows
    /// first), so that no query leaves the feasible set; the rows are then
    /// plain points (their seeded descriptions no longer describe them).
    pub(crate) fn confine(&mut self, x: &[F], set: &dyn crate::projection::Projection<F>) {
        self.materialize(x);
        let d = self.dim;
        if d == 0 {
            return;
        }
        for row in self.points[..self.used].chunks_exact_mut(d) {
            set.project(row, 0..d);
        }
        self.seeded.clear();
    }

    /// Records that the in-place driver evaluated this round (x already walked).
    pub(crate) fn mark_walked(&mut self) {
        self.walked = true;
    }
}
