//! The run engine: a step is a short sequence of *rounds* of independent
//! queries, and every way of driving an optimizer runs the same rounds.
//!
//! A round is a batch of query points whose values do not depend on each other
//! (the 2q points of a central difference, ReLIZO's new samples, a line-search
//! trial). Whoever holds the objective evaluates a round — in this thread, on a
//! thread pool, in another process or on other machines — and hands the values
//! back. The drivers:
//!
//! | driver | evaluates rounds | memory beyond the estimator's |
//! |---|---|---|
//! | [`Optimizer::minimize`] | in this thread: [`Objective::eval_batch`](crate::Objective::eval_batch) for materialised rounds, seeded rounds by moving x in place | none for seeded rounds |
//! | [`Optimizer::minimize_parallel`] (feature `rayon`) | rows on the rayon pool | seeded rounds materialised: rows × d |
//! | [`Run::ask`] / [`Run::tell`] | by you, anywhere | seeded rounds materialised: rows × d |
//! | [`Optimizer::step`] | in this thread, one step on your x | as `minimize` |
//!
//! All of them give the same bits for the same seed: the components' calls, the
//! generator's draws and the floating-point operations that form each query
//! point do not depend on the driver.
//!
//! # Ask and tell
//! ```
//! use ndarray::{Array1, ArrayView1};
//! use zoptim::prelude::*;
//!
//! let f = |x: ArrayView1<f64>| x.dot(&x);
//! let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6).directions(4))
//!     .learning_rate(0.2)
//!     .max_evaluations(500)
//!     .seed(7)
//!     .build()?;
//! let x0 = Array1::from_elem(6, 1.0);
//!
//! let mut run = opt.start(&x0)?;
//! while let Some(batch) = run.ask()? {
//!     // Evaluate the rows anywhere: here, one after another.
//!     let values: Vec<f64> = batch.points().rows().into_iter().map(|p| f(p)).collect();
//!     run.tell(&values)?;
//! }
//! let report = run.finish();
//! assert!(report.best_f < 1e-6);
//!
//! // The same run through `minimize`, bit for bit.
//! let again = opt.minimize(&mut |x: ArrayView1<f64>| f(x), &x0)?;
//! assert_eq!(again.last_x, report.last_x);
//! assert_eq!(again.evaluations, report.evaluations);
//! # Ok::<(), zoptim::Error>(())
//! ```

mod ask_tell;
mod batch;
pub mod checkpoint;
pub(crate) mod divergence;
mod drive;
mod engine;
mod in_place;
#[cfg(feature = "rayon")]
mod parallel;
mod round;
pub(crate) mod seeded;
mod stop;

pub use batch::Batch;
pub use checkpoint::{CHECKPOINT_FORMAT, Checkpoint, ComponentState};
pub(crate) use drive::NoSample;
pub(crate) use engine::{Engine, RoundPair};
pub(crate) use in_place::{Staged, check_values, drive_estimate, drive_update};
#[cfg(feature = "rayon")]
pub use parallel::{ParallelObjective, SyncObjective};
pub use round::{Perturb, Round, SeededRow};

use crate::error::{Error, Query, Result};
use crate::estimator::GradientEstimator;
use crate::observer::Observer;
use crate::optimizer::Optimizer;
use crate::oracle::BestPoint;
use crate::real::Real;
use crate::report::{Report, StepRecord, StopReason};
use crate::update::UpdateRule;
use ndarray::{Array1, ArrayView1};
use std::collections::VecDeque;

/// What a component returns from one call: it wants a round evaluated, or it is done.
#[derive(Clone, Debug, PartialEq)]
pub enum Flow<T> {
    /// The points pushed into the round are to be evaluated; the component is
    /// called again with their values.
    Query,
    /// The component has finished this step.
    Done(T),
}

/// Where a step stands after a call into the engine.
#[derive(Debug)]
pub(crate) enum StepOutcome<F> {
    /// A round waits for values.
    Pending,
    /// The step is complete.
    Done(StepRecord<F>),
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) enum State {
    /// f(x0) waits for its value (deterministic runs).
    Start,
    /// Between steps.
    Boundary,
    /// A step's round waits for values.
    InStep,
    /// f at the last iterate waits for its value.
    Final,
    /// A stochastic run stopped: its final value needs the problem.
    NeedFinal,
    /// Nothing more to evaluate.
    Done,
}

/// A run in progress, driven by ask and tell; from [`Optimizer::start`].
///
/// [`ask`](Run::ask) returns the next [`Batch`] to evaluate (or `None` once a
/// stop criterion holds and nothing is left to evaluate), [`tell`](Run::tell)
/// takes its values, and [`finish`](Run::finish) returns the same [`Report`]
/// that [`Optimizer::minimize`] returns. Observers, projection, stop criteria,
/// the budget and (for [`Optimizer::start_stochastic`]) minibatch resampling
/// apply exactly as in `minimize`.
///
/// A run borrows its optimizer: configuration and component state live there,
/// the iterate and the run's bookkeeping here.
pub struct Run<'o, F: Real, E, U> {
    opt: &'o mut Optimizer<F, E, U>,
    observer: Option<&'o mut dyn Observer<F>>,
    x: Vec<F>,
    x0: Array1<F>,
    stochastic: bool,
    state: State,
    fx: Option<F>,
    f0: Option<F>,
    last_f: Option<F>,
    best: BestPoint<F>,
    staged: Staged<F>,
    history: Option<Vec<StepRecord<F>>>,
    window: VecDeque<F>,
    stop: Option<StopReason>,
    /// The f(x0) or final round.
    single: Round<F>,
    values: Vec<F>,
    /// What this process does with `checkpoint_every`.
    #[cfg_attr(not(feature = "serde"), allow(dead_code))]
    pub(crate) checkpoints: checkpoint::Writes,
    diverge: divergence::Watch<F>,
}

impl<F: Real, E, U> std::fmt::Debug for Run<'_, F, E, U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("state", &self.state)
            .field("iteration", &self.opt.engine.iterations)
            .field("evaluations", &self.opt.engine.evaluations)
            .field("stop", &self.stop)
            .finish_non_exhaustive()
    }
}

impl<'o, F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Run<'o, F, E, U> {
    pub(crate) fn new(
        opt: &'o mut Optimizer<F, E, U>,
        x0: ArrayView1<'_, F>,
        stochastic: bool,
        observer: Option<&'o mut dyn Observer<F>>,
    ) -> Result<Self> {
        opt.check_run_start(x0, stochastic)?;
        let d = x0.len();
        let keep_best = opt.config.keep_best;
        let history = opt.config.history.then(Vec::new);
        let window_cap = opt
            .config
            .stop
            .stagnation
            .map_or(0, |s| s.0.saturating_add(1).min(1024));
        let mut run = Run {
            opt,
            observer,
            x: x0.to_vec(),
            x0: x0.to_owned(),
            stochastic,
            state: State::Boundary,
            fx: None,
            f0: None,
            last_f: None,
            best: BestPoint::new(keep_best),
            staged: Staged::default(),
            history,
            window: VecDeque::with_capacity(window_cap),
            stop: None,
            single: Round::new(d),
            values: Vec::new(),
            checkpoints: checkpoint::Writes::StopOnFailure,
            diverge: divergence::Watch::default(),
        };
        if !stochastic {
            run.single.clear(d);
            run.single.push_copy(Query::Center, &run.x);
            run.state = State::Start;
        }
        Ok(run)
    }

    /// The current iterate.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// assert_eq!(run.x(), Array1::from_elem(4, 1.0)); // x0 before the first step
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn x(&self) -> ArrayView1<'_, F> {
        ArrayView1::from(&self.x[..])
    }

    /// Steps completed so far.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// assert_eq!(run.iteration(), 0);
    /// run.tell(&[4.0])?; // f(x0)
    /// let step = run.ask()?.expect("the first step");
    /// let v: Vec<f64> = step.points().rows().into_iter().map(|p| p.dot(&p)).collect();
    /// run.tell(&v)?;
    /// assert_eq!(run.iteration(), 1);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn iteration(&self) -> usize {
        self.opt.engine.iterations
    }

    /// Evaluations counted so far (every value told, accepted or rejected).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// run.tell(&[4.0])?; // f(x0)
    /// assert_eq!(run.evaluations(), 1);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn evaluations(&self) -> usize {
        self.opt.engine.evaluations
    }

    /// Why the run stopped, once a stop criterion has held.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// while let Some(batch) = run.ask()? {
    ///     let v: Vec<f64> = batch.points().rows().into_iter().map(|p| p.dot(&p)).collect();
    ///     run.tell(&v)?;
    /// }
    /// assert_eq!(run.stop_reason(), Some(&StopReason::MaxIterations));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.stop.as_ref()
    }

    /// True for a run on a stochastic objective (from
    /// [`Optimizer::start_stochastic`], or resumed from one).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// assert!(!run.is_stochastic()); // from start, not start_stochastic
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn is_stochastic(&self) -> bool {
        self.stochastic
    }

    /// True while f(x0) waits for its value.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub(crate) fn awaits_f0(&self) -> bool {
        self.state == State::Start
    }

    /// True once nothing is left to evaluate.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// assert!(!run.is_done());
    /// while let Some(batch) = run.ask()? {
    ///     let v: Vec<f64> = batch.points().rows().into_iter().map(|p| p.dot(&p)).collect();
    ///     run.tell(&v)?;
    /// }
    /// assert!(run.is_done());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Ends the run because of `error` (for example a value that cannot be
    /// evaluated): the step in progress is abandoned (x and the optimizer's
    /// state as before it) and the report's stop reason is
    /// [`StopReason::Failed`]. f at the last iterate is still asked for when it
    /// is unknown, as [`Optimizer::minimize`] does; a failure there is final.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// run.tell(&[4.0])?; // f(x0)
    /// run.abort(zoptim::Error::NoPendingBatch); // e.g. the simulator went away
    /// let report = run.finish();
    /// assert!(matches!(report.stop, StopReason::Failed(_)));
    /// assert_eq!(report.last_x, Array1::from_elem(4, 1.0)); // the step in progress was abandoned
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn abort(&mut self, error: Error) {
        match self.state {
            State::Final => {
                if !matches!(self.stop, Some(StopReason::Failed(_))) {
                    self.stop = Some(StopReason::Failed(error));
                }
                self.state = State::Done;
            }
            State::Done | State::NeedFinal => {}
            State::Start | State::Boundary | State::InStep => {
                self.opt.abandon_step();
                self.begin_final(StopReason::Failed(error));
            }
        }
    }

    /// Ends the run and returns its report.
    ///
    /// When called before the run is over, the step in progress is abandoned (x
    /// and the optimizer's state as before it) and the stop reason is
    /// [`StopReason::Interrupted`]; f at the last iterate is then reported only
    /// when it is known.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// run.tell(&[4.0])?; // f(x0)
    /// let report = run.finish(); // before any step completed
    /// assert_eq!(report.stop, StopReason::Interrupted);
    /// assert_eq!(report.iterations, 0);
    /// assert_eq!(report.last_f, Some(4.0));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn finish(mut self) -> Report<F> {
        if self.state != State::Done {
            self.opt.abandon_step();
            if self.stop.is_none() {
                self.stop = Some(StopReason::Interrupted);
            }
            if !self.stochastic && self.last_f.is_none() {
                self.last_f = self.fx;
            }
        }
        for o in &mut self.opt.config.observers {
            o.finish();
        }
        if let Some(o) = self.observer.as_deref_mut() {
            o.finish();
        }
        let stop = self.stop.take().unwrap_or(StopReason::Interrupted);
        let last_x = Array1::from(std::mem::take(&mut self.x));
        let (best_x, best_f) = if self.stochastic {
            (last_x.clone(), self.last_f.unwrap_or(F::nan()))
        } else {
            let f0 = self.f0.unwrap_or(F::nan());
            if !self.best.keep_x {
                (last_x.clone(), self.last_f.or(self.best.f).unwrap_or(f0))
            } else if self.best.x.is_empty() {
                (self.x0.clone(), self.best.f.unwrap_or(f0))
            } else {
                (
                    Array1::from(std::mem::take(&mut self.best.x)),
                    self.best.f.unwrap_or(f0),
                )
            }
        };
        Report {
            best_x,
            best_f,
            last_x,
            last_f: self.last_f,
            evaluations: self.opt.engine.evaluations,
            iterations: self.opt.engine.iterations,
            stop,
            history: self.history.take(),
            recommendation: crate::report::Recommendation::Best,
        }
    }
}
