//! The accounting of queries: the label of every evaluation ([`Query`]) and
//! the best point a run has evaluated.
//!
//! Every query point of a step carries a [`Query`] label, which names it in
//! error messages ([`Error::NonFiniteObjective`](crate::Error::NonFiniteObjective))
//! and in ask/tell batches; the run engine ([`crate::run`]) counts the queries
//! against each step's declared limit and the run's budget, and keeps the best
//! point it has seen.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use crate::real::Real;
use std::fmt;

/// Which query of a step produced a value: used in error messages and step records.
///
/// ```
/// use zoptim::Query;
///
/// assert_eq!(Query::Plus(2).to_string(), "f(x + μ·u) for direction 2");
/// assert_eq!(Query::Final.to_string(), "f at the final iterate");
/// ```
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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

/// The best evaluated point of a run.
#[derive(Debug, Clone)]
pub(crate) struct BestPoint<F> {
    /// The best point (empty unless `keep_x`).
    pub(crate) x: Vec<F>,
    /// Its value; `None` before the first evaluation.
    pub(crate) f: Option<F>,
    /// Whether the best point itself is stored, or only its value.
    pub(crate) keep_x: bool,
}

impl<F: Real> BestPoint<F> {
    /// No point yet; `keep_x` says whether the best x is stored or only its value.
    pub(crate) fn new(keep_x: bool) -> Self {
        BestPoint {
            x: Vec::new(),
            f: None,
            keep_x,
        }
    }

    /// Keeps (x, f) when f is below the best value so far (x only when kept).
    pub(crate) fn offer(&mut self, x: &[F], f: F) {
        if self.f.is_none_or(|b| f < b) {
            self.f = Some(f);
            if self.keep_x {
                self.x.clear();
                self.x.extend_from_slice(x);
            }
        }
    }
}
