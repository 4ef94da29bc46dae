//! Observers that print: a progress line and CSV rows.

use super::Observer;
use crate::real::Real;
use crate::report::StepRecord;
use ndarray::ArrayView1;
use std::fmt::LowerExp;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;

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
