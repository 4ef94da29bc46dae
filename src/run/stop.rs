//! Between steps: the stop criteria, the final evaluation, and what a
//! completed step leaves behind (observers, history, stagnation, divergence,
//! the periodic checkpoint).

use super::{Run, State};
use crate::estimator::GradientEstimator;
use crate::oracle::Query;
use crate::real::Real;
use crate::report::{StepRecord, StopReason};
use crate::update::UpdateRule;
use ndarray::ArrayView1;

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Run<'_, F, E, U> {
    /// The stop criterion that holds at a step boundary, if any.
    pub(super) fn check_stop(&self) -> Option<StopReason> {
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
    pub(super) fn begin_final(&mut self, stop: StopReason) {
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
    pub(super) fn after_step(&mut self, rec: StepRecord<F>) {
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
}
