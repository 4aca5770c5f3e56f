//! The figures of a study (plotters SVG): alignment vs the swept variable with CI bands,
//! null and chance lines, and the competence–alignment scatter with its fitted line.

use crate::error::{Error, Result};
use crate::pairs::Comparison;
use crate::spec::{Condition, StudyKind};
use crate::study::StudyResult;
use plotters::prelude::*;

const PALETTE: [RGBColor; 3] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
];
const GREY: RGBColor = RGBColor(110, 110, 110);

fn fail(err: impl std::fmt::Display) -> Error {
    Error::Numeric(format!("drawing the figure failed: {err}"))
}

/// x positions: log2 of T or width; for weight decay log10 with 0 placed one decade left.
fn x_of(kind: StudyKind, value: f64, smallest_positive: f64) -> f64 {
    match kind {
        StudyKind::Multitask | StudyKind::Capacity => value.log2(),
        StudyKind::Simplicity if value > 0.0 => value.log10(),
        StudyKind::Simplicity => smallest_positive.log10() - 1.0,
    }
}

/// Score vs the swept variable, one panel per metric: a line per comparison (the control
/// dashed), the seed-bootstrap CI as a band, the permutation-null mean dotted grey and, for
/// mutual k-NN, the chance level k/(n−1) solid grey.
pub fn study_svg(result: &StudyResult) -> Result<String> {
    let metrics = result.spec.metrics();
    let kind = result.spec.study.kind;
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
        .map(|c| x_of(kind, c.value, smallest))
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
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (430 * metrics.len() as u32, 400))
            .into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let panels = root.split_evenly((1, metrics.len()));
        for (panel, &metric) in panels.iter().zip(&metrics) {
            let rows: Vec<_> = result
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
                    format!("{} vs {}", metric.name(), kind.variable()),
                    ("sans-serif", 15),
                )
                .margin(10)
                .x_label_area_size(34)
                .y_label_area_size(48)
                .build_cartesian_2d(x0..x1, low..(high * 1.08).max(low + 1e-3))
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_desc(match kind {
                    StudyKind::Simplicity => "log10 weight decay (leftmost: 0)",
                    StudyKind::Multitask => "log2 tasks T",
                    StudyKind::Capacity => "log2 width",
                })
                .y_desc("mean over pairs (95% CI over seeds)")
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(fail)?;
            for (ci, comparison) in Comparison::ALL.iter().enumerate() {
                for condition in [Condition::Multitask, Condition::Control1d] {
                    let points: Vec<(f64, &crate::study::Summary)> = rows
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
                    let colour = PALETTE[ci % PALETTE.len()];
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
                    GREY.stroke_width(1),
                ))
                .map_err(fail)?
                .label("permutation null (mean)")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREY.stroke_width(1)));
            if let Some(chance) = rows.iter().find_map(|s| s.chance) {
                chart
                    .draw_series(LineSeries::new(
                        vec![(x0, chance), (x1, chance)],
                        GREY.stroke_width(1),
                    ))
                    .map_err(fail)?
                    .label("chance k/(n−1)")
                    .legend(|(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], GREY.stroke_width(1))
                    });
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(200, 200, 200))
                .label_font(("sans-serif", 11))
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(fail)?;
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// Alignment to the reference network vs competence for every modality-0 network, with
/// the fitted line, one panel per metric.
pub fn regression_svg(result: &StudyResult) -> Result<String> {
    // Only the pooled fits: the within-cell points are differences from cell means.
    let pooled: Vec<_> = result
        .regressions
        .iter()
        .filter(|r| r.scope == "pooled")
        .collect();
    let n = pooled.len().max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (430 * n as u32, 380)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
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
                    ("sans-serif", 14),
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
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(fail)?;
            chart
                .draw_series(finite().map(|&p| Circle::new(p, 3, PALETTE[0].filled())))
                .map_err(fail)?;
            if r.slope.is_finite() {
                let line = [x0 - pad_x, x1 + pad_x].map(|x| (x, r.intercept + r.slope * x));
                chart
                    .draw_series(LineSeries::new(line, PALETTE[1].stroke_width(2)))
                    .map_err(fail)?;
            }
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}
