//! Stochastic objectives: minibatches and noise samples that both points of a
//! difference must share.
//!
//! A two-point difference (f(x+μu) − f(x−μu))/(2μ) estimates a directional
//! derivative only if both values come from the *same* function: the same
//! minibatch, the same noise draw (common random numbers). Drawing a new batch
//! per query adds the batch-to-batch difference of f, divided by 2μ, to every
//! estimate — a variance of order Var(f)/μ² that swamps the signal.
//!
//! zoptim supports two patterns; both keep every query of one step on one sample:
//!
//! 1. **A closure per step** with [`Optimizer::step`](crate::Optimizer::step):
//!    draw the batch yourself, build a closure over it, take one step. Every
//!    query of that step sees that closure.
//!
//!    ```
//!    use ndarray::{Array1, ArrayView1};
//!    use zoptim::prelude::*;
//!
//!    let data: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
//!    let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.05).seed(3).build()?;
//!    let mut x = Array1::from_elem(1, 5.0);
//!    let mut idx = zoptim::stochastic::BatchIndices::new(data.len(), 10)?;
//!    let mut rng = zoptim::ZoRng::seed_from_u64(9);
//!    for _ in 0..200 {
//!        let batch = idx.draw(&mut rng);
//!        // f_B(x) = mean over the batch of (x − a)²; minimised at the data mean 0.495.
//!        let mut f = |x: ArrayView1<f64>| batch.iter().map(|&i| (x[0] - data[i]).powi(2)).sum::<f64>() / 10.0;
//!        opt.step(&mut x, &mut f)?;
//!    }
//!    assert!((x[0] - 0.495).abs() < 0.1, "{}", x[0]);
//!    # Ok::<(), zoptim::Error>(())
//!    ```
//!
//! 2. **[`Optimizer::minimize_stochastic`](crate::Optimizer::minimize_stochastic)**
//!    with a [`StochasticObjective`]: the optimizer calls
//!    [`resample`](StochasticObjective::resample) with its own [`ZoRng`] before each
//!    step (so the whole run, batches included, is reproducible from the seed),
//!    then evaluates every query of the step on that sample.

use crate::error::{Error, Result, check_count};
use crate::objective::Objective;
use crate::real::Real;
use crate::rng::ZoRng;
use crate::run::ComponentState;
use ndarray::ArrayView1;

/// An objective f(x; ξ) whose sample ξ (a minibatch, a noise seed) is redrawn
/// once per step.
///
/// [`Objective::eval`] (and `eval_batch`) evaluate f on the *current* sample;
/// [`resample`](StochasticObjective::resample) draws the next one from the
/// optimizer's generator. Keep the sample's buffers in `self` and reuse them, so
/// that a step allocates nothing.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
/// use zoptim::stochastic::BatchIndices;
/// use zoptim::ZoRng;
///
/// // Least squares on 200 points, 20 per minibatch; the full loss is the report's.
/// struct Mean { data: Vec<f64>, idx: BatchIndices }
/// impl Objective<f64> for Mean {
///     fn eval(&mut self, x: ArrayView1<f64>) -> f64 {
///         let b = self.idx.current();
///         b.iter().map(|&i| (x[0] - self.data[i]).powi(2)).sum::<f64>() / b.len() as f64
///     }
/// }
/// impl StochasticObjective<f64> for Mean {
///     fn resample(&mut self, rng: &mut ZoRng) { self.idx.draw(rng); }
///     fn full_value(&mut self, x: ArrayView1<f64>) -> Option<f64> {
///         Some(self.data.iter().map(|a| (x[0] - a).powi(2)).sum::<f64>() / self.data.len() as f64)
///     }
/// }
/// let data: Vec<f64> = (0..200).map(|i| (i % 10) as f64).collect(); // mean 4.5, variance 8.25
/// let mut problem = Mean { idx: BatchIndices::new(data.len(), 20)?, data };
/// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(InverseSqrt(0.2)).max_iterations(400).seed(5).build()?;
/// let report = opt.minimize_stochastic(&mut problem, &Array1::zeros(1))?;
/// assert!((report.last_x[0] - 4.5).abs() < 0.5, "{}", report.last_x[0]);
/// assert!(report.last_f.unwrap() < 8.25 + 0.25);
/// # Ok::<(), zoptim::Error>(())
/// ```
pub trait StochasticObjective<F: Real>: Objective<F> {
    /// Draws the sample for the next step.
    ///
    /// ```
    /// use zoptim::stochastic::BatchIndices;
    /// use zoptim::ZoRng;
    ///
    /// // A typical resample: draw the next batch of indices from the optimizer's generator.
    /// let mut idx = BatchIndices::new(100, 8)?;
    /// let mut rng = ZoRng::seed_from_u64(0);
    /// let first = idx.draw(&mut rng).to_vec();
    /// assert_ne!(idx.draw(&mut rng), &first[..]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn resample(&mut self, rng: &mut ZoRng);

    /// The full (or validation) objective F(x) = E_ξ f(x; ξ), when it can be
    /// computed; used for the report of
    /// [`minimize_stochastic`](crate::Optimizer::minimize_stochastic) and not
    /// counted in the evaluation budget. Default: `None`.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    /// use zoptim::ZoRng;
    ///
    /// // Without full_value, the report's last_f is f on one fresh sample (counted).
    /// struct Noisy { c: f64 }
    /// impl Objective<f64> for Noisy {
    ///     fn eval(&mut self, x: ArrayView1<f64>) -> f64 { (x[0] - self.c).powi(2) }
    /// }
    /// impl StochasticObjective<f64> for Noisy {
    ///     fn resample(&mut self, rng: &mut ZoRng) { self.c = rng.uniform(); }
    /// }
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(5).build()?;
    /// let r = opt.minimize_stochastic(&mut Noisy { c: 0.0 }, &Array1::zeros(1))?;
    /// assert_eq!(r.evaluations, 5 * 2 + 1);
    /// assert!(r.last_f.is_some());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn full_value(&mut self, x: ArrayView1<'_, F>) -> Option<F> {
        let _ = x;
        None
    }
}

/// Draws minibatches of `batch` distinct indices out of `0..n`, uniformly, in
/// O(batch) time per draw and without allocating: a partial Fisher–Yates shuffle
/// of a persistent permutation (n indices of memory).
///
/// ```
/// use zoptim::stochastic::BatchIndices;
/// use zoptim::ZoRng;
///
/// let mut idx = BatchIndices::new(10, 4)?;
/// let mut rng = ZoRng::seed_from_u64(1);
/// let batch = idx.draw(&mut rng).to_vec();
/// assert_eq!(batch.len(), 4);
/// assert!(batch.iter().all(|&i| i < 10));
/// let mut sorted = batch.clone();
/// sorted.sort();
/// sorted.dedup();
/// assert_eq!(sorted.len(), 4); // distinct
/// assert_eq!(idx.current(), &batch[..]);
/// // Same seed, same batches.
/// assert_eq!(BatchIndices::new(10, 4)?.draw(&mut ZoRng::seed_from_u64(1)), &batch[..]);
/// assert!(BatchIndices::new(3, 4).is_err());
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct BatchIndices {
    perm: Vec<usize>,
    batch: usize,
}

impl BatchIndices {
    /// Batches of `batch` indices out of `0..n` (1 ≤ batch ≤ n).
    ///
    /// ```
    /// use zoptim::stochastic::BatchIndices;
    ///
    /// assert!(BatchIndices::new(10, 10).is_ok());
    /// assert!(BatchIndices::new(10, 0).is_err());
    /// assert!(BatchIndices::new(10, 11).is_err());
    /// ```
    pub fn new(n: usize, batch: usize) -> Result<Self> {
        check_count("batch", batch)?;
        if batch > n {
            return Err(Error::InvalidParameter {
                name: "batch",
                value: batch.to_string(),
                requirement: "at most the number of samples n",
            });
        }
        Ok(BatchIndices {
            perm: (0..n).collect(),
            batch,
        })
    }

    /// The batch size.
    ///
    /// ```
    /// use zoptim::stochastic::BatchIndices;
    ///
    /// assert_eq!(BatchIndices::new(50, 5)?.batch(), 5);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Draws the next batch: `batch` distinct indices, every subset equally likely.
    ///
    /// ```
    /// use zoptim::stochastic::BatchIndices;
    /// use zoptim::ZoRng;
    ///
    /// // Over many draws every index is chosen about batch/n of the time.
    /// let mut idx = BatchIndices::new(4, 2)?;
    /// let mut rng = ZoRng::seed_from_u64(7);
    /// let mut counts = [0usize; 4];
    /// for _ in 0..4_000 {
    ///     for &i in idx.draw(&mut rng) { counts[i] += 1; }
    /// }
    /// assert!(counts.iter().all(|&c| (1_800..2_200).contains(&c)), "{counts:?}");
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn draw(&mut self, rng: &mut ZoRng) -> &[usize] {
        let n = self.perm.len();
        for i in 0..self.batch {
            let j = i + rng.below(n - i);
            self.perm.swap(i, j);
        }
        &self.perm[..self.batch]
    }

    /// The last batch drawn (the first `batch` indices of `0..n` before any draw).
    ///
    /// ```
    /// use zoptim::stochastic::BatchIndices;
    ///
    /// assert_eq!(BatchIndices::new(50, 3)?.current(), &[0, 1, 2]); // before any draw
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn current(&self) -> &[usize] {
        &self.perm[..self.batch]
    }

    /// The sampler's state (its permutation), to keep next to a
    /// [`Checkpoint`](crate::Checkpoint): the next draws depend on it.
    ///
    /// ```
    /// use zoptim::{BatchIndices, ZoRng};
    ///
    /// let mut rng = ZoRng::seed_from_u64(1);
    /// let mut a = BatchIndices::new(10, 3)?;
    /// a.draw(&mut rng);
    /// let saved = a.save_state();
    ///
    /// let mut b = BatchIndices::new(10, 3)?;
    /// b.load_state(&saved)?;
    /// let mut rng_b = rng.clone();
    /// assert_eq!(a.draw(&mut rng), b.draw(&mut rng_b));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn save_state(&self) -> ComponentState {
        let mut s = ComponentState::new("batch indices");
        s.param("n", self.perm.len())
            .param("batch", self.batch)
            .put_counts("perm", self.perm.iter().map(|&i| i as u64));
        s
    }

    /// Restores a state from [`save_state`](BatchIndices::save_state):
    /// [`Error::CheckpointMismatch`] for another `n` or batch size,
    /// [`Error::CheckpointCorrupt`] when the permutation is damaged.
    ///
    /// ```
    /// use zoptim::{BatchIndices, ZoRng};
    ///
    /// let saved = BatchIndices::new(10, 3)?.save_state();
    /// assert!(BatchIndices::new(10, 3)?.load_state(&saved).is_ok());
    /// assert!(BatchIndices::new(12, 3)?.load_state(&saved).is_err()); // another n
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        state.check_fits(&self.save_state(), "the batch sampler")?;
        let n = self.perm.len();
        state.read_permutation("perm", n, &mut self.perm)
    }
}
