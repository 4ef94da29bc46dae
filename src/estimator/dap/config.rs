//! DAP's constructors, setters and inspectors.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use super::super::difference::{self, Difference, Smoothing};
use super::super::{Estimate, EstimateContext};
use super::directions::{Normalize, dap_direction, sphere_direction};
use super::{Dap, GradientProxy, ProxyKind, Source, StepState};
use crate::error::{Error, Query, Result};
use crate::linalg::norm;
use crate::real::Real;
use crate::run::Round;

impl<F: Real> Dap<F> {
    pub(super) fn with_source(source: Source<F>, q: usize) -> Self {
        Dap {
            source,
            smoothing: Smoothing::new(Difference::Forward, 1e-3, q),
            min_proxy_norm: 0.0,
            fallbacks: 0,
            has_prev: false,
            a: Vec::new(),
            a_next: Vec::new(),
            pilot_rows: Vec::new(),
            pilot_coefs: Vec::new(),
            step: StepState::default(),
        }
    }

    /// DAP aligned with a user-supplied proxy (one direction per step). The proxy
    /// must be `Send` so that the estimator (and an optimizer owning it) can move
    /// to another thread.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1, ArrayViewMut1};
    /// use zoptim::prelude::*;
    ///
    /// // The true gradient of x·x as the proxy: every step's estimate is exact along it.
    /// let proxy = |x: ArrayView1<f64>, mut a: ArrayViewMut1<f64>| a.zip_mut_with(&x, |ai, &xi| *ai = 2.0 * xi);
    /// let mut opt = Optimizer::builder(Dap::with_proxy(proxy).mu(1e-6)).learning_rate(0.05).max_iterations(400).build()?;
    /// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(4))?;
    /// assert!(report.best_f < 1e-6, "{}", report.best_f);
    /// assert_eq!(opt.estimator().proxy_kind(), zoptim::estimator::ProxyKind::Given);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn with_proxy(proxy: impl GradientProxy<F> + Send + 'static) -> Self {
        Self::with_source(Source::Given(Box::new(proxy)), 1)
    }

    /// The paper's two-stage scheme: a preliminary estimate from `b` uniform-sphere
    /// directions, then `b` DAP directions aligned with it (change the second
    /// count with [`directions`](crate::Smoothed::directions)). 2b + 1 queries per step
    /// (forward), in two rounds: the pilot's b points (with f(x) when it is
    /// unknown), then the b DAP points. `b` ≥ 1 is checked when the optimizer is
    /// built.
    ///
    /// ```
    /// use zoptim::estimator::GradientEstimator;
    /// use zoptim::{Dap, Smoothed};
    ///
    /// // b pilot directions and q DAP directions, forward differences sharing f(x).
    /// assert_eq!(Dap::<f64>::two_stage(4).directions(2).max_queries(10), 4 + 2 + 1);
    /// ```
    #[must_use]
    pub fn two_stage(b: usize) -> Self {
        Self::with_source(Source::TwoStage { pilot: b }, b)
    }

    /// DAP aligned with the previous step's estimate (this library's variant;
    /// see the type's documentation). One direction per step.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut f = |x: ArrayView1<f64>| x.dot(&x);
    /// let mut opt = Optimizer::builder(Dap::previous().directions(2).mu(1e-6)).learning_rate(0.1).max_evaluations(2_000).seed(1).build()?;
    /// let report = opt.minimize(&mut f, &Array1::ones(10))?;
    /// assert!(report.best_f < 1e-6, "{}", report.best_f);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn previous() -> Self {
        Self::with_source(Source::Previous, 1)
    }

    /// Fall back to the uniform sphere when ‖a‖ ≤ `t` (t ≥ 0; default 0).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1, ArrayViewMut1};
    /// use zoptim::prelude::*;
    ///
    /// // A proxy of norm 1e-3 under a threshold of 1e-2: every step falls back to the sphere.
    /// let tiny = |_: ArrayView1<f64>, mut a: ArrayViewMut1<f64>| { a.fill(0.0); a[0] = 1e-3; };
    /// let mut opt = Optimizer::builder(Dap::with_proxy(tiny).min_proxy_norm(1e-2)).max_iterations(4).build()?;
    /// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(3))?;
    /// assert_eq!(opt.estimator().fallbacks(), 4);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    #[must_use]
    pub fn min_proxy_norm(mut self, t: f64) -> Self {
        self.min_proxy_norm = t;
        self
    }

    /// Which proxy this estimator uses.
    ///
    /// ```
    /// use zoptim::estimator::{Dap, ProxyKind};
    ///
    /// assert_eq!(Dap::<f32>::previous().proxy_kind(), ProxyKind::Previous);
    /// ```
    pub fn proxy_kind(&self) -> ProxyKind {
        match self.source {
            Source::Given(_) => ProxyKind::Given,
            Source::TwoStage { pilot } => ProxyKind::TwoStage { pilot },
            Source::Previous => ProxyKind::Previous,
        }
    }

    /// Steps (since construction or the last reset) whose directions fell back
    /// to the uniform sphere because the proxy was unusable.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// // A zero proxy has no direction: DAP falls back to the sphere on that step.
    /// let zero = |_: ArrayView1<f64>, mut a: ndarray::ArrayViewMut1<f64>| a.fill(0.0);
    /// let mut opt = Optimizer::builder(Dap::with_proxy(zero)).max_iterations(3).build()?;
    /// opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(4))?;
    /// assert_eq!(opt.estimator().fallbacks(), 3);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn fallbacks(&self) -> usize {
        self.fallbacks
    }

    pub(super) fn pilot(&self) -> usize {
        match self.source {
            Source::TwoStage { pilot } => pilot,
            _ => 0,
        }
    }

    /// Pushes x ± μ·v for each of the `rows.len()/d` directions, labelled from `first_label`.
    pub(super) fn push_differences(
        round: &mut Round<F>,
        x: &[F],
        rows: &[F],
        mu: F,
        central: bool,
        first_label: usize,
    ) {
        for (j, v) in rows.chunks_exact(x.len()).enumerate() {
            difference::push_dense(round, x, v, first_label + j, mu, central);
        }
    }

    /// Stages 2 and 3: normalise the proxy (or fall back), draw the DAP
    /// directions into `out` and push their round.
    pub(super) fn push_dap_round(
        &mut self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
        mu: F,
        center: bool,
    ) -> Result<()> {
        let d = x.len();
        let pilot = self.pilot();
        let extra = usize::from(pilot > 0);
        let n = norm(&self.a);
        if extra == 1 && !n.is_finite() {
            // The pilot estimate is a row of the final estimate: finite values
            // whose differences overflow must not become an infinite step.
            return Err(Error::NonFiniteEstimate {
                estimator: "dap (two-stage pilot)",
                iteration: ctx.iteration(),
            });
        }
        let (rows, _) = out.try_stored_mut(d, 0..d, self.smoothing.directions().saturating_add(extra))?;
        let (g0, dirs) = rows.split_at_mut(extra * d);
        g0.copy_from_slice(&self.a[..extra * d]);
        let usable = match self.source {
            Source::Previous => self.has_prev,
            Source::Given(_) | Source::TwoStage { .. } => true,
        };
        // â = a/‖a‖ is formed on the fly (a itself is kept as it is).
        let unit = Normalize::of(n, usable, self.min_proxy_norm);
        self.step.fell_back = unit.is_none();
        for v in dirs.chunks_exact_mut(d) {
            match unit {
                Some(unit) => dap_direction(&self.a, unit, v, ctx.rng()),
                None => sphere_direction(v, ctx.rng()),
            }
        }
        if center {
            round.push_copy(Query::Center, x);
        }
        // Two-stage labels its DAP queries after the pilot's.
        Self::push_differences(round, x, dirs, mu, self.smoothing.central(), pilot);
        self.step.dap_round = true;
        Ok(())
    }
}
