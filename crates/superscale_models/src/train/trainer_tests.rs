use super::*;
use crate::{power_law_probabilities, FeatureSampler, Init};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

fn setup(width: usize, seed: u64) -> (ToyModel, FeatureSampler, Xoshiro256PlusPlus) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let n = 60;
    let model = ToyModel::new(n, width, Init::SuperpositionScaling, &mut rng).unwrap();
    let sampler = FeatureSampler::new(power_law_probabilities(n, 1.0, 1.0).unwrap(), 2.0).unwrap();
    (model, sampler, rng)
}

fn config(steps: u64, gamma: f32, peak: f64) -> TrainConfig {
    TrainConfig {
        steps,
        batch_size: 256,
        schedule: Schedule::WarmupCosine {
            peak,
            warmup: steps / 10,
            total: steps,
            min_ratio: 0.05,
        },
        decay: Decay::SignedRows { gamma },
        adam: AdamHyper::default(),
    }
}

const RECORD: Recording = Recording {
    curve_points: 20,
    tail_steps: 50,
};

#[test]
fn curve_steps_are_log_spaced_and_include_both_ends() {
    let steps = curve_steps(20000, 50);
    assert_eq!(steps.first(), Some(&0));
    assert_eq!(steps.last(), Some(&19999));
    assert!(steps.windows(2).all(|w| w[0] < w[1]));
    assert!(steps.len() > 30);
    assert!(curve_steps(0, 10).is_empty());
}

#[test]
fn training_lowers_the_loss_and_is_bit_reproducible() {
    let run = || {
        let (mut model, mut sampler, mut rng) = setup(6, 11);
        let ones = vec![1.0; model.n_features];
        let out = train(
            &mut model,
            &mut sampler,
            &ones,
            &config(600, -0.5, 1e-2),
            &RECORD,
            &mut rng,
            Simd::detect(),
            &mut |_| {},
        )
        .unwrap();
        (model, out)
    };
    let (model_a, out_a) = run();
    let (model_b, out_b) = run();
    assert_eq!(out_a.status, Status::Finished);
    let first = out_a.curve[0].1;
    assert!(
        out_a.tail_mean < 0.5 * first,
        "loss {first} → {}",
        out_a.tail_mean
    );
    assert_eq!(
        model_a
            .weights
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>(),
        model_b
            .weights
            .iter()
            .map(|v| v.to_bits())
            .collect::<Vec<_>>()
    );
    assert_eq!(out_a, out_b);
}

#[test]
fn signed_decay_controls_how_many_features_are_represented() {
    // C1 of docs/science/superposition.md §4 in miniature: γ < 0 represents (almost) every
    // feature, γ > 0 few.
    let represented = |gamma: f32| {
        let (mut model, mut sampler, mut rng) = setup(6, 3);
        let ones = vec![1.0; model.n_features];
        train(
            &mut model,
            &mut sampler,
            &ones,
            &config(1500, gamma, 1e-2),
            &RECORD,
            &mut rng,
            Simd::detect(),
            &mut |_| {},
        )
        .unwrap();
        model
            .weights
            .chunks_exact(6)
            .filter(|row| row.iter().map(|v| v * v).sum::<f32>().sqrt() > 0.5)
            .count()
    };
    let strong = represented(-1.0);
    let weak = represented(1.0);
    assert!(strong >= 57, "γ = −1 represented {strong} of 60");
    assert!(weak <= 20, "γ = +1 represented {weak} of 60");
}

#[test]
fn a_diverging_run_is_stopped_and_recorded() {
    let (mut model, mut sampler, mut rng) = setup(4, 5);
    let ones = vec![1.0; model.n_features];
    let mut cfg = config(200, 0.0, 1e30);
    cfg.schedule = Schedule::Constant { lr: 1e30 };
    let out = train(
        &mut model,
        &mut sampler,
        &ones,
        &cfg,
        &RECORD,
        &mut rng,
        Simd::detect(),
        &mut |_| {},
    )
    .unwrap();
    match out.status {
        Status::Diverged { step } => assert!(step < 200),
        Status::Finished => panic!("a learning rate of 1e30 must diverge"),
    }
}

#[test]
fn held_out_evaluation_agrees_with_the_training_tail_at_the_end() {
    let (mut model, mut sampler, mut rng) = setup(6, 21);
    let ones = vec![1.0; model.n_features];
    let out = train(
        &mut model,
        &mut sampler,
        &ones,
        &config(800, -0.5, 1e-2),
        &RECORD,
        &mut rng,
        Simd::detect(),
        &mut |_| {},
    )
    .unwrap();
    let held_out = evaluate(
        &model,
        &mut sampler,
        &ones,
        256,
        100,
        &mut rng,
        Simd::detect(),
    )
    .unwrap();
    assert!(
        (held_out / out.tail_mean - 1.0).abs() < 0.15,
        "{held_out} vs {}",
        out.tail_mean
    );
}

#[test]
fn checkpoints_are_the_model_after_that_many_steps() {
    let constant = |steps| TrainConfig {
        schedule: Schedule::Constant { lr: 1e-2 },
        ..config(steps, -0.5, 1e-2)
    };
    let trained = |steps: u64, checkpoints: &[u64]| {
        let (mut model, mut sampler, mut rng) = setup(5, 3);
        let ones = vec![1.0; model.n_features];
        let out = train_with_checkpoints(
            &mut model,
            &mut sampler,
            &ones,
            &constant(steps),
            &RECORD,
            checkpoints,
            &mut rng,
            Simd::detect(),
            &mut |_| {},
        )
        .unwrap();
        (model, out)
    };
    let at = checkpoint_steps(40, 4);
    assert_eq!((at[0], *at.last().unwrap()), (0, 40));
    assert_eq!(checkpoint_steps(40, 1), vec![40]);
    let (last, out) = trained(40, &at);
    assert_eq!(
        out.checkpoints.iter().map(|(t, _)| *t).collect::<Vec<_>>(),
        at
    );
    assert_eq!(out.checkpoints.last().unwrap().1, last);
    // With a constant rate, the model after t steps of a 40-step run is the model of a
    // t-step run: same start, same batches.
    for (t, kept) in &out.checkpoints {
        let (shorter, _) = trained(*t, &[]);
        assert_eq!(kept, &shorter, "checkpoint at t = {t}");
    }
}
