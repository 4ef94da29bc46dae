//! Sign-based updates: ZO-signSGD (element-wise) and ZO-Bench's ZO-SGD-Sign (scalar).

use super::{UpdateContext, UpdateInfo, UpdateRule};
use crate::error::{Error, Result};
use crate::estimator::{Estimate, Form};
use crate::real::Real;
use crate::run::ComponentState;
use crate::run::{Flow, Round};

/// Which sign a [`SignSgd`] step takes.
///
/// ```
/// use zoptim::update::{SignMode, SignSgd};
///
/// assert_eq!(SignSgd::new().mode(), SignMode::ElementWise);
/// assert_eq!(SignSgd::scalar().mode(), SignMode::Scalar);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SignMode {
    /// x ← x − η·sign(g), coordinate by coordinate (ZO-signSGD, Liu et al., ICLR 2019).
    #[default]
    ElementWise,
    /// x ← x − η·sign(s)·u for an estimate g = s·u along one direction u
    /// (ZO-SGD-Sign in ZO-Bench, Zhang et al., ICML 2024): the sign of the
    /// *scalar* directional derivative, the direction itself unchanged.
    Scalar,
}

/// Sign-based ZO-SGD.
///
/// - [`SignMode::ElementWise`] (ZO-signSGD; Liu, Chen, Chen & Hong, ICLR 2019):
///   x ← x − η·sign(g) with sign(0) = 0. Every moved coordinate moves by exactly
///   η, so the step has norm η·√(nnz g). Converges at O(√d/√T) to a
///   neighbourhood of a stationary point whose size shrinks with the number of
///   directions averaged per step. g is materialised once (in the estimate's own
///   buffer).
/// - [`SignMode::Scalar`] (ZO-Bench's ZO-SGD-Sign): for g = (s/q)·u with a single
///   direction (q = 1, a [`Stored`](Form::Stored) or [`Seeded`](Form::Seeded)
///   estimate with one coefficient c = s), x ← x − η·sign(c)·u. It is streamed as
///   x ← x + (−η/|c|)·g, never materialising u (so with a seeded estimator it keeps
///   MeZO's memory footprint); the product (−η/|c|)·c equals ±η up to one rounding.
///   c = 0 leaves x unchanged; a subnormal |c| for which η/|c| overflows gives
///   [`Error::NonFiniteStep`] (x unchanged). It does not apply to dense estimates (coordinate
///   differences) or to several directions, where "the sign of the scalar" is not
///   defined: `apply` then returns [`Error::InvalidParameter`] (naming `sign mode`)
///   and leaves x unchanged, rather than guessing a generalisation.
///
/// A step that would make a coordinate non-finite (a learning rate that
/// overflows `F` or comes near its limit) is refused with
/// [`Error::NonFiniteStep`], x unchanged.
///
/// Queries per step: 0. Memory: none beyond the estimate.
///
/// ```
/// use ndarray::ArrayView1;
/// use zoptim::estimator::Estimate;
/// use zoptim::update::{SignSgd, update_once};
///
/// let mut g = Estimate::new();
/// g.dense_mut(3, 0..3).copy_from_slice(&[0.1, -30.0, 0.0]);
/// let mut x = [1.0, 1.0, 1.0];
/// update_once(&mut SignSgd::new(), &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.5, None)?;
/// assert_eq!(x, [0.5, 1.5, 1.0]); // sign(0) = 0
/// // The scalar mode needs a one-direction estimate; a dense one is refused, x unchanged.
/// let err = update_once(&mut SignSgd::scalar(), &mut |_: ArrayView1<f64>| 0.0, &mut x, &mut g, 0.5, None);
/// assert!(matches!(err, Err(zoptim::Error::InvalidParameter { .. })));
/// assert_eq!(x, [0.5, 1.5, 1.0]);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SignSgd {
    mode: SignMode,
}

impl SignSgd {
    /// Element-wise sign (ZO-signSGD).
    ///
    /// ```
    /// use zoptim::update::{SignMode, SignSgd};
    ///
    /// assert_eq!(SignSgd::new(), SignSgd::default());
    /// assert_eq!(SignSgd::new().mode(), SignMode::ElementWise);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        SignSgd {
            mode: SignMode::ElementWise,
        }
    }

    /// ZO-Bench's scalar sign, sign(s)·u.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// // ZO-SGD-Sign: SPSA's direction, moved by ±η only.
    /// let mut opt = Optimizer::builder(TwoPoint::spsa())
    ///     .update(SignSgd::scalar())
    ///     .learning_rate(InverseSqrt(0.1))
    ///     .max_iterations(500)
    ///     .seed(8)
    ///     .build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(4))?;
    /// assert!(report.best_f < 0.05, "{}", report.best_f);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn scalar() -> Self {
        SignSgd { mode: SignMode::Scalar }
    }

    /// The mode.
    ///
    /// ```
    /// use zoptim::update::{SignMode, SignSgd};
    ///
    /// assert_eq!(SignSgd::scalar().mode(), SignMode::Scalar);
    /// ```
    #[must_use]
    pub fn mode(&self) -> SignMode {
        self.mode
    }
}

impl<F: Real> UpdateRule<F> for SignSgd {
    /// Parameters only: the rule carries nothing between steps.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state.param("mode", self.mode);
        Ok(())
    }

    fn load_state(&mut self, _state: &ComponentState) -> Result<()> {
        Ok(())
    }

    fn name(&self) -> &'static str {
        match self.mode {
            SignMode::ElementWise => "sign",
            SignMode::Scalar => "scalar sign",
        }
    }

    fn update(
        &mut self,
        x: &mut [F],
        g: &mut Estimate<F>,
        ctx: &mut UpdateContext<'_, F>,
        _round: &mut Round<F>,
    ) -> Result<Flow<UpdateInfo<F>>> {
        let lr = ctx.lr();
        let name = UpdateRule::<F>::name(self);
        if !lr.is_finite() {
            return Err(Error::NonFiniteStep {
                rule: name,
                iteration: ctx.iteration(),
            });
        }
        match self.mode {
            SignMode::ElementWise => {
                let support = g.support();
                let gs = g.values();
                if let Some(xs) = x.get_mut(support) {
                    // Branch-free (random signs defeat branch prediction): the
                    // step η carries g's sign, and is 0 where g is 0.
                    let lane = |xi: F, gi: F| {
                        let step = if gi == F::zero() { F::zero() } else { lr.copysign(gi) };
                        xi - step
                    };
                    // Every step is ±η: it can overflow only for η near F's limit.
                    if lr.as_f64() >= super::safe_term::<F>()
                        && !xs.iter().zip(gs).all(|(&xi, &gi)| lane(xi, gi).is_finite())
                    {
                        return Err(Error::NonFiniteStep {
                            rule: name,
                            iteration: ctx.iteration(),
                        });
                    }
                    for (xi, &gi) in xs.iter_mut().zip(gs) {
                        *xi = lane(*xi, gi);
                    }
                }
            }
            SignMode::Scalar => {
                let c = match (g.form(), g.coefficients()) {
                    (Form::Stored | Form::Seeded, &[c]) => c,
                    (form, cs) => {
                        return Err(Error::InvalidParameter {
                            name: "sign mode",
                            value: format!("scalar, with a {form:?} estimate of {} direction(s)", cs.len()),
                            requirement: "used with a single-direction stored or seeded estimate \
                                          (two-point with q = 1); use SignSgd::new() (element-wise) otherwise",
                        });
                    }
                };
                if c != F::zero() {
                    let alpha = -lr / c.abs();
                    if !alpha.is_finite() {
                        // |c| is so small (subnormal) that η/|c| overflows.
                        return Err(Error::NonFiniteStep {
                            rule: "scalar sign",
                            iteration: ctx.iteration(),
                        });
                    }
                    super::checked_scaled_add(g, alpha, None, x, name, ctx.iteration())?;
                }
            }
        }
        Ok(Flow::Done(UpdateInfo::none()))
    }
}
