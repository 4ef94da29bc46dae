//! # zoptim — zeroth-order optimization over `ndarray`
//!
//! Minimise a function you can only *evaluate* — a simulator, a model behind an
//! API, a loss whose backward pass costs too much memory — by estimating its
//! gradient from function values at perturbed points and feeding that estimate to
//! a descent step.
//!
//! New to the crate? The [`guide`] goes from a first run to a tuned, parallel
//! and resumed one.
//!
//! The pieces, one trait each:
//!
//! | concept | trait | built in |
//! |---|---|---|
//! | the function | [`Objective`] | any `FnMut(ArrayView1<F>) -> F` |
//! | gradient estimate | [`GradientEstimator`] | [`TwoPoint`] (SPSA, MeZO), [`Cge`], [`Relizo`], [`Dap`], [`BlockCoordinate`] |
//! | smoothing (difference, μ, q) | [`Smoothed`] | one set of builder methods for the two-point-style estimators |
//! | random directions | — | [`Direction`]: Gaussian, Rademacher, sphere, coordinate ([`random`]) |
//! | update rule | [`UpdateRule`] | [`Sgd`], [`Momentum`], [`SignSgd`], [`Adam`], [`Conservative`], [`Normalized`], [`LineSearch`] |
//! | schedules | [`Schedule`] | constants (`f64`), [`PowerDecay`], [`StepDecay`], [`Cosine`], [`InverseSqrt`] |
//! | watching a run | [`Observer`] | closures, [`observer::History`], [`observer::Progress`], [`observer::CsvWriter`], `observer::ProgressBar` (feature `progress`) |
//! | constraints | [`Projection`] | [`Bounds`], [`Ball`] |
//! | minibatches | [`StochasticObjective`] | [`BatchIndices`] |
//! | driving a run | — | [`Optimizer::minimize`], [`Optimizer::step`], ask/tell [`Run`], `minimize_parallel` (feature `rayon`) |
//!
//! An [`Optimizer`] owns the estimator, the rule, a seeded [`ZoRng`], the budget
//! and the stop criteria. Estimators and rules never call the objective: a step
//! is a short sequence of *rounds* of independent query points ([`run`]), which
//! [`Optimizer::minimize`] evaluates in this thread, `minimize_parallel` on a
//! thread pool (feature `rayon`), and an ask/tell [`Run`] wherever you like — all
//! with the same bits, exact evaluation counts and a budget that is never exceeded.
//!
//! ```
//! use ndarray::{Array1, ArrayView1};
//! use zoptim::prelude::*;
//!
//! // f(x) = Σ i·xᵢ², minimised from x = 1 with SPSA.
//! let mut f = |x: ArrayView1<f64>| x.iter().enumerate().map(|(i, v)| (i + 1) as f64 * v * v).sum::<f64>();
//! let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-6))
//!     .learning_rate(0.02)
//!     .max_evaluations(4_000)
//!     .seed(42)
//!     .build()?;
//! let report = opt.minimize(&mut f, &Array1::from_elem(5, 1.0))?;
//! assert!(report.best_f < 1e-8, "{}", report.best_f);
//! # Ok::<(), zoptim::Error>(())
//! ```
//!
//! ## Precision
//! Everything is generic over [`Real`] (`f32` and `f64`). In `f32`, choose μ
//! with the rounding of f in mind: the difference f(x+μu) − f(x) must stand
//! well above f's rounding error (μ ≈ 1e-2…1e-3 for well-scaled problems).
//!
//! ## Reproducibility
//! A run is a pure function of its configuration, its seed and the objective's
//! values: the generator is the portable Xoshiro256++ ([`ZoRng`]) owned by the
//! optimizer, never a global or thread RNG, and each direction is replayed from
//! a ChaCha8 stream keyed by its sub-seed. On one platform every driver
//! (sequential, parallel at any thread count, ask/tell) gives the same bits for
//! the same seed. The random streams are the same bits on every IEEE 754
//! platform; the few values that go through the platform's math library (some
//! schedules, Adam's bias correction, [`random::standard_normal`] and so DAP)
//! agree across platforms to within rounding (see the README's
//! "Reproducibility: what is promised").
//!
//! ## Features
//!
//! No feature is on by default.
//!
//! | feature | what it adds | needs |
//! |---|---|---|
//! | `rayon` | `Optimizer::minimize_parallel`, `run::ParallelObjective` (parallel `eval_batch`), `SeededDirection::par_write` / `par_axpy` | nothing beyond the crate |
//! | `plot` | `plot::convergence`: best f against evaluations, one line per run, as SVG | nothing beyond the crate (plotters' SVG backend only) |
//! | `progress` | `observer::ProgressBar`: a terminal progress bar (indicatif) over the evaluation budget, with an ETA | nothing beyond the crate |
//! | `testing` | `testing`: test functions with known gradients (`Sphere`, `Quadratic`, `Rosenbrock`, `Linear`) and `ExactGradient` | nothing beyond the crate |
//! | `mpi` | `mpi::minimize`: one run over MPI ranks, exchanging only the values of each round | an MPI library and libclang at build time |
#![deny(missing_docs)]
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod auto;
pub mod error;
pub mod estimator;
pub mod guide;
mod linalg;
#[cfg(feature = "mpi")]
pub mod mpi;
pub mod objective;
pub mod observer;
pub mod optimizer;
pub mod oracle;
#[cfg(feature = "plot")]
pub mod plot;
pub mod projection;
pub mod random;
pub mod real;
pub mod report;
pub mod run;
pub mod schedule;
pub mod stochastic;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
pub mod update;

pub use auto::minimize;
pub use error::{Error, Query, Result};
pub use estimator::Relizo;
pub use estimator::{
    BlockCoordinate, BlockOrder, Cge, Dap, Difference, Estimate, EstimateInfo, GradientEstimator, Smoothed, Smoothing,
    Storage, TwoPoint,
};
pub use objective::Objective;
pub use observer::Observer;
pub use optimizer::{Optimizer, OptimizerBuilder};
pub use projection::{Ball, Bounds, Projection};
pub use random::ZoRng;
pub use random::{Direction, SeededDirection, direction, rng};
pub use real::Real;
pub use report::{Report, StepRecord, StopReason};
pub use run::{Batch, Checkpoint, ComponentState, Flow, Round, Run};
pub use schedule::{Constant, Cosine, InverseSqrt, PowerDecay, Schedule, StepDecay};
pub use stochastic::{BatchIndices, StochasticObjective};
pub use update::{Adam, Conservative, LineSearch, Momentum, Normalized, Sgd, SignSgd, UpdateRule};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The names most programs need: `use zoptim::prelude::*;`.
pub mod prelude {
    pub use crate::estimator::Relizo;
    pub use crate::estimator::{
        BlockCoordinate, BlockOrder, Cge, Dap, Difference, GradientEstimator, Smoothed, Storage, TwoPoint,
    };
    pub use crate::objective::Objective;
    pub use crate::optimizer::Optimizer;
    pub use crate::projection::{Ball, Bounds};
    pub use crate::random::Direction;
    pub use crate::report::{Report, StopReason};
    pub use crate::schedule::{Cosine, InverseSqrt, PowerDecay, StepDecay};
    pub use crate::stochastic::StochasticObjective;
    pub use crate::update::{Adam, Conservative, LineSearch, Momentum, Normalized, Sgd, SignSgd, UpdateRule};
}
