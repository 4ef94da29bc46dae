//! Parallel evaluation of each round on the rayon thread pool (feature `rayon`).

use super::{NoSample, Round, Run};
use crate::error::Result;
use crate::estimator::GradientEstimator;
use crate::objective::Objective;
use crate::optimizer::Optimizer;
use crate::real::Real;
use crate::report::Report;
use crate::update::UpdateRule;
use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;

/// An objective that can be evaluated from several threads at once (`&self`).
///
/// Every `Fn(ArrayView1<F>) -> F + Sync` closure is one; implement it for your
/// own type when its evaluation needs only shared access (a model's forward
/// pass, a simulator that is re-entrant).
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::run::SyncObjective;
///
/// struct Shifted { c: f64 }
/// impl SyncObjective<f64> for Shifted {
///     fn eval(&self, x: ArrayView1<f64>) -> f64 {
///         x.iter().map(|v| (v - self.c).powi(2)).sum()
///     }
/// }
/// assert_eq!(Shifted { c: 1.0 }.eval(ndarray::array![1.0, 3.0].view()), 4.0);
/// ```
pub trait SyncObjective<F: Real>: Sync {
    /// f(x).
    fn eval(&self, x: ArrayView1<'_, F>) -> F;
}

impl<F: Real, C> SyncObjective<F> for C
where
    C: Fn(ArrayView1<'_, F>) -> F + Sync,
{
    fn eval(&self, x: ArrayView1<'_, F>) -> F {
        self(x)
    }
}

/// Adapts a [`SyncObjective`] into an [`Objective`] whose
/// [`eval_batch`](Objective::eval_batch) evaluates the rows on the rayon pool:
/// for drivers that take an `Objective` (for example
/// [`Optimizer::step`]), with materialised rounds.
///
/// ```
/// use ndarray::{ArrayView1, array};
/// use zoptim::prelude::*;
/// use zoptim::run::ParallelObjective;
///
/// let mut f = ParallelObjective(|x: ArrayView1<f64>| x.dot(&x));
/// let mut opt = Optimizer::builder(TwoPoint::spsa().directions(8).mu(1e-6)).learning_rate(0.2).build()?;
/// let mut x = array![1.0, -1.0, 0.5];
/// for _ in 0..50 {
///     opt.step(&mut x, &mut f)?; // each step's 16 points on the pool
/// }
/// assert!(x.dot(&x) < 1e-10);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ParallelObjective<O>(pub O);

impl<F: Real, O: SyncObjective<F>> Objective<F> for ParallelObjective<O> {
    fn eval(&mut self, x: ArrayView1<'_, F>) -> F {
        self.0.eval(x)
    }

    fn eval_batch(&mut self, points: ArrayView2<'_, F>, out: &mut [F]) {
        eval_rows(&self.0, points, out);
    }
}

/// out\[i\] = f(row i), rows spread over the rayon pool. Each value depends only
/// on its row, so the result is the same for every thread count.
fn eval_rows<F: Real, O: SyncObjective<F> + ?Sized>(f: &O, points: ArrayView2<'_, F>, out: &mut [F]) {
    let d = points.ncols();
    match points.as_slice() {
        Some(flat) if d > 0 => {
            out.par_iter_mut()
                .zip(flat.par_chunks(d))
                .for_each(|(o, p)| *o = f.eval(ArrayView1::from(p)));
        }
        _ => {
            let rows: Vec<_> = points.rows().into_iter().collect();
            out.par_iter_mut()
                .zip(rows.into_par_iter())
                .for_each(|(o, p)| *o = f.eval(p));
        }
    }
}

impl<F: Real, E: GradientEstimator<F>, U: UpdateRule<F>> Optimizer<F, E, U> {
    /// [`minimize`](Optimizer::minimize) with every round's points evaluated in
    /// parallel on the current rayon pool (feature `rayon`).
    ///
    /// The report is bit-identical to `minimize`'s for every thread count: the
    /// engine runs the same calls, and each value depends only on its point.
    /// Seeded rounds (MeZO's memory-light mode, block-coordinate steps) are
    /// materialised first, so this driver needs rows × d values for them where
    /// `minimize` needs none. A step's rounds are evaluated one after another, so
    /// the speed-up is bounded by the size of its rounds (2q points for central
    /// differences, one point per line-search trial). Run it inside
    /// `rayon::ThreadPool::install` to choose the number of threads.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let f = |x: ArrayView1<f64>| x.dot(&x);
    /// let mut opt = Optimizer::builder(TwoPoint::spsa().directions(8).mu(1e-6))
    ///     .learning_rate(0.2)
    ///     .max_evaluations(800)
    ///     .build()?;
    /// let x0 = Array1::from_elem(5, 1.0);
    /// let parallel = opt.minimize_parallel(&f, &x0)?;
    /// let sequential = opt.minimize(&mut |x: ArrayView1<f64>| f(x), &x0)?;
    /// assert_eq!(parallel.last_x, sequential.last_x);
    /// assert_eq!(parallel.evaluations, sequential.evaluations);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn minimize_parallel<'x, O: SyncObjective<F> + ?Sized>(
        &mut self,
        objective: &O,
        x0: impl Into<ArrayView1<'x, F>>,
    ) -> Result<Report<F>> {
        let mut run = Run::new(self, x0.into(), false, None)?;
        let mut evaluate = |round: &Round<F>, out: &mut [F]| eval_rows(objective, round.points(), out);
        while run.step_materialized(None::<&mut NoSample>, &mut evaluate)? {}
        Ok(run.finish())
    }
}
