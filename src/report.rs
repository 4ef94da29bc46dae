//! What a run returns: per-step records, the stop reason and the final report.

use crate::error::Error;
use ndarray::{Array1, ArrayView1};

/// What happened in one step.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// let mut opt = Optimizer::builder(TwoPoint::forward(Direction::Gaussian).directions(3)).max_iterations(2).history(true).build()?;
/// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
/// let h = report.history.as_ref().unwrap();
/// // Step 0 knows f(x0) from the start: 3 queries; step 1 re-evaluates f(x): 4.
/// assert_eq!((h[0].iteration, h[0].queries), (0, 3));
/// assert_eq!(h[1].queries, 4);
/// assert_eq!(h[1].evaluations, 1 + 3 + 4);
/// assert_eq!(h[0].fx, Some(2.0));
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct StepRecord<F> {
    /// 0-based index of the step.
    pub iteration: usize,
    /// Evaluations made by the optimizer so far, this step included.
    pub evaluations: usize,
    /// Queries this step made (estimator and update rule).
    pub queries: usize,
    /// f at the iterate before the step, when it was evaluated or known.
    pub fx: Option<F>,
    /// The smallest value the step's queries returned.
    pub min_value: Option<F>,
    /// f at the new iterate, when the update rule evaluated it.
    pub fx_new: Option<F>,
    /// The learning rate used.
    pub lr: F,
    /// Earlier queries the estimator reused (ReLIZO).
    pub reused: usize,
    /// Numerical rank of the estimator's linear system, where it has one.
    pub rank: Option<usize>,
    /// Trial points the update rule evaluated (line search, conservative step).
    pub trials: usize,
    /// True when the step made no query and left x exactly as it was (every
    /// sample reused and a zero step, for example): the next steps would repeat it.
    pub stalled: bool,
    /// True when this step tripped the divergence test (see
    /// [`StopReason::Diverged`]); the run stops after it.
    pub diverged: bool,
}

/// Why `minimize` stopped.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// let x0 = Array1::ones(2);
/// let mut stop = |b: zoptim::OptimizerBuilder<f64, TwoPoint<f64>, Sgd>| -> zoptim::Result<StopReason> {
///     Ok(b.learning_rate(0.1).build()?.minimize(&mut f, &x0)?.stop)
/// };
/// assert_eq!(stop(Optimizer::builder(TwoPoint::spsa()).max_iterations(5))?, StopReason::MaxIterations);
/// assert_eq!(stop(Optimizer::builder(TwoPoint::spsa()).max_evaluations(11))?, StopReason::MaxEvaluations);
/// assert_eq!(stop(Optimizer::builder(TwoPoint::spsa()).max_iterations(1_000).target(1e-3))?, StopReason::TargetReached);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum StopReason {
    /// The next step could have exceeded the evaluation budget.
    MaxEvaluations,
    /// The iteration limit was reached.
    MaxIterations,
    /// An evaluated value reached the target.
    TargetReached,
    /// The best value improved too little over the stagnation window.
    Stagnation,
    /// An observer asked to stop.
    Observer,
    /// A step failed; x is the last iterate before the failed step.
    Failed(Error),
    /// A step made no evaluation and left x unchanged, so every later step would
    /// repeat it (for example ReLIZO reusing all its samples on a plateau, where
    /// the estimate and the step are zero).
    Stalled,
    /// The caller ended an ask/tell run ([`Run::finish`](crate::Run::finish))
    /// before a stop criterion held.
    Interrupted,
    /// The run diverged: x became non-finite, or f grew far above the best
    /// value seen. With f_k the smallest value step k evaluated (its queries and,
    /// when known, f at its new iterate), f_best the smallest value evaluated
    /// before it and f_ref the run's first value (f(x0)), step k diverged when
    ///
    /// f_k − f_best > K · max(|f_best|, f_ref − f_best, tiny), K = [`DIVERGENCE_FACTOR`] = 100,
    ///
    /// and tiny is the smallest positive normal number of the float type.
    ///
    /// Why this rule: the scale max(|f_best|, f_ref − f_best) is the size of f
    /// the run has seen, measured in f's own units, so the test is invariant
    /// to rescaling f (f → c·f, c > 0) and to f ≤ 0 values; the term
    /// f_ref − f_best keeps it meaningful when the best value is near 0 (where
    /// a ratio to |f_best| alone would fire on noise), and the term |f_best|
    /// when the run has made little progress. Normal runs, noisy ones
    /// included, never come near 100 times that scale (a noise of standard
    /// deviation σ moves f_k − f_best by a few σ, while the scale is the larger
    /// of |f_best| and the progress made), and a run that is merely slow stays
    /// below f(x0); a run blowing up crosses it within a few steps. K = 100 was
    /// chosen on the benchmark suite (BENCHMARKS.md): with K = 10⁴, 19 of its
    /// 738 grid runs ended more than 100× above f(x0) unflagged; with K = 100,
    /// none. Using the smallest value of the step (not f at a single query)
    /// means a step is flagged only when *every* point it evaluated is far
    /// above the best. A run that starts exactly at a minimum with f(x0) = 0
    /// has scale `tiny` and is flagged by any increase.
    Diverged {
        /// The iteration (0-based) of the step that diverged.
        iteration: usize,
        /// f_k above (NaN when x became non-finite).
        #[cfg_attr(feature = "serde", serde(with = "crate::run::checkpoint::lossless"))]
        value: f64,
        /// f_best above.
        #[cfg_attr(feature = "serde", serde(with = "crate::run::checkpoint::lossless"))]
        best: f64,
    },
}

/// K in the divergence test of [`StopReason::Diverged`].
///
/// ```
/// assert_eq!(zoptim::report::DIVERGENCE_FACTOR, 100.0);
/// ```
pub const DIVERGENCE_FACTOR: f64 = 100.0;

/// The result of [`Optimizer::minimize`](crate::Optimizer::minimize).
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// let mut calls = 0;
/// let mut f = |x: ArrayView1<f64>| { calls += 1; x.dot(&x) };
/// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.1).max_evaluations(101).build()?;
/// let report = opt.minimize(&mut f, &Array1::ones(3))?;
/// assert_eq!(report.evaluations, calls); // exact accounting
/// assert!(report.evaluations <= 101);
/// assert_eq!(report.iterations, 49); // f(x0), 49 steps of 2, the final f
/// assert!(report.best_f <= report.last_f.unwrap());
/// assert!(report.history.is_none()); // not requested
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Report<F> {
    /// The point with the smallest evaluated value: any query point of the run
    /// (an iterate or a perturbed point), so `best_f` is a real function value.
    pub best_x: Array1<F>,
    /// f(`best_x`).
    pub best_f: F,
    /// The last iterate.
    pub last_x: Array1<F>,
    /// f(`last_x`): evaluated at the end of the run (counted in the budget) unless
    /// already known. `None` only when the run ended in [`StopReason::Failed`] and
    /// it was not known.
    pub last_f: Option<F>,
    /// Evaluations of the objective, exactly the number of calls it received.
    pub evaluations: usize,
    /// Steps taken.
    pub iterations: usize,
    /// Why the run stopped.
    pub stop: StopReason,
    /// One record per step, when history was requested.
    pub history: Option<Vec<StepRecord<F>>>,
    /// The point the report recommends: [`Report::x`].
    pub recommendation: Recommendation<F>,
}

/// Which point a [`Report`] recommends as the result of the run.
///
/// On a deterministic objective the best evaluated point is the answer. Under
/// noise it is not: the smallest of many noisy values is biased low and its
/// point is where the noise was lucky, not where f is small, so
/// `zoptim::minimize` can recommend the average of recent
/// iterates when its noise probe finds noise.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::{Real, ZoRng, report::Recommendation};
///
/// let mut noise = ZoRng::seed_from_u64(1);
/// let mut f = |x: ArrayView1<f64>| x.dot(&x) + 1e-3 * zoptim::random::standard_normal::<f64>(&mut noise);
/// let report = zoptim::minimize(&mut f, &Array1::from_elem(3, 1.0), 2_000)?;
/// assert!(matches!(report.recommendation, Recommendation::Average { .. }));
/// assert!(report.x().dot(&report.x()) < 1e-2);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Recommendation<F> {
    /// `best_x`, the point with the smallest evaluated value (the default).
    Best,
    /// `last_x`, the last iterate.
    Last,
    /// The mean of the last `iterates` iterates.
    Average {
        /// The mean point.
        x: Array1<F>,
        /// How many iterates it averages.
        iterates: usize,
    },
}

impl<F> Report<F> {
    /// The recommended point (see [`Recommendation`]).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.1).max_evaluations(200).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(2, 1.0))?;
    /// assert_eq!(report.recommendation, zoptim::report::Recommendation::Best);
    /// assert_eq!(report.x(), report.best_x.view());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn x(&self) -> ArrayView1<'_, F> {
        match &self.recommendation {
            Recommendation::Best => self.best_x.view(),
            Recommendation::Last => self.last_x.view(),
            Recommendation::Average { x, .. } => x.view(),
        }
    }
}

impl<F> Report<F> {
    /// The report when the run ended normally; the error when it failed
    /// ([`StopReason::Failed`]) or diverged ([`StopReason::Diverged`], as
    /// [`Error::Diverged`]), so that a failed run surfaces through `?`.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// // A learning rate far too large for this quadratic: SGD blows up.
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(10.0).max_evaluations(400).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(4, 1.0))?;
    /// assert!(matches!(report.stop, StopReason::Diverged { .. }));
    /// assert!(matches!(report.into_result(), Err(zoptim::Error::Diverged { .. })));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn into_result(self) -> Result<Self, Error> {
        match self.stop {
            StopReason::Failed(e) => Err(e),
            StopReason::Diverged { iteration, value, best } => Err(Error::Diverged { iteration, value, best }),
            _ => Ok(self),
        }
    }
}
