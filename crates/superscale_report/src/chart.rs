//! SVG charts drawn with `plotters` into strings, for inlining in a report: the common
//! x–y chart and histogram, and [`figure`], the frame every other figure is drawn in, so
//! that size, background, fonts, grid, tick labels and palette are the same everywhere.

use crate::error::{Error, Result};
use crate::palette::{color, GRID, REFERENCE};
use plotters::coord::Shift;
use plotters::prelude::*;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// markers only (measurements)
    Points,
    /// a solid line (fits, curves)
    Line,
    /// a dashed-looking thin line (references such as 1/m)
    Reference,
}

/// One labelled series of (x, y) points.
#[derive(Debug, Clone)]
pub struct Series {
    /// the legend entry (empty: no entry)
    pub label: String,
    /// the points; non-finite ones (and non-positive ones on log axes) are skipped
    pub points: Vec<(f64, f64)>,
    /// how it is drawn
    pub style: Style,
    /// its palette index
    pub color: usize,
}

/// Axis scales of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// both axes logarithmic
    LogLog,
    /// both axes linear
    Linear,
}

/// The size of a figure, in SVG pixels.
pub const SIZE: (u32, u32) = (560, 380);

/// The font of captions.
pub const CAPTION_FONT: (&str, u32) = ("sans-serif", 16);

/// An error of the figure titled `title`.
pub fn plot_error(title: &str, err: impl std::fmt::Display) -> Error {
    Error::Plot {
        title: title.to_string(),
        message: err.to_string(),
    }
}

fn bounds(series: &[Series], log: bool) -> Option<((f64, f64), (f64, f64))> {
    let usable = |v: f64| v.is_finite() && (!log || v > 0.0);
    let points: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|(x, y)| usable(*x) && usable(*y))
        .collect();
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in &points {
        x0 = x0.min(*x);
        x1 = x1.max(*x);
        y0 = y0.min(*y);
        y1 = y1.max(*y);
    }
    if points.is_empty() {
        return None;
    }
    let pad = |lo: f64, hi: f64| {
        if log {
            (lo / 1.25, hi * 1.25)
        } else {
            let span = (hi - lo).max(1e-12);
            (lo - 0.05 * span, hi + 0.05 * span)
        }
    };
    Some((pad(x0, x1), pad(y0, y1)))
}

/// A figure drawn by `draw` on a white `size` canvas, returned as SVG text: the frame of
/// every figure that is not a plain x–y chart or histogram.
pub fn figure(
    size: (u32, u32),
    title: &str,
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> std::result::Result<(), String>,
) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(title, e))?;
        draw(&root).map_err(|e| plot_error(title, e))?;
        root.present().map_err(|e| plot_error(title, e))?;
    }
    Ok(svg)
}

/// A tick label: on log axes only the 1-2-5 ticks of each decade are labelled, so labels
/// do not crowd at the top of a decade.
pub fn tick(value: f64, log: bool) -> String {
    if !log {
        return format!("{value:.3}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string();
    }
    let mantissa = value / 10f64.powf(value.log10().floor());
    if [1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-6) {
        format!("{value}")
    } else {
        String::new()
    }
}

/// An x–y chart of several series; returns the SVG text. The legend lists the labelled
/// series and is left out when none is labelled.
pub fn xy_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    scale: Scale,
    series: &[Series],
) -> Result<String> {
    let log = scale == Scale::LogLog;
    let Some(((x0, x1), (y0, y1))) = bounds(series, log) else {
        return Ok(format!("<p><em>{title}: no finite data to plot.</em></p>"));
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(title, e))?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(title, CAPTION_FONT)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60);
        macro_rules! draw {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(x_label)
                    .y_desc(y_label)
                    .x_label_formatter(&|v| tick(*v, log))
                    .y_label_formatter(&|v| tick(*v, log))
                    .light_line_style(GRID)
                    .draw()
                    .map_err(|e| plot_error(title, e))?;
                for s in series {
                    let c = color(s.color);
                    let points: Vec<(f64, f64)> = s
                        .points
                        .iter()
                        .copied()
                        .filter(|(x, y)| {
                            x.is_finite() && y.is_finite() && (!log || (*x > 0.0 && *y > 0.0))
                        })
                        .collect();
                    let legend_color = c;
                    let drawn =
                        match s.style {
                            Style::Points => chart
                                .draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled()))),
                            Style::Line => {
                                chart.draw_series(LineSeries::new(points, c.stroke_width(2)))
                            }
                            Style::Reference => chart
                                .draw_series(LineSeries::new(points, REFERENCE.stroke_width(1))),
                        }
                        .map_err(|e| plot_error(title, e))?;
                    if !s.label.is_empty() {
                        let reference = s.style == Style::Reference;
                        drawn.label(s.label.clone()).legend(move |(x, y)| {
                            let c = if reference { REFERENCE } else { legend_color };
                            PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                        });
                    }
                }
                if series.iter().any(|s| !s.label.is_empty()) {
                    chart
                        .configure_series_labels()
                        .background_style(WHITE.mix(0.85))
                        .border_style(RGBColor(200, 200, 200))
                        .label_font(("sans-serif", 11))
                        .position(if log {
                            // Scaling curves fall to the lower right: keep the legend off the data.
                            SeriesLabelPosition::LowerLeft
                        } else {
                            SeriesLabelPosition::UpperRight
                        })
                        .draw()
                        .map_err(|e| plot_error(title, e))?;
                }
            }};
        }
        if log {
            draw!(builder
                .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
                .map_err(|e| plot_error(title, e))?);
        } else {
            draw!(builder
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|e| plot_error(title, e))?);
        }
        root.present().map_err(|e| plot_error(title, e))?;
    }
    Ok(svg)
}

/// Histogram outlines of several samples over shared bins; returns the SVG text.
pub fn histogram(
    title: &str,
    x_label: &str,
    samples: &[(String, Vec<f64>)],
    bins: usize,
) -> Result<String> {
    let values: Vec<f64> = samples
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return Ok(format!("<p><em>{title}: no data.</em></p>"));
    }
    let lo = values.iter().copied().fold(f64::MAX, f64::min).min(0.0);
    let hi = values
        .iter()
        .copied()
        .fold(f64::MIN, f64::max)
        .max(lo + 1e-9);
    let width = (hi - lo) / bins as f64;
    let series: Vec<Series> = samples
        .iter()
        .enumerate()
        .map(|(index, (label, sample))| {
            let mut counts = vec![0usize; bins];
            for v in sample.iter().filter(|v| v.is_finite()) {
                counts[(((v - lo) / width) as usize).min(bins - 1)] += 1;
            }
            // A step outline: each bin contributes its two top corners.
            let points = counts
                .iter()
                .enumerate()
                .flat_map(|(b, &count)| {
                    let left = lo + b as f64 * width;
                    let fraction = count as f64 / sample.len().max(1) as f64;
                    [(left, fraction), (left + width, fraction)]
                })
                .collect();
            Series {
                label: label.clone(),
                points,
                style: Style::Line,
                color: index,
            }
        })
        .collect();
    xy_chart(
        title,
        x_label,
        "fraction of features",
        Scale::Linear,
        &series,
    )
}
