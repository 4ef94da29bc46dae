//! The step machine: one step as a sequence of rounds, shared by every driver.

use super::checkpoint::StepTape;
use super::in_place::{StageRequest, Staged, eval_sequential};
use super::round::Round;
use super::seeded::Displacement;
use super::{Flow, StepOutcome};
use crate::error::{Error, Result};
use crate::estimator::{Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::objective::Objective;
use crate::optimizer::Optimizer;
use crate::real::Real;
use crate::report::StepRecord;
use crate::rng::ZoRng;
use crate::update::{UpdateContext, UpdateInfo, UpdateRule};

/// The round being written and the round just answered (double-buffered, so a
/// component can read the values of one round while it writes the next).
#[derive(Debug)]
pub(crate) struct RoundPair<F> {
    pub(crate) next: Round<F>,
    pub(crate) answered: Round<F>,
    /// Rounds answered in the current phase (estimate or update).
    pub(crate) index: usize,
    /// Queries answered in the current step.
    pub(crate) queries: usize,
}

impl<F: Real> RoundPair<F> {
    pub(crate) fn new(dim: usize) -> Self {
        RoundPair {
            next: Round::new(dim),
            answered: Round::new(dim),
            index: 0,
            queries: 0,
        }
    }

    /// Moves `next` to `answered` with its values; `next` is emptied.
    pub(super) fn answer(&mut self, values: &[F]) {
        std::mem::swap(&mut self.next, &mut self.answered);
        self.answered.set_values(values);
        let d = self.answered.dim();
        self.next.clear(d);
        self.index += 1;
        self.queries += values.len();
    }

    pub(super) fn start_phase(&mut self, dim: usize) {
        // Undo the phase's swaps, so that a component with one round per step
        // writes into the same (warm, already sized) buffer every step.
        if self.index % 2 == 1 {
            std::mem::swap(&mut self.next, &mut self.answered);
        }
        self.next.clear(dim);
        self.answered.clear(dim);
        self.index = 0;
    }
}

/// Where a step stands between rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Estimate,
    Update,
}

/// The state of the step in progress.
#[derive(Clone, Debug)]
struct StepState<F> {
    iteration: usize,
    lr: F,
    smoothing: Option<F>,
    fx: Option<F>,
    phase: Phase,
    info: Option<EstimateInfo<F>>,
    min_value: Option<F>,
    limit: usize,
    rng_before: ZoRng,
    resampled: bool,
    /// f at the iterate when the step began (for a checkpoint's replay).
    fx_start: Option<F>,
    /// Evaluations counted when the step began.
    evaluations_start: usize,
}

/// Run-time state of an optimizer: generator, counters, buffers, the step in
/// progress. Configuration lives in [`Config`](crate::optimizer::Config).
#[derive(Debug)]
pub(crate) struct Engine<F> {
    pub(crate) rng: ZoRng,
    pub(crate) evaluations: usize,
    pub(crate) iterations: usize,
    pub(crate) dim: Option<usize>,
    pub(crate) estimate: Estimate<F>,
    pub(crate) rounds: RoundPair<F>,
    step: Option<StepState<F>>,
    /// Scratch for sequential in-place evaluation (a saved support).
    saved: Vec<F>,
    /// The values of the round being evaluated by a sequential driver.
    pub(crate) values: Vec<F>,
    /// x before a step that made no query (to detect a step that changes nothing).
    unmoved: Vec<F>,
    /// The values answered in the step in progress, concatenated, and how many
    /// each round had: what a checkpoint needs to replay the step.
    tape_values: Vec<F>,
    tape_rounds: Vec<usize>,
    /// The walk displacement x was left at by the round just answered (see
    /// [`Round::defer_return`]): undone, or folded into the update, before the
    /// step goes on.
    displaced: Option<Displacement<F>>,
}

impl<F: Real> Engine<F> {
    pub(crate) fn new(seed: u64) -> Self {
        Engine {
            rng: ZoRng::seed_from_u64(seed),
            evaluations: 0,
            iterations: 0,
            dim: None,
            estimate: Estimate::new(),
            rounds: RoundPair::new(0),
            step: None,
            saved: Vec::new(),
            values: Vec::new(),
            unmoved: Vec::new(),
            tape_values: Vec::new(),
            tape_rounds: Vec::new(),
            displaced: None,
        }
    }

    /// How the step in progress began and the values answered so far.
    pub(crate) fn step_tape(&self) -> Option<StepTape<F>> {
        let step = self.step.as_ref()?;
        Some(StepTape {
            rng: step.rng_before.clone(),
            fx: step.fx_start,
            resampled: step.resampled,
            evaluations: step.evaluations_start,
            values: self.tape_values.clone(),
            rounds: self.tape_rounds.clone(),
        })
    }

    /// The round waiting for values, while a step is in progress.
    pub(crate) fn pending(&self) -> Option<&Round<F>> {
        self.step.as_ref().map(|_| &self.rounds.next)
    }

    pub(crate) fn pending_mut(&mut self) -> Option<&mut Round<F>> {
        self.step.as_ref()?;
        Some(&mut self.rounds.next)
    }
}

/// A round must hold at least one point and stay within the step's declared
/// queries, and a seeded row's perturbation must be unable to overflow x (the
/// in-place driver could not undo an x + s·u that became ±∞).
pub(super) fn check_round<F: Real>(component: &'static str, round: &Round<F>, used: usize, limit: usize) -> Result<()> {
    if round.is_empty() || used.saturating_add(round.len()) > limit {
        return Err(Error::QueryLimitExceeded { component, limit });
    }
    let safe = crate::update::safe_term::<F>();
    for r in round.seeded() {
        let reach = r.scale.as_f64().abs() * crate::estimator::direction_bound(&r.direction);
        if reach.partial_cmp(&safe) != Some(std::cmp::Ordering::Less) {
            return Err(Error::InvalidParameter {
                name: "mu",
                value: format!("{} (perturbations up to {reach:e})", r.scale.as_f64().abs()),
                requirement: "small enough that x + mu*u cannot overflow the float type",
            });
        }
    }
    Ok(())
}

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Optimizer<F, E, U> {
    /// The most queries one step may make: the estimator's plus the rule's
    /// (saturating: a count past `usize::MAX` fits no budget).
    pub(crate) fn step_cost(&self, dim: usize) -> Result<usize> {
        Ok(self
            .estimator
            .max_queries(dim)
            .saturating_add(self.update.max_queries()))
    }

    /// True when a step of at most `cost` queries plus `reserve` fits the budget.
    pub(crate) fn fits_budget(&self, cost: usize, reserve: usize) -> bool {
        match self.config.stop.max_evaluations {
            None => true,
            Some(b) => self
                .engine
                .evaluations
                .checked_add(cost)
                .and_then(|v| v.checked_add(reserve))
                .is_some_and(|v| v <= b),
        }
    }

    /// Prepares every component for dimension `d` the first time it is seen
    /// (the one owner of the prepare lifecycle).
    pub(crate) fn ensure_dim(&mut self, d: usize) -> Result<()> {
        match self.engine.dim {
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
                if let Some(p) = self.config.projection.as_deref_mut() {
                    p.prepare(d)?;
                }
                self.engine.rounds = RoundPair::new(d);
                self.engine.dim = Some(d);
                Ok(())
            }
        }
    }

    /// Begins a step at `x` (f(x) = `fx` when known): checks the budget
    /// (keeping `reserve` evaluations), evaluates the schedules and runs the
    /// components until they need a round or the step is done.
    pub(crate) fn begin_step(
        &mut self,
        x: &mut [F],
        fx: Option<F>,
        reserve: usize,
        resampled: bool,
    ) -> Result<StepOutcome<F>> {
        let d = x.len();
        // A step left in progress (a run dropped mid-step) is abandoned first.
        self.abandon_step();
        // The budget first: a step that cannot fit must not size buffers for it.
        let cost = self.step_cost(d)?;
        if let Some(budget) = self.config.stop.max_evaluations
            && !self.fits_budget(cost, reserve)
        {
            return Err(Error::BudgetExhausted {
                used: self.engine.evaluations,
                budget,
                needed: cost,
            });
        }
        self.ensure_dim(d)?;
        let k = self.engine.iterations;
        let lr_f64 = self.config.learning_rate.value(k);
        crate::error::check_positive("learning_rate", lr_f64)?;
        let smoothing = match &self.config.smoothing {
            Some(s) => {
                let mu = s.value(k);
                crate::error::check_positive("smoothing", mu)?;
                Some(F::of_f64(mu))
            }
            None => None,
        };
        self.engine.step = Some(StepState {
            iteration: k,
            lr: F::of_f64(lr_f64),
            smoothing,
            fx,
            phase: Phase::Estimate,
            info: None,
            min_value: None,
            limit: cost,
            rng_before: self.engine.rng.clone(),
            resampled,
            fx_start: fx,
            evaluations_start: self.engine.evaluations,
        });
        self.engine.tape_values.clear();
        self.engine.tape_rounds.clear();
        self.engine.rounds.start_phase(d);
        self.engine.rounds.queries = 0;
        self.advance(x)
    }

    /// Hands the values of the pending round to its owner and runs the step on.
    /// The values must already be checked ([`check_values`]) and counted.
    pub(crate) fn answer(&mut self, x: &mut [F], values: &[F]) -> Result<StepOutcome<F>> {
        let Some(step) = self.engine.step.as_mut() else {
            return Err(Error::NoPendingBatch);
        };
        for &v in values {
            if step.min_value.is_none_or(|m| v < m) {
                step.min_value = Some(v);
            }
        }
        self.engine.tape_values.extend_from_slice(values);
        self.engine.tape_rounds.push(values.len());
        self.engine.displaced = self.engine.rounds.next.take_left();
        self.engine.rounds.answer(values);
        self.advance(x)
    }

    /// Runs the step's components until one asks for a round or the step is done.
    fn advance(&mut self, x: &mut [F]) -> Result<StepOutcome<F>> {
        let res = self.advance_inner(x);
        // However the step went on, x is the iterate again when this returns.
        self.undo_displacement(x);
        if res.is_err() {
            self.abandon_step();
        }
        res
    }

    /// Moves x back from a displacement nobody folded into an update.
    fn undo_displacement(&mut self, x: &mut [F]) {
        if let Some(d) = self.engine.displaced.take() {
            d.undo(x);
        }
    }

    fn advance_inner(&mut self, x: &mut [F]) -> Result<StepOutcome<F>> {
        let d = x.len();
        loop {
            let step = self.engine.step.as_mut().ok_or(Error::NoPendingBatch)?;
            let rounds = &mut self.engine.rounds;
            let answered = (rounds.index > 0).then_some(&rounds.answered);
            match step.phase {
                Phase::Estimate => {
                    let mut ctx = EstimateContext::new(&mut self.engine.rng, step.fx, step.iteration, step.smoothing)
                        .with_answered(rounds.index, answered, rounds.queries)
                        .with_resampled(step.resampled);
                    match self
                        .estimator
                        .estimate(x, &mut ctx, &mut rounds.next, &mut self.engine.estimate)?
                    {
                        Flow::Query => {
                            if let Some(d) = self.engine.displaced.take() {
                                d.undo(x);
                            }
                            check_round(self.estimator.name(), &rounds.next, rounds.queries, step.limit)?;
                            if let Some(set) = self.config.projection.as_deref() {
                                rounds.next.confine(x, set);
                            }
                            return Ok(StepOutcome::Pending);
                        }
                        Flow::Done(mut info) => {
                            info.queries = rounds.queries;
                            if !self.engine.estimate.is_finite() {
                                return Err(Error::NonFiniteEstimate {
                                    estimator: self.estimator.name(),
                                    iteration: step.iteration,
                                });
                            }
                            step.fx = info.fx.or(step.fx);
                            step.info = Some(info);
                            step.phase = Phase::Update;
                            if rounds.queries == 0 {
                                // A step without a query: keep x to tell whether it moves.
                                self.engine.unmoved.clear();
                                self.engine.unmoved.extend_from_slice(x);
                            }
                            let q = rounds.queries;
                            rounds.start_phase(d);
                            rounds.queries = q;
                        }
                    }
                }
                Phase::Update => {
                    let mut ctx =
                        UpdateContext::new(step.lr, step.iteration, step.fx).with_answered(rounds.index, answered);
                    if let Some(d) = self.engine.displaced.take() {
                        if self.update.folds_return(crate::update::sealed::Internal(())) {
                            ctx = ctx.with_displacement(d);
                        } else {
                            d.undo(x);
                        }
                    }
                    let flow = self
                        .update
                        .update(x, &mut self.engine.estimate, &mut ctx, &mut rounds.next);
                    if let Some(d) = ctx.take_displacement() {
                        d.undo(x);
                    }
                    match flow? {
                        Flow::Query => {
                            check_round(self.update.name(), &rounds.next, rounds.queries, step.limit)?;
                            if let Some(set) = self.config.projection.as_deref() {
                                rounds.next.confine(x, set);
                            }
                            return Ok(StepOutcome::Pending);
                        }
                        Flow::Done(uinfo) => return Ok(StepOutcome::Done(self.complete_step(x, uinfo))),
                    }
                }
            }
        }
    }

    /// Projection, commit and the step's record.
    fn complete_step(&mut self, x: &mut [F], mut uinfo: UpdateInfo<F>) -> StepRecord<F> {
        let step = self.engine.step.take().expect("a step is in progress");
        if let Some(p) = self.config.projection.as_deref()
            && p.project(x, self.engine.estimate.support())
        {
            // f was known at the unprojected point only.
            uinfo.fx_new = None;
        }
        let stalled = self.engine.rounds.queries == 0 && self.engine.unmoved.as_slice() == &*x;
        self.estimator.commit();
        self.update.commit();
        self.engine.iterations += 1;
        let info = step.info.unwrap_or_else(|| EstimateInfo::new(0, None));
        StepRecord {
            iteration: step.iteration,
            evaluations: self.engine.evaluations,
            queries: self.engine.rounds.queries,
            fx: step.fx,
            min_value: step.min_value,
            fx_new: uinfo.fx_new,
            lr: step.lr,
            reused: info.reused,
            rank: info.rank,
            trials: uinfo.trials,
            stalled,
            diverged: false,
        }
    }

    /// Abandons the step in progress: components roll back, the generator
    /// returns to its state before the step. x is the caller's to restore (the
    /// components never write it before the step completes).
    pub(crate) fn abandon_step(&mut self) {
        if let Some(step) = self.engine.step.take() {
            self.estimator.rollback();
            self.update.rollback();
            self.engine.rng = step.rng_before;
            let d = self.engine.rounds.next.dim();
            self.engine.rounds.start_phase(d);
        }
    }

    /// Evaluates the pending round in this thread (in place for seeded rows),
    /// counting the calls; the values are left in `values`.
    pub(crate) fn eval_pending(
        &mut self,
        objective: &mut dyn Objective<F>,
        x: &mut [F],
        values: &mut Vec<F>,
        stage_below: Option<Option<F>>,
        staged: &mut Staged<F>,
    ) -> usize {
        let stage = stage_below.map(|below| StageRequest {
            below,
            feasible: self.config.projection.as_deref().map(|p| p as _),
            staged,
        });
        let engine = &mut self.engine;
        // Seeded rows move x in place: the round must not be walked again.
        engine.rounds.next.mark_walked();
        let (n, left) = eval_sequential(
            objective,
            &engine.rounds.next,
            x,
            values,
            &mut engine.saved,
            stage,
            &mut engine.evaluations,
        );
        if left.is_some() {
            // (A materialised round keeps what materialising it recorded.)
            engine.rounds.next.set_left(left);
        }
        n
    }
}
