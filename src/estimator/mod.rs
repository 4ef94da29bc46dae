//! Gradient estimators: the [`GradientEstimator`] trait, what an estimate is
//! ([`Estimate`]) and what it reports ([`EstimateInfo`]).
//!
//! An estimator reads x, asks for rounds of query points and their values (see
//! [`crate::run`]), and writes an estimate of ∇f(x). It never calls the
//! objective and never moves x: the [`UpdateRule`](crate::update::UpdateRule)
//! turns the estimate into a step.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

mod block;
mod context;
mod coordinate;
mod dap;
pub mod difference;
mod estimate;
mod relizo;
mod two_point;

pub use block::{BlockCoordinate, BlockOrder};
pub use context::{EstimateContext, EstimateInfo};
pub use coordinate::Cge;
pub use dap::{Dap, GradientProxy, ProxyKind};
pub use difference::{Difference, Smoothed, Smoothing};
pub(crate) use estimate::direction_bound;
pub use estimate::{Estimate, Form};
pub use relizo::{GramUpdate, Relizo, RelizoStep, Sampling};
pub use two_point::{Storage, TwoPoint};

use crate::error::Result;
use crate::objective::Objective;
use crate::random::rng::ZoRng;
use crate::real::Real;
use crate::run::{ComponentState, Flow, Round};

/// Estimates ∇f(x) from function values, as a short sequence of *rounds*.
///
/// A round is a batch of query points whose values do not depend on one
/// another. The estimator never calls the objective: it writes the points of a
/// round into a [`Round`] and returns [`Flow::Query`]; whoever holds the
/// objective evaluates them (in this thread, on a thread pool, on other
/// machines) and calls [`estimate`](GradientEstimator::estimate) again with the
/// values in [`EstimateContext::answered`]. When the estimator has what it needs
/// it writes the estimate and returns [`Flow::Done`]. Every driver
/// ([`Optimizer::minimize`](crate::Optimizer::minimize), the ask/tell
/// [`Run`](crate::Run), the parallel and multi-process drivers) runs the same
/// calls, so they give the same bits.
///
/// # Contract
/// - Across the calls of one step, the estimator pushes at most
///   [`max_queries`](GradientEstimator::max_queries)`(x.len())` points in all.
/// - x is read-only. Estimators that save memory by describing points as x plus
///   a seed-replayed direction use [`Round::push_seeded`].
/// - Configuration is checked by [`validate`](GradientEstimator::validate) once,
///   when an optimizer is built; dimension-dependent checks and buffer
///   allocation happen in [`prepare`](GradientEstimator::prepare), called by the
///   optimizer whenever a run meets a new dimension. `estimate` allocates nothing
///   once prepared (rounds keep their capacity).
/// - State carried to later steps changes only in [`commit`](GradientEstimator::commit),
///   which the optimizer calls once the whole step (update included) has
///   succeeded; a step abandoned part-way is followed by
///   [`rollback`](GradientEstimator::rollback). After a failed step the
///   estimator is exactly as it was before the step.
///
/// # Implementing an estimator
/// A forward difference along the first coordinate only — one round of two
/// points, f(x) and f(x + h·e₀):
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::estimator::{Estimate, EstimateContext, EstimateInfo, GradientEstimator};
/// use zoptim::run::{Flow, Round};
/// use zoptim::{Optimizer, Query, Result};
///
/// struct FirstCoordinate { h: f64 }
///
/// impl GradientEstimator<f64> for FirstCoordinate {
///     fn name(&self) -> &'static str { "first coordinate" }
///     fn validate(&self) -> Result<()> { Ok(()) }
///     fn max_queries(&self, _dim: usize) -> usize { 2 }
///     fn estimate(
///         &mut self,
///         x: &[f64],
///         ctx: &mut EstimateContext<'_, f64>,
///         round: &mut Round<f64>,
///         out: &mut Estimate<f64>,
///     ) -> Result<Flow<EstimateInfo<f64>>> {
///         let Some(answered) = ctx.answered() else {
///             // First call: ask for f(x) and f(x + h·e₀).
///             round.push_copy(Query::Center, x);
///             let p = round.push(Query::Plus(0));
///             p.copy_from_slice(x);
///             p[0] += self.h;
///             return Ok(Flow::Query);
///         };
///         let v = answered.values();
///         let g = out.dense_mut(x.len(), 0..1);
///         g[0] = (v[1] - v[0]) / self.h;
///         Ok(Flow::Done(EstimateInfo::new(2, Some(v[0]))))
///     }
/// }
///
/// let mut f = |x: ArrayView1<f64>| (x[0] - 3.0).powi(2) + x[1] * x[1];
/// let mut opt = Optimizer::builder(FirstCoordinate { h: 1e-6 })
///     .learning_rate(0.25)
///     .max_iterations(60)
///     .build()?;
/// let report = opt.minimize(&mut f, &Array1::from(vec![0.0, 0.5]))?;
/// assert!((report.last_x[0] - 3.0).abs() < 1e-4);
/// assert_eq!(report.last_x[1], 0.5); // never estimated, never moved
/// # Ok::<(), zoptim::Error>(())
/// ```
pub trait GradientEstimator<F: Real> {
    /// A short name for tables and error messages.
    ///
    /// ```
    /// use zoptim::Cge;
    /// use zoptim::estimator::GradientEstimator;
    ///
    /// assert_eq!(GradientEstimator::<f64>::name(&Cge::central()), "coordinate central");
    /// assert_eq!(GradientEstimator::<f64>::name(&Cge::forward()), "coordinate forward");
    /// ```
    fn name(&self) -> &'static str;

    /// Checks the configuration (called once, when the optimizer is built).
    ///
    /// ```
    /// use zoptim::Cge;
    /// use zoptim::estimator::GradientEstimator;
    ///
    /// assert!(GradientEstimator::<f64>::validate(&Cge::central().mu(1e-3)).is_ok());
    /// assert!(GradientEstimator::<f64>::validate(&Cge::central().mu(0.0)).is_err());
    /// ```
    fn validate(&self) -> Result<()>;

    /// Called with the dimension d before the first step of a run (and again
    /// after a reset): dimension-dependent checks and buffer allocation go here.
    ///
    /// ```
    /// use zoptim::Cge;
    /// use zoptim::estimator::GradientEstimator;
    ///
    /// let mut est = Cge::<f64>::central().subset(3);
    /// assert!(est.prepare(5).is_ok());
    /// assert!(est.prepare(2).is_err()); // a subset of 3 needs d ≥ 3
    /// ```
    fn prepare(&mut self, dim: usize) -> Result<()> {
        let _ = dim;
        Ok(())
    }

    /// The most queries one step can make at dimension `dim`, over all its
    /// rounds. The optimizer starts a step only if this fits in the remaining
    /// budget, and rejects a step whose rounds push more.
    ///
    /// ```
    /// use zoptim::Cge;
    /// use zoptim::estimator::GradientEstimator;
    ///
    /// assert_eq!(GradientEstimator::<f64>::max_queries(&Cge::central(), 4), 8); // 2d
    /// assert_eq!(GradientEstimator::<f64>::max_queries(&Cge::central().subset(2), 4), 4); // 2k
    /// ```
    fn max_queries(&self, dim: usize) -> usize;

    /// One call per round: either push the next round's points into `round`
    /// (empty on entry) and return [`Flow::Query`], or write the estimate into
    /// `out` and return [`Flow::Done`]. The first call of a step has
    /// [`ctx.answered()`](EstimateContext::answered) = `None`; each later call
    /// sees the round just evaluated, with its values.
    ///
    /// Users call it through an optimizer or [`estimate_once`], which lend the
    /// context; the trait's example above shows a complete implementation.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::{Estimate, GradientEstimator, estimate_once};
    /// use zoptim::{Cge, ZoRng};
    ///
    /// let mut est = Cge::forward().mu(1e-6);
    /// est.prepare(2)?;
    /// let (mut x, mut g) = ([1.0, 2.0], Estimate::new());
    /// let mut f = |x: ArrayView1<f64>| 3.0 * x[0] - x[1];
    /// let info = estimate_once(&mut est, &mut f, &mut x, &mut ZoRng::seed_from_u64(0), &mut g)?;
    /// assert_eq!(info.queries, 3); // f(x) and one point per coordinate
    /// assert!((g.to_vec()[0] - 3.0).abs() < 1e-6 && (g.to_vec()[1] + 1.0).abs() < 1e-6);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn estimate(
        &mut self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
    ) -> Result<Flow<EstimateInfo<F>>>;

    /// The step succeeded: make the state changes of this step permanent.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::{Estimate, GradientEstimator, estimate_once};
    /// use zoptim::{Cge, ComponentState, ZoRng};
    ///
    /// // CGE on a random subset of 2 of 5 coordinates shuffles its coordinate
    /// // order in place; a committed step (estimate_once commits) keeps the shuffle.
    /// let saved = |e: &Cge<f64>| {
    ///     let mut s = ComponentState::new("cge");
    ///     e.save_state(&mut s).map(|_| s)
    /// };
    /// let mut est = Cge::forward().subset(2);
    /// est.prepare(5)?;
    /// let fresh = saved(&est)?;
    /// let (mut x, mut g) = ([0.0; 5], Estimate::new());
    /// estimate_once(&mut est, &mut |x: ArrayView1<f64>| x.sum(), &mut x, &mut ZoRng::seed_from_u64(1), &mut g)?;
    /// est.commit(); // nothing pending any more: no change
    /// assert_ne!(saved(&est)?, fresh);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn commit(&mut self) {}

    /// The step was abandoned (an error, or a run finished mid-step): forget
    /// whatever this step's calls prepared, so that the next step starts from the
    /// state before this one.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::{Estimate, GradientEstimator, estimate_once};
    /// use zoptim::{Cge, ZoRng};
    ///
    /// let mut est = Cge::forward().subset(2);
    /// est.prepare(5)?;
    /// let mut fresh = est.clone();
    /// let (mut x, mut g) = ([0.0; 5], Estimate::new());
    /// let mut nan = |_: ArrayView1<f64>| f64::NAN;
    /// assert!(estimate_once(&mut est, &mut nan, &mut x, &mut ZoRng::seed_from_u64(2), &mut g).is_err());
    /// // The failed step was rolled back: both estimators pick the same coordinates.
    /// let mut f = |x: ArrayView1<f64>| x.sum();
    /// estimate_once(&mut est, &mut f, &mut x, &mut ZoRng::seed_from_u64(3), &mut g)?;
    /// let mut h = Estimate::new();
    /// estimate_once(&mut fresh, &mut f, &mut x, &mut ZoRng::seed_from_u64(3), &mut h)?;
    /// assert_eq!(g.to_vec(), h.to_vec());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn rollback(&mut self) {}

    /// Forgets state carried between steps (reused samples, previous estimates).
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::{Estimate, GradientEstimator, estimate_once};
    /// use zoptim::{Dap, ZoRng};
    ///
    /// // DAP aligned with the previous estimate falls back to the sphere on a step
    /// // with no previous estimate: the first, and the first after a reset.
    /// let mut est = Dap::previous();
    /// est.prepare(3)?;
    /// let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// let (mut x, mut g) = ([1.0, 2.0, 3.0], Estimate::new());
    /// let mut rng = ZoRng::seed_from_u64(0);
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// assert_eq!(est.fallbacks(), 1);
    /// est.reset();
    /// assert_eq!(est.fallbacks(), 0);
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// assert_eq!(est.fallbacks(), 1);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn reset(&mut self) {}

    /// Writes the parameters that configure the estimator
    /// ([`ComponentState::param`]) and the memory it carries from one step to
    /// the next, for a [`Checkpoint`](crate::Checkpoint). Called only between
    /// steps, after [`prepare`](GradientEstimator::prepare).
    ///
    /// The default refuses ([`Error::CheckpointUnsupported`](crate::Error::CheckpointUnsupported)):
    /// an estimator that carries no memory implements it by recording its
    /// parameters only.
    ///
    /// ```
    /// use zoptim::ComponentState;
    /// use zoptim::Cge;
    /// use zoptim::estimator::GradientEstimator;
    ///
    /// let mut est = Cge::<f64>::central().mu(1e-3);
    /// est.prepare(3)?;
    /// let mut state = ComponentState::new(GradientEstimator::<f64>::name(&est));
    /// est.save_state(&mut state)?;
    /// let mut other = ComponentState::new(state.kind());
    /// Cge::<f64>::central().mu(2e-3).save_state(&mut other)?;
    /// assert_ne!(state, other); // μ is recorded
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        let _ = state;
        Err(crate::Error::CheckpointUnsupported { component: self.name() })
    }

    /// Restores the memory written by [`save_state`](GradientEstimator::save_state),
    /// after [`prepare`](GradientEstimator::prepare) at the checkpoint's
    /// dimension (the parameters were already compared). On error the
    /// optimizer resets the estimator.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::{Estimate, GradientEstimator, estimate_once};
    /// use zoptim::{Cge, ComponentState, ZoRng};
    ///
    /// let mut f = |x: ArrayView1<f64>| x.sum();
    /// let (mut x, mut g, mut h) = ([0.0; 6], Estimate::new(), Estimate::new());
    /// let mut est = Cge::forward().subset(2);
    /// est.prepare(6)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut ZoRng::seed_from_u64(1), &mut g)?;
    /// let mut state = ComponentState::new("coordinate forward");
    /// est.save_state(&mut state)?;
    /// let mut restored = Cge::forward().subset(2);
    /// restored.prepare(6)?;
    /// restored.load_state(&state)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut ZoRng::seed_from_u64(2), &mut g)?;
    /// estimate_once(&mut restored, &mut f, &mut x, &mut ZoRng::seed_from_u64(2), &mut h)?;
    /// assert_eq!(g.to_vec(), h.to_vec());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        let _ = state;
        Err(crate::Error::CheckpointUnsupported { component: self.name() })
    }
}

impl<F: Real, E: GradientEstimator<F> + ?Sized> GradientEstimator<F> for Box<E> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn validate(&self) -> Result<()> {
        (**self).validate()
    }
    fn prepare(&mut self, dim: usize) -> Result<()> {
        (**self).prepare(dim)
    }
    fn max_queries(&self, dim: usize) -> usize {
        (**self).max_queries(dim)
    }
    fn estimate(
        &mut self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
    ) -> Result<Flow<EstimateInfo<F>>> {
        (**self).estimate(x, ctx, round, out)
    }
    fn commit(&mut self) {
        (**self).commit()
    }
    fn rollback(&mut self) {
        (**self).rollback()
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        (**self).save_state(state)
    }
    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        (**self).load_state(state)
    }
}

/// One estimate of ∇f(x) outside an optimizer: for studying an estimator's bias
/// and variance (as the `dap_mse` example does) or for testing a new estimator.
///
/// Evaluates the estimator's rounds one after another (materialised rounds
/// through [`Objective::eval_batch`], seeded ones by moving x in place as
/// [`Optimizer::minimize`](crate::Optimizer::minimize) does), with f(x) unknown,
/// no μ schedule and iteration 0, and commits the estimator's state on success
/// (rolls it back on failure). Call
/// [`validate`](GradientEstimator::validate) and
/// [`prepare`](GradientEstimator::prepare)`(x.len())` once before the first call;
/// state carried between calls (ReLIZO's samples, DAP's previous estimate) is
/// kept. Errors: a non-finite value ([`Error::NonFiniteObjective`](crate::Error::NonFiniteObjective)),
/// more queries than declared ([`Error::QueryLimitExceeded`](crate::Error::QueryLimitExceeded)).
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::estimator::{Estimate, GradientEstimator, estimate_once};
/// use zoptim::{TwoPoint, ZoRng};
///
/// // The mean of many SPSA estimates approaches ∇f = (1, -2).
/// let mut est = TwoPoint::spsa();
/// est.prepare(2)?;
/// let mut f = |x: ArrayView1<f64>| x[0] - 2.0 * x[1];
/// let (mut x, mut g, mut mean) = ([0.0, 0.0], Estimate::new(), [0.0, 0.0]);
/// let mut rng = ZoRng::seed_from_u64(0);
/// for _ in 0..2000 {
///     estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
///     let v = g.to_vec();
///     mean = [mean[0] + v[0] / 2000.0, mean[1] + v[1] / 2000.0];
/// }
/// assert!((mean[0] - 1.0).abs() < 0.1 && (mean[1] + 2.0).abs() < 0.1, "{mean:?}");
/// assert_eq!(x, [0.0, 0.0]); // x is restored after every query
/// # Ok::<(), zoptim::Error>(())
/// ```
pub fn estimate_once<F: Real, E: GradientEstimator<F> + ?Sized>(
    estimator: &mut E,
    objective: &mut dyn Objective<F>,
    x: &mut [F],
    rng: &mut ZoRng,
    out: &mut Estimate<F>,
) -> Result<EstimateInfo<F>> {
    let limit = estimator.max_queries(x.len());
    let mut rounds = crate::run::RoundPair::new(x.len());
    let res = crate::run::drive_estimate(estimator, objective, x, rng, out, &mut rounds, limit);
    match res {
        Ok(info) => {
            estimator.commit();
            Ok(info)
        }
        Err(e) => {
            estimator.rollback();
            Err(e)
        }
    }
}
