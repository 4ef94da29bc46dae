//! Block-coordinate (MeZO-BCD) estimator: support, exact restore, unbiasedness,
//! block order, validation and integration with the optimizer.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;
use counting_alloc::allocations;
use ndarray::{Array1, ArrayView1};
use zoptim::Smoothed;
use zoptim::estimator::{BlockCoordinate, BlockOrder, Estimate, GradientEstimator, estimate_once};
use zoptim::testing::{Quadratic, TestFunction};
use zoptim::{Difference, Direction, Error, Optimizer, Sgd, ZoRng};

fn start(d: usize) -> Array1<f64> {
    Array1::from_shape_fn(d, |i| {
        0.3 + 0.7 * ((i * 7919) % 13) as f64 / 13.0 - 0.4 * (i % 3) as f64
    })
}

#[test]
fn a_step_leaves_every_coordinate_outside_the_block_bitwise_unchanged() {
    let d = 37;
    let mut f = Quadratic::<f64>::ill_conditioned(d, 50.0);
    for direction in [
        Direction::Gaussian,
        Direction::Rademacher,
        Direction::Sphere,
        Direction::Coordinate,
    ] {
        let mut opt = Optimizer::builder(BlockCoordinate::new(5).direction(direction).mu(1e-4))
            .update(Sgd::new().weight_decay(0.1))
            .learning_rate(0.01)
            .seed(3)
            .build()
            .unwrap();
        let mut x = start(d);
        for _ in 0..25 {
            let before = x.clone();
            opt.step(&mut x, &mut f).unwrap();
            let b = opt.estimator().last_block().unwrap();
            let block = opt.estimator().blocks()[b].clone();
            for i in 0..d {
                if !block.contains(&i) {
                    assert_eq!(
                        x[i].to_bits(),
                        before[i].to_bits(),
                        "{direction:?}: coordinate {i} outside {block:?}"
                    );
                }
            }
            // Weight decay alone moves every block coordinate (all are non-zero).
            assert!(
                block.clone().all(|i| x[i] != before[i]),
                "{direction:?}: block {block:?} not updated"
            );
        }
    }
}

#[test]
fn estimate_restores_x_exactly_on_success_and_on_failure() {
    let d = 50;
    let x0 = start(d);
    for difference in [Difference::Central, Difference::Forward] {
        // Success: x after the estimate is bitwise x before, for every block.
        let mut est = BlockCoordinate::<f64>::new(4).difference(difference).mu(0.37);
        GradientEstimator::<f64>::prepare(&mut est, d).unwrap();
        let mut f = Quadratic::<f64>::ill_conditioned(d, 10.0);
        let mut rng = ZoRng::seed_from_u64(1);
        let mut out = Estimate::new();
        let mut x = x0.to_vec();
        for _ in 0..8 {
            estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut out).unwrap();
            assert!(x.iter().zip(x0.iter()).all(|(a, b)| a.to_bits() == b.to_bits()));
            assert_eq!(out.support(), est.blocks()[est.last_block().unwrap()]);
        }
        // Failure on the last query of the step: x is still bitwise x before.
        let mut calls = 0;
        let last = est.max_queries(d);
        let mut bad = |x: ArrayView1<f64>| {
            calls += 1;
            if calls == last { f64::NAN } else { x.sum() }
        };
        let err = estimate_once(&mut est, &mut bad, &mut x, &mut rng, &mut out).unwrap_err();
        assert!(matches!(err, Error::NonFiniteObjective { .. }), "{err:?}");
        assert!(x.iter().zip(x0.iter()).all(|(a, b)| a.to_bits() == b.to_bits()));
    }
}

/// Per-block sample means of the estimate against ∇_B f.
///
/// f(x) = ½Σ aᵢxᵢ² is quadratic, so the central difference is exact up to
/// rounding and g = (zᵀ∇_B f)·z on the block. With Gaussian z,
/// Var(gᵢ) = ‖∇_B f‖² + (∂ᵢf)² (from E[(zᵀa)²zᵢ²] = ‖a‖² + 2aᵢ²). Without
/// scaling each block's mean over its n_B visits is compared with ∇_B f; with
/// K-scaling and a uniformly chosen block, gᵢ = K·(zᵀa_B)zᵢ with probability 1/K
/// and 0 otherwise, so E[gᵢ] = ∂ᵢf and Var(gᵢ) = K(‖a_B‖² + 2aᵢ²) − aᵢ²; the mean
/// over all n draws is compared with ∇f. Tolerance: 5 standard errors from those
/// exact variances (false-alarm chance below 1e-5 over the 12 coordinates; the
/// seed is fixed, so the test is deterministic).
#[test]
fn block_estimate_is_unbiased_for_the_block_gradient_and_k_scaled_for_the_full_gradient() {
    let d = 12;
    let k = 3;
    let mut f = Quadratic::new(Array1::from_shape_fn(d, |i| 0.5 + 0.25 * i as f64));
    let x0 = Array1::from_shape_fn(d, |i| if i % 2 == 0 { 1.0 } else { -0.5 } + 0.1 * i as f64);
    let grad = f.gradient(x0.view());
    let n = 30_000;
    for (order, unbiased) in [
        (BlockOrder::Uniform, false),
        (BlockOrder::Permutation, false),
        (BlockOrder::Uniform, true),
        (BlockOrder::Permutation, true),
    ] {
        let mut est = BlockCoordinate::<f64>::new(k).order(order).unbiased(unbiased).mu(1e-3);
        GradientEstimator::<f64>::prepare(&mut est, d).unwrap();
        let mut rng = ZoRng::seed_from_u64(77);
        let mut out = Estimate::new();
        let mut x = x0.to_vec();
        let mut sum = vec![0.0; d];
        let mut visits = vec![0usize; k];
        for _ in 0..n {
            estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut out).unwrap();
            let b = est.last_block().unwrap();
            visits[b] += 1;
            let s = out.support();
            for (i, g) in s.clone().zip(out.values()) {
                sum[i] += g;
            }
        }
        let blocks = est.blocks().to_vec();
        for (b, block) in blocks.iter().enumerate() {
            let nb2: f64 = block.clone().map(|i| grad[i] * grad[i]).sum();
            for i in block.clone() {
                let (mean, var, count) = if unbiased {
                    let var = k as f64 * (nb2 + 2.0 * grad[i] * grad[i]) - grad[i] * grad[i];
                    (sum[i] / n as f64, var, n)
                } else {
                    (sum[i] / visits[b] as f64, nb2 + grad[i] * grad[i], visits[b])
                };
                let se = (var / count as f64).sqrt();
                assert!(
                    (mean - grad[i]).abs() < 5.0 * se,
                    "{order:?} unbiased={unbiased}: coordinate {i}: mean {mean} vs {} (se {se})",
                    grad[i]
                );
            }
        }
    }
}

#[test]
fn permutation_order_visits_every_block_once_per_cycle_in_varying_orders() {
    let k = 6;
    let mut est = BlockCoordinate::<f64>::new(k);
    GradientEstimator::<f64>::prepare(&mut est, 20).unwrap();
    let mut f = |x: ArrayView1<f64>| x.dot(&x);
    let mut rng = ZoRng::seed_from_u64(5);
    let mut out = Estimate::new();
    let mut x = vec![1.0; 20];
    let mut cycles = Vec::new();
    for _ in 0..40 {
        let mut cycle = Vec::new();
        for _ in 0..k {
            estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut out).unwrap();
            cycle.push(est.last_block().unwrap());
        }
        let mut sorted = cycle.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            (0..k).collect::<Vec<_>>(),
            "cycle {cycle:?} is not a permutation"
        );
        cycles.push(cycle);
    }
    // 40 uniformly random permutations of 6 blocks: the chance that all are equal is 720^-39.
    cycles.sort();
    cycles.dedup();
    assert!(cycles.len() > 10, "only {} distinct orders in 40 cycles", cycles.len());

    // Cyclic order is 0, 1, …, K−1 repeatedly; reset restarts it.
    let mut est = BlockCoordinate::<f64>::new(4).order(BlockOrder::Cyclic);
    GradientEstimator::<f64>::prepare(&mut est, 20).unwrap();
    let mut seen = Vec::new();
    for _ in 0..9 {
        estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut out).unwrap();
        seen.push(est.last_block().unwrap());
    }
    assert_eq!(seen, vec![0, 1, 2, 3, 0, 1, 2, 3, 0]);
    est.reset();
    assert_eq!(est.last_block(), None);
    estimate_once(&mut est, &mut f, &mut x, &mut rng, &mut out).unwrap();
    assert_eq!(est.last_block(), Some(0));
}

#[test]
fn equal_blocks_partition_the_coordinates_and_user_ranges_are_validated() {
    let mut est = BlockCoordinate::<f64>::new(8);
    est.prepare(1003).unwrap();
    let blocks = est.blocks();
    assert_eq!(blocks.len(), 8);
    assert_eq!(blocks[0].start, 0);
    assert_eq!(blocks[7].end, 1003);
    for w in blocks.windows(2) {
        assert_eq!(w[0].end, w[1].start);
    }
    assert!(blocks.iter().all(|b| b.len() == 125 || b.len() == 126));

    let mut f = |x: ArrayView1<f64>| x.dot(&x);
    let x0 = Array1::from_elem(10, 1.0);
    let bad: Vec<Vec<std::ops::Range<usize>>> = vec![
        vec![0..4, 5..10], // gap
        vec![0..5, 4..10], // overlap
        vec![0..0, 0..10], // empty block
        vec![0..4, 4..9],  // does not cover d
        vec![0..4, 4..11], // beyond d
        vec![4..10, 0..4], // out of order
    ];
    for ranges in bad {
        let mut opt = Optimizer::builder(BlockCoordinate::with_ranges(ranges.clone()))
            .max_evaluations(100)
            .build()
            .unwrap();
        let err = opt.minimize(&mut f, &x0).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidParameter {
                    name: "block ranges",
                    ..
                }
            ),
            "{ranges:?}: {err:?}"
        );
    }
    // K > d is rejected when the dimension is seen; K = 0, μ ≤ 0 and q = 0 at build.
    let mut opt = Optimizer::builder(BlockCoordinate::new(11))
        .max_evaluations(10)
        .build()
        .unwrap();
    assert!(matches!(
        opt.minimize(&mut f, &x0),
        Err(Error::InvalidParameter { name: "blocks", .. })
    ));
    for est in [
        BlockCoordinate::<f64>::new(0),
        BlockCoordinate::new(2).mu(0.0),
        BlockCoordinate::new(2).directions(0),
        BlockCoordinate::with_ranges(vec![]),
    ] {
        assert!(matches!(
            Optimizer::builder(est).build(),
            Err(Error::InvalidParameter { .. })
        ));
    }

    // Valid layer-like ranges of unequal size work and are the blocks used.
    let ranges = vec![0..1, 1..7, 7..10];
    let mut opt = Optimizer::builder(BlockCoordinate::with_ranges(ranges.clone()).mu(1e-5))
        .learning_rate(0.1)
        .max_evaluations(400)
        .seed(2)
        .build()
        .unwrap();
    let report = opt.minimize(&mut f, &x0).unwrap();
    assert_eq!(opt.estimator().blocks(), &ranges[..]);
    assert!(report.best_f < 1e-3 * 10.0, "{}", report.best_f);
}

#[test]
fn budget_counts_and_reproducibility() {
    let d = 40;
    let mut f = Quadratic::<f64>::ill_conditioned(d, 10.0);
    let x0 = start(d);
    let run = |seed: u64, f: &mut Quadratic<f64>| {
        let mut opt = Optimizer::builder(BlockCoordinate::new(4).mu(1e-5))
            .learning_rate(0.008)
            .max_evaluations(2001)
            .seed(seed)
            .history(true)
            .build()
            .unwrap();
        opt.minimize(f, &x0).unwrap()
    };
    let a = run(9, &mut f);
    let b = run(9, &mut f);
    let c = run(10, &mut f);
    // f(x0) + 2 per step + the final evaluation, never above the budget.
    assert!(a.evaluations <= 2001);
    assert_eq!(a.evaluations, 1 + 2 * a.iterations + 1);
    assert_eq!(a.iterations, 999);
    assert!(a.history.as_ref().unwrap().iter().all(|r| r.queries == 2));
    let bits = |v: &Array1<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.last_x), bits(&b.last_x));
    assert_ne!(bits(&a.last_x), bits(&c.last_x));
    // And it optimises: about 250 visits per block at lr·L·(|B|+2) ≈ 1 shrink f
    // by well over a factor 10 (the slowest coordinates, curvature 1, by ≈ e^-4).
    let f0 = f.value(x0.view());
    assert!(a.best_f < 0.1 * f0, "{} vs {f0}", a.best_f);
}

/// After the first step, a step allocates nothing (for every order and difference).
#[test]
fn steps_allocate_nothing_after_warm_up() {
    counting_alloc::assert_counting();
    let d = 1000;
    let mut f = |x: ArrayView1<f64>| x.dot(&x);
    for (order, difference) in [
        (BlockOrder::Permutation, Difference::Central),
        (BlockOrder::Uniform, Difference::Forward),
        (BlockOrder::Cyclic, Difference::Central),
    ] {
        let mut opt = Optimizer::builder(
            BlockCoordinate::new(8)
                .order(order)
                .difference(difference)
                .directions(2),
        )
        .learning_rate(1e-3)
        .build()
        .unwrap();
        let mut x = Array1::from_elem(d, 1.0);
        opt.step(&mut x, &mut f).unwrap();
        let before = allocations();
        for _ in 0..50 {
            opt.step(&mut x, &mut f).unwrap();
        }
        assert_eq!(allocations() - before, 0, "{order:?} {difference:?}");
    }
}
