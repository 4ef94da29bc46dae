//! A trust-radius update with one trial: the step is taken only if f decreases.

use crate::error::{Error, Query, Result, check_positive};
use crate::estimator::Estimate;
use crate::real::Real;
use crate::run::ComponentState;
use crate::run::{Flow, Round};
use crate::update::{UpdateContext, UpdateInfo, UpdateRule};

/// Proposes p = η·g cut to a trust radius Δ, evaluates x − p once, and moves
/// there only if f decreased; Δ remembers what worked.
///
/// With n = ‖η·g‖ and the trial step p = η·g·min(1, Δ/n):
///
/// | outcome of f(x − p) < f(x) | x | Δ |
/// |---|---|---|
/// | success | x − p | max(Δ, 2‖p‖): doubled when the step was cut, else at least twice the step |
/// | failure | unchanged | Δ/2, or Δ when ‖p‖ < Δ/2 (the model failed, not the radius) |
///
/// So f at the iterates never increases, a step that fails is undone at the
/// cost of one query, and Δ settles where steps succeed — a (1+1)-ES-style
/// success rule along the estimated direction (Rechenberg 1973; Kern et al.,
/// Natural Computing 2004). The comparison uses values only, so the rule is
/// invariant to rescaling f; Δ starts at Δ₀ = √d·σₓ with σₓ = ‖x₀‖/√d (1 when
/// x₀ = 0), i.e. Δ₀ = ‖x₀‖, so it scales with x.
///
/// f(x) comes from the estimator (the [`Curvature`](crate::auto::Curvature)
/// estimator and forward differences report it); otherwise it is queried with
/// the trial. The accepted value is passed on as f at the new iterate.
///
/// **Queries:** 1 (2 if f(x) is unknown), in one round. **Memory:** the trial
/// point (one row of d) and the materialised estimate.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::auto::TrustStep;
/// use zoptim::prelude::*;
///
/// // SPSA with a learning rate 100× too large is safe under TrustStep: f never increases.
/// let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6)).update(TrustStep::new()).learning_rate(30.0).max_evaluations(900).build()?;
/// let report = opt.minimize(&mut f, &Array1::from_elem(3, 1.0))?;
/// assert!(report.last_f.unwrap() < 1e-6, "{:?}", report.last_f);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TrustStep<F> {
    initial: Option<f64>,
    radius: [Option<f64>; 2],
    paired: usize,
    pending: Option<(usize, f64)>,
    trial: Option<Trial>,
    _scalar: std::marker::PhantomData<F>,
}

#[derive(Clone, Copy, Debug)]
struct Trial {
    slot: usize,
    len: f64,
    radius: f64,
    cut: bool,
    f0: Option<f64>,
}

impl<F: Real> Default for TrustStep<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Real> TrustStep<F> {
    /// Δ₀ = ‖x₀‖ (√d when x₀ = 0).
    ///
    /// ```
    /// assert_eq!(zoptim::auto::TrustStep::<f64>::new().radius(), None);
    /// ```
    pub fn new() -> Self {
        TrustStep {
            initial: None,
            radius: [None; 2],
            paired: 0,
            pending: None,
            trial: None,
            _scalar: std::marker::PhantomData,
        }
    }

    /// A fixed initial radius Δ₀ > 0 in the units of x.
    ///
    /// ```
    /// use zoptim::UpdateRule;
    /// assert!(zoptim::auto::TrustStep::<f64>::new().initial_radius(-1.0).validate().is_err());
    /// ```
    pub fn initial_radius(mut self, radius: f64) -> Self {
        self.initial = Some(radius);
        self
    }

    /// Keep a second radius for every `k`-th step (0: one radius, the
    /// default): for an estimator that draws another kind of direction on
    /// those steps, as [`Curvature::alternate`](crate::auto::Curvature::alternate)`(k)`
    /// does, since good step lengths differ between the two kinds.
    ///
    /// ```
    /// use zoptim::UpdateRule;
    /// let rule = zoptim::auto::TrustStep::<f64>::new().paired(4);
    /// assert_eq!(rule.max_queries(), 2);
    /// ```
    pub fn paired(mut self, k: usize) -> Self {
        self.paired = k;
        self
    }

    /// The current radius of the ordinary steps (`None` before the first step).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::Optimizer;
    ///
    /// let mut opt = Optimizer::auto().max_iterations(5).build()?;
    /// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(4, 2.0))?;
    /// assert!(opt.update_rule().radius().is_some_and(|r| r > 0.0));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn radius(&self) -> Option<f64> {
        self.radius[0]
    }
}

impl<F: Real> UpdateRule<F> for TrustStep<F> {
    fn name(&self) -> &'static str {
        "trust step"
    }

    fn validate(&self) -> Result<()> {
        match self.initial {
            Some(r) => check_positive("initial_radius", r),
            None => Ok(()),
        }
    }

    fn max_queries(&self) -> usize {
        2
    }

    fn update(
        &mut self,
        x: &mut [F],
        g: &mut Estimate<F>,
        ctx: &mut UpdateContext<'_, F>,
        round: &mut Round<F>,
    ) -> Result<Flow<UpdateInfo<F>>> {
        let Some(answered) = ctx.answered() else {
            let slot = usize::from(super::curvature::coordinate_step(self.paired, ctx.iteration()));
            let radius = self.radius[slot].unwrap_or_else(|| {
                self.initial
                    .unwrap_or_else(|| super::curvature::scale_of(x) * (x.len() as f64).sqrt())
            });
            let lr = ctx.lr();
            let support = g.support();
            let gv = g.values();
            let n = lr.as_f64() * gv.iter().map(|&v| v.as_f64() * v.as_f64()).sum::<f64>().sqrt();
            if !n.is_finite() {
                return Err(Error::NonFiniteStep {
                    rule: "trust step",
                    iteration: ctx.iteration(),
                });
            }
            if n == 0.0 {
                return Ok(Flow::Done(UpdateInfo::with_trials(0, ctx.fx())));
            }
            let cut = n > radius;
            let t = if cut { lr * F::of_f64(radius / n) } else { lr };
            let f0 = ctx.fx().map(|v| v.as_f64());
            if f0.is_none() {
                round.push_copy(Query::Center, x);
            }
            let row = round.push(Query::Trial(0));
            row.copy_from_slice(x);
            let mut finite = true;
            let mut len2 = 0.0;
            for (ti, &gi) in row[support].iter_mut().zip(gv) {
                let step = t * gi;
                *ti = *ti - step;
                len2 += step.as_f64() * step.as_f64();
                finite &= ti.is_finite();
            }
            if !finite {
                return Err(Error::NonFiniteStep {
                    rule: "trust step",
                    iteration: ctx.iteration(),
                });
            }
            self.trial = Some(Trial {
                slot,
                len: len2.sqrt(),
                radius,
                cut,
                f0,
            });
            return Ok(Flow::Query);
        };
        let Some(trial) = self.trial.take() else {
            return Err(Error::NoPendingBatch);
        };
        let v = answered.values();
        let (f0, ft, row) = match trial.f0 {
            Some(f0) => (F::of_f64(f0), v[0], 0),
            None => (v[0], v[1], 1),
        };
        if ft < f0 {
            x.copy_from_slice(answered.point(row));
            let grown = if trial.cut {
                2.0 * trial.radius
            } else {
                trial.radius.max(2.0 * trial.len)
            };
            self.pending = Some((trial.slot, grown));
            Ok(Flow::Done(UpdateInfo::with_trials(1, Some(ft))))
        } else {
            // A failed step well inside the radius (a Newton step of rounding
            // size along a direction already minimised, say) says nothing
            // about how far a good step may go: keep Δ. Otherwise halve it.
            let radius = if trial.len < 0.5 * trial.radius {
                trial.radius
            } else {
                0.5 * trial.radius
            };
            self.pending = Some((trial.slot, radius));
            Ok(Flow::Done(UpdateInfo::with_trials(1, Some(f0))))
        }
    }

    fn commit(&mut self) {
        if let Some((slot, r)) = self.pending.take() {
            self.radius[slot] = Some(r);
        }
    }

    fn rollback(&mut self) {
        self.pending = None;
        self.trial = None;
    }

    fn reset(&mut self) {
        self.radius = [None; 2];
        self.pending = None;
        self.trial = None;
    }

    /// Parameters and the two trust radii.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        state.param("initial", self.initial).param("paired", self.paired);
        for (name, r) in ["radius_random", "radius_coordinate"].iter().zip(self.radius) {
            state.put_floats(name, r.as_slice());
        }
        Ok(())
    }

    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        for (slot, name) in ["radius_random", "radius_coordinate"].iter().enumerate() {
            self.radius[slot] = match state.floats(name)? {
                [] => None,
                [v] => Some(*v),
                _ => {
                    return Err(crate::Error::CheckpointCorrupt {
                        reason: format!("trust's `{name}` holds more than one number"),
                    });
                }
            };
        }
        self.pending = None;
        self.trial = None;
        Ok(())
    }
}
