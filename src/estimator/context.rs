//! What an estimator is lent for one call ([`EstimateContext`]) and what it
//! reports ([`EstimateInfo`]).

use crate::random::rng::ZoRng;
use crate::real::Real;
use crate::run::Round;

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
