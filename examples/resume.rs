//! Checkpoint and resume: a run that writes a checkpoint every 50 steps stops
//! after 300 (as a crashed or time-limited job would), a fresh optimizer resumes
//! it from the file, and the final report equals the uninterrupted run's, bit
//! for bit.
//!
//! `cargo run --release --features serde --example resume`

use ndarray::Array1;
use zoptim::prelude::*;
// The extended Rosenbrock function stands in for an expensive simulator.
use zoptim::testing::Rosenbrock;
use zoptim::{Checkpoint, TwoPoint};

fn main() -> zoptim::Result<()> {
    let path = std::env::temp_dir().join("zoptim-resume-example.json");
    let x0 = Array1::from_elem(10, -0.5);
    let build = |iterations: usize| {
        Optimizer::builder(TwoPoint::<f64>::spsa().directions(4).mu(1e-4))
            .update(Adam::new())
            .learning_rate(StepDecay::new(0.02, 0.5, 1000))
            .max_iterations(iterations)
            .history(true)
            .seed(2026)
            .checkpoint_every(50, &path)
            .build()
    };
    let mut f = Rosenbrock;

    let whole = build(2000)?.minimize(&mut f, &x0)?;
    println!(
        "uninterrupted: {} steps, {} evaluations, f = {:.6e}",
        whole.iterations,
        whole.evaluations,
        whole.last_f.unwrap_or(f64::NAN)
    );

    // The first job stops after 300 steps; its last checkpoint is at step 300.
    build(300)?.minimize(&mut f, &x0)?;
    let saved = Checkpoint::<f64>::read(&path)?;
    let bytes = std::fs::metadata(&path)?.len();
    println!(
        "checkpoint:    step {}, {} evaluations, {bytes} bytes at {}",
        saved.iteration(),
        saved.evaluations(),
        path.display()
    );

    // A new job resumes from the file with the full iteration limit.
    let resumed = build(2000)?.resume_from(&path)?.minimize(&mut f)?;
    println!(
        "resumed:       {} steps, {} evaluations, f = {:.6e}",
        resumed.iterations,
        resumed.evaluations,
        resumed.last_f.unwrap_or(f64::NAN)
    );

    let same = resumed.last_x == whole.last_x
        && resumed.best_x == whole.best_x
        && resumed.best_f.to_bits() == whole.best_f.to_bits()
        && resumed.evaluations == whole.evaluations
        && resumed.history == whole.history;
    println!(
        "the resumed report {} the uninterrupted one",
        if same { "equals" } else { "DIFFERS FROM" }
    );
    std::fs::remove_file(&path).ok();
    assert!(same, "a resumed run must reproduce the uninterrupted one");
    Ok(())
}
