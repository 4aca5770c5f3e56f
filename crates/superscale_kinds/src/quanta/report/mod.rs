//! The self-contained `report.html` of a quanta study: inline SVG figures (plotters) and
//! the tables of exponents, emergence and forecasts.

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::fmt::Write as _;
use superscale_quanta::{FinishedRun, StudyAnalysis, StudySpec, Verdict, LEARNED_BELOW_BITS};

const SIZE: (u32, u32) = (640, 420);
const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(23, 190, 207),
];
const GREY: RGBColor = RGBColor(120, 120, 120);

fn fail(err: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing the quanta report failed: {err}")
}

fn bounds(points: impl Iterator<Item = (f64, f64)>) -> Option<(f64, f64, f64, f64)> {
    let mut b: Option<(f64, f64, f64, f64)> = None;
    for (x, y) in points.filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0) {
        b = Some(match b {
            None => (x, x, y, y),
            Some((x0, x1, y0, y1)) => (x0.min(x), x1.max(x), y0.min(y), y1.max(y)),
        });
    }
    b.map(|(x0, x1, y0, y1)| (x0 / 1.2, x1 * 1.2, y0 / 1.3, y1 * 1.3))
}

/// Aggregate test loss vs steps for every run (log-log), with each exponent's fitted line.
fn aggregate_curves(runs: &[FinishedRun], analysis: &StudyAnalysis) -> Result<String> {
    let mut svg = String::new();
    let points = runs.iter().flat_map(|r| {
        r.result
            .eval_steps
            .iter()
            .zip(&r.result.test_loss_bits)
            .map(|(&s, &l)| (s as f64, l))
    });
    let Some((x0, x1, y0, y1)) = bounds(points) else {
        return Ok(svg);
    };
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "aggregate test loss vs steps (power law: α_S)",
                ("sans-serif", 15),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("test loss (bits)")
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(fail)?;
        for (index, run) in runs.iter().enumerate() {
            let colour = PALETTE[index % PALETTE.len()];
            let line: Vec<(f64, f64)> = run
                .result
                .eval_steps
                .iter()
                .zip(&run.result.test_loss_bits)
                .filter(|(&s, _)| s > 0)
                .map(|(&s, &l)| (s as f64, l))
                .collect();
            chart
                .draw_series(LineSeries::new(line, colour.stroke_width(2)))
                .map_err(fail)?
                .label(format!(
                    "w {} D {:?} α {}",
                    run.plan.train.width, run.plan.train.data, run.plan.task.alpha
                ))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        for row in analysis
            .exponents
            .iter()
            .filter(|r| r.estimate.name == "alpha_S")
        {
            // Draw the fitted slope through the group's widest run at the window's middle.
            let e = &row.estimate;
            let Some(run) = runs
                .iter()
                .filter(|r| r.plan.task.alpha == row.alpha)
                .max_by_key(|r| r.plan.train.width)
            else {
                continue;
            };
            let middle = run.result.eval_steps.len() / 2;
            let (sm, lm) = (
                run.result.eval_steps[middle].max(1) as f64,
                run.result.test_loss_bits[middle],
            );
            let line = [x0, x1].map(|x| (x, lm * (x / sm).powf(-e.exponent)));
            chart
                .draw_series(LineSeries::new(line, GREY.stroke_width(1)))
                .map_err(fail)?
                .label(format!("α_S = {:.3} (theory {:.3})", e.exponent, e.theory))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREY));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// Final loss vs parameters (α_N) when the study sweeps width.
fn parameter_curve(runs: &[FinishedRun], analysis: &StudyAnalysis) -> Result<String> {
    let mut svg = String::new();
    let rows: Vec<_> = analysis
        .exponents
        .iter()
        .filter(|r| r.estimate.name == "alpha_N")
        .collect();
    if rows.is_empty() {
        return Ok(svg);
    }
    let points: Vec<(f64, f64, f64)> = runs
        .iter()
        .map(|r| {
            (
                r.result.n_params as f64,
                r.result.final_test_loss_bits(),
                r.plan.task.alpha,
            )
        })
        .collect();
    let Some((x0, x1, y0, y1)) = bounds(points.iter().map(|p| (p.0, p.1))) else {
        return Ok(svg);
    };
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("final test loss vs parameters (α_N)", ("sans-serif", 15))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("parameters P")
            .y_desc("test loss (bits)")
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(fail)?;
        for (index, row) in rows.iter().enumerate() {
            let colour = PALETTE[index % PALETTE.len()];
            let group: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| p.2 == row.alpha)
                .map(|p| (p.0, p.1))
                .collect();
            chart
                .draw_series(group.iter().map(|&p| Circle::new(p, 4, colour.filled())))
                .map_err(fail)?;
            let n = group.len() as f64;
            let (mx, my) = group
                .iter()
                .fold((0.0, 0.0), |(a, b), p| (a + p.0.ln() / n, b + p.1.ln() / n));
            let e = &row.estimate;
            let line = [x0, x1].map(|x| (x, (my - e.exponent * (x.ln() - mx)).exp()));
            chart
                .draw_series(LineSeries::new(line, colour.stroke_width(1)))
                .map_err(fail)?
                .label(format!(
                    "alpha {}: α_N = {:.3} [{:.3}, {:.3}], theory {:.3}",
                    row.alpha, e.exponent, e.lower, e.upper, e.theory
                ))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// Task × step heat map of one run's per-task loss (white = learned, dark = chance).
fn heat_map(run: &FinishedRun) -> Result<String> {
    let mut svg = String::new();
    let r = &run.result;
    let n_tasks = r.task_loss_bits.first().map_or(0, Vec::len);
    let steps: Vec<f64> = r
        .eval_steps
        .iter()
        .map(|&s| (s.max(1) as f64).log10())
        .collect();
    if n_tasks == 0 || steps.len() < 2 {
        return Ok(svg);
    }
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let top = steps[steps.len() - 1];
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "per-task loss (bits), run {} (width {})",
                    run.id, run.plan.train.width
                ),
                ("sans-serif", 15),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..top, (n_tasks as f64)..0.0)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("log10 step")
            .y_desc("task (0 = most frequent)")
            .disable_mesh()
            .draw()
            .map_err(fail)?;
        let cells = (0..steps.len()).flat_map(|e| (0..n_tasks).map(move |t| (e, t)));
        chart
            .draw_series(cells.map(|(e, t)| {
                let left = if e == 0 {
                    0.0
                } else {
                    (steps[e - 1] + steps[e]) / 2.0
                };
                let right = if e + 1 == steps.len() {
                    top
                } else {
                    (steps[e] + steps[e + 1]) / 2.0
                };
                let shade = (r.task_loss_bits[e][t].clamp(0.0, 1.0) * 220.0) as u8;
                let colour = RGBColor(255 - shade, 255 - shade, 255 - shade / 3);
                Rectangle::new([(left, t as f64), (right, t as f64 + 1.0)], colour.filled())
            }))
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// Learning step vs frequency over every run (log-log) with the −1 reference line.
fn learning_times(analysis: &StudyAnalysis) -> Result<String> {
    let mut svg = String::new();
    let points: Vec<(f64, f64)> = analysis
        .emergence
        .iter()
        .flat_map(|run| {
            run.tasks
                .iter()
                .filter_map(|t| t.learning_step.map(|s| (t.frequency, s.max(1) as f64)))
        })
        .collect();
    let Some((x0, x1, y0, y1)) = bounds(points.iter().copied()) else {
        return Ok(svg);
    };
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("steps to < {LEARNED_BELOW_BITS} bits vs subtask frequency"),
                ("sans-serif", 15),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("frequency p_t")
            .y_desc("learning step")
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Circle::new(p, 3, PALETTE[0].filled())),
            )
            .map_err(fail)?
            .label("learned subtasks")
            .legend(|(x, y)| Circle::new((x + 8, y), 3, PALETTE[0].filled()));
        let n = points.len() as f64;
        let (mx, my) = points
            .iter()
            .fold((0.0, 0.0), |(a, b), p| (a + p.0.ln() / n, b + p.1.ln() / n));
        let reference = [x0, x1].map(|x| (x, (my - (x.ln() - mx)).exp()));
        chart
            .draw_series(LineSeries::new(reference, GREY.stroke_width(1)))
            .map_err(fail)?
            .label("slope −1 (theory)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREY));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// Predicted (frequency law, 95 % interval) vs observed crossing of every judged task.
fn forecast_plot(analysis: &StudyAnalysis) -> Result<String> {
    let mut svg = String::new();
    let Some(backtest) = analysis.backtests.first() else {
        return Ok(svg);
    };
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
    let Some((x0, x1, y0, y1)) = bounds(
        judged
            .iter()
            .flat_map(|j| [(j.0, j.1), (j.0, j.2), (j.0, j.3)]),
    ) else {
        return Ok(svg);
    };
    let (lo, hi) = (x0.min(y0), x1.max(y1));
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "forecast vs outcome: crossing {} (fit ≤ {})",
                    backtest.axis, backtest.cutoff
                ),
                ("sans-serif", 15),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((lo..hi).log_scale(), (lo..hi).log_scale())
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("observed crossing")
            .y_desc("predicted (95% interval)")
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new([(lo, lo), (hi, hi)], GREY))
            .map_err(fail)?;
        for &(observed, predicted, lower, upper, hit) in &judged {
            let colour = if hit { PALETTE[2] } else { PALETTE[1] };
            chart
                .draw_series([PathElement::new(
                    vec![(observed, lower), (observed, upper)],
                    colour,
                )])
                .map_err(fail)?;
            chart
                .draw_series([Circle::new((observed, predicted), 4, colour.filled())])
                .map_err(fail)?;
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The whole page.
pub fn html(spec: &StudySpec, runs: &[FinishedRun], analysis: &StudyAnalysis) -> Result<String> {
    let mut page = String::new();
    writeln!(page, "<!doctype html><html><head><meta charset=\"utf-8\"><title>{0} — quanta</title><style>body{{font-family:sans-serif;max-width:1000px;margin:auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}</style></head><body><h1>{0}</h1>", escape(&spec.name))?;
    writeln!(page, "<p>Multitask sparse parity (Michaud et al. 2023; docs/science/quanta.md): {} tasks, n = {}, k = {}, code alpha = {} (paper α = alpha − 1). {} runs. Theory: α_N = α, α_S = α_D = α/(α+1).</p>", spec.task.n_tasks, spec.task.n_bits, spec.task.k, spec.task.alpha, runs.len())?;
    writeln!(page, "<h2>Exponents</h2><table><tr><th>alpha</th><th>exponent</th><th>value ± SE</th><th>95% bootstrap CI</th><th>R²</th><th>points</th><th>theory</th></tr>")?;
    for row in &analysis.exponents {
        let e = &row.estimate;
        writeln!(page, "<tr><td>{}</td><td>{}</td><td>{:.3} ± {:.3}</td><td>[{:.3}, {:.3}]</td><td>{:.3}</td><td>{}</td><td>{:.3}</td></tr>", row.alpha, e.name, e.exponent, e.standard_error, e.lower, e.upper, e.r_squared, e.n_points, e.theory)?;
    }
    writeln!(page, "</table>")?;
    for svg in [
        aggregate_curves(runs, analysis)?,
        parameter_curve(runs, analysis)?,
    ] {
        page.push_str(&svg);
    }
    writeln!(page, "<h2>Emergence</h2><table><tr><th>run</th><th>width</th><th>D</th><th>alpha</th><th>learned</th><th>single-drop</th><th>slope ln t vs ln p ± SE</th></tr>")?;
    for (run, emergence) in runs.iter().zip(&analysis.emergence) {
        let (single, slope) =
            emergence
                .summary
                .as_ref()
                .map_or(("–".into(), "–".into()), |s| {
                    (
                        format!("{}/{}", s.n_single_drop, s.n_learned),
                        format!("{:.3} ± {:.3}", s.slope, s.slope_se),
                    )
                });
        let learned = emergence
            .tasks
            .iter()
            .filter(|t| t.learning_step.is_some())
            .count();
        writeln!(page, "<tr><td>{}</td><td>{}</td><td>{:?}</td><td>{}</td><td>{learned}</td><td>{single}</td><td>{slope}</td></tr>", run.id, run.plan.train.width, run.plan.train.data, run.plan.task.alpha)?;
    }
    writeln!(page, "</table>")?;
    if let Some(widest) = runs.iter().max_by_key(|r| r.plan.train.width) {
        page.push_str(&heat_map(widest)?);
    }
    page.push_str(&learning_times(analysis)?);
    writeln!(page, "<h2>Forecasts</h2><p>A jump is forecastable when, fitted on the scales up to the cutoff, the frequency law ln(crossing) = a + b ln p_t puts the observed crossing inside its 95% prediction interval (docs/quanta.md). 'own curve' is the crossing a power law through the task's own losses predicts (none: flat at chance).</p>")?;
    for backtest in &analysis.backtests {
        let (hits, judged) = backtest.forecastable_count();
        writeln!(page, "<h3>{}, {} (fit ≤ {}): {hits}/{judged} jumps forecastable; aggregate exponent {:?}, law slope {:?}</h3>", backtest.group, backtest.axis, backtest.cutoff, backtest.aggregate_exponent.map(|v| (v * 1000.0).round() / 1000.0), backtest.frequency_law_slope.map(|v| (v * 1000.0).round() / 1000.0))?;
        writeln!(page, "<table><tr><th>scale</th><th>observed loss</th><th>power law [95%]</th><th>BNSL [95%]</th></tr>")?;
        for a in &backtest.aggregate {
            let power = a.power_law.map_or("–".into(), |p| {
                format!("{:.4} [{:.4}, {:.4}]", p.predicted, p.lower, p.upper)
            });
            writeln!(
                page,
                "<tr><td>{:.0}</td><td>{:.4}</td><td>{power}</td><td>{}</td></tr>",
                a.scale,
                a.observed,
                a.broken_power_law.map_or("–".into(), |b| format!(
                    "{:.4} [{:.4}, {:.4}]",
                    b.predicted, b.lower, b.upper
                ))
            )?;
        }
        writeln!(page, "</table>")?;
        page.push_str(&super::aggregate_plot::aggregate_forecast(backtest)?);
        writeln!(page, "<table><tr><th>task</th><th>p</th><th>observed crossing</th><th>law [95%]</th><th>own curve</th><th>verdict</th></tr>")?;
        for t in backtest
            .tasks
            .iter()
            .filter(|t| t.verdict != Verdict::KnownAtCutoff)
        {
            let law = t.frequency_law.map_or("–".into(), |l| {
                format!("{:.0} [{:.0}, {:.0}]", l.predicted, l.lower, l.upper)
            });
            writeln!(page, "<tr><td>{}</td><td>{:.4}</td><td>{}</td><td>{law}</td><td>{}</td><td>{:?}</td></tr>", t.task, t.frequency, t.observed_crossing.map_or("never".into(), |c| format!("{c:.0}")), t.own_curve.map_or("none".into(), |c| format!("{c:.0}")), t.verdict)?;
        }
        writeln!(page, "</table>")?;
    }
    page.push_str(&forecast_plot(analysis)?);
    writeln!(
        page,
        "<h2>Spec</h2><pre>{}</pre></body></html>",
        escape(&toml::to_string(spec).unwrap_or_default())
    )?;
    Ok(page)
}
