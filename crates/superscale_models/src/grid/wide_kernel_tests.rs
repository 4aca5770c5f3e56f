use crate::grid::kernel::{block_gradient, block_gradient_with, uses_wide_kernel, Workspace};
use crate::grid::layout::{BlockParams, LANES};
use crate::reference;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_kernels::Simd;

/// A block of random models (W uniform in ±0.5, b around 0, importances in (0.2, 1]) and a
/// batch whose entries are non-zero with probability `density[lane]` (the same density in
/// every lane makes whole lane groups zero, the case the kernel skips).
fn random_block(
    (n, m, batch): (usize, usize, usize),
    density: [f32; LANES],
    seed: u64,
) -> (BlockParams, Workspace) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut params = BlockParams::zeros(n, m);
    for v in &mut params.weights {
        *v = rng.random::<f32>() - 0.5;
    }
    for v in &mut params.bias {
        *v = rng.random::<f32>() * 0.4 - 0.2;
    }
    for v in &mut params.importance {
        *v = 0.2 + 0.8 * rng.random::<f32>();
    }
    let mut work = Workspace::new(n, m, batch);
    for (index, v) in work.x.iter_mut().enumerate() {
        if rng.random::<f32>() < density[index % LANES] {
            *v = rng.random::<f32>();
        }
    }
    (params, work)
}

const DENSE: [f32; LANES] = [1.0; LANES];
const SPARSE: [f32; LANES] = [0.05; LANES];
const MIXED: [f32; LANES] = [0.05, 0.05, 1.0, 0.3, 0.05, 0.01, 0.05, 0.5];

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

fn to64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

#[test]
fn the_wide_shapes_take_the_wide_kernel() {
    assert!(uses_wide_kernel(200, 20) && uses_wide_kernel(77, 9) && uses_wide_kernel(65, 2));
    assert!(uses_wide_kernel(64, 16) && uses_wide_kernel(32, 4) && uses_wide_kernel(17, 4));
    assert!(!uses_wide_kernel(5, 2) && !uses_wide_kernel(20, 5) && !uses_wide_kernel(16, 4));
    assert!(!uses_wide_kernel(64, 3) && !uses_wide_kernel(2, 1) && !uses_wide_kernel(3, 2));
}

#[test]
fn gradient_matches_the_f64_reference_in_every_lane() {
    // crate::reference is the plain f64 definition (checked against central
    // finite differences there). Shapes: C9's 200 × 20 (tiles 12 + 8), an odd 77 × 9 (a
    // 1-wide h tile, a 1-wide feature tile), the 512 × 64 limit; batches that leave a
    // partial chunk and an odd row. Tolerance: relative Frobenius error < 2e-5 for f32 sums
    // of ≤ 512 terms, the loss to 1e-5 relative; the non-zero count lies between the f64
    // counts of z > 1e-4 and z > −1e-4 (an f32 z within rounding of 0 may go either way).
    for simd in Simd::under_test() {
        for (shape, density) in [
            ((200, 20, 37), DENSE),
            ((200, 20, 70), SPARSE),
            ((77, 9, 21), MIXED),
            ((512, 64, 9), MIXED),
        ] {
            let (n, m, _) = shape;
            let (params, mut work) = random_block(shape, density, (n * 1000 + m) as u64);
            block_gradient(simd, &params, &mut work);
            check_against_reference(simd, shape, &params, &work);
        }
    }
}

/// Asserts lanes 0, 2, 5, 7 of a computed block gradient against the f64 reference
/// (tolerances in `gradient_matches_the_f64_reference_in_every_lane`).
fn check_against_reference(
    simd: Simd,
    shape: (usize, usize, usize),
    params: &BlockParams,
    work: &Workspace,
) {
    let (n, m, batch) = shape;
    for l in [0, 2, 5, 7] {
        let x: Vec<f64> = (0..batch * n)
            .map(|entry| f64::from(work.x[entry * LANES + l]))
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
            "{simd:?} {shape:?} lane {l}: {ew} {eb}"
        );
        let el = (work.loss[l] - loss).abs() / loss;
        assert!(el < 1e-5, "{simd:?} {shape:?} lane {l}: loss {el}");
        let (mut surely, mut maybe) = (0, 0);
        for row in 0..batch {
            let x_row = &x[row * n..(row + 1) * n];
            let h: Vec<f64> = (0..m)
                .map(|k| (0..n).map(|i| x_row[i] * w[i * m + k]).sum())
                .collect();
            for i in 0..n {
                let z = b[i] + (0..m).map(|k| h[k] * w[i * m + k]).sum::<f64>();
                surely += u64::from(z > 1e-4);
                maybe += u64::from(z > -1e-4);
            }
        }
        let count = work.nonzero[l];
        assert!(
            (surely..=maybe).contains(&count),
            "{simd:?} {shape:?} lane {l}: {count} outside {surely}..={maybe}"
        );
    }
}

#[test]
fn chunks_switch_between_complete_and_sparse_lists() {
    // Chunks of 16 rows alternately dense and sparse in x, and a bias of −3 on half the
    // features (their G is zero in every lane): the kernel switches between complete and
    // listed groups from chunk to chunk and must not keep a stale list.
    let shape = (200, 20, 16 * 5 + 3);
    let (n, _, batch) = shape;
    for simd in Simd::under_test() {
        let (mut params, mut work) = random_block(shape, DENSE, 21);
        for (index, v) in work.x.iter_mut().enumerate() {
            let row = index / (n * LANES);
            let sparse_chunk = (row / 16) % 2 == 1 || row >= 80;
            if sparse_chunk && !(index / LANES).is_multiple_of(7) {
                *v = 0.0;
            }
        }
        for (index, v) in params.bias.iter_mut().enumerate() {
            if (index / LANES).is_multiple_of(2) {
                *v = -3.0;
            }
        }
        assert_eq!(work.batch, batch);
        block_gradient(simd, &params, &mut work);
        check_against_reference(simd, shape, &params, &work);
    }
}

#[test]
fn scalar_twin_and_simd_agree() {
    // Plain multiply-add against fused, the same sums in the same order: relative
    // Frobenius error < 1e-5 on ∂W and ∂b, 1e-6 on the loss, and counts within 2 of each
    // other per lane (an output whose z rounds across 0).
    // Two entries on every x86-64 machine (`under_test` fails there without AVX2+FMA);
    // one only off x86-64, or under the explicit scalar-only opt-out.
    let simds = Simd::under_test();
    if simds.len() < 2 {
        eprintln!("no AVX2+FMA twin to compare on this machine");
        return;
    }
    for shape in [(200, 20, 1024), (77, 9, 100)] {
        for density in [DENSE, SPARSE, MIXED] {
            let (params, work) = random_block(shape, density, 3 + shape.0 as u64);
            let run = |simd| {
                let mut work = work.clone();
                block_gradient(simd, &params, &mut work);
                work
            };
            let (plain, fused) = (run(simds[0]), run(simds[1]));
            let ew = relative_error(&to64(&fused.grad_weights), &to64(&plain.grad_weights));
            let eb = relative_error(&to64(&fused.grad_bias), &to64(&plain.grad_bias));
            assert!(ew < 1e-5 && eb < 1e-5, "{shape:?}: {ew} {eb}");
            for l in 0..LANES {
                let el = (fused.loss[l] - plain.loss[l]).abs() / plain.loss[l];
                assert!(el < 1e-6, "{shape:?} lane {l}: loss {el}");
                assert!(fused.nonzero[l].abs_diff(plain.nonzero[l]) <= 2);
            }
        }
    }
}

#[test]
fn the_wide_kernel_agrees_with_the_tiny_kernel() {
    // Both kernels can run the tiny kernel's shapes: on 20 × 5 (a TMS shape) and 64 × 16
    // (its largest) the wide kernel must give the tiny kernel's gradients to rounding:
    // relative Frobenius error < 1e-5, loss to 1e-5, counts within 2.
    for simd in Simd::under_test() {
        for shape in [(20, 5, 300), (64, 16, 100)] {
            let (params, _) = random_block(shape, MIXED, 11);
            let (n, m, batch) = shape;
            let mut tiny = Workspace::for_both_kernels(n, m, batch);
            let (_, sampled) = random_block(shape, MIXED, 11);
            tiny.x.copy_from_slice(&sampled.x);
            let mut wide = tiny.clone();
            block_gradient_with(simd, &params, &mut tiny, false);
            block_gradient_with(simd, &params, &mut wide, true);
            let ew = relative_error(&to64(&wide.grad_weights), &to64(&tiny.grad_weights));
            let eb = relative_error(&to64(&wide.grad_bias), &to64(&tiny.grad_bias));
            assert!(ew < 1e-5 && eb < 1e-5, "{simd:?} {shape:?}: {ew} {eb}");
            for l in 0..LANES {
                assert!((wide.loss[l] - tiny.loss[l]).abs() <= 1e-5 * tiny.loss[l]);
                assert!(wide.nonzero[l].abs_diff(tiny.nonzero[l]) <= 2);
            }
        }
    }
}

#[test]
#[ignore = "timing: cargo test --release -p superscale_models --lib time_tiny_against_wide -- --ignored --nocapture"]
fn time_tiny_against_wide() {
    // Where the tiny kernel's range ends: both kernels on its shapes, batch 1024, p = 0.3,
    // the minimum over 20 calls.
    for shape in [
        (5, 2, 1024),
        (16, 4, 1024),
        (20, 5, 1024),
        (32, 4, 1024),
        (24, 8, 1024),
        (64, 2, 1024),
        (40, 5, 1024),
        (64, 4, 1024),
        (32, 16, 1024),
        (64, 16, 1024),
    ] {
        let (params, sampled) = random_block(shape, [0.3; LANES], 5);
        let mut work = Workspace::for_both_kernels(shape.0, shape.1, shape.2);
        work.x.copy_from_slice(&sampled.x);
        let mut best = [f64::INFINITY; 2];
        for wide in [false, true] {
            for _ in 0..20 {
                let started = std::time::Instant::now();
                block_gradient_with(Simd::detect(), &params, &mut work, wide);
                let seconds = started.elapsed().as_secs_f64();
                best[usize::from(wide)] = best[usize::from(wide)].min(seconds);
            }
        }
        eprintln!(
            "{shape:?}: tiny {:.3} ms, wide {:.3} ms per block",
            1e3 * best[0],
            1e3 * best[1]
        );
    }
}

#[test]
fn a_lane_does_not_depend_on_its_neighbours() {
    // Lane 0's model and sparse data moved to lane 6 of a block whose other lanes are dense
    // in x and silent in y: the groups the kernel skips change (x's all listed in the
    // second block, G's listed in the second and all taken in the first), the bits of
    // lane 0's results must not.
    let shape = (200, 20, 100);
    let (params, work) = random_block(shape, SPARSE, 1);
    let (mut other_params, mut other_work) = random_block(shape, MIXED, 2);
    let copy = |from: &[f32], to: &mut [f32]| {
        for (group_from, group_to) in from.chunks_exact(LANES).zip(to.chunks_exact_mut(LANES)) {
            group_to[6] = group_from[0];
        }
    };
    copy(&params.weights, &mut other_params.weights);
    copy(&params.bias, &mut other_params.bias);
    copy(&params.importance, &mut other_params.importance);
    copy(&work.x, &mut other_work.x);
    // The neighbours' outputs off (b = −3): G's groups are non-zero only where lane 6's
    // are, so the second block lists G's groups where the first takes them all.
    for (index, v) in other_params.bias.iter_mut().enumerate() {
        if index % LANES != 6 {
            *v = -3.0;
        }
    }
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

#[test]
#[ignore = "timing: cargo test --release -p superscale_models --lib time_the_wide_kernel -- --ignored --nocapture"]
fn time_the_wide_kernel() {
    // The kernel alone (no sampler, no optimiser) on C9's shape at batch 1024, random
    // models (about half the outputs active): the minimum over 30 calls, robust to a
    // shared machine. FLOPs counted dense, 10·B·n·m per model.
    let shape = (200, 20, 1024);
    for p in [1.0, 0.3, 0.1, 0.05, 0.02] {
        let (params, mut work) = random_block(shape, [p; LANES], 5);
        let mut best = f64::INFINITY;
        for _ in 0..30 {
            let started = std::time::Instant::now();
            block_gradient(Simd::detect(), &params, &mut work);
            best = best.min(started.elapsed().as_secs_f64());
        }
        let per_model = best / LANES as f64;
        eprintln!(
            "p = {p}: {:.3} ms per block, {:.3} ms per model-step, {:.1} GFLOP/s",
            1e3 * best,
            1e3 * per_model,
            10.0 * (1024 * 200 * 20) as f64 / per_model / 1e9
        );
    }
}
