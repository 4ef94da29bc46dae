//! The function being minimised, and the one accounting point every query passes.

use crate::error::{Error, Query, Result};
use crate::real::Real;
use ndarray::{ArrayView1, ArrayView2};

/// A function that can only be evaluated: the thing zoptim minimises.
///
/// Implement [`eval`](Objective::eval) for your type, or pass a closure: every
/// `FnMut(ArrayView1<F>) -> F` is an `Objective<F>`.
///
/// [`eval_batch`](Objective::eval_batch) receives several query points at once
/// (one per row). Its default evaluates them one after another; override it to
/// evaluate them on threads, a GPU or a cluster. Estimators call it whenever a
/// step's query points are independent of one another's values.
///
/// Values must be finite: NaN or ±∞ ends the step with
/// [`Error::NonFiniteObjective`], naming the evaluation and the query point.
///
/// ```
/// use ndarray::{ArrayView1, array};
/// use zoptim::Objective;
///
/// struct Shifted { c: f64 }
/// impl Objective<f64> for Shifted {
///     fn eval(&mut self, x: ArrayView1<f64>) -> f64 {
///         x.iter().map(|v| (v - self.c).powi(2)).sum()
///     }
/// }
/// assert_eq!(Shifted { c: 1.0 }.eval(array![1.0, 3.0].view()), 4.0);
///
/// let mut sphere = |x: ArrayView1<f64>| x.dot(&x);
/// assert_eq!(sphere.eval(array![1.0, 2.0].view()), 5.0);
/// ```
pub trait Objective<F: Real> {
    /// f(x).
    fn eval(&mut self, x: ArrayView1<'_, F>) -> F;

    /// Evaluates f at each row of `points`, writing f(row i) into `out[i]`.
    /// `out.len()` equals `points.nrows()`.
    fn eval_batch(&mut self, points: ArrayView2<'_, F>, out: &mut [F]) {
        for (row, o) in points.rows().into_iter().zip(out.iter_mut()) {
            *o = self.eval(row);
        }
    }
}

impl<F: Real, C> Objective<F> for C
where
    C: FnMut(ArrayView1<'_, F>) -> F,
{
    fn eval(&mut self, x: ArrayView1<'_, F>) -> F {
        self(x)
    }
}

/// The best point seen among all evaluations of a run.
#[derive(Debug, Clone)]
pub(crate) struct BestPoint<F> {
    pub(crate) x: Vec<F>,
    pub(crate) f: Option<F>,
    /// Whether to copy the point as well as its value.
    keep_x: bool,
}

impl<F: Real> BestPoint<F> {
    pub(crate) fn new(keep_x: bool) -> Self {
        BestPoint {
            x: Vec::new(),
            f: None,
            keep_x,
        }
    }

    fn offer(&mut self, x: &[F], f: F) {
        if self.f.is_none_or(|b| f < b) {
            self.f = Some(f);
            if self.keep_x {
                self.x.clear();
                self.x.extend_from_slice(x);
            }
        }
    }
}

/// The accounting point between estimators (and update rules) and the objective.
///
/// Every query of a step goes through one `Oracle`, so the evaluation count is
/// exact: it counts every call the objective sees, including those of a step that
/// then fails. The oracle also enforces the number of queries the estimator
/// declared for the step (so a budget can never be overrun), checks each value for
/// finiteness, and remembers the smallest value of the step.
pub struct Oracle<'a, F: Real> {
    objective: &'a mut dyn Objective<F>,
    used: usize,
    limit: usize,
    offset: usize,
    component: &'static str,
    best: Option<&'a mut BestPoint<F>>,
    feasible: Option<&'a dyn crate::projection::Projection<F>>,
    min_value: Option<F>,
}

impl<'a, F: Real> Oracle<'a, F> {
    /// An oracle allowing at most `limit` queries. `offset` is the number of
    /// evaluations made before it, so that errors name the global evaluation index.
    pub fn new(objective: &'a mut dyn Objective<F>, limit: usize, offset: usize) -> Self {
        Oracle {
            objective,
            used: 0,
            limit,
            offset,
            component: "an estimator",
            best: None,
            feasible: None,
            min_value: None,
        }
    }

    /// Offers a query point to the best point only when it lies in the set
    /// (with a projection, query points x ± μu may be infeasible).
    pub(crate) fn with_feasibility(mut self, set: Option<&'a dyn crate::projection::Projection<F>>) -> Self {
        self.feasible = set;
        self
    }

    pub(crate) fn with_best(mut self, best: &'a mut BestPoint<F>) -> Self {
        self.best = Some(best);
        self
    }

    /// Names the component making the next queries, for error messages.
    pub fn set_component(&mut self, name: &'static str) {
        self.component = name;
    }

    /// Queries made so far through this oracle.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Queries still allowed.
    pub fn remaining(&self) -> usize {
        self.limit.saturating_sub(self.used)
    }

    /// The smallest value returned so far through this oracle.
    pub fn min_value(&self) -> Option<F> {
        self.min_value
    }

    /// f(x), counted and checked. `query` says which point of the step this is.
    pub fn eval(&mut self, x: &[F], query: Query) -> Result<F> {
        if self.used >= self.limit {
            return Err(Error::QueryLimitExceeded {
                component: self.component,
                limit: self.limit,
            });
        }
        self.used += 1;
        let v = self.objective.eval(ArrayView1::from(x));
        self.record(x, v, query, self.used)?;
        Ok(v)
    }

    /// f at each row of `points` (row-major, contiguous), through one call of
    /// [`Objective::eval_batch`]. `query(i)` labels row `i`.
    pub fn eval_batch(
        &mut self,
        points: ArrayView2<'_, F>,
        out: &mut [F],
        query: impl Fn(usize) -> Query,
    ) -> Result<()> {
        let rows = points.nrows();
        if out.len() != rows {
            return Err(Error::DimensionMismatch {
                what: "batch output",
                expected: rows,
                found: out.len(),
            });
        }
        if self.used + rows > self.limit {
            return Err(Error::QueryLimitExceeded {
                component: self.component,
                limit: self.limit,
            });
        }
        let first = self.used;
        self.used += rows;
        self.objective.eval_batch(points.view(), out);
        for (i, (row, &v)) in points.rows().into_iter().zip(out.iter()).enumerate() {
            match row.as_slice() {
                Some(s) => self.record(s, v, query(i), first + i + 1)?,
                None => self.record(&row.to_vec(), v, query(i), first + i + 1)?,
            }
        }
        Ok(())
    }

    fn record(&mut self, x: &[F], v: F, query: Query, nth: usize) -> Result<()> {
        if !v.is_finite() {
            return Err(Error::NonFiniteObjective {
                evaluation: self.offset + nth,
                query,
                value: v.as_f64(),
            });
        }
        if self.min_value.is_none_or(|m| v < m) {
            self.min_value = Some(v);
        }
        if let Some(best) = self.best.as_deref_mut()
            && best.f.is_none_or(|b| v < b)
            && self.feasible.is_none_or(|p| p.contains(x))
        {
            best.offer(x, v);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn oracle_counts_checks_and_limits() {
        let mut calls = 0usize;
        let mut f = |x: ArrayView1<f64>| {
            calls += 1;
            if x[0] > 10.0 { f64::NAN } else { x[0] }
        };
        let mut o = Oracle::new(&mut f, 3, 100);
        assert_eq!(o.eval(&[2.0], Query::Center).unwrap(), 2.0);
        let err = o.eval(&[11.0], Query::Plus(4)).unwrap_err();
        assert!(matches!(
            err,
            Error::NonFiniteObjective {
                evaluation: 102,
                query: Query::Plus(4),
                ..
            }
        ));
        assert_eq!(o.eval(&[1.0], Query::Center).unwrap(), 1.0);
        assert!(matches!(
            o.eval(&[1.0], Query::Center),
            Err(Error::QueryLimitExceeded { .. })
        ));
        assert_eq!(o.used(), 3);
        assert_eq!(o.min_value(), Some(1.0));
        let _ = o;
        assert_eq!(calls, 3);
    }

    #[test]
    fn batch_default_evaluates_each_row() {
        let mut f = |x: ArrayView1<f64>| x.sum();
        let pts = array![[1.0, 2.0], [3.0, 4.0]];
        let mut out = [0.0; 2];
        let mut o = Oracle::new(&mut f, 2, 0);
        o.eval_batch(pts.view(), &mut out, Query::Sample).unwrap();
        assert_eq!(out, [3.0, 7.0]);
        assert_eq!(o.used(), 2);
    }
}
