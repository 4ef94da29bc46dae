//! The default method: [`minimize`] and [`Optimizer::auto`],
//! which need no learning rate and no μ.
//!
//! # What it does
//! Each step draws a direction u — Gaussian, except every 4th step, which
//! draws a random coordinate √d·eᵢ — and queries f(x ± μu) (and f(x) when it
//! is not known). From the three values the [`Curvature`] estimator gets the
//! slope s = uᵀ∇f and the curvature c = uᵀHu along u and proposes the 1-D
//! Newton step x − (s/c)·u; the [`TrustStep`] rule cuts it to a trust radius
//! Δ (one for the Gaussian steps, one for the coordinate steps), evaluates the
//! trial point once and moves there only if f decreased, doubling Δ after a
//! success that was cut and halving it after a failure. μ = 10⁻⁴·‖x₀‖/√d
//! (10⁻⁴ when x₀ = 0) and Δ₀ = ‖x₀‖ (√d when x₀ = 0).
//!
//! | | |
//! |---|---|
//! | step | x ← x − t·(s/c)·u, t = min(1, Δ/‖(s/c)·u‖), kept only if f decreases; when c ≤ 0 or is unresolved, a step of length Δ along −sign(s)·u |
//! | queries per step | 3 (x ± μu and the trial; f(x) is the previous trial's value); 4 under noise ([`Curvature::fresh_center`]); up to 6 next to an active bound |
//! | memory | 4 vectors of d (direction and its masked copy, trial point, the estimate) |
//! | f → a·f (a > 0) | same iterates up to rounding: s/c and every comparison are unchanged |
//! | x → b·x | same iterates up to rounding when x₀ ≠ 0: μ and Δ₀ scale with ‖x₀‖ |
//! | f increasing | never at the iterates: a trial that does not decrease f is not taken |
//!
//! **Why this design.** A step that is a ratio of two differences of f is
//! invariant to the scale of f, which no learning rate is; the curvature makes
//! the step length right along u on ill-conditioned problems (on a quadratic
//! every step minimises f along u exactly), and the accept-or-reject trial is
//! what bounds the damage where the quadratic model is wrong (non-convex or
//! non-smooth f), at one query per step. The coordinate steps are what solve
//! separable ill-conditioned and non-smooth problems, where random
//! full-dimensional directions rarely line up with the axes that matter. Both
//! choices were measured on the benchmark suite (BENCHMARKS.md, "Default
//! method against the best of a grid"): against the same trust rule fed by
//! SPSA and by Gaussian forward differences, and for a coordinate step every
//! k-th step, k ∈ {0, 2, 3, 4}.
//!
//! **Minibatches.** Under [`Optimizer::minimize_stochastic`] (and
//! [`Auto::minimize_stochastic`]) the Newton step of one batch would minimise
//! that batch; the estimator divides the slope by the largest curvature seen
//! instead (SGD with step 1/L̂), and `Auto` recommends the mean of late iterates.
//!
//! References: the curvature along a direction from central differences is
//! the diagonal Hessian estimate of HiZOO (Zhao et al., ICLR 2025) restricted to
//! u; step-size memory by success and failure is the (1+1)-ES's success rule
//! (Rechenberg 1973) and a classical trust region (Conn, Gould & Toint 2000).
//!
//! # Noise
//! [`minimize`] first spends a few evaluations on [`probe_noise`]: f(x₀)
//! four times and f(x₀ ± h·u) once (6 in all, skipped when that is more than a
//! tenth of the budget). When the repeated values differ by more than rounding,
//! it sets μ from σ_f and the curvature L with [`noise_step`] (central rule:
//! μ‖u‖ = (3σ_f/L)^(1/3), clamped to [10⁻⁴, 1]·‖x₀‖), queries f(x) afresh every
//! step ([`Curvature::fresh_center`]: a value carried from the last comparison
//! is biased low), and recommends the mean of the iterates of the second half
//! of the run instead of the best noisy value ([`Recommendation::Average`]);
//! the report says which point it returns.
//!
//! # Bounds
//! With [`Auto::bounds`] every query point is projected onto the box before it
//! is evaluated (see [`crate::projection`]), so f is never evaluated outside;
//! the estimator re-measures along the coordinates the box did not move.

mod curvature;
mod noise;
mod trust;

pub use curvature::Curvature;
pub use noise::{NoiseEstimate, noise_step, probe_noise};
pub use trust::TrustStep;

use crate::error::{Error, Result};
use crate::estimator::Difference;
use crate::objective::Objective;
use crate::optimizer::{Optimizer, OptimizerBuilder};
use crate::projection::{Bounds, Projection};
use crate::real::Real;
use crate::report::{Recommendation, Report, StepRecord};
use crate::rng::ZoRng;
use ndarray::{Array1, ArrayView1};
use std::ops::ControlFlow;

impl<F: Real> Optimizer<F, Curvature<F>, TrustStep<F>> {
    /// The default method's builder: [`Curvature`] (relative μ) with
    /// [`TrustStep`] and learning rate 1 (the Newton step itself). Set a budget
    /// (and optionally a seed, a projection) and build. See [`crate::auto`].
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::Optimizer;
    ///
    /// let mut opt = Optimizer::auto().max_evaluations(3_000).seed(1).build()?;
    /// let mut f = |x: ArrayView1<f64>| x.iter().map(|v| 1e-4 * (v - 3.0).powi(2)).sum::<f64>();
    /// let report = opt.minimize(&mut f, &Array1::zeros(10))?;
    /// assert!(report.best_f < 1e-16, "{}", report.best_f);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn auto() -> OptimizerBuilder<F, Curvature<F>, TrustStep<F>> {
        Optimizer::builder(Curvature::new().alternate(ALTERNATE))
            .update(TrustStep::new().paired(ALTERNATE))
            .learning_rate(1.0)
    }
}

/// Minimises `objective` from `x0` with the default method in at most
/// `budget` evaluations: no learning rate, no μ.
///
/// Equivalent to `Auto::new(budget).minimize(objective, x0)` (see [`Auto`]
/// and [`crate::auto`]). The report counts every evaluation, the noise probe's
/// included. Errors: as [`Optimizer::minimize`], plus
/// [`Error::BudgetExhausted`] for a budget too small for one step. Turn a
/// failed or diverged run into an error with [`Report::into_result`].
///
/// ```
/// use ndarray::{Array1, ArrayView1};
///
/// let mut f = |x: ArrayView1<f64>| (x[0] - 1.0).powi(2) + 100.0 * (x[1] - x[0] * x[0]).powi(2);
/// let report = zoptim::minimize(&mut f, &Array1::from(vec![-1.2, 1.0]), 3_000)?.into_result()?;
/// assert!(report.best_f < 1e-8, "{}", report.best_f);
/// assert!(report.evaluations <= 3_000);
/// # Ok::<(), zoptim::Error>(())
/// ```
pub fn minimize<'x, F: Real, O: Objective<F>>(
    objective: &mut O,
    x0: impl Into<ArrayView1<'x, F>>,
    budget: usize,
) -> Result<Report<F>> {
    Auto::new(budget).minimize(objective, x0)
}

/// Options of the default method around [`Optimizer::auto`]: budget, seed,
/// noise probe, bounds.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::Bounds;
/// use zoptim::auto::Auto;
///
/// // Σ (xᵢ − 2)² over [0, 1]¹⁰: the optimum is the corner x = 1, f = 10.
/// let mut f = |x: ArrayView1<f64>| x.iter().map(|v| (v - 2.0).powi(2)).sum::<f64>();
/// let report = Auto::new(4_000).bounds(Bounds::uniform(0.0, 1.0)).minimize(&mut f, &Array1::from_elem(10, 0.5))?;
/// assert!(report.best_f < 10.0 + 1e-6, "{}", report.best_f);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Auto<F> {
    budget: usize,
    seed: u64,
    probe: usize,
    bounds: Option<Bounds<F>>,
}

/// One step in `ALTERNATE` draws a coordinate direction (chosen on the suite:
/// see BENCHMARKS.md).
const ALTERNATE: usize = 4;

/// Repeats of f(x₀) in the default noise probe.
const PROBE_REPEATS: usize = 4;

impl<F: Real> Auto<F> {
    /// The default method with `budget` evaluations, seed 0 and the noise probe on.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// let report = zoptim::auto::Auto::new(300).minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(2, 1.0))?;
    /// assert!(report.evaluations <= 300);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn new(budget: usize) -> Self {
        Auto {
            budget,
            seed: 0,
            probe: PROBE_REPEATS,
            bounds: None,
        }
    }

    /// The seed (same seed, same run).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::auto::Auto;
    /// let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// let a = Auto::new(200).seed(7).minimize(&mut f, &Array1::from_elem(3, 1.0))?;
    /// let b = Auto::new(200).seed(7).minimize(&mut f, &Array1::from_elem(3, 1.0))?;
    /// assert_eq!(a.last_x, b.last_x);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Repeats of f(x₀) in the noise probe (0: no probe, f is taken as
    /// deterministic; otherwise ≥ 2). The probe is also skipped when it would
    /// use more than a tenth of the budget.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::auto::Auto;
    /// let calls = std::cell::Cell::new(0);
    /// let mut f = |x: ArrayView1<f64>| { calls.set(calls.get() + 1); x.dot(&x) };
    /// let r = Auto::new(200).noise_probe(0).minimize(&mut f, &Array1::from_elem(3, 1.0))?;
    /// assert_eq!(r.evaluations, calls.get());
    /// assert!(Auto::<f64>::new(200).noise_probe(1).minimize(&mut f, &Array1::from_elem(3, 1.0)).is_err());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn noise_probe(mut self, repeats: usize) -> Self {
        self.probe = repeats;
        self
    }

    /// Box bounds: iterates and every query point stay inside.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::{Bounds, Error};
    /// use zoptim::auto::Auto;
    /// // The start must be inside.
    /// let r = Auto::new(100).bounds(Bounds::uniform(0.0, 1.0)).minimize(&mut |x: ArrayView1<f64>| x.sum(), &Array1::from_elem(2, 2.0));
    /// assert!(matches!(r, Err(Error::Infeasible { .. })));
    /// ```
    pub fn bounds(mut self, bounds: Bounds<F>) -> Self {
        self.bounds = Some(bounds);
        self
    }

    /// Runs the default method (see [`crate::auto`]).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// let r = zoptim::auto::Auto::new(1_000).minimize(&mut |x: ArrayView1<f64>| (x[0] - 2.0).powi(2), &Array1::zeros(1))?;
    /// assert!((r.x()[0] - 2.0).abs() < 1e-6);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn minimize<'x, O: Objective<F>>(
        &self,
        objective: &mut O,
        x0: impl Into<ArrayView1<'x, F>>,
    ) -> Result<Report<F>> {
        let x0 = x0.into();
        if self.probe == 1 {
            return Err(Error::InvalidParameter {
                name: "noise_probe",
                value: "1".into(),
                requirement: "0 (off) or at least 2",
            });
        }
        if x0.is_empty() {
            return Err(Error::EmptyParameters);
        }
        if let Some(index) = x0.iter().position(|v| !v.is_finite()) {
            return Err(Error::NonFiniteStart {
                index,
                value: x0[index].as_f64(),
            });
        }
        if let Some(b) = &self.bounds {
            let mut b = b.clone();
            b.validate()?;
            b.prepare(x0.len())?;
            if let Some(violation) = b.violation(&x0.to_vec()) {
                return Err(Error::Infeasible {
                    constraint: b.name(),
                    violation,
                });
            }
        }
        let probe_cost = self.probe + 2;
        let noise = if self.probe >= 2 && probe_cost.saturating_mul(10) <= self.budget {
            let mut rng = ZoRng::seed_from_u64(self.seed ^ 0x6e6f_6973_6520_7072);
            let b = self.bounds.as_ref().map(|b| b as &dyn Projection<F>);
            Some(probe_noise(objective, x0, self.probe, b, &mut rng)?)
        } else {
            None
        };
        let used = noise.as_ref().map_or(0, |n| n.evaluations);
        let noisy = noise.as_ref().filter(|n| n.is_noisy());
        let mut estimator = Curvature::new().alternate(ALTERNATE);
        if let Some(n) = noisy {
            let d = x0.len() as f64;
            let scale = curvature::scale_of(&x0.to_vec());
            let h = n
                .curvature
                .map_or(0.1 * scale * d.sqrt(), |l| noise_step(Difference::Central, n.sigma, l));
            let h = h.min(scale * d.sqrt()).max(1e-4 * scale * d.sqrt());
            estimator = estimator.absolute_mu(h / d.sqrt()).fresh_center(true);
        }
        let budget = self.budget.saturating_sub(used);
        if budget == 0 {
            return Err(Error::EmptyBudget);
        }
        let mut builder = Optimizer::builder(estimator)
            .update(TrustStep::new().paired(ALTERNATE))
            .learning_rate(1.0)
            .max_evaluations(budget)
            .seed(self.seed);
        if let Some(b) = &self.bounds {
            builder = builder.projection(b.clone());
        }
        let mut opt = builder.build()?;
        let mut report = if noisy.is_some() {
            let mut tail = TailMean::new(x0.len(), budget / 2);
            let mut report = opt.minimize_with(objective, x0, &mut tail)?;
            report.recommendation = match tail.mean() {
                Some((x, iterates)) => Recommendation::Average { x, iterates },
                None => Recommendation::Last,
            };
            report
        } else {
            opt.minimize(objective, x0)?
        };
        report.evaluations += used;
        Ok(report)
    }
}

impl<F: Real + Send> Auto<F> {
    /// Runs the default method on a stochastic objective (a minibatch loss):
    /// [`Optimizer::minimize_stochastic`] with [`Optimizer::auto`]'s
    /// components, recommending the mean of the iterates of the second half of
    /// the run ([`Recommendation::Average`]): minibatch noise makes the last
    /// iterate wander around the minimum, and the mean sits closer to it. The
    /// noise probe is not run (every step sees a new sample anyway); under
    /// resampling the estimator divides by the largest curvature seen instead
    /// of this sample's (see [`Curvature`]).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::auto::Auto;
    /// use zoptim::{Objective, StochasticObjective, ZoRng};
    ///
    /// // f(x; i) = (x − aᵢ)² over 100 data points aᵢ; the full minimum is their mean.
    /// struct Mean { data: Vec<f64>, i: usize }
    /// impl Objective<f64> for Mean {
    ///     fn eval(&mut self, x: ArrayView1<f64>) -> f64 { (x[0] - self.data[self.i]).powi(2) }
    /// }
    /// impl StochasticObjective<f64> for Mean {
    ///     fn resample(&mut self, rng: &mut ZoRng) { self.i = (rng.next_u64() % 100) as usize; }
    /// }
    /// let mut p = Mean { data: (0..100).map(|i| i as f64 / 100.0).collect(), i: 0 };
    /// let report = Auto::new(3_000).minimize_stochastic(&mut p, &Array1::from_elem(1, 5.0))?;
    /// assert!((report.x()[0] - 0.495).abs() < 0.05, "{}", report.x()[0]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn minimize_stochastic<'x, S: crate::stochastic::StochasticObjective<F>>(
        &self,
        problem: &mut S,
        x0: impl Into<ArrayView1<'x, F>>,
    ) -> Result<Report<F>> {
        let x0 = x0.into();
        let tail = std::sync::Arc::new(std::sync::Mutex::new(TailMean::new(x0.len(), self.budget / 2)));
        let shared = Shared(tail.clone());
        let mut builder = Optimizer::builder(Curvature::new().alternate(ALTERNATE))
            .update(TrustStep::new().paired(ALTERNATE))
            .learning_rate(1.0)
            .max_evaluations(self.budget)
            .seed(self.seed)
            .observer(shared);
        if let Some(b) = &self.bounds {
            builder = builder.projection(b.clone());
        }
        let mut report = builder.build()?.minimize_stochastic(problem, x0)?;
        let mean = tail.lock().map_or(None, |t| t.mean());
        if let Some((x, iterates)) = mean {
            report.recommendation = Recommendation::Average { x, iterates };
        }
        Ok(report)
    }
}

/// A [`TailMean`] the optimizer can own while the caller reads it.
struct Shared(std::sync::Arc<std::sync::Mutex<TailMean>>);

impl<F: Real> crate::observer::Observer<F> for Shared {
    fn observe(&mut self, record: &StepRecord<F>, x: ArrayView1<'_, F>) -> ControlFlow<()> {
        if let Ok(mut t) = self.0.lock() {
            return t.observe(record, x);
        }
        ControlFlow::Continue(())
    }
}

/// The running mean of the iterates after a given evaluation count.
struct TailMean {
    sum: Vec<f64>,
    count: usize,
    after: usize,
}

impl TailMean {
    fn new(d: usize, after: usize) -> Self {
        TailMean {
            sum: vec![0.0; d],
            count: 0,
            after,
        }
    }

    fn mean<F: Real>(&self) -> Option<(Array1<F>, usize)> {
        (self.count > 0).then(|| {
            let n = self.count as f64;
            (self.sum.iter().map(|&s| F::of_f64(s / n)).collect(), self.count)
        })
    }
}

impl<F: Real> crate::observer::Observer<F> for TailMean {
    fn observe(&mut self, record: &StepRecord<F>, x: ArrayView1<'_, F>) -> ControlFlow<()> {
        if record.evaluations >= self.after {
            for (s, &v) in self.sum.iter_mut().zip(x.iter()) {
                *s += v.as_f64();
            }
            self.count += 1;
        }
        ControlFlow::Continue(())
    }
}
