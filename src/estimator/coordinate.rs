//! Coordinate-wise finite differences (DeepZero's CGE).

use super::{Difference, Estimate, EstimateContext, EstimateInfo, GradientEstimator};
use crate::error::{Error, Query, Result, check_count, check_positive};
use crate::real::Real;
use ndarray::ArrayView2;

/// The coordinate-wise gradient estimator (CGE; Chen et al., DeepZero, ICLR 2024).
///
/// For each chosen coordinate i, with eᵢ the i-th unit vector:
/// - forward: gᵢ = (f(x + hᵢ·eᵢ) − f(x))/hᵢ — **k + 1 queries** (k when f(x) is known);
/// - central: gᵢ = (f(x + hᵢ·eᵢ) − f(x − hᵢ′·eᵢ))/(hᵢ + hᵢ′) — **2k queries**;
///
/// over all d coordinates (k = d, no randomness, no sampling variance) or a
/// uniformly random subset of k per step ([`Coordinate::subset`]; a partial
/// Fisher–Yates shuffle, O(k) per step). Coordinates outside the subset get 0,
/// so E\[g\] = (k/d)·∇f; [`Coordinate::unbiased`] scales by d/k to make E\[g\] = ∇f.
///
/// **Deviation (numerical, documented):** hᵢ is the step actually represented in
/// floating point, (xᵢ + μ) − xᵢ, not μ itself; this removes the rounding of
/// xᵢ + μ from the quotient. The reference divides by μ.
///
/// Query points are built in a small batch buffer (default 8 rows × d) and passed
/// to [`Objective::eval_batch`](crate::Objective::eval_batch); each row is a copy
/// of x with one coordinate changed, and is restored exactly after use.
/// Memory: (batch + 1)·d values and d indices. Default μ = 5e-3 (DeepZero's).
#[derive(Clone, Debug)]
pub struct Coordinate<F> {
    difference: Difference,
    mu: f64,
    subset: Option<usize>,
    unbiased: bool,
    batch: usize,
    perm: Vec<usize>,
    points: Vec<F>,
    values: Vec<F>,
    grad: Vec<F>,
}

impl<F: Real> Coordinate<F> {
    /// Coordinate-wise differences of the given kind, over all coordinates.
    pub fn new(difference: Difference) -> Self {
        Coordinate {
            difference,
            mu: 5e-3,
            subset: None,
            unbiased: false,
            batch: 8,
            perm: Vec::new(),
            points: Vec::new(),
            values: Vec::new(),
            grad: Vec::new(),
        }
    }

    /// Central coordinate differences.
    pub fn central() -> Self {
        Self::new(Difference::Central)
    }

    /// Forward coordinate differences.
    pub fn forward() -> Self {
        Self::new(Difference::Forward)
    }

    /// Sets μ > 0.
    pub fn mu(mut self, mu: f64) -> Self {
        self.mu = mu;
        self
    }

    /// Estimates only a uniformly random subset of `k` coordinates per step (1 ≤ k ≤ d).
    pub fn subset(mut self, k: usize) -> Self {
        self.subset = Some(k);
        self
    }

    /// With a subset, scale by d/k so that E\[g\] = ∇f (default: off, true partials).
    pub fn unbiased(mut self, on: bool) -> Self {
        self.unbiased = on;
        self
    }

    /// Rows per [`Objective::eval_batch`](crate::Objective::eval_batch) call (≥ 1; default 8).
    pub fn batch(mut self, rows: usize) -> Self {
        self.batch = rows;
        self
    }

    fn k(&self, dim: usize) -> usize {
        self.subset.unwrap_or(dim).min(dim)
    }
}

impl<F: Real> GradientEstimator<F> for Coordinate<F> {
    fn name(&self) -> &'static str {
        match self.difference {
            Difference::Central => "coordinate central",
            Difference::Forward => "coordinate forward",
        }
    }

    fn validate(&self) -> Result<()> {
        check_positive("mu", self.mu)?;
        check_count("batch", self.batch)?;
        if let Some(k) = self.subset {
            check_count("subset", k)?;
        }
        Ok(())
    }

    fn prepare(&mut self, dim: usize) -> Result<()> {
        if let Some(k) = self.subset
            && k > dim
        {
            return Err(Error::InvalidParameter {
                name: "subset",
                value: k.to_string(),
                requirement: "at most the dimension d",
            });
        }
        self.perm = (0..dim).collect();
        Ok(())
    }

    fn max_queries(&self, dim: usize) -> usize {
        self.difference.queries(self.k(dim))
    }

    fn estimate(
        &mut self,
        x: &mut [F],
        ctx: &mut EstimateContext<'_, '_, F>,
        out: &mut Estimate<F>,
    ) -> Result<EstimateInfo<F>> {
        let d = x.len();
        if self.perm.len() != d {
            self.prepare(d)?;
        }
        let k = self.k(d);
        let mu = ctx.smoothing.unwrap_or(F::of_f64(self.mu));
        let central = self.difference == Difference::Central;
        let fx = if central { None } else { Some(ctx.fx_or_query(x)?) };
        // Choose the coordinates: a partial Fisher–Yates shuffle of the persistent
        // permutation gives a uniform k-subset in perm[..k].
        if k < d {
            for i in 0..k {
                let j = i + ctx.rng.below(d - i);
                self.perm.swap(i, j);
            }
        }
        let per_coord = if central { 2 } else { 1 };
        let rows = self.batch.min(per_coord * k).max(1);
        self.points.resize(rows * d, F::zero());
        for row in self.points.chunks_exact_mut(d.max(1)) {
            row.copy_from_slice(x);
        }
        self.values.resize(rows, F::zero());
        self.grad.resize(per_coord * k, F::zero());
        let total = per_coord * k;
        let mut done = 0;
        while done < total {
            let n = rows.min(total - done);
            for r in 0..n {
                let item = done + r;
                let i = self.perm[item / per_coord];
                let sign = if central && item % 2 == 1 { -mu } else { mu };
                self.points[r * d + i] = x[i] + sign;
            }
            let view = ArrayView2::from_shape((n, d), &self.points[..n * d]).expect("batch buffer has n × d entries");
            let label = |r: usize| {
                let item = done + r;
                let j = self.perm[item / per_coord];
                if central && item % 2 == 1 {
                    Query::Minus(j)
                } else {
                    Query::Plus(j)
                }
            };
            let res = ctx.oracle.eval_batch(view, &mut self.values[..n], label);
            for r in 0..n {
                let item = done + r;
                let i = self.perm[item / per_coord];
                self.points[r * d + i] = x[i];
            }
            res?;
            self.grad[done..done + n].copy_from_slice(&self.values[..n]);
            done += n;
        }
        let scale = if self.unbiased && k < d {
            F::of_f64(d as f64 / k as f64)
        } else {
            F::one()
        };
        let g = out.dense_mut(d, 0..d);
        for (c, &i) in self.perm[..k].iter().enumerate() {
            let xi = x[i];
            let h_plus = (xi + mu) - xi;
            g[i] = scale
                * match fx {
                    Some(f0) => (self.grad[c] - f0) / h_plus,
                    None => {
                        let h_minus = xi - (xi - mu);
                        (self.grad[2 * c] - self.grad[2 * c + 1]) / (h_plus + h_minus)
                    }
                };
        }
        Ok(EstimateInfo::new(ctx.oracle.used(), fx))
    }
}
