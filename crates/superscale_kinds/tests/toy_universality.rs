//! Feature universality of the toy models (`[analysis] universality`): the
//! rotation-invariant tools on known answers (a toy-model W against a rotated copy of
//! itself, and MMCS on permuted, sign-flipped atoms), a tiny study analysed end to end, and
//! its settings' mistakes located in the file.

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_kinds::toy::universality::{procrustes, rotate};
use superscale_measure::align::{mmcs, Features};

fn gaussian(count: usize, seed: u64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..count).map(|_| rng.sample(StandardNormal)).collect()
}

/// An orthogonal matrix: Householder reflections I − 2uuᵀ/‖u‖² composed.
fn orthogonal(m: usize, seed: u64) -> Vec<f64> {
    let mut q: Vec<f64> = (0..m * m)
        .map(|i| if i / m == i % m { 1.0 } else { 0.0 })
        .collect();
    for r in 0..3 {
        let u = gaussian(m, seed * 10 + r);
        let norm: f64 = u.iter().map(|v| v * v).sum();
        let reflection: Vec<f64> = (0..m * m)
            .map(|i| (if i / m == i % m { 1.0 } else { 0.0 }) - 2.0 * u[i / m] * u[i % m] / norm)
            .collect();
        q = rotate(&q, &reflection, m);
    }
    q
}

#[test]
fn procrustes_undoes_the_gauge_that_raw_cosines_cannot() {
    let (n, m) = (300, 10);
    let w = gaussian(n * m, 1);
    let rotated = rotate(&w, &orthogonal(m, 2), m);
    let raw: f64 = w
        .chunks_exact(m)
        .zip(rotated.chunks_exact(m))
        .map(|(a, b)| {
            let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            dot / (a.iter().map(|x| x * x).sum::<f64>() * b.iter().map(|x| x * x).sum::<f64>())
                .sqrt()
        })
        .sum::<f64>()
        / n as f64;
    assert!(raw < 0.9, "the rotation must actually move rows: {raw}");
    let aligned = procrustes(&w, &rotated, m).unwrap();
    assert!(aligned.relative_residual < 1e-12);
    assert!(aligned.cosines.iter().all(|c| (c - 1.0).abs() < 1e-12));
}

#[test]
fn mmcs_is_one_on_a_permuted_sign_flipped_copy_and_lower_on_noise() {
    let (n, m) = (40, 8);
    let w = gaussian(n * m, 3);
    let a = Features::new("A", w.clone(), m).unwrap();
    let order: Vec<u32> = (0..n as u32).map(|i| (i * 7 + 3) % n as u32).collect();
    let shuffled = a.gather(&order);
    let flipped: Vec<f64> = (0..n)
        .flat_map(|i| {
            let sign = if i % 3 == 0 { -1.0 } else { 0.5 };
            shuffled
                .row(i)
                .iter()
                .map(move |v| sign * v)
                .collect::<Vec<_>>()
        })
        .collect();
    let b = Features::new("B", flipped, m).unwrap();
    assert!((mmcs(&a, &b).unwrap() - 1.0).abs() < 1e-12);
    let noise = Features::new("B", gaussian(n * m, 4), m).unwrap();
    assert!(mmcs(&a, &noise).unwrap() < 0.95);
}

const TINY: &str = r#"name = "tiny-tms"
replicates = 3
[model]
variant = "superposition_scaling"
n_features = 30
n_hidden = 4
alpha = 1.0
weight_decay = -0.5556
[train]
steps = 200
batch_size = 256
schedule = { kind = "warmup_cosine", peak_lr = 0.02, warmup_steps = 20 }
[analysis]
universality = { shuffles = 10, resamples = 50 }
[sweep]
"model.n_hidden" = [4, 8]
"#;

#[test]
fn a_tiny_universality_study_scores_every_replicate_pair_with_its_null() {
    use superscale_engine::{run_in_memory, Kind};
    use superscale_kinds::toy::universality::{universality_svg, METRICS};
    use superscale_kinds::toy::Toy;
    let experiment =
        superscale_spec::Experiment::parse(TINY, std::path::Path::new("tiny.toml")).unwrap();
    let toy = Toy::prepare(&experiment).unwrap();
    assert!(toy.needs_weights());
    let finished = run_in_memory(&toy, &experiment, 2).unwrap();
    let analysis = toy.analyse(&experiment, &finished).unwrap();
    let result = analysis.universality.expect("asked for in [analysis]");
    assert_eq!(result.pairs.len(), 2 * 3);
    assert_eq!(result.cells.len(), 2);
    assert_eq!((result.cells[0].n_hidden, result.cells[1].n_hidden), (4, 8));
    // The figure has a panel per metric and a label per sweep point.
    let svg = universality_svg(&result).unwrap();
    for name in METRICS {
        assert!(svg.contains(name), "{name} panel");
    }
    assert!(svg.contains("m=4") && svg.contains("m=8"), "sweep labels");
    let index = |name: &str| METRICS.iter().position(|m| *m == name).unwrap();
    for pair in &result.pairs {
        // Identities: the best rotation is no worse than none, and a free match (MMCS,
        // |cos| against any aligned atom) is no worse than the matched feature's cosine.
        assert!(
            pair.scores[index("procrustes_cosine")] >= pair.scores[index("raw_cosine")] - 1e-12
        );
        assert!(pair.scores[index("mmcs")] >= pair.scores[index("procrustes_cosine")] - 1e-12);
        assert!(pair.null_mean.iter().all(|v| v.is_finite()));
        // Cosines and fractions stay in range.
        assert!(pair
            .scores
            .iter()
            .all(|v| (-1.0 - 1e-12..=1.0 + 1e-12).contains(v)));
    }
    assert_eq!(result.cells[0].score[0].pairs, 3);
}

#[test]
fn universality_settings_mistakes_name_line_and_field() {
    use superscale_engine::Kind;
    use superscale_kinds::toy::Toy;
    let invalid = |text: &str| {
        let experiment =
            superscale_spec::Experiment::parse(text, std::path::Path::new("tiny.toml")).unwrap();
        match Toy::prepare(&experiment) {
            Err(superscale_spec::Error::Invalid { line, field, .. }) => (line, field),
            other => panic!("expected an invalid field, got {:?}", other.map(|_| ())),
        }
    };
    assert_eq!(
        invalid(&TINY.replace("shuffles = 10", "shuffles = 1")),
        (14, "analysis.universality.shuffles".into())
    );
    assert_eq!(
        invalid(&TINY.replace("shuffles = 10", "shufles = 10")),
        (14, "analysis.universality.shufles".into())
    );
    assert_eq!(
        invalid(&TINY.replace("replicates = 3", "replicates = 1")),
        (2, "replicates".into())
    );
    assert_eq!(
        invalid(&TINY.replace("universality = {", "universal = {")),
        (14, "analysis.universal".into())
    );
}
