//! The report section of the universality analysis: per metric, each sweep point's mean
//! over seed pairs with its 95 % seed-bootstrap interval, next to the mean of its
//! shuffled-feature null, and the summary table.

use super::{summary_markdown, Universality, METRICS};
use crate::markdown::markdown_table;
use plotters::prelude::*;
use superscale_report::chart::{figure, tick, CAPTION_FONT};
use superscale_report::palette::{color, GRID, REFERENCE};
use superscale_report::{Block, Result, Section};

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

/// Three by two panels, one per [`METRICS`]: score (with its interval) and null mean (grey
/// cross) at every sweep point.
pub fn universality_svg(result: &Universality) -> Result<String> {
    let labels: Vec<String> = result.cells.iter().map(|c| label(&c.axes)).collect();
    let count = labels.len().max(1) as f64;
    let score_colour = color(0);
    figure((1200, 760), "Feature universality across seeds", |root| {
        let fail = |err: &dyn std::fmt::Display| err.to_string();
        let panels = root.split_evenly((2, 3));
        for (metric, (panel, name)) in panels.iter().zip(METRICS).enumerate() {
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
                .caption(name, CAPTION_FONT)
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(48)
                .build_cartesian_2d(-0.5..count - 0.5, low..top)
                .map_err(|e| fail(&e))?;
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
                .y_label_formatter(&|v| tick(*v, false))
                .y_desc("mean over pairs (95% CI over seeds)")
                .light_line_style(GRID)
                .draw()
                .map_err(|e| fail(&e))?;
            for (index, cell) in result.cells.iter().enumerate() {
                let x = index as f64;
                let score = &cell.score[metric];
                if score.low.is_finite() && score.high.is_finite() {
                    chart
                        .draw_series(std::iter::once(PathElement::new(
                            vec![(x, score.low), (x, score.high)],
                            score_colour.stroke_width(2),
                        )))
                        .map_err(|e| fail(&e))?;
                }
                chart
                    .draw_series(std::iter::once(Circle::new(
                        (x, score.mean),
                        4,
                        score_colour.filled(),
                    )))
                    .map_err(|e| fail(&e))?;
                chart
                    .draw_series(std::iter::once(Cross::new(
                        (x, cell.null_mean[metric]),
                        5,
                        REFERENCE.stroke_width(2),
                    )))
                    .map_err(|e| fail(&e))?;
            }
        }
        Ok(())
    })
}

/// The report section: what was compared, the figure, and the summary table.
pub fn section(result: &Universality) -> Result<Section> {
    Ok(Section::new("Feature universality across seeds")
        .with(Block::Note(
            "Every pair of replicates of each sweep point, compared after orthogonal \
             Procrustes (the hidden basis is a gauge): mean per-feature cosine, the fraction \
             of features matched above the threshold, the raw cosine without the rotation, \
             the cosine of the Gram matrices W Wᵀ with and without their diagonal, and MMCS. \
             Dots: mean over pairs with its 95 % interval over seeds; crosses: the mean of \
             the shuffled-feature null (feature identities broken)."
                .into(),
        ))
        .with(Block::Figure {
            id: "universality".into(),
            svg: universality_svg(result)?,
            caption: String::new(),
        })
        .with(Block::Table(markdown_table(&summary_markdown(result)))))
}
