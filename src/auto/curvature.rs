//! The directional-Newton estimator: a central difference that also measures
//! the curvature along its direction, and proposes the 1-D Newton step.

use crate::direction::{Direction, SeededDirection};
use crate::error::{Error, Query, Result, check_positive};
use crate::estimator::{Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::real::Real;
use crate::run::ComponentState;
use crate::run::{Flow, Round};

/// A scale-free estimate: the Newton step along one random direction.
///
/// Each step draws u (Gaussian by default) and queries x + μu, x − μu and,
/// unless f(x) is already known, x. From the three values
///
/// - slope s = (f(x+μu) − f(x−μu)) / (2μ) = uᵀ∇f + O(μ²),
/// - curvature c = (f(x+μu) + f(x−μu) − 2f(x)) / μ² = uᵀHu + O(μ²),
///
/// it writes the estimate g = (s / c)·u, so that x − g is the minimiser of the
/// quadratic model of f along u (a 1-D Newton step). Both s and c scale with f,
/// so g does not change when f is multiplied by c > 0; when x is rescaled by a
/// and μ with it, g is rescaled by a. This is the curvature that HiZOO (Zhao et
/// al., ICLR 2025) accumulates into a diagonal preconditioner; here it is used
/// along the sampled direction only, so the estimator stores one direction (d
/// values) and nothing else.
///
/// When c is not positive (f concave along u, or piecewise linear as ℓ1 is),
/// below the rounding level of the three values (8ε·(|f₊| + |f₋| + 2|f(x)|)/μ²),
/// or not measured (a projection moved a query point, see
/// [`crate::projection`]), the Newton step is undefined; the estimate is then sign(s)·R/‖u‖·u with
/// R = 10³·√d·σₓ, a step far longer than any the run has seen, which a
/// [`TrustStep`](crate::auto::TrustStep) rule cuts to its trust radius. Use this
/// estimator with `TrustStep` (as [`Optimizer::auto`](crate::Optimizer::auto)
/// does): on its own, with plain SGD, those steps are not safeguarded.
///
/// **μ.** By default μ is relative: μ = μᵣ·σₓ, where σₓ = ‖x₀‖/√d is the scale
/// of the first iterate the estimator sees (1 when x₀ = 0) and μᵣ = 10⁻⁴, so the
/// perturbation μ‖u‖ ≈ 10⁻⁴‖x₀‖. For quadratics the central slope and curvature
/// have no truncation error at all; in general the error is O(μ²) for both,
/// while rounding costs ε|f|/μ in the slope and ε|f|/μ² in the curvature.
/// [`absolute_mu`](Curvature::absolute_mu) fixes μ instead (the noise probe of
/// [`crate::auto`] does, from the measured noise).
///
/// **Queries:** 3 per step (at most 5 with bounds), or 2 when f(x) is known (after an accepted
/// `TrustStep` trial). With [`fresh_center`](Curvature::fresh_center) f(x) is
/// always queried again: under noise, a value carried from the previous step is
/// the one that won a comparison, biased low, and comparing new trials against
/// it would reject true improvements.
///
/// **Bounds.** When a projection moved a query point (see
/// [`crate::projection`]), the coordinates it moved are masked (uᵢ = 0) and, on
/// even steps, x ± μũ is queried along the masked direction ũ (2 more queries),
/// whose slope and curvature are exact again: a Newton step on the free
/// coordinates. On odd steps the clipped difference gives the slope of the
/// fallback step along u, so that a coordinate held at a bound can leave it.
///
/// **Rounds:** one (two when bounds masked the direction). **Memory:** the
/// direction and its masked copy (2d values).
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::auto::{Curvature, TrustStep};
/// use zoptim::Optimizer;
///
/// // On a quadratic the Newton step along u is exact: every step minimises f along u.
/// let mut f = |x: ArrayView1<f64>| x.iter().enumerate().map(|(i, v)| (1.0 + i as f64) * v * v).sum::<f64>();
/// let mut opt = Optimizer::builder(Curvature::new()).update(TrustStep::new()).learning_rate(1.0).max_evaluations(600).build()?;
/// let report = opt.minimize(&mut f, &Array1::from_elem(4, 1.0))?;
/// assert!(report.best_f < 1e-12, "{}", report.best_f);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Curvature<F> {
    direction: Direction,
    mu: f64,
    absolute: bool,
    fresh_center: bool,
    alternate: usize,
    curvature_mean: Option<f64>,
    pending_curvature: Option<f64>,
    scale: Option<f64>,
    pending_scale: Option<f64>,
    /// u with the coordinates a projection moved set to 0.
    masked: Vec<F>,
    /// f(x) while the masked round is evaluated.
    center: Option<F>,
    _scalar: std::marker::PhantomData<F>,
}

impl<F: Real> Default for Curvature<F> {
    fn default() -> Self {
        Self::new()
    }
}

/// R in the fallback step, in units of σₓ·√d.
const REACH: f64 = 1e3;

impl<F: Real> Curvature<F> {
    /// Gaussian directions, relative μ = 10⁻⁴·σₓ, f(x) reused when known.
    ///
    /// ```
    /// let c = zoptim::auto::Curvature::<f64>::new();
    /// assert_eq!(c.mu(), None); // relative: known once the first iterate is seen
    /// ```
    pub fn new() -> Self {
        Curvature {
            direction: Direction::Gaussian,
            mu: 1e-4,
            absolute: false,
            fresh_center: false,
            alternate: 0,
            scale: None,
            pending_scale: None,
            curvature_mean: None,
            pending_curvature: None,
            masked: Vec::new(),
            center: None,
            _scalar: std::marker::PhantomData,
        }
    }

    /// The direction sampler (any with E\[uuᵀ\] = I).
    ///
    /// ```
    /// use zoptim::{Direction, GradientEstimator};
    /// let c = zoptim::auto::Curvature::<f64>::new().direction(Direction::Rademacher);
    /// assert_eq!(c.name(), "directional newton");
    /// ```
    pub fn direction(mut self, direction: Direction) -> Self {
        self.direction = direction;
        self
    }

    /// μ relative to the scale σₓ of the first iterate (> 0; default 10⁻⁴).
    ///
    /// ```
    /// use zoptim::GradientEstimator;
    /// assert!(zoptim::auto::Curvature::<f64>::new().relative_mu(0.0).validate().is_err());
    /// ```
    pub fn relative_mu(mut self, mu: f64) -> Self {
        self.mu = mu;
        self.absolute = false;
        self
    }

    /// A fixed μ (> 0), in the units of x.
    ///
    /// ```
    /// assert_eq!(zoptim::auto::Curvature::<f64>::new().absolute_mu(0.01).mu(), Some(0.01));
    /// ```
    pub fn absolute_mu(mut self, mu: f64) -> Self {
        self.mu = mu;
        self.absolute = true;
        self
    }

    /// Every `k`-th step (steps k − 1, 2k − 1, …) draws a random coordinate
    /// direction (√d·eᵢ) instead (0: never, the default). A Newton step along a
    /// coordinate minimises a separable ill-conditioned f along it exactly, and
    /// moves one coordinate of a non-smooth f, where random full-dimensional
    /// directions rarely descend. Pair it with [`TrustStep::paired`](crate::auto::TrustStep::paired)`(k)`.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::auto::{Curvature, TrustStep};
    /// use zoptim::Optimizer;
    ///
    /// // A separable, badly conditioned quadratic: coordinate Newton steps are exact.
    /// let mut f = |x: ArrayView1<f64>| x.iter().enumerate().map(|(i, v)| 10f64.powi(i as i32) * v * v).sum::<f64>();
    /// let mut opt = Optimizer::builder(Curvature::new().alternate(1))
    ///     .update(TrustStep::new().paired(1))
    ///     .learning_rate(1.0)
    ///     .max_evaluations(300)
    ///     .build()?;
    /// assert!(opt.minimize(&mut f, &Array1::from_elem(5, 1.0))?.best_f < 1e-8);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn alternate(mut self, k: usize) -> Self {
        self.alternate = k;
        self
    }

    /// Query f(x) every step even when it is known (for noisy objectives).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::auto::{Curvature, TrustStep};
    /// use zoptim::Optimizer;
    ///
    /// // 3 queries per step with f(x) queried again, 2 + 1 trial without.
    /// let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// let mut opt = Optimizer::builder(Curvature::new().fresh_center(true)).update(TrustStep::new()).learning_rate(1.0).max_iterations(10).build()?;
    /// let report = opt.minimize(&mut f, &Array1::from_elem(3, 1.0))?;
    /// assert_eq!(report.evaluations, 1 + 10 * 4);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn fresh_center(mut self, on: bool) -> Self {
        self.fresh_center = on;
        self
    }

    /// The μ of the next step, once the scale is known (`None` before the
    /// first step of a run with a relative μ).
    ///
    /// ```
    /// assert_eq!(zoptim::auto::Curvature::<f64>::new().relative_mu(1e-3).mu(), None);
    /// ```
    pub fn mu(&self) -> Option<f64> {
        if self.absolute {
            Some(self.mu)
        } else {
            self.scale.map(|s| self.mu * s)
        }
    }
}

/// True when step `iteration` draws a coordinate direction, with one every `k` steps.
pub(crate) fn coordinate_step(k: usize, iteration: usize) -> bool {
    k > 0 && iteration % k == k - 1
}

/// σₓ = ‖x‖/√d, or 1 when x = 0 (or its norm is not a positive finite number).
pub(crate) fn scale_of<F: Real>(x: &[F]) -> f64 {
    let d = x.len().max(1) as f64;
    let n = x.iter().map(|v| v.as_f64() * v.as_f64()).sum::<f64>().sqrt() / d.sqrt();
    if n.is_finite() && n > 0.0 { n } else { 1.0 }
}

impl<F: Real> GradientEstimator<F> for Curvature<F> {
    fn name(&self) -> &'static str {
        "directional newton"
    }

    fn validate(&self) -> Result<()> {
        check_positive("mu", self.mu)
    }

    fn max_queries(&self, _dim: usize) -> usize {
        5
    }

    fn estimate(
        &mut self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
    ) -> Result<Flow<EstimateInfo<F>>> {
        let d = x.len();
        let scale = self.scale.unwrap_or_else(|| scale_of(x));
        let mu = self.step_mu(ctx, scale)?;
        let known = if self.fresh_center { None } else { ctx.fx() };
        let Some(answered) = ctx.answered() else {
            self.first_round(x, ctx, round, out, mu, known.is_none())?;
            return Ok(Flow::Query);
        };
        let v = answered.values();
        let (f0, fp, fm) = match (ctx.round_index(), known) {
            (1, Some(f0)) => (f0, v[0], v[1]),
            (1, None) => (v[0], v[1], v[2]),
            _ => (self.center.unwrap_or(F::nan()), v[0], v[1]),
        };
        // A projection (box bounds) may have moved the points: the second
        // difference then has a first-order term and is no curvature. Mask
        // the coordinates it moved and measure again along the rest (every
        // other step; in the others the clipped difference gives a slope, so
        // that a coordinate at a bound can still leave it).
        if ctx.round_index() == 1 {
            let row = usize::from(known.is_none());
            let (rows, _) = out.stored_parts();
            self.masked.clear();
            self.masked.extend_from_slice(rows);
            let (plus, minus) = (answered.point(row), answered.point(row + 1));
            let mut moved = false;
            for i in 0..d {
                if plus[i] != x[i] + mu * rows[i] || minus[i] != x[i] - mu * rows[i] {
                    self.masked[i] = F::zero();
                    moved = true;
                }
            }
            if moved {
                let rest = self.masked.iter().any(|&u| u != F::zero());
                if rest && ctx.iteration().is_multiple_of(2) {
                    let (rows, _) = out.try_stored_mut(d, 0..d, 1)?;
                    rows.copy_from_slice(&self.masked);
                    self.center = Some(f0);
                    crate::estimator::difference::push_dense(round, x, &self.masked, 0, mu, true);
                    return Ok(Flow::Query);
                }
                let s = (fp - fm) / (F::of_f64(2.0) * mu);
                let coef = self.fallback(s, out, scale, d);
                return Ok(self.finish(out, coef, scale, f0, ctx.queries()));
            }
        }
        let two = F::of_f64(2.0);
        let s = (fp - fm) / (two * mu);
        let c = (fp + fm - two * f0) / (mu * mu);
        let noise = F::of_f64(8.0) * F::epsilon() * (fp.abs() + fm.abs() + two * f0.abs()) / (mu * mu);
        let coef = if ctx.resampled() {
            // A fresh minibatch every step: its Newton step would minimise this
            // batch's loss along u (and grow without bound where the loss
            // saturates). Divide by the largest curvature per unit ‖u‖² seen so
            // far instead: SGD with step 1/L̂, L̂ an estimate of the gradient's
            // Lipschitz constant.
            let (rows, _) = out.stored_parts();
            let uu = rows.iter().map(|&u| u * u).sum::<F>().as_f64();
            let prev = self.curvature_mean;
            let mean = if c > noise && c.is_finite() {
                let now = c.as_f64() / uu;
                Some(prev.map_or(now, |m: f64| m.max(now)))
            } else {
                prev
            };
            self.pending_curvature = mean;
            match mean {
                Some(m) if m > 0.0 => s / F::of_f64(m * uu),
                _ => self.fallback(s, out, scale, d),
            }
        } else if c > noise && c.is_finite() {
            s / c
        } else {
            self.fallback(s, out, scale, d)
        };
        Ok(self.finish(out, coef, scale, f0, ctx.queries()))
    }
    fn commit(&mut self) {
        if let Some(s) = self.pending_scale.take() {
            self.scale = Some(s);
        }
        if let Some(c) = self.pending_curvature.take() {
            self.curvature_mean = Some(c);
        }
    }

    fn rollback(&mut self) {
        self.pending_scale = None;
        self.pending_curvature = None;
        self.center = None;
    }

    fn reset(&mut self) {
        self.scale = None;
        self.pending_scale = None;
        self.curvature_mean = None;
        self.pending_curvature = None;
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        self.masked = Vec::with_capacity(dim);
        Ok(())
    }

    /// Parameters, the length scale and the running curvature.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state
            .param("direction", self.direction)
            .param("mu", self.mu)
            .param("absolute", self.absolute)
            .param("fresh_center", self.fresh_center)
            .param("alternate", self.alternate)
            .put_floats("scale", self.scale.as_slice())
            .put_floats("curvature_mean", self.curvature_mean.as_slice());
        Ok(())
    }

    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        let optional = |name: &str| match state.floats(name)? {
            [] => Ok(None),
            [v] => Ok(Some(*v)),
            _ => Err(Error::CheckpointCorrupt {
                reason: format!("curvature's `{name}` holds more than one number"),
            }),
        };
        self.scale = optional("scale")?;
        self.curvature_mean = optional("curvature_mean")?;
        self.pending_scale = None;
        self.pending_curvature = None;
        self.center = None;
        Ok(())
    }
}

impl<F: Real> Curvature<F> {
    /// μ for this step: the smoothing schedule's value, else `mu` (times the
    /// length scale unless absolute); an error when it is not a positive `F`.
    fn step_mu(&self, ctx: &EstimateContext<'_, F>, scale: f64) -> Result<F> {
        let mu_f64 = ctx
            .smoothing()
            .map_or(if self.absolute { self.mu } else { self.mu * scale }, |m| m.as_f64());
        let mu = F::of_f64(mu_f64);
        if !(mu.is_finite() && mu > F::zero()) {
            return Err(Error::InvalidParameter {
                name: "mu",
                value: format!("{mu_f64}"),
                requirement: "finite and > 0 in the optimizer's float type",
            });
        }
        Ok(mu)
    }

    /// The step's first round: the direction u (every `alternate`-th step a
    /// coordinate), then f(x) when unknown and x ± μu.
    fn first_round(
        &self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
        mu: F,
        center: bool,
    ) -> Result<()> {
        let d = x.len();
        let (rows, _) = out.try_stored_mut(d, 0..d, 1)?;
        let kind = if coordinate_step(self.alternate, ctx.iteration()) {
            Direction::Coordinate
        } else {
            self.direction
        };
        SeededDirection::draw(kind, ctx.rng(), d).write(rows);
        if center {
            round.push_copy(Query::Center, x);
        }
        let (rows, _) = out.stored_parts();
        crate::estimator::difference::push_dense(round, x, rows, 0, mu, true);
        Ok(())
    }

    /// sign(s)·R/‖u‖ (0 when s = 0): a step the trust rule cuts to its radius.
    fn fallback(&self, s: F, out: &Estimate<F>, scale: f64, d: usize) -> F {
        if s == F::zero() || !s.is_finite() {
            return F::zero();
        }
        let (rows, _) = out.stored_parts();
        let norm = rows.iter().map(|&u| u * u).sum::<F>().sqrt();
        let reach = F::of_f64(REACH * scale * (d as f64).sqrt());
        s.signum() * reach / norm
    }

    fn finish(&mut self, out: &mut Estimate<F>, coef: F, scale: f64, f0: F, queries: usize) -> Flow<EstimateInfo<F>> {
        out.coefficients_mut().clear();
        out.coefficients_mut().push(coef);
        self.pending_scale = Some(scale);
        self.center = None;
        Flow::Done(EstimateInfo::new(queries, Some(f0)))
    }
}
