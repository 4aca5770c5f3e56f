//! The acceptance checks A1–A5 of `docs/science/alignment.md` §5, with the table's tolerances.
//! Random draws are seeded (Xoshiro256++), so these tests are deterministic; where the
//! table quotes a single draw of the reference (A3), we average 40 seeds, since one draw's
//! spread is of the size of the tolerance.

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_measure::align::{score, Features, Metric, MetricParams, Preprocess};

fn gaussian(rng: &mut Xoshiro256PlusPlus, n: usize, d: usize) -> Vec<f64> {
    (0..n * d)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .collect()
}

fn normalised(data: Vec<f64>, d: usize) -> Features {
    let only_normalise = Preprocess {
        normalize: true,
        ..Preprocess::none()
    };
    Features::new("A", data, d)
        .unwrap()
        .preprocessed(&only_normalise)
        .unwrap()
}

/// x·Q for a d × d orthogonal Q made by Gram–Schmidt on Gaussian columns.
fn rotate(x: &Features, rng: &mut Xoshiro256PlusPlus) -> Features {
    let d = x.cols();
    let mut q: Vec<Vec<f64>> = Vec::new();
    while q.len() < d {
        let mut v: Vec<f64> = gaussian(rng, 1, d);
        for u in &q {
            let dot: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        q.push(v.into_iter().map(|a| a / norm).collect());
    }
    let data = (0..x.rows())
        .flat_map(|i| {
            let row = x.row(i);
            let q = &q;
            (0..d).map(move |j| row.iter().zip(q).map(|(r, col)| r * col[j]).sum::<f64>())
        })
        .collect();
    Features::new("B", data, d).unwrap()
}

fn metric(a: &Features, b: &Features, metric: Metric, k: usize) -> f64 {
    let params = MetricParams {
        k,
        ..MetricParams::default()
    };
    score(a, b, metric, &params).unwrap()
}

#[test]
fn a1_rotations_and_scalings_are_perfectly_aligned() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let x = normalised(gaussian(&mut rng, 256, 64), 64);
    let rotated = rotate(&x, &mut rng);
    let scaled = Features::new("B", x.data().iter().map(|v| 3.5 * v).collect(), 64).unwrap();
    for y in [&x, &rotated, &scaled] {
        assert_eq!(metric(&x, y, Metric::MutualKnn, 10), 1.0);
        for m in [Metric::Cka, Metric::UnbiasedCka] {
            let value = metric(&x, y, m, 10);
            assert!((value - 1.0).abs() < 1e-6, "{}: {value}", m.name());
        }
        let cknna = metric(&x, y, Metric::Cknna, 10);
        assert!(cknna >= 0.9995, "cknna {cknna}");
    }
}

#[test]
fn a2_independent_gaussians_sit_at_chance() {
    let (n, d, k, trials) = (1024, 256, 10, 20);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let (mut knn, mut unbiased, mut biased) = (0.0, 0.0, 0.0);
    for _ in 0..trials {
        let a = normalised(gaussian(&mut rng, n, d), d);
        let b = normalised(gaussian(&mut rng, n, d), d);
        knn += metric(&a, &b, Metric::MutualKnn, k) / trials as f64;
        unbiased += metric(&a, &b, Metric::UnbiasedCka, k) / trials as f64;
        biased += metric(&a, &b, Metric::Cka, k) / trials as f64;
    }
    let chance = k as f64 / (n - 1) as f64;
    assert!(
        (knn - chance).abs() <= 0.0007,
        "mutual k-NN {knn} vs {chance}"
    );
    assert!(unbiased.abs() <= 0.003, "unbiased CKA {unbiased}");
    assert!((biased - 0.200).abs() <= 0.01, "biased CKA {biased}");
}

#[test]
fn a3_few_wide_samples_show_the_bias_of_biased_cka() {
    let (n, d, k, seeds) = (64, 8192, 10, 40);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let mut sums = [0.0; 4];
    let metrics = [
        Metric::Cka,
        Metric::UnbiasedCka,
        Metric::MutualKnn,
        Metric::CycleKnn,
    ];
    for _ in 0..seeds {
        let a = normalised(gaussian(&mut rng, n, d), d);
        let b = normalised(gaussian(&mut rng, n, d), d);
        for (sum, m) in sums.iter_mut().zip(metrics) {
            *sum += metric(&a, &b, m, k) / seeds as f64;
        }
    }
    let [biased, unbiased, knn, cycle] = sums;
    assert!((biased - 0.993).abs() <= 0.002, "biased CKA {biased}");
    assert!((unbiased - 0.007).abs() <= 0.02, "unbiased CKA {unbiased}");
    assert!((knn - 0.16).abs() <= 0.02, "mutual k-NN {knn}");
    // The table's 0.84 is one draw of the reference, whose per-draw sd is 0.053; the mean
    // over 40 numpy draws of the same metric (`gen_align_golden.cycle_knn`) is 0.827 with
    // standard error 0.008:
    //   rng = np.random.default_rng(0)
    //   for t in range(40):
    //       a = rng.standard_normal((64, 8192)); a /= np.linalg.norm(a, axis=1, keepdims=True)
    //       b = ... likewise; c.append(cycle_knn(a, b, 10))
    //   np.mean(c), np.std(c, ddof=1) / np.sqrt(40)   # 0.8270, 0.0083
    // Our 40-draw mean has the same standard error: ±0.03 is about 2.5 combined SEs.
    assert!((cycle - 0.827).abs() <= 0.03, "cycle k-NN {cycle}");
}

#[test]
fn a4_cknna_with_every_neighbour_is_unbiased_cka() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    let n = 60;
    // A correlated pair, not normalised: the identity holds for any kernels.
    let a_data = gaussian(&mut rng, n, 12);
    let noise = gaussian(&mut rng, n, 12);
    let b_data: Vec<f64> = a_data.iter().zip(&noise).map(|(a, e)| a + e).collect();
    let a = Features::new("A", a_data, 12).unwrap();
    let b = Features::new("B", b_data, 12).unwrap();
    let cknna = metric(&a, &b, Metric::Cknna, n - 1);
    let unbiased = metric(&a, &b, Metric::UnbiasedCka, n - 1);
    assert!(
        (cknna - unbiased).abs() <= 1e-6 * unbiased.abs(),
        "{cknna} vs {unbiased}"
    );
}

#[test]
fn a5_mutual_knn_falls_monotonically_with_noise() {
    let (n, dz, d) = (1024, 16, 128);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let z = gaussian(&mut rng, n, dz);
    let w_a = gaussian(&mut rng, dz, d);
    let w_b = gaussian(&mut rng, dz, d);
    let render = |w: &[f64], s: f64, rng: &mut Xoshiro256PlusPlus| {
        let noise = gaussian(rng, n, d);
        let data: Vec<f64> = (0..n * d)
            .map(|at| {
                let (i, j) = (at / d, at % d);
                let signal: f64 = (0..dz).map(|l| z[i * dz + l] * w[l * d + j]).sum();
                signal + 4.0 * s * noise[at]
            })
            .collect();
        normalised(data, d)
    };
    let scores: Vec<f64> = [0.0, 0.5, 1.0, 2.0, 4.0]
        .iter()
        .map(|&s| {
            let a = render(&w_a, s, &mut rng);
            let b = render(&w_b, s, &mut rng);
            metric(&a, &b, Metric::MutualKnn, 10)
        })
        .collect();
    assert!(scores.windows(2).all(|w| w[0] > w[1]), "{scores:?}");
    let chance = 10.0 / 1023.0;
    assert!(scores[0] > 0.5, "s = 0: {}", scores[0]);
    assert!(
        scores[4] < 3.0 * chance,
        "s = 4: {} vs chance {chance}",
        scores[4]
    );
}
