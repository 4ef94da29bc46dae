//! The crate's single error type.

pub use crate::oracle::Query;

/// Everything that can go wrong in zoptim.
///
/// No function in the crate panics on input a user controls; it returns one of
/// these instead. When [`Optimizer::step`](crate::Optimizer::step) returns an
/// error the parameter vector is exactly as it was before the call (for the
/// in-place memory-light modes, up to the rounding documented there).
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
/// use zoptim::{Error, Query};
///
/// // A NaN from the objective names the evaluation and the query.
/// let mut f = |x: ArrayView1<f64>| if x[0] < 0.5 { f64::NAN } else { x.dot(&x) };
/// let mut opt = Optimizer::builder(Cge::central()).learning_rate(0.5).max_iterations(3).build()?;
/// let report = opt.minimize(&mut f, &Array1::ones(2))?;
/// match report.stop {
///     StopReason::Failed(Error::NonFiniteObjective { query, .. }) => assert_ne!(query, Query::Final),
///     other => panic!("{other:?}"),
/// }
/// // Configuration errors come from build(), before anything is evaluated.
/// let err = Optimizer::<f64>::builder(Cge::central()).max_evaluations(0).build().unwrap_err();
/// assert_eq!(err, Error::EmptyBudget);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A vector had the wrong length.
    #[error("dimension mismatch for {what}: expected length {expected}, found {found}")]
    DimensionMismatch {
        /// What had the wrong length.
        what: &'static str,
        /// The length that was expected.
        expected: usize,
        /// The length that was found.
        found: usize,
    },
    /// The parameter vector is empty.
    #[error("the parameter vector is empty: zoptim needs at least one coordinate")]
    EmptyParameters,
    /// The starting point has a NaN or infinite coordinate.
    #[error("the starting point is not finite: x[{index}] = {value}")]
    NonFiniteStart {
        /// The first offending coordinate.
        index: usize,
        /// Its value.
        value: f64,
    },
    /// A configuration value is outside its valid range.
    #[error("invalid parameter `{name}` = {value}: must be {requirement}")]
    InvalidParameter {
        /// The parameter's name, as in the builder method that sets it.
        name: &'static str,
        /// The rejected value, formatted.
        value: String,
        /// What the value must satisfy.
        requirement: &'static str,
    },
    /// The evaluation budget is zero.
    #[error("the evaluation budget is empty: max_evaluations must be at least 1")]
    EmptyBudget,
    /// The next step could exceed the evaluation budget, so it was not started.
    #[error("evaluation budget exhausted: {used} of {budget} evaluations used, the next step may need {needed}")]
    BudgetExhausted {
        /// Evaluations used so far.
        used: usize,
        /// The budget.
        budget: usize,
        /// The most evaluations the next step may make.
        needed: usize,
    },
    /// An estimator or update rule queried more points than it declared it would.
    /// This is a bug in that estimator or rule, reported instead of overrunning the budget.
    #[error("{component} made more queries than the {limit} it declared for this step")]
    QueryLimitExceeded {
        /// The estimator's or rule's name.
        component: &'static str,
        /// The declared limit.
        limit: usize,
    },
    /// The objective returned NaN or ±∞.
    #[error("the objective returned {value} at evaluation {evaluation} ({query})")]
    NonFiniteObjective {
        /// 1-based index of the evaluation over the optimizer's life (since the last reset).
        evaluation: usize,
        /// Which point of the step it was.
        query: Query,
        /// The value returned.
        value: f64,
    },
    /// The gradient estimate has a NaN or infinite entry (for example because
    /// a difference of huge values overflowed, or a linear solve failed).
    #[error("the gradient estimate of {estimator} is not finite at iteration {iteration}")]
    NonFiniteEstimate {
        /// The estimator's name.
        estimator: &'static str,
        /// The iteration (0-based) of the failed step.
        iteration: usize,
    },
    /// The starting point is outside the feasible set of the optimizer's
    /// [`Projection`](crate::projection::Projection).
    #[error("the starting point is outside the feasible set ({constraint}): {violation}")]
    Infeasible {
        /// The projection's name.
        constraint: &'static str,
        /// Which constraint the point violates.
        violation: String,
    },
    /// The update rule produced a non-finite step.
    #[error("the update rule {rule} produced a non-finite step at iteration {iteration}")]
    NonFiniteStep {
        /// The rule's name.
        rule: &'static str,
        /// The iteration (0-based) of the failed step.
        iteration: usize,
    },
    /// [`Run::tell`](crate::Run::tell) was called with no batch waiting for
    /// values (before the first [`ask`](crate::Run::ask), twice for one batch,
    /// or after the run ended).
    #[error("no batch is waiting for values: call ask() first (the run may have ended)")]
    NoPendingBatch,
    /// Reading or writing a file failed (an observer's output, a plot).
    #[error("input/output failed: {message}")]
    Io {
        /// What failed, with the operating system's message.
        message: String,
    },
    /// A stochastic run was asked for its next batch without its objective, or a
    /// deterministic one with it.
    #[error("this run {0}")]
    WrongDriver(&'static str),
    /// The run diverged ([`StopReason::Diverged`](crate::StopReason::Diverged)),
    /// reported by [`Report::into_result`](crate::Report::into_result).
    #[error("the run diverged at iteration {iteration}: f = {value:e}, while the best value was {best:e}")]
    Diverged {
        /// The iteration (0-based) of the step that diverged.
        iteration: usize,
        /// The smallest value that step evaluated (NaN when x itself became non-finite).
        value: f64,
        /// The smallest value evaluated before that step.
        best: f64,
    },
    /// A checkpoint does not fit the optimizer resuming it (another estimator or
    /// rule, other parameters, another dimension or float type).
    #[error("the checkpoint does not fit this optimizer: {what} is {checkpoint} in the checkpoint, {optimizer} here")]
    CheckpointMismatch {
        /// What differs.
        what: String,
        /// Its value in the checkpoint.
        checkpoint: String,
        /// Its value in the resuming optimizer.
        optimizer: String,
    },
    /// A checkpoint was written in another format version.
    #[error("checkpoint format version {found} cannot be read: this zoptim reads version {supported}")]
    CheckpointVersion {
        /// The checkpoint's format version.
        found: u64,
        /// The version this zoptim reads ([`CHECKPOINT_FORMAT`](crate::run::checkpoint::CHECKPOINT_FORMAT)).
        supported: u32,
    },
    /// A checkpoint does not parse, or its contents are inconsistent.
    #[error("the checkpoint is corrupt: {reason}")]
    CheckpointCorrupt {
        /// What is wrong, with the parser's position when it has one.
        reason: String,
    },
    /// A checkpoint ends before its end (a partial write or copy).
    #[error("the checkpoint is truncated: {reason}")]
    CheckpointTruncated {
        /// The parser's message.
        reason: String,
    },
    /// An estimator or update rule without checkpoint support
    /// ([`GradientEstimator::save_state`](crate::GradientEstimator::save_state)).
    #[error("{component} cannot be checkpointed: it does not implement save_state and load_state")]
    CheckpointUnsupported {
        /// The component's name.
        component: &'static str,
    },
    /// An error read back from a serialised report or checkpoint, kept as its message.
    #[error("{message}")]
    Restored {
        /// The original error's message.
        message: String,
    },
}

#[cfg(feature = "serde")]
impl serde::Serialize for Error {
    /// An error is written as its message (`{"message": "..."}`); it reads back
    /// as [`Error::Restored`].
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Error", 1)?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Error {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Message {
            message: String,
        }
        let m = Message::deserialize(d)?;
        Ok(Error::Restored { message: m.message })
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io { message: e.to_string() }
    }
}

/// `Result` with the crate's [`Error`].
///
/// ```
/// fn tune(lr: f64) -> zoptim::Result<f64> {
///     use ndarray::{Array1, ArrayView1};
///     use zoptim::prelude::*;
///     let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(lr).max_iterations(100).build()?;
///     Ok(opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?.best_f)
/// }
/// assert!(tune(0.1)? < tune(0.001)?);
/// assert!(tune(-1.0).is_err());
/// # Ok::<(), zoptim::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks that `value` is finite and strictly positive.
pub(crate) fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: format!("{value}"),
            requirement: "finite and > 0",
        })
    }
}

/// Checks that `value` is finite and non-negative.
pub(crate) fn check_non_negative(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: format!("{value}"),
            requirement: "finite and >= 0",
        })
    }
}

/// Checks that `value` lies in the closed interval `[lo, hi]`.
#[allow(dead_code)] // for estimators with bounded parameters (ReLIZO's reuse rate)
pub(crate) fn check_in_range(
    name: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
    requirement: &'static str,
) -> Result<()> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: format!("{value}"),
            requirement,
        })
    }
}

/// Checks that a count is at least one.
pub(crate) fn check_count(name: &'static str, value: usize) -> Result<()> {
    if value >= 1 {
        Ok(())
    } else {
        Err(Error::InvalidParameter {
            name,
            value: value.to_string(),
            requirement: "at least 1",
        })
    }
}
