//! One step on a parameter vector the caller owns ([`Optimizer::step`]).

use super::{Optimizer, check_finite};
use crate::error::Result;
use crate::estimator::GradientEstimator;
use crate::objective::Objective;
use crate::real::Real;
use crate::report::StepRecord;
use crate::run::{StepOutcome, check_values};
use crate::update::UpdateRule;
use ndarray::ArrayViewMut1;

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Optimizer<F, E, U> {
    /// Takes one step on `x`, querying `objective`.
    ///
    /// Accepts `&mut Array1<F>` or any `ArrayViewMut1<F>` (a non-contiguous view is
    /// copied to an internal buffer and back). On error, x is exactly as before
    /// (for [`Storage::Seeded`](crate::estimator::Storage::Seeded), up to the
    /// rounding documented there), the estimator, rule and generator are as
    /// before the step, and the evaluations the failed step made are still
    /// counted. Errors: [`Error::EmptyParameters`](crate::Error::EmptyParameters),
    /// [`Error::DimensionMismatch`](crate::Error::DimensionMismatch) when d changes between steps (call
    /// [`reset`](Optimizer::reset) first), [`Error::NonFiniteStart`](crate::Error::NonFiniteStart) for a
    /// non-finite x on the first step, [`Error::BudgetExhausted`](crate::Error::BudgetExhausted),
    /// [`Error::NonFiniteObjective`](crate::Error::NonFiniteObjective), [`Error::NonFiniteEstimate`](crate::Error::NonFiniteEstimate),
    /// [`Error::Infeasible`](crate::Error::Infeasible) for an x outside the projection's set on the first
    /// step (after building or [`reset`](Optimizer::reset); later steps project
    /// whatever x they are given).
    ///
    /// Every round of the step is evaluated in this thread: materialised rounds
    /// in one [`Objective::eval_batch`] call, seeded rounds by moving x in place.
    /// With a [`projection`](super::OptimizerBuilder::projection), x is projected after
    /// the update.
    ///
    /// After the first step nothing is allocated (for the built-in estimators and
    /// rules, with a contiguous x).
    ///
    /// ```
    /// use ndarray::{ArrayView1, array};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6)).learning_rate(0.1).build()?;
    /// let mut x = array![1.0, -2.0];
    /// for _ in 0..100 {
    ///     // A fresh closure per step, e.g. over this step's minibatch.
    ///     opt.step(&mut x, &mut |p: ArrayView1<f64>| p.dot(&p))?;
    /// }
    /// assert!(x.dot(&x) < 1e-8);
    /// assert_eq!(opt.evaluations(), 200); // 2 per central SPSA step
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn step<'x, O: Objective<F>>(
        &mut self,
        x: impl Into<ArrayViewMut1<'x, F>>,
        objective: &mut O,
    ) -> Result<StepRecord<F>> {
        let mut x = x.into();
        if self.engine.dim.is_none() {
            check_finite(x.view())?;
            self.check_feasible(x.view())?;
        }
        match x.as_slice_mut() {
            Some(xs) => self.step_slice(xs, objective),
            None => {
                let mut buf = std::mem::take(&mut self.contiguous);
                buf.clear();
                buf.extend(x.iter().copied());
                let res = self.step_slice(&mut buf, objective);
                if res.is_ok() {
                    x.iter_mut().zip(&buf).for_each(|(xi, &bi)| *xi = bi);
                }
                self.contiguous = buf;
                res
            }
        }
    }

    fn step_slice(&mut self, x: &mut [F], objective: &mut dyn Objective<F>) -> Result<StepRecord<F>> {
        let mut values = std::mem::take(&mut self.engine.values);
        let res = self.step_rounds(x, objective, &mut values);
        self.engine.values = values;
        res
    }

    fn step_rounds(
        &mut self,
        x: &mut [F],
        objective: &mut dyn Objective<F>,
        values: &mut Vec<F>,
    ) -> Result<StepRecord<F>> {
        let mut outcome = self.begin_step(x, None, 0, false)?;
        let mut staged = crate::run::Staged::default();
        loop {
            match outcome {
                StepOutcome::Done(rec) => return Ok(rec),
                StepOutcome::Pending => {
                    let offset = self.engine.evaluations;
                    let n = self.eval_pending(objective, x, values, None, &mut staged);
                    let round = &self.engine.rounds.next;
                    if let Err(e) = check_values(round, &values[..n], offset) {
                        self.abandon_step();
                        return Err(e);
                    }
                    outcome = self.answer(x, &values[..n])?;
                }
            }
        }
    }
}
