//! The LLM overlap routine on random Gaussian matrices (`docs/science/superposition.md` §4 C0):
//! rows of a Gaussian matrix are uniformly random directions, so E[cos²] = 1/m and
//! E|cos| = Γ(m/2)/(√π Γ((m+1)/2)) ≈ √(2/(πm)) (0.02879 for m = 768), and the exact
//! blockwise path and the seeded pair sample must agree within the sample's 95 % CI.
//!
//! The full-size check (50 000 × 768, ≈ 10¹² multiply-adds) is `#[ignore]`d:
//! `cargo test --release -p superscale_measure --test matrix_gaussian -- --ignored`.

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_measure::{measure_matrix, MeasureOptions, Precision};

/// A row-major `rows` × `columns` matrix.
struct Matrix {
    columns: usize,
    data: Vec<f64>,
}

fn gaussian(rows: usize, columns: usize, seed: u64) -> Matrix {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    Matrix {
        columns,
        data: (0..rows * columns)
            .map(|_| StandardNormal.sample(&mut rng))
            .collect(),
    }
}

fn check(rows: usize, precision: Precision) {
    let m = 768;
    let w = gaussian(rows, m, 768);
    let started = std::time::Instant::now();
    let exact = measure_matrix(
        &w.data,
        w.columns,
        &MeasureOptions {
            precision,
            ambiguity: None,
            ..MeasureOptions::default()
        },
    )
    .unwrap()
    .overlap;
    let exact_seconds = started.elapsed().as_secs_f64();
    let sampled = measure_matrix(
        &w.data,
        w.columns,
        &MeasureOptions {
            force_sampled: true,
            pairs: 1_000_000,
            seed: 1,
            ambiguity: None,
            ..MeasureOptions::default()
        },
    )
    .unwrap()
    .overlap;
    eprintln!(
        "{rows} × {m} ({precision:?}): exact MSO {:.6e}, E|cos| {:.6e} in {exact_seconds:.1} s; \
         sampled {:.6e} ± {:.1e}, {:.6e} ± {:.1e}",
        exact.mean_sq,
        exact.mean_abs,
        sampled.mean_sq,
        sampled.mean_sq_ci,
        sampled.mean_abs,
        sampled.mean_abs_ci
    );
    // ± 2 % of 1/m and of √(2/(πm)) (C0).
    assert!((exact.mean_sq * m as f64 - 1.0).abs() < 0.02, "{exact:?}");
    let random = (2.0 / (std::f64::consts::PI * m as f64)).sqrt();
    assert!((random - 0.02879).abs() < 5e-6);
    assert!((exact.mean_abs / random - 1.0).abs() < 0.02, "{exact:?}");
    // The exact value lies inside the sample's 95 % interval.
    assert!(
        (exact.mean_sq - sampled.mean_sq).abs() <= sampled.mean_sq_ci,
        "{exact:?} vs {sampled:?}"
    );
    assert!(
        (exact.mean_abs - sampled.mean_abs).abs() <= sampled.mean_abs_ci,
        "{exact:?} vs {sampled:?}"
    );
}

#[test]
fn gaussian_4000_by_768() {
    check(4000, Precision::F64);
}

#[test]
fn f32_products_agree_with_f64() {
    let w = gaussian(1500, 768, 3);
    let options = |precision| MeasureOptions {
        precision,
        ambiguity: None,
        ..MeasureOptions::default()
    };
    let double = measure_matrix(&w.data, w.columns, &options(Precision::F64)).unwrap();
    let single = measure_matrix(&w.data, w.columns, &options(Precision::F32)).unwrap();
    // Tolerance: 1e-5 relative on the means (f32 cosines, f64 sums).
    assert!((single.overlap.mean_sq / double.overlap.mean_sq - 1.0).abs() < 1e-5);
    assert!((single.overlap.mean_abs / double.overlap.mean_abs - 1.0).abs() < 1e-5);
    let (d, s) = (
        double.per_feature.unwrap().dimensionality,
        single.per_feature.unwrap().dimensionality,
    );
    assert!(d.iter().zip(&s).all(|(a, b)| (a / b - 1.0).abs() < 1e-4));
}

#[test]
#[ignore = "≈ 10¹² multiply-adds: about 5 minutes on 2 shared cores"]
fn gaussian_50000_by_768() {
    check(50_000, Precision::F64);
}
