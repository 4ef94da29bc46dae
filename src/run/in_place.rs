//! Evaluating rounds in this thread: seeded rows by moving x in place (with a
//! guard that moves it back if the objective panics), and the one-off drivers
//! behind `estimate_once` and `update_once`.

use super::Flow;
use super::engine::{RoundPair, check_round};
use super::round::{Perturb, Round};
use super::seeded::{Displacement, Walk};
use crate::error::{Error, Query, Result};
use crate::estimator::{Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::objective::Objective;
use crate::real::Real;
use crate::rng::ZoRng;
use crate::update::{UpdateContext, UpdateInfo, UpdateRule};

/// The smallest value, and a copy of its point, among the rows of a seeded round
/// evaluated in place (the point cannot be regenerated once x has moved on).
#[derive(Debug, Default)]
pub(crate) struct Staged<F> {
    pub(crate) row: Option<usize>,
    pub(crate) x: Vec<F>,
    /// Scratch for regenerating a seeded point (kept, so that regenerating
    /// allocates nothing after the first round).
    pub(crate) scratch: Vec<F>,
}

/// What the best-point tracking needs from an in-place evaluation.
pub(crate) struct StageRequest<'a, F: Real> {
    /// The best value so far; only rows strictly below it are staged.
    pub(crate) below: Option<F>,
    /// Rows outside this set are never staged.
    pub(crate) feasible: Option<&'a dyn crate::projection::Projection<F>>,
    pub(crate) staged: &'a mut Staged<F>,
}

/// Evaluates `round` in this thread and returns how many rows were evaluated,
/// and the displacement x is left at when the round defers its return (see
/// [`Round::defer_return`]) and every value came back finite; `calls` counts
/// every call of the objective as it is made.
///
/// Materialised rounds go to [`Objective::eval_batch`] in one call (counted in
/// full before the call). Seeded rounds are evaluated one row at a time by
/// moving x in place (nothing d-sized is stored): [`Perturb::Walk`] rows leave x
/// at the end of the walk, exactly where [`Round::materialize`] leaves it;
/// [`Perturb::Exact`] rows save and restore the support. Evaluation stops after
/// the first non-finite value (x is moved back). If the objective panics, a
/// guard moves x back as the normal path would before the panic goes on, and
/// the calls made, the panicking one included, are counted.
pub(crate) fn eval_sequential<F: Real>(
    objective: &mut dyn Objective<F>,
    round: &Round<F>,
    x: &mut [F],
    values: &mut Vec<F>,
    saved: &mut Vec<F>,
    mut stage: Option<StageRequest<'_, F>>,
    calls: &mut usize,
) -> (usize, Option<Displacement<F>>) {
    let n = round.len();
    values.clear();
    if round.is_materialized() || !round.is_seeded() {
        values.resize(n, F::zero());
        *calls += n;
        objective.eval_batch(round.points(), values);
        return (n, None);
    }
    if let Some(s) = stage.as_mut() {
        s.staged.row = None;
    }
    if saved.capacity() < round.support_hint() {
        saved.reserve(round.support_hint() - saved.len());
    }
    let mut guard = InPlace {
        x,
        walk: Walk::default(),
        saved,
        exact: None,
    };
    for (i, row) in round.seeded().iter().enumerate() {
        let v = match row.perturb {
            Perturb::Walk => {
                guard.walk.move_to(row, guard.x);
                *calls += 1;
                let v = objective.eval(ndarray::ArrayView1::from(&*guard.x));
                stage_row(&mut stage, i, v, guard.x);
                v
            }
            Perturb::Exact => {
                guard.walk.finish(guard.x);
                let support = row.support.clone();
                guard.saved.clear();
                guard.saved.extend_from_slice(&guard.x[support.clone()]);
                guard.exact = Some(support);
                row.apply(guard.x);
                *calls += 1;
                let v = objective.eval(ndarray::ArrayView1::from(&*guard.x));
                stage_row(&mut stage, i, v, guard.x);
                guard.restore_exact();
                v
            }
        };
        values.push(v);
        if !v.is_finite() {
            break;
        }
    }
    // A failed round moves x back: only a complete, finite one stays displaced.
    let complete = values.len() == n && values.last().is_some_and(|v| v.is_finite());
    let left = (round.defers_return() && complete)
        .then(|| guard.walk.leave())
        .flatten();
    (values.len(), left)
}

/// x during an in-place evaluation: dropping it (at the end, or while a
/// panicking objective unwinds) moves x back from the current perturbation.
struct InPlace<'a, F: Real> {
    x: &'a mut [F],
    walk: Walk<F>,
    saved: &'a mut Vec<F>,
    /// The support saved in `saved` and currently perturbed.
    exact: Option<std::ops::Range<usize>>,
}

impl<F: Real> InPlace<'_, F> {
    fn restore_exact(&mut self) {
        if let Some(r) = self.exact.take() {
            self.x[r].copy_from_slice(self.saved);
        }
    }
}

impl<F: Real> Drop for InPlace<'_, F> {
    fn drop(&mut self) {
        self.restore_exact();
        self.walk.finish(self.x);
    }
}

fn stage_row<F: Real>(stage: &mut Option<StageRequest<'_, F>>, i: usize, v: F, x: &[F]) {
    let Some(s) = stage.as_mut() else {
        return;
    };
    if v.is_finite()
        && s.below.is_none_or(|b| v < b)
        && x.iter().all(|t| t.is_finite())
        && s.feasible.is_none_or(|p| p.contains(x))
    {
        s.below = Some(v);
        s.staged.row = Some(i);
        s.staged.x.clear();
        s.staged.x.extend_from_slice(x);
    }
}

/// [`Error::NonFiniteObjective`] for the first non-finite value; `offset` is the
/// number of evaluations counted before these values.
pub(crate) fn check_values<F: Real>(round: &Round<F>, values: &[F], offset: usize) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFiniteObjective {
            evaluation: offset + i + 1,
            query: round.queries().get(i).copied().unwrap_or(Query::Center),
            value: values[i].as_f64(),
        }),
    }
}

/// Drives one estimate through its rounds sequentially (for
/// [`estimate_once`](crate::estimator::estimate_once)).
pub(crate) fn drive_estimate<F: Real, E: GradientEstimator<F> + ?Sized>(
    estimator: &mut E,
    objective: &mut dyn Objective<F>,
    x: &mut [F],
    rng: &mut ZoRng,
    out: &mut Estimate<F>,
    rounds: &mut RoundPair<F>,
    limit: usize,
) -> Result<EstimateInfo<F>> {
    let d = x.len();
    rounds.start_phase(d);
    rounds.queries = 0;
    let mut values = Vec::new();
    let mut saved = Vec::new();
    loop {
        let answered = (rounds.index > 0).then_some(&rounds.answered);
        let mut ctx = EstimateContext::new(rng, None, 0, None).with_answered(rounds.index, answered, rounds.queries);
        match estimator.estimate(x, &mut ctx, &mut rounds.next, out)? {
            Flow::Done(mut info) => {
                info.queries = rounds.queries;
                return Ok(info);
            }
            Flow::Query => {
                check_round(estimator.name(), &rounds.next, rounds.queries, limit)?;
                let mut calls = 0;
                let (n, left) = eval_sequential(objective, &rounds.next, x, &mut values, &mut saved, None, &mut calls);
                if let Some(left) = left {
                    left.undo(x);
                }
                check_values(&rounds.next, &values[..n], rounds.queries)?;
                rounds.answer(&values[..n]);
            }
        }
    }
}

/// Drives one update through its rounds sequentially (for
/// [`update_once`](crate::update::update_once)).
pub(crate) fn drive_update<F: Real, U: UpdateRule<F> + ?Sized>(
    rule: &mut U,
    objective: &mut dyn Objective<F>,
    x: &mut [F],
    g: &mut Estimate<F>,
    lr: F,
    fx: Option<F>,
) -> Result<UpdateInfo<F>> {
    let d = x.len();
    let limit = rule.max_queries();
    let mut rounds = RoundPair::new(d);
    let mut values = Vec::new();
    let mut saved = Vec::new();
    loop {
        let answered = (rounds.index > 0).then_some(&rounds.answered);
        let mut ctx = UpdateContext::new(lr, 0, fx).with_answered(rounds.index, answered);
        match rule.update(x, g, &mut ctx, &mut rounds.next)? {
            Flow::Done(info) => return Ok(info),
            Flow::Query => {
                check_round(rule.name(), &rounds.next, rounds.queries, limit)?;
                let mut calls = 0;
                let (n, left) = eval_sequential(objective, &rounds.next, x, &mut values, &mut saved, None, &mut calls);
                if let Some(left) = left {
                    left.undo(x);
                }
                check_values(&rounds.next, &values[..n], rounds.queries)?;
                rounds.answer(&values[..n]);
            }
        }
    }
}
