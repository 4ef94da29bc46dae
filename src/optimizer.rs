//! The generic step loop: [`Optimizer`], its builder, and `minimize`.

use crate::error::{Error, Query, Result, check_count};
use crate::estimator::{Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::objective::{BestPoint, Objective, Oracle};
use crate::observer::Observer;
use crate::projection::Projection;
use crate::real::Real;
use crate::report::{Report, StepRecord, StopReason};
use crate::rng::ZoRng;
use crate::schedule::Schedule;
use crate::stochastic::StochasticObjective;
use crate::update::{Sgd, UpdateContext, UpdateInfo, UpdateRule};
use ndarray::{Array1, ArrayView1, ArrayViewMut1};
use std::collections::VecDeque;
use std::fmt;

/// Builds an [`Optimizer`]; [`build`](OptimizerBuilder::build) checks the whole
/// configuration once, so a built optimizer never fails on its configuration mid-run.
///
/// Defaults: [`Sgd`] update, learning rate 1e-3, seed 0, no stop criterion
/// besides the ones you set (`minimize` needs at least one of
/// [`max_evaluations`](OptimizerBuilder::max_evaluations) and
/// [`max_iterations`](OptimizerBuilder::max_iterations)), no history.
pub struct OptimizerBuilder<F: Real, E, U> {
    estimator: E,
    update: U,
    learning_rate: Box<dyn Schedule>,
    smoothing: Option<Box<dyn Schedule>>,
    seed: u64,
    max_evaluations: Option<usize>,
    max_iterations: Option<usize>,
    target: Option<f64>,
    stagnation: Option<(usize, f64)>,
    history: bool,
    keep_best: bool,
    observers: Vec<Box<dyn Observer<F>>>,
    projection: Option<Box<dyn Projection<F>>>,
}

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> OptimizerBuilder<F, E, U> {
    /// Replaces the update rule.
    pub fn update<V: UpdateRule<F>>(self, rule: V) -> OptimizerBuilder<F, E, V> {
        OptimizerBuilder {
            estimator: self.estimator,
            update: rule,
            learning_rate: self.learning_rate,
            smoothing: self.smoothing,
            seed: self.seed,
            max_evaluations: self.max_evaluations,
            max_iterations: self.max_iterations,
            target: self.target,
            stagnation: self.stagnation,
            history: self.history,
            keep_best: self.keep_best,
            observers: self.observers,
            projection: self.projection,
        }
    }

    /// The learning rate: an `f64` constant or any [`Schedule`] (must be finite and > 0).
    pub fn learning_rate(mut self, schedule: impl Schedule + 'static) -> Self {
        self.learning_rate = Box::new(schedule);
        self
    }

    /// A schedule for the smoothing parameter μ; it overrides the estimator's own μ
    /// at every step (for estimators that have one).
    pub fn smoothing(mut self, schedule: impl Schedule + 'static) -> Self {
        self.smoothing = Some(Box::new(schedule));
        self
    }

    /// The seed of the optimizer's [`ZoRng`]: same seed, same run, bit for bit.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The evaluation budget (≥ 1). A step is started only if its largest possible
    /// query count fits; `minimize` also keeps one evaluation for f at the last
    /// iterate, so it never exceeds the budget.
    pub fn max_evaluations(mut self, n: usize) -> Self {
        self.max_evaluations = Some(n);
        self
    }

    /// The most steps `minimize` takes.
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.max_iterations = Some(n);
        self
    }

    /// Stop `minimize` once an evaluated value is ≤ `target`.
    ///
    /// Only values the run actually evaluated count. A central-difference
    /// estimator never evaluates the iterate itself, only points at distance
    /// μ·‖u‖ from it, so a target closer to the minimum than that offset
    /// changes f is seen only by the final evaluation (and the run then stops
    /// on another criterion).
    pub fn target(mut self, target: f64) -> Self {
        self.target = Some(target);
        self
    }

    /// Stop `minimize` when, over the last `window` steps, the best value improved by
    /// at most `tol·(1 + |best|)`.
    pub fn stagnation(mut self, window: usize, tol: f64) -> Self {
        self.stagnation = Some((window, tol));
        self
    }

    /// Keep one [`StepRecord`] per step in the report.
    pub fn history(mut self, on: bool) -> Self {
        self.history = on;
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
    pub fn keep_best_point(mut self, on: bool) -> Self {
        self.keep_best = on;
        self
    }

    /// Adds an observer, called after every step of `minimize`.
    pub fn observer(mut self, observer: impl Observer<F> + 'static) -> Self {
        self.observers.push(Box::new(observer));
        self
    }

    /// Constrains the iterates to a closed convex set: after every step x is
    /// projected onto it (projected ZO-SGD; see [`crate::projection`]). The start
    /// must be feasible, else [`Error::Infeasible`].
    pub fn projection(mut self, set: impl Projection<F> + 'static) -> Self {
        self.projection = Some(Box::new(set));
        self
    }

    /// Checks the whole configuration and builds the optimizer.
    pub fn build(self) -> Result<Optimizer<F, E, U>> {
        self.estimator.validate()?;
        if let Some(p) = &self.projection {
            p.validate()?;
        }
        self.update.validate()?;
        self.learning_rate.validate("learning_rate")?;
        if let Some(s) = &self.smoothing {
            s.validate("smoothing")?;
        }
        if self.max_evaluations == Some(0) {
            return Err(Error::EmptyBudget);
        }
        if let Some(t) = self.target
            && t.is_nan()
        {
            return Err(Error::InvalidParameter {
                name: "target",
                value: format!("{t}"),
                requirement: "a number (not NaN)",
            });
        }
        if let Some((window, tol)) = self.stagnation {
            check_count("stagnation window", window)?;
            crate::error::check_non_negative("stagnation tol", tol)?;
        }
        Ok(Optimizer {
            estimator: self.estimator,
            update: self.update,
            learning_rate: self.learning_rate,
            smoothing: self.smoothing,
            seed: self.seed,
            rng: ZoRng::seed_from_u64(self.seed),
            max_evaluations: self.max_evaluations,
            max_iterations: self.max_iterations,
            target: self.target,
            stagnation: self.stagnation,
            history: self.history,
            keep_best: self.keep_best,
            observers: self.observers,
            projection: self.projection,
            estimate: Estimate::new(),
            evaluations: 0,
            iterations: 0,
            dim: None,
            contiguous: Vec::new(),
        })
    }
}

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
pub struct Optimizer<F: Real, E, U> {
    estimator: E,
    update: U,
    learning_rate: Box<dyn Schedule>,
    smoothing: Option<Box<dyn Schedule>>,
    seed: u64,
    rng: ZoRng,
    max_evaluations: Option<usize>,
    max_iterations: Option<usize>,
    target: Option<f64>,
    stagnation: Option<(usize, f64)>,
    history: bool,
    keep_best: bool,
    observers: Vec<Box<dyn Observer<F>>>,
    projection: Option<Box<dyn Projection<F>>>,
    estimate: Estimate<F>,
    evaluations: usize,
    iterations: usize,
    dim: Option<usize>,
    contiguous: Vec<F>,
}

impl<F: Real, E: fmt::Debug, U: fmt::Debug> fmt::Debug for Optimizer<F, E, U> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Optimizer")
            .field("estimator", &self.estimator)
            .field("update", &self.update)
            .field("seed", &self.seed)
            .field("max_evaluations", &self.max_evaluations)
            .field("max_iterations", &self.max_iterations)
            .field("evaluations", &self.evaluations)
            .field("iterations", &self.iterations)
            .finish_non_exhaustive()
    }
}

impl<F: Real, E: GradientEstimator<F>> Optimizer<F, E, Sgd> {
    /// Starts building an optimizer around `estimator`, with plain [`Sgd`].
    pub fn builder(estimator: E) -> OptimizerBuilder<F, E, Sgd> {
        OptimizerBuilder {
            estimator,
            update: Sgd::new(),
            learning_rate: Box::new(1e-3),
            smoothing: None,
            seed: 0,
            max_evaluations: None,
            max_iterations: None,
            target: None,
            stagnation: None,
            history: false,
            keep_best: true,
            observers: Vec::new(),
            projection: None,
        }
    }
}

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Optimizer<F, E, U> {
    /// Evaluations made since the optimizer was built or last reset.
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// Steps taken since the optimizer was built or last reset.
    pub fn iterations(&self) -> usize {
        self.iterations
    }

    /// The seed the generator restarts from on [`reset`](Optimizer::reset).
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The estimator (for its statistics or configuration).
    pub fn estimator(&self) -> &E {
        &self.estimator
    }

    /// The update rule.
    pub fn update_rule(&self) -> &U {
        &self.update
    }

    /// The last estimate (valid after a successful step).
    pub fn last_estimate(&mut self) -> &mut Estimate<F> {
        &mut self.estimate
    }

    /// Restarts: estimator and rule state forgotten, counters zeroed, generator
    /// reseeded, dimension forgotten. A run after `reset` repeats the first one.
    pub fn reset(&mut self) {
        self.estimator.reset();
        self.update.reset();
        self.rng = ZoRng::seed_from_u64(self.seed);
        self.evaluations = 0;
        self.iterations = 0;
        self.dim = None;
    }

    /// Takes one step on `x`, querying `objective`.
    ///
    /// Accepts `&mut Array1<F>` or any `ArrayViewMut1<F>` (a non-contiguous view is
    /// copied to an internal buffer and back). On error, x is exactly as before
    /// (for [`Storage::Seeded`](crate::estimator::Storage::Seeded), up to the
    /// rounding documented there) and the evaluations the failed step made are
    /// still counted. Errors: [`Error::EmptyParameters`],
    /// [`Error::DimensionMismatch`] when d changes between steps (call
    /// [`reset`](Optimizer::reset) first), [`Error::NonFiniteStart`] for a
    /// non-finite x on the first step, [`Error::BudgetExhausted`],
    /// [`Error::NonFiniteObjective`], [`Error::NonFiniteEstimate`],
    /// [`Error::Infeasible`] for an x outside the projection's set on the first
    /// step (after building or [`reset`](Optimizer::reset); later steps project
    /// whatever x they are given).
    ///
    /// With a [`projection`](OptimizerBuilder::projection), x is projected after
    /// the update.
    ///
    /// After the first step nothing is allocated (for the built-in estimators and
    /// rules, with a contiguous x).
    pub fn step<'x, O: Objective<F>>(
        &mut self,
        x: impl Into<ArrayViewMut1<'x, F>>,
        objective: &mut O,
    ) -> Result<StepRecord<F>> {
        let mut x = x.into();
        if self.dim.is_none() {
            check_finite(x.view())?;
            self.check_feasible(x.view())?;
        }
        match x.as_slice_mut() {
            Some(xs) => self.step_slice(xs, objective, None, None, 0),
            None => {
                let mut buf = std::mem::take(&mut self.contiguous);
                buf.clear();
                buf.extend(x.iter().copied());
                let res = self.step_slice(&mut buf, objective, None, None, 0);
                if res.is_ok() {
                    x.iter_mut().zip(&buf).for_each(|(xi, &bi)| *xi = bi);
                }
                self.contiguous = buf;
                res
            }
        }
    }

    /// Runs from `x0` until a stop criterion holds and returns a [`Report`].
    ///
    /// Each call is a fresh run: the optimizer is [`reset`](Optimizer::reset)
    /// first, so the same call gives the same report bit for bit. The run
    /// evaluates f(x0) first (reused by estimators that need f at the first
    /// iterate) and f at the last iterate at the end, both counted in the budget.
    /// A step that fails ends the run with [`StopReason::Failed`] and keeps the
    /// progress made so far. Errors (before anything is evaluated, or when f(x0)
    /// is not finite): an empty or non-finite x0, no stop criterion.
    pub fn minimize<'x, O: Objective<F>>(
        &mut self,
        objective: &mut O,
        x0: impl Into<ArrayView1<'x, F>>,
    ) -> Result<Report<F>> {
        let x0 = x0.into();
        let d = self.start_run(x0)?;
        let obj: &mut dyn Objective<F> = objective;
        let mut x: Vec<F> = x0.to_vec();
        let mut best = BestPoint::new(self.keep_best);
        let f0 = Oracle::new(obj, 1, 0)
            .with_best(&mut best)
            .with_feasibility(self.projection.as_deref())
            .eval(&x, Query::Center);
        self.evaluations = 1;
        let f0 = f0?;
        let mut fx = Some(f0);
        let target = self.target.map(F::of_f64);
        let mut history = self.history.then(Vec::new);
        let mut window: VecDeque<F> = VecDeque::with_capacity(self.stagnation.map_or(0, |s| s.0 + 1));
        window.push_back(f0);
        let stop = loop {
            let best_f = best.f.unwrap_or(f0);
            if target.is_some_and(|t| best_f <= t) {
                break StopReason::TargetReached;
            }
            if self.max_iterations.is_some_and(|m| self.iterations >= m) {
                break StopReason::MaxIterations;
            }
            let needed = self.estimator.max_queries(d) + self.update.max_queries();
            if self.max_evaluations.is_some_and(|b| self.evaluations + needed + 1 > b) {
                break StopReason::MaxEvaluations;
            }
            let rec = match self.step_slice(&mut x, obj, fx, Some(&mut best), 1) {
                Ok(rec) => rec,
                Err(e) => break StopReason::Failed(e),
            };
            fx = rec.fx_new;
            let stop_now = self.notify(&rec, &x);
            if let Some(h) = history.as_mut() {
                h.push(rec);
            }
            if stop_now {
                break StopReason::Observer;
            }
            if let Some((w, tol)) = self.stagnation {
                let now = best.f.unwrap_or(f0);
                window.push_back(now);
                if window.len() > w {
                    let then = window.pop_front().unwrap_or(now);
                    if then - now <= F::of_f64(tol) * (F::one() + now.abs()) {
                        break StopReason::Stagnation;
                    }
                }
            }
        };
        let mut stop = stop;
        let last_f = match fx {
            Some(v) => Some(v),
            None => {
                let r = Oracle::new(obj, 1, self.evaluations)
                    .with_best(&mut best)
                    .with_feasibility(self.projection.as_deref())
                    .eval(&x, Query::Final);
                self.count_final(r, &mut stop)
            }
        };
        self.observers.iter_mut().for_each(|o| o.finish());
        let (best_x, best_f) = if !self.keep_best {
            (Array1::from(x.clone()), last_f.or(best.f).unwrap_or(f0))
        } else if best.x.is_empty() {
            (x0.to_owned(), best.f.unwrap_or(f0))
        } else {
            (Array1::from(std::mem::take(&mut best.x)), best.f.unwrap_or(f0))
        };
        Ok(Report {
            best_x,
            best_f,
            last_x: Array1::from(x),
            last_f,
            evaluations: self.evaluations,
            iterations: self.iterations,
            stop,
            history,
        })
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
    ///   f(last_x) on one freshly drawn sample (counted, [`Query::Final`]), a
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
    pub fn minimize_stochastic<'x, S: StochasticObjective<F>>(
        &mut self,
        problem: &mut S,
        x0: impl Into<ArrayView1<'x, F>>,
    ) -> Result<Report<F>> {
        let x0 = x0.into();
        if self.target.is_some() || self.stagnation.is_some() {
            return Err(Error::InvalidParameter {
                name: "target / stagnation",
                value: "set".into(),
                requirement: "unset for minimize_stochastic (values on different samples are not comparable)",
            });
        }
        let d = self.start_run(x0)?;
        let mut x: Vec<F> = x0.to_vec();
        let mut history = self.history.then(Vec::new);
        let mut stop = loop {
            if self.max_iterations.is_some_and(|m| self.iterations >= m) {
                break StopReason::MaxIterations;
            }
            let needed = self.estimator.max_queries(d) + self.update.max_queries();
            if self.max_evaluations.is_some_and(|b| self.evaluations + needed + 1 > b) {
                break StopReason::MaxEvaluations;
            }
            problem.resample(&mut self.rng);
            let rec = match self.step_slice(&mut x, problem, None, None, 1) {
                Ok(rec) => rec,
                Err(e) => break StopReason::Failed(e),
            };
            let stop_now = self.notify(&rec, &x);
            if let Some(h) = history.as_mut() {
                h.push(rec);
            }
            if stop_now {
                break StopReason::Observer;
            }
        };
        let last_f = match problem.full_value(ArrayView1::from(&x[..])) {
            Some(v) => Some(v),
            None => {
                problem.resample(&mut self.rng);
                let obj: &mut dyn Objective<F> = problem;
                let r = Oracle::new(obj, 1, self.evaluations).eval(&x, Query::Final);
                self.count_final(r, &mut stop)
            }
        };
        self.observers.iter_mut().for_each(|o| o.finish());
        let last_x = Array1::from(x);
        Ok(Report {
            best_x: last_x.clone(),
            best_f: last_f.unwrap_or(F::nan()),
            last_x,
            last_f,
            evaluations: self.evaluations,
            iterations: self.iterations,
            stop,
            history,
        })
    }

    /// Calls every observer with the step's record; true when one asked to stop.
    fn notify(&mut self, rec: &StepRecord<F>, x: &[F]) -> bool {
        let mut stop = false;
        for o in &mut self.observers {
            if o.observe(rec, ArrayView1::from(x)).is_break() {
                stop = true;
            }
        }
        stop
    }

    /// [`Error::Infeasible`] when a projection is set and `x` is outside its set.
    fn check_feasible(&mut self, x: ArrayView1<'_, F>) -> Result<()> {
        let Some(p) = self.projection.as_deref_mut() else {
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
                self.dim = None;
                Err(Error::Infeasible { constraint, violation })
            }
        }
    }

    /// Checks what every run needs (a stop criterion, a finite and feasible x0),
    /// then resets the optimizer for a fresh run at x0's dimension.
    fn start_run(&mut self, x0: ArrayView1<'_, F>) -> Result<usize> {
        if self.max_evaluations.is_none() && self.max_iterations.is_none() {
            return Err(Error::InvalidParameter {
                name: "max_evaluations / max_iterations",
                value: "unset".into(),
                requirement: "set (minimize needs a budget or an iteration limit)",
            });
        }
        check_finite(x0)?;
        self.reset();
        let d = x0.len();
        self.ensure_dim(d)?;
        self.check_feasible(x0)?;
        Ok(d)
    }

    /// Counts the final evaluation of a run; its failure becomes the stop reason
    /// unless the run had already failed.
    fn count_final(&mut self, value: Result<F>, stop: &mut StopReason) -> Option<F> {
        self.evaluations += 1;
        match value {
            Ok(v) => Some(v),
            Err(e) => {
                if !matches!(stop, StopReason::Failed(_)) {
                    *stop = StopReason::Failed(e);
                }
                None
            }
        }
    }

    fn ensure_dim(&mut self, d: usize) -> Result<()> {
        match self.dim {
            Some(e) if e == d => Ok(()),
            Some(e) => Err(Error::DimensionMismatch {
                what: "parameter vector (call reset() to change dimension)",
                expected: e,
                found: d,
            }),
            None => {
                if d == 0 {
                    return Err(Error::EmptyParameters);
                }
                self.estimator.prepare(d)?;
                self.update.prepare(d)?;
                if let Some(p) = self.projection.as_deref_mut() {
                    p.prepare(d)?;
                }
                self.dim = Some(d);
                Ok(())
            }
        }
    }

    fn step_slice(
        &mut self,
        x: &mut [F],
        objective: &mut dyn Objective<F>,
        fx: Option<F>,
        best: Option<&mut BestPoint<F>>,
        reserve: usize,
    ) -> Result<StepRecord<F>> {
        let d = x.len();
        self.ensure_dim(d)?;
        let needed = self.estimator.max_queries(d) + self.update.max_queries();
        if let Some(budget) = self.max_evaluations
            && self.evaluations + needed + reserve > budget
        {
            return Err(Error::BudgetExhausted {
                used: self.evaluations,
                budget,
                needed,
            });
        }
        let k = self.iterations;
        let lr_f64 = self.learning_rate.value(k);
        crate::error::check_positive("learning_rate", lr_f64)?;
        let lr = F::of_f64(lr_f64);
        let smoothing = match &self.smoothing {
            Some(s) => {
                let mu = s.value(k);
                crate::error::check_positive("smoothing", mu)?;
                Some(F::of_f64(mu))
            }
            None => None,
        };
        let mut oracle = Oracle::new(objective, needed, self.evaluations).with_feasibility(self.projection.as_deref());
        if let Some(b) = best {
            oracle = oracle.with_best(b);
        }
        let outcome = run_step(
            &mut self.estimator,
            &mut self.update,
            &mut oracle,
            &mut self.rng,
            &mut self.estimate,
            x,
            fx,
            k,
            lr,
            smoothing,
        );
        let queries = oracle.used();
        let min_value = oracle.min_value();
        self.evaluations += queries;
        let (info, mut uinfo) = outcome?;
        if let Some(p) = self.projection.as_deref()
            && p.project(x, self.estimate.support())
        {
            // f was known at the unprojected point only.
            uinfo.fx_new = None;
        }
        self.iterations += 1;
        Ok(StepRecord {
            iteration: k,
            evaluations: self.evaluations,
            queries,
            fx: info.fx.or(fx),
            min_value,
            fx_new: uinfo.fx_new,
            lr,
            reused: info.reused,
            rank: info.rank,
            trials: uinfo.trials,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn run_step<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>>(
    estimator: &mut E,
    update: &mut U,
    oracle: &mut Oracle<'_, F>,
    rng: &mut ZoRng,
    estimate: &mut Estimate<F>,
    x: &mut [F],
    fx: Option<F>,
    iteration: usize,
    lr: F,
    smoothing: Option<F>,
) -> Result<(EstimateInfo<F>, UpdateInfo<F>)> {
    oracle.set_component(estimator.name());
    let mut ectx = EstimateContext {
        oracle: &mut *oracle,
        rng,
        fx,
        iteration,
        smoothing,
    };
    let info = estimator.estimate(x, &mut ectx, estimate)?;
    if !estimate.is_finite() {
        return Err(Error::NonFiniteEstimate {
            estimator: estimator.name(),
            iteration,
        });
    }
    oracle.set_component(update.name());
    let mut uctx = UpdateContext {
        oracle,
        lr,
        iteration,
        fx: info.fx.or(fx),
    };
    let uinfo = update.apply(x, estimate, &mut uctx)?;
    Ok((info, uinfo))
}

fn check_finite<F: Real>(x: ArrayView1<'_, F>) -> Result<()> {
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
