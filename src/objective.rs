//! The function being minimised.

use crate::real::Real;
use ndarray::{ArrayView1, ArrayView2};

/// A function that can only be evaluated: the thing zoptim minimises.
///
/// Implement [`eval`](Objective::eval) for your type, or pass a closure: every
/// `FnMut(ArrayView1<F>) -> F` is an `Objective<F>`, and [`slice_fn`] makes one
/// of a closure over `&[F]`.
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
    ///
    /// ```
    /// use ndarray::array;
    /// use zoptim::Objective;
    ///
    /// let mut rosen = |x: ndarray::ArrayView1<f64>| (1.0 - x[0]).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
    /// assert_eq!(rosen.eval(array![1.0, 1.0].view()), 0.0);
    /// ```
    fn eval(&mut self, x: ArrayView1<'_, F>) -> F;

    /// Evaluates f at each row of `points`, writing f(row i) into `out[i]`.
    /// `out.len()` equals `points.nrows()`.
    ///
    /// ```
    /// use ndarray::{ArrayView1, ArrayView2, array};
    /// use zoptim::Objective;
    ///
    /// // A batch-aware objective: one call per round (e.g. one GPU launch).
    /// struct RowSums;
    /// impl Objective<f64> for RowSums {
    ///     fn eval(&mut self, x: ArrayView1<f64>) -> f64 { x.sum() }
    ///     fn eval_batch(&mut self, points: ArrayView2<f64>, out: &mut [f64]) {
    ///         for (o, s) in out.iter_mut().zip(points.sum_axis(ndarray::Axis(1))) { *o = s; }
    ///     }
    /// }
    /// let mut out = [0.0; 2];
    /// RowSums.eval_batch(array![[1.0, 2.0], [3.0, 4.0]].view(), &mut out);
    /// assert_eq!(out, [3.0, 7.0]);
    /// ```
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

/// An objective written over slices, `FnMut(&[F]) -> F`; made by [`slice_fn`].
///
/// Contiguous query points (every point the built-in drivers pass) are handed
/// over as they are; a strided view is first copied into a buffer kept here.
///
/// ```
/// use zoptim::Objective;
/// use zoptim::objective::slice_fn;
///
/// let m = ndarray::array![[1.0, 2.0], [3.0, 4.0]];
/// let mut f = slice_fn(|x: &[f64]| x[0] - x[1]);
/// assert_eq!(f.eval(m.row(0)), -1.0);
/// assert_eq!(f.eval(m.column(0)), -2.0); // a strided view, copied first
/// ```
#[derive(Clone, Debug)]
pub struct SliceFn<F, C> {
    f: C,
    scratch: Vec<F>,
}

/// Wraps a closure over `&[F]` as an [`Objective`].
///
/// Closures over [`ArrayView1`] are objectives as they are; one over a slice
/// needs this wrapper, because one type could implement both closure
/// signatures and Rust cannot pick between two blanket implementations.
///
/// ```
/// use ndarray::Array1;
/// use zoptim::objective::slice_fn;
/// use zoptim::prelude::*;
///
/// fn loss(x: &[f64]) -> f64 {
///     x.iter().map(|v| (v - 2.0).powi(2)).sum()
/// }
/// let mut f = slice_fn(loss);
/// assert_eq!(f.eval(ndarray::array![2.0, 3.0].view()), 1.0);
///
/// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.1).max_evaluations(2_000).build()?;
/// let report = opt.minimize(&mut slice_fn(|x: &[f64]| loss(x)), &Array1::zeros(3))?;
/// assert!(report.best_f < 1e-6, "{}", report.best_f);
/// # Ok::<(), zoptim::Error>(())
/// ```
pub fn slice_fn<F: Real, C: FnMut(&[F]) -> F>(f: C) -> SliceFn<F, C> {
    SliceFn { f, scratch: Vec::new() }
}

impl<F: Real, C: FnMut(&[F]) -> F> Objective<F> for SliceFn<F, C> {
    fn eval(&mut self, x: ArrayView1<'_, F>) -> F {
        match x.as_slice() {
            Some(s) => (self.f)(s),
            None => {
                self.scratch.clear();
                self.scratch.extend(x.iter().copied());
                (self.f)(&self.scratch)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn slice_fn_sees_strided_views_as_slices() {
        let m = array![[1.0, 2.0], [3.0, 4.0]];
        let mut f = slice_fn(|x: &[f64]| x[0] * 10.0 + x[1]);
        assert_eq!(f.eval(m.row(1)), 34.0);
        assert_eq!(f.eval(m.column(1)), 24.0);
    }

    #[test]
    fn batch_default_evaluates_each_row() {
        let mut f = |x: ArrayView1<f64>| x.sum();
        let pts = array![[1.0, 2.0], [3.0, 4.0]];
        let mut out = [0.0; 2];
        f.eval_batch(pts.view(), &mut out);
        assert_eq!(out, [3.0, 7.0]);
    }
}
