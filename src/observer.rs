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
use std::fmt::LowerExp;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

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

fn opt<F: LowerExp>(v: Option<F>) -> String {
    v.map_or_else(String::new, |v| format!("{v:e}"))
}

/// Prints a progress line every k steps: iteration, evaluations, f before the
/// step (when known), the step's smallest query value and the learning rate.
/// A step that diverged ([`StepRecord::diverged`]) is always printed, marked
/// `DIVERGED`. Opt-in: add it with [`observer`](crate::OptimizerBuilder::observer).
/// Write errors are ignored (progress is informational).
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::observer::Progress;
/// use zoptim::prelude::*;
///
/// // Progress to any writer, here a buffer the optimizer owns; in a terminal,
/// // `Progress::stderr(100)`.
/// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(5).observer(Progress::new(Vec::new(), 2)).build()?;
/// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
/// assert_eq!(report.iterations, 5);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Debug)]
pub struct Progress<W> {
    out: W,
    every: usize,
}

impl Progress<io::Stderr> {
    /// Progress on standard error every `every` steps (`every = 0` is taken as 1).
    ///
    /// ```
    /// use zoptim::prelude::*;
    /// use zoptim::observer::Progress;
    ///
    /// // A line on standard error every 100 steps.
    /// let opt = Optimizer::<f64>::builder(TwoPoint::spsa()).observer(Progress::stderr(100)).build();
    /// assert!(opt.is_ok());
    /// ```
    #[must_use]
    pub fn stderr(every: usize) -> Self {
        Self::new(io::stderr(), every)
    }
}

impl<W: Write> Progress<W> {
    /// Progress to `out` every `every` steps (`every = 0` is taken as 1).
    ///
    /// ```
    /// use std::ops::ControlFlow;
    /// use zoptim::Observer;
    /// use zoptim::observer::Progress;
    ///
    /// // Progress is an observer of any precision.
    /// let mut p = Progress::new(Vec::new(), 1);
    /// fn observes<F: zoptim::Real, O: Observer<F>>(_: &O) {}
    /// observes::<f32, _>(&p);
    /// observes::<f64, _>(&p);
    /// # let _ = (&mut p, ControlFlow::<()>::Continue(()));
    /// ```
    #[must_use]
    pub fn new(out: W, every: usize) -> Self {
        Progress {
            out,
            every: every.max(1),
        }
    }
}

impl<F: Real, W: Write> Observer<F> for Progress<W> {
    fn observe(&mut self, r: &StepRecord<F>, _x: ArrayView1<'_, F>) -> ControlFlow<()> {
        if r.iteration.is_multiple_of(self.every) || r.diverged {
            let fx = r.fx.map_or_else(|| "-".to_string(), |v| format!("{v:.6e}"));
            let min = r.min_value.map_or_else(|| "-".to_string(), |v| format!("{v:.6e}"));
            let _ = writeln!(
                self.out,
                "step {:>8}  evals {:>10}  f(x) {fx:>13}  min query {min:>13}  lr {:.3e}{}",
                r.iteration,
                r.evaluations,
                r.lr,
                if r.diverged { "  DIVERGED" } else { "" }
            );
        }
        ControlFlow::Continue(())
    }

    fn finish(&mut self) {
        let _ = self.out.flush();
    }
}

/// Writes a CSV log, one row every k steps, with the header
/// `iteration,evaluations,queries,fx,min_value,fx_new,lr,reused,rank,trials`
/// (empty cells for unknown values, floats in `{:e}` form, which round-trips).
///
/// A write error stops the run ([`StopReason::Observer`](crate::StopReason::Observer)),
/// so a run never continues with a silently truncated log. The writer is flushed
/// when the run ends.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::observer::CsvWriter;
/// use zoptim::prelude::*;
///
/// fn run(path: &std::path::Path) -> zoptim::Result<()> {
///     let mut opt = Optimizer::builder(TwoPoint::spsa())
///         .max_iterations(10)
///         .observer(CsvWriter::create(path)?.every(5)) // an io::Error converts into zoptim::Error
///         .build()?;
///     opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
///     Ok(())
/// }
/// let path = std::env::temp_dir().join(format!("zoptim-csv-doc-{}.csv", std::process::id()));
/// run(&path)?;
/// let text = std::fs::read_to_string(&path).map_err(zoptim::Error::from)?;
/// std::fs::remove_file(&path).ok();
/// let lines: Vec<&str> = text.lines().collect();
/// assert_eq!(lines.len(), 3); // the header, iterations 0 and 5
/// assert!(lines[0].starts_with("iteration,evaluations,queries,fx"));
/// assert!(lines[2].starts_with("5,"));
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    out: W,
    every: usize,
    header_written: bool,
}

impl CsvWriter<BufWriter<File>> {
    /// Creates (or truncates) the file at `path`.
    ///
    /// ```
    /// use zoptim::observer::CsvWriter;
    ///
    /// let dir = std::env::temp_dir().join("zoptim-no-such-directory-for-csv");
    /// assert!(CsvWriter::create(dir.join("log.csv")).is_err()); // an io::Error, no panic
    /// let path = std::env::temp_dir().join(format!("zoptim-create-{}.csv", std::process::id()));
    /// assert!(CsvWriter::create(&path).is_ok());
    /// std::fs::remove_file(&path).ok();
    /// ```
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(CsvWriter::new(BufWriter::new(File::create(path)?)))
    }
}

impl<W: Write> CsvWriter<W> {
    /// A CSV log written to `out`, every step.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use std::sync::{Arc, Mutex};
    /// use zoptim::observer::CsvWriter;
    /// use zoptim::prelude::*;
    ///
    /// #[derive(Clone, Default)]
    /// struct Shared(Arc<Mutex<Vec<u8>>>);
    /// impl std::io::Write for Shared {
    ///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().extend_from_slice(b); Ok(b.len()) }
    ///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
    /// }
    /// let out = Shared::default();
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(3).observer(CsvWriter::new(out.clone())).build()?;
    /// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    /// assert_eq!(text.lines().count(), 4); // header + 3 steps
    /// assert!(text.lines().nth(1).unwrap().starts_with("0,"));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn new(out: W) -> Self {
        CsvWriter {
            out,
            every: 1,
            header_written: false,
        }
    }

    /// Writes only every `every` steps (iterations 0, k, 2k, …; `every = 0` is
    /// taken as 1).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use std::sync::{Arc, Mutex};
    /// use zoptim::observer::CsvWriter;
    /// use zoptim::prelude::*;
    ///
    /// #[derive(Clone, Default)]
    /// struct Shared(Arc<Mutex<Vec<u8>>>);
    /// impl std::io::Write for Shared {
    ///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().extend_from_slice(b); Ok(b.len()) }
    ///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
    /// }
    /// let out = Shared::default();
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(10).observer(CsvWriter::new(out.clone()).every(4)).build()?;
    /// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    /// let its: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    /// assert_eq!(its, ["0", "4", "8"]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn every(mut self, every: usize) -> Self {
        self.every = every.max(1);
        self
    }

    fn write_row<F: Real>(&mut self, r: &StepRecord<F>) -> io::Result<()> {
        if !self.header_written {
            writeln!(
                self.out,
                "iteration,evaluations,queries,fx,min_value,fx_new,lr,reused,rank,trials"
            )?;
            self.header_written = true;
        }
        writeln!(
            self.out,
            "{},{},{},{},{},{},{:e},{},{},{}",
            r.iteration,
            r.evaluations,
            r.queries,
            opt(r.fx),
            opt(r.min_value),
            opt(r.fx_new),
            r.lr,
            r.reused,
            r.rank.map_or_else(String::new, |k| k.to_string()),
            r.trials
        )
    }
}

impl<F: Real, W: Write> Observer<F> for CsvWriter<W> {
    fn observe(&mut self, r: &StepRecord<F>, _x: ArrayView1<'_, F>) -> ControlFlow<()> {
        if r.iteration.is_multiple_of(self.every) && self.write_row(r).is_err() {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn finish(&mut self) {
        let _ = self.out.flush();
    }
}

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
