//! Checkpoints: everything a run needs to continue, so that a resumed run
//! reproduces the uninterrupted one bit for bit.
//!
//! A [`Checkpoint`] is taken from a [`Run`](crate::Run) with
//! [`Run::checkpoint`](crate::Run::checkpoint) at any point — between steps or
//! between an [`ask`](crate::Run::ask) and its [`tell`](crate::Run::tell) — and
//! turned back into a run with [`Optimizer::resume`](crate::Optimizer::resume).
//! With feature `serde` it is written to and read from JSON
//! ([`Checkpoint::write`], [`Checkpoint::read`],
//! [`OptimizerBuilder::checkpoint_every`](crate::OptimizerBuilder::checkpoint_every),
//! [`Optimizer::resume_from`](crate::Optimizer::resume_from)).
//!
//! # What a checkpoint holds
//! - the iterate, the starting point, the generator's state, the evaluation
//!   and iteration counts (the schedules' position), the best point, the last
//!   known f, the history and the stagnation window;
//! - each component's memory as a [`ComponentState`]: ReLIZO's sample pool,
//!   DAP's proxy or previous estimate, the block order of
//!   [`BlockCoordinate`](crate::BlockCoordinate), momentum and Adam's moments,
//!   and the parameters that configure each component (checked on resume);
//! - mid-step, the values told so far in the step. Resuming replays the step's
//!   rounds from the generator's state at the step's start with these values
//!   (nothing is evaluated again), which rebuilds exactly the state the step
//!   had.
//!
//! Not included: the configuration (the resuming optimizer supplies it and
//! must match: same estimator and rule with the same parameters, checked; the
//! budget, iteration limit and observers may differ), the observers' own state,
//! and the state of a stochastic problem's sampler. A sampler that keeps state
//! across draws ([`BatchIndices`](crate::BatchIndices) does) is saved and
//! restored by its owner with
//! [`BatchIndices::save_state`](crate::BatchIndices::save_state).
//!
//! # Format
//! JSON with the fields of [`Checkpoint`], format version
//! [`CHECKPOINT_FORMAT`]. Floats are written in the shortest decimal form that
//! reads back to the same bits (non-finite values as the strings `"NaN"`,
//! `"inf"`, `"-inf"`). A checkpoint of another format version is rejected
//! with [`Error::CheckpointVersion`], never misread; a file that does not
//! parse is [`Error::CheckpointCorrupt`], or [`Error::CheckpointTruncated`]
//! when it ends early.

mod component;
mod resume;

/// One f64 through JSON with its exact value, NaN and infinities included
/// (as the strings `"NaN"`, `"inf"`, `"-inf"`), for `#[serde(with)]`.
#[cfg(feature = "serde")]
pub(crate) mod lossless {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        match *v {
            v if v.is_finite() => s.serialize_f64(v),
            v if v.is_nan() => s.serialize_str("NaN"),
            v if v > 0.0 => s.serialize_str("inf"),
            _ => s.serialize_str("-inf"),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum One {
            Num(f64),
            Text(String),
        }
        match One::deserialize(d)? {
            One::Num(v) => Ok(v),
            One::Text(t) => match t.as_str() {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                _ => Err(serde::de::Error::custom(format!("`{t}` is not a number"))),
            },
        }
    }
}

pub use component::ComponentState;

use super::State;
use crate::error::{Error, Result};
use crate::real::Real;
use crate::report::{StepRecord, StopReason};
use crate::rng::ZoRng;

/// With feature `serde`, the scalar types serialise (a supertrait of
/// [`Real`], so that code generic over `F: Real` can write checkpoints).
#[cfg(feature = "serde")]
///
/// Every [`Real`] type has it, so generic code needs no extra bound:
///
/// ```
/// use zoptim::Real;
/// use zoptim::run::checkpoint::Serializable;
///
/// fn storable<T: Serializable>(_: &T) -> bool { true }
/// fn generic<F: Real>(x: F) -> bool { storable(&x) }
/// assert!(generic(1.0_f32) && generic(1.0_f64));
/// ```
pub trait Serializable: serde::Serialize + serde::de::DeserializeOwned {}
#[cfg(feature = "serde")]
impl<T: serde::Serialize + serde::de::DeserializeOwned> Serializable for T {}
/// With feature `serde`, the scalar types serialise (a supertrait of
/// [`Real`], so that code generic over `F: Real` can write checkpoints).
#[cfg(not(feature = "serde"))]
///
/// Every [`Real`] type has it, so generic code needs no extra bound:
///
/// ```
/// use zoptim::Real;
/// use zoptim::run::checkpoint::Serializable;
///
/// fn storable<T: Serializable>(_: &T) -> bool { true }
/// fn generic<F: Real>(x: F) -> bool { storable(&x) }
/// assert!(generic(1.0_f32) && generic(1.0_f64));
/// ```
pub trait Serializable {}
#[cfg(not(feature = "serde"))]
impl<T> Serializable for T {}

/// The checkpoint format version this crate writes and reads.
///
/// It changes whenever the meaning of a field changes; a checkpoint of another
/// version is rejected with [`Error::CheckpointVersion`].
///
/// ```
/// use zoptim::run::CHECKPOINT_FORMAT;
///
/// assert_eq!(CHECKPOINT_FORMAT, 1);
/// ```
pub const CHECKPOINT_FORMAT: u32 = 1;

/// What a process does with the periodic checkpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Writes {
    /// Writes it; a failed write ends the run.
    StopOnFailure,
    /// Writes it; a failed write is reported on stderr and the run goes on (an
    /// MPI root, whose stopping alone would leave the other ranks waiting).
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    WarnOnFailure,
    /// Leaves it to another process (MPI ranks other than 0).
    #[cfg_attr(not(feature = "mpi"), allow(dead_code))]
    Skip,
}

/// The run's own bookkeeping (what [`Run`](crate::Run) holds beside the optimizer).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct RunState<F> {
    pub(crate) stage: State,
    pub(crate) stochastic: bool,
    pub(crate) x: Vec<F>,
    pub(crate) x0: Vec<F>,
    pub(crate) fx: Option<F>,
    pub(crate) f0: Option<F>,
    pub(crate) last_f: Option<F>,
    pub(crate) keep_best: bool,
    pub(crate) best_x: Vec<F>,
    pub(crate) best_f: Option<F>,
    pub(crate) history: Option<Vec<StepRecord<F>>>,
    pub(crate) window: Vec<F>,
    pub(crate) stop: Option<StopReason>,
    /// The divergence test's first and smallest values.
    pub(crate) watch: (Option<F>, Option<F>),
}

/// A step in progress: how it began and the values told so far, round by round.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct StepTape<F> {
    /// The generator's state when the step began.
    pub(crate) rng: ZoRng,
    /// f at the iterate when the step began, when known.
    pub(crate) fx: Option<F>,
    pub(crate) resampled: bool,
    /// Evaluations counted when the step began.
    pub(crate) evaluations: usize,
    /// The values of each answered round, concatenated.
    pub(crate) values: Vec<F>,
    /// The number of values of each answered round.
    pub(crate) rounds: Vec<usize>,
}

/// Everything a run needs to continue: from [`Run::checkpoint`](crate::Run::checkpoint),
/// back to a run with [`Optimizer::resume`](crate::Optimizer::resume).
///
/// See [the module docs](crate::run::checkpoint) for what it holds and the
/// JSON format (feature `serde`).
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// let f = |x: ArrayView1<f64>| x.dot(&x);
/// let make = || {
///     Optimizer::builder(TwoPoint::spsa().mu(1e-6))
///         .update(Adam::new())
///         .learning_rate(0.05)
///         .max_evaluations(200)
///         .seed(3)
///         .build()
/// };
/// let x0 = Array1::from_elem(4, 1.0);
/// let whole = make()?.minimize(&mut |x: ArrayView1<f64>| f(x), &x0)?;
///
/// // Stop after 30 batches, keep the checkpoint, resume in a fresh optimizer.
/// let mut opt = make()?;
/// let mut run = opt.start(&x0)?;
/// for _ in 0..30 {
///     let batch = run.ask()?.expect("the run is not over");
///     let values: Vec<f64> = batch.points().rows().into_iter().map(f).collect();
///     run.tell(&values)?;
/// }
/// let checkpoint = run.checkpoint()?;
/// drop(run);
///
/// let mut fresh = make()?;
/// let resumed = fresh.resume(checkpoint)?.minimize(&mut |x: ArrayView1<f64>| f(x))?;
/// assert_eq!(resumed.last_x, whole.last_x);
/// assert_eq!(resumed.evaluations, whole.evaluations);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Checkpoint<F> {
    pub(crate) format: u32,
    /// The zoptim version that wrote it (informative).
    pub(crate) written_by: String,
    /// `f32` or `f64`.
    pub(crate) float: String,
    pub(crate) dim: usize,
    pub(crate) rng: ZoRng,
    pub(crate) evaluations: usize,
    pub(crate) iterations: usize,
    pub(crate) estimator: ComponentState,
    pub(crate) update: ComponentState,
    pub(crate) run: RunState<F>,
    pub(crate) step: Option<StepTape<F>>,
}

impl<F: Real> Checkpoint<F> {
    /// Steps completed when it was taken.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
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
    /// assert_eq!(checkpoint.iteration(), 3); // the first batch is f(x₀), then one per step
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn iteration(&self) -> usize {
        self.iterations
    }

    /// Evaluations counted when it was taken.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
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
    /// assert_eq!(run.checkpoint()?.evaluations(), told);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// The problem's dimension.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
    /// # let f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6)).update(Adam::new()).max_iterations(100).seed(1).build()?;
    /// # let mut run = opt.start(&Array1::from_elem(3, 1.0))?;
    /// assert_eq!(run.checkpoint()?.dim(), 3);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// True when it was taken in the middle of a step (between an `ask` and
    /// its `tell`, or between two rounds of a step).
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
    /// # let f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6)).update(Adam::new()).max_iterations(100).seed(1).build()?;
    /// # let mut run = opt.start(&Array1::from_elem(3, 1.0))?;
    /// for _ in 0..2 {
    ///     // f(x₀) first, then the first step's one round
    ///     assert!(!run.checkpoint()?.is_mid_step());
    ///     let batch = run.ask()?.expect("the run is not over");
    ///     let values: Vec<f64> = batch.points().rows().into_iter().map(f).collect();
    ///     assert_eq!(run.checkpoint()?.is_mid_step(), values.len() == 2); // asked, not yet told
    ///     run.tell(&values)?;
    /// }
    /// assert!(!run.checkpoint()?.is_mid_step());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn is_mid_step(&self) -> bool {
        self.step.is_some()
    }

    /// The iterate when it was taken.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
    /// # let f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6)).update(Adam::new()).max_iterations(100).seed(1).build()?;
    /// # let mut run = opt.start(&Array1::from_elem(3, 1.0))?;
    /// assert_eq!(run.checkpoint()?.x(), [1.0, 1.0, 1.0]);
    /// let mut told = 0;
    /// for _ in 0..4 {
    ///     let batch = run.ask()?.expect("the run is not over");
    ///     let values: Vec<f64> = batch.points().rows().into_iter().map(f).collect();
    ///     told += values.len();
    ///     run.tell(&values)?;
    /// }
    /// assert_ne!(run.checkpoint()?.x(), [1.0, 1.0, 1.0]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn x(&self) -> &[F] {
        &self.run.x
    }

    /// The estimator's saved state.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
    /// # let f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6)).update(Adam::new()).max_iterations(100).seed(1).build()?;
    /// # let mut run = opt.start(&Array1::from_elem(3, 1.0))?;
    /// let checkpoint = run.checkpoint()?;
    /// assert_eq!(checkpoint.estimator_state().kind(), "two-point central");
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn estimator_state(&self) -> &ComponentState {
        &self.estimator
    }

    /// The update rule's saved state.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
    /// # let f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6)).update(Adam::new()).max_iterations(100).seed(1).build()?;
    /// # let mut run = opt.start(&Array1::from_elem(3, 1.0))?;
    /// let checkpoint = run.checkpoint()?;
    /// assert_eq!(checkpoint.update_state().kind(), "adam");
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn update_state(&self) -> &ComponentState {
        &self.update
    }

    /// Checks the format version, the float type and the internal consistency
    /// of the lengths (for a checkpoint read from a file).
    pub(crate) fn check(&self) -> Result<()> {
        if self.format != CHECKPOINT_FORMAT {
            return Err(Error::CheckpointVersion {
                found: u64::from(self.format),
                supported: CHECKPOINT_FORMAT,
            });
        }
        let float = float_name::<F>();
        if self.float != float {
            return Err(Error::CheckpointMismatch {
                what: "the float type".into(),
                checkpoint: self.float.clone(),
                optimizer: float.into(),
            });
        }
        let d = self.dim;
        let r = &self.run;
        let bad = d == 0
            || r.x.len() != d
            || (!r.x0.is_empty() && r.x0.len() != d)
            || (!r.best_x.is_empty() && r.best_x.len() != d)
            || self
                .step
                .as_ref()
                .is_some_and(|t| t.rounds.iter().try_fold(0usize, |a, &n| a.checked_add(n)) != Some(t.values.len()));
        if bad {
            return Err(Error::CheckpointCorrupt {
                reason: format!("inconsistent lengths for dimension {d}"),
            });
        }
        if (r.stage == State::InStep) != self.step.is_some() {
            return Err(Error::CheckpointCorrupt {
                reason: "the step in progress does not match the run's stage".into(),
            });
        }
        Ok(())
    }
}

pub(crate) fn float_name<F: Real>() -> &'static str {
    if std::mem::size_of::<F>() == 4 { "f32" } else { "f64" }
}

#[cfg(feature = "serde")]
impl<F: Real> Checkpoint<F> {
    /// The checkpoint as JSON.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
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
    /// let json = run.checkpoint()?.to_json()?;
    /// assert!(json.contains("\"format\""));
    /// assert_eq!(Checkpoint::<f64>::from_json(&json)?, run.checkpoint()?);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::CheckpointCorrupt { reason: e.to_string() })
    }

    /// Reads a checkpoint from JSON: [`Error::CheckpointVersion`] for another
    /// format version, [`Error::CheckpointTruncated`] for text that ends early,
    /// [`Error::CheckpointCorrupt`] for anything else that does not parse or
    /// is inconsistent, [`Error::CheckpointMismatch`] for another float type.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
    /// # let f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6)).update(Adam::new()).max_iterations(100).seed(1).build()?;
    /// # let mut run = opt.start(&Array1::from_elem(3, 1.0))?;
    /// let json = run.checkpoint()?.to_json()?;
    /// assert_eq!(Checkpoint::<f64>::from_json(&json)?, run.checkpoint()?);
    /// let cut = &json[..json.len() / 2];
    /// assert!(matches!(Checkpoint::<f64>::from_json(cut), Err(zoptim::Error::CheckpointTruncated { .. })));
    /// assert!(Checkpoint::<f32>::from_json(&json).is_err()); // another float type
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self> {
        // The version first, so that another format is named as such rather
        // than reported as a parse error in some field.
        #[derive(serde::Deserialize)]
        struct Header {
            format: Option<u64>,
        }
        let header: Header = serde_json::from_str(text).map_err(json_error)?;
        match header.format {
            Some(v) if v == u64::from(CHECKPOINT_FORMAT) => {}
            Some(found) => {
                return Err(Error::CheckpointVersion {
                    found,
                    supported: CHECKPOINT_FORMAT,
                });
            }
            None => {
                return Err(Error::CheckpointCorrupt {
                    reason: "no `format` field: not a zoptim checkpoint".into(),
                });
            }
        }
        let c: Checkpoint<F> = serde_json::from_str(text).map_err(json_error)?;
        c.check()?;
        Ok(c)
    }

    /// Writes the checkpoint to `path` atomically: to a temporary file in the
    /// same directory, flushed to disk, then renamed over `path`, so that a
    /// crash leaves either the old checkpoint or the new one.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
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
    /// let path = std::env::temp_dir().join("zoptim-doc-checkpoint-write.json");
    /// run.checkpoint()?.write(&path)?;
    /// assert_eq!(Checkpoint::<f64>::read(&path)?, run.checkpoint()?);
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn write(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        use std::io::Write;
        let path = path.as_ref();
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        {
            let file = std::fs::File::create(&tmp)?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
            serde_json::to_writer(&mut w, self).map_err(|e| Error::Io { message: e.to_string() })?;
            w.flush()?;
            w.get_ref().sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    /// Reads a checkpoint written by [`write`](Checkpoint::write); errors as
    /// [`from_json`](Checkpoint::from_json), and [`Error::Io`] when the file
    /// cannot be read.
    ///
    /// ```
    /// # use ndarray::{Array1, ArrayView1};
    /// # use zoptim::prelude::*;
    /// # use zoptim::Checkpoint;
    /// # let f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6)).update(Adam::new()).max_iterations(100).seed(1).build()?;
    /// # let mut run = opt.start(&Array1::from_elem(3, 1.0))?;
    /// let path = std::env::temp_dir().join("zoptim-doc-checkpoint-read.json");
    /// run.checkpoint()?.write(&path)?;
    /// let back = Checkpoint::<f64>::read(&path)?;
    /// assert_eq!((back.iteration(), back.dim()), (0, 3));
    /// assert!(Checkpoint::<f64>::read(path.with_extension("missing")).is_err());
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn read(path: impl AsRef<std::path::Path>) -> Result<Self> {
        let text = std::fs::read_to_string(path)?;
        Self::from_json(&text)
    }
}

#[cfg(feature = "serde")]
fn json_error(e: serde_json::Error) -> Error {
    if e.is_eof() {
        Error::CheckpointTruncated { reason: e.to_string() }
    } else {
        Error::CheckpointCorrupt { reason: e.to_string() }
    }
}
