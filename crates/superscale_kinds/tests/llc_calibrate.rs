//! The automatic choice of ε (`superscale llc-calibrate`, `docs/science/llc.md` §6.1) on a
//! reduced closed-form case: on the deep linear network (3, 3, 3, 3) the largest step whose
//! chains are all healthy is off the plateau and 13 % high; the recommended step lands
//! within 10 % of λ = 3, and reproduces the study's own run at that step.

use std::path::Path;
use superscale_kinds::llc::calibrate::{calibrate, table};
use superscale_kinds::llc::{from_output, run_estimate, LlcSpec};
use superscale_measure::llc::calibrate::StepReason;
use superscale_spec::Experiment;

const REDUCED: &str = r#"name = "llc-calibrate-reduced"
kind = "llc"
seed = 7
[data]
n = 1000
[sampler]
step = 3e-4
localization = 1.0
chains = 8
draws = 50000
burn_in = 10000
[model]
family = "deep_linear"
shape = [3, 3, 3, 3]
"#;

#[test]
fn the_recommended_step_is_on_the_plateau_and_within_ten_percent() {
    let experiment: Experiment<LlcSpec> =
        Experiment::from_text(REDUCED, Path::new("llc.toml")).expect("valid");
    let point = &experiment.points[0];
    let steps = [3e-5, 1e-4, 3e-4, 1e-3, 3e-3];
    let calibration = calibrate(point, &steps, &[1.0], 0.1, &|_, _| {}).expect("swept");
    assert_eq!(calibration.settings.len(), 5);
    let chosen = calibration.chosen().expect("a recommendation");
    let error = chosen.lambda / calibration.closed_form - 1.0;
    assert!(error.abs() <= 0.10, "{}", table(&calibration));
    assert_eq!(chosen.step, 3e-4, "{}", table(&calibration));
    assert!(matches!(
        calibration.recommendation.steps[0].reason,
        StepReason::Plateau { .. }
    ));
    // The largest step whose chains are all sound is larger and off by more than 10 %:
    // "largest healthy ε" alone would have picked it.
    let largest_sound = calibration
        .settings
        .iter()
        .filter(|s| s.sound())
        .max_by(|a, b| a.step.total_cmp(&b.step))
        .expect("sound settings");
    assert!(largest_sound.step > chosen.step);
    assert!(largest_sound.lambda / calibration.closed_form - 1.0 > 0.10);
    // Same data, w* and seeds as the study's run at the file's step: the same λ̂, bit for bit.
    let run = from_output(&run_estimate(point, &|_| {}).expect("ran")).expect("read back");
    assert_eq!(run.lambda_hat.to_bits(), chosen.lambda.to_bits());
    let shown = table(&calibration);
    assert!(shown.contains("← recommended") && shown.contains("recommended: ε = 3e-4"));
}

#[test]
fn bad_sweeps_name_the_list() {
    let experiment: Experiment<LlcSpec> =
        Experiment::from_text(REDUCED, Path::new("llc.toml")).expect("valid");
    let point = &experiment.points[0];
    for (steps, gammas, tolerance, field) in [
        (vec![], vec![1.0], 0.1, "steps"),
        (vec![1e-4, -1e-4], vec![1.0], 0.1, "steps"),
        (vec![1e-4], vec![f64::NAN], 0.1, "localizations"),
        (vec![1e-4], vec![1.0], 0.0, "tolerance"),
    ] {
        let error = calibrate(point, &steps, &gammas, tolerance, &|_, _| {}).expect_err(field);
        assert_eq!(error.field, field);
    }
}
