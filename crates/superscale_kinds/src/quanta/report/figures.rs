//! The figures of a quanta study, drawn with the presentation layer: the aggregate loss
//! against steps and parameters, the task × step heat map of one run, learning step against
//! frequency, and forecast against outcome.

use crate::quanta::analysis::{QuantaRun, StudyAnalysis};
use crate::quanta::emergence::LEARNED_BELOW_BITS;
use crate::quanta::forecast::{Backtest, Verdict};
use plotters::prelude::*;
use superscale_report::chart::{
    self as chart, figure, log_log_axes, midpoint_edges, xy_chart, HeatMap, Scale, Series, Style,
    SIZE,
};
use superscale_report::palette::{color, shade, REFERENCE};
use superscale_report::Result;

/// The distinct values of `values`, in order of first appearance.
pub(super) fn distinct<T: PartialEq + Copy>(values: impl Iterator<Item = T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for value in values {
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

/// The palette index of a run: its Zipf exponent's position among the study's.
fn group_color(alphas: &[f64], alpha: f64) -> usize {
    alphas.iter().position(|&a| a == alpha).unwrap_or(0)
}

fn log_mean(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    points
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.0.ln() / n, b + p.1.ln() / n))
}

/// Aggregate test loss vs steps for every run (log-log, coloured by Zipf exponent), with
/// each α_S fit drawn through the group's widest run at the middle of its schedule.
pub(super) fn aggregate_curves(
    runs: &[QuantaRun],
    analysis: &StudyAnalysis,
    window: [f64; 2],
) -> Result<String> {
    let alphas = distinct(runs.iter().map(|r| r.plan.task.alpha));
    let mut series = Vec::new();
    let mut labelled = Vec::new();
    for run in runs {
        let alpha = run.plan.task.alpha;
        let label = if labelled.contains(&alpha) {
            String::new()
        } else {
            labelled.push(alpha);
            let count = runs.iter().filter(|r| r.plan.task.alpha == alpha).count();
            format!("alpha {alpha}: {count} runs")
        };
        series.push(Series {
            hover: Vec::new(),
            label,
            points: run
                .result
                .eval_steps
                .iter()
                .zip(&run.result.test_loss_bits)
                .map(|(&s, &l)| (s as f64, l))
                .collect(),
            style: Style::Line,
            color: group_color(&alphas, alpha),
        });
    }
    for row in analysis
        .exponents
        .iter()
        .filter(|r| r.estimate.name == "alpha_S")
    {
        let e = &row.estimate;
        let Some(run) = runs
            .iter()
            .filter(|r| r.plan.task.alpha == row.alpha)
            .max_by_key(|r| r.plan.train.width)
        else {
            continue;
        };
        let steps = &run.result.eval_steps;
        let middle = steps.len() / 2;
        let (sm, lm) = (
            steps[middle].max(1) as f64,
            run.result.test_loss_bits[middle],
        );
        // Drawn over the steps the fit used (the analysis' window).
        let total = run.plan.train.steps as f64;
        let last = steps.last().copied().unwrap_or(1).max(1) as f64;
        let from = (window[0] * total).max(1.0).min(last);
        let to = (window[1] * total).clamp(from, last);
        series.push(Series {
            hover: Vec::new(),
            label: format!(
                "alpha {}: α_S = {:.3} (theory {:.3})",
                row.alpha, e.exponent, e.theory
            ),
            points: [from, to]
                .map(|x| (x, lm * (x / sm).powf(-e.exponent)))
                .to_vec(),
            style: Style::Reference,
            color: 0,
        });
    }
    xy_chart(
        "Aggregate test loss vs steps (power law: α_S)",
        "step",
        "test loss (bits)",
        Scale::LogLog,
        &series,
    )
}

/// Final loss vs parameters with each α_N fit, when the study sweeps width (None otherwise).
pub(super) fn parameter_curve(
    runs: &[QuantaRun],
    analysis: &StudyAnalysis,
) -> Result<Option<String>> {
    let alphas = distinct(runs.iter().map(|r| r.plan.task.alpha));
    let mut series = Vec::new();
    for row in analysis
        .exponents
        .iter()
        .filter(|r| r.estimate.name == "alpha_N")
    {
        let color = group_color(&alphas, row.alpha);
        let group: Vec<(f64, f64)> = runs
            .iter()
            .filter(|r| r.plan.task.alpha == row.alpha && r.result.diverged_at.is_none())
            .map(|r| (r.result.n_params as f64, r.result.final_test_loss_bits()))
            .collect();
        let (lo, hi) = group.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(p.0), hi.max(p.0))
        });
        let (mx, my) = log_mean(&group);
        let e = &row.estimate;
        series.push(Series {
            hover: Vec::new(),
            label: format!(
                "alpha {}: α_N = {:.3} [{:.3}, {:.3}], theory {:.3}",
                row.alpha, e.exponent, e.lower, e.upper, e.theory
            ),
            points: group,
            style: Style::Points,
            color,
        });
        series.push(Series {
            hover: Vec::new(),
            label: String::new(),
            points: [lo, hi]
                .map(|x| (x, (my - e.exponent * (x.ln() - mx)).exp()))
                .to_vec(),
            style: Style::Line,
            color,
        });
    }
    if series.is_empty() {
        return Ok(None);
    }
    xy_chart(
        "Final test loss vs parameters (α_N)",
        "parameters P",
        "test loss (bits)",
        Scale::LogLog,
        &series,
    )
    .map(Some)
}

/// Task × step heat map of one run's per-task loss: white where a task is learned (0 bits),
/// dark at chance (1 bit and above).
pub(super) fn heat_map(run: &QuantaRun) -> Result<Option<String>> {
    let r = &run.result;
    let n_tasks = r.task_loss_bits.first().map_or(0, Vec::len);
    let steps: Vec<f64> = r
        .eval_steps
        .iter()
        .map(|&s| (s.max(1) as f64).log10())
        .collect();
    if n_tasks == 0 || steps.len() < 2 {
        return Ok(None);
    }
    let title = format!(
        "Per-task loss (bits), run {} (width {})",
        run.id, run.plan.train.width
    );
    // Each evaluation's column runs from the previous midpoint to the next; the first starts
    // at step 1 (log 0) and the last ends at the last evaluation.
    let mut column_edges = midpoint_edges(&steps);
    column_edges[0] = 0.0;
    column_edges[steps.len()] = steps[steps.len() - 1].max(1e-9);
    let map = HeatMap {
        title: &title,
        x_label: "log10 step",
        y_label: "task (0 = most frequent)",
        column_edges,
        row_edges: (0..=n_tasks).map(|t| t as f64).collect(),
    };
    chart::heat_map(&map, |evaluation, task| {
        shade(r.task_loss_bits[evaluation][task])
    })
    .map(Some)
}

/// Learning step vs frequency over every run (log-log) with a slope −1 line through the
/// points' mean (the quanta model's order, `docs/science/quanta.md` §2.3).
pub(super) fn learning_times(analysis: &StudyAnalysis) -> Result<String> {
    let points: Vec<(f64, f64)> = analysis
        .emergence
        .iter()
        .flat_map(|run| {
            run.tasks
                .iter()
                .filter_map(|t| t.learning_step.map(|s| (t.frequency, s.max(1) as f64)))
        })
        .collect();
    let mut series = vec![Series {
        hover: Vec::new(),
        label: "learned subtasks".into(),
        points: points.clone(),
        style: Style::Points,
        color: 0,
    }];
    if !points.is_empty() {
        let (mx, my) = log_mean(&points);
        let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(p.0), hi.max(p.0))
        });
        series.push(Series {
            hover: Vec::new(),
            label: "slope −1 (theory)".into(),
            points: [lo, hi].map(|x| (x, (my - (x.ln() - mx)).exp())).to_vec(),
            style: Style::Reference,
            color: 0,
        });
    }
    xy_chart(
        &format!("Steps to < {LEARNED_BELOW_BITS} bits vs subtask frequency"),
        "frequency p_t",
        "learning step",
        Scale::LogLog,
        &series,
    )
}

/// Predicted crossing (frequency law, 95 % interval as a bar) against the observed one for
/// every judged task of a backtest: green inside the interval, vermillion outside.
pub(super) fn forecast_outcome(backtest: &Backtest) -> Result<Option<String>> {
    let judged: Vec<(f64, f64, f64, f64, bool)> = backtest
        .tasks
        .iter()
        .filter_map(|t| {
            let law = t.frequency_law?;
            let observed = t.observed_crossing?;
            (t.verdict != Verdict::KnownAtCutoff).then_some((
                observed,
                law.predicted,
                law.lower,
                law.upper,
                t.verdict.forecastable(),
            ))
        })
        .collect();
    let usable = |v: f64| v.is_finite() && v > 0.0;
    let values: Vec<f64> = judged
        .iter()
        .flat_map(|j| [j.0, j.1, j.2, j.3])
        .filter(|&v| usable(v))
        .collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if values.is_empty() || lo >= hi {
        return Ok(None);
    }
    let (lo, hi) = (lo / 1.3, hi * 1.3);
    let clip = |v: f64| if usable(v) { v.clamp(lo, hi) } else { lo };
    let title = format!(
        "Forecast vs outcome: crossing in {} (fit ≤ {})",
        backtest.axis, backtest.cutoff
    );
    figure(SIZE, &title, |root| {
        let mut chart = log_log_axes(
            root,
            &title,
            (lo, hi),
            (lo, hi),
            "observed crossing",
            "predicted (95% interval)",
        )?;
        chart
            .draw_series(LineSeries::new([(lo, lo), (hi, hi)], REFERENCE))
            .map_err(|e| e.to_string())?;
        for &(observed, predicted, lower, upper, hit) in &judged {
            let c = if hit { color(2) } else { color(1) };
            chart
                .draw_series([PathElement::new(
                    vec![(observed, clip(lower)), (observed, clip(upper))],
                    c,
                )])
                .map_err(|e| e.to_string())?;
            chart
                .draw_series([Circle::new((observed, clip(predicted)), 4, c.filled())])
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
    .map(Some)
}
