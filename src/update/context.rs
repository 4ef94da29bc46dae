//! What an update rule is lent for one call ([`UpdateContext`]) and what it
//! reports ([`UpdateInfo`]).

use crate::real::Real;
use crate::run::Round;
use crate::run::seeded::Displacement;

/// What an update rule is lent for one call.
///
/// ```
/// use ndarray::ArrayView1;
/// use std::sync::{Arc, Mutex};
/// use zoptim::estimator::Estimate;
/// use zoptim::run::{Flow, Round};
/// use zoptim::update::{UpdateContext, UpdateInfo, UpdateRule, update_once};
///
/// // A rule that only records what it is lent.
/// struct Spy(Arc<Mutex<Vec<String>>>);
/// impl UpdateRule<f64> for Spy {
///     fn name(&self) -> &'static str { "spy" }
///     fn update(&mut self, _: &mut [f64], _: &mut Estimate<f64>, ctx: &mut UpdateContext<'_, f64>, _: &mut Round<f64>)
///         -> zoptim::Result<Flow<UpdateInfo<f64>>> {
///         self.0.lock().unwrap().push(format!(
///             "lr {} it {} fx {:?} first {} round {}",
///             ctx.lr(), ctx.iteration(), ctx.fx(), ctx.answered().is_none(), ctx.round_index()
///         ));
///         Ok(Flow::Done(UpdateInfo::none()))
///     }
/// }
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let mut g = Estimate::new();
/// g.dense_mut(1, 0..1)[0] = 1.0;
/// update_once(&mut Spy(log.clone()), &mut |_: ArrayView1<f64>| 0.0, &mut [0.0], &mut g, 0.5, Some(3.0))?;
/// assert_eq!(log.lock().unwrap()[0], "lr 0.5 it 0 fx Some(3.0) first true round 0");
/// # Ok::<(), zoptim::Error>(())
/// ```
#[non_exhaustive]
pub struct UpdateContext<'a, F: Real> {
    lr: F,
    iteration: usize,
    fx: Option<F>,
    answered: Option<&'a Round<F>>,
    round: usize,
    /// x's pending walk displacement, lent only to a rule that folds it into
    /// its pass ([`UpdateRule::folds_return`](super::UpdateRule)).
    displaced: Option<Displacement<F>>,
}

impl<'a, F: Real> UpdateContext<'a, F> {
    pub(crate) fn new(lr: F, iteration: usize, fx: Option<F>) -> Self {
        UpdateContext {
            lr,
            iteration,
            fx,
            answered: None,
            round: 0,
            displaced: None,
        }
    }

    /// Lends the rule the displacement x stands at: x is the iterate plus s·u,
    /// and the rule must either fold the move back into its pass or hand it
    /// back untouched (the engine then undoes it).
    pub(crate) fn with_displacement(mut self, d: Displacement<F>) -> Self {
        self.displaced = Some(d);
        self
    }

    /// Takes the displacement x stands at, if one was lent.
    pub(crate) fn take_displacement(&mut self) -> Option<Displacement<F>> {
        self.displaced.take()
    }

    pub(crate) fn with_answered(mut self, round: usize, answered: Option<&'a Round<F>>) -> Self {
        self.round = round;
        self.answered = answered;
        self
    }

    /// The learning rate of this step (from the optimizer's schedule).
    ///
    /// ```
    /// // See the example on [`UpdateContext`]: ctx.lr() is the schedule's value for
    /// // this step, converted to F.
    /// let lr: f64 = zoptim::Schedule::value(&zoptim::InverseSqrt(0.2), 3);
    /// assert_eq!(lr, 0.1);
    /// ```
    pub fn lr(&self) -> F {
        self.lr
    }

    /// The 0-based index of this step.
    ///
    /// ```
    /// use ndarray::{Array1, ArrayView1};
    /// use zoptim::prelude::*;
    ///
    /// // The iteration a rule sees is the step's index, as in the step record.
    /// let mut opt = Optimizer::builder(TwoPoint::spsa()).max_iterations(3).history(true).build()?;
    /// let r = opt.minimize(&mut |x: ArrayView1<f64>| x.dot(&x), &Array1::ones(2))?;
    /// assert_eq!(r.history.unwrap().iter().map(|s| s.iteration).collect::<Vec<_>>(), [0, 1, 2]);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// f(x) before the step, when known (evaluated by the estimator, or carried
    /// from the previous step).
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{LineSearch, update_once};
    ///
    /// // A known f(x) saves the line search a query: 1 trial, not 1 + f(x).
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 2.0;
    /// let mut calls = 0;
    /// let mut f = |x: ArrayView1<f64>| { calls += 1; x[0] * x[0] };
    /// update_once(&mut LineSearch::reference(), &mut f, &mut [1.0], &mut g, 1.0, Some(1.0))?;
    /// assert_eq!(calls, 1);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn fx(&self) -> Option<F> {
        self.fx
    }

    /// The round of trial points evaluated since the previous call, with values
    /// (`None` on the rule's first call of a step).
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{Conservative, update_once};
    ///
    /// // Conservative asks for its trials in one round and reads them from answered():
    /// // three values, f(x), f(x − ηg) and f(x + ηg), when f(x) is not known.
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 1.0;
    /// let mut calls = 0;
    /// let mut f = |x: ArrayView1<f64>| { calls += 1; (x[0] - 0.25).powi(2) };
    /// update_once(&mut Conservative::new(), &mut f, &mut [1.0], &mut g, 0.5, None)?;
    /// assert_eq!(calls, 3);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn answered(&self) -> Option<&'a Round<F>> {
        self.answered
    }

    /// The 0-based index of this call within the rule's part of the step.
    ///
    /// ```
    /// use ndarray::ArrayView1;
    /// use zoptim::estimator::Estimate;
    /// use zoptim::update::{LineSearch, update_once};
    ///
    /// // A line search runs one round per trial: round_index 0, 1, … ; here 2 trials.
    /// let mut g = Estimate::new();
    /// g.dense_mut(1, 0..1)[0] = 2.0;
    /// let info = update_once(&mut LineSearch::armijo(), &mut |x: ArrayView1<f64>| x[0] * x[0], &mut [1.0], &mut g, 1.0, Some(1.0))?;
    /// assert_eq!(info.trials, 2);
    /// # Ok::<(), zoptim::Error>(())
    /// ```
    pub fn round_index(&self) -> usize {
        self.round
    }
}

/// What an update reports.
///
/// ```
/// use zoptim::update::UpdateInfo;
///
/// let info = UpdateInfo::with_trials(3, Some(0.5_f64));
/// assert_eq!((info.trials, info.fx_new), (3, Some(0.5)));
/// assert_eq!(UpdateInfo::<f64>::none(), UpdateInfo::with_trials(0, None));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct UpdateInfo<F> {
    /// f at the new x, when the rule evaluated it there (an accepted line-search
    /// trial); the next step then does not query it again.
    pub fx_new: Option<F>,
    /// Trial points the rule evaluated.
    pub trials: usize,
}

impl<F> UpdateInfo<F> {
    /// No queries made, f at the new x unknown.
    ///
    /// ```
    /// use zoptim::update::UpdateInfo;
    ///
    /// let info = UpdateInfo::<f32>::none();
    /// assert_eq!((info.trials, info.fx_new), (0, None));
    /// ```
    #[must_use]
    pub fn none() -> Self {
        UpdateInfo {
            fx_new: None,
            trials: 0,
        }
    }

    /// `trials` queries made; f at the new x is `fx_new` when known.
    ///
    /// ```
    /// use zoptim::update::UpdateInfo;
    ///
    /// assert_eq!(UpdateInfo::with_trials(2, Some(1.5_f64)).fx_new, Some(1.5));
    /// ```
    pub fn with_trials(trials: usize, fx_new: Option<F>) -> Self {
        UpdateInfo { fx_new, trials }
    }
}
