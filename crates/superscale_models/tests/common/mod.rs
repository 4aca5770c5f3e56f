//! What the grid's agreement tests share: a member trained alone by the single-model
//! trainer on the same seeds, sampler and settings, and the largest difference of two
//! parameter vectors.
#![allow(dead_code)]

use superscale_kernels::Simd;
use superscale_models::grid::{train_grid, GridConfig, Member, Trained};
use superscale_models::train::{train, Decay, TrainConfig};
use superscale_models::Sampler;

/// `member` trained alone by `superscale_models::train::train` with the grid's settings.
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

/// The grid on 1 and 2 threads gives identical bits for every member, and member `alone`
/// trained in a block of its own gives the same bits as in the grid.
pub fn assert_thread_and_block_independent(grid: &[Member], config: &GridConfig, alone: usize) {
    let run = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| train_grid(grid.to_vec(), config, Simd::detect(), &|_, _| {}).unwrap())
    };
    let (one, two) = (run(1), run(2));
    assert_eq!(one.len(), grid.len());
    for (a, b) in one.iter().zip(&two) {
        assert_eq!(a, b, "every parameter and record identical");
    }
    let single = train_grid(
        vec![grid[alone].clone()],
        config,
        Simd::detect(),
        &|_, _| {},
    )
    .unwrap();
    assert_eq!(single[0], one[alone], "member {alone} alone in its block");
}
