//! A real weight file read by `superscale_weights` and measured: rows of a Gaussian matrix
//! are uniformly random directions, so m·MSO ≈ 1 and mean |cos| ≈ √(2/(πm))
//! (`docs/science/superposition.md` §4 C0).

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_measure::{measure_matrix, MeasureOptions, OverlapMethod};
use superscale_weights::{write_npy, Orientation, WeightFile};

#[test]
fn gaussian_rows_are_random_directions() {
    let (n, m) = (20_000, 64);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let values: Vec<f32> = (0..n * m)
        .map(|_| StandardNormal.sample(&mut rng))
        .collect();
    let dir = std::env::temp_dir().join(format!("superscale_measure_gauss_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("gauss.npy");
    let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(&path, write_npy("<f4", &[n, m], &raw)).unwrap();
    let w = WeightFile::open(&path)
        .unwrap()
        .matrix("array", Orientation::Rows)
        .unwrap();
    let stats = measure_matrix(&w.data, w.columns, &MeasureOptions::default()).unwrap();
    assert_eq!(stats.overlap.method, OverlapMethod::Exact);
    assert!(
        (stats.m_times_mso - 1.0).abs() < 0.02,
        "{}",
        stats.m_times_mso
    );
    let random = (2.0 / (std::f64::consts::PI * m as f64)).sqrt();
    assert!(
        (stats.overlap.mean_abs / random - 1.0).abs() < 0.02,
        "{}",
        stats.overlap.mean_abs
    );
    // The sampled estimate agrees with the exact value within its interval.
    let sampled = measure_matrix(
        &w.data,
        w.columns,
        &MeasureOptions {
            exact_limit: 1000,
            pairs: 200_000,
            ..MeasureOptions::default()
        },
    )
    .unwrap()
    .overlap;
    assert!((sampled.mean_sq - stats.overlap.mean_sq).abs() < 1.5 * sampled.mean_sq_ci);
    std::fs::remove_dir_all(&dir).unwrap();
}
