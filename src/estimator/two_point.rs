//! Two-point random-direction estimators: ZO-SGD's RGE, SPSA, MeZO.

use super::difference::{self, Difference, Smoothed, Smoothing};
use super::{Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::error::{Query, Result};
use crate::random::direction::{Direction, SeededDirection};
use crate::real::Real;
use crate::run::ComponentState;
use crate::run::{Flow, Perturb, Round};

/// Where a two-point estimator keeps its directions.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// // The same seed draws the same directions in both modes; the seeded mode keeps
/// // only their seeds and agrees with the buffered one to rounding.
/// let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// let mut run = |storage: Storage| -> zoptim::Result<f64> {
///     let mut opt = Optimizer::builder(TwoPoint::central(Direction::Gaussian).storage(storage))
///         .learning_rate(0.01)
///         .max_iterations(200)
///         .seed(1)
///         .build()?;
///     Ok(opt.minimize(&mut f, &Array1::ones(50))?.best_f)
/// };
/// let (buffered, seeded) = (run(Storage::Buffered)?, run(Storage::Seeded)?);
/// assert!((buffered - seeded).abs() <= 1e-9 * buffered, "{buffered} vs {seeded}");
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Storage {
    /// The query points are written into the step's round (a (2q or q)×d
    /// buffer), which the sequential driver hands to
    /// [`Objective::eval_batch`](crate::Objective::eval_batch) in one call; x is
    /// never touched. Each direction is generated once, chunk by chunk, straight
    /// into the points; Gaussian and sphere directions are also kept (q×d), since
    /// replaying them for the update would cost more than reading them back,
    /// while Rademacher and coordinate directions are replayed from their seed.
    /// The fastest mode; costs (2q or q)·d, plus q·d for stored directions.
    #[default]
    Buffered,
    /// MeZO's memory-light mode (Malladi et al., NeurIPS 2023): only a `u64` seed
    /// per direction is kept. The round's points are seeded rows
    /// ([`Perturb::Walk`](crate::run::Perturb::Walk)): the sequential drivers
    /// ([`Optimizer::minimize`](crate::Optimizer::minimize),
    /// [`Optimizer::step`](crate::Optimizer::step)) perturb x *in place* —
    /// x += μu, query, x −= 2μu, query, x += μu — and u is replayed from its seed
    /// for the update; with plain SGD a step stores nothing proportional to d
    /// beyond x itself. The parallel and ask/tell drivers materialise the same
    /// points with the same operations (2q·d values), so every driver gives the
    /// same bits.
    ///
    /// **The move back joins the update.** With [`Sgd`](crate::Sgd) (no weight
    /// decay) the last direction's move back and its update term are one pass,
    /// x ← x + fl(μ − η·c_q)·u_q, then x ← x + fl(−η·c_j)·u_j for the other
    /// directions in order; so a central step with q = 1 regenerates u three
    /// times, not four (MeZO's reference code restores x, then updates it: four
    /// passes). The folded pass rounds once where the reference rounds twice,
    /// so its bits differ from the reference's by about an ulp of |xᵢ| + μ|uᵢ|
    /// per step; the folded pass is what every driver computes. Every other
    /// rule sees x after the move back.
    ///
    /// **Rounding drift.** Perturbing and restoring in place is not exact in
    /// floating point: after a step's restore each coordinate can differ from its
    /// entry value by up to about 2 units in the last place of |xᵢ| + 2μ|uᵢ|
    /// (each of the three in-place additions rounds once) — an absolute bound,
    /// which for |xᵢ| much smaller than μ|uᵢ| is many ulps of xᵢ itself. This
    /// holds also when a step fails.
    /// The drift is of the same order as the rounding of the update itself and has
    /// no measurable effect on convergence, but a run in this mode is not
    /// bit-identical to a [`Storage::Buffered`] run with the same seed (they draw
    /// the same directions and agree to rounding).
    Seeded,
}

/// The two-point random-direction gradient estimator (RGE).
///
/// With q directions u₁…u_q drawn from a [`Direction`] (all with E\[uuᵀ\] = I) and
/// smoothing μ:
///
/// - forward: g = (1/q) Σⱼ (f(x+μuⱼ) − f(x))/μ · uⱼ — **q + 1 queries** (q when
///   f(x) is already known);
/// - central: g = (1/q) Σⱼ (f(x+μuⱼ) − f(x−μuⱼ))/(2μ) · uⱼ — **2q queries**.
///
/// As μ → 0, E\[g\] = ∇f and E‖g‖² = ((d+2)/q + (q−1)/q)·‖∇f‖² for Gaussian
/// directions, (d/q + (q−1)/q)·‖∇f‖² for Rademacher, sphere and coordinate ones.
///
/// Named configurations: [`TwoPoint::spsa`] (Spall 1992: central, Rademacher),
/// [`TwoPoint::mezo`] (Malladi et al. 2023: central, Gaussian, seed-replayed),
/// and ZO-SGD's RGE (Ghadimi & Lan 2013; Nesterov & Spokoiny 2017) with
/// [`TwoPoint::forward`] or [`TwoPoint::central`].
///
/// **Rounds:** one per step — 2q points (central), or q points plus f(x) when it
/// is not known (forward).
///
/// Memory: [`Storage::Buffered`] keeps (3q or 2q)·d values; [`Storage::Seeded`]
/// keeps q seeds. Defaults: μ = 1e-3 (MeZO's and ZO-Bench's ε), q = 1, buffered.
///
/// ```
/// use ndarray::array;
/// use zoptim::estimator::{Estimate, GradientEstimator, estimate_once};
/// use zoptim::{Direction, TwoPoint, ZoRng};
///
/// // Along a coordinate direction (√d·eᵢ) a central difference of a quadratic is
/// // exact: g = d·∂ᵢf·eᵢ for the drawn i, unbiased over the draw of i.
/// let mut est = TwoPoint::central(Direction::Coordinate);
/// est.prepare(3)?;
/// let mut f = |x: ndarray::ArrayView1<f64>| x.dot(&x);
/// let (mut x, mut rng, mut g) = ([1.0, 2.0, 3.0], ZoRng::seed_from_u64(0), Estimate::new());
/// let info = estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
/// assert_eq!(info.queries, 2);
/// // g = 3·∂ᵢf·eᵢ for the drawn i: exactly one non-zero coordinate, 3·2xᵢ.
/// let g = g.to_vec();
/// let i = g.iter().position(|&v| v != 0.0).unwrap();
/// assert!((g[i] - 6.0 * x[i]).abs() < 1e-6, "{g:?}");
/// assert_eq!(array![1.0, 2.0, 3.0], ndarray::Array1::from(x.to_vec())); // x restored
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TwoPoint<F> {
    direction: Direction,
    storage: Storage,
    smoothing: Smoothing,
    _scalar: std::marker::PhantomData<F>,
}

impl<F: Real> TwoPoint<F> {
    /// A two-point estimator with one direction and μ = 1e-3.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// let est = TwoPoint::<f64>::new(Direction::Sphere, Difference::Forward);
    /// assert_eq!(est.get_direction(), Direction::Sphere);
    /// assert_eq!(est.get_difference(), Difference::Forward);
    /// assert_eq!((est.get_mu(), est.get_directions()), (1e-3, 1));
    /// ```
    #[must_use]
    pub fn new(direction: Direction, difference: Difference) -> Self {
        TwoPoint {
            direction,
            storage: Storage::Buffered,
            smoothing: Smoothing::new(difference, 1e-3, 1),
            _scalar: std::marker::PhantomData,
        }
    }

    /// Central differences along `direction`.
    ///
    /// ```
    /// use zoptim::estimator::GradientEstimator;
    /// use zoptim::prelude::*;
    ///
    /// // 2q queries per step.
    /// assert_eq!(TwoPoint::<f64>::central(Direction::Gaussian).directions(4).max_queries(100), 8);
    /// ```
    #[must_use]
    pub fn central(direction: Direction) -> Self {
        Self::new(direction, Difference::Central)
    }

    /// Forward differences along `direction`, sharing f(x) across directions.
    ///
    /// ```
    /// use zoptim::estimator::GradientEstimator;
    /// use zoptim::prelude::*;
    ///
    /// // q + 1 queries per step: f(x) is shared by the q differences.
    /// assert_eq!(TwoPoint::<f64>::forward(Direction::Gaussian).directions(4).max_queries(100), 5);
    /// ```
    #[must_use]
    pub fn forward(direction: Direction) -> Self {
        Self::new(direction, Difference::Forward)
    }

    /// SPSA (Spall, IEEE TAC 1992): central differences along Rademacher directions.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// let spsa = TwoPoint::<f32>::spsa();
    /// assert_eq!(spsa.get_direction(), Direction::Rademacher);
    /// assert_eq!(spsa.get_difference(), Difference::Central);
    /// ```
    #[must_use]
    pub fn spsa() -> Self {
        Self::central(Direction::Rademacher)
    }

    /// MeZO (Malladi et al., NeurIPS 2023): central differences along Gaussian
    /// directions, replayed from seeds with x perturbed in place.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(TwoPoint::<f64>::mezo().get_storage(), Storage::Seeded);
    /// // At d = 10⁵ a MeZO step keeps 1 seed, not a 10⁵-vector.
    /// let mut f = |x: ArrayView1<f32>| x.dot(&x);
    /// let mut opt = Optimizer::builder(TwoPoint::mezo().mu(1e-2)).learning_rate(1e-6).max_iterations(20).build()?;
    /// let report = opt.minimize(&mut f, &Array1::ones(100_000))?;
    /// assert!(report.best_f < 100_000.0);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn mezo() -> Self {
        Self::central(Direction::Gaussian).storage(Storage::Seeded)
    }

    /// Sets where directions are kept.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// let est = TwoPoint::<f64>::central(Direction::Gaussian).storage(Storage::Seeded);
    /// assert_eq!(est.get_storage(), Storage::Seeded);
    /// ```
    #[must_use]
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// Sets the direction sampler.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// let est = TwoPoint::<f64>::spsa().direction(Direction::Sphere);
    /// assert_eq!(est.get_direction(), Direction::Sphere);
    /// ```
    #[must_use]
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// The direction sampler set by the constructor or [`direction`](TwoPoint::direction).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(TwoPoint::<f64>::mezo().get_direction(), Direction::Gaussian);
    /// ```
    #[must_use]
    pub fn get_direction(&self) -> Direction {
        self.direction
    }

    /// Where directions are kept, set by [`storage`](TwoPoint::storage).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(TwoPoint::<f64>::spsa().get_storage(), Storage::Buffered);
    /// ```
    #[must_use]
    pub fn get_storage(&self) -> Storage {
        self.storage
    }

    /// First call: draw the q directions and push the round (f(x) first when a
    /// forward difference needs it). The directions go into `out` now (stored
    /// rows or seeds); the coefficients are written when the values arrive.
    fn push_round(
        &mut self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
        mu: F,
    ) {
        let d = x.len();
        let q = self.smoothing.directions();
        let central = self.smoothing.central();
        let center = self.smoothing.difference().needs_center(ctx.fx());
        match self.storage {
            Storage::Seeded => {
                let (dirs, _) = out.seeded_mut(d, 0..d);
                for _ in 0..q {
                    dirs.push(SeededDirection::draw(self.direction, ctx.rng(), d));
                }
                if center && let Some(&first) = dirs.first() {
                    // Scale 0: the point is x itself.
                    round.push_seeded(Query::Center, first, F::zero(), 0..d, Perturb::Walk);
                }
                for (j, &dir) in dirs.iter().enumerate() {
                    difference::push_seeded(round, dir, j, mu, 0..d, Perturb::Walk, central);
                }
                // The coefficients need only the values: x may stay at the last
                // point until the update folds the move back into its pass.
                round.defer_return();
            }
            Storage::Buffered => {
                if center {
                    round.push_copy(Query::Center, x);
                }
                // u itself is stored only when replaying it would cost more than
                // reading it back (Gaussian, sphere); cheap samplers (Rademacher,
                // coordinate) go in as seeds.
                if self.direction.cheap_to_replay() {
                    let (dirs, _) = out.seeded_mut(d, 0..d);
                    for j in 0..q {
                        let dir = SeededDirection::draw(self.direction, ctx.rng(), d);
                        difference::push_streamed(round, x, &dir, j, mu, central, None);
                        dirs.push(dir);
                    }
                } else {
                    let (rows, _) = out.stored_mut(d, 0..d, q);
                    for (j, u) in rows.chunks_exact_mut(d.max(1)).enumerate() {
                        let dir = SeededDirection::draw(self.direction, ctx.rng(), d);
                        difference::push_streamed(round, x, &dir, j, mu, central, Some(u));
                    }
                }
            }
        }
    }
}

impl<F: Real> Smoothed for TwoPoint<F> {
    fn smoothing(&self) -> &Smoothing {
        &self.smoothing
    }
    fn smoothing_mut(&mut self) -> &mut Smoothing {
        &mut self.smoothing
    }
}

impl<F: Real> GradientEstimator<F> for TwoPoint<F> {
    fn name(&self) -> &'static str {
        match (self.smoothing.difference(), self.storage) {
            (Difference::Central, Storage::Buffered) => "two-point central",
            (Difference::Forward, Storage::Buffered) => "two-point forward",
            (Difference::Central, Storage::Seeded) => "two-point central (seeded)",
            (Difference::Forward, Storage::Seeded) => "two-point forward (seeded)",
        }
    }

    fn validate(&self) -> Result<()> {
        self.smoothing.validate()
    }

    fn max_queries(&self, _dim: usize) -> usize {
        self.smoothing.difference().queries(self.smoothing.directions())
    }

    fn estimate(
        &mut self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
    ) -> Result<Flow<EstimateInfo<F>>> {
        let mu = ctx.smoothing_or(self.smoothing.mu());
        let Some(answered) = ctx.answered() else {
            self.push_round(x, ctx, round, out, mu);
            return Ok(Flow::Query);
        };
        let (fx, v) = difference::split_center(answered.values(), ctx.fx(), self.smoothing.difference());
        let coefs = out.coefficients_mut();
        coefs.clear();
        coefs.resize(self.smoothing.directions(), F::zero());
        difference::coefficients(v, fx, mu, F::one(), coefs);
        Ok(Flow::Done(EstimateInfo::new(ctx.queries(), fx)))
    }

    /// Parameters only: a two-point estimator carries nothing between steps.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state
            .param("direction", self.direction)
            .param("storage", self.storage)
            .param("smoothing", self.smoothing);
        Ok(())
    }

    fn load_state(&mut self, _state: &ComponentState) -> Result<()> {
        Ok(())
    }
}
