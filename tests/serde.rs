//! Serialisable types (feature `serde`): reports, records, stop reasons and the
//! configuration types read back from JSON equal to what was written.
#![cfg(feature = "serde")]

use ndarray::{Array1, ArrayView1};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zoptim::estimator::{BlockOrder, Storage};
use zoptim::prelude::*;
use zoptim::update::{Acceptance, SignMode, WeightDecay};
use zoptim::{Constant, Error, Report, Schedule};

fn round_trip<T: Serialize + DeserializeOwned>(v: &T) -> T {
    let text = serde_json::to_string(v).expect("serialise");
    serde_json::from_str(&text).expect("deserialise")
}

#[test]
fn a_report_with_its_history_reads_back_equal() {
    let mut opt = Optimizer::builder(TwoPoint::spsa().mu(1e-4))
        .update(Adam::new())
        .learning_rate(0.05)
        .max_evaluations(100)
        .history(true)
        .build()
        .unwrap();
    let r = opt
        .minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(3, 0.7))
        .unwrap();
    let back: Report<f64> = round_trip(&r);
    assert_eq!(back.best_x, r.best_x);
    assert_eq!(back.best_f.to_bits(), r.best_f.to_bits());
    assert_eq!(back.last_x, r.last_x);
    assert_eq!(back.history, r.history);
    assert_eq!(back.stop, r.stop);
    assert_eq!(back.evaluations, r.evaluations);
}

#[test]
fn stop_reasons_read_back_equal_and_errors_as_their_message() {
    for s in [
        StopReason::MaxEvaluations,
        StopReason::TargetReached,
        StopReason::Stalled,
        StopReason::Interrupted,
    ] {
        assert_eq!(round_trip(&s), s);
    }
    // A non-finite value survives the trip (as a string).
    let nan = StopReason::Diverged {
        iteration: 3,
        value: f64::NAN,
        best: f64::INFINITY,
    };
    match round_trip(&nan) {
        StopReason::Diverged { iteration, value, best } => {
            assert_eq!(iteration, 3);
            assert!(value.is_nan());
            assert_eq!(best, f64::INFINITY);
        }
        other => panic!("{other:?}"),
    }
    let failed = StopReason::Failed(Error::NoPendingBatch);
    match round_trip(&failed) {
        StopReason::Failed(Error::Restored { message }) => assert_eq!(message, Error::NoPendingBatch.to_string()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn configuration_types_read_back_equal() {
    let schedules = (
        Constant(0.1),
        PowerDecay::new(0.5, 10.0, 0.602),
        StepDecay::new(0.1, 0.5, 100),
        Cosine::new(0.1, 0.001, 1000),
        InverseSqrt(0.3),
    );
    let back = round_trip(&schedules);
    for k in [0, 7, 500, 10_000] {
        assert_eq!(back.0.value(k), schedules.0.value(k));
        assert_eq!(back.1.value(k), schedules.1.value(k));
        assert_eq!(back.2.value(k), schedules.2.value(k));
        assert_eq!(back.3.value(k), schedules.3.value(k));
        assert_eq!(back.4.value(k), schedules.4.value(k));
    }
    let bounds = Bounds::new(Array1::from(vec![0.0, -1.0]), Array1::from(vec![1.0, 2.5]));
    assert_eq!(round_trip(&bounds), bounds);
    let ball = Ball::origin(2.0_f64);
    assert_eq!(round_trip(&ball), ball);
    assert_eq!(round_trip(&Storage::Seeded), Storage::Seeded);
    assert_eq!(round_trip(&BlockOrder::Cyclic), BlockOrder::Cyclic);
    assert_eq!(round_trip(&WeightDecay::Decoupled), WeightDecay::Decoupled);
    assert_eq!(round_trip(&SignMode::ElementWise), SignMode::ElementWise);
    assert_eq!(round_trip(&Acceptance::Armijo), Acceptance::Armijo);
    let sgd = Sgd::new().weight_decay(0.25);
    assert_eq!(round_trip(&sgd), sgd);
    let sign = SignSgd::new();
    assert_eq!(round_trip(&sign), sign);
}
