//! One Adam step in named parts: the constants, the overflow envelope, the
//! full-support step and the per-run step with its exact check.

use super::{Adam, Bounds, WeightDecay};
use crate::error::Result;
use crate::real::Real;
use crate::update::{UpdateRule, max_abs, non_finite_step, safe_term, safe_value};
use std::ops::Range;

/// (η/(1 − β₁ᵗ), 1/√(1 − β₂ᵗ)), or (η, 1) without bias correction.
fn corrections<F: Real>((beta1, beta2, on): (f64, f64, bool), lr: F, t: u64) -> (F, F) {
    if !on {
        return (lr, F::one());
    }
    let e = t.min(i32::MAX as u64) as i32;
    let bc1 = 1.0 - beta1.powi(e);
    let bc2 = 1.0 - beta2.powi(e);
    (lr / F::of_f64(bc1), F::of_f64(1.0 / bc2.sqrt()))
}

/// The per-coordinate Adam update with the step's constants.
pub(super) struct Kernel<F> {
    b1: F,
    b2: F,
    one_b1: F,
    one_b2: F,
    eps: F,
    wd: Option<F>,
    shrink: Option<F>,
}

impl<F: Real> Kernel<F> {
    /// One coordinate: (x', m', v', v_max') from (x, m, v, v_max, g). `vm` is
    /// ignored (and returned as v') without AMSGrad.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn lane(&self, xi: F, mi: F, vi: F, vm: Option<F>, gi: F, step: F, v_scale: F) -> (F, F, F, F) {
        let wd = self.wd.unwrap_or(F::zero());
        let shrink = self.shrink.unwrap_or(F::one());
        let gi = gi + wd * xi;
        let m = self.b1 * mi + self.one_b1 * gi;
        let v = self.b2 * vi + self.one_b2 * gi * gi;
        let (vm, denom) = match vm {
            None => (v, v),
            Some(vm) => {
                let vm = vm.max(v);
                (vm, vm)
            }
        };
        let x = xi * shrink - step * m / (denom.sqrt() * v_scale + self.eps);
        (x, m, v, vm)
    }

    /// Applies the step to a run of coordinates sharing one step count.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn run(&self, x: &mut [F], m: &mut [F], v: &mut [F], vmax: Option<&mut [F]>, g: &[F], step: F, v_scale: F) {
        let n = x.len().min(m.len()).min(v.len()).min(g.len());
        let (x, m, v, g) = (&mut x[..n], &mut m[..n], &mut v[..n], &g[..n]);
        match vmax {
            None => {
                for (((xi, mi), vi), &gi) in x.iter_mut().zip(m.iter_mut()).zip(v.iter_mut()).zip(g) {
                    let (xn, mn, vn, _) = self.lane(*xi, *mi, *vi, None, gi, step, v_scale);
                    *xi = xn;
                    *mi = mn;
                    *vi = vn;
                }
            }
            Some(vmax) => {
                let vmax = &mut vmax[..n];
                for ((((xi, mi), vi), vm), &gi) in x
                    .iter_mut()
                    .zip(m.iter_mut())
                    .zip(v.iter_mut())
                    .zip(vmax.iter_mut())
                    .zip(g)
                {
                    let (xn, mn, vn, vmn) = self.lane(*xi, *mi, *vi, Some(*vm), gi, step, v_scale);
                    *xi = xn;
                    *mi = mn;
                    *vi = vn;
                    *vm = vmn;
                }
            }
        }
    }

    /// The exact step on a run, computed without writing: the largest |m'|,
    /// v' and v_max', or `None` when any result is not finite.
    #[allow(clippy::too_many_arguments)]
    fn check(&self, x: &[F], m: &[F], v: &[F], vmax: Option<&[F]>, g: &[F], step: F, v_scale: F) -> Option<Bounds> {
        let mut b = Bounds::default();
        for (i, (((&xi, &mi), &vi), &gi)) in x.iter().zip(m).zip(v).zip(g).enumerate() {
            let vm = vmax.and_then(|vm| vm.get(i).copied());
            let (xn, mn, vn, vmn) = self.lane(xi, mi, vi, vm, gi, step, v_scale);
            if !(xn.is_finite() && mn.is_finite() && vn.is_finite() && vmn.is_finite()) {
                return None;
            }
            b.m = b.m.max(mn.abs().as_f64());
            b.v = b.v.max(vn.as_f64());
            b.v_max = b.v_max.max(vmn.as_f64());
        }
        Some(b)
    }
}

/// The end of the run of equal step counts that starts at `start` (counts from `count`).
fn run_end(count: impl Fn(usize) -> u64, start: usize, len: usize) -> usize {
    let t = count(start);
    let mut end = start + 1;
    while end < len && count(end) == t {
        end += 1;
    }
    end
}

/// The steps of [`Adam::update`](UpdateRule::update).
impl<F: Real> Adam<F> {
    /// The step's constants in `F`.
    pub(super) fn kernel(&self, lr: F) -> Kernel<F> {
        let wd = F::of_f64(self.weight_decay);
        let l2 = self.decay == WeightDecay::L2 && self.weight_decay != 0.0;
        let decoupled = self.decay == WeightDecay::Decoupled && self.weight_decay != 0.0;
        Kernel {
            b1: F::of_f64(self.beta1),
            b2: F::of_f64(self.beta2),
            one_b1: F::of_f64(1.0 - self.beta1),
            one_b2: F::of_f64(1.0 - self.beta2),
            eps: F::of_f64(self.eps),
            wd: l2.then_some(wd),
            shrink: decoupled.then(|| F::one() - lr * wd),
        }
    }

    /// The cheap bound on the moments after this step, from their recurrences
    /// (rounding covered by `slack` and by the margins of safe_value/safe_term):
    /// |ĝ| ≤ G + λX, |m'| ≤ β₁M + (1 − β₁)|ĝ|, v' ≤ β₂V + (1 − β₂)ĝ², and the
    /// step is at most (η/(1 − β₁))·|m'|/ε (the bias correction is largest at
    /// t = 1). Also whether that bound proves the step finite (the fast path).
    pub(super) fn envelope(&self, k: &Kernel<F>, lr: F, x_support: &[F], gs: &[F]) -> (Bounds, bool) {
        let slack = 1.0 + 16.0 * F::UNIT_ROUNDOFF;
        let wd = F::of_f64(self.weight_decay);
        let xmax = if k.wd.is_some() { max_abs(x_support) } else { 0.0 };
        let gh = (max_abs(gs) + wd.as_f64() * xmax) * slack;
        let old = self.bounds;
        let m_new = (k.b1.as_f64() * old.m + k.one_b1.as_f64() * gh) * slack;
        let v_new = (k.b2.as_f64() * old.v + k.one_b2.as_f64() * gh * gh) * slack;
        let env = Bounds {
            m: m_new,
            v: v_new,
            v_max: old.v_max.max(v_new),
        };
        let step_max = if self.bias_correction {
            lr.as_f64() / F::of_f64(1.0 - self.beta1).as_f64() * slack
        } else {
            lr.as_f64()
        };
        let shrink_safe = k.shrink.is_none_or(|s| s.is_finite() && s.abs() <= F::one());
        let fast = lr.is_finite()
            && shrink_safe
            && gh * gh < safe_value::<F>()
            && m_new < safe_value::<F>()
            && v_new < safe_value::<F>()
            && step_max * m_new < safe_value::<F>()
            && step_max * m_new / k.eps.as_f64() < safe_term::<F>();
        (env, fast)
    }

    /// The error of a step that would not be finite.
    fn fail(&self, p: &Pass<'_, F>) -> crate::Error {
        non_finite_step(UpdateRule::<F>::name(self), p.iteration)
    }

    /// A full-support step while every coordinate has taken the same `t0`
    /// steps. Unless the envelope proves the step finite, it is checked
    /// exactly before anything is written.
    pub(super) fn step_all(&mut self, p: &Pass<'_, F>, t0: u64, x: &mut [F]) -> Result<()> {
        let cfg = (self.beta1, self.beta2, self.bias_correction);
        let t = t0 + 1;
        let (step_scale, v_scale) = corrections(cfg, p.lr, t);
        let new = match p.proven {
            Some(env) => env,
            None => {
                let vmax = self.amsgrad.then_some(&self.v_max[..]);
                p.k.check(x, &self.m, &self.v, vmax, p.gs, step_scale, v_scale)
                    .ok_or_else(|| self.fail(p))?
            }
        };
        self.t_all = Some(t);
        let vmax = if self.amsgrad { Some(&mut self.v_max[..]) } else { None };
        p.k.run(x, &mut self.m, &mut self.v, vmax, p.gs, step_scale, v_scale);
        self.bounds = new;
        Ok(())
    }

    /// A step on `r` with per-coordinate counts; runs of equal counts (a block
    /// visited together) share one bias correction. While `t_all` is set every
    /// count is that value.
    pub(super) fn step_runs(&mut self, p: &Pass<'_, F>, r: Range<usize>, x: &mut [F]) -> Result<()> {
        let new = match p.proven {
            Some(env) => env,
            None => self.check_runs(p, r.clone(), x)?,
        };
        let full = r.start == 0 && r.end == x.len();
        if let Some(t0) = self.t_all.take() {
            self.t.iter_mut().for_each(|t| *t = t0);
        }
        let cfg = (self.beta1, self.beta2, self.bias_correction);
        let ts = &mut self.t[r.clone()];
        let mut start = 0;
        while start < ts.len() {
            let t = ts[start] + 1;
            let mut end = start + 1;
            while end < ts.len() && ts[end] + 1 == t {
                end += 1;
            }
            ts[start..end].iter_mut().for_each(|c| *c = t);
            let (step_scale, v_scale) = corrections(cfg, p.lr, t);
            let (a, b) = (r.start + start, r.start + end);
            let vmax = if self.amsgrad {
                Some(&mut self.v_max[a..b])
            } else {
                None
            };
            p.k.run(
                &mut x[a..b],
                &mut self.m[a..b],
                &mut self.v[a..b],
                vmax,
                &p.gs[start..end],
                step_scale,
                v_scale,
            );
            start = end;
        }
        // Entries off the block keep their values: the bounds cover them too.
        self.bounds = if full { new } else { self.bounds.max(new) };
        Ok(())
    }

    /// Checks every run of [`step_runs`](Adam::step_runs) exactly, before
    /// anything is written; returns the exact bounds of the new moments.
    fn check_runs(&self, p: &Pass<'_, F>, r: Range<usize>, x: &[F]) -> Result<Bounds> {
        let cfg = (self.beta1, self.beta2, self.bias_correction);
        let base = self.t_all;
        let count = |i: usize| base.unwrap_or_else(|| self.t[r.start + i]);
        let mut exact = Bounds::default();
        let mut start = 0;
        while start < r.len() {
            let end = run_end(count, start, r.len());
            let (step_scale, v_scale) = corrections(cfg, p.lr, count(start) + 1);
            let (a, b) = (r.start + start, r.start + end);
            let vmax = self.amsgrad.then(|| &self.v_max[a..b]);
            let run =
                p.k.check(
                    &x[a..b],
                    &self.m[a..b],
                    &self.v[a..b],
                    vmax,
                    &p.gs[start..end],
                    step_scale,
                    v_scale,
                )
                .ok_or_else(|| self.fail(p))?;
            exact = exact.max(run);
            start = end;
        }
        Ok(exact)
    }
}

/// One step's inputs, shared by its parts.
pub(super) struct Pass<'a, F> {
    pub(super) k: Kernel<F>,
    pub(super) lr: F,
    pub(super) gs: &'a [F],
    /// The envelope, when it proves the step finite.
    pub(super) proven: Option<Bounds>,
    pub(super) iteration: usize,
}
