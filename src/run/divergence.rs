//! The divergence test of a run (see [`StopReason::Diverged`]).

use crate::real::Real;
use crate::report::{DIVERGENCE_FACTOR, StepRecord, StopReason};

/// What the test remembers: the run's first value and the smallest value so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Watch<F> {
    first: Option<F>,
    lowest: Option<F>,
}

impl<F: Real> Watch<F> {
    /// The first and smallest values, for a checkpoint.
    pub(crate) fn state(&self) -> (Option<F>, Option<F>) {
        (self.first, self.lowest)
    }

    /// A test that remembers `state` (from [`state`](Watch::state)).
    pub(crate) fn restored(state: (Option<F>, Option<F>)) -> Self {
        Watch {
            first: state.0,
            lowest: state.1,
        }
    }

    /// Records a value evaluated outside a step (f(x0)).
    pub(crate) fn seen(&mut self, v: F) {
        if !v.is_finite() {
            return;
        }
        self.first.get_or_insert(v);
        if self.lowest.is_none_or(|l| v < l) {
            self.lowest = Some(v);
        }
    }

    /// Checks a completed step (before its values join the record) and
    /// remembers its smallest value.
    pub(crate) fn check(&mut self, rec: &StepRecord<F>, x: &[F]) -> Option<StopReason> {
        if x.iter().any(|v| !v.is_finite()) {
            return Some(StopReason::Diverged {
                iteration: rec.iteration,
                value: f64::NAN,
                best: self.lowest.map_or(f64::NAN, |v| v.as_f64()),
            });
        }
        let fk = match (rec.min_value, rec.fx_new) {
            (Some(a), Some(b)) => Some(if b < a { b } else { a }),
            (a, b) => a.or(b),
        };
        let fk = fk?;
        let verdict = match (self.first, self.lowest) {
            (Some(first), Some(best)) => {
                let fk64 = fk.as_f64();
                let b = best.as_f64();
                let scale = b.abs().max(first.as_f64() - b).max(F::min_positive_value().as_f64());
                (fk64 - b > DIVERGENCE_FACTOR * scale).then_some(StopReason::Diverged {
                    iteration: rec.iteration,
                    value: fk64,
                    best: b,
                })
            }
            _ => None,
        };
        self.seen(fk);
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(min: f64) -> StepRecord<f64> {
        StepRecord {
            iteration: 3,
            evaluations: 0,
            queries: 2,
            fx: None,
            min_value: Some(min),
            fx_new: None,
            lr: 0.1,
            reused: 0,
            rank: None,
            trials: 0,
            stalled: false,
            diverged: false,
        }
    }

    #[test]
    fn fires_only_far_above_the_scale_seen() {
        // f(x0) = 1, best 1e-3: the scale is 0.999, so the threshold is ≈ 100.
        let mut w = Watch::default();
        w.seen(1.0);
        w.seen(1e-3);
        assert!(w.check(&record(90.0), &[0.0]).is_none());
        assert!(matches!(
            w.check(&record(200.0), &[0.0]),
            Some(StopReason::Diverged { iteration: 3, .. })
        ));
    }

    #[test]
    fn negative_and_noisy_values_near_zero_do_not_fire() {
        // A noisy run around 0 whose best is a lucky −0.03 and whose steps sit at +0.05.
        let mut w = Watch::default();
        w.seen(0.5);
        w.seen(-0.03);
        for _ in 0..100 {
            assert!(w.check(&record(0.05), &[0.0]).is_none());
        }
        // Scale invariance: the same run with f multiplied by 1e-9.
        let mut w = Watch::default();
        w.seen(0.5e-9);
        w.seen(-0.03e-9);
        assert!(w.check(&record(0.05e-9), &[0.0]).is_none());
        assert!(w.check(&record(1e-3), &[0.0]).is_some());
    }

    #[test]
    fn a_non_finite_iterate_diverges() {
        let mut w = Watch::default();
        w.seen(1.0);
        assert!(matches!(
            w.check(&record(1.0), &[f64::INFINITY]),
            Some(StopReason::Diverged { .. })
        ));
    }
}
