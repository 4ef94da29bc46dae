//! The directions DAP draws: aligned with a unit proxy, or uniform on the sphere.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use crate::random::{ZoRng, standard_normal};
use crate::real::Real;

/// How the unit proxy â is formed from a: aᵢ·(1/‖a‖), or aᵢ/‖a‖ when 1/‖a‖
/// is not representable.
#[derive(Clone, Copy, Debug)]
pub(super) enum Normalize<F> {
    Mul(F),
    Div(F),
}

impl<F: Real> Normalize<F> {
    /// The unit proxy's scaling for ‖a‖ = `n`, or `None` when the proxy is not
    /// usable: not `usable`, or ‖a‖ not finite, not above `min_norm`, or zero.
    pub(super) fn of(n: f64, usable: bool, min_norm: f64) -> Option<Self> {
        if !(usable && n.is_finite() && n > min_norm && n > 0.0) {
            return None;
        }
        let inv = 1.0 / n;
        Some(if F::of_f64(inv).is_finite() {
            Normalize::Mul(F::of_f64(inv))
        } else {
            Normalize::Div(F::of_f64(n))
        })
    }

    /// aᵢ scaled to the unit proxy âᵢ.
    pub(super) fn apply(self, a: F) -> F {
        match self {
            Normalize::Mul(inv) => a * inv,
            Normalize::Div(n) => a / n,
        }
    }
}

/// Writes a direction uniform on the sphere of radius √d into `v`: d normals and
/// one rescaling pass.
pub(super) fn sphere_direction<F: Real>(v: &mut [F], rng: &mut ZoRng) {
    loop {
        let mut ss = 0.0f64;
        for vi in v.iter_mut() {
            let z = standard_normal::<F>(rng);
            *vi = z;
            ss += z.as_f64() * z.as_f64();
        }
        if ss > 0.0 {
            let s = F::of_f64((v.len() as f64 / ss).sqrt());
            v.iter_mut().for_each(|vi| *vi = *vi * s);
            return;
        }
    }
}

/// Writes v = ξ(â + √(d−1)·ŵ) into `v`, with â = `unit` applied to `a`.
///
/// One fused pass draws w and accumulates âᵀw and ‖w‖² (in f64); a second pass
/// writes v = α·â + β·w with β = ξ√(d−1)/‖Pw‖ and α = ξ − β·âᵀw. Draws with
/// ‖Pw‖² ≤ 10⁻²‖w‖² are redrawn (see [`Dap`](super::Dap)).
pub(super) fn dap_direction<F: Real>(a: &[F], unit: Normalize<F>, v: &mut [F], rng: &mut ZoRng) {
    let d = v.len();
    if d == 1 {
        let sign = F::signed_one(rng.next_u64());
        v[0] = sign * unit.apply(a[0]);
        return;
    }
    loop {
        let (mut s, mut ww) = (0.0f64, 0.0f64);
        for (vi, &ai) in v.iter_mut().zip(a) {
            let z = standard_normal::<F>(rng);
            *vi = z;
            let zf = z.as_f64();
            s += zf * unit.apply(ai).as_f64();
            ww += zf * zf;
        }
        let perp2 = ww - s * s;
        if perp2 > 1e-2 * ww {
            let xi = if rng.next_u64() & 1 == 0 { 1.0 } else { -1.0 };
            let beta = xi * ((d - 1) as f64).sqrt() / perp2.sqrt();
            let alpha = xi - beta * s;
            let (alpha, beta) = (F::of_f64(alpha), F::of_f64(beta));
            for (vi, &ai) in v.iter_mut().zip(a) {
                *vi = alpha * unit.apply(ai) + beta * *vi;
            }
            return;
        }
    }
}
