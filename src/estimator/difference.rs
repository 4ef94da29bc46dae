//! The finite-difference kernel shared by every two-point-style estimator
//! ([`TwoPoint`](super::TwoPoint), [`Dap`](super::Dap),
//! [`BlockCoordinate`](super::BlockCoordinate)): which difference, the
//! smoothing μ and the number of directions q ([`Smoothing`], set through
//! [`Smoothed`]), the query points of a direction, and the coefficients the
//! values give.
//!
//! Layout of a round, for q directions: f(x) first when a forward difference
//! needs it and does not know it, then for each direction j the point x + μuⱼ
//! ([`Query::Plus`]`(j)`) and, for central differences, x − μuⱼ
//! ([`Query::Minus`]`(j)`).

use crate::error::{Query, Result, check_count, check_positive};
use crate::random::direction::SeededDirection;
use crate::real::Real;
use crate::run::{Perturb, Round};
use std::ops::Range;

/// Which finite difference a two-point estimator takes along each direction.
///
/// ```
/// use zoptim::Difference;
///
/// assert_eq!(Difference::Central.queries(8), 16);
/// assert_eq!(Difference::Forward.queries(8), 9);
/// assert_eq!(Difference::default(), Difference::Central);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Difference {
    /// (f(x+μu) − f(x))/μ: q + 1 queries for q directions (f(x) shared), bias O(μ).
    Forward,
    /// (f(x+μu) − f(x−μu))/(2μ): 2q queries, bias O(μ²).
    #[default]
    Central,
}

impl Difference {
    /// Queries for `n` differences: n + 1 forward (f(x) shared), 2n central
    /// (saturating at `usize::MAX`, a count no budget admits).
    ///
    /// ```
    /// use zoptim::Difference;
    ///
    /// assert_eq!(Difference::Central.queries(usize::MAX), usize::MAX); // saturates
    /// ```
    #[must_use]
    pub fn queries(self, n: usize) -> usize {
        match self {
            Difference::Forward => n.saturating_add(1),
            Difference::Central => n.saturating_mul(2),
        }
    }

    /// True when a round must ask for f(x): a forward difference that does not know it.
    pub(crate) fn needs_center<F>(self, fx: Option<F>) -> bool {
        self == Difference::Forward && fx.is_none()
    }
}

/// The smoothing configuration of a two-point-style estimator: the difference,
/// the smoothing parameter μ and the number of directions q averaged per step.
///
/// ```
/// use zoptim::{Difference, Smoothed, Smoothing, TwoPoint};
///
/// let s = Smoothing::new(Difference::Forward, 1e-4, 3);
/// assert_eq!((s.difference(), s.mu(), s.directions()), (Difference::Forward, 1e-4, 3));
/// let est = TwoPoint::<f64>::spsa().difference(Difference::Forward).mu(1e-4).directions(3);
/// assert_eq!(est.smoothing(), &s);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Smoothing {
    difference: Difference,
    mu: f64,
    directions: usize,
}

impl Smoothing {
    /// A configuration (checked when the optimizer is built: μ finite and > 0, q ≥ 1).
    ///
    /// ```
    /// use zoptim::{Difference, Smoothing};
    ///
    /// let s = Smoothing::new(Difference::Central, 1e-3, 4);
    /// assert_eq!(s.difference().queries(s.directions()), 8);
    /// ```
    #[must_use]
    pub fn new(difference: Difference, mu: f64, directions: usize) -> Self {
        Smoothing {
            difference,
            mu,
            directions,
        }
    }

    /// The finite difference.
    ///
    /// ```
    /// use zoptim::{Difference, Smoothed, TwoPoint};
    ///
    /// assert_eq!(TwoPoint::<f64>::forward(zoptim::Direction::Gaussian).smoothing().difference(), Difference::Forward);
    /// ```
    #[must_use]
    pub fn difference(&self) -> Difference {
        self.difference
    }

    /// The smoothing parameter μ.
    ///
    /// ```
    /// use zoptim::{Smoothed, TwoPoint};
    ///
    /// assert_eq!(TwoPoint::<f64>::spsa().smoothing().mu(), 1e-3);
    /// ```
    #[must_use]
    pub fn mu(&self) -> f64 {
        self.mu
    }

    /// The number of directions q.
    ///
    /// ```
    /// use zoptim::{Smoothed, TwoPoint};
    ///
    /// assert_eq!(TwoPoint::<f64>::spsa().directions(5).smoothing().directions(), 5);
    /// ```
    #[must_use]
    pub fn directions(&self) -> usize {
        self.directions
    }

    pub(crate) fn validate(&self) -> Result<()> {
        check_positive("mu", self.mu)?;
        check_count("directions", self.directions)
    }

    pub(crate) fn central(&self) -> bool {
        self.difference == Difference::Central
    }
}

/// The builder methods every two-point-style estimator shares (one
/// implementation, over its [`Smoothing`]).
///
/// Like every builder in the crate, a bare name sets (`mu(1e-4)`, consuming and
/// returning the estimator) and `get_` + the same name reads the value back.
///
/// ```
/// use zoptim::Smoothing;
/// use zoptim::prelude::*;
///
/// let spsa = TwoPoint::<f64>::spsa().mu(1e-4).directions(8);
/// assert_eq!(spsa.get_mu(), 1e-4);
/// assert_eq!(spsa.get_directions(), 8);
/// let dap = Dap::<f64>::previous().difference(Difference::Forward).directions(2);
/// assert_eq!(dap.get_difference(), Difference::Forward);
/// assert_eq!(dap.smoothing(), &Smoothing::new(Difference::Forward, 1e-3, 2));
/// ```
pub trait Smoothed: Sized {
    /// The configuration.
    ///
    /// ```
    /// use zoptim::{Difference, Smoothed, Smoothing, TwoPoint};
    ///
    /// assert_eq!(TwoPoint::<f64>::spsa().smoothing(), &Smoothing::new(Difference::Central, 1e-3, 1));
    /// ```
    fn smoothing(&self) -> &Smoothing;

    /// The configuration, to change.
    ///
    /// ```
    /// use zoptim::{Difference, Smoothed, Smoothing, TwoPoint};
    ///
    /// let mut est = TwoPoint::<f64>::spsa();
    /// *est.smoothing_mut() = Smoothing::new(Difference::Forward, 1e-2, 2);
    /// assert_eq!(est.get_directions(), 2);
    /// ```
    fn smoothing_mut(&mut self) -> &mut Smoothing;

    /// Sets the smoothing (finite-difference) parameter μ > 0. An optimizer's
    /// μ schedule ([`OptimizerBuilder::smoothing`](crate::optimizer::OptimizerBuilder::smoothing))
    /// overrides it step by step.
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(Dap::<f64>::previous().mu(1e-5).get_mu(), 1e-5);
    /// assert!(Optimizer::<f64>::builder(Dap::previous().mu(f64::NAN)).build().is_err());
    /// ```
    #[must_use]
    fn mu(mut self, mu: f64) -> Self {
        self.smoothing_mut().mu = mu;
        self
    }

    /// Sets the number of directions q ≥ 1 averaged per step.
    ///
    /// ```
    /// use zoptim::estimator::GradientEstimator;
    /// use zoptim::prelude::*;
    ///
    /// let est = BlockCoordinate::<f64>::new(2).directions(3);
    /// assert_eq!(est.max_queries(10), 6);
    /// assert!(Optimizer::<f64>::builder(TwoPoint::spsa().directions(0)).build().is_err());
    /// ```
    #[must_use]
    fn directions(mut self, q: usize) -> Self {
        self.smoothing_mut().directions = q;
        self
    }

    /// Sets the finite difference.
    ///
    /// ```
    /// use zoptim::estimator::GradientEstimator;
    /// use zoptim::prelude::*;
    ///
    /// let est = TwoPoint::<f64>::spsa().difference(Difference::Forward).directions(3);
    /// assert_eq!(est.max_queries(10), 4);
    /// ```
    #[must_use]
    fn difference(mut self, difference: Difference) -> Self {
        self.smoothing_mut().difference = difference;
        self
    }

    /// The smoothing parameter μ set by [`mu`](Smoothed::mu) (an optimizer's μ
    /// schedule, when set, replaces it step by step).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(TwoPoint::<f64>::spsa().mu(2e-3).get_mu(), 2e-3);
    /// ```
    fn get_mu(&self) -> f64 {
        self.smoothing().mu()
    }

    /// The number of directions q set by [`directions`](Smoothed::directions).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(BlockCoordinate::<f64>::new(3).get_directions(), 1);
    /// ```
    fn get_directions(&self) -> usize {
        self.smoothing().directions()
    }

    /// The finite difference set by [`difference`](Smoothed::difference).
    ///
    /// ```
    /// use zoptim::prelude::*;
    ///
    /// assert_eq!(Dap::<f64>::previous().get_difference(), Difference::Forward); // DAP's reference form
    /// ```
    fn get_difference(&self) -> Difference {
        self.smoothing().difference()
    }
}

/// Pushes the seeded rows of direction `j` (x + μu, then x − μu for central
/// differences) on `support`.
pub(crate) fn push_seeded<F: Real>(
    round: &mut Round<F>,
    dir: SeededDirection,
    j: usize,
    mu: F,
    support: Range<usize>,
    perturb: Perturb,
    central: bool,
) {
    round.push_seeded(Query::Plus(j), dir, mu, support.clone(), perturb);
    if central {
        round.push_seeded(Query::Minus(j), dir, -mu, support, perturb);
    }
}

/// Pushes the rows of direction `j` (x + μu, then x − μu for central
/// differences) for a stored direction `u`.
pub(crate) fn push_dense<F: Real>(round: &mut Round<F>, x: &[F], u: &[F], j: usize, mu: F, central: bool) {
    let plus = round.push(Query::Plus(j));
    for ((p, &xi), &ui) in plus.iter_mut().zip(x).zip(u) {
        *p = xi + mu * ui;
    }
    if central {
        let minus = round.push(Query::Minus(j));
        for ((p, &xi), &ui) in minus.iter_mut().zip(x).zip(u) {
            *p = xi - mu * ui;
        }
    }
}

/// Pushes the rows of direction `j` generating u chunk by chunk from its seed
/// (one pass: each chunk, still in L1, becomes the query points at once); `u`
/// receives the direction when given.
pub(crate) fn push_streamed<F: Real>(
    round: &mut Round<F>,
    x: &[F],
    dir: &SeededDirection,
    j: usize,
    mu: F,
    central: bool,
    mut u: Option<&mut [F]>,
) {
    round.push(Query::Plus(j));
    if central {
        round.push(Query::Minus(j));
    }
    let d = x.len();
    let p = round.last_rows_mut(if central { 2 } else { 1 });
    let (plus, minus) = p.split_at_mut(d);
    dir.for_each_chunk::<F>(|start, c| {
        let end = start + c.len();
        let xs = &x[start..end];
        if let Some(u) = u.as_deref_mut() {
            u[start..end].copy_from_slice(c);
        }
        if central {
            let (pp, pm) = (&mut plus[start..end], &mut minus[start..end]);
            for (((pp, pm), &xi), &ui) in pp.iter_mut().zip(pm.iter_mut()).zip(xs).zip(c) {
                let s = mu * ui;
                *pp = xi + s;
                *pm = xi - s;
            }
        } else {
            for ((pp, &xi), &ui) in plus[start..end].iter_mut().zip(xs).zip(c) {
                *pp = xi + mu * ui;
            }
        }
    });
}

/// Splits the values of a round laid out as above: f(x) (known before the
/// round, or its first value) and the values of the directions' rows.
pub(crate) fn split_center<F: Real>(values: &[F], fx: Option<F>, difference: Difference) -> (Option<F>, &[F]) {
    match (difference, fx) {
        (Difference::Central, _) => (None, values),
        (Difference::Forward, Some(f0)) => (Some(f0), values),
        (Difference::Forward, None) => (values.first().copied(), values.get(1..).unwrap_or(&[])),
    }
}

/// The coefficient of each direction: scale·(f₊ − f₋)/(2μ·n) for central
/// differences, scale·(f₊ − f(x))/(μ·n) for forward ones (`fx` = f(x)), where n
/// = `coefs.len()` and `values` are the directions' rows.
pub(crate) fn coefficients<F: Real>(values: &[F], fx: Option<F>, mu: F, scale: F, coefs: &mut [F]) {
    let n = F::of_f64(coefs.len() as f64);
    for (j, c) in coefs.iter_mut().enumerate() {
        let base = match fx {
            Some(f0) => (values[j] - f0) / (mu * n),
            None => (values[2 * j] - values[2 * j + 1]) / ((mu + mu) * n),
        };
        *c = base * scale;
    }
}
