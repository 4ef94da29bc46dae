//! Each update rule against a step computed by hand (or by an independent scalar
//! transcription of the paper's formula), plus the block (lazy) semantics and the
//! conservative rule's choices and query accounting.

use ndarray::{Array1, ArrayView1};
use std::ops::Range;
use zoptim::direction::{Direction, SeededDirection};
use zoptim::estimator::Estimate;
use zoptim::prelude::*;
use zoptim::update::{UpdateInfo, update_once};
use zoptim::{Error, Query, ZoRng};

/// Applies `rule` once to `x` with the dense estimate `g` on `support`, with a
/// zero objective (rules that query get `max_queries` of them).
fn apply<U: UpdateRule<f64>>(
    rule: &mut U,
    x: &mut [f64],
    g: &[f64],
    support: Range<usize>,
    lr: f64,
) -> zoptim::Result<UpdateInfo<f64>> {
    let mut est = Estimate::new();
    est.dense_mut(x.len(), support).copy_from_slice(g);
    let mut f = |_: ArrayView1<f64>| 0.0;
    update_once(rule, &mut f, x, &mut est, lr, None)
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * (1.0 + y.abs()),
            "coordinate {i}: {x} vs {y} ({a:?} vs {b:?})"
        );
    }
}

#[test]
fn sgd_with_weight_decay() {
    // x ← x − η(g + λx): [1, −1] − 0.1·([1, 2] + 0.5·[1, −1]) = [0.85, −1.15].
    let mut r = Sgd::new().weight_decay(0.5);
    let mut x = [1.0, -1.0];
    apply(&mut r, &mut x, &[1.0, 2.0], 0..2, 0.1).unwrap();
    close(&x, &[0.85, -1.15], 1e-15);
}

#[test]
fn heavy_ball_two_steps() {
    // m₁ = g₁ = [1, 2], x₁ = −0.1·m₁; m₂ = 0.9·m₁ + [3, −1] = [3.9, 0.8], x₂ = x₁ − 0.1·m₂.
    let mut r = Momentum::<f64>::new(0.9);
    UpdateRule::<f64>::prepare(&mut r, 2).unwrap();
    let mut x = [0.0, 0.0];
    apply(&mut r, &mut x, &[1.0, 2.0], 0..2, 0.1).unwrap();
    close(&x, &[-0.1, -0.2], 1e-15);
    apply(&mut r, &mut x, &[3.0, -1.0], 0..2, 0.1).unwrap();
    close(r.buffer(), &[3.9, 0.8], 1e-15);
    close(&x, &[-0.49, -0.28], 1e-15);
}

#[test]
fn nesterov_two_steps() {
    // Step = g + β·m: [1.9, 3.8] then [3 + 0.9·3.9, −1 + 0.9·0.8] = [6.51, −0.28].
    let mut r = Momentum::<f64>::nesterov();
    UpdateRule::<f64>::prepare(&mut r, 2).unwrap();
    let mut x = [0.0, 0.0];
    apply(&mut r, &mut x, &[1.0, 2.0], 0..2, 0.1).unwrap();
    close(&x, &[-0.19, -0.38], 1e-15);
    apply(&mut r, &mut x, &[3.0, -1.0], 0..2, 0.1).unwrap();
    close(&x, &[-0.841, -0.352], 1e-14);
}

#[test]
fn momentum_weight_decay_and_block_laziness() {
    // ĝ = g + λx = [1, 2] + 0.5·[1, −1] = [1.5, 1.5]; x₁ = x − 0.1·ĝ.
    let mut r = Momentum::<f64>::heavy_ball().weight_decay(0.5);
    UpdateRule::<f64>::prepare(&mut r, 3).unwrap();
    let mut x = [1.0, -1.0, 7.0];
    apply(&mut r, &mut x, &[1.0, 2.0], 0..2, 0.1).unwrap();
    close(&x, &[0.85, -1.15, 7.0], 1e-15);
    // A block step on 2..3 only: coordinates 0 and 1 and their buffer are untouched
    // (no decay, no coasting on the old momentum).
    let before = r.buffer().to_vec();
    apply(&mut r, &mut x, &[2.0], 2..3, 0.1).unwrap();
    close(&x[..2], &[0.85, -1.15], 0.0);
    close(&r.buffer()[..2], &before[..2], 0.0);
    // Coordinate 2: ĝ = 2 + 0.5·7 = 5.5, m = 5.5, x = 7 − 0.55.
    close(&x[2..], &[6.45], 1e-15);
}

#[test]
fn element_wise_sign() {
    let mut r = SignSgd::new();
    let mut x = [1.0, 1.0, 1.0, 1.0];
    apply(&mut r, &mut x, &[2.0, -3.0, 0.0, 1e-300], 0..4, 0.25).unwrap();
    assert_eq!(x, [0.75, 1.25, 1.0, 0.75]);
}

#[test]
fn scalar_sign_follows_the_direction_with_the_sign_of_the_scalar() {
    let d = 50;
    let mut rng = ZoRng::seed_from_u64(5);
    let dir = SeededDirection::draw(Direction::Gaussian, &mut rng, d);
    let mut u = vec![0.0; d];
    dir.write(&mut u);
    for (form, c) in [("seeded", -2.5), ("stored", 0.75)] {
        let mut est = Estimate::<f64>::new();
        if form == "seeded" {
            let (dirs, coefs) = est.seeded_mut(d, 0..d);
            dirs.push(dir);
            coefs.push(c);
        } else {
            let (rows, coefs) = est.stored_mut(d, 0..d, 1);
            rows.copy_from_slice(&u);
            coefs[0] = c;
        }
        let mut x = vec![1.0; d];
        let mut f = |_: ArrayView1<f64>| 0.0;
        update_once(&mut SignSgd::scalar(), &mut f, &mut x, &mut est, 0.01, None).unwrap();
        // x − η·sign(c)·u; the coefficient (−η/|c|)·c is ±η up to one rounding.
        let want: Vec<f64> = u.iter().map(|ui| 1.0 - 0.01 * c.signum() * ui).collect();
        close(&x, &want, 1e-15);
    }
}

#[test]
fn scalar_sign_rejects_dense_and_multi_direction_estimates_leaving_x_unchanged() {
    let mut r = SignSgd::scalar();
    let mut x = [1.0, 2.0];
    let err = apply(&mut r, &mut x, &[1.0, 1.0], 0..2, 0.1).unwrap_err();
    assert!(
        matches!(err, Error::InvalidParameter { name: "sign mode", .. }),
        "{err}"
    );
    assert_eq!(x, [1.0, 2.0]);

    let mut est = Estimate::<f64>::new();
    let (rows, coefs) = est.stored_mut(2, 0..2, 2);
    rows.copy_from_slice(&[1.0, 0.0, 0.0, 1.0]);
    coefs.copy_from_slice(&[1.0, -1.0]);
    let mut f = |_: ArrayView1<f64>| 0.0;
    assert!(update_once(&mut r, &mut f, &mut x, &mut est, 0.1, None).is_err());
    assert_eq!(x, [1.0, 2.0]);
}

/// Adam's step for one coordinate, transcribed from Kingma & Ba (Algorithm 1)
/// with PyTorch's placement of ε and (for AMSGrad) its corrected running max.
struct ScalarAdam {
    m: f64,
    v: f64,
    vmax: f64,
    t: i32,
}

impl ScalarAdam {
    fn step(&mut self, x: f64, g: f64, lr: f64, amsgrad: bool, correct: bool) -> f64 {
        let (b1, b2, eps) = (0.9, 0.999, 1e-8);
        self.t += 1;
        self.m = b1 * self.m + (1.0 - b1) * g;
        self.v = b2 * self.v + (1.0 - b2) * g * g;
        self.vmax = self.vmax.max(self.v);
        let v = if amsgrad { self.vmax } else { self.v };
        let (c1, c2) = if correct {
            (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t))
        } else {
            (1.0, 1.0)
        };
        x - lr * (self.m / c1) / ((v / c2).sqrt() + eps)
    }
}

#[test]
fn adam_bias_correction_by_hand() {
    // t = 1: m̂ = g, v̂ = g², so the first step is η·g/(|g| + ε) — η·sign(g) up to ε.
    let mut r = Adam::<f64>::new();
    UpdateRule::<f64>::prepare(&mut r, 2).unwrap();
    let mut x = [0.0, 0.0];
    apply(&mut r, &mut x, &[1.0, -2.0], 0..2, 0.1).unwrap();
    close(&x, &[-0.1 / (1.0 + 1e-8), 0.1 * 2.0 / (2.0 + 1e-8)], 1e-15);
    close(r.first_moment(), &[0.1, -0.2], 1e-15);
    close(r.second_moment(), &[0.001, 0.004], 1e-15);
    // t = 2, g = [0.5, 0]: m = [0.14, −0.18], v = [0.001249, 0.003996];
    // coordinate 0: m̂ = 0.14/0.19, v̂ = 0.001249/0.001999.
    apply(&mut r, &mut x, &[0.5, 0.0], 0..2, 0.1).unwrap();
    let want0 = -0.1 / (1.0 + 1e-8) - 0.1 * (0.14 / 0.19) / ((0.001249f64 / 0.001999).sqrt() + 1e-8);
    let want1 = 0.2 / (2.0 + 1e-8) - 0.1 * (-0.18 / 0.19) / ((0.003996f64 / 0.001999).sqrt() + 1e-8);
    close(&x, &[want0, want1], 1e-13);
}

#[test]
fn amsgrad_uses_the_running_max_of_v() {
    // g = 1 then g = 0: v falls from 0.001 to 0.000999, AMSGrad keeps 0.001.
    let gs = [1.0, 0.0, 0.0, 0.3];
    let mut ams = Adam::<f64>::new().amsgrad(true);
    let mut plain = Adam::<f64>::new();
    UpdateRule::<f64>::prepare(&mut ams, 1).unwrap();
    UpdateRule::<f64>::prepare(&mut plain, 1).unwrap();
    let (mut xa, mut xp) = ([0.0], [0.0]);
    let mut sa = ScalarAdam {
        m: 0.0,
        v: 0.0,
        vmax: 0.0,
        t: 0,
    };
    let mut sp = ScalarAdam {
        m: 0.0,
        v: 0.0,
        vmax: 0.0,
        t: 0,
    };
    let (mut wa, mut wp) = (0.0, 0.0);
    for g in gs {
        apply(&mut ams, &mut xa, &[g], 0..1, 0.1).unwrap();
        apply(&mut plain, &mut xp, &[g], 0..1, 0.1).unwrap();
        wa = sa.step(wa, g, 0.1, true, true);
        wp = sp.step(wp, g, 0.1, false, true);
        close(&xa, &[wa], 1e-13);
        close(&xp, &[wp], 1e-13);
    }
    // After g = 0.3 at step 4, v = 0.999³·0.001 + 0.001·0.09 = 0.001087 > 0.001.
    close(ams.max_second_moment(), &[sa.vmax], 1e-15);
    close(
        ams.max_second_moment(),
        &[0.999f64.powi(3) * 0.001 + 0.001 * 0.09],
        1e-15,
    );
    // Step 2 by hand: m̂ = 0.09/0.19; v̂ = 0.001/0.001999 with AMSGrad, 0.000999/0.001999 without.
    let step2_ams = 0.1 * (0.09 / 0.19) / ((0.001f64 / 0.001999).sqrt() + 1e-8);
    let step2_plain = 0.1 * (0.09 / 0.19) / ((0.000999f64 / 0.001999).sqrt() + 1e-8);
    assert!((step2_plain - step2_ams) > 1e-5, "the max changes the step");
    let mut ams2 = Adam::<f64>::new().amsgrad(true);
    UpdateRule::<f64>::prepare(&mut ams2, 1).unwrap();
    let mut x = [0.0];
    apply(&mut ams2, &mut x, &[1.0], 0..1, 0.1).unwrap();
    let x1 = x[0];
    apply(&mut ams2, &mut x, &[0.0], 0..1, 0.1).unwrap();
    close(&[x1 - x[0]], &[step2_ams], 1e-13);
}

#[test]
fn zo_adamm_has_no_bias_correction_and_adamw_decouples_decay() {
    let mut r = Adam::<f64>::zo_adamm();
    UpdateRule::<f64>::prepare(&mut r, 1).unwrap();
    let mut x = [0.0];
    // m = 0.1, v̂ = 0.001·4 = 0.004: step = 0.1·0.2/(√0.004 + 1e-8)·... with g = 2.
    apply(&mut r, &mut x, &[2.0], 0..1, 0.1).unwrap();
    close(&x, &[-0.1 * 0.2 / (0.004f64.sqrt() + 1e-8)], 1e-14);

    // AdamW: x ← x(1 − ηλ) then the Adam step; L2-Adam adds λx to g instead.
    let mut w = Adam::<f64>::adamw().weight_decay(0.5);
    UpdateRule::<f64>::prepare(&mut w, 1).unwrap();
    let mut x = [2.0];
    apply(&mut w, &mut x, &[1.0], 0..1, 0.1).unwrap();
    close(&x, &[2.0 * (1.0 - 0.05) - 0.1 / (1.0 + 1e-8)], 1e-15);
    let mut l2 = Adam::<f64>::new().weight_decay(0.5);
    UpdateRule::<f64>::prepare(&mut l2, 1).unwrap();
    let mut x = [2.0];
    apply(&mut l2, &mut x, &[-3.0], 0..1, 0.1).unwrap();
    // ĝ = −3 + 0.5·2 = −2: the first step is +η.
    close(&x, &[2.0 + 0.1 * 2.0 / (2.0 + 1e-8)], 1e-15);
}

#[test]
fn adam_block_steps_count_per_coordinate() {
    let mut r = Adam::<f64>::new();
    UpdateRule::<f64>::prepare(&mut r, 4).unwrap();
    let mut x = [0.0; 4];
    for _ in 0..3 {
        apply(&mut r, &mut x, &[1.0, 1.0], 0..2, 0.1).unwrap();
    }
    assert_eq!(&x[2..], &[0.0, 0.0], "coordinates outside the block do not move");
    assert_eq!(&r.first_moment()[2..], &[0.0, 0.0]);
    // The first visit of block 2..4 is that coordinate's first Adam step, bias
    // corrected with t = 1 (a global t = 4 would give 0.1·0.1/(1 − 0.9⁴)/… ≠ 0.1).
    apply(&mut r, &mut x, &[3.0, -5.0], 2..4, 0.1).unwrap();
    close(&x[2..], &[-0.1 * 3.0 / (3.0 + 1e-8), 0.1 * 5.0 / (5.0 + 1e-8)], 1e-15);
}

#[test]
fn rules_reject_bad_configuration() {
    assert!(UpdateRule::<f64>::validate(&Momentum::<f64>::new(1.0)).is_err());
    assert!(UpdateRule::<f64>::validate(&Momentum::<f64>::new(-0.1)).is_err());
    assert!(UpdateRule::<f64>::validate(&Adam::<f64>::new().betas(0.9, 1.0)).is_err());
    assert!(UpdateRule::<f64>::validate(&Adam::<f64>::new().eps(0.0)).is_err());
    assert!(UpdateRule::<f64>::validate(&Adam::<f64>::new().weight_decay(f64::NAN)).is_err());
    let built = Optimizer::builder(TwoPoint::<f64>::spsa())
        .update(Momentum::new(1.5))
        .build();
    assert!(matches!(built, Err(Error::InvalidParameter { name: "momentum", .. })));
}

/// One conservative step at x = [0] with g = [1], η = 1 on f(x) = (x − a)²
/// (or a constant), with f(x) known or not. Returns (x, info, queries).
fn cons_step(f: impl Fn(f64) -> f64, fx_known: bool) -> (f64, UpdateInfo<f64>, usize) {
    let mut calls = 0;
    let mut obj = |x: ArrayView1<f64>| {
        calls += 1;
        f(x[0])
    };
    let mut r = Conservative::new();
    UpdateRule::<f64>::prepare(&mut r, 1).unwrap();
    let mut est = Estimate::new();
    est.dense_mut(1, 0..1)[0] = 1.0;
    let mut x = [0.0];
    let info = { update_once(&mut r, &mut obj, &mut x, &mut est, 1.0, fx_known.then(|| f(0.0))).unwrap() };
    (x[0], info, calls)
}

#[test]
fn conservative_keeps_the_best_of_three_as_zo_bench() {
    // a = −1: f₀ = 1, f₋ = f(−1) = 0, f₊ = 4 → x − ηg.
    let (x, info, _) = cons_step(|x| (x + 1.0).powi(2), true);
    assert_eq!((x, info.fx_new, info.trials), (-1.0, Some(0.0), 2));
    // a = 0: f₀ = 0 < f₋ = f₊ = 1 → stay.
    let (x, info, _) = cons_step(|x| x * x, true);
    assert_eq!((x, info.fx_new), (0.0, Some(0.0)));
    // a = 1: f₋ = 4 > f₀ = 1 ≥ f₊ = 0 → x + ηg.
    let (x, info, _) = cons_step(|x| (x - 1.0).powi(2), true);
    assert_eq!((x, info.fx_new), (1.0, Some(0.0)));
    // All equal: ZO-Bench's branches end at x + ηg.
    let (x, _, _) = cons_step(|_| 3.0, true);
    assert_eq!(x, 1.0);
}

#[test]
fn conservative_queries_f_x_only_when_unknown() {
    let (_, _, calls) = cons_step(|x| x * x, true);
    assert_eq!(calls, 2);
    let (_, _, calls) = cons_step(|x| x * x, false);
    assert_eq!(calls, 3);
}

#[test]
fn conservative_failure_leaves_x_unchanged() {
    let mut obj = |x: ArrayView1<f64>| if x[0] > 0.5 { f64::NAN } else { x[0] * x[0] };
    let mut r = Conservative::new();
    let mut est = Estimate::new();
    est.dense_mut(1, 0..1)[0] = -1.0;
    let mut x = [0.0];
    let err = update_once(&mut r, &mut obj, &mut x, &mut est, 1.0, None).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NonFiniteObjective {
                query: Query::Trial(0),
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(x, [0.0]);
}

#[test]
fn conservative_budget_accounting_in_the_loop() {
    let d = 20;
    let x0 = Array1::from_elem(d, 1.0);
    let mut calls = 0usize;
    let mut f = |x: ArrayView1<f64>| {
        calls += 1;
        x.dot(&x)
    };
    // Central two-point (2) + conservative (3 declared): minimize starts a step only
    // if 5 + 1 (final) fit. f(x0) and each step's chosen value are reused, so a
    // step costs 2 + 2 = 4 and no final evaluation is needed: 1 + 4k ≤ 1000.
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .update(Conservative::new())
        .learning_rate(0.02)
        .max_evaluations(1000)
        .history(true)
        .build()
        .unwrap();
    let rep = opt.minimize(&mut f, &x0).unwrap();
    assert_eq!(rep.stop, StopReason::MaxEvaluations);
    // Largest k with 1 + 4k + 6 ≤ 1000 before the last step: k = 249 → 997, then stop.
    assert_eq!(rep.iterations, 249);
    assert_eq!(rep.evaluations, 1 + 4 * 249);
    assert_eq!(rep.evaluations, calls);
    let h = rep.history.unwrap();
    assert!(h.iter().all(|r| r.queries == 4 && r.trials == 2));
    // The chosen values never increase: the rule never accepts a worse point.
    let mut prev = f64::INFINITY;
    for r in &h {
        let v = r.fx_new.unwrap();
        assert!(v <= prev);
        prev = v;
    }
    assert_eq!(rep.last_f, Some(prev));

    // With `step` nothing is known between calls: 2 + 1 + 2 = 5 queries (ZO-Bench's 5 passes).
    let mut opt = Optimizer::builder(TwoPoint::spsa())
        .update(Conservative::new())
        .learning_rate(0.02)
        .build()
        .unwrap();
    let mut x = x0.clone();
    let rec = opt.step(&mut x, &mut |x: ArrayView1<f64>| x.dot(&x)).unwrap();
    assert_eq!((rec.queries, rec.trials), (5, 2));
}

#[test]
fn every_rule_descends_a_quadratic() {
    // A smoke check that each rule, wired into the optimizer, makes progress:
    // f(x0) = 25·½·Σaᵢ ≈ 1016 for d = 20 with curvatures 1…10; after 3000
    // evaluations (seed 11) the sign rules stall at ≈ 4.4 (a neighbourhood set by
    // the fixed step η; with Rademacher directions sign(c·u) = sign(c)·u, so both
    // sign rules take identical steps) and every other rule is below 0.02. The
    // threshold f0/50 ≈ 20 fails any rule that does not descend.
    let d = 20;
    let x0 = Array1::from_elem(d, 5.0);
    let rules: Vec<(Box<dyn UpdateRule<f64>>, f64)> = vec![
        (Box::new(Sgd::new()), 0.005),
        (Box::new(Momentum::heavy_ball()), 0.0005),
        (Box::new(Momentum::nesterov()), 0.0005),
        (Box::new(SignSgd::new()), 0.02),
        (Box::new(SignSgd::scalar()), 0.02),
        (Box::new(Adam::new()), 0.1),
        (Box::new(Adam::zo_adamm()), 0.1),
        (Box::new(Conservative::new()), 0.005),
    ];
    for (rule, lr) in rules {
        let name = rule.name();
        let mut f = zoptim::testing::Quadratic::<f64>::ill_conditioned(d, 10.0);
        let mut opt = Optimizer::builder(TwoPoint::central(Direction::Rademacher).mu(1e-4))
            .update(rule)
            .learning_rate(lr)
            .max_evaluations(3000)
            .seed(11)
            .build()
            .unwrap();
        let rep = opt.minimize(&mut f, &x0).unwrap();
        let last = rep.last_f.unwrap();
        assert!(last < 20.0, "{name}: f = {last}");
    }
}

#[test]
fn adam_mixed_full_and_block_steps_match_a_per_coordinate_reference() {
    // Full steps (one shared count), then blocks, then full steps again (counts now
    // differ per coordinate): each coordinate must follow its own scalar Adam.
    for amsgrad in [false, true] {
        let d = 6;
        let mut r = Adam::<f64>::new().amsgrad(amsgrad);
        UpdateRule::<f64>::prepare(&mut r, d).unwrap();
        let mut x = vec![0.3; d];
        let mut refs: Vec<ScalarAdam> = (0..d)
            .map(|_| ScalarAdam {
                m: 0.0,
                v: 0.0,
                vmax: 0.0,
                t: 0,
            })
            .collect();
        let mut want = vec![0.3; d];
        let steps: Vec<Range<usize>> = vec![0..6, 0..6, 1..3, 2..5, 0..6, 4..6, 0..6, 0..6];
        for (k, s) in steps.into_iter().enumerate() {
            let g: Vec<f64> = s.clone().map(|i| ((i * 7 + k * 3) % 5) as f64 - 2.0).collect();
            apply(&mut r, &mut x, &g, s.clone(), 0.05).unwrap();
            for (i, gi) in s.zip(&g) {
                want[i] = refs[i].step(want[i], *gi, 0.05, amsgrad, true);
            }
            close(&x, &want, 1e-13);
        }
    }
}

#[test]
fn rules_and_projection_work_in_f32() {
    // f(x) = Σ xᵢ² in f32 from x = 1 (f = 8), with μ = 1e-2 (f32 rounding) and
    // box bounds [−0.5, 2]: each rule ends far below f(x0) (observed ≤ 2.4e-3, the
    // sign rule; the others ≤ 3.2e-7). Threshold 0.5.
    let rules: Vec<Box<dyn UpdateRule<f32>>> = vec![
        Box::new(Momentum::heavy_ball()),
        Box::new(Adam::new()),
        Box::new(SignSgd::new()),
        Box::new(Conservative::new()),
    ];
    for rule in rules {
        let name = rule.name();
        let mut f = |x: ArrayView1<f32>| x.dot(&x);
        let mut opt = Optimizer::builder(TwoPoint::<f32>::spsa().mu(1e-2))
            .update(rule)
            .learning_rate(0.01)
            .max_evaluations(2000)
            .projection(Bounds::uniform(-0.5f32, 2.0))
            .seed(3)
            .build()
            .unwrap();
        let rep = opt.minimize(&mut f, &Array1::from_elem(8, 1.0f32)).unwrap();
        assert!(rep.last_f.unwrap() < 0.5, "{name}: {:?}", rep.last_f);
        assert!(rep.last_x.iter().all(|v| (-0.5..=2.0).contains(v)));
    }
}
