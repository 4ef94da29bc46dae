//! The optimizer's configuration and its builder.

use super::Optimizer;
use crate::error::{Error, Result, check_count};
use crate::estimator::GradientEstimator;
use crate::observer::Observer;
use crate::projection::Projection;
use crate::real::Real;
use crate::run::Engine;
use crate::schedule::Schedule;
use crate::update::UpdateRule;

/// The stop criteria of a run.
#[derive(Clone, Debug, Default)]
pub(crate) struct StopCriteria {
    pub(crate) max_evaluations: Option<usize>,
    pub(crate) max_iterations: Option<usize>,
    pub(crate) target: Option<f64>,
    pub(crate) stagnation: Option<(usize, f64)>,
}

/// Everything about an optimizer that is configuration rather than state.
pub(crate) struct Config<F: Real> {
    pub(crate) learning_rate: Box<dyn Schedule + Send>,
    pub(crate) smoothing: Option<Box<dyn Schedule + Send>>,
    pub(crate) seed: u64,
    pub(crate) stop: StopCriteria,
    pub(crate) history: bool,
    pub(crate) keep_best: bool,
    pub(crate) observers: Vec<Box<dyn Observer<F> + Send>>,
    pub(crate) projection: Option<Box<dyn Projection<F> + Send>>,
    /// Write a checkpoint file every n steps.
    #[cfg(feature = "serde")]
    pub(crate) checkpoint: Option<(usize, std::path::PathBuf)>,
}

impl<F: Real> Config<F> {
    pub(super) fn new() -> Self {
        Config {
            learning_rate: Box::new(1e-3),
            smoothing: None,
            seed: 0,
            stop: StopCriteria::default(),
            history: false,
            keep_best: true,
            observers: Vec::new(),
            projection: None,
            #[cfg(feature = "serde")]
            checkpoint: None,
        }
    }

    /// Checks everything that does not depend on the components.
    fn validate(&self) -> Result<()> {
        #[cfg(feature = "serde")]
        if let Some((every, _)) = &self.checkpoint {
            crate::error::check_count("checkpoint_every", *every)?;
        }
        if let Some(p) = &self.projection {
            p.validate()?;
        }
        self.learning_rate.validate("learning_rate")?;
        if let Some(s) = &self.smoothing {
            s.validate("smoothing")?;
        }
        if self.stop.max_evaluations == Some(0) {
            return Err(Error::EmptyBudget);
        }
        if let Some(t) = self.stop.target
            && t.is_nan()
        {
            return Err(Error::InvalidParameter {
                name: "target",
                value: format!("{t}"),
                requirement: "a number (not NaN)",
            });
        }
        if let Some((window, tol)) = self.stop.stagnation {
            check_count("stagnation window", window)?;
            crate::error::check_non_negative("stagnation tol", tol)?;
        }
        Ok(())
    }
}

/// Builds an [`Optimizer`]; [`build`](OptimizerBuilder::build) checks the whole
/// configuration once, so a built optimizer never fails on its configuration mid-run.
///
/// Defaults: [`Sgd`](crate::Sgd) update, learning rate 1e-3, seed 0, no stop criterion
/// besides the ones you set (`minimize` needs at least one of
/// [`max_evaluations`](OptimizerBuilder::max_evaluations) and
/// [`max_iterations`](OptimizerBuilder::max_iterations)), no history.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-4))
///     .update(Momentum::heavy_ball())
///     .learning_rate(Cosine::new(0.02, 0.0, 500))
///     .max_evaluations(1_000)
///     .target(1e-10)
///     .seed(7)
///     .build()?;
/// let report = opt.minimize(&mut f, &Array1::ones(6))?;
/// assert!(report.best_f < 1e-6, "{}", report.best_f);
/// assert!(matches!(report.stop, StopReason::TargetReached | StopReason::MaxEvaluations));
/// # Ok::<(), zoptim::Error>(())
/// ```
pub struct OptimizerBuilder<F: Real, E, U> {
    pub(super) estimator: E,
    pub(super) update: U,
    pub(super) config: Config<F>,
}

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> OptimizerBuilder<F, E, U> {
    /// Replaces the update rule.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// let opt = Optimizer::<f64>::builder(TwoPoint::spsa()).update(Adam::new()).build()?;
    /// assert_eq!(UpdateRule::<f64>::name(opt.update_rule()), "adam");
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn update<V: UpdateRule<F>>(self, rule: V) -> OptimizerBuilder<F, E, V> {
        OptimizerBuilder {
            estimator: self.estimator,
            update: rule,
            config: self.config,
        }
    }

    /// The learning rate: an `f64` constant or any [`Schedule`] (must be finite and > 0).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// // f64, f32 and integer constants, or any schedule.
    /// assert!(Optimizer::<f32>::builder(TwoPoint::spsa()).learning_rate(1e-2_f32).build().is_ok());
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).learning_rate(1).build().is_ok());
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).learning_rate(InverseSqrt(0.1)).build().is_ok());
    /// // 1e300 is not an f32.
    /// assert!(Optimizer::<f32>::builder(TwoPoint::spsa()).learning_rate(1e300).build().is_err());
    /// ```
    #[must_use]
    pub fn learning_rate(mut self, schedule: impl Schedule + Send + 'static) -> Self {
        self.config.learning_rate = Box::new(schedule);
        self
    }

    /// A schedule for the smoothing parameter μ; it overrides the estimator's own μ
    /// at every step (for estimators that have one).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::spsa())
    ///     .smoothing(StepDecay::new(1e-2, 0.5, 50))
    ///     .learning_rate(0.05)
    ///     .max_iterations(300)
    ///     .build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// assert!(report.best_f < 1e-6, "{}", report.best_f);
    /// // A schedule is checked when the optimizer is built.
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).smoothing(-1e-3).build().is_err());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn smoothing(mut self, schedule: impl Schedule + Send + 'static) -> Self {
        self.config.smoothing = Some(Box::new(schedule));
        self
    }

    /// The seed of the optimizer's [`ZoRng`](crate::ZoRng): same seed, same run, bit for bit.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let run = |seed: u64| -> zoptim::Result<Array1<f64>> {
    ///     let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(10).seed(seed).build()?;
    ///     Ok(opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(3))?.last_x)
    /// };
    /// assert_eq!(run(1)?, run(1)?); // same seed, same bits
    /// assert_ne!(run(1)?, run(2)?);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    /// The evaluation budget (≥ 1). A step is started only if its largest possible
    /// query count fits; `minimize` also keeps one evaluation for f at the last
    /// iterate, so it never exceeds the budget.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// // Central CGE in d = 4 costs 8 queries a step: a budget of 30 holds f(x0),
    /// // 3 steps and the final f, and is never exceeded.
    /// let mut opt = Optimizer::builder(Cge::central()).max_evaluations(30).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(4))?;
    /// assert_eq!((report.iterations, report.evaluations), (3, 26));
    /// assert_eq!(report.stop, StopReason::MaxEvaluations);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn max_evaluations(mut self, n: usize) -> Self {
        self.config.stop.max_evaluations = Some(n);
        self
    }

    /// The most steps `minimize` takes.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(12).build()?;
    /// assert_eq!(opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?.iterations, 12);
    /// // Without any stop criterion a run would never end: minimize refuses it.
    /// let mut endless = Optimizer::builder(TwoPoint::spsa()).build()?;
    /// assert!(endless.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2)).is_err());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.config.stop.max_iterations = Some(n);
        self
    }

    /// Stop `minimize` once an evaluated value is ≤ `target`.
    ///
    /// Only values the run actually evaluated count. A central-difference
    /// estimator never evaluates the iterate itself, only points at distance
    /// μ·‖u‖ from it, so a target closer to the minimum than that offset
    /// changes f is seen only by the final evaluation (and the run then stops
    /// on another criterion).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::forward(Direction::Gaussian)).learning_rate(0.1).max_iterations(10_000).target(1e-4).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(3))?;
    /// assert_eq!(report.stop, StopReason::TargetReached);
    /// assert!(report.best_f <= 1e-4);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn target(mut self, target: f64) -> Self {
        self.config.stop.target = Some(target);
        self
    }

    /// Stop `minimize` when, over the last `window` steps, the best value improved by
    /// at most `tol·(1 + |best|)`.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// // |x| has a kink at 0: SPSA with a constant rate ends up bouncing around it.
    /// let mut f = |x: ArrayView1<f64>| x.iter().map(|v| v.abs()).sum::<f64>();
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.1).max_iterations(100_000).stagnation(50, 1e-3).build()?;
    /// let report = opt.minimize(&mut f, &Array1::ones(2))?;
    /// assert_eq!(report.stop, StopReason::Stagnation);
    /// assert!(report.iterations < 100_000);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn stagnation(mut self, window: usize, tol: f64) -> Self {
        self.config.stop.stagnation = Some((window, tol));
        self
    }

    /// Keep one [`StepRecord`](crate::StepRecord) per step in the report.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(7).history(true).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// assert_eq!(report.history.map(|h| h.len()), Some(7));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn history(mut self, on: bool) -> Self {
        self.config.history = on;
        self
    }

    /// Keep a copy of the best query point of a `minimize` run (default: on).
    ///
    /// Tracking costs one copy of x (d values) whenever a query improves on the
    /// best value so far, which early in a run is nearly every step. For
    /// estimators whose step is much cheaper than d (a small block of
    /// [`BlockCoordinate`](crate::estimator::BlockCoordinate) at large d) turn it
    /// off: the report's `best_x` and `best_f` are then the last iterate and its
    /// value, while the target and stagnation criteria still see the smallest
    /// value evaluated.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(20).keep_best_point(false).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// assert_eq!(report.best_x, report.last_x);
    /// assert_eq!(Some(report.best_f), report.last_f);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn keep_best_point(mut self, on: bool) -> Self {
        self.config.keep_best = on;
        self
    }

    /// Adds an observer, called after every step of a run. To watch one run with
    /// an observer that borrows local state, pass it to
    /// [`Optimizer::minimize_with`] instead.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use std::ops::ControlFlow;
    /// use zoptim::prelude::*;
    /// use zoptim::StepRecord;
    ///
    /// // Stop after the first step whose smallest query value is below 0.5.
    /// let stop = |r: &StepRecord<f64>, _: ArrayView1<f64>| {
    ///     if r.min_value.is_some_and(|v| v < 0.5) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    /// };
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.05).max_iterations(1_000).observer(stop).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// assert_eq!(report.stop, StopReason::Observer);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn observer(mut self, observer: impl Observer<F> + Send + 'static) -> Self {
        self.config.observers.push(Box::new(observer));
        self
    }

    /// Constrains the iterates to a closed convex set: after every step x is
    /// projected onto it (projected ZO-SGD; see [`crate::projection`]), and so is
    /// every query point before it is evaluated. The start must be feasible,
    /// else [`Error::Infeasible`].
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// // Minimise Σx over the unit ball: the answer is −1/√d in every coordinate.
    /// let mut opt = Optimizer::builder(Cge::central()).learning_rate(0.1).projection(Ball::origin(1.0)).max_iterations(50).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.sum(), &Array1::zeros(4))?;
    /// assert!(report.last_x.iter().all(|v| (v + 0.5).abs() < 1e-6), "{}", report.last_x);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn projection(mut self, set: impl Projection<F> + Send + 'static) -> Self {
        self.config.projection = Some(Box::new(set));
        self
    }

    /// Writes a [`Checkpoint`](crate::Checkpoint) of the run to `path` after
    /// every `every` steps (feature `serde`), replacing the file atomically
    /// (see [`Checkpoint::write`](crate::Checkpoint::write)), under every
    /// driver: `minimize`, `minimize_parallel`, ask/tell and MPI.
    /// [`Optimizer::resume_from`] continues from it. `every` must be ≥ 1. A
    /// failed write ends the run with
    /// [`StopReason::Failed`](crate::StopReason::Failed) holding
    /// [`Error::Io`].
    #[cfg(feature = "serde")]
    pub fn checkpoint_every(mut self, every: usize, path: impl AsRef<std::path::Path>) -> Self {
        self.config.checkpoint = Some((every, path.as_ref().to_path_buf()));
        self
    }

    /// Checks the whole configuration and builds the optimizer.
    ///
    /// Besides each component's and schedule's own checks, the learning rate
    /// (and the μ schedule, when set) at step 0 must be finite and > 0 once
    /// converted to `F`: in f32 a learning rate of 1e300 (which would be ∞) or
    /// 1e-50 (which would be 0) is an [`Error::InvalidParameter`] naming
    /// `learning_rate` (or `smoothing`). A later value that overflows `F` makes
    /// that step fail with [`Error::NonFiniteStep`].
    ///
    /// ```
    /// use zoptim::prelude::*;
    /// use zoptim::Error;
    ///
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa().mu(-1.0)).build().is_err());
    /// assert!(matches!(
    ///     Optimizer::<f32>::builder(TwoPoint::spsa()).learning_rate(1e-50).build(),
    ///     Err(Error::InvalidParameter { name: "learning_rate", .. })
    /// ));
    /// ```
    pub fn build(self) -> Result<Optimizer<F, E, U>> {
        self.estimator.validate()?;
        self.update.validate()?;
        self.config.validate()?;
        check_in_precision::<F>("learning_rate", self.config.learning_rate.value(0))?;
        if let Some(s) = &self.config.smoothing {
            check_in_precision::<F>("smoothing", s.value(0))?;
        }
        Ok(Optimizer {
            estimator: self.estimator,
            update: self.update,
            engine: Engine::new(self.config.seed),
            config: self.config,
            contiguous: Vec::new(),
        })
    }
}

/// [`Error::InvalidParameter`] when `value` is not finite and > 0 in `F`.
fn check_in_precision<F: Real>(name: &'static str, value: f64) -> Result<()> {
    let v = F::of_f64(value);
    if v.is_finite() && v > F::zero() {
        return Ok(());
    }
    Err(Error::InvalidParameter {
        name,
        value: format!("{value} at step 0 (which is {v} in the optimizer's precision)"),
        requirement: "finite and > 0 in the optimizer's float type (f32: between 1.4e-45 and 3.4e38)",
    })
}
