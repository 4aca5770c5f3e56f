use super::*;
use crate::reference;
use crate::{power_law_probabilities, FeatureSampler};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn small_problem(
    seed: u64,
    importance_decay: f64,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, usize) {
    problem(seed, importance_decay, 6)
}

fn problem(
    seed: u64,
    importance_decay: f64,
    batch: usize,
) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, usize) {
    let (n, width) = (9, 3);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let model = ToyModel::new(n, width, Init::SuperpositionScaling, &mut rng).unwrap();
    let mut sampler = FeatureSampler::new(vec![0.4; n], 2.0).unwrap();
    let mut x = SparseRows::default();
    sampler.sample(&mut rng, batch, &mut x);
    let to64 = |v: &[f32]| v.iter().map(|&a| f64::from(a)).collect::<Vec<f64>>();
    let importance: Vec<f64> = (0..n).map(|i| importance_decay.powi(i as i32)).collect();
    (
        to64(&x.to_dense()),
        to64(&model.weights),
        to64(&model.bias),
        importance,
        width,
    )
}

#[test]
fn reference_gradient_matches_central_finite_differences_in_f64() {
    // Both variants' losses: unweighted (superposition scaling) and importance-weighted (TMS).
    for (seed, decay) in [(1, 1.0), (2, 1.0), (3, 0.7), (4, 0.9)] {
        let (x, w, b, importance, width) = small_problem(seed, decay);
        let norm = (x.len()) as f64; // B·n
        let loss = |w: &[f64], b: &[f64]| reference::loss_sum(&x, w, b, &importance, width) / norm;
        let (grad_w, grad_b) = reference::gradient(&x, &w, &b, &importance, width);
        let h = 1e-6;
        for k in 0..w.len() {
            let (mut plus, mut minus) = (w.clone(), w.clone());
            plus[k] += h;
            minus[k] -= h;
            let numeric = (loss(&plus, &b) - loss(&minus, &b)) / (2.0 * h);
            assert!(
                (numeric - grad_w[k]).abs() < 1e-7 + 1e-6 * numeric.abs(),
                "W[{k}]: {numeric} vs {}",
                grad_w[k]
            );
        }
        for k in 0..b.len() {
            let (mut plus, mut minus) = (b.clone(), b.clone());
            plus[k] += h;
            minus[k] -= h;
            let numeric = (loss(&w, &plus) - loss(&w, &minus)) / (2.0 * h);
            assert!(
                (numeric - grad_b[k]).abs() < 1e-7 + 1e-6 * numeric.abs(),
                "b[{k}]"
            );
        }
    }
}

#[test]
fn fused_f32_gradient_matches_the_reference_in_both_backward_modes() {
    for simd in Simd::under_test() {
        // 150 rows span three row blocks, the last one partial.
        for (seed, decay, batch) in [(5, 1.0, 6), (6, 0.8, 6), (7, 1.0, 150)] {
            let (x, w, b, importance, width) = problem(seed, decay, batch);
            let n = b.len();
            let batch = x.len() / n;
            let to32 = |v: &[f64]| v.iter().map(|&a| a as f32).collect::<Vec<f32>>();
            let model = ToyModel::from_parts(n, width, to32(&w), to32(&b)).unwrap();
            let x32 = SparseRows::from_dense(&to32(&x), batch, n);
            let (want_w, want_b) = reference::gradient(&x, &w, &b, &importance, width);
            let want_loss = reference::loss_sum(&x, &w, &b, &importance, width);
            let forms = [
                ForwardForm::Direct,
                ForwardForm::Gram,
                ForwardForm::Cheapest,
            ];
            for (sparse_below, form) in [0.0, 1.1].into_iter().flat_map(|s| forms.map(|f| (s, f))) {
                let mut buffers = StepBuffers::with_forward_form(n, width, batch, form);
                let mut grads = Gradients::zeros(n, width);
                let out = model
                    .loss_and_gradient(
                        simd,
                        &x32,
                        &to32(&importance),
                        &mut buffers,
                        &mut grads,
                        sparse_below,
                    )
                    .unwrap();
                assert!((out.weighted_sum - want_loss).abs() < 1e-4 * (1.0 + want_loss));
                for (got, want) in grads
                    .weights
                    .iter()
                    .zip(&want_w)
                    .chain(grads.bias.iter().zip(&want_b))
                {
                    assert!(
                        (f64::from(*got) - want).abs() < 1e-5 * (1.0 + want.abs()),
                        "{simd:?} {form:?} {got} vs {want}"
                    );
                }
                let eval = model
                    .loss_sum(simd, &x32, &to32(&importance), &mut buffers)
                    .unwrap();
                assert!((eval - want_loss).abs() < 1e-4 * (1.0 + want_loss));
            }
        }
    }
}

#[test]
fn initial_loss_matches_the_spec() {
    // C0 of docs/science/superposition.md §4: initial training MSE with b ~ N(0,1) in
    // [0.40, 0.65], expected ≈ ½(1 + 4E/(3m)).
    let n = 1000;
    let mut sampler =
        FeatureSampler::new(power_law_probabilities(n, 1.0, 1.0).unwrap(), 2.0).unwrap();
    for width in [10, 100] {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(width as u64);
        let model = ToyModel::new(n, width, Init::SuperpositionScaling, &mut rng).unwrap();
        let mut x = SparseRows::default();
        sampler.sample(&mut rng, 2048, &mut x);
        let mut buffers = StepBuffers::new(n, width, 2048);
        let mse = model
            .loss_sum(Simd::detect(), &x, &vec![1.0; n], &mut buffers)
            .unwrap()
            / (2048.0 * n as f64);
        assert!(
            (0.40..=0.65).contains(&mse),
            "m = {width}: initial MSE {mse}"
        );
        let expected = 0.5 * (1.0 + 4.0 / (3.0 * width as f64));
        assert!(
            (mse - expected).abs() < 0.1,
            "m = {width}: {mse} vs ≈{expected}"
        );
    }
}

#[test]
fn shapes_are_checked() {
    assert!(ToyModel::from_parts(3, 2, vec![0.0; 5], vec![0.0; 3]).is_err());
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    assert!(ToyModel::new(3, 0, Init::XavierNormal, &mut rng).is_err());
}

#[test]
fn chunked_gradient_is_bit_identical_on_one_and_two_threads() {
    // 1100 rows: three chunks, the last one partial.
    let (n, width, batch) = (200, 7, 1100);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
    let model = ToyModel::new(n, width, Init::SuperpositionScaling, &mut rng).unwrap();
    let mut sampler =
        FeatureSampler::new(power_law_probabilities(n, 0.5, 3.0).unwrap(), 2.0).unwrap();
    let mut x = SparseRows::default();
    sampler.sample(&mut rng, batch, &mut x);
    let ones = vec![1.0; n];
    let gradient_on = |threads: usize, form: ForwardForm| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut buffers = StepBuffers::with_forward_form(n, width, batch, form);
            let mut grads = Gradients::zeros(n, width);
            let loss = model
                .loss_and_gradient(Simd::detect(), &x, &ones, &mut buffers, &mut grads, 0.2)
                .unwrap();
            let bits: Vec<u32> = grads
                .weights
                .iter()
                .chain(&grads.bias)
                .map(|v| v.to_bits())
                .collect();
            (loss.weighted_sum.to_bits(), bits)
        })
    };
    // 200 rows of K: two Gram row blocks, so the Gram form runs on both threads too.
    for form in [ForwardForm::Direct, ForwardForm::Gram] {
        assert_eq!(gradient_on(1, form), gradient_on(2, form), "{form:?}");
    }
}
