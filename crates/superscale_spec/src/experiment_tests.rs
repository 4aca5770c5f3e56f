use super::*;

const BASE: &str = r#"name = "demo"
replicates = 2

[model]
variant = "superposition_scaling"
n_features = 100
n_hidden = 10
alpha = 1.0
weight_decay = -0.5556

[train]
steps = 100
batch_size = 64
schedule = { kind = "warmup_cosine", peak_lr = 0.01, warmup_steps = 10 }

[sweep]
"model.n_hidden" = [5, 10, 20]
"model.weight_decay" = [-0.5556, 0.3333]
"#;

fn parse(text: &str) -> Result<Experiment> {
    Experiment::parse(text, Path::new("demo.toml"))
}

fn error_of(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

#[test]
fn sweep_expands_to_the_cross_product_with_stable_ids_and_seeds() {
    let experiment = parse(BASE).unwrap();
    assert_eq!(experiment.points.len(), 3 * 2 * 2);
    let again = parse(BASE).unwrap();
    assert_eq!(experiment.points, again.points);
    let mut ids: Vec<&str> = experiment
        .points
        .iter()
        .map(|p| p.run_id.as_str())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 6, "replicates share an id, points do not");
    let mut seeds: Vec<u64> = experiment.points.iter().map(|p| p.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    assert_eq!(seeds.len(), 12);
    assert_eq!(
        experiment.points[0].axes,
        vec![
            ("model.n_hidden".into(), "5".into()),
            ("model.weight_decay".into(), "-0.5556".into())
        ]
    );
    // Defaults are filled in the canonical form, so writing them out changes nothing.
    let explicit = BASE.replace(
        "warmup_steps = 10 }",
        "warmup_steps = 10, min_lr_ratio = 0.05 }",
    );
    assert_eq!(
        parse(&explicit).unwrap().points[0].run_id,
        experiment.points[0].run_id
    );
}

#[test]
fn an_impossible_width_names_the_sweep_line() {
    let text = BASE.replace("[5, 10, 20]", "[5, 100]");
    let message = error_of(&text);
    assert!(
        message.starts_with("demo.toml:17: field `model.n_hidden`"),
        "{message}"
    );
}

#[test]
fn unknown_fields_are_rejected_with_their_line() {
    let message = error_of(&BASE.replace("alpha = 1.0", "alpha = 1.0\nalhpa = 2.0"));
    assert!(
        message.contains("demo.toml:9") && message.contains("alhpa"),
        "{message}"
    );
    let message = error_of(&format!("{BASE}\nfoo = 1\n"));
    assert!(
        message.contains("field `sweep.foo`") || message.contains("foo"),
        "{message}"
    );
    let message = error_of(&BASE.replace("name = \"demo\"", "name = \"demo\"\nsteps = 3"));
    assert!(
        message.starts_with("demo.toml:2: field `steps`"),
        "{message}"
    );
}

#[test]
fn negative_batch_and_negative_alpha_are_located() {
    let message = error_of(&BASE.replace("batch_size = 64", "batch_size = -64"));
    assert!(
        message.starts_with("demo.toml:13: field `train.batch_size`"),
        "{message}"
    );
    let message = error_of(&BASE.replace("alpha = 1.0", "alpha = -0.5"));
    assert!(
        message.starts_with("demo.toml:8: field `model.alpha`"),
        "{message}"
    );
}

#[test]
fn malformed_toml_and_bad_sweeps_are_reported() {
    assert!(error_of("name = \"x\"\n[model\n").starts_with("demo.toml:2:"));
    let message = error_of(&BASE.replace(
        "\"model.n_hidden\" = [5, 10, 20]",
        "\"model.n_hidden\" = []",
    ));
    assert!(message.contains("non-empty"), "{message}");
    let message = error_of(&BASE.replace("\"model.n_hidden\"", "\"modle.n_hidden\""));
    assert!(message.contains("dotted path"), "{message}");
    let message = error_of(&BASE.replace("warmup_steps = 10", "warmup_steps = 100"));
    assert!(message.contains("train.schedule.warmup_steps"), "{message}");
}

#[test]
fn anthropic_variant_parses_with_defaults() {
    let text = r#"name = "tms"
[model]
variant = "anthropic"
n_features = 20
n_hidden = 5
feature_probability = 0.1
importance_decay = 0.7
[train]
steps = 10
batch_size = 8
schedule = { kind = "constant", lr = 0.001 }
"#;
    let experiment = parse(text).unwrap();
    match &experiment.points[0].spec.model {
        crate::ModelSpec::Anthropic(spec) => assert_eq!(spec.weight_decay, 0.01),
        other => panic!("{other:?}"),
    }
    let message = error_of(&text.replace("feature_probability = 0.1", "feature_probability = 1.5"));
    assert!(
        message.starts_with("demo.toml:6: field `model.feature_probability`"),
        "{message}"
    );
}

#[test]
fn repeated_sweep_values_are_refused_at_their_axis() {
    let message = error_of(&BASE.replace("[5, 10, 20]", "[5, 6, 6, 7]"));
    assert!(
        message.starts_with("demo.toml:17: field `sweep.model.n_hidden`")
            && message.contains("values 6 and 6"),
        "{message}"
    );
    // an integer and a float of the same number give the same run spec
    let message = error_of(&BASE.replace("[-0.5556, 0.3333]", "[1, 1.0]"));
    assert!(
        message.starts_with("demo.toml:18: field `sweep.model.weight_decay`")
            && message.contains("values 1 and 1.0"),
        "{message}"
    );
}

#[test]
fn a_sweep_past_the_run_limit_is_refused_before_it_is_expanded() {
    // 10⁴ × 10⁴ values × 2 replicates = 2·10⁸ runs: counted, never expanded (expanding would
    // take gigabytes; this test finishes at once if the count comes first)
    let many: Vec<String> = (1..=10_000).map(|w| w.to_string()).collect();
    let decays: Vec<String> = (1..=10_000).map(|d| format!("{}.5", d)).collect();
    let text = BASE
        .replace("[5, 10, 20]", &format!("[{}]", many.join(", ")))
        .replace("[-0.5556, 0.3333]", &format!("[{}]", decays.join(", ")));
    let message = error_of(&text);
    assert!(
        message.starts_with("demo.toml:16: field `sweep`")
            && message.contains("10000 × 10000 points × 2 replicates")
            && message.contains(&MAX_RUNS.to_string()),
        "{message}"
    );
}

#[test]
fn a_name_too_long_for_a_directory_is_refused() {
    let long = "x".repeat(MAX_NAME_LENGTH + 1);
    let message = error_of(&BASE.replace("name = \"demo\"", &format!("name = \"{long}\"")));
    assert!(
        message.starts_with("demo.toml:1: field `name`: 101 characters"),
        "{message}"
    );
    let fits = "x".repeat(MAX_NAME_LENGTH);
    assert!(parse(&BASE.replace("name = \"demo\"", &format!("name = \"{fits}\""))).is_ok());
}

#[test]
fn an_empty_heldout_evaluation_is_refused() {
    let text = format!("{BASE}\n[record]\nheldout_batches = 0\n");
    let message = error_of(&text);
    assert!(
        message.contains("field `record.heldout_batches`: 0"),
        "{message}"
    );
}

#[test]
fn a_run_larger_than_memory_is_refused_before_validation_loops_over_features() {
    // n = 10¹²: the harmonic sum over features would take hours; the estimate refuses first
    let text = BASE.replace("n_features = 100", "n_features = 1000000000000");
    let message = error_of(&text);
    assert!(
        message.contains("field `model.n_features`: a run needs about"),
        "{message}"
    );
    let text = BASE.replace("batch_size = 64", "batch_size = 100000000000");
    let message = error_of(&text);
    assert!(
        message.contains("field `train.batch_size`: a run needs about"),
        "{message}"
    );
}
