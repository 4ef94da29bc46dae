//! Convergence plots (feature `plot`).
#![cfg(feature = "plot")]

use ndarray::{Array1, ArrayView1};
use zoptim::prelude::*;

fn run(q: usize) -> zoptim::Report<f64> {
    let mut opt = Optimizer::builder(TwoPoint::spsa().directions(q).mu(1e-6))
        .learning_rate(0.1)
        .max_evaluations(400)
        .history(true)
        .build()
        .unwrap();
    opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x) - 1.0, &Array1::from_elem(4, 1.0))
        .unwrap()
}

#[test]
fn convergence_writes_an_svg_with_one_labelled_line_per_run() {
    let (a, b) = (run(1), run(4));
    let path = std::env::temp_dir().join(format!("zoptim-plot-{}.svg", std::process::id()));
    zoptim::plot::convergence(&[("q = 1", &a), ("q = 4", &b)], &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
    assert!(svg.contains("q = 1") && svg.contains("q = 4"));
    // f reaches −1 (< 0): the log axis is shifted, and says so.
    assert!(svg.contains("best f so far +"));
    assert_eq!(
        svg.matches(r#"stroke-width="2""#).count(),
        4,
        "two curves and two legend marks"
    );
}

#[test]
fn a_report_without_history_is_an_error() {
    let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(3).build().unwrap();
    let r = opt
        .minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(2, 1.0))
        .unwrap();
    assert!(matches!(
        zoptim::plot::convergence(&[("no history", &r)], "unused.svg"),
        Err(zoptim::Error::InvalidParameter { name: "history", .. })
    ));
}
