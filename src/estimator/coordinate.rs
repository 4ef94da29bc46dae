//! Coordinate-wise finite differences (DeepZero's CGE).

use super::{Difference, Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::error::{Error, Query, Result, check_count, check_positive};
use crate::real::Real;
use crate::run::ComponentState;
use crate::run::{Flow, Round};

/// The coordinate-wise gradient estimator (CGE; Chen et al., DeepZero, ICLR 2024).
///
/// Named after the method, like [`Dap`](crate::Dap) and [`Relizo`](crate::Relizo),
/// so that it does not read like the coordinate direction sampler
/// [`Direction::Coordinate`](crate::Direction::Coordinate) or the block estimator
/// [`BlockCoordinate`](crate::BlockCoordinate).
///
/// For each chosen coordinate i, with eᵢ the i-th unit vector:
/// - forward: gᵢ = (f(x + hᵢ·eᵢ) − f(x))/hᵢ — **k + 1 queries** (k when f(x) is known);
/// - central: gᵢ = (f(x + hᵢ·eᵢ) − f(x − hᵢ′·eᵢ))/(hᵢ + hᵢ′) — **2k queries**;
///
/// over all d coordinates (k = d, no randomness, no sampling variance) or a
/// uniformly random subset of k per step ([`Cge::subset`]; a partial
/// Fisher–Yates shuffle, O(k) per step). Coordinates outside the subset get 0,
/// so E\[g\] = (k/d)·∇f; [`Cge::unbiased`] scales by d/k to make E\[g\] = ∇f.
///
/// **Deviation (numerical, documented):** hᵢ is the step actually represented in
/// floating point, (xᵢ + μ) − xᵢ, not μ itself; this removes the rounding of
/// xᵢ + μ from the quotient. The reference divides by μ.
///
/// **Rounds.** All 2k (or k + 1) query points are independent, so a step is one
/// round of 2k (k + 1) points when they fit in 2²² values (32 MiB in f64),
/// otherwise consecutive rounds of at most max(1, 2²²/d) points;
/// [`Cge::batch`] sets another cap. Each row is a copy of x with one
/// coordinate changed. Memory: rows per round × d values, and d indices.
/// Default μ = 5e-3 (DeepZero's).
///
/// ```
/// use ndarray::{ArrayView1, array};
/// use zoptim::estimator::{Estimate, GradientEstimator, estimate_once};
/// use zoptim::{Cge, ZoRng};
///
/// // Central coordinate differences are exact on a quadratic (up to rounding).
/// let mut est = Cge::central().mu(1e-3);
/// est.prepare(3)?;
/// let mut f = |x: ArrayView1<f64>| x.dot(&x) + x[0];
/// let (mut x, mut g) = ([1.0, -2.0, 0.5], Estimate::new());
/// let info = estimate_once(&mut est, &mut f, &mut x, &mut ZoRng::seed_from_u64(0), &mut g)?;
/// assert_eq!(info.queries, 6);
/// let want = array![3.0, -4.0, 1.0];
/// assert!(g.to_vec().iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-8), "{:?}", g.to_vec());
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Cge<F> {
    difference: Difference,
    mu: f64,
    subset: Option<usize>,
    unbiased: bool,
    batch: Option<usize>,
    perm: Vec<usize>,
    /// The swaps of this step's partial shuffle, undone by `rollback`.
    swaps: Vec<usize>,
    /// The values of this step's queries, in item order.
    grad: Vec<F>,
    /// f(x) for forward differences, once known.
    fx: Option<F>,
}

impl<F: Real> Cge<F> {
    /// Coordinate-wise differences of the given kind, over all coordinates.
    ///
    /// ```
    /// use zoptim::estimator::GradientEstimator;
    /// use zoptim::{Cge, Difference};
    ///
    /// assert_eq!(Cge::<f64>::new(Difference::Central).max_queries(10), 20);
    /// assert_eq!(Cge::<f64>::new(Difference::Forward).max_queries(10), 11);
    /// ```
    #[must_use]
    pub fn new(difference: Difference) -> Self {
        Cge {
            difference,
            mu: 5e-3,
            subset: None,
            unbiased: false,
            batch: None,
            perm: Vec::new(),
            swaps: Vec::new(),
            grad: Vec::new(),
            fx: None,
        }
    }

    /// Central coordinate differences.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// // A deterministic estimator: one exact-gradient step of η = ½ solves x·x.
    /// let mut opt = Optimizer::builder(Cge::central()).learning_rate(0.5).max_iterations(1).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(4))?;
    /// assert!(report.last_f.unwrap() < 1e-12);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn central() -> Self {
        Self::new(Difference::Central)
    }

    /// Forward coordinate differences.
    ///
    /// ```
    /// use zoptim::estimator::GradientEstimator;
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(GradientEstimator::<f64>::name(&Cge::forward()), "coordinate forward");
    /// ```
    #[must_use]
    pub fn forward() -> Self {
        Self::new(Difference::Forward)
    }

    /// Sets μ > 0.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert!(Optimizer::<f64>::builder(Cge::central().mu(0.0)).build().is_err());
    /// assert_eq!(Cge::<f64>::central().mu(1e-4).get_mu(), 1e-4);
    /// ```
    #[must_use]
    pub fn mu(mut self, mu: f64) -> Self {
        self.mu = mu;
        self
    }

    /// μ, set by [`mu`](Cge::mu) (an optimizer's μ schedule, when set, replaces
    /// it step by step).
    ///
    /// ```
    /// use zoptim::Cge;
    ///
    /// assert_eq!(Cge::<f64>::central().get_mu(), 5e-3); // DeepZero's default
    /// ```
    pub fn get_mu(&self) -> f64 {
        self.mu
    }

    /// Estimates only a uniformly random subset of `k` coordinates per step (1 ≤ k ≤ d).
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::{Estimate, GradientEstimator, estimate_once};
    /// use zoptim::{Cge, ZoRng};
    ///
    /// // k = 2 of 5 coordinates per step: 4 queries, 3 coordinates of g are 0.
    /// let mut est = Cge::central().subset(2);
    /// est.prepare(5)?;
    /// let (mut x, mut g) = ([1.0; 5], Estimate::new());
    /// let info = estimate_once(&mut est, &mut |x: ArrayView1<f64>| x.sum(), &mut x, &mut ZoRng::seed_from_u64(3), &mut g)?;
    /// assert_eq!(info.queries, 4);
    /// assert_eq!(g.to_vec().iter().filter(|&&v| v == 0.0).count(), 3);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn subset(mut self, k: usize) -> Self {
        self.subset = Some(k);
        self
    }

    /// With a subset, scale by d/k so that E\[g\] = ∇f (default: off, true partials).
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::{Estimate, GradientEstimator, estimate_once};
    /// use zoptim::{Cge, ZoRng};
    ///
    /// // f = Σx has ∂f = 1; with k = 1 of d = 4 the unbiased estimate is 4 on the chosen coordinate.
    /// let mut est = Cge::central().subset(1).unbiased(true);
    /// est.prepare(4)?;
    /// let (mut x, mut g) = ([0.0; 4], Estimate::new());
    /// estimate_once(&mut est, &mut |x: ArrayView1<f64>| x.sum(), &mut x, &mut ZoRng::seed_from_u64(0), &mut g)?;
    /// let g = g.to_vec();
    /// assert!((g.iter().sum::<f64>() - 4.0).abs() < 1e-9, "{g:?}");
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn unbiased(mut self, on: bool) -> Self {
        self.unbiased = on;
        self
    }

    /// The most query points per round (≥ 1; default: all of them when they fit
    /// in 2²² values, see the rounds above). Lower it to bound memory: a round
    /// holds rows × d values.
    ///
    /// ```
    /// use ndarray::Array1;
    /// use zoptim::prelude::*;
    ///
    /// // At most 4 rows per round: a central step over d = 6 is 3 rounds of 4 points.
    /// let mut batches = Vec::new();
    /// let mut opt = Optimizer::builder(Cge::central().batch(4)).max_iterations(1).build()?;
    /// let mut run = opt.start(&Array1::ones(6))?;
    /// while let Some(batch) = run.ask()? {
    ///     batches.push(batch.points().nrows());
    ///     let values: Vec<f64> = batch.points().rows().into_iter().map(|r| r.dot(&r)).collect();
    ///     run.tell(&values)?;
    /// }
    /// assert_eq!(batches, [1, 4, 4, 4, 1]); // f(x0), the step's 12 points, the final f
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn batch(mut self, rows: usize) -> Self {
        self.batch = Some(rows);
        self
    }

    fn k(&self, dim: usize) -> usize {
        self.subset.unwrap_or(dim).min(dim)
    }
}

impl<F: Real> GradientEstimator<F> for Cge<F> {
    fn name(&self) -> &'static str {
        match self.difference {
            Difference::Central => "coordinate central",
            Difference::Forward => "coordinate forward",
        }
    }

    fn validate(&self) -> Result<()> {
        check_positive("mu", self.mu)?;
        if let Some(b) = self.batch {
            check_count("batch", b)?;
        }
        if let Some(k) = self.subset {
            check_count("subset", k)?;
        }
        Ok(())
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        if let Some(k) = self.subset
            && k > dim
        {
            return Err(Error::InvalidParameter {
                name: "subset",
                value: k.to_string(),
                requirement: "at most the dimension d",
            });
        }
        self.perm = (0..dim).collect();
        self.swaps.clear();
        self.swaps.reserve(self.k(dim));
        self.grad.clear();
        self.grad.reserve(self.difference.queries(self.k(dim)));
        Ok(())
    }

    fn max_queries(&self, dim: usize) -> usize {
        self.difference.queries(self.k(dim))
    }

    fn estimate(
        &mut self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
    ) -> Result<Flow<EstimateInfo<F>>> {
        let d = x.len();
        if self.perm.len() != d {
            return Err(Error::DimensionMismatch {
                what: "parameter vector (the estimator was prepared for another dimension)",
                expected: self.perm.len(),
                found: d,
            });
        }
        let k = self.k(d);
        let mu = ctx.smoothing_or(self.mu);
        let central = self.difference == Difference::Central;
        let per_coord = if central { 2 } else { 1 };
        let total = per_coord * k;
        match ctx.answered() {
            None => {
                // Choose the coordinates: a partial Fisher–Yates shuffle of the
                // persistent permutation gives a uniform k-subset in perm[..k].
                self.swaps.clear();
                if k < d {
                    for i in 0..k {
                        let j = i + ctx.rng().below(d - i);
                        self.perm.swap(i, j);
                        self.swaps.push(j);
                    }
                }
                self.grad.clear();
                self.fx = ctx.fx();
                if !central && self.fx.is_none() {
                    round.push_copy(Query::Center, x);
                }
            }
            Some(answered) => {
                let mut v = answered.values();
                if !central && self.fx.is_none() {
                    self.fx = v.first().copied();
                    v = &v[1..];
                }
                self.grad.extend_from_slice(v);
            }
        }
        let done = self.grad.len();
        if done < total {
            let cap = self.batch.unwrap_or_else(|| (DEFAULT_ROUND_VALUES / d.max(1)).max(1));
            let n = cap.min(total - done);
            for item in done..done + n {
                let i = self.perm[item / per_coord];
                let minus = central && item % 2 == 1;
                let row = round.push(if minus { Query::Minus(i) } else { Query::Plus(i) });
                row.copy_from_slice(x);
                row[i] = if minus { x[i] - mu } else { x[i] + mu };
            }
            return Ok(Flow::Query);
        }
        let fx = if central { None } else { self.fx };
        let scale = if self.unbiased && k < d {
            F::of_f64(d as f64 / k as f64)
        } else {
            F::one()
        };
        let g = out.dense_mut(d, 0..d);
        for (c, &i) in self.perm[..k].iter().enumerate() {
            let xi = x[i];
            let h_plus = (xi + mu) - xi;
            g[i] = scale
                * match fx {
                    Some(f0) => (self.grad[c] - f0) / h_plus,
                    None => {
                        let h_minus = xi - (xi - mu);
                        (self.grad[2 * c] - self.grad[2 * c + 1]) / (h_plus + h_minus)
                    }
                };
        }
        Ok(Flow::Done(EstimateInfo::new(ctx.queries(), fx)))
    }

    fn commit(&mut self) {
        self.swaps.clear();
    }

    fn rollback(&mut self) {
        // Undo this step's shuffle, last swap first.
        for (i, &j) in self.swaps.iter().enumerate().rev() {
            self.perm.swap(i, j);
        }
        self.swaps.clear();
    }

    /// Parameters, and the coordinate order the subset sampler shuffles in place.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state
            .param("difference", self.difference)
            .param("mu", self.mu)
            .param("subset", self.subset)
            .param("unbiased", self.unbiased)
            .param("batch", self.batch)
            .put_counts("perm", self.perm.iter().map(|&i| i as u64));
        Ok(())
    }

    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        let d = self.perm.len();
        state.read_permutation("perm", d, &mut self.perm)?;
        self.swaps.clear();
        Ok(())
    }
}

/// Values per round when [`Cge::batch`] is not set: 2²² (32 MiB in f64).
const DEFAULT_ROUND_VALUES: usize = 1 << 22;
