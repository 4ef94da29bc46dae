//! A terminal progress bar (feature `progress`).

use super::Observer;
use crate::real::Real;
use crate::report::StepRecord;
use ndarray::ArrayView1;
use std::ops::ControlFlow;

/// A terminal progress bar (feature `progress`, [`indicatif`]): evaluations
/// out of the budget, the best value so far, and an ETA from the rate of
/// evaluations.
///
/// Give it the same budget as
/// [`max_evaluations`](crate::OptimizerBuilder::max_evaluations); the bar's
/// position is the run's evaluation count after each step, so the ETA is the
/// time the rest of the budget takes at the rate so far. It draws to standard
/// error at most 20 times a second and only reads the step records: a run with
/// the bar gives the same bits as one without. [`ProgressBar::with_bar`] takes
/// any `indicatif` bar, for instance a hidden one or one in a `MultiProgress`.
///
/// ```
/// use indicatif::ProgressDrawTarget;
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::observer::ProgressBar;
/// use zoptim::prelude::*;
///
/// let hidden = indicatif::ProgressBar::with_draw_target(Some(2_000), ProgressDrawTarget::hidden());
/// let bar = ProgressBar::with_bar(hidden);
/// let handle = bar.bar().clone();
/// let mut opt = Optimizer::builder(TwoPoint::spsa())
///     .learning_rate(0.05)
///     .max_evaluations(2_000)
///     .observer(bar)
///     .build()?;
/// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(8))?;
/// // The bar stands at the evaluations of the last step: the run's count, or one
/// // less when the final f(x) was a new evaluation.
/// assert!(report.evaluations - handle.position() as usize <= 1);
/// assert_eq!(handle.length(), Some(2_000));
/// assert!(handle.is_finished());
/// # Ok::<(), zoptim::Error>(())
/// ```
#[cfg(feature = "progress")]
#[cfg_attr(docsrs, doc(cfg(feature = "progress")))]
#[derive(Clone, Debug)]
pub struct ProgressBar {
    bar: indicatif::ProgressBar,
    best: Option<f64>,
}

#[cfg(feature = "progress")]
impl ProgressBar {
    /// A bar of `max_evaluations` evaluations on standard error (0 is taken as 1).
    ///
    /// ```
    /// use zoptim::observer::ProgressBar;
    ///
    /// let bar = ProgressBar::new(10_000);
    /// assert_eq!(bar.bar().length(), Some(10_000));
    /// ```
    #[must_use]
    pub fn new(max_evaluations: usize) -> Self {
        let bar = indicatif::ProgressBar::new(max_evaluations.max(1) as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos:>9}/{len} evals  {msg}  [{elapsed_precise} < {eta_precise}]",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Self::with_bar(bar)
    }

    /// Drives `bar` (its length should be the evaluation budget).
    ///
    /// ```
    /// use zoptim::observer::ProgressBar;
    ///
    /// let bar = ProgressBar::with_bar(indicatif::ProgressBar::hidden());
    /// assert_eq!(bar.bar().position(), 0);
    /// ```
    #[must_use]
    pub fn with_bar(bar: indicatif::ProgressBar) -> Self {
        ProgressBar { bar, best: None }
    }

    /// The bar itself (a cheap, shared handle: clone it to read the bar after
    /// the optimizer took the observer).
    ///
    /// ```
    /// use zoptim::observer::ProgressBar;
    ///
    /// let bar = ProgressBar::with_bar(indicatif::ProgressBar::hidden());
    /// let handle = bar.bar().clone(); // shares the bar's state
    /// bar.bar().set_position(7);
    /// assert_eq!(handle.position(), 7);
    /// ```
    #[must_use]
    pub fn bar(&self) -> &indicatif::ProgressBar {
        &self.bar
    }
}

#[cfg(feature = "progress")]
impl<F: Real> Observer<F> for ProgressBar {
    fn observe(&mut self, r: &StepRecord<F>, _x: ArrayView1<'_, F>) -> ControlFlow<()> {
        let step_best = [r.fx, r.min_value, r.fx_new]
            .into_iter()
            .flatten()
            .map(Real::as_f64)
            .filter(|v| v.is_finite())
            .reduce(f64::min);
        if let Some(v) = step_best
            && self.best.is_none_or(|b| v < b)
        {
            self.best = Some(v);
            self.bar.set_message(format!("best f {v:.4e}"));
        }
        self.bar.set_position(r.evaluations as u64);
        ControlFlow::Continue(())
    }

    fn finish(&mut self) {
        self.bar.finish();
    }
}
