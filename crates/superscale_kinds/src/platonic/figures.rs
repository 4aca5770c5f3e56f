//! The figures of a Platonic study, drawn in the report's frame and palette: alignment vs
//! the swept variable with CI bands, null and chance lines, and the competence–alignment
//! scatter with its fitted line.

use super::analysis::{PlatonicAnalysis, Summary};
use super::pairs::Comparison;
use super::spec::{Condition, Hypothesis};
use plotters::prelude::*;
use superscale_report::chart::{figure, tick, CAPTION_FONT};
use superscale_report::palette::{color, GRID, REFERENCE};
use superscale_report::Result;

/// Width of one panel; a figure has one panel per metric.
const PANEL_WIDTH: u32 = 430;

/// x positions: log2 of T or width; for weight decay log10 with 0 placed one decade left.
fn x_of(hypothesis: Hypothesis, value: f64, smallest_positive: f64) -> f64 {
    match hypothesis {
        Hypothesis::Multitask | Hypothesis::Capacity => value.log2(),
        Hypothesis::Simplicity if value > 0.0 => value.log10(),
        Hypothesis::Simplicity => smallest_positive.log10() - 1.0,
    }
}

fn fail(err: impl std::fmt::Display) -> String {
    err.to_string()
}

/// Score vs the swept variable, one panel per metric: a line per comparison (the control
/// dashed), the seed-bootstrap CI as a band, the permutation-null mean dotted grey and, for
/// mutual k-NN, the chance level k/(n−1) solid grey.
pub fn study_svg(result: &PlatonicAnalysis) -> Result<String> {
    let metrics = &result.metrics;
    let hypothesis = result.hypothesis;
    let smallest = result
        .cells
        .iter()
        .map(|c| c.value)
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let smallest = if smallest.is_finite() { smallest } else { 1.0 };
    let xs: Vec<f64> = result
        .cells
        .iter()
        .map(|c| x_of(hypothesis, c.value, smallest))
        .collect();
    let (x0, x1) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let (x0, x1) = if x1 > x0 {
        (x0 - 0.3, x1 + 0.3)
    } else {
        (x0 - 1.0, x1 + 1.0)
    };
    let title = format!("Alignment vs {}", hypothesis.variable());
    let size = (PANEL_WIDTH * metrics.len().max(1) as u32, 400);
    figure(size, &title, |root| {
        let panels = root.split_evenly((1, metrics.len().max(1)));
        for (panel, &metric) in panels.iter().zip(metrics) {
            let rows: Vec<&Summary> = result
                .summaries
                .iter()
                .filter(|s| s.metric == metric)
                .collect();
            let high = rows
                .iter()
                .map(|s| s.score.high.max(s.score.mean))
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max);
            let low = rows
                .iter()
                .map(|s| s.score.low.min(s.null_mean))
                .filter(|v| v.is_finite())
                .fold(0.0, f64::min);
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!("{} vs {}", metric.name(), hypothesis.variable()),
                    CAPTION_FONT,
                )
                .margin(10)
                .x_label_area_size(34)
                .y_label_area_size(48)
                .build_cartesian_2d(x0..x1, low..(high * 1.08).max(low + 1e-3))
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_desc(match hypothesis {
                    Hypothesis::Simplicity => "log10 weight decay (leftmost: 0)",
                    Hypothesis::Multitask => "log2 tasks T",
                    Hypothesis::Capacity => "log2 width",
                })
                .y_desc("mean over pairs (95% CI over seeds)")
                .x_label_formatter(&|v| tick(*v, false))
                .y_label_formatter(&|v| tick(*v, false))
                .light_line_style(GRID)
                .draw()
                .map_err(fail)?;
            for (index, comparison) in Comparison::ALL.iter().enumerate() {
                for condition in [Condition::Multitask, Condition::Control1d] {
                    let points: Vec<(f64, &Summary)> = rows
                        .iter()
                        .filter(|s| {
                            s.comparison == *comparison
                                && result.cells[s.cell].condition == condition
                        })
                        .map(|s| (xs[s.cell], *s))
                        .collect();
                    if points.is_empty() {
                        continue;
                    }
                    let colour = color(index);
                    let mut band: Vec<(f64, f64)> =
                        points.iter().map(|(x, s)| (*x, s.score.high)).collect();
                    band.extend(points.iter().rev().map(|(x, s)| (*x, s.score.low)));
                    if band.iter().all(|(_, y)| y.is_finite()) {
                        chart
                            .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.15))))
                            .map_err(fail)?;
                    }
                    let line: Vec<(f64, f64)> =
                        points.iter().map(|(x, s)| (*x, s.score.mean)).collect();
                    let label = format!(
                        "{}{}",
                        comparison.name(),
                        if condition == Condition::Control1d {
                            " (control)"
                        } else {
                            ""
                        }
                    );
                    let style = colour.stroke_width(2);
                    let series = if condition == Condition::Control1d {
                        chart
                            .draw_series(DashedLineSeries::new(line.clone(), 6, 4, style))
                            .map_err(fail)?
                    } else {
                        chart
                            .draw_series(LineSeries::new(line.clone(), style))
                            .map_err(fail)?
                    };
                    series.label(label).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                    });
                    chart
                        .draw_series(line.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                        .map_err(fail)?;
                }
            }
            let null = rows
                .iter()
                .map(|s| s.null_mean)
                .filter(|v| v.is_finite())
                .sum::<f64>()
                / rows.len().max(1) as f64;
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x0, null), (x1, null)],
                    2,
                    4,
                    REFERENCE.stroke_width(1),
                ))
                .map_err(fail)?
                .label("permutation null (mean)")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], REFERENCE.stroke_width(1))
                });
            if let Some(chance) = rows.iter().find_map(|s| s.chance) {
                chart
                    .draw_series(LineSeries::new(
                        vec![(x0, chance), (x1, chance)],
                        REFERENCE.stroke_width(1),
                    ))
                    .map_err(fail)?
                    .label("chance k/(n−1)")
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], REFERENCE.stroke_width(1))
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(GRID)
                .label_font(("sans-serif", 11))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(fail)?;
        }
        Ok(())
    })
}

/// Alignment to the reference network vs competence for every modality-0 network, with
/// the fitted line, one panel per metric.
pub fn regression_svg(result: &PlatonicAnalysis) -> Result<String> {
    // Only the pooled fits: the within-cell points are differences from cell means.
    let pooled: Vec<_> = result
        .regressions
        .iter()
        .filter(|r| r.scope == "pooled")
        .collect();
    let n = pooled.len().max(1);
    let title = "Alignment to the reference vs competence";
    figure((PANEL_WIDTH * n as u32, 380), title, |root| {
        for (panel, r) in root.split_evenly((1, n)).iter().zip(pooled) {
            let finite = || {
                r.points
                    .iter()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
            };
            let (x0, x1) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (x, _)| {
                (a.min(*x), b.max(*x))
            });
            let (y0, y1) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), (_, y)| {
                (a.min(*y), b.max(*y))
            });
            if !(x1 >= x0 && y1 >= y0) {
                continue;
            }
            let (pad_x, pad_y) = (((x1 - x0) * 0.08).max(1e-3), ((y1 - y0) * 0.08).max(1e-3));
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!(
                        "{}: slope {:.3} [{:.3}, {:.3}]",
                        r.metric.name(),
                        r.slope,
                        r.slope_low,
                        r.slope_high
                    ),
                    CAPTION_FONT,
                )
                .margin(10)
                .x_label_area_size(34)
                .y_label_area_size(48)
                .build_cartesian_2d((x0 - pad_x)..(x1 + pad_x), (y0 - pad_y)..(y1 + pad_y))
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_desc("competence 1 − normalised test loss")
                .y_desc("alignment to the reference")
                .x_label_formatter(&|v| tick(*v, false))
                .y_label_formatter(&|v| tick(*v, false))
                .light_line_style(GRID)
                .draw()
                .map_err(fail)?;
            chart
                .draw_series(finite().map(|&p| Circle::new(p, 3, color(0).filled())))
                .map_err(fail)?;
            if r.slope.is_finite() {
                let line = [x0 - pad_x, x1 + pad_x].map(|x| (x, r.intercept + r.slope * x));
                chart
                    .draw_series(LineSeries::new(line, color(1).stroke_width(2)))
                    .map_err(fail)?;
            }
        }
        Ok(())
    })
}
