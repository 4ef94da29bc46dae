//! Schedules for the learning rate η and the smoothing parameter μ.
//!
//! | schedule | value at step k (0-based) |
//! |---|---|
//! | `f64`, [`Constant`] | v |
//! | [`PowerDecay`] (Spall's SPSA gains) | a / (k + 1 + A)^α |
//! | [`StepDecay`] | v₀ · γ^⌊k / s⌋ |
//! | [`Cosine`] (with linear warm-up) | v_max·(k+1)/w for k < w, then v_min + ½(v_max − v_min)(1 + cos(π·t)) |
//! | [`InverseSqrt`] | a / √(k + 1) |
//!
//! Give one to [`OptimizerBuilder::learning_rate`](crate::OptimizerBuilder::learning_rate)
//! or [`OptimizerBuilder::smoothing`](crate::OptimizerBuilder::smoothing). Every
//! schedule checks its parameters once, when the optimizer is built
//! ([`Schedule::validate`]); the optimizer also checks each value it uses is finite
//! and > 0.
//!
//! # Underflow
//! A decaying schedule eventually produces values below the smallest positive
//! normal `f64` (2.2e-308): `StepDecay::new(0.1, 1e-300, 1)` after two steps,
//! `PowerDecay::new(0.1, 0.0, 1000.0)` after one. Such values would be 0 or
//! subnormal, and a 0 is not a valid learning rate or μ. So every built-in
//! schedule **floors its values at [`FLOOR`] = `f64::MIN_POSITIVE`**: a schedule
//! that passed validation yields a finite value ≥ 2.2e-308 at every step and
//! never makes a run fail. What a floored value does downstream:
//!
//! - as a learning rate, the step is ~2.2e-308·g: x no longer moves (in f32 the
//!   value rounds to 0 and x does not move at all);
//! - as μ, the query points x ± μu equal x up to rounding, so the difference
//!   quotients are 0 or huge: the estimate is 0 (x stays put), or not finite and
//!   the step fails with [`Error::NonFiniteEstimate`] (in f32, where μ rounds
//!   to 0, always the latter).
//!
//! Either way the run ends on its budget or iteration limit (or on that error),
//! not on an invalid parameter. Choose the decay so that the values you need stay
//! well above the floor. (Your own [`Schedule`] implementations are not floored:
//! a value ≤ 0 from one ends the run with [`Error::InvalidParameter`].)

use crate::error::{Error, Result, check_count, check_non_negative, check_positive};

/// The smallest value a built-in schedule returns: `f64::MIN_POSITIVE`, the
/// smallest positive normal `f64` (see [Underflow](self#underflow)).
pub const FLOOR: f64 = f64::MIN_POSITIVE;

/// A non-negative value below [`FLOOR`] (an underflow) becomes `FLOOR`; other
/// values (including negative ones and NaN, which validation rejects) are kept.
fn floor(v: f64) -> f64 {
    if (0.0..FLOOR).contains(&v) { FLOOR } else { v }
}

/// A value per iteration k = 0, 1, 2, …: a learning-rate or smoothing schedule.
///
/// Every `f64`, `f32`, `i32` and `u32` is a constant schedule, so
/// `.learning_rate(0.01)`, `.learning_rate(1e-2_f32)` and `.learning_rate(1)`
/// just work.
/// The built-in schedules never return less than [`FLOOR`] (2.2e-308) once
/// validated: values that would underflow are floored (see
/// [Underflow](self#underflow)).
///
/// ```
/// use zoptim::Schedule;
///
/// // A schedule of your own: halve every 100 steps, never below 1e-4.
/// struct Halving(f64);
/// impl Schedule for Halving {
///     fn value(&self, k: usize) -> f64 {
///         (self.0 * 0.5f64.powi((k / 100) as i32)).max(1e-4)
///     }
///     fn validate(&self, name: &'static str) -> zoptim::Result<()> {
///         if self.0 > 0.0 { Ok(()) } else { Err(zoptim::Error::InvalidParameter { name, value: self.0.to_string(), requirement: "> 0" }) }
///     }
/// }
/// assert_eq!(Halving(0.1).value(250), 0.025);
/// assert_eq!(0.01.value(1_000), 0.01); // every f64 is a constant schedule
/// assert!(Halving(-1.0).validate("learning_rate").is_err());
/// ```
pub trait Schedule {
    /// The value at iteration `k` (0-based).
    ///
    /// ```
    /// use zoptim::{PowerDecay, Schedule};
    ///
    /// let s = PowerDecay::new(1.0, 0.0, 1.0); // 1/(k+1)
    /// assert_eq!(s.value(0), 1.0);
    /// assert_eq!(s.value(3), 0.25);
    /// ```
    fn value(&self, k: usize) -> f64;

    /// Checks the configuration; `name` is the builder parameter it was given to.
    ///
    /// ```
    /// use zoptim::{Schedule, StepDecay};
    ///
    /// assert!(StepDecay::new(0.1, 0.5, 10).validate("learning_rate").is_ok());
    /// // A factor above 1 is not a decay: rejected, naming the parameter.
    /// let err = StepDecay::new(0.1, 2.0, 10).validate("learning_rate").unwrap_err();
    /// assert!(err.to_string().contains("StepDecay factor"), "{err}");
    /// ```
    fn validate(&self, name: &'static str) -> Result<()>;
}

impl Schedule for f64 {
    fn value(&self, _k: usize) -> f64 {
        floor(*self)
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, *self)
    }
}

/// `f32` constants: `.learning_rate(1e-2_f32)`. The value is widened to `f64`
/// exactly, so an `f32` optimizer uses the very `f32` you wrote.
impl Schedule for f32 {
    fn value(&self, _k: usize) -> f64 {
        floor(f64::from(*self))
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, f64::from(*self))
    }
}

/// Integer constants, so that `.learning_rate(1)` compiles (an unsuffixed
/// integer literal is an `i32`); values ≤ 0 are rejected when the optimizer is built.
impl Schedule for i32 {
    fn value(&self, _k: usize) -> f64 {
        f64::from(*self)
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, f64::from(*self))
    }
}

/// Unsigned integer constants; 0 is rejected when the optimizer is built.
impl Schedule for u32 {
    fn value(&self, _k: usize) -> f64 {
        f64::from(*self)
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, f64::from(*self))
    }
}

impl<S: Schedule + ?Sized> Schedule for Box<S> {
    fn value(&self, k: usize) -> f64 {
        (**self).value(k)
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        (**self).validate(name)
    }
}

/// A constant schedule: `Constant(v).value(k) = v`.
///
/// ```
/// use zoptim::{Constant, Schedule};
///
/// assert_eq!(Constant(0.5).value(0), 0.5);
/// assert_eq!(Constant(0.5).value(1_000_000), 0.5);
/// assert!(Constant(0.0).validate("learning_rate").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn value(&self, _k: usize) -> f64 {
        floor(self.0)
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, self.0)
    }
}

/// Spall's power decay a / (k + 1 + A)^α (SPSA; Spall, IEEE TAC 1992, and
/// "Implementation of the simultaneous perturbation algorithm", IEEE TAES 1998).
///
/// With k 0-based this is Spall's aₖ = a/(k + 1 + A)^α for his 0-based k, so
/// the first step uses a/(1 + A)^α. Spall's recommended exponents are the
/// smallest that satisfy his convergence conditions: α = 0.602 for the gain
/// sequence aₖ ([`PowerDecay::spsa_gain`]) and γ = 0.101 for the perturbation
/// sequence cₖ = c/(k + 1)^γ ([`PowerDecay::spsa_perturbation`], to be given to
/// [`smoothing`](crate::OptimizerBuilder::smoothing)); the asymptotically optimal
/// values are α = 1, γ = 1/6. The stability constant A (Spall suggests about
/// 10% of the expected number of iterations) damps the first steps.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// // Spall's SPSA gains: aₖ = 0.5/(k + 1 + 10)^0.602, cₖ = 0.01/(k + 1)^0.101.
/// let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// let mut opt = Optimizer::builder(TwoPoint::spsa())
///     .learning_rate(PowerDecay::spsa_gain(0.5, 10.0))
///     .smoothing(PowerDecay::spsa_perturbation(0.01))
///     .max_iterations(300)
///     .build()?;
/// let report = opt.minimize(&mut f, &Array1::ones(4))?;
/// assert!(report.best_f < 1e-6, "{}", report.best_f);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PowerDecay {
    a: f64,
    stability: f64,
    exponent: f64,
}

impl PowerDecay {
    /// a / (k + 1 + A)^α with a > 0, A ≥ 0, α ≥ 0.
    ///
    /// ```
    /// use zoptim::{PowerDecay, Schedule};
    ///
    /// let s = PowerDecay::new(2.0, 3.0, 0.5); // 2/√(k + 4)
    /// assert_eq!(s.value(0), 1.0);
    /// assert_eq!(s.value(12), 0.5);
    /// ```
    #[must_use]
    pub fn new(a: f64, stability: f64, exponent: f64) -> Self {
        PowerDecay { a, stability, exponent }
    }

    /// Spall's gain sequence a / (k + 1 + A)^0.602.
    ///
    /// ```
    /// use zoptim::{PowerDecay, Schedule};
    ///
    /// let s = PowerDecay::spsa_gain(1.0, 0.0);
    /// assert_eq!(s.value(0), 1.0);
    /// assert!((s.value(9) - 10f64.powf(-0.602)).abs() < 1e-15);
    /// ```
    #[must_use]
    pub fn spsa_gain(a: f64, stability: f64) -> Self {
        Self::new(a, stability, 0.602)
    }

    /// Spall's perturbation sequence c / (k + 1)^0.101 (for μ).
    ///
    /// ```
    /// use zoptim::{PowerDecay, Schedule};
    ///
    /// let s = PowerDecay::spsa_perturbation(0.1);
    /// assert_eq!(s.value(0), 0.1);
    /// assert!(s.value(999) > 0.049); // γ = 0.101 decays slowly: 0.1/1000^0.101 ≈ 0.0498
    /// ```
    #[must_use]
    pub fn spsa_perturbation(c: f64) -> Self {
        Self::new(c, 0.0, 0.101)
    }
}

impl Schedule for PowerDecay {
    fn value(&self, k: usize) -> f64 {
        floor(self.a / (k as f64 + 1.0 + self.stability).powf(self.exponent))
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, self.a)?;
        check_non_negative("PowerDecay stability (A)", self.stability)?;
        check_non_negative("PowerDecay exponent", self.exponent)
    }
}

/// Step decay: v₀·γ^⌊k/s⌋ — the value is multiplied by γ every s steps.
///
/// ```
/// use zoptim::{Schedule, StepDecay};
///
/// let s = StepDecay::new(0.1, 0.5, 100);
/// assert_eq!(s.value(99), 0.1);
/// assert_eq!(s.value(100), 0.05);
/// assert_eq!(s.value(250), 0.025);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StepDecay {
    initial: f64,
    factor: f64,
    every: usize,
}

impl StepDecay {
    /// Starts at `initial` > 0 and multiplies by `factor` ∈ (0, 1] every `every` ≥ 1 steps.
    ///
    /// ```
    /// use zoptim::{Schedule, StepDecay};
    ///
    /// assert_eq!(StepDecay::new(1.0, 0.1, 1).value(2), 0.1 * 0.1);
    /// assert!(StepDecay::new(1.0, 0.1, 0).validate("learning_rate").is_err()); // every ≥ 1
    /// ```
    #[must_use]
    pub fn new(initial: f64, factor: f64, every: usize) -> Self {
        StepDecay { initial, factor, every }
    }
}

impl Schedule for StepDecay {
    fn value(&self, k: usize) -> f64 {
        let n = k / self.every.max(1);
        floor(self.initial * self.factor.powi(n.min(i32::MAX as usize) as i32))
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, self.initial)?;
        crate::error::check_in_range("StepDecay factor", self.factor, f64::MIN_POSITIVE, 1.0, "in (0, 1]")?;
        check_count("StepDecay every", self.every)
    }
}

/// Cosine annealing with a linear warm-up (Loshchilov & Hutter, SGDR, ICLR 2017;
/// warm-up as in Goyal et al. 2017).
///
/// For k < w (the warm-up): v_max·(k + 1)/w, rising linearly and reaching v_max
/// at k = w − 1. Then, with t = (k − w)/(T − w) clipped to 1:
/// v_min + ½(v_max − v_min)(1 + cos(π·t)), so v_max at k = w and v_min from k = T
/// on. With v_min = 0 the value from k = T on is [`FLOOR`] (2.2e-308, the floor
/// of every built-in schedule): x effectively stops moving, so set
/// `max_iterations` ≤ T, or v_min > 0.
///
/// ```
/// use zoptim::{Cosine, Schedule};
///
/// let s = Cosine::new(0.1, 0.0, 100).warmup(10);
/// assert!((s.value(0) - 0.01).abs() < 1e-15); // warm-up: 0.1·1/10
/// assert_eq!(s.value(10), 0.1); // the peak, at k = w
/// assert!((s.value(55) - 0.05).abs() < 1e-12); // half-way down
/// assert_eq!(s.value(100), zoptim::schedule::FLOOR); // min = 0 is floored
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Cosine {
    max: f64,
    min: f64,
    warmup: usize,
    total: usize,
}

impl Cosine {
    /// From `max` down to `min` over `total` steps, no warm-up.
    ///
    /// ```
    /// use zoptim::{Cosine, Schedule};
    ///
    /// let s = Cosine::new(1.0, 0.5, 10);
    /// assert_eq!(s.value(0), 1.0);
    /// assert_eq!(s.value(10), 0.5);
    /// assert_eq!(s.value(20), 0.5);
    /// ```
    #[must_use]
    pub fn new(max: f64, min: f64, total: usize) -> Self {
        Cosine {
            max,
            min,
            warmup: 0,
            total,
        }
    }

    /// Sets the number w of linear warm-up steps (w < T).
    ///
    /// ```
    /// use zoptim::{Cosine, Schedule};
    ///
    /// let s = Cosine::new(1.0, 0.0, 10).warmup(4);
    /// assert_eq!(s.value(1), 0.5);
    /// // The warm-up must be shorter than the schedule.
    /// assert!(Cosine::new(1.0, 0.0, 4).warmup(4).validate("learning_rate").is_err());
    /// ```
    #[must_use]
    pub fn warmup(mut self, steps: usize) -> Self {
        self.warmup = steps;
        self
    }
}

impl Schedule for Cosine {
    fn value(&self, k: usize) -> f64 {
        if k < self.warmup {
            // (k + 1)/w first, so that a max near f64::MAX cannot overflow.
            return floor(self.max * ((k + 1) as f64 / self.warmup as f64));
        }
        let span = self.total.saturating_sub(self.warmup).max(1) as f64;
        let t = ((k - self.warmup) as f64 / span).min(1.0);
        let v = self.min + 0.5 * (self.max - self.min) * (1.0 + (std::f64::consts::PI * t).cos());
        floor(v.min(self.max))
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, self.max)?;
        check_non_negative("Cosine min", self.min)?;
        if self.min > self.max {
            return Err(Error::InvalidParameter {
                name: "Cosine min",
                value: format!("{}", self.min),
                requirement: "at most the schedule's max",
            });
        }
        if self.total <= self.warmup {
            return Err(Error::InvalidParameter {
                name: "Cosine total",
                value: self.total.to_string(),
                requirement: "greater than the warm-up length",
            });
        }
        Ok(())
    }
}

/// a / √(k + 1): the classical 1/√k decay (k counted from 1), the rate-optimal
/// step for convex stochastic (and zeroth-order) gradient methods.
///
/// ```
/// use zoptim::{InverseSqrt, Schedule};
///
/// assert_eq!(InverseSqrt(0.3).value(0), 0.3);
/// assert_eq!(InverseSqrt(0.3).value(3), 0.15);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct InverseSqrt(pub f64);

impl Schedule for InverseSqrt {
    fn value(&self, k: usize) -> f64 {
        floor(self.0 / (k as f64 + 1.0).sqrt())
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, self.0)
    }
}
