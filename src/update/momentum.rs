//! Heavy-ball and Nesterov momentum (ZO-Bench's ZO-SGD-MMT).

use super::{UpdateContext, UpdateInfo, UpdateRule};
use crate::error::{Result, check_in_range, check_non_negative};
use crate::estimator::Estimate;
use crate::real::Real;
use crate::run::{Flow, Round};

/// ZO-SGD with momentum (ZO-SGD-MMT in ZO-Bench, Zhang et al., ICML 2024), in
/// PyTorch's `SGD(momentum=β, nesterov=…)` form:
///
/// - gradient with L2 weight decay: ĝ = g + λ·x;
/// - buffer: m ← β·m + ĝ (m starts at 0, so the first step is m = ĝ as in PyTorch);
/// - heavy ball (Polyak 1964): x ← x − η·m;
/// - Nesterov (Sutskever et al. 2013 form): x ← x − η·(ĝ + β·m).
///
/// Defaults: β = 0.9 (ZO-Bench's), heavy ball, λ = 0. Queries per step: 0.
/// Memory: d values (the buffer), sized in `prepare`.
///
/// **Block estimates (lazy semantics).** When the estimate's
/// [`support`](Estimate::support) is a block, only that block's buffer entries
/// decay and only that block of x moves; the momentum of the other blocks is
/// frozen until their next visit (as in lazy/sparse momentum implementations),
/// rather than decaying and still moving x with a zero gradient.
#[derive(Clone, Debug, PartialEq)]
pub struct Momentum<F> {
    beta: f64,
    nesterov: bool,
    weight_decay: f64,
    buf: Vec<F>,
}

impl<F: Real> Momentum<F> {
    /// Heavy-ball momentum with coefficient β ∈ [0, 1).
    pub fn new(beta: f64) -> Self {
        Momentum {
            beta,
            nesterov: false,
            weight_decay: 0.0,
            buf: Vec::new(),
        }
    }

    /// Heavy-ball momentum, β = 0.9.
    pub fn heavy_ball() -> Self {
        Self::new(0.9)
    }

    /// Nesterov momentum, β = 0.9.
    pub fn nesterov() -> Self {
        Self::new(0.9).with_nesterov(true)
    }

    /// Switches Nesterov's look-ahead on or off.
    pub fn with_nesterov(mut self, on: bool) -> Self {
        self.nesterov = on;
        self
    }

    /// Sets the L2 weight decay λ ≥ 0 (added to the gradient, as in PyTorch's SGD).
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        self.weight_decay = lambda;
        self
    }

    /// The momentum buffer m (empty before the first step).
    pub fn buffer(&self) -> &[F] {
        &self.buf
    }
}

impl<F: Real> Default for Momentum<F> {
    fn default() -> Self {
        Self::heavy_ball()
    }
}

impl<F: Real> UpdateRule<F> for Momentum<F> {
    fn name(&self) -> &'static str {
        if self.nesterov { "nesterov" } else { "momentum" }
    }

    fn validate(&self) -> Result<()> {
        check_in_range("momentum", self.beta, 0.0, 1.0 - f64::EPSILON, "in [0, 1)")?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        self.buf.clear();
        self.buf.resize(dim, F::zero());
        Ok(())
    }

    fn update(
        &mut self,
        x: &mut [F],
        g: &mut Estimate<F>,
        ctx: &mut UpdateContext<'_, F>,
        _round: &mut Round<F>,
    ) -> Result<Flow<UpdateInfo<F>>> {
        if self.buf.len() != x.len() {
            self.prepare(x.len())?;
        }
        let support = g.support();
        let lr = ctx.lr();
        let beta = F::of_f64(self.beta);
        let wd = F::of_f64(self.weight_decay);
        let gs = g.values();
        let (Some(xs), Some(ms)) = (x.get_mut(support.clone()), self.buf.get_mut(support)) else {
            return Ok(Flow::Done(UpdateInfo::none()));
        };
        for ((xi, mi), &gi) in xs.iter_mut().zip(ms.iter_mut()).zip(gs) {
            let gh = gi + wd * *xi;
            let m = beta * *mi + gh;
            *mi = m;
            let step = if self.nesterov { gh + beta * m } else { m };
            *xi = *xi - lr * step;
        }
        Ok(Flow::Done(UpdateInfo::none()))
    }

    fn reset(&mut self) {
        self.buf.iter_mut().for_each(|m| *m = F::zero());
    }
}
