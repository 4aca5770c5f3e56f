//! What the grid's agreement tests share: a member trained alone by the single-model
//! trainer on the same seeds, sampler and settings, and the largest difference of two
//! parameter vectors.
#![allow(dead_code)]

use superscale_grid::{GridConfig, Member, Trained};
use superscale_kernels::Simd;
use superscale_models::Sampler;
use superscale_train::{train, Decay, TrainConfig};

/// `member` trained alone by `superscale_train::train` with the grid's settings.
pub fn alone(member: &Member, config: &GridConfig, simd: Simd) -> Trained {
    let mut model = member.model.clone();
    let mut sampler = Sampler::new(
        config.sampling,
        member.probabilities.clone(),
        config.value_max,
    )
    .unwrap();
    let mut rng = member.rng.clone();
    let outcome = train(
        &mut model,
        &mut sampler,
        &member.importance,
        &TrainConfig {
            steps: config.steps,
            batch_size: config.batch_size,
            schedule: config.schedule,
            decay: Decay::Decoupled {
                lambda: member.weight_decay,
            },
            adam: config.adam,
        },
        &config.recording,
        &mut rng,
        simd,
        &mut |_| {},
    )
    .unwrap();
    Trained { model, outcome }
}

/// max_i |a_i − b_i|.
pub fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}
