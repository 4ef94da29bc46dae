//! Driving a run in this thread: the sequential and materialising evaluators
//! behind `minimize`, `minimize_parallel` and [`Run::minimize`].

use super::{Round, Run, State, check_values};
use crate::error::{Error, Result};
use crate::estimator::GradientEstimator;
use crate::objective::Objective;
use crate::real::Real;
use crate::report::Report;
use crate::stochastic::StochasticObjective;
use crate::update::UpdateRule;
use ndarray::ArrayView1;

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Run<'_, F, E, U> {
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
    /// [`Optimizer::minimize`](crate::Optimizer::minimize) would have (seeded rounds in place), and returns
    /// the report: for a run from [`Optimizer::resume`](crate::Optimizer::resume), the report of the
    /// uninterrupted run. Errors as `minimize`; [`Error::WrongDriver`] for a
    /// stochastic run (use [`minimize_stochastic`](Run::minimize_stochastic)).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// run.tell(&[4.0])?; // f(x0), evaluated elsewhere
    /// // The rest in this thread.
    /// let report = run.minimize(&mut |x: ArrayView1<f64>| x.dot(&x))?;
    /// assert_eq!(report.iterations, 3);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
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
    /// [`Optimizer::minimize_stochastic`](crate::Optimizer::minimize_stochastic) would have run it.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// struct Fixed;
    /// impl Objective<f64> for Fixed {
    ///     fn eval(&mut self, x: ArrayView1<f64>) -> f64 { x.dot(&x) }
    /// }
    /// impl StochasticObjective<f64> for Fixed {
    ///     fn resample(&mut self, _rng: &mut zoptim::ZoRng) {}
    /// }
    /// // A deterministic run refuses the stochastic driver.
    /// assert!(matches!(run.minimize_stochastic(&mut Fixed), Err(zoptim::Error::WrongDriver(_))));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn minimize_stochastic<S: StochasticObjective<F>>(mut self, problem: &mut S) -> Result<Report<F>> {
        if !self.stochastic {
            return Err(Error::WrongDriver("is not stochastic: call minimize(&mut objective)"));
        }
        while self.step_sequential_stochastic(problem)? {}
        Ok(self.finish())
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
