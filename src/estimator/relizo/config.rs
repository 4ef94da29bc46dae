//! ReLIZO's constructors, setters and inspectors.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use super::state::State;
use super::{GramUpdate, Relizo, RelizoStep, Sampling};
use crate::linalg::dot;
use crate::real::Real;
use ndarray::Array2;

impl<F: Real> Relizo<F> {
    /// The reference constructor's defaults (`LIZO(...)` in `relizo.py`): n = 8,
    /// b = 0 (reuse off), ρ = 1, σ = 1e-5, orthogonal sampling, no sampling
    /// momentum, incremental Gram update.
    ///
    /// ```
    /// # use ndarray::ArrayView1;
    /// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
    /// # use zoptim::{Relizo, ZoRng};
    /// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
    /// let mut est = Relizo::reference_defaults();
    /// est.prepare(10)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// let step = est.last_step().unwrap();
    /// assert_eq!((step.reused, step.new_samples, step.queries), (0, 8, 9)); // b = 0: no reuse
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn reference_defaults() -> Self {
        Relizo {
            n: 8,
            b: 0.0,
            rho: 1.0,
            sigma: 1e-5,
            sampling: Sampling::Orthogonal,
            momentum: 0.0,
            gram_update: GramUpdate::Incremental,
            state: State::default(),
        }
    }

    /// Sample reuse within distance `b`: the reference defaults with reuse bound
    /// b, ρ = 0.5 and Gaussian sampling (n = 8, σ = 1e-5).
    ///
    /// The reference's README recommends b = 2·lr for plain
    /// [`Sgd`](crate::Sgd) with a constant learning rate lr:
    /// `Relizo::with_reuse_bound(2.0 * lr)`. b is a distance in x, fixed for
    /// the run; a learning-rate schedule does not move it.
    ///
    /// ```
    /// use zoptim::{Relizo, estimator::Sampling};
    ///
    /// let lr = 0.05;
    /// let est = Relizo::<f64>::with_reuse_bound(2.0 * lr);
    /// let same = Relizo::<f64>::reference_defaults()
    ///     .reuse_distance_bound(0.1)
    ///     .max_reuse_rate(0.5)
    ///     .sampling(Sampling::Gaussian);
    /// assert_eq!(format!("{est:?}"), format!("{same:?}"));
    /// ```
    pub fn with_reuse_bound(b: f64) -> Self {
        Self::reference_defaults()
            .reuse_distance_bound(b)
            .max_reuse_rate(0.5)
            .sampling(Sampling::Gaussian)
    }

    /// Sets the sample count n ≥ 1 (reference `num_sample_per_step`). It is
    /// clipped to d when the dimension is seen, as in the reference.
    ///
    /// ```
    /// use zoptim::Relizo;
    /// use zoptim::estimator::GradientEstimator;
    ///
    /// let mut est = Relizo::<f64>::reference_defaults().samples(20);
    /// est.prepare(5)?;
    /// assert_eq!(est.effective_samples(), Some(5)); // clipped to d
    /// assert_eq!(est.max_queries(5), 6);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn samples(mut self, n: usize) -> Self {
        self.n = n;
        self
    }

    /// Sets the reuse bound b ≥ 0: a candidate is reused when its distance to x
    /// is < b. b = 0 turns reuse off.
    ///
    /// ```
    /// # use ndarray::ArrayView1;
    /// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
    /// # use zoptim::{Relizo, ZoRng};
    /// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
    /// // Samples lie ≈ σ√d = 3e-5 from x: a bound of 1e-6 reuses none, 1e-3 does.
    /// for (b, reused) in [(1e-6, 0), (1e-3, 4)] {
    ///     let mut est = Relizo::with_reuse_bound(b);
    ///     est.prepare(10)?;
    ///     estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    ///     estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    ///     assert_eq!(est.last_step().unwrap().reused, reused);
    /// }
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn reuse_distance_bound(mut self, b: f64) -> Self {
        self.b = b;
        self
    }

    /// Sets ρ ∈ [0, 1]: at most ⌊n·ρ⌋ samples are reused per step.
    ///
    /// ```
    /// # use ndarray::ArrayView1;
    /// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
    /// # use zoptim::{Relizo, ZoRng};
    /// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
    /// let mut est = Relizo::with_reuse_bound(1.0).max_reuse_rate(0.25);
    /// est.prepare(10)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// assert_eq!(est.last_step().unwrap().reused, 2); // ⌊8·0.25⌋
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn max_reuse_rate(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }

    /// Sets the offset scale σ > 0 (the reference's `sample_norm`; default
    /// 1e-5). Every new offset is proportional to σ, but the factor depends on
    /// the [`Sampling`], as in the reference:
    /// - [`Sampling::Gaussian`]: σ is the standard deviation of each coordinate,
    ///   z ~ N(0, σ²I), so an offset has norm ≈ σ√d;
    /// - [`Sampling::Orthogonal`]: σ is the finite-difference length h of each
    ///   of the m new rows, which have norm 1/√m, so an offset has norm σ/√m
    ///   (the block of m new offsets has Frobenius norm σ).
    ///
    /// The same σ thus gives offsets √(d·m) times longer under Gaussian
    /// sampling. An optimizer smoothing schedule overrides σ step by step.
    ///
    /// ```
    /// use zoptim::{Error, Relizo, estimator::GradientEstimator};
    ///
    /// let est = Relizo::<f64>::reference_defaults().offset_scale(1e-3);
    /// assert!(format!("{est:?}").contains("offset_scale: 0.001"));
    /// let bad = Relizo::<f64>::reference_defaults().offset_scale(0.0).validate();
    /// assert!(matches!(bad, Err(Error::InvalidParameter { name: "offset_scale", .. })));
    /// ```
    pub fn offset_scale(mut self, sigma: f64) -> Self {
        self.sigma = sigma;
        self
    }

    /// Sets how new directions are drawn.
    ///
    /// ```
    /// # use ndarray::ArrayView1;
    /// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
    /// # use zoptim::{Relizo, ZoRng};
    /// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
    /// let mut est = Relizo::reference_defaults().sampling(Sampling::Gaussian).offset_scale(1e-3);
    /// est.prepare(10)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// // Gaussian offsets: h = ‖z‖ + 1e-8 ≈ σ√d, not σ.
    /// assert!(est.lengths().iter().all(|&h| h > 1e-3 && h < 1e-2));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// Sets the sampling momentum m ≥ 0 (reference `sample_momentum`): new draws
    /// have mean m·Δ, Δ = x_prev − x (the reference's m·L·ĝ). Default 0.
    ///
    /// ```
    /// use zoptim::Relizo;
    /// use zoptim::estimator::GradientEstimator;
    ///
    /// assert!(Relizo::<f64>::with_reuse_bound(0.1).sample_momentum(0.5).validate().is_ok());
    /// assert!(Relizo::<f64>::with_reuse_bound(0.1).sample_momentum(-1.0).validate().is_err());
    /// ```
    pub fn sample_momentum(mut self, m: f64) -> Self {
        self.momentum = m;
        self
    }

    /// Sets how G is kept up to date.
    ///
    /// ```
    /// # use ndarray::ArrayView1;
    /// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
    /// # use zoptim::{Relizo, ZoRng};
    /// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
    /// let mut est = Relizo::with_reuse_bound(1.0).gram_update(GramUpdate::Exact);
    /// est.prepare(10)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// let (kept, exact) = (est.gram(), est.exact_gram());
    /// assert!(kept.iter().zip(&exact).all(|(a, b)| (a - b).abs() < 1e-12));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn gram_update(mut self, mode: GramUpdate) -> Self {
        self.gram_update = mode;
        self
    }

    /// Statistics of the last completed step (a step that failed or was
    /// abandoned leaves them as they were).
    ///
    /// ```
    /// # use ndarray::ArrayView1;
    /// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
    /// # use zoptim::{Relizo, ZoRng};
    /// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
    /// let mut est = Relizo::reference_defaults();
    /// est.prepare(10)?;
    /// assert!(est.last_step().is_none());
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// assert_eq!(est.last_step().unwrap().rank, 8);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn last_step(&self) -> Option<RelizoStep> {
        self.state.last
    }

    /// The effective n (n clipped to d), once the dimension is known.
    ///
    /// ```
    /// use zoptim::Relizo;
    /// use zoptim::estimator::GradientEstimator;
    ///
    /// let mut est = Relizo::<f64>::reference_defaults();
    /// assert_eq!(est.effective_samples(), None);
    /// est.prepare(3)?;
    /// assert_eq!(est.effective_samples(), Some(3));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn effective_samples(&self) -> Option<usize> {
        (self.state.dim > 0).then_some(self.state.ne)
    }

    /// The rows uᵢ = δᵢ/hᵢ of the last completed step, in its order (n × d,
    /// allocated; for inspection and tests). Empty before the first step.
    ///
    /// ```
    /// # use ndarray::ArrayView1;
    /// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
    /// # use zoptim::{Relizo, ZoRng};
    /// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
    /// let mut est = Relizo::reference_defaults().samples(3);
    /// est.prepare(10)?;
    /// assert_eq!(est.directions().dim(), (0, 10));
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// assert_eq!(est.directions().dim(), (3, 10));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn directions(&self) -> Array2<F> {
        let s = &self.state;
        if !s.has_samples {
            return Array2::zeros((0, s.dim));
        }
        let held = &s.held;
        Array2::from_shape_fn((s.ne, s.dim), |(i, j)| {
            let slot = held.order[i];
            F::of_f64(held.offset(&s.points, slot, j).as_f64() / held.lengths[slot])
        })
    }

    /// The lengths hᵢ of the last completed step's samples, in its order.
    ///
    /// ```
    /// # use ndarray::ArrayView1;
    /// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
    /// # use zoptim::{Relizo, ZoRng};
    /// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
    /// let mut est = Relizo::reference_defaults().samples(3).offset_scale(1e-4);
    /// est.prepare(10)?;
    /// assert!(est.lengths().is_empty());
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// assert_eq!(est.lengths(), [1e-4; 3]); // orthogonal sampling: h = σ
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn lengths(&self) -> Vec<f64> {
        let s = &self.state;
        if !s.has_samples {
            return Vec::new();
        }
        s.held.order.iter().map(|&slot| s.held.lengths[slot]).collect()
    }

    /// G = UUᵀ as maintained by the estimator (incrementally, by default), in the
    /// order of [`directions`](Relizo::directions). Allocated; for inspection.
    ///
    /// ```
    /// # use ndarray::ArrayView1;
    /// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
    /// # use zoptim::{Relizo, ZoRng};
    /// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
    /// let mut est = Relizo::reference_defaults().samples(4);
    /// est.prepare(10)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// let gram = est.gram();
    /// assert_eq!(gram.dim(), (4, 4));
    /// assert!((gram[[0, 0]] - 0.25).abs() < 1e-8); // rows of norm 1/√m
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn gram(&self) -> Array2<f64> {
        let s = &self.state;
        if !s.has_samples {
            return Array2::zeros((0, 0));
        }
        let (ne, held) = (s.ne, &s.held);
        Array2::from_shape_fn((ne, ne), |(i, j)| {
            let (si, sj) = (held.order[i], held.order[j]);
            held.gram[si * ne + sj] / (held.lengths[si] * held.lengths[sj])
        })
    }

    /// G = UUᵀ recomputed exactly (in f64) from the stored rows, for comparison
    /// with [`gram`](Relizo::gram). Allocated; O(n²·d).
    ///
    /// ```
    /// # use ndarray::ArrayView1;
    /// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
    /// # use zoptim::{Relizo, ZoRng};
    /// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
    /// let mut est = Relizo::with_reuse_bound(1.0).samples(4);
    /// est.prepare(10)?;
    /// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
    /// let u = est.directions();
    /// assert!((est.exact_gram()[[0, 1]] - u.row(0).dot(&u.row(1))).abs() < 1e-15);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn exact_gram(&self) -> Array2<f64> {
        let s = &self.state;
        if !s.has_samples {
            return Array2::zeros((0, 0));
        }
        let (ne, d, held) = (s.ne, s.dim, &s.held);
        let offsets: Vec<Vec<F>> = (0..ne)
            .map(|slot| (0..d).map(|j| held.offset(&s.points, slot, j)).collect())
            .collect();
        Array2::from_shape_fn((ne, ne), |(i, j)| {
            let (si, sj) = (held.order[i], held.order[j]);
            dot(&offsets[si], &offsets[sj]) / (held.lengths[si] * held.lengths[sj])
        })
    }

    pub(super) fn forget(&mut self) {
        self.state.has_samples = false;
        self.state.last = None;
        self.state.plan = None;
    }
}
