//! Schedules for the learning rate η and the smoothing parameter μ.

use crate::error::{Result, check_positive};

/// A value per iteration k = 0, 1, 2, …: a learning-rate or smoothing schedule.
///
/// Every `f64` is a constant schedule, so `.learning_rate(0.01)` just works.
pub trait Schedule {
    /// The value at iteration `k` (0-based).
    fn value(&self, k: usize) -> f64;

    /// Checks the configuration; `name` is the builder parameter it was given to.
    fn validate(&self, name: &'static str) -> Result<()>;
}

impl Schedule for f64 {
    fn value(&self, _k: usize) -> f64 {
        *self
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, *self)
    }
}

/// A constant schedule: `Constant(v).value(k) = v`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn value(&self, _k: usize) -> f64 {
        self.0
    }

    fn validate(&self, name: &'static str) -> Result<()> {
        check_positive(name, self.0)
    }
}
