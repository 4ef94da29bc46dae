//! Observers: called after every step of `minimize`, able to stop the run.
//!
//! Built in:
//!
//! | observer | does |
//! |---|---|
//! | any closure `FnMut(&StepRecord<F>, ArrayView1<F>) -> ControlFlow<()>` | whatever you write; `Break` stops the run |
//! | [`HistoryRecorder`] (from a [`History`] handle) | keeps every k-th step's record (and optionally x) |
//! | [`Progress`] | prints a line every k steps to stderr (or any writer) |
//! | [`CsvWriter`] | writes one CSV row per k steps to a file (or any writer) |
//! | `ProgressBar` (feature `progress`) | a terminal progress bar over the evaluation budget, with an ETA |
//!
//! An optimizer owns its observers, so those that collect data ([`History`])
//! hand you a cheap shared handle to read it after (or during) the run.

use crate::real::Real;
use crate::report::StepRecord;
use ndarray::{Array1, ArrayView1};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex, MutexGuard};

#[cfg(feature = "progress")]
mod bar;
mod print;

#[cfg(feature = "progress")]
pub use bar::ProgressBar;
pub use print::{CsvWriter, Progress};

/// Watches a run. Return [`ControlFlow::Break`] to stop it; `minimize` then
/// reports [`StopReason::Observer`](crate::StopReason::Observer) after the step
/// that was observed (so a run stopped at the record of iteration k has taken
/// k + 1 steps).
///
/// Every `FnMut(&StepRecord<F>, ArrayView1<F>) -> ControlFlow<()>` is an observer.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use std::ops::ControlFlow;
/// use zoptim::prelude::*;
/// use zoptim::{Observer, StepRecord};
///
/// // An observer that stops the run once f drops below 1e-3.
/// struct Until(f64);
/// impl Observer<f64> for Until {
///     fn observe(&mut self, r: &StepRecord<f64>, _x: ArrayView1<f64>) -> ControlFlow<()> {
///         if r.min_value.is_some_and(|v| v < self.0) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
///     }
/// }
/// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.05).max_iterations(10_000).observer(Until(1e-3)).build()?;
/// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(4))?;
/// assert_eq!(report.stop, StopReason::Observer);
/// assert!(report.iterations < 10_000);
/// # Ok::<(), zoptim::Error>(())
/// ```
pub trait Observer<F: Real> {
    /// Called after each step with its record and the new iterate.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use std::ops::ControlFlow;
    /// use zoptim::prelude::*;
    /// use zoptim::StepRecord;
    ///
    /// // A closure observer that borrows local state, passed for one run.
    /// let mut norms = Vec::new();
    /// let mut watch = |_: &StepRecord<f64>, x: ArrayView1<f64>| {
    ///     norms.push(x.dot(&x).sqrt());
    ///     ControlFlow::Continue(())
    /// };
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.05).max_iterations(50).build()?;
    /// opt.minimize_with(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(4), &mut watch)?;
    /// assert_eq!(norms.len(), 50);
    /// assert!(norms[49] < norms[0]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn observe(&mut self, record: &StepRecord<F>, x: ArrayView1<'_, F>) -> ControlFlow<()>;

    /// Called once when a `minimize` run ends, whatever the reason (flush files here).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use std::ops::ControlFlow;
    /// use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
    /// use zoptim::prelude::*;
    /// use zoptim::{Observer, StepRecord};
    ///
    /// struct Flag(Arc<AtomicBool>);
    /// impl Observer<f64> for Flag {
    ///     fn observe(&mut self, _: &StepRecord<f64>, _: ArrayView1<f64>) -> ControlFlow<()> { ControlFlow::Continue(()) }
    ///     fn finish(&mut self) { self.0.store(true, Ordering::SeqCst) }
    /// }
    /// let done = Arc::new(AtomicBool::new(false));
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(3).observer(Flag(done.clone())).build()?;
    /// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// assert!(done.load(Ordering::SeqCst));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn finish(&mut self) {}
}

impl<F: Real, C> Observer<F> for C
where
    C: FnMut(&StepRecord<F>, ArrayView1<'_, F>) -> ControlFlow<()>,
{
    fn observe(&mut self, record: &StepRecord<F>, x: ArrayView1<'_, F>) -> ControlFlow<()> {
        self(record, x)
    }
}

/// One recorded step: its record, and the iterate after it when asked for.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::observer::History;
/// use zoptim::prelude::*;
///
/// let history = History::new();
/// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(4).observer(history.recorder(2).with_x(true)).build()?;
/// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(3))?;
/// let snaps = history.snapshots();
/// assert_eq!(snaps.len(), 2);
/// assert_eq!(snaps[1].record.iteration, 2);
/// assert_eq!(snaps[1].x.as_ref().map(|x| x.len()), Some(3));
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Snapshot<F> {
    /// The step's record.
    pub record: StepRecord<F>,
    /// x after the step ([`HistoryRecorder::with_x`]).
    pub x: Option<Array1<F>>,
}

/// A shared, cloneable handle to the snapshots a [`HistoryRecorder`] collects.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::observer::History;
/// use zoptim::prelude::*;
///
/// let history = History::new();
/// let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// let mut opt = Optimizer::builder(TwoPoint::spsa())
///     .learning_rate(0.05)
///     .max_iterations(100)
///     .observer(history.recorder(10))
///     .build()?;
/// opt.minimize(&mut f, &Array1::from_elem(4, 1.0))?;
/// let its: Vec<usize> = history.snapshots().iter().map(|s| s.record.iteration).collect();
/// assert_eq!(its, vec![0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct History<F> {
    inner: Arc<Mutex<Vec<Snapshot<F>>>>,
}

impl<F> Default for History<F> {
    fn default() -> Self {
        History {
            inner: Arc::new(Mutex::new(Vec::new())),
        }
    }
}

impl<F: Real> History<F> {
    /// An empty history.
    ///
    /// ```
    /// use zoptim::observer::History;
    ///
    /// let h = History::<f64>::new();
    /// let shared = h.clone(); // a handle to the same snapshots
    /// assert!(h.is_empty() && shared.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An observer that appends the record of every `every`-th step (iterations
    /// 0, k, 2k, …) to this history. `every = 0` is taken as 1 (every step).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::observer::History;
    /// use zoptim::prelude::*;
    ///
    /// let history = History::new();
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(9).observer(history.recorder(3)).build()?;
    /// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// assert_eq!(history.len(), 3); // iterations 0, 3, 6
    /// // A history keeps collecting across runs until taken.
    /// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// assert_eq!(history.take().len(), 6);
    /// assert!(history.is_empty());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn recorder(&self, every: usize) -> HistoryRecorder<F> {
        HistoryRecorder {
            history: self.clone(),
            every: every.max(1),
            keep_x: false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Snapshot<F>>> {
        // A poisoned lock only means an observer panicked mid-push; the data is still valid.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the snapshots so far.
    ///
    /// ```
    /// use zoptim::observer::History;
    ///
    /// let h = History::<f64>::new();
    /// assert!(h.snapshots().is_empty() && h.is_empty() && h.len() == 0);
    /// ```
    #[must_use]
    pub fn snapshots(&self) -> Vec<Snapshot<F>> {
        self.lock().clone()
    }

    /// Takes the snapshots out, leaving the history empty (e.g. between runs:
    /// a history keeps collecting across `minimize` calls).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::observer::History;
    /// use zoptim::prelude::*;
    ///
    /// let history = History::new();
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(3).observer(history.recorder(1)).build()?;
    /// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// assert_eq!(history.take().len(), 3);
    /// assert_eq!(history.len(), 0);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn take(&self) -> Vec<Snapshot<F>> {
        std::mem::take(&mut *self.lock())
    }

    /// Number of snapshots.
    ///
    /// ```
    /// use zoptim::observer::History;
    ///
    /// assert_eq!(History::<f32>::new().len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing was recorded.
    ///
    /// ```
    /// use zoptim::observer::History;
    ///
    /// assert!(History::<f32>::new().is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// Records every k-th step into a [`History`]. Made by [`History::recorder`].
///
/// ```
/// use zoptim::observer::History;
///
/// let history = History::<f32>::new();
/// let _recorder = history.recorder(5); // give it to OptimizerBuilder::observer
/// assert!(history.is_empty());
/// ```
#[derive(Clone, Debug)]
pub struct HistoryRecorder<F> {
    history: History<F>,
    every: usize,
    keep_x: bool,
}

impl<F: Real> HistoryRecorder<F> {
    /// Also keep a copy of x after each recorded step (d values per snapshot).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::observer::History;
    /// use zoptim::prelude::*;
    ///
    /// let history = History::new();
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(2).observer(history.recorder(1).with_x(true)).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(3))?;
    /// assert_eq!(history.snapshots()[1].x.as_ref(), Some(&report.last_x));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn with_x(mut self, on: bool) -> Self {
        self.keep_x = on;
        self
    }
}

impl<F: Real> Observer<F> for HistoryRecorder<F> {
    fn observe(&mut self, record: &StepRecord<F>, x: ArrayView1<'_, F>) -> ControlFlow<()> {
        if record.iteration.is_multiple_of(self.every) {
            let x = self.keep_x.then(|| x.to_owned());
            self.history.lock().push(Snapshot {
                record: record.clone(),
                x,
            });
        }
        ControlFlow::Continue(())
    }
}
