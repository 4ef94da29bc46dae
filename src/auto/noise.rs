//! The noise probe: how noisy f is at x₀, and the μ that follows from it.

use crate::direction::{Direction, SeededDirection};
use crate::error::{Error, Query, Result};
use crate::estimator::Difference;
use crate::objective::Objective;
use crate::projection::Projection;
use crate::real::Real;
use crate::rng::ZoRng;
use ndarray::{Array1, ArrayView1};

/// What [`probe_noise`] measured at x₀.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::{ZoRng, auto::probe_noise};
/// let est = probe_noise(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(2, 1.0), 3, None, &mut ZoRng::seed_from_u64(0))?;
/// assert_eq!((est.sigma, est.mean, est.evaluations), (0.0, 2.0, 5));
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct NoiseEstimate {
    /// σ_f: the sample standard deviation of the repeated values of f(x₀)
    /// (0 for a deterministic objective).
    pub sigma: f64,
    /// Their mean.
    pub mean: f64,
    /// L: the curvature of f along a random unit direction at x₀, from a second
    /// difference of step h; when it is not resolved above the noise (|c| <
    /// 3·√6·σ_f/h²), that bound instead. `None` when the probe made no curvature
    /// queries (a bound in the way).
    pub curvature: Option<f64>,
    /// Evaluations the probe made.
    pub evaluations: usize,
}

impl NoiseEstimate {
    /// True when the repeated values differ by more than rounding: σ_f >
    /// 64·ε·max(|mean|, tiny), with ε the f64 machine epsilon.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::{ZoRng, auto::probe_noise};
    /// let est = probe_noise(&mut |x: ArrayView1<f64>| x.sum(), &Array1::from_elem(2, 1.0), 3, None, &mut ZoRng::seed_from_u64(0))?;
    /// assert!(!est.is_noisy());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn is_noisy(&self) -> bool {
        self.sigma > 64.0 * f64::EPSILON * self.mean.abs().max(f64::MIN_POSITIVE)
    }
}

/// Evaluates f(x₀) `repeats` ≥ 2 times, then f(x₀ ± h·u) for one random unit
/// direction u with h = 0.1·‖x₀‖ (0.1·√d when x₀ = 0), and returns σ_f and L.
///
/// Cost: `repeats` + 2 evaluations (`repeats` when `bounds` is set and either
/// x₀ ± h·u is outside it: the curvature is then not measured). The direction
/// comes from `rng`, so the probe is reproducible.
///
/// The standard deviation of n values has a relative standard error of about
/// 1/√(2(n − 1)) for Gaussian noise: ±41% at n = 4, ±10% at n = 50.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::{Real, ZoRng};
/// use zoptim::auto::probe_noise;
///
/// let mut noise = ZoRng::seed_from_u64(1);
/// let mut f = |x: ArrayView1<f64>| x.dot(&x) + 0.01 * zoptim::random::standard_normal::<f64>(&mut noise);
/// let est = probe_noise(&mut f, &Array1::from_elem(3, 10.0), 50, None, &mut ZoRng::seed_from_u64(2))?;
/// assert!(est.is_noisy());
/// assert!((est.sigma / 0.01 - 1.0).abs() < 0.35, "{}", est.sigma);
/// assert!((est.curvature.unwrap() - 2.0).abs() < 0.5); // f'' = 2 along any unit direction
/// # Ok::<(), zoptim::Error>(())
/// ```
pub fn probe_noise<'x, F: Real, O: Objective<F> + ?Sized>(
    objective: &mut O,
    x0: impl Into<ArrayView1<'x, F>>,
    repeats: usize,
    bounds: Option<&dyn Projection<F>>,
    rng: &mut ZoRng,
) -> Result<NoiseEstimate> {
    let x0 = x0.into();
    if repeats < 2 {
        return Err(Error::InvalidParameter {
            name: "noise probe repeats",
            value: repeats.to_string(),
            requirement: "at least 2",
        });
    }
    let mut evaluations = 0;
    let mut eval = |x: ArrayView1<'_, F>, query: Query, evaluations: &mut usize| -> Result<f64> {
        *evaluations += 1;
        let v = objective.eval(x);
        if v.is_finite() {
            Ok(v.as_f64())
        } else {
            Err(Error::NonFiniteObjective {
                evaluation: *evaluations,
                query,
                value: v.as_f64(),
            })
        }
    };
    let values: Vec<f64> = (0..repeats)
        .map(|_| eval(x0, Query::Center, &mut evaluations))
        .collect::<Result<_>>()?;
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    let sigma = var.sqrt();
    let d = x0.len();
    let xs: Vec<F> = x0.to_vec();
    let h = 0.1 * super::curvature::scale_of(&xs) * (d as f64).sqrt();
    let mut u = vec![F::zero(); d];
    SeededDirection::draw(Direction::Sphere, rng, d).write(&mut u);
    let unit = (d as f64).sqrt();
    let point = |sign: f64| -> Array1<F> { Array1::from_shape_fn(d, |i| xs[i] + F::of_f64(sign * h / unit) * u[i]) };
    let (plus, minus) = (point(1.0), point(-1.0));
    let inside = bounds
        .is_none_or(|b| b.contains(plus.as_slice().unwrap_or(&[])) && b.contains(minus.as_slice().unwrap_or(&[])));
    let curvature = if inside {
        let fp = eval(plus.view(), Query::Plus(0), &mut evaluations)?;
        let fm = eval(minus.view(), Query::Minus(0), &mut evaluations)?;
        let c = (fp + fm - 2.0 * mean) / (h * h);
        let floor = 3.0 * 6f64.sqrt() * sigma / (h * h);
        Some(if c.abs() > floor { c.abs() } else { floor })
    } else {
        None
    };
    Ok(NoiseEstimate {
        sigma,
        mean,
        curvature,
        evaluations,
    })
}

/// The perturbation length h = μ‖u‖ that balances the truncation error of a
/// finite difference against the noise σ_f, for curvature L > 0:
///
/// | difference | h | error of the slope it balances |
/// |---|---|---|
/// | forward | 2·√(σ_f/L) | truncation L·h/2 against noise 2σ_f/h (Moré & Wild, SIAM J. Sci. Comput. 2012) |
/// | central | (3σ_f/L)^(1/3) | truncation M·h²/6 against noise σ_f/h, with the third derivative M taken as L |
///
/// Both are the minimisers of the summed errors (the constants are those of
/// the textbook derivation; the central rule substitutes L for the unknown
/// third derivative, as the scale of f's derivatives). Returns 0 when σ_f = 0.
///
/// ```
/// use zoptim::Difference;
/// use zoptim::auto::noise_step;
///
/// assert_eq!(noise_step(Difference::Forward, 1e-4, 1.0), 2e-2);
/// assert!((noise_step(Difference::Central, 1e-3, 3.0) - 1e-1).abs() < 1e-15);
/// ```
pub fn noise_step(difference: Difference, sigma: f64, curvature: f64) -> f64 {
    if !(sigma > 0.0 && curvature > 0.0) {
        return 0.0;
    }
    match difference {
        Difference::Forward => 2.0 * (sigma / curvature).sqrt(),
        Difference::Central => (3.0 * sigma / curvature).cbrt(),
    }
}
