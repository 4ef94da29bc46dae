//! The crate's single error type.

use std::fmt;

/// Which query of a step produced a value: used in error messages and step records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Query {
    /// f(x) at the current iterate.
    Center,
    /// f(x + μ·uⱼ) for direction (or coordinate) `j`.
    Plus(usize),
    /// f(x − μ·uⱼ) for direction (or coordinate) `j`.
    Minus(usize),
    /// f(x + δⱼ) for interpolation sample `j` (ReLIZO).
    Sample(usize),
    /// Trial `j` of a line search or of a conservative update.
    Trial(usize),
    /// The final evaluation at the last iterate made by `minimize`.
    Final,
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Query::Center => write!(f, "f(x) at the current iterate"),
            Query::Plus(j) => write!(f, "f(x + μ·u) for direction {j}"),
            Query::Minus(j) => write!(f, "f(x − μ·u) for direction {j}"),
            Query::Sample(j) => write!(f, "f(x + δ) for interpolation sample {j}"),
            Query::Trial(j) => write!(f, "trial point {j} of the update"),
            Query::Final => write!(f, "f at the final iterate"),
        }
    }
}

/// Everything that can go wrong in zoptim.
///
/// No function in the crate panics on input a user controls; it returns one of
/// these instead. When [`Optimizer::step`](crate::Optimizer::step) returns an
/// error the parameter vector is exactly as it was before the call (for the
/// in-place memory-light modes, up to the rounding documented there).
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
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Io { message: e.to_string() }
    }
}

/// `Result` with the crate's [`Error`].
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
