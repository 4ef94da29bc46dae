//! Two-point random-direction estimators: ZO-SGD's RGE, SPSA, MeZO.

use super::{Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::direction::{Direction, SeededDirection};
use crate::error::{Query, Result, check_count, check_positive};
use crate::real::Real;
use ndarray::ArrayView2;

/// Which finite difference a two-point estimator takes along each direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Difference {
    /// (f(x+μu) − f(x))/μ: q + 1 queries for q directions (f(x) shared), bias O(μ).
    Forward,
    /// (f(x+μu) − f(x−μu))/(2μ): 2q queries, bias O(μ²).
    #[default]
    Central,
}

impl Difference {
    /// Queries for `n` differences: n + 1 forward (f(x) shared), 2n central.
    pub fn queries(self, n: usize) -> usize {
        match self {
            Difference::Forward => n + 1,
            Difference::Central => 2 * n,
        }
    }
}

/// Where a two-point estimator keeps its directions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Storage {
    /// The query points are written into a (2q or q)×d buffer that is handed to
    /// [`Objective::eval_batch`](crate::Objective::eval_batch) in one call; x is
    /// never touched. Each direction is generated once, chunk by chunk, straight
    /// into the points; Gaussian and sphere directions are also kept (q×d), since
    /// replaying them for the update would cost more than reading them back,
    /// while Rademacher and coordinate directions are replayed from their seed.
    /// The fastest mode; costs (2q or q)·d, plus q·d for stored directions.
    #[default]
    Buffered,
    /// MeZO's memory-light mode (Malladi et al., NeurIPS 2023): only a `u64` seed
    /// per direction is kept. x is perturbed *in place* — x += μu, query,
    /// x −= 2μu, query, x += μu — and u is replayed from its seed for the update.
    /// With plain SGD a step allocates nothing proportional to d beyond x itself.
    ///
    /// **Rounding drift.** Perturbing and restoring in place is not exact in
    /// floating point: after a step's restore each coordinate can differ from its
    /// entry value by a few units in the last place of |xᵢ| + 2μ|uᵢ| (each of the
    /// three in-place additions rounds once). This holds also when a step fails.
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
/// Memory: [`Storage::Buffered`] keeps (3q or 2q)·d values; [`Storage::Seeded`]
/// keeps q seeds. Defaults: μ = 1e-3 (MeZO's and ZO-Bench's ε), q = 1, buffered.
#[derive(Clone, Debug)]
pub struct TwoPoint<F> {
    direction: Direction,
    difference: Difference,
    storage: Storage,
    mu: f64,
    q: usize,
    points: Vec<F>,
    values: Vec<F>,
}

impl<F: Real> TwoPoint<F> {
    /// A two-point estimator with one direction and μ = 1e-3.
    pub fn new(direction: Direction, difference: Difference) -> Self {
        TwoPoint {
            direction,
            difference,
            storage: Storage::Buffered,
            mu: 1e-3,
            q: 1,
            points: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Central differences along `direction`.
    pub fn central(direction: Direction) -> Self {
        Self::new(direction, Difference::Central)
    }

    /// Forward differences along `direction`, sharing f(x) across directions.
    pub fn forward(direction: Direction) -> Self {
        Self::new(direction, Difference::Forward)
    }

    /// SPSA (Spall, IEEE TAC 1992): central differences along Rademacher directions.
    pub fn spsa() -> Self {
        Self::central(Direction::Rademacher)
    }

    /// MeZO (Malladi et al., NeurIPS 2023): central differences along Gaussian
    /// directions, replayed from seeds with x perturbed in place.
    pub fn mezo() -> Self {
        Self::central(Direction::Gaussian).storage(Storage::Seeded)
    }

    /// Sets the smoothing (finite-difference) parameter μ > 0.
    pub fn mu(mut self, mu: f64) -> Self {
        self.mu = mu;
        self
    }

    /// Sets the number of directions q ≥ 1 averaged per step.
    pub fn directions(mut self, q: usize) -> Self {
        self.q = q;
        self
    }

    /// Sets where directions are kept.
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = storage;
        self
    }

    /// The direction sampler.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The finite difference.
    pub fn difference(&self) -> Difference {
        self.difference
    }

    fn estimate_buffered(
        &mut self,
        x: &mut [F],
        ctx: &mut EstimateContext<'_, '_, F>,
        out: &mut Estimate<F>,
        mu: F,
    ) -> Result<EstimateInfo<F>> {
        let d = x.len();
        let q = self.q;
        let central = self.difference == Difference::Central;
        let fx = if central { None } else { Some(ctx.fx_or_query(x)?) };
        let rows_per_dir = if central { 2 } else { 1 };
        let n_points = rows_per_dir * q;
        self.points.resize(n_points * d, F::zero());
        self.values.resize(n_points, F::zero());

        // One pass per direction: each chunk of u (in L1) is turned into the
        // query points at once. u itself is stored only when replaying it would
        // cost more than reading it back (Gaussian, sphere); cheap samplers
        // (Rademacher, coordinate) go into the estimate as seeds.
        let stride = d.max(1);
        if self.direction.cheap_to_replay() {
            let (dirs, _) = out.seeded_mut(d, 0..d);
            for p in self.points.chunks_exact_mut(rows_per_dir * stride) {
                let dir = SeededDirection::draw(self.direction, ctx.rng, d);
                write_points(&dir, x, p, mu, central, None);
                dirs.push(dir);
            }
        } else {
            let (rows, _) = out.stored_mut(d, 0..d, q);
            for (u, p) in rows
                .chunks_exact_mut(stride)
                .zip(self.points.chunks_exact_mut(rows_per_dir * stride))
            {
                let dir = SeededDirection::draw(self.direction, ctx.rng, d);
                write_points(&dir, x, p, mu, central, Some(u));
            }
        }
        let view =
            ArrayView2::from_shape((n_points, d), &self.points[..]).expect("points buffer has n_points × d entries");
        ctx.oracle.eval_batch(view, &mut self.values, |i| {
            if !central {
                Query::Plus(i)
            } else if i % 2 == 0 {
                Query::Plus(i / 2)
            } else {
                Query::Minus(i / 2)
            }
        })?;
        let qf = F::of_f64(q as f64);
        let coefs = out.coefficients_mut();
        coefs.clear();
        coefs.extend((0..q).map(|j| match fx {
            None => (self.values[2 * j] - self.values[2 * j + 1]) / ((mu + mu) * qf),
            Some(f0) => (self.values[j] - f0) / (mu * qf),
        }));
        Ok(EstimateInfo::new(ctx.oracle.used(), fx))
    }

    fn estimate_seeded(
        &mut self,
        x: &mut [F],
        ctx: &mut EstimateContext<'_, '_, F>,
        out: &mut Estimate<F>,
        mu: F,
    ) -> Result<EstimateInfo<F>> {
        let d = x.len();
        let central = self.difference == Difference::Central;
        let fx = if central { None } else { Some(ctx.fx_or_query(x)?) };
        let qf = F::of_f64(self.q as f64);
        let (dirs, coefs) = out.seeded_mut(d, 0..d);
        for j in 0..self.q {
            let dir = SeededDirection::draw(self.direction, ctx.rng, d);
            dir.axpy(mu, x);
            let plus = ctx.oracle.eval(x, Query::Plus(j));
            let plus = match plus {
                Ok(v) => v,
                Err(e) => {
                    dir.axpy(-mu, x);
                    return Err(e);
                }
            };
            let c = match fx {
                Some(f0) => {
                    dir.axpy(-mu, x);
                    (plus - f0) / (mu * qf)
                }
                None => {
                    dir.axpy(-(mu + mu), x);
                    let minus = ctx.oracle.eval(x, Query::Minus(j));
                    dir.axpy(mu, x);
                    (plus - minus?) / ((mu + mu) * qf)
                }
            };
            dirs.push(dir);
            coefs.push(c);
        }
        Ok(EstimateInfo::new(ctx.oracle.used(), fx))
    }
}

/// Writes the query points of one direction: `p` holds x + μu (and x − μu
/// after it for central differences); `u` receives the direction when given.
fn write_points<F: Real>(dir: &SeededDirection, x: &[F], p: &mut [F], mu: F, central: bool, mut u: Option<&mut [F]>) {
    let d = x.len();
    let (plus, minus) = p.split_at_mut(d);
    dir.for_each_chunk::<F>(|start, c| {
        let end = start + c.len();
        let xs = &x[start..end];
        if let Some(u) = u.as_deref_mut() {
            u[start..end].copy_from_slice(c);
        }
        if central {
            let (pp, pm) = (&mut plus[start..end], &mut minus[start..end]);
            for (((pp, pm), &xi), &ui) in pp.iter_mut().zip(pm.iter_mut()).zip(xs).zip(c) {
                let s = mu * ui;
                *pp = xi + s;
                *pm = xi - s;
            }
        } else {
            for ((pp, &xi), &ui) in plus[start..end].iter_mut().zip(xs).zip(c) {
                *pp = xi + mu * ui;
            }
        }
    });
}

impl<F: Real> GradientEstimator<F> for TwoPoint<F> {
    fn name(&self) -> &'static str {
        match (self.difference, self.storage) {
            (Difference::Central, Storage::Buffered) => "two-point central",
            (Difference::Forward, Storage::Buffered) => "two-point forward",
            (Difference::Central, Storage::Seeded) => "two-point central (seeded)",
            (Difference::Forward, Storage::Seeded) => "two-point forward (seeded)",
        }
    }

    fn validate(&self) -> Result<()> {
        check_positive("mu", self.mu)?;
        check_count("directions", self.q)
    }

    fn max_queries(&self, _dim: usize) -> usize {
        self.difference.queries(self.q)
    }

    fn estimate(
        &mut self,
        x: &mut [F],
        ctx: &mut EstimateContext<'_, '_, F>,
        out: &mut Estimate<F>,
    ) -> Result<EstimateInfo<F>> {
        let mu = ctx.smoothing.unwrap_or(F::of_f64(self.mu));
        match self.storage {
            Storage::Buffered => self.estimate_buffered(x, ctx, out, mu),
            Storage::Seeded => self.estimate_seeded(x, ctx, out, mu),
        }
    }
}
