//! Runs on several processes or machines over MPI (feature `mpi`).
//!
//! Every rank runs the *same* engine from the same optimizer configuration,
//! seed and x0. Each round's rows are split across the ranks, each rank
//! evaluates only its own rows, and one allgather per round hands every rank
//! the full vector of values, which every rank then tells its engine. Since all
//! ranks tell the same values to the same engine, x, the components' state,
//! the generator, the counters and the stop decisions stay identical on every
//! rank without x ever being sent: the only traffic is the values.
//!
//! ```no_run
//! use ndarray::{Array1, ArrayView1};
//! use zoptim::prelude::*;
//!
//! let universe = mpi::initialize().expect("MPI initialised once");
//! let world = universe.world();
//! let mut opt = Optimizer::builder(TwoPoint::spsa().directions(8).mu(1e-6))
//!     .learning_rate(0.1)
//!     .max_evaluations(2_000)
//!     .seed(42)
//!     .build()?;
//! let mut f = |x: ArrayView1<f64>| x.dot(&x);
//! let (report, traffic) = zoptim::mpi::minimize_with_stats(&world, &mut opt, &mut f, &Array1::from_elem(10, 1.0))?;
//! if mpi::traits::Communicator::rank(&world) == 0 {
//!     println!("f = {:e}, {} bytes gathered per round", report.best_f, traffic.bytes_per_round());
//! }
//! # Ok::<(), zoptim::Error>(())
//! ```
//!
//! Launch it with `mpirun -np 4 target/release/examples/…` (or `srun` under
//! slurm); see `docs/cluster.md`.
//!
//! # How a round is split
//! A round of n rows is cut into p contiguous blocks in rank order: the first
//! n mod p ranks take ⌈n/p⌉ rows, the others ⌊n/p⌋ (see [`share`]; 16 rows on
//! 3 ranks: 0..6, 6..11, 11..16). Ranks past n get none: a round of one row —
//! f(x0), f at the last iterate, a line-search trial — is evaluated by rank 0
//! while the others wait in the allgather.
//!
//! - **Seeded rows** (MeZO's seeded mode, [`BlockCoordinate`](crate::BlockCoordinate),
//!   seeded forward differences): each rank regenerates the points of its own
//!   rows from x and the row descriptions with [`Round::visit_points`] — the
//!   same floating-point operations as the sequential in-place driver — and
//!   never receives a d-vector. Memory: two d-vectors per rank. For
//!   [`Perturb::Walk`](crate::run::Perturb::Walk) rows (MeZO) the base point of
//!   a direction is where the earlier directions' walks leave x, so a rank
//!   replays the walk of the rows before its block once (one pass per earlier
//!   direction), then forms its own rows.
//! - **Materialised rows** (SPSA, ReLIZO, DAP, coordinate estimates, line
//!   searches): every rank's engine wrote the same points, so each rank just
//!   evaluates its block with [`Objective::eval_batch`]. Forming the points
//!   (rows × d values) is therefore not split, only their evaluation.
//!
//! # What is exchanged
//! One `MPI_Allgatherv` of the round's values per round (counts and offsets
//! from [`share`], known to every rank without communication), plus, once per
//! run, one `MPI_Allgather` of a 64-bit fingerprint of (seed, d, x0) per rank
//! that checks the ranks start from the same place. [`Traffic`] counts them:
//! a round of n values gathers exactly n × `size_of::<F>()` bytes into every
//! rank (its own share included), with no header or padding; the start check
//! gathers 8 × p bytes. What goes over the wire depends on the MPI library's
//! allgather algorithm (a ring moves (p − 1)/p of the vector through each rank).
//!
//! # Guarantees
//! - **Same bits.** The report (x, values, counts, history, stop reason) is
//!   bit-identical to [`Optimizer::minimize`] for every number of ranks, as long
//!   as the objective returns the same value for the same point on every rank.
//! - **Exact global counts.** Each rank's engine counts every told value, so
//!   `evaluations`, the budget and the stop criteria are global and exact: every
//!   value was computed by exactly one rank. One deviation from the
//!   sequential driver: when a value of a *seeded* round is not finite,
//!   `minimize` stops evaluating that round at the bad value, while here the
//!   other ranks have evaluated their rows already, so the report counts the
//!   whole round (the error itself, with its evaluation index and query label,
//!   is the same).
//! - **Failures are collective.** A NaN or infinite value on one rank reaches
//!   every rank through the allgather, so every rank ends with the same
//!   [`Error::NonFiniteObjective`] (f(x0)) or the same
//!   [`StopReason::Failed`](crate::StopReason::Failed) report, and no rank ever
//!   skips a collective: a rank that cannot form its point (which would be an
//!   engine bug) reports NaN for that row instead of leaving the exchange.
//!   Configuration errors (a bad x0, no budget) are found by every rank before
//!   any exchange, since all ranks hold the same configuration.
//! - **A panic ends the job.** A panic is the one failure that happens on one
//!   rank only. Left alone it would hang the job: with rsmpi 0.8 and Open MPI
//!   4.1, the panicking rank unwinds out of `main`, dropping its
//!   `mpi::environment::Universe`, whose `Drop` calls `MPI_Finalize`, which
//!   waits for the other ranks — while they wait in the round's allgather for
//!   that rank's values (seen with Open MPI 4.1.4: `mpirun` never returns).
//!   So the drivers catch a panic of the objective, print which rank
//!   panicked (after the panic's own message) and call `MPI_Abort` with error
//!   code 101: `mpirun` then kills every rank and exits non-zero. Under slurm's
//!   `srun`, `MPI_Abort` ends the job step likewise. To end a run in an orderly
//!   way instead, return NaN from an evaluation that fails: every rank then
//!   stops with the same [`StopReason::Failed`](crate::StopReason::Failed).
//! - **Stochastic objectives.** [`minimize_stochastic`] resamples each rank's
//!   own copy of the problem with the run's generator before every step, and the
//!   generator is the same on every rank, so every rank draws the same minibatch
//!   indices. The problem's data must be the same on every rank (or at least its
//!   values must be); [`StochasticObjective::full_value`] is computed on every
//!   rank.
//! - **Observers run on every rank**, because the engine runs everywhere, and
//!   they see the same records. Guard observers that write files or print with
//!   `world.rank() == 0`. An observer that stops the run must decide the same
//!   way on every rank (it sees the same data, so a deterministic one does).
//!
//! Not supported here: a different optimizer configuration, seed or x0 per rank
//! (caught by the start check for seed, d and x0, with
//! [`Error::InvalidParameter`]); objectives whose value depends on the rank.

use crate::error::{Error, Result};
use crate::estimator::GradientEstimator;
use crate::objective::Objective;
use crate::observer::Observer;
use crate::optimizer::Optimizer;
use crate::real::Real;
use crate::report::Report;
use crate::run::{NoSample, Round, Run};
use crate::stochastic::StochasticObjective;
use crate::update::UpdateRule;
use ::mpi::Count;
use ::mpi::datatype::{Equivalence, PartitionMut};
use ::mpi::traits::{Communicator, CommunicatorCollectives};
use ndarray::{ArrayView1, s};
use std::ops::Range;
use std::panic::{self, AssertUnwindSafe};

/// What a run exchanged, as counted by this driver (the same on every rank).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Traffic {
    /// Allgathers of values: one per round the run evaluated.
    pub rounds: usize,
    /// Values gathered, summed over the rounds (the run's evaluations).
    pub values: usize,
    /// Bytes of values gathered into each rank: `values × size_of::<F>()`.
    pub bytes: usize,
    /// The largest round's bytes.
    pub max_round_bytes: usize,
    /// Bytes of the one-off start check gathered into each rank: 8 × p.
    pub setup_bytes: usize,
}

impl Traffic {
    /// Mean bytes gathered per round (0 for a run without rounds).
    pub fn bytes_per_round(&self) -> usize {
        self.bytes.checked_div(self.rounds).unwrap_or(0)
    }
}

/// The rows of a round of `n` rows that rank `rank` of `size` evaluates:
/// contiguous blocks in rank order, ⌈n/size⌉ rows for the first `n mod size`
/// ranks and ⌊n/size⌋ for the others (so a one-row round goes to rank 0).
/// Empty for `rank >= size` or `size == 0`.
///
/// ```
/// use zoptim::mpi::share;
/// assert_eq!(share(16, 3, 0), 0..6);
/// assert_eq!(share(16, 3, 1), 6..11);
/// assert_eq!(share(16, 3, 2), 11..16);
/// assert_eq!(share(1, 4, 0), 0..1);
/// assert!(share(1, 4, 3).is_empty());
/// ```
pub fn share(n: usize, size: usize, rank: usize) -> Range<usize> {
    if size == 0 || rank >= size {
        return 0..0;
    }
    let (base, extra) = (n / size, n % size);
    let at = |r: usize| r * base + r.min(extra);
    at(rank)..at(rank + 1)
}

/// [`Optimizer::minimize`] with each round's rows split across the ranks of
/// `world`: call it on every rank with the same optimizer configuration, seed
/// and x0. Returns the same report on every rank, bit-identical to a
/// single-process `minimize`. See the [module docs](self) for the split, the
/// exchange and what happens on failures.
///
/// Errors: those of `minimize` (the same on every rank), and
/// [`Error::InvalidParameter`] when the ranks' seeds, dimensions or x0 differ.
pub fn minimize<'x, F, E, U, C, O>(
    world: &C,
    opt: &mut Optimizer<F, E, U>,
    objective: &mut O,
    x0: impl Into<ArrayView1<'x, F>>,
) -> Result<Report<F>>
where
    F: Real + Equivalence,
    E: GradientEstimator<F>,
    U: UpdateRule<F>,
    C: Communicator,
    O: Objective<F>,
{
    minimize_with_stats(world, opt, objective, x0).map(|(report, _)| report)
}

/// Continues a resumed run ([`Optimizer::resume`] or
/// [`resume_from`](Optimizer::resume_from) on every rank, from the same
/// checkpoint) with each round split across the ranks, as [`minimize`] would
/// have run it: the report is bit-identical to the uninterrupted run's,
/// whichever driver wrote the checkpoint. Checkpoints written under MPI
/// (`checkpoint_every`) come from rank 0 only; every rank then reads the same
/// file, so it must be on a file system every rank sees.
///
/// Errors: those of [`Run::minimize`], and [`Error::InvalidParameter`] when
/// the ranks' iterates differ (they resumed from different checkpoints).
pub fn resume<F, E, U, C, O>(world: &C, run: Run<'_, F, E, U>, objective: &mut O) -> Result<(Report<F>, Traffic)>
where
    F: Real + Equivalence,
    E: GradientEstimator<F>,
    U: UpdateRule<F>,
    C: Communicator,
    O: Objective<F>,
{
    resumed(world, run, &mut Plain(objective), false)
}

/// [`resume`] for a stochastic run (see [`minimize_stochastic`]).
pub fn resume_stochastic<F, E, U, C, S>(
    world: &C,
    run: Run<'_, F, E, U>,
    problem: &mut S,
) -> Result<(Report<F>, Traffic)>
where
    F: Real + Equivalence,
    E: GradientEstimator<F>,
    U: UpdateRule<F>,
    C: Communicator,
    S: StochasticObjective<F>,
{
    resumed(world, run, problem, true)
}

/// The resuming drivers: every rank checks that it holds the same iterate,
/// then the rounds.
fn resumed<F, E, U, C, S>(
    world: &C,
    mut run: Run<'_, F, E, U>,
    problem: &mut S,
    stochastic: bool,
) -> Result<(Report<F>, Traffic)>
where
    F: Real + Equivalence,
    E: GradientEstimator<F>,
    U: UpdateRule<F>,
    C: Communicator,
    S: StochasticObjective<F>,
{
    let mut exchange = Exchange::new(world);
    exchange.check_start(run.iteration() as u64, run.x())?;
    match (run.is_stochastic(), stochastic) {
        (true, false) => {
            return Err(Error::WrongDriver(
                "draws a minibatch before each step: call mpi::resume_stochastic(&mut problem)",
            ));
        }
        (false, true) => {
            return Err(Error::WrongDriver(
                "is not stochastic: call mpi::resume(&mut objective)",
            ));
        }
        _ => {}
    }
    run.checkpoints = exchange.checkpoint_writes();
    drive(run, &mut exchange, problem, stochastic)
}

/// [`minimize`] that also returns the [`Traffic`] the run exchanged.
pub fn minimize_with_stats<'x, F, E, U, C, O>(
    world: &C,
    opt: &mut Optimizer<F, E, U>,
    objective: &mut O,
    x0: impl Into<ArrayView1<'x, F>>,
) -> Result<(Report<F>, Traffic)>
where
    F: Real + Equivalence,
    E: GradientEstimator<F>,
    U: UpdateRule<F>,
    C: Communicator,
    O: Objective<F>,
{
    deterministic(world, opt, objective, x0.into(), None)
}

/// [`minimize_with_stats`] with one more observer for this run (it runs on
/// every rank; see [`Optimizer::minimize_with`]).
pub fn minimize_with<'x, F, E, U, C, O>(
    world: &C,
    opt: &mut Optimizer<F, E, U>,
    objective: &mut O,
    x0: impl Into<ArrayView1<'x, F>>,
    observer: &mut dyn Observer<F>,
) -> Result<(Report<F>, Traffic)>
where
    F: Real + Equivalence,
    E: GradientEstimator<F>,
    U: UpdateRule<F>,
    C: Communicator,
    O: Objective<F>,
{
    deterministic(world, opt, objective, x0.into(), Some(observer))
}

/// The deterministic drivers.
fn deterministic<'o, F, E, U, C, O>(
    world: &C,
    opt: &'o mut Optimizer<F, E, U>,
    objective: &mut O,
    x0: ArrayView1<'_, F>,
    observer: Option<&'o mut dyn Observer<F>>,
) -> Result<(Report<F>, Traffic)>
where
    F: Real + Equivalence,
    E: GradientEstimator<F>,
    U: UpdateRule<F>,
    C: Communicator,
    O: Objective<F>,
{
    started(world, opt, x0, observer, &mut Plain(objective), false)
}

/// Every fresh run: the ranks check that they start alike, then the rounds.
fn started<'o, F, E, U, C, S>(
    world: &C,
    opt: &'o mut Optimizer<F, E, U>,
    x0: ArrayView1<'_, F>,
    observer: Option<&'o mut dyn Observer<F>>,
    problem: &mut S,
    stochastic: bool,
) -> Result<(Report<F>, Traffic)>
where
    F: Real + Equivalence,
    E: GradientEstimator<F>,
    U: UpdateRule<F>,
    C: Communicator,
    S: StochasticObjective<F>,
{
    let mut exchange = Exchange::new(world);
    exchange.check_start(opt.seed(), x0)?;
    let mut run = Run::new(opt, x0, stochastic, observer)?;
    run.checkpoints = exchange.checkpoint_writes();
    drive(run, &mut exchange, problem, stochastic)
}

/// [`Optimizer::minimize_stochastic`] with each round's rows split across the
/// ranks of `world`. Every rank holds its own `problem`, resampled with the
/// run's generator (identical on every rank) before every step, so all ranks
/// draw the same minibatches; the report is bit-identical to a single-process
/// `minimize_stochastic`. Seeded rounds are regenerated per rank as in
/// [`minimize`].
pub fn minimize_stochastic<'x, F, E, U, C, S>(
    world: &C,
    opt: &mut Optimizer<F, E, U>,
    problem: &mut S,
    x0: impl Into<ArrayView1<'x, F>>,
) -> Result<(Report<F>, Traffic)>
where
    F: Real + Equivalence,
    E: GradientEstimator<F>,
    U: UpdateRule<F>,
    C: Communicator,
    S: StochasticObjective<F>,
{
    started(world, opt, x0.into(), None, problem, true)
}

/// A deterministic objective seen as a stochastic one whose sample never
/// changes (the engine never resamples it: `drive` passes it as `None`).
struct Plain<'a, O>(&'a mut O);

impl<F: Real, O: Objective<F>> Objective<F> for Plain<'_, O> {
    fn eval(&mut self, x: ArrayView1<'_, F>) -> F {
        self.0.eval(x)
    }

    fn eval_batch(&mut self, points: ndarray::ArrayView2<'_, F>, out: &mut [F]) {
        self.0.eval_batch(points, out);
    }
}

impl<F: Real, O: Objective<F>> StochasticObjective<F> for Plain<'_, O> {
    fn resample(&mut self, _rng: &mut crate::rng::ZoRng) {}
}

/// The loop shared by the drivers: advance the engine to its next round,
/// evaluate this rank's rows, gather every rank's values, tell them. Every rank
/// calls exactly one allgather per round, in the same order, whatever the
/// values are; errors after the start are turned into the run's stop reason
/// exactly as [`Optimizer::minimize`] does.
fn drive<F, E, U, C, S>(
    mut run: Run<'_, F, E, U>,
    exchange: &mut Exchange<'_, C, F>,
    objective: &mut S,
    stochastic: bool,
) -> Result<(Report<F>, Traffic)>
where
    F: Real + Equivalence,
    E: GradientEstimator<F>,
    U: UpdateRule<F>,
    C: Communicator,
    S: StochasticObjective<F>,
{
    // A deterministic run's first round is f(x0): a non-finite value there is
    // an error of the call, as in `minimize`.
    let mut first = !stochastic && run.awaits_f0();
    loop {
        if stochastic {
            run.advance_to_pending(Some(&mut *objective));
        } else {
            run.advance_to_pending(None::<&mut NoSample>);
        }
        let Some(round) = run.pending() else {
            break;
        };
        let n = round.len();
        // A panic is the one thing that happens on one rank only: the others
        // would wait in the allgather for ever (an uncaught panic does not end
        // the job, see the module docs), so it ends the whole job instead.
        let evaluated = panic::catch_unwind(AssertUnwindSafe(|| exchange.evaluate(round, run.x(), objective)));
        if evaluated.is_err() {
            exchange.abort_after_panic();
        }
        exchange.gather(n)?;
        match run.tell(&exchange.all) {
            Ok(()) => {}
            Err(e) if first => return Err(e),
            Err(e) => run.abort(e),
        }
        first = false;
    }
    Ok((run.finish(), exchange.traffic))
}

/// Buffers and counters of the exchange, reused across rounds.
struct Exchange<'w, C, F> {
    world: &'w C,
    size: usize,
    rank: usize,
    counts: Vec<Count>,
    displs: Vec<Count>,
    local: Vec<F>,
    all: Vec<F>,
    point: Vec<F>,
    scratch: Vec<F>,
    traffic: Traffic,
}

impl<'w, C: Communicator, F: Real + Equivalence> Exchange<'w, C, F> {
    fn new(world: &'w C) -> Self {
        let size = usize::try_from(world.size()).unwrap_or(1).max(1);
        let rank = usize::try_from(world.rank()).unwrap_or(0);
        Exchange {
            world,
            size,
            rank,
            counts: vec![0; size],
            displs: vec![0; size],
            local: Vec::new(),
            all: Vec::new(),
            point: Vec::new(),
            scratch: Vec::new(),
            traffic: Traffic::default(),
        }
    }

    /// Evaluates this rank's rows of `round` into `local`: seeded rows are
    /// regenerated from x, materialised rows read from the round (which every
    /// rank's engine wrote identically).
    fn evaluate<O: Objective<F>>(&mut self, round: &Round<F>, x: ArrayView1<'_, F>, objective: &mut O) {
        let mine = share(round.len(), self.size, self.rank);
        self.local.clear();
        if mine.is_empty() {
            return;
        }
        if round.is_seeded() && !round.is_materialized() {
            // One replay of the round's walk for this rank's block of rows.
            let local = &mut self.local;
            let formed = x.as_slice().is_some_and(|xs| {
                round.visit_points(mine.clone(), xs, &mut self.scratch, &mut self.point, |_, p| {
                    local.push(objective.eval(ArrayView1::from(p)));
                })
            });
            if !formed {
                // Rows that cannot be formed still take part in the exchange:
                // their NaN fails the step on every rank alike.
                local.clear();
                local.extend(mine.map(|_| F::nan()));
            }
            return;
        }
        let points = round.points();
        self.local.resize(mine.len(), F::nan());
        if points.nrows() == round.len() {
            objective.eval_batch(points.slice(s![mine, ..]), &mut self.local);
        }
    }

    /// Gathers every rank's `local` values of a round of `n` rows into `all`,
    /// in row order: one `MPI_Allgatherv`.
    fn gather(&mut self, n: usize) -> Result<()> {
        let too_large = || Error::InvalidParameter {
            name: "round size (MPI)",
            value: format!("{n} rows"),
            requirement: "at most 2^31 − 1 rows (an MPI count)",
        };
        for (r, (count, displ)) in self.counts.iter_mut().zip(self.displs.iter_mut()).enumerate() {
            let rows = share(n, self.size, r);
            *count = Count::try_from(rows.len()).map_err(|_| too_large())?;
            *displ = Count::try_from(rows.start).map_err(|_| too_large())?;
        }
        self.all.clear();
        self.all.resize(n, F::zero());
        {
            let mut partition = PartitionMut::new(&mut self.all[..], &self.counts[..], &self.displs[..]);
            self.world.all_gather_varcount_into(&self.local[..], &mut partition);
        }
        let bytes = n * std::mem::size_of::<F>();
        self.traffic.rounds += 1;
        self.traffic.values += n;
        self.traffic.bytes += bytes;
        self.traffic.max_round_bytes = self.traffic.max_round_bytes.max(bytes);
        Ok(())
    }

    /// Ends the whole MPI job after the objective panicked on this rank
    /// (`MPI_Abort` with error code 101, Rust's exit code for a panic).
    /// Rank 0 writes the periodic checkpoint (a failed write is reported, not
    /// fatal: stopping rank 0 alone would leave the others waiting); the other
    /// ranks hold the same state and write nothing.
    fn checkpoint_writes(&self) -> crate::run::checkpoint::Writes {
        if self.rank == 0 {
            crate::run::checkpoint::Writes::WarnOnFailure
        } else {
            crate::run::checkpoint::Writes::Skip
        }
    }

    fn abort_after_panic(&self) -> ! {
        eprintln!(
            "zoptim::mpi: the objective panicked on rank {} of {}; aborting the MPI job (MPI_Abort) \
             so that the other ranks do not wait for its values for ever",
            self.rank, self.size
        );
        self.world.abort(101)
    }

    /// Every rank must start from the same seed, dimension and x0: one
    /// allgather of a fingerprint, compared on every rank (so every rank
    /// returns the same result).
    fn check_start(&mut self, seed: u64, x0: ArrayView1<'_, F>) -> Result<()> {
        let mine = fingerprint(seed, x0);
        let mut all = vec![0u64; self.size];
        self.world.all_gather_into(&mine, &mut all[..]);
        self.traffic.setup_bytes += 8 * self.size;
        match all.iter().position(|&h| h != all[0]) {
            None => Ok(()),
            Some(r) => Err(Error::InvalidParameter {
                name: "seed / x0 (MPI ranks)",
                value: format!("rank {r} differs from rank 0"),
                requirement: "the same seed, dimension and x0 on every rank",
            }),
        }
    }
}

/// FNV-1a over the seed, d and the bits of x0.
fn fingerprint<F: Real>(seed: u64, x0: ArrayView1<'_, F>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |v: u64| {
        for b in v.to_le_bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    mix(seed);
    mix(x0.len() as u64);
    for v in x0.iter() {
        mix(v.as_f64().to_bits());
    }
    h
}
