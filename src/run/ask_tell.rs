//! Ask and tell: handing out the pending round, taking its values, and
//! running the engine to the next round.

use super::{Batch, NoSample, Round, Run, State, StepOutcome, check_values};
use crate::error::{Error, Result};
use crate::estimator::GradientEstimator;
use crate::oracle::Query;
use crate::real::Real;
use crate::report::StopReason;
use crate::stochastic::StochasticObjective;
use crate::update::UpdateRule;
use ndarray::ArrayView1;

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Run<'_, F, E, U> {
    /// The next batch to evaluate, or `None` once the run is over.
    ///
    /// Calling `ask` again before [`tell`](Run::tell) returns the same batch.
    /// Seeded rounds are materialised here (rows × d values). Errors:
    /// [`Error::WrongDriver`] on a run from
    /// [`start_stochastic`](crate::Optimizer::start_stochastic) (use
    /// [`ask_resampled`](Run::ask_resampled)).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// // Asking twice without telling gives the same batch.
    /// let a = run.ask()?.expect("f(x0)").points().to_owned();
    /// let b = run.ask()?.expect("f(x0)").points().to_owned();
    /// assert_eq!(a, b);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
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
    /// regenerate their own points from x and each row's [`SeededRow`](super::SeededRow) (with
    /// [`Round::write_point`]) instead of receiving d numbers per row, as on a
    /// cluster where every process holds x. For a seeded round
    /// [`Batch::points`] is then empty; other rounds are as from
    /// [`ask`](Run::ask). The values told are handled exactly as after `ask`.
    ///
    /// ```
    /// use ndarray::Array1;
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::mezo().mu(1e-3)).max_iterations(2).build()?;
    /// let x0 = Array1::from_elem(3, 1.0);
    /// let mut run = opt.start(&x0)?;
    /// run.tell(&[3.0])?; // f(x0)
    /// let batch = run.ask_compact()?.expect("the first step");
    /// assert_eq!(batch.points().nrows(), 0); // no d-sized rows sent
    /// // A worker holding x regenerates row 0 from its description.
    /// let (mut point, mut scratch) = (vec![0.0; 3], Vec::new());
    /// assert!(batch.round().write_point(0, x0.as_slice().unwrap(), &mut point, &mut scratch));
    /// assert!(point.iter().all(|p| (p - 1.0).abs() <= 1e-3 * 10.0));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
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
    /// evaluation), exactly as [`Optimizer::minimize_stochastic`](crate::Optimizer::minimize_stochastic) does.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    /// use zoptim::ZoRng;
    ///
    /// // A problem whose sample is one of two targets, drawn by the run's generator.
    /// struct TwoTargets { target: f64 }
    /// impl Objective<f64> for TwoTargets {
    ///     fn eval(&mut self, x: ArrayView1<f64>) -> f64 { x.iter().map(|v| (v - self.target).powi(2)).sum() }
    /// }
    /// impl StochasticObjective<f64> for TwoTargets {
    ///     fn resample(&mut self, rng: &mut ZoRng) { self.target = if rng.below(2) == 0 { 0.5 } else { 1.5 }; }
    /// }
    /// let mut problem = TwoTargets { target: 1.0 };
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().mu(1e-4)).learning_rate(0.1).max_iterations(200).build()?;
    /// let mut run = opt.start_stochastic(&Array1::zeros(2))?;
    /// while let Some(batch) = run.ask_resampled(&mut problem)? {
    ///     let v: Vec<f64> = batch.points().rows().into_iter().map(|p| problem.eval(p)).collect();
    ///     run.tell(&v)?;
    /// }
    /// let x = run.x().to_owned();
    /// assert!(x.iter().all(|v| (v - 1.0).abs() < 0.3), "{x}"); // near the mean target
    /// # Ok::<(), zoptim::Error>(())
    /// ```
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
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// // A wrong number of values is an error that leaves the batch pending.
    /// assert!(matches!(run.tell(&[1.0, 2.0]), Err(zoptim::Error::DimensionMismatch { .. })));
    /// run.tell(&[4.0])?;
    /// assert_eq!(run.evaluations(), 1);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
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
}
