use super::*;

struct Case {
    batch: usize,
    n: usize,
    width: usize,
    pre: Vec<f32>,
    bias: Vec<f32>,
    importance: Vec<f32>,
    x: SparseRows,
}

fn case(batch: usize, n: usize, width: usize) -> Case {
    let wave = |v: usize, f: f32| (v as f32 * f).sin();
    let pre: Vec<f32> = (0..batch * n).map(|v| wave(v, 0.91)).collect();
    let bias: Vec<f32> = (0..n).map(|v| 0.3 * wave(v, 1.7)).collect();
    let importance: Vec<f32> = (0..n).map(|v| 0.5 + 0.5 * wave(v, 0.4).abs()).collect();
    let dense_x: Vec<f32> = (0..batch * n)
        .map(|v| if v % 5 == 1 { 1.0 + wave(v, 2.3) } else { 0.0 })
        .collect();
    let x = SparseRows::from_dense(&dense_x, batch, n);
    Case {
        batch,
        n,
        width,
        pre,
        bias,
        importance,
        x,
    }
}

/// Plain f64 loops: the definition the fused kernel must reproduce.
#[allow(clippy::needless_range_loop)]
fn reference(c: &Case, scale: f64) -> (f64, Vec<f64>, Vec<f64>) {
    let x = c.x.to_dense();
    let mut loss = 0.0;
    let mut g = vec![0.0; c.batch * c.n];
    let mut db = vec![0.0; c.n];
    for b in 0..c.batch {
        for i in 0..c.n {
            let k = b * c.n + i;
            let z = f64::from(c.pre[k]) + f64::from(c.bias[i]);
            let y = z.max(0.0);
            let w = f64::from(c.importance[i]);
            loss += w * (y - f64::from(x[k])).powi(2);
            if z > 0.0 {
                g[k] = scale * w * (y - f64::from(x[k]));
                db[i] += g[k];
            }
        }
    }
    (loss, g, db)
}

#[test]
fn fused_pass_matches_reference_for_every_length_and_instruction_set() {
    for simd in Simd::under_test() {
        for n in (0..=64).chain([129, 1000]) {
            let c = case(3, n, 4);
            let scale = 2.0 / (c.batch * n.max(1)) as f32;
            let (loss, g, db) = reference(&c, f64::from(scale));
            let mut pre = c.pre.clone();
            let mut bias_grad = vec![0.0; n];
            let mut scratch = Vec::new();
            let out = relu_loss_gradient(
                simd,
                &mut pre,
                &c.bias,
                &c.importance,
                &c.x,
                0,
                scale,
                &mut bias_grad,
                &mut scratch,
            )
            .unwrap();
            assert!(
                (out.weighted_sum - loss).abs() <= 1e-5 * (1.0 + loss),
                "{simd:?} n={n}"
            );
            assert_eq!(
                out.nonzero_gradients,
                g.iter().filter(|v| **v != 0.0).count()
            );
            for (a, b) in pre.iter().zip(&g) {
                assert!((f64::from(*a) - b).abs() < 1e-6, "{simd:?} n={n}");
            }
            for (a, b) in bias_grad.iter().zip(&db) {
                assert!((f64::from(*a) - b).abs() < 1e-5, "{simd:?} n={n}");
            }
            let mut pre_eval = c.pre.clone();
            let eval =
                relu_loss_forward(simd, &mut pre_eval, &c.bias, &c.importance, &c.x, 0).unwrap();
            assert!((eval - loss).abs() <= 1e-5 * (1.0 + loss));
            assert_eq!(pre_eval, c.pre, "evaluation must not modify its input");
            // Row blocks: the last two rows alone, with the bias gradient accumulating.
            if n > 0 {
                let mut tail = c.pre[n..].to_vec();
                let mut partial_bias = vec![0.0; n];
                let block = relu_loss_gradient(
                    simd,
                    &mut tail,
                    &c.bias,
                    &c.importance,
                    &c.x,
                    1,
                    scale,
                    &mut partial_bias,
                    &mut scratch,
                )
                .unwrap();
                assert_eq!(tail, pre[n..].to_vec());
                assert!(block.weighted_sum <= out.weighted_sum + 1e-9);
                assert!(relu_loss_gradient(
                    simd,
                    &mut tail,
                    &c.bias,
                    &c.importance,
                    &c.x,
                    2,
                    scale,
                    &mut partial_bias,
                    &mut scratch
                )
                .is_err());
            }
        }
    }
}

#[test]
fn sparse_and_dense_backward_agree() {
    for simd in Simd::under_test() {
        for (batch, n, width) in [(4, 9, 3), (16, 70, 10), (5, 33, 17)] {
            let c = case(batch, n, width);
            let mut g = c.pre.clone();
            // Make G sparse the way ReLU does: zero out the negative entries.
            g.iter_mut().for_each(|v| *v = v.max(0.0));
            let weights: Vec<f32> = (0..n * width).map(|v| (v as f32 * 0.13).cos()).collect();
            let hidden: Vec<f32> = (0..batch * width)
                .map(|v| (v as f32 * 0.29).sin())
                .collect();
            // dH is overwritten, dW accumulated: start both dW at the same value.
            let (mut dh_sparse, mut dw_sparse) = (vec![1.0; batch * width], vec![0.5; n * width]);
            let (mut dh_dense, mut dw_dense) = (vec![2.0; batch * width], vec![0.5; n * width]);
            output_gradient_sparse(
                simd,
                &g,
                &weights,
                &hidden,
                &mut dh_sparse,
                &mut dw_sparse,
                width,
                &mut Vec::new(),
            )
            .unwrap();
            output_gradient_dense(&g, &weights, &hidden, &mut dh_dense, &mut dw_dense, width)
                .unwrap();
            for (a, b) in dh_sparse
                .iter()
                .zip(&dh_dense)
                .chain(dw_sparse.iter().zip(&dw_dense))
            {
                assert!((a - b).abs() < 1e-4, "{simd:?} {a} {b}");
            }
            let _ = c.width;
        }
    }
}
