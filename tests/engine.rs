//! The run engine: every driver gives the same bits, rounds are as documented,
//! `tell` errors are typed and recoverable, counts are exact, and the optimizer
//! is `Send`.

use ndarray::{Array1, ArrayView1};
use std::cell::RefCell;
use std::ops::ControlFlow;
use zoptim::estimator::{Estimate, EstimateContext, EstimateInfo};
use zoptim::prelude::*;
use zoptim::testing::ExactGradient;
use zoptim::testing::Rosenbrock;
use zoptim::{Error, Flow, Query, Report, Round, SeededDirection, StepRecord, ZoRng};

#[path = "common/runs.rs"]
mod runs;
use runs::{D, Est, Named, Rule, assert_same, bits, objective, x0};

fn estimators() -> Named<Est> {
    let mut v: Named<Est> = vec![
        ("spsa q=8", || Box::new(TwoPoint::spsa().directions(8).mu(1e-4))),
        ("forward gaussian q=3", || {
            Box::new(TwoPoint::forward(Direction::Gaussian).directions(3).mu(1e-4))
        }),
        ("central sphere q=2", || {
            Box::new(TwoPoint::central(Direction::Sphere).directions(2).mu(1e-4))
        }),
        ("mezo q=4", || Box::new(TwoPoint::mezo().directions(4).mu(1e-4))),
        ("forward seeded q=2", || {
            Box::new(
                TwoPoint::forward(Direction::Rademacher)
                    .storage(Storage::Seeded)
                    .directions(2)
                    .mu(1e-4),
            )
        }),
        ("cge central", || Box::new(Cge::central().mu(1e-4))),
        ("cge forward subset 3", || Box::new(Cge::forward().subset(3).mu(1e-4))),
        ("cge central batch 5", || Box::new(Cge::central().batch(5).mu(1e-4))),
        ("dap two-stage 4", || Box::new(Dap::two_stage(4).mu(1e-4))),
        ("dap two-stage central", || {
            Box::new(Dap::two_stage(3).difference(Difference::Central).mu(1e-4))
        }),
        ("dap previous", || Box::new(Dap::previous().directions(2).mu(1e-4))),
        ("dap exact proxy", || {
            Box::new(Dap::with_proxy(ExactGradient(Rosenbrock)).mu(1e-4))
        }),
        ("bcd 3", || Box::new(BlockCoordinate::new(3).directions(2).mu(1e-4))),
        ("bcd forward ranges", || {
            Box::new(
                BlockCoordinate::with_ranges(vec![0..1, 1..4, 4..6])
                    .difference(Difference::Forward)
                    .mu(1e-4),
            )
        }),
    ];
    v.push(("relizo", || Box::new(Relizo::with_reuse_bound(0.1))));
    v.push(("relizo orthogonal", || Box::new(Relizo::reference_defaults())));
    v.push(("directional newton", || Box::new(zoptim::auto::Curvature::new())));
    v
}

fn rules() -> Named<Rule> {
    vec![
        ("sgd", || Box::new(Sgd::new())),
        ("momentum", || Box::new(Momentum::new(0.9))),
        ("adam", || Box::new(Adam::new())),
        ("sign", || Box::new(SignSgd::new())),
        ("normalized", || Box::new(Normalized::new())),
        ("conservative", || Box::new(Conservative::new())),
        ("armijo", || Box::new(LineSearch::armijo())),
        ("reference line search", || Box::new(LineSearch::reference())),
        ("trust step", || Box::new(zoptim::auto::TrustStep::new())),
    ]
}

fn optimizer(est: Est, rule: Rule) -> Optimizer<f64, Est, Rule> {
    Optimizer::builder(est)
        .update(rule)
        .learning_rate(0.02)
        .max_evaluations(240)
        .history(true)
        .seed(11)
        .build()
        .expect("valid configuration")
}

fn ask_tell(opt: &mut Optimizer<f64, Est, Rule>, x0: &Array1<f64>) -> Report<f64> {
    let mut run = opt.start(x0).expect("start");
    while let Some(batch) = run.ask().expect("ask") {
        let values: Vec<f64> = batch.points().rows().into_iter().map(objective).collect();
        run.tell(&values).expect("tell");
    }
    run.finish()
}

#[test]
fn minimize_and_ask_tell_give_the_same_bits_for_every_estimator_and_rule() {
    let x0 = x0();
    for (en, e) in estimators() {
        for (rn, r) in rules() {
            let what = format!("{en} × {rn}");
            let mut opt = optimizer(e(), r());
            let mut calls = 0usize;
            let seq = opt
                .minimize(
                    &mut |x: ArrayView1<f64>| {
                        calls += 1;
                        objective(x)
                    },
                    &x0,
                )
                .expect("minimize");
            assert!(seq.iterations > 0, "{what}: took no step");
            assert_eq!(seq.evaluations, calls, "{what}: count equals calls");
            assert!(seq.evaluations <= 240, "{what}: budget");
            assert!(!matches!(seq.stop, StopReason::Failed(_)), "{what}: {:?}", seq.stop);
            let told = ask_tell(&mut opt, &x0);
            assert_same(&seq, &told, &format!("{what}: minimize vs ask/tell"));
        }
    }
}

#[cfg(feature = "rayon")]
#[test]
fn minimize_parallel_gives_the_same_bits_for_every_thread_count() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let x0 = x0();
    let pools: Vec<_> = [1, 2, 8]
        .iter()
        .map(|&n| rayon::ThreadPoolBuilder::new().num_threads(n).build().expect("pool"))
        .collect();
    for (en, e) in estimators() {
        for (rn, r) in rules() {
            let what = format!("{en} × {rn}");
            let mut opt = optimizer(e(), r());
            let seq = opt.minimize(&mut objective, &x0).expect("minimize");
            for (pool, n) in pools.iter().zip([1, 2, 8]) {
                let calls = AtomicUsize::new(0);
                let f = |x: ArrayView1<f64>| {
                    calls.fetch_add(1, Ordering::Relaxed);
                    objective(x)
                };
                let par = pool.install(|| opt.minimize_parallel(&f, &x0)).expect("parallel");
                assert_eq!(
                    par.evaluations,
                    calls.load(Ordering::Relaxed),
                    "{what}: count at {n} threads"
                );
                assert_same(&seq, &par, &format!("{what}: minimize vs parallel at {n} threads"));
            }
        }
    }
}

/// The sizes of the batches a run asks for, in order (the first is f(x0)).
fn batch_sizes(est: Est, rule: Rule, iterations: usize) -> Vec<usize> {
    let mut opt = Optimizer::builder(est)
        .update(rule)
        .learning_rate(0.02)
        .max_iterations(iterations)
        .seed(3)
        .build()
        .expect("valid");
    let mut run = opt.start(&x0()).expect("start");
    let mut sizes = Vec::new();
    while let Some(batch) = run.ask().expect("ask") {
        sizes.push(batch.len());
        let values: Vec<f64> = batch.points().rows().into_iter().map(objective).collect();
        run.tell(&values).expect("tell");
    }
    sizes
}

#[test]
fn each_step_makes_the_documented_rounds() {
    let sgd = || -> Rule { Box::new(Sgd::new()) };
    // f(x0) first; a central step with q = 8 is one round of 16; plain SGD
    // never learns f at the new iterate, so the final value is asked for last.
    assert_eq!(
        batch_sizes(Box::new(TwoPoint::spsa().directions(8)), sgd(), 2),
        [1, 16, 16, 1]
    );
    // Forward q = 3: f(x0) is known for the first step (3 rows), then f(x) joins
    // each round (4 rows).
    assert_eq!(
        batch_sizes(Box::new(TwoPoint::forward(Direction::Gaussian).directions(3)), sgd(), 2),
        [1, 3, 4, 1]
    );
    // MeZO's seeded mode and BCD: one round each.
    assert_eq!(
        batch_sizes(Box::new(TwoPoint::mezo().directions(4)), sgd(), 2),
        [1, 8, 8, 1]
    );
    assert_eq!(
        batch_sizes(Box::new(BlockCoordinate::new(3).directions(4)), sgd(), 2),
        [1, 8, 8, 1]
    );
    // CGE: 2d in one round, or rounds of at most `batch`.
    assert_eq!(batch_sizes(Box::new(Cge::central()), sgd(), 1), [1, 12, 1]);
    assert_eq!(
        batch_sizes(Box::new(Cge::central().batch(5)), sgd(), 1),
        [1, 5, 5, 2, 1]
    );
    // DAP two-stage: a pilot round (with f(x) when unknown), then the DAP round.
    assert_eq!(batch_sizes(Box::new(Dap::two_stage(4)), sgd(), 2), [1, 4, 4, 5, 4, 1]);
    // Conservative: f(x) and both trials in one round after the estimate; the
    // chosen value is known afterwards, so later rounds hold the 2 trials only.
    assert_eq!(
        batch_sizes(
            Box::new(TwoPoint::spsa().directions(2)),
            Box::new(Conservative::new()),
            2
        ),
        [1, 4, 2, 4, 2]
    );
    // ReLIZO: the first step draws n = min(8, d) = 6 samples in one round (f(x0) known).
    let sizes = batch_sizes(Box::new(Relizo::with_reuse_bound(0.1)), sgd(), 1);
    assert_eq!(sizes[..2], [1, 6]);
}

#[test]
fn a_line_search_asks_one_round_per_trial() {
    // On a function that is flat except near the start, every trial is
    // rejected: f(x) known from the run's start, then T = 10 trial rounds of one.
    let sizes = batch_sizes(
        Box::new(TwoPoint::spsa().mu(1e-3)),
        Box::new(LineSearch::armijo().max_trials(4)),
        1,
    );
    assert_eq!(sizes[0], 1);
    assert_eq!(sizes[1], 2, "one central difference");
    assert!(sizes[2..sizes.len() - 1].iter().all(|&n| n == 1), "{sizes:?}");
}

#[test]
fn tell_errors_are_typed_and_leave_the_run_where_it_was() {
    // An iteration limit, not a budget: the rejected values count as evaluations.
    let build = || {
        Optimizer::builder(TwoPoint::spsa().directions(2))
            .update(Adam::new())
            .learning_rate(0.02)
            .max_iterations(30)
            .history(true)
            .build()
            .expect("valid")
    };
    let want = build().minimize(&mut objective, &x0()).expect("minimize");
    let mut opt = build();
    let mut run = opt.start(&x0()).expect("start");
    let mut rejected = 0;
    let mut n = 0;
    while let Some(batch) = run.ask().expect("ask") {
        let values: Vec<f64> = batch.points().rows().into_iter().map(objective).collect();
        n += 1;
        if n == 5 {
            let len = values.len();
            // Wrong length: nothing is counted.
            let err = run.tell(&values[..len - 1]).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::DimensionMismatch {
                        expected: 4,
                        found: 3,
                        ..
                    }
                ),
                "{err:?}"
            );
            // A NaN: typed, naming the evaluation and the query; the values count.
            let before = run.evaluations();
            let mut bad = values.clone();
            bad[2] = f64::NAN;
            match run.tell(&bad).unwrap_err() {
                Error::NonFiniteObjective { evaluation, query, .. } => {
                    assert_eq!(evaluation, before + 3);
                    assert_eq!(query, Query::Plus(1));
                }
                e => panic!("{e:?}"),
            }
            assert_eq!(run.evaluations(), before + len);
            rejected += len;
        }
        run.tell(&values).expect("tell");
    }
    assert!(run.is_done());
    assert_eq!(run.tell(&[0.0]).unwrap_err(), Error::NoPendingBatch);
    let got = run.finish();
    assert_eq!(bits(&got.last_x), bits(&want.last_x));
    assert_eq!(got.history.as_ref().map(Vec::len), want.history.as_ref().map(Vec::len));
    assert_eq!(got.evaluations, want.evaluations + rejected);
}

#[test]
fn a_run_finished_early_reports_the_last_completed_step() {
    let mut opt = optimizer(Box::new(TwoPoint::spsa()), Box::new(Sgd::new()));
    let mut run = opt.start(&x0()).expect("start");
    for _ in 0..5 {
        let batch = run.ask().expect("ask").expect("a batch");
        let values: Vec<f64> = batch.points().rows().into_iter().map(objective).collect();
        run.tell(&values).expect("tell");
    }
    // Mid-step: the pending round is abandoned.
    let x_before = run.x().to_owned();
    assert!(run.ask().expect("ask").is_some());
    let report = run.finish();
    assert_eq!(report.stop, StopReason::Interrupted);
    assert_eq!(report.iterations, 4);
    assert_eq!(bits(&report.last_x), bits(&x_before));
}

/// A new estimator written against the public API only: a forward difference
/// along each coordinate in turn, one round per step.
struct Cyclic {
    next: usize,
    pending: usize,
}

impl GradientEstimator<f64> for Cyclic {
    fn name(&self) -> &'static str {
        "cyclic coordinate"
    }
    fn validate(&self) -> zoptim::Result<()> {
        Ok(())
    }
    fn prepare(&mut self, _dim: usize) -> zoptim::Result<()> {
        self.next = 0;
        Ok(())
    }
    fn max_queries(&self, _dim: usize) -> usize {
        2
    }
    fn estimate(
        &mut self,
        x: &[f64],
        ctx: &mut EstimateContext<'_, f64>,
        round: &mut Round<f64>,
        out: &mut Estimate<f64>,
    ) -> zoptim::Result<Flow<EstimateInfo<f64>>> {
        let h = 1e-6;
        let i = self.next % x.len();
        let Some(answered) = ctx.answered() else {
            if ctx.fx().is_none() {
                round.push_copy(Query::Center, x);
            }
            let p = round.push(Query::Plus(i));
            p.copy_from_slice(x);
            p[i] += h;
            self.pending = i + 1;
            return Ok(Flow::Query);
        };
        let v = answered.values();
        let (f0, fp) = match ctx.fx() {
            Some(f0) => (f0, v[0]),
            None => (v[0], v[1]),
        };
        out.dense_mut(x.len(), i..i + 1)[0] = (fp - f0) / h;
        Ok(Flow::Done(EstimateInfo::new(v.len(), Some(f0))))
    }
    fn commit(&mut self) {
        self.next = self.pending;
    }
}

#[test]
fn a_user_estimator_runs_through_every_driver() {
    let build = || {
        Optimizer::builder(Cyclic { next: 0, pending: 0 })
            .learning_rate(0.1)
            .max_evaluations(400)
            .history(true)
            .build()
            .expect("valid")
    };
    let x0 = x0();
    let mut opt = build();
    let seq = opt.minimize(&mut objective, &x0).expect("minimize");
    assert!(seq.best_f < 0.05 * objective(x0.view()), "{}", seq.best_f);
    let mut run = opt.start(&x0).expect("start");
    while let Some(batch) = run.ask().expect("ask") {
        let values: Vec<f64> = batch.points().rows().into_iter().map(objective).collect();
        run.tell(&values).expect("tell");
    }
    assert_same(&seq, &run.finish(), "user estimator: ask/tell");
    #[cfg(feature = "rayon")]
    {
        let par = opt.minimize_parallel(&objective, &x0).expect("parallel");
        assert_same(&seq, &par, "user estimator: parallel");
    }
}

#[test]
fn observers_may_borrow_local_state() {
    let mut opt = optimizer(Box::new(TwoPoint::spsa()), Box::new(Sgd::new()));
    let seen = RefCell::new(Vec::new());
    let mut values = Vec::new();
    let mut watch = |r: &StepRecord<f64>, _x: ArrayView1<f64>| {
        values.push(r.evaluations);
        seen.borrow_mut().push(r.iteration);
        ControlFlow::Continue(())
    };
    let report = opt.minimize_with(&mut objective, &x0(), &mut watch).expect("minimize");
    assert_eq!(values.len(), report.iterations);
    assert_eq!(seen.into_inner(), (0..report.iterations).collect::<Vec<_>>());
}

#[test]
fn optimizers_and_components_are_send() {
    fn send<T: Send>() {}
    send::<Optimizer<f64, TwoPoint<f64>, Sgd>>();
    send::<Optimizer<f32, TwoPoint<f32>, Momentum<f32>>>();
    send::<Optimizer<f64, Cge<f64>, Adam<f64>>>();
    send::<Optimizer<f64, Dap<f64>, SignSgd>>();
    send::<Optimizer<f64, BlockCoordinate<f64>, Normalized>>();
    send::<Optimizer<f64, Relizo<f64>, LineSearch<f64>>>();
    send::<Optimizer<f64, Est, Conservative>>();
    send::<Optimizer<f64, Est, Rule>>();
    // A whole run can move to a worker thread.
    let mut opt = optimizer(Box::new(TwoPoint::spsa()), Box::new(Sgd::new()));
    let report = std::thread::spawn(move || opt.minimize(&mut objective, &x0()).expect("minimize"))
        .join()
        .expect("worker");
    assert!(report.best_f < objective(x0().view()));
}

#[test]
fn a_worker_regenerates_seeded_points_from_x_and_the_row_description() {
    for est in [
        Box::new(TwoPoint::mezo().directions(3).mu(1e-2)) as Est,
        Box::new(
            TwoPoint::forward(Direction::Gaussian)
                .storage(Storage::Seeded)
                .directions(2),
        ),
        Box::new(BlockCoordinate::new(3).directions(2).mu(1e-2)),
    ] {
        let mut opt = Optimizer::builder(est)
            .learning_rate(0.05)
            .max_iterations(5)
            .build()
            .expect("valid");
        let mut run = opt.start(&x0()).expect("start");
        let mut seeded_batches = 0;
        loop {
            let x = run.x().to_owned();
            let Some(batch) = run.ask().expect("ask") else {
                break;
            };
            if !batch.seeded().is_empty() {
                seeded_batches += 1;
                assert_eq!(batch.seeded().len(), batch.len());
                let mut out = vec![0.0; D];
                let mut scratch = Vec::new();
                for (i, row) in batch.points().rows().into_iter().enumerate() {
                    assert!(
                        batch
                            .round()
                            .write_point(i, x.as_slice().unwrap(), &mut out, &mut scratch)
                    );
                    let want: Vec<u64> = row.iter().map(|v| v.to_bits()).collect();
                    let got: Vec<u64> = out.iter().map(|v| v.to_bits()).collect();
                    assert_eq!(got, want, "row {i} ({:?})", batch.query(i));
                }
            }
            let values: Vec<f64> = batch.points().rows().into_iter().map(objective).collect();
            run.tell(&values).expect("tell");
        }
        assert_eq!(seeded_batches, 5);
    }
}

#[test]
fn compact_batches_regenerated_by_workers_give_the_same_run() {
    for (name, make) in estimators() {
        let mut opt = optimizer(make(), Box::new(Momentum::new(0.5)));
        let want = opt.minimize(&mut objective, &x0()).expect("minimize");
        let mut run = opt.start(&x0()).expect("start");
        let mut out = vec![0.0; D];
        let mut scratch = Vec::new();
        loop {
            let x = run.x().to_owned();
            let Some(batch) = run.ask_compact().expect("ask") else {
                break;
            };
            let values: Vec<f64> = if batch.seeded().is_empty() {
                batch.points().rows().into_iter().map(objective).collect()
            } else {
                // A worker holding x regenerates each point from its row description.
                assert_eq!(batch.points().nrows(), 0);
                (0..batch.len())
                    .map(|i| {
                        assert!(
                            batch
                                .round()
                                .write_point(i, x.as_slice().unwrap(), &mut out, &mut scratch)
                        );
                        objective(ArrayView1::from(&out[..]))
                    })
                    .collect()
            };
            run.tell(&values).expect("tell");
        }
        assert_same(&want, &run.finish(), &format!("{name}: compact ask/tell"));
    }
}

/// The point-by-point replay of one memory-light central step with q = 1, from
/// the optimizer's seed: x after the walk (x + μu, then x − μu, in place), the
/// coefficient c = (f₊ − f₋)/(2μ), and the direction.
fn walked_mezo_step(seed: u64, mu: f32, x0: &[f32], f: &dyn Fn(&[f32]) -> f32) -> (Vec<f32>, f32, SeededDirection) {
    let u = SeededDirection::draw(Direction::Gaussian, &mut ZoRng::seed_from_u64(seed), x0.len());
    let mut y = x0.to_vec();
    u.axpy(mu, &mut y);
    let plus = f(&y);
    u.axpy(-mu - mu, &mut y);
    let minus = f(&y);
    (y, (plus - minus) / ((mu + mu) * 1.0), u)
}

/// A memory-light SGD step folds the walk's move back (+μu) into the update
/// (−η·c·u): x ← x + fl(μ − η·c)·u in one pass, so u is regenerated three times,
/// not four. The bits are those of that formula, which differ from the move
/// back followed by the update (checked, so the test tells the two apart).
#[test]
fn a_memory_light_sgd_step_folds_the_move_back_into_the_update() {
    let f = |x: &[f32]| x.iter().map(|v| (v - 0.3) * (v - 0.3)).sum::<f32>();
    let (seed, mu, lr, d) = (11, 1e-2_f32, 0.05_f32, 4096);
    let x0: Vec<f32> = (0..d).map(|i| (i as f32 * 0.37).sin()).collect();
    let (walked, c, u) = walked_mezo_step(seed, mu, &x0, &f);
    let mut folded = walked.clone();
    u.axpy((-lr) * c - (-mu), &mut folded);
    let mut unfolded = walked.clone();
    u.axpy(mu, &mut unfolded);
    u.axpy((-lr) * c, &mut unfolded);
    assert_ne!(
        folded, unfolded,
        "the two roundings should differ somewhere in 4096 coordinates"
    );

    let obj = |x: ArrayView1<f32>| f(x.as_slice().unwrap());
    let build = |rule: Sgd| {
        Optimizer::builder(TwoPoint::<f32>::mezo().mu(f64::from(mu)))
            .update(rule)
            .learning_rate(f64::from(lr))
            .seed(seed)
            .build()
            .unwrap()
    };
    let mut x = Array1::from(x0.clone());
    build(Sgd::new()).step(&mut x, &mut obj.clone()).unwrap();
    assert_eq!(bits32(x.as_slice().unwrap()), bits32(&folded));

    // Weight decay needs x at the iterate: the move back, then the update.
    let lambda = 0.5_f32;
    let mut x = Array1::from(x0.clone());
    build(Sgd::new().weight_decay(f64::from(lambda)))
        .step(&mut x, &mut obj.clone())
        .unwrap();
    let mut want = walked.clone();
    u.axpy(mu, &mut want);
    let shrink = 1.0 - lr * lambda;
    want.iter_mut().for_each(|v| *v *= shrink);
    u.axpy((-lr) * c, &mut want);
    assert_eq!(bits32(x.as_slice().unwrap()), bits32(&want));
}

/// With q = 2 directions the walk visits x ± μu₁, moves back, then x ± μu₂; the
/// update folds the last move back into u₂'s term and then adds u₁'s:
/// x ← x + fl(μ − η·c₂)·u₂, then x ← x + fl(−η·c₁)·u₁.
#[test]
fn with_two_directions_the_last_ones_move_back_is_folded() {
    let f = |x: &[f32]| x.iter().map(|v| (v + 0.2) * (v + 0.2)).sum::<f32>();
    let (seed, mu, lr, d) = (3, 1e-2_f32, 0.02_f32, 2048);
    let x0: Vec<f32> = (0..d).map(|i| (i as f32 * 0.11).cos()).collect();
    let mut rng = ZoRng::seed_from_u64(seed);
    let u1 = SeededDirection::draw(Direction::Gaussian, &mut rng, d);
    let u2 = SeededDirection::draw(Direction::Gaussian, &mut rng, d);
    let mut y = x0.clone();
    let mut values = Vec::new();
    for u in [u1, u2] {
        u.axpy(mu, &mut y);
        values.push(f(&y));
        u.axpy(-mu - mu, &mut y);
        values.push(f(&y));
        if u == u1 {
            u.axpy(mu, &mut y);
        }
    }
    let c = |j: usize| (values[2 * j] - values[2 * j + 1]) / ((mu + mu) * 2.0);
    u2.axpy((-lr) * c(1) - (-mu), &mut y);
    u1.axpy((-lr) * c(0), &mut y);

    let mut opt = Optimizer::builder(TwoPoint::<f32>::mezo().directions(2).mu(f64::from(mu)))
        .learning_rate(f64::from(lr))
        .seed(seed)
        .build()
        .unwrap();
    let mut x = Array1::from(x0);
    opt.step(&mut x, &mut |v: ArrayView1<f32>| f(v.as_slice().unwrap()))
        .unwrap();
    assert_eq!(bits32(x.as_slice().unwrap()), bits32(&y));
}

fn bits32(x: &[f32]) -> Vec<u32> {
    x.iter().map(|v| v.to_bits()).collect()
}

/// Rules other than the crate's SGD never see x displaced: a user rule is
/// handed x after the walk's move back, in every driver.
#[test]
fn a_user_rule_sees_x_at_the_iterate_after_a_memory_light_round() {
    struct Record(std::sync::Arc<std::sync::Mutex<Vec<Vec<u32>>>>);
    impl UpdateRule<f32> for Record {
        fn name(&self) -> &'static str {
            "record"
        }
        fn update(
            &mut self,
            x: &mut [f32],
            _: &mut Estimate<f32>,
            _: &mut zoptim::update::UpdateContext<'_, f32>,
            _: &mut Round<f32>,
        ) -> zoptim::Result<Flow<zoptim::update::UpdateInfo<f32>>> {
            self.0.lock().unwrap().push(bits32(x));
            Ok(Flow::Done(zoptim::update::UpdateInfo::none()))
        }
    }
    let f = |x: &[f32]| x.iter().map(|v| v * v).sum::<f32>();
    let (seed, mu, d) = (5, 1e-2_f32, 300);
    let x0: Vec<f32> = (0..d).map(|i| 1.0 + i as f32 * 1e-3).collect();
    let (walked, _, u) = walked_mezo_step(seed, mu, &x0, &f);
    let mut iterate = walked;
    u.axpy(mu, &mut iterate);
    let obj = |x: ArrayView1<f32>| f(x.as_slice().unwrap());
    for driver in ["step", "ask/tell", "ask_compact"] {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut opt = Optimizer::builder(TwoPoint::<f32>::mezo().mu(f64::from(mu)))
            .update(Record(seen.clone()))
            .seed(seed)
            .max_iterations(1)
            .build()
            .unwrap();
        let mut x = Array1::from(x0.clone());
        match driver {
            "step" => {
                opt.step(&mut x, &mut obj.clone()).unwrap();
            }
            _ => {
                let mut run = opt.start(&x).unwrap();
                run.tell(&[f(&x0)]).unwrap();
                if driver == "ask/tell" {
                    let batch = run.ask().unwrap().unwrap();
                    let v: Vec<f32> = batch
                        .points()
                        .rows()
                        .into_iter()
                        .map(|r| f(r.as_slice().unwrap()))
                        .collect();
                    run.tell(&v).unwrap();
                } else {
                    let batch = run.ask_compact().unwrap().unwrap();
                    let (mut p, mut s) = (vec![0.0; d], Vec::new());
                    let v: Vec<f32> = (0..batch.len())
                        .map(|i| {
                            assert!(batch.round().write_point(i, &x0, &mut p, &mut s));
                            f(&p)
                        })
                        .collect();
                    run.tell(&v).unwrap();
                }
            }
        }
        assert_eq!(seen.lock().unwrap()[0], bits32(&iterate), "{driver}");
    }
}
