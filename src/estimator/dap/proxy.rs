//! The gradient proxies DAP aligns its directions with.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use crate::real::Real;
use ndarray::{ArrayView1, ArrayViewMut1};

/// A proxy of the gradient that [`Dap`](super::Dap) aligns its directions with.
///
/// Implemented for every closure `FnMut(ArrayView1<F>, ArrayViewMut1<F>)` that
/// writes the proxy a(x) into its second argument (length d, contents on entry
/// unspecified), and (feature `testing`) for `testing::ExactGradient`. Calls to a proxy are *not* objective
/// queries: they are neither counted nor checked by the engine. A proxy that
/// writes a non-finite value makes the step fail with [`Error::InvalidParameter`](crate::Error::InvalidParameter).
///
/// ```
/// use ndarray::{ArrayView1, ArrayViewMut1};
/// use zoptim::estimator::Dap;
///
/// // f(x) = ‖x‖², whose gradient 2x is known: a study of DAP with the true gradient.
/// let dap = Dap::with_proxy(|x: ArrayView1<f64>, mut a: ArrayViewMut1<f64>| {
///     a.zip_mut_with(&x, |ai, &xi| *ai = 2.0 * xi)
/// });
/// # let _ = dap;
/// ```
pub trait GradientProxy<F: Real> {
    /// Writes the proxy a(x) into `out` (length d).
    ///
    /// ```
    /// use ndarray::{ArrayView1, ArrayViewMut1, array};
    /// use zoptim::estimator::GradientProxy;
    ///
    /// let mut twice = |x: ArrayView1<f64>, mut a: ArrayViewMut1<f64>| a.zip_mut_with(&x, |ai, &xi| *ai = 2.0 * xi);
    /// let mut out = array![0.0, 0.0];
    /// twice.proxy(array![1.0, -3.0].view(), out.view_mut());
    /// assert_eq!(out, array![2.0, -6.0]);
    /// ```
    fn proxy(&mut self, x: ArrayView1<'_, F>, out: ArrayViewMut1<'_, F>);

    /// The one dimension the proxy is defined for, when it has one (`None`, the
    /// default, for proxies of any dimension). [`Dap`](super::Dap) checks it when it is
    /// prepared for a dimension: a mismatch is [`Error::DimensionMismatch`](crate::Error::DimensionMismatch)
    /// before anything is evaluated.
    ///
    /// ```
    /// use ndarray::{ArrayView1, ArrayViewMut1};
    /// use zoptim::estimator::GradientProxy;
    ///
    /// let any = |_: ArrayView1<f64>, _: ArrayViewMut1<f64>| {};
    /// assert_eq!(GradientProxy::<f64>::dim(&any), None); // closures take any d
    /// ```
    fn dim(&self) -> Option<usize> {
        None
    }
}

impl<F: Real, C> GradientProxy<F> for C
where
    C: FnMut(ArrayView1<'_, F>, ArrayViewMut1<'_, F>),
{
    fn proxy(&mut self, x: ArrayView1<'_, F>, out: ArrayViewMut1<'_, F>) {
        self(x, out)
    }
}
