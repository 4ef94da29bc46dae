//! Heavy-ball and Nesterov momentum (ZO-Bench's ZO-SGD-MMT).

use super::{UpdateContext, UpdateInfo, UpdateRule, max_abs, non_finite_step, safe_term, safe_value};
use crate::error::{Result, check_in_range, check_non_negative};
use crate::estimator::Estimate;
use crate::real::Real;
use crate::run::ComponentState;
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
///
/// **Non-finite steps.** A step that would make x or the buffer NaN or ±∞ (a
/// learning rate that overflows `F`, a huge estimate, f32 values near 3.4e38) is
/// refused with [`Error::NonFiniteStep`](crate::Error::NonFiniteStep); x and m
/// are then exactly as before. The rule keeps an upper bound on |m| (updated by
/// the same recurrence, O(1) per step), so the check costs one read pass over g
/// (and over x with weight decay); only a step whose bound comes near the
/// overflow threshold is simulated before it is taken.
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::estimator::Estimate;
/// use zoptim::update::{Momentum, UpdateRule, update_once};
///
/// let mut rule = Momentum::new(0.5);
/// rule.prepare(1)?;
/// let mut g = Estimate::new();
/// let mut x = [1.0];
/// for _ in 0..2 {
///     g.dense_mut(1, 0..1)[0] = 1.0;
///     update_once(&mut rule, &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.1, None)?;
/// }
/// // m = 1, then 0.5·1 + 1 = 1.5: x = 1 − 0.1 − 0.15.
/// assert_eq!(rule.buffer(), &[1.5]);
/// assert!((x[0] - 0.75).abs() < 1e-15);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Momentum<F> {
    beta: f64,
    nesterov: bool,
    weight_decay: f64,
    buf: Vec<F>,
    /// An upper bound on max |mᵢ| (0 before the first step).
    bound: f64,
}

impl<F: Real> Momentum<F> {
    /// Heavy-ball momentum with coefficient β ∈ [0, 1).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(Momentum::new(0.5)).build().is_ok());
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(Momentum::new(1.0)).build().is_err()); // β < 1
    /// ```
    #[must_use]
    pub fn new(beta: f64) -> Self {
        Momentum {
            beta,
            nesterov: false,
            weight_decay: 0.0,
            buf: Vec::new(),
            bound: 0.0,
        }
    }

    /// Heavy-ball momentum, β = 0.9.
    ///
    /// ```
    /// use zoptim::update::Momentum;
    ///
    /// assert_eq!(Momentum::<f64>::heavy_ball(), Momentum::new(0.9));
    /// assert_eq!(Momentum::<f64>::heavy_ball(), Momentum::default());
    /// ```
    #[must_use]
    pub fn heavy_ball() -> Self {
        Self::new(0.9)
    }

    /// Nesterov momentum, β = 0.9.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Momentum, UpdateRule, update_once};
    ///
    /// // Nesterov's first step is x − η·(g + β·m) with m = g: 1 − 0.1·1.9.
    /// let mut rule = Momentum::nesterov();
    /// rule.prepare(1)?;
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 1.0;
    /// let mut x = [1.0];
    /// update_once(&mut rule, &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.1, None)?;
    /// assert!((x[0] - 0.81).abs() < 1e-15);
    /// assert_eq!(Momentum::<f64>::nesterov(), Momentum::heavy_ball().with_nesterov(true));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn nesterov() -> Self {
        Self::new(0.9).with_nesterov(true)
    }

    /// Switches Nesterov's look-ahead on or off.
    ///
    /// ```
    /// use zoptim::update::Momentum;
    ///
    /// assert_eq!(Momentum::<f64>::nesterov().with_nesterov(false), Momentum::heavy_ball());
    /// ```
    #[must_use]
    pub fn with_nesterov(mut self, on: bool) -> Self {
        self.nesterov = on;
        self
    }

    /// Sets the L2 weight decay λ ≥ 0 (added to the gradient, as in PyTorch's SGD).
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Momentum, UpdateRule, update_once};
    ///
    /// // L2 decay enters the buffer: m = g + λx = 0 + 0.5·2, x = 2 − 0.1·1.
    /// let mut m = Momentum::new(0.9).weight_decay(0.5);
    /// m.prepare(1)?;
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 0.0;
    /// let mut x = [2.0];
    /// update_once(&mut m, &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.1, None)?;
    /// assert!((x[0] - 1.9).abs() < 1e-15);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        self.weight_decay = lambda;
        self
    }

    /// The momentum buffer m (empty before the first step).
    ///
    /// ```
    /// use zoptim::update::Momentum;
    ///
    /// assert!(Momentum::<f64>::heavy_ball().buffer().is_empty()); // sized by prepare
    /// ```
    #[must_use]
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
        self.bound = 0.0;
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
        let nesterov = self.nesterov;
        let name = UpdateRule::<F>::name(self);
        let full = support.start == 0 && support.end == x.len();
        let gs = g.values();
        let (Some(xs), Some(ms)) = (x.get_mut(support.clone()), self.buf.get_mut(support)) else {
            return Ok(Flow::Done(UpdateInfo::none()));
        };
        // One coordinate of the step: (x', m').
        let lane = |xi: F, mi: F, gi: F| {
            let gh = gi + wd * xi;
            let m = beta * mi + gh;
            let step = if nesterov { gh + beta * m } else { m };
            (xi - lr * step, m)
        };
        // The cheap bound: |ĝ| ≤ G + λX, |m'| ≤ β·M + |ĝ|, |step| ≤ |ĝ| + β|m'|
        // (rounding covered by the slack and by the margins of safe_value/safe_term).
        let slack = 1.0 + 8.0 * F::UNIT_ROUNDOFF;
        let xmax = if self.weight_decay != 0.0 { max_abs(xs) } else { 0.0 };
        let gh = (max_abs(gs) + wd.as_f64() * xmax) * slack;
        let b = beta.as_f64();
        let m_new = (b * self.bound + gh) * slack;
        let step = if nesterov { (gh + b * m_new) * slack } else { m_new };
        let fast = lr.is_finite()
            && gh < safe_value::<F>()
            && m_new < safe_value::<F>()
            && lr.as_f64() * step < safe_term::<F>();
        let new_bound = if fast {
            m_new
        } else {
            // Simulate the step exactly; take it only if everything stays finite.
            let mut mmax = 0.0f64;
            for ((&xi, &mi), &gi) in xs.iter().zip(ms.iter()).zip(gs) {
                let (xn, mn) = lane(xi, mi, gi);
                if !(xn.is_finite() && mn.is_finite()) {
                    return Err(non_finite_step(name, ctx.iteration()));
                }
                mmax = mmax.max(mn.abs().as_f64());
            }
            mmax
        };
        for ((xi, mi), &gi) in xs.iter_mut().zip(ms.iter_mut()).zip(gs) {
            let (xn, mn) = lane(*xi, *mi, gi);
            *xi = xn;
            *mi = mn;
        }
        // Entries off a block keep their values: the bound covers them too.
        self.bound = if full { new_bound } else { self.bound.max(new_bound) };
        Ok(Flow::Done(UpdateInfo::none()))
    }

    fn reset(&mut self) {
        self.buf.iter_mut().for_each(|m| *m = F::zero());
        self.bound = 0.0;
    }

    /// Parameters, the momentum buffer and its bound.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state
            .param("beta", self.beta)
            .param("nesterov", self.nesterov)
            .param("weight_decay", self.weight_decay)
            .put_floats("buffer", &self.buf)
            .put_floats("bound", &[self.bound]);
        Ok(())
    }

    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        let d = self.buf.len();
        state.read_floats("buffer", d, &mut self.buf)?;
        self.bound = one_float(state, "bound")?;
        Ok(())
    }
}

/// The single float `name` of a saved state.
pub(crate) fn one_float(state: &ComponentState, name: &str) -> Result<f64> {
    match state.floats(name)? {
        [v] => Ok(*v),
        _ => Err(crate::Error::CheckpointCorrupt {
            reason: format!("{}'s `{name}` is not a single number", state.kind()),
        }),
    }
}
