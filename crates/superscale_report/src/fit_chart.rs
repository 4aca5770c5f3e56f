//! The figure of `superscale fit`: the data, the fitted law and its bootstrap band on
//! log-log axes.

use crate::chart::plot_error;
use crate::error::Result;
use plotters::prelude::*;

/// A fitted law to draw; every position is on log axes, so non-positive values are left out.
#[derive(Debug, Clone, Copy)]
pub struct LawFigure<'a> {
    /// the caption
    pub title: &'a str,
    /// the horizontal axis
    pub x_label: &'a str,
    /// the vertical axis
    pub y_label: &'a str,
    /// the horizontal range
    pub x_range: (f64, f64),
    /// the vertical range
    pub y_range: (f64, f64),
    /// the data points
    pub data: &'a [(f64, f64)],
    /// the fitted curve
    pub line: &'a [(f64, f64)],
    /// the bootstrap band, (h, lower, upper); NaN bounds are skipped
    pub band: Option<&'a [(f64, f64, f64)]>,
    /// the band's coverage (its legend entry)
    pub level: f64,
}

/// The figure as SVG text, 900 × 600.
pub fn law_figure(figure: &LawFigure<'_>) -> Result<String> {
    let mut svg = String::new();
    draw(&mut svg, figure).map_err(|e| plot_error(figure.title, e))?;
    Ok(svg)
}

fn draw(svg: &mut String, figure: &LawFigure<'_>) -> std::result::Result<(), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    let (h_min, h_max) = figure.x_range;
    let (v_min, v_max) = figure.y_range;
    let root = SVGBackend::with_string(svg, (900, 600)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| text(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(figure.title, ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (h_min..h_max).log_scale().base(label_base(h_min, h_max)),
            (v_min..v_max).log_scale().base(label_base(v_min, v_max)),
        )
        .map_err(|e| text(&e))?;
    chart
        .configure_mesh()
        .x_desc(figure.x_label)
        .y_desc(figure.y_label)
        .x_labels(10)
        .y_labels(10)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .draw()
        .map_err(|e| text(&e))?;
    if let Some(band) = figure.band {
        let mut outline: Vec<(f64, f64)> = band
            .iter()
            .filter(|p| p.1.is_finite())
            .map(|p| (p.0, p.1.max(v_min)))
            .collect();
        outline.extend(
            band.iter()
                .rev()
                .filter(|p| p.2.is_finite())
                .map(|p| (p.0, p.2.min(v_max))),
        );
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                crate::palette::color(0).mix(0.2).filled(),
            )))
            .map_err(|e| text(&e))?
            .label(format!("{:.0}% bootstrap band", 100.0 * figure.level))
            .legend(|(x, y)| {
                Rectangle::new(
                    [(x, y - 5), (x + 15, y + 5)],
                    crate::palette::color(0).mix(0.2).filled(),
                )
            });
    }
    let visible = figure
        .line
        .iter()
        .copied()
        .filter(|p| p.1.is_finite() && p.1 > 0.0);
    chart
        .draw_series(LineSeries::new(
            visible,
            crate::palette::color(0).stroke_width(2),
        ))
        .map_err(|e| text(&e))?
        .label("fit")
        .legend(|(x, y)| {
            PathElement::new(
                [(x, y), (x + 15, y)],
                crate::palette::color(0).stroke_width(2),
            )
        });
    chart
        .draw_series(
            figure
                .data
                .iter()
                .filter(|(_, y)| *y > 0.0)
                .map(|&(h, y)| Circle::new((h, y), 3, BLACK.filled())),
        )
        .map_err(|e| text(&e))?
        .label("data")
        .legend(|(x, y)| Circle::new((x + 7, y), 3, BLACK.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| text(&e))?;
    root.present().map_err(|e| text(&e))?;
    Ok(())
}

/// Plain decimals for everyday magnitudes, scientific notation beyond: fitted scales span
/// many decades, so the 1-2-5 labels of [`crate::chart::tick`] would leave most decades bare.
fn tick(value: f64) -> String {
    if (1e-3..1e5).contains(&value.abs()) {
        format!("{}", (value * 1e3).round() / 1e3)
    } else {
        format!("{value:.1e}")
    }
}

/// plotters labels a log axis at powers of its base only, so an axis spanning less than a
/// decade gets powers of two instead of no labels at all.
fn label_base(low: f64, high: f64) -> f64 {
    if high / low >= 10.0 {
        10.0
    } else {
        2.0
    }
}
