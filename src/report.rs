//! What a run returns: per-step records, the stop reason and the final report.

use crate::error::Error;
use ndarray::Array1;

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
}

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
}
