//! Coverage of the BNSL prediction intervals (`bnsl/interval.rs`) on synthetic data from a
//! known one-break BNSL (Caballero et al. 2022, eq. 1; `docs/science/fitting.md` §3) with
//! Gaussian noise in ln(y + 1), the space the fit works in.
//!
//! 30 log-spaced x in [1, 1000]; the first 24 (x ≤ 240) are fitted, the last 6 (x up to
//! 1000, 0.6 decade of extrapolation past a break at d = 20) predicted; noise sd 0.01. Each trial draws a
//! fresh data set and a fresh set of held-out observations; a 95 % prediction interval
//! must contain the held-out observation about 95 % of the time. The fits start from the
//! true parameters (LM only) because the interval, not the grid, is under test.

use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_fit::bnsl::{bnsl_prediction_intervals, BnslIntervalOptions};
use superscale_fit::{refit_bnsl, BnslOptions, BnslParameters};

fn truth() -> BnslParameters {
    BnslParameters::from_vector(&[0.2, 3.0, 0.1, 0.6, 20.0, 0.3])
}

/// (held-out observations inside, judged) over `trials` seeded data sets. A data set whose
/// unbounded LM fit wanders to parameters that are not finite on the data (no interval can
/// be built: the function refuses) is skipped; at most 1 in 10 may be.
fn coverage(trials: u64, noise: f64, level: f64, fit_points: usize) -> (usize, usize) {
    let truth = truth();
    let x: Vec<f64> = (0..30).map(|i| 10f64.powf(3.0 * i as f64 / 29.0)).collect();
    let normal = Normal::new(0.0, noise).unwrap();
    let (mut inside, mut judged, mut skipped) = (0, 0, 0);
    for trial in 0..trials {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1000 + trial);
        let mut observe = |v: f64| (truth.predict(v).ln_1p() + normal.sample(&mut rng)).exp_m1();
        let y: Vec<f64> = x.iter().map(|&v| observe(v)).collect();
        let held_out: Vec<f64> = x[fit_points..].iter().map(|&v| observe(v)).collect();
        let fit = refit_bnsl(
            &x[..fit_points],
            &y[..fit_points],
            &truth,
            &BnslOptions::default(),
        )
        .unwrap();
        let options = BnslIntervalOptions {
            resamples: 200,
            level,
            seed: trial,
            ..Default::default()
        };
        let Ok(intervals) = bnsl_prediction_intervals(
            &x[..fit_points],
            &y[..fit_points],
            &fit.parameters,
            &x[fit_points..],
            &options,
        ) else {
            skipped += 1;
            continue;
        };
        for (interval, &observed) in intervals.iter().zip(&held_out) {
            assert!(interval.lower < interval.upper, "{interval:?}");
            judged += 1;
            inside += usize::from(interval.lower <= observed && observed <= interval.upper);
        }
    }
    assert!(
        skipped * 10 <= trials,
        "{skipped} of {trials} fits not finite"
    );
    eprintln!("{skipped} of {trials} data sets skipped (fit not finite on the data)");
    (inside, judged)
}

/// 60 trials × 6 held-out points. Measured 327/360 = 0.908 (95 %) and 68/180 = 0.378
/// (50 %): a slight undercoverage (docs/quanta.md). The judgements are correlated within a
/// trial, so the tolerances are wide ([0.85, 0.99] and [0.30, 0.70]), but an interval
/// without the parameter uncertainty or without the new observation's noise falls outside.
/// A harder design is the ignored test below.
#[test]
fn ninety_five_percent_intervals_cover_about_ninety_five_percent() {
    let (inside, judged) = coverage(60, 0.01, 0.95, 24);
    let rate = inside as f64 / judged as f64;
    eprintln!("95 % BNSL prediction intervals: {inside}/{judged} = {rate:.3} coverage");
    assert!((0.85..=0.99).contains(&rate), "coverage {rate}");
    // A 50 % interval must cover about half: the interval is not just wide.
    let (inside, judged) = coverage(30, 0.01, 0.5, 24);
    let rate = inside as f64 / judged as f64;
    eprintln!("50 % BNSL prediction intervals: {inside}/{judged} = {rate:.3} coverage");
    assert!((0.30..=0.70).contains(&rate), "coverage {rate}");
}

/// The harder design: 20 fit points (x ≤ 88), noise 0.02, a decade of extrapolation past
/// the break. The refits are skewed and the interval undercovers more (measured: see
/// docs/quanta.md); it must still cover at least 3 in 4.
#[test]
#[ignore = "about 20 s; a documented limitation rather than a check"]
fn harder_design_undercovers_but_stays_useful() {
    let (inside, judged) = coverage(60, 0.02, 0.95, 20);
    let rate = inside as f64 / judged as f64;
    eprintln!("harder design, 95 % intervals: {inside}/{judged} = {rate:.3} coverage");
    assert!((0.75..=0.99).contains(&rate), "coverage {rate}");
}

/// The same interval for 1 and 2 threads (resample b draws from (seed, b)).
#[test]
fn intervals_do_not_depend_on_the_thread_count() {
    let truth = truth();
    let x: Vec<f64> = (0..20).map(|i| 10f64.powf(0.1 * i as f64)).collect();
    let y: Vec<f64> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| truth.predict(v) * (1.0 + 0.01 * ((i * 7) as f64).sin()))
        .collect();
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                bnsl_prediction_intervals(&x, &y, &truth, &[200.0, 1000.0], &Default::default())
                    .unwrap()
            })
    };
    assert_eq!(run(1), run(2));
    assert!(
        bnsl_prediction_intervals(&x[..6], &y[..6], &truth, &[1.0], &Default::default()).is_err()
    );
}
