//! After warm-up, a ReLIZO step (with each of its update rules) performs no heap
//! allocation.
//!
//! A counting global allocator wraps the system one; this binary runs without
//! the libtest harness (`harness = false`) so that no other test thread can
//! allocate while a measurement is in progress.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ndarray::Array1;
use zoptim::estimator::{GramUpdate, Relizo, Sampling};
use zoptim::problems::Quadratic;
use zoptim::update::{LineSearch, Normalized};
use zoptim::{Optimizer, Sgd, UpdateRule};

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

/// Allocations made by `steps` steps after two warm-up steps, and the samples
/// reused in them (so that the reuse paths are known to have run).
fn allocations<U: UpdateRule<f64>>(estimator: Relizo<f64>, rule: U, d: usize, steps: usize) -> (usize, usize) {
    let mut opt = Optimizer::builder(estimator)
        .update(rule)
        .learning_rate(0.1)
        .seed(3)
        .build()
        .expect("valid");
    let mut x = Array1::from_elem(d, 0.1);
    let mut f = Quadratic::<f64>::relizo(d);
    for _ in 0..2 {
        opt.step(&mut x, &mut f).expect("warm-up step");
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let mut reused = 0;
    for _ in 0..steps {
        reused += opt.step(&mut x, &mut f).expect("step").reused;
    }
    (ALLOCATIONS.load(Ordering::SeqCst) - before, reused)
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

    let d = 700;
    let readme = || Relizo::readme(0.1);
    let cases = [
        ("readme + sgd", allocations(readme(), Sgd::new(), d, 30)),
        (
            "readme exact gram",
            allocations(readme().gram_update(GramUpdate::Exact), Sgd::new(), d, 30),
        ),
        (
            "readme orthogonal",
            allocations(readme().sampling(Sampling::Orthogonal), Sgd::new(), d, 30),
        ),
        (
            "reference defaults",
            allocations(Relizo::reference_defaults(), Sgd::new(), d, 30),
        ),
        (
            "momentum",
            allocations(readme().sample_momentum(0.5), Sgd::new(), d, 30),
        ),
        (
            "readme + normalized",
            allocations(readme(), Normalized::new().weight_decay(0.1), d, 30),
        ),
        (
            "readme + armijo",
            allocations(readme(), LineSearch::armijo().weight_decay(0.1), d, 30),
        ),
        (
            "readme + reference ls",
            allocations(readme(), LineSearch::reference(), d, 30),
        ),
    ];
    let mut failed = 0;
    for (name, (n, reused)) in &cases {
        println!("{name}: {n} allocations in 30 steps ({reused} samples reused)");
        if *n != 0 {
            failed += 1;
        }
    }
    let reused_somewhere = cases.iter().filter(|(_, (_, r))| *r > 0).count();
    if failed > 0 || reused_somewhere < 5 {
        eprintln!("{failed} cases allocated; {reused_somewhere} cases reused samples");
        std::process::exit(1);
    }
    println!("{} passed, 0 failed", cases.len());
}
