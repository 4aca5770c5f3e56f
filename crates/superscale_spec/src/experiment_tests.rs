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
