//! Standard test functions with known gradients, for tests, examples,
//! benchmarks and studies of the estimators (feature `testing`).
//!
//! | function | f(x) | minimum |
//! |---|---|---|
//! | [`Sphere`] | Σ xᵢ² | 0 at x = 0 |
//! | [`Quadratic`] | ½·Σ aᵢ·xᵢ² | 0 at x = 0 |
//! | [`Rosenbrock`] | Σ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)² | 0 at x = 1 |
//! | [`Linear`] | cᵀx | unbounded |
//!
//! Each is an [`Objective`] and a [`TestFunction`] (value and gradient without
//! counting a query); [`ExactGradient`] turns one into a [`GradientProxy`] for
//! [`Dap`](crate::Dap).
//!
//! ```
//! use ndarray::array;
//! use zoptim::testing::{Rosenbrock, TestFunction};
//!
//! assert_eq!(Rosenbrock.value(array![1.0, 1.0, 1.0].view()), 0.0);
//! assert_eq!(Rosenbrock.gradient(array![1.0, 1.0].view()), array![0.0, 0.0]);
//! ```

use crate::estimator::GradientProxy;
use crate::objective::Objective;
use crate::real::Real;
use ndarray::{Array1, ArrayView1, ArrayViewMut1};

/// A test function whose gradient is known in closed form.
///
/// Functions defined for one dimension only ([`Quadratic`], [`Linear`]) return
/// NaN from [`value`](TestFunction::value) (and so from
/// [`Objective::eval`], which an optimizer reports as
/// [`Error::NonFiniteObjective`](crate::Error::NonFiniteObjective)) and a NaN
/// vector of x's length from [`gradient`](TestFunction::gradient) when x has
/// another length; they never panic. [`dim`](TestFunction::dim) tells that
/// length, so that a caller (such as [`ExactGradient`])
/// can check it up front.
///
/// ```
/// use ndarray::array;
/// use zoptim::testing::{Quadratic, TestFunction};
///
/// let q = Quadratic::new(array![1.0, 4.0]);
/// assert_eq!(q.value(array![2.0, 1.0].view()), 4.0); // ½(1·4 + 4·1)
/// assert_eq!(q.gradient(array![2.0, 1.0].view()), array![2.0, 4.0]);
/// assert_eq!(TestFunction::<f64>::dim(&q), Some(2));
/// assert!(q.value(array![1.0].view()).is_nan()); // wrong length: NaN, not a panic
/// ```
pub trait TestFunction<F: Real>: Objective<F> {
    /// f(x) without counting as a query.
    ///
    /// ```
    /// use ndarray::array;
    /// use zoptim::testing::{Sphere, TestFunction};
    ///
    /// assert_eq!(Sphere.value(array![3.0_f32, 4.0].view()), 25.0);
    /// ```
    fn value(&self, x: ArrayView1<'_, F>) -> F;
    /// ∇f(x).
    ///
    /// ```
    /// use ndarray::array;
    /// use zoptim::testing::{Rosenbrock, TestFunction};
    ///
    /// // ∂f/∂x₁ = −400·x₁(x₂ − x₁²) − 2(1 − x₁), ∂f/∂x₂ = 200(x₂ − x₁²) at (0, 0).
    /// assert_eq!(Rosenbrock.gradient(array![0.0, 0.0].view()), array![-2.0, 0.0]);
    /// ```
    fn gradient(&self, x: ArrayView1<'_, F>) -> Array1<F>;
    /// The one dimension the function is defined for, or `None` when it is
    /// defined for every d (the default).
    ///
    /// ```
    /// use ndarray::array;
    /// use zoptim::testing::{Quadratic, Sphere, TestFunction};
    ///
    /// assert_eq!(TestFunction::<f64>::dim(&Sphere), None);
    /// assert_eq!(TestFunction::<f64>::dim(&Quadratic::new(array![1.0, 2.0, 3.0])), Some(3));
    /// ```
    fn dim(&self) -> Option<usize> {
        None
    }
}

/// NaN, for a point of the wrong length.
fn wrong_length<F: Real>() -> F {
    F::nan()
}

/// f(x) = ½·Σᵢ aᵢ·xᵢ² with aᵢ > 0: a diagonal quadratic, minimum 0 at x = 0.
///
/// ```
/// use ndarray::Array1;
/// use zoptim::prelude::*;
/// use zoptim::testing::Quadratic;
///
/// let mut f = Quadratic::<f64>::ill_conditioned(10, 100.0);
/// // Stable for η < 2/a_max = 0.02; the slowest coordinate contracts by 1 − η per step.
/// let mut opt = Optimizer::builder(Cge::central()).learning_rate(0.019).max_iterations(500).build()?;
/// let report = opt.minimize(&mut f, &Array1::ones(10))?;
/// assert!(report.best_f < 1e-6, "{}", report.best_f);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Quadratic<F> {
    a: Array1<F>,
}

impl<F: Real> Quadratic<F> {
    /// The quadratic with curvatures `a`.
    ///
    /// ```
    /// use ndarray::array;
    /// use zoptim::testing::{Quadratic, TestFunction};
    ///
    /// let q = Quadratic::new(array![2.0, 8.0]);
    /// assert_eq!(q.value(array![1.0, 0.5].view()), 2.0); // ½(2 + 8·0.25)
    /// ```
    #[must_use]
    pub fn new(a: Array1<F>) -> Self {
        Quadratic { a }
    }

    /// d curvatures log-spaced from 1 to `condition` (the condition number).
    ///
    /// ```
    /// use zoptim::testing::Quadratic;
    ///
    /// let q = Quadratic::<f64>::ill_conditioned(3, 100.0);
    /// let a = q.curvatures();
    /// assert!((a[0] - 1.0).abs() < 1e-12 && (a[1] - 10.0).abs() < 1e-12 && (a[2] - 100.0).abs() < 1e-9);
    /// ```
    #[must_use]
    pub fn ill_conditioned(d: usize, condition: f64) -> Self {
        let a = Array1::from_shape_fn(d, |i| {
            let t = if d > 1 { i as f64 / (d - 1) as f64 } else { 0.0 };
            F::of_f64(condition.powf(t))
        });
        Quadratic { a }
    }

    /// ReLIZO's test quadratic ½·Σᵢ (i/d)·xᵢ², i = 1..d (relizo.md §5).
    ///
    /// ```
    /// use zoptim::testing::Quadratic;
    ///
    /// assert_eq!(Quadratic::<f64>::relizo(4).curvatures().to_vec(), vec![0.25, 0.5, 0.75, 1.0]);
    /// ```
    #[must_use]
    pub fn relizo(d: usize) -> Self {
        Quadratic {
            a: Array1::from_shape_fn(d, |i| F::of_f64((i + 1) as f64 / d as f64)),
        }
    }

    /// The curvatures aᵢ.
    ///
    /// ```
    /// use ndarray::array;
    /// use zoptim::testing::Quadratic;
    ///
    /// assert_eq!(Quadratic::new(array![1.0, 3.0]).curvatures(), array![1.0, 3.0].view());
    /// ```
    #[must_use]
    pub fn curvatures(&self) -> ArrayView1<'_, F> {
        self.a.view()
    }
}

impl<F: Real> Objective<F> for Quadratic<F> {
    fn eval(&mut self, x: ArrayView1<'_, F>) -> F {
        self.value(x)
    }
}

impl<F: Real> TestFunction<F> for Quadratic<F> {
    /// NaN when x's length is not that of the curvatures.
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        if x.len() != self.a.len() {
            return wrong_length();
        }
        let s: F = x.iter().zip(self.a.iter()).map(|(&xi, &ai)| ai * xi * xi).sum();
        s * F::of_f64(0.5)
    }
    /// NaN entries when x's length is not that of the curvatures.
    fn gradient(&self, x: ArrayView1<'_, F>) -> Array1<F> {
        if x.len() != self.a.len() {
            return Array1::from_elem(x.len(), wrong_length());
        }
        &x * &self.a
    }
    fn dim(&self) -> Option<usize> {
        Some(self.a.len())
    }
}

/// Σ sᵢ² with eight independent accumulators, so the compiler can vectorise it
/// (a single running sum is a serial dependency chain ~4× slower at large d).
fn sum_of_squares<F: Real>(s: &[F]) -> F {
    let mut acc = [F::zero(); 8];
    let chunks = s.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for (a, &v) in acc.iter_mut().zip(c) {
            *a = *a + v * v;
        }
    }
    let tail: F = rest.iter().map(|&v| v * v).sum();
    acc.iter().copied().sum::<F>() + tail
}

/// f(x) = Σᵢ xᵢ²: the sphere function.
///
/// ```
/// use ndarray::array;
/// use zoptim::testing::{Sphere, TestFunction};
///
/// assert_eq!(Sphere.value(array![1.0, 2.0].view()), 5.0);
/// assert_eq!(Sphere.gradient(array![1.0, 2.0].view()), array![2.0, 4.0]);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sphere;

impl<F: Real> Objective<F> for Sphere {
    fn eval(&mut self, x: ArrayView1<'_, F>) -> F {
        self.value(x)
    }
}

impl<F: Real> TestFunction<F> for Sphere {
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        match x.as_slice() {
            Some(s) => sum_of_squares(s),
            None => x.iter().map(|&v| v * v).sum(),
        }
    }
    fn gradient(&self, x: ArrayView1<'_, F>) -> Array1<F> {
        x.mapv(|v| v + v)
    }
}

/// f(x) = aᵀx + c: a linear function (every difference quotient is exact up to rounding).
///
/// ```
/// use ndarray::array;
/// use zoptim::testing::{Linear, TestFunction};
///
/// let f = Linear::new(array![1.0, -1.0], 3.0);
/// assert_eq!(f.value(array![2.0, 1.0].view()), 4.0);
/// assert_eq!(f.gradient(array![0.0, 0.0].view()), array![1.0, -1.0]);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Linear<F> {
    a: Array1<F>,
    c: F,
}

impl<F: Real> Linear<F> {
    /// aᵀx + c.
    ///
    /// ```
    /// use ndarray::array;
    /// use zoptim::testing::{Linear, TestFunction};
    ///
    /// assert_eq!(Linear::new(array![2.0], 1.0).value(array![3.0].view()), 7.0);
    /// ```
    pub fn new(a: Array1<F>, c: F) -> Self {
        Linear { a, c }
    }
}

impl<F: Real> Objective<F> for Linear<F> {
    fn eval(&mut self, x: ArrayView1<'_, F>) -> F {
        self.value(x)
    }
}

impl<F: Real> TestFunction<F> for Linear<F> {
    /// NaN when x's length is not that of a.
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        if x.len() != self.a.len() {
            return wrong_length();
        }
        self.a.dot(&x) + self.c
    }
    /// NaN entries when x's length is not that of a.
    fn gradient(&self, x: ArrayView1<'_, F>) -> Array1<F> {
        if x.len() != self.a.len() {
            return Array1::from_elem(x.len(), wrong_length());
        }
        self.a.clone()
    }
    fn dim(&self) -> Option<usize> {
        Some(self.a.len())
    }
}

/// The chained Rosenbrock function Σᵢ 100·(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², minimum 0 at x = 1.
///
/// ```
/// use zoptim::testing::{Rosenbrock, TestFunction};
///
/// assert_eq!(Rosenbrock::standard_start::<f64>(4).to_vec(), vec![-1.2, 1.0, -1.2, 1.0]);
/// let x0 = Rosenbrock::standard_start::<f64>(2);
/// assert!((Rosenbrock.value(x0.view()) - 24.2).abs() < 1e-12); // 100·0.44² + 2.2²
/// assert_eq!(Rosenbrock.value(ndarray::array![1.0, 1.0, 1.0].view()), 0.0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rosenbrock;

impl Rosenbrock {
    /// The standard start (−1.2, 1, −1.2, 1, …).
    ///
    /// ```
    /// use zoptim::testing::Rosenbrock;
    ///
    /// assert_eq!(Rosenbrock::standard_start::<f32>(3).to_vec(), vec![-1.2, 1.0, -1.2]);
    /// ```
    #[must_use]
    pub fn standard_start<F: Real>(d: usize) -> Array1<F> {
        Array1::from_shape_fn(d, |i| F::of_f64(if i % 2 == 0 { -1.2 } else { 1.0 }))
    }
}

impl<F: Real> Objective<F> for Rosenbrock {
    fn eval(&mut self, x: ArrayView1<'_, F>) -> F {
        self.value(x)
    }
}

impl<F: Real> TestFunction<F> for Rosenbrock {
    fn value(&self, x: ArrayView1<'_, F>) -> F {
        let h = F::of_f64(100.0);
        x.windows(2)
            .into_iter()
            .map(|w| {
                let (a, b) = (w[0], w[1]);
                h * (b - a * a) * (b - a * a) + (F::one() - a) * (F::one() - a)
            })
            .sum()
    }
    fn gradient(&self, x: ArrayView1<'_, F>) -> Array1<F> {
        let d = x.len();
        let mut g = Array1::zeros(d);
        let h = F::of_f64(100.0);
        let two = F::of_f64(2.0);
        for i in 0..d.saturating_sub(1) {
            let (a, b) = (x[i], x[i + 1]);
            let r = b - a * a;
            g[i] = g[i] - two * two * h * a * r - two * (F::one() - a);
            g[i + 1] = g[i + 1] + two * h * r;
        }
        g
    }
}

/// The exact gradient of a [`TestFunction`] as a [`GradientProxy`], for studies
/// with a known gradient. It allocates the gradient once per step (the test
/// functions return an owned array).
///
/// ```
/// use zoptim::prelude::*;
/// use zoptim::testing::{ExactGradient, Rosenbrock};
///
/// // DAP with the true gradient as its proxy: a study of the ideal case.
/// let mut opt = Optimizer::<f64>::builder(Dap::with_proxy(ExactGradient(Rosenbrock)).mu(1e-6))
///     .learning_rate(1e-3)
///     .max_iterations(200)
///     .build()?;
/// let report = opt.minimize(&mut Rosenbrock, &Rosenbrock::standard_start(2))?;
/// assert!(report.best_f < 24.2);
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct ExactGradient<T>(pub T);

impl<F: Real, T: TestFunction<F>> GradientProxy<F> for ExactGradient<T> {
    /// Writes ∇f(x); NaN (which [`Dap`](crate::Dap) reports as an error) when the gradient
    /// does not have `out`'s length.
    fn proxy(&mut self, x: ArrayView1<'_, F>, mut out: ArrayViewMut1<'_, F>) {
        let g = self.0.gradient(x);
        if g.len() == out.len() {
            out.assign(&g);
        } else {
            out.fill(F::nan());
        }
    }

    fn dim(&self) -> Option<usize> {
        self.0.dim()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Central differences with step 1e-6 agree with every closed-form gradient.
    fn check<T: TestFunction<f64>>(f: &T, x: Array1<f64>) {
        let g = f.gradient(x.view());
        for i in 0..x.len() {
            let mut p = x.clone();
            let mut m = x.clone();
            p[i] += 1e-6;
            m[i] -= 1e-6;
            let fd = (f.value(p.view()) - f.value(m.view())) / 2e-6;
            assert!(
                (fd - g[i]).abs() < 1e-5 * (1.0 + g[i].abs()),
                "coord {i}: {fd} vs {}",
                g[i]
            );
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        let x = array![0.3, -1.2, 0.7, 2.0];
        check(&Quadratic::<f64>::ill_conditioned(4, 100.0), x.clone());
        check(&Quadratic::<f64>::relizo(4), x.clone());
        check(&Sphere, x.clone());
        check(&Linear::new(array![1.0, -2.0, 0.5, 3.0], 4.0), x.clone());
        check(&Rosenbrock, x);
    }

    #[test]
    fn a_point_of_the_wrong_length_gives_nan_not_a_panic() {
        let l = Linear::new(array![1.0f64, 2.0], 0.0);
        assert!(l.value(array![1.0, 2.0, 3.0].view()).is_nan());
        assert!(Linear::new(array![1.0f64, 2.0], 0.0).eval(array![1.0].view()).is_nan());
        let g = l.gradient(array![1.0, 2.0, 3.0].view());
        assert_eq!(g.len(), 3);
        assert!(g.iter().all(|v| v.is_nan()));
        let q = Quadratic::new(array![1.0f64, 2.0, 3.0]);
        assert!(q.value(Array1::from_elem(5, 1.0).view()).is_nan());
        assert_eq!(q.gradient(Array1::from_elem(5, 1.0).view()).len(), 5);
        assert_eq!(TestFunction::<f64>::dim(&q), Some(3));
        assert_eq!(TestFunction::<f64>::dim(&Sphere), None);
        assert_eq!(q.value(array![1.0, 1.0, 1.0].view()), 3.0);
    }

    #[test]
    fn ill_conditioned_spans_the_condition_number() {
        let q = Quadratic::<f64>::ill_conditioned(5, 100.0);
        let a = q.curvatures();
        assert!((a[0] - 1.0).abs() < 1e-12 && (a[4] - 100.0).abs() < 1e-9);
        assert!((a[2] - 10.0).abs() < 1e-9);
    }
}
