//! Normalised gradient descent: a step of exactly η along the estimate's direction.

use super::{UpdateContext, UpdateInfo, UpdateRule};
use crate::error::{Error, Result, check_non_negative};
use crate::estimator::Estimate;
use crate::real::Real;
use crate::run::{Flow, Round};

/// Normalised descent: x ← x − η·ĝ with ĝ = (g + λ·x)/‖g + λ·x‖.
///
/// This is ReLIZO's `strict_lr=True` (Wang et al., NeurIPS 2024, reference
/// `relizo.py`): the step has length exactly η whatever ‖g‖ is. The weight decay
/// λ ≥ 0 (default 0) is added to g *before* normalising, as in the reference.
/// (The reference's default, a step of η·‖g‖ along ĝ, is plain
/// [`Sgd`](crate::Sgd).)
///
/// Two passes over the support: ‖g + λx‖, then the step. When g + λx = 0 the
/// direction is undefined and x is left unchanged (the reference would divide by
/// zero, get NaN and reset its state). With a block estimate only the block is
/// normalised and moved.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Normalized {
    weight_decay: f64,
}

impl Normalized {
    /// Normalised descent without weight decay.
    pub fn new() -> Self {
        Normalized { weight_decay: 0.0 }
    }

    /// Sets the weight decay λ ≥ 0, added to g before normalising.
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        self.weight_decay = lambda;
        self
    }
}

/// ‖g + λx‖ over g's support, in f64.
pub(crate) fn decayed_norm<F: Real>(x: &[F], g: &mut Estimate<F>, lambda: f64) -> f64 {
    let support = g.support();
    let gv = g.values();
    let xs = x.get(support).unwrap_or(&[]);
    if lambda == 0.0 {
        gv.iter().map(|&v| v.as_f64() * v.as_f64()).sum::<f64>().sqrt()
    } else {
        gv.iter()
            .zip(xs)
            .map(|(&v, &xi)| {
                let t = v.as_f64() + lambda * xi.as_f64();
                t * t
            })
            .sum::<f64>()
            .sqrt()
    }
}

impl<F: Real> UpdateRule<F> for Normalized {
    fn name(&self) -> &'static str {
        "normalized"
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
        let nu = decayed_norm(x, g, self.weight_decay);
        if !nu.is_finite() {
            return Err(Error::NonFiniteStep {
                rule: "normalized",
                iteration: ctx.iteration(),
            });
        }
        if nu == 0.0 {
            return Ok(Flow::Done(UpdateInfo::none()));
        }
        let a = F::of_f64(ctx.lr().as_f64() / nu);
        let lambda = F::of_f64(self.weight_decay);
        let support = g.support();
        let gv = g.values();
        if let Some(xs) = x.get_mut(support) {
            for (xi, &gi) in xs.iter_mut().zip(gv) {
                *xi = *xi - a * (gi + lambda * *xi);
            }
        }
        Ok(Flow::Done(UpdateInfo::none()))
    }
}
