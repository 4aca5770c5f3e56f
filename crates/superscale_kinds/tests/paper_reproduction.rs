//! Full reproductions of Liu, Liu & Gore 2025 with the acceptance checks C1–C6 of
//! `docs/science/superposition.md` §4, on the experiment files in `experiments/`. C2 (the
//! README's headline, ≈ 3.4 min on 2 idle cores) runs by default; the others take 8–35
//! minutes each and are ignored: `bash scripts/run_reproductions.sh` runs them one after
//! another, or one by name:
//! `cargo test --release -p superscale_kinds --test paper_reproduction -- --ignored --nocapture c4_`.
//! Measured results are in BENCHMARKS.md.

use std::path::PathBuf;
use superscale_fit::LogLogFit;
use superscale_kinds::{fit_width_exponents, run_study, RunResult, RunStatus};
use superscale_spec::{Experiment, RunPoint};

fn points(file: &str) -> Vec<RunPoint> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../experiments")
        .join(file);
    Experiment::load(&path).unwrap().points
}

fn train(points: &[RunPoint]) -> Vec<RunResult> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let results = run_study(points, threads).unwrap();
    assert!(
        results.iter().all(|r| r.status == RunStatus::Done),
        "a run diverged"
    );
    for r in &results {
        println!(
            "{:?} {:?}: L = {:.4}, φ½ = {:.3}",
            r.point.spec.model.shape(),
            r.point.axes,
            r.loss_heldout,
            r.geometry.as_ref().unwrap().phi_half
        );
    }
    results
}

fn run(file: &str) -> Vec<RunResult> {
    train(&points(file))
}

/// α_m of the group whose non-width axes have these values.
fn exponent(results: &[RunResult], group: &[(&str, &str)]) -> LogLogFit {
    let wanted: Vec<(String, String)> = group
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let fits = fit_width_exponents(results);
    let found = fits
        .iter()
        .find(|e| e.group == wanted)
        .unwrap_or_else(|| panic!("no group {wanted:?}"));
    let fit = found.fit.clone().unwrap();
    println!(
        "{wanted:?}: α_m = {:.4} ± {:.4}, R² = {:.4}",
        fit.exponent, fit.exponent_se, fit.r_squared
    );
    fit
}

fn at<'a>(results: &'a [RunResult], pairs: &[(&str, &str)]) -> Vec<&'a RunResult> {
    results
        .iter()
        .filter(|r| {
            pairs
                .iter()
                .all(|(k, v)| r.point.axes.iter().any(|(a, b)| a == k && b == v))
        })
        .collect()
}

fn width(r: &RunResult) -> usize {
    r.point.spec.model.shape().1
}

fn slope(points: &[(f64, f64)]) -> f64 {
    let (x, y): (Vec<f64>, Vec<f64>) = points.iter().copied().unzip();
    -superscale_fit::ols_log_log(&x, &y).unwrap().exponent
}

#[test]
#[ignore = "full protocol, about 6 minutes on 2 idle cores"]
fn c1_gamma_controls_superposition() {
    let results = run("paper_c1_gamma.toml");
    for m in ["10", "100"] {
        let phi = |gamma: &str| {
            at(
                &results,
                &[("model.n_hidden", m), ("model.weight_decay", gamma)],
            )[0]
            .geometry
            .as_ref()
            .unwrap()
            .phi_half
        };
        assert!(phi("-1.0") >= 0.99, "γ = −1, m = {m}: φ½ = {}", phi("-1.0"));
        assert!(phi("1.0") <= 0.15, "γ = +1, m = {m}: φ½ = {}", phi("1.0"));
        let ordered = ["-1.0", "-0.1111", "0.1111", "1.0"].map(phi);
        assert!(
            ordered.windows(2).all(|w| w[0] >= w[1]),
            "φ½ must not increase with γ: {ordered:?}"
        );
    }
    // §4 C1 adds a softer "should": at γ = +1, m = 100, φ½ ≥ m/n = 0.1 (paper 0.100). We
    // measured 0.070 (BENCHMARKS.md); not asserted as a band, as the spec words it.
    let phi_100 = at(
        &results,
        &[("model.n_hidden", "100"), ("model.weight_decay", "1.0")],
    )[0]
    .geometry
    .as_ref()
    .unwrap()
    .phi_half;
    println!("γ = +1, m = 100: φ½ = {phi_100} (paper 0.100, soft check ≥ m/n = 0.1)");
    // BENCHMARKS.md's C1 table as quoted: (m, γ, φ½, held-out L); φ½ (a count of 1000
    // rows) to ±0.003, L to half a unit of its fourth decimal plus 0.3 %, as C2's.
    let quoted = [
        ("10", "-1.0", 1.000, 0.6805),
        ("10", "-0.1111", 0.107, 0.7171),
        ("10", "0.1111", 0.028, 1.0814),
        ("10", "1.0", 0.020, 1.1080),
        ("100", "-1.0", 1.000, 0.0364),
        ("100", "-0.1111", 0.882, 0.1134),
        ("100", "0.1111", 0.432, 0.3104),
        ("100", "1.0", 0.070, 0.8007),
    ];
    for (m, gamma, phi_half, loss) in quoted {
        let r = at(
            &results,
            &[("model.n_hidden", m), ("model.weight_decay", gamma)],
        )[0];
        let measured = r.geometry.as_ref().unwrap().phi_half;
        assert!(
            (measured - phi_half).abs() <= 0.003
                && (r.loss_heldout - loss).abs() <= 0.00005 + 0.003 * loss,
            "m = {m}, γ = {gamma}: φ½ = {measured}, L = {}; quoted {phi_half}, {loss}",
            r.loss_heldout
        );
    }
}

/// The C2 table of BENCHMARKS.md as quoted: (m, held-out L, paper's L, φ₁, m·MSO of the
/// rows with ‖W‖ > 1, MSO of all rows).
const C2_QUOTED: [(usize, f64, f64, f64, f64, f64); 6] = [
    (10, 0.6969, 0.690, 0.124, 0.969, 0.459),
    (15, 0.5731, 0.565, 0.451, 1.017, 0.243),
    (25, 0.3431, 0.358, 0.700, 0.983, 0.124),
    (39, 0.2132, 0.202, 0.809, 0.978, 0.0583),
    (63, 0.1220, 0.117, 0.906, 0.970, 0.0230),
    (100, 0.0571, 0.0636, 0.930, 0.944, 0.0135),
];

/// The README's headline (α_m = 1.086 ± 0.081, R² = 0.978) and BENCHMARKS.md's C2 table,
/// checked by default (≈ 3.4 min on 2 idle cores; 16 min at load 10). Two kinds of band:
/// §4 C2/C6's acceptance checks, and the quoted numbers themselves. The run is
/// deterministic, so the quoted numbers can move only with the arithmetic's order (a
/// kernel change, another CPU's GEMM micro-kernel): cutting the step into 512-row chunks
/// moved α_m by under 0.0005, the losses by at most 0.1 % and φ₁ by 0.001 (commit f339113
/// against today), so the tolerances below are a few times that and far inside the
/// quoted standard error (0.081): a change that alters the README's statements fails.
#[test]
fn c2_and_c6_strong_superposition_at_alpha_one() {
    check_c2(&run("paper_c2_strong.toml"));
}

/// Every check of C2 and C6 on the trained C2 sweep (also run by the C4 test, which trains
/// that sweep for its difference of exponents).
fn check_c2(results: &[RunResult]) {
    let fit = exponent(results, &[]);
    // §4 C2's band, then the quoted values.
    assert!(
        (0.90..=1.25).contains(&fit.exponent) && fit.r_squared >= 0.95,
        "{fit:?}"
    );
    assert!(
        (fit.exponent - 1.086).abs() <= 0.005
            && (fit.exponent_se - 0.081).abs() <= 0.005
            && (fit.r_squared - 0.978).abs() <= 0.002,
        "quoted α_m = 1.086 ± 0.081, R² = 0.978; measured {fit:?}"
    );
    let quoted = |m: usize| *C2_QUOTED.iter().find(|q| q.0 == m).unwrap();
    for r in results {
        let g = r.geometry.as_ref().unwrap();
        let strong = g.overlap_strong.unwrap();
        let m = width(r);
        let kappa_squared = superscale_measure::welch_bound(strong.rows, m).powi(2);
        let random_variance = 2.0 * (m as f64 - 1.0) / ((m * m) as f64 * (m as f64 + 2.0));
        println!(
            "m = {m}: L = {:.4} (paper {}, ratio {:.3}), φ₁ = {:.3}, MSO(‖W‖>1) = {:.5} \
             (m·MSO {:.3}, κ² {:.5}, ratio {:.3}, variance {:.3e} vs random {:.3e}), \
             MSO(all) = {:.4}",
            r.loss_heldout,
            quoted(m).2,
            r.loss_heldout / quoted(m).2,
            g.phi_one,
            strong.mean,
            m as f64 * strong.mean,
            kappa_squared,
            strong.mean / kappa_squared,
            strong.variance,
            random_variance,
            g.overlap_all.mean
        );
        let (_, loss, paper, phi_one, m_mso, mso_all) = quoted(m);
        // §4 C2: within ±30 % of the paper's loss. Quoted: within 6 % for m ≤ 63 and 10.2 %
        // below it at m = 100; and each loss to 0.3 %.
        let ratio = r.loss_heldout / paper;
        assert!((ratio - 1.0).abs() <= 0.3, "m = {m}: L/L_paper = {ratio}");
        if m <= 63 {
            assert!((ratio - 1.0).abs() <= 0.06, "m = {m}: L/L_paper = {ratio}");
        } else {
            assert!(
                (0.893..=0.903).contains(&ratio),
                "m = 100: L/L_paper = {ratio}"
            );
        }
        assert!(
            (r.loss_heldout / loss - 1.0).abs() <= 0.003,
            "m = {m}: L = {}, quoted {loss}",
            r.loss_heldout
        );
        // C6: ≥ 95 % of rows in (0.5, 1.5); bimodal with under 5 % within 0.03 of 1.
        let inside = g.row_norms.iter().filter(|&&v| v > 0.5 && v < 1.5).count() as f64
            / g.row_norms.len() as f64;
        assert!(inside >= 0.95, "m = {m}: {inside} of rows in (0.5, 1.5)");
        let at_one = g
            .row_norms
            .iter()
            .filter(|&&v| (0.97..=1.03).contains(&v))
            .count() as f64
            / g.row_norms.len() as f64;
        assert!(
            at_one < 0.05,
            "m = {m}: norms are bimodal with a dip at 1, but {at_one} sit at 1"
        );
        // C6: MSO ≥ κ², m·MSO in [0.7, 1.5], the variance below the random-direction value.
        // Quoted: MSO within 6 % above κ² at every width, m·MSO and φ₁ to their digits.
        assert!(strong.mean >= kappa_squared, "MSO ≥ κ²");
        assert!(
            strong.mean <= 1.06 * kappa_squared,
            "m = {m}: MSO/κ² above 1.06"
        );
        let measured_m_mso = m as f64 * strong.mean;
        assert!(
            (0.7..=1.5).contains(&measured_m_mso),
            "m·MSO = {measured_m_mso}"
        );
        assert!(
            (measured_m_mso - m_mso).abs() <= 0.005,
            "m = {m}: m·MSO = {measured_m_mso}, quoted {m_mso}"
        );
        assert!(
            strong.variance < random_variance,
            "variance of squared overlaps at m = {m}"
        );
        assert!(
            (g.phi_one - phi_one).abs() <= 0.003,
            "m = {m}: φ₁ = {}, quoted {phi_one}",
            g.phi_one
        );
        assert!(
            (g.overlap_all.mean / mso_all - 1.0).abs() <= 0.01,
            "m = {m}: MSO over all rows {}, quoted {mso_all}",
            g.overlap_all.mean
        );
    }
    // C6: φ₁ grows with m, from [0.05, 0.40] at m = 10 to [0.80, 0.99] at m = 100.
    let phi_one = |m: usize| {
        let r = results.iter().find(|r| width(r) == m).unwrap();
        r.geometry.as_ref().unwrap().phi_one
    };
    assert!((0.05..=0.40).contains(&phi_one(10)) && (0.80..=0.99).contains(&phi_one(100)));
    let slope_of = |overlap: &dyn Fn(&RunResult) -> f64| {
        slope(
            &results
                .iter()
                .map(|r| (width(r) as f64, overlap(r)))
                .collect::<Vec<_>>(),
        )
    };
    let strong_slope = slope_of(&|r| r.geometry.as_ref().unwrap().overlap_strong.unwrap().mean);
    let all_slope = slope_of(&|r| r.geometry.as_ref().unwrap().overlap_all.mean);
    println!("MSO slope: rows with ‖W‖ > 1 {strong_slope:.4}, all rows {all_slope:.4}");
    // C6's band for the rows with ‖W‖ > 1, and the quoted −1.018.
    assert!(
        (-1.15..=-0.85).contains(&strong_slope),
        "MSO (‖W‖ > 1) slope {strong_slope}"
    );
    assert!((strong_slope + 1.018).abs() <= 0.005, "{strong_slope}");
    // Over all rows C6 asks for [−1.2, −0.8]; BENCHMARKS.md reports that this one check
    // fails, at −1.57: asserted as quoted, so a change that made it pass would be seen.
    assert!(
        (all_slope + 1.566).abs() <= 0.01,
        "all-rows MSO slope {all_slope}"
    );
}

#[test]
#[ignore = "four sweeps of the full protocol, about 14 minutes on 2 idle cores"]
fn c3_flat_frequencies_keep_the_one_over_m_scaling() {
    let results = run("paper_c3_flat.toml");
    let half = exponent(
        &results,
        &[("model.alpha", "0.5"), ("model.weight_decay", "-0.5556")],
    );
    // §4 C3 makes α = 0 optional (paper 0.841): no band, but its quoted value is checked.
    let zero = exponent(
        &results,
        &[("model.alpha", "0.0"), ("model.weight_decay", "-0.5556")],
    );
    assert!((0.75..=1.10).contains(&half.exponent), "α = 0.5: {half:?}");
    // BENCHMARKS.md's C3 numbers as quoted (α_m and SE to ±0.005, R² to ±0.002, the strong
    // losses to half a unit of their fourth decimal plus 0.3 %, as C2's).
    for (fit, alpha, exponent, se, r_squared, losses) in [
        (
            &half,
            "0.5",
            0.880,
            0.093,
            0.958,
            [1.0972, 0.9354, 0.7174, 0.4761, 0.2548, 0.1489],
        ),
        (
            &zero,
            "0.0",
            0.842,
            0.096,
            0.951,
            [1.1775, 0.9864, 0.7382, 0.5467, 0.3120, 0.1619],
        ),
    ] {
        assert!(
            (fit.exponent - exponent).abs() <= 0.005
                && (fit.exponent_se - se).abs() <= 0.005
                && (fit.r_squared - r_squared).abs() <= 0.002,
            "α = {alpha}: quoted α_m = {exponent} ± {se}, R² = {r_squared}; measured {fit:?}"
        );
        for (m, want) in [10, 15, 25, 39, 63, 100].into_iter().zip(losses) {
            let r = at(
                &results,
                &[
                    ("model.alpha", alpha),
                    ("model.weight_decay", "-0.5556"),
                    ("model.n_hidden", &m.to_string()),
                ],
            )[0];
            assert!(
                (r.loss_heldout - want).abs() <= 0.00005 + 0.003 * want,
                "α = {alpha}, m = {m}: L = {}, quoted {want}",
                r.loss_heldout
            );
        }
    }
    for alpha in ["0.5", "0.0"] {
        for strong in at(
            &results,
            &[("model.alpha", alpha), ("model.weight_decay", "-0.5556")],
        ) {
            let m = width(strong).to_string();
            let weak = at(
                &results,
                &[
                    ("model.alpha", alpha),
                    ("model.weight_decay", "1.0"),
                    ("model.n_hidden", &m),
                ],
            )[0];
            assert!(
                strong.loss_heldout < weak.loss_heldout,
                "α = {alpha}, m = {m}"
            );
        }
    }
}

#[test]
#[ignore = "the C4 and C2 sweeps of the full protocol, about 7 minutes on 2 idle cores, 18 at load 10"]
fn c4_skewed_frequencies_break_the_robust_scaling() {
    // §4 C4 also asks for α_m(α = 2) ≥ α_m(α = 1) + 0.7, so C2's sweep is trained here too
    // (in the same pool, so both cores stay busy until the last run): the difference is
    // then of two fits of today's code, not of a number copied from another run.
    let (skewed, strong) = (
        points("paper_c4_skewed.toml"),
        points("paper_c2_strong.toml"),
    );
    let all: Vec<RunPoint> = skewed.iter().chain(&strong).cloned().collect();
    let results = train(&all);
    let (two, one): (Vec<RunResult>, Vec<RunResult>) =
        results.into_iter().partition(|r| skewed.contains(&r.point));
    assert_eq!((two.len(), one.len()), (6, 6));
    println!("α = 2:");
    let fit = exponent(&two, &[]);
    for r in &two {
        println!("m = {}: L = {:.4}", width(r), r.loss_heldout);
    }
    println!("α = 1 (C2):");
    let reference = exponent(&one, &[]);
    println!("α_m(2) − α_m(1) = {:.3}", fit.exponent - reference.exponent);
    assert!((1.8..=2.6).contains(&fit.exponent), "{fit:?}");
    assert!(
        fit.exponent - reference.exponent >= 0.7,
        "α_m(2) = {} is not 0.7 above α_m(1) = {}",
        fit.exponent,
        reference.exponent
    );
    // BENCHMARKS.md's C4 numbers as quoted (α_m to ±0.005, the held-out losses to half a
    // unit of their fourth decimal plus 0.3 %, as C2's).
    assert!(
        (fit.exponent - 2.165).abs() <= 0.005
            && (fit.exponent_se - 0.083).abs() <= 0.005
            && (fit.r_squared - 0.994).abs() <= 0.002,
        "quoted α_m = 2.165 ± 0.083, R² = 0.994; measured {fit:?}"
    );
    assert!(
        (fit.exponent - reference.exponent - 1.079).abs() <= 0.01,
        "quoted difference 1.079"
    );
    let quoted = [
        (10, 0.0463),
        (15, 0.0263),
        (25, 0.0067),
        (39, 0.0033),
        (63, 0.0011),
        (100, 0.0003),
    ];
    for r in &two {
        let want = quoted.iter().find(|q| q.0 == width(r)).unwrap().1;
        assert!(
            (r.loss_heldout - want).abs() <= 0.00005 + 0.003 * want,
            "m = {}: L = {}, quoted {want}",
            width(r),
            r.loss_heldout
        );
    }
    // The α = 1 sweep is C2's: the same runs must pass C2's checks and quoted numbers.
    check_c2(&one);
}

#[test]
#[ignore = "two sweeps of the full protocol, about 7.5 minutes on 2 idle cores"]
fn c5_weak_superposition_power_law_in_power_law_out() {
    let results = run("paper_c5_weak.toml");
    let two = exponent(&results, &[("model.alpha", "2.0")]);
    let one_and_half = exponent(&results, &[("model.alpha", "1.5")]);
    // BENCHMARKS.md's C5 table as quoted, first (α_m and SE to ±0.005, R² to ±0.002, the
    // held-out losses to half a unit of their third decimal plus 0.3 %, as C2's): the band
    // check of α = 2 below passes by 0.002, so a change of summation order could flip it,
    // and the quoted numbers say which way it went.
    for (fit, alpha, exponent, se, r_squared, losses) in [
        (
            &two,
            "2.0",
            0.752,
            0.099,
            0.935,
            [0.210, 0.140, 0.136, 0.103, 0.054, 0.034],
        ),
        (
            &one_and_half,
            "1.5",
            0.619,
            0.098,
            0.909,
            [0.501, 0.653, 0.391, 0.292, 0.206, 0.144],
        ),
    ] {
        assert!(
            (fit.exponent - exponent).abs() <= 0.005
                && (fit.exponent_se - se).abs() <= 0.005
                && (fit.r_squared - r_squared).abs() <= 0.002,
            "α = {alpha}: quoted α_m = {exponent} ± {se}, R² = {r_squared}; measured {fit:?}"
        );
        for (m, want) in [10, 15, 25, 39, 63, 100].into_iter().zip(losses) {
            let r = at(
                &results,
                &[("model.alpha", alpha), ("model.n_hidden", &m.to_string())],
            )[0];
            assert!(
                (r.loss_heldout - want).abs() <= 0.0005 + 0.003 * want,
                "α = {alpha}, m = {m}: L = {}, quoted {want}",
                r.loss_heldout
            );
        }
    }
    assert!((0.75..=1.20).contains(&two.exponent), "α = 2: {two:?}");
    assert!(
        (0.50..=0.90).contains(&one_and_half.exponent),
        "α = 1.5: {one_and_half:?}"
    );
}
