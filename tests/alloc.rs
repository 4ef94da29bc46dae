//! After warm-up, an optimizer step performs no heap allocation.
//!
//! The shared per-thread counting allocator (`tests/common/counting_alloc.rs`)
//! wraps the system one; this binary runs without the libtest harness
//! (`harness = false`) and prints the plain `N passed, N failed` line.

#[path = "common/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;
use ndarray::Array1;
use zoptim::problems::Sphere;
use zoptim::{Coordinate, Direction, GradientEstimator, Optimizer, Storage, TwoPoint};

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
    cases.push((
        "coordinate central".into(),
        allocations_per_run(Coordinate::central(), 50, 5),
    ));
    cases.push((
        "coordinate forward subset".into(),
        allocations_per_run(Coordinate::forward().subset(7), d, 20),
    ));

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
