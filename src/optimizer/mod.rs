//! The optimizer: its configuration, its builder, and the drivers that run it.
//!
//! An [`Optimizer`] is configuration (schedules, stop criteria, projection,
//! observers) plus its two components (a [`GradientEstimator`] and
//! an [`UpdateRule`]) plus the engine's run-time state (generator, counters,
//! buffers). A run ([`Run`]) borrows it and holds the iterate; every driver —
//! [`minimize`](Optimizer::minimize), [`minimize_stochastic`](Optimizer::minimize_stochastic),
//! [`minimize_parallel`](Optimizer::minimize_parallel), ask/tell and
//! [`step`](Optimizer::step) — runs the same step machine in `crate::run`.

use crate::error::{Error, Result};
use crate::estimator::{Estimate, GradientEstimator};
use crate::objective::Objective;
use crate::observer::Observer;
use crate::real::Real;
use crate::report::Report;
use crate::rng::ZoRng;
use crate::run::{Engine, Run};
use crate::stochastic::StochasticObjective;
use crate::update::{Sgd, UpdateRule};
use ndarray::ArrayView1;
use std::fmt;

mod builder;
mod step;

pub(crate) use builder::Config;
pub use builder::OptimizerBuilder;

/// A zeroth-order optimizer: a [`GradientEstimator`] feeding an [`UpdateRule`],
/// with its own seeded generator, evaluation budget and stop criteria.
///
/// The optimizer owns all state (estimator, rule, RNG, buffers, counters) and
/// lends views down; nothing reaches back up. Two ways to drive it:
///
/// - [`step`](Optimizer::step): one step on a parameter vector you own. Pass a
///   fresh closure per minibatch for a stochastic objective (like PyTorch's
///   `optimizer.step(closure)`), so that every query of one step sees the same batch.
/// - [`minimize`](Optimizer::minimize): a whole run to a stop criterion, returning
///   a [`Report`].
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// let mut opt = Optimizer::builder(TwoPoint::central(Direction::Rademacher).mu(1e-6))
///     .learning_rate(0.05)
///     .max_evaluations(2_000)
///     .seed(1)
///     .build()?;
/// let report = opt.minimize(&mut f, &Array1::from_elem(10, 1.0))?;
/// assert!(report.best_f < 1e-6);
/// assert!(report.evaluations <= 2_000);
/// # Ok::<(), zoptim::Error>(())
/// ```
///
/// # Naming the precision
/// F is usually inferred from the objective and x0. Code that only builds an
/// optimizer (to check a configuration, or to store it) names it once, on
/// `Optimizer` — `Optimizer::<f64>::builder(TwoPoint::spsa())` — and the
/// estimator's and rule's F follow. (The defaults of `E` and `U` exist for this
/// spelling only; an optimizer's type is always `Optimizer<F, E, U>` with the
/// estimator and rule it was built with.)
///
/// ```
/// use zoptim::prelude::*;
///
/// let err = Optimizer::<f32>::builder(TwoPoint::spsa()).learning_rate(-1.0).build();
/// assert!(matches!(err, Err(zoptim::Error::InvalidParameter { name: "learning_rate", .. })));
/// ```
pub struct Optimizer<F: Real, E = (), U = Sgd> {
    pub(crate) estimator: E,
    pub(crate) update: U,
    pub(crate) config: Config<F>,
    pub(crate) engine: Engine<F>,
    contiguous: Vec<F>,
}

impl<F: Real, E: fmt::Debug, U: fmt::Debug> fmt::Debug for Optimizer<F, E, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Optimizer")
            .field("estimator", &self.estimator)
            .field("update", &self.update)
            .field("seed", &self.config.seed)
            .field("max_evaluations", &self.config.stop.max_evaluations)
            .field("max_iterations", &self.config.stop.max_iterations)
            .field("evaluations", &self.engine.evaluations)
            .field("iterations", &self.engine.iterations)
            .finish_non_exhaustive()
    }
}

impl<F: Real> Optimizer<F> {
    /// Starts building an optimizer around `estimator`, with plain [`Sgd`].
    /// `Optimizer::<f32>::builder(..)` names the precision when nothing else
    /// does (see [Naming the precision](Optimizer#naming-the-precision)).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// // F from the objective and x0 …
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(5).build()?;
    /// opt.minimize(&mut |x: ArrayView1<f32>| x.dot(&x), &Array1::<f32>::ones(2))?;
    /// // … or named, when nothing else says it.
    /// let checked = Optimizer::<f64>::builder(Cge::central()).build();
    /// assert!(checked.is_ok());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn builder<E: GradientEstimator<F>>(estimator: E) -> OptimizerBuilder<F, E, Sgd> {
        OptimizerBuilder {
            estimator,
            update: Sgd::new(),
            config: Config::new(),
        }
    }
}

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Optimizer<F, E, U> {
    /// Evaluations made since the optimizer was built or last reset.
    ///
    /// ```
    /// use ndarray::{ArrayView1, array};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::spsa().directions(3)).build()?;
    /// let mut x = array![1.0, 1.0];
    /// opt.step(&mut x, &mut |x: ArrayView1<f64>| x.dot(&x))?;
    /// assert_eq!((opt.evaluations(), opt.iterations()), (6, 1));
    /// opt.reset();
    /// assert_eq!((opt.evaluations(), opt.iterations()), (0, 0));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn evaluations(&self) -> usize {
        self.engine.evaluations
    }

    /// Steps taken since the optimizer was built or last reset.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(4).build()?;
    /// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// assert_eq!(opt.iterations(), 4);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn iterations(&self) -> usize {
        self.engine.iterations
    }

    /// The seed the generator restarts from on [`reset`](Optimizer::reset).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(Optimizer::<f64>::builder(TwoPoint::spsa()).seed(99).build()?.seed(), 99);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn seed(&self) -> u64 {
        self.config.seed
    }

    /// The estimator (for its statistics or configuration).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// let opt = Optimizer::<f64>::builder(BlockCoordinate::new(4)).build()?;
    /// assert_eq!(opt.estimator().get_order(), BlockOrder::Permutation);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn estimator(&self) -> &E {
        &self.estimator
    }

    /// The update rule.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// let opt = Optimizer::<f64>::builder(TwoPoint::spsa()).update(Momentum::new(0.5)).build()?;
    /// assert_eq!(opt.update_rule(), &Momentum::new(0.5));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn update_rule(&self) -> &U {
        &self.update
    }

    /// The last estimate (valid after a successful step).
    ///
    /// ```
    /// use ndarray::{ArrayView1, array};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(Cge::central()).learning_rate(0.1).build()?;
    /// let mut x = array![1.0, 2.0];
    /// opt.step(&mut x, &mut |x: ArrayView1<f64>| x.dot(&x))?;
    /// let g = opt.last_estimate().to_vec();
    /// assert!((g[0] - 2.0).abs() < 1e-6 && (g[1] - 4.0).abs() < 1e-6, "{g:?}");
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn last_estimate(&mut self) -> &mut Estimate<F> {
        &mut self.engine.estimate
    }

    /// Restarts: estimator and rule state forgotten, counters zeroed, generator
    /// reseeded, dimension forgotten. A run after `reset` repeats the first one.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1, array};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.1).build()?;
    /// let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// let mut a = array![1.0, 1.0];
    /// for _ in 0..5 { opt.step(&mut a, &mut f)?; }
    /// opt.reset();
    /// let mut b = array![1.0, 1.0];
    /// for _ in 0..5 { opt.step(&mut b, &mut f)?; }
    /// assert_eq!(a, b); // after reset, the same steps again
    /// // The dimension is forgotten too: a 3-vector is fine now.
    /// opt.reset();
    /// opt.step(&mut Array1::ones(3), &mut f)?;
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn reset(&mut self) {
        self.abandon_step();
        self.estimator.reset();
        self.update.reset();
        self.engine.rng = ZoRng::seed_from_u64(self.config.seed);
        self.engine.evaluations = 0;
        self.engine.iterations = 0;
        self.engine.dim = None;
    }

    /// Starts an ask/tell run at `x0`: validates x0 (finite, feasible, non-empty),
    /// prepares the components for its dimension and resets the optimizer, as
    /// [`minimize`](Optimizer::minimize) does. The first batch asks for f(x0).
    ///
    /// See [`Run`] and the example in [`crate::run`].
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let f = |x: ArrayView1<f64>| x.dot(&x);
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.1).max_iterations(30).seed(3).build()?;
    /// let mut run = opt.start(&Array1::ones(4))?;
    /// while let Some(batch) = run.ask()? {
    ///     // Evaluate the batch anywhere: other threads, processes, machines.
    ///     let values: Vec<f64> = batch.points().rows().into_iter().map(f).collect();
    ///     run.tell(&values)?;
    /// }
    /// let told = run.finish();
    /// let direct = opt.minimize(&mut { f }, &Array1::ones(4))?;
    /// assert_eq!(told.best_f.to_bits(), direct.best_f.to_bits()); // the same run
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn start<'o, 'x>(&'o mut self, x0: impl Into<ArrayView1<'x, F>>) -> Result<Run<'o, F, E, U>> {
        Run::new(self, x0.into(), false, None)
    }

    /// Starts an ask/tell run on a stochastic objective (see
    /// [`minimize_stochastic`](Optimizer::minimize_stochastic)); drive it with
    /// [`Run::ask_resampled`].
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    /// use zoptim::ZoRng;
    ///
    /// struct Shifted { c: f64 }
    /// impl Objective<f64> for Shifted {
    ///     fn eval(&mut self, x: ArrayView1<f64>) -> f64 { (x[0] - self.c).powi(2) }
    /// }
    /// impl StochasticObjective<f64> for Shifted {
    ///     fn resample(&mut self, rng: &mut ZoRng) { self.c = rng.uniform(); }
    /// }
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(20).seed(2).build()?;
    /// let mut problem = Shifted { c: 0.0 };
    /// let mut run = opt.start_stochastic(&Array1::zeros(1))?;
    /// while let Some(batch) = run.ask_resampled(&mut problem)? {
    ///     let values: Vec<f64> = batch.points().rows().into_iter().map(|r| problem.eval(r)).collect();
    ///     run.tell(&values)?;
    /// }
    /// let told = run.finish();
    /// let direct = opt.minimize_stochastic(&mut Shifted { c: 0.0 }, &Array1::zeros(1))?;
    /// assert_eq!(told.last_x, direct.last_x); // the same run
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn start_stochastic<'o, 'x>(&'o mut self, x0: impl Into<ArrayView1<'x, F>>) -> Result<Run<'o, F, E, U>> {
        Run::new(self, x0.into(), true, None)
    }

    /// Runs from `x0` until a stop criterion holds and returns a [`Report`].
    ///
    /// Each call is a fresh run: the optimizer is [`reset`](Optimizer::reset)
    /// first, so the same call gives the same report bit for bit. The run
    /// evaluates f(x0) first (reused by estimators that need f at the first
    /// iterate) and f at the last iterate at the end, both counted in the budget.
    /// A step that fails ends the run with [`StopReason::Failed`](crate::StopReason::Failed) and keeps the
    /// progress made so far. Errors (before anything is evaluated, or when f(x0)
    /// is not finite): an empty or non-finite x0, no stop criterion, a budget too
    /// small for f(x0), one step and the final evaluation
    /// ([`Error::BudgetExhausted`]).
    ///
    /// Rounds are evaluated in this thread (see [`crate::run`]); the report is
    /// bit-identical to an ask/tell run and to
    /// [`minimize_parallel`](Optimizer::minimize_parallel).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut f = |x: ArrayView1<f64>| (x[0] - 1.0).powi(2) + 10.0 * (x[1] + 2.0).powi(2);
    /// let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-5)).update(Adam::new()).learning_rate(0.05).max_evaluations(6_000).build()?;
    /// let report = opt.minimize(&mut f, &Array1::zeros(2))?;
    /// assert!((report.best_x[0] - 1.0).abs() < 1e-2 && (report.best_x[1] + 2.0).abs() < 1e-2, "{}", report.best_x);
    /// // Each call is a fresh run: the same call, the same report.
    /// assert_eq!(opt.minimize(&mut f, &Array1::zeros(2))?.best_x, report.best_x);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn minimize<'x, O: Objective<F>>(
        &mut self,
        objective: &mut O,
        x0: impl Into<ArrayView1<'x, F>>,
    ) -> Result<Report<F>> {
        let mut run = Run::new(self, x0.into(), false, None)?;
        while run.step_sequential(objective)? {}
        Ok(run.finish())
    }

    /// [`minimize`](Optimizer::minimize) with one more observer that may borrow
    /// local state for this run only (the builder's observers must be `'static`).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use std::ops::ControlFlow;
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.1).max_iterations(20).build()?;
    /// let mut seen = Vec::new();
    /// let mut watch = |r: &zoptim::StepRecord<f64>, _x: ArrayView1<f64>| {
    ///     seen.push(r.evaluations);
    ///     ControlFlow::Continue(())
    /// };
    /// opt.minimize_with(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(3, 1.0), &mut watch)?;
    /// assert_eq!(seen.len(), 20);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn minimize_with<'x, O: Objective<F>>(
        &mut self,
        objective: &mut O,
        x0: impl Into<ArrayView1<'x, F>>,
        observer: &mut dyn Observer<F>,
    ) -> Result<Report<F>> {
        let mut run = Run::new(self, x0.into(), false, Some(observer))?;
        while run.step_sequential(objective)? {}
        Ok(run.finish())
    }

    /// Runs on a stochastic objective, redrawing its sample before every step.
    ///
    /// Before each step the optimizer calls
    /// [`problem.resample(rng)`](StochasticObjective::resample) with its own
    /// generator, so a run — minibatches included — is a pure function of the
    /// seed; every query of the step (estimator and update rule) then sees that
    /// sample. See [`crate::stochastic`] for the pattern and why it matters.
    ///
    /// Values on different samples are not comparable, so this differs from
    /// [`minimize`](Optimizer::minimize):
    ///
    /// - f(x0) is not evaluated, and f at the new iterate is never carried to
    ///   the next step (its sample differs): every step starts with `fx = None`.
    /// - The budget counts the objective's calls on samples (`evaluations`),
    ///   plus one reserved for the final value (below).
    /// - `last_f` is [`full_value`](StochasticObjective::full_value)`(last_x)`
    ///   when the problem provides it (not counted in the budget); otherwise
    ///   f(last_x) on one freshly drawn sample (counted, [`Query::Final`](crate::Query::Final)), a
    ///   noisy estimate of the full objective.
    /// - No best point is tracked (a small value on a lucky sample says little):
    ///   `best_x` and `best_f` are `last_x` and `last_f` (`best_f` is NaN when
    ///   `last_f` is `None`, i.e. when the final evaluation failed).
    /// - [`target`](OptimizerBuilder::target) and
    ///   [`stagnation`](OptimizerBuilder::stagnation) would compare values of
    ///   different samples, so setting either is an [`Error::InvalidParameter`]
    ///   here; stop early with an [`Observer`] that evaluates a validation
    ///   objective.
    ///
    /// Step records, history, observers, projection and errors are as in `minimize`.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    /// use zoptim::ZoRng;
    ///
    /// // f(x; ξ) = (x − ξ)² with ξ ~ U(0, 1) drawn per step from the optimizer's generator.
    /// struct Noisy { xi: f64 }
    /// impl Objective<f64> for Noisy {
    ///     fn eval(&mut self, x: ArrayView1<f64>) -> f64 { (x[0] - self.xi).powi(2) }
    /// }
    /// impl StochasticObjective<f64> for Noisy {
    ///     fn resample(&mut self, rng: &mut ZoRng) { self.xi = rng.below(1_000) as f64 / 1_000.0; }
    ///     fn full_value(&mut self, x: ArrayView1<f64>) -> Option<f64> { Some((x[0] - 0.4995).powi(2) + 1.0 / 12.0) }
    /// }
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(InverseSqrt(0.3)).max_iterations(2_000).seed(1).build()?;
    /// let a = opt.minimize_stochastic(&mut Noisy { xi: 0.0 }, &Array1::zeros(1))?;
    /// assert!((a.last_x[0] - 0.5).abs() < 0.1, "{}", a.last_x[0]);
    /// // The samples come from the seed: the same run again, bit for bit.
    /// let b = opt.minimize_stochastic(&mut Noisy { xi: 0.0 }, &Array1::zeros(1))?;
    /// assert_eq!(a.last_x, b.last_x);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn minimize_stochastic<'x, S: StochasticObjective<F>>(
        &mut self,
        problem: &mut S,
        x0: impl Into<ArrayView1<'x, F>>,
    ) -> Result<Report<F>> {
        let mut run = Run::new(self, x0.into(), true, None)?;
        while run.step_sequential_stochastic(problem)? {}
        Ok(run.finish())
    }

    /// Checks what every run needs (a stop criterion, a finite and feasible x0),
    /// then resets the optimizer for a fresh run at x0's dimension.
    pub(crate) fn check_run_start(&mut self, x0: ArrayView1<'_, F>, stochastic: bool) -> Result<()> {
        let stop = &self.config.stop;
        if stop.max_evaluations.is_none() && stop.max_iterations.is_none() {
            return Err(Error::InvalidParameter {
                name: "max_evaluations / max_iterations",
                value: "unset".into(),
                requirement: "set (a run needs a budget or an iteration limit)",
            });
        }
        if stochastic && (stop.target.is_some() || stop.stagnation.is_some()) {
            return Err(Error::InvalidParameter {
                name: "target / stagnation",
                value: "set".into(),
                requirement: "unset for stochastic runs (values on different samples are not comparable)",
            });
        }
        check_finite(x0)?;
        self.reset();
        // A run that cannot take one step within its budget is a configuration
        // error, found before anything is evaluated or allocated: f(x0), one
        // step and the final evaluation must fit.
        let d = x0.len();
        let cost = self.step_cost(d)?;
        let reserve = if stochastic { 1 } else { 2 };
        if let Some(budget) = self.config.stop.max_evaluations
            && !self.fits_budget(cost, reserve)
        {
            return Err(Error::BudgetExhausted {
                used: 0,
                budget,
                needed: cost.saturating_add(reserve),
            });
        }
        self.ensure_dim(d)?;
        self.check_feasible(x0)
    }

    /// [`Error::Infeasible`] when a projection is set and `x` is outside its set.
    fn check_feasible(&mut self, x: ArrayView1<'_, F>) -> Result<()> {
        let Some(p) = self.config.projection.as_deref_mut() else {
            return Ok(());
        };
        p.prepare(x.len())?;
        let violation = match x.as_slice() {
            Some(s) => p.violation(s),
            None => p.violation(&x.to_vec()),
        };
        match violation {
            None => Ok(()),
            Some(violation) => {
                let constraint = p.name();
                // The next `step` checks its x again (the check runs while the
                // dimension is unset).
                self.engine.dim = None;
                Err(Error::Infeasible { constraint, violation })
            }
        }
    }
}

/// [`Error::EmptyParameters`] or [`Error::NonFiniteStart`] for an x no run can start from.
pub(crate) fn check_finite<F: Real>(x: ArrayView1<'_, F>) -> Result<()> {
    if x.is_empty() {
        return Err(Error::EmptyParameters);
    }
    match x.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFiniteStart {
            index,
            value: x[index].as_f64(),
        }),
        None => Ok(()),
    }
}
