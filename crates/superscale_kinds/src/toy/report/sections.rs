//! The sections of a toy-model study's report: model exponents (when the width is swept),
//! the figures its design calls for (`plan.rs`), and the table of runs.

use super::notation;
use super::plan::{self, Plan};
use crate::toy::analysis::ToyAnalysis;
use crate::toy::execute::{RunResult, RunStatus};
use crate::toy::exponents::{axes_but_width, WidthExponent, WIDTH_AXIS};
use superscale_report::chart::{band, histogram, number, xy_chart, Scale, Series, Style};
use superscale_report::{Block, Result, Section, Table};
use superscale_spec::{Experiment, ModelSpec};

/// The runs of a study grouped by every sweep axis but the width, in order of first
/// appearance: the groups of the α_m fits and of the loss curves. Group k has palette
/// colour k in every figure of the report; other things drawn in colour take the colours
/// after the groups ([`Groups::extra_color`]).
pub(super) struct Groups<'a> {
    pub(super) groups: Vec<Group<'a>>,
    pub(super) model: &'a ModelSpec,
}

/// A group's axis values and its runs.
pub(super) type Group<'a> = (Vec<(String, String)>, Vec<&'a RunResult>);

/// More groups than this and the loss curves summarise all runs as one.
const MAX_GROUPS: usize = 8;

/// Runs drawn one by one (faintly, behind the medians) up to this many.
const MAX_THIN_LINES: usize = 64;

impl<'a> Groups<'a> {
    fn of(results: &'a [RunResult], model: &'a ModelSpec) -> Self {
        let mut groups: Vec<Group> = Vec::new();
        for result in results {
            let key = axes_but_width(result);
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(result),
                None => groups.push((key, vec![result])),
            }
        }
        Self { groups, model }
    }

    pub(super) fn label(&self, key: &[(String, String)]) -> String {
        notation::group(key, self.model)
    }

    pub(super) fn color(&self, key: &[(String, String)]) -> usize {
        self.groups.iter().position(|(k, _)| k == key).unwrap_or(0)
    }

    /// The colour of the `k`-th thing that is not a group.
    fn extra_color(&self, k: usize) -> usize {
        self.groups.len().min(MAX_GROUPS) + k
    }
}

pub(super) fn in_group(result: &RunResult, group: &[(String, String)]) -> bool {
    group.iter().all(|pair| result.point.axes.contains(pair))
}

pub(super) fn width_of(result: &RunResult) -> f64 {
    result.point.spec.model.width() as f64
}

/// The hover text of a run: where it sits in the sweep and its id.
pub(super) fn run_text(result: &RunResult, model: &ModelSpec, what: &str) -> String {
    let mut text = notation::group(&result.point.axes, model);
    if !what.is_empty() {
        text += &format!(": {what}");
    }
    format!(
        "{text}; run {} (replicate {})",
        result.point.run_id, result.point.replicate
    )
}

fn loss_figure(
    results: &[RunResult],
    exponents: &[WidthExponent],
    groups: &Groups,
) -> Result<String> {
    let mut series = Vec::new();
    for e in exponents {
        let color = groups.color(&e.group);
        let name = groups.label(&e.group);
        let label = match &e.fit {
            Ok(fit) => format!(
                "{name}: α_m = {:.3} ± {:.3} (R² = {:.3})",
                fit.exponent, fit.exponent_se, fit.r_squared
            ),
            Err(_) => format!("{name}: no fit"),
        };
        // The points are the group's finished runs in the study's order (exponents.rs).
        let hover = results
            .iter()
            .filter(|r| in_group(r, &e.group) && r.status == RunStatus::Done)
            .filter(|r| r.point.axes.iter().any(|(axis, _)| axis == WIDTH_AXIS))
            .map(|r| run_text(r, groups.model, &format!("L = {}", number(r.loss_heldout))))
            .collect();
        series.push(Series {
            label,
            points: e.points.clone(),
            style: Style::Points,
            color,
            hover,
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
                points: line,
                style: Style::Line,
                color,
                ..Series::default()
            });
        }
    }
    xy_chart(
        "Held-out loss vs width, OLS fit of ln L on ln m",
        "width m",
        "L = n·MSE (held-out)",
        Scale::LogLog,
        &series,
    )
}

fn overlap_figure(
    results: &[RunResult],
    exponents: &[WidthExponent],
    groups: &Groups,
) -> Result<String> {
    let mut series = Vec::new();
    let (mut lo, mut hi) = (f64::MAX, f64::MIN);
    for e in exponents {
        let color = groups.color(&e.group);
        let mut members: Vec<&RunResult> = results
            .iter()
            .filter(|r| in_group(r, &e.group) && r.geometry.is_some())
            .collect();
        members.sort_by(|a, b| width_of(a).total_cmp(&width_of(b)));
        let all: Vec<(f64, f64)> = members
            .iter()
            .filter_map(|r| {
                r.geometry
                    .as_ref()
                    .map(|g| (width_of(r), g.overlap_all.mean))
            })
            .collect();
        let strong: Vec<(&RunResult, (f64, f64))> = members
            .iter()
            .filter_map(|r| {
                r.geometry
                    .as_ref()
                    .and_then(|g| g.overlap_strong)
                    .map(|s| (*r, (width_of(r), s.mean)))
            })
            .collect();
        for (m, _) in &all {
            lo = lo.min(*m);
            hi = hi.max(*m);
        }
        let hover = members
            .iter()
            .filter_map(|r| {
                r.geometry.as_ref().map(|g| {
                    run_text(
                        r,
                        groups.model,
                        &format!("MSO = {}", number(g.overlap_all.mean)),
                    )
                })
            })
            .collect();
        series.push(Series {
            label: format!("{}: all rows", groups.label(&e.group)),
            points: all,
            style: Style::Line,
            color,
            hover,
        });
        if !strong.is_empty() {
            series.push(Series {
                label: format!("{}: rows with ‖W_i‖ > 1", groups.label(&e.group)),
                hover: strong
                    .iter()
                    .map(|(r, (_, v))| {
                        run_text(r, groups.model, &format!("MSO(‖W_i‖ > 1) = {}", number(*v)))
                    })
                    .collect(),
                points: strong.into_iter().map(|(_, p)| p).collect(),
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
            ..Series::default()
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

/// The row norms of each group's widest run (its first replicate), one outline per group.
fn norm_figure(
    results: &[RunResult],
    exponents: &[WidthExponent],
    groups: &Groups,
) -> Result<String> {
    let mut samples = Vec::new();
    for e in exponents {
        let widest = results
            .iter()
            .filter(|r| in_group(r, &e.group) && r.geometry.is_some())
            .max_by(|a, b| {
                width_of(a)
                    .total_cmp(&width_of(b))
                    .then(b.point.replicate.cmp(&a.point.replicate))
            });
        if let Some(run) = widest {
            let norms = run
                .geometry
                .as_ref()
                .map(|g| g.row_norms.clone())
                .unwrap_or_default();
            samples.push((
                format!("{}, m = {}", groups.label(&e.group), width_of(run)),
                norms,
                groups.color(&e.group),
            ));
        }
    }
    let colored: Vec<(String, Vec<f64>)> = samples
        .iter()
        .map(|(l, v, _)| (l.clone(), v.clone()))
        .collect();
    let colors: Vec<usize> = samples.iter().map(|s| s.2).collect();
    histogram(
        "Row norms ‖W_i‖ at the largest width",
        "‖W_i‖",
        &colored,
        &colors,
        60,
    )
}

/// φ½ (the fraction of rows with ‖W_i‖ > 1/2) against γ, one line per width (C1).
fn represented_figure(results: &[RunResult], groups: &Groups) -> Result<String> {
    let mut widths: Vec<usize> = results.iter().map(|r| r.point.spec.model.width()).collect();
    widths.sort_unstable();
    widths.dedup();
    let gamma = |r: &RunResult| match &r.point.spec.model {
        ModelSpec::SuperpositionScaling(s) => s.weight_decay,
        ModelSpec::Anthropic(s) => s.weight_decay,
    };
    let mut series = Vec::new();
    for (k, m) in widths.iter().enumerate() {
        let mut members: Vec<&RunResult> = results
            .iter()
            .filter(|r| r.point.spec.model.width() == *m && r.geometry.is_some())
            .collect();
        members.sort_by(|a, b| gamma(a).total_cmp(&gamma(b)));
        let points: Vec<(f64, f64)> = members
            .iter()
            .filter_map(|r| r.geometry.as_ref().map(|g| (gamma(r), g.phi_half)))
            .collect();
        let hover = members
            .iter()
            .filter_map(|r| {
                r.geometry
                    .as_ref()
                    .map(|g| run_text(r, groups.model, &format!("φ½ = {}", number(g.phi_half))))
            })
            .collect();
        series.push(Series {
            label: format!("m = {m}"),
            points,
            style: Style::Line,
            color: groups.extra_color(k),
            hover,
        });
    }
    xy_chart(
        "Represented fraction φ½ vs signed weight decay γ",
        "signed weight decay γ (< 0: strong, > 0: weak superposition)",
        "φ½ = fraction of rows with ‖W_i‖ > 1/2",
        Scale::Linear,
        &series,
    )
}

/// The q-quantile of sorted `values` (linear interpolation between order statistics).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let position = q * (sorted.len() - 1) as f64;
    let (below, above) = (position.floor() as usize, position.ceil() as usize);
    sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64)
}

/// The median and the 10 % and 90 % quantiles of the runs' curves at each recorded step.
fn curve_summary(runs: &[&RunResult]) -> [Vec<(f64, f64)>; 3] {
    let mut at: std::collections::BTreeMap<u64, Vec<f64>> = Default::default();
    for r in runs {
        for &(step, loss) in &r.curve {
            if loss.is_finite() {
                at.entry(step).or_default().push(loss);
            }
        }
    }
    let mut out = [Vec::new(), Vec::new(), Vec::new()];
    for (step, mut losses) in at {
        losses.sort_by(f64::total_cmp);
        let x = step as f64 + 1.0;
        for (k, q) in [0.5, 0.1, 0.9].into_iter().enumerate() {
            out[k].push((x, quantile(&losses, q)));
        }
    }
    out
}

fn curve_points(r: &RunResult) -> Vec<(f64, f64)> {
    r.curve
        .iter()
        .map(|&(step, loss)| (step as f64 + 1.0, loss))
        .collect()
}

/// Hover text on the last point only.
fn at_end(points: &[(f64, f64)], text: String) -> Vec<String> {
    let mut hover = vec![String::new(); points.len()];
    if let Some(last) = hover.last_mut() {
        *last = text;
    }
    hover
}

/// The training loss curves: per group (colour) one line per sweep point, the median over
/// its replicates with their 10–90 % band when there are three or more; with more groups
/// than colours, the median and band of all runs.
fn curve_figure(results: &[RunResult], groups: &Groups) -> Result<String> {
    let done: Vec<&RunResult> = results
        .iter()
        .filter(|r| r.status == RunStatus::Done)
        .collect();
    let mut series = Vec::new();
    let mut band_labelled = false;
    let thin = done.len() <= MAX_THIN_LINES;
    let mut summarise = |members: &[&RunResult],
                         label: String,
                         color: usize,
                         what: String,
                         series: &mut Vec<Series>| {
        if members.len() == 1 {
            let points = curve_points(members[0]);
            series.push(Series {
                label,
                hover: at_end(&points, run_text(members[0], groups.model, "")),
                points,
                style: Style::Line,
                color,
            });
            return;
        }
        let [median, low, high] = curve_summary(members);
        if members.len() >= 3 {
            series.push(Series {
                label: if band_labelled {
                    String::new()
                } else {
                    "10–90 % of the replicates (shaded)".into()
                },
                points: band(&low, &high),
                style: Style::Band,
                color,
                ..Series::default()
            });
            band_labelled = true;
        }
        if thin {
            for r in members {
                let points = curve_points(r);
                series.push(Series {
                    hover: at_end(&points, run_text(r, groups.model, "")),
                    points,
                    style: Style::Thin,
                    color,
                    ..Series::default()
                });
            }
        }
        series.push(Series {
            label,
            hover: at_end(&median, format!("{what}: median of {} runs", members.len())),
            points: median,
            style: Style::Line,
            color,
        });
    };
    if groups.groups.len() <= MAX_GROUPS {
        for (key, members) in &groups.groups {
            let mut points: Vec<(&str, Vec<&RunResult>)> = Vec::new();
            for r in members.iter().filter(|r| r.status == RunStatus::Done) {
                match points.iter_mut().find(|(id, _)| *id == r.point.run_id) {
                    Some((_, runs)) => runs.push(r),
                    None => points.push((&r.point.run_id, vec![r])),
                }
            }
            for (k, (_, runs)) in points.iter().enumerate() {
                let label = if k == 0 {
                    groups.label(key)
                } else {
                    String::new()
                };
                let what = notation::group(&runs[0].point.axes, groups.model);
                summarise(runs, label, groups.color(key), what, &mut series);
            }
        }
    } else {
        let label = format!("median of all {} runs", done.len());
        summarise(&done, label, 0, "all runs".into(), &mut series);
    }
    xy_chart(
        "Training loss curves (batch loss at log-spaced steps)",
        "step",
        "L = n·MSE (batch)",
        Scale::LogLog,
        &series,
    )
}

fn exponent_table(exponents: &[WidthExponent], groups: &Groups) -> Table {
    let rows = exponents
        .iter()
        .map(|e| {
            let mut row = vec![groups.label(&e.group)];
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
    let mut header: Vec<String> = ["group", "α_m ± SE", "R²", "points", "diverged"]
        .map(String::from)
        .to_vec();
    if let Some(e) = exponents.first() {
        header[0] = notation::group_header(&e.group, groups.model);
    }
    Table { header, rows }
}

pub(super) fn fmt(value: Option<f64>, digits: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "–".into(),
    }
}

fn result_table(results: &[RunResult], model: &ModelSpec) -> Table {
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
                notation::group(&r.point.axes, model),
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

/// The toy-model sections of a study's report: the figures of its design ([`Plan`]).
pub(crate) fn sections(experiment: &Experiment, analysis: &ToyAnalysis) -> Result<Vec<Section>> {
    let results = &analysis.results;
    let exponents = &analysis.exponents;
    let plan = Plan::of(experiment);
    let Some(model) = experiment.points.first().map(|p| &p.spec.model) else {
        return Ok(Vec::new());
    };
    let groups = Groups::of(results, model);
    let diverged = results
        .iter()
        .filter(|r| matches!(r.status, RunStatus::Diverged { .. }))
        .count();
    let mut overview = Section::new("Overview");
    overview.push(Block::Note(format!(
        "{} runs ({diverged} diverged). Losses are the paper's L = n·MSE: the squared error summed over \
         features and averaged over samples (Liu, Liu & Gore 2025; importance-weighted for the Anthropic variant). \
         α_m is the OLS slope of ln L(held-out) on ln m with its standard error and R² (the paper's protocol); \
         the held-out loss is measured on fresh samples after training. MSO is the mean squared overlap (Ŵ_i·Ŵ_j)² \
         of normalised rows. Hover over a point for its run.",
        results.len()
    )));
    overview.push(Block::Declares(
        plan.figures.iter().map(|f| f.to_string()).collect(),
    ));
    let mut sections = vec![overview];
    if plan.width_sweep && !exponents.is_empty() {
        sections.push(
            Section::new("Model exponents").with(Block::Table(exponent_table(exponents, &groups))),
        );
    }
    let mut figures = Section::new("Figures");
    let mut tms_drawn = false;
    for &name in &plan.figures {
        match name {
            plan::LOSS_VS_WIDTH => figures.figure(name, loss_figure(results, exponents, &groups)?),
            plan::OVERLAP_VS_WIDTH => {
                figures.figure(name, overlap_figure(results, exponents, &groups)?)
            }
            plan::ROW_NORMS => figures.figure(name, norm_figure(results, exponents, &groups)?),
            plan::REPRESENTED_FRACTION => {
                figures.figure(name, represented_figure(results, &groups)?)
            }
            plan::FEATURES_PER_DIMENSION => {
                let map = super::sweep_map::figure(results, model);
                if map.is_empty() {
                    figures.push(Block::Note(
                        "The features-per-dimension map needs one finished run with its \
                         measurements per cell."
                            .into(),
                    ));
                } else {
                    figures.figure(name, map);
                }
            }
            plan::LOSS_CURVES => figures.figure(name, curve_figure(results, &groups)?),
            plan::LLC_VS_WIDTH => figures.figure(
                name,
                super::llc::lambda_vs_width(results, exponents, &groups)?,
            ),
            plan::REGIONS_VS_WIDTH => figures.figure(
                name,
                super::llc::regions_vs_width(results, exponents, &groups)?,
            ),
            plan::LLC_ALONG_TRAINING => {
                figures.figure(name, super::llc::lambda_along_training(&groups)?)
            }
            plan::REGIONS_ALONG_TRAINING => {
                figures.figure(name, super::llc::regions_along_training(&groups)?)
            }
            _ if !tms_drawn => {
                tms_drawn = true;
                figures.blocks.extend(super::tms::figures(results, &plan)?);
            }
            _ => {}
        }
    }
    sections.push(figures);
    if let Some(section) = super::llc::section(results, model) {
        sections.push(section);
    }
    sections.push(Section::new("Runs").with(Block::Table(result_table(results, model))));
    Ok(sections)
}
