//! ReLIZO: gradient estimation by linear interpolation, with reuse of earlier queries.

use super::{Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::error::{Error, Query, Result, check_count, check_in_range, check_non_negative, check_positive};
use crate::linalg::{cholesky_qr2, dot, dot_diff, jacobi_eigen, max_eigenvalue, pinv_apply, pinv_solve};
use crate::normal::NormalStream;
use crate::real::Real;
use crate::rng::ZoRng;
use crate::run::{Flow, Round};
use ndarray::Array2;

/// Coordinates processed per block in the fused passes: 256 values of each of
/// up to a dozen rows stay in L1.
const CHUNK: usize = 256;

/// The reference's absolute epsilon on every sample length, h = ‖δ‖ + 1e-8.
const H_EPS: f64 = 1e-8;

/// How ReLIZO draws the directions it does not reuse.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Sampling {
    /// Offsets z ~ N(0, σ²I) (norm ≈ σ√d), stored as u = z/h with h = ‖z‖ + 1e-8.
    /// The reference's `orthogonal_sample=False`, used in its README.
    Gaussian,
    /// Gaussian draws orthonormalised against the reused rows and against each
    /// other (the reference takes the last m columns of a QR factor of
    /// [reused; new]ᵀ; this is the same subspace and distribution, computed
    /// block-wise: a projection through the reused rows' Gram matrix, then a
    /// Cholesky QR); the block of m new rows is scaled to unit Frobenius norm
    /// (rows of norm 1/√m) and h = σ, so each offset has norm σ/√m. The
    /// reference's constructor default `orthogonal_sample=True`.
    #[default]
    Orthogonal,
}

/// How the Gram matrix G = UUᵀ is kept up to date between steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
/// Measured on the sphere at n = 8 with README settings (`benches/relizo.rs`), a
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
///   does not see the learning rate; [`Relizo::readme`] takes lr.
/// - A sample's offset is that of the point actually queried, fl(x + z) − x,
///   rather than the intended z: the interpolation equations then hold for the
///   evaluated points to the last bit, which matters once reused rows are nearly
///   parallel (G ill-conditioned).
/// - Random numbers come from the optimizer's generator (a fast ziggurat on
///   sub-generators seeded from it), so runs are reproducible but do not match
///   torch's streams.
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
/// use zoptim::estimator::Relizo;
///
/// let mut f = |x: ArrayView1<f64>| x.iter().enumerate().map(|(i, v)| 0.5 * (i + 1) as f64 / 50.0 * v * v).sum::<f64>();
/// let mut opt = Optimizer::builder(Relizo::readme(0.5))
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

/// The configuration, and whether samples are held (not the n·d buffers).
impl<F> std::fmt::Debug for Relizo<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relizo")
            .field("samples", &self.n)
            .field("reuse_distance_bound", &self.b)
            .field("max_reuse_rate", &self.rho)
            .field("sample_norm", &self.sigma)
            .field("sampling", &self.sampling)
            .field("sample_momentum", &self.momentum)
            .field("gram_update", &self.gram_update)
            .field("dim", &self.state.dim)
            .field("holds_samples", &self.state.has_samples)
            .finish()
    }
}

/// Everything a [`Relizo`] carries between steps, what the step in progress has
/// prepared, and scratch buffers.
///
/// A step only reads the state carried between steps: it writes its results
/// into the `*_next` buffers and its new points into spare rows of `pts`, and
/// [`commit`](GradientEstimator::commit) swaps them in. A rolled-back step
/// therefore has nothing to undo.
#[derive(Clone, Default)]
struct State<F> {
    dim: usize,
    /// Effective n = min(n, d).
    ne: usize,
    /// 2·ne rows of d values: the points of the samples (the points actually
    /// queried), in the rows `row` names, and spare rows for a step's new points.
    pts: Vec<F>,
    /// Slot → the row of `pts` holding its point.
    row: Vec<usize>,
    /// The rows of `pts` that hold no sample.
    spare: Vec<usize>,
    /// The iterate of the last estimate (its samples' offsets are pᵢ − anchor).
    anchor: Vec<F>,
    has_samples: bool,
    /// Logical row → slot.
    order: Vec<usize>,
    /// Per slot: length h, value F, error bound of the Gram row.
    h: Vec<f64>,
    fval: Vec<F>,
    err: Vec<f64>,
    f_anchor: F,
    /// ne × ne Gram matrix of the offsets δᵢᵀδⱼ, by slot.
    gram: Vec<f64>,
    last: Option<RelizoStep>,

    // The step in progress: made permanent by commit, dropped by rollback.
    plan: Option<Plan<F>>,
    row_next: Vec<usize>,
    spare_next: Vec<usize>,
    anchor_next: Vec<F>,
    new_order: Vec<usize>,
    h_next: Vec<f64>,
    fval_next: Vec<F>,
    err_next: Vec<f64>,
    gram_next: Vec<f64>,

    // Scratch.
    /// Per block: the offsets of every slot, then Δ ((ne + 1) × CHUNK).
    stage: Vec<F>,
    a: Vec<f64>,
    /// Reuse candidates: (slot, or ne for the previous iterate; squared distance; index).
    cand: Vec<(usize, f64, usize)>,
    slot_role: Vec<Role>,
    fresh: Vec<bool>,
    pairs: Vec<(usize, usize)>,
    acc: Vec<f64>,
    gmat: Vec<f64>,
    evec: Vec<f64>,
    y: Vec<f64>,
    coef: Vec<f64>,
    proj: Vec<f64>,
    // Orthogonal-mode scratch (n × n each, and n).
    ogram: Vec<f64>,
    oevec: Vec<f64>,
    ob: Vec<f64>,
    oc: Vec<f64>,
    oy: Vec<f64>,
    oscale: Vec<f64>,
    normals: Vec<f64>,
}

/// What the step in progress has decided, kept from its first call to commit.
#[derive(Clone, Copy, Debug)]
struct Plan<F> {
    /// Samples reused (the previous iterate included).
    k: usize,
    /// New samples drawn.
    m: usize,
    /// f(x) when it was known at the start of the step; otherwise it is the
    /// first query of the round.
    fx: Option<F>,
    /// σ for this step.
    sigma: f64,
    reused_previous_iterate: bool,
    recomputed: usize,
    /// Set once the estimate is written: f(x) and the step's statistics.
    done: Option<(F, RelizoStep)>,
}

impl<F> Plan<F> {
    /// Queries of the step's round: f(x) unless known, and the new samples.
    fn queries(&self) -> usize {
        usize::from(self.fx.is_none()) + self.m
    }
}

/// What a slot holds during a step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Role {
    /// Not used this step.
    #[default]
    Free,
    /// A reused sample (its point is kept; its offset from x is δ + Δ).
    Reused,
    /// The previous iterate (offset Δ from x), copied into a free slot.
    Anchor,
    /// New draw j, queried as [`Query::Sample`]`(k + j)` after k reused samples.
    New(usize),
}

impl<F: Real> Default for Relizo<F> {
    fn default() -> Self {
        Self::reference_defaults()
    }
}

impl<F: Real> Relizo<F> {
    /// The reference constructor's defaults (`LIZO(...)` in `relizo.py`): n = 8,
    /// b = 0 (reuse off), ρ = 1, σ = 1e-5, orthogonal sampling, no sampling
    /// momentum, incremental Gram update.
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

    /// The settings the reference's README recommends for a learning rate `lr`:
    /// b = 2·lr, ρ = 0.5, Gaussian sampling (n = 8, σ = 1e-5). Pair it with the
    /// same `lr` in the optimizer and plain [`Sgd`](crate::Sgd).
    pub fn readme(lr: f64) -> Self {
        Self::reference_defaults()
            .reuse_distance_bound(2.0 * lr)
            .max_reuse_rate(0.5)
            .sampling(Sampling::Gaussian)
    }

    /// Sets the sample count n ≥ 1 (reference `num_sample_per_step`). It is
    /// clipped to d when the dimension is seen, as in the reference.
    pub fn samples(mut self, n: usize) -> Self {
        self.n = n;
        self
    }

    /// Sets the reuse bound b ≥ 0: a candidate is reused when its distance to x
    /// is < b. b = 0 turns reuse off.
    pub fn reuse_distance_bound(mut self, b: f64) -> Self {
        self.b = b;
        self
    }

    /// Sets ρ ∈ [0, 1]: at most ⌊n·ρ⌋ samples are reused per step.
    pub fn max_reuse_rate(mut self, rho: f64) -> Self {
        self.rho = rho;
        self
    }

    /// Sets σ > 0 (reference `sample_norm`): the Gaussian standard deviation, or the
    /// finite-difference length h of orthogonal samples. An optimizer smoothing
    /// schedule overrides it step by step.
    pub fn sample_norm(mut self, sigma: f64) -> Self {
        self.sigma = sigma;
        self
    }

    /// Sets how new directions are drawn.
    pub fn sampling(mut self, sampling: Sampling) -> Self {
        self.sampling = sampling;
        self
    }

    /// Sets the sampling momentum m ≥ 0 (reference `sample_momentum`): new draws
    /// have mean m·Δ, Δ = x_prev − x (the reference's m·L·ĝ). Default 0.
    pub fn sample_momentum(mut self, m: f64) -> Self {
        self.momentum = m;
        self
    }

    /// Sets how G is kept up to date.
    pub fn gram_update(mut self, mode: GramUpdate) -> Self {
        self.gram_update = mode;
        self
    }

    /// Statistics of the last completed step (a step that failed or was
    /// abandoned leaves them as they were).
    pub fn last_step(&self) -> Option<RelizoStep> {
        self.state.last
    }

    /// The effective n (n clipped to d), once the dimension is known.
    pub fn effective_samples(&self) -> Option<usize> {
        (self.state.dim > 0).then_some(self.state.ne)
    }

    /// The rows uᵢ = δᵢ/hᵢ of the last completed step, in its order (n × d,
    /// allocated; for inspection and tests). Empty before the first step.
    pub fn directions(&self) -> Array2<F> {
        let s = &self.state;
        if !s.has_samples {
            return Array2::zeros((0, s.dim));
        }
        let d = s.dim;
        Array2::from_shape_fn((s.ne, d), |(i, j)| {
            let slot = s.order[i];
            F::of_f64((s.pts[s.row[slot] * d + j] - s.anchor[j]).as_f64() / s.h[slot])
        })
    }

    /// The lengths hᵢ of the last completed step's samples, in its order.
    pub fn lengths(&self) -> Vec<f64> {
        let s = &self.state;
        if !s.has_samples {
            return Vec::new();
        }
        s.order.iter().map(|&slot| s.h[slot]).collect()
    }

    /// G = UUᵀ as maintained by the estimator (incrementally, by default), in the
    /// order of [`directions`](Relizo::directions). Allocated; for inspection.
    pub fn gram(&self) -> Array2<f64> {
        let s = &self.state;
        if !s.has_samples {
            return Array2::zeros((0, 0));
        }
        let ne = s.ne;
        Array2::from_shape_fn((ne, ne), |(i, j)| {
            let (si, sj) = (s.order[i], s.order[j]);
            s.gram[si * ne + sj] / (s.h[si] * s.h[sj])
        })
    }

    /// G = UUᵀ recomputed exactly (in f64) from the stored rows, for comparison
    /// with [`gram`](Relizo::gram). Allocated; O(n²·d).
    pub fn exact_gram(&self) -> Array2<f64> {
        let s = &self.state;
        if !s.has_samples {
            return Array2::zeros((0, 0));
        }
        let (ne, d) = (s.ne, s.dim);
        let offsets: Vec<Vec<F>> = (0..ne)
            .map(|slot| (0..d).map(|j| s.pts[s.row[slot] * d + j] - s.anchor[j]).collect())
            .collect();
        Array2::from_shape_fn((ne, ne), |(i, j)| {
            let (si, sj) = (s.order[i], s.order[j]);
            dot(&offsets[si], &offsets[sj]) / (s.h[si] * s.h[sj])
        })
    }

    fn forget(&mut self) {
        self.state.has_samples = false;
        self.state.last = None;
        self.state.plan = None;
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
        check_positive("sample_norm", self.sigma)?;
        check_non_negative("sample_momentum", self.momentum)
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        let ne = self.n.min(dim);
        let s = &mut self.state;
        s.dim = dim;
        s.ne = ne;
        // A fresh zeroed allocation rather than a resize: the operating system maps
        // zeroed pages lazily, so a row costs nothing until a step first writes it
        // (and the spare half is written only as steps draw new points).
        s.pts = vec![F::zero(); 2 * ne * dim];
        s.row.clear();
        s.row.extend(0..ne);
        s.spare.clear();
        s.spare.extend(ne..2 * ne);
        s.row_next.clear();
        s.row_next.resize(ne, 0);
        s.spare_next.clear();
        s.spare_next.resize(ne, 0);
        for v in [&mut s.anchor, &mut s.anchor_next] {
            v.clear();
            v.resize(dim, F::zero());
        }
        s.stage.clear();
        s.stage.resize((ne + 1) * CHUNK, F::zero());
        s.has_samples = false;
        s.plan = None;
        s.order.clear();
        s.order.extend(0..ne);
        s.new_order = Vec::with_capacity(ne);
        for v in [&mut s.h, &mut s.h_next] {
            v.clear();
            v.resize(ne, 1.0);
        }
        for v in [&mut s.fval, &mut s.fval_next] {
            v.clear();
            v.resize(ne, F::zero());
        }
        for v in [
            &mut s.err,
            &mut s.err_next,
            &mut s.a,
            &mut s.y,
            &mut s.coef,
            &mut s.proj,
            &mut s.oy,
            &mut s.oscale,
        ] {
            v.clear();
            v.resize(ne, 0.0);
        }
        for v in [
            &mut s.gram,
            &mut s.gram_next,
            &mut s.gmat,
            &mut s.evec,
            &mut s.ogram,
            &mut s.oevec,
            &mut s.ob,
            &mut s.oc,
        ] {
            v.clear();
            v.resize(ne * ne, 0.0);
        }
        s.cand = Vec::with_capacity(ne + 1);
        s.slot_role.clear();
        s.slot_role.resize(ne, Role::Free);
        s.fresh.clear();
        s.fresh.resize(ne, false);
        s.pairs = Vec::with_capacity(ne * (ne + 1) / 2);
        s.acc = Vec::with_capacity(ne * (ne + 1) / 2);
        s.normals.clear();
        s.normals.resize(CHUNK, 0.0);
        s.last = None;
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
        let d = x.len();
        if d != self.state.dim || self.state.ne == 0 {
            return Err(Error::DimensionMismatch {
                what: "parameter vector (the estimator was prepared for another dimension)",
                expected: self.state.dim,
                found: d,
            });
        }
        let iteration = ctx.iteration();
        let Some(answered) = ctx.answered() else {
            let sigma = ctx.smoothing().map_or(self.sigma, |s| s.as_f64());
            let plan = self.plan(x, sigma, ctx.fx(), ctx.resampled());
            self.state.plan = Some(plan);
            self.sample(x, &plan, ctx.rng(), round);
            return match plan.fx {
                Some(f0) if round.is_empty() => self.solve(x, f0, &[], iteration, out).map(Flow::Done),
                _ => Ok(Flow::Query),
            };
        };
        let plan = match self.state.plan {
            Some(p) if p.done.is_none() => p,
            _ => {
                // An answered round that this step did not ask for.
                return Err(Error::DimensionMismatch {
                    what: "answered rounds a ReLIZO step did not ask for",
                    expected: 0,
                    found: 1,
                });
            }
        };
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
        std::mem::swap(&mut s.row, &mut s.row_next);
        std::mem::swap(&mut s.spare, &mut s.spare_next);
        std::mem::swap(&mut s.anchor, &mut s.anchor_next);
        std::mem::swap(&mut s.order, &mut s.new_order);
        std::mem::swap(&mut s.h, &mut s.h_next);
        std::mem::swap(&mut s.fval, &mut s.fval_next);
        std::mem::swap(&mut s.err, &mut s.err_next);
        std::mem::swap(&mut s.gram, &mut s.gram_next);
        s.f_anchor = f0;
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
}

impl<F: Real> Relizo<F> {
    /// The first phase of a step, from the samples held: pass 1, the choice of
    /// reused candidates, the layout of the new step (slots, rows, order), and
    /// the Gram entries that follow from the previous ones.
    fn plan(&mut self, x: &[F], sigma: f64, fx: Option<F>, resampled: bool) -> Plan<F> {
        let b = self.b;
        let rho = self.rho;
        let exact = self.gram_update == GramUpdate::Exact;
        let s = &mut self.state;
        let (ne, dd) = (s.ne, s.dim);
        // Values from another minibatch must not be mixed with this one's.
        let reuse = s.has_samples && b > 0.0 && !resampled;

        // Pass 1: with Δ = x_prev − x, ‖Δ‖² and aᵢ = δᵢᵀΔ, where δᵢ = pᵢ − x_prev
        // is sample i's offset from the iterate it was used at.
        let mut delta2 = 0.0f64;
        if reuse {
            s.a.iter_mut().for_each(|v| *v = 0.0);
            let dl = &mut s.stage[ne * CHUNK..];
            let mut start = 0;
            while start < dd {
                let end = (start + CHUNK).min(dd);
                let len = end - start;
                let dc = &mut dl[..len];
                let anc = &s.anchor[start..end];
                for ((d, &av), &xv) in dc.iter_mut().zip(anc).zip(&x[start..end]) {
                    *d = av - xv;
                }
                delta2 += dot(dc, dc);
                for slot in 0..ne {
                    let r = s.row[slot] * dd;
                    s.a[slot] += dot_diff(&s.pts[r + start..r + end], anc, dc);
                }
                start = end;
            }
        }

        // Selection of the reused candidates (index ne = the previous iterate).
        s.cand.clear();
        if reuse {
            for &slot in &s.order {
                let d2 = (s.gram[slot * ne + slot] + 2.0 * s.a[slot] + delta2).max(0.0);
                let dist = d2.sqrt();
                if dist < b && dist > 0.0 {
                    s.cand.push((slot, d2, s.cand.len()));
                }
            }
            let dist = delta2.sqrt();
            if dist < b && dist > 0.0 {
                s.cand.push((ne, delta2, s.cand.len()));
            }
            let cap = (ne as f64 * rho).floor() as usize;
            if s.cand.len() > cap {
                // Ascending distance, ties in index order (no allocation, unlike a stable sort).
                s.cand.sort_unstable_by(|p, q| p.1.total_cmp(&q.1).then(p.2.cmp(&q.2)));
                s.cand.truncate(cap);
            }
        }
        let k = s.cand.len();
        let m = ne - k;

        // Slots: reused samples keep theirs; the previous iterate and new draws take free ones.
        s.slot_role.iter_mut().for_each(|r| *r = Role::Free);
        for &(c, _, _) in &s.cand {
            if c < ne {
                s.slot_role[c] = Role::Reused;
            }
        }
        s.new_order.clear();
        let mut anchor_slot = None;
        {
            let roles = &s.slot_role;
            let mut free = (0..ne).filter(|&sl| roles[sl] == Role::Free);
            for &(c, _, _) in &s.cand {
                if c < ne {
                    s.new_order.push(c);
                } else if let Some(sl) = free.next() {
                    // A free slot exists: with the previous iterate among the k ≤ n
                    // reused candidates, at most n − 1 samples are reused.
                    anchor_slot = Some(sl);
                    s.new_order.push(sl);
                }
            }
            s.new_order.extend(free);
        }
        if let Some(sl) = anchor_slot {
            s.slot_role[sl] = Role::Anchor;
        }
        for (j, &sl) in s.new_order[k..].iter().enumerate() {
            s.slot_role[sl] = Role::New(j);
        }

        // Rows: a slot that gets a new point (a new draw, or the previous
        // iterate) takes a spare row, and its old row becomes spare once the
        // step is committed.
        s.row_next.copy_from_slice(&s.row);
        s.spare_next.copy_from_slice(&s.spare);
        let mut t = 0;
        for sl in 0..ne {
            if matches!(s.slot_role[sl], Role::Anchor | Role::New(_)) {
                s.row_next[sl] = s.spare[t];
                s.spare_next[t] = s.row[sl];
                t += 1;
            }
        }

        // Incremental Gram for the reused block, with rounding-error bounds.
        let u_f = F::UNIT_ROUNDOFF.max(f64::EPSILON / 2.0);
        let u64_ = f64::EPSILON / 2.0;
        let r_max = 100.0 * u_f.sqrt();
        s.gram_next.iter_mut().for_each(|v| *v = 0.0);
        s.fresh.iter_mut().for_each(|f| *f = false);
        let mut recomputed = 0usize;
        for i in 0..k {
            let si = s.new_order[i];
            let reused_i = s.slot_role[si] == Role::Reused;
            let (ei, ai) = if reused_i {
                (s.gram[si * ne + si], s.a[si])
            } else {
                (0.0, 0.0)
            };
            let new_ii = ei + 2.0 * ai + delta2;
            let sc = ei.max(0.0).sqrt() + delta2.sqrt();
            let e_old = if reused_i { s.err[si] } else { 0.0 };
            let e_new = (e_old * e_old + 4.0 * u64_ * sc * sc + 4.0 * u_f * new_ii.max(0.0)).sqrt();
            s.err_next[si] = e_new;
            if exact || new_ii.is_nan() || new_ii <= 0.0 || e_new > r_max * new_ii.sqrt() {
                s.fresh[si] = true;
                recomputed += 1;
            }
            for j in 0..=i {
                let sj = s.new_order[j];
                let reused_j = s.slot_role[sj] == Role::Reused;
                let eij = if reused_i && reused_j {
                    s.gram[si * ne + sj]
                } else {
                    0.0
                };
                let aj = if reused_j { s.a[sj] } else { 0.0 };
                let v = eij + ai + aj + delta2;
                s.gram_next[si * ne + sj] = v;
                s.gram_next[sj * ne + si] = v;
            }
        }
        for i in k..ne {
            s.fresh[s.new_order[i]] = true;
        }

        // Pairs to compute from the points: every pair with a fresh (new or recomputed) row.
        s.pairs.clear();
        for i in 0..ne {
            for j in 0..=i {
                let (si, sj) = (s.new_order[i], s.new_order[j]);
                if s.fresh[si] || s.fresh[sj] {
                    s.pairs.push((si, sj));
                }
            }
        }
        s.acc.clear();
        s.acc.resize(s.pairs.len(), 0.0);

        Plan {
            k,
            m,
            fx,
            sigma,
            reused_previous_iterate: anchor_slot.is_some(),
            recomputed,
            done: None,
        }
    }

    /// The second phase: the new points (written into spare rows and into the
    /// round, after f(x) when it is unknown), the fresh Gram entries, and the
    /// next anchor x.
    fn sample(&mut self, x: &[F], plan: &Plan<F>, rng: &mut ZoRng, round: &mut Round<F>) {
        let Plan { k, m, sigma, .. } = *plan;
        let momentum = self.momentum;
        let gaussian = self.sampling == Sampling::Gaussian;
        let s = &mut self.state;
        let (ne, dd) = (s.ne, s.dim);
        let mean_on = s.has_samples && momentum > 0.0;
        if plan.fx.is_none() {
            round.push_copy(Query::Center, x);
        }
        let mut normal = NormalStream::new(rng);
        // The round's rows of the new points (m × d). Gaussian points are written
        // there and into their spare rows in the same pass; orthogonal directions
        // are orthonormalised there and then copied.
        for j in 0..m {
            round.push(Query::Sample(k + j));
        }
        let block = round.last_rows_mut(m);

        // Pass 2: place the previous iterate, draw the new Gaussian points, and
        // accumulate the fresh Gram entries from the offsets p − x (staged per
        // block); the next anchor is x.
        {
            let (stage, dl) = s.stage.split_at_mut(ne * CHUNK);
            let mut start = 0;
            while start < dd {
                let end = (start + CHUNK).min(dd);
                let len = end - start;
                let xc = &x[start..end];
                if mean_on {
                    for ((d, &av), &xv) in dl[..len].iter_mut().zip(&s.anchor[start..end]).zip(xc) {
                        *d = av - xv;
                    }
                }
                for sl in 0..ne {
                    let row = s.row_next[sl] * dd;
                    match s.slot_role[sl] {
                        Role::Anchor => {
                            s.pts[row + start..row + end].copy_from_slice(&s.anchor[start..end]);
                        }
                        Role::New(j) if gaussian => {
                            let nb = &mut s.normals[..len];
                            normal.fill(nb);
                            let p = &mut s.pts[row + start..row + end];
                            let q = &mut block[j * dd + start..j * dd + end];
                            // The point, and its offset staged for the Gram entries.
                            let off = &mut stage[sl * CHUNK..sl * CHUNK + len];
                            if mean_on {
                                for t in 0..len {
                                    let pt = xc[t] + F::of_f64(sigma * nb[t] + momentum * dl[t].as_f64());
                                    p[t] = pt;
                                    q[t] = pt;
                                    off[t] = pt - xc[t];
                                }
                            } else {
                                for t in 0..len {
                                    let pt = xc[t] + F::of_f64(sigma * nb[t]);
                                    p[t] = pt;
                                    q[t] = pt;
                                    off[t] = pt - xc[t];
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if gaussian {
                    s.anchor_next[start..end].copy_from_slice(xc);
                }
                if !s.pairs.is_empty() {
                    for sl in 0..ne {
                        if !is_new(s.slot_role[sl]) {
                            let row = s.row_next[sl] * dd;
                            let off = &mut stage[sl * CHUNK..sl * CHUNK + len];
                            for ((o, &pv), &xv) in off.iter_mut().zip(&s.pts[row + start..row + end]).zip(xc) {
                                *o = pv - xv;
                            }
                        }
                    }
                    for (acc, &(p, q)) in s.acc.iter_mut().zip(&s.pairs) {
                        if gaussian || !is_new(s.slot_role[p]) && !is_new(s.slot_role[q]) {
                            *acc += dot(&stage[p * CHUNK..p * CHUNK + len], &stage[q * CHUNK..q * CHUNK + len]);
                        }
                    }
                }
                start = end;
            }
        }

        if !gaussian {
            // Entries among reused rows recomputed in pass 2 (the projection needs them).
            for (&(p, q), &v) in s.pairs.iter().zip(&s.acc) {
                if !is_new(s.slot_role[p]) && !is_new(s.slot_role[q]) {
                    s.gram_next[p * ne + q] = v;
                    s.gram_next[q * ne + p] = v;
                }
            }
            // The new directions are orthonormalised in the round's rows, which
            // then hold the new points.
            let mean = if mean_on { momentum } else { 0.0 };
            if m > 0 {
                orthogonal_draws(s, block, x, k, m, sigma, mean, &mut normal);
            }
            // Remaining Gram entries (those with a new row), the new points'
            // rows, and the next anchor.
            let stage = &mut s.stage[..ne * CHUNK];
            let mut start = 0;
            while start < dd {
                let end = (start + CHUNK).min(dd);
                let len = end - start;
                let xc = &x[start..end];
                for sl in 0..ne {
                    let row = s.row_next[sl] * dd;
                    let off = &mut stage[sl * CHUNK..sl * CHUNK + len];
                    let p = &mut s.pts[row + start..row + end];
                    if let Role::New(j) = s.slot_role[sl] {
                        p.copy_from_slice(&block[j * dd + start..j * dd + end]);
                    }
                    for ((o, &pv), &xv) in off.iter_mut().zip(&*p).zip(xc) {
                        *o = pv - xv;
                    }
                }
                for (acc, &(p, q)) in s.acc.iter_mut().zip(&s.pairs) {
                    if is_new(s.slot_role[p]) || is_new(s.slot_role[q]) {
                        *acc += dot(&stage[p * CHUNK..p * CHUNK + len], &stage[q * CHUNK..q * CHUNK + len]);
                    }
                }
                s.anchor_next[start..end].copy_from_slice(xc);
                start = end;
            }
        }
        for (&(p, q), &v) in s.pairs.iter().zip(&s.acc) {
            s.gram_next[p * ne + q] = v;
            s.gram_next[q * ne + p] = v;
        }
    }

    /// The last phase, once the values are known: lengths, values and error
    /// bounds of the new layout, the pseudo-inverse solve, and pass 3.
    fn solve(
        &mut self,
        x: &[F],
        f0: F,
        samples: &[F],
        iteration: usize,
        out: &mut Estimate<F>,
    ) -> Result<EstimateInfo<F>> {
        let gaussian = self.sampling == Sampling::Gaussian;
        let s = &mut self.state;
        let Some(plan) = s.plan.as_mut() else {
            return Err(Error::NoPendingBatch);
        };
        let (ne, dd) = (s.ne, s.dim);
        let u_f = F::UNIT_ROUNDOFF.max(f64::EPSILON / 2.0);

        // Lengths, values and error bounds of the new layout.
        for &sl in &s.new_order {
            let eii = s.gram_next[sl * ne + sl].max(0.0);
            s.fval_next[sl] = match s.slot_role[sl] {
                Role::Anchor => s.f_anchor,
                Role::New(j) => samples[j],
                Role::Reused | Role::Free => s.fval[sl],
            };
            s.h_next[sl] = match s.slot_role[sl] {
                Role::New(_) if !gaussian => plan.sigma,
                _ => eii.sqrt() + H_EPS,
            };
            if s.fresh[sl] {
                s.err_next[sl] = 2.0 * u_f.sqrt() * eii.sqrt();
            }
        }

        // G, y and the pseudo-inverse solve, in f64.
        let f0d = f0.as_f64();
        for i in 0..ne {
            let si = s.new_order[i];
            s.y[i] = (s.fval_next[si].as_f64() - f0d) / s.h_next[si];
            for j in 0..ne {
                let sj = s.new_order[j];
                s.gmat[i * ne + j] = s.gram_next[si * ne + sj] / (s.h_next[si] * s.h_next[sj]);
            }
        }
        let eps = 2.0 * F::UNIT_ROUNDOFF.max(f64::EPSILON / 2.0);
        let rank = pinv_solve(&mut s.gmat, &mut s.evec, &s.y, &mut s.coef, ne, eps);
        for i in 0..ne {
            s.coef[i] /= s.h_next[s.new_order[i]];
        }
        if !s.coef.iter().all(|c| c.is_finite()) {
            return Err(Error::NonFiniteEstimate {
                estimator: "relizo",
                iteration,
            });
        }

        // Pass 3: g = Σ cⱼ·uⱼ = Σ (cⱼ/hⱼ)·(pⱼ − x).
        let g = out.dense_mut(dd, 0..dd);
        let mut start = 0;
        while start < dd {
            let end = (start + CHUNK).min(dd);
            let gc = &mut g[start..end];
            let xc = &x[start..end];
            for (i, &sl) in s.new_order.iter().enumerate() {
                let w = F::of_f64(s.coef[i]);
                let row = s.row_next[sl] * dd;
                let p = &s.pts[row + start..row + end];
                if i == 0 {
                    for ((gv, &pv), &xv) in gc.iter_mut().zip(p).zip(xc) {
                        *gv = w * (pv - xv);
                    }
                } else {
                    for ((gv, &pv), &xv) in gc.iter_mut().zip(p).zip(xc) {
                        *gv = *gv + w * (pv - xv);
                    }
                }
            }
            start = end;
        }

        let queries = plan.queries();
        let k = plan.k;
        let step = RelizoStep {
            queries,
            reused: k,
            reused_previous_iterate: plan.reused_previous_iterate,
            new_samples: plan.m,
            rank,
            recomputed_rows: plan.recomputed,
        };
        plan.done = Some((f0, step));
        Ok(EstimateInfo::new(queries, Some(f0)).with_reused(k).with_rank(rank))
    }
}

fn is_new(r: Role) -> bool {
    matches!(r, Role::New(_))
}

/// Writes the offsets pᵢ − x of the points of the slots in `order` (row
/// `rows[slot]` of `pts`, each of length `dd`) over coordinates `start..end`
/// into `stage`, row i at i·CHUNK. Recomputed per chunk rather than stored, so
/// no k×d buffer is needed.
#[allow(clippy::too_many_arguments)]
fn stage_offsets<F: Real>(
    stage: &mut [F],
    pts: &[F],
    rows: &[usize],
    x: &[F],
    order: &[usize],
    dd: usize,
    start: usize,
    end: usize,
) {
    let len = end - start;
    for (i, &sl) in order.iter().enumerate() {
        let off = &mut stage[i * CHUNK..i * CHUNK + len];
        let row = rows[sl] * dd;
        for ((o, &pv), &xv) in off.iter_mut().zip(&pts[row + start..row + end]).zip(&x[start..end]) {
            *o = pv - xv;
        }
    }
}

/// Orthogonal mode: draw the m new directions as Gaussian vectors (mean
/// `momentum`·Δ, Δ = anchor − x) into the rows of `basis` (m × d), project them
/// onto the orthogonal complement of the reused offsets δᵢ = pᵢ − x, and
/// orthonormalise them, then overwrite each qⱼ with its point x + (σ/√m)·qⱼ.
///
/// The reference takes the last m columns of the QR factor of [u_R; Z]ᵀ; this
/// computes the same subspace block-wise, in a few passes over the block
/// instead of one pass per pair of vectors: the projection
/// Z ← Z − Zδᵀ(δδᵀ)⁺δ (with the reused rows' Gram matrix, scaled to unit
/// diagonal, through the Jacobi pseudo-inverse) applied twice, then a Cholesky
/// QR of Z (Z ← L⁻¹Z with LLᵀ = ZZᵀ) applied twice, which makes the rows
/// orthonormal to rounding (CholQR2; Fukaya et al. 2014). The Gram matrix of
/// the new rows is recomputed exactly afterwards, so nothing relies on the
/// orthogonality being exact.
#[allow(clippy::too_many_arguments)]
fn orthogonal_draws<F: Real>(
    s: &mut State<F>,
    basis: &mut [F],
    x: &[F],
    k: usize,
    m: usize,
    sigma: f64,
    momentum: f64,
    normal: &mut NormalStream,
) {
    let (ne, dd) = (s.ne, s.dim);
    // Z: the m draws, rows of `basis`.
    let mut start = 0;
    while start < dd {
        let end = (start + CHUNK).min(dd);
        let len = end - start;
        for j in 0..m {
            let nb = &mut s.normals[..len];
            normal.fill(nb);
            let z = &mut basis[j * dd + start..j * dd + end];
            if momentum > 0.0 {
                for t in 0..len {
                    let mean = momentum * (s.anchor[start + t] - x[start + t]).as_f64();
                    z[t] = F::of_f64(sigma * nb[t] + mean);
                }
            } else {
                for t in 0..len {
                    z[t] = F::of_f64(sigma * nb[t]);
                }
            }
        }
        start = end;
    }

    // Projection onto the complement of the reused offsets, twice.
    if k > 0 {
        // Ĝ = S·E_RR·S with S = diag(1/√Eᵢᵢ); P = δᵀ S Ĝ⁺ S δ projects onto span(δ).
        for i in 0..k {
            let si = s.new_order[i];
            let di = s.gram_next[si * ne + si];
            s.oscale[i] = if di > 0.0 { 1.0 / di.sqrt() } else { 0.0 };
        }
        for i in 0..k {
            for j in 0..k {
                let (si, sj) = (s.new_order[i], s.new_order[j]);
                s.ogram[i * k + j] = s.gram_next[si * ne + sj] * s.oscale[i] * s.oscale[j];
            }
        }
        jacobi_eigen(&mut s.ogram[..k * k], &mut s.oevec[..k * k], k);
        let lmax = max_eigenvalue(&s.ogram, k);
        let cut = k as f64 * 2.0 * F::UNIT_ROUNDOFF.max(f64::EPSILON / 2.0) * lmax;
        for _ in 0..2 {
            // B = δ Zᵀ (k × m), staged offsets per block.
            s.ob[..k * m].iter_mut().for_each(|v| *v = 0.0);
            let mut start = 0;
            while start < dd {
                let end = (start + CHUNK).min(dd);
                let len = end - start;
                stage_offsets(&mut s.stage, &s.pts, &s.row_next, x, &s.new_order[..k], dd, start, end);
                for i in 0..k {
                    let off = &s.stage[i * CHUNK..i * CHUNK + len];
                    for j in 0..m {
                        s.ob[i * m + j] += dot(off, &basis[j * dd + start..j * dd + end]);
                    }
                }
                start = end;
            }
            // C = S Ĝ⁺ S B (column j of C stored contiguously at j·k).
            for j in 0..m {
                for i in 0..k {
                    s.oy[i] = s.ob[i * m + j] * s.oscale[i];
                }
                let c = &mut s.oc[j * k..(j + 1) * k];
                pinv_apply(&s.ogram[..k * k], &s.oevec[..k * k], k, cut, &s.oy, c);
                for (ci, &si) in c.iter_mut().zip(&s.oscale) {
                    *ci *= si;
                }
            }
            // Z ← Z − Cᵀ δ.
            let mut start = 0;
            while start < dd {
                let end = (start + CHUNK).min(dd);
                let len = end - start;
                stage_offsets(&mut s.stage, &s.pts, &s.row_next, x, &s.new_order[..k], dd, start, end);
                for j in 0..m {
                    let z = &mut basis[j * dd + start..j * dd + end];
                    for i in 0..k {
                        let c = F::of_f64(s.oc[j * k + i]);
                        for (zt, &ot) in z.iter_mut().zip(&s.stage[i * CHUNK..i * CHUNK + len]) {
                            *zt = *zt - c * ot;
                        }
                    }
                }
                start = end;
            }
        }
    }

    // Orthonormal rows by Cholesky QR (twice unless the first pass shows
    // κ(Z)² < 1e3; Gaussian blocks with m ≪ d have κ ≈ 1).
    cholesky_qr2(basis, m, dd, CHUNK, &mut s.ob[..m * m], &mut s.oc[..m * m]);

    // The points x + (σ/√m)·qⱼ, in place.
    let w = F::of_f64(sigma / (m as f64).sqrt());
    for q in basis.chunks_exact_mut(dd).take(m) {
        for (qt, &xt) in q.iter_mut().zip(x) {
            *qt = xt + w * *qt;
        }
    }
}
