//! After warm-up, an optimizer step performs no heap allocation.
//!
//! The shared per-thread counting allocator (`tests/common/counting_alloc.rs`)
//! wraps the system one; this binary runs without the libtest harness
//! (`harness = false`) and prints the plain `N passed, N failed` line.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;
use ndarray::{Array1, ArrayView1};
use std::ops::ControlFlow;
use zoptim::Smoothed;
use zoptim::testing::Sphere;
use zoptim::{
    BlockCoordinate, Cge, Conservative, Dap, Direction, GradientEstimator, LineSearch, Optimizer, StepRecord, Storage,
    TwoPoint,
};

/// Allocations made by `steps` steps after two warm-up steps.
fn allocations_per_run<E: GradientEstimator<f64>>(estimator: E, d: usize, steps: usize) -> usize {
    let mut opt = Optimizer::builder(estimator)
        .learning_rate(1e-4)
        .build()
        .expect("valid");
    let mut x = Array1::from_elem(d, 0.5);
    let mut f = Sphere;
    for _ in 0..2 {
        opt.step(&mut x, &mut f).expect("warm-up step");
    }
    let before = allocations();
    for _ in 0..steps {
        opt.step(&mut x, &mut f).expect("step");
    }
    allocations() - before
}

/// Allocations of `steps` steps of cyclic block-coordinate steps over blocks of
/// sizes 1, 1 and d − 2 with `rule`: the two warm-up steps visit only the small
/// blocks, so the measured ones meet the large block for the first time.
fn allocations_block_rule<U: zoptim::UpdateRule<f64>>(rule: U, d: usize) -> usize {
    let est = BlockCoordinate::with_ranges(vec![0..1, 1..2, 2..d]).order(zoptim::BlockOrder::Cyclic);
    let mut opt = Optimizer::builder(est)
        .update(rule)
        .learning_rate(1e-4)
        .build()
        .expect("valid");
    let mut x = Array1::from_elem(d, 0.5);
    let mut f = Sphere;
    for _ in 0..2 {
        opt.step(&mut x, &mut f).expect("warm-up step");
    }
    let before = allocations();
    for _ in 0..6 {
        opt.step(&mut x, &mut f).expect("step");
    }
    allocations() - before
}

/// Allocations per step of a `minimize` run after `warm` steps, read by an
/// observer at every step boundary (the observer itself does not allocate).
fn allocations_under_minimize<E: GradientEstimator<f64>>(estimator: E, d: usize, steps: usize) -> usize {
    let mut opt = Optimizer::builder(estimator)
        .update(Conservative::new())
        .learning_rate(1e-4)
        .max_iterations(steps)
        .build()
        .expect("valid");
    let warm = 3;
    let mut counts = Vec::with_capacity(steps);
    let mut watch = |_: &StepRecord<f64>, _: ArrayView1<f64>| {
        if counts.len() < counts.capacity() {
            counts.push(allocations());
        }
        ControlFlow::Continue(())
    };
    opt.minimize_with(&mut Sphere, &Array1::from_elem(d, 0.5), &mut watch)
        .expect("run");
    counts[counts.len() - 1] - counts[warm]
}

/// Allocations of `steps` steps of an ask/tell run after three warm-up steps,
/// with the values written into a buffer the caller keeps.
fn allocations_under_ask_tell<E: GradientEstimator<f64>>(estimator: E, d: usize, steps: usize) -> usize {
    let mut opt = Optimizer::builder(estimator)
        .update(LineSearch::armijo())
        .learning_rate(1e-4)
        .max_iterations(steps + 3)
        .build()
        .expect("valid");
    let x0 = Array1::from_elem(d, 0.5);
    let mut run = opt.start(&x0).expect("start");
    let mut values = Vec::with_capacity(4 * d + 64);
    let mut before = None;
    loop {
        if before.is_none() && run.iteration() >= 3 {
            before = Some(allocations());
        }
        let Some(batch) = run.ask().expect("ask") else {
            break;
        };
        values.clear();
        values.extend(batch.points().rows().into_iter().map(|p| p.dot(&p)));
        run.tell(&values).expect("tell");
    }
    let after = allocations();
    drop(run);
    after - before.unwrap_or(after)
}

/// As [`allocations_under_ask_tell`], with compact batches whose seeded points
/// a worker regenerates itself (as the MPI driver does).
fn allocations_under_ask_compact<E: GradientEstimator<f64>>(estimator: E, d: usize, steps: usize) -> usize {
    let mut opt = Optimizer::builder(estimator)
        .learning_rate(1e-4)
        .max_iterations(steps + 3)
        .build()
        .expect("valid");
    let x0 = Array1::from_elem(d, 0.5);
    let mut run = opt.start(&x0).expect("start");
    let (mut values, mut x, mut point, mut scratch) = (Vec::with_capacity(64), vec![0.0; d], Vec::new(), Vec::new());
    point.reserve(d);
    scratch.reserve(d);
    let mut before = None;
    loop {
        if before.is_none() && run.iteration() >= 3 {
            before = Some(allocations());
        }
        x.copy_from_slice(run.x().as_slice().expect("contiguous"));
        let Some(batch) = run.ask_compact().expect("ask") else {
            break;
        };
        values.clear();
        if batch.seeded().is_empty() {
            values.extend(batch.points().rows().into_iter().map(|p| p.dot(&p)));
        } else {
            let n = batch.len();
            batch.round().visit_points(0..n, &x, &mut scratch, &mut point, |_, p| {
                values.push(p.iter().map(|v| v * v).sum())
            });
        }
        run.tell(&values).expect("tell");
    }
    let after = allocations();
    drop(run);
    after - before.unwrap_or(after)
}

/// Allocations per step of the default method's `minimize` run (optionally
/// with box bounds, which project every query point) after `warm` steps. With
/// bounds, a step may have one round (no point was moved) or two (the masked
/// re-measurement), so the warm-up must include both kinds before the round
/// buffers have their final sizes.
fn allocations_auto(d: usize, steps: usize, bounded: bool, warm: usize) -> usize {
    let mut builder = Optimizer::auto().max_iterations(steps);
    if bounded {
        builder = builder.projection(zoptim::Bounds::uniform(0.2, 1.0));
    }
    let mut opt = builder.build().expect("valid");
    let mut counts = Vec::with_capacity(steps);
    let mut watch = |_: &StepRecord<f64>, _: ArrayView1<f64>| {
        if counts.len() < counts.capacity() {
            counts.push(allocations());
        }
        ControlFlow::Continue(())
    };
    opt.minimize_with(&mut Sphere, &Array1::from_elem(d, 0.5), &mut watch)
        .expect("run");
    counts[counts.len() - 1] - counts[warm]
}

fn main() {
    // The counter must see an allocation, or a zero below would prove nothing.
    counting_alloc::assert_counting();

    let d = 1000;
    let mut cases: Vec<(String, usize)> = Vec::new();
    for dir in Direction::ALL {
        for storage in [Storage::Buffered, Storage::Seeded] {
            let n = allocations_per_run(TwoPoint::central(dir).storage(storage).directions(2), d, 20);
            cases.push((format!("two-point central {} {storage:?}", dir.name()), n));
            let n = allocations_per_run(TwoPoint::forward(dir).storage(storage), d, 20);
            cases.push((format!("two-point forward {} {storage:?}", dir.name()), n));
        }
    }
    cases.push(("coordinate central".into(), allocations_per_run(Cge::central(), 50, 5)));
    cases.push((
        "coordinate forward subset".into(),
        allocations_per_run(Cge::forward().subset(7), d, 20),
    ));

    for (name, n) in [
        (
            "minimize: central rademacher + conservative",
            allocations_under_minimize(TwoPoint::spsa().directions(2), d, 12),
        ),
        (
            "minimize: mezo seeded + conservative",
            allocations_under_minimize(TwoPoint::mezo().directions(2), d, 12),
        ),
        (
            "minimize: dap two-stage + conservative",
            allocations_under_minimize(Dap::two_stage(3), 50, 12),
        ),
        (
            "minimize: block coordinate + conservative",
            allocations_under_minimize(BlockCoordinate::new(4), d, 12),
        ),
        (
            "ask/tell: central gaussian + armijo",
            allocations_under_ask_tell(TwoPoint::central(Direction::Gaussian).directions(2), d, 10),
        ),
        (
            "ask/tell: mezo seeded + armijo",
            allocations_under_ask_tell(TwoPoint::mezo(), d, 10),
        ),
        (
            "ask/tell compact: mezo seeded",
            allocations_under_ask_compact(TwoPoint::mezo().directions(2), d, 10),
        ),
        (
            "ask/tell compact: block coordinate",
            allocations_under_ask_compact(BlockCoordinate::new(4), d, 10),
        ),
        (
            "ask/tell: cge + armijo",
            allocations_under_ask_tell(Cge::central(), 40, 10),
        ),
    ] {
        cases.push((name.into(), n));
    }
    for (name, n) in [
        (
            "blocks of unequal size + momentum",
            allocations_block_rule(zoptim::Momentum::new(0.9), 300),
        ),
        (
            "blocks of unequal size + adam",
            allocations_block_rule(zoptim::Adam::new(), 300),
        ),
        (
            "blocks of unequal size + sign",
            allocations_block_rule(zoptim::SignSgd::new(), 300),
        ),
        (
            "blocks of unequal size + normalized",
            allocations_block_rule(zoptim::Normalized::new(), 300),
        ),
        (
            "blocks of unequal size + armijo",
            allocations_block_rule(LineSearch::armijo(), 300),
        ),
    ] {
        cases.push((name.into(), n));
    }
    {
        cases.push((
            "minimize: relizo + conservative".into(),
            allocations_under_minimize(zoptim::Relizo::with_reuse_bound(2e-3), d, 12),
        ));
        cases.push((
            "ask/tell: relizo + armijo".into(),
            allocations_under_ask_tell(zoptim::Relizo::with_reuse_bound(2e-3), d, 10),
        ));
    }

    cases.push((
        "directional newton + sgd".into(),
        allocations_per_run(zoptim::auto::Curvature::new(), d, 20),
    ));
    cases.push(("minimize: auto".into(), allocations_auto(d, 12, false, 3)));
    cases.push(("minimize: auto with bounds".into(), allocations_auto(d, 30, true, 10)));
    cases.push(("minimize: mezo seeded with bounds".into(), {
        let mut opt = Optimizer::builder(TwoPoint::mezo())
            .learning_rate(1e-4)
            .max_iterations(12)
            .projection(zoptim::Bounds::uniform(0.2, 1.0))
            .build()
            .expect("valid");
        let mut counts = Vec::with_capacity(12);
        let mut watch = |_: &StepRecord<f64>, _: ArrayView1<f64>| {
            if counts.len() < counts.capacity() {
                counts.push(allocations());
            }
            ControlFlow::Continue(())
        };
        opt.minimize_with(&mut Sphere, &Array1::from_elem(d, 0.5), &mut watch)
            .expect("run");
        counts[counts.len() - 1] - counts[3]
    }));

    let failed: Vec<_> = cases.iter().filter(|(_, n)| *n != 0).collect();
    for (name, n) in &cases {
        println!("{name}: {n} allocations in the measured steps");
    }
    if !failed.is_empty() {
        eprintln!("steps allocated: {failed:?}");
        std::process::exit(1);
    }
    println!("{} passed, 0 failed", cases.len());
}
