use super::*;
use crate::file::Orientation;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn matrix(rows: usize, columns: usize, data: Vec<f64>) -> Matrix {
    Matrix {
        tensor: "w".into(),
        dtype: "F64".into(),
        stored_shape: [rows, columns],
        orientation: Orientation::Rows,
        rows,
        columns,
        data,
    }
}

#[test]
fn sampled_agrees_with_exact_within_its_interval() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let (n, m) = (500, 16);
    let data: Vec<f64> = (0..n * m).map(|_| rng.random::<f64>() - 0.5).collect();
    let w = matrix(n, m, data);
    let exact = measure_matrix(&w, &MeasureOptions::default()).unwrap();
    assert_eq!(exact.overlap.method, OverlapMethod::Exact);
    assert!(exact.per_feature.is_some());
    let options = MeasureOptions {
        force_sampled: true,
        pairs: 200_000,
        ..MeasureOptions::default()
    };
    let sampled = measure_matrix(&w, &options).unwrap();
    assert!(matches!(
        sampled.overlap.method,
        OverlapMethod::Sampled { .. }
    ));
    assert!(sampled.per_feature.is_none());
    let (e, s) = (exact.overlap, sampled.overlap);
    assert!(
        (e.mean_sq - s.mean_sq).abs() < 2.0 * s.mean_sq_ci,
        "{e:?} {s:?}"
    );
    assert!(
        (e.mean_abs - s.mean_abs).abs() < 2.0 * s.mean_abs_ci,
        "{e:?} {s:?}"
    );
    // The same seed gives the same estimate.
    assert_eq!(measure_matrix(&w, &options).unwrap().overlap, s);
}

#[test]
fn norm_summary_thresholds_and_dimensionality_peaks() {
    // Antipodal pairs in 2 orthogonal directions plus a dedicated direction: D_i = ½, ½, ½,
    // ½, 1, so the D_i histogram peaks at 0.5 (4 rows) and 1 (1 row).
    let w = matrix(
        5,
        3,
        vec![
            1.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, -2.0, 0.0, 0.0, 0.0, 0.3,
        ],
    );
    let options = MeasureOptions {
        thresholds: vec![0.2, 1.5],
        ..MeasureOptions::default()
    };
    let stats = measure_matrix(&w, &options).unwrap();
    assert_eq!((stats.norms.min, stats.norms.max), (0.3, 2.0));
    let total: usize = stats.norms.histogram.iter().map(|b| b.2).sum();
    assert_eq!(total, 5);
    assert_eq!(stats.phi_one, 2.0 / 5.0);
    assert_eq!(stats.phi, vec![(0.2, 1.0), (1.5, 2.0 / 5.0)]);
    let per = stats.per_feature.unwrap();
    assert_eq!(per.peaks.len(), 2);
    assert!(
        (per.peaks[0].0 - 0.5025).abs() < 1e-12 && per.peaks[0].1 == 4,
        "{per:?}"
    );
    assert!(
        (per.peaks[1].0 - 0.9975).abs() < 1e-12 && per.peaks[1].1 == 1,
        "{per:?}"
    );
    assert!((per.mean_dimensionality - 3.0 / 5.0).abs() < 1e-12);
    // Interference: each antipodal row sees its partner with (Ŵ_i·W_j)² = ‖W_j‖².
    assert_eq!(per.interference, vec![1.0, 1.0, 4.0, 4.0, 0.0]);
    // Ambiguity: WWᵀ − P (P = I₃ on rows 0..3) is block diagonal: rows 0, 1 give
    // [[0, −1], [−1, 0]] (eigenvalues ±1), rows 2, 3 give [[4 − 1, −4], [−4, 4]]
    // (eigenvalues (7 ± √65)/2), row 4 gives 0.09; so ‖·‖₂ = (7 + √65)/2.
    let amb = stats.ambiguity.unwrap();
    let dense = (7.0 + 65f64.sqrt()) / 2.0;
    assert!((amb.value - dense).abs() < 1e-10, "{amb:?} vs {dense}");
}
