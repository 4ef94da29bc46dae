//! Observers: called after every step of `minimize`, able to stop the run.

use crate::real::Real;
use crate::report::StepRecord;
use ndarray::ArrayView1;
use std::ops::ControlFlow;

/// Watches a run. Return [`ControlFlow::Break`] to stop it; `minimize` then
/// reports [`StopReason::Observer`](crate::StopReason::Observer).
///
/// Every `FnMut(&StepRecord<F>, ArrayView1<F>) -> ControlFlow<()>` is an observer.
pub trait Observer<F: Real> {
    /// Called after each step with its record and the new iterate.
    fn observe(&mut self, record: &StepRecord<F>, x: ArrayView1<'_, F>) -> ControlFlow<()>;
}

impl<F: Real, C> Observer<F> for C
where
    C: FnMut(&StepRecord<F>, ArrayView1<'_, F>) -> ControlFlow<()>,
{
    fn observe(&mut self, record: &StepRecord<F>, x: ArrayView1<'_, F>) -> ControlFlow<()> {
        self(record, x)
    }
}
