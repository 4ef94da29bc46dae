//! Normalised gradient descent: a step of exactly η along the estimate's direction.

use super::{UpdateContext, UpdateInfo, UpdateRule};
use crate::error::{Error, Result, check_non_negative};
use crate::estimator::Estimate;
pub(crate) use crate::linalg::Norm;
use crate::linalg::norm_of;
use crate::real::Real;
use crate::run::ComponentState;
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
///
/// The norm is taken of the values gᵢ + λxᵢ as the step computes them in `F`
/// (λ rounded to `F`), rescaled when its squares would overflow or underflow,
/// and the step is formed as (η/ν)·t, or η·(t/ν) when η/ν is not representable
/// in `F` (a tiny ν), so it has length η up to rounding whatever ν is. A step
/// that would still make a coordinate non-finite (η near the overflow
/// threshold of `F`, or a learning rate that overflows `F`) is refused with
/// [`Error::NonFiniteStep`], x unchanged.
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::estimator::Estimate;
/// use zoptim::update::{Normalized, update_once};
///
/// // g = (3, 4): the step is η·g/‖g‖ = 0.5·(0.6, 0.8), whatever ‖g‖ is.
/// let mut g = Estimate::new();
/// g.dense_mut(2, 0..2).copy_from_slice(&[3.0, 4.0]);
/// let mut x = [0.0, 0.0];
/// update_once(&mut Normalized::new(), &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.5, None)?;
/// assert!((x[0] + 0.3).abs() < 1e-15 && (x[1] + 0.4).abs() < 1e-15, "{x:?}");
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Normalized {
    weight_decay: f64,
}

impl Normalized {
    /// Normalised descent without weight decay.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Normalized, update_once};
    ///
    /// // g = 0 has no direction: x stays where it is.
    /// let mut g = Estimate::new();
    /// g.dense_mut(2, 0..2).copy_from_slice(&[0.0, 0.0]);
    /// let mut x = [1.0, 1.0];
    /// update_once(&mut Normalized::new(), &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 1.0, None)?;
    /// assert_eq!(x, [1.0, 1.0]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Normalized { weight_decay: 0.0 }
    }

    /// Sets the weight decay λ ≥ 0, added to g before normalising.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Normalized, update_once};
    ///
    /// // λx is added before normalising: g + λx = 0 + 1·(3, 4), a step of η along (0.6, 0.8).
    /// let mut g = Estimate::new();
    /// g.dense_mut(2, 0..2).copy_from_slice(&[0.0, 0.0]);
    /// let mut x = [3.0, 4.0];
    /// update_once(&mut Normalized::new().weight_decay(1.0), &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 1.0, None)?;
    /// assert!((x[0] - 2.4).abs() < 1e-15 && (x[1] - 3.2).abs() < 1e-15, "{x:?}");
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn weight_decay(mut self, lambda: f64) -> Self {
        self.weight_decay = lambda;
        self
    }
}

/// ‖t‖ over g's support for tᵢ = gᵢ + λ·xᵢ computed in `F` exactly as the
/// step computes it (λ rounded to `F`), accumulated in f64: so |tᵢ| ≤ ‖t‖ holds
/// for the very values the step uses. Rescaled by max |tᵢ| when the plain sum of
/// squares overflows or underflows, so any non-zero finite t has a finite,
/// non-zero norm; ∞ or NaN when some tᵢ is not finite.
pub(crate) fn decayed_norm<F: Real>(x: &[F], g: &mut Estimate<F>, lambda: f64) -> Norm {
    let support = g.support();
    let gv = g.values();
    let xs = x.get(support).unwrap_or(&[]);
    let lam = F::of_f64(lambda);
    let t = |i: usize| {
        let gi = gv[i];
        if lambda == 0.0 {
            gi
        } else {
            gi + lam * xs.get(i).copied().unwrap_or(F::zero())
        }
    };
    norm_of(gv.len(), |i| t(i).as_f64())
}

/// How a normalised step scales tᵢ = gᵢ + λxᵢ: by a = s/ν in `F`, or, when a is
/// not representable in `F` (ν tiny), by s·((tᵢ/max)/ratio) in f64 (at most s).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scale<F> {
    Mul(F),
    Div { s: f64, max: f64, ratio: f64 },
}

impl<F: Real> Scale<F> {
    /// The scaling for a step of length `s` along t/ν.
    pub(crate) fn new(s: f64, norm: Norm) -> Self {
        let a = F::of_f64(s / norm.nu);
        if a.is_finite() && a != F::zero() {
            Scale::Mul(a)
        } else {
            Scale::Div {
                s,
                max: norm.max,
                ratio: norm.ratio,
            }
        }
    }

    #[inline(always)]
    pub(crate) fn apply(self, t: F) -> F {
        match self {
            Scale::Mul(a) => a * t,
            Scale::Div { s, max, ratio } => F::of_f64(s * ((t.as_f64() / max) / ratio)),
        }
    }
}

/// x ← x − scale(g + λx) on g's support, or [`Error::NonFiniteStep`] with x
/// untouched when a coordinate would not be finite. A step of length at most
/// `s` with s < [`safe_term`](super::safe_term) cannot overflow (|tᵢ| ≤ ν), so
/// it is taken at once; otherwise it is simulated first.
pub(crate) fn normalized_step<F: Real>(
    x: &mut [F],
    g: &mut Estimate<F>,
    lambda: f64,
    s: f64,
    scale: Scale<F>,
    rule: &'static str,
    iteration: usize,
) -> Result<()> {
    let lam = F::of_f64(lambda);
    let support = g.support();
    let gv = g.values();
    let Some(xs) = x.get_mut(support) else {
        return Ok(());
    };
    let lane = |xi: F, gi: F| xi - scale.apply(gi + lam * xi);
    let safe = s.is_finite() && s * (1.0 + 1e-3) + 1.0 < super::safe_term::<F>();
    if !safe && !xs.iter().zip(gv).all(|(&xi, &gi)| lane(xi, gi).is_finite()) {
        return Err(super::non_finite_step(rule, iteration));
    }
    for (xi, &gi) in xs.iter_mut().zip(gv) {
        *xi = lane(*xi, gi);
    }
    Ok(())
}

impl<F: Real> UpdateRule<F> for Normalized {
    /// Parameters only: the rule carries nothing between steps.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state.param("weight_decay", self.weight_decay);
        Ok(())
    }

    fn load_state(&mut self, _state: &ComponentState) -> Result<()> {
        Ok(())
    }

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
        let norm = decayed_norm(x, g, self.weight_decay);
        let nu = norm.nu;
        let lr = ctx.lr();
        if !nu.is_finite() || !lr.is_finite() {
            return Err(Error::NonFiniteStep {
                rule: "normalized",
                iteration: ctx.iteration(),
            });
        }
        if nu == 0.0 {
            return Ok(Flow::Done(UpdateInfo::none()));
        }
        let s = lr.as_f64();
        normalized_step(
            x,
            g,
            self.weight_decay,
            s,
            Scale::new(s, norm),
            "normalized",
            ctx.iteration(),
        )?;
        Ok(Flow::Done(UpdateInfo::none()))
    }
}
