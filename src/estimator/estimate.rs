//! What an estimate is: [`Estimate`] (the three forms of ĝ), what it reports
//! ([`EstimateInfo`]), and what an estimator is lent for one call
//! ([`EstimateContext`]).
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use crate::error::Result;
use crate::random::direction::SeededDirection;
use crate::random::rng::ZoRng;
use crate::real::Real;
use crate::run::Round;
use std::ops::Range;

/// What an estimator is lent for one call of
/// [`estimate`](super::GradientEstimator::estimate).
#[non_exhaustive]
///
/// It is lent by the optimizer or by [`estimate_once`](super::estimate_once);
/// an estimator reads it:
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::estimator::{Estimate, EstimateContext, EstimateInfo, GradientEstimator, estimate_once};
/// use zoptim::run::{Flow, Round};
/// use zoptim::{Query, Result, ZoRng};
///
/// // Two rounds, f(x) then f(x + μ·e₀), recording what the context shows.
/// struct Probe { seen: Vec<(usize, usize, bool, f64)> }
/// impl GradientEstimator<f64> for Probe {
///     fn name(&self) -> &'static str { "probe" }
///     fn validate(&self) -> Result<()> { Ok(()) }
///     fn max_queries(&self, _: usize) -> usize { 2 }
///     fn estimate(&mut self, x: &[f64], ctx: &mut EstimateContext<'_, f64>, round: &mut Round<f64>,
///                 out: &mut Estimate<f64>) -> Result<Flow<EstimateInfo<f64>>> {
///         let mu = ctx.smoothing_or(1e-3);
///         self.seen.push((ctx.round_index(), ctx.queries(), ctx.answered().is_some(), mu));
///         match ctx.round_index() {
///             0 => round.push_copy(Query::Center, x),
///             1 => round.push(Query::Plus(0)).iter_mut().zip(x).enumerate()
///                 .for_each(|(i, (p, &xi))| *p = if i == 0 { xi + mu } else { xi }),
///             _ => {
///                 let f0 = ctx.answered().and_then(|r| r.value_of(Query::Plus(0))).unwrap();
///                 out.dense_mut(x.len(), 0..1)[0] = f0;
///                 return Ok(Flow::Done(EstimateInfo::new(ctx.queries(), None)));
///             }
///         }
///         Ok(Flow::Query)
///     }
/// }
/// let mut probe = Probe { seen: Vec::new() };
/// let (mut x, mut g) = ([1.0, 2.0], Estimate::new());
/// let mut f = |x: ArrayView1<f64>| x.sum();
/// let info = estimate_once(&mut probe, &mut f, &mut x, &mut ZoRng::seed_from_u64(0), &mut g)?;
/// assert_eq!(info.queries, 2);
/// assert_eq!(probe.seen, [(0, 0, false, 1e-3), (1, 1, true, 1e-3), (2, 2, true, 1e-3)]);
/// # Ok::<(), zoptim::Error>(())
/// ```
pub struct EstimateContext<'a, F: Real> {
    rng: &'a mut ZoRng,
    fx: Option<F>,
    iteration: usize,
    smoothing: Option<F>,
    answered: Option<&'a Round<F>>,
    round: usize,
    queries: usize,
    resampled: bool,
}

impl<'a, F: Real> EstimateContext<'a, F> {
    pub(crate) fn new(rng: &'a mut ZoRng, fx: Option<F>, iteration: usize, smoothing: Option<F>) -> Self {
        EstimateContext {
            rng,
            fx,
            iteration,
            smoothing,
            answered: None,
            round: 0,
            queries: 0,
            resampled: false,
        }
    }

    pub(crate) fn with_resampled(mut self, resampled: bool) -> Self {
        self.resampled = resampled;
        self
    }

    /// True when the objective was resampled for this step (a stochastic run
    /// draws a new minibatch before every step), so values from earlier steps
    /// belong to another sample and must not be mixed with this step's.
    pub fn resampled(&self) -> bool {
        self.resampled
    }

    pub(crate) fn with_answered(mut self, round: usize, answered: Option<&'a Round<F>>, queries: usize) -> Self {
        self.round = round;
        self.answered = answered;
        self.queries = queries;
        self
    }

    /// The optimizer's generator: the only source of randomness an estimator
    /// may use, so that runs are reproducible.
    pub fn rng(&mut self) -> &mut ZoRng {
        self.rng
    }

    /// f(x) for this x and this objective, when already known (from the
    /// previous step's accepted trial, or the run's first evaluation). An
    /// estimator that needs f(x) uses it instead of asking for a
    /// [`Query::Center`](crate::Query::Center) point.
    pub fn fx(&self) -> Option<F> {
        self.fx
    }

    /// The 0-based index of this step.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// The smoothing parameter μ for this step: the optimizer's μ schedule when
    /// one is set, otherwise `own` (the estimator's configured μ).
    pub fn smoothing_or(&self, own: f64) -> F {
        self.smoothing.unwrap_or_else(|| F::of_f64(own))
    }

    /// The μ schedule's value for this step, when one is set.
    pub fn smoothing(&self) -> Option<F> {
        self.smoothing
    }

    /// The round evaluated since the previous call, with its points' labels and
    /// values (`None` on the first call of a step).
    pub fn answered(&self) -> Option<&'a Round<F>> {
        self.answered
    }

    /// The 0-based index of this call within the step (rounds answered so far).
    pub fn round_index(&self) -> usize {
        self.round
    }

    /// Queries answered so far in this step.
    pub fn queries(&self) -> usize {
        self.queries
    }
}

/// What an estimate reports besides the gradient.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
///
/// ```
/// use zoptim::estimator::EstimateInfo;
///
/// let info = EstimateInfo::new(9, Some(0.5_f64)).with_reused(3).with_rank(8);
/// assert_eq!((info.queries, info.fx, info.reused, info.rank), (9, Some(0.5), 3, Some(8)));
/// ```
pub struct EstimateInfo<F> {
    /// Queries the estimate made.
    pub queries: usize,
    /// f(x) at the current iterate, when the estimator evaluated (or was given) it.
    pub fx: Option<F>,
    /// Earlier queries reused instead of being made again (ReLIZO).
    pub reused: usize,
    /// Numerical rank of the interpolation system, where there is one (ReLIZO).
    pub rank: Option<usize>,
}

impl<F> EstimateInfo<F> {
    /// An info with the query count and f(x); nothing reused, no rank.
    ///
    /// ```
    /// use zoptim::estimator::EstimateInfo;
    ///
    /// let info = EstimateInfo::<f64>::new(4, None);
    /// assert_eq!((info.queries, info.fx, info.reused, info.rank), (4, None, 0, None));
    /// ```
    pub fn new(queries: usize, fx: Option<F>) -> Self {
        EstimateInfo {
            queries,
            fx,
            reused: 0,
            rank: None,
        }
    }

    /// Sets the number of reused queries.
    ///
    /// ```
    /// use zoptim::estimator::EstimateInfo;
    ///
    /// assert_eq!(EstimateInfo::<f64>::new(5, None).with_reused(3).reused, 3);
    /// ```
    pub fn with_reused(mut self, reused: usize) -> Self {
        self.reused = reused;
        self
    }

    /// Sets the numerical rank.
    ///
    /// ```
    /// use zoptim::estimator::EstimateInfo;
    ///
    /// assert_eq!(EstimateInfo::<f64>::new(5, None).with_rank(4).rank, Some(4));
    /// ```
    pub fn with_rank(mut self, rank: usize) -> Self {
        self.rank = Some(rank);
        self
    }
}

/// How an [`Estimate`] holds its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
///
/// ```
/// use zoptim::estimator::{Estimate, Form};
///
/// let mut g = Estimate::<f64>::new();
/// g.dense_mut(3, 0..3);
/// assert_eq!(g.form(), Form::Dense);
/// g.stored_mut(3, 0..3, 2);
/// assert_eq!(g.form(), Form::Stored);
/// ```
pub enum Form {
    /// Explicit values on the support.
    Dense,
    /// g = Σⱼ cⱼ·uⱼ with the directions uⱼ stored as rows.
    Stored,
    /// g = Σⱼ cⱼ·uⱼ with each uⱼ replayed from its seed (nothing d-sized stored).
    Seeded,
}

/// A gradient estimate g, supported on a contiguous range of coordinates.
///
/// Estimators write it in the cheapest form they have: explicit values
/// ([`Form::Dense`]), or a combination Σⱼ cⱼ·uⱼ of directions that are stored
/// ([`Form::Stored`]) or replayed from seeds ([`Form::Seeded`]). Update rules read
/// it either with [`scaled_add_to`](Estimate::scaled_add_to), which streams
/// x ← x + α·g without materialising g (plain SGD's single pass), or with
/// [`values`](Estimate::values), which materialises it once.
///
/// Outside [`support`](Estimate::support) g is zero; block estimators use a
/// support smaller than 0..d so that a step touches only that block.
/// All buffers keep their capacity between steps: after the first step of a
/// given size nothing is allocated.
#[derive(Clone, Debug)]
///
/// ```
/// use zoptim::estimator::Estimate;
///
/// // g = 2·u₀ − u₁ with two stored directions on the support 1..3 of d = 4.
/// let mut g = Estimate::<f64>::new();
/// let (rows, coefs) = g.stored_mut(4, 1..3, 2);
/// rows.copy_from_slice(&[1.0, 0.0, 1.0, 1.0]);
/// coefs.copy_from_slice(&[2.0, -1.0]);
/// assert_eq!(g.to_vec(), [0.0, 1.0, -1.0, 0.0]);
/// let mut x = [1.0; 4];
/// g.scaled_add_to(-0.5, &mut x); // x ← x − 0.5·g
/// assert_eq!(x, [1.0, 0.5, 1.5, 1.0]);
/// ```
pub struct Estimate<F> {
    dim: usize,
    support: Range<usize>,
    form: Form,
    materialized: bool,
    dense: Vec<F>,
    rows: Vec<F>,
    coefs: Vec<F>,
    seeded: Vec<SeededDirection>,
    /// Set when `stored_mut` could not allocate its rows (see there).
    invalid: bool,
}

impl<F: Real> Default for Estimate<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Real> Estimate<F> {
    /// An empty estimate (d = 0).
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let g = Estimate::<f32>::new();
    /// assert_eq!((g.dim(), g.support()), (0, 0..0));
    /// ```
    pub fn new() -> Self {
        Estimate {
            dim: 0,
            support: 0..0,
            form: Form::Dense,
            materialized: true,
            dense: Vec::new(),
            rows: Vec::new(),
            coefs: Vec::new(),
            seeded: Vec::new(),
            invalid: false,
        }
    }

    /// The dimension d of the parameter vector.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.dense_mut(5, 2..3);
    /// assert_eq!(g.dim(), 5);
    /// ```
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Reserves room to materialise values on a support of up to `len`
    /// coordinates, so that later estimates of that size allocate nothing (for
    /// estimators whose support changes size from step to step).
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.reserve(100);
    /// g.dense_mut(100, 0..100)[99] = 1.0;
    /// assert_eq!(g.values()[99], 1.0);
    /// ```
    pub fn reserve(&mut self, len: usize) {
        self.dense.reserve(len.saturating_sub(self.dense.len()));
    }

    /// The coordinates where g may be non-zero.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.dense_mut(4, 1..9); // clipped to d
    /// assert_eq!(g.support(), 1..4);
    /// ```
    pub fn support(&self) -> Range<usize> {
        self.support.clone()
    }

    /// How the values are held.
    ///
    /// ```
    /// use zoptim::estimator::{Estimate, Form};
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.seeded_mut(3, 0..3);
    /// assert_eq!(g.form(), Form::Seeded);
    /// ```
    pub fn form(&self) -> Form {
        self.form
    }

    fn reset_to(&mut self, dim: usize, support: Range<usize>, form: Form) {
        let support = support.start.min(dim)..support.end.min(dim).max(support.start.min(dim));
        self.dim = dim;
        self.support = support;
        self.form = form;
        self.materialized = form == Form::Dense;
        self.invalid = false;
    }

    /// Starts a dense estimate on `support` and returns its zero-filled values
    /// (`support.len()` of them) to be written.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// let v = g.dense_mut(4, 1..3);
    /// assert_eq!(v, [0.0, 0.0]);
    /// v[1] = 5.0;
    /// assert_eq!(g.to_vec(), [0.0, 0.0, 5.0, 0.0]);
    /// ```
    pub fn dense_mut(&mut self, dim: usize, support: Range<usize>) -> &mut [F] {
        self.reset_to(dim, support, Form::Dense);
        let n = self.support.len();
        self.dense.clear();
        self.dense.resize(n, F::zero());
        &mut self.dense
    }

    /// Starts a stored-direction estimate g = Σⱼ cⱼ·uⱼ with `q` directions on
    /// `support`. Returns the rows (row-major, `q × support.len()`, contents
    /// unspecified: write every entry) and the coefficients (zero-filled).
    ///
    /// Never panics and never aborts on a size: when `q × support.len()` values
    /// (or `q` coefficients) cannot be allocated — the product overflows, or the
    /// allocator refuses — both returned slices are empty and the estimate is
    /// *invalid*: [`is_finite`](Estimate::is_finite) is false (so an optimizer
    /// rejects it with [`Error::NonFiniteEstimate`](crate::Error::NonFiniteEstimate)),
    /// and it has no coefficient (its [`values`](Estimate::values) are zero and
    /// [`scaled_add_to`](Estimate::scaled_add_to) changes nothing).
    /// [`try_stored_mut`](Estimate::try_stored_mut) reports the failure as an error.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// let (rows, coefs) = g.stored_mut(2, 0..2, 1);
    /// rows.copy_from_slice(&[3.0, 4.0]);
    /// coefs[0] = 0.5;
    /// assert_eq!(g.norm_squared(), 6.25);
    /// let (rows, _) = g.stored_mut(2, 0..2, usize::MAX); // cannot be allocated
    /// assert!(rows.is_empty() && !g.is_finite());
    /// ```
    pub fn stored_mut(&mut self, dim: usize, support: Range<usize>, q: usize) -> (&mut [F], &mut [F]) {
        self.reset_to(dim, support, Form::Stored);
        let n = self.support.len();
        let total = q.checked_mul(n);
        let fits = |buf: &mut Vec<F>, len: usize| buf.try_reserve(len.saturating_sub(buf.len())).is_ok();
        let ok = match total {
            Some(total) => fits(&mut self.rows, total) && fits(&mut self.coefs, q),
            None => false,
        };
        if !ok {
            self.invalid = true;
            self.coefs.clear();
            return (&mut [], &mut []);
        }
        let total = q * n;
        self.rows.resize(total, F::zero());
        self.coefs.clear();
        self.coefs.resize(q, F::zero());
        (&mut self.rows[..total], &mut self.coefs)
    }

    /// [`stored_mut`](Estimate::stored_mut), with a size that cannot be
    /// allocated reported as [`Error::InvalidParameter`](crate::Error::InvalidParameter)
    /// (naming `directions`) instead of empty slices.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// assert!(g.try_stored_mut(2, 0..2, 3).is_ok());
    /// assert!(matches!(
    ///     g.try_stored_mut(2, 0..2, usize::MAX),
    ///     Err(zoptim::Error::InvalidParameter { name: "directions", .. })
    /// ));
    /// ```
    pub fn try_stored_mut(&mut self, dim: usize, support: Range<usize>, q: usize) -> Result<(&mut [F], &mut [F])> {
        let n = support.end.min(dim).saturating_sub(support.start.min(dim));
        let (rows, coefs) = self.stored_mut(dim, support, q);
        if rows.len() != q.saturating_mul(n) || coefs.len() != q {
            return Err(crate::Error::InvalidParameter {
                name: "directions",
                value: format!("{q} stored directions of length {n}"),
                requirement: "a number of stored values (directions × support length) that can be allocated",
            });
        }
        Ok((rows, coefs))
    }

    /// Starts a seeded estimate g = Σⱼ cⱼ·uⱼ on `support`; push directions and
    /// coefficients (one each per direction) into the returned vectors, which are
    /// empty but keep their capacity.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let u = SeededDirection::draw(Direction::Rademacher, &mut ZoRng::seed_from_u64(1), 3);
    /// let mut g = Estimate::<f64>::new();
    /// let (dirs, coefs) = g.seeded_mut(3, 0..3);
    /// dirs.push(u);
    /// coefs.push(2.0);
    /// let mut want = [0.0; 3];
    /// u.axpy(2.0, &mut want);
    /// assert_eq!(g.to_vec(), want);
    /// ```
    pub fn seeded_mut(&mut self, dim: usize, support: Range<usize>) -> (&mut Vec<SeededDirection>, &mut Vec<F>) {
        self.reset_to(dim, support, Form::Seeded);
        self.seeded.clear();
        self.coefs.clear();
        (&mut self.seeded, &mut self.coefs)
    }

    /// The coefficients of a stored or seeded estimate, to be filled after the
    /// directions are written (one per direction).
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.stored_mut(2, 0..2, 1).0.copy_from_slice(&[1.0, -1.0]);
    /// g.coefficients_mut()[0] = 3.0; // written after the rows
    /// assert_eq!(g.to_vec(), [3.0, -3.0]);
    /// ```
    pub fn coefficients_mut(&mut self) -> &mut Vec<F> {
        self.materialized = self.form == Form::Dense;
        &mut self.coefs
    }

    /// The coefficients cⱼ of a stored or seeded estimate (empty for dense).
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.stored_mut(2, 0..2, 2).1.copy_from_slice(&[1.5, 2.5]);
    /// assert_eq!(g.coefficients(), [1.5, 2.5]);
    /// g.dense_mut(2, 0..2);
    /// assert!(g.coefficients().is_empty());
    /// ```
    pub fn coefficients(&self) -> &[F] {
        match self.form {
            Form::Dense => &[],
            Form::Stored | Form::Seeded => &self.coefs,
        }
    }

    /// The stored rows and coefficients of a stored estimate (empty otherwise).
    pub(crate) fn stored_parts(&self) -> (&[F], &[F]) {
        match self.form {
            Form::Stored => {
                let n = self.support.len() * self.coefs.len();
                (&self.rows[..n.min(self.rows.len())], &self.coefs)
            }
            Form::Dense | Form::Seeded => (&[], &[]),
        }
    }

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

    /// An upper bound, in f64, on the magnitude of every single term that
    /// [`scaled_add_to`](Estimate::scaled_add_to)`(alpha, x)` adds to a
    /// coordinate: |α·gᵢ| for materialised values, |fl(α·cⱼ)·uⱼᵢ| for each
    /// direction j of the combination forms (which are added one after another).
    /// Not finite when no bound is known. Costs O(q) for seeded directions (their
    /// entries have documented bounds) and one read pass otherwise.
    pub(crate) fn term_bound(&self, alpha: F) -> f64 {
        // Relative slack for the rounding of fl(α·cⱼ)·uᵢ and of this bound itself.
        const SLACK: f64 = 1.0 + 1e-6;
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

/// A bound on |uᵢ| for every entry of a seed-replayed direction of length d:
/// Rademacher 1; Gaussian 8 (the normal stream's values satisfy |z| ≤ √(64 ln 2)
/// ≈ 6.66, see `crate::random::normal`); sphere and coordinate √d (an entry is at most
/// the norm), with slack for rounding.
pub(crate) fn direction_bound(dir: &SeededDirection) -> f64 {
    let root = (dir.len() as f64).sqrt() * 1.001;
    match dir.kind() {
        crate::random::direction::Direction::Rademacher => 1.0,
        crate::random::direction::Direction::Gaussian => 8.0,
        crate::random::direction::Direction::Sphere | crate::random::direction::Direction::Coordinate => root,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::direction::Direction;

    #[test]
    fn the_three_forms_agree() {
        let d = 300;
        let mut rng = ZoRng::seed_from_u64(4);
        let dirs: Vec<_> = (0..3)
            .map(|_| SeededDirection::draw(Direction::Gaussian, &mut rng, d))
            .collect();
        let c = [0.5, -2.0, 1.25];

        let mut seeded = Estimate::<f64>::new();
        {
            let (ds, cs) = seeded.seeded_mut(d, 0..d);
            ds.extend_from_slice(&dirs);
            cs.extend_from_slice(&c);
        }
        let mut stored = Estimate::<f64>::new();
        {
            let (rows, cs) = stored.stored_mut(d, 0..d, 3);
            for (j, dir) in dirs.iter().enumerate() {
                dir.write(&mut rows[j * d..(j + 1) * d]);
            }
            cs.copy_from_slice(&c);
        }
        let want = stored.to_vec();
        let mut dense = Estimate::<f64>::new();
        dense.dense_mut(d, 0..d).copy_from_slice(&want);

        let got = seeded.to_vec();
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12);
        }
        for est in [&seeded, &stored, &dense] {
            let mut x = vec![1.0; d];
            est.scaled_add_to(-0.1, &mut x);
            for (xi, gi) in x.iter().zip(&want) {
                assert!((xi - (1.0 - 0.1 * gi)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn support_limits_the_update() {
        let mut e = Estimate::<f64>::new();
        e.dense_mut(10, 3..6).copy_from_slice(&[1.0, 2.0, 3.0]);
        let mut x = vec![0.0; 10];
        e.scaled_add_to(1.0, &mut x);
        assert_eq!(x, vec![0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0]);
    }
}
