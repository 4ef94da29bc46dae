//! The MPI driver's checks, run under `mpirun` by `.ci/mpi-tests.sh`:
//!
//! - every estimator/rule pair gives a report bit-identical to a single-process
//!   `minimize` (each rank computes the reference itself; every rank's report
//!   must also agree with every other rank's);
//! - `minimize_stochastic` draws the same minibatches on every rank and matches
//!   the single-process run;
//! - the bytes gathered are exactly (values told) × `size_of::<F>()`, the same
//!   at d = 10 and d = 10⁶, for f64 and f32;
//! - a NaN on rank 1 (or f(x0) = NaN on rank 0) gives the same error or stop
//!   reason on every rank, without a hang;
//! - ranks that start from different x0 all return the same error.
//!
//! `mpirun -np 4 --oversubscribe target/release/examples/mpi_check`
//! (add `--allow-run-as-root` as root). Prints `N passed, N failed` on rank 0
//! and exits non-zero on any failure on any rank.

use mpi::traits::{Communicator, CommunicatorCollectives};
use ndarray::{Array1, ArrayView1};
use zoptim::prelude::*;
use zoptim::stochastic::BatchIndices;
use zoptim::{Error, Report, StopReason, ZoRng};

type Est = Box<dyn GradientEstimator<f64> + Send>;
type Rule = Box<dyn UpdateRule<f64> + Send>;
type Named<T> = Vec<(&'static str, fn() -> T)>;

const D: usize = 10;

/// A smooth, non-separable objective with its minimum away from 0.
fn objective(x: ArrayView1<f64>) -> f64 {
    let mut s = 0.0;
    for (i, v) in x.iter().enumerate() {
        let t = v - 0.3;
        s += (i + 1) as f64 * t * t + 0.1 * t.powi(4);
    }
    s + 0.05 * x[0] * x[x.len() - 1]
}

fn estimators() -> Named<Est> {
    vec![
        ("spsa q=8", || Box::new(TwoPoint::spsa().directions(8).mu(1e-4))),
        ("mezo seeded q=4", || Box::new(TwoPoint::mezo().directions(4).mu(1e-4))),
        ("forward seeded q=3", || {
            Box::new(
                TwoPoint::forward(Direction::Rademacher)
                    .storage(Storage::Seeded)
                    .directions(3)
                    .mu(1e-4),
            )
        }),
        ("relizo readme", || Box::new(Relizo::with_reuse_bound(0.1))),
        ("relizo reference", || Box::new(Relizo::reference_defaults())),
        ("bcd 3 blocks", || {
            Box::new(BlockCoordinate::new(3).directions(2).mu(1e-4))
        }),
        ("dap two-stage 4", || Box::new(Dap::two_stage(4).mu(1e-4))),
    ]
}

fn rules() -> Named<Rule> {
    vec![
        ("sgd", || Box::new(Sgd::new())),
        ("momentum", || Box::new(Momentum::new(0.5))),
        ("armijo", || Box::new(LineSearch::armijo())),
    ]
}

fn optimizer(est: Est, rule: Rule, budget: usize) -> Optimizer<f64, Est, Rule> {
    Optimizer::builder(est)
        .update(rule)
        .learning_rate(0.02)
        .max_evaluations(budget)
        .history(true)
        .seed(11)
        .build()
        .expect("valid configuration")
}

fn x0(d: usize) -> Array1<f64> {
    Array1::from_iter((0..d).map(|i| 0.5 - 0.15 * (i % 10) as f64))
}

/// FNV-1a of a report's bits (x, values, counts, stop reason, history).
fn digest<F: zoptim::Real>(r: &Report<F>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for v in r.best_x.iter().chain(r.last_x.iter()) {
        mix(&v.as_f64().to_bits().to_le_bytes());
    }
    mix(&r.best_f.as_f64().to_bits().to_le_bytes());
    mix(&r.last_f.map(|v| v.as_f64().to_bits()).unwrap_or(1).to_le_bytes());
    mix(&r.evaluations.to_le_bytes());
    mix(&r.iterations.to_le_bytes());
    mix(format!("{:?}", r.stop).as_bytes());
    mix(format!("{:?}", r.history).as_bytes());
    h
}

fn digest_result<F: zoptim::Real>(r: &zoptim::Result<Report<F>>) -> u64 {
    match r {
        Ok(r) => digest(r),
        Err(e) => {
            let mut h: u64 = 0x1234_5678;
            for b in format!("{e:?}").bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
            }
            h
        }
    }
}

struct Checks<'w, C> {
    world: &'w C,
    rank: i32,
    passed: usize,
    failed: usize,
}

impl<C: Communicator> Checks<'_, C> {
    /// Records a check that must hold on this rank *and* whose `digest` must be
    /// the same on every rank (a collective: every rank calls it in the same order).
    fn check(&mut self, name: &str, ok: bool, digest: u64) {
        let mine = [u64::from(ok), digest];
        let mut all = vec![0u64; 2 * self.world.size() as usize];
        self.world.all_gather_into(&mine[..], &mut all[..]);
        let all_ok = all.chunks(2).all(|c| c[0] == 1);
        let agree = all.chunks(2).all(|c| c[1] == all[1]);
        if all_ok && agree {
            self.passed += 1;
            if self.rank == 0 {
                println!("ok   {name}");
            }
        } else {
            self.failed += 1;
            if self.rank == 0 {
                println!("FAIL {name} (holds on every rank: {all_ok}, ranks agree: {agree})");
            }
        }
    }
}

struct Sampled {
    data: Vec<f64>,
    idx: BatchIndices,
}

impl Objective<f64> for Sampled {
    fn eval(&mut self, x: ArrayView1<f64>) -> f64 {
        let b = self.idx.current();
        b.iter()
            .map(|&i| {
                let a = self.data[i];
                x.iter().map(|v| (v - a).powi(2)).sum::<f64>()
            })
            .sum::<f64>()
            / b.len() as f64
    }
}

impl StochasticObjective<f64> for Sampled {
    fn resample(&mut self, rng: &mut ZoRng) {
        self.idx.draw(rng);
    }
}

fn sampled() -> Sampled {
    Sampled {
        data: (0..50).map(|i| i as f64 / 50.0).collect(),
        idx: BatchIndices::new(50, 5).expect("valid batch"),
    }
}

fn main() {
    let universe = mpi::initialize().expect("MPI initialised once");
    let world = universe.world();
    let rank = world.rank();
    let size = world.size();
    let mut checks = Checks {
        world: &world,
        rank,
        passed: 0,
        failed: 0,
    };
    // `--panic-on-rank R`: rank R's objective panics mid-run (uncaught). The
    // script checks that mpirun then ends the whole job with a non-zero status
    // instead of hanging.
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--panic-on-rank") {
        let victim: i32 = args.get(i + 1).and_then(|v| v.parse().ok()).unwrap_or(1);
        let mut calls = 0usize;
        let mut f = |x: ArrayView1<f64>| {
            calls += 1;
            assert!(!(rank == victim && calls > 20), "objective panics on rank {rank}");
            objective(x)
        };
        let mut opt = optimizer(estimators()[0].1(), Box::new(Sgd::new()), 100_000);
        let got = zoptim::mpi::minimize(&world, &mut opt, &mut f, &x0(D));
        println!(
            "rank {rank}: not reached when rank {victim} panics: {:?}",
            got.map(|r| r.stop)
        );
        return;
    }
    if rank == 0 {
        println!("== zoptim MPI checks on {size} rank(s)");
    }

    // 1. Bit-identical to the single-process run, for every estimator and rule.
    for (ename, est) in estimators() {
        for (rname, rule) in rules() {
            let want = optimizer(est(), rule(), 240).minimize(&mut objective, &x0(D));
            let mut opt = optimizer(est(), rule(), 240);
            let got = zoptim::mpi::minimize_with_stats(&world, &mut opt, &mut objective, &x0(D));
            let (same, traffic_ok, dg) = match (&want, &got) {
                (Ok(w), Ok((g, t))) => (
                    digest(w) == digest(g),
                    t.values == g.evaluations && t.bytes == 8 * g.evaluations,
                    digest(g),
                ),
                _ => (false, false, 0),
            };
            checks.check(
                &format!("{ename} + {rname}: report bit-identical to minimize"),
                same,
                dg,
            );
            checks.check(&format!("{ename} + {rname}: bytes = evaluations x 8"), traffic_ok, dg);
        }
    }

    // 2. Stochastic: the same minibatches on every rank.
    for (ename, est) in [estimators()[0], estimators()[1]] {
        let build = || {
            Optimizer::builder(est())
                .learning_rate(0.01)
                .max_iterations(30)
                .history(true)
                .seed(5)
                .build()
                .expect("valid configuration")
        };
        let want = build().minimize_stochastic(&mut sampled(), &x0(D));
        let got = zoptim::mpi::minimize_stochastic(&world, &mut build(), &mut sampled(), &x0(D));
        let ok = matches!((&want, &got), (Ok(w), Ok((g, _))) if digest(w) == digest(g));
        let dg = got.as_ref().map_or(0, |(g, _)| digest(g));
        checks.check(
            &format!("stochastic {ename}: bit-identical to minimize_stochastic"),
            ok,
            dg,
        );
    }

    // 2b. A checkpoint taken by a single-process ask/tell run (mid-step and
    // between steps) resumes under MPI with the uninterrupted run's bits.
    for (ename, est) in estimators() {
        for tells in [3usize, 8] {
            let want = optimizer(est(), Box::new(Adam::new()), 240).minimize(&mut objective, &x0(D));
            let mut first = optimizer(est(), Box::new(Adam::new()), 240);
            let mut run = first.start(&x0(D)).expect("start");
            for _ in 0..tells {
                let Some(batch) = run.ask().expect("ask") else { break };
                let v: Vec<f64> = batch.points().rows().into_iter().map(objective).collect();
                run.tell(&v).expect("tell");
            }
            let checkpoint = run.checkpoint().expect("checkpoint");
            drop(run);
            let mut opt = optimizer(est(), Box::new(Adam::new()), 240);
            let got = opt
                .resume(checkpoint)
                .and_then(|run| zoptim::mpi::resume(&world, run, &mut objective));
            let ok = matches!((&want, &got), (Ok(w), Ok((g, _))) if digest(w) == digest(g));
            let dg = got.as_ref().map_or(0, |(g, _)| digest(g));
            checks.check(
                &format!("{ename} + adam: resumed after {tells} tells, bit-identical to minimize"),
                ok,
                dg,
            );
        }
    }

    // 3. Bytes per step do not depend on d: 10 and 10⁶, seeded and materialised.
    let mut per_step = Vec::new();
    for (ename, est) in [estimators()[0], estimators()[1], estimators()[5]] {
        for d in [10usize, 1_000_000] {
            let mut opt = Optimizer::builder(est())
                .learning_rate(1e-3)
                .max_iterations(3)
                .history(true)
                .seed(3)
                .build()
                .expect("valid configuration");
            let mut f = |x: ArrayView1<f64>| x.dot(&x);
            let got = zoptim::mpi::minimize_with_stats(&world, &mut opt, &mut f, &x0(d));
            let (ok, bytes) = match &got {
                Ok((r, t)) => {
                    let queries: usize = r.history.as_ref().map_or(0, |h| h.iter().map(|s| s.queries).sum());
                    // f(x0), the steps' queries, f at the last iterate when unknown.
                    let fin = r.evaluations.saturating_sub(1 + queries);
                    (
                        r.evaluations == 1 + queries + fin
                            && t.bytes == 8 * r.evaluations
                            && fin <= 1
                            && t.setup_bytes == 8 * size as usize,
                        (t.bytes, queries),
                    )
                }
                Err(_) => (false, (0, 0)),
            };
            if rank == 0 {
                println!(
                    "     {ename}, d = {d}: {} bytes gathered for {} queries in 3 steps (+ f(x0), final)",
                    bytes.0, bytes.1
                );
            }
            per_step.push((ename, d, bytes));
            checks.check(
                &format!("{ename}, d = {d}: bytes = (queries + start + final) x 8"),
                ok,
                bytes.0 as u64,
            );
        }
    }
    for pair in per_step.chunks(2) {
        checks.check(
            &format!("{}: bytes at d = 10 equal bytes at d = 10^6", pair[0].0),
            pair[0].2 == pair[1].2,
            0,
        );
    }
    {
        let mut opt = Optimizer::<f32, _, _>::builder(TwoPoint::spsa().directions(8).mu(1e-2))
            .learning_rate(0.01)
            .max_evaluations(100)
            .seed(1)
            .build()
            .expect("valid configuration");
        let mut f = |x: ArrayView1<f32>| x.dot(&x);
        let x = Array1::from_elem(10, 1.0f32);
        let want = Optimizer::<f32, _, _>::builder(TwoPoint::spsa().directions(8).mu(1e-2))
            .learning_rate(0.01)
            .max_evaluations(100)
            .seed(1)
            .build()
            .expect("valid configuration")
            .minimize(&mut f, &x);
        let got = zoptim::mpi::minimize_with_stats(&world, &mut opt, &mut f, &x);
        let ok = matches!((&want, &got), (Ok(w), Ok((g, t)))
            if digest(w) == digest(g) && t.bytes == 4 * g.evaluations);
        checks.check("f32 spsa: bit-identical, bytes = evaluations x 4", ok, 0);
    }

    // 4. A NaN on one rank: the same outcome everywhere, no hang.
    let bad = 1.min(size - 1);
    for (ename, est) in [estimators()[0], estimators()[1], estimators()[3], estimators()[5]] {
        let mut calls = 0usize;
        let mut f = |x: ArrayView1<f64>| {
            calls += 1;
            if rank == bad && calls > 40 {
                f64::NAN
            } else {
                objective(x)
            }
        };
        let mut opt = optimizer(est(), Box::new(Sgd::new()), 400);
        let got = zoptim::mpi::minimize(&world, &mut opt, &mut f, &x0(D));
        let failed = matches!(&got, Ok(r) if matches!(r.stop, StopReason::Failed(Error::NonFiniteObjective { .. })));
        if rank == 0
            && let Ok(r) = &got
        {
            println!(
                "     {ename}: NaN on rank {bad} -> {:?} after {} evaluations",
                r.stop, r.evaluations
            );
        }
        checks.check(
            &format!("{ename}: NaN on rank {bad} gives the same stop reason on every rank"),
            failed,
            digest_result(&got),
        );
    }
    {
        let mut f = |x: ArrayView1<f64>| if rank == 0 { f64::NAN } else { objective(x) };
        let mut opt = optimizer(estimators()[0].1(), Box::new(Sgd::new()), 240);
        let got = zoptim::mpi::minimize(&world, &mut opt, &mut f, &x0(D));
        let ok = matches!(&got, Err(Error::NonFiniteObjective { evaluation: 1, .. }));
        if rank == 0 && !ok {
            println!("     f(x0) = NaN on rank 0 gave {:?}", got.as_ref().map(|r| &r.stop));
        }
        checks.check(
            "f(x0) = NaN on rank 0: the same NonFiniteObjective error on every rank",
            ok,
            digest_result(&got),
        );
    }

    // 5. Ranks that disagree on x0 all refuse to start.
    if size > 1 {
        let mut x = x0(D);
        if rank == size - 1 {
            x[3] += 1e-9;
        }
        let mut opt = optimizer(estimators()[0].1(), Box::new(Sgd::new()), 240);
        let got = zoptim::mpi::minimize(&world, &mut opt, &mut objective, &x);
        let ok = matches!(&got, Err(Error::InvalidParameter { .. }));
        checks.check(
            "different x0 on one rank: the same error on every rank",
            ok,
            digest_result(&got),
        );
    }

    let (passed, failed) = (checks.passed, checks.failed);
    if rank == 0 {
        println!("mpi-np{size}: {passed} passed, {failed} failed");
    }
    if failed > 0 {
        drop(universe);
        std::process::exit(1);
    }
}
