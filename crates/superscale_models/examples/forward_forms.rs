//! Times the two forward forms of one training step's loss and gradient (n = 1000,
//! B = 2048): `cargo run --release -p superscale_models --example forward_forms -- WIDTH
//! direct|gram|cheapest STEPS [BIAS]`. BIAS (default −0.3) shifts every b_i so that the ReLU
//! gradient is as sparse as in a trained model; run it under `perf stat -e task-clock` to
//! compare CPU time on a shared machine.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_kernels::{Simd, SparseRows};
use superscale_models::{
    power_law_probabilities, FeatureSampler, ForwardForm, Gradients, Init, StepBuffers, ToyModel,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let width: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(100);
    let form = match args.get(1).map(String::as_str) {
        Some("direct") => ForwardForm::Direct,
        Some("gram") => ForwardForm::Gram,
        _ => ForwardForm::Cheapest,
    };
    let steps: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200);
    let bias: f32 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(-0.3);
    let (n, batch) = (1000, 2048);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut model = ToyModel::new(n, width, Init::SuperpositionScaling, &mut rng).expect("model");
    model.bias.iter_mut().for_each(|b| *b = bias);
    let mut sampler = FeatureSampler::new(power_law_probabilities(n, 1.0, 1.0).expect("p"), 2.0)
        .expect("sampler");
    let mut x = SparseRows::default();
    let mut buffers = StepBuffers::with_forward_form(n, width, batch, form);
    let mut grads = Gradients::zeros(n, width);
    let ones = vec![1.0f32; n];
    let (mut nonzero, start) = (0usize, std::time::Instant::now());
    for _ in 0..steps {
        sampler.sample(&mut rng, batch, &mut x);
        let loss = model
            .loss_and_gradient(Simd::detect(), &x, &ones, &mut buffers, &mut grads, 0.2)
            .expect("step");
        nonzero += loss.nonzero_gradients;
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "m = {width}, {form:?}: {:.3} ms per loss+gradient (wall), G density {:.3}",
        1e3 * seconds / steps as f64,
        nonzero as f64 / (steps * batch * n) as f64
    );
}
