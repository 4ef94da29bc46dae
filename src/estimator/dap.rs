//! Directionally aligned perturbations (DAP).
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

mod config;
mod directions;
mod proxy;

pub use proxy::GradientProxy;

use super::difference::{self, Smoothed, Smoothing};
use super::{Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::error::{Error, Query, Result, check_count, check_non_negative};
use crate::real::Real;
use crate::run::ComponentState;
use crate::run::{Flow, Round};
use directions::sphere_direction;
use ndarray::{ArrayView1, ArrayViewMut1};
use std::fmt;

/// Where [`Dap`] takes its proxy from.
enum Source<F: Real> {
    Given(Box<dyn GradientProxy<F> + Send>),
    TwoStage { pilot: usize },
    Previous,
}

/// Which proxy a [`Dap`] estimator uses.
///
/// ```
/// use zoptim::estimator::{Dap, ProxyKind};
///
/// assert_eq!(Dap::<f64>::previous().proxy_kind(), ProxyKind::Previous);
/// assert_eq!(Dap::<f64>::two_stage(8).proxy_kind(), ProxyKind::TwoStage { pilot: 8 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProxyKind {
    /// A user-supplied [`GradientProxy`].
    Given,
    /// A preliminary uniform-sphere estimate from `pilot` directions (two-stage).
    TwoStage {
        /// Directions of the preliminary estimate.
        pilot: usize,
    },
    /// The previous step's estimate (this library's variant).
    Previous,
}

/// The directionally aligned perturbation (DAP) estimator (Ma & Huang, ICLR
/// 2025 spotlight; arXiv 2510.19975).
///
/// Among perturbations with E\[vvᵀ\] = I, the two-point estimator's variance (as
/// μ → 0) is smallest when ‖v‖² = d and aᵀv = ±‖a‖ for the gradient a. DAP
/// aligns v with a *proxy* a of the gradient, â = a/‖a‖:
///
/// v = ξ·(â + √(d−1)·ŵ),
///
/// with ŵ = P w/‖P w‖ for a Gaussian w and P = I − ââᵀ (ŵ uniform on the unit
/// sphere of â⊥) and ξ a Rademacher sign: the paper's exact minimum-variance
/// variant (the reference's `"optimal"`), for which ‖v‖² = d, âᵀv = ±1 and
/// E\[vvᵀ\] = ââᵀ + (d−1)·P/(d−1) = I for *any* fixed â, so the estimate stays
/// unbiased whatever the proxy's quality. With the true gradient as proxy,
/// âᵀg = ‖a‖ on every draw: the estimate is exact along the gradient and all
/// its variance, (d−1)‖a‖²/q, lies in a⊥.
///
/// With q directions: g = (1/q) Σⱼ (f(x+μvⱼ) − f(x))/μ · vⱼ (forward, the
/// reference's form, default) or (f(x+μvⱼ) − f(x−μvⱼ))/(2μ) · vⱼ (central).
///
/// # Proxies
/// - [`Dap::with_proxy`]: a user-supplied [`GradientProxy`] (e.g. the true
///   gradient, `testing::ExactGradient`), called once per step and not counted as a query.
/// - [`Dap::two_stage`]: the paper's two-stage scheme. A preliminary estimate g₀
///   from b uniform-sphere (radius √d) directions, then q DAP directions aligned
///   with g₀ giving g_D; the result is (b·g₀ + q·g_D)/(b + q), which for b = q
///   is the reference's (g₀ + g_D)/2. Both parts are unbiased and their errors
///   uncorrelated (g_D is unbiased given g₀).
/// - [`Dap::previous`]: the previous step's estimate as proxy — **this
///   library's variant, not the paper's**: no extra queries, but the proxy is
///   one step stale and carries the previous estimate's noise. The first step
///   (and the first after a reset) has no proxy and uses the sphere fall-back.
///
/// # Fall-back
/// If the proxy is zero, or its norm is not finite, or ‖a‖ ≤ `min_proxy_norm`
/// (default 0), the directions of that step are uniform on the sphere of radius
/// √d instead — also minimum-variance, but not aligned. ‖a‖ is computed with
/// rescaling, so a tiny proxy is not lost to underflow. The reference's LLM code
/// falls back at ‖a‖² ≤ 1e-3, an absolute threshold tied to its loss scale;
/// since DAP is unbiased for any â, a tiny but non-zero proxy needs no
/// fall-back here (set `min_proxy_norm` to get one).
/// [`Dap::fallbacks`] counts the steps that fell back.
///
/// # Cost
/// | proxy | forward | central |
/// |---|---|---|
/// | given, previous | q + 1 (q when f(x) is known) | 2q |
/// | two-stage | b + q + 1 (b + q when f(x) is known) | 2b + 2q |
///
/// Memory: the proxy (d), the directions (q·d, or (q+1)·d for two-stage: the
/// estimate is stored as rows), the query points (q·d forward, 2q·d central;
/// max(b, q) rows for two-stage) and, for two-stage, the b pilot directions.
/// Query points go to [`Objective::eval_batch`](crate::Objective::eval_batch)
/// in one call per stage. Random numbers: d normals and one sign per direction.
///
/// # Deviations from the reference code (dap-zoo-optimization)
/// - Normalisation is global (the LLM and mesh code normalise each row of a
///   tensor, which breaks E\[vvᵀ\] = I).
/// - Every sampler is what it says (the reference's `"rademacher"` option
///   silently samples uniform).
/// - The exact variant v = ξ(â + √(d−1)ŵ) is used everywhere; the LLM and
///   synthetic "grad" modes use v = Pz + ξâ with an unnormalised z, which
///   satisfies E\[vvᵀ\] = I and aᵀv = ±‖a‖ but not ‖v‖² = d.
/// - ŵ is computed from w in one fused pass (âᵀw and ‖w‖² together, then
///   ‖Pw‖² = ‖w‖² − (âᵀw)²); draws with ‖Pw‖² ≤ 10⁻²·‖w‖² (w within ~6° of ±â)
///   are redrawn, which keeps that subtraction accurate and leaves ŵ exactly
///   uniform on the sphere of â⊥ (for Gaussian w, the direction of Pw is
///   independent of the angle between w and â).
///
/// # Example
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// // Two-stage DAP: 4 uniform directions for the proxy, 4 aligned ones; 9 queries a step.
/// let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// let mut opt = Optimizer::builder(Dap::two_stage(4).mu(1e-7))
///     .learning_rate(0.05)
///     .max_evaluations(3_000)
///     .seed(3)
///     .build()?;
/// let report = opt.minimize(&mut f, &Array1::from_elem(10, 1.0))?;
/// assert!(report.best_f < 1e-6, "{}", report.best_f);
/// # Ok::<(), zoptim::Error>(())
/// ```
pub struct Dap<F: Real> {
    source: Source<F>,
    smoothing: Smoothing,
    min_proxy_norm: f64,
    fallbacks: usize,
    has_prev: bool,
    /// The proxy a (for [`Dap::previous`]: the previous step's estimate).
    a: Vec<F>,
    /// This step's estimate, which becomes `a` at commit ([`Dap::previous`] only).
    a_next: Vec<F>,
    pilot_rows: Vec<F>,
    pilot_coefs: Vec<F>,
    /// This step's progress between rounds.
    step: StepState<F>,
}

/// Where a step stands between its rounds.
#[derive(Clone, Copy, Debug, Default)]
struct StepState<F> {
    /// f(x) for forward differences, once known.
    fx: Option<F>,
    /// Whether the DAP round (stage 3) has been pushed.
    dap_round: bool,
    /// Whether this step fell back to the sphere (counted at commit).
    fell_back: bool,
    /// Whether this step computed a new estimate for `previous()` (kept at commit).
    new_prev: bool,
}

impl<F: Real> fmt::Debug for Dap<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dap")
            .field("proxy", &self.proxy_kind())
            .field("smoothing", &self.smoothing)
            .field("min_proxy_norm", &self.min_proxy_norm)
            .field("fallbacks", &self.fallbacks)
            .finish_non_exhaustive()
    }
}

impl<F: Real> Smoothed for Dap<F> {
    fn smoothing(&self) -> &Smoothing {
        &self.smoothing
    }
    fn smoothing_mut(&mut self) -> &mut Smoothing {
        &mut self.smoothing
    }
}

impl<F: Real> GradientEstimator<F> for Dap<F> {
    fn name(&self) -> &'static str {
        match self.source {
            Source::Given(_) => "dap (given proxy)",
            Source::TwoStage { .. } => "dap (two-stage)",
            Source::Previous => "dap (previous estimate)",
        }
    }

    fn validate(&self) -> Result<()> {
        self.smoothing.validate()?;
        check_non_negative("min_proxy_norm", self.min_proxy_norm)?;
        if let Source::TwoStage { pilot } = self.source {
            check_count("two_stage pilot directions", pilot)?;
        }
        Ok(())
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        if dim == 0 {
            return Err(Error::EmptyParameters);
        }
        if let Source::Given(p) = &self.source
            && let Some(n) = p.dim()
            && n != dim
        {
            return Err(Error::DimensionMismatch {
                what: "gradient proxy (the dimension it is defined for)",
                expected: dim,
                found: n,
            });
        }
        self.a.clear();
        self.a.resize(dim, F::zero());
        self.pilot_rows.clear();
        let rows = self.pilot().checked_mul(dim);
        if rows.is_none_or(|n| self.pilot_rows.try_reserve(n).is_err()) {
            return Err(Error::InvalidParameter {
                name: "two_stage pilot directions",
                value: format!("{} directions of length {dim}", self.pilot()),
                requirement: "a number of pilot values (directions × d) that can be allocated",
            });
        }
        self.pilot_rows.resize(self.pilot() * dim, F::zero());
        self.pilot_coefs.clear();
        self.pilot_coefs.resize(self.pilot(), F::zero());
        self.a_next.clear();
        if matches!(self.source, Source::Previous) {
            self.a_next.resize(dim, F::zero());
        }
        self.has_prev = false;
        self.step = StepState::default();
        Ok(())
    }

    fn max_queries(&self, _dim: usize) -> usize {
        self.smoothing
            .difference()
            .queries(self.smoothing.directions().saturating_add(self.pilot()))
    }

    fn estimate(
        &mut self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
    ) -> Result<Flow<EstimateInfo<F>>> {
        let d = x.len();
        let pilot = self.pilot();
        if d == 0 {
            return Err(Error::EmptyParameters);
        }
        if self.a.len() != d || self.pilot_rows.len() != pilot.saturating_mul(d) {
            return Err(Error::DimensionMismatch {
                what: "parameter vector (the estimator was prepared for another dimension)",
                expected: self.a.len(),
                found: d,
            });
        }
        let mu = ctx.smoothing_or(self.smoothing.mu());
        let central = self.smoothing.central();
        let Some(answered) = ctx.answered() else {
            self.start_step(x, ctx, round, out, mu)?;
            return Ok(Flow::Query);
        };
        let mut v = answered.values();
        if !central && self.step.fx.is_none() {
            self.step.fx = v.first().copied();
            v = &v[1..];
        }
        let fx = if central { None } else { self.step.fx };
        if !self.step.dap_round {
            // The pilot's values: a = g₀ = Σ cⱼ·uⱼ, then the DAP round.
            difference::coefficients(v, fx, mu, F::one(), &mut self.pilot_coefs[..pilot]);
            combine_rows(&self.pilot_rows, &self.pilot_coefs[..pilot], &mut self.a);
            self.push_dap_round(x, ctx, round, out, mu, false)?;
            return Ok(Flow::Query);
        }
        self.finish(v, fx, mu, out);
        Ok(Flow::Done(EstimateInfo::new(ctx.queries(), fx)))
    }

    fn commit(&mut self) {
        if self.step.dap_round && self.step.fell_back {
            self.fallbacks += 1;
        }
        if self.step.new_prev {
            std::mem::swap(&mut self.a, &mut self.a_next);
            self.has_prev = true;
        }
        self.step = StepState::default();
    }

    fn rollback(&mut self) {
        self.step = StepState::default();
    }

    fn reset(&mut self) {
        self.has_prev = false;
        self.fallbacks = 0;
        self.step = StepState::default();
    }

    /// Parameters, the fallback count and, for [`Dap::previous`], the previous
    /// step's estimate. A given proxy is the caller's: it is not saved, and is
    /// compared by kind only.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state
            .param("smoothing", self.smoothing)
            .param("min_proxy_norm", self.min_proxy_norm)
            .param("pilot", self.pilot())
            .put_count("fallbacks", self.fallbacks as u64)
            .put_count("has_prev", u64::from(self.has_prev));
        if matches!(self.source, Source::Previous) && self.has_prev {
            state.put_floats("previous", &self.a);
        }
        Ok(())
    }

    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        self.fallbacks = usize::try_from(state.count("fallbacks")?).unwrap_or(usize::MAX);
        self.has_prev = state.count("has_prev")? != 0;
        if matches!(self.source, Source::Previous) && self.has_prev {
            let d = self.a.len();
            state.read_floats("previous", d, &mut self.a)?;
        }
        self.step = StepState::default();
        Ok(())
    }
}

impl<F: Real> Dap<F> {
    /// The first call of a step: stage 1 (the proxy), then the first round —
    /// the pilot's for two-stage, otherwise the DAP round.
    fn start_step(
        &mut self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
        mu: F,
    ) -> Result<()> {
        let d = x.len();
        self.step = StepState {
            fx: ctx.fx(),
            ..StepState::default()
        };
        let central = self.smoothing.central();
        let center = !central && ctx.fx().is_none();
        match &mut self.source {
            Source::Given(p) => {
                p.proxy(ArrayView1::from(x), ArrayViewMut1::from(&mut self.a[..]));
                if let Some(i) = self.a.iter().position(|v| !v.is_finite()) {
                    return Err(Error::InvalidParameter {
                        name: "proxy",
                        value: format!("a[{i}] = {}", self.a[i]),
                        requirement: "a finite vector (the gradient proxy returned a non-finite value)",
                    });
                }
            }
            Source::Previous => {}
            Source::TwoStage { .. } => {
                // The pilot round: b uniform-sphere differences (and f(x)).
                for u in self.pilot_rows.chunks_exact_mut(d) {
                    sphere_direction(u, ctx.rng());
                }
                if center {
                    round.push_copy(Query::Center, x);
                }
                Self::push_differences(round, x, &self.pilot_rows, mu, central, 0);
                return Ok(());
            }
        }
        self.push_dap_round(x, ctx, round, out, mu, center)
    }

    /// The DAP round's values `v`: the coefficients of the estimate (the pilot
    /// row weighted b/(b + q) and the DAP rows q/(b + q) for two-stage), and,
    /// for the previous-estimate variant, the next proxy.
    fn finish(&mut self, v: &[F], fx: Option<F>, mu: F, out: &mut Estimate<F>) {
        let pilot = self.pilot();
        let q = self.smoothing.directions();
        let extra = usize::from(pilot > 0);
        let coefs = out.coefficients_mut();
        coefs.resize(q + extra, F::zero());
        let (c0, cd) = coefs.split_at_mut(extra);
        difference::coefficients(v, fx, mu, F::one(), cd);
        if extra == 1 {
            let total = F::of_f64((pilot + q) as f64);
            c0[0] = F::of_f64(pilot as f64) / total;
            let w = F::of_f64(q as f64) / total;
            cd.iter_mut().for_each(|c| *c = *c * w);
        }
        if let Source::Previous = self.source {
            // This step's estimate becomes the next proxy at commit.
            let (rows, coefs) = out.stored_parts();
            combine_rows(rows, coefs, &mut self.a_next);
            self.step.new_prev = true;
        }
    }
}

/// out = Σⱼ cⱼ·rowⱼ over the rows of length `out.len()` in `rows`, accumulated
/// row by row in `F`.
fn combine_rows<F: Real>(rows: &[F], coefs: &[F], out: &mut [F]) {
    out.iter_mut().for_each(|v| *v = F::zero());
    for (row, &c) in rows.chunks_exact(out.len()).zip(coefs) {
        for (o, &r) in out.iter_mut().zip(row) {
            *o = *o + c * r;
        }
    }
}
