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

use super::{BestPoint, Run, Staged, State, StepOutcome};
use crate::error::{Error, Query, Result};
use crate::estimator::GradientEstimator;
use crate::optimizer::Optimizer;
use crate::real::Real;
use crate::report::{StepRecord, StopReason};
use crate::rng::ZoRng;
use crate::run::Round;
use crate::update::UpdateRule;
use ndarray::Array1;
use std::collections::BTreeMap;
use std::collections::VecDeque;

/// With feature `serde`, the scalar types serialise (a supertrait of
/// [`Real`], so that code generic over `F: Real` can write checkpoints).
#[cfg(feature = "serde")]
pub trait Serializable: serde::Serialize + serde::de::DeserializeOwned {}
#[cfg(feature = "serde")]
impl<T: serde::Serialize + serde::de::DeserializeOwned> Serializable for T {}
/// With feature `serde`, the scalar types serialise (a supertrait of
/// [`Real`], so that code generic over `F: Real` can write checkpoints).
#[cfg(not(feature = "serde"))]
pub trait Serializable {}
#[cfg(not(feature = "serde"))]
impl<T> Serializable for T {}

/// The checkpoint format version this crate writes and reads.
///
/// It changes whenever the meaning of a field changes; a checkpoint of another
/// version is rejected with [`Error::CheckpointVersion`].
pub const CHECKPOINT_FORMAT: u32 = 1;

/// The memory one component (an estimator, an update rule, a sampler) carries
/// from one step to the next, with the parameters that configure it.
///
/// Components write it in [`save_state`](crate::GradientEstimator::save_state)
/// and read it back in [`load_state`](crate::GradientEstimator::load_state):
/// named float arrays, named counts, and named parameters (compared, not
/// loaded: resuming with other parameters is an
/// [`Error::CheckpointMismatch`]).
///
/// ```
/// use zoptim::ComponentState;
///
/// let mut s = ComponentState::new("my-rule");
/// s.param("beta", 0.9);
/// s.put_floats("m", &[1.0_f64, -2.5]);
/// s.put_count("t", 7);
///
/// let mut m: Vec<f64> = Vec::new();
/// s.read_floats("m", 2, &mut m)?;
/// assert_eq!(m, [1.0, -2.5]);
/// assert_eq!(s.count("t")?, 7);
/// assert!(s.count("missing").is_err());
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ComponentState {
    kind: String,
    params: BTreeMap<String, String>,
    floats: BTreeMap<String, Floats>,
    counts: BTreeMap<String, Vec<u64>>,
}

impl ComponentState {
    /// An empty state for the component named `kind`.
    pub fn new(kind: &str) -> Self {
        ComponentState {
            kind: kind.to_owned(),
            ..Self::default()
        }
    }

    /// The component's name.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Records a parameter by its `Debug` form (floats print in their shortest
    /// exact form, so equal strings mean equal values).
    pub fn param(&mut self, name: &str, value: impl std::fmt::Debug) -> &mut Self {
        self.params.insert(name.to_owned(), format!("{value:?}"));
        self
    }

    /// Stores a float array exactly (f32 arrays are written in f32's shortest
    /// form, which reads back to the same f32).
    pub fn put_floats<F: Real>(&mut self, name: &str, values: &[F]) -> &mut Self {
        let floats = Floats {
            values: values.iter().map(|v| v.as_f64()).collect(),
            single: float_name::<F>() == "f32",
        };
        self.floats.insert(name.to_owned(), floats);
        self
    }

    /// Stores one count.
    pub fn put_count(&mut self, name: &str, value: u64) -> &mut Self {
        self.counts.insert(name.to_owned(), vec![value]);
        self
    }

    /// Stores an array of counts (indices, permutations).
    pub fn put_counts(&mut self, name: &str, values: impl IntoIterator<Item = u64>) -> &mut Self {
        self.counts.insert(name.to_owned(), values.into_iter().collect());
        self
    }

    /// Reads the float array `name` into `out`, which it must fill exactly:
    /// [`Error::CheckpointCorrupt`] when it is missing,
    /// [`Error::CheckpointMismatch`] when it does not have `len` entries.
    pub fn read_floats<F: Real>(&self, name: &str, len: usize, out: &mut Vec<F>) -> Result<()> {
        let v = self.floats.get(name).ok_or_else(|| self.missing(name))?;
        if v.values.len() != len {
            return Err(Error::CheckpointMismatch {
                what: format!("the length of {}'s `{name}`", self.kind),
                checkpoint: v.values.len().to_string(),
                optimizer: len.to_string(),
            });
        }
        out.clear();
        out.extend(v.values.iter().map(|&t| F::of_f64(t)));
        Ok(())
    }

    /// The float array `name`, whatever its length.
    pub fn floats(&self, name: &str) -> Result<&[f64]> {
        self.floats
            .get(name)
            .map(|v| &v.values[..])
            .ok_or_else(|| self.missing(name))
    }

    /// The count `name`.
    pub fn count(&self, name: &str) -> Result<u64> {
        match self.counts.get(name).map(Vec::as_slice) {
            Some([v]) => Ok(*v),
            Some(_) => Err(self.corrupt(name, "is not a single count")),
            None => Err(self.missing(name)),
        }
    }

    /// The count `name` as an index or length below `bound`.
    pub fn index(&self, name: &str, bound: usize) -> Result<usize> {
        let v = self.count(name)?;
        usize::try_from(v)
            .ok()
            .filter(|&i| i < bound)
            .ok_or_else(|| self.corrupt(name, &format!("= {v} is out of range (< {bound})")))
    }

    /// The count array `name`.
    pub fn counts(&self, name: &str) -> Result<&[u64]> {
        self.counts
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| self.missing(name))
    }

    /// Reads the count array `name` as a permutation of `0..len` into `out`.
    pub fn read_permutation(&self, name: &str, len: usize, out: &mut Vec<usize>) -> Result<()> {
        let v = self.counts(name)?;
        if v.len() != len {
            return Err(Error::CheckpointMismatch {
                what: format!("the length of {}'s `{name}`", self.kind),
                checkpoint: v.len().to_string(),
                optimizer: len.to_string(),
            });
        }
        let mut seen = vec![false; len];
        out.clear();
        for &i in v {
            let i = usize::try_from(i).ok().filter(|&i| i < len && !seen[i]);
            let Some(i) = i else {
                return Err(self.corrupt(name, "is not a permutation"));
            };
            seen[i] = true;
            out.push(i);
        }
        Ok(())
    }

    fn missing(&self, name: &str) -> Error {
        self.corrupt(name, "is missing")
    }

    fn corrupt(&self, name: &str, what: &str) -> Error {
        Error::CheckpointCorrupt {
            reason: format!("{}'s `{name}` {what}", self.kind),
        }
    }

    /// [`Error::CheckpointMismatch`] unless `self` (from a checkpoint) and
    /// `fresh` (from the resuming component) name the same component with the
    /// same parameters.
    pub(crate) fn check_fits(&self, fresh: &ComponentState, role: &str) -> Result<()> {
        if self.kind != fresh.kind {
            return Err(Error::CheckpointMismatch {
                what: role.to_owned(),
                checkpoint: self.kind.clone(),
                optimizer: fresh.kind.clone(),
            });
        }
        let none = || "unset".to_owned();
        for name in self.params.keys().chain(fresh.params.keys()) {
            let (a, b) = (self.params.get(name), fresh.params.get(name));
            if a != b {
                return Err(Error::CheckpointMismatch {
                    what: format!("{role} parameter `{name}`"),
                    checkpoint: a.cloned().unwrap_or_else(none),
                    optimizer: b.cloned().unwrap_or_else(none),
                });
            }
        }
        Ok(())
    }
}

/// Floats that keep their exact bits through JSON (non-finite as strings).
#[derive(Clone, Debug, Default, PartialEq)]
struct Floats {
    values: Vec<f64>,
    /// f32 values: written in f32's shortest form (half the text of f64's);
    /// read back as the nearest f64, which rounds to the same f32.
    single: bool,
}

#[cfg(feature = "serde")]
mod floats_serde {
    use super::Floats;
    use serde::de::{self, SeqAccess, Visitor};
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum One {
        Num(f64),
        Text(String),
    }

    /// `{"f32": [...]}` or `{"f64": [...]}`.
    #[derive(Serialize, Deserialize)]
    enum Tagged<T> {
        #[serde(rename = "f32")]
        Single(T),
        #[serde(rename = "f64")]
        Double(T),
    }

    /// The values, written as f32 when `.1`.
    struct Written<'a>(&'a [f64], bool);
    struct Read(Vec<f64>);

    impl Serialize for Floats {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let v = Written(&self.values, self.single);
            if self.single {
                Tagged::Single(v)
            } else {
                Tagged::Double(v)
            }
            .serialize(s)
        }
    }

    impl<'de> Deserialize<'de> for Floats {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(match Tagged::<Read>::deserialize(d)? {
                Tagged::Single(v) => Floats {
                    values: v.0,
                    single: true,
                },
                Tagged::Double(v) => Floats {
                    values: v.0,
                    single: false,
                },
            })
        }
    }

    impl Serialize for Written<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut seq = s.serialize_seq(Some(self.0.len()))?;
            for &v in self.0 {
                if v.is_finite() && self.1 {
                    seq.serialize_element(&(v as f32))?;
                } else if v.is_finite() {
                    seq.serialize_element(&v)?;
                } else if v.is_nan() {
                    seq.serialize_element("NaN")?;
                } else if v > 0.0 {
                    seq.serialize_element("inf")?;
                } else {
                    seq.serialize_element("-inf")?;
                }
            }
            seq.end()
        }
    }

    impl<'de> Deserialize<'de> for Read {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Read;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("an array of numbers")
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Read, A::Error> {
                    // Capped: a corrupt length hint must not allocate without bound.
                    let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                    while let Some(v) = seq.next_element::<One>()? {
                        out.push(match v {
                            One::Num(x) => x,
                            One::Text(t) => match t.as_str() {
                                "NaN" => f64::NAN,
                                "inf" => f64::INFINITY,
                                "-inf" => f64::NEG_INFINITY,
                                _ => return Err(de::Error::custom(format!("`{t}` is not a number"))),
                            },
                        });
                    }
                    Ok(Read(out))
                }
            }
            d.deserialize_seq(V)
        }
    }
}

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
    pub fn iteration(&self) -> usize {
        self.iterations
    }

    /// Evaluations counted when it was taken.
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// The problem's dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// True when it was taken in the middle of a step (between an `ask` and
    /// its `tell`, or between two rounds of a step).
    pub fn is_mid_step(&self) -> bool {
        self.step.is_some()
    }

    /// The iterate when it was taken.
    pub fn x(&self) -> &[F] {
        &self.run.x
    }

    /// The estimator's saved state.
    pub fn estimator_state(&self) -> &ComponentState {
        &self.estimator
    }

    /// The update rule's saved state.
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
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::CheckpointCorrupt { reason: e.to_string() })
    }

    /// Reads a checkpoint from JSON: [`Error::CheckpointVersion`] for another
    /// format version, [`Error::CheckpointTruncated`] for text that ends early,
    /// [`Error::CheckpointCorrupt`] for anything else that does not parse or
    /// is inconsistent, [`Error::CheckpointMismatch`] for another float type.
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
    pub(super) fn periodic_checkpoint(&mut self) {
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
