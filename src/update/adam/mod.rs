//! Adam, AdamW and AMSGrad (ZO-Adam in ZO-Bench; ZO-AdaMM).

use super::{UpdateContext, UpdateInfo, UpdateRule};
use crate::error::{Result, check_in_range, check_non_negative, check_positive};
use crate::estimator::Estimate;
use crate::real::Real;
use crate::run::ComponentState;
use crate::run::{Flow, Round};
use step::Pass;

mod step;

/// How an [`Adam`] rule applies weight decay λ.
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::estimator::Estimate;
/// use zoptim::update::{Adam, UpdateRule, WeightDecay, update_once};
///
/// // The same gradient and λ = 0.5, η = 0.1: L2 adds λx to g, decoupled decay
/// // shrinks x by (1 − ηλ) first.
/// let step = |how: WeightDecay| -> zoptim::Result<f64> {
///     let mut adam = Adam::new().weight_decay(0.5).decay(how);
///     adam.prepare(1)?;
///     let mut g = Estimate::new();
///     g.dense_mut(1, 0..1)[0] = 1.0;
///     let mut x = [2.0];
///     update_once(&mut adam, &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.1, None)?;
///     Ok(x[0])
/// };
/// assert!((step(WeightDecay::L2)? - 1.9).abs() < 1e-6); // 2 − 0.1·sign(1 + 1)
/// assert!((step(WeightDecay::Decoupled)? - (2.0 * 0.95 - 0.1)).abs() < 1e-6);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
///
/// **Non-finite steps.** A step that would make x, m, v or v_max NaN or ±∞ (a
/// learning rate that overflows `F`; in f32, gradients for which (1 − β₂)·g²
/// overflows, |g| ≳ 6e20 with β₂ = 0.999, as from objective values near 1e37)
/// is refused with
/// [`Error::NonFiniteStep`](crate::Error::NonFiniteStep): x, the moments and the
/// step counts are then exactly as before. The rule keeps upper bounds on |m|,
/// v and v_max (updated by the moments' own recurrences, O(1) per step), so the
/// check costs one read pass over g (and over x with L2 weight decay); only a
/// step whose bound comes near the overflow threshold (|x's step| bounded by
/// η·|m|/ε) is simulated before it is taken.
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::estimator::Estimate;
/// use zoptim::update::{Adam, UpdateRule, update_once};
///
/// // The first bias-corrected Adam step moves each coordinate by η·g/(|g| + ε) ≈ ±η.
/// let mut adam = Adam::new();
/// adam.prepare(2)?;
/// let mut g = Estimate::new();
/// g.dense_mut(2, 0..2).copy_from_slice(&[1.0, -2.0]);
/// let mut x = [1.0, 1.0];
/// update_once(&mut adam, &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.1, None)?;
/// assert!((x[0] - 0.9).abs() < 1e-6 && (x[1] - 1.1).abs() < 1e-6, "{x:?}");
/// // m = (1 − β₁)·g, v = (1 − β₂)·g².
/// assert!((adam.first_moment()[1] + 0.2).abs() < 1e-12);
/// assert!((adam.second_moment()[1] - 0.004).abs() < 1e-12);
/// # Ok::<(), zoptim::Error>(())
/// ```
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
    /// Upper bounds on max |mᵢ|, max vᵢ and max v_maxᵢ.
    bounds: Bounds,
}

/// Upper bounds on the moments, for the overflow check.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Bounds {
    m: f64,
    v: f64,
    v_max: f64,
}

impl Bounds {
    fn max(self, o: Bounds) -> Bounds {
        Bounds {
            m: self.m.max(o.m),
            v: self.v.max(o.v),
            v_max: self.v_max.max(o.v_max),
        }
    }
}

impl<F: Real> Default for Adam<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Real> Adam<F> {
    /// Adam with PyTorch's defaults (β₁ = 0.9, β₂ = 0.999, ε = 1e-8).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut f = |x: ArrayView1<f64>| x.iter().enumerate().map(|(i, v)| 10f64.powi(i as i32) * v * v).sum::<f64>();
    /// let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-4))
    ///     .update(Adam::new())
    ///     .learning_rate(0.05)
    ///     .max_evaluations(4_000)
    ///     .seed(2)
    ///     .build()?;
    /// let report = opt.minimize(&mut f, &Array1::ones(3))?;
    /// assert!(report.best_f < 1e-3, "{}", report.best_f);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
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
            bounds: Bounds::default(),
        }
    }

    /// AdamW: decoupled weight decay λ = 0.01.
    ///
    /// ```
    /// use zoptim::update::{Adam, WeightDecay};
    ///
    /// assert_eq!(Adam::<f64>::adamw(), Adam::new().weight_decay(0.01).decay(WeightDecay::Decoupled));
    /// ```
    #[must_use]
    pub fn adamw() -> Self {
        Self::new().weight_decay(0.01).decay(WeightDecay::Decoupled)
    }

    /// ZO-AdaMM (Chen et al., NeurIPS 2019): AMSGrad without bias correction.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Adam, UpdateRule, update_once};
    ///
    /// assert_eq!(Adam::<f64>::zo_adamm(), Adam::new().amsgrad(true).bias_correction(false));
    /// // Without bias correction the first step is η·(1 − β₁)/√(1 − β₂) ≈ 3.16·η per coordinate.
    /// let mut rule = Adam::zo_adamm();
    /// rule.prepare(1)?;
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 5.0;
    /// let mut x = [0.0];
    /// update_once(&mut rule, &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.01, None)?;
    /// assert!((x[0] + 0.01 * 0.1 / 0.001f64.sqrt()).abs() < 1e-8, "{}", x[0]);
    /// assert_eq!(rule.max_second_moment(), rule.second_moment());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn zo_adamm() -> Self {
        Self::new().amsgrad(true).bias_correction(false)
    }

    /// Sets β₁, β₂ ∈ [0, 1).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// let ok = Optimizer::<f64>::builder(TwoPoint::spsa()).update(Adam::new().betas(0.8, 0.99)).build();
    /// assert!(ok.is_ok());
    /// let bad = Optimizer::<f64>::builder(TwoPoint::spsa()).update(Adam::new().betas(1.0, 0.99)).build();
    /// assert!(bad.is_err()); // β₁ must be < 1
    /// ```
    #[must_use]
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Sets ε > 0.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert!(Optimizer::<f32>::builder(TwoPoint::spsa()).update(Adam::new().eps(1e-6)).build().is_ok());
    /// assert!(Optimizer::<f32>::builder(TwoPoint::spsa()).update(Adam::new().eps(0.0)).build().is_err());
    /// ```
    #[must_use]
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// Sets the weight decay λ ≥ 0.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(Adam::new().weight_decay(-1.0)).build().is_err());
    /// ```
    #[must_use]
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        self.weight_decay = lambda;
        self
    }

    /// Sets how weight decay is applied.
    ///
    /// ```
    /// use zoptim::update::{Adam, UpdateRule, WeightDecay};
    ///
    /// assert_eq!(UpdateRule::<f64>::name(&Adam::new().weight_decay(0.1).decay(WeightDecay::Decoupled)), "adamw");
    /// ```
    #[must_use]
    pub fn decay(mut self, how: WeightDecay) -> Self {
        self.decay = how;
        self
    }

    /// Switches AMSGrad's running maximum of v on or off.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Adam, UpdateRule, update_once};
    ///
    /// let mut rule = Adam::new().amsgrad(true);
    /// rule.prepare(1)?;
    /// let mut g = Estimate::new();
    /// for gi in [4.0, 0.0] {
    ///     g.dense_mut(1, 0..1)[0] = gi;
    ///     update_once(&mut rule, &mut |_: ArrayView1<f64>| 0.0, &mut [0.0], &mut g, 0.1, None)?;
    /// }
    /// // v decays after the zero gradient; its running maximum does not.
    /// assert!(rule.second_moment()[0] < rule.max_second_moment()[0]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn amsgrad(mut self, on: bool) -> Self {
        self.amsgrad = on;
        self
    }

    /// Switches the bias correction on (default) or off.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Adam, UpdateRule, update_once};
    ///
    /// // Without the correction the first step is (1 − β₁)/√(1 − β₂) ≈ 3.16 times larger.
    /// let first_step = |on: bool| -> zoptim::Result<f64> {
    ///     let mut adam = Adam::new().bias_correction(on);
    ///     adam.prepare(1)?;
    ///     let mut g = Estimate::new();
    ///     g.dense_mut(1, 0..1)[0] = 1.0;
    ///     let mut x = [0.0];
    ///     update_once(&mut adam, &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.01, None)?;
    ///     Ok(-x[0])
    /// };
    /// assert!((first_step(false)? / first_step(true)? - 0.1 / 0.001f64.sqrt()).abs() < 1e-5);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn bias_correction(mut self, on: bool) -> Self {
        self.bias_correction = on;
        self
    }

    /// The first moment m (empty before the first step).
    ///
    /// ```
    /// use zoptim::update::{Adam, UpdateRule};
    ///
    /// let mut adam = Adam::<f64>::new();
    /// assert!(adam.first_moment().is_empty());
    /// adam.prepare(3)?;
    /// assert_eq!(adam.first_moment(), &[0.0; 3]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn first_moment(&self) -> &[F] {
        &self.m
    }

    /// The second moment v (empty before the first step).
    ///
    /// ```
    /// use zoptim::update::{Adam, UpdateRule};
    ///
    /// let mut adam = Adam::<f32>::new();
    /// adam.prepare(2)?;
    /// assert_eq!(adam.second_moment(), &[0.0, 0.0]);
    /// assert!(adam.max_second_moment().is_empty()); // AMSGrad is off
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn second_moment(&self) -> &[F] {
        &self.v
    }

    /// AMSGrad's running maximum of v (empty unless AMSGrad is on).
    ///
    /// ```
    /// use zoptim::update::{Adam, UpdateRule};
    ///
    /// let mut adam = Adam::<f64>::new().amsgrad(true);
    /// adam.prepare(2)?;
    /// assert_eq!(adam.max_second_moment(), &[0.0, 0.0]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn max_second_moment(&self) -> &[F] {
        &self.v_max
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
        self.bounds = Bounds::default();
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
        let k = self.kernel(lr);
        let gs = g.values();
        let (env, fast) = self.envelope(&k, lr, &x[support.clone()], gs);
        let pass = Pass {
            k,
            lr,
            gs,
            proven: fast.then_some(env),
            iteration: ctx.iteration(),
        };
        let full = support.start == 0 && support.end == x.len();
        match (full, self.t_all) {
            // Every step so far had full support: one step count for all, one
            // bias correction per step, and a loop the compiler can vectorise.
            (true, Some(t0)) => self.step_all(&pass, t0, x)?,
            _ => self.step_runs(&pass, support, x)?,
        }
        Ok(Flow::Done(UpdateInfo::none()))
    }

    fn reset(&mut self) {
        let d = self.m.len();
        let _ = UpdateRule::<F>::prepare(self, d);
    }

    /// Parameters, both moments (and the running maximum for AMSGrad), the
    /// per-coordinate step counts and the bounds behind the overflow check.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state
            .param("beta1", self.beta1)
            .param("beta2", self.beta2)
            .param("eps", self.eps)
            .param("weight_decay", self.weight_decay)
            .param("decay", self.decay)
            .param("amsgrad", self.amsgrad)
            .param("bias_correction", self.bias_correction)
            .put_floats("m", &self.m)
            .put_floats("v", &self.v)
            .put_floats("v_max", &self.v_max)
            .put_counts("t", self.t.iter().copied())
            .put_counts("t_all", self.t_all)
            .put_floats("bounds", &[self.bounds.m, self.bounds.v, self.bounds.v_max]);
        Ok(())
    }

    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        let d = self.m.len();
        state.read_floats("m", d, &mut self.m)?;
        state.read_floats("v", d, &mut self.v)?;
        let v_max = if self.amsgrad { d } else { 0 };
        state.read_floats("v_max", v_max, &mut self.v_max)?;
        let t = state.counts("t")?;
        if t.len() != d {
            return Err(crate::Error::CheckpointMismatch {
                what: "the length of adam's `t`".into(),
                checkpoint: t.len().to_string(),
                optimizer: d.to_string(),
            });
        }
        self.t.clear();
        self.t.extend_from_slice(t);
        self.t_all = state.counts("t_all")?.first().copied();
        let corrupt = || crate::Error::CheckpointCorrupt {
            reason: "adam's `bounds` are not three numbers".into(),
        };
        let [m, v, v_max] = state.floats("bounds")? else {
            return Err(corrupt());
        };
        self.bounds = Bounds {
            m: *m,
            v: *v,
            v_max: *v_max,
        };
        Ok(())
    }
}
