//! The DAP paper's synthetic τ-MSE study (Ma & Huang, ICLR 2025), reproduced.
//!
//! f(x) = xᵀAx with A = diag(U(−1, 1)), d = 8, x ~ N(0, 10²) with 4 of its 8
//! coordinates zeroed (so 4 gradient entries are exactly 0). At that fixed x,
//! each estimator is called `trials` times (default 1000, as in the paper) and
//! each estimate g is scored by its τ-MSE: the mean of (gᵢ − ∂ᵢf)² over the
//! coordinates with |∂ᵢf| ≥ τ = 0.01. The table gives the median over trials
//! (the statistic of the paper's box plots) and, for comparison, ratios of means.
//!
//! All four methods use forward differences (the reference's form) and the same
//! query budget per estimate, B + 1 for "batch size" B:
//! - Gaussian and uniform sphere (radius √d): B directions, [`TwoPoint`];
//! - DAP (true gradient): B directions aligned with the exact gradient,
//!   [`Dap::with_proxy`] (the proxy is not a query);
//! - DAP (two-stage): B/2 uniform directions for the proxy g₀ then B/2 DAP
//!   directions, averaged, [`Dap::two_stage`] — the paper plots this at batch 2b.
//!
//! **μ.** In f64 the forward quotient of a quadratic has truncation error
//! μ·vᵀAv and rounding error ≈ 2ε|f(x)|/μ (ε = 2.2e-16). Balancing the two with
//! |vᵀAv| ≈ tr|A| (its typical size) gives μ = √(2ε|f(x)|/tr|A|), printed below
//! (≈ 1e-7 here); the total error per quotient is then ≈ 1e-6, which adds about
//! 1e-12 to a τ-MSE of order 0.1–10: negligible, as is the paper's μ = 1e-8
//! (rounding ≈ 1e-5). The study measures sampling variance, not μ.
//!
//! **What to expect (derived).** As B grows the estimation error is Gaussian
//! with covariance Σ/B, restricted here to the 4 support coordinates S of the
//! gradient a. For DAP with the exact gradient, Σ = ‖a‖²(I − ââᵀ), whose trace
//! on S is 3‖a‖²; for the uniform sphere Σ = ‖a‖²(d/(d+2))·I + (d−2)/(d+2)·aaᵀ,
//! trace 3.8‖a‖²; for Gaussian Σ = ‖a‖²I + aaᵀ, trace 5‖a‖². The *mean* τ-MSE
//! of DAP is therefore 21% below uniform's, and the *median* (χ²₃ against
//! 0.8χ²₃ + 1.4χ²₁) about 24.5% below — the paper's medians (≈11 vs ≈14.5 at
//! B = 32, ≈0.6 vs ≈0.9 at 512, read off a log-scale box plot) agree with that
//! within reading error. A gain of "≥ 25% at every batch size", which the
//! paper's plots suggest, sits at this limit: with 1000 trials each median carries a few per cent of sampling error,
//! so some batch sizes land on either side of it. Run with `--trials 20000` to
//! see the median ratios settle near 0.755 and the mean ratios near 0.79.
//!
//! Two-stage DAP has no closed form here (its proxy is itself noisy); measured
//! with 20000 trials its *mean* τ-MSE is 4–10% below uniform's at every batch
//! size, and its *median* 3–8% below from B = 64 on but about 1% above at
//! B = 32 (b = 16 pilot directions give a proxy within ~35° of the gradient),
//! in line with the paper's "up to 10%". Both statistics are printed.
//!
//! Run: `cargo run --release --example dap_mse [-- --trials N]`
use ndarray::{ArrayView1, ArrayViewMut1};
use zoptim::Smoothed;
use zoptim::estimator::{Dap, Estimate, GradientEstimator, estimate_once};
use zoptim::{Direction, Objective, TwoPoint, ZoRng};

const D: usize = 8;
const TAU: f64 = 0.01;
const BATCHES: [usize; 5] = [32, 64, 128, 256, 512];

/// τ-MSE of `trials` estimates at x, each with a fresh draw from one generator.
fn tau_mse<E: GradientEstimator<f64>>(
    est: &mut E,
    f: &mut dyn Objective<f64>,
    x: &[f64],
    grad: &[f64],
    trials: usize,
    seed: u64,
) -> Vec<f64> {
    let mut rng = ZoRng::seed_from_u64(seed);
    let mut out = Estimate::new();
    let mut xs = x.to_vec();
    est.prepare(D).expect("d = 8 is valid for every estimator here");
    let mut scores = Vec::with_capacity(trials);
    for _ in 0..trials {
        let limit = est.max_queries(D);
        let info = estimate_once(est, &mut *f, &mut xs, &mut rng, &mut out).expect("finite quadratic");
        debug_assert_eq!(info.queries, limit);
        let g = out.to_vec();
        let (mut s, mut n) = (0.0, 0usize);
        for (gi, &ai) in g.iter().zip(grad) {
            if ai.abs() >= TAU {
                s += (gi - ai) * (gi - ai);
                n += 1;
            }
        }
        scores.push(s / n as f64);
    }
    scores
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn main() {
    let mut trials = 1000usize;
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--trials") {
        trials = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(trials).max(1);
    }

    // The problem, from seed 42 (the reference's seed; its numpy stream differs from ours).
    let mut rng = ZoRng::seed_from_u64(42);
    let a: Vec<f64> = (0..D).map(|_| 2.0 * rng.uniform() - 1.0).collect();
    let mut x: Vec<f64> = (0..D)
        .map(|_| 10.0 * zoptim::random::standard_normal::<f64>(&mut rng))
        .collect();
    let mut idx: Vec<usize> = (0..D).collect();
    for i in 0..D / 2 {
        let j = i + rng.below(D - i);
        idx.swap(i, j);
    }
    for &i in &idx[..D / 2] {
        x[i] = 0.0;
    }
    let grad: Vec<f64> = a.iter().zip(&x).map(|(ai, xi)| 2.0 * ai * xi).collect();
    let a_f = a.clone();
    let mut f = move |x: ArrayView1<f64>| x.iter().zip(&a_f).map(|(xi, ai)| ai * xi * xi).sum::<f64>();
    let fx = f.eval(ArrayView1::from(&x[..]));
    let tr_abs: f64 = a.iter().map(|v| v.abs()).sum();
    let mu = (2.0 * f64::EPSILON * fx.abs() / tr_abs).sqrt();
    let g2: f64 = grad.iter().map(|g| g * g).sum();
    let support = grad.iter().filter(|g| g.abs() >= TAU).count();

    println!("DAP synthetic study: f = xᵀAx, A = diag(U(−1,1)), d = {D}, x ~ N(0, 10²) with 4 zeros");
    println!("x = {x:.3?}");
    println!("diag(A) = {a:.3?}");
    println!(
        "f(x) = {fx:.3}, ‖∇f‖² = {g2:.1}, |S| = {support} coordinates with |∂f| ≥ τ = {TAU}, μ = {mu:.2e}, {trials} trials"
    );
    println!();
    println!(
        "{:>5} {:>7} | {:>10} {:>10} {:>10} {:>10} | {:>9} {:>9} | {:>9} {:>9}",
        "", "", "median", "τ-MSE", "", "", "median", "ratios", "mean", "ratios"
    );
    println!(
        "{:>5} {:>7} | {:>10} {:>10} {:>10} {:>10} | {:>9} {:>9} | {:>9} {:>9}",
        "batch", "queries", "gaussian", "uniform", "DAP true", "DAP 2-st", "true/uni", "2st/uni", "true/uni", "2st/uni"
    );

    let a_p = a.clone();
    let mut ok_true = true;
    let mut ok_two = true;
    for (k, &b) in BATCHES.iter().enumerate() {
        let seed = 1000 + k as u64;
        let mut gauss = TwoPoint::forward(Direction::Gaussian).directions(b).mu(mu);
        let mut uni = TwoPoint::forward(Direction::Sphere).directions(b).mu(mu);
        let a_c = a_p.clone();
        let mut dap_true = Dap::with_proxy(move |x: ArrayView1<f64>, mut out: ArrayViewMut1<f64>| {
            for ((o, &xi), &ai) in out.iter_mut().zip(x.iter()).zip(&a_c) {
                *o = 2.0 * ai * xi;
            }
        })
        .directions(b)
        .mu(mu);
        let mut dap_two = Dap::two_stage(b / 2).mu(mu);
        let mut scores = [
            tau_mse(&mut gauss, &mut f, &x, &grad, trials, seed),
            tau_mse(&mut uni, &mut f, &x, &grad, trials, seed),
            tau_mse(&mut dap_true, &mut f, &x, &grad, trials, seed),
            tau_mse(&mut dap_two, &mut f, &x, &grad, trials, seed),
        ];
        let queries = [
            GradientEstimator::<f64>::max_queries(&gauss, D),
            GradientEstimator::<f64>::max_queries(&uni, D),
            dap_true.max_queries(D),
            dap_two.max_queries(D),
        ];
        assert!(queries.iter().all(|&q| q == b + 1), "unequal budgets: {queries:?}");
        let means: Vec<f64> = scores.iter().map(|s| s.iter().sum::<f64>() / s.len() as f64).collect();
        let m: Vec<f64> = scores.iter_mut().map(|s| median(s)).collect();
        let r_true = m[2] / m[1];
        let r_two = m[3] / m[1];
        ok_true &= r_true <= 0.75;
        ok_two &= r_two <= 1.0;
        println!(
            "{b:>5} {:>7} | {:>10.4} {:>10.4} {:>10.4} {:>10.4} | {r_true:>9.3} {r_two:>9.3} | {:>9.3} {:>9.3}",
            b + 1,
            m[0],
            m[1],
            m[2],
            m[3],
            means[2] / means[1],
            means[3] / means[1],
        );
    }
    let dd = D as f64;
    let s = support as f64;
    let uni_trace = s * dd / (dd + 2.0) + (dd - 2.0) / (dd + 2.0);
    println!();
    println!(
        "theory (large B): mean τ-MSE ratio DAP-true/uniform = {:.3}, median ratio ≈ 0.755 (for |S| = 4, d = 8)",
        (s - 1.0) / uni_trace
    );
    println!(
        "issue targets (medians): DAP-true ≥ 25% below uniform at every batch: {}; two-stage no worse than uniform: {}",
        if ok_true { "met" } else { "NOT met" },
        if ok_two { "met" } else { "NOT met" }
    );
}
