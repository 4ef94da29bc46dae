//! Adam, AdamW and AMSGrad (ZO-Adam in ZO-Bench; ZO-AdaMM).

use super::{UpdateContext, UpdateInfo, UpdateRule};
use crate::error::{Result, check_in_range, check_non_negative, check_positive};
use crate::estimator::Estimate;
use crate::real::Real;
use crate::run::{Flow, Round};

/// How an [`Adam`] rule applies weight decay λ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WeightDecay {
    /// L2 regularisation added to the gradient, ĝ = g + λ·x (PyTorch's `Adam`).
    #[default]
    L2,
    /// Decoupled decay x ← x·(1 − η·λ) before the Adam step (AdamW; Loshchilov &
    /// Hutter, ICLR 2019).
    Decoupled,
}

/// Adam (Kingma & Ba, ICLR 2015) on a zeroth-order estimate, with the AdamW and
/// AMSGrad variants; ZO-Adam in ZO-Bench (Zhang et al., ICML 2024) and ZO-AdaMM
/// (Chen et al., NeurIPS 2019).
///
/// With t the number of steps this coordinate has taken (1 on its first):
///
/// - m ← β₁·m + (1 − β₁)·ĝ, v ← β₂·v + (1 − β₂)·ĝ²;
/// - AMSGrad (Reddi et al., ICLR 2018): v_max ← max(v_max, v), used in place of v;
/// - with bias correction (default): x ← x − η·(m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ)) + ε),
///   exactly PyTorch's `Adam`/`AdamW` (including `amsgrad=True`, which corrects
///   v_max);
/// - without ([`bias_correction(false)`](Adam::bias_correction)): x ← x − η·m/(√v + ε).
///
/// Defaults: β₁ = 0.9, β₂ = 0.999, ε = 1e-8 (PyTorch's, as in ZO-Bench), no weight
/// decay, no AMSGrad. [`Adam::adamw`] sets decoupled decay λ = 0.01 (PyTorch's
/// default). [`Adam::zo_adamm`] is Chen et al.'s ZO-AdaMM: AMSGrad without bias
/// correction.
///
/// **Deviation from ZO-AdaMM.** ZO-AdaMM projects in the Mahalanobis norm of
/// √v̂; zoptim's [`Projection`](crate::projection::Projection) is Euclidean. For
/// box bounds the two coincide (clipping each coordinate); for a ball they differ.
/// ZO-AdaMM's analysis uses no ε; zoptim keeps ε (default 1e-8) so the first step
/// with a zero coordinate of g cannot divide by zero.
///
/// Queries per step: 0. Memory: 2d values (3d with AMSGrad) plus a d-sized step
/// counter, sized in `prepare`; g is materialised once in the estimate's buffer.
///
/// **Block estimates (lazy semantics).** Only the coordinates in the estimate's
/// [`support`](Estimate::support) update their moments, their step count and x;
/// the others keep their state (as TensorFlow's LazyAdam). The step count is per
/// coordinate so that the bias correction of a block visited every K-th step is
/// right; for full-support estimates all counts are equal and the correction is
/// computed once per step.
#[derive(Clone, Debug, PartialEq)]
pub struct Adam<F> {
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
    decay: WeightDecay,
    amsgrad: bool,
    bias_correction: bool,
    m: Vec<F>,
    v: Vec<F>,
    v_max: Vec<F>,
    t: Vec<u64>,
    /// The common step count while every step had full support (then `t` is stale).
    t_all: Option<u64>,
}

impl<F: Real> Default for Adam<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Real> Adam<F> {
    /// Adam with PyTorch's defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8).
    pub fn new() -> Self {
        Adam {
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            decay: WeightDecay::L2,
            amsgrad: false,
            bias_correction: true,
            m: Vec::new(),
            v: Vec::new(),
            v_max: Vec::new(),
            t: Vec::new(),
            t_all: Some(0),
        }
    }

    /// AdamW: decoupled weight decay λ = 0.01.
    pub fn adamw() -> Self {
        Self::new().weight_decay(0.01).decay(WeightDecay::Decoupled)
    }

    /// ZO-AdaMM (Chen et al., NeurIPS 2019): AMSGrad without bias correction.
    pub fn zo_adamm() -> Self {
        Self::new().amsgrad(true).bias_correction(false)
    }

    /// Sets β₁, β₂ ∈ [0, 1).
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Sets ε > 0.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Sets the weight decay λ ≥ 0.
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        self.weight_decay = lambda;
        self
    }

    /// Sets how weight decay is applied.
    pub fn decay(mut self, how: WeightDecay) -> Self {
        self.decay = how;
        self
    }

    /// Switches AMSGrad's running maximum of v on or off.
    pub fn amsgrad(mut self, on: bool) -> Self {
        self.amsgrad = on;
        self
    }

    /// Switches the bias correction on (default) or off.
    pub fn bias_correction(mut self, on: bool) -> Self {
        self.bias_correction = on;
        self
    }

    /// The first moment m (empty before the first step).
    pub fn first_moment(&self) -> &[F] {
        &self.m
    }

    /// The second moment v (empty before the first step).
    pub fn second_moment(&self) -> &[F] {
        &self.v
    }

    /// AMSGrad's running maximum of v (empty unless AMSGrad is on).
    pub fn max_second_moment(&self) -> &[F] {
        &self.v_max
    }
}

/// (η/(1 − β₁ᵗ), 1/√(1 − β₂ᵗ)), or (η, 1) without bias correction.
fn corrections<F: Real>((beta1, beta2, on): (f64, f64, bool), lr: F, t: u64) -> (F, F) {
    if !on {
        return (lr, F::one());
    }
    let e = t.min(i32::MAX as u64) as i32;
    let bc1 = 1.0 - beta1.powi(e);
    let bc2 = 1.0 - beta2.powi(e);
    (lr / F::of_f64(bc1), F::of_f64(1.0 / bc2.sqrt()))
}

/// The per-coordinate Adam update with the step's constants.
struct Kernel<F> {
    b1: F,
    b2: F,
    one_b1: F,
    one_b2: F,
    eps: F,
    wd: Option<F>,
    shrink: Option<F>,
}

impl<F: Real> Kernel<F> {
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn run(&self, x: &mut [F], m: &mut [F], v: &mut [F], vmax: Option<&mut [F]>, g: &[F], step: F, v_scale: F) {
        let n = x.len().min(m.len()).min(v.len()).min(g.len());
        let (x, m, v, g) = (&mut x[..n], &mut m[..n], &mut v[..n], &g[..n]);
        let wd = self.wd.unwrap_or(F::zero());
        let shrink = self.shrink.unwrap_or(F::one());
        match vmax {
            None => {
                for (((xi, mi), vi), &gi) in x.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
                    let gi = gi + wd * *xi;
                    *mi = self.b1 * *mi + self.one_b1 * gi;
                    *vi = self.b2 * *vi + self.one_b2 * gi * gi;
                    *xi = *xi * shrink - step * *mi / (vi.sqrt() * v_scale + self.eps);
                }
            }
            Some(vmax) => {
                let vmax = &mut vmax[..n];
                for ((((xi, mi), vi), vm), &gi) in x
                    .iter_mut()
                    .zip(m.iter_mut())
                    .zip(v.iter_mut())
                    .zip(vmax.iter_mut())
                    .zip(g)
                {
                    let gi = gi + wd * *xi;
                    *mi = self.b1 * *mi + self.one_b1 * gi;
                    *vi = self.b2 * *vi + self.one_b2 * gi * gi;
                    *vm = vm.max(*vi);
                    *xi = *xi * shrink - step * *mi / (vm.sqrt() * v_scale + self.eps);
                }
            }
        }
    }
}

impl<F: Real> UpdateRule<F> for Adam<F> {
    fn name(&self) -> &'static str {
        match (self.decay, self.amsgrad) {
            (WeightDecay::Decoupled, false) => "adamw",
            (WeightDecay::Decoupled, true) => "adamw-amsgrad",
            (WeightDecay::L2, false) => "adam",
            (WeightDecay::L2, true) => "amsgrad",
        }
    }

    fn validate(&self) -> Result<()> {
        check_in_range("beta1", self.beta1, 0.0, 1.0 - f64::EPSILON, "in [0, 1)")?;
        check_in_range("beta2", self.beta2, 0.0, 1.0 - f64::EPSILON, "in [0, 1)")?;
        check_positive("eps", self.eps)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        for buf in [&mut self.m, &mut self.v] {
            buf.clear();
            buf.resize(dim, F::zero());
        }
        self.v_max.clear();
        if self.amsgrad {
            self.v_max.resize(dim, F::zero());
        }
        self.t.clear();
        self.t.resize(dim, 0);
        self.t_all = Some(0);
        Ok(())
    }

    fn update(
        &mut self,
        x: &mut [F],
        g: &mut Estimate<F>,
        ctx: &mut UpdateContext<'_, F>,
        _round: &mut Round<F>,
    ) -> Result<Flow<UpdateInfo<F>>> {
        if self.m.len() != x.len() {
            self.prepare(x.len())?;
        }
        let support = g.support();
        if support.is_empty() || support.end > x.len() {
            return Ok(Flow::Done(UpdateInfo::none()));
        }
        let lr = ctx.lr();
        let (b1, b2) = (F::of_f64(self.beta1), F::of_f64(self.beta2));
        let (one_b1, one_b2) = (F::of_f64(1.0 - self.beta1), F::of_f64(1.0 - self.beta2));
        let eps = F::of_f64(self.eps);
        let wd = F::of_f64(self.weight_decay);
        let l2 = self.decay == WeightDecay::L2 && self.weight_decay != 0.0;
        let shrink = (self.decay == WeightDecay::Decoupled && self.weight_decay != 0.0).then(|| F::one() - lr * wd);
        let cfg = (self.beta1, self.beta2, self.bias_correction);
        let gs = g.values();
        let full = support.start == 0 && support.end == x.len();
        let k = Kernel {
            b1,
            b2,
            one_b1,
            one_b2,
            eps,
            wd: if l2 { Some(wd) } else { None },
            shrink,
        };
        let r = support;
        match (full, self.t_all) {
            // Every step so far had full support: one step count for all, one
            // bias correction per step, and a loop the compiler can vectorise.
            (true, Some(t0)) => {
                let t = t0 + 1;
                self.t_all = Some(t);
                let (step_scale, v_scale) = corrections(cfg, lr, t);
                let vmax = if self.amsgrad { Some(&mut self.v_max[..]) } else { None };
                k.run(x, &mut self.m, &mut self.v, vmax, gs, step_scale, v_scale);
            }
            _ => {
                if let Some(t0) = self.t_all.take() {
                    self.t.iter_mut().for_each(|t| *t = t0);
                }
                // Per-coordinate counts; runs of equal counts (a block visited
                // together) share one bias correction.
                let ts = &mut self.t[r.clone()];
                let mut start = 0;
                while start < ts.len() {
                    let t = ts[start] + 1;
                    let mut end = start + 1;
                    while end < ts.len() && ts[end] + 1 == t {
                        end += 1;
                    }
                    ts[start..end].iter_mut().for_each(|c| *c = t);
                    let (step_scale, v_scale) = corrections(cfg, lr, t);
                    let (a, b) = (r.start + start, r.start + end);
                    let vmax = if self.amsgrad {
                        Some(&mut self.v_max[a..b])
                    } else {
                        None
                    };
                    k.run(
                        &mut x[a..b],
                        &mut self.m[a..b],
                        &mut self.v[a..b],
                        vmax,
                        &gs[start..end],
                        step_scale,
                        v_scale,
                    );
                    start = end;
                }
            }
        }
        Ok(Flow::Done(UpdateInfo::none()))
    }

    fn reset(&mut self) {
        let d = self.m.len();
        let _ = UpdateRule::<F>::prepare(self, d);
    }
}
