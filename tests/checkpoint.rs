//! Checkpoint and resume: a resumed run reproduces the uninterrupted one bit for
//! bit — for every estimator, stateful rule and schedule, at step boundaries and
//! between `ask` and `tell`, through JSON, across drivers and across a killed
//! process — and bad checkpoints give their named errors.
#![cfg(feature = "serde")]

use ndarray::{Array1, ArrayView1};
use std::path::PathBuf;
use std::time::Duration;
use zoptim::prelude::*;
use zoptim::testing::{ExactGradient, Rosenbrock};
use zoptim::{Checkpoint, Error, Report};

#[path = "common/runs.rs"]
mod runs;
use runs::{D, Est, Named, Rule, assert_same, objective, x0};

fn estimators() -> Named<Est> {
    vec![
        ("spsa q=3", || Box::new(TwoPoint::spsa().directions(3).mu(1e-4))),
        ("forward gaussian q=2", || {
            Box::new(TwoPoint::forward(Direction::Gaussian).directions(2).mu(1e-4))
        }),
        ("mezo q=2", || Box::new(TwoPoint::mezo().directions(2).mu(1e-4))),
        ("cge central", || Box::new(Cge::central().mu(1e-4))),
        ("cge forward subset 3", || Box::new(Cge::forward().subset(3).mu(1e-4))),
        ("dap two-stage", || Box::new(Dap::two_stage(3).mu(1e-4))),
        ("dap previous", || Box::new(Dap::previous().directions(2).mu(1e-4))),
        ("dap exact proxy", || {
            Box::new(Dap::with_proxy(ExactGradient(Rosenbrock)).mu(1e-4))
        }),
        ("bcd 3 permutation", || {
            Box::new(BlockCoordinate::new(3).directions(2).mu(1e-4))
        }),
        ("relizo", || Box::new(Relizo::with_reuse_bound(0.1))),
        ("relizo orthogonal", || Box::new(Relizo::reference_defaults())),
        ("bcd forward ranges", || {
            Box::new(
                BlockCoordinate::with_ranges(vec![0..1, 1..4, 4..6])
                    .difference(Difference::Forward)
                    .mu(1e-4),
            )
        }),
    ]
}

fn rules() -> Named<Rule> {
    vec![
        ("sgd", || Box::new(Sgd::new())),
        ("momentum", || Box::new(Momentum::new(0.9))),
        ("adam", || Box::new(Adam::new())),
        ("armijo", || Box::new(LineSearch::armijo())),
    ]
}

fn optimizer(est: Est, rule: Rule, decaying: bool) -> Optimizer<f64, Est, Rule> {
    let b = Optimizer::builder(est).update(rule);
    let b = if decaying {
        b.learning_rate(StepDecay::new(0.03, 0.5, 7))
    } else {
        b.learning_rate(0.02)
    };
    b.max_evaluations(160)
        .history(true)
        .seed(11)
        .build()
        .expect("valid configuration")
}

fn values(batch: &zoptim::Batch<'_, f64>) -> Vec<f64> {
    batch.points().rows().into_iter().map(objective).collect()
}

/// Ask/tell until `tells` batches are told (or the run ends); then, when
/// `ask_first`, ask once more without telling. Returns the checkpoint and the
/// values of that last, untold batch.
fn run_until(
    opt: &mut Optimizer<f64, Est, Rule>,
    tells: usize,
    ask_first: bool,
) -> (Checkpoint<f64>, Option<Vec<f64>>) {
    let mut run = opt.start(&x0()).expect("start");
    for _ in 0..tells {
        let Some(batch) = run.ask().expect("ask") else { break };
        let v = values(&batch);
        run.tell(&v).expect("tell");
    }
    let pending = if ask_first {
        run.ask().expect("ask").map(|b| values(&b))
    } else {
        None
    };
    let c = run.checkpoint().expect("checkpoint");
    // The run goes on unchanged after a checkpoint: tell the pending batch.
    if let Some(v) = &pending {
        run.tell(v).expect("tell after checkpoint");
    }
    (c, pending)
}

fn finish_ask_tell(mut run: zoptim::Run<'_, f64, Est, Rule>, pending: Option<Vec<f64>>) -> Report<f64> {
    if let Some(v) = pending {
        let again = values(&run.ask().expect("ask").expect("the resumed run asks the same batch"));
        assert_eq!(
            again.iter().map(|t| t.to_bits()).collect::<Vec<_>>(),
            v.iter().map(|t| t.to_bits()).collect::<Vec<_>>(),
            "the resumed run asks for the same points"
        );
        run.tell(&v).expect("tell");
    }
    while let Some(batch) = run.ask().expect("ask") {
        let v = values(&batch);
        run.tell(&v).expect("tell");
    }
    run.finish()
}

#[test]
fn resuming_reproduces_the_uninterrupted_run_for_every_estimator_rule_and_schedule() {
    let mut cases = 0;
    for (en, est) in estimators() {
        for (rn, rule) in rules() {
            for decaying in [false, true] {
                let whole = optimizer(est(), rule(), decaying)
                    .minimize(&mut |x: ArrayView1<f64>| objective(x), &x0())
                    .expect("minimize");
                assert!(whole.iterations > 8, "{en} + {rn}: a run long enough to resume");
                for (tells, ask_first) in [(0, false), (1, false), (1, true), (4, true), (9, false), (9, true)] {
                    let what = format!("{en} + {rn} (decaying {decaying}), {tells} tells, ask first {ask_first}");
                    let mut first = optimizer(est(), rule(), decaying);
                    let (c, pending) = run_until(&mut first, tells, ask_first);
                    let json = c.to_json().expect("to json");
                    let back = Checkpoint::<f64>::from_json(&json).expect("from json");
                    assert_eq!(back, c, "{what}: JSON round trip");
                    let mut fresh = optimizer(est(), rule(), decaying);
                    let run = fresh.resume(back).expect("resume");
                    assert_same(&finish_ask_tell(run, pending), &whole, &what);
                    cases += 1;
                }
            }
        }
    }
    assert_eq!(cases, 12 * 4 * 2 * 6);
}

#[test]
fn a_mid_step_checkpoint_of_a_line_search_replays_the_walked_estimate() {
    // MeZO walks x in place; its step continues with line-search trials, so a
    // checkpoint between trials must rebuild the step from the told values.
    let make = || {
        optimizer(
            Box::new(TwoPoint::mezo().directions(3).mu(1e-4)),
            Box::new(LineSearch::armijo()),
            false,
        )
    };
    let whole = make()
        .minimize(&mut |x: ArrayView1<f64>| objective(x), &x0())
        .expect("minimize");
    let mut mid_step = 0;
    for tells in 1..12 {
        let mut first = make();
        let (c, pending) = run_until(&mut first, tells, true);
        mid_step += usize::from(c.is_mid_step());
        let mut fresh = make();
        let run = fresh
            .resume(Checkpoint::from_json(&c.to_json().unwrap()).unwrap())
            .unwrap();
        assert_same(&finish_ask_tell(run, pending), &whole, &format!("{tells} tells"));
    }
    assert!(mid_step >= 11, "every checkpoint here is mid-step");
}

#[test]
fn resuming_under_minimize_equals_the_uninterrupted_minimize() {
    for (en, est) in estimators() {
        let whole = optimizer(est(), Box::new(Adam::new()), true)
            .minimize(&mut |x: ArrayView1<f64>| objective(x), &x0())
            .expect("minimize");
        let mut first = optimizer(est(), Box::new(Adam::new()), true);
        let (c, _) = run_until(&mut first, 6, false);
        let mut fresh = optimizer(est(), Box::new(Adam::new()), true);
        let resumed = fresh
            .resume(c)
            .unwrap()
            .minimize(&mut |x: ArrayView1<f64>| objective(x))
            .unwrap();
        assert_same(&resumed, &whole, en);
    }
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("zoptim-test-{}-{name}.json", std::process::id()))
}

#[test]
fn a_checkpoint_written_under_minimize_parallel_resumes_under_minimize() {
    let path = temp_path("parallel");
    let make = |iterations: usize| {
        Optimizer::builder(TwoPoint::spsa().directions(4).mu(1e-4))
            .update(Momentum::new(0.8))
            .learning_rate(0.02)
            .max_iterations(iterations)
            .history(true)
            .seed(5)
            .checkpoint_every(7, &path)
            .build()
            .unwrap()
    };
    let whole = make(40)
        .minimize(&mut |x: ArrayView1<f64>| objective(x), &x0())
        .unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    pool.install(|| {
        make(25)
            .minimize_parallel(&|x: ArrayView1<f64>| objective(x), &x0())
            .unwrap()
    });
    let c = Checkpoint::<f64>::read(&path).unwrap();
    assert_eq!(c.iteration(), 21, "the last multiple of 7 before 25");
    let resumed = make(40)
        .resume_from(&path)
        .unwrap()
        .minimize(&mut |x: ArrayView1<f64>| objective(x));
    std::fs::remove_file(&path).ok();
    assert_same(&resumed.unwrap(), &whole, "parallel then sequential");
}

/// The child side of the process test: a long run writing checkpoints, slowed
/// down so that the parent can kill it mid-run.
fn child_optimizer(path: &std::path::Path) -> Optimizer<f64, TwoPoint<f64>, Adam<f64>> {
    Optimizer::builder(TwoPoint::central(Direction::Gaussian).directions(2).mu(1e-4))
        .update(Adam::new())
        .learning_rate(StepDecay::new(0.05, 0.7, 40))
        .max_iterations(400)
        .history(true)
        .seed(42)
        .checkpoint_every(5, path)
        .build()
        .unwrap()
}

#[test]
fn a_killed_process_resumes_in_a_fresh_one() {
    if let Ok(path) = std::env::var("ZOPTIM_CHECKPOINT_CHILD") {
        let mut slow = |x: ArrayView1<f64>| {
            std::thread::sleep(Duration::from_millis(5));
            objective(x)
        };
        let _ = child_optimizer(std::path::Path::new(&path)).minimize(&mut slow, &x0());
        return;
    }
    let path = temp_path("child");
    std::fs::remove_file(&path).ok();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "a_killed_process_resumes_in_a_fresh_one", "--test-threads=1"])
        .env("ZOPTIM_CHECKPOINT_CHILD", &path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for a checkpoint past the first one, then kill the child mid-run.
    let mut waited = 0;
    let c = loop {
        std::thread::sleep(Duration::from_millis(20));
        waited += 1;
        assert!(waited < 3000, "the child wrote no checkpoint within a minute");
        if let Ok(c) = Checkpoint::<f64>::read(&path)
            && c.iteration() >= 15
        {
            break c;
        }
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(c.iteration() < 400, "the child was killed before its end");
    let mut f = |x: ArrayView1<f64>| objective(x);
    let whole = child_optimizer(&temp_path("unused")).minimize(&mut f, &x0()).unwrap();
    let mut fresh = child_optimizer(&temp_path("resumed"));
    let resumed = fresh.resume_from(&path).unwrap().minimize(&mut f).unwrap();
    for p in [path, temp_path("unused"), temp_path("resumed")] {
        std::fs::remove_file(p).ok();
    }
    assert_same(&resumed, &whole, "killed and resumed");
}

fn some_checkpoint() -> Checkpoint<f64> {
    let mut opt = optimizer(Box::new(TwoPoint::spsa().mu(1e-4)), Box::new(Momentum::new(0.9)), false);
    run_until(&mut opt, 5, true).0
}

#[test]
fn a_checkpoint_of_another_configuration_is_a_named_mismatch() {
    let c = some_checkpoint();
    let mut other_mu = optimizer(Box::new(TwoPoint::spsa().mu(1e-3)), Box::new(Momentum::new(0.9)), false);
    match other_mu.resume(c.clone()).map(|_| ()) {
        Err(Error::CheckpointMismatch { what, .. }) => assert_eq!(what, "the estimator parameter `smoothing`"),
        other => panic!("expected a mismatch, got {other:?}"),
    }
    let mut other_rule = optimizer(Box::new(TwoPoint::spsa().mu(1e-4)), Box::new(Adam::new()), false);
    match other_rule.resume(c.clone()).map(|_| ()) {
        Err(Error::CheckpointMismatch {
            what,
            checkpoint,
            optimizer,
        }) => {
            assert_eq!(
                (what.as_str(), checkpoint.as_str(), optimizer.as_str()),
                ("the update rule", "momentum", "adam")
            );
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    let mut other_beta = optimizer(Box::new(TwoPoint::spsa().mu(1e-4)), Box::new(Momentum::new(0.5)), false);
    assert!(matches!(
        other_beta.resume(c.clone()).map(|_| ()),
        Err(Error::CheckpointMismatch { what, .. }) if what == "the update rule parameter `beta`"
    ));
    // The optimizer that refused is usable afterwards.
    assert!(
        other_beta
            .minimize(&mut |x: ArrayView1<f64>| objective(x), &x0())
            .is_ok()
    );
}

#[test]
fn a_checkpoint_of_another_dimension_or_float_type_is_refused() {
    let c = some_checkpoint();
    let mut boxed = Optimizer::builder(Box::new(TwoPoint::spsa().mu(1e-4)) as Est)
        .update(Box::new(Momentum::new(0.9)) as Rule)
        .learning_rate(0.02)
        .max_evaluations(160)
        .projection(Bounds::new(
            Array1::from_elem(D + 1, -1.0),
            Array1::from_elem(D + 1, 1.0),
        ))
        .build()
        .unwrap();
    assert!(matches!(
        boxed.resume(c.clone()).map(|_| ()),
        Err(Error::DimensionMismatch { .. })
    ));

    // A state array of another length than the iterate (an edited file).
    let json = c.to_json().unwrap();
    let short = json.replacen("\"buffer\":{\"f64\":[", "\"buffer\":{\"f64\":[0.5,", 1);
    let edited = Checkpoint::<f64>::from_json(&short).unwrap();
    let mut opt = optimizer(Box::new(TwoPoint::spsa().mu(1e-4)), Box::new(Momentum::new(0.9)), false);
    assert!(matches!(
        opt.resume(edited).map(|_| ()),
        Err(Error::CheckpointMismatch { what, .. }) if what.contains("buffer")
    ));

    match Checkpoint::<f32>::from_json(&json) {
        Err(Error::CheckpointMismatch {
            what,
            checkpoint,
            optimizer,
        }) => {
            assert_eq!(
                (what.as_str(), checkpoint.as_str(), optimizer.as_str()),
                ("the float type", "f64", "f32")
            );
        }
        other => panic!("expected a float-type mismatch, got {other:?}"),
    }
}

#[test]
fn corrupt_truncated_and_foreign_checkpoints_give_their_named_errors() {
    let json = some_checkpoint().to_json().unwrap();
    for cut in [1, json.len() / 3, json.len() / 2, json.len() - 1] {
        assert!(
            matches!(
                Checkpoint::<f64>::from_json(&json[..cut]),
                Err(Error::CheckpointTruncated { .. })
            ),
            "cut at {cut}"
        );
    }
    let corrupt = [
        json.replacen("\"x\":[", "\"x\":[\"oops\",", 1),
        json.replacen("\"evaluations\":", "\"evaluations\":-", 1),
        json.replacen('{', "[", 1),
        "not json at all".to_owned(),
        "{}".to_owned(),
        json.replacen("\"dim\":6", "\"dim\":7", 1),
    ];
    for (i, text) in corrupt.iter().enumerate() {
        assert!(
            matches!(Checkpoint::<f64>::from_json(text), Err(Error::CheckpointCorrupt { .. })),
            "corrupt case {i}: {:?}",
            Checkpoint::<f64>::from_json(text).err()
        );
    }
    let future = json.replacen("\"format\":1", "\"format\":2", 1);
    assert!(matches!(
        Checkpoint::<f64>::from_json(&future),
        Err(Error::CheckpointVersion { found: 2, supported: 1 })
    ));
    let path = temp_path("truncated");
    std::fs::write(&path, &json[..json.len() / 2]).unwrap();
    let mut opt = optimizer(Box::new(TwoPoint::spsa().mu(1e-4)), Box::new(Momentum::new(0.9)), false);
    assert!(matches!(
        opt.resume_from(&path).map(|_| ()),
        Err(Error::CheckpointTruncated { .. })
    ));
    std::fs::remove_file(&path).ok();
    assert!(matches!(
        opt.resume_from(temp_path("missing")).map(|_| ()),
        Err(Error::Io { .. })
    ));
}

#[test]
fn a_user_estimator_without_checkpoint_support_is_refused_and_the_run_goes_on() {
    struct Plain;
    impl GradientEstimator<f64> for Plain {
        fn name(&self) -> &'static str {
            "plain"
        }
        fn validate(&self) -> zoptim::Result<()> {
            Ok(())
        }
        fn max_queries(&self, _dim: usize) -> usize {
            0
        }
        fn estimate(
            &mut self,
            x: &[f64],
            _ctx: &mut zoptim::estimator::EstimateContext<'_, f64>,
            _round: &mut zoptim::Round<f64>,
            out: &mut zoptim::estimator::Estimate<f64>,
        ) -> zoptim::Result<zoptim::Flow<zoptim::estimator::EstimateInfo<f64>>> {
            let g = out.dense_mut(x.len(), 0..x.len());
            g.iter_mut().zip(x).for_each(|(g, &x)| *g = x);
            Ok(zoptim::Flow::Done(zoptim::estimator::EstimateInfo::new(0, None)))
        }
    }
    let mut opt = Optimizer::builder(Plain)
        .learning_rate(0.1)
        .max_iterations(5)
        .build()
        .unwrap();
    let mut run = opt.start(&x0()).unwrap();
    let v = values(&run.ask().unwrap().unwrap());
    run.tell(&v).unwrap();
    assert!(matches!(
        run.checkpoint(),
        Err(Error::CheckpointUnsupported { component: "plain" })
    ));
    while let Some(b) = run.ask().unwrap() {
        let v = values(&b);
        run.tell(&v).unwrap();
    }
    assert_eq!(run.finish().iterations, 5);
}

#[test]
fn checkpoint_every_rejects_zero_and_a_failed_write_ends_the_run() {
    let bad = Optimizer::builder(TwoPoint::<f64>::spsa())
        .max_iterations(5)
        .checkpoint_every(0, temp_path("zero"))
        .build();
    assert!(matches!(
        bad,
        Err(Error::InvalidParameter {
            name: "checkpoint_every",
            ..
        })
    ));
    let dir = std::env::temp_dir().join(format!("zoptim-no-such-dir-{}", std::process::id()));
    let mut opt = Optimizer::builder(TwoPoint::<f64>::spsa())
        .learning_rate(0.1)
        .max_iterations(20)
        .checkpoint_every(3, dir.join("c.json"))
        .build()
        .unwrap();
    let r = opt.minimize(&mut |x: ArrayView1<f64>| objective(x), &x0()).unwrap();
    assert_eq!(r.iterations, 3);
    assert!(matches!(r.stop, StopReason::Failed(Error::Io { .. })), "{:?}", r.stop);
}

/// A minibatch least-squares problem whose sampler keeps state across draws.
struct Minibatch {
    targets: Vec<[f64; 3]>,
    sampler: zoptim::BatchIndices,
}

impl Minibatch {
    fn new() -> Self {
        let targets = (0..12)
            .map(|i| {
                let t = i as f64;
                [0.1 * t, 1.0 - 0.05 * t, (0.3 * t).sin()]
            })
            .collect();
        Minibatch {
            targets,
            sampler: zoptim::BatchIndices::new(12, 4).unwrap(),
        }
    }
}

impl Objective<f64> for Minibatch {
    fn eval(&mut self, x: ArrayView1<f64>) -> f64 {
        let batch = self.sampler.current();
        batch
            .iter()
            .map(|&i| {
                x.iter()
                    .zip(&self.targets[i])
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
            })
            .sum::<f64>()
            / batch.len() as f64
    }
}

impl StochasticObjective<f64> for Minibatch {
    fn resample(&mut self, rng: &mut zoptim::ZoRng) {
        self.sampler.draw(rng);
    }
}

#[test]
fn a_stochastic_run_resumes_with_its_sampler() {
    let make = || {
        Optimizer::builder(TwoPoint::spsa().directions(2).mu(1e-4))
            .update(Momentum::new(0.9))
            .learning_rate(0.05)
            .max_evaluations(300)
            .history(true)
            .seed(8)
            .build()
            .unwrap()
    };
    let x0 = Array1::zeros(3);
    let whole = make().minimize_stochastic(&mut Minibatch::new(), &x0).unwrap();
    for tells in [3, 10, 25] {
        let mut problem = Minibatch::new();
        let mut first = make();
        let mut run = first.start_stochastic(&x0).unwrap();
        for _ in 0..tells {
            let batch = run.ask_resampled(&mut problem).unwrap().unwrap();
            let v: Vec<f64> = batch.points().rows().into_iter().map(|p| problem.eval(p)).collect();
            run.tell(&v).unwrap();
        }
        let c = Checkpoint::from_json(&run.checkpoint().unwrap().to_json().unwrap()).unwrap();
        let sampler = problem.sampler.save_state();
        drop(run);

        let mut resumed_problem = Minibatch::new();
        resumed_problem.sampler.load_state(&sampler).unwrap();
        let mut fresh = make();
        let resumed = fresh
            .resume(c)
            .unwrap()
            .minimize_stochastic(&mut resumed_problem)
            .unwrap();
        assert_same(&resumed, &whole, &format!("stochastic, {tells} tells"));
    }
}

#[test]
fn an_f32_run_resumes_bit_for_bit_through_json() {
    let f = |x: ArrayView1<f32>| {
        x.iter()
            .enumerate()
            .map(|(i, v)| (i + 1) as f32 * (v - 0.1) * (v - 0.1))
            .sum::<f32>()
    };
    let make = || {
        Optimizer::<f32, _, _>::builder(TwoPoint::mezo().directions(2).mu(1e-2))
            .update(Adam::new())
            .learning_rate(0.01)
            .max_evaluations(400)
            .history(true)
            .seed(9)
            .build()
            .unwrap()
    };
    let x0 = Array1::from_iter((0..7).map(|i| 0.3 + 0.07 * i as f32));
    let whole = make().minimize(&mut |x: ArrayView1<f32>| f(x), &x0).unwrap();
    let mut first = make();
    let mut run = first.start(&x0).unwrap();
    for _ in 0..40 {
        let b = run.ask().unwrap().unwrap();
        let v: Vec<f32> = b.points().rows().into_iter().map(f).collect();
        run.tell(&v).unwrap();
    }
    let json = run.checkpoint().unwrap().to_json().unwrap();
    assert!(json.contains("\"f32\":["), "f32 state is written as f32");
    let c = Checkpoint::<f32>::from_json(&json).unwrap();
    let resumed = make()
        .resume(c)
        .unwrap()
        .minimize(&mut |x: ArrayView1<f32>| f(x))
        .unwrap();
    let b32 = |v: &Array1<f32>| v.iter().map(|t| t.to_bits()).collect::<Vec<_>>();
    assert_eq!(b32(&resumed.last_x), b32(&whole.last_x));
    assert_eq!(b32(&resumed.best_x), b32(&whole.best_x));
    assert_eq!(resumed.history, whole.history);
    assert_eq!(resumed.evaluations, whole.evaluations);
}

#[test]
fn the_default_method_resumes_bit_for_bit_with_and_without_bounds() {
    for bounded in [false, true] {
        let make = || {
            let b = Optimizer::auto().max_evaluations(300).history(true).seed(4);
            let b = if bounded {
                b.projection(Bounds::new(Array1::from_elem(D, 0.0), Array1::from_elem(D, 0.35)))
            } else {
                b
            };
            b.build().unwrap()
        };
        let start = Array1::from_elem(D, 0.2);
        let whole = make().minimize(&mut |x: ArrayView1<f64>| objective(x), &start).unwrap();
        for tells in [1, 2, 5, 12, 31] {
            let mut first = make();
            let mut run = first.start(&start).unwrap();
            for _ in 0..tells {
                let b = run.ask().unwrap().unwrap();
                let v = values(&b);
                run.tell(&v).unwrap();
            }
            let c = Checkpoint::from_json(&run.checkpoint().unwrap().to_json().unwrap()).unwrap();
            drop(run);
            let mut fresh = make();
            let resumed = fresh
                .resume(c)
                .unwrap()
                .minimize(&mut |x: ArrayView1<f64>| objective(x))
                .unwrap();
            assert_same(&resumed, &whole, &format!("auto, bounded {bounded}, {tells} tells"));
        }
    }
}
