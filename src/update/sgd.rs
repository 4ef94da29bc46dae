//! Plain (zeroth-order) stochastic gradient descent.

use super::{UpdateContext, UpdateInfo, UpdateRule};
use crate::error::{Result, check_non_negative};
use crate::estimator::Estimate;
use crate::real::Real;
use crate::run::ComponentState;
use crate::run::{Flow, Round};

/// ZO-SGD: x ← x − η·(g + λ·x).
///
/// η is the optimizer's learning rate for the step; λ ≥ 0 is decoupled-free
/// (L2) weight decay, default 0. With λ = 0 the step is one streaming pass
/// x ← x − η·g that never materialises g, so with a seed-replayed estimator
/// ([`Storage::Seeded`](crate::estimator::Storage::Seeded)) nothing
/// d-sized is allocated besides x (MeZO's memory footprint). With a block
/// estimate only the block's coordinates are touched, weight decay included.
///
/// With λ = 0 and a memory-light two-point estimate, the estimator's move of x
/// back from its last query point joins the update: x ← x + fl(μ − η·c)·u in
/// one pass over x, so the direction is regenerated once for both (three
/// regenerations per central step instead of four; the bits are those of the
/// one-pass formula, see [`Storage::Seeded`](crate::estimator::Storage::Seeded)).
///
/// A step that would make a coordinate NaN or ±∞ (a learning rate that
/// overflows `F`, an estimate whose step overflows) is refused with
/// [`Error::NonFiniteStep`](crate::Error::NonFiniteStep), x unchanged. The check
/// costs O(q) for seed-replayed estimates and one read pass over stored
/// directions or dense values; only a step whose terms come within a factor
/// ~2⁻⁵⁵ of the overflow threshold is simulated first.
///
/// `Sgd` is not generic: it keeps no F-typed state, so one value serves `f32`
/// and `f64` optimizers and a type annotation names it without parameters
/// (`Optimizer<f64, TwoPoint<f64>, Sgd>`). Rules with per-coordinate state
/// ([`Adam`](crate::Adam), [`Momentum`](crate::Momentum)) carry their F.
///
/// ```
/// use ndarray::{ArrayView1, array};
/// use zoptim::prelude::*;
///
/// // One exact-gradient step (central CGE on a quadratic) with η = 0.25 and λ = 1:
/// // x ← x − η·(2x + λx) = 0.25·x.
/// let mut opt = Optimizer::builder(Cge::central())
///     .update(Sgd::new().weight_decay(1.0))
///     .learning_rate(0.25)
///     .build()?;
/// let mut x = array![4.0, -8.0];
/// opt.step(&mut x, &mut |v: ArrayView1<f64>| v.dot(&v))?;
/// assert!((x[0] - 1.0).abs() < 1e-9 && (x[1] + 2.0).abs() < 1e-9, "{x}");
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Sgd {
    weight_decay: f64,
}

impl Sgd {
    /// SGD without weight decay.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(Sgd::new(), Sgd::default());
    /// assert_eq!(UpdateRule::<f32>::name(&Sgd::new()), "sgd");
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Sgd { weight_decay: 0.0 }
    }

    /// Sets the weight decay λ ≥ 0.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(Sgd::new().weight_decay(1e-4)).build().is_ok());
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa()).update(Sgd::new().weight_decay(f64::NAN)).build().is_err());
    /// ```
    #[must_use]
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        self.weight_decay = lambda;
        self
    }
}

impl<F: Real> UpdateRule<F> for Sgd {
    /// Parameters only: the rule carries nothing between steps.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state.param("weight_decay", self.weight_decay);
        Ok(())
    }

    fn load_state(&mut self, _state: &ComponentState) -> Result<()> {
        Ok(())
    }

    /// Without weight decay the step is x ← x − η·g alone, so a memory-light
    /// estimate's move back can join it.
    fn folds_return(&self, _: super::sealed::Internal) -> bool {
        self.weight_decay == 0.0
    }

    fn name(&self) -> &'static str {
        "sgd"
    }

    fn validate(&self) -> Result<()> {
        check_non_negative("weight_decay", self.weight_decay)
    }

    fn update(
        &mut self,
        x: &mut [F],
        g: &mut Estimate<F>,
        ctx: &mut UpdateContext<'_, F>,
        _round: &mut Round<F>,
    ) -> Result<Flow<UpdateInfo<F>>> {
        let lr = ctx.lr();
        if let Some(d) = ctx.take_displacement() {
            // x is still displaced by a seeded walk's last perturbation: fold the
            // move back into this pass when g allows it.
            if g.scaled_add_folding(-lr, x, &d) {
                return Ok(Flow::Done(UpdateInfo::none()));
            }
            d.undo(x);
        }
        let shrink = (self.weight_decay != 0.0).then(|| F::one() - lr * F::of_f64(self.weight_decay));
        super::checked_scaled_add(g, -lr, shrink, x, "sgd", ctx.iteration())?;
        Ok(Flow::Done(UpdateInfo::none()))
    }
}
