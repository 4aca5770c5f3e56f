//! Plain f64 loops of the toy model's loss and gradient: slow, obvious, and the
//! definition the fused f32 kernels are tested against (and that is itself tested
//! against central finite differences).

/// Σ_b Σ_i I_i (ReLU((x W Wᵀ)_bi + b_i) − x_bi)² for dense row-major x (B × n), W (n × m).
pub fn loss_sum(x: &[f64], weights: &[f64], bias: &[f64], importance: &[f64], width: usize) -> f64 {
    let n = bias.len();
    let mut total = 0.0;
    for row in x.chunks_exact(n) {
        let hidden: Vec<f64> = (0..width)
            .map(|k| (0..n).map(|j| row[j] * weights[j * width + k]).sum())
            .collect();
        for i in 0..n {
            let z = (0..width)
                .map(|k| hidden[k] * weights[i * width + k])
                .sum::<f64>()
                + bias[i];
            total += importance[i] * (z.max(0.0) - row[i]).powi(2);
        }
    }
    total
}

/// The analytic gradient of `loss_sum / (B·n)` with respect to W and b.
pub fn gradient(
    x: &[f64],
    weights: &[f64],
    bias: &[f64],
    importance: &[f64],
    width: usize,
) -> (Vec<f64>, Vec<f64>) {
    let n = bias.len();
    let batch = x.len() / n;
    let scale = 2.0 / (batch * n) as f64;
    let mut grad_w = vec![0.0; n * width];
    let mut grad_b = vec![0.0; n];
    for row in x.chunks_exact(n) {
        let hidden: Vec<f64> = (0..width)
            .map(|k| (0..n).map(|j| row[j] * weights[j * width + k]).sum())
            .collect();
        let mut grad_hidden = vec![0.0; width];
        for i in 0..n {
            let z = (0..width)
                .map(|k| hidden[k] * weights[i * width + k])
                .sum::<f64>()
                + bias[i];
            if z > 0.0 {
                let g = scale * importance[i] * (z - row[i]);
                grad_b[i] += g;
                for k in 0..width {
                    grad_w[i * width + k] += g * hidden[k];
                    grad_hidden[k] += g * weights[i * width + k];
                }
            }
        }
        for j in 0..n {
            for k in 0..width {
                grad_w[j * width + k] += row[j] * grad_hidden[k];
            }
        }
    }
    (grad_w, grad_b)
}
