//! Backtracking line searches along the normalised estimate.

use super::normalized::{Norm, Scale, decayed_norm, normalized_step};
use super::{UpdateContext, UpdateInfo, UpdateRule};
use crate::error::{Error, Query, Result, check_count, check_non_negative, check_positive};
use crate::estimator::Estimate;
use crate::real::Real;
use crate::run::ComponentState;
use crate::run::{Flow, Round};

/// Which trial a [`LineSearch`] accepts, and what it does when none is accepted.
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::estimator::Estimate;
/// use zoptim::update::{Acceptance, LineSearch, update_once};
///
/// // f(x) = x² at x = 1 with the true gradient 2 and η = 1: the first trial is
/// // s₀ = η·‖g‖ = 2, the point −1, where f = 1.
/// let run = |mut rule: LineSearch<f64>| -> zoptim::Result<(f64, usize)> {
///     let mut g = Estimate::new();
///     g.dense_mut(1, 0..1)[0] = 2.0;
///     let mut x = [1.0];
///     let info = update_once(&mut rule, &mut |x: ArrayView1<f64>| x[0] * x[0], &mut x, &mut g, 1.0, Some(1.0))?;
///     Ok((x[0], info.trials))
/// };
/// // Armijo rejects f = 1 (no sufficient decrease) and accepts s = 1, the minimum.
/// assert_eq!(run(LineSearch::armijo())?, (0.0, 2));
/// // The reference's test f ≤ f(x) + 0.1·s accepts the first trial.
/// assert_eq!(run(LineSearch::reference())?, (-1.0, 1));
/// assert_eq!(LineSearch::<f64>::reference().acceptance(), Acceptance::Reference);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Acceptance {
    /// Armijo's sufficient decrease φ(x − s·ĝ) ≤ φ(x) − c·s·ν, where ν = ‖g + λx‖
    /// is the estimated slope along −ĝ and φ(x) = f(x) + ½λ‖x‖² (φ = f without
    /// weight decay). If no trial is accepted, x is not moved.
    #[default]
    Armijo,
    /// The ReLIZO reference's `_backtracking`: accepts f(x − s·ĝ) ≤ f(x) + c·s
    /// (a `+`: small increases pass; f without the weight-decay term). If no trial
    /// is accepted it takes the step s₀·shrinkᵀ (T = max trials), which was never
    /// evaluated.
    Reference,
}

/// Backtracking line search along ĝ = (g + λx)/‖g + λx‖, as an update rule.
///
/// Trial steps s = s₀, s₀·β, s₀·β², … (at most T trials, one query each, all
/// counted against the budget) with s₀ = η·‖g + λx‖ (the step ReLIZO takes
/// without a line search) or s₀ = η with [`strict_lr`](LineSearch::strict_lr).
/// The accepted trial point becomes the new x (copied from the trial buffer, so x
/// is exactly the evaluated point), and its value is returned as
/// [`UpdateInfo::fx_new`]: [`Optimizer::minimize`](crate::Optimizer::minimize)
/// passes it to the next step as f(x), so an estimator that needs f(x) does not
/// query it again. Relative to the ReLIZO reference, which always queries f(x)
/// at the start of a step, every step whose line search accepts a trial therefore
/// costs one query less under `minimize` (a step driven by
/// [`Optimizer::step`](crate::Optimizer::step) is not told f(x) and costs the
/// same as the reference).
///
/// f(x) before the step comes from the estimator (ReLIZO and forward differences
/// report it); otherwise it is queried once, so [`max_queries`](UpdateRule::max_queries)
/// is T + 1.
///
/// Each trial is its own round (whether trial t + 1 is needed depends on trial
/// t's value); f(x), when unknown, shares the first trial's round.
///
/// Two acceptance rules ([`Acceptance`]):
/// - [`LineSearch::armijo`] (the default when a line search is wanted): correct
///   sufficient decrease, c = 1e-4, β = 0.5, T = 10; no step when every trial fails.
/// - [`LineSearch::reference`]: the ReLIZO reference's `_backtracking` for
///   compatibility (Wang et al., NeurIPS 2024, `relizo.py`): c = 0.1, β = 0.2,
///   T = 10, the `+` test that accepts small increases, and the unevaluated
///   fallback step s₀·0.2¹⁰ after ten rejections.
///
/// [`UpdateInfo::trials`] counts the evaluated trials (the reference records the
/// *rejected* ones: trials − 1 when a trial was accepted, T otherwise). On error
/// (a non-finite value at a trial), x is unchanged. A trial point that is not
/// finite (a learning rate or ‖g‖ so large that the step overflows `F`) is never
/// evaluated: the step fails with [`Error::NonFiniteStep`], x unchanged; so does
/// the reference's unevaluated fallback step. Memory: the trial point lives in
/// the round (one row of d).
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// let mut opt = Optimizer::builder(TwoPoint::forward(Direction::Gaussian).directions(4).mu(1e-6))
///     .update(LineSearch::armijo())
///     .learning_rate(1.0)
///     .max_evaluations(1_000)
///     .seed(4)
///     .build()?;
/// let report = opt.minimize(&mut f, &Array1::ones(5))?;
/// assert!(report.best_f < 1e-8, "{}", report.best_f);
/// // Every trial is counted: the budget holds.
/// assert!(report.evaluations <= 1_000);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone)]
pub struct LineSearch<F> {
    acceptance: Acceptance,
    c: f64,
    shrink: f64,
    max_trials: usize,
    strict_lr: bool,
    weight_decay: f64,
    search: Option<Search>,
    _scalar: std::marker::PhantomData<F>,
}

/// Where a search stands between its rounds.
#[derive(Clone, Copy, Debug)]
struct Search {
    /// ν = ‖g + λx‖.
    nu: f64,
    /// ν, as the normalisation uses it.
    norm: Norm,
    /// The trial step of the pending trial.
    s: f64,
    /// The index of the pending trial.
    trial: usize,
    /// f(x) and φ(x) before the step, once known.
    f0: Option<f64>,
    phi0: f64,
}

/// The configuration (not the trial buffer).
impl<F> std::fmt::Debug for LineSearch<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LineSearch")
            .field("acceptance", &self.acceptance)
            .field("c", &self.c)
            .field("shrink", &self.shrink)
            .field("max_trials", &self.max_trials)
            .field("strict_lr", &self.strict_lr)
            .field("weight_decay", &self.weight_decay)
            .finish()
    }
}

impl<F: Real> Default for LineSearch<F> {
    fn default() -> Self {
        Self::armijo()
    }
}

impl<F: Real> LineSearch<F> {
    /// Armijo backtracking: c = 1e-4, β = 0.5, at most 10 trials, s₀ = η·‖g‖.
    ///
    /// ```
    /// use zoptim::update::{Acceptance, LineSearch};
    ///
    /// assert_eq!(LineSearch::<f64>::armijo().acceptance(), Acceptance::Armijo);
    /// assert_eq!(LineSearch::<f64>::default().acceptance(), Acceptance::Armijo);
    /// ```
    #[must_use]
    pub fn armijo() -> Self {
        LineSearch {
            acceptance: Acceptance::Armijo,
            c: 1e-4,
            shrink: 0.5,
            max_trials: 10,
            strict_lr: false,
            weight_decay: 0.0,
            search: None,
            _scalar: std::marker::PhantomData,
        }
    }

    /// The ReLIZO reference's backtracking (see [`Acceptance::Reference`]):
    /// c₁ = 0.1, β = 0.2, at most 10 trials, s₀ = η·‖g‖.
    ///
    /// ```
    /// use zoptim::prelude::*;
    /// use zoptim::update::UpdateRule;
    ///
    /// // f(x) when unknown, plus at most 10 trials.
    /// assert_eq!(UpdateRule::<f64>::max_queries(&LineSearch::reference()), 11);
    /// ```
    #[must_use]
    pub fn reference() -> Self {
        LineSearch {
            acceptance: Acceptance::Reference,
            c: 0.1,
            shrink: 0.2,
            max_trials: 10,
            ..Self::armijo()
        }
    }

    /// Sets the constant c > 0 of the acceptance test.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(LineSearch::armijo().c(0.3)).build().is_ok());
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(LineSearch::armijo().c(0.0)).build().is_err());
    /// ```
    #[must_use]
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// Sets the shrink factor β ∈ (0, 1).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(LineSearch::armijo().shrink(0.3)).build().is_ok());
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(LineSearch::armijo().shrink(1.0)).build().is_err());
    /// ```
    #[must_use]
    pub fn shrink(mut self, beta: f64) -> Self {
        self.shrink = beta;
        self
    }

    /// Sets the most trials T ≥ 1.
    ///
    /// ```
    /// use zoptim::prelude::*;
    /// use zoptim::update::UpdateRule;
    ///
    /// // f(x) is queried once when the estimator does not know it, plus T trials.
    /// assert_eq!(UpdateRule::<f64>::max_queries(&LineSearch::armijo().max_trials(3)), 4);
    /// ```
    #[must_use]
    pub fn max_trials(mut self, t: usize) -> Self {
        self.max_trials = t;
        self
    }

    /// First trial η (true) instead of η·‖g + λx‖ (false, the default): ReLIZO's `strict_lr`.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{LineSearch, update_once};
    ///
    /// // With strict_lr the first trial is s₀ = η (0.25 here), not η·‖g‖ (2.5).
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 10.0;
    /// let mut x = [1.0];
    /// update_once(&mut LineSearch::armijo().strict_lr(true), &mut |x: ArrayView1<f64>| x[0] * x[0], &mut x, &mut g, 0.25, Some(1.0))?;
    /// assert_eq!(x, [0.75]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn strict_lr(mut self, on: bool) -> Self {
        self.strict_lr = on;
        self
    }

    /// Sets the weight decay λ ≥ 0, added to g before normalising (as in ReLIZO).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(LineSearch::reference().weight_decay(1e-3)).build().is_ok());
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(LineSearch::reference().weight_decay(-1.0)).build().is_err());
    /// ```
    #[must_use]
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        self.weight_decay = lambda;
        self
    }

    /// The acceptance rule.
    ///
    /// ```
    /// use zoptim::update::{Acceptance, LineSearch};
    ///
    /// assert_eq!(LineSearch::<f64>::reference().c(0.2).acceptance(), Acceptance::Reference);
    /// ```
    #[must_use]
    pub fn acceptance(&self) -> Acceptance {
        self.acceptance
    }
}

impl<F: Real> UpdateRule<F> for LineSearch<F> {
    fn name(&self) -> &'static str {
        match self.acceptance {
            Acceptance::Armijo => "armijo line search",
            Acceptance::Reference => "relizo reference line search",
        }
    }

    fn validate(&self) -> Result<()> {
        check_positive("c", self.c)?;
        check_positive("shrink", self.shrink)?;
        if self.shrink >= 1.0 {
            return Err(Error::InvalidParameter {
                name: "shrink",
                value: format!("{}", self.shrink),
                requirement: "in (0, 1)",
            });
        }
        check_count("max_trials", self.max_trials)?;
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn max_queries(&self) -> usize {
        self.max_trials.saturating_add(1)
    }

    fn update(
        &mut self,
        x: &mut [F],
        g: &mut Estimate<F>,
        ctx: &mut UpdateContext<'_, F>,
        round: &mut Round<F>,
    ) -> Result<Flow<UpdateInfo<F>>> {
        let Some(answered) = ctx.answered() else {
            return self.first_trial(x, g, ctx, round);
        };
        let Some(mut st) = self.search else {
            return Err(Error::NoPendingBatch);
        };
        let armijo = self.acceptance == Acceptance::Armijo;
        let v = answered.values();
        let row = usize::from(st.f0.is_none());
        if st.f0.is_none() {
            let f0 = v[0].as_f64();
            st.f0 = Some(f0);
            st.phi0 = f0 + self.regularizer(x, armijo);
        }
        let f0 = st.f0.unwrap_or(0.0);
        let ft = v[row];
        let trial = answered.point(row);
        let ok = if armijo {
            ft.as_f64() + self.regularizer(trial, armijo) <= st.phi0 - self.c * st.s * st.nu
        } else {
            ft.as_f64() <= f0 + self.c * st.s
        };
        if ok {
            x.copy_from_slice(trial);
            self.search = None;
            return Ok(Flow::Done(UpdateInfo::with_trials(st.trial + 1, Some(ft))));
        }
        st.s *= self.shrink;
        st.trial += 1;
        if st.trial < self.max_trials {
            self.search = Some(st);
            if !self.push_trial(x, g, round, st.trial, st.s, st.norm) {
                self.search = None;
                return Err(self.non_finite(ctx));
            }
            return Ok(Flow::Query);
        }
        self.search = None;
        self.give_up(x, g, ctx, st)
    }

    fn rollback(&mut self) {
        self.search = None;
    }

    fn reset(&mut self) {
        self.search = None;
    }

    /// Parameters only: a search lives within one step.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state
            .param("acceptance", self.acceptance)
            .param("c", self.c)
            .param("shrink", self.shrink)
            .param("max_trials", self.max_trials)
            .param("strict_lr", self.strict_lr)
            .param("weight_decay", self.weight_decay);
        Ok(())
    }

    fn load_state(&mut self, _state: &ComponentState) -> Result<()> {
        self.search = None;
        Ok(())
    }
}

impl<F: Real> LineSearch<F> {
    /// The first call of a step: the first trial, with f(x) in the same round
    /// when unknown.
    fn first_trial(
        &mut self,
        x: &[F],
        g: &mut Estimate<F>,
        ctx: &UpdateContext<'_, F>,
        round: &mut Round<F>,
    ) -> Result<Flow<UpdateInfo<F>>> {
        let armijo = self.acceptance == Acceptance::Armijo;
        let norm = decayed_norm(x, g, self.weight_decay);
        let nu = norm.nu;
        if !nu.is_finite() || !ctx.lr().is_finite() {
            return Err(self.non_finite(ctx));
        }
        if nu == 0.0 {
            return Ok(Flow::Done(UpdateInfo::with_trials(0, ctx.fx())));
        }
        let s0 = if self.strict_lr {
            ctx.lr().as_f64()
        } else {
            ctx.lr().as_f64() * nu
        };
        let f0 = ctx.fx().map(|v| v.as_f64());
        if f0.is_none() {
            round.push_copy(Query::Center, x);
        }
        let phi0 = f0.map_or(0.0, |f| f + self.regularizer(x, armijo));
        self.search = Some(Search {
            nu,
            norm,
            s: s0,
            trial: 0,
            f0,
            phi0,
        });
        if !self.push_trial(x, g, round, 0, s0, norm) {
            self.search = None;
            return Err(self.non_finite(ctx));
        }
        Ok(Flow::Query)
    }

    /// Every trial was rejected: Armijo keeps x; the reference takes the last,
    /// shrunk step unevaluated.
    fn give_up(
        &self,
        x: &mut [F],
        g: &mut Estimate<F>,
        ctx: &UpdateContext<'_, F>,
        st: Search,
    ) -> Result<Flow<UpdateInfo<F>>> {
        let f0 = F::of_f64(st.f0.unwrap_or(0.0));
        match self.acceptance {
            Acceptance::Armijo => Ok(Flow::Done(UpdateInfo::with_trials(self.max_trials, Some(f0)))),
            Acceptance::Reference => {
                // The reference returns init·shrink^T unevaluated (s has been
                // shrunk T times) and takes it.
                let scale = Scale::new(st.s, st.norm);
                normalized_step(x, g, self.weight_decay, st.s, scale, self.name(), ctx.iteration())?;
                Ok(Flow::Done(UpdateInfo::with_trials(self.max_trials, None)))
            }
        }
    }

    fn non_finite(&self, ctx: &UpdateContext<'_, F>) -> Error {
        Error::NonFiniteStep {
            rule: UpdateRule::<F>::name(self),
            iteration: ctx.iteration(),
        }
    }

    /// ½λ‖v‖² for Armijo with weight decay (φ = f + ½λ‖x‖²), else 0.
    fn regularizer(&self, v: &[F], armijo: bool) -> f64 {
        if armijo && self.weight_decay != 0.0 {
            0.5 * self.weight_decay * v.iter().map(|&t| t.as_f64() * t.as_f64()).sum::<f64>()
        } else {
            0.0
        }
    }

    /// Pushes trial `t`: x − (s/ν)·(g + λx) on the support, x elsewhere. Returns
    /// false when the trial point is not finite (it must not be evaluated, nor
    /// ever become x).
    fn push_trial(&self, x: &[F], g: &mut Estimate<F>, round: &mut Round<F>, t: usize, s: f64, norm: Norm) -> bool {
        let scale = Scale::<F>::new(s, norm);
        let lam = F::of_f64(self.weight_decay);
        let support = g.support();
        let gv = g.values();
        let row = round.push(Query::Trial(t));
        row.copy_from_slice(x);
        let mut finite = true;
        if let Some(ts) = row.get_mut(support) {
            for (ti, &gi) in ts.iter_mut().zip(gv) {
                *ti = *ti - scale.apply(gi + lam * *ti);
                finite &= ti.is_finite();
            }
        }
        finite
    }
}
