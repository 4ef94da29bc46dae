//! After warm-up, an optimizer step performs no heap allocation.
//!
//! A counting global allocator wraps the system one; this binary runs without
//! the libtest harness (`harness = false`) so that no other test thread can
//! allocate while a measurement is in progress.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::Array1;
use zoptim::problems::Sphere;
use zoptim::{Coordinate, Direction, GradientEstimator, Optimizer, Storage, TwoPoint};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

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
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..steps {
        opt.step(&mut x, &mut f).expect("step");
    }
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

fn main() {
    // The counter must see an allocation, or a zero below would prove nothing.
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let probe = std::hint::black_box(vec![0u8; 64]);
    assert!(
        ALLOCATIONS.load(Ordering::SeqCst) > before,
        "the counting allocator is not in use"
    );
    drop(probe);

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
