//! The LLC kind (`kind = "llc"`): a reduced calibration study run in memory lands within
//! 10 % of every closed form it covers (seconds), identically for 1 and 2 threads and
//! through the store's round trip; bad files name their file, line and field; a chain that
//! diverges is recorded as diverged with its step.

use std::path::Path;
use superscale_engine::{run_in_memory, Kind};
use superscale_kinds::llc::{from_output, run_estimate, Llc, LlcSpec};
use superscale_spec::Experiment;

/// The shipped calibration's cases with fewer chains and draws. The normal crossings at
/// (1, 1) and (2, 3) are left to the full file: their λ̂ converges to the closed form only
/// logarithmically in nβ/γ (`docs/science/llc.md` §6).
const REDUCED: &str = r#"name = "llc-reduced"
kind = "llc"
seed = 7
[data]
n = 1000
[sampler]
step = 1e-4
localization = 1.0
chains = 8
draws = 6000
burn_in = 3000
[sweep]
model = [
    { family = "linear", shape = [4, 1] },
    { family = "normal_crossing", shape = [0, 1] },
    { family = "normal_crossing", shape = [1, 2], sampler = { step = 3e-5, localization = 0.01, draws = 100000, thin = 10, burn_in = 50000 } },
    { family = "reduced_rank", shape = [5, 3, 5] },
    { family = "reduced_rank", shape = [4, 3, 8] },
    { family = "reduced_rank", shape = [3, 8, 4] },
    { family = "deep_linear", shape = [3, 3, 3, 3], sampler = { step = 3e-4, draws = 20000, burn_in = 10000 } },
    { family = "deep_linear", shape = [4, 3, 2, 4], sampler = { step = 3e-4, draws = 20000, burn_in = 10000 } },
    { family = "deep_linear", shape = [4, 3, 2, 4], rank = 1, sampler = { step = 1e-4, draws = 20000, burn_in = 10000 } },
]
"#;

fn parse(text: &str) -> Result<Experiment<LlcSpec>, superscale_spec::Error> {
    Experiment::from_text(text, Path::new("llc.toml"))
}

#[test]
fn a_reduced_calibration_is_within_ten_percent_for_any_thread_count() {
    let experiment = parse(REDUCED).expect("valid");
    let kind = Llc::prepare(&experiment).expect("prepared");
    let one = run_in_memory(&kind, &experiment, 1).expect("ran");
    let two = run_in_memory(&kind, &experiment, 2).expect("ran");
    for (a, b) in one.runs.iter().zip(&two.runs) {
        let (mut a, mut b) = (a.output.clone(), b.output.clone());
        a.seconds = 0.0;
        b.seconds = 0.0;
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }
    let analysis = kind.analyse(&experiment, &one).expect("analysed");
    assert_eq!(analysis.rows.len(), 9);
    for row in &analysis.rows {
        let r = &row.result;
        assert!(
            r.relative_error.abs() <= 0.10,
            "{:?} {:?}: λ̂ {} vs λ {}",
            row.run.model.family,
            row.run.model.shape,
            r.lambda_hat,
            r.lambda_closed_form
        );
        assert!(!row.diverged && r.diverged_chains == 0);
        assert!(r.interval.0 < r.lambda_hat && r.lambda_hat < r.interval.1);
        assert!(r.r_hat < 1.1, "{}", r.r_hat);
        assert_eq!(r.chains.len(), 8);
    }
    // The normal crossing's exact E[λ̂] at this nβ and γ is what an exact sampler reaches.
    let crossing = &analysis.rows[2].result;
    let sampler_error = (crossing.lambda_hat - crossing.lambda_exact).abs();
    assert!(sampler_error < 3.0 * crossing.chain_sd, "{crossing:?}");
    let tables = kind.tables(&experiment, &one, &analysis).expect("tables");
    assert_eq!(tables[0].0, "calibration.csv");
    assert_eq!(tables[0].1.lines().count(), 10);
    assert_eq!(tables[1].1.lines().count(), 1 + 9 * 8);
    assert_eq!(kind.headlines(&analysis).len(), 9);
    assert!(kind.sections(&experiment, &one, &analysis).is_ok());
}

#[test]
fn mistakes_name_file_line_and_field() {
    let cases = [
        ("n = 1000", "", "data.n", "missing field"),
        (
            "step = 1e-4",
            "step = 0.0",
            "sampler.step",
            "must be finite and > 0",
        ),
        (
            "step = 1e-4",
            "step = -1e-3",
            "sampler.step",
            "must be finite and > 0",
        ),
        (
            "sampler = { step = 3e-5,",
            "sampler = { step = 0.0,",
            "model.sampler.step",
            "> 0",
        ),
        (
            "shape = [4, 1]",
            "shape = [4]",
            "model.shape",
            "[live inputs, dead inputs]",
        ),
        (
            "rank = 1,",
            "rank = 3,",
            "model.rank",
            "at most the narrowest width, 2 of [4, 3, 2, 4]",
        ),
        (
            "shape = [4, 1] }",
            "shape = [4, 1], rank = 1 }",
            "model.rank",
            "only a deep_linear model has a true rank",
        ),
        (
            "chains = 8",
            "chains = 0",
            "sampler.chains",
            "at least one chain",
        ),
    ];
    for (from, to, field, message) in cases {
        let text = REDUCED.replacen(from, to, 1);
        assert_ne!(text, REDUCED);
        let error = parse(&text).expect_err(field);
        let shown = error.to_string();
        assert!(shown.contains("llc.toml:"), "{shown}");
        assert!(shown.contains(field) && shown.contains(message), "{shown}");
        match error {
            superscale_spec::Error::Invalid { line, .. } => assert!(line > 1, "{shown}"),
            other => panic!("{other:?}"),
        }
    }
}

/// A step far too large for the curvature: every chain's loss overflows. The run is
/// recorded as diverged at the first chain's step, with the rest of its record intact.
#[test]
fn a_diverging_estimate_is_recorded_with_its_step() {
    let text = REDUCED.replacen("step = 1e-4", "step = 0.5", 1);
    let experiment = parse(&text).expect("valid");
    let point = &experiment.points[3];
    let output = run_estimate(point, &|_| {}).expect("recorded");
    let superscale_store::End::Diverged { step } = output.end else {
        panic!("{:?}", output.end)
    };
    let result = from_output(&output).expect("round trip");
    assert_eq!(result.diverged_at, Some(step));
    assert_eq!(result.diverged_chains, 8);
    assert!(result.lambda_hat.is_nan() && !result.healthy);
    assert!(step > 0 && step < 1000, "{step}");
}
