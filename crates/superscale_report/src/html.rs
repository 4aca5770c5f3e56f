//! The self-contained HTML report: inline SVG, inline CSS, no scripts, opens offline.

use crate::chart::{histogram, xy_chart, Scale, Series, Style};
use crate::error::Result;
use superscale_kinds::{RunResult, RunStatus, WidthExponent};
use superscale_spec::Experiment;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

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
    result.point.spec.model.shape().1 as f64
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

fn exponent_table(exponents: &[WidthExponent]) -> String {
    let mut rows = String::new();
    for e in exponents {
        let fit = match &e.fit {
            Ok(fit) => format!(
                "<td>{:.3} ± {:.3}</td><td>{:.3}</td><td>{}</td>",
                fit.exponent, fit.exponent_se, fit.r_squared, fit.n_points
            ),
            Err(why) => format!("<td colspan=3>no fit: {}</td>", escape(why)),
        };
        rows += &format!(
            "<tr><td>{}</td>{fit}<td>{}</td></tr>\n",
            escape(&group_label(&e.group)),
            e.diverged
        );
    }
    format!("<table><tr><th>group</th><th>α_m ± SE</th><th>R²</th><th>points</th><th>diverged</th></tr>\n{rows}</table>")
}

fn fmt(value: Option<f64>, digits: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "–".into(),
    }
}

fn result_table(results: &[RunResult]) -> String {
    let mut rows = String::new();
    for r in results {
        let g = r.geometry.as_ref();
        let status = match r.status {
            RunStatus::Done => "done".to_string(),
            RunStatus::Diverged { step } => format!("<b>diverged at step {step}</b>"),
        };
        rows += &format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{status}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td></tr>\n",
            r.point.run_id,
            r.point.replicate,
            escape(&group_label(&r.point.axes)),
            fmt(Some(r.loss_train_tail), 5),
            fmt(Some(r.loss_heldout), 5),
            fmt(g.map(|g| g.phi_half), 3),
            fmt(g.map(|g| g.phi_one), 3),
            fmt(g.map(|g| g.overlap_all.mean), 5),
            fmt(g.and_then(|g| g.overlap_strong).map(|s| s.mean), 5),
            fmt(g.map(|g| g.dimensions_per_feature), 4),
            r.seconds
        );
    }
    format!(
        "<table><tr><th>run</th><th>rep.</th><th>sweep point</th><th>status</th><th>L train (last steps)</th><th>L held-out</th><th>φ½</th><th>φ₁</th><th>MSO all</th><th>MSO ‖W‖&gt;1</th><th>D*</th><th>s</th></tr>\n{rows}</table>"
    )
}

const STYLE: &str = "body{font-family:sans-serif;max-width:1180px;margin:2em auto;color:#222}figure{display:inline-block;margin:0.5em}table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}pre{background:#f7f7f7;padding:1em;overflow:auto}.note{color:#555;font-size:14px}";

/// The whole page.
pub(crate) fn report(
    experiment: &Experiment,
    results: &[RunResult],
    exponents: &[WidthExponent],
) -> Result<String> {
    let figures = if exponents.is_empty() {
        format!(
            "<figure>{}</figure><figure>{}</figure>",
            norm_figure(results, exponents)?,
            curve_figure(results, exponents)?
        )
    } else {
        format!(
            "<figure>{}</figure><figure>{}</figure><figure>{}</figure><figure>{}</figure>",
            loss_figure(exponents)?,
            overlap_figure(results, exponents)?,
            norm_figure(results, exponents)?,
            curve_figure(results, exponents)?
        )
    };
    let sweep_map = match crate::sweep_map::figure(results) {
        map if map.is_empty() => map,
        map => format!("<figure>{map}</figure>"),
    };
    let figures = crate::tms::figures(results)? + &sweep_map + &figures;
    let diverged = results
        .iter()
        .filter(|r| matches!(r.status, RunStatus::Diverged { .. }))
        .count();
    Ok(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>superscale: {name}</title><style>{STYLE}</style></head><body>\n\
         <h1>superscale report: {name}</h1><p>{description}</p>\n\
         <p class=note>{count} runs ({diverged} diverged). Losses are the paper's L = n × MSE: the squared error summed over \
         features and averaged over samples (Liu, Liu &amp; Gore 2025; importance-weighted for the Anthropic variant). \
         α_m is the OLS slope of ln L<sub>held-out</sub> on ln m with its standard error and R² (the paper's protocol); \
         the held-out loss is measured on fresh samples after training. MSO is the mean squared overlap (Ŵ_i·Ŵ_j)² of normalised rows.</p>\n\
         <h2>Model exponents</h2>{exponent_table}\n<h2>Figures</h2>{figures}\n<h2>Runs</h2>{result_table}\n\
         <h2>Spec</h2><pre>{source}</pre>\n<p class=note>superscale {version}; files beside this page: results.csv, exponents.csv, curves.csv, spec.toml.</p></body></html>\n",
        name = escape(&experiment.name),
        description = escape(&experiment.description),
        count = results.len(),
        exponent_table = exponent_table(exponents),
        result_table = result_table(results),
        source = escape(&experiment.source),
        version = env!("CARGO_PKG_VERSION"),
    ))
}
