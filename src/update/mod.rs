//! Update rules: turn a gradient estimate into a step.
//!
//! The optimizer passes the rule the estimate, the learning rate of this step
//! (from its schedule) and an [`Oracle`] for rules that query the objective
//! themselves (line searches, conservative steps); those declare how many
//! queries they may make in [`UpdateRule::max_queries`].
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
mod line_search;
mod momentum;
mod normalized;
mod sgd;
mod sign;

pub use adam::{Adam, WeightDecay};
pub use conservative::Conservative;
pub use line_search::{Acceptance, LineSearch};
pub use momentum::Momentum;
pub use normalized::Normalized;
pub use sgd::Sgd;
pub use sign::{SignMode, SignSgd};

use crate::error::Result;
use crate::estimator::Estimate;
use crate::objective::Oracle;
use crate::real::Real;

/// Turns an estimate g into a change of x.
///
/// # Contract
/// - On `Err`, x is unchanged.
/// - The optimizer calls `apply` only with a finite estimate.
/// - Stateful rules size their state in [`prepare`](UpdateRule::prepare) and
///   allocate nothing in `apply`. For an estimate whose
///   [`support`](Estimate::support) is a block, a rule changes x and its own
///   state only on that block.
pub trait UpdateRule<F: Real> {
    /// A short name for tables and error messages.
    fn name(&self) -> &'static str;

    /// Checks the configuration (called once, when the optimizer is built).
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Called with the dimension before the first step (and after a reset).
    fn prepare(&mut self, dim: usize) -> Result<()> {
        let _ = dim;
        Ok(())
    }

    /// The most objective queries one `apply` may make (0 for most rules).
    fn max_queries(&self) -> usize {
        0
    }

    /// Applies one step to `x`.
    fn apply(&mut self, x: &mut [F], g: &mut Estimate<F>, ctx: &mut UpdateContext<'_, '_, F>) -> Result<UpdateInfo<F>>;

    /// Forgets state carried between steps (moments, step counters).
    fn reset(&mut self) {}
}

impl<F: Real, U: UpdateRule<F> + ?Sized> UpdateRule<F> for Box<U> {
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
    fn apply(&mut self, x: &mut [F], g: &mut Estimate<F>, ctx: &mut UpdateContext<'_, '_, F>) -> Result<UpdateInfo<F>> {
        (**self).apply(x, g, ctx)
    }
    fn reset(&mut self) {
        (**self).reset()
    }
}

/// What an update rule is lent for one step.
pub struct UpdateContext<'o, 'a, F: Real> {
    /// The accounting point, for rules that query the objective.
    pub oracle: &'o mut Oracle<'a, F>,
    /// The learning rate of this step.
    pub lr: F,
    /// The 0-based index of this step.
    pub iteration: usize,
    /// f(x) before the step, when the estimator evaluated it.
    pub fx: Option<F>,
}

/// What an update reports.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct UpdateInfo<F> {
    /// f at the new x, when the rule evaluated it there (an accepted line-search
    /// trial); the next step then does not query it again.
    pub fx_new: Option<F>,
    /// Trial points the rule evaluated.
    pub trials: usize,
}

impl<F> UpdateInfo<F> {
    /// No queries made, f at the new x unknown.
    pub fn none() -> Self {
        UpdateInfo {
            fx_new: None,
            trials: 0,
        }
    }

    /// `trials` queries made; f at the new x is `fx_new` when known.
    pub fn with_trials(trials: usize, fx_new: Option<F>) -> Self {
        UpdateInfo { fx_new, trials }
    }
}
