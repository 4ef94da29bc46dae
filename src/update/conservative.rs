//! ZO-Bench's conservative update ZO-SGD-Cons: keep the best of x and x ∓ η·g.

use super::{UpdateContext, UpdateInfo, UpdateRule};
use crate::error::{Query, Result};
use crate::estimator::Estimate;
use crate::real::Real;
use crate::run::ComponentState;
use crate::run::{Flow, Round};

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
/// value is reported as f at the new iterate and reused), all in **one round**
/// (the three points are independent). Driven by
/// [`Optimizer::step`](crate::Optimizer::step), which is not told f(x), a step
/// after a central two-point estimate costs 5 queries, as in ZO-Bench.
/// [`max_queries`](UpdateRule::max_queries) declares 3, the worst case. The
/// queries are counted in the budget and reported as
/// [`StepRecord::trials`](crate::StepRecord::trials) (2).
///
/// Memory: the trial points live in the round (2–3 rows of d). The candidates
/// are built by streaming x ± η·g into them ([`Estimate::scaled_add_to`]), so g
/// is never materialised; the accepted candidate x − η·g is recomputed in place
/// by the same operations (bit-identical to the evaluated point). On an error (a
/// non-finite trial value) x is unchanged. A candidate that is not finite (the
/// step x ∓ η·g overflows `F`) is never evaluated: the step fails with
/// [`Error::NonFiniteStep`](crate::Error::NonFiniteStep), x unchanged.
///
/// With a block estimate only the block differs between the candidates, so only
/// the block moves. The rule has no weight decay.
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::estimator::Estimate;
/// use zoptim::update::{Conservative, update_once};
///
/// // f(x) = x², x = 1, g = 1, η = 0.5: the candidates are 0.5 (f = 0.25) and 1.5
/// // (f = 2.25); the rule keeps 0.5, after evaluating f(x) and both candidates.
/// let mut g = Estimate::new();
/// g.dense_mut(1, 0..1)[0] = 1.0;
/// let mut x = [1.0];
/// let mut f = |x: ArrayView1<f64>| x[0] * x[0];
/// let info = update_once(&mut Conservative::new(), &mut f, &mut x, &mut g, 0.5, None)?;
/// assert_eq!(x, [0.5]);
/// assert_eq!(info.fx_new, Some(0.25));
/// assert_eq!(info.trials, 2);
/// # Ok::<(), zoptim::Error>(())
/// ```
///
/// Like [`Sgd`](crate::Sgd), the rule keeps no F-typed state and is not
/// generic: one value serves `f32` and `f64` optimizers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Conservative {
    _private: (),
}

impl Conservative {
    /// The conservative rule.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Conservative, update_once};
    ///
    /// // When both candidates are worse, x stays: f(x) = x² at the minimum.
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 1.0;
    /// let mut x = [0.0];
    /// update_once(&mut Conservative::new(), &mut |x: ArrayView1<f64>| x[0] * x[0], &mut x, &mut g, 0.5, Some(0.0))?;
    /// assert_eq!(x, [0.0]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Conservative { _private: () }
    }
}

impl<F: Real> UpdateRule<F> for Conservative {
    /// Parameters only: the rule carries nothing between steps.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        let _ = state;
        Ok(())
    }

    fn load_state(&mut self, _state: &ComponentState) -> Result<()> {
        Ok(())
    }

    fn name(&self) -> &'static str {
        "conservative"
    }

    fn max_queries(&self) -> usize {
        3
    }

    fn update(
        &mut self,
        x: &mut [F],
        g: &mut Estimate<F>,
        ctx: &mut UpdateContext<'_, F>,
        round: &mut Round<F>,
    ) -> Result<Flow<UpdateInfo<F>>> {
        let lr = ctx.lr();
        let Some(answered) = ctx.answered() else {
            // One round: f(x) when unknown, x − η·g and x + η·g.
            if ctx.fx().is_none() {
                round.push_copy(Query::Center, x);
            }
            for (j, sign) in [(0, -lr), (1, lr)] {
                let row = round.push(Query::Trial(j));
                row.copy_from_slice(x);
                g.scaled_add_to(sign, row);
                // A candidate that is not finite is never evaluated, and never x.
                if !sign.is_finite() || !row.get(g.support()).unwrap_or(&[]).iter().all(|v| v.is_finite()) {
                    return Err(crate::Error::NonFiniteStep {
                        rule: "conservative",
                        iteration: ctx.iteration(),
                    });
                }
            }
            return Ok(Flow::Query);
        };
        let v = answered.values();
        let (f0, first) = match ctx.fx() {
            Some(f0) => (f0, 0),
            None => (v[0], 1),
        };
        let (f_minus, f_plus) = (v[first], v[first + 1]);
        let plus_point = answered.point(first + 1);
        let f_new = if f_minus > f0 {
            if f0 < f_plus {
                f0
            } else {
                x.copy_from_slice(plus_point);
                f_plus
            }
        } else if f_minus < f_plus {
            g.scaled_add_to(-lr, x);
            f_minus
        } else {
            x.copy_from_slice(plus_point);
            f_plus
        };
        Ok(Flow::Done(UpdateInfo::with_trials(2, Some(f_new))))
    }
}
