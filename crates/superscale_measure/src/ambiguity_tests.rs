use super::*;

/// Eigenvalues of a dense symmetric matrix by cyclic Jacobi rotations (test reference;
/// converges quadratically, sweeps until the off-diagonal mass is below 1e-28 of the total).
fn jacobi_eigenvalues(mut a: Vec<f64>, n: usize) -> Vec<f64> {
    let total: f64 = a.iter().map(|v| v * v).sum();
    for _ in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i * n + j].powi(2))
            .sum();
        if off <= 1e-28 * total.max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
            }
        }
    }
    (0..n).map(|i| a[i * n + i]).collect()
}

/// ‖WWᵀ − P‖₂ formed densely: the definition of docs/science/superposition.md §2.3, for
/// small n.
fn dense_ambiguity(weights: &[f64], n: usize, width: usize) -> f64 {
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let dot: f64 = (0..width)
                .map(|k| weights[i * width + k] * weights[j * width + k])
                .sum();
            a[i * n + j] = dot - if i == j && i < width { 1.0 } else { 0.0 };
        }
    }
    jacobi_eigenvalues(a, n)
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
}

fn pseudo_random(count: usize, seed: u64) -> Vec<f64> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

#[test]
fn tridiagonal_eigenvalues_and_last_components_match_jacobi() {
    let diagonal = [2.0, -1.0, 0.5, 3.0, 0.0];
    let off = [1.0, 0.3, -2.0, 0.7];
    let (values, last) = tridiagonal_eigen(&diagonal, &off);
    let mut dense = vec![0.0; 25];
    for i in 0..5 {
        dense[i * 5 + i] = diagonal[i];
    }
    for i in 0..4 {
        dense[i * 5 + i + 1] = off[i];
        dense[(i + 1) * 5 + i] = off[i];
    }
    let mut want = jacobi_eigenvalues(dense, 5);
    let mut got = values.clone();
    want.sort_by(f64::total_cmp);
    got.sort_by(f64::total_cmp);
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
    }
    // The last components of an orthonormal eigenbasis have squares summing to 1.
    assert!((last.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-12);
}

#[test]
fn known_answers() {
    // The ideal arrangement itself: the first m features orthonormal, the rest absent.
    let (n, m) = (9, 3);
    let mut ideal = vec![0.0; n * m];
    for i in 0..m {
        ideal[i * m + i] = 1.0;
    }
    let amb = ambiguity(&ideal, m, AmbiguityOptions::default()).unwrap();
    assert!(amb.value < 1e-12 && amb.converged, "{amb:?}");
    // Scaled: WWᵀ − P = (s² − 1)P, so the norm is |s² − 1|.
    let scaled: Vec<f64> = ideal.iter().map(|v| v * 1.5).collect();
    let amb = ambiguity(&scaled, m, AmbiguityOptions::default()).unwrap();
    assert!((amb.value - 1.25).abs() < 1e-12, "{amb:?}");
    // The same directions on the *last* m rows: eigenvalues +1 and −1, norm 1.
    let mut shifted = vec![0.0; n * m];
    for i in 0..m {
        shifted[(n - m + i) * m + i] = 1.0;
    }
    let amb = ambiguity(&shifted, m, AmbiguityOptions::default()).unwrap();
    assert!((amb.value - 1.0).abs() < 1e-12, "{amb:?}");
}

#[test]
fn lanczos_matches_the_dense_definition() {
    // Small n: the Krylov space is exhausted, so the value is exact (to rounding).
    for (n, m, seed) in [(12, 4, 1), (30, 5, 2), (7, 10, 3), (60, 3, 4)] {
        let weights = pseudo_random(n * m, seed);
        let want = dense_ambiguity(&weights, n, m);
        let got = ambiguity(&weights, m, AmbiguityOptions::default()).unwrap();
        assert!(got.converged, "{got:?}");
        assert!(
            (got.value - want).abs() < 1e-10 * want.max(1.0),
            "{got:?} vs {want}"
        );
    }
    // Larger n than the iteration cap would allow densely: converges by the residual bound.
    let (n, m) = (400, 8);
    let weights: Vec<f64> = pseudo_random(n * m, 5).iter().map(|v| v * 0.3).collect();
    let want = dense_ambiguity(&weights, n, m);
    let got = ambiguity(&weights, m, AmbiguityOptions::default()).unwrap();
    assert!(got.converged && got.iterations < n, "{got:?}");
    assert!((got.value - want).abs() <= 1e-8 * want, "{got:?} vs {want}");
}
