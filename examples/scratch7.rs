use ndarray::{Array1, ArrayView1};
use zoptim::Optimizer;
use zoptim::estimator::Relizo;
fn main() {
    let d: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(100_000);
    let steps: usize = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(1000);
    let mut opt = Optimizer::builder(Relizo::readme(0.1))
        .learning_rate(0.1)
        .seed(1)
        .build()
        .unwrap();
    let x0 = Array1::from_elem(d, 0.1);
    let mut x = x0.clone();
    let mut f = |v: ArrayView1<f64>| v.dot(&v);
    let t = std::time::Instant::now();
    let mut reused = 0;
    for _ in 0..steps {
        let r = opt.step(&mut x, &mut f).unwrap();
        reused += r.reused;
    }
    println!(
        "{:.3} ms/step reused/step {:.2}",
        t.elapsed().as_secs_f64() * 1e3 / steps as f64,
        reused as f64 / steps as f64
    );
}
