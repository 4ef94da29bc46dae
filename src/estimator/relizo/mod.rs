//! ReLIZO: gradient estimation by linear interpolation, with reuse of earlier queries.
//!
//! A step is four phases, one file each after this one:
//! - [`reuse`]: which held samples are reused, and the layout of the step (a plan);
//! - [`gram`]: the Gram matrix entries that follow from the previous step's, with
//!   their rounding-error bounds, and the pseudo-inverse solve;
//! - [`sampling`]: the new points (Gaussian or orthogonal draws) and the Gram
//!   entries computed from the points;
//! - [`state`]: what is carried between steps (two layouts, swapped on
//!   commit) and the scratch of each phase;
//! - here: the configuration, the estimator trait and the final combination
//!   g = Σ cⱼ·uⱼ.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

mod config;
mod gram;
mod persist;
mod reuse;
mod sampling;
mod state;

use super::{Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::error::{Error, Query, Result, check_count, check_in_range, check_non_negative, check_positive};
use crate::random::normal::NormalStream;
use crate::random::rng::ZoRng;
use crate::real::Real;
use crate::run::{ComponentState, Flow, Round};
use sampling::{Draw, Passes};
use state::{Layout, Plan, State};

/// Coordinates processed per block in the fused passes: 256 values of each of
/// up to a dozen rows stay in L1.
const CHUNK: usize = 256;

/// The reference's absolute epsilon on every sample length, h = ‖δ‖ + 1e-8.
const H_EPS: f64 = 1e-8;

/// How ReLIZO draws the directions it does not reuse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
///
/// ```
/// # use ndarray::ArrayView1;
/// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
/// # use zoptim::{Relizo, ZoRng};
/// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
/// let mut est = Relizo::reference_defaults().samples(4).sampling(Sampling::Orthogonal);
/// est.prepare(10)?;
/// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
/// // Orthogonal rows: pairwise orthogonal, of norm 1/√m = 0.5; h = σ.
/// let u = est.directions();
/// // (to 1e-8: the offsets are those of the points queried, fl(x + δ) − x)
/// assert!((u.row(0).dot(&u.row(0)) - 0.25).abs() < 1e-8 && u.row(0).dot(&u.row(1)).abs() < 1e-8);
/// assert!(est.lengths().iter().all(|&h| h == 1e-5));
/// # Ok::<(), zoptim::Error>(())
/// ```
pub enum Sampling {
    /// Offsets z ~ N(0, σ²I) (norm ≈ σ√d, σ set by
    /// [`offset_scale`](Relizo::offset_scale)), stored as u = z/h with
    /// h = ‖z‖ + 1e-8.
    /// The reference's `orthogonal_sample=False`, used in its README.
    Gaussian,
    /// Gaussian draws orthonormalised against the reused rows and against each
    /// other (the reference takes the last m columns of a QR factor of
    /// [reused; new]ᵀ; this is the same subspace and distribution, computed
    /// block-wise: a projection through the reused rows' Gram matrix, then a
    /// Cholesky QR); the block of m new rows is scaled to unit Frobenius norm
    /// (rows of norm 1/√m) and h = σ ([`offset_scale`](Relizo::offset_scale)),
    /// so each offset has norm σ/√m. The
    /// reference's constructor default `orthogonal_sample=True`.
    #[default]
    Orthogonal,
}

/// How the Gram matrix G = UUᵀ is kept up to date between steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
///
/// ```
/// # use ndarray::ArrayView1;
/// # use zoptim::estimator::{Estimate, GradientEstimator, Sampling, GramUpdate, estimate_once};
/// # use zoptim::{Relizo, ZoRng};
/// # let mut f = |x: ArrayView1<f64>| x.dot(&x);
/// # let (mut x, mut g, mut rng) = ([1.0; 10], Estimate::new(), ZoRng::seed_from_u64(0));
/// let mut est = Relizo::with_reuse_bound(1.0).gram_update(GramUpdate::Incremental);
/// est.prepare(10)?;
/// for _ in 0..3 {
///     estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
/// }
/// let (kept, exact) = (est.gram(), est.exact_gram());
/// assert!(kept.iter().zip(&exact).all(|(a, b)| (a - b).abs() < 1e-12));
/// # Ok::<(), zoptim::Error>(())
/// ```
pub enum GramUpdate {
    /// Entries between reused rows are updated from the previous G with the k
    /// inner products uᵢᵀΔ and ‖Δ‖² (no extra pass over their d-vectors); rows
    /// whose propagated rounding-error bound grows too large (a reused point that
    /// nearly coincides with x) are recomputed exactly. The reference's
    /// `fast_alg=True`, without its drift.
    #[default]
    Incremental,
    /// Every entry recomputed from the rows at every step (`fast_alg=False`).
    Exact,
}

/// Statistics of the last ReLIZO estimate ([`Relizo::last_step`]).
///
/// The same query, reuse and rank counts are in every
/// [`StepRecord`](crate::StepRecord) (and so in a run's history), next to the
/// update rule's line-search trials.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
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
/// let first = est.last_step().unwrap();
/// assert_eq!((first.queries, first.reused, first.new_samples), (5, 0, 4));
/// estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut g)?;
/// let second = est.last_step().unwrap();
/// assert_eq!(second.reused, 2); // at most ⌊n·ρ⌋ = ⌊4·0.5⌋
/// assert_eq!(second.queries, 1 + second.new_samples);
/// # Ok::<(), zoptim::Error>(())
/// ```
pub struct RelizoStep {
    /// Queries the estimate made: 1 for f(x) unless it was known, plus one per new sample.
    pub queries: usize,
    /// Samples reused from the previous step (the previous iterate included).
    pub reused: usize,
    /// Whether the previous iterate was among the reused samples.
    pub reused_previous_iterate: bool,
    /// New samples drawn (and queried).
    pub new_samples: usize,
    /// Numerical rank of G (eigenvalues above n·ε·λ_max).
    pub rank: usize,
    /// Rows of G recomputed exactly although reused (near-duplicate points).
    pub recomputed_rows: usize,
}

/// ReLIZO (Wang, Qin, Yang & Yan, "Sample-efficient zeroth-order optimization via
/// linear interpolation with reuse of queries", NeurIPS 2024): the gradient from
/// linear interpolation over n sampled offsets, with n decoupled from d, and with
/// earlier queries that still lie near x reused instead of queried again.
///
/// # The estimate
/// At x the method holds n offsets δᵢ = hᵢ·uᵢ with known values Fᵢ = f(x + δᵢ)
/// and f₀ = f(x). With yᵢ = (Fᵢ − f₀)/hᵢ, U the n×d matrix of rows uᵢ and
/// G = UUᵀ,
///
/// g = Uᵀ G⁺ y,
///
/// the minimum-norm solution of the interpolation equations δᵢᵀg = Fᵢ − f₀ (the
/// analytical solution of the paper's QCLP). For a linear f it is the orthogonal
/// projection of ∇f onto span(U); with n = d independent rows it is ∇f.
/// G⁺ is a rank-revealing pseudo-inverse: G is symmetric positive semi-definite,
/// so its eigendecomposition is its SVD; it is computed in f64 by cyclic Jacobi
/// (accurate to high relative precision for such matrices, and allocation-free),
/// and eigenvalues at or below n·ε·λ_max are dropped (ε of f64; the reference's
/// `lstsq` on CPU uses the same relative cutoff). The numerical rank is reported.
/// (nalgebra 0.35's SVD is not used: on some of ReLIZO's well-conditioned 8×8
/// Gram matrices it recomposes with errors near 1e-5, from its absolute
/// convergence threshold — dimforge/nalgebra#1172, fix proposed in #1590.)
///
/// # Reuse
/// Each step offers as candidates the previous step's n samples and the previous
/// iterate itself (with its value f₀ of that step). With Δ = x_prev − x, a
/// candidate's offset from the new x is δᵢ + Δ (the previous iterate's is Δ);
/// this is the reference's hᵢuᵢ + L·ĝ when the step was along ĝ, and is right for
/// any update rule, since the estimator only compares iterates. Candidates at
/// distance < b ([`reuse_distance_bound`](Relizo::reuse_distance_bound), strict)
/// are reused, at most ⌊n·ρ⌋ of them ([`max_reuse_rate`](Relizo::max_reuse_rate));
/// when more qualify the nearest are kept (ascending distance), otherwise the
/// index order. Reused rows come first, then m = n − k new draws
/// ([`Sampling`]); only the new ones are queried. A reused sample can be carried
/// over many steps.
///
/// # Cost per step
/// Queries: 1 + (n − k), where k is the number reused (n + 1 on the first step;
/// the 1 is saved when f(x) is known, e.g. from an accepted line-search trial).
/// They form one round: x first (unless f(x) is known), then the m = n − k new
/// points, so a sequential run evaluates them in one call to
/// [`Objective::eval_batch`](crate::Objective::eval_batch). When every sample
/// is reused and f(x) is known, the step queries nothing.
///
/// Work: three fused passes over the samples — Δ with the k inner products that
/// update G and give the distances (O(n·d)); the Gaussian draws, the new points
/// and the new rows of G (O(m·n·d)); g = Σ cⱼuⱼ (O(n·d)) — plus O(n³) for the
/// n×n solve; orthogonal sampling adds O(n·m·d) for the orthonormalisation.
/// Measured on the sphere at n = 8 with [`Relizo::with_reuse_bound`]`(0.2)` (`benches/relizo.rs`), a
/// step costs about 9 µs at d = 100 and 3 ms at d = 10⁵, against 0.40 and 17 ms
/// for the reference on one CPU thread; at large d about 40% of it is drawing
/// the 4·d normals.
///
/// Memory: room for 2n points (2n·d values: the n samples held, and the new
/// points of the step in progress), the previous iterate and the next one (2d),
/// plus (n + 1)·256 values of scratch and O(n²); the round being evaluated holds
/// the new points as well (orthogonal sampling orthonormalises them there).
/// Samples are stored as the points actually queried, and their offsets p − x
/// are formed block by block when needed, so reused samples are never rewritten.
/// A step writes its new points into free rows and changes nothing it holds until
/// [`commit`](GradientEstimator::commit): a step that fails or is abandoned
/// leaves the samples, G and the statistics exactly as they were, so a retry
/// gives the same bits.
///
/// # Steps
/// The estimator only estimates; the step is the update rule's:
/// - the reference's default, step lr·‖g‖ along ĝ = g/‖g‖, is exactly plain
///   [`Sgd`](crate::Sgd) (x ← x − lr·g), and the reference's weight decay
///   (g + λ·x) is `Sgd`'s `weight_decay`;
/// - `strict_lr` (a step of exactly lr along ĝ) is
///   [`Normalized`](crate::update::Normalized);
/// - line searches are [`LineSearch`](crate::update::LineSearch) (a correct
///   Armijo backtracking, and the reference's variant for compatibility).
///
/// # Deviations from the reference (`LIZO` in Thinklab-SJTU/ReLIZO, `relizo.py`)
/// - G is kept from the offsets' own Gram matrix without the reference's `+1e-16`
///   in the indexed update, and rows whose rounding-error bound grows (a reused
///   point nearly coinciding with x) are recomputed exactly; the reference's
///   indexed update drifts by up to 0.05 there.
/// - A candidate at distance exactly 0 (the previous iterate after a step that did
///   not move x) is not reused: its row would be zero and only waste a slot.
/// - A non-finite estimate returns [`Error::NonFiniteEstimate`] (x untouched)
///   and the samples held are those before the step, instead of the
///   reference's silent reset.
/// - Nothing is printed; counts are in [`RelizoStep`] and the step records.
/// - `reuse_distance_bound=None` (meaning b = lr) is not offered: the estimator
///   does not see the learning rate, so b is given as a distance
///   ([`Relizo::with_reuse_bound`], [`Relizo::reuse_distance_bound`]).
/// - A sample's offset is that of the point actually queried, fl(x + z) − x,
///   rather than the intended z: the interpolation equations then hold for the
///   evaluated points to the last bit, which matters once reused rows are nearly
///   parallel (G ill-conditioned).
/// - Random numbers come from the optimizer's generator: each step reads the
///   crate's counter-based normal stream (ChaCha8 words through a portable
///   Box–Muller transform) keyed by one word of it, so runs are reproducible but
///   do not match torch's streams.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
/// use zoptim::estimator::Relizo;
///
/// let mut f = |x: ArrayView1<f64>| x.iter().enumerate().map(|(i, v)| 0.5 * (i + 1) as f64 / 50.0 * v * v).sum::<f64>();
/// let mut opt = Optimizer::builder(Relizo::with_reuse_bound(1.0))
///     .learning_rate(0.5)
///     .max_iterations(300)
///     .seed(1)
///     .build()?;
/// let report = opt.minimize(&mut f, &Array1::from_elem(50, 1.0))?;
/// assert!(report.best_f < 0.1 * 12.75, "{}", report.best_f);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone)]
pub struct Relizo<F> {
    n: usize,
    b: f64,
    rho: f64,
    sigma: f64,
    sampling: Sampling,
    momentum: f64,
    gram_update: GramUpdate,
    state: State<F>,
}

impl<F: Real> Default for Relizo<F> {
    fn default() -> Self {
        Self::reference_defaults()
    }
}

impl<F: Real> GradientEstimator<F> for Relizo<F> {
    fn name(&self) -> &'static str {
        "relizo"
    }

    fn validate(&self) -> Result<()> {
        check_count("samples", self.n)?;
        check_non_negative("reuse_distance_bound", self.b)?;
        check_in_range("max_reuse_rate", self.rho, 0.0, 1.0, "in [0, 1]")?;
        check_positive("offset_scale", self.sigma)?;
        check_non_negative("sample_momentum", self.momentum)
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        self.state.resize(self.n.min(dim), dim);
        Ok(())
    }

    fn max_queries(&self, dim: usize) -> usize {
        1 + self.n.min(dim)
    }

    /// One round per step: f(x) unless [`fx`](EstimateContext::fx) is known
    /// (first), then the new samples, labelled [`Query::Sample`]`(k + j)` for
    /// the j-th new sample after k reused ones. With every sample reused and f(x)
    /// known the estimate is written at once, without a round.
    fn estimate(
        &mut self,
        x: &[F],
        ctx: &mut EstimateContext<'_, F>,
        round: &mut Round<F>,
        out: &mut Estimate<F>,
    ) -> Result<Flow<EstimateInfo<F>>> {
        self.check_dimension(x.len())?;
        let iteration = ctx.iteration();
        let Some(answered) = ctx.answered() else {
            let sigma = ctx.smoothing().map_or(self.sigma, |s| s.as_f64());
            let plan = self.plan(x, sigma, ctx.fx(), ctx.resampled());
            self.sample(x, &plan, ctx.rng(), round);
            self.state.plan = Some(plan);
            return match plan.fx {
                Some(f0) if round.is_empty() => self.solve(x, f0, &[], iteration, out).map(Flow::Done),
                _ => Ok(Flow::Query),
            };
        };
        let plan = self.pending_plan()?;
        let values = answered.values();
        if values.len() != plan.queries() {
            return Err(Error::DimensionMismatch {
                what: "values of the ReLIZO round",
                expected: plan.queries(),
                found: values.len(),
            });
        }
        let (f0, samples) = match plan.fx {
            Some(f0) => (f0, values),
            None => (values[0], &values[1..]),
        };
        self.solve(x, f0, samples, iteration, out).map(Flow::Done)
    }

    /// Makes the step's samples, Gram matrix, layout and iterate those of the
    /// next step.
    fn commit(&mut self) {
        let s = &mut self.state;
        let Some((f0, step)) = s.plan.take().and_then(|p| p.done) else {
            return;
        };
        std::mem::swap(&mut s.held, &mut s.next);
        s.held.anchor_value = f0;
        s.has_samples = true;
        s.last = Some(step);
    }

    /// Drops what the step prepared: the samples are those before the step.
    fn rollback(&mut self) {
        self.state.plan = None;
    }

    fn reset(&mut self) {
        self.forget();
    }

    /// Parameters, the committed samples and the last step's statistics.
    fn save_state(&self, state: &mut ComponentState) -> Result<()> {
        persist::save(self, state);
        Ok(())
    }

    fn load_state(&mut self, state: &ComponentState) -> Result<()> {
        persist::load(&mut self.state, state)
    }
}

impl<F: Real> Relizo<F> {
    fn check_dimension(&self, d: usize) -> Result<()> {
        if d != self.state.dim || self.state.ne == 0 {
            return Err(Error::DimensionMismatch {
                what: "parameter vector (the estimator was prepared for another dimension)",
                expected: self.state.dim,
                found: d,
            });
        }
        Ok(())
    }

    /// The plan of the step in progress, if it still waits for its values.
    fn pending_plan(&self) -> Result<Plan<F>> {
        match self.state.plan {
            Some(p) if p.done.is_none() => Ok(p),
            // An answered round that this step did not ask for.
            _ => Err(Error::DimensionMismatch {
                what: "answered rounds a ReLIZO step did not ask for",
                expected: 0,
                found: 1,
            }),
        }
    }

    /// The first phase of a step, from the samples held: the choice of reused
    /// candidates, the layout of the new step, and the Gram entries that follow
    /// from the previous ones.
    fn plan(&mut self, x: &[F], sigma: f64, fx: Option<F>, resampled: bool) -> Plan<F> {
        let s = &mut self.state;
        // Values from another minibatch must not be mixed with this one's.
        let reuse = (s.has_samples && self.b > 0.0 && !resampled).then_some((self.b, self.rho));
        let delta_block = s.staging.delta_block();
        let chosen = s.selection.plan(&s.points, &s.held, &mut s.next, x, reuse, delta_block);
        let exact = self.gram_update == GramUpdate::Exact;
        let recomputed = s.entries.propagate(&s.held, &mut s.next, &s.selection, &chosen, exact);
        let mean_on = s.has_samples && self.momentum > 0.0;
        Plan {
            draw: Draw {
                k: chosen.k,
                m: s.ne - chosen.k,
                sigma,
                mean: if mean_on { self.momentum } else { 0.0 },
                gaussian: self.sampling == Sampling::Gaussian,
            },
            fx,
            reused_previous_iterate: chosen.previous_iterate,
            recomputed,
            done: None,
        }
    }

    /// The second phase: the round (f(x) when it is unknown, then the new
    /// points), the new points in spare rows, the fresh Gram entries, and the
    /// next anchor x.
    fn sample(&mut self, x: &[F], plan: &Plan<F>, rng: &mut ZoRng, round: &mut Round<F>) {
        let draw = plan.draw;
        if plan.fx.is_none() {
            round.push_copy(Query::Center, x);
        }
        let mut normal = NormalStream::new(rng);
        // The round's rows of the new points (m × d). Gaussian points are written
        // there and into their spare rows in the same pass; orthogonal directions
        // are orthonormalised there and then copied.
        for j in 0..draw.m {
            round.push(Query::Sample(draw.k + j));
        }
        let block = round.last_rows_mut(draw.m);
        let s = &mut self.state;
        let mut passes = Passes {
            points: &mut s.points,
            held: &s.held,
            next: &mut s.next,
            roles: &s.selection.roles,
            entries: &mut s.entries,
            staging: &mut s.staging,
            x,
        };
        passes.run(block, &mut normal, &draw, &mut s.ortho);
    }

    /// The last phase, once the values are known: lengths, values and error
    /// bounds of the new layout, the pseudo-inverse solve, and g.
    fn solve(
        &mut self,
        x: &[F],
        f0: F,
        samples: &[F],
        iteration: usize,
        out: &mut Estimate<F>,
    ) -> Result<EstimateInfo<F>> {
        let s = &mut self.state;
        let Some(plan) = s.plan.as_mut() else {
            return Err(Error::NoPendingBatch);
        };
        let orthogonal_length = (!plan.draw.gaussian).then_some(plan.draw.sigma);
        let roles = &s.selection.roles;
        gram::settle(
            &s.held,
            &mut s.next,
            &s.entries.fresh,
            roles,
            samples,
            orthogonal_length,
        );
        let rank = s.solver.solve(&s.next, f0);
        if !s.solver.weights.iter().all(|c| c.is_finite()) {
            return Err(Error::NonFiniteEstimate {
                estimator: "relizo",
                iteration,
            });
        }
        gram::combine(&s.points, &s.next, &s.solver.weights, x, out.dense_mut(s.dim, 0..s.dim));
        let (queries, k) = (plan.queries(), plan.draw.k);
        let step = RelizoStep {
            queries,
            reused: k,
            reused_previous_iterate: plan.reused_previous_iterate,
            new_samples: plan.draw.m,
            rank,
            recomputed_rows: plan.recomputed,
        };
        plan.done = Some((f0, step));
        Ok(EstimateInfo::new(queries, Some(f0)).with_reused(k).with_rank(rank))
    }
}
