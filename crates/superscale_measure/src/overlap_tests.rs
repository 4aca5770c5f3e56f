use super::*;

/// Rows of polytopes placed in mutually orthogonal subspaces (a tegum product), with the
/// D_i each must have (docs/science/tms.md §5.6).
fn tegum_product() -> (Vec<f64>, usize, Vec<f64>) {
    let width = 12;
    let mut rows: Vec<(Vec<(usize, f64)>, f64)> = Vec::new();
    rows.push((vec![(0, 1.0)], 1.0)); // a dedicated dimension
    rows.push((vec![(1, 1.0)], 0.5)); // antipodal pair
    rows.push((vec![(1, -1.0)], 0.5));
    for k in 0..3 {
        let angle = 2.0 * std::f64::consts::PI * k as f64 / 3.0;
        rows.push((vec![(2, angle.cos()), (3, angle.sin())], 2.0 / 3.0)); // triangle
    }
    let s = 1.0 / 3f64.sqrt();
    for signs in [
        [1.0, 1.0, 1.0],
        [1.0, -1.0, -1.0],
        [-1.0, 1.0, -1.0],
        [-1.0, -1.0, 1.0],
    ] {
        rows.push((
            vec![(4, signs[0] * s), (5, signs[1] * s), (6, signs[2] * s)],
            0.75,
        )); // tetrahedron
    }
    for k in 0..5 {
        let angle = 2.0 * std::f64::consts::PI * k as f64 / 5.0;
        rows.push((vec![(7, angle.cos()), (8, angle.sin())], 0.4)); // pentagon
    }
    let radius = (2.0f64 / 3.0).sqrt();
    for k in 0..8 {
        let (layer, step) = (k / 4, k % 4);
        let angle =
            std::f64::consts::FRAC_PI_2 * step as f64 + std::f64::consts::FRAC_PI_4 * layer as f64;
        let height = if layer == 0 { s } else { -s };
        rows.push((
            vec![
                (9, radius * angle.cos()),
                (10, radius * angle.sin()),
                (11, height),
            ],
            0.375,
        )); // square antiprism
    }
    let mut weights = vec![0.0; rows.len() * width];
    let mut expected = Vec::new();
    for (i, (entries, d)) in rows.iter().enumerate() {
        for &(column, value) in entries {
            weights[i * width + column] = value;
        }
        expected.push(*d);
    }
    (weights, width, expected)
}

#[test]
fn exact_polytopes_have_their_dimensionalities() {
    let (weights, width, expected) = tegum_product();
    let (dimensionality, interference) = feature_dimensionality(&weights, width).unwrap();
    for (i, (got, want)) in dimensionality.iter().zip(&expected).enumerate() {
        assert!((got - want).abs() < 1e-12, "row {i}: {got} vs {want}");
    }
    // D_i = 1/(1 + interference_i) for unit rows.
    for (d, s) in dimensionality.iter().zip(&interference) {
        assert!((d - 1.0 / (1.0 + s)).abs() < 1e-12);
    }
}

fn pseudo_gaussian(count: usize, seed: u64) -> Vec<f64> {
    // Box–Muller over a 64-bit LCG: deterministic and dependency-free for tests.
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut uniform = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    (0..count)
        .map(|_| (-2.0 * uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * uniform()).cos())
        .collect()
}

#[test]
fn blocked_statistics_match_a_naive_loop_across_block_edges() {
    let (n, width) = (700, 5); // 700 > BLOCK, so off-diagonal blocks are exercised
    let weights = pseudo_gaussian(n * width, 3);
    let rows: Vec<usize> = (0..n).filter(|i| i % 3 != 0).collect();
    let stats = mean_squared_overlap(&weights, width, &rows).unwrap();
    let unit: Vec<Vec<f64>> = rows
        .iter()
        .map(|&i| {
            let row = &weights[i * width..(i + 1) * width];
            let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            row.iter().map(|v| v / norm).collect()
        })
        .collect();
    let mut squares = Vec::new();
    for a in 0..unit.len() {
        for b in a + 1..unit.len() {
            let cosine: f64 = unit[a].iter().zip(&unit[b]).map(|(x, y)| x * y).sum();
            squares.push(cosine * cosine);
        }
    }
    let mean = squares.iter().sum::<f64>() / squares.len() as f64;
    let variance = squares.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / squares.len() as f64;
    assert!((stats.mean - mean).abs() < 1e-12 && (stats.variance - variance).abs() < 1e-12);
    assert_eq!(stats.rows, rows.len());
}

#[test]
fn random_directions_have_mean_squared_overlap_one_over_m() {
    // Squared overlaps of random unit vectors in R^m are Beta(1/2, (m−1)/2): mean 1/m,
    // variance 2(m−1)/(m²(m+2)) (docs/science/superposition.md §1.7). 2000 rows → 2·10⁶ pairs.
    let (n, width) = (2000, 20);
    let weights = pseudo_gaussian(n * width, 9);
    let all: Vec<usize> = (0..n).collect();
    let stats = mean_squared_overlap(&weights, width, &all).unwrap();
    let m = width as f64;
    assert!((stats.mean * m - 1.0).abs() < 0.02, "{}", stats.mean * m);
    let variance = 2.0 * (m - 1.0) / (m * m * (m + 2.0));
    assert!((stats.variance / variance - 1.0).abs() < 0.05);
    // E|cos| = Γ(m/2)/(√π Γ((m+1)/2)) ≈ √(2/(πm)) for large m.
    assert!((stats.mean_abs / (2.0 / (std::f64::consts::PI * m)).sqrt() - 1.0).abs() < 0.05);
}
