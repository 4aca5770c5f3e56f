//! The figure of the toy-model universality study (plotters SVG): per metric, each sweep
//! point's mean over seed pairs with its 95 % seed-bootstrap interval, next to the mean of
//! its shuffled-feature null (`docs/science/alignment.md` §4 item 2;
//! `docs/science/model_shape.md` §2 item 4).

use crate::error::{Error, Result};
use crate::tms::{TmsResult, TMS_METRICS};
use plotters::prelude::*;

const SCORE: RGBColor = RGBColor(31, 119, 180);
const NULL: RGBColor = RGBColor(110, 110, 110);

fn fail(err: impl std::fmt::Display) -> Error {
    Error::Numeric(format!("drawing the figure failed: {err}"))
}

/// A short label of a sweep point: its axes' last path segments and values.
fn label(axes: &[(String, String)]) -> String {
    axes.iter()
        .map(|(path, value)| {
            let name = path.rsplit('.').next().unwrap_or(path);
            let name = match name {
                "n_hidden" => "m",
                "weight_decay" => "γ",
                other => other,
            };
            format!("{name}={value}")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Three by two panels, one per [`TMS_METRICS`]: score (blue, with its interval) and null
/// mean (grey cross) at every sweep point.
pub fn tms_svg(result: &TmsResult) -> Result<String> {
    let labels: Vec<String> = result.cells.iter().map(|c| label(&c.axes)).collect();
    let count = labels.len().max(1) as f64;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1200, 760)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let panels = root.split_evenly((2, 3));
        for (metric, (panel, name)) in panels.iter().zip(TMS_METRICS).enumerate() {
            let values = result.cells.iter().flat_map(|c| {
                [
                    c.score[metric].low,
                    c.score[metric].high,
                    c.score[metric].mean,
                    c.null_mean[metric],
                ]
            });
            let (low, high) = values
                .filter(|v| v.is_finite())
                .fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
            let top = (high * 1.1).max(low + 1e-3);
            let mut chart = ChartBuilder::on(panel)
                .caption(name, ("sans-serif", 15))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(48)
                .build_cartesian_2d(-0.5..count - 0.5, low..top)
                .map_err(fail)?;
            chart
                .configure_mesh()
                .x_labels(labels.len().max(1))
                .x_label_formatter(&|x| {
                    let index = x.round();
                    if (x - index).abs() < 1e-6 && index >= 0.0 {
                        labels.get(index as usize).cloned().unwrap_or_default()
                    } else {
                        String::new()
                    }
                })
                .y_desc("mean over pairs (95% CI over seeds)")
                .light_line_style(RGBColor(235, 235, 235))
                .draw()
                .map_err(fail)?;
            for (index, cell) in result.cells.iter().enumerate() {
                let x = index as f64;
                let score = &cell.score[metric];
                if score.low.is_finite() && score.high.is_finite() {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(x, score.low), (x, score.high)],
                            SCORE.stroke_width(2),
                        )))
                        .map_err(fail)?;
                }
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (x, score.mean),
                        4,
                        SCORE.filled(),
                    )))
                    .map_err(fail)?;
                chart
                    .draw_series(std::iter::once(Cross::new(
                        (x, cell.null_mean[metric]),
                        5,
                        NULL.stroke_width(2),
                    )))
                    .map_err(fail)?;
            }
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}
