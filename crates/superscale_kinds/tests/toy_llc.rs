//! λ̂ along training (`[llc]` in a toy-model study, `docs/science/llc.md` §8): the option
//! changes what is measured, never what is trained; the checkpoints are where the spec puts
//! them; the estimates are the same bit for bit on any number of threads and survive the
//! store; bad settings are refused at their field; a chain that blows up is counted as
//! diverged, not stored as a number.

use std::path::Path;
use superscale_kinds::toy::{from_output, to_output};
use superscale_kinds::{run_study, RunResult};
use superscale_models::train::checkpoint_steps;
use superscale_spec::Experiment;

const BASE: &str = r#"name = "toy-llc"
[model]
variant = "superposition_scaling"
n_features = 60
n_hidden = 4
alpha = 1.0
weight_decay = -0.5556
[train]
steps = 300
batch_size = 128
schedule = { kind = "warmup_cosine", peak_lr = 0.02, warmup_steps = 30 }
[record]
curve_points = 10
tail_steps = 20
heldout_batches = 4
"#;

const LLC: &str = r#"[llc]
n = 256
checkpoints = 3
sampler = { step = 3e-4, localization = 100, chains = 3, draws = 40, burn_in = 40 }
"#;

fn study(text: &str, threads: usize) -> Vec<RunResult> {
    let experiment = Experiment::parse(text, Path::new("toy-llc.toml")).unwrap();
    run_study(&experiment.points, threads).unwrap()
}

fn bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn the_option_measures_the_model_that_training_without_it_makes() {
    let plain = study(BASE, 2);
    let measured = study(&format!("{BASE}{LLC}"), 2);
    assert_ne!(plain[0].point.run_id, measured[0].point.run_id);
    assert_eq!(bits(&plain[0].weights), bits(&measured[0].weights));
    assert_eq!(
        plain[0].loss_heldout.to_bits(),
        measured[0].loss_heldout.to_bits()
    );
    assert!(plain[0].llc.is_empty());
    let steps: Vec<u64> = measured[0].llc.iter().map(|p| p.step).collect();
    assert_eq!(steps, checkpoint_steps(300, 3));
    assert_eq!((steps[0], steps[2]), (0, 300));
    for p in &measured[0].llc {
        assert!(p.lambda.is_finite(), "{p:?}");
        assert!(p.interval.0 < p.lambda && p.lambda < p.interval.1);
        assert_eq!((p.chains, p.diverged_chains), (3, 0));
        assert!((1..=256).contains(&p.regions));
        assert!((p.nbeta - 256.0 / 256f64.ln()).abs() < 1e-12);
    }
    // The initialisation is no minimum: the chains run downhill, λ̂ comes out negative and
    // the health checks say so. The trained model is a (local) minimum of its loss.
    let (start, end) = (&measured[0].llc[0], &measured[0].llc[2]);
    assert!(start.lambda < 0.0 && start.healthy_chains == 0, "{start:?}");
    assert!(end.lambda > 0.0, "{end:?}");
}

#[test]
fn estimates_are_bit_identical_on_any_thread_count_and_survive_the_store() {
    let text = format!("{BASE}{LLC}");
    let one = study(&text, 1);
    let two = study(&text, 2);
    assert_eq!(one[0].llc, two[0].llc);
    let lambdas: Vec<u64> = one[0].llc.iter().map(|p| p.lambda.to_bits()).collect();
    let again: Vec<u64> = two[0].llc.iter().map(|p| p.lambda.to_bits()).collect();
    assert_eq!(lambdas, again);
    let back = from_output(one[0].point.clone(), &to_output(&one[0])).unwrap();
    assert_eq!(back.llc, one[0].llc);
}

#[test]
fn a_step_too_large_is_recorded_as_diverged_chains() {
    let text = format!("{BASE}{}", LLC.replace("step = 3e-4", "step = 10.0"));
    let results = study(&text, 2);
    let last = results[0].llc.last().unwrap();
    assert_eq!(last.diverged_chains, 3);
    assert_eq!(last.healthy_chains, 0);
    assert!(last.lambda.is_nan(), "no number is made of diverged chains");
}

#[test]
fn bad_settings_are_refused_at_their_field() {
    for (spoil, field) in [
        (LLC.replace("step = 3e-4", "step = 0.0"), "llc.sampler.step"),
        (LLC.replace("n = 256\n", ""), "llc.n"),
        (
            LLC.replace("checkpoints = 3", "checkpoints = 302"),
            "llc.checkpoints",
        ),
        (LLC.replace("draws = 40", "draws = 2"), "llc.sampler.draws"),
    ] {
        let text = format!("{BASE}{spoil}");
        let err = Experiment::parse(&text, Path::new("toy-llc.toml"))
            .err()
            .unwrap_or_else(|| panic!("{field} accepted"))
            .to_string();
        assert!(err.contains(field), "{field}: {err}");
        assert!(err.contains("toy-llc.toml:"), "{err}");
    }
}
