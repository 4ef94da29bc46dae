//! The standing fuzz suite: random configurations — estimator × sampler ×
//! difference × storage × update rule × schedule × projection — with degenerate
//! and extreme parameters (0, 1, subnormal, NaN, ±∞, huge, mismatched lengths,
//! d = 0 and 1), on objectives that return NaN, ±∞ or ±1e308 at a chosen query,
//! or panic there.
//!
//! Properties, for every case:
//! - nothing panics, except the objective itself when told to (that panic
//!   reaches the caller and is caught here);
//! - every case is bounded (small budgets and iteration limits), so none hangs;
//! - an `Ok` step leaves x finite; an `Err` step leaves x bit-identical
//!   ([`Storage::Seeded`] excepted: its in-place walk drifts by rounding, as
//!   documented, so x-identity is not checked for it) and all state as before —
//!   checked by comparing the next successful step with a twin optimizer that
//!   never saw the failure, bit for bit;
//! - evaluation counts are exact (the optimizer counts exactly the objective's
//!   calls) and the budget is never exceeded;
//! - reruns of the same case are bit-identical.
//!
//! Case counts: without `PROPTEST_CASES`, 30 000 cases in all, shared by the
//! three properties in proportion to their weights below (about 15 s in debug
//! on 2 cores). With `PROPTEST_CASES=N`, proptest runs N cases of *each*
//! property (it reads the variable itself and it overrides the shares), so this
//! runs 10⁶ cases of each, 3·10⁶ in all (about 70 s in release on 2 cores):
//!
//! ```text
//! PROPTEST_CASES=1000000 cargo test --release --test fuzz
//! ```

use ndarray::{Array1, ArrayView1, ArrayViewMut1};
use proptest::prelude::*;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use zoptim::estimator::Estimate;
use zoptim::prelude::*;
use zoptim::projection::Projection;
use zoptim::schedule::{Constant, FLOOR, Schedule};
use zoptim::testing::ExactGradient;
use zoptim::testing::{Linear, Quadratic, Rosenbrock, Sphere, TestFunction};
use zoptim::update::update_once;
use zoptim::{Error, Optimizer as Opt};

type Est = Box<dyn GradientEstimator<f64> + Send>;
type Rule = Box<dyn UpdateRule<f64> + Send>;

/// The panic message of an objective told to panic.
const INTENDED: &str = "intended objective panic (fuzz)";

/// `share` of the suite's default 30 000 cases. (When `PROPTEST_CASES` is set,
/// proptest applies it to every property instead.)
fn config(share: f64) -> ProptestConfig {
    ProptestConfig {
        cases: (30_000.0 * share).ceil() as u32,
        ..ProptestConfig::default()
    }
}

/// Silences the intended objective panics (other panics print as usual).
fn quiet_intended_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| info.payload().downcast_ref::<String>().map(|s| s.as_str()));
            if msg != Some(INTENDED) {
                default(info);
            }
        }));
    });
}

// ---------------------------------------------------------------------------
// Values

/// Mostly ordinary values, sometimes extreme or invalid ones.
fn value() -> BoxedStrategy<f64> {
    prop_oneof![
        6 => prop::sample::select(vec![0.0, 1.0, -1.0, 0.5, -0.3, 1e-3, 0.1, 2.0]),
        2 => -3.0..3.0f64,
        1 => prop::sample::select(vec![
            f64::MIN_POSITIVE,
            5e-324,
            1e-300,
            1e-45,
            1e38,
            3e38,
            1e300,
            1e308,
            f64::MAX,
            -1e308,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ]),
    ]
    .boxed()
}

/// A positive parameter (μ, η, ε, a schedule's value): mostly sensible.
fn positive() -> BoxedStrategy<f64> {
    prop_oneof![
        8 => prop::sample::select(vec![1e-4, 1e-3, 0.01, 0.05, 0.1, 0.5]),
        2 => value(),
    ]
    .boxed()
}

/// A count: mostly small, sometimes 0 or huge.
fn count() -> BoxedStrategy<usize> {
    prop_oneof![
        8 => 1usize..4,
        1 => Just(0usize),
        1 => prop::sample::select(vec![5usize, 64, 1 << 20, usize::MAX / 2, usize::MAX]),
    ]
    .boxed()
}

fn direction(k: u8) -> Direction {
    [
        Direction::Gaussian,
        Direction::Rademacher,
        Direction::Sphere,
        Direction::Coordinate,
    ][usize::from(k % 4)]
}

// ---------------------------------------------------------------------------
// Configurations

#[derive(Clone, Debug)]
enum EstSpec {
    TwoPoint {
        dir: u8,
        central: bool,
        seeded: bool,
        q: usize,
        mu: f64,
    },
    Coordinate {
        central: bool,
        subset: Option<usize>,
        batch: Option<usize>,
        mu: f64,
    },
    Dap {
        kind: u8,
        arg: usize,
        central: bool,
        mu: f64,
        min_norm: f64,
    },
    Block {
        blocks: usize,
        q: usize,
        dir: u8,
        uniform: bool,
        central: bool,
        mu: f64,
    },
    Relizo {
        kind: u8,
        samples: usize,
        bound: f64,
    },
}

impl EstSpec {
    /// Caps every count at 64: without a budget nothing refuses a step of 2⁶³
    /// directions up front, and such a step would run (legitimately) for ever.
    fn cap_counts(&mut self) {
        let cap = |n: &mut usize| *n = (*n).min(64);
        match self {
            EstSpec::TwoPoint { q, .. } => cap(q),
            EstSpec::Coordinate { subset, batch, .. } => {
                subset.iter_mut().for_each(cap);
                batch.iter_mut().for_each(cap);
            }
            EstSpec::Dap { arg, .. } => cap(arg),
            EstSpec::Block { blocks, q, .. } => {
                cap(blocks);
                cap(q);
            }
            EstSpec::Relizo { samples, .. } => cap(samples),
        }
    }

    fn seeded(&self) -> bool {
        matches!(self, EstSpec::TwoPoint { seeded: true, .. })
    }

    fn build(&self) -> Est {
        let diff = |central: bool| {
            if central {
                Difference::Central
            } else {
                Difference::Forward
            }
        };
        match *self {
            EstSpec::TwoPoint {
                dir,
                central,
                seeded,
                q,
                mu,
            } => Box::new(
                TwoPoint::new(direction(dir), diff(central))
                    .storage(if seeded { Storage::Seeded } else { Storage::Buffered })
                    .directions(q)
                    .mu(mu),
            ),
            EstSpec::Coordinate {
                central,
                subset,
                batch,
                mu,
            } => {
                let mut c = Cge::new(diff(central)).mu(mu);
                if let Some(k) = subset {
                    c = c.subset(k);
                }
                if let Some(b) = batch {
                    c = c.batch(b);
                }
                Box::new(c)
            }
            EstSpec::Dap {
                kind,
                arg,
                central,
                mu,
                min_norm,
            } => {
                let dap = match kind % 5 {
                    0 => Dap::two_stage(arg),
                    1 => Dap::previous().directions(arg),
                    2 => Dap::with_proxy(ExactGradient(Sphere)),
                    3 => Dap::with_proxy(ExactGradient(Quadratic::new(Array1::from_elem(arg.min(6), 1.0)))),
                    _ => Dap::with_proxy(|_x: ArrayView1<f64>, mut a: ArrayViewMut1<f64>| a.fill(f64::NAN)),
                };
                Box::new(dap.difference(diff(central)).mu(mu).min_proxy_norm(min_norm))
            }
            EstSpec::Block {
                blocks,
                q,
                dir,
                uniform,
                central,
                mu,
            } => Box::new(
                BlockCoordinate::new(blocks)
                    .directions(q)
                    .direction(direction(dir))
                    .order(if uniform {
                        BlockOrder::Uniform
                    } else {
                        BlockOrder::Permutation
                    })
                    .difference(diff(central))
                    .mu(mu),
            ),
            EstSpec::Relizo { kind, samples, bound } => {
                let r = if kind % 2 == 0 {
                    Relizo::with_reuse_bound(0.1)
                } else {
                    Relizo::reference_defaults()
                };
                Box::new(r.samples(samples).reuse_distance_bound(bound))
            }
        }
    }
}

fn est_spec() -> BoxedStrategy<EstSpec> {
    let mu = positive;
    prop_oneof![
        4 => (any::<u8>(), any::<bool>(), any::<bool>(), count(), mu())
            .prop_map(|(dir, central, seeded, q, mu)| EstSpec::TwoPoint { dir, central, seeded, q, mu }),
        2 => (any::<bool>(), prop::option::of(count()), prop::option::of(count()), mu())
            .prop_map(|(central, subset, batch, mu)| EstSpec::Coordinate { central, subset, batch, mu }),
        2 => (any::<u8>(), count(), any::<bool>(), mu(), prop_oneof![4 => Just(0.0), 1 => value()])
            .prop_map(|(kind, arg, central, mu, min_norm)| EstSpec::Dap { kind, arg, central, mu, min_norm }),
        2 => (count(), count(), any::<u8>(), any::<bool>(), any::<bool>(), mu())
            .prop_map(|(blocks, q, dir, uniform, central, mu)| EstSpec::Block { blocks, q, dir, uniform, central, mu }),
        1 => (any::<u8>(), 0usize..8, prop_oneof![3 => Just(0.1), 1 => value()])
            .prop_map(|(kind, samples, bound)| EstSpec::Relizo { kind, samples, bound }),
    ]
    .boxed()
}

#[derive(Clone, Debug)]
enum RuleSpec {
    Sgd {
        wd: f64,
    },
    Momentum {
        beta: f64,
        nesterov: bool,
        wd: f64,
    },
    Adam {
        kind: u8,
        wd: f64,
        eps: f64,
    },
    Sign {
        scalar: bool,
    },
    Normalized {
        wd: f64,
    },
    LineSearch {
        reference: bool,
        trials: usize,
        strict: bool,
        wd: f64,
    },
    Conservative,
}

impl RuleSpec {
    fn build(&self) -> Rule {
        match *self {
            RuleSpec::Sgd { wd } => Box::new(Sgd::new().weight_decay(wd)),
            RuleSpec::Momentum { beta, nesterov, wd } => {
                Box::new(Momentum::new(beta).with_nesterov(nesterov).weight_decay(wd))
            }
            RuleSpec::Adam { kind, wd, eps } => {
                let a = match kind % 4 {
                    0 => Adam::new(),
                    1 => Adam::adamw(),
                    2 => Adam::zo_adamm(),
                    _ => Adam::new().amsgrad(true).decay(zoptim::update::WeightDecay::Decoupled),
                };
                Box::new(a.weight_decay(wd).eps(eps))
            }
            RuleSpec::Sign { scalar } => Box::new(if scalar { SignSgd::scalar() } else { SignSgd::new() }),
            RuleSpec::Normalized { wd } => Box::new(Normalized::new().weight_decay(wd)),
            RuleSpec::LineSearch {
                reference,
                trials,
                strict,
                wd,
            } => {
                let l = if reference {
                    LineSearch::reference()
                } else {
                    LineSearch::armijo()
                };
                Box::new(l.max_trials(trials.min(6)).strict_lr(strict).weight_decay(wd))
            }
            RuleSpec::Conservative => Box::new(Conservative::new()),
        }
    }
}

fn decay() -> BoxedStrategy<f64> {
    prop_oneof![4 => Just(0.0), 1 => value()].boxed()
}

fn rule_spec() -> BoxedStrategy<RuleSpec> {
    prop_oneof![
        3 => decay().prop_map(|wd| RuleSpec::Sgd { wd }),
        2 => (prop_oneof![3 => Just(0.9), 1 => value()], any::<bool>(), decay())
            .prop_map(|(beta, nesterov, wd)| RuleSpec::Momentum { beta, nesterov, wd }),
        2 => (any::<u8>(), decay(), prop_oneof![3 => Just(1e-8), 1 => value()])
            .prop_map(|(kind, wd, eps)| RuleSpec::Adam { kind, wd, eps }),
        1 => any::<bool>().prop_map(|scalar| RuleSpec::Sign { scalar }),
        1 => decay().prop_map(|wd| RuleSpec::Normalized { wd }),
        1 => (any::<bool>(), count(), any::<bool>(), decay())
            .prop_map(|(reference, trials, strict, wd)| RuleSpec::LineSearch { reference, trials, strict, wd }),
        1 => Just(RuleSpec::Conservative),
    ]
    .boxed()
}

#[derive(Clone, Debug)]
enum SchedSpec {
    Constant(f64),
    Step(f64, f64, usize),
    Power(f64, f64, f64),
    Cosine(f64, f64, usize, usize),
    InvSqrt(f64),
}

impl SchedSpec {
    fn build(&self) -> Box<dyn Schedule + Send> {
        match *self {
            SchedSpec::Constant(v) => Box::new(Constant(v)),
            SchedSpec::Step(v, f, e) => Box::new(StepDecay::new(v, f, e)),
            SchedSpec::Power(a, s, e) => Box::new(PowerDecay::new(a, s, e)),
            SchedSpec::Cosine(max, min, t, w) => Box::new(Cosine::new(max, min, t).warmup(w)),
            SchedSpec::InvSqrt(a) => Box::new(InverseSqrt(a)),
        }
    }
}

fn sched_spec() -> BoxedStrategy<SchedSpec> {
    let small = || prop_oneof![3 => 0usize..6, 1 => Just(usize::MAX)];
    prop_oneof![
        5 => positive().prop_map(SchedSpec::Constant),
        1 => (positive(), prop_oneof![2 => Just(0.5), 1 => value()], small())
            .prop_map(|(v, f, e)| SchedSpec::Step(v, f, e)),
        1 => (positive(), value(), prop_oneof![2 => Just(0.602), 1 => value()])
            .prop_map(|(a, s, e)| SchedSpec::Power(a, s, e)),
        1 => (positive(), prop_oneof![2 => Just(0.0), 1 => value()], small(), small())
            .prop_map(|(max, min, t, w)| SchedSpec::Cosine(max, min, t, w)),
        1 => positive().prop_map(SchedSpec::InvSqrt),
    ]
    .boxed()
}

#[derive(Clone, Debug)]
enum ProjSpec {
    None,
    Uniform(f64, f64),
    Each(usize, f64, f64),
    Ball(f64),
    BallAt(usize, f64),
}

impl ProjSpec {
    fn build(&self) -> Option<Box<dyn Projection<f64> + Send>> {
        match *self {
            ProjSpec::None => None,
            ProjSpec::Uniform(l, u) => Some(Box::new(Bounds::uniform(l, u))),
            ProjSpec::Each(n, l, u) => Some(Box::new(Bounds::new(Array1::from_elem(n, l), Array1::from_elem(n, u)))),
            ProjSpec::Ball(r) => Some(Box::new(Ball::origin(r))),
            ProjSpec::BallAt(n, r) => Some(Box::new(Ball::new(Array1::from_elem(n, 0.1), r))),
        }
    }
}

fn proj_spec() -> BoxedStrategy<ProjSpec> {
    let lo = || prop_oneof![3 => Just(-2.0), 1 => value()];
    let hi = || prop_oneof![3 => Just(2.0), 1 => value()];
    prop_oneof![
        6 => Just(ProjSpec::None),
        1 => (lo(), hi()).prop_map(|(l, u)| ProjSpec::Uniform(l, u)),
        1 => (0usize..6, lo(), hi()).prop_map(|(n, l, u)| ProjSpec::Each(n, l, u)),
        1 => positive().prop_map(ProjSpec::Ball),
        1 => (0usize..6, positive()).prop_map(|(n, r)| ProjSpec::BallAt(n, r)),
    ]
    .boxed()
}

/// What the objective does at its faulty call.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    Nan,
    Inf,
    NegInf,
    Huge,
    NegHuge,
    Panic,
}

fn fault() -> BoxedStrategy<Fault> {
    prop::sample::select(vec![
        Fault::Nan,
        Fault::Inf,
        Fault::NegInf,
        Fault::Huge,
        Fault::NegHuge,
        Fault::Panic,
    ])
    .boxed()
}

#[derive(Clone, Debug)]
struct Case {
    est: EstSpec,
    rule: RuleSpec,
    lr: SchedSpec,
    mu: Option<SchedSpec>,
    proj: ProjSpec,
    x0: Vec<f64>,
    budget: Option<usize>,
    iterations: usize,
    seed: u64,
    /// The step (twin property) or the call (minimize property) that misbehaves.
    fault_at: usize,
    fault_call: usize,
    fault: Fault,
}

fn case() -> BoxedStrategy<Case> {
    let x0 = prop_oneof![
        1 => Just(Vec::new()),
        3 => prop::collection::vec(-1.5..1.5f64, 1..2),
        8 => prop::collection::vec(-1.5..1.5f64, 2..6),
        2 => prop::collection::vec(value(), 1..5),
    ];
    (
        (
            est_spec(),
            rule_spec(),
            sched_spec(),
            prop::option::weighted(0.15, sched_spec()),
            proj_spec(),
        ),
        (
            x0,
            prop::option::weighted(0.8, prop_oneof![1usize..8, 8usize..120]),
            1usize..5,
            any::<u64>(),
        ),
        (0usize..4, 1usize..12, fault()),
    )
        .prop_map(
            |((mut est, rule, lr, mu, proj), (x0, budget, iterations, seed), (fault_at, fault_call, fault))| {
                if budget.is_none() {
                    est.cap_counts();
                }
                // Any μ, also for the in-place seeded mode: a perturbation that
                // could overflow x is refused before x is touched.
                Case {
                    est,
                    rule,
                    lr,
                    mu,
                    proj,
                    x0,
                    budget,
                    iterations,
                    seed,
                    fault_at,
                    fault_call,
                    fault,
                }
            },
        )
        .boxed()
}

fn build(c: &Case) -> Result<Opt<f64, Est, Rule>, Error> {
    let mut b = Optimizer::builder(c.est.build())
        .update(c.rule.build())
        .learning_rate(c.lr.build())
        .max_iterations(c.iterations)
        .seed(c.seed);
    if let Some(mu) = &c.mu {
        b = b.smoothing(mu.build());
    }
    if let Some(n) = c.budget {
        b = b.max_evaluations(n);
    }
    b = match c.proj {
        ProjSpec::None => b,
        ProjSpec::Uniform(l, u) => b.projection(Bounds::uniform(l, u)),
        ProjSpec::Each(n, l, u) => b.projection(Bounds::new(Array1::from_elem(n, l), Array1::from_elem(n, u))),
        ProjSpec::Ball(r) => b.projection(Ball::origin(r)),
        ProjSpec::BallAt(n, r) => b.projection(Ball::new(Array1::from_elem(n, 0.1), r)),
    };
    b.build()
}

// ---------------------------------------------------------------------------
// Objectives

/// A smooth objective with its minimum away from 0 (finite for moderate x).
fn smooth(x: ArrayView1<f64>) -> f64 {
    x.iter()
        .enumerate()
        .map(|(i, &v)| (i + 1) as f64 * (v - 0.3) * (v - 0.3) + 0.1 * v)
        .sum()
}

/// Counts its calls; at call `fault_call` (1-based, when armed) misbehaves.
struct Faulty {
    calls: Rc<Cell<usize>>,
    armed: bool,
    fault_call: usize,
    fault: Fault,
    panicked: Rc<Cell<bool>>,
}

impl Faulty {
    fn new(calls: &Rc<Cell<usize>>, panicked: &Rc<Cell<bool>>, armed: bool, c: &Case) -> Self {
        Faulty {
            calls: calls.clone(),
            armed,
            fault_call: c.fault_call,
            fault: c.fault,
            panicked: panicked.clone(),
        }
    }
}

impl zoptim::Objective<f64> for Faulty {
    fn eval(&mut self, x: ArrayView1<f64>) -> f64 {
        self.calls.set(self.calls.get() + 1);
        // Finite faults are injected at non-finite query points too: the
        // engine never takes a non-finite point as the best point.
        if self.armed && self.calls.get() == self.fault_call {
            return match self.fault {
                Fault::Nan => f64::NAN,
                Fault::Inf => f64::INFINITY,
                Fault::NegInf => f64::NEG_INFINITY,
                Fault::Huge => 1e308,
                Fault::NegHuge => -1e308,
                Fault::Panic => {
                    self.panicked.set(true);
                    std::panic::panic_any(INTENDED)
                }
            };
        }
        smooth(x)
    }
}

fn bits(x: &[f64]) -> Vec<u64> {
    x.iter().map(|v| v.to_bits()).collect()
}

fn finite(x: &[f64]) -> bool {
    x.iter().all(|v| v.is_finite())
}

// ---------------------------------------------------------------------------
// Properties

/// One `step` driver run: optimizer A meets the fault at step `fault_at`, its
/// twin B never does. Returns a summary for the rerun check.
fn step_twins(c: &Case) -> Result<String, TestCaseError> {
    let (a, b) = (build(c), build(c));
    let (mut a, mut b) = match (a, b) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(ea), Err(eb)) => {
            // Debug strings: an error may carry a NaN, which is not equal to itself.
            prop_assert_eq!(format!("{ea:?}"), format!("{eb:?}"));
            return Ok(format!("build: {ea}"));
        }
        _ => return Err(TestCaseError::fail("the same configuration built once and failed once")),
    };
    let seeded = c.est.seeded();
    let (a_calls, b_calls) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let panicked = Rc::new(Cell::new(false));
    let mut xa = Array1::from(c.x0.clone());
    let mut xb = xa.clone();
    let mut in_sync = true;
    // Set once A has made evaluations its twin did not (a failed faulty step).
    let mut a_spent_more = false;
    let mut log = String::new();
    for k in 0..c.iterations {
        // The twin: the clean objective only.
        let before_b = xb.to_vec();
        let rb = b.step(&mut xb, &mut Faulty::new(&b_calls, &panicked, false, c));
        match &rb {
            Ok(_) => prop_assert!(finite(xb.as_slice().unwrap()), "Ok step with x = {:?}", xb),
            Err(_) if !seeded => prop_assert_eq!(bits(xb.as_slice().unwrap()), bits(&before_b)),
            Err(_) => {}
        }
        prop_assert_eq!(b.evaluations(), b_calls.get());
        if let Some(n) = c.budget {
            prop_assert!(b.evaluations() <= n);
        }
        log.push_str(&format!(
            "{k}: {:?} {:?}\n",
            rb.as_ref().map(|r| r.queries),
            bits(xb.as_slice().unwrap())
        ));

        // A: at step `fault_at`, first the faulty objective (counted from this step).
        let mut ra_retry = None;
        if k == c.fault_at {
            let before_a = xa.to_vec();
            let start = a_calls.get();
            let mut faulty = Faulty::new(&a_calls, &panicked, true, c);
            faulty.fault_call += start;
            let res = catch_unwind(AssertUnwindSafe(|| a.step(&mut xa, &mut faulty)));
            let triggered = a_calls.get() >= start + c.fault_call;
            match res {
                Err(_) => {
                    // Only the objective may panic.
                    prop_assert!(panicked.get(), "a panic that is not the objective's");
                    // TODO(panics): once the engine restores x and the counts
                    // after a panicking objective, check here that x is
                    // bit-identical to `before_a` (except seeded), that
                    // a.evaluations() == a_calls.get(), and keep comparing A
                    // with its twin instead of stopping.
                    return Ok(log);
                }
                Ok(Ok(_)) => {
                    prop_assert!(finite(xa.as_slice().unwrap()), "Ok step with x = {:?}", xa);
                    if triggered {
                        // A legitimate step on other values: A and B now differ.
                        in_sync = false;
                    } else if in_sync && !seeded && rb.is_ok() {
                        prop_assert_eq!(bits(xa.as_slice().unwrap()), bits(xb.as_slice().unwrap()));
                    }
                }
                Ok(Err(e)) if !triggered => {
                    // The fault was never reached: this is A's ordinary step.
                    prop_assert!(rb.is_err() || !in_sync, "A failed ({}) where the twin did not", e);
                }
                Ok(Err(e)) => {
                    if !seeded {
                        prop_assert_eq!(
                            bits(xa.as_slice().unwrap()),
                            bits(&before_a),
                            "failed step moved x ({})",
                            e
                        );
                    }
                    a_spent_more = true;
                    ra_retry = Some(e);
                }
            }
            prop_assert_eq!(a.evaluations(), a_calls.get());
            if let Some(n) = c.budget {
                prop_assert!(a.evaluations() <= n);
            }
            if ra_retry.is_none() {
                continue;
            }
        }
        // A's clean step (after a failure, the retry): in sync with B, it must
        // match B bit for bit, unless A's extra evaluations exhausted its budget.
        let before_a = xa.to_vec();
        let ra = a.step(&mut xa, &mut Faulty::new(&a_calls, &panicked, false, c));
        match &ra {
            Ok(_) => prop_assert!(finite(xa.as_slice().unwrap()), "Ok step with x = {:?}", xa),
            Err(_) if !seeded => prop_assert_eq!(bits(xa.as_slice().unwrap()), bits(&before_a)),
            Err(_) => {}
        }
        prop_assert_eq!(a.evaluations(), a_calls.get());
        if let Some(n) = c.budget {
            prop_assert!(a.evaluations() <= n);
        }
        if in_sync && !seeded {
            match (&ra, &rb) {
                (Err(Error::BudgetExhausted { .. }), _) if a_spent_more => {
                    in_sync = false;
                }
                (Ok(sa), Ok(sb)) => {
                    prop_assert_eq!(
                        bits(xa.as_slice().unwrap()),
                        bits(xb.as_slice().unwrap()),
                        "diverged from the twin"
                    );
                    prop_assert_eq!(sa.queries, sb.queries);
                    prop_assert_eq!(sa.lr.to_bits(), sb.lr.to_bits());
                }
                (Err(ea), Err(eb)) => {
                    // Error values may name evaluation indices, which differ
                    // once A has made more evaluations.
                    if a_spent_more {
                        prop_assert_eq!(std::mem::discriminant(ea), std::mem::discriminant(eb));
                    } else {
                        prop_assert_eq!(format!("{ea:?}"), format!("{eb:?}"));
                    }
                    prop_assert_eq!(bits(xa.as_slice().unwrap()), bits(xb.as_slice().unwrap()));
                }
                (ra, rb) => {
                    // Budget-driven differences aside, A and B must agree.
                    let budget_a = matches!(ra, Err(Error::BudgetExhausted { .. }));
                    prop_assert!(budget_a, "A {:?} vs twin {:?}", ra, rb);
                    in_sync = false;
                }
            }
        }
    }
    Ok(log)
}

/// One `minimize` run on an objective that misbehaves at call `fault_call`.
fn minimize_run(c: &Case) -> Result<String, TestCaseError> {
    let mut opt = match build(c) {
        Ok(o) => o,
        Err(e) => return Ok(format!("build: {e}")),
    };
    let calls = Rc::new(Cell::new(0));
    let panicked = Rc::new(Cell::new(false));
    let mut f = Faulty::new(&calls, &panicked, true, c);
    let x0 = Array1::from(c.x0.clone());
    let res = catch_unwind(AssertUnwindSafe(|| opt.minimize(&mut f, &x0)));
    let report = match res {
        Err(_) => {
            prop_assert!(panicked.get(), "a panic that is not the objective's");
            // TODO(panics): once the engine accounts for a panicking objective,
            // check opt.evaluations() == calls.get() here too.
            return Ok("objective panicked".into());
        }
        Ok(Err(e)) => {
            prop_assert!(calls.get() <= 1, "an error after {} calls: {}", calls.get(), e);
            return Ok(format!("error: {e}"));
        }
        Ok(Ok(r)) => r,
    };
    prop_assert_eq!(
        report.evaluations,
        calls.get(),
        "evaluations are not the objective's calls"
    );
    prop_assert_eq!(opt.evaluations(), calls.get());
    if let Some(n) = c.budget {
        prop_assert!(
            report.evaluations <= n,
            "{} evaluations for a budget of {}",
            report.evaluations,
            n
        );
    }
    prop_assert!(report.iterations <= c.iterations);
    prop_assert!(
        finite(report.last_x.as_slice().unwrap()),
        "last_x = {:?}",
        report.last_x
    );
    prop_assert!(
        finite(report.best_x.as_slice().unwrap()),
        "best_x = {:?}",
        report.best_x
    );
    Ok(format!(
        "{:?} {:?} {:?} {} {} {:?}",
        bits(report.last_x.as_slice().unwrap()),
        bits(report.best_x.as_slice().unwrap()),
        report.last_f.map(f64::to_bits),
        report.best_f.to_bits(),
        report.evaluations,
        report.stop
    ))
}

// ---------------------------------------------------------------------------
// Components on their own

#[derive(Clone, Debug)]
struct ComponentCase {
    sched: SchedSpec,
    ks: Vec<usize>,
    proj: ProjSpec,
    point: Vec<f64>,
    rule: RuleSpec,
    g1: Vec<f64>,
    g2: Vec<f64>,
    lr: f64,
    q: usize,
    n: usize,
}

fn component_case() -> BoxedStrategy<ComponentCase> {
    (
        (
            sched_spec(),
            prop::collection::vec(prop_oneof![0usize..2000, Just(usize::MAX)], 1..4),
        ),
        (proj_spec(), prop::collection::vec(value(), 0..6)),
        (
            rule_spec(),
            prop::collection::vec(value(), 1..4),
            prop::collection::vec(-1.0..1.0f64, 1..4),
            positive(),
        ),
        (count(), count()),
    )
        .prop_map(
            |((sched, ks), (proj, point), (rule, g1, g2, lr), (q, n))| ComponentCase {
                sched,
                ks,
                proj,
                point,
                rule,
                g1,
                g2,
                lr,
                q,
                n,
            },
        )
        .boxed()
}

fn components(c: &ComponentCase) -> Result<(), TestCaseError> {
    // Schedules: once validated, every value is finite and ≥ FLOOR.
    let s = c.sched.build();
    if s.validate("learning_rate").is_ok() {
        for &k in &c.ks {
            let v = s.value(k);
            prop_assert!(v.is_finite() && v >= FLOOR, "{:?}.value({}) = {}", c.sched, k, v);
        }
    }

    // Projections on points of any length: no panic; a projected point of the
    // set's dimension is in the set.
    if let Some(mut p) = c.proj.build() {
        let mut x = c.point.clone();
        let _ = p.contains(&x);
        let _ = p.violation(&x);
        let ok = p.validate().is_ok() && p.prepare(x.len()).is_ok() && finite(&x);
        let before = x.clone();
        let n = x.len();
        let moved = p.project(&mut x, 0..n);
        if ok {
            prop_assert!(p.contains(&x), "{:?}: projected {:?} to {:?}", c.proj, before, x);
        } else if p.prepare(x.len()).is_err() {
            prop_assert!(!moved && bits(&x) == bits(&before), "a mismatched point was changed");
        }
    }

    // Test functions on points of any length: a value or NaN, never a panic.
    let x = Array1::from(c.point.clone());
    let a = Array1::from_elem(c.n.min(6), 1.0);
    let _ = Linear::new(a.clone(), 0.5).value(x.view());
    let _ = Linear::new(a.clone(), 0.5).gradient(x.view());
    let _ = Quadratic::new(a.clone()).value(x.view());
    let _ = Quadratic::new(a).gradient(x.view());
    let _ = TestFunction::<f64>::value(&Rosenbrock, x.view());
    let _ = TestFunction::<f64>::gradient(&Rosenbrock, x.view());

    // Estimates of any size: no panic, no abort.
    let mut e = Estimate::<f64>::new();
    // Either small (≤ 64 × 64) or far too large to allocate.
    let d = c.n.min(64);
    let q = if c.q >= usize::MAX / 2 { c.q } else { c.q.min(64) };
    let (rows, coefs) = e.stored_mut(d, 0..c.n, q);
    prop_assert!(rows.len() == coefs.len().saturating_mul(d) || rows.is_empty());
    let _ = e.is_finite();

    // Rules on finite but extreme estimates: Ok leaves x finite; Err leaves x
    // and the rule's state as before (the next step matches a twin's).
    let dim = c.g1.len().min(c.g2.len());
    let (g1, g2) = (&c.g1[..dim], &c.g2[..dim]);
    if !finite(g1) || !c.lr.is_finite() || c.lr <= 0.0 {
        return Ok(());
    }
    let (mut rule, mut twin) = (c.rule.build(), c.rule.build());
    if rule.validate().is_err() {
        return Ok(());
    }
    rule.prepare(dim).unwrap();
    twin.prepare(dim).unwrap();
    let mut f = |x: ArrayView1<f64>| smooth(x);
    let est = |g: &[f64]| {
        let mut e = Estimate::new();
        if dim == 1 && c.q.is_multiple_of(2) {
            // A single stored direction (what the scalar sign rule needs).
            let (rows, coefs) = e.stored_mut(1, 0..1, 1);
            rows[0] = 1.0;
            coefs[0] = g[0];
        } else {
            e.dense_mut(g.len(), 0..g.len()).copy_from_slice(g);
        }
        e
    };
    let mut x: Vec<f64> = (0..dim).map(|i| 0.25 * i as f64 - 0.2).collect();
    let mut y = x.clone();
    let before = x.clone();
    match update_once(&mut *rule, &mut f, x.as_mut_slice(), &mut est(g1), c.lr, None) {
        Ok(_) => {
            prop_assert!(finite(&x), "{:?} on g = {:?}: x = {:?}", c.rule, g1, x);
            return Ok(());
        }
        Err(_) => prop_assert_eq!(bits(&x), bits(&before)),
    }
    let ra = update_once(&mut *rule, &mut f, x.as_mut_slice(), &mut est(g2), 0.01, None);
    let rb = update_once(&mut *twin, &mut f, y.as_mut_slice(), &mut est(g2), 0.01, None);
    prop_assert_eq!(ra.is_ok(), rb.is_ok());
    prop_assert_eq!(bits(&x), bits(&y), "the failed step left a trace in {:?}", c.rule);
    Ok(())
}

proptest! {
    #![proptest_config(config(0.35))]
    /// The `step` driver against a twin that never meets the fault; reruns identical.
    #[test]
    fn step_failures_leave_no_trace(c in case()) {
        quiet_intended_panics();
        let first = step_twins(&c)?;
        let again = step_twins(&c)?;
        prop_assert_eq!(first, again, "a rerun differs");
    }
}

proptest! {
    #![proptest_config(config(0.35))]
    /// `minimize` on misbehaving objectives: exact counts, budget kept, finite
    /// results, reruns identical.
    #[test]
    fn minimize_is_exact_bounded_and_reproducible(c in case()) {
        quiet_intended_panics();
        let first = minimize_run(&c)?;
        let again = minimize_run(&c)?;
        prop_assert_eq!(first, again, "a rerun differs");
    }
}

proptest! {
    #![proptest_config(config(0.30))]
    /// Schedules, projections, test functions, estimates and rules called directly.
    #[test]
    fn components_never_panic_and_rules_never_leave_x_non_finite(c in component_case()) {
        components(&c)?;
    }
}
