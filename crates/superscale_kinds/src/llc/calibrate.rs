//! The automatic choice of ε (and γ) for the models of an LLC experiment file
//! (`superscale llc-calibrate`): each model is built as its run builds it (same data, same
//! w*, same seeds), swept over steps and localisations by
//! [`superscale_measure::llc::calibrate`], and printed as a table with the recommendation
//! and its reason (`docs/science/llc.md` §6.1).

use super::report::case_name;
use super::spec::{Family, LlcRun, SamplerOptions};
use super::{build, sampler_seed};
use std::fmt::Write as _;
use superscale_measure::llc::calibrate::{recommend, sweep, validate, Recommendation, Setting};
use superscale_measure::llc::Invalid;
use superscale_spec::RunPoint;

/// The sweep of one model.
#[derive(Debug, Clone)]
pub struct ModelCalibration {
    /// the model as the tables name it
    pub name: String,
    /// the run the sweep starts from (its other sampler settings are kept)
    pub run: LlcRun,
    /// λ in closed form (NaN when unknown)
    pub closed_form: f64,
    /// the settings, γ in the order asked and ε increasing within each γ
    pub settings: Vec<Setting>,
    /// E[λ̂] exact at each setting's nβ and γ where it is known (normal crossings), else NaN
    pub exact: Vec<f64>,
    /// the recommendation
    pub recommendation: Recommendation,
}

impl ModelCalibration {
    /// The recommended setting, if any.
    pub fn chosen(&self) -> Option<&Setting> {
        self.recommendation.choice.map(|i| &self.settings[i])
    }
}

/// The default steps around a file's ε: the 1–3 ladder (…, 10⁻⁴, 3·10⁻⁴, 10⁻³, …), the
/// rung nearest ε and two rungs on either side (each neighbour about 3× apart).
pub fn default_steps(step: f64) -> Vec<f64> {
    let rung = |k: i32| {
        let decade = 10f64.powi(k.div_euclid(2));
        if k.rem_euclid(2) == 0 {
            decade
        } else {
            3.0 * decade
        }
    };
    let log = step.log10();
    let guess = (2.0 * log).floor() as i32;
    let nearest = (guess - 2..=guess + 2)
        .min_by(|&a, &b| {
            (rung(a).log10() - log)
                .abs()
                .total_cmp(&(rung(b).log10() - log).abs())
        })
        .unwrap_or(guess);
    // Round away the binary noise of powers of ten (3e-5, not 3.0000000000000004e-5).
    (nearest - 2..=nearest + 2)
        .map(|k| format!("{:.0e}", rung(k)).parse().unwrap_or(rung(k)))
        .collect()
}

/// Sweeps one run's model over `steps` × `localizations` (each γ with every ε) and
/// recommends a setting with tolerance `tolerance`. The data, w* and chain seeds are the
/// run's, so the setting equal to the run's (ε, γ) reproduces its λ̂. `progress` gets the
/// setting's index and the steps done over its chains.
pub fn calibrate(
    point: &RunPoint<LlcRun>,
    steps: &[f64],
    localizations: &[f64],
    tolerance: f64,
    progress: &(dyn Fn(usize, u64) + Sync),
) -> Result<ModelCalibration, Invalid> {
    validate(steps, localizations, tolerance)?;
    let run = &point.spec;
    let built = build(run, point.seed);
    let base = run.sampler.options(run.data.n, sampler_seed(point.seed));
    let settings = sweep(
        built.potential.as_ref(),
        &built.optimum,
        &base,
        steps,
        localizations,
        progress,
    )?;
    // E[λ̂] exact depends on γ: rebuilt per γ where the family knows it.
    let mut exact_of: Vec<(f64, f64)> = Vec::new();
    for &gamma in localizations {
        let mut at = run.clone();
        at.sampler.localization = gamma;
        let exact = if run.model.family == Family::NormalCrossing && gamma > 0.0 {
            build(&at, point.seed).exact
        } else {
            f64::NAN
        };
        exact_of.push((gamma, exact));
    }
    let exact = settings
        .iter()
        .map(|s| {
            exact_of
                .iter()
                .find(|(g, _)| *g == s.localization)
                .map_or(f64::NAN, |&(_, e)| e)
        })
        .collect();
    Ok(ModelCalibration {
        name: case_name(&run.model),
        run: run.clone(),
        closed_form: built.closed_form,
        recommendation: recommend(&settings, tolerance),
        settings,
        exact,
    })
}

fn percent(v: f64) -> String {
    if v.is_finite() {
        format!("{:+.1} %", 100.0 * v)
    } else {
        String::new()
    }
}

/// The sweep as a text table, one line per setting, then the recommendation.
pub fn table(calibration: &ModelCalibration) -> String {
    let run = &calibration.run;
    let sampler = &run.sampler;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: λ = {}, n = {}, nβ = {:.2}, {} chains × {} draws (thin {}, burn-in {}), tolerance {:.0} %",
        calibration.name,
        if calibration.closed_form.is_finite() {
            format!("{:.4}", calibration.closed_form)
        } else {
            "unknown".into()
        },
        run.data.n,
        sampler.options(run.data.n, 0).nbeta(),
        sampler.chains,
        sampler.draws,
        sampler.thin,
        sampler.burn_in,
        100.0 * calibration.recommendation.tolerance
    );
    let header = [
        "γ",
        "ε",
        "λ̂",
        "95 % CI over chains",
        "vs λ",
        "E[λ̂] exact",
        "R̂",
        "healthy",
        "Δ vs smaller ε",
        "plateau",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| h.to_string()).collect()];
    let recommendation = &calibration.recommendation;
    for choice in &recommendation.steps {
        let mut previous: Option<&Setting> = None;
        for &index in &choice.settings {
            let s = &calibration.settings[index];
            let delta = previous
                .map(|p| percent(s.lambda / p.lambda - 1.0))
                .unwrap_or_default();
            let agrees = match recommendation.agrees_with_smaller[index] {
                Some(true) => "yes",
                Some(false) => "no",
                None => "",
            };
            let mark = if recommendation.choice == Some(index) {
                " ← recommended"
            } else if choice.choice == Some(index) {
                " ← best at this γ"
            } else {
                ""
            };
            rows.push(vec![
                format!("{}", s.localization),
                format!("{:e}", s.step),
                format!("{:.4}", s.lambda),
                format!("[{:.4}, {:.4}]", s.interval.0, s.interval.1),
                percent(s.lambda / calibration.closed_form - 1.0),
                if calibration.exact[index].is_finite() {
                    format!("{:.4}", calibration.exact[index])
                } else {
                    String::new()
                },
                format!("{:.3}", s.r_hat),
                format!(
                    "{}/{}{}",
                    s.healthy_chains,
                    s.chains,
                    if s.diverged_chains > 0 {
                        format!(" ({} diverged)", s.diverged_chains)
                    } else {
                        String::new()
                    }
                ),
                delta,
                format!("{agrees}{mark}"),
            ]);
            previous = Some(s);
        }
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &width)| {
                let pad = width - cell.chars().count();
                format!("{cell}{}", " ".repeat(pad))
            })
            .collect();
        let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
    }
    match calibration.chosen() {
        Some(s) => {
            let _ = writeln!(
                out,
                "recommended: ε = {:e}, γ = {}: λ̂ = {:.4} [{:.4}, {:.4}]{}",
                s.step,
                s.localization,
                s.lambda,
                s.interval.0,
                s.interval.1,
                if calibration.closed_form.is_finite() {
                    format!(
                        " ({} from λ = {:.4})",
                        percent(s.lambda / calibration.closed_form - 1.0),
                        calibration.closed_form
                    )
                } else {
                    String::new()
                }
            );
            let _ = writeln!(out, "  because {}", recommendation.reason);
        }
        None => {
            let _ = writeln!(out, "{}", recommendation.reason);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::default_steps;

    #[test]
    fn default_steps_are_the_ladder_around_the_file_step() {
        assert_eq!(default_steps(3e-4), [3e-5, 1e-4, 3e-4, 1e-3, 3e-3]);
        assert_eq!(default_steps(1e-4), [1e-5, 3e-5, 1e-4, 3e-4, 1e-3]);
        // 2·10⁻⁵ is nearer 3·10⁻⁵ than 10⁻⁵ on a log scale.
        assert_eq!(default_steps(2e-5), [3e-6, 1e-5, 3e-5, 1e-4, 3e-4]);
    }
}
