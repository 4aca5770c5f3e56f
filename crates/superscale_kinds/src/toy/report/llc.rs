//! The learning-coefficient part of a toy-model report (`[llc]` studies,
//! `docs/science/llc.md` §8): λ̂ and the activation regions of the trained models against
//! width, λ̂ along training, and the table of every checkpoint's estimate.

use super::notation;
use super::sections::{fmt, in_group, run_text, width_of, Groups};
use crate::toy::execute::RunResult;
use crate::toy::exponents::WidthExponent;
use crate::toy::llc::LlcPoint;
use superscale_report::chart::{band, number, xy_chart, Scale, Series, Style};
use superscale_report::{Block, Result, Section, Table};
use superscale_spec::ModelSpec;

/// The estimate at a run's last checkpoint, when that is the trained model.
fn trained(run: &RunResult) -> Option<&LlcPoint> {
    run.llc
        .last()
        .filter(|p| p.step == run.point.spec.train.steps)
}

/// One group's runs in order of width, with their trained-model estimate.
fn by_width<'a>(
    results: &'a [RunResult],
    group: &[(String, String)],
) -> Vec<(&'a RunResult, &'a LlcPoint)> {
    let mut members: Vec<(&RunResult, &LlcPoint)> = results
        .iter()
        .filter(|r| in_group(r, group))
        .filter_map(|r| trained(r).map(|p| (r, p)))
        .collect();
    members.sort_by(|a, b| width_of(a.0).total_cmp(&width_of(b.0)));
    members
}

/// The OLS fit of ln λ̂ on ln m over a group's trained models (λ̂ ∝ m^b with b = −exponent),
/// when there are three widths with a positive λ̂.
fn growth(members: &[(&RunResult, &LlcPoint)]) -> Option<superscale_fit::LogLogFit> {
    let (m, lambda): (Vec<f64>, Vec<f64>) = members
        .iter()
        .filter(|(_, p)| p.lambda > 0.0)
        .map(|(r, p)| (width_of(r), p.lambda))
        .unzip();
    superscale_fit::ols_log_log(&m, &lambda).ok()
}

fn growth_text(fit: &superscale_fit::LogLogFit) -> String {
    format!(
        "λ̂ ∝ m^{:.2} ± {:.2} (R² = {:.3})",
        -fit.exponent, fit.exponent_se, fit.r_squared
    )
}

/// The headline lines of an `[llc]` width sweep: per group, λ̂ and the regions at the
/// smallest and largest width and the fitted growth of λ̂ with m.
pub(crate) fn lines(
    results: &[RunResult],
    exponents: &[WidthExponent],
    model: &ModelSpec,
) -> Vec<String> {
    exponents
        .iter()
        .filter_map(|e| {
            let members = by_width(results, &e.group);
            let (first, last) = (members.first()?, members.last()?);
            let group = notation::group(&e.group, model);
            let fit =
                growth(&members).map_or_else(String::new, |f| format!("; {}", growth_text(&f)));
            Some(format!(
                "{group}: λ̂ = {} at m = {} → {} at m = {}{fit}; activation regions {} → {}",
                number(first.1.lambda),
                width_of(first.0),
                number(last.1.lambda),
                width_of(last.0),
                first.1.regions,
                last.1.regions
            ))
        })
        .collect()
}

fn health_text(p: &LlcPoint) -> String {
    format!(
        "λ̂ = {} [{}, {}], R̂ = {}, {}/{} chains healthy",
        number(p.lambda),
        number(p.interval.0),
        number(p.interval.1),
        number(p.r_hat),
        p.healthy_chains,
        p.chains
    )
}

/// λ̂ of the trained models against m, one colour per group, with the 95 % interval over
/// chains as a band.
pub(super) fn lambda_vs_width(
    results: &[RunResult],
    exponents: &[WidthExponent],
    groups: &Groups,
) -> Result<String> {
    let mut series = Vec::new();
    let mut band_labelled = false;
    for e in exponents {
        let color = groups.color(&e.group);
        let members = by_width(results, &e.group);
        let low: Vec<(f64, f64)> = members
            .iter()
            .map(|(r, p)| (width_of(r), p.interval.0))
            .collect();
        let high: Vec<(f64, f64)> = members
            .iter()
            .map(|(r, p)| (width_of(r), p.interval.1))
            .collect();
        if members.len() >= 2 {
            series.push(Series {
                label: if band_labelled {
                    String::new()
                } else {
                    "95 % interval over chains (shaded)".into()
                },
                points: band(&low, &high),
                style: Style::Band,
                color,
                ..Series::default()
            });
            band_labelled = true;
        }
        let label = match growth(&members) {
            Some(fit) => format!("{}: {}", groups.label(&e.group), growth_text(&fit)),
            None => groups.label(&e.group),
        };
        series.push(Series {
            label,
            points: members
                .iter()
                .map(|(r, p)| (width_of(r), p.lambda))
                .collect(),
            style: Style::Line,
            color,
            hover: members
                .iter()
                .map(|(r, p)| run_text(r, groups.model, &health_text(p)))
                .collect(),
        });
    }
    let (scale, title) = log_unless_nothing_positive(
        &series,
        Scale::LogLog,
        "Local learning coefficient λ̂ of the trained model vs width",
    );
    xy_chart(
        &title,
        "width m",
        "λ̂ (SGLD, mean over chains)",
        scale,
        &series,
    )
}

/// Log-log axes (which leave out λ̂ ≤ 0, the mark of a point that is not a minimum), unless
/// no λ̂ is positive: then a linear λ̂ axis, so the figure still shows what was measured and
/// its title says why every value is ≤ 0.
fn log_unless_nothing_positive(series: &[Series], log: Scale, title: &str) -> (Scale, String) {
    let positive = series
        .iter()
        .filter(|s| s.style != Style::Band)
        .flat_map(|s| &s.points)
        .any(|&(_, y)| y > 0.0);
    if positive {
        (log, title.to_string())
    } else {
        (
            Scale::LogX,
            format!("{title}: every λ̂ ≤ 0, no point is a minimum yet"),
        )
    }
}

/// The number of activation regions met on the LLC dataset against m.
pub(super) fn regions_vs_width(
    results: &[RunResult],
    exponents: &[WidthExponent],
    groups: &Groups,
) -> Result<String> {
    let series = exponents
        .iter()
        .map(|e| {
            let members = by_width(results, &e.group);
            Series {
                label: groups.label(&e.group),
                points: members
                    .iter()
                    .map(|(r, p)| (width_of(r), p.regions as f64))
                    .collect(),
                style: Style::Line,
                color: groups.color(&e.group),
                hover: members
                    .iter()
                    .map(|(r, p)| {
                        run_text(
                            r,
                            groups.model,
                            &format!("{} activation regions", p.regions),
                        )
                    })
                    .collect(),
            }
        })
        .collect::<Vec<_>>();
    xy_chart(
        "Activation regions met on the data vs width (distinct on/off patterns of the outputs)",
        "width m",
        "regions",
        Scale::LogLog,
        &series,
    )
}

/// A quantity at every checkpoint of every run, one line per run in its group's colour, on
/// log-log axes (step t + 1, so that the initialisation is drawn; non-positive values, such
/// as the λ̂ of a checkpoint that is not a minimum, are left out).
fn along_training(
    groups: &Groups,
    title: &str,
    y_label: &str,
    value: fn(&LlcPoint) -> f64,
) -> Result<String> {
    let mut series = Vec::new();
    for (key, members) in &groups.groups {
        for (k, run) in members.iter().filter(|r| !r.llc.is_empty()).enumerate() {
            let points = run
                .llc
                .iter()
                .map(|p| (p.step as f64 + 1.0, value(p)))
                .collect();
            let hover = run
                .llc
                .iter()
                .map(|p| {
                    let what = format!(
                        "after {} steps: {}, {} regions",
                        p.step,
                        health_text(p),
                        p.regions
                    );
                    run_text(run, groups.model, &what)
                })
                .collect();
            let label = if k == 0 {
                groups.label(key)
            } else {
                String::new()
            };
            series.push(Series {
                label,
                points,
                style: Style::Line,
                color: groups.color(key),
                hover,
            });
        }
    }
    let (scale, title) = log_unless_nothing_positive(&series, Scale::LogLog, title);
    xy_chart(&title, "training steps t + 1", y_label, scale, &series)
}

/// λ̂ at the checkpoints.
pub(super) fn lambda_along_training(groups: &Groups) -> Result<String> {
    along_training(
        groups,
        "λ̂ along training (checkpoints with λ̂ ≤ 0, not minima, are left out)",
        "λ̂ (SGLD, mean over chains)",
        |p| p.lambda,
    )
}

/// The activation regions at the checkpoints.
pub(super) fn regions_along_training(groups: &Groups) -> Result<String> {
    along_training(
        groups,
        "Activation regions met on the data along training",
        "regions",
        |p| p.regions as f64,
    )
}

/// The table of every checkpoint's estimate, with how it was made; `None` when no run has
/// an `[llc]` table.
pub(super) fn section(results: &[RunResult], model: &ModelSpec) -> Option<Section> {
    let spec = results.iter().find_map(|r| r.point.spec.llc.as_ref())?;
    let sampler = &spec.sampler;
    let nbeta = results
        .iter()
        .flat_map(|r| r.llc.first())
        .map(|p| p.nbeta)
        .next()
        .unwrap_or(f64::NAN);
    let mut section = Section::new("Learning coefficient");
    section.push(Block::Note(format!(
        "λ̂ = nβ·(E[L_n(w)] − L_n(w*)) by localised SGLD around each checkpoint w* \
         (docs/science/llc.md §1–§3, §8), on n = {} rows drawn once from the run's feature \
         distribution (not its training batches); L is the paper's per-sample loss \
         Σ_i I_i (y_i − x_i)². nβ = {}, ε = {}, γ = {}, {} chains × {} draws after {} burn-in \
         steps{}. The interval is the mean ± t·SD/√chains over chains that share w*: their \
         spread, not the error of the estimate (§3). Regions: distinct on/off patterns of the \
         n output units over the same rows.",
        spec.n,
        number(nbeta),
        sampler.step,
        sampler.localization,
        sampler.chains,
        sampler.draws,
        sampler.burn_in,
        match sampler.batch {
            Some(b) => format!(", minibatches of {b}"),
            None => ", full-batch gradients".into(),
        },
    )));
    let rows = results
        .iter()
        .flat_map(|r| r.llc.iter().map(move |p| (r, p)))
        .map(|(r, p)| {
            vec![
                r.point.run_id.clone(),
                notation::group(&r.point.axes, model),
                p.step.to_string(),
                format!(
                    "{} [{}, {}]",
                    fmt(Some(p.lambda), 2),
                    fmt(Some(p.interval.0), 2),
                    fmt(Some(p.interval.1), 2)
                ),
                fmt(Some(p.r_hat), 3),
                format!("{}/{}", p.healthy_chains, p.chains),
                p.diverged_chains.to_string(),
                fmt(Some(p.loss_at_optimum), 5),
                p.regions.to_string(),
            ]
        })
        .collect();
    section.push(Block::Table(Table {
        header: [
            "run",
            "sweep point",
            "step t",
            "λ̂ [95 % over chains]",
            "R̂",
            "healthy chains",
            "diverged",
            "L_n(w*)",
            "regions",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }));
    Some(section)
}
