//! What an estimate is: [`Estimate`], the three forms of ĝ.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use crate::error::Result;
use crate::random::direction::SeededDirection;
use crate::real::Real;
use std::ops::Range;

mod apply;

/// How an [`Estimate`] holds its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
///
/// ```
/// use zoptim::estimator::{Estimate, Form};
///
/// let mut g = Estimate::<f64>::new();
/// g.dense_mut(3, 0..3);
/// assert_eq!(g.form(), Form::Dense);
/// g.stored_mut(3, 0..3, 2);
/// assert_eq!(g.form(), Form::Stored);
/// ```
pub enum Form {
    /// Explicit values on the support.
    Dense,
    /// g = Σⱼ cⱼ·uⱼ with the directions uⱼ stored as rows.
    Stored,
    /// g = Σⱼ cⱼ·uⱼ with each uⱼ replayed from its seed (nothing d-sized stored).
    Seeded,
}

/// A gradient estimate g, supported on a contiguous range of coordinates.
///
/// Estimators write it in the cheapest form they have: explicit values
/// ([`Form::Dense`]), or a combination Σⱼ cⱼ·uⱼ of directions that are stored
/// ([`Form::Stored`]) or replayed from seeds ([`Form::Seeded`]). Update rules read
/// it either with [`scaled_add_to`](Estimate::scaled_add_to), which streams
/// x ← x + α·g without materialising g (plain SGD's single pass), or with
/// [`values`](Estimate::values), which materialises it once.
///
/// Outside [`support`](Estimate::support) g is zero; block estimators use a
/// support smaller than 0..d so that a step touches only that block.
/// All buffers keep their capacity between steps: after the first step of a
/// given size nothing is allocated.
#[derive(Clone, Debug)]
///
/// ```
/// use zoptim::estimator::Estimate;
///
/// // g = 2·u₀ − u₁ with two stored directions on the support 1..3 of d = 4.
/// let mut g = Estimate::<f64>::new();
/// let (rows, coefs) = g.stored_mut(4, 1..3, 2);
/// rows.copy_from_slice(&[1.0, 0.0, 1.0, 1.0]);
/// coefs.copy_from_slice(&[2.0, -1.0]);
/// assert_eq!(g.to_vec(), [0.0, 1.0, -1.0, 0.0]);
/// let mut x = [1.0; 4];
/// g.scaled_add_to(-0.5, &mut x); // x ← x − 0.5·g
/// assert_eq!(x, [1.0, 0.5, 1.5, 1.0]);
/// ```
pub struct Estimate<F> {
    dim: usize,
    support: Range<usize>,
    form: Form,
    materialized: bool,
    dense: Vec<F>,
    rows: Vec<F>,
    coefs: Vec<F>,
    seeded: Vec<SeededDirection>,
    /// Set when `stored_mut` could not allocate its rows (see there).
    invalid: bool,
}

impl<F: Real> Default for Estimate<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: Real> Estimate<F> {
    /// An empty estimate (d = 0).
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let g = Estimate::<f32>::new();
    /// assert_eq!((g.dim(), g.support()), (0, 0..0));
    /// ```
    pub fn new() -> Self {
        Estimate {
            dim: 0,
            support: 0..0,
            form: Form::Dense,
            materialized: true,
            dense: Vec::new(),
            rows: Vec::new(),
            coefs: Vec::new(),
            seeded: Vec::new(),
            invalid: false,
        }
    }

    /// The dimension d of the parameter vector.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.dense_mut(5, 2..3);
    /// assert_eq!(g.dim(), 5);
    /// ```
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Reserves room to materialise values on a support of up to `len`
    /// coordinates, so that later estimates of that size allocate nothing (for
    /// estimators whose support changes size from step to step).
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.reserve(100);
    /// g.dense_mut(100, 0..100)[99] = 1.0;
    /// assert_eq!(g.values()[99], 1.0);
    /// ```
    pub fn reserve(&mut self, len: usize) {
        self.dense.reserve(len.saturating_sub(self.dense.len()));
    }

    /// The coordinates where g may be non-zero.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.dense_mut(4, 1..9); // clipped to d
    /// assert_eq!(g.support(), 1..4);
    /// ```
    pub fn support(&self) -> Range<usize> {
        self.support.clone()
    }

    /// How the values are held.
    ///
    /// ```
    /// use zoptim::estimator::{Estimate, Form};
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.seeded_mut(3, 0..3);
    /// assert_eq!(g.form(), Form::Seeded);
    /// ```
    pub fn form(&self) -> Form {
        self.form
    }

    fn reset_to(&mut self, dim: usize, support: Range<usize>, form: Form) {
        let support = support.start.min(dim)..support.end.min(dim).max(support.start.min(dim));
        self.dim = dim;
        self.support = support;
        self.form = form;
        self.materialized = form == Form::Dense;
        self.invalid = false;
    }

    /// Starts a dense estimate on `support` and returns its zero-filled values
    /// (`support.len()` of them) to be written.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// let v = g.dense_mut(4, 1..3);
    /// assert_eq!(v, [0.0, 0.0]);
    /// v[1] = 5.0;
    /// assert_eq!(g.to_vec(), [0.0, 0.0, 5.0, 0.0]);
    /// ```
    pub fn dense_mut(&mut self, dim: usize, support: Range<usize>) -> &mut [F] {
        self.reset_to(dim, support, Form::Dense);
        let n = self.support.len();
        self.dense.clear();
        self.dense.resize(n, F::zero());
        &mut self.dense
    }

    /// Starts a stored-direction estimate g = Σⱼ cⱼ·uⱼ with `q` directions on
    /// `support`. Returns the rows (row-major, `q × support.len()`, contents
    /// unspecified: write every entry) and the coefficients (zero-filled).
    ///
    /// Never panics and never aborts on a size: when `q × support.len()` values
    /// (or `q` coefficients) cannot be allocated — the product overflows, or the
    /// allocator refuses — both returned slices are empty and the estimate is
    /// *invalid*: [`is_finite`](Estimate::is_finite) is false (so an optimizer
    /// rejects it with [`Error::NonFiniteEstimate`](crate::Error::NonFiniteEstimate)),
    /// and it has no coefficient (its [`values`](Estimate::values) are zero and
    /// [`scaled_add_to`](Estimate::scaled_add_to) changes nothing).
    /// [`try_stored_mut`](Estimate::try_stored_mut) reports the failure as an error.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// let (rows, coefs) = g.stored_mut(2, 0..2, 1);
    /// rows.copy_from_slice(&[3.0, 4.0]);
    /// coefs[0] = 0.5;
    /// assert_eq!(g.norm_squared(), 6.25);
    /// let (rows, _) = g.stored_mut(2, 0..2, usize::MAX); // cannot be allocated
    /// assert!(rows.is_empty() && !g.is_finite());
    /// ```
    pub fn stored_mut(&mut self, dim: usize, support: Range<usize>, q: usize) -> (&mut [F], &mut [F]) {
        self.reset_to(dim, support, Form::Stored);
        let n = self.support.len();
        let total = q.checked_mul(n);
        let fits = |buf: &mut Vec<F>, len: usize| buf.try_reserve(len.saturating_sub(buf.len())).is_ok();
        let ok = match total {
            Some(total) => fits(&mut self.rows, total) && fits(&mut self.coefs, q),
            None => false,
        };
        if !ok {
            self.invalid = true;
            self.coefs.clear();
            return (&mut [], &mut []);
        }
        let total = q * n;
        self.rows.resize(total, F::zero());
        self.coefs.clear();
        self.coefs.resize(q, F::zero());
        (&mut self.rows[..total], &mut self.coefs)
    }

    /// [`stored_mut`](Estimate::stored_mut), with a size that cannot be
    /// allocated reported as [`Error::InvalidParameter`](crate::Error::InvalidParameter)
    /// (naming `directions`) instead of empty slices.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// assert!(g.try_stored_mut(2, 0..2, 3).is_ok());
    /// assert!(matches!(
    ///     g.try_stored_mut(2, 0..2, usize::MAX),
    ///     Err(zoptim::Error::InvalidParameter { name: "directions", .. })
    /// ));
    /// ```
    pub fn try_stored_mut(&mut self, dim: usize, support: Range<usize>, q: usize) -> Result<(&mut [F], &mut [F])> {
        let n = support.end.min(dim).saturating_sub(support.start.min(dim));
        let (rows, coefs) = self.stored_mut(dim, support, q);
        if rows.len() != q.saturating_mul(n) || coefs.len() != q {
            return Err(crate::Error::InvalidParameter {
                name: "directions",
                value: format!("{q} stored directions of length {n}"),
                requirement: "a number of stored values (directions × support length) that can be allocated",
            });
        }
        Ok((rows, coefs))
    }

    /// Starts a seeded estimate g = Σⱼ cⱼ·uⱼ on `support`; push directions and
    /// coefficients (one each per direction) into the returned vectors, which are
    /// empty but keep their capacity.
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    /// use zoptim::{Direction, SeededDirection, ZoRng};
    ///
    /// let u = SeededDirection::draw(Direction::Rademacher, &mut ZoRng::seed_from_u64(1), 3);
    /// let mut g = Estimate::<f64>::new();
    /// let (dirs, coefs) = g.seeded_mut(3, 0..3);
    /// dirs.push(u);
    /// coefs.push(2.0);
    /// let mut want = [0.0; 3];
    /// u.axpy(2.0, &mut want);
    /// assert_eq!(g.to_vec(), want);
    /// ```
    pub fn seeded_mut(&mut self, dim: usize, support: Range<usize>) -> (&mut Vec<SeededDirection>, &mut Vec<F>) {
        self.reset_to(dim, support, Form::Seeded);
        self.seeded.clear();
        self.coefs.clear();
        (&mut self.seeded, &mut self.coefs)
    }

    /// The coefficients of a stored or seeded estimate, to be filled after the
    /// directions are written (one per direction).
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.stored_mut(2, 0..2, 1).0.copy_from_slice(&[1.0, -1.0]);
    /// g.coefficients_mut()[0] = 3.0; // written after the rows
    /// assert_eq!(g.to_vec(), [3.0, -3.0]);
    /// ```
    pub fn coefficients_mut(&mut self) -> &mut Vec<F> {
        self.materialized = self.form == Form::Dense;
        &mut self.coefs
    }

    /// The coefficients cⱼ of a stored or seeded estimate (empty for dense).
    ///
    /// ```
    /// use zoptim::estimator::Estimate;
    ///
    /// let mut g = Estimate::<f64>::new();
    /// g.stored_mut(2, 0..2, 2).1.copy_from_slice(&[1.5, 2.5]);
    /// assert_eq!(g.coefficients(), [1.5, 2.5]);
    /// g.dense_mut(2, 0..2);
    /// assert!(g.coefficients().is_empty());
    /// ```
    pub fn coefficients(&self) -> &[F] {
        match self.form {
            Form::Dense => &[],
            Form::Stored | Form::Seeded => &self.coefs,
        }
    }

    /// The stored rows and coefficients of a stored estimate (empty otherwise).
    pub(crate) fn stored_parts(&self) -> (&[F], &[F]) {
        match self.form {
            Form::Stored => {
                let n = self.support.len() * self.coefs.len();
                (&self.rows[..n.min(self.rows.len())], &self.coefs)
            }
            Form::Dense | Form::Seeded => (&[], &[]),
        }
    }
}

/// A bound on |uᵢ| for every entry of a seed-replayed direction of length d:
/// Rademacher 1; Gaussian 8 (the normal stream's values satisfy |z| ≤ √(64 ln 2)
/// ≈ 6.66, see `crate::random::normal`); sphere and coordinate √d (an entry is at most
/// the norm), with slack for rounding.
pub(crate) fn direction_bound(dir: &SeededDirection) -> f64 {
    let root = (dir.len() as f64).sqrt() * 1.001;
    match dir.kind() {
        crate::random::direction::Direction::Rademacher => 1.0,
        crate::random::direction::Direction::Gaussian => 8.0,
        crate::random::direction::Direction::Sphere | crate::random::direction::Direction::Coordinate => root,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::direction::Direction;
    use crate::random::rng::ZoRng;

    #[test]
    fn the_three_forms_agree() {
        let d = 300;
        let mut rng = ZoRng::seed_from_u64(4);
        let dirs: Vec<_> = (0..3)
            .map(|_| SeededDirection::draw(Direction::Gaussian, &mut rng, d))
            .collect();
        let c = [0.5, -2.0, 1.25];

        let mut seeded = Estimate::<f64>::new();
        {
            let (ds, cs) = seeded.seeded_mut(d, 0..d);
            ds.extend_from_slice(&dirs);
            cs.extend_from_slice(&c);
        }
        let mut stored = Estimate::<f64>::new();
        {
            let (rows, cs) = stored.stored_mut(d, 0..d, 3);
            for (j, dir) in dirs.iter().enumerate() {
                dir.write(&mut rows[j * d..(j + 1) * d]);
            }
            cs.copy_from_slice(&c);
        }
        let want = stored.to_vec();
        let mut dense = Estimate::<f64>::new();
        dense.dense_mut(d, 0..d).copy_from_slice(&want);

        let got = seeded.to_vec();
        for (a, b) in got.iter().zip(&want) {
            assert!((a - b).abs() < 1e-12);
        }
        for est in [&seeded, &stored, &dense] {
            let mut x = vec![1.0; d];
            est.scaled_add_to(-0.1, &mut x);
            for (xi, gi) in x.iter().zip(&want) {
                assert!((xi - (1.0 - 0.1 * gi)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn support_limits_the_update() {
        let mut e = Estimate::<f64>::new();
        e.dense_mut(10, 3..6).copy_from_slice(&[1.0, 2.0, 3.0]);
        let mut x = vec![0.0; 10];
        e.scaled_add_to(1.0, &mut x);
        assert_eq!(x, vec![0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 0.0]);
    }
}
