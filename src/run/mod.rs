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
//! | [`Optimizer::minimize`] | in this thread: [`Objective::eval_batch`] for materialised rounds, seeded rounds by moving x in place | none for seeded rounds |
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

pub mod checkpoint;
pub(crate) mod divergence;
mod engine;
#[cfg(feature = "rayon")]
mod parallel;
mod round;

pub use checkpoint::{CHECKPOINT_FORMAT, Checkpoint, ComponentState};
pub(crate) use engine::{Engine, RoundPair, Staged, check_values, drive_estimate, drive_update};
#[cfg(feature = "rayon")]
pub use parallel::{ParallelObjective, SyncObjective};
pub use round::{Perturb, Round, SeededRow};

use crate::error::{Error, Query, Result};
use crate::estimator::GradientEstimator;
use crate::objective::Objective;
use crate::observer::Observer;
use crate::optimizer::Optimizer;
use crate::oracle::BestPoint;
use crate::real::Real;
use crate::report::{Report, StepRecord, StopReason};
use crate::stochastic::StochasticObjective;
use crate::update::UpdateRule;
use ndarray::{Array1, ArrayView1, ArrayView2};
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

/// A batch of query points to evaluate: one round of a run, from [`Run::ask`].
///
/// Evaluate f at every row of [`points`](Batch::points) and pass the values, in
/// row order, to [`Run::tell`]. Each row carries a [`Query`] label. Rows that are
/// x plus a seed-replayed direction also have a compact description
/// ([`seeded`](Batch::seeded)), from which a worker that holds x can regenerate
/// its point instead of receiving d numbers ([`Round::write_point`]).
#[derive(Debug)]
pub struct Batch<'r, F> {
    round: &'r Round<F>,
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
    pub fn x(&self) -> ArrayView1<'_, F> {
        ArrayView1::from(&self.x[..])
    }

    /// Steps completed so far.
    pub fn iteration(&self) -> usize {
        self.opt.engine.iterations
    }

    /// Evaluations counted so far (every value told, accepted or rejected).
    pub fn evaluations(&self) -> usize {
        self.opt.engine.evaluations
    }

    /// Why the run stopped, once a stop criterion has held.
    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.stop.as_ref()
    }

    /// True for a run on a stochastic objective (from
    /// [`Optimizer::start_stochastic`], or resumed from one).
    pub fn is_stochastic(&self) -> bool {
        self.stochastic
    }

    /// True while f(x0) waits for its value.
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    pub(crate) fn awaits_f0(&self) -> bool {
        self.state == State::Start
    }

    /// True once nothing is left to evaluate.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The next batch to evaluate, or `None` once the run is over.
    ///
    /// Calling `ask` again before [`tell`](Run::tell) returns the same batch.
    /// Seeded rounds are materialised here (rows × d values). Errors:
    /// [`Error::WrongDriver`] on a run from
    /// [`start_stochastic`](Optimizer::start_stochastic) (use
    /// [`ask_resampled`](Run::ask_resampled)).
    pub fn ask(&mut self) -> Result<Option<Batch<'_, F>>> {
        if self.stochastic && self.state == State::Boundary {
            return Err(Error::WrongDriver(
                "draws a minibatch before each step: call ask_resampled(&mut problem)",
            ));
        }
        self.advance_to_pending(None::<&mut NoSample>);
        Ok(self.materialized_batch())
    }

    /// The next batch without materialising seeded rows: for workers that
    /// regenerate their own points from x and each row's [`SeededRow`] (with
    /// [`Round::write_point`]) instead of receiving d numbers per row, as on a
    /// cluster where every process holds x. For a seeded round
    /// [`Batch::points`] is then empty; other rounds are as from
    /// [`ask`](Run::ask). The values told are handled exactly as after `ask`.
    pub fn ask_compact(&mut self) -> Result<Option<Batch<'_, F>>> {
        if self.stochastic && self.state == State::Boundary {
            return Err(Error::WrongDriver(
                "draws a minibatch before each step: call ask_resampled(&mut problem)",
            ));
        }
        self.advance_to_pending(None::<&mut NoSample>);
        Ok(match self.state {
            State::Start | State::Final => Some(Batch { round: &self.single }),
            State::InStep => self.opt.engine.pending().map(|round| Batch { round }),
            State::Boundary | State::NeedFinal | State::Done => None,
        })
    }

    /// For a stochastic run: the next batch, after redrawing the problem's sample
    /// with the run's generator whenever a step begins (and before the final
    /// evaluation), exactly as [`Optimizer::minimize_stochastic`] does.
    pub fn ask_resampled<S: StochasticObjective<F>>(&mut self, problem: &mut S) -> Result<Option<Batch<'_, F>>> {
        if !self.stochastic {
            return Err(Error::WrongDriver("is not stochastic: call ask()"));
        }
        self.advance_to_pending(Some(problem));
        Ok(self.materialized_batch())
    }

    fn materialized_batch(&mut self) -> Option<Batch<'_, F>> {
        match self.state {
            State::Start | State::Final => Some(Batch { round: &self.single }),
            State::InStep => {
                let round = self.opt.engine.pending_mut()?;
                round.materialize(&self.x);
                Some(Batch { round })
            }
            State::Boundary | State::NeedFinal | State::Done => None,
        }
    }

    /// The round waiting for values, without materialising it.
    pub(crate) fn pending(&self) -> Option<&Round<F>> {
        match self.state {
            State::Start | State::Final => Some(&self.single),
            State::InStep => self.opt.engine.pending(),
            State::Boundary | State::NeedFinal | State::Done => None,
        }
    }

    /// Runs the engine until a round waits for values or the run is done.
    pub(crate) fn advance_to_pending<S: StochasticObjective<F>>(&mut self, mut problem: Option<&mut S>) {
        loop {
            match self.state {
                State::Boundary => {}
                State::NeedFinal => {
                    if let Some(p) = problem.as_deref_mut() {
                        self.stochastic_final(p);
                    }
                    return;
                }
                State::Start | State::InStep | State::Final | State::Done => return,
            }
            if let Some(stop) = self.check_stop() {
                self.begin_final(stop);
                continue;
            }
            if let Some(p) = problem.as_deref_mut() {
                p.resample(&mut self.opt.engine.rng);
            }
            match self.opt.begin_step(&mut self.x, self.fx, 1, self.stochastic) {
                Ok(StepOutcome::Pending) => self.state = State::InStep,
                Ok(StepOutcome::Done(rec)) => self.after_step(rec),
                Err(e) => self.begin_final(StopReason::Failed(e)),
            }
        }
    }

    /// The final value of a stochastic run: the problem's full value when it has
    /// one, else one evaluation on a freshly drawn sample.
    fn stochastic_final<S: StochasticObjective<F>>(&mut self, problem: &mut S) {
        if let Some(v) = problem.full_value(ArrayView1::from(&self.x[..])) {
            if v.is_finite() {
                self.last_f = Some(v);
            } else if !matches!(self.stop, Some(StopReason::Failed(_))) {
                self.stop = Some(StopReason::Failed(Error::NonFiniteObjective {
                    evaluation: self.opt.engine.evaluations,
                    query: Query::Final,
                    value: v.as_f64(),
                }));
            }
            self.state = State::Done;
            return;
        }
        problem.resample(&mut self.opt.engine.rng);
        let d = self.x.len();
        self.single.clear(d);
        self.single.push_copy(Query::Final, &self.x);
        self.state = State::Final;
    }

    /// Gives the values of the batch from the last [`ask`](Run::ask), in row order.
    ///
    /// Errors, each leaving the run where it was (the same batch can be told
    /// again): [`Error::DimensionMismatch`] for a wrong number of values (nothing
    /// is counted), [`Error::NonFiniteObjective`] for a NaN or infinite value
    /// (the values are counted as evaluations: they were made), and
    /// [`Error::NoPendingBatch`] when no batch waits for values.
    pub fn tell(&mut self, values: &[F]) -> Result<()> {
        let rows = self.pending().ok_or(Error::NoPendingBatch)?.len();
        if values.len() != rows {
            return Err(Error::DimensionMismatch {
                what: "told values (one per row of the batch)",
                expected: rows,
                found: values.len(),
            });
        }
        let offset = self.opt.engine.evaluations;
        self.opt.engine.evaluations += values.len();
        check_values(self.pending().ok_or(Error::NoPendingBatch)?, values, offset)?;
        self.accept(values, false);
        Ok(())
    }

    /// Takes checked, counted values for the pending round. `staged` says the
    /// best candidate of an in-place evaluation is in `self.staged`.
    pub(crate) fn accept(&mut self, values: &[F], staged: bool) {
        if !self.stochastic {
            self.offer_best(values, staged);
        }
        match self.state {
            State::Start => {
                let f0 = values[0];
                self.f0 = Some(f0);
                self.fx = Some(f0);
                self.window.push_back(f0);
                self.diverge.seen(f0);
                self.state = State::Boundary;
            }
            State::Final => {
                self.last_f = Some(values[0]);
                self.state = State::Done;
            }
            State::InStep => {
                if let Some(round) = self.opt.engine.pending_mut() {
                    round.settle(&mut self.x);
                }
                match self.opt.answer(&mut self.x, values) {
                    Ok(StepOutcome::Pending) => {}
                    Ok(StepOutcome::Done(rec)) => self.after_step(rec),
                    Err(e) => self.begin_final(StopReason::Failed(e)),
                }
            }
            State::Boundary | State::NeedFinal | State::Done => {}
        }
    }

    fn offer_best(&mut self, values: &[F], staged: bool) {
        let round = match self.state {
            State::Start | State::Final => &self.single,
            State::InStep => &self.opt.engine.rounds.next,
            State::Boundary | State::NeedFinal | State::Done => return,
        };
        let feasible = self.opt.config.projection.as_deref();
        if staged {
            if let Some(i) = self.staged.row {
                self.best.offer(&self.staged.x, values[i]);
            }
            return;
        }
        if round.is_seeded() && !round.is_materialized() {
            // Told after `ask_compact`: regenerate a candidate's point from x
            // (the iterate before the round) only when it would become the best.
            let mut point = std::mem::take(&mut self.staged.x);
            let mut scratch = std::mem::take(&mut self.staged.scratch);
            point.resize(self.x.len(), F::zero());
            for (i, &v) in values.iter().enumerate() {
                if self.best.f.is_none_or(|b| v < b)
                    && round.write_point(i, &self.x, &mut point, &mut scratch)
                    && point.iter().all(|t| t.is_finite())
                    && feasible.is_none_or(|s| s.contains(&point))
                {
                    self.best.offer(&point, v);
                }
            }
            self.staged.x = point;
            self.staged.scratch = scratch;
            return;
        }
        for (i, &v) in values.iter().enumerate() {
            if self.best.f.is_none_or(|b| v < b) {
                let p = round.point(i);
                // A finite value at a non-finite point is not a best point.
                if p.iter().all(|t| t.is_finite()) && feasible.is_none_or(|s| s.contains(p)) {
                    self.best.offer(p, v);
                }
            }
        }
    }

    /// Ends the run because of `error` (for example a value that cannot be
    /// evaluated): the step in progress is abandoned (x and the optimizer's
    /// state as before it) and the report's stop reason is
    /// [`StopReason::Failed`]. f at the last iterate is still asked for when it
    /// is unknown, as [`Optimizer::minimize`] does; a failure there is final.
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

    /// The stop criterion that holds at a step boundary, if any.
    fn check_stop(&self) -> Option<StopReason> {
        let cfg = &self.opt.config.stop;
        if let Some(t) = cfg.target
            && !self.stochastic
        {
            let best = self.best.f.or(self.f0);
            if best.is_some_and(|b| b <= F::of_f64(t)) {
                return Some(StopReason::TargetReached);
            }
        }
        if cfg.max_iterations.is_some_and(|m| self.opt.engine.iterations >= m) {
            return Some(StopReason::MaxIterations);
        }
        let d = self.x.len();
        match self.opt.step_cost(d) {
            Err(e) => Some(StopReason::Failed(e)),
            Ok(cost) if !self.opt.fits_budget(cost, 1) => Some(StopReason::MaxEvaluations),
            Ok(_) => None,
        }
    }

    /// Records the stop reason and asks for f at the last iterate when needed.
    fn begin_final(&mut self, stop: StopReason) {
        self.stop = Some(stop);
        if self.stochastic {
            self.state = State::NeedFinal;
            return;
        }
        if let Some(v) = self.fx {
            self.last_f = Some(v);
            self.state = State::Done;
            return;
        }
        let d = self.x.len();
        self.single.clear(d);
        self.single.push_copy(Query::Final, &self.x);
        self.state = State::Final;
    }

    /// Observers, history, stagnation and the periodic checkpoint after a
    /// completed step.
    fn after_step(&mut self, rec: StepRecord<F>) {
        self.observe_step(rec);
        #[cfg(feature = "serde")]
        self.periodic_checkpoint();
    }

    fn observe_step(&mut self, mut rec: StepRecord<F>) {
        self.fx = if self.stochastic { None } else { rec.fx_new };
        let diverged = self.diverge.check(&rec, &self.x);
        rec.diverged = diverged.is_some();
        let stalled = rec.stalled;
        let x = ArrayView1::from(&self.x[..]);
        let mut stop_now = false;
        for o in &mut self.opt.config.observers {
            stop_now |= o.observe(&rec, x).is_break();
        }
        if let Some(o) = self.observer.as_deref_mut() {
            stop_now |= o.observe(&rec, x).is_break();
        }
        if let Some(h) = self.history.as_mut() {
            h.push(rec);
        }
        self.state = State::Boundary;
        if let Some(stop) = diverged {
            self.begin_final(stop);
            return;
        }
        if stop_now {
            self.begin_final(StopReason::Observer);
            return;
        }
        if stalled {
            self.begin_final(StopReason::Stalled);
            return;
        }
        if let Some((w, tol)) = self.opt.config.stop.stagnation
            && let Some(f0) = self.f0
        {
            let now = self.best.f.unwrap_or(f0);
            self.window.push_back(now);
            if self.window.len() > w {
                let then = self.window.pop_front().unwrap_or(now);
                if then - now <= F::of_f64(tol) * (F::one() + now.abs()) {
                    self.begin_final(StopReason::Stagnation);
                }
            }
        }
    }

    /// Evaluates the pending round in this thread (seeded rounds in place) and
    /// hands the values on; an invalid value ends the run. Returns false when
    /// the run is over.
    pub(crate) fn step_sequential(&mut self, objective: &mut dyn Objective<F>) -> Result<bool> {
        self.advance_to_pending(None::<&mut NoSample>);
        self.eval_values(objective)
    }

    /// [`step_sequential`](Run::step_sequential) for a stochastic run: `problem`
    /// is resampled by the engine and evaluated.
    pub(crate) fn step_sequential_stochastic<S: StochasticObjective<F>>(&mut self, problem: &mut S) -> Result<bool> {
        self.advance_to_pending(Some(&mut *problem));
        self.eval_values(problem)
    }

    fn eval_values(&mut self, objective: &mut dyn Objective<F>) -> Result<bool> {
        let mut values = std::mem::take(&mut self.values);
        let res = self.eval_and_accept(objective, &mut values);
        self.values = values;
        res
    }

    fn eval_and_accept(&mut self, objective: &mut dyn Objective<F>, values: &mut Vec<F>) -> Result<bool> {
        let offset = self.opt.engine.evaluations;
        let (n, staged) = match self.state {
            State::Done | State::Boundary | State::NeedFinal => return Ok(false),
            State::Start | State::Final => {
                values.clear();
                self.opt.engine.evaluations += 1;
                values.push(objective.eval(ArrayView1::from(&self.x[..])));
                (1, false)
            }
            State::InStep => {
                let seeded = self
                    .opt
                    .engine
                    .pending()
                    .is_some_and(|r| r.is_seeded() && !r.is_materialized());
                let stage = (seeded && !self.stochastic).then_some(self.best.f);
                let n = self
                    .opt
                    .eval_pending(objective, &mut self.x, values, stage, &mut self.staged);
                (n, seeded)
            }
        };
        let round = self.pending().ok_or(Error::NoPendingBatch)?;
        let complete = n == round.len();
        match check_values(round, &values[..n], offset) {
            Err(e) => {
                if self.state == State::Start {
                    self.state = State::Done;
                    return Err(e);
                }
                self.abort(e);
            }
            Ok(()) if !complete => self.abort(Error::NoPendingBatch),
            Ok(()) => self.accept(&values[..n], staged),
        }
        Ok(self.state != State::Done)
    }

    /// Evaluates the pending round with `evaluate`, which fills the values of a
    /// materialised round (seeded rounds are materialised first), and hands them
    /// on; an invalid value ends the run. Returns false when the run is over.
    #[cfg_attr(not(feature = "rayon"), allow(dead_code))]
    pub(crate) fn step_materialized<S: StochasticObjective<F>>(
        &mut self,
        problem: Option<&mut S>,
        evaluate: &mut dyn FnMut(&Round<F>, &mut [F]),
    ) -> Result<bool> {
        self.advance_to_pending(problem);
        let mut values = std::mem::take(&mut self.values);
        let offset = self.opt.engine.evaluations;
        let rows = self.pending().map_or(0, Round::len);
        // Counted before the call: a panicking objective's calls count too.
        self.opt.engine.evaluations += rows;
        let round = match self.state {
            State::Done | State::Boundary | State::NeedFinal => {
                self.values = values;
                return Ok(self.state != State::Done);
            }
            State::Start | State::Final => &self.single,
            State::InStep => {
                let Some(round) = self.opt.engine.pending_mut() else {
                    self.values = values;
                    return Ok(false);
                };
                round.materialize(&self.x);
                round
            }
        };
        values.clear();
        values.resize(rows, F::zero());
        evaluate(round, &mut values);
        let round = self.pending().unwrap_or(&self.single);
        let res = check_values(round, &values, offset);
        let res = match res {
            Err(e) if self.state == State::Start => {
                self.state = State::Done;
                Err(e)
            }
            Err(e) => {
                self.abort(e);
                Ok(())
            }
            Ok(()) => {
                self.accept(&values, false);
                Ok(())
            }
        };
        self.values = values;
        res.map(|()| self.state != State::Done)
    }

    /// Evaluates the rest of the run in this thread, exactly as
    /// [`Optimizer::minimize`] would have (seeded rounds in place), and returns
    /// the report: for a run from [`Optimizer::resume`], the report of the
    /// uninterrupted run. Errors as `minimize`; [`Error::WrongDriver`] for a
    /// stochastic run (use [`minimize_stochastic`](Run::minimize_stochastic)).
    pub fn minimize<O: Objective<F>>(mut self, objective: &mut O) -> Result<Report<F>> {
        if self.stochastic {
            return Err(Error::WrongDriver(
                "draws a minibatch before each step: call minimize_stochastic(&mut problem)",
            ));
        }
        while self.step_sequential(objective)? {}
        Ok(self.finish())
    }

    /// [`minimize`](Run::minimize) for a stochastic run, as
    /// [`Optimizer::minimize_stochastic`] would have run it.
    pub fn minimize_stochastic<S: StochasticObjective<F>>(mut self, problem: &mut S) -> Result<Report<F>> {
        if !self.stochastic {
            return Err(Error::WrongDriver("is not stochastic: call minimize(&mut objective)"));
        }
        while self.step_sequential_stochastic(problem)? {}
        Ok(self.finish())
    }

    /// Ends the run and returns its report.
    ///
    /// When called before the run is over, the step in progress is abandoned (x
    /// and the optimizer's state as before it) and the stop reason is
    /// [`StopReason::Interrupted`]; f at the last iterate is then reported only
    /// when it is known.
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

/// The type of "no stochastic problem" in the shared code paths.
pub(crate) struct NoSample;

impl<F: Real> Objective<F> for NoSample {
    fn eval(&mut self, _x: ArrayView1<'_, F>) -> F {
        F::nan()
    }
}

impl<F: Real> StochasticObjective<F> for NoSample {
    fn resample(&mut self, _rng: &mut crate::rng::ZoRng) {}
}
