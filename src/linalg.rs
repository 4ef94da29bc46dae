//! Small dense kernels shared by the estimators and update rules: inner
//! products and norms accumulated in f64, a chunked-range iterator for the
//! block-wise passes over d-vectors, a cyclic Jacobi eigendecomposition with the
//! pseudo-inverse solve built on it, and a Cholesky QR of a block of rows.
//!
//! Matrices are row-major `f64` slices with their order passed alongside; every
//! function works in place or in caller-provided scratch, so none allocates.
//! The summation orders are fixed, so each result is the same bits on every call.
#![warn(clippy::too_many_lines, clippy::too_many_arguments)]

use crate::real::Real;
use std::ops::Range;

/// Consecutive ranges `0..c, c..2c, …` covering `0..len`, the last one shorter
/// when `c` does not divide `len`: the blocks of a pass over a d-vector.
#[derive(Clone, Debug)]
pub(crate) struct Chunks {
    start: usize,
    len: usize,
    chunk: usize,
}

/// The ranges of `0..len` in blocks of `chunk` (at least 1) values.
#[inline]
pub(crate) fn chunks(len: usize, chunk: usize) -> Chunks {
    Chunks {
        start: 0,
        len,
        chunk: chunk.max(1),
    }
}

impl Iterator for Chunks {
    type Item = Range<usize>;

    #[inline]
    fn next(&mut self) -> Option<Range<usize>> {
        if self.start >= self.len {
            return None;
        }
        let end = self.start + self.chunk.min(self.len - self.start);
        let range = self.start..end;
        self.start = end;
        Some(range)
    }
}

/// Σ aᵢbᵢ accumulated in f64 with eight independent partial sums in two groups
/// of four (so that it vectorises and hides the add latency without
/// reassociating anything: the summation order is fixed).
#[inline]
pub(crate) fn dot<F: Real>(a: &[F], b: &[F]) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut p = [0.0f64; 4];
    let mut q = [0.0f64; 4];
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..4 {
            p[l] += x[l].as_f64() * y[l].as_f64();
        }
        for l in 0..4 {
            q[l] += x[4 + l].as_f64() * y[4 + l].as_f64();
        }
    }
    let mut tail = 0.0;
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        tail += x.as_f64() * y.as_f64();
    }
    ((p[0] + q[0]) + (p[2] + q[2])) + ((p[1] + q[1]) + (p[3] + q[3])) + tail
}

/// Σ (pᵢ − aᵢ)·bᵢ in f64, the difference formed in F (exact when pᵢ and aᵢ are
/// close), with the same eight partial sums as [`dot`].
#[inline]
pub(crate) fn dot_diff<F: Real>(p: &[F], a: &[F], b: &[F]) -> f64 {
    let n = p.len().min(a.len()).min(b.len());
    let (p, a, b) = (&p[..n], &a[..n], &b[..n]);
    let mut s0 = [0.0f64; 4];
    let mut s1 = [0.0f64; 4];
    let mut cp = p.chunks_exact(8);
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for ((x, y), z) in (&mut cp).zip(&mut ca).zip(&mut cb) {
        for l in 0..4 {
            s0[l] += (x[l] - y[l]).as_f64() * z[l].as_f64();
        }
        for l in 0..4 {
            s1[l] += (x[4 + l] - y[4 + l]).as_f64() * z[4 + l].as_f64();
        }
    }
    let mut tail = 0.0;
    for ((x, y), z) in cp.remainder().iter().zip(ca.remainder()).zip(cb.remainder()) {
        tail += (*x - *y).as_f64() * z.as_f64();
    }
    ((s0[0] + s1[0]) + (s0[2] + s1[2])) + ((s0[1] + s1[1]) + (s0[3] + s1[3])) + tail
}

/// A Euclidean norm ν, also held as ν = `max`·`ratio` (`ratio` ∈ \[1, √n\]) so
/// that tiny norms keep their precision when a step divides by them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Norm {
    /// ν itself.
    pub(crate) nu: f64,
    /// max |vᵢ| when the sum of squares was rescaled, otherwise ν.
    pub(crate) max: f64,
    /// ν / `max`.
    pub(crate) ratio: f64,
}

/// ‖v‖ of the `n` values `value(0)`, …, `value(n − 1)`, accumulated in f64.
/// Rescaled by max |vᵢ| when the plain sum of squares overflows or may have
/// underflowed (below 10⁻²⁸⁰), so any non-zero finite v has a finite, non-zero
/// norm; ∞ or NaN when some vᵢ is not finite.
#[inline]
pub(crate) fn norm_of(n: usize, value: impl Fn(usize) -> f64) -> Norm {
    let ss: f64 = (0..n).map(|i| value(i) * value(i)).sum();
    if ss.is_nan() || (ss.is_finite() && ss > 1e-280) {
        let nu = ss.sqrt();
        return Norm {
            nu,
            max: nu,
            ratio: 1.0,
        };
    }
    let m = (0..n).fold(0.0f64, |m, i| {
        let a = value(i).abs();
        if a > m || a.is_nan() { a } else { m }
    });
    if m == 0.0 || !m.is_finite() {
        return Norm {
            nu: m,
            max: m,
            ratio: 1.0,
        };
    }
    let ss: f64 = (0..n).map(|i| (value(i) / m) * (value(i) / m)).sum();
    let ratio = ss.sqrt();
    Norm {
        nu: m * ratio,
        max: m,
        ratio,
    }
}

/// ‖a‖ by [`norm_of`].
#[inline]
pub(crate) fn norm<F: Real>(a: &[F]) -> f64 {
    norm_of(a.len(), |i| a[i].as_f64()).nu
}

/// Cyclic Jacobi eigendecomposition of the symmetric n×n `a` (row-major). On
/// return the diagonal of `a` holds the eigenvalues and the columns of `v` the
/// eigenvectors. Rotations stop when every off-diagonal entry is below
/// ε·√(|aₚₚ·a_qq|) (Demmel–Veselić's relative criterion) or after 60 sweeps.
/// A matrix with a non-finite entry is left as it is, with `v` = I.
pub(crate) fn jacobi_eigen(a: &mut [f64], v: &mut [f64], n: usize) {
    v[..n * n].iter_mut().for_each(|t| *t = 0.0);
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    if a[..n * n].iter().any(|t| !t.is_finite()) {
        return;
    }
    for _sweep in 0..60 {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                rotated |= jacobi_rotate(a, v, n, p, q);
            }
        }
        if !rotated {
            break;
        }
    }
}

/// One Jacobi rotation in the (p, q) plane that zeroes a\[p, q\], applied to `a`
/// on both sides and to the columns of `v`; an entry already below the
/// convergence threshold is set to zero instead. Returns whether it rotated.
#[inline]
fn jacobi_rotate(a: &mut [f64], v: &mut [f64], n: usize, p: usize, q: usize) -> bool {
    let apq = a[p * n + q];
    let app = a[p * n + p];
    let aqq = a[q * n + q];
    if apq.abs() <= f64::EPSILON * (app.abs() * aqq.abs()).sqrt() || apq.abs() < f64::MIN_POSITIVE {
        a[p * n + q] = 0.0;
        a[q * n + p] = 0.0;
        return false;
    }
    let theta = (aqq - app) / (2.0 * apq);
    let t = if theta.abs() > 1e150 {
        0.5 / theta
    } else {
        theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
    };
    let c = 1.0 / (t * t + 1.0).sqrt();
    let s = t * c;
    for kk in 0..n {
        let akp = a[kk * n + p];
        let akq = a[kk * n + q];
        a[kk * n + p] = c * akp - s * akq;
        a[kk * n + q] = s * akp + c * akq;
    }
    for kk in 0..n {
        let apk = a[p * n + kk];
        let aqk = a[q * n + kk];
        a[p * n + kk] = c * apk - s * aqk;
        a[q * n + kk] = s * apk + c * aqk;
    }
    a[p * n + q] = 0.0;
    a[q * n + p] = 0.0;
    for kk in 0..n {
        let vkp = v[kk * n + p];
        let vkq = v[kk * n + q];
        v[kk * n + p] = c * vkp - s * vkq;
        v[kk * n + q] = s * vkp + c * vkq;
    }
    true
}

/// The largest eigenvalue λ_max (at least 0) on the diagonal of a matrix
/// diagonalised by [`jacobi_eigen`].
#[inline]
pub(crate) fn max_eigenvalue(eig: &[f64], n: usize) -> f64 {
    (0..n).map(|i| eig[i * n + i]).fold(0.0f64, f64::max)
}

/// c = V·diag(1/λ)·Vᵀy over the eigenpairs with λ > `cut`, from a matrix
/// diagonalised by [`jacobi_eigen`] (eigenvalues on the diagonal of `eig`,
/// eigenvectors in the columns of `v`): the pseudo-inverse applied to y.
/// Overwrites `c[..n]`; returns the number of eigenvalues kept.
pub(crate) fn pinv_apply(eig: &[f64], v: &[f64], n: usize, cut: f64, y: &[f64], c: &mut [f64]) -> usize {
    c[..n].iter_mut().for_each(|t| *t = 0.0);
    let mut rank = 0;
    for kk in 0..n {
        let lam = eig[kk * n + kk];
        if lam > cut {
            rank += 1;
            let proj: f64 = (0..n).map(|i| v[i * n + kk] * y[i]).sum::<f64>() / lam;
            for i in 0..n {
                c[i] += v[i * n + kk] * proj;
            }
        }
    }
    rank
}

/// Solves c = G⁺y for the symmetric positive semi-definite n×n matrix `g`
/// (row-major, overwritten by its eigendecomposition) by [`jacobi_eigen`],
/// dropping eigenvalues ≤ n·ε·λ_max, with ε the machine epsilon of the
/// precision G's entries were formed from (f32 points give f32-accurate Gram
/// entries, even though they are accumulated in f64). Returns the numerical
/// rank; non-finite input gives c = NaN and rank 0. `v` is n² of scratch (the
/// eigenvectors).
pub(crate) fn pinv_solve(g: &mut [f64], v: &mut [f64], y: &[f64], c: &mut [f64], n: usize, eps: f64) -> usize {
    if g[..n * n].iter().chain(&y[..n]).any(|t| !t.is_finite()) {
        c[..n].iter_mut().for_each(|t| *t = f64::NAN);
        return 0;
    }
    jacobi_eigen(g, v, n);
    let lmax = max_eigenvalue(g, n);
    if lmax.is_nan() || lmax <= 0.0 {
        c[..n].iter_mut().for_each(|t| *t = 0.0);
        return 0;
    }
    pinv_apply(g, v, n, n as f64 * eps * lmax, y, c)
}

/// Cholesky QR of the m rows of length `dd` in `rows` (row-major), in place:
/// with W = ZZᵀ = LLᵀ, Z ← L⁻¹Z, so that the rows become orthonormal (to about
/// ε·κ(Z)² for one pass). Runs a second pass (CholQR2; Fukaya et al. 2014)
/// unless the pivots of the first show κ(Z)² < 10³. A row whose pivot vanishes
/// (Z numerically rank-deficient) is set to zero. `gram` and `factor` are m×m
/// scratch (W and L); `chunk` is the block length of the passes over the rows.
pub(crate) fn cholesky_qr2<F: Real>(
    rows: &mut [F],
    m: usize,
    dd: usize,
    chunk: usize,
    gram: &mut [f64],
    factor: &mut [f64],
) {
    for _pass in 0..2 {
        row_gram(rows, m, dd, chunk, gram);
        let well_conditioned = cholesky(gram, factor, m);
        forward_substitute(rows, m, dd, chunk, factor);
        if well_conditioned {
            break;
        }
    }
}

/// The lower triangle of W = ZZᵀ for the m rows of `rows`, accumulated block
/// by block.
fn row_gram<F: Real>(rows: &[F], m: usize, dd: usize, chunk: usize, w: &mut [f64]) {
    w[..m * m].iter_mut().for_each(|v| *v = 0.0);
    for r in chunks(dd, chunk) {
        for j in 0..m {
            for l in 0..=j {
                w[j * m + l] += dot(
                    &rows[j * dd + r.start..j * dd + r.end],
                    &rows[l * dd + r.start..l * dd + r.end],
                );
            }
        }
    }
}

/// L with LLᵀ = W (lower triangles, m×m), dropping pivots that vanish (below
/// 10⁻²⁴·Wⱼⱼ): their row and column of L are zero. Returns whether the kept
/// pivots show κ(W) < 10³.
fn cholesky(w: &[f64], l: &mut [f64], m: usize) -> bool {
    for j in 0..m {
        for c in 0..=j {
            let mut v = w[j * m + c];
            for t in 0..c {
                v -= l[j * m + t] * l[c * m + t];
            }
            if c == j {
                l[j * m + j] = if v > 1e-24 * w[j * m + j] && v > 0.0 {
                    v.sqrt()
                } else {
                    0.0
                };
            } else {
                let piv = l[c * m + c];
                l[j * m + c] = if piv > 0.0 { v / piv } else { 0.0 };
            }
        }
    }
    let (mut pmin, mut pmax) = (f64::INFINITY, 0.0f64);
    for j in 0..m {
        let piv = l[j * m + j];
        pmax = pmax.max(piv);
        if piv > 0.0 {
            pmin = pmin.min(piv);
        }
    }
    pmax * pmax < 1e3 * pmin * pmin
}

/// Z ← L⁻¹Z by forward substitution, block by block (a row with a zero pivot
/// becomes zero).
fn forward_substitute<F: Real>(rows: &mut [F], m: usize, dd: usize, chunk: usize, l: &[f64]) {
    for r in chunks(dd, chunk) {
        for j in 0..m {
            let piv = l[j * m + j];
            let inv = if piv > 0.0 { F::of_f64(1.0 / piv) } else { F::zero() };
            let (done, rest) = rows.split_at_mut(j * dd);
            let zj = &mut rest[r.clone()];
            for t in 0..j {
                let c = F::of_f64(l[j * m + t]);
                if c != F::zero() {
                    for (zt, &ql) in zj.iter_mut().zip(&done[t * dd + r.start..t * dd + r.end]) {
                        *zt = *zt - c * ql;
                    }
                }
            }
            zj.iter_mut().for_each(|t| *t = *t * inv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::normal::NormalStream;
    use crate::random::rng::ZoRng;
    use nalgebra::DMatrix;

    fn normals(seed: u64, n: usize) -> Vec<f64> {
        let mut v = vec![0.0; n];
        NormalStream::new(&mut ZoRng::seed_from_u64(seed)).fill(&mut v);
        v
    }

    #[test]
    fn chunks_cover_the_range_in_order() {
        let all = |len, c| chunks(len, c).collect::<Vec<_>>();
        assert!(all(0, 4).is_empty());
        assert_eq!(all(8, 4), vec![0..4, 4..8]);
        assert_eq!(all(9, 4), vec![0..4, 4..8, 8..9]);
        assert_eq!(all(3, 256), vec![0..3]);
        assert_eq!(all(2, 0), vec![0..1, 1..2]);
    }

    #[test]
    fn dot_and_dot_diff_match_plain_sums() {
        for n in [0, 1, 7, 8, 9, 31, 100] {
            let a = normals(1, n);
            let b = normals(2, n);
            let p = normals(3, n);
            let want: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - want).abs() < 1e-13 * (1.0 + want.abs()), "n={n}");
            let want: f64 = p.iter().zip(&a).zip(&b).map(|((p, a), b)| (p - a) * b).sum();
            assert!(
                (dot_diff(&p, &a, &b) - want).abs() < 1e-13 * (1.0 + want.abs()),
                "n={n}"
            );
        }
        // Small integers: exact, and the shorter slice decides the length.
        let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        let b = [1.0f32; 12];
        assert_eq!(dot(&a, &b), 55.0);
        assert_eq!(dot_diff(&b, &a, &b), 10.0 - 55.0);
    }

    #[test]
    fn norm_survives_overflow_and_underflow() {
        assert_eq!(norm(&[3.0f64, 4.0]), 5.0);
        assert_eq!(norm::<f64>(&[]), 0.0);
        assert_eq!(norm(&[0.0f32, 0.0]), 0.0);
        let big = norm(&[3e200f64, 4e200]);
        assert!((big / 5e200 - 1.0).abs() < 1e-15, "{big}");
        let tiny = norm_of(2, |i| [3e-200, 4e-200][i]);
        assert!((tiny.nu / 5e-200 - 1.0).abs() < 1e-15, "{tiny:?}");
        assert_eq!(tiny.max, 4e-200);
        assert!((tiny.ratio - 1.25).abs() < 1e-15);
        assert!(norm(&[1.0f64, f64::NAN]).is_nan());
        assert_eq!(norm(&[1.0f64, f64::INFINITY]), f64::INFINITY);
    }

    fn nalgebra_pinv_solve(g: &DMatrix<f64>, y: &[f64]) -> (Vec<f64>, usize) {
        let n = g.nrows();
        let svd = g.clone().svd(true, true);
        let smax = svd.singular_values.max();
        let cut = n as f64 * f64::EPSILON * smax;
        let rank = svd.singular_values.iter().filter(|&&s| s > cut).count();
        let pinv = svd.pseudo_inverse(cut).expect("u and v were computed");
        let c = pinv * nalgebra::DVector::from_column_slice(y);
        (c.iter().copied().collect(), rank)
    }

    /// The Jacobi pseudo-inverse solve matches nalgebra on random full-rank and
    /// rank-deficient Gram matrices: the rank (eigenvalues above n·ε·λ_max) is
    /// exact, and the minimum-norm estimate Uᵀc agrees with LU (full rank) or
    /// nalgebra's SVD pseudo-inverse (rank-deficient, where the gap to the zero
    /// eigenvalues is huge) to within 1e-14·κ + 1e-12, κ the condition number of G
    /// on its range: both are backward stable, so each is within ~ε·κ of the truth.
    #[test]
    fn jacobi_pseudo_inverse_matches_nalgebra() {
        let mut rng = ZoRng::seed_from_u64(8);
        let mut s = NormalStream::new(&mut rng);
        for (n, r, d) in [
            (1, 1, 3),
            (4, 4, 10),
            (8, 8, 20),
            (8, 5, 20),
            (6, 1, 9),
            (12, 12, 12),
            (10, 7, 50),
        ] {
            // U = A·B with A n×r and B r×d: rank r.
            let mut a = vec![0.0; n * r];
            let mut bm = vec![0.0; r * d];
            s.fill(&mut a);
            s.fill(&mut bm);
            let am = DMatrix::from_row_slice(n, r, &a);
            let bmat = DMatrix::from_row_slice(r, d, &bm);
            let u = am * bmat;
            let g = &u * u.transpose();
            let mut y = vec![0.0; n];
            s.fill(&mut y);
            let (svd_c, want_rank) = nalgebra_pinv_solve(&g, &y);
            let want = if r == n {
                let c = g
                    .clone()
                    .lu()
                    .solve(&nalgebra::DVector::from_column_slice(&y))
                    .expect("full rank");
                c.iter().copied().collect()
            } else {
                svd_c
            };
            let sv = g.clone().svd(false, false).singular_values;
            let kappa = sv.max()
                / sv.iter()
                    .copied()
                    .filter(|&v| v > n as f64 * f64::EPSILON * sv.max())
                    .fold(f64::INFINITY, f64::min);
            let mut gm: Vec<f64> = (0..n * n).map(|t| g[(t / n, t % n)]).collect();
            let mut v = vec![0.0; n * n];
            let mut c = vec![0.0; n];
            let rank = pinv_solve(&mut gm, &mut v, &y, &mut c, n, f64::EPSILON);
            assert_eq!(rank, want_rank, "n={n} r={r}");
            assert_eq!(rank, r, "n={n} r={r}");
            // Compare the minimum-norm estimates Uᵀc (the quantity ReLIZO uses).
            let ut = u.transpose();
            let gw = &ut * nalgebra::DVector::from_column_slice(&want);
            let gc = &ut * nalgebra::DVector::from_column_slice(&c);
            let err = (&gw - &gc).norm() / gw.norm().max(1e-300);
            assert!(err < 1e-14 * kappa + 1e-12, "n={n} r={r}: {err} (κ = {kappa:e})");
        }
    }

    #[test]
    fn pinv_solve_refuses_non_finite_and_zero_input() {
        let mut v = [0.0; 4];
        let mut c = [1.0; 2];
        assert_eq!(
            pinv_solve(&mut [1.0, f64::NAN, 0.0, 1.0], &mut v, &[1.0, 1.0], &mut c, 2, 1e-16),
            0
        );
        assert!(c.iter().all(|t| t.is_nan()));
        assert_eq!(pinv_solve(&mut [0.0; 4], &mut v, &[1.0, 1.0], &mut c, 2, 1e-16), 0);
        assert_eq!(c, [0.0, 0.0]);
        // diag(4, 1e-30): the tiny eigenvalue is cut, so only the first component is solved.
        assert_eq!(
            pinv_solve(&mut [4.0, 0.0, 0.0, 1e-30], &mut v, &[2.0, 1.0], &mut c, 2, 1e-16),
            1
        );
        assert_eq!(c, [0.5, 0.0]);
    }

    #[test]
    fn jacobi_eigen_reconstructs_the_matrix() {
        let n = 7;
        let bm = DMatrix::from_row_slice(n, n, &normals(2, n * n));
        let g = &bm * bm.transpose();
        let mut a: Vec<f64> = (0..n * n).map(|t| g[(t / n, t % n)]).collect();
        let mut v = vec![0.0; n * n];
        jacobi_eigen(&mut a, &mut v, n);
        let vm = DMatrix::from_row_slice(n, n, &v);
        let lam = DMatrix::from_diagonal(&nalgebra::DVector::from_fn(n, |i, _| a[i * n + i]));
        let rec = &vm * lam * vm.transpose();
        assert!((rec - &g).norm() < 1e-12 * g.norm());
        let orth = vm.transpose() * &vm - DMatrix::identity(n, n);
        assert!(orth.norm() < 1e-13);
        assert!(max_eigenvalue(&a, n) > 0.0);
    }

    /// CholQR2 makes the rows orthonormal without changing their span, and a
    /// row that depends on the earlier ones becomes zero.
    #[test]
    fn cholesky_qr2_orthonormalises_in_the_same_span() {
        let (m, d) = (5, 40);
        let mut z = normals(4, m * d);
        // Row 4 = row 0 + row 1: rank 4.
        for t in 0..d {
            z[4 * d + t] = z[t] + z[d + t];
        }
        let before = DMatrix::from_row_slice(m, d, &z);
        let (mut w, mut l) = (vec![0.0; m * m], vec![0.0; m * m]);
        cholesky_qr2(&mut z, m, d, 16, &mut w, &mut l);
        let q = DMatrix::from_row_slice(m, d, &z);
        let qqt = &q * q.transpose();
        let mut want = DMatrix::<f64>::identity(m, m);
        want[(4, 4)] = 0.0;
        assert!((qqt - want).norm() < 1e-13);
        // Every original row lies in the span of the new ones.
        let residual = &before - &before * q.transpose() * &q;
        assert!(residual.norm() < 1e-12 * before.norm(), "{}", residual.norm());
    }
}
