//! Convergence plots (feature `plot`): the best value found against the
//! evaluations spent, one line per run, written as SVG.
//!
//! Only plotters' SVG backend is used, with its built-in text layout, so no
//! system library (fontconfig, freetype) is needed.

use crate::error::{Error, Result};
use crate::real::Real;
use crate::report::Report;
use plotters::prelude::*;
use std::path::Path;

/// The best value after each step of `report`, as (evaluations, best f so far),
/// starting at f(x0) when the first step knew it. Needs the run's history
/// ([`OptimizerBuilder::history`](crate::optimizer::OptimizerBuilder::history)).
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.1).max_iterations(20).history(true).build()?;
/// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(3, 1.0))?;
/// let curve = zoptim::plot::best_so_far(&report)?;
/// assert_eq!(curve.len(), 21); // f(x0), then one point per step
/// assert!(curve.windows(2).all(|w| w[1].1 <= w[0].1)); // never increases
/// # Ok::<(), zoptim::Error>(())
/// ```
pub fn best_so_far<F: Real>(report: &Report<F>) -> Result<Vec<(usize, f64)>> {
    let history = report.history.as_ref().ok_or(Error::InvalidParameter {
        name: "history",
        value: "off".into(),
        requirement: "on (OptimizerBuilder::history(true)) for a convergence curve",
    })?;
    let mut curve = Vec::with_capacity(history.len() + 1);
    let mut best = f64::INFINITY;
    if let Some(f0) = history.first().and_then(|r| r.fx) {
        best = f0.as_f64();
        curve.push((history[0].evaluations - history[0].queries, best));
    }
    for r in history {
        for v in [r.min_value, r.fx_new].into_iter().flatten() {
            best = best.min(v.as_f64());
        }
        if best.is_finite() {
            curve.push((r.evaluations, best));
        }
    }
    Ok(curve)
}

/// At most about `n` points of a monotone curve, spread evenly over its
/// evaluations (first and last kept), so that a long run stays a small file.
fn thin(curve: Vec<(usize, f64)>, n: usize) -> Vec<(usize, f64)> {
    let (Some(&first), Some(&last)) = (curve.first(), curve.last()) else {
        return curve;
    };
    let span = (last.0 - first.0).max(1);
    let mut out = Vec::with_capacity(n + 2);
    let mut next = first.0;
    for &p in &curve {
        if p.0 >= next {
            out.push(p);
            next = p.0 + span.div_ceil(n);
        }
    }
    if out.last() != Some(&last) {
        out.push(last);
    }
    out
}

/// Draws f (best so far, log scale) against evaluations for each labelled run
/// and writes the SVG to `path`.
///
/// Values ≤ 0 cannot be drawn on a log scale; each curve is shifted by the same
/// amount when the smallest value is not positive, and the axis label says so.
/// Errors: a report without history ([`Error::InvalidParameter`]), no runs, and
/// failures to draw or write the file ([`Error::Io`]).
///
/// ```
/// use ndarray::{Array1, ArrayView1};
/// use zoptim::prelude::*;
///
/// let mut opt = Optimizer::builder(TwoPoint::spsa()).learning_rate(0.1).max_iterations(20).history(true).build()?;
/// let report = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::from_elem(3, 1.0))?;
/// let path = std::env::temp_dir().join(format!("zoptim-plot-doc-{}.svg", std::process::id()));
/// zoptim::plot::convergence(&[("SPSA", &report)], &path)?;
/// let svg = std::fs::read_to_string(&path).map_err(zoptim::Error::from)?;
/// std::fs::remove_file(&path).ok();
/// assert!(svg.starts_with("<svg") && svg.contains("SPSA"));
/// // A report without history cannot be drawn: an error, not a panic.
/// let bare = Optimizer::builder(TwoPoint::spsa()).max_iterations(2).build()?
///     .minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
/// assert!(zoptim::plot::convergence(&[("bare", &bare)], &path).is_err());
/// # Ok::<(), zoptim::Error>(())
/// ```
pub fn convergence<F: Real>(runs: &[(&str, &Report<F>)], path: impl AsRef<Path>) -> Result<()> {
    if runs.is_empty() {
        return Err(Error::InvalidParameter {
            name: "runs",
            value: "none".into(),
            requirement: "at least one labelled report",
        });
    }
    let curves: Vec<(&str, Vec<(usize, f64)>)> = runs
        .iter()
        .map(|(label, r)| best_so_far(r).map(|c| (*label, thin(c, 600))))
        .collect::<Result<_>>()?;
    let points = curves.iter().flat_map(|(_, c)| c.iter());
    let (mut lo, mut hi, mut xmax) = (f64::INFINITY, f64::NEG_INFINITY, 1usize);
    for &(e, v) in points {
        lo = lo.min(v);
        hi = hi.max(v);
        xmax = xmax.max(e);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return Err(Error::InvalidParameter {
            name: "runs",
            value: "no finite value".into(),
            requirement: "at least one step with a finite value",
        });
    }
    // A log axis needs positive values: shift everything when needed.
    let shift = if lo > 0.0 { 0.0 } else { (hi - lo).max(1.0) * 1e-12 - lo };
    let (lo, hi) = (lo + shift, (hi + shift).max((lo + shift) * 10.0));
    let draw = || -> std::result::Result<(), Box<dyn std::error::Error>> {
        let root = SVGBackend::new(path.as_ref(), (900, 560)).into_drawing_area();
        root.fill(&WHITE)?;
        let y_label = if shift == 0.0 {
            "best f so far".to_string()
        } else {
            format!("best f so far + {shift:.3e}")
        };
        let mut chart = ChartBuilder::on(&root)
            .margin(16)
            .caption("convergence", ("sans-serif", 22))
            .x_label_area_size(42)
            .y_label_area_size(72)
            .build_cartesian_2d(0usize..xmax, (lo / 2.0..hi * 2.0).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("evaluations")
            .y_desc(y_label)
            .y_label_formatter(&|v| format!("{v:.0e}"))
            .draw()?;
        for (i, (label, curve)) in curves.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(
                    curve.iter().map(|&(e, v)| (e, v + shift)),
                    color.stroke_width(2),
                ))?
                .label(*label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()?;
        root.present()?;
        Ok(())
    };
    draw().map_err(|e| Error::Io {
        message: format!("drawing {}: {e}", path.as_ref().display()),
    })
}
