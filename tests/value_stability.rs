//! Value stability: the first values of every random stream and of ReLIZO's
//! first estimates, pinned to the bit.
//!
//! A failure here means that the same seed no longer gives the same numbers:
//! either a deliberate change of a stream (then update the pins and say so in
//! CHANGELOG.md) or an accident. The values were taken on x86_64 Linux. The
//! direction streams and ReLIZO's estimates use only correctly rounded IEEE 754
//! operations (no libm), so they should give these bits on every IEEE 754
//! platform. `standard_normal` (and DAP, which draws from it) goes through the
//! platform's `exp` and `ln` for some draws, so its pins may differ elsewhere
//! in the last bits (see the README's "Reproducibility").

use ndarray::{Array1, ArrayView1};
use zoptim::estimator::Relizo;
use zoptim::prelude::*;
use zoptim::random::standard_normal;
use zoptim::{Real, SeededDirection, ZoRng};

/// Set `ZOPTIM_PRINT_PINS=1` to print the current values in the form used below.
fn printing() -> bool {
    std::env::var_os("ZOPTIM_PRINT_PINS").is_some()
}

fn check(name: &str, got: &[u64], want: &[u64]) {
    if printing() {
        println!("const {name}: [u64; {}] = [", got.len());
        for g in got {
            println!("    0x{g:016x},");
        }
        println!("];");
        return;
    }
    assert_eq!(got, want, "{name}: the pinned values changed");
}

fn bits64(v: &[f64]) -> Vec<u64> {
    v.iter().map(|t| t.to_bits()).collect()
}

fn bits32(v: &[f32]) -> Vec<u64> {
    v.iter().map(|t| u64::from(t.to_bits())).collect()
}

/// The first `n` coordinates of a direction of length `d` drawn from seed 42.
fn direction<F: Real>(kind: Direction, d: usize, n: usize) -> Vec<F> {
    let mut rng = ZoRng::seed_from_u64(42);
    let mut u = vec![F::zero(); d];
    kind.sample(&mut rng, &mut u);
    u.truncate(n);
    u
}

/// f(x) = Σ (i + 1)/64·(xᵢ − 1)², written with products only.
fn bowl<F: Real>(x: ArrayView1<F>) -> F {
    x.iter()
        .enumerate()
        .map(|(i, &v)| F::of_f64((i + 1) as f64 / 64.0) * (v - F::one()) * (v - F::one()))
        .fold(F::zero(), |a, b| a + b)
}

/// The iterates of three plain-SGD steps (learning rate 1) of ReLIZO from x = 0,
/// seed 7, d = 12, on [`bowl`]: after the first step x = −g₁ exactly, so the first estimate
/// is pinned; the next two exercise reuse and the incremental Gram matrix.
fn relizo_iterates<F: Real>(est: Relizo<F>) -> Vec<u64> {
    let d = 12;
    let mut opt = Optimizer::builder(est).learning_rate(1.0).seed(7).build().unwrap();
    let mut x = Array1::from_elem(d, F::zero());
    let mut f = |p: ArrayView1<F>| bowl(p);
    let mut out = Vec::new();
    let mut reused = 0;
    for _ in 0..3 {
        reused += opt.step(&mut x, &mut f).unwrap().reused;
        out.extend(x.iter().map(|v| v.as_f64().to_bits()));
    }
    assert!(reused > 0, "the pinned runs reuse samples");
    out
}

#[test]
fn generator_values_are_pinned() {
    let mut r = ZoRng::seed_from_u64(42);
    let mut got: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
    got.push(r.uniform().to_bits());
    got.extend((0..4).map(|_| r.below(1000) as u64));
    check("GENERATOR", &got, &GENERATOR);
}

#[test]
fn standard_normal_values_are_pinned() {
    let mut r = ZoRng::seed_from_u64(42);
    let a: Vec<f64> = (0..8).map(|_| standard_normal::<f64>(&mut r)).collect();
    let b: Vec<f32> = (0..8).map(|_| standard_normal::<f32>(&mut r)).collect();
    check("NORMAL_F64", &bits64(&a), &NORMAL_F64);
    check("NORMAL_F32", &bits32(&b), &NORMAL_F32);
}

#[test]
fn direction_values_are_pinned() {
    let cases: [(Direction, &[u64], &[u64]); 4] = [
        (Direction::Gaussian, &GAUSSIAN_F64, &GAUSSIAN_F32),
        (Direction::Rademacher, &RADEMACHER_F64, &RADEMACHER_F32),
        (Direction::Sphere, &SPHERE_F64, &SPHERE_F32),
        (Direction::Coordinate, &COORDINATE_F64, &COORDINATE_F32),
    ];
    for (kind, want64, want32) in cases {
        let name = kind.name().to_uppercase();
        check(&format!("{name}_F64"), &bits64(&direction::<f64>(kind, 16, 16)), want64);
        check(&format!("{name}_F32"), &bits32(&direction::<f32>(kind, 16, 16)), want32);
    }
    // A replay far into a long direction (a range starting inside a group).
    let mut rng = ZoRng::seed_from_u64(42);
    let dir = SeededDirection::draw(Direction::Gaussian, &mut rng, 100_000);
    let mut tail = [0.0f64; 4];
    dir.write_range(77_777, &mut tail);
    check("GAUSSIAN_AT_77777", &bits64(&tail), &GAUSSIAN_AT_77777);
}

#[test]
fn relizo_estimates_are_pinned() {
    let gaussian = Relizo::with_reuse_bound(1.0).offset_scale(1e-3);
    check(
        "RELIZO_GAUSSIAN_F64",
        &relizo_iterates::<f64>(gaussian),
        &RELIZO_GAUSSIAN_F64,
    );
    let orthogonal = Relizo::reference_defaults()
        .offset_scale(1e-3)
        .reuse_distance_bound(2.0)
        .max_reuse_rate(0.5);
    check(
        "RELIZO_ORTHOGONAL_F64",
        &relizo_iterates::<f64>(orthogonal),
        &RELIZO_ORTHOGONAL_F64,
    );
    let momentum = Relizo::with_reuse_bound(1.0).offset_scale(1e-2).sample_momentum(0.5);
    check(
        "RELIZO_GAUSSIAN_F32",
        &relizo_iterates::<f32>(momentum),
        &RELIZO_GAUSSIAN_F32,
    );
    let orthogonal_momentum = Relizo::reference_defaults()
        .offset_scale(1e-2)
        .reuse_distance_bound(2.0)
        .max_reuse_rate(0.5)
        .sample_momentum(0.5);
    check(
        "RELIZO_ORTHOGONAL_F32",
        &relizo_iterates::<f32>(orthogonal_momentum),
        &RELIZO_ORTHOGONAL_F32,
    );
}

#[test]
fn dap_iterates_are_pinned() {
    let d = 12;
    let mut opt = Optimizer::builder(Dap::two_stage(3))
        .learning_rate(1.0)
        .seed(7)
        .build()
        .unwrap();
    let mut x = Array1::from_elem(d, 0.0f64);
    let mut out = Vec::new();
    for _ in 0..3 {
        opt.step(&mut x, &mut |p: ArrayView1<f64>| bowl(p)).unwrap();
        out.extend(x.iter().map(|v| v.to_bits()));
    }
    check("DAP_F64", &out, &DAP_F64);
}

// The pinned values (print them with ZOPTIM_PRINT_PINS=1 and --nocapture).
const GENERATOR: [u64; 9] = [
    0xd0764d4f4476689f,
    0x519e4174576f3791,
    0xfbe07cfb0c24ed8c,
    0xb37d9f600cd835b8,
    0x3fe96463870e908d,
    0x000000000000024c,
    0x000000000000007d,
    0x000000000000025d,
    0x00000000000000cf,
];
const NORMAL_F64: [u64; 8] = [
    0x3feab3627bf1d0be,
    0xbfe07a9388e170e3,
    0x3ff6860d5903a0df,
    0x3fddb9a0e1db8f0b,
    0x3fee8470625af490,
    0x3fd18b1bf976350a,
    0xbff6097dd1e07a83,
    0x3fda866782ce4c8c,
];
const NORMAL_F32: [u64; 8] = [
    0x00000000bf1c0f77,
    0x000000003f4fc4e1,
    0x000000003e74c1b1,
    0x000000003ffa167d,
    0x000000003efd5400,
    0x00000000bf767920,
    0x00000000be5dfd13,
    0x000000003e206a95,
];
const GAUSSIAN_F64: [u64; 16] = [
    0x3feb836700000000,
    0x3fdc838740000000,
    0xbfd703e960000000,
    0x3ff3910920000000,
    0x3fbb6dd3e0000000,
    0x3fe0246de0000000,
    0x3faee430c0000000,
    0x3fc7504820000000,
    0xc002bbb340000000,
    0x3fc5526c80000000,
    0xbfedc055a0000000,
    0xbfd3ce29a0000000,
    0xc00176bae0000000,
    0xbfe27548e0000000,
    0x3fcba216a0000000,
    0x3fe73be440000000,
];
const GAUSSIAN_F32: [u64; 16] = [
    0x000000003f5c1b38,
    0x000000003ee41c3a,
    0x00000000beb81f4b,
    0x000000003f9c8849,
    0x000000003ddb6e9f,
    0x000000003f01236f,
    0x000000003d772186,
    0x000000003e3a8241,
    0x00000000c015dd9a,
    0x000000003e2a9364,
    0x00000000bf6e02ad,
    0x00000000be9e714d,
    0x00000000c00bb5d7,
    0x00000000bf13aa47,
    0x000000003e5d10b5,
    0x000000003f39df22,
];
const RADEMACHER_F64: [u64; 16] = [
    0x3ff0000000000000,
    0x3ff0000000000000,
    0xbff0000000000000,
    0x3ff0000000000000,
    0xbff0000000000000,
    0x3ff0000000000000,
    0xbff0000000000000,
    0xbff0000000000000,
    0x3ff0000000000000,
    0xbff0000000000000,
    0x3ff0000000000000,
    0x3ff0000000000000,
    0x3ff0000000000000,
    0xbff0000000000000,
    0xbff0000000000000,
    0xbff0000000000000,
];
const RADEMACHER_F32: [u64; 16] = [
    0x000000003f800000,
    0x000000003f800000,
    0x00000000bf800000,
    0x000000003f800000,
    0x00000000bf800000,
    0x000000003f800000,
    0x00000000bf800000,
    0x00000000bf800000,
    0x000000003f800000,
    0x00000000bf800000,
    0x000000003f800000,
    0x000000003f800000,
    0x000000003f800000,
    0x00000000bf800000,
    0x00000000bf800000,
    0x00000000bf800000,
];
const SPHERE_F64: [u64; 16] = [
    0x3fec685a8b52f34c,
    0x3fdd70ce245246a2,
    0xbfd7c36ecf6773b9,
    0x3ff433dbb94c89d5,
    0x3fbc5213e2bd708f,
    0x3fe0aac1cf2c0e69,
    0x3fafe5409ccecbed,
    0x3fc81249129d2973,
    0xc003579694eefba1,
    0x3fc603daaca5b720,
    0xbfeeb7e8d041bf6b,
    0xbfd472f8e401abc9,
    0xc002080df919e707,
    0xbfe30ee23ec8521e,
    0x3fcc880985c3a887,
    0x3fe7fd3b8584eca1,
];
const SPHERE_F32: [u64; 16] = [
    0x000000003f6342d4,
    0x000000003eeb8671,
    0x00000000bebe1b76,
    0x000000003fa19edd,
    0x000000003de2909f,
    0x000000003f05560e,
    0x000000003d7f2a04,
    0x000000003e409248,
    0x00000000c01abcb4,
    0x000000003e301ed5,
    0x00000000bf75bf46,
    0x00000000bea397c7,
    0x00000000c010406f,
    0x00000000bf187712,
    0x000000003e64404c,
    0x000000003f3fe9dc,
];
const COORDINATE_F64: [u64; 16] = [
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x4010000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
];
const COORDINATE_F32: [u64; 16] = [
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000040800000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
    0x0000000000000000,
];
const GAUSSIAN_AT_77777: [u64; 4] = [
    0xbff824f040000000,
    0x3feceeeb80000000,
    0x3fec7f3a40000000,
    0xc006e7f100000000,
];
const RELIZO_GAUSSIAN_F64: [u64; 36] = [
    0xbf82ed2b823fe168,
    0x3fbcf2725d547a57,
    0x3fc2bb686b3f73f4,
    0x3fac70a3514520ce,
    0x3fc710e71a6c6c9c,
    0x3fd03c7be73aa087,
    0x3fcfeb74f0a7a3e4,
    0x3fb7f65a4717a133,
    0x3fcf22e2cfba372b,
    0x3fd41b16073367cd,
    0x3fd85052e8accc4e,
    0x3fbba2c7617aaf5c,
    0x3f9e94d8d9e09a88,
    0x3fd06702e4321663,
    0x3fd10d802bdd61ce,
    0x3fc096b502c3ec53,
    0x3fd4b676fce5b428,
    0x3fd730f4d658da96,
    0x3fdf306c70eb2ff7,
    0x3fcc2e3d5e6dcf9a,
    0x3fdb7b76cad2f86a,
    0x3fe276371b9100d2,
    0x3fe7baa9ab897ca1,
    0x3fd42c2ebecae52a,
    0x3fb25ad47ab90226,
    0x3fcfd343529e151b,
    0x3fd515302a2dc7d8,
    0x3fd2ee95050173d8,
    0x3fe0a4049ad0a914,
    0x3fdc6cc79b7d7fe2,
    0x3fe5d020a95dfad0,
    0x3fda431f33eef136,
    0x3fe33406af9b312d,
    0x3fe6cd2708357ce6,
    0x3fec7e667729881e,
    0x3fe3dfc6dadcdb2d,
];
const RELIZO_ORTHOGONAL_F64: [u64; 36] = [
    0xbf83162ae8773bb8,
    0x3fbcffa7fa0db745,
    0x3fc2cab8df75add7,
    0x3fac97a1ef4cb1c6,
    0x3fc6fa5c92d13fc0,
    0x3fd04427e02445b6,
    0x3fcff45d6ee5b7c6,
    0x3fb81adb8eb188f7,
    0x3fcf224b9d67690e,
    0x3fd410c00dc6d9ac,
    0x3fd84859a8f36405,
    0x3fbb9364b0083efb,
    0xbf98308c3b37da5a,
    0x3fd0419e42f0fc6b,
    0x3fd02b8868aa2719,
    0x3fbdaf2d5a840ffe,
    0x3fd4639ee10ecc8a,
    0x3fd69f02c42440ba,
    0x3fdfe3acc4d5e5a3,
    0x3fcc69b1597602b8,
    0x3fd9ebf47a3fb81d,
    0x3fe2eb825c2394fc,
    0x3fe7a7dfea9963d4,
    0x3fd751c32e53cb43,
    0x3fa8b5ca5d02e3af,
    0x3fd397ac5abbf7d6,
    0x3fd606ef24121358,
    0x3fcc4e90a4a58348,
    0x3fddf2437af0a43f,
    0x3fdb3a50154f5c1e,
    0x3fe5f9bd7a13312e,
    0x3fd981351e9c79f5,
    0x3fe23d7f29ee290e,
    0x3fe73026104876e4,
    0x3fecd05facd73b23,
    0x3fe538c8794b123b,
];
const RELIZO_GAUSSIAN_F32: [u64; 36] = [
    0xbf813e6900000000,
    0x3fbc7afe00000000,
    0x3fc2304cc0000000,
    0x3fab04dfe0000000,
    0x3fc7e73660000000,
    0x3fcfe748a0000000,
    0x3fcf9716e0000000,
    0x3fb695e5c0000000,
    0x3fcf2781e0000000,
    0x3fd47f7800000000,
    0x3fd8a048a0000000,
    0x3fbc3cf4c0000000,
    0x3fd1ee8940000000,
    0x3fde053180000000,
    0xbf9fcfea00000000,
    0xbf97dbf440000000,
    0x3fc501bc60000000,
    0x3fb6d9d940000000,
    0x3fe5f0d1c0000000,
    0xbfaa257080000000,
    0x3fd1f15600000000,
    0x3fe16b7400000000,
    0x3feec16640000000,
    0x3fea477ea0000000,
    0x3fd7088f40000000,
    0x3fe2826060000000,
    0x3fc1f37a40000000,
    0x3f8b1dc780000000,
    0x3fc8ab0860000000,
    0x3fc69413a0000000,
    0x3fea249260000000,
    0x3fc0e6d960000000,
    0x3fdd574000000000,
    0x3fe421e9c0000000,
    0x3ff0919180000000,
    0x3febb629a0000000,
];
const RELIZO_ORTHOGONAL_F32: [u64; 36] = [
    0xbf82ce5500000000,
    0x3fbd006ac0000000,
    0x3fc2ca3460000000,
    0x3fac881fe0000000,
    0x3fc7068560000000,
    0x3fd0408620000000,
    0x3fcfeff140000000,
    0x3fb8029040000000,
    0x3fcf21bec0000000,
    0x3fd417f540000000,
    0x3fd850bde0000000,
    0x3fbba45540000000,
    0xbf95c30b80000000,
    0x3fd02de3c0000000,
    0x3fd04357c0000000,
    0x3fbdc86200000000,
    0x3fd4a33180000000,
    0x3fd66d2fe0000000,
    0x3fdfa2a640000000,
    0x3fcc18be80000000,
    0x3fd9d98800000000,
    0x3fe3117780000000,
    0x3fe7b60a80000000,
    0x3fd6f58980000000,
    0x3fab624180000000,
    0x3fd37ca440000000,
    0x3fd62d8c80000000,
    0x3fcc8eae80000000,
    0x3fde6cc940000000,
    0x3fdaf49300000000,
    0x3fe5cc77c0000000,
    0x3fd948b9c0000000,
    0x3fe23debc0000000,
    0x3fe76535a0000000,
    0x3fecd9b5c0000000,
    0x3fe4fa5080000000,
];
const DAP_F64: [u64; 36] = [
    0x3fcd448149788b68,
    0x3fe0338ef6a6045e,
    0xbfc3585b693ab23c,
    0x3f9252be01b499ca,
    0xbfe0aec414226e61,
    0xbfb5a8af39f4e5f2,
    0x3fd110f59953a2ca,
    0x3fc5d6c5fbf4c2a1,
    0x3fd59a406f4b6f94,
    0xbf9234d16687183c,
    0x3fdab3222cda8948,
    0x3fe78d67e90936ae,
    0x3fd671dcf98b1980,
    0x3fe0639848eff1f1,
    0xbfc87650b6997aa6,
    0xbf5e564786aa3700,
    0xbfd7a271efcf89bf,
    0xbfb740c28435b102,
    0x3fb4df135918ce18,
    0x3fb1e3fba0d85a1b,
    0x3fd8bb4382387115,
    0x3fb15d7de9d3386a,
    0x3fe3f6286b0d7ee8,
    0x3fe65a329101300c,
    0x3fc810db087f3399,
    0x3fecf8baa6020b84,
    0xbfc4201f1e59b12f,
    0x3fb2aadacde40e22,
    0xbfc9ab77fa4220ea,
    0x3fd07a67fc0fd31c,
    0x3fd8679e64da06bc,
    0x3fe4cd5b264e8e91,
    0x3ff1be107bb4befa,
    0x3fd7c01db5cbc23a,
    0x3fda5064692587cb,
    0x3fe22a731265c0ce,
];
