//! Gradients against central finite differences in f64, f32 against f64, sparse against
//! dense input, and evaluation against the training loss.

use superscale_models::mlp::{
    evaluate, forward_outputs, loss_and_gradient, Input, Mlp, Real, RowOutcome, SparseRows,
    Targets, Workspace,
};

/// A deterministic pseudo-random stream in [−1, 1) (no RNG crate needed for test data).
fn stream(seed: u64, len: usize) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
        })
        .collect()
}

struct Problem {
    mlp: Mlp,
    x: Vec<f64>,
    labels: Vec<u32>,
    targets: Vec<f64>,
    rows: usize,
}

fn problem(sizes: &[usize], rows: usize, seed: u64) -> Problem {
    let mlp = Mlp::new(sizes).unwrap();
    let classes = mlp.output_dim() as u64;
    Problem {
        x: stream(seed, rows * mlp.input_dim()),
        labels: stream(seed + 1, rows)
            .iter()
            .map(|v| ((v + 1.0) * 0.5 * classes as f64) as u32 % classes as u32)
            .collect(),
        targets: stream(seed + 2, rows * mlp.output_dim()),
        rows,
        mlp,
    }
}

fn loss<T: Real>(p: &Problem, params: &[T], x: &[T], mse: bool, gradient: &mut [T]) -> f64 {
    let targets: Vec<T> = p.targets.iter().map(|&v| T::from_f64(v)).collect();
    let target = if mse {
        Targets::Values(&targets)
    } else {
        Targets::Labels(&p.labels)
    };
    // 5-row chunks, 2 slots: a 13-row batch needs two passes and a partial chunk.
    let mut workspace = Workspace::with_chunks(&p.mlp, 5, 2);
    loss_and_gradient(
        &p.mlp,
        params,
        Input::Dense(x),
        target,
        gradient,
        &mut workspace,
    )
    .unwrap()
}

#[test]
fn gradients_match_central_differences_in_f64() {
    // Tolerance: central differences with h = 1e-6 have truncation error O(h²·f''') and
    // rounding O(1e-16/h) ≈ 1e-10; ReLU kinks crossed by ±h would show up as O(1) errors.
    for sizes in [&[6usize, 9, 3][..], &[6, 7, 5, 3][..]] {
        for mse in [false, true] {
            let p = problem(sizes, 13, 3 + sizes.len() as u64);
            let params: Vec<f64> = p.mlp.init_params(11);
            let mut gradient = vec![0.0; p.mlp.n_params()];
            loss(&p, &params, &p.x, mse, &mut gradient);
            let mut scratch = vec![0.0; p.mlp.n_params()];
            let h = 1e-6;
            let mut worst: f64 = 0.0;
            for index in 0..params.len() {
                let mut shifted = params.clone();
                shifted[index] = params[index] + h;
                let up = loss(&p, &shifted, &p.x, mse, &mut scratch);
                shifted[index] = params[index] - h;
                let down = loss(&p, &shifted, &p.x, mse, &mut scratch);
                let numeric = (up - down) / (2.0 * h);
                worst = worst.max((numeric - gradient[index]).abs());
            }
            let scale = gradient.iter().map(|g| g.abs()).fold(0.0, f64::max);
            assert!(
                worst < 1e-7 * scale.max(1.0),
                "depth {} mse {mse}: worst finite-difference error {worst:e}",
                sizes.len() - 1
            );
        }
    }
}

#[test]
fn f32_agrees_with_f64() {
    for sizes in [&[6usize, 9, 3][..], &[6, 7, 5, 3][..]] {
        for mse in [false, true] {
            let p = problem(sizes, 13, 21);
            let params64: Vec<f64> = p.mlp.init_params(5);
            let params32: Vec<f32> = p.mlp.init_params(5);
            let x32: Vec<f32> = p.x.iter().map(|&v| v as f32).collect();
            let mut gradient64 = vec![0.0; p.mlp.n_params()];
            let mut gradient32 = vec![0.0f32; p.mlp.n_params()];
            let loss64 = loss(&p, &params64, &p.x, mse, &mut gradient64);
            let loss32 = loss(&p, &params32, &x32, mse, &mut gradient32);
            // f32 has a 6e-8 unit roundoff; sums of ≤ 13 terms through ≤ 3 layers stay
            // within 1e-5 relative of the f64 result.
            assert!((loss64 - loss32).abs() < 1e-5 * loss64.abs().max(1.0));
            let scale = gradient64.iter().map(|g| g.abs()).fold(0.0, f64::max);
            for (g64, g32) in gradient64.iter().zip(&gradient32) {
                assert!((g64 - f64::from(*g32)).abs() < 1e-5 * scale);
            }
        }
    }
}

#[test]
fn sparse_input_gives_the_dense_result() {
    let p = problem(&[12, 8, 2], 13, 9);
    // Make most inputs zero, as in sparse parity (one-hot ⊕ bits).
    let x: Vec<f32> =
        p.x.iter()
            .map(|&v| if v > 0.4 { 1.0 } else { 0.0 })
            .collect();
    let sparse = SparseRows::from_dense(&x, p.rows, 12);
    let params: Vec<f32> = p.mlp.init_params(2);
    let mut workspace = Workspace::with_chunks(&p.mlp, 4, 3);
    let (mut dense_gradient, mut sparse_gradient) = (
        vec![0.0f32; p.mlp.n_params()],
        vec![0.0f32; p.mlp.n_params()],
    );
    let dense_loss = loss_and_gradient(
        &p.mlp,
        &params,
        Input::Dense(&x),
        Targets::Labels(&p.labels),
        &mut dense_gradient,
        &mut workspace,
    )
    .unwrap();
    let sparse_loss = loss_and_gradient(
        &p.mlp,
        &params,
        Input::Sparse(&sparse),
        Targets::Labels(&p.labels),
        &mut sparse_gradient,
        &mut workspace,
    )
    .unwrap();
    assert!((dense_loss - sparse_loss).abs() < 1e-6);
    for (d, s) in dense_gradient.iter().zip(&sparse_gradient) {
        assert!((d - s).abs() < 1e-6);
    }
    let mut bad = sparse.clone();
    bad.columns[0] = 12;
    let error = loss_and_gradient(
        &p.mlp,
        &params,
        Input::Sparse(&bad),
        Targets::Labels(&p.labels),
        &mut sparse_gradient,
        &mut workspace,
    )
    .unwrap_err();
    assert!(error.to_string().contains("column 12"), "{error}");
}

#[test]
fn evaluation_matches_the_training_loss_and_its_own_definitions() {
    let p = problem(&[6, 9, 3], 13, 4);
    let params: Vec<f64> = p.mlp.init_params(8);
    let mut gradient = vec![0.0; p.mlp.n_params()];
    let mean = loss(&p, &params, &p.x, false, &mut gradient);
    let mut workspace = Workspace::with_chunks(&p.mlp, 5, 2);
    let mut outcomes = vec![RowOutcome::default(); p.rows];
    evaluate(
        &p.mlp,
        &params,
        Input::Dense(&p.x),
        &p.labels,
        &mut outcomes,
        &mut workspace,
    )
    .unwrap();
    let mut logits = vec![0.0; p.rows * 3];
    forward_outputs(
        &p.mlp,
        &params,
        Input::Dense(&p.x),
        &mut logits,
        &mut workspace,
    )
    .unwrap();
    let eval_mean = outcomes.iter().map(|o| o.loss).sum::<f64>() / p.rows as f64;
    assert!((eval_mean - mean).abs() < 1e-12);
    for ((outcome, row), &label) in outcomes.iter().zip(logits.chunks(3)).zip(&p.labels) {
        let total: f64 = row.iter().map(|z| z.exp()).sum();
        let probabilities: Vec<f64> = row.iter().map(|z| z.exp() / total).collect();
        let label = label as usize;
        assert!((outcome.loss + probabilities[label].ln()).abs() < 1e-12);
        assert!((outcome.probability - probabilities[label]).abs() < 1e-12);
        let brier: f64 = (0..3)
            .map(|k| (probabilities[k] - f64::from(u8::from(k == label))).powi(2))
            .sum();
        assert!((outcome.brier - brier).abs() < 1e-12);
        let argmax = (0..3).fold(0, |best, k| if row[k] > row[best] { k } else { best });
        assert_eq!(outcome.correct, argmax == label);
    }
    let mut wrong = p.labels.clone();
    wrong[4] = 3;
    let error = evaluate(
        &p.mlp,
        &params,
        Input::Dense(&p.x),
        &wrong,
        &mut outcomes,
        &mut workspace,
    )
    .unwrap_err();
    assert!(error.to_string().contains("label 3 of row 4"), "{error}");
}
