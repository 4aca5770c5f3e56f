//! The sections of a toy-model study's report: model exponents (when the width is swept),
//! figures chosen by the study's shape, and the table of runs.

use crate::toy::analysis::ToyAnalysis;
use crate::toy::execute::{RunResult, RunStatus};
use crate::toy::exponents::WidthExponent;
use superscale_report::chart::{histogram, xy_chart, Scale, Series, Style};
use superscale_report::{Block, Result, Section, Table};

fn group_label(group: &[(String, String)]) -> String {
    if group.is_empty() {
        return "all runs".into();
    }
    group
        .iter()
        .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn in_group(result: &RunResult, group: &[(String, String)]) -> bool {
    group.iter().all(|pair| result.point.axes.contains(pair))
}

fn width_of(result: &RunResult) -> f64 {
    result.point.spec.model.width() as f64
}

fn loss_figure(exponents: &[WidthExponent]) -> Result<String> {
    let mut series = Vec::new();
    for (color, e) in exponents.iter().enumerate() {
        let label = match &e.fit {
            Ok(fit) => format!(
                "{}: α_m = {:.3} ± {:.3} (R² = {:.3})",
                group_label(&e.group),
                fit.exponent,
                fit.exponent_se,
                fit.r_squared
            ),
            Err(_) => format!("{}: no fit", group_label(&e.group)),
        };
        series.push(Series {
            label,
            points: e.points.clone(),
            style: Style::Points,
            color,
        });
        if let Ok(fit) = &e.fit {
            let (lo, hi) = e
                .points
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), (m, _)| {
                    (lo.min(*m), hi.max(*m))
                });
            let line = (0..=20)
                .map(|k| lo * (hi / lo).powf(k as f64 / 20.0))
                .map(|m| (m, (fit.intercept - fit.exponent * m.ln()).exp()))
                .collect();
            series.push(Series {
                label: String::new(),
                points: line,
                style: Style::Line,
                color,
            });
        }
    }
    xy_chart(
        "Held-out loss vs width (OLS fit in log-log)",
        "width m",
        "L = n × MSE",
        Scale::LogLog,
        &series,
    )
}

fn overlap_figure(results: &[RunResult], exponents: &[WidthExponent]) -> Result<String> {
    let mut series = Vec::new();
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for (color, e) in exponents.iter().enumerate() {
        let members: Vec<&RunResult> = results
            .iter()
            .filter(|r| in_group(r, &e.group) && r.geometry.is_some())
            .collect();
        let all = members
            .iter()
            .filter_map(|r| {
                r.geometry
                    .as_ref()
                    .map(|g| (width_of(r), g.overlap_all.mean))
            })
            .collect::<Vec<_>>();
        let strong = members
            .iter()
            .filter_map(|r| {
                r.geometry
                    .as_ref()
                    .and_then(|g| g.overlap_strong)
                    .map(|s| (width_of(r), s.mean))
            })
            .collect::<Vec<_>>();
        for (m, _) in &all {
            lo = lo.min(*m);
            hi = hi.max(*m);
        }
        series.push(Series {
            label: format!("{}: all rows", group_label(&e.group)),
            points: all,
            style: Style::Line,
            color,
        });
        if !strong.is_empty() {
            series.push(Series {
                label: format!("{}: rows with ‖W_i‖ > 1", group_label(&e.group)),
                points: strong,
                style: Style::Points,
                color,
            });
        }
    }
    if lo < hi {
        series.push(Series {
            label: "1/m (random directions, ≈ Welch κ²)".into(),
            points: vec![(lo, 1.0 / lo), (hi, 1.0 / hi)],
            style: Style::Reference,
            color: 0,
        });
    }
    xy_chart(
        "Mean squared overlap of normalised rows vs width",
        "width m",
        "mean (Ŵ_i·Ŵ_j)²",
        Scale::LogLog,
        &series,
    )
}

fn norm_figure(results: &[RunResult], exponents: &[WidthExponent]) -> Result<String> {
    let mut samples = Vec::new();
    for e in exponents {
        let widest = results
            .iter()
            .filter(|r| in_group(r, &e.group) && r.geometry.is_some())
            .max_by(|a, b| width_of(a).total_cmp(&width_of(b)));
        if let Some(run) = widest {
            let norms = run
                .geometry
                .as_ref()
                .map(|g| g.row_norms.clone())
                .unwrap_or_default();
            samples.push((
                format!("{}, m = {}", group_label(&e.group), width_of(run)),
                norms,
            ));
        }
    }
    if samples.is_empty() {
        for r in results.iter().filter(|r| r.geometry.is_some()).take(4) {
            samples.push((
                format!("run {}", r.point.run_id),
                r.geometry
                    .as_ref()
                    .map(|g| g.row_norms.clone())
                    .unwrap_or_default(),
            ));
        }
    }
    histogram(
        "Row norms ‖W_i‖ at the largest width",
        "‖W_i‖",
        &samples,
        60,
    )
}

fn curve_figure(results: &[RunResult], exponents: &[WidthExponent]) -> Result<String> {
    let mut series = Vec::new();
    for r in results {
        let color = exponents
            .iter()
            .position(|e| in_group(r, &e.group))
            .unwrap_or(0);
        let points = r
            .curve
            .iter()
            .map(|&(step, loss)| (step as f64 + 1.0, loss))
            .collect();
        series.push(Series {
            label: String::new(),
            points,
            style: Style::Line,
            color,
        });
    }
    xy_chart(
        "Training loss curves (batch loss at log-spaced steps)",
        "step",
        "L = n × MSE",
        Scale::LogLog,
        &series,
    )
}

fn exponent_table(exponents: &[WidthExponent]) -> Table {
    let rows = exponents
        .iter()
        .map(|e| {
            let mut row = vec![group_label(&e.group)];
            match &e.fit {
                Ok(fit) => row.extend([
                    format!("{:.3} ± {:.3}", fit.exponent, fit.exponent_se),
                    format!("{:.3}", fit.r_squared),
                    fit.n_points.to_string(),
                ]),
                Err(why) => row.extend([format!("no fit: {why}"), "–".into(), "–".into()]),
            }
            row.push(e.diverged.to_string());
            row
        })
        .collect();
    Table {
        header: ["group", "α_m ± SE", "R²", "points", "diverged"]
            .map(String::from)
            .to_vec(),
        rows,
    }
}

fn fmt(value: Option<f64>, digits: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "–".into(),
    }
}

fn result_table(results: &[RunResult]) -> Table {
    let rows = results
        .iter()
        .map(|r| {
            let g = r.geometry.as_ref();
            let status = match r.status {
                RunStatus::Done => "done".to_string(),
                RunStatus::Diverged { step } => format!("diverged at step {step}"),
            };
            vec![
                r.point.run_id.clone(),
                r.point.replicate.to_string(),
                group_label(&r.point.axes),
                status,
                fmt(Some(r.loss_train_tail), 5),
                fmt(Some(r.loss_heldout), 5),
                fmt(g.map(|g| g.phi_half), 3),
                fmt(g.map(|g| g.phi_one), 3),
                fmt(g.map(|g| g.overlap_all.mean), 5),
                fmt(g.and_then(|g| g.overlap_strong).map(|s| s.mean), 5),
                fmt(g.map(|g| g.dimensions_per_feature), 4),
                format!("{:.1}", r.seconds),
            ]
        })
        .collect();
    Table {
        header: [
            "run",
            "rep.",
            "sweep point",
            "status",
            "L train (last steps)",
            "L held-out",
            "φ½",
            "φ₁",
            "MSO all",
            "MSO ‖W‖>1",
            "D*",
            "s",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

fn figure(svg: String) -> Block {
    Block::Figure {
        svg,
        caption: String::new(),
    }
}

/// The toy-model sections of a study's report.
pub(crate) fn sections(results: &[RunResult], analysis: &ToyAnalysis) -> Result<Vec<Section>> {
    let exponents = &analysis.exponents;
    let diverged = results
        .iter()
        .filter(|r| matches!(r.status, RunStatus::Diverged { .. }))
        .count();
    let mut overview = Section::new("Overview");
    overview.push(Block::Note(format!(
        "{} runs ({diverged} diverged). Losses are the paper's L = n × MSE: the squared error summed over \
         features and averaged over samples (Liu, Liu & Gore 2025; importance-weighted for the Anthropic variant). \
         α_m is the OLS slope of ln L(held-out) on ln m with its standard error and R² (the paper's protocol); \
         the held-out loss is measured on fresh samples after training. MSO is the mean squared overlap (Ŵ_i·Ŵ_j)² of normalised rows.",
        results.len()
    )));
    let mut sections = vec![overview];
    if !exponents.is_empty() {
        sections
            .push(Section::new("Model exponents").with(Block::Table(exponent_table(exponents))));
    }
    let mut figures = Section::new("Figures");
    figures.blocks.extend(super::tms::figures(results)?);
    let map = super::sweep_map::figure(results);
    if !map.is_empty() {
        figures.push(figure(map));
    }
    if !exponents.is_empty() {
        figures.push(figure(loss_figure(exponents)?));
        figures.push(figure(overlap_figure(results, exponents)?));
    }
    figures.push(figure(norm_figure(results, exponents)?));
    figures.push(figure(curve_figure(results, exponents)?));
    sections.push(figures);
    sections.push(Section::new("Runs").with(Block::Table(result_table(results))));
    Ok(sections)
}
