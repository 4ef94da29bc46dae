//! A per-thread counting global allocator for allocation tests (included by
//! test crates with `#[path = "common/counting_alloc.rs"] mod counting_alloc;`).
//! Counting per thread keeps libtest's other test threads out of the count.

pub struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn count_one() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

pub fn allocations() -> usize {
    ALLOCATIONS.with(|c| c.get())
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl std::alloc::GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        count_one();
        unsafe { std::alloc::System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        unsafe { std::alloc::System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        count_one();
        unsafe { std::alloc::System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        count_one();
        unsafe { std::alloc::System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Panics unless the counter sees a fresh allocation, so that a zero count
/// measured afterwards means something.
pub fn assert_counting() {
    let probe = allocations();
    std::hint::black_box(vec![1u8; 3]);
    assert!(allocations() > probe, "the counting allocator is not in use");
}
