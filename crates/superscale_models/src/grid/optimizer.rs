//! `torch.optim.AdamW` on a block: decoupled decay λ on W and b, then Adam with bias
//! correction (`docs/science/tms.md` §3, the TMS notebook's optimiser).
//!
//! The arithmetic is written exactly as `superscale_kernels::adam_update` and
//! `decay_uniform` write it (same operations, same f32/f64 roundings, no fused multiply-add),
//! so a lane's update is bit-identical to the single-model trainer's. Only the layout
//! differs, and an element-wise update does not care about the layout.

use crate::grid::layout::{BlockParams, LANES};
use crate::grid::simd::LaneArith;
use superscale_kernels::dispatch;
use superscale_kernels::AdamHyper;

/// The per-step constants of Adam's bias correction at update number `step` (1-based).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamStep {
    lr: f32,
    step_size: f32,
    inverse_correction2: f32,
    hyper: AdamHyper,
}

impl AdamStep {
    pub(crate) fn new(step: u64, lr: f32, hyper: AdamHyper) -> Self {
        // As adam_update: η/(1−β₁ᵗ) and 1/√(1−β₂ᵗ) in f64, then rounded to f32.
        let t = step.max(1) as i32;
        let correction1 = 1.0 - f64::from(hyper.beta1).powi(t);
        let correction2_sqrt = (1.0 - f64::from(hyper.beta2).powi(t)).sqrt();
        Self {
            lr,
            step_size: (f64::from(lr) / correction1) as f32,
            inverse_correction2: (1.0 / correction2_sqrt) as f32,
            hyper,
        }
    }
}

#[inline(always)]
fn update(
    params: &mut [f32],
    grads: &[f32],
    first: &mut [f32],
    second: &mut [f32],
    s: AdamStep,
    factor: &[f32; LANES],
) {
    let (beta1, beta2, eps) = (s.hyper.beta1, s.hyper.beta2, s.hyper.eps);
    for (((p, g), m), v) in params
        .chunks_exact_mut(LANES)
        .zip(grads.chunks_exact(LANES))
        .zip(first.chunks_exact_mut(LANES))
        .zip(second.chunks_exact_mut(LANES))
    {
        for lane in 0..LANES {
            // decay_uniform: p ← p·(1 − η·λ), before the Adam step.
            p[lane] *= factor[lane];
            m[lane] = beta1 * m[lane] + (1.0 - beta1) * g[lane];
            v[lane] = beta2 * v[lane] + (1.0 - beta2) * g[lane] * g[lane];
            let denom = v[lane].sqrt() * s.inverse_correction2 + eps;
            p[lane] -= s.step_size * m[lane] / denom;
        }
    }
}

#[inline(always)]
fn optimizer_step_generic<A: LaneArith>(
    params: &mut BlockParams,
    grad_weights: &[f32],
    grad_bias: &[f32],
    step: AdamStep,
) {
    let factor: [f32; LANES] = std::array::from_fn(|lane| 1.0 - step.lr * params.decay[lane]);
    update(
        &mut params.weights,
        grad_weights,
        &mut params.weights_first,
        &mut params.weights_second,
        step,
        &factor,
    );
    update(
        &mut params.bias,
        grad_bias,
        &mut params.bias_first,
        &mut params.bias_second,
        step,
        &factor,
    );
}

// No multiply-add is fused here (Rust never contracts a·b + c), so both instantiations give
// the same bits; the AVX2 one just runs eight lanes per instruction.
dispatch!(pub(crate) fn optimizer_step(params: &mut BlockParams, grad_weights: &[f32], grad_bias: &[f32], step: AdamStep) => optimizer_step_generic);

#[cfg(test)]
mod tests {
    use super::*;
    use superscale_kernels::{adam_update, decay_uniform, Simd};

    #[test]
    fn a_lane_updates_exactly_like_the_single_model_optimiser() {
        let (n, m) = (3, 2);
        let mut block = BlockParams::zeros(n, m);
        let weights: Vec<f32> = (0..n * m).map(|k| 0.3 - 0.17 * k as f32).collect();
        let bias = vec![0.1f32, -0.4, 0.0];
        let model = crate::ToyModel::from_parts(n, m, weights.clone(), bias.clone()).unwrap();
        block.set_lane(2, &model, &[1.0; 3], 0.01);
        let (mut w, mut b) = (weights, bias);
        let (mut wm, mut wv, mut bm, mut bv) = (
            vec![0.0; n * m],
            vec![0.0; n * m],
            vec![0.0; n],
            vec![0.0; n],
        );
        let hyper = AdamHyper::default();
        for simd in Simd::under_test() {
            for step in 1..=30u64 {
                let gw: Vec<f32> = (0..n * m)
                    .map(|k| ((step * 7 + k as u64) as f32).sin() * 1e-2)
                    .collect();
                let gb: Vec<f32> = (0..n)
                    .map(|k| ((step * 3 + k as u64) as f32).cos() * 1e-3)
                    .collect();
                let lr = 1e-3 * (1.0 + step as f32 / 10.0);
                let mut grad_w = vec![0.0; n * m * LANES];
                let mut grad_b = vec![0.0; n * LANES];
                for (k, &g) in gw.iter().enumerate() {
                    grad_w[k * LANES + 2] = g;
                }
                for (k, &g) in gb.iter().enumerate() {
                    grad_b[k * LANES + 2] = g;
                }
                optimizer_step(
                    simd,
                    &mut block,
                    &grad_w,
                    &grad_b,
                    AdamStep::new(step, lr, hyper),
                );
                decay_uniform(&mut w, lr, 0.01);
                decay_uniform(&mut b, lr, 0.01);
                adam_update(&mut w, &gw, &mut wm, &mut wv, step, lr, hyper);
                adam_update(&mut b, &gb, &mut bm, &mut bv, step, lr, hyper);
                let lane = block.lane_model(2);
                assert_eq!(
                    lane.weights.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    w.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                );
                assert_eq!(
                    lane.bias.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    b.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                );
            }
            // Reset for the next instruction set.
            block = BlockParams::zeros(n, m);
            block.set_lane(2, &model, &[1.0; 3], 0.01);
            w = model.weights.clone();
            b = model.bias.clone();
            for v in [&mut wm, &mut wv] {
                v.fill(0.0);
            }
            for v in [&mut bm, &mut bv] {
                v.fill(0.0);
            }
        }
    }
}
