//! Schedule values at chosen k, their validation, and that the μ and η schedules
//! actually reach the estimator and the update.

use ndarray::{ArrayView1, array};
use zoptim::Error;
use zoptim::prelude::*;
use zoptim::schedule::{Constant, Schedule};
use zoptim::testing::Sphere;

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-14 * b.abs().max(1.0), "{a} vs {b}");
}

#[test]
fn constants() {
    assert_eq!(0.3f64.value(0), 0.3);
    assert_eq!(0.3f64.value(1_000_000), 0.3);
    assert_eq!(Constant(2.0).value(17), 2.0);
    assert!(0.0f64.validate("lr").is_err());
    assert!(Constant(f64::NAN).validate("lr").is_err());
}

#[test]
fn spall_power_decay() {
    // a/(k + 1 + A)^α with a = 0.16, A = 100, α = 0.602: k = 0 → 0.16/101^0.602.
    let s = PowerDecay::spsa_gain(0.16, 100.0);
    close(s.value(0), 0.16 / 101f64.powf(0.602));
    close(s.value(899), 0.16 / 1000f64.powf(0.602));
    // c/(k + 1)^0.101: k = 0 → c; k = 1023 → c/1024^0.101 = c·2^−1.01.
    let c = PowerDecay::spsa_perturbation(0.01);
    close(c.value(0), 0.01);
    close(c.value(1023), 0.01 * 2f64.powf(-1.01));
    close(PowerDecay::new(1.0, 0.0, 1.0).value(3), 0.25);
    assert!(PowerDecay::new(1.0, -1.0, 0.602).validate("lr").is_err());
    assert!(PowerDecay::new(0.0, 1.0, 0.602).validate("lr").is_err());
}

#[test]
fn step_decay() {
    let s = StepDecay::new(1.0, 0.5, 10);
    close(s.value(0), 1.0);
    close(s.value(9), 1.0);
    close(s.value(10), 0.5);
    close(s.value(35), 0.125);
    assert!(StepDecay::new(1.0, 0.5, 0).validate("lr").is_err());
    assert!(StepDecay::new(1.0, 1.5, 3).validate("lr").is_err());
    assert!(StepDecay::new(1.0, 0.0, 3).validate("lr").is_err());
}

#[test]
fn cosine_with_warmup() {
    // w = 4: 0.25, 0.5, 0.75, 1 × max; then T − w = 10 steps of cosine to min.
    let s = Cosine::new(1.0, 0.1, 14).warmup(4);
    close(s.value(0), 0.25);
    close(s.value(3), 1.0);
    close(s.value(4), 1.0);
    // Half-way (t = ½): min + ½(max − min) = 0.55.
    close(s.value(9), 0.55);
    close(s.value(14), 0.1);
    close(s.value(1000), 0.1);
    let no_warmup = Cosine::new(2.0, 0.0, 4);
    close(no_warmup.value(0), 2.0);
    close(no_warmup.value(2), 1.0);
    assert!(Cosine::new(1.0, 2.0, 10).validate("lr").is_err());
    assert!(Cosine::new(1.0, 0.0, 5).warmup(5).validate("lr").is_err());
    assert!(Cosine::new(1.0, -0.1, 5).validate("lr").is_err());
}

#[test]
fn cosine_between_warmup_and_end() {
    let s = Cosine::new(1.0, 0.1, 14).warmup(4);
    let t: f64 = 0.2; // k = 6: (6 − 4)/10
    close(s.value(6), 0.1 + 0.45 * (1.0 + (std::f64::consts::PI * t).cos()));
}

#[test]
fn inverse_sqrt() {
    let s = InverseSqrt(0.5);
    close(s.value(0), 0.5);
    close(s.value(3), 0.25);
    close(s.value(99), 0.05);
    assert!(InverseSqrt(-1.0).validate("lr").is_err());
}

#[test]
fn builder_rejects_an_invalid_schedule_naming_the_parameter() {
    let e = Optimizer::builder(TwoPoint::<f64>::spsa())
        .smoothing(PowerDecay::new(-1.0, 0.0, 0.1))
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::InvalidParameter { name: "smoothing", .. }), "{e}");
}

#[test]
fn smoothing_schedule_sets_the_estimators_mu() {
    // Forward coordinate differences on f(x) = x² give g = ((x+h)² − x²)/h = 2x + h
    // with h = (x + μ) − x ≈ μ: the estimate reveals the μ used. The estimator's own
    // μ (0.5) must be overridden by the schedule's μₖ = 0.1/(k + 1)^0.101.
    let mu = PowerDecay::spsa_perturbation(0.1);
    let lr = StepDecay::new(0.1, 0.5, 2);
    let mut opt = Optimizer::builder(Cge::forward().mu(0.5))
        .smoothing(mu)
        .learning_rate(lr)
        .build()
        .unwrap();
    let mut x = array![1.0];
    let mut f = |x: ArrayView1<f64>| x[0] * x[0];
    for k in 0..6 {
        let before = x[0];
        let rec = opt.step(&mut x, &mut f).unwrap();
        let g = opt.last_estimate().to_vec()[0];
        let want = 2.0 * before + mu.value(k);
        assert!((g - want).abs() < 1e-12, "k = {k}: g = {g}, want {want}");
        assert_eq!(rec.lr, lr.value(k));
        close(x[0], before - lr.value(k) * g);
    }
}

#[test]
fn schedules_drive_a_run() {
    // Spall's gains on SPSA reach the minimum of the sphere.
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .learning_rate(PowerDecay::spsa_gain(0.2, 10.0))
        .smoothing(PowerDecay::spsa_perturbation(1e-3))
        .max_iterations(500)
        .seed(2)
        .build()
        .unwrap();
    let rep = opt.minimize(&mut Sphere, &ndarray::Array1::from_elem(5, 1.0)).unwrap();
    assert!(rep.last_f.unwrap() < 1e-6, "{:?}", rep.last_f);
}
