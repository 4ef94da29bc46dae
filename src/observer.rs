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
//!
//! An optimizer owns its observers, so those that collect data ([`History`])
//! hand you a cheap shared handle to read it after (or during) the run.

use crate::error::{Result, check_count};
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
pub trait Observer<F: Real> {
    /// Called after each step with its record and the new iterate.
    fn observe(&mut self, record: &StepRecord<F>, x: ArrayView1<'_, F>) -> ControlFlow<()>;

    /// Called once when a `minimize` run ends, whatever the reason (flush files here).
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
#[derive(Clone, Debug, PartialEq)]
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
///     .observer(history.recorder(10)?)
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
    pub fn new() -> Self {
        Self::default()
    }

    /// An observer that appends the record of every `every`-th step (iterations
    /// 0, k, 2k, …) to this history. `every` must be ≥ 1.
    pub fn recorder(&self, every: usize) -> Result<HistoryRecorder<F>> {
        check_count("history every", every)?;
        Ok(HistoryRecorder {
            history: self.clone(),
            every,
            keep_x: false,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Snapshot<F>>> {
        // A poisoned lock only means an observer panicked mid-push; the data is still valid.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A copy of the snapshots so far.
    pub fn snapshots(&self) -> Vec<Snapshot<F>> {
        self.lock().clone()
    }

    /// Takes the snapshots out, leaving the history empty (e.g. between runs:
    /// a history keeps collecting across `minimize` calls).
    pub fn take(&self) -> Vec<Snapshot<F>> {
        std::mem::take(&mut *self.lock())
    }

    /// Number of snapshots.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }
}

/// Records every k-th step into a [`History`]. Made by [`History::recorder`].
#[derive(Clone, Debug)]
pub struct HistoryRecorder<F> {
    history: History<F>,
    every: usize,
    keep_x: bool,
}

impl<F: Real> HistoryRecorder<F> {
    /// Also keep a copy of x after each recorded step (d values per snapshot).
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
#[derive(Debug)]
pub struct Progress<W> {
    out: W,
    every: usize,
}

impl Progress<io::Stderr> {
    /// Progress on standard error every `every` ≥ 1 steps.
    pub fn stderr(every: usize) -> Result<Self> {
        Self::new(io::stderr(), every)
    }
}

impl<W: Write> Progress<W> {
    /// Progress to `out` every `every` ≥ 1 steps.
    pub fn new(out: W, every: usize) -> Result<Self> {
        check_count("progress every", every)?;
        Ok(Progress { out, every })
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
#[derive(Debug)]
pub struct CsvWriter<W: Write> {
    out: W,
    every: usize,
    header_written: bool,
}

impl CsvWriter<BufWriter<File>> {
    /// Creates (or truncates) the file at `path`.
    pub fn create(path: impl AsRef<Path>) -> io::Result<Self> {
        Ok(CsvWriter::new(BufWriter::new(File::create(path)?)))
    }
}

impl<W: Write> CsvWriter<W> {
    /// A CSV log written to `out`, every step.
    pub fn new(out: W) -> Self {
        CsvWriter {
            out,
            every: 1,
            header_written: false,
        }
    }

    /// Writes only every `every` ≥ 1 steps (iterations 0, k, 2k, …).
    pub fn every(mut self, every: usize) -> Result<Self> {
        check_count("csv every", every)?;
        self.every = every;
        Ok(self)
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
