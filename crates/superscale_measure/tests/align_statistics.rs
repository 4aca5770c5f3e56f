//! The null, the bootstrap and determinism: the permutation null of mutual k-NN averages
//! the chance level k/(n−1) exactly in expectation; identical results for 1 and 2 threads;
//! a bootstrap interval covers the score of a strongly aligned pair and copies of an item
//! never count as its neighbours.

use superscale_measure::align::{align, AlignOptions, Features, Metric, MetricParams, Preprocess};

fn pseudo_random(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n * d)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        })
        .collect()
}

fn pair(n: usize, noise: f64) -> (Features, Features) {
    let a = pseudo_random(n, 8, 1);
    let e = pseudo_random(n, 8, 2);
    let b: Vec<f64> = a.iter().zip(&e).map(|(x, y)| x + noise * y).collect();
    (
        Features::new("A", a, 8).unwrap(),
        Features::new("B", b, 8).unwrap(),
    )
}

fn options(permutations: usize, bootstrap: usize) -> AlignOptions {
    AlignOptions {
        params: MetricParams {
            k: 5,
            ..MetricParams::default()
        },
        permutations,
        bootstrap,
        seed: 7,
        ..AlignOptions::default()
    }
}

#[test]
fn null_of_mutual_knn_centres_on_chance() {
    let (a, b) = pair(200, 0.3);
    let result = align(a, b, Metric::MutualKnn, &options(400, 0)).unwrap();
    let null = result.null.unwrap();
    let chance = result.chance.unwrap();
    assert_eq!(chance, 5.0 / 199.0);
    // The standard error of a mean of 400 draws is sd/20.
    assert!(
        (null.mean - chance).abs() < 4.0 * null.sd / 20.0,
        "{null:?}"
    );
    assert!(result.score > 0.5 && null.z > 10.0);
    assert_eq!(null.p_value, 1.0 / 401.0);
    let calibrated = (result.score - null.mean) / (1.0 - null.mean);
    assert!((null.calibrated - calibrated).abs() < 1e-15);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let run = |threads: usize, metric: Metric| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let (a, b) = pair(700, 0.5);
            align(a, b, metric, &options(20, 10)).unwrap()
        })
    };
    for metric in [
        Metric::MutualKnn,
        Metric::UnbiasedCka,
        Metric::RbfCka,
        Metric::Cknna,
    ] {
        assert_eq!(run(1, metric), run(2, metric), "{}", metric.name());
    }
}

#[test]
fn bootstrap_interval_brackets_the_score() {
    let (a, b) = pair(300, 0.2);
    for metric in [
        Metric::MutualKnn,
        Metric::CycleKnn,
        Metric::Cka,
        Metric::Svcca,
    ] {
        let mut options = options(0, 60);
        options.params.cca_dim = 4;
        let result = align(a.clone(), b.clone(), metric, &options).unwrap();
        let interval = result.interval.unwrap();
        assert_eq!(interval.replicates, 60);
        assert!(
            interval.low < interval.high && interval.low <= result.score + 0.05,
            "{}: {interval:?} vs {}",
            metric.name(),
            result.score
        );
        // With copies excluded, a bootstrap draw's neighbours are not inflated by
        // duplicates: the interval does not sit above the score.
        assert!(interval.low < result.score, "{}", metric.name());
    }
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let (a, b) = pair(30, 0.1);
    let short = Features::new("B", pseudo_random(20, 8, 3), 8).unwrap();
    assert!(align(a.clone(), short, Metric::Cka, &options(0, 0)).is_err());
    let mut large_k = options(0, 0);
    large_k.params.k = 30;
    assert!(align(a.clone(), b.clone(), Metric::MutualKnn, &large_k).is_err());
    let mut bad_clip = options(0, 0);
    bad_clip.preprocess = Preprocess {
        clip: superscale_measure::align::Clip::Exact(1.5),
        normalize: true,
    };
    assert!(align(a.clone(), b.clone(), Metric::MutualKnn, &bad_clip).is_err());
    assert!(Features::new("A", vec![1.0, f64::NAN], 2).is_err());
    assert!(Features::new("A", vec![1.0, 2.0, 3.0], 2).is_err());
    assert!(Metric::parse("nope").is_err());
}
