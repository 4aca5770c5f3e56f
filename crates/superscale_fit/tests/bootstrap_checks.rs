//! Checks of the bootstrap on synthetic data from a known power law with offset: the 95%
//! percentile interval must contain the truth in at least 90% of seeded trials; grouped
//! resampling must see through repeated points; results must not depend on thread count.

use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use std::time::Instant;
use superscale_fit::{bootstrap_law, fit_law, BootstrapOptions, Form, LawOptions, Points};

const TRUTH: [f64; 3] = [20.0, 0.5, 1.5]; // A, alpha, E
const NOISE: f64 = 0.02; // multiplicative log-normal noise

/// Fraction of `trials` whose 95% interval covers each of A, α, E.
fn coverage(trials: u64, resamples: usize, n_points: usize) -> [f64; 3] {
    let x: Vec<f64> = (0..n_points)
        .map(|i| 100.0 * 1000f64.powf(i as f64 / (n_points - 1) as f64))
        .collect();
    let noise = Normal::new(0.0, NOISE).unwrap();
    let mut covered = [0usize; 3];
    for trial in 0..trials {
        let mut rng = rand::rngs::StdRng::seed_from_u64(trial);
        let y: Vec<f64> = x
            .iter()
            .map(|&v| Form::OffsetPower.predict(&TRUTH, v, 0.0) * noise.sample(&mut rng).exp())
            .collect();
        let points = Points::new(x.clone(), y);
        let options = LawOptions::default();
        let fit = fit_law(Form::OffsetPower, &points, &options).unwrap();
        let bootstrap = BootstrapOptions {
            resamples,
            seed: 1000 + trial,
            level: 0.95,
        };
        let result = bootstrap_law(&fit, &points, None, &options, &bootstrap).unwrap();
        for (k, q) in result.quantities.iter().enumerate() {
            if q.lower <= TRUTH[k] && TRUTH[k] <= q.upper {
                covered[k] += 1;
            }
        }
    }
    covered.map(|c| c as f64 / trials as f64)
}

/// 200 trials × 200 resamples of 30 points.
#[test]
fn bootstrap_interval_covers_truth_in_200_trials() {
    let started = Instant::now();
    let rates = coverage(200, 200, 30);
    eprintln!(
        "coverage (A, alpha, E) over 200 trials: {rates:?} in {:.1?}",
        started.elapsed()
    );
    assert!(rates.iter().all(|&r| r >= 0.90), "{rates:?}");
}

/// A quick variant: 40 trials. If the true coverage were 95%, fewer than 33 hits has
/// probability < 3%; a broken interval (say 70% coverage) fails it almost surely.
#[test]
fn bootstrap_interval_covers_truth_in_40_trials() {
    let rates = coverage(40, 200, 30);
    assert!(rates.iter().all(|&r| r >= 33.0 / 40.0), "{rates:?}");
}

/// Perfectly correlated repeats (each point four times, one group per original point):
/// the grouped bootstrap must give the SE of the original data, the naive one about half.
#[test]
fn grouped_bootstrap_is_not_fooled_by_repeated_points() {
    let n_points = 20;
    let x: Vec<f64> = (0..n_points).map(|i| 100.0 * 1.5f64.powi(i)).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let noise = Normal::new(0.0, NOISE).unwrap();
    let y: Vec<f64> = x
        .iter()
        .map(|&v| Form::OffsetPower.predict(&TRUTH, v, 0.0) * noise.sample(&mut rng).exp())
        .collect();
    let original = Points::new(x.clone(), y.clone());
    let repeat = |v: &[f64]| v.iter().flat_map(|&a| [a; 4]).collect::<Vec<f64>>();
    let repeated = Points::new(repeat(&x), repeat(&y));
    let groups: Vec<usize> = (0..n_points as usize).flat_map(|g| [g; 4]).collect();
    let options = LawOptions::default();
    let bootstrap = BootstrapOptions {
        resamples: 300,
        seed: 9,
        level: 0.95,
    };
    let se = |points: &Points, groups: Option<&[usize]>| {
        let fit = fit_law(Form::OffsetPower, points, &options).unwrap();
        let result = bootstrap_law(&fit, points, groups, &options, &bootstrap).unwrap();
        result.quantity("alpha").unwrap().standard_error
    };
    let (plain, grouped, naive) = (
        se(&original, None),
        se(&repeated, Some(&groups)),
        se(&repeated, None),
    );
    eprintln!("alpha SE: original {plain}, grouped {grouped}, naive on repeats {naive}");
    assert!((grouped / plain - 1.0).abs() < 1e-3, "{grouped} vs {plain}");
    assert!(naive < 0.7 * plain, "{naive} vs {plain}");
}

/// The same bootstrap on one and on three threads gives bit-identical results.
#[test]
fn law_bootstrap_does_not_depend_on_thread_count() {
    let x: Vec<f64> = (0..15).map(|i| 10.0 * 1.6f64.powi(i)).collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| Form::OffsetPower.predict(&TRUTH, v, 0.0) * (1.0 + 0.02 * (i as f64).cos()))
        .collect();
    let points = Points::new(x, y);
    let groups: Vec<usize> = (0..15).map(|i| i / 3).collect();
    let options = LawOptions::default();
    let fit = fit_law(Form::OffsetPower, &points, &options).unwrap();
    let bootstrap = BootstrapOptions {
        resamples: 64,
        seed: 3,
        level: 0.9,
    };
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| bootstrap_law(&fit, &points, Some(&groups), &options, &bootstrap).unwrap())
    };
    assert_eq!(run(1), run(3));
}
