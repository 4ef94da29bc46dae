//! Taking a checkpoint from a run, and resuming a run from one.

use super::{CHECKPOINT_FORMAT, Checkpoint, ComponentState, RunState, StepTape, Writes, float_name};
use crate::error::{Error, Result};
use crate::estimator::GradientEstimator;
use crate::optimizer::Optimizer;
use crate::oracle::{BestPoint, Query};
use crate::real::Real;
use crate::report::StopReason;
use crate::run::{Round, Run, Staged, State, StepOutcome};
use crate::update::UpdateRule;
use ndarray::Array1;
use std::collections::VecDeque;

impl<'o, F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Run<'o, F, E, U> {
    /// Everything the run needs to continue, at any point: between steps or
    /// between an [`ask`](Run::ask) and its [`tell`](Run::tell). Resume it with
    /// [`Optimizer::resume`]; the resumed run gives the same report, bit for
    /// bit, as this run would have.
    ///
    /// Mid-step, the components' memory is saved as it was when the step began
    /// (the step is rolled back, saved and replayed from the values told so
    /// far; nothing is evaluated again). Errors:
    /// [`Error::CheckpointUnsupported`] for an estimator or rule that does not
    /// implement [`save_state`](GradientEstimator::save_state); the run is
    /// unchanged.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # let f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6)).update(Adam::new()).max_iterations(100).seed(1).build()?;
    /// # let mut run = opt.start(&Array1::from_elem(3, 1.0))?;
    /// let mut told = 0;
    /// for _ in 0..4 {
    ///     let batch = run.ask()?.expect("the run is not over");
    ///     let values: Vec<f64> = batch.points().rows().into_iter().map(f).collect();
    ///     told += values.len();
    ///     run.tell(&values)?;
    /// }
    /// let checkpoint = run.checkpoint()?;
    /// assert_eq!(checkpoint.evaluations(), told);
    /// assert_eq!(run.checkpoint()?, checkpoint); // taking one leaves the run unchanged
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn checkpoint(&mut self) -> Result<Checkpoint<F>> {
        let tape = self.opt.engine.step_tape();
        if tape.is_some() {
            self.opt.abandon_step();
        }
        let saved = self.opt.save_components();
        if let Some(t) = &tape {
            // The step was answered with these values once, so replaying it
            // succeeds; should it not, the run ends as a failed step would.
            if let Err(e) = self.replay(t) {
                self.begin_final(StopReason::Failed(e));
            }
        }
        let (estimator, update) = saved?;
        Ok(Checkpoint {
            format: CHECKPOINT_FORMAT,
            written_by: env!("CARGO_PKG_VERSION").to_owned(),
            float: float_name::<F>().to_owned(),
            dim: self.x.len(),
            rng: tape
                .as_ref()
                .map_or_else(|| self.opt.engine.rng.clone(), |t| t.rng.clone()),
            evaluations: self.opt.engine.evaluations,
            iterations: self.opt.engine.iterations,
            estimator,
            update,
            run: RunState {
                stage: self.state,
                stochastic: self.stochastic,
                x: self.x.clone(),
                // x0 is reported as best_x only while no best point is kept.
                x0: if self.best.keep_x && self.best.x.is_empty() {
                    self.x0.to_vec()
                } else {
                    Vec::new()
                },
                fx: self.fx,
                f0: self.f0,
                last_f: self.last_f,
                keep_best: self.best.keep_x,
                best_x: self.best.x.clone(),
                best_f: self.best.f,
                history: self.history.clone(),
                window: self.window.iter().copied().collect(),
                stop: self.stop.clone(),
                watch: self.diverge.state(),
            },
            step: tape,
        })
    }

    /// A run continuing from `c` (already checked and loaded into `opt`).
    fn restored(opt: &'o mut Optimizer<F, E, U>, c: Checkpoint<F>) -> Result<Self> {
        let r = c.run;
        let d = r.x.len();
        let window_cap = opt
            .config
            .stop
            .stagnation
            .map_or(0, |s| s.0.saturating_add(1).min(1024));
        let mut window = VecDeque::with_capacity(window_cap.max(r.window.len()));
        window.extend(r.window);
        let mut best = BestPoint::new(r.keep_best);
        best.x = r.best_x;
        best.f = r.best_f;
        let history = match (opt.config.history, r.history) {
            (true, h) => Some(h.unwrap_or_default()),
            (false, _) => None,
        };
        let mut run = Run {
            opt,
            observer: None,
            x: r.x,
            x0: Array1::from(r.x0),
            stochastic: r.stochastic,
            state: r.stage,
            fx: r.fx,
            f0: r.f0,
            last_f: r.last_f,
            best,
            staged: Staged::default(),
            history,
            window,
            stop: r.stop,
            single: Round::new(d),
            values: Vec::new(),
            checkpoints: Writes::StopOnFailure,
            diverge: crate::run::divergence::Watch::restored(r.watch),
        };
        match run.state {
            State::Start => run.single.push_copy(Query::Center, &run.x),
            State::Final => run.single.push_copy(Query::Final, &run.x),
            _ => {}
        }
        if let Some(t) = &c.step {
            run.replay(t).map_err(|e| Error::CheckpointCorrupt {
                reason: format!("the step in progress cannot be replayed: {e}"),
            })?;
        }
        Ok(run)
    }

    /// Re-runs the step in progress from its start with the values told so far
    /// (nothing is evaluated or counted), leaving its next round pending.
    fn replay(&mut self, tape: &StepTape<F>) -> Result<()> {
        let counted = self.opt.engine.evaluations;
        self.opt.engine.evaluations = tape.evaluations;
        self.opt.engine.rng = tape.rng.clone();
        let res = self.replay_rounds(tape);
        self.opt.engine.evaluations = counted;
        if res.is_err() {
            self.opt.abandon_step();
        }
        res
    }

    fn replay_rounds(&mut self, tape: &StepTape<F>) -> Result<()> {
        let corrupt = |what: &str| Error::CheckpointCorrupt {
            reason: format!("the step in progress {what}"),
        };
        let mut outcome = self.opt.begin_step(&mut self.x, tape.fx, 1, tape.resampled)?;
        let mut at = 0;
        for &n in &tape.rounds {
            if !matches!(outcome, StepOutcome::Pending) {
                return Err(corrupt("ended before its recorded rounds"));
            }
            if self.opt.engine.pending().map(Round::len) != Some(n) {
                return Err(corrupt("has a round of another size"));
            }
            let values = tape.values.get(at..at + n).ok_or_else(|| corrupt("lacks values"))?;
            at += n;
            outcome = self.opt.answer(&mut self.x, values)?;
        }
        match outcome {
            StepOutcome::Pending => Ok(()),
            StepOutcome::Done(_) => Err(corrupt("completes without a pending round")),
        }
    }

    /// Writes the checkpoint file every `every` steps
    /// ([`OptimizerBuilder::checkpoint_every`](crate::OptimizerBuilder::checkpoint_every)).
    /// A write that fails ends the run with [`StopReason::Failed`].
    #[cfg(feature = "serde")]
    pub(in crate::run) fn periodic_checkpoint(&mut self) {
        let Some((every, path)) = self.opt.config.checkpoint.clone() else {
            return;
        };
        if !self.opt.engine.iterations.is_multiple_of(every) {
            return;
        }
        if self.checkpoints == Writes::Skip {
            return;
        }
        if let Err(e) = self.checkpoint().and_then(|c| c.write(&path)) {
            if self.checkpoints == Writes::WarnOnFailure {
                eprintln!("zoptim: checkpoint not written to {}: {e}", path.display());
            } else if self.state == State::Boundary {
                self.begin_final(StopReason::Failed(e));
            } else if !matches!(self.stop, Some(StopReason::Failed(_))) {
                self.stop = Some(StopReason::Failed(e));
            }
        }
    }
}

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Optimizer<F, E, U> {
    /// A run continuing from `checkpoint`, as if it had never stopped: drive it
    /// with [`ask`](Run::ask)/[`tell`](Run::tell) or finish it with
    /// [`Run::minimize`].
    ///
    /// The optimizer is reset and takes the checkpoint's generator, counters
    /// and component memory. Its configuration must fit: the same estimator
    /// and update rule with the same parameters, and a projection of the
    /// checkpoint's dimension; the budget, the iteration limit and the
    /// observers may differ (a larger budget continues a run that stopped on
    /// its budget). Errors: [`Error::CheckpointVersion`],
    /// [`Error::CheckpointMismatch`] naming the first difference,
    /// [`Error::DimensionMismatch`] from a projection of another dimension,
    /// [`Error::CheckpointCorrupt`] for inconsistent contents; the optimizer is
    /// then reset.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// let make = || Optimizer::builder(TwoPoint::spsa()).max_iterations(20).seed(2).build();
    /// let whole = make()?.minimize(&mut f, &Array1::ones(3))?;
    /// let mut opt = make()?;
    /// let mut run = opt.start(&Array1::ones(3))?;
    /// let batch = run.ask()?.expect("the run is not over");
    /// let values: Vec<f64> = batch.points().rows().into_iter().map(|r| f(r)).collect();
    /// run.tell(&values)?;
    /// let checkpoint = run.checkpoint()?;
    /// let resumed = make()?.resume(checkpoint)?.minimize(&mut f)?;
    /// assert_eq!(resumed.last_x, whole.last_x);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn resume(&mut self, checkpoint: Checkpoint<F>) -> Result<Run<'_, F, E, U>> {
        let res = self.load_checkpoint(&checkpoint);
        if let Err(e) = res {
            self.reset();
            return Err(e);
        }
        Run::restored(self, checkpoint)
    }

    fn load_checkpoint(&mut self, c: &Checkpoint<F>) -> Result<()> {
        c.check()?;
        self.reset();
        self.ensure_dim(c.dim)?;
        if let Some(p) = self.config.projection.as_deref_mut() {
            p.prepare(c.dim)?;
        }
        let (estimator, update) = self.save_components()?;
        c.estimator.check_fits(&estimator, "the estimator")?;
        c.update.check_fits(&update, "the update rule")?;
        self.estimator.load_state(&c.estimator)?;
        self.update.load_state(&c.update)?;
        self.engine.rng = c.rng.clone();
        self.engine.evaluations = c.evaluations;
        self.engine.iterations = c.iterations;
        Ok(())
    }

    /// [`resume`](Optimizer::resume) from a file written by
    /// [`Checkpoint::write`] or
    /// [`checkpoint_every`](crate::OptimizerBuilder::checkpoint_every).
    /// Errors as [`Checkpoint::read`] and `resume`.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let path = std::env::temp_dir().join(format!("zoptim-doc-{}.json", std::process::id()));
    /// let make = |iterations| {
    ///     Optimizer::builder(TwoPoint::central(Direction::Gaussian).mu(1e-4).directions(2))
    ///         .update(Momentum::new(0.9))
    ///         .learning_rate(0.02)
    ///         .max_iterations(iterations)
    ///         .seed(11)
    ///         .checkpoint_every(10, &path)
    ///         .build()
    /// };
    /// let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// let x0 = Array1::from_elem(5, 1.0);
    /// let whole = make(60)?.minimize(&mut f, &x0)?;
    ///
    /// // A run that stops (or is killed) after 30 steps leaves its checkpoint…
    /// make(30)?.minimize(&mut f, &x0)?;
    /// // …and a new process resumes it with the full iteration limit.
    /// let resumed = make(60)?.resume_from(&path)?.minimize(&mut f)?;
    /// assert_eq!(resumed.last_x, whole.last_x);
    /// assert_eq!(resumed.evaluations, whole.evaluations);
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[cfg(feature = "serde")]
    pub fn resume_from(&mut self, path: impl AsRef<std::path::Path>) -> Result<Run<'_, F, E, U>> {
        let c = Checkpoint::read(path)?;
        self.resume(c)
    }

    /// The components' parameters and memory.
    pub(crate) fn save_components(&self) -> Result<(ComponentState, ComponentState)> {
        let mut e = ComponentState::new(self.estimator.name());
        self.estimator.save_state(&mut e)?;
        let mut u = ComponentState::new(self.update.name());
        self.update.save_state(&mut u)?;
        Ok((e, u))
    }
}
