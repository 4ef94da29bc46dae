//! A guide: from a first run to a tuned, parallel, resumed one.
//!
//! This module holds documentation only. Every example below runs as a test
//! and asserts its result.
//!
//! # 1. A first run
//!
//! An objective is anything that returns f(x) for a point x: a closure over
//! [`ArrayView1`](ndarray::ArrayView1) (or over `&[F]` through
//! [`objective::slice_fn`](crate::objective::slice_fn)), or a type
//! implementing [`Objective`](crate::Objective). An [`Optimizer`](crate::Optimizer)
//! pairs a gradient estimator with an update rule, and needs a stop criterion:
//! here an evaluation budget, which the run never exceeds.
//!
//! ```
//! use ndarray::{Array1, ArrayView1};
//! use zoptim::prelude::*;
//!
//! // A "black box": 20 parameters, minimum 0 at x = 0.5.
//! let mut f = |x: ArrayView1<f64>| x.iter().map(|v| (v - 0.5).powi(2)).sum::<f64>();
//!
//! let mut opt = Optimizer::builder(TwoPoint::spsa())
//!     .learning_rate(0.01)
//!     .max_evaluations(5_000)
//!     .seed(1)
//!     .build()?;
//! let report = opt.minimize(&mut f, &Array1::zeros(20))?;
//! assert_eq!(report.stop, StopReason::MaxEvaluations);
//! assert!(report.best_f < 1e-4, "{}", report.best_f);
//! assert!(report.evaluations <= 5_000);
//! # Ok::<(), zoptim::Error>(())
//! ```
//!
//! The [`Report`](crate::Report) holds the best point and value seen, the last
//! iterate, the exact number of evaluations and the [`StopReason`](crate::StopReason).
//! The same seed gives the same report, bit for bit.
//!
//! # 2. Choosing an estimator
//!
//! | estimator | queries per step | keeps besides x | use it when |
//! |---|---|---|---|
//! | [`TwoPoint::spsa`](crate::TwoPoint::spsa) | 2 | 2 points of d | a cheap default at any d |
//! | [`TwoPoint::mezo`](crate::TwoPoint::mezo) | 2 | a seed | d is so large that a second copy of x does not fit (fine-tuning) |
//! | [`TwoPoint::forward`](crate::TwoPoint::forward) with q directions | q + 1 | q points | evaluations are expensive and f is smooth |
//! | [`Cge::central`](crate::Cge::central) | 2d | 2d points (in rounds) | d is small and f is deterministic: the estimate is the gradient up to O(μ²) |
//! | [`BlockCoordinate`](crate::BlockCoordinate) | 2 | a block | the step's O(d) work dominates a cheap f |
//! | [`Dap`](crate::Dap) | q + 1 | q points | you have a gradient proxy, or want directions aligned with the last estimate |
//! | [`Relizo`](crate::Relizo) | n + 1 minus the samples reused | 2n points | evaluations are expensive: it reuses earlier samples |
//!
//! Every estimator declares the most queries a step can make, and the optimizer
//! never starts a step the budget cannot hold. In `f32`, give μ room above f's
//! rounding (`.mu(1e-2)` for a well-scaled f).
//!
//! # 3. Tuning
//!
//! The learning rate matters most. Because a run is a pure function of its
//! configuration and seed, a sweep over learning rates with one seed compares
//! like with like; averaging over a few seeds tells the rate from the luck.
//!
//! ```
//! use ndarray::{Array1, ArrayView1};
//! use zoptim::prelude::*;
//!
//! // Condition number 100: too large a rate diverges, too small crawls.
//! let f = |x: ArrayView1<f64>| x.iter().enumerate().map(|(i, v)| (1.0 + 11.0 * i as f64) * v * v).sum::<f64>();
//! let x0 = Array1::ones(10);
//! let mut best = (f64::INFINITY, 0.0);
//! for lr in [1e-4, 3e-4, 1e-3, 3e-3] {
//!     let mut mean = 0.0;
//!     for seed in 0..3 {
//!         let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-4))
//!             .learning_rate(lr)
//!             .max_evaluations(2_000)
//!             .seed(seed)
//!             .build()?;
//!         // A rate that diverges keeps f(x0) = 505 as its best value.
//!         mean += opt.minimize(&mut { f }, &x0)?.best_f / 3.0;
//!     }
//!     if mean < best.0 {
//!         best = (mean, lr);
//!     }
//! }
//! assert_eq!(best.1, 1e-3);
//! assert!(best.0 < 0.1, "{}", best.0);
//! # Ok::<(), zoptim::Error>(())
//! ```
//!
//! Then try a schedule ([`PowerDecay`](crate::PowerDecay) for Spall's SPSA
//! gains, [`Cosine`](crate::Cosine) with a warm-up) and an adaptive rule
//! ([`Adam`](crate::Adam)), which on ill-conditioned problems often matters
//! more than the estimator. Stop early with
//! [`target`](crate::OptimizerBuilder::target) or
//! [`stagnation`](crate::OptimizerBuilder::stagnation).
//!
//! With feature `plot`, `plot::convergence` draws the runs
//! of a sweep in one SVG (runs need [`history`](crate::OptimizerBuilder::history)).
//!
//! # 4. Watching a run
//!
//! Observers see every step and can stop the run:
//! [`observer::History`](crate::observer::History) keeps records in memory,
//! [`observer::Progress`](crate::observer::Progress) prints a line every k steps,
//! [`observer::CsvWriter`](crate::observer::CsvWriter) logs to a file, and with
//! feature `progress` `observer::ProgressBar` shows a bar with an ETA from the
//! budget. None of them changes the run.
//!
//! ```
//! use ndarray::{Array1, ArrayView1};
//! use zoptim::observer::{History, Progress};
//! use zoptim::prelude::*;
//!
//! let history = History::new();
//! let mut opt = Optimizer::builder(TwoPoint::spsa())
//!     .learning_rate(0.05)
//!     .max_iterations(100)
//!     .observer(history.recorder(10))
//!     .observer(Progress::new(std::io::sink(), 10))
//!     .build()?;
//! opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(4))?;
//! let f: Vec<f64> = history.snapshots().iter().filter_map(|s| s.record.min_value).collect();
//! assert_eq!(f.len(), 10);
//! assert!(f[9] < f[0]);
//! # Ok::<(), zoptim::Error>(())
//! ```
//!
//! # 5. Parallel and remote evaluation
//!
//! A step is a few *rounds* of independent query points. With feature `rayon`,
//! `Optimizer::minimize_parallel(&f, &x0)` evaluates each round on the rayon
//! pool, for an `f: Fn(ArrayView1<F>) -> F + Sync`; the report is bit-identical
//! to `minimize`'s at every thread count. For evaluations elsewhere (another
//! process, a cluster, a GPU queue), drive the run by ask/tell: every driver
//! runs the same engine, so the bits are the same.
//!
//! ```
//! use ndarray::{Array1, ArrayView1};
//! use zoptim::prelude::*;
//!
//! let f = |x: ArrayView1<f64>| x.dot(&x);
//! let x0 = Array1::ones(8);
//! let mut opt = Optimizer::builder(TwoPoint::spsa().directions(8)).learning_rate(0.1).max_evaluations(800).build()?;
//!
//! let mut run = opt.start(&x0)?;
//! while let Some(batch) = run.ask()? {
//!     // Send batch.points() anywhere; here, scoped threads, one per row.
//!     let points = batch.points();
//!     let values: Vec<f64> = std::thread::scope(|s| {
//!         let handles: Vec<_> = points.rows().into_iter().map(|r| s.spawn(move || f(r))).collect();
//!         handles.into_iter().map(|h| h.join().unwrap()).collect()
//!     });
//!     run.tell(&values)?;
//! }
//! let remote = run.finish();
//!
//! let local = opt.minimize(&mut { f }, &x0)?;
//! assert_eq!(remote.best_x, local.best_x);
//! assert_eq!(remote.evaluations, local.evaluations);
//! # Ok::<(), zoptim::Error>(())
//! ```
//!
//! With feature `mpi`, `mpi::minimize` splits each round across MPI ranks and
//! exchanges only the values.
//!
//! # 6. Resuming a run
//!
//! A run can be saved at any point and resumed later, in another process:
//! `run.checkpoint()` captures the iterate, the generator, the counters and
//! the estimator's and rule's memory; `opt.resume(checkpoint)` continues from
//! it. With feature `serde`, `.checkpoint_every(n, path)` on the builder writes
//! a JSON file every n steps and [`Optimizer::resume_from`](crate::Optimizer::resume_from)
//! continues from that file. The resumed run gives the same bits as one that
//! never stopped. See [`crate::run::checkpoint`].
//!
//! ```
//! use ndarray::{Array1, ArrayView1};
//! use zoptim::prelude::*;
//!
//! let make = || {
//!     Optimizer::<f64>::builder(TwoPoint::spsa().mu(1e-4))
//!         .update(Adam::new())
//!         .learning_rate(0.05)
//!         .max_evaluations(400)
//!         .seed(1)
//!         .build()
//! };
//! let f = |x: ArrayView1<f64>| x.dot(&x);
//! let x0 = Array1::from_elem(5, 1.0);
//!
//! // A run driven by ask/tell stops after 50 batches…
//! let mut opt = make()?;
//! let mut run = opt.start(&x0)?;
//! for _ in 0..50 {
//!     let batch = run.ask()?.expect("not over");
//!     let values: Vec<f64> = batch.points().rows().into_iter().map(f).collect();
//!     run.tell(&values)?;
//! }
//! let saved = run.checkpoint()?;
//! drop(run);
//!
//! // …and a fresh optimizer finishes it, with the uninterrupted run's bits.
//! let resumed = make()?.resume(saved)?.minimize(&mut |x: ArrayView1<f64>| f(x))?;
//! let whole = make()?.minimize(&mut |x: ArrayView1<f64>| f(x), &x0)?;
//! assert_eq!(resumed.last_x, whole.last_x);
//! assert_eq!(resumed.evaluations, whole.evaluations);
//! # Ok::<(), zoptim::Error>(())
//! ```
//!
//! # 7. Where to go next
//!
//! - [`crate::run`]: the engine, rounds, batches and seeded rows.
//! - [`crate::estimator::GradientEstimator`] and [`crate::update::UpdateRule`]:
//!   each carries a complete example of implementing your own.
//! - [`crate::stochastic`]: minibatch objectives, where both points of a
//!   difference must see the same batch.
//! - [`crate::projection`]: box and ball constraints.
