//! Compile-and-run checks of the ergonomic corners of the API: each test is code
//! a user writes naturally, and fails to compile if that spelling stops working.

use ndarray::{Array1, ArrayView1, array};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use zoptim::objective::slice_fn;
use zoptim::observer::{CsvWriter, History, Progress};
use zoptim::prelude::*;
use zoptim::{Error, StepRecord};

fn sphere32(x: ArrayView1<f32>) -> f32 {
    x.dot(&x)
}

#[test]
fn an_f32_learning_rate_literal_drives_an_f32_optimizer() {
    let mut f = sphere32;
    let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-2))
        .learning_rate(1e-1_f32)
        .max_iterations(50)
        .seed(3)
        .build()
        .unwrap();
    let report = opt.minimize(&mut f, &Array1::from_elem(3, 1.0_f32)).unwrap();
    assert!(report.best_f < 1e-2, "{}", report.best_f);
    // The f32 constant reaches the step unchanged: lr is recorded as the f32 0.1.
    let history = History::new();
    let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-2))
        .learning_rate(1e-1_f32)
        .max_iterations(1)
        .observer(history.recorder(1))
        .build()
        .unwrap();
    opt.minimize(&mut f, &Array1::from_elem(3, 1.0_f32)).unwrap();
    assert_eq!(history.snapshots()[0].record.lr, 1e-1_f32);
}

#[test]
fn integer_learning_rates_compile_and_zero_is_rejected() {
    let mut f = |x: ArrayView1<f64>| x.dot(&x);
    let mut opt = Optimizer::builder(Cge::central())
        .learning_rate(1)
        .max_iterations(1)
        .build()
        .unwrap();
    // η = 1 on ½‖x‖²·2 = x·x: the exact gradient step x − 2x lands on −x.
    let rep = opt.minimize(&mut f, &array![0.5, -0.25]).unwrap();
    assert!(
        (rep.last_x[0] + 0.5).abs() < 1e-6 && (rep.last_x[1] - 0.25).abs() < 1e-6,
        "{}",
        rep.last_x
    );
    let err = Optimizer::<f64>::builder(Cge::central()).learning_rate(0_u32).build();
    assert!(matches!(
        err,
        Err(Error::InvalidParameter {
            name: "learning_rate",
            ..
        })
    ));
    let err = Optimizer::<f64>::builder(Cge::central()).learning_rate(-2).build();
    assert!(matches!(
        err,
        Err(Error::InvalidParameter {
            name: "learning_rate",
            ..
        })
    ));
}

#[test]
fn building_without_an_objective_names_the_precision_once() {
    // Nothing pins F here but `Optimizer::<f64>`; no turbofish on the estimator.
    let opt = Optimizer::<f64>::builder(TwoPoint::spsa()).max_evaluations(10).build();
    assert!(opt.is_ok());
    let opt = Optimizer::<f32>::builder(Dap::previous())
        .update(Adam::new())
        .max_iterations(0)
        .build();
    assert!(opt.is_ok());
    let err = Optimizer::<f64>::builder(BlockCoordinate::new(2))
        .max_evaluations(0)
        .build();
    assert!(matches!(err, Err(Error::EmptyBudget)));
}

#[test]
fn sgd_is_one_type_for_every_precision() {
    // Sgd holds no F-typed state, so it is not generic: the same value serves
    // f32 and f64 optimizers, and type annotations name it without parameters.
    let rule = Sgd::new().weight_decay(0.0);
    let a: Optimizer<f64, TwoPoint<f64>, Sgd> = Optimizer::builder(TwoPoint::spsa())
        .update(rule.clone())
        .max_iterations(1)
        .build()
        .unwrap();
    let b: Optimizer<f32, TwoPoint<f32>, Sgd> = Optimizer::builder(TwoPoint::spsa())
        .update(rule)
        .max_iterations(1)
        .build()
        .unwrap();
    assert_eq!(a.update_rule(), b.update_rule());
}

#[test]
fn a_slice_closure_is_an_objective() {
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .learning_rate(0.1)
        .max_evaluations(1_000)
        .seed(5)
        .build()
        .unwrap();
    let r1 = opt
        .minimize(
            &mut slice_fn(|x: &[f64]| x.iter().map(|v| v * v).sum()),
            &Array1::ones(4),
        )
        .unwrap();
    opt.reset();
    let mut g = |x: ArrayView1<f64>| x.dot(&x);
    let r2 = opt.minimize(&mut g, &Array1::ones(4)).unwrap();
    // Same run, bit for bit, whichever way the objective is written.
    assert_eq!(r1.best_x, r2.best_x);
    assert_eq!(r1.best_f.to_bits(), r2.best_f.to_bits());
    assert!(r1.best_f < 1e-6);
}

#[test]
fn observer_constructors_are_infallible_and_zero_means_every_step() {
    let history = History::new();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = SharedBuf(lines.clone());
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .learning_rate(0.05)
        .max_iterations(4)
        .observer(history.recorder(0))
        .observer(Progress::new(sink, 0))
        .observer(CsvWriter::new(Vec::new()).every(0))
        .build()
        .unwrap();
    opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))
        .unwrap();
    assert_eq!(history.len(), 4);
    let text = String::from_utf8(lines.lock().unwrap().clone()).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
}

#[test]
fn csv_writer_create_works_with_question_mark_in_a_zoptim_result_fn() {
    fn run(path: &std::path::Path) -> zoptim::Result<usize> {
        let mut opt = Optimizer::builder(TwoPoint::spsa())
            .max_iterations(3)
            .observer(CsvWriter::create(path)?.every(1))
            .build()?;
        let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
        Ok(report.iterations)
    }
    let path = std::env::temp_dir().join(format!("zoptim-ergonomics-{}.csv", std::process::id()));
    assert_eq!(run(&path).unwrap(), 3);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    // A path that cannot be created is an Error::Io, not a panic.
    let missing = std::env::temp_dir()
        .join("zoptim-no-such-dir")
        .join("x")
        .join("log.csv");
    assert!(matches!(run(&missing), Err(Error::Io { .. })));
}

#[test]
fn closures_observe_with_a_plain_signature() {
    let mut seen = 0;
    let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(3).build().unwrap();
    let mut count = |_: &StepRecord<f64>, _: ArrayView1<f64>| {
        seen += 1;
        ControlFlow::Continue(())
    };
    opt.minimize_with(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2), &mut count)
        .unwrap();
    assert_eq!(seen, 3);
}

#[derive(Clone)]
struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn getters_read_back_what_the_setters_of_the_same_name_set() {
    let tp = TwoPoint::<f64>::spsa()
        .direction(Direction::Gaussian)
        .storage(Storage::Seeded)
        .mu(1e-4);
    assert_eq!(tp.get_direction(), Direction::Gaussian);
    assert_eq!(tp.get_storage(), Storage::Seeded);
    assert_eq!(tp.get_mu(), 1e-4);
    let bc = BlockCoordinate::<f64>::new(3)
        .direction(Direction::Rademacher)
        .order(BlockOrder::Cyclic)
        .directions(4);
    assert_eq!(bc.get_direction(), Direction::Rademacher);
    assert_eq!(bc.get_order(), BlockOrder::Cyclic);
    assert_eq!(bc.get_directions(), 4);
    assert_eq!(Cge::<f32>::central().mu(0.25).get_mu(), 0.25);
    assert_eq!(
        Dap::<f64>::previous().difference(Difference::Forward).get_difference(),
        Difference::Forward
    );
}
