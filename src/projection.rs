//! Feasible sets and projections: projected ZO-SGD.
//!
//! An [`Optimizer`](crate::Optimizer) given a [`Projection`] (builder method
//! [`projection`](crate::OptimizerBuilder::projection)) projects x onto the set
//! after every step, in [`step`](crate::Optimizer::step) and in
//! [`minimize`](crate::Optimizer::minimize): x ← Π(x − η·g), projected ZO-SGD
//! (e.g. Liu et al., "A primer on zeroth-order optimization", IEEE SPM 2020).
//! The starting point must be feasible ([`Error::Infeasible`] otherwise).
//!
//! **Query points stay inside.** Every query point of a step (an estimator's
//! x ± μu, a line search's trial) is projected onto the set before it is
//! evaluated, so the objective is never evaluated outside it (one that is
//! undefined there, such as √x on x ≥ 0, is safe). Seed-replayed rows are then
//! materialised (rows × d values per round). The estimator still divides by its
//! nominal μ, so it estimates the gradient of the smoothed f∘Π_C: exact away
//! from the boundary (farther than μ·max|uᵢ|), biased next to it. For a box with
//! xᵢ at a bound, the central difference along a direction with uᵢ pointing out
//! sees only the inward half of the perturbation on coordinate i, so the
//! estimated ∂f/∂xᵢ is about half its value (and a forward difference sees it
//! only on the half of the directions pointing inward); the sign, and so the
//! direction in which the step pushes against the bound, is kept. The report's
//! best point is chosen among feasible query points.

use crate::error::{Error, Result};
use crate::real::Real;
use ndarray::Array1;
use std::ops::Range;

/// A closed convex set C with its Euclidean projection Π_C(x) = argmin_{y∈C} ‖y − x‖.
///
/// ```
/// use zoptim::{Bounds, Projection};
///
/// let b = Bounds::uniform(0.0, 1.0);
/// let mut x = [-0.5, 0.25, 2.0];
/// assert!(!b.contains(&x));
/// assert!(b.violation(&x).is_some());
/// assert!(b.project(&mut x, 0..3)); // something changed
/// assert_eq!(x, [0.0, 0.25, 1.0]);
/// assert!(b.contains(&x) && b.violation(&x).is_none());
/// ```
pub trait Projection<F: Real> {
    /// A short name for error messages.
    ///
    /// ```
    /// use zoptim::{Ball, Bounds, Projection};
    ///
    /// assert_eq!(Projection::<f64>::name(&Bounds::uniform(0.0, 1.0)), "box bounds");
    /// assert_ne!(Projection::<f64>::name(&Ball::origin(1.0)), "box bounds");
    /// ```
    fn name(&self) -> &'static str;

    /// Checks the configuration (called once, when the optimizer is built).
    ///
    /// ```
    /// use zoptim::{Bounds, Projection};
    ///
    /// assert!(Bounds::uniform(0.0, 1.0).validate().is_ok());
    /// assert!(Bounds::uniform(1.0, 0.0).validate().is_err()); // l > u
    /// assert!(Bounds::uniform(f64::NAN, 1.0).validate().is_err());
    /// ```
    fn validate(&self) -> Result<()>;

    /// Called with the dimension before the first step: checks that the set has
    /// dimension `dim`.
    ///
    /// ```
    /// use ndarray::array;
    /// use zoptim::{Ball, Projection};
    ///
    /// let mut ball = Ball::new(array![0.0, 0.0], 1.0);
    /// assert!(ball.prepare(2).is_ok());
    /// assert!(ball.prepare(3).is_err()); // the center has 2 coordinates
    /// ```
    fn prepare(&mut self, dim: usize) -> Result<()>;

    /// Projects `x` onto the set in place; returns whether any coordinate changed.
    /// `changed` is the range of coordinates the last step moved: x is feasible
    /// before the step, so a separable set (a box) need only look there; others
    /// may ignore it.
    ///
    /// An `x` whose length is not the set's dimension (for a set that has one)
    /// is left unchanged and `false` is returned; the optimizer never passes one,
    /// since [`prepare`](Projection::prepare) checks the dimension first.
    ///
    /// ```
    /// use zoptim::{Bounds, Projection};
    ///
    /// let b = Bounds::uniform(-1.0, 1.0);
    /// let mut x = [0.5, 3.0];
    /// assert!(!b.project(&mut x[..1], 0..1)); // already inside: nothing changes
    /// assert!(b.project(&mut x, 1..2));
    /// assert_eq!(x, [0.5, 1.0]);
    /// ```
    fn project(&self, x: &mut [F], changed: Range<usize>) -> bool;

    /// Whether `x` is in the set (up to the rounding of a projection, for sets
    /// whose projection is not exact in floating point). False for an `x` whose
    /// length is not the set's dimension.
    ///
    /// ```
    /// use zoptim::{Ball, Projection};
    ///
    /// let ball = Ball::origin(1.0);
    /// assert!(ball.contains(&[0.6, 0.8]));
    /// assert!(!ball.contains(&[0.7, 0.8]));
    /// ```
    fn contains(&self, x: &[F]) -> bool;

    /// Why `x` is not in the set, for [`Error::Infeasible`]; `None` when it is.
    /// An `x` of the wrong length is reported as such.
    ///
    /// ```
    /// use zoptim::{Bounds, Projection};
    ///
    /// let why = Bounds::uniform(0.0, 1.0).violation(&[0.5, 2.0]).unwrap();
    /// assert!(why.contains('1'), "{why}"); // names the coordinate
    /// ```
    fn violation(&self, x: &[F]) -> Option<String>;
}

/// Box bounds lᵢ ≤ xᵢ ≤ uᵢ; the projection clips each coordinate (exactly).
///
/// Bounds may be infinite (one-sided or absent for a coordinate) but not NaN,
/// and lᵢ ≤ uᵢ. Cost of a projection: O(size of the changed block).
///
/// ```
/// use ndarray::{Array1, ArrayView1, array};
/// use zoptim::prelude::*;
///
/// // min (x − 2)² over x ∈ [−1, 1]²: the solution is the corner (1, 1).
/// let mut f = |x: ArrayView1<f64>| x.iter().map(|v| (v - 2.0).powi(2)).sum::<f64>();
/// let mut opt = Optimizer::builder(TwoPoint::spsa())
///     .learning_rate(0.1)
///     .projection(Bounds::new(array![-1.0, -1.0], array![1.0, 1.0]))
///     .max_iterations(200)
///     .build()?;
/// let report = opt.minimize(&mut f, &Array1::zeros(2))?;
/// assert_eq!(report.last_x, array![1.0, 1.0]);
/// // An infeasible start is an error, not a silent projection.
/// assert!(matches!(opt.minimize(&mut f, &array![3.0, 0.0]), Err(zoptim::Error::Infeasible { .. })));
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Bounds<F> {
    lower: Bounds1<F>,
    upper: Bounds1<F>,
}

#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
enum Bounds1<F> {
    Same(F),
    Each(Array1<F>),
}

impl<F: Real> Bounds1<F> {
    #[inline]
    fn at(&self, i: usize) -> F {
        match self {
            Bounds1::Same(v) => *v,
            Bounds1::Each(a) => a[i],
        }
    }
    fn len(&self) -> Option<usize> {
        match self {
            Bounds1::Same(_) => None,
            Bounds1::Each(a) => Some(a.len()),
        }
    }
    fn values(&self) -> Vec<F> {
        match self {
            Bounds1::Same(v) => vec![*v],
            Bounds1::Each(a) => a.to_vec(),
        }
    }
}

impl<F: Real> Bounds<F> {
    /// The per-coordinate bounds' length, when it differs from `n` (a mismatch).
    fn mismatch(&self, n: usize) -> Option<usize> {
        [self.lower.len(), self.upper.len()]
            .into_iter()
            .flatten()
            .find(|&m| m != n)
    }

    /// Per-coordinate bounds `lower[i] ≤ x[i] ≤ upper[i]`.
    ///
    /// ```
    /// use ndarray::array;
    /// use zoptim::{Bounds, Projection};
    ///
    /// let mut b = Bounds::new(array![0.0, -1.0], array![1.0, f64::INFINITY]);
    /// assert!(b.prepare(2).is_ok() && b.prepare(3).is_err());
    /// let mut x = [2.0, -5.0];
    /// b.project(&mut x, 0..2);
    /// assert_eq!(x, [1.0, -1.0]);
    /// ```
    #[must_use]
    pub fn new(lower: Array1<F>, upper: Array1<F>) -> Self {
        Bounds {
            lower: Bounds1::Each(lower),
            upper: Bounds1::Each(upper),
        }
    }

    /// The same bounds `lower ≤ x[i] ≤ upper` for every coordinate, in any dimension.
    ///
    /// ```
    /// use zoptim::{Bounds, Projection};
    ///
    /// // One-sided: x ≥ 0 in any dimension.
    /// let b = Bounds::uniform(0.0, f64::INFINITY);
    /// let mut x = [-1.0, 5.0, 1e300];
    /// b.project(&mut x, 0..3);
    /// assert_eq!(x, [0.0, 5.0, 1e300]);
    /// ```
    pub fn uniform(lower: F, upper: F) -> Self {
        Bounds {
            lower: Bounds1::Same(lower),
            upper: Bounds1::Same(upper),
        }
    }
}

impl<F: Real> Projection<F> for Bounds<F> {
    fn name(&self) -> &'static str {
        "box bounds"
    }

    fn validate(&self) -> Result<()> {
        if let (Some(a), Some(b)) = (self.lower.len(), self.upper.len())
            && a != b
        {
            return Err(Error::DimensionMismatch {
                what: "upper bounds (against the lower bounds)",
                expected: a,
                found: b,
            });
        }
        let (lo, hi) = (self.lower.values(), self.upper.values());
        let n = lo.len().max(hi.len());
        for i in 0..n {
            let l = lo[if lo.len() == 1 { 0 } else { i }];
            let u = hi[if hi.len() == 1 { 0 } else { i }];
            if l.is_nan() || u.is_nan() || l > u || l == F::infinity() || u == F::neg_infinity() {
                return Err(Error::InvalidParameter {
                    name: "bounds",
                    value: format!("[{l}, {u}] for coordinate {i}"),
                    requirement: "not NaN, with lower ≤ upper, lower < +∞ and upper > −∞",
                });
            }
        }
        Ok(())
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        for (what, len) in [("lower bounds", self.lower.len()), ("upper bounds", self.upper.len())] {
            if let Some(n) = len
                && n != dim
            {
                return Err(Error::DimensionMismatch {
                    what,
                    expected: dim,
                    found: n,
                });
            }
        }
        Ok(())
    }

    fn project(&self, x: &mut [F], changed: Range<usize>) -> bool {
        if self.mismatch(x.len()).is_some() {
            return false;
        }
        let start = changed.start.min(x.len());
        let end = changed.end.min(x.len()).max(start);
        let mut moved = false;
        for (i, xi) in x[start..end].iter_mut().enumerate().map(|(j, v)| (j + start, v)) {
            let (l, u) = (self.lower.at(i), self.upper.at(i));
            if *xi < l {
                *xi = l;
                moved = true;
            } else if *xi > u {
                *xi = u;
                moved = true;
            }
        }
        moved
    }

    fn contains(&self, x: &[F]) -> bool {
        self.violation(x).is_none()
    }

    fn violation(&self, x: &[F]) -> Option<String> {
        if let Some(m) = self.mismatch(x.len()) {
            return Some(format!("x has {} coordinates, the bounds {m}", x.len()));
        }
        x.iter().enumerate().find_map(|(i, &v)| {
            let (l, u) = (self.lower.at(i), self.upper.at(i));
            (v < l || v > u || v.is_nan()).then(|| format!("x[{i}] = {v} is outside [{l}, {u}]"))
        })
    }
}

/// The Euclidean ball ‖x − c‖ ≤ r; the projection is c + r·(x − c)/‖x − c‖ when
/// x is outside.
///
/// The projected point's norm is r up to rounding, so
/// [`contains`](Projection::contains) accepts ‖x − c‖ ≤ r·(1 + 4·(√d + 2)·u) +
/// 4·(√d + 1)·(u·(‖c‖∞ + r) + η), u the unit roundoff of `F` and η its smallest
/// subnormal: a bound on the relative rounding of the norm and of the scaling,
/// plus the absolute rounding of adding the center back (which matters when
/// ‖c‖ ≫ r) and of coordinates below the normal range (a subnormal radius). Cost of a projection: two passes
/// over x when it is outside, one otherwise.
///
/// ```
/// use ndarray::array;
/// use zoptim::{Ball, Projection};
///
/// let ball = Ball::new(array![1.0, 0.0], 1.0);
/// let mut x = [4.0_f64, 4.0];
/// assert!(ball.project(&mut x, 0..2));
/// assert!((x[0] - 1.6).abs() < 1e-15 && (x[1] - 0.8).abs() < 1e-15, "{x:?}");
/// assert!(ball.contains(&x));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Ball<F> {
    center: Option<Array1<F>>,
    radius: F,
}

impl<F: Real> Ball<F> {
    /// The ball of radius r around the origin, in any dimension.
    ///
    /// ```
    /// use zoptim::{Ball, Projection};
    ///
    /// let ball = Ball::origin(2.0_f64);
    /// let mut x = [3.0, 4.0];
    /// ball.project(&mut x, 0..2);
    /// assert!((x[0] - 1.2).abs() < 1e-15 && (x[1] - 1.6).abs() < 1e-15, "{x:?}");
    /// assert!(ball.validate().is_ok() && Ball::origin(-1.0).validate().is_err());
    /// ```
    pub fn origin(radius: F) -> Self {
        Ball { center: None, radius }
    }

    /// The ball of radius r around `center`.
    ///
    /// ```
    /// use ndarray::array;
    /// use zoptim::{Ball, Projection};
    ///
    /// let ball = Ball::new(array![10.0, 10.0], 0.5);
    /// assert!(ball.contains(&[10.3, 10.4]));
    /// assert!(!ball.contains(&[0.0, 0.0]));
    /// ```
    pub fn new(center: Array1<F>, radius: F) -> Self {
        Ball {
            center: Some(center),
            radius,
        }
    }

    /// The center's length, when it differs from `n` (a mismatch).
    fn mismatch(&self, n: usize) -> Option<usize> {
        self.center.as_ref().map(|c| c.len()).filter(|&m| m != n)
    }

    #[inline]
    fn c(&self, i: usize) -> F {
        self.center.as_ref().map_or(F::zero(), |c| c[i])
    }

    fn distance(&self, x: &[F]) -> F {
        // Scaled sum of squares (as LAPACK's nrm2) so that huge or tiny
        // coordinates neither overflow nor underflow.
        let scale = x
            .iter()
            .enumerate()
            .map(|(i, &v)| (v - self.c(i)).abs())
            .fold(F::zero(), F::max);
        if scale == F::zero() || !scale.is_finite() {
            return scale;
        }
        let s: F = x
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let t = (v - self.c(i)) / scale;
                t * t
            })
            .sum();
        scale * s.sqrt()
    }

    fn tolerance(&self, d: usize) -> F {
        let u = F::UNIT_ROUNDOFF;
        let root = (d as f64).sqrt();
        // Adding the center back rounds each coordinate by up to u·|cᵢ + tᵢ|: an
        // absolute error that a relative tolerance misses when |c| ≫ r.
        let c = self
            .center
            .as_ref()
            .map_or(0.0, |c| c.iter().fold(0.0f64, |m, v| m.max(v.as_f64().abs())));
        let r = self.radius.as_f64();
        // Below F's normal range each coordinate also rounds by up to half the
        // smallest subnormal, whatever its size (a tiny radius).
        let tiny = (F::min_positive_value() * F::epsilon()).as_f64();
        F::of_f64(r * (1.0 + 4.0 * (root + 2.0) * u) + 4.0 * (root + 1.0) * (u * (c + r) + tiny))
    }
}

impl<F: Real> Projection<F> for Ball<F> {
    fn name(&self) -> &'static str {
        "ball"
    }

    fn validate(&self) -> Result<()> {
        crate::error::check_positive("ball radius", self.radius.as_f64())?;
        if let Some(c) = &self.center
            && let Some(i) = c.iter().position(|v| !v.is_finite())
        {
            return Err(Error::InvalidParameter {
                name: "ball center",
                value: format!("c[{i}] = {}", c[i]),
                requirement: "finite",
            });
        }
        Ok(())
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        match &self.center {
            Some(c) if c.len() != dim => Err(Error::DimensionMismatch {
                what: "ball center",
                expected: dim,
                found: c.len(),
            }),
            _ => Ok(()),
        }
    }

    fn project(&self, x: &mut [F], _changed: Range<usize>) -> bool {
        if self.mismatch(x.len()).is_some() {
            return false;
        }
        let dist = self.distance(x);
        if dist <= self.radius {
            return false;
        }
        let s = self.radius / dist;
        if s >= F::min_positive_value() {
            for (i, xi) in x.iter_mut().enumerate() {
                let c = self.c(i);
                *xi = c + (*xi - c) * s;
            }
        } else {
            // r/‖x − c‖ is subnormal (x near F's limit): it has lost precision,
            // so divide first ((xᵢ − cᵢ)/‖x − c‖ ∈ [−1, 1]) and scale by r.
            for (i, xi) in x.iter_mut().enumerate() {
                let c = self.c(i);
                *xi = c + (*xi - c) / dist * self.radius;
            }
        }
        true
    }

    fn contains(&self, x: &[F]) -> bool {
        self.mismatch(x.len()).is_none() && self.distance(x) <= self.tolerance(x.len())
    }

    fn violation(&self, x: &[F]) -> Option<String> {
        if let Some(m) = self.mismatch(x.len()) {
            return Some(format!("x has {} coordinates, the ball's center {m}", x.len()));
        }
        let dist = self.distance(x);
        (dist > self.tolerance(x.len())).then(|| format!("‖x − c‖ = {dist} exceeds the radius {}", self.radius))
    }
}
