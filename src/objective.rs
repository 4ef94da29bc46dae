//! The function being minimised.

use crate::real::Real;
use ndarray::{ArrayView1, ArrayView2};

/// A function that can only be evaluated: the thing zoptim minimises.
///
/// Implement [`eval`](Objective::eval) for your type, or pass a closure: every
/// `FnMut(ArrayView1<F>) -> F` is an `Objective<F>`.
///
/// [`eval_batch`](Objective::eval_batch) receives several query points at once
/// (one per row). Its default evaluates them one after another; override it to
/// evaluate them on threads, a GPU or a cluster.
/// [`Optimizer::minimize`](crate::Optimizer::minimize) and
/// [`Optimizer::step`](crate::Optimizer::step) call it once per round of a step
/// (a batch of points whose values are independent, see [`crate::run`]); rounds
/// of seed-replayed points are evaluated with [`eval`](Objective::eval), one
/// point at a time, by moving x in place.
///
/// Values must be finite: NaN or ±∞ ends the step with
/// [`Error::NonFiniteObjective`](crate::Error::NonFiniteObjective), naming the evaluation and the query point.
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn batch_default_evaluates_each_row() {
        let mut f = |x: ArrayView1<f64>| x.sum();
        let pts = array![[1.0, 2.0], [3.0, 4.0]];
        let mut out = [0.0; 2];
        f.eval_batch(pts.view(), &mut out);
        assert_eq!(out, [3.0, 7.0]);
    }
}
