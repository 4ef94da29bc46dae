//! ZO-Bench's conservative update ZO-SGD-Cons: keep the best of x and x ∓ η·g.

use super::{UpdateContext, UpdateInfo, UpdateRule};
use crate::error::{Query, Result};
use crate::estimator::Estimate;
use crate::real::Real;

/// ZO-SGD-Cons (ZO-Bench, Zhang et al., ICML 2024): evaluate the two candidates
/// x − η·g and x + η·g and keep the best of them and the current point.
///
/// With f₀ = f(x), f₋ = f(x − η·g), f₊ = f(x + η·g), the choice is ZO-Bench's
/// (`zo_conserv_step`) exactly, ties included:
///
/// - if f₋ > f₀: stay at x if f₀ < f₊, else move to x + η·g;
/// - else: move to x − η·g if f₋ < f₊, else to x + η·g.
///
/// Queries per step: 2 trials, plus f(x) when it is not already known (a forward
/// estimator evaluates it; so does the previous conservative step, whose chosen
/// value is reported as f at the new iterate and reused). With a central
/// two-point estimator a step costs 5 queries, as in ZO-Bench.
/// [`max_queries`](UpdateRule::max_queries) declares 3, the worst case. The
/// queries are counted in the budget and reported as
/// [`StepRecord::trials`](crate::StepRecord::trials) (2).
///
/// Memory: one d-sized trial buffer owned by the rule. The candidates are built
/// by streaming x ± η·g into it ([`Estimate::scaled_add_to`]), so g is never
/// materialised; the accepted candidate x − η·g is recomputed in place by the
/// same operations (bit-identical to the evaluated point). On an error (a
/// non-finite trial value) x is unchanged.
///
/// With a block estimate only the block differs between the candidates, so only
/// the block moves. The rule has no weight decay.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conservative<F> {
    trial: Vec<F>,
}

impl<F: Real> Conservative<F> {
    /// The conservative rule.
    pub fn new() -> Self {
        Conservative { trial: Vec::new() }
    }
}

impl<F: Real> UpdateRule<F> for Conservative<F> {
    fn name(&self) -> &'static str {
        "conservative"
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        self.trial.clear();
        self.trial.resize(dim, F::zero());
        Ok(())
    }

    fn max_queries(&self) -> usize {
        3
    }

    fn apply(&mut self, x: &mut [F], g: &mut Estimate<F>, ctx: &mut UpdateContext<'_, '_, F>) -> Result<UpdateInfo<F>> {
        let lr = ctx.lr;
        let f0 = match ctx.fx {
            Some(v) => v,
            None => ctx.oracle.eval(x, Query::Center)?,
        };
        self.trial.clear();
        self.trial.extend_from_slice(x);
        g.scaled_add_to(-lr, &mut self.trial);
        let f_minus = ctx.oracle.eval(&self.trial, Query::Trial(0))?;
        self.trial.copy_from_slice(x);
        g.scaled_add_to(lr, &mut self.trial);
        let f_plus = ctx.oracle.eval(&self.trial, Query::Trial(1))?;
        let f_new = if f_minus > f0 {
            if f0 < f_plus {
                f0
            } else {
                x.copy_from_slice(&self.trial);
                f_plus
            }
        } else if f_minus < f_plus {
            g.scaled_add_to(-lr, x);
            f_minus
        } else {
            x.copy_from_slice(&self.trial);
            f_plus
        };
        Ok(UpdateInfo::with_trials(2, Some(f_new)))
    }
}
