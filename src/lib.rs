//! # zoptim — zeroth-order optimization over `ndarray`
//!
//! Minimise a function you can only *evaluate* — a simulator, a model behind an
//! API, a loss whose backward pass costs too much memory — by estimating its
//! gradient from function values at perturbed points and feeding that estimate to
//! a descent step.
//!
//! The pieces, one trait each:
//!
//! | concept | trait | built in |
//! |---|---|---|
//! | the function | [`Objective`] | any `FnMut(ArrayView1<F>) -> F` |
//! | gradient estimate | [`GradientEstimator`] | [`TwoPoint`] (SPSA, MeZO), [`Coordinate`], [`Relizo`], [`Dap`], [`BlockCoordinate`] |
//! | smoothing (difference, μ, q) | [`Smoothed`] | one set of builder methods for the two-point-style estimators |
//! | random directions | — | [`Direction`]: Gaussian, Rademacher, sphere, coordinate |
//! | update rule | [`UpdateRule`] | [`Sgd`], [`Momentum`], [`SignSgd`], [`Adam`], [`Conservative`], [`Normalized`], [`LineSearch`] |
//! | schedules | [`Schedule`] | constants (`f64`), [`PowerDecay`], [`StepDecay`], [`Cosine`], [`InverseSqrt`] |
//! | watching a run | [`Observer`] | closures, [`observer::History`], [`observer::Progress`], [`observer::CsvWriter`] |
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
//! a ChaCha8 stream keyed by its sub-seed. Every driver (sequential, parallel at
//! any thread count, ask/tell) gives the same bits for the same seed.
//!
//! ## Features
//!
//! | feature | what it adds | needs |
//! |---|---|---|
//! | `rayon` | `Optimizer::minimize_parallel`, `run::ParallelObjective`, `SeededDirection::par_write` / `par_axpy` | nothing beyond the crate |
//! | `mpi` | `mpi::minimize`: one run over MPI ranks, exchanging only the values of each round | an MPI library and libclang at build time |
//! | `plot` | `plot::convergence`: best f against evaluations, one line per run, as SVG | nothing beyond the crate (plotters' SVG backend only) |
#![deny(missing_docs)]

pub mod auto;
pub mod direction;
pub mod error;
pub mod estimator;
#[cfg(feature = "mpi")]
pub mod mpi;
mod normal;
pub mod objective;
pub mod observer;
pub mod optimizer;
#[cfg(feature = "plot")]
pub mod plot;
pub mod problems;
pub mod projection;
pub mod real;
pub mod report;
pub mod rng;
pub mod run;
pub mod schedule;
pub mod stochastic;
pub mod update;

pub use auto::minimize;
pub use direction::{Direction, SeededDirection};
pub use error::{Error, Query, Result};
pub use estimator::Relizo;
pub use estimator::{
    BlockCoordinate, BlockOrder, Coordinate, Dap, Difference, Estimate, EstimateInfo, GradientEstimator, Smoothed,
    Smoothing, Storage, TwoPoint,
};
pub use objective::Objective;
pub use observer::Observer;
pub use optimizer::{Optimizer, OptimizerBuilder};
pub use projection::{Ball, Bounds, Projection};
pub use real::Real;
pub use report::{Report, StepRecord, StopReason};
pub use rng::ZoRng;
pub use run::{Batch, Flow, Round, Run};
pub use schedule::{Constant, Cosine, InverseSqrt, PowerDecay, Schedule, StepDecay};
pub use stochastic::{BatchIndices, StochasticObjective};
pub use update::{Adam, Conservative, LineSearch, Momentum, Normalized, Sgd, SignSgd, UpdateRule};

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The names most programs need: `use zoptim::prelude::*;`.
pub mod prelude {
    pub use crate::direction::Direction;
    pub use crate::estimator::Relizo;
    pub use crate::estimator::{
        BlockCoordinate, BlockOrder, Coordinate, Dap, Difference, GradientEstimator, Smoothed, Storage, TwoPoint,
    };
    pub use crate::objective::Objective;
    pub use crate::optimizer::Optimizer;
    pub use crate::projection::{Ball, Bounds};
    pub use crate::report::{Report, StopReason};
    pub use crate::schedule::{Cosine, InverseSqrt, PowerDecay, StepDecay};
    pub use crate::stochastic::StochasticObjective;
    pub use crate::update::{Adam, Conservative, LineSearch, Momentum, Normalized, Sgd, SignSgd, UpdateRule};
}
