use super::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A row-major `rows` × `columns` matrix.
struct Matrix {
    columns: usize,
    data: Vec<f64>,
}

fn matrix(rows: usize, columns: usize, data: Vec<f64>) -> Matrix {
    assert_eq!(data.len(), rows * columns);
    Matrix { columns, data }
}

fn measure(w: &Matrix, options: &MeasureOptions) -> Result<WeightStats> {
    measure_matrix(&w.data, w.columns, options)
}

#[test]
fn sampled_agrees_with_exact_within_its_interval() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let (n, m) = (500, 16);
    let data: Vec<f64> = (0..n * m).map(|_| rng.random::<f64>() - 0.5).collect();
    let w = matrix(n, m, data);
    let exact = measure(&w, &MeasureOptions::default()).unwrap();
    assert_eq!(exact.overlap.method, OverlapMethod::Exact);
    assert!(exact.per_feature.is_some());
    let options = MeasureOptions {
        force_sampled: true,
        pairs: 200_000,
        ..MeasureOptions::default()
    };
    let sampled = measure(&w, &options).unwrap();
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
    assert_eq!(measure(&w, &options).unwrap().overlap, s);
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
    let stats = measure(&w, &options).unwrap();
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

/// The whole geometry is the measurement crate's single measures on the same matrix.
#[test]
fn the_summary_is_the_single_measures() {
    let expected: Vec<f64> = (0..15).map(|i| (i as f64 - 7.0) * 0.25).collect();
    let stats = measure_matrix(&expected, 3, &MeasureOptions::default()).unwrap();
    let norms = crate::row_norms(&expected, 3).unwrap();
    let all: Vec<usize> = (0..5).collect();
    let overlap = crate::mean_squared_overlap(&expected, 3, &all).unwrap();
    assert_eq!(stats.phi_half, crate::fraction_above(&norms, 0.5));
    assert_eq!(stats.phi_one, crate::fraction_above(&norms, 1.0));
    assert_eq!(
        stats.dimensions_per_feature,
        crate::dimensions_per_feature(&expected, 3).unwrap()
    );
    assert_eq!(stats.overlap.mean_sq, overlap.mean);
    assert_eq!(stats.overlap.variance_sq, overlap.variance);
    assert_eq!(stats.overlap.mean_abs, overlap.mean_abs);
    assert_eq!(stats.welch_sq, crate::welch_bound(5, 3).powi(2));
    assert_eq!(stats.m_times_mso, 3.0 * overlap.mean);
    let mean = norms.iter().sum::<f64>() / 5.0;
    assert!((stats.norms.mean - mean).abs() < 1e-15);
}

/// Every column of `weights.csv`'s measured part has its field, on both paths.
#[test]
fn summary_fields_match_their_columns() {
    let w = matrix(4, 2, vec![1.0, 0.0, 0.0, 1.0, -1.0, 0.0, 0.6, 0.8]);
    for force_sampled in [false, true] {
        let options = MeasureOptions {
            force_sampled,
            pairs: 100,
            ..MeasureOptions::default()
        };
        let stats = measure(&w, &options).unwrap();
        let fields = stats.summary_fields();
        assert_eq!(
            fields.split(',').count(),
            crate::SUMMARY_COLUMNS.split(',').count(),
            "{fields}"
        );
        assert_eq!(stats.per_feature_csv().is_some(), !force_sampled);
        assert!(stats.detail().contains(&stats.overlap.method.name()));
    }
}

/// A NaN or an infinity is counted and refused by default (no mean squared overlap of a
/// matrix with a NaN in it); dropping its rows measures the rest exactly as if they had
/// never been there, and zeroing them measures zero rows.
#[test]
fn non_finite_entries_are_refused_dropped_or_zeroed() {
    let finite: Vec<f64> = (0..24).map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.3).collect();
    let mut data = finite.clone();
    data[5] = f64::NAN; // row 1
    data[7] = f64::INFINITY; // row 1 again
    data[18] = f64::NEG_INFINITY; // row 4
    let w = matrix(6, 4, data);
    let err = measure(&w, &MeasureOptions::default()).unwrap_err();
    // (the value is NaN, which equals nothing: compared by pattern)
    assert!(
        matches!(
            err,
            Error::NonFinite {
                entries: 3,
                rows: 2,
                total_rows: 6,
                row: 1,
                column: 1,
                value,
            } if value.is_nan()
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("3 non-finite entries (NaN or ±inf) in 2 of its 6 rows")
            && message.contains("row 1, column 1 (NaN)"),
        "{message}"
    );
    let dropped = measure(
        &w,
        &MeasureOptions {
            non_finite: NonFiniteRows::Drop,
            ..MeasureOptions::default()
        },
    )
    .unwrap();
    let kept: Vec<f64> = finite
        .chunks_exact(4)
        .enumerate()
        .filter(|(row, _)| *row != 1 && *row != 4)
        .flat_map(|(_, row)| row.to_vec())
        .collect();
    let clean = measure(&matrix(4, 4, kept), &MeasureOptions::default()).unwrap();
    assert_eq!(
        dropped.non_finite,
        Some(NonFinite {
            entries: 3,
            rows: 2,
            handling: NonFiniteRows::Drop
        })
    );
    assert_eq!(
        WeightStats {
            non_finite: None,
            ..dropped.clone()
        },
        clean
    );
    assert!(
        dropped.detail().contains("rows dropped: n = 4"),
        "{}",
        dropped.detail()
    );
    let zeroed = measure(
        &w,
        &MeasureOptions {
            non_finite: NonFiniteRows::Zero,
            ..MeasureOptions::default()
        },
    )
    .unwrap();
    assert_eq!((zeroed.rows, zeroed.zero_rows), (6, 2));
    assert_eq!((zeroed.row_norms[1], zeroed.row_norms[4]), (0.0, 0.0));
    assert!(zeroed.overlap.mean_sq.is_finite() && zeroed.dimensions_per_feature.is_finite());
    let text = zeroed.detail();
    assert!(
        text.contains("rows zeroed") && text.contains("zero rows                  2 of 6"),
        "{text}"
    );
    assert!(
        zeroed.summary_fields().ends_with(",2,2,zero"),
        "{}",
        zeroed.summary_fields()
    );
    // Nothing left to drop from.
    let all_bad = matrix(2, 2, vec![f64::NAN, 1.0, 2.0, f64::INFINITY]);
    let options = MeasureOptions {
        non_finite: NonFiniteRows::Drop,
        ..MeasureOptions::default()
    };
    assert_eq!(
        measure(&all_bad, &options).unwrap_err(),
        Error::NoFiniteRow { rows: 2 }
    );
}

/// A zero matrix defines neither D* (m/0) nor any cosine: both are NaN and said to be
/// undefined, instead of D* = inf and an MSO of 0 below the Welch bound.
#[test]
fn undefined_quantities_of_zero_rows_are_undefined() {
    for force_sampled in [false, true] {
        let options = MeasureOptions {
            force_sampled,
            pairs: 100,
            ..MeasureOptions::default()
        };
        let zero = measure(&matrix(10, 4, vec![0.0; 40]), &options).unwrap();
        assert_eq!(zero.zero_rows, 10);
        assert!(zero.dimensions_per_feature.is_nan());
        assert!(zero.overlap.mean_sq.is_nan() && zero.m_times_mso.is_nan());
        let text = zero.detail();
        assert!(
            text.contains("D* = m/|W|_F^2             undefined (every row is zero")
                && text.contains("mean squared overlap (MSO) undefined (fewer than two rows")
                && !text.contains("inf"),
            "{text}"
        );
        // One row with a direction is still no pair.
        let mut one = vec![0.0; 40];
        one[0] = 1.0;
        let one = measure(&matrix(10, 4, one), &options).unwrap();
        assert_eq!(one.dimensions_per_feature, 4.0);
        assert!(one.overlap.mean_sq.is_nan());
    }
    // Some zero rows: the overlaps are defined (a zero row's cosine is 0), the count stated.
    let mut some = vec![0.0; 12];
    some[0] = 1.0;
    some[4] = 1.0;
    let some = measure(&matrix(3, 4, some), &MeasureOptions::default()).unwrap();
    assert_eq!(some.zero_rows, 1);
    assert!((some.overlap.mean_sq - 1.0 / 3.0).abs() < 1e-15);
    assert!(some.detail().contains("zero rows                  1 of 3"));
}
