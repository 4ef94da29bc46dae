//! Update rules: turn a gradient estimate into a step.
//!
//! The optimizer passes the rule the estimate and the learning rate of this step
//! (from its schedule). Rules that evaluate trial points (line searches,
//! conservative steps) ask for them as rounds, like estimators, and declare how
//! many queries they may make in [`UpdateRule::max_queries`].
//!
//! | rule | step | queries | state |
//! |---|---|---|---|
//! | [`Sgd`] | x ← x − η(g + λx) | 0 | none |
//! | [`Momentum`] | m ← βm + g, x ← x − ηm (Nesterov: x ← x − η(g + βm)) | 0 | d |
//! | [`SignSgd`] | x ← x − η·sign(g) (element-wise) or x ← x − η·sign(s)·u (scalar) | 0 | none |
//! | [`Adam`] | Adam/AdamW, optional AMSGrad max and bias correction | 0 | 2d (3d AMSGrad) + d counts |
//! | [`Conservative`] | best of x, x − ηg, x + ηg | 2 (+1 if f(x) unknown) | d (trial point) |
//! | [`Normalized`] | x ← x − η(g + λx)/‖g + λx‖ (ReLIZO's `strict_lr`) | 0 | none |
//! | [`LineSearch`] | backtracking along ĝ = (g + λx)/‖g + λx‖: Armijo, or the ReLIZO reference's test | ≤ T (+1 if f(x) unknown) | d (trial point) |

mod adam;
mod conservative;
mod context;
mod line_search;
mod momentum;
mod normalized;
mod sgd;
mod sign;

pub use adam::{Adam, WeightDecay};
pub use conservative::Conservative;
pub use context::{UpdateContext, UpdateInfo};
pub use line_search::{Acceptance, LineSearch};
pub use momentum::Momentum;
pub use normalized::Normalized;
pub use sgd::Sgd;
pub use sign::{SignMode, SignSgd};

use crate::error::Result;
use crate::estimator::Estimate;
use crate::real::Real;
use crate::run::{ComponentState, Flow, Round};

/// Turns an estimate g into a change of x.
///
/// Most rules make no query: their [`update`](UpdateRule::update) changes x and
/// returns [`Flow::Done`] at once. Rules that evaluate trial points (line
/// searches, the conservative rule) push them into `round` and return
/// [`Flow::Query`]; they are called again with the values in
/// [`UpdateContext::answered`], as estimators are (see
/// [`GradientEstimator`](crate::GradientEstimator)).
///
/// # Contract
/// - x changes only in the call that returns `Ok(Flow::Done(_))`; on `Err`, x
///   and the rule's state are unchanged.
/// - A step that would make a coordinate of x, or a value of the rule's state,
///   NaN or ±∞ (a learning rate that overflows `F`, an estimate so large that
///   the step overflows) is refused with [`Error::NonFiniteStep`](crate::Error::NonFiniteStep):
///   every built-in rule returns `Ok` only with a finite x (given a finite x).
/// - The optimizer calls `update` only with a finite estimate.
/// - Stateful rules size their state in [`prepare`](UpdateRule::prepare) and
///   allocate nothing in `update`. For an estimate whose
///   [`support`](Estimate::support) is a block, a rule changes x and its own
///   state only on that block.
/// - [`rollback`](UpdateRule::rollback) undoes the last completed `update` when
///   the step is abandoned after it (the optimizer never does so today for the
///   built-in rules; stateful rules document what they keep to undo).
///
/// # Implementing a rule
/// Plain gradient descent with a step cap:
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::estimator::Estimate;
/// use zoptim::run::{Flow, Round};
/// use zoptim::update::{UpdateContext, UpdateInfo, UpdateRule};
/// use zoptim::{Optimizer, Result, Smoothed, TwoPoint};
///
/// struct Capped { cap: f64 }
///
/// impl UpdateRule<f64> for Capped {
///     fn name(&self) -> &'static str { "capped sgd" }
///     fn update(
///         &mut self,
///         x: &mut [f64],
///         g: &mut Estimate<f64>,
///         ctx: &mut UpdateContext<'_, f64>,
///         _round: &mut Round<f64>,
///     ) -> Result<Flow<UpdateInfo<f64>>> {
///         let lr = ctx.lr();
///         let support = g.support();
///         for (xi, &gi) in x[support].iter_mut().zip(g.values()) {
///             *xi -= (lr * gi).clamp(-self.cap, self.cap);
///         }
///         Ok(Flow::Done(UpdateInfo::none()))
///     }
/// }
///
/// let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6))
///     .update(Capped { cap: 0.1 })
///     .learning_rate(0.2)
///     .max_iterations(200)
///     .build()?;
/// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(4, 3.0))?;
/// assert!(report.best_f < 1e-8);
/// # Ok::<(), zoptim::Error>(())
/// ```
pub trait UpdateRule<F: Real> {
    /// A short name for tables and error messages.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(UpdateRule::<f64>::name(&Momentum::<f64>::nesterov()), "nesterov");
    /// ```
    fn name(&self) -> &'static str;

    /// Checks the configuration (called once, when the optimizer is built).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert!(UpdateRule::<f64>::validate(&Sgd::new().weight_decay(0.1)).is_ok());
    /// assert!(UpdateRule::<f64>::validate(&Sgd::new().weight_decay(-0.1)).is_err());
    /// ```
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Called with the dimension before the first step (and after a reset).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// let mut m = Momentum::<f64>::heavy_ball();
    /// m.prepare(5)?;
    /// assert_eq!(m.buffer().len(), 5);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn prepare(&mut self, dim: usize) -> Result<()> {
        let _ = dim;
        Ok(())
    }

    /// The most objective queries one step of the rule may make (0 for most rules).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(UpdateRule::<f64>::max_queries(&Sgd::new()), 0);
    /// assert_eq!(UpdateRule::<f64>::max_queries(&Conservative::new()), 3);
    /// ```
    fn max_queries(&self) -> usize {
        0
    }

    /// One call per round: apply the step to x and return [`Flow::Done`], or push
    /// trial points into `round` (empty on entry) and return [`Flow::Query`].
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Sgd, UpdateRule, update_once};
    ///
    /// // update is called by the drivers (or update_once), once per round of the rule.
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 4.0;
    /// let mut x = [1.0];
    /// let info = update_once(&mut Sgd::new(), &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.25, None)?;
    /// assert_eq!((x, info.trials), ([0.0], 0));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn update(
        &mut self,
        x: &mut [F],
        g: &mut Estimate<F>,
        ctx: &mut UpdateContext<'_, F>,
        round: &mut Round<F>,
    ) -> Result<Flow<UpdateInfo<F>>>;

    /// The step succeeded (state changes of this step become permanent).
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Momentum, UpdateRule, update_once};
    ///
    /// // update_once commits a successful step: the buffer keeps it.
    /// let mut m = Momentum::<f64>::new(0.5);
    /// m.prepare(1)?;
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 1.0;
    /// update_once(&mut m, &mut |_: ArrayView1<f64>| 0.0, &mut [0.0], &mut g, 0.1, None)?;
    /// assert_eq!(m.buffer(), &[1.0]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn commit(&mut self) {}

    /// The step was abandoned; forget what this step prepared.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Conservative, update_once};
    ///
    /// // A failed step (a NaN trial value) is rolled back: x is unchanged.
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 1.0;
    /// let mut x = [1.0];
    /// let r = update_once(&mut Conservative::new(), &mut |_: ArrayView1<f64>| f64::NAN, &mut x, &mut g, 0.5, Some(1.0));
    /// assert!(r.is_err());
    /// assert_eq!(x, [1.0]);
    /// ```
    fn rollback(&mut self) {}

    /// Forgets state carried between steps (moments, step counters).
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::prelude::*;
    /// use zoptim::update::update_once;
    ///
    /// let mut m = Momentum::<f64>::heavy_ball();
    /// m.prepare(1)?;
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 2.0;
    /// update_once(&mut m, &mut |_: ArrayView1<f64>| 0.0, &mut [0.0], &mut g, 0.1, None)?;
    /// assert_eq!(m.buffer(), &[2.0]);
    /// m.reset();
    /// m.prepare(1)?;
    /// assert_eq!(m.buffer(), &[0.0]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn reset(&mut self) {}

    /// Writes the parameters that configure the rule
    /// ([`ComponentState::param`]) and the memory it carries from one step to
    /// the next (moments, counts), for a [`Checkpoint`](crate::Checkpoint).
    /// Called only between steps, after [`prepare`](UpdateRule::prepare).
    ///
    /// The default refuses ([`Error::CheckpointUnsupported`](crate::Error::CheckpointUnsupported)):
    /// a rule without memory implements it by recording its parameters only.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::ComponentState;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::prelude::*;
    /// use zoptim::update::update_once;
    ///
    /// let mut m = Momentum::<f64>::heavy_ball();
    /// m.prepare(1)?;
    /// let mut before = ComponentState::new(m.name());
    /// m.save_state(&mut before)?;
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 2.0;
    /// update_once(&mut m, &mut |_: ArrayView1<f64>| 0.0, &mut [0.0], &mut g, 0.1, None)?;
    /// let mut after = ComponentState::new(m.name());
    /// m.save_state(&mut after)?;
    /// assert_ne!(before, after); // the velocity is part of the state
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        let _ = state;
        Err(crate::Error::CheckpointUnsupported { component: self.name() })
    }

    /// Restores the memory written by [`save_state`](UpdateRule::save_state),
    /// after [`prepare`](UpdateRule::prepare) at the checkpoint's dimension
    /// (the parameters were already compared). On error the optimizer resets
    /// the rule.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::ComponentState;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::prelude::*;
    /// use zoptim::update::update_once;
    ///
    /// let mut m = Momentum::<f64>::heavy_ball();
    /// m.prepare(1)?;
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 2.0;
    /// update_once(&mut m, &mut |_: ArrayView1<f64>| 0.0, &mut [0.0], &mut g, 0.1, None)?;
    /// let mut state = ComponentState::new(m.name());
    /// m.save_state(&mut state)?;
    /// let mut restored = Momentum::<f64>::heavy_ball();
    /// restored.prepare(1)?;
    /// restored.load_state(&state)?;
    /// assert_eq!(restored.buffer(), m.buffer());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        let _ = state;
        Err(crate::Error::CheckpointUnsupported { component: self.name() })
    }

    /// Whether the rule takes x still displaced by a memory-light estimator's
    /// last perturbation and folds the move back into its own pass. Only the
    /// crate's rules can answer yes (the argument cannot be named outside
    /// it); every other rule sees x at the iterate.
    #[doc(hidden)]
    fn folds_return(&self, token: sealed::Internal) -> bool {
        let _ = token;
        false
    }
}

/// The token that keeps [`UpdateRule::folds_return`] the crate's own.
pub(crate) mod sealed {
    /// Constructible and nameable only inside the crate.
    #[derive(Clone, Copy, Debug)]
    pub struct Internal(pub(crate) ());
}

impl<F: Real, U: UpdateRule<F> + ?Sized> UpdateRule<F> for Box<U> {
    fn folds_return(&self, token: sealed::Internal) -> bool {
        (**self).folds_return(token)
    }
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn validate(&self) -> Result<()> {
        (**self).validate()
    }
    fn prepare(&mut self, dim: usize) -> Result<()> {
        (**self).prepare(dim)
    }
    fn max_queries(&self) -> usize {
        (**self).max_queries()
    }
    fn update(
        &mut self,
        x: &mut [F],
        g: &mut Estimate<F>,
        ctx: &mut UpdateContext<'_, F>,
        round: &mut Round<F>,
    ) -> Result<Flow<UpdateInfo<F>>> {
        (**self).update(x, g, ctx, round)
    }
    fn commit(&mut self) {
        (**self).commit()
    }
    fn rollback(&mut self) {
        (**self).rollback()
    }
    fn reset(&mut self) {
        (**self).reset()
    }
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        (**self).save_state(state)
    }
    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        (**self).load_state(state)
    }
}

/// One application of `rule` outside an optimizer: for testing a rule, or
/// studying its step on a given estimate.
///
/// Evaluates the rule's rounds (if any) on `objective` in this thread, with
/// learning rate `lr`, iteration 0 and f(x) = `fx` when known, then commits the
/// rule's state (rolls it back on failure). Call
/// [`prepare`](UpdateRule::prepare)`(x.len())` once first for stateful rules.
/// On error x is unchanged.
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::estimator::Estimate;
/// use zoptim::update::{update_once, Sgd};
///
/// let mut g = Estimate::new();
/// g.dense_mut(2, 0..2).copy_from_slice(&[1.0, -2.0]);
/// let mut x = [1.0, 1.0];
/// let mut f = |_: ArrayView1<f64>| 0.0;
/// update_once(&mut Sgd::new(), &mut f, &mut x, &mut g, 0.5, None)?;
/// assert_eq!(x, [0.5, 2.0]);
/// # Ok::<(), zoptim::Error>(())
/// ```
pub fn update_once<F: Real, U: UpdateRule<F> + ?Sized>(
    rule: &mut U,
    objective: &mut dyn crate::Objective<F>,
    x: &mut [F],
    g: &mut Estimate<F>,
    lr: F,
    fx: Option<F>,
) -> Result<UpdateInfo<F>> {
    match crate::run::drive_update(rule, objective, x, g, lr, fx) {
        Ok(info) => {
            rule.commit();
            Ok(info)
        }
        Err(e) => {
            rule.rollback();
            Err(e)
        }
    }
}

/// The rule's error for a step that would leave x (or its own state) non-finite.
pub(crate) fn non_finite_step(rule: &'static str, iteration: usize) -> crate::Error {
    crate::Error::NonFiniteStep { rule, iteration }
}

/// A bound below which a term t can be added to any finite y of type F without
/// overflow: fl(y + t) is finite whenever |y| ≤ MAX and |t| < ½ulp(MAX), since
/// only values of magnitude ≥ MAX + ½ulp(MAX) round to ∞. This is ½ulp(MAX)/4
/// (a margin for the rounding of the bounds that are compared with it):
/// about 2.4e291 for f64 and 2.5e30 for f32.
pub(crate) fn safe_term<F: Real>() -> f64 {
    F::max_value().as_f64() * F::epsilon().as_f64() * 0.125
}

/// A bound below which a rule's state value (a moment, a buffer entry) is kept
/// safely finite through one more multiply-add: MAX/8.
pub(crate) fn safe_value<F: Real>() -> f64 {
    F::max_value().as_f64() * 0.125
}

/// max |sᵢ| in f64, with eight independent lanes so that it vectorises; NaN
/// when an entry is NaN, ∞ when one is infinite (0 for an empty slice).
pub(crate) fn max_abs<F: Real>(s: &[F]) -> f64 {
    let mut acc = [F::zero(); 8];
    // v·0 is ±0 for a finite v and NaN for ±∞ and NaN: any non-finite entry
    // makes its lane NaN.
    let mut bad = [F::zero(); 8];
    let chunks = s.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            let a = c[k].abs();
            acc[k] = if a > acc[k] { a } else { acc[k] };
            bad[k] = bad[k] + c[k] * F::zero();
        }
    }
    let mut m = 0.0f64;
    for &v in rest.iter().chain(acc.iter()) {
        if !v.is_finite() {
            return if v.is_nan() { f64::NAN } else { f64::INFINITY };
        }
        m = m.max(v.as_f64().abs());
    }
    if bad.iter().any(|b| b.is_nan()) {
        // A lane saw ±∞ or NaN; the lane maxima ignore NaN, so say so.
        return if s.iter().any(|v| v.is_nan()) {
            f64::NAN
        } else {
            f64::INFINITY
        };
    }
    m
}

/// x\[support\] ← x\[support\]·`shrink` (when given), then x ← x + α·g exactly as
/// [`Estimate::scaled_add_to`] does, or [`Error::NonFiniteStep`](crate::Error::NonFiniteStep)
/// with x untouched when a coordinate would become non-finite.
///
/// The common case costs nothing beyond the step itself plus
/// [`Estimate::term_bound`] (O(q) for seeded directions): when |shrink| ≤ 1 and
/// every term is below [`safe_term`], no coordinate of a finite x can overflow.
/// Otherwise the step is first simulated, 256 coordinates at a time on the
/// stack, with exactly the operations of the real pass, and taken only if every
/// result is finite.
pub(crate) fn checked_scaled_add<F: Real>(
    g: &Estimate<F>,
    alpha: F,
    shrink: Option<F>,
    x: &mut [F],
    rule: &'static str,
    iteration: usize,
) -> Result<()> {
    let support = g.support();
    let Some(xs) = x.get_mut(support) else {
        return Ok(());
    };
    let shrink_safe = shrink.is_none_or(|s| s.is_finite() && s.abs() <= F::one());
    let fast = alpha.is_finite() && shrink_safe && g.term_bound(alpha) < safe_term::<F>();
    if !fast {
        let mut tmp = [F::zero(); 256];
        for (k, chunk) in xs.chunks(256).enumerate() {
            let t = &mut tmp[..chunk.len()];
            t.copy_from_slice(chunk);
            if let Some(s) = shrink {
                t.iter_mut().for_each(|v| *v = *v * s);
            }
            g.scaled_add_range(alpha, k * 256, t);
            if !t.iter().all(|v| v.is_finite()) {
                return Err(non_finite_step(rule, iteration));
            }
        }
    }
    if let Some(s) = shrink {
        xs.iter_mut().for_each(|v| *v = *v * s);
    }
    g.scaled_add_to(alpha, x);
    Ok(())
}
