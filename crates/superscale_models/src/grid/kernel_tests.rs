use super::*;
use crate::reference;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_kernels::Simd;

/// A block of random models (W ~ N-ish, b around 0, importances in (0.2, 1]) and a batch of
/// sparse data with a different density per lane.
fn random_block(n: usize, m: usize, batch: usize, seed: u64) -> (BlockParams, Workspace) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut params = BlockParams::zeros(n, m);
    for v in &mut params.weights {
        *v = rng.random::<f32>() * 2.0 - 1.0;
    }
    for v in &mut params.bias {
        *v = rng.random::<f32>() * 0.4 - 0.2;
    }
    for v in &mut params.importance {
        *v = 0.2 + 0.8 * rng.random::<f32>();
    }
    let mut work = Workspace::new(n, m, batch);
    for (index, v) in work.x.iter_mut().enumerate() {
        let density = 0.1 + 0.1 * (index % LANES) as f32;
        if rng.random::<f32>() < density {
            *v = rng.random::<f32>();
        }
    }
    (params, work)
}

fn lane(values: &[f32], lane: usize) -> Vec<f64> {
    values
        .iter()
        .skip(lane)
        .step_by(LANES)
        .map(|&v| f64::from(v))
        .collect()
}

fn relative_error(got: &[f64], want: &[f64]) -> f64 {
    let diff: f64 = got.iter().zip(want).map(|(a, b)| (a - b).powi(2)).sum();
    let norm: f64 = want.iter().map(|b| b * b).sum();
    (diff / norm.max(1e-300)).sqrt()
}

#[test]
fn gradient_matches_the_f64_reference_in_every_lane() {
    // crate::reference is the plain f64 definition (itself checked against
    // central finite differences there). Tolerance: relative Frobenius error < 2e-5 for f32
    // sums of ≤ 700 rows; the loss to 1e-5 relative.
    for simd in Simd::under_test() {
        for &(n, m, batch) in &[(2, 1, 64), (5, 2, 700), (20, 5, 130), (3, 3, 1)] {
            let (params, mut work) = random_block(n, m, batch, (n * 100 + m) as u64);
            block_gradient(simd, &params, &mut work);
            for l in 0..LANES {
                let x: Vec<f64> = (0..batch)
                    .flat_map(|row| (0..n).map(move |i| (row, i)))
                    .map(|(row, i)| f64::from(work.x[(row * n + i) * LANES + l]))
                    .collect();
                let (w, b, imp) = (
                    lane(&params.weights, l),
                    lane(&params.bias, l),
                    lane(&params.importance, l),
                );
                let (gw, gb) = reference::gradient(&x, &w, &b, &imp, m);
                let loss = reference::loss_sum(&x, &w, &b, &imp, m);
                let ew = relative_error(&lane(&work.grad_weights, l), &gw);
                let eb = relative_error(&lane(&work.grad_bias, l), &gb);
                assert!(
                    ew < 2e-5 && eb < 2e-5,
                    "{simd:?} n={n} m={m} lane {l}: {ew} {eb}"
                );
                assert!((work.loss[l] - loss).abs() <= 1e-5 * loss.abs().max(1e-12));
            }
        }
    }
}

#[test]
fn scalar_twin_and_simd_agree() {
    // Plain multiply-add against fused: the same sums in the same order, differing only by
    // the FMA's single rounding, so relative Frobenius error < 1e-6 and equal counts.
    let simds = Simd::under_test();
    for &(n, m, batch) in &[(2, 1, 33), (5, 2, 1024), (12, 7, 77)] {
        let (params, work) = random_block(n, m, batch, 9 + n as u64);
        let mut results = Vec::new();
        for &simd in &simds {
            let mut work = work.clone();
            block_gradient(simd, &params, &mut work);
            results.push(work);
        }
        for other in &results[1..] {
            let to64 = |v: &[f32]| v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>();
            let e = relative_error(&to64(&other.grad_weights), &to64(&results[0].grad_weights));
            assert!(e < 1e-6, "n={n} m={m}: {e}");
            let e = relative_error(&to64(&other.grad_bias), &to64(&results[0].grad_bias));
            assert!(e < 1e-6, "n={n} m={m}: {e}");
            for l in 0..LANES {
                assert!((other.loss[l] - results[0].loss[l]).abs() <= 1e-6 * results[0].loss[l]);
            }
        }
    }
}

#[test]
fn a_lane_does_not_depend_on_its_neighbours() {
    // Move lane 0's model and data to lane 6 of a block with other neighbours: the bits
    // of its gradient must not change (what makes a run's result independent of the grid
    // it is trained in).
    let (n, m, batch) = (5, 2, 600);
    let (params, work) = random_block(n, m, batch, 1);
    let (mut other_params, mut other_work) = random_block(n, m, batch, 2);
    let copy = |from: &[f32], to: &mut [f32]| {
        for (group_from, group_to) in from.chunks_exact(LANES).zip(to.chunks_exact_mut(LANES)) {
            group_to[6] = group_from[0];
        }
    };
    copy(&params.weights, &mut other_params.weights);
    copy(&params.bias, &mut other_params.bias);
    copy(&params.importance, &mut other_params.importance);
    copy(&work.x, &mut other_work.x);
    for simd in Simd::under_test() {
        let mut first = work.clone();
        block_gradient(simd, &params, &mut first);
        let mut second = other_work.clone();
        block_gradient(simd, &other_params, &mut second);
        let bits = |v: &[f32], l: usize| lane(v, l).iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&first.grad_weights, 0), bits(&second.grad_weights, 6));
        assert_eq!(bits(&first.grad_bias, 0), bits(&second.grad_bias, 6));
        assert_eq!(first.loss[0].to_bits(), second.loss[6].to_bits());
        assert_eq!(first.nonzero[0], second.nonzero[6]);
    }
}
