//! The LLC estimator against an exactly solvable case, its determinism over thread counts,
//! its bad inputs and a diverging chain (`docs/science/llc.md` §3–§4).

use superscale_measure::llc::models::{
    quadratic_expected_lambda, DeepLinear, Quadratic, Regression,
};
use superscale_measure::llc::{estimate, Estimate, Options, Potential, Preconditioner};

fn options(step: f64) -> Options {
    Options {
        n: 1000,
        nbeta: Some(1000.0),
        step,
        localization: 1.0,
        chains: 20,
        draws: 5000,
        burn_in: 2000,
        thin: 1,
        batch: None,
        preconditioner: Preconditioner::None,
        seed: 42,
    }
}

fn run(potential: &dyn Potential, optimum: &[f64], options: &Options, threads: usize) -> Estimate {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a pool")
        .install(|| estimate(potential, optimum, options, &|_| {}))
        .expect("valid options")
}

/// Check B1 of `docs/science/llc.md` §4: d = 10, H = I, nβ = 1000, γ = 1, ε = 1e-4 has
/// E[λ̂] = 5.1232 exactly at this step (and 5 = d/2 as ε, γ → 0); 20 chains × 5000 draws
/// after 2000 burn-in steps must land within 0.08 (about 3 standard errors).
#[test]
fn quadratic_lambda_matches_the_exact_stationary_value() {
    let model = Quadratic {
        curvatures: vec![1.0; 10],
    };
    let options = options(1e-4);
    let expected = quadratic_expected_lambda(&model.curvatures, 1000.0, 1.0, 1e-4);
    assert!((expected - 5.1232).abs() < 1e-4);
    let result = run(&model, &[0.0; 10], &options, 2);
    assert!(
        (result.lambda - expected).abs() < 0.08,
        "λ̂ = {} vs {expected}",
        result.lambda
    );
    assert!(result.interval.0 < result.lambda && result.lambda < result.interval.1);
    assert!(result.healthy(), "{:?}", result.chains[0].health);
    assert_eq!(result.loss_at_optimum, 0.0);
    for chain in &result.chains {
        assert_eq!(chain.trace.len(), 5000);
        assert!(chain.drift_norm > 0.0 && chain.noise_norm > 0.0);
        // The noise of one step is √ε·‖ξ‖ ≈ √(ε·d).
        assert!((chain.noise_norm / (1e-4f64 * 10.0).sqrt() - 1.0).abs() < 0.05);
    }
}

/// A parameter with no effect (zero curvature) adds nothing to λ̂ at any step.
#[test]
fn a_parameter_without_effect_adds_nothing() {
    let mut options = options(1e-4);
    options.chains = 4;
    let with = run(
        &Quadratic {
            curvatures: vec![1.0, 1.0, 0.0],
        },
        &[0.0; 3],
        &options,
        1,
    );
    let without = run(
        &Quadratic {
            curvatures: vec![1.0, 1.0],
        },
        &[0.0; 2],
        &options,
        1,
    );
    let expected = quadratic_expected_lambda(&[1.0, 1.0], 1000.0, 1.0, 1e-4);
    for result in [&with, &without] {
        assert!((result.lambda - expected).abs() < 0.05, "{}", result.lambda);
    }
}

#[test]
fn chains_are_bit_identical_for_any_thread_count() {
    let data = Regression::synthetic(300, 3, 3, 2, &[0.0; 6], 1.0, 1.0, 5);
    let model = DeepLinear::new(data, vec![3, 2, 2]);
    let mut options = options(2e-4);
    options.chains = 5;
    options.draws = 200;
    options.burn_in = 100;
    options.batch = Some(64);
    options.preconditioner = Preconditioner::RmsProp {
        alpha: 0.99,
        eps: 0.1,
    };
    let optimum = vec![0.0; model.dimension()];
    let one = run(&model, &optimum, &options, 1);
    let three = run(&model, &optimum, &options, 3);
    assert_eq!(format!("{one:?}"), format!("{three:?}"));
    // Chains are independent streams: their traces differ.
    assert_ne!(one.chains[0].trace, one.chains[1].trace);
    // And the seed matters.
    options.seed += 1;
    assert_ne!(run(&model, &optimum, &options, 2).lambda, one.lambda);
}

/// εa ≥ 4 makes every step amplify w: each chain is recorded as diverged at the step its
/// loss or parameters stopped being finite, and nothing panics.
#[test]
fn a_diverging_chain_is_recorded_with_its_step() {
    let mut options = options(0.01);
    options.chains = 3;
    options.draws = 2000;
    options.burn_in = 0;
    let result = run(
        &Quadratic {
            curvatures: vec![1.0; 4],
        },
        &[0.0; 4],
        &options,
        2,
    );
    assert!(result.lambda.is_nan() && !result.healthy());
    let first = result.diverged_at().expect("diverged");
    assert!(first > 1 && first < 2000, "{first}");
    for chain in &result.chains {
        assert!(chain.diverged_at.is_some() && !chain.health.finite);
        assert!(chain.lambda.is_nan());
        assert!(chain.trace.iter().all(|v| v.is_finite()));
    }
}

#[test]
fn bad_options_name_their_field() {
    let model = Quadratic {
        curvatures: vec![1.0],
    };
    type Edit = fn(&mut Options);
    let cases: [(&str, Edit); 6] = [
        ("step", |o| o.step = 0.0),
        ("step", |o| o.step = -1e-3),
        ("n", |o| o.n = 1),
        ("localization", |o| o.localization = f64::NAN),
        ("draws", |o| o.draws = 2),
        ("batch", |o| o.batch = Some(2)),
    ];
    for (field, edit) in cases {
        let mut options = options(1e-4);
        edit(&mut options);
        let error = estimate(&model, &[0.0], &options, &|_| {}).expect_err(field);
        assert_eq!(error.field, field);
    }
    let error = estimate(&model, &[0.0, 1.0], &options(1e-4), &|_| {}).expect_err("dimension");
    assert_eq!(error.field, "optimum");
}

#[test]
fn default_nbeta_is_n_over_log_n() {
    let mut options = options(1e-4);
    options.nbeta = None;
    assert!((options.nbeta() - 144.76482730108395).abs() < 1e-9);
}
