//! Cost of one update of each update rule (through `update_once`) at d = 100 000, on a stored
//! single-direction estimate (g materialised once by the rules that need values).

use criterion::{Criterion, criterion_group, criterion_main};
use ndarray::ArrayView1;
use std::hint::black_box;
use zoptim::direction::{Direction, SeededDirection};
use zoptim::estimator::Estimate;
use zoptim::update::{UpdateRule, update_once};
use zoptim::{Adam, Conservative, Momentum, Sgd, SignSgd, ZoRng};

const D: usize = 100_000;

fn bench_rule(c: &mut Criterion, name: &str, mut rule: impl UpdateRule<f64>) {
    let mut rng = ZoRng::seed_from_u64(1);
    let dir = SeededDirection::draw(Direction::Gaussian, &mut rng, D);
    let mut est = Estimate::<f64>::new();
    {
        let (rows, coefs) = est.stored_mut(D, 0..D, 1);
        dir.write(rows);
        coefs[0] = 0.3;
    }
    rule.prepare(D).unwrap();
    let mut x = vec![0.5; D];
    let mut f = |x: ArrayView1<f64>| x[0];
    c.bench_function(&format!("apply {name} d=1e5"), |b| {
        b.iter(|| {
            black_box(update_once(&mut rule, &mut f, &mut x, &mut est, 1e-9, Some(0.5)).unwrap());
        })
    });
}

fn rules(c: &mut Criterion) {
    bench_rule(c, "sgd", Sgd::new());
    bench_rule(c, "momentum", Momentum::heavy_ball());
    bench_rule(c, "sign", SignSgd::new());
    bench_rule(c, "scalar sign", SignSgd::scalar());
    bench_rule(c, "adam", Adam::new());
    bench_rule(c, "amsgrad", Adam::new().amsgrad(true));
    bench_rule(c, "conservative", Conservative::new());
}

criterion_group!(benches, rules);
criterion_main!(benches);
