//! Observers: stopping a run at the step asked, the history recorder, the
//! progress line and the CSV writer.

use ndarray::{Array1, ArrayView1};
use std::io::{self, Write};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use zoptim::StepRecord;
use zoptim::observer::{CsvWriter, History, Progress};
use zoptim::prelude::*;

fn sphere(x: ArrayView1<f64>) -> f64 {
    x.dot(&x)
}

/// A `Write` whose bytes the test can read after the optimizer took ownership.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn an_observer_stops_the_run_at_the_step_it_asked() {
    let mut seen = Vec::new();
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .learning_rate(0.01)
        .max_iterations(1000)
        .history(true)
        .observer(move |r: &StepRecord<f64>, _x: ArrayView1<f64>| {
            log2.lock().unwrap().push(r.iteration);
            if r.iteration == 7 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .build()
        .unwrap();
    let rep = opt.minimize(&mut sphere, &Array1::from_elem(3, 1.0)).unwrap();
    assert_eq!(rep.stop, StopReason::Observer);
    assert_eq!(rep.iterations, 8, "steps 0..=7 were taken, no more");
    assert_eq!(*log.lock().unwrap(), (0..8).collect::<Vec<_>>());
    let h = rep.history.unwrap();
    assert_eq!(h.len(), 8);
    // 1 (f(x0)) + 8 steps × 2 + 1 (final) evaluations.
    assert_eq!(rep.evaluations, 1 + 16 + 1);
    seen.extend(h.iter().map(|r| r.iteration));
    assert_eq!(seen.last(), Some(&7));
}

#[test]
fn every_observer_is_called_even_when_an_earlier_one_stops() {
    let count = Arc::new(Mutex::new(0usize));
    let c2 = count.clone();
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .max_iterations(100)
        .observer(|_: &StepRecord<f64>, _: ArrayView1<f64>| ControlFlow::Break(()))
        .observer(move |_: &StepRecord<f64>, _: ArrayView1<f64>| {
            *c2.lock().unwrap() += 1;
            ControlFlow::Continue(())
        })
        .build()
        .unwrap();
    let rep = opt.minimize(&mut sphere, &Array1::from_elem(2, 1.0)).unwrap();
    assert_eq!((rep.stop, rep.iterations), (StopReason::Observer, 1));
    assert_eq!(*count.lock().unwrap(), 1);
}

#[test]
fn history_recorder_keeps_every_kth_step_and_x() {
    let history = History::new();
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .learning_rate(0.05)
        .max_iterations(25)
        .history(true)
        .observer(history.recorder(5).with_x(true))
        .build()
        .unwrap();
    let rep = opt.minimize(&mut sphere, &Array1::from_elem(4, 1.0)).unwrap();
    let snaps = history.snapshots();
    let full = rep.history.unwrap();
    assert_eq!(
        snaps.iter().map(|s| s.record.iteration).collect::<Vec<_>>(),
        vec![0, 5, 10, 15, 20]
    );
    for s in &snaps {
        assert_eq!(s.record, full[s.record.iteration]);
        assert_eq!(s.x.as_ref().unwrap().len(), 4);
    }
    // The snapshot after the last recorded step is not the final iterate (step 24 is).
    assert_ne!(snaps.last().unwrap().x.as_ref().unwrap(), &rep.last_x);
    assert_eq!(history.take().len(), 5);
    assert!(history.is_empty());
}

#[test]
fn progress_prints_a_line_every_k_steps() {
    let out = Shared::default();
    let mut opt = Optimizer::builder(TwoPoint::forward(Direction::Gaussian))
        .learning_rate(0.05)
        .max_iterations(10)
        .observer(Progress::new(out.clone(), 3))
        .build()
        .unwrap();
    opt.minimize(&mut sphere, &Array1::from_elem(2, 1.0)).unwrap();
    let text = out.text();
    let lines: Vec<&str> = text.lines().collect();
    // Steps 0, 3, 6, 9; step 0 made one query (f(x0), already evaluated, is reused).
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("step        0  evals          2"), "{}", lines[0]);
    assert!(lines[3].contains("step        9"));
}

#[test]
fn csv_writer_logs_each_step_and_is_flushed_when_the_run_ends() {
    let path = std::env::temp_dir().join(format!("zoptim-observers-{}.csv", std::process::id()));
    let mut opt = Optimizer::builder(TwoPoint::forward(Direction::Rademacher))
        .learning_rate(0.05)
        .max_iterations(6)
        .history(true)
        .observer(CsvWriter::create(&path).unwrap().every(2))
        .build()
        .unwrap();
    let rep = opt.minimize(&mut sphere, &Array1::from_elem(3, 1.0)).unwrap();
    // The optimizer (and its BufWriter) is still alive: `finish` flushed it.
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "iteration,evaluations,queries,fx,min_value,fx_new,lr,reused,rank,trials"
    );
    assert_eq!(lines.len(), 1 + 3); // iterations 0, 2, 4
    let h = rep.history.unwrap();
    for (line, k) in lines[1..].iter().zip([0, 2, 4]) {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 10);
        assert_eq!(cells[0].parse::<usize>().unwrap(), k);
        assert_eq!(cells[1].parse::<usize>().unwrap(), h[k].evaluations);
        // Floats are written in a round-tripping form.
        assert_eq!(cells[3].parse::<f64>().unwrap(), h[k].fx.unwrap());
        assert_eq!(cells[6].parse::<f64>().unwrap(), 0.05);
        assert_eq!(cells[5], "", "no f at the new iterate for SGD");
    }
}

struct Failing;
impl Write for Failing {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::other("disk full"))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_csv_write_error_stops_the_run() {
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .max_iterations(50)
        .observer(CsvWriter::new(Failing))
        .build()
        .unwrap();
    let rep = opt.minimize(&mut sphere, &Array1::from_elem(2, 1.0)).unwrap();
    assert_eq!((rep.stop, rep.iterations), (StopReason::Observer, 1));
}

#[test]
fn a_progress_bar_does_not_change_the_run() {
    use indicatif::{ProgressBar as Bar, ProgressDrawTarget};
    use zoptim::observer::ProgressBar;
    let run = |bar: Option<ProgressBar>| {
        let mut b = Optimizer::builder(TwoPoint::mezo().mu(1e-3))
            .update(Adam::new())
            .learning_rate(0.02)
            .max_evaluations(1_000)
            .history(true)
            .seed(11);
        if let Some(bar) = bar {
            b = b.observer(bar);
        }
        b.build()
            .unwrap()
            .minimize(&mut sphere, &Array1::from_elem(6, 1.0))
            .unwrap()
    };
    let hidden = Bar::with_draw_target(Some(1_000), ProgressDrawTarget::hidden());
    let with = run(Some(ProgressBar::with_bar(hidden.clone())));
    let without = run(None);
    assert_eq!(with.best_f.to_bits(), without.best_f.to_bits());
    assert_eq!(with.last_x, without.last_x);
    assert_eq!(with.evaluations, without.evaluations);
    assert!(hidden.is_finished());
    assert!(
        hidden.position() > 900 && hidden.position() <= 1_000,
        "{}",
        hidden.position()
    );
    let msg = hidden.message();
    let shown: f64 = msg.strip_prefix("best f ").unwrap().parse().unwrap();
    // The message holds the best value the steps evaluated (the final f(x) is
    // not a step), to the 5 digits it prints.
    let steps_best = with
        .history
        .as_ref()
        .unwrap()
        .iter()
        .filter_map(|r| r.min_value)
        .fold(f64::INFINITY, f64::min);
    assert!((shown - steps_best).abs() <= 1e-4 * steps_best, "{msg} vs {steps_best}");
    // A 0 budget is taken as 1, not a panic.
    assert_eq!(ProgressBar::new(0).bar().length(), Some(1));
}
