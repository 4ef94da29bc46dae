//! A batch of query points, as [`Run::ask`](super::Run::ask) hands it out.

use super::{Round, SeededRow};
use crate::oracle::Query;
use crate::real::Real;
use ndarray::ArrayView2;

/// A batch of query points to evaluate: one round of a run, from [`Run::ask`](super::Run::ask).
///
/// Evaluate f at every row of [`points`](Batch::points) and pass the values, in
/// row order, to [`Run::tell`](super::Run::tell). Each row carries a [`Query`] label. Rows that are
/// x plus a seed-replayed direction also have a compact description
/// ([`seeded`](Batch::seeded)), from which a worker that holds x can regenerate
/// its point instead of receiving d numbers ([`Round::write_point`]).
///
/// ```
/// use ndarray::Array1;
/// use zoptim::prelude::*;
/// use zoptim::Query;
///
/// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().mu(1e-4)).max_iterations(1).build()?;
/// let mut run = opt.start(&Array1::from_elem(3, 1.0))?;
/// run.tell(&[3.0])?; // f(x0)
/// let batch = run.ask()?.expect("the step's round");
/// assert_eq!(batch.len(), 2); // x + μu and x − μu
/// assert_eq!(batch.queries(), [Query::Plus(0), Query::Minus(0)]);
/// let (p, m) = (batch.points().row(0).to_owned(), batch.points().row(1).to_owned());
/// assert!(((&p + &m) / 2.0 - Array1::from_elem(3, 1.0)).iter().all(|d| d.abs() < 1e-12));
/// # Ok::<(), zoptim::Error>(())
/// ```
#[derive(Debug)]
pub struct Batch<'r, F> {
    pub(super) round: &'r Round<F>,
}

impl<F: Real> Batch<'_, F> {
    /// The number of query points.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// let f0 = run.ask()?.expect("f(x0) first");
    /// assert_eq!(f0.len(), 1);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.round.len()
    }

    /// True when the batch has no point (never the case for a batch from `ask`).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// assert!(!run.ask()?.expect("f(x0) first").is_empty());
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.round.is_empty()
    }

    /// The query points, one row each (`len × d`).
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// let f0 = run.ask()?.expect("f(x0) first");
    /// assert_eq!(f0.points().dim(), (1, 4));
    /// assert_eq!(f0.points().row(0), Array1::from_elem(4, 1.0)); // x0 itself
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn points(&self) -> ArrayView2<'_, F> {
        self.round.points()
    }

    /// Row `i`'s label: which point of the step it is.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// assert_eq!(run.ask()?.expect("f(x0) first").query(0), Some(zoptim::Query::Center));
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn query(&self, i: usize) -> Option<Query> {
        self.round.queries().get(i).copied()
    }

    /// Every row's label, in row order.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// run.tell(&[4.0])?; // f(x0)
    /// let step = run.ask()?.expect("the first step");
    /// use zoptim::Query::{Minus, Plus};
    /// assert_eq!(step.queries(), [Plus(0), Minus(0), Plus(1), Minus(1)]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn queries(&self) -> &[Query] {
        self.round.queries()
    }

    /// The seed-replayed description of each row, when the round is seeded
    /// (empty otherwise). See [`SeededRow`].
    ///
    /// ```
    /// use ndarray::Array1;
    /// use zoptim::prelude::*;
    ///
    /// // MeZO's rows are x plus a multiple of a direction replayed from a seed.
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::mezo().mu(1e-3)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// run.tell(&[4.0])?; // f(x0)
    /// let step = run.ask_compact()?.expect("the first step");
    /// assert_eq!(step.seeded().len(), 2);
    /// assert_eq!(step.seeded()[0].scale, 1e-3);
    /// assert_eq!(step.seeded()[1].scale, -1e-3);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn seeded(&self) -> &[SeededRow<F>] {
        self.round.seeded()
    }

    /// The round itself.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// let mut opt = Optimizer::<f64>::builder(TwoPoint::spsa().directions(2).mu(1e-4)).max_iterations(3).build()?;
    /// let mut run = opt.start(&Array1::from_elem(4, 1.0))?;
    /// let f0 = run.ask()?.expect("f(x0) first");
    /// assert_eq!(f0.round().dim(), 4);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn round(&self) -> &Round<F> {
        self.round
    }
}
