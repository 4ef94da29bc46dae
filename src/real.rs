//! The floating-point scalar every generic item in the crate is written over.

use ndarray::{LinalgScalar, ScalarOperand};
use std::fmt::{Debug, Display, LowerExp};
use std::iter::Sum;

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// A floating-point scalar: implemented for `f32` and `f64` only (sealed).
///
/// The methods are the few conversions the crate needs beyond
/// [`num_traits::Float`]; the trait is sealed so that its set of methods can grow
/// without breaking anyone.
///
/// ```
/// use zoptim::Real;
///
/// fn half<F: Real>(x: F) -> F {
///     x * F::of_f64(0.5)
/// }
/// assert_eq!(half(3.0_f32), 1.5);
/// assert_eq!(half(3.0_f64), 1.5);
/// ```
pub trait Real:
    num_traits::Float
    + LinalgScalar
    + ScalarOperand
    + Debug
    + Display
    + LowerExp
    + Sum
    + Default
    + Send
    + Sync
    + 'static
    + sealed::Sealed
    + crate::run::checkpoint::Serializable
{
    /// Unit roundoff of the type (`EPSILON / 2`).
    const UNIT_ROUNDOFF: f64;

    /// Converts from `f64`, rounding to nearest.
    ///
    /// ```
    /// use zoptim::Real;
    ///
    /// assert_eq!(f32::of_f64(0.1), 0.1_f32);
    /// assert_eq!(f64::of_f64(0.1), 0.1);
    /// ```
    fn of_f64(v: f64) -> Self;

    /// Converts to `f64` (exact for both `f32` and `f64`).
    ///
    /// ```
    /// use zoptim::Real;
    ///
    /// assert_eq!(0.1_f32.as_f64(), f64::from(0.1_f32));
    /// assert_eq!(2.5_f64.as_f64(), 2.5);
    /// ```
    fn as_f64(self) -> f64;

    /// `+1` when `bit == 0`, `-1` when `bit == 1`; only the lowest bit of `bit` is read.
    /// Branch-free: the bit is copied into the sign bit of `1.0`.
    ///
    /// ```
    /// use zoptim::Real;
    ///
    /// assert_eq!(f64::signed_one(0), 1.0);
    /// assert_eq!(f64::signed_one(1), -1.0);
    /// assert_eq!(f32::signed_one(0b10), 1.0); // only the lowest bit counts
    /// ```
    fn signed_one(bit: u64) -> Self;
}

impl Real for f64 {
    const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;
    #[inline]
    fn of_f64(v: f64) -> Self {
        v
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self
    }
    #[inline]
    fn signed_one(bit: u64) -> Self {
        f64::from_bits(0x3FF0_0000_0000_0000 | ((bit & 1) << 63))
    }
}

impl Real for f32 {
    const UNIT_ROUNDOFF: f64 = f32::EPSILON as f64 / 2.0;
    #[inline]
    fn of_f64(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline]
    fn signed_one(bit: u64) -> Self {
        f32::from_bits(0x3F80_0000 | (((bit & 1) as u32) << 31))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_one_maps_bits_to_signs() {
        assert_eq!(f64::signed_one(0), 1.0);
        assert_eq!(f64::signed_one(1), -1.0);
        assert_eq!(f64::signed_one(2), 1.0);
        assert_eq!(f32::signed_one(0), 1.0);
        assert_eq!(f32::signed_one(3), -1.0);
    }
}
