//! SVG charts drawn with `plotters` into strings, for inlining in a report: the common
//! x–y chart and histogram, and [`figure`], the frame every other figure is drawn in, so
//! that size, background, fonts, grid, tick labels and palette are the same everywhere.

use crate::error::{Error, Result};
use crate::palette::{color, hex, GRID, REFERENCE};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::fmt::Write;

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// markers only (measurements)
    #[default]
    Points,
    /// a solid line (fits, curves)
    Line,
    /// a thin line (a run among many, drawn faintly behind the summaries)
    Thin,
    /// a grey line (references such as 1/m)
    Reference,
    /// a shaded region: the points are its outline (the upper edge left to right, then the
    /// lower edge right to left, as [`band`] makes them), such as a quantile band
    Band,
}

/// One labelled series of (x, y) points.
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// the legend entry (empty: no entry)
    pub label: String,
    /// the points; non-finite ones (and non-positive ones on log axes) are skipped
    pub points: Vec<(f64, f64)>,
    /// how it is drawn
    pub style: Style,
    /// its palette index
    pub color: usize,
    /// hover text per point (an SVG `<title>`, such as the run id), matched to `points` by
    /// position; empty strings and a short list leave points without one
    pub hover: Vec<String>,
}

/// The outline of a band between `lower` and `upper` (both over the same x, in order), for
/// a [`Style::Band`] series.
pub fn band(lower: &[(f64, f64)], upper: &[(f64, f64)]) -> Vec<(f64, f64)> {
    upper
        .iter()
        .copied()
        .chain(lower.iter().rev().copied())
        .collect()
}

/// Axis scales of a chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// both axes logarithmic
    LogLog,
    /// both axes linear
    Linear,
    /// a linear x axis and a logarithmic y axis
    LogY,
    /// a logarithmic x axis and a linear y axis
    LogX,
}

impl Scale {
    fn log_x(self) -> bool {
        matches!(self, Scale::LogLog | Scale::LogX)
    }
    fn log_y(self) -> bool {
        matches!(self, Scale::LogLog | Scale::LogY)
    }
}

/// The size of a figure's plot, in SVG pixels (the legend, below it, adds to the height).
pub const SIZE: (u32, u32) = (560, 380);

/// The font of captions.
pub const CAPTION_FONT: (&str, u32) = ("sans-serif", 16);

/// The longest tick label [`tick`] and [`tick_in`] write, in characters (the browser test
/// checks every numeric label of a report against it).
pub const MAX_TICK_CHARS: usize = 8;

/// The height of one legend row, in SVG pixels.
const LEGEND_ROW: u32 = 16;

/// An error of the figure titled `title`.
pub fn plot_error(title: &str, err: impl std::fmt::Display) -> Error {
    Error::Plot {
        title: title.to_string(),
        message: err.to_string(),
    }
}

fn bounds(series: &[Series], scale: Scale) -> Option<((f64, f64), (f64, f64))> {
    let (log_x, log_y) = (scale.log_x(), scale.log_y());
    let points: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|s| s.points.iter().copied())
        .filter(|&p| usable(p, log_x, log_y))
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
    let pad = |lo: f64, hi: f64, log: bool| {
        if log {
            (lo / 1.25, hi * 1.25)
        } else {
            let span = (hi - lo).max(1e-12 * hi.abs().max(1.0));
            (lo - 0.05 * span, hi + 0.05 * span)
        }
    };
    Some((pad(x0, x1, log_x), pad(y0, y1, log_y)))
}

fn usable((x, y): (f64, f64), log_x: bool, log_y: bool) -> bool {
    x.is_finite() && y.is_finite() && (!log_x || x > 0.0) && (!log_y || y > 0.0)
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

/// `value` in at most four significant digits, without float noise (0.9999999999 is 1,
/// 0.30000000000000004 is 0.3), in plain decimals from 0.001 to 99 999 and as `2.5e-6`
/// beyond, with a true minus sign: a label for ticks, legends and hover text.
pub fn number(value: f64) -> String {
    number_digits(value, 4)
}

fn number_digits(value: f64, digits: usize) -> String {
    if !value.is_finite() {
        return format!("{value}");
    }
    if value == 0.0 {
        return "0".into();
    }
    // Round to `digits` significant digits first, so that the choice of notation sees
    // the value the reader will.
    let rounded: f64 = format!("{value:.*e}", digits - 1).parse().unwrap_or(value);
    let magnitude = rounded.abs().log10().floor() as i32;
    let text = if (-3..5).contains(&magnitude) {
        let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
        trim(format!("{rounded:.decimals$}"))
    } else {
        let text = format!("{rounded:.*e}", digits - 1);
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        format!("{}e{exponent}", trim(mantissa.to_string()))
    };
    text.replace('-', "−")
}

fn trim(text: String) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// A tick label: on log axes only the 1-2-5 ticks of each decade are labelled, so labels
/// do not crowd at the top of a decade. Labels are [`number`]s.
pub fn tick(value: f64, log: bool) -> String {
    if !log {
        // Without the axis's span, a value this close to 0 is the rounding error of a
        // tick step (−2.22e−16 for 0), not a tick of its own.
        if value.abs() < 1e-12 {
            return "0".into();
        }
        return number_digits(value, 4);
    }
    let mantissa = value / 10f64.powf(value.log10().floor());
    if [1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-6) {
        number_digits(value, 3)
    } else {
        String::new()
    }
}

/// A tick label on an axis from `lo` to `hi`: on a log axis spanning a decade or more,
/// the 1-2-5 ticks ([`tick`]); on a narrower log axis every tick; on a linear axis the
/// value rounded to the precision of the axis (about a hundredth of its span), so that
/// 0.30000000000000004 reads 0.3 and 1e-9 on an axis from 0 to 1 reads 0.
pub fn tick_in(value: f64, lo: f64, hi: f64, log: bool) -> String {
    if log {
        if hi / lo >= 10.0 {
            return tick(value, true);
        }
        return number_digits(value, 3);
    }
    let span = (hi - lo).abs();
    if span > 0.0 && value.abs() < span * 1e-6 {
        return "0".into();
    }
    let digits = if span > 0.0 && value != 0.0 {
        // Enough digits to tell apart ticks a hundredth of the span apart.
        let resolution = (span / 100.0).log10().floor();
        (value.abs().log10().floor() - resolution + 1.0).clamp(1.0, 4.0) as usize
    } else {
        4
    };
    number_digits(value, digits)
}

/// The ticks of a log axis from `lo` to `hi`: 1-2-5 of each decade over one to four
/// decades, the powers of ten beyond, and evenly spaced round values (a step of 1, 2 or 5
/// times a power of ten) within less than a decade, where a decade's ticks would leave the
/// axis without a label.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let decades = (hi / lo).log10();
    if decades < 1.0 {
        let rough = (hi - lo) / 5.0;
        let power = 10f64.powf(rough.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * power)
            .find(|step| *step >= rough)
            .unwrap_or(10.0 * power);
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        return (first..=last)
            .map(|k| k as f64 * step)
            .filter(|v| *v > 0.0)
            .collect();
    }
    let mantissas: &[f64] = if decades > 4.0 {
        &[1.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (first..=last)
        .flat_map(|e| mantissas.iter().map(move |m| m * 10f64.powi(e)))
        .filter(|v| (lo..=hi).contains(v))
        .collect()
}

/// A legend entry drawn beneath a chart.
struct Entry {
    label: String,
    style: Style,
    color: RGBColor,
}

/// The legend as SVG: one row per entry beneath the plot (never over the data), in a group
/// of class `legend` whose rows have class `entry`.
fn legend_svg(entries: &[Entry], top: u32) -> String {
    let mut svg = String::from("<g class=\"legend\" font-family=\"sans-serif\" font-size=\"12\">");
    for (row, entry) in entries.iter().enumerate() {
        let y = top + LEGEND_ROW * row as u32 + LEGEND_ROW / 2;
        let (x, colour) = (70, hex(entry.color));
        let mark = match entry.style {
            Style::Points => format!("<circle cx=\"{}\" cy=\"{y}\" r=\"4\" fill=\"{colour}\"/>", x + 9),
            Style::Band => format!(
                "<rect x=\"{x}\" y=\"{}\" width=\"18\" height=\"10\" fill=\"{colour}\" fill-opacity=\"0.25\"/>",
                y - 5
            ),
            Style::Reference => format!(
                "<line x1=\"{x}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>",
                x + 18
            ),
            Style::Line | Style::Thin => format!(
                "<line x1=\"{x}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{colour}\" stroke-width=\"2.5\"/>",
                x + 18
            ),
        };
        let _ = write!(
            svg,
            "<g class=\"entry\">{mark}<text x=\"{}\" y=\"{}\">{}</text></g>",
            x + 26,
            y + 4,
            crate::escape(&entry.label)
        );
    }
    svg + "</g>"
}

/// Invisible markers over the points that have hover text: the browser shows the text
/// (a run id, the point's values) when the pointer rests on the point.
fn hover_svg(targets: &[(i32, i32, String)]) -> String {
    if targets.is_empty() {
        return String::new();
    }
    let mut svg = String::from("<g class=\"hover\">");
    for (x, y, text) in targets {
        let _ = write!(
            svg,
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"6\" fill=\"#ffffff\" fill-opacity=\"0\"><title>{}</title></circle>",
            crate::escape(text)
        );
    }
    svg + "</g>"
}

/// Puts `extra` (legend, hover markers) at the end of the SVG document `svg`.
fn append(svg: &mut String, extra: &str) {
    if let Some(end) = svg.rfind("</svg>") {
        svg.insert_str(end, extra);
    }
}

/// An x–y chart of several series; returns the SVG text. The legend, beneath the plot,
/// lists the labelled series that have a point to draw, and is left out when none has.
pub fn xy_chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    scale: Scale,
    series: &[Series],
) -> Result<String> {
    let (log_x, log_y) = (scale.log_x(), scale.log_y());
    let Some(((x0, x1), (y0, y1))) = bounds(series, scale) else {
        return Ok(format!(
            "<p><em>{}: no finite data to plot.</em></p>",
            crate::escape(title)
        ));
    };
    let drawable = |s: &Series| -> Vec<(f64, f64)> {
        s.points
            .iter()
            .copied()
            .filter(|&p| usable(p, log_x, log_y))
            .collect()
    };
    let entries: Vec<Entry> = series
        .iter()
        .filter(|s| !s.label.is_empty() && !drawable(s).is_empty())
        .map(|s| Entry {
            label: s.label.clone(),
            style: s.style,
            color: if s.style == Style::Reference {
                REFERENCE
            } else {
                color(s.color)
            },
        })
        .collect();
    let legend_height = if entries.is_empty() {
        0
    } else {
        LEGEND_ROW * entries.len() as u32 + 8
    };
    let mut targets: Vec<(i32, i32, String)> = Vec::new();
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (SIZE.0, SIZE.1 + legend_height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(title, e))?;
        let (plot, _) = root.split_vertically(SIZE.1);
        let mut builder = ChartBuilder::on(&plot);
        builder
            .caption(title, CAPTION_FONT)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(64);
        macro_rules! draw {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(x_label)
                    .y_desc(y_label)
                    .x_label_formatter(&|v| tick_in(*v, x0, x1, log_x))
                    .y_label_formatter(&|v| tick_in(*v, y0, y1, log_y))
                    .light_line_style(GRID)
                    .draw()
                    .map_err(|e| plot_error(title, e))?;
                // Bands first, then thin lines, then the rest: summaries stay on top.
                let order = |s: &Series| match s.style {
                    Style::Band => 0,
                    Style::Thin => 1,
                    Style::Reference => 2,
                    Style::Line => 3,
                    Style::Points => 4,
                };
                let mut ordered: Vec<&Series> = series.iter().collect();
                ordered.sort_by_key(|s| order(s));
                for s in ordered {
                    let c = color(s.color);
                    let points = drawable(s);
                    match s.style {
                        Style::Points => chart
                            .draw_series(points.iter().map(|&p| Circle::new(p, 4, c.filled())))
                            .map(|_| ()),
                        Style::Line => chart
                            .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))
                            .map(|_| ()),
                        Style::Thin => chart
                            .draw_series(LineSeries::new(
                                points.clone(),
                                c.mix(0.35).stroke_width(1),
                            ))
                            .map(|_| ()),
                        Style::Reference => chart
                            .draw_series(LineSeries::new(points.clone(), REFERENCE.stroke_width(1)))
                            .map(|_| ()),
                        Style::Band => chart
                            .draw_series(std::iter::once(Polygon::new(
                                points.clone(),
                                c.mix(0.25).filled(),
                            )))
                            .map(|_| ()),
                    }
                    .map_err(|e| plot_error(title, e))?;
                    for (point, text) in s.points.iter().zip(&s.hover) {
                        if !text.is_empty() && usable(*point, log_x, log_y) {
                            let (x, y) = chart.backend_coord(point);
                            targets.push((x, y, text.clone()));
                        }
                    }
                }
            }};
        }
        let log_x_axis = || (x0..x1).log_scale().with_key_points(log_ticks(x0, x1));
        let log_y_axis = || (y0..y1).log_scale().with_key_points(log_ticks(y0, y1));
        match scale {
            Scale::LogLog => draw!(builder
                .build_cartesian_2d(log_x_axis(), log_y_axis())
                .map_err(|e| plot_error(title, e))?),
            Scale::LogX => draw!(builder
                .build_cartesian_2d(log_x_axis(), y0..y1)
                .map_err(|e| plot_error(title, e))?),
            Scale::LogY => draw!(builder
                .build_cartesian_2d(x0..x1, log_y_axis())
                .map_err(|e| plot_error(title, e))?),
            Scale::Linear => draw!(builder
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|e| plot_error(title, e))?),
        }
        root.present().map_err(|e| plot_error(title, e))?;
    }
    let mut extra = hover_svg(&targets);
    if !entries.is_empty() {
        extra += &legend_svg(&entries, SIZE.1);
    }
    append(&mut svg, &extra);
    Ok(svg)
}

/// Histogram outlines of several samples over shared bins, sample k in palette colour
/// `colors[k]` (k when `colors` is short); returns the SVG text.
pub fn histogram(
    title: &str,
    x_label: &str,
    samples: &[(String, Vec<f64>)],
    colors: &[usize],
    bins: usize,
) -> Result<String> {
    let values: Vec<f64> = samples
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .filter(|v| v.is_finite())
        .collect();
    if values.is_empty() {
        return Ok(format!(
            "<p><em>{}: no data.</em></p>",
            crate::escape(title)
        ));
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
                color: colors.get(index).copied().unwrap_or(index),
                hover: Vec::new(),
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

/// A chart with logarithmic x and y axes, drawn into an SVG string.
pub type LogLogChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<LogCoord<f64>, LogCoord<f64>>>;

/// The log-log axes of a figure drawn by hand (bands, error bars) inside [`figure`]: the
/// caption, margins, axis labels and light grid of [`xy_chart`], each axis labelled at every
/// tick when it spans less than a decade (the 1-2-5 labels of a log axis would leave it bare).
pub fn log_log_axes<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    (x0, x1): (f64, f64),
    (y0, y1): (f64, f64),
    x_label: &str,
    y_label: &str,
) -> std::result::Result<LogLogChart<'a, 'b>, String> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, CAPTION_FONT)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .x_label_formatter(&|v| tick(*v, x1 / x0 >= 10.0))
        .y_label_formatter(&|v| tick(*v, y1 / y0 >= 10.0))
        .light_line_style(GRID)
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

/// A heat map's frame: its title, axis labels and cell edges. Cell (column c, row r) spans
/// `column_edges[c]..column_edges[c + 1]` on x and `row_edges[r]..row_edges[r + 1]` on y,
/// the first row at the top; both axes are linear in the values given (pass log10 values
/// for a logarithmic axis and say so in the label).
#[derive(Debug, Clone)]
pub struct HeatMap<'a> {
    /// the caption
    pub title: &'a str,
    /// the x axis's label
    pub x_label: &'a str,
    /// the y axis's label
    pub y_label: &'a str,
    /// one more than the columns, increasing
    pub column_edges: Vec<f64>,
    /// one more than the rows, increasing (drawn downwards)
    pub row_edges: Vec<f64>,
}

/// The cell edges around `centres` (increasing): midpoints between neighbours, and half a
/// spacing beyond the first and the last (one unit wide for a single centre).
pub fn midpoint_edges(centres: &[f64]) -> Vec<f64> {
    match centres {
        [] => Vec::new(),
        [only] => vec![only - 0.5, only + 0.5],
        _ => {
            let last = centres.len() - 1;
            let mut edges = Vec::with_capacity(centres.len() + 1);
            edges.push(centres[0] - (centres[1] - centres[0]) / 2.0);
            edges.extend(centres.windows(2).map(|pair| (pair[0] + pair[1]) / 2.0));
            edges.push(centres[last] + (centres[last] - centres[last - 1]) / 2.0);
            edges
        }
    }
}

/// Draws `map` with cell (column, row) filled in `fill(column, row)`, in the frame every
/// figure shares (size, caption font, tick labels); returns the SVG text.
pub fn heat_map(map: &HeatMap<'_>, fill: impl Fn(usize, usize) -> RGBColor) -> Result<String> {
    let (columns, rows) = (
        map.column_edges.len().saturating_sub(1),
        map.row_edges.len().saturating_sub(1),
    );
    if columns == 0 || rows == 0 {
        return Err(plot_error(map.title, "a heat map needs at least one cell"));
    }
    let x = map.column_edges[0]..map.column_edges[columns];
    let y = map.row_edges[rows]..map.row_edges[0];
    figure(SIZE, map.title, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(map.title, CAPTION_FONT)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d(x, y)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc(map.x_label)
            .y_desc(map.y_label)
            .x_label_formatter(&|v| tick(*v, false))
            .y_label_formatter(&|v| tick(*v, false))
            .disable_mesh()
            .draw()
            .map_err(|e| e.to_string())?;
        let cells = (0..columns).flat_map(|c| (0..rows).map(move |r| (c, r)));
        chart
            .draw_series(cells.map(|(c, r)| {
                Rectangle::new(
                    [
                        (map.column_edges[c], map.row_edges[r]),
                        (map.column_edges[c + 1], map.row_edges[r + 1]),
                    ],
                    fill(c, r).filled(),
                )
            }))
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_carry_no_float_noise() {
        assert_eq!(number(0.9999999999), "1");
        assert_eq!(number(0.30000000000000004), "0.3");
        assert_eq!(number(-0.5556), "−0.5556");
        assert_eq!(number(0.000000001), "1e−9");
        assert_eq!(number(123456.0), "1.235e5");
        assert_eq!(number(0.6309999823570251), "0.631");
        assert_eq!(number(100.0), "100");
    }

    #[test]
    fn ticks_are_rounded_to_their_axis() {
        assert_eq!(tick_in(0.000000001, -0.05, 1.05, false), "0");
        assert_eq!(tick_in(0.30000000000000004, 0.0, 1.0, false), "0.3");
        assert_eq!(tick_in(0.123456, 0.1, 0.2, false), "0.123");
        assert_eq!(
            tick_in(30.0, 10.0, 20.0, true),
            "30",
            "narrow log axes label every tick"
        );
        assert_eq!(
            tick_in(30.0, 1.0, 1000.0, true),
            "",
            "wide log axes label 1-2-5"
        );
        assert_eq!(tick_in(20.0, 1.0, 1000.0, true), "20");
        assert_eq!(
            tick(-2.220446049250313e-16, false),
            "0",
            "a rounding error of 0"
        );
        for v in [1e-12, 0.123456789, -98765.4321, 1.0 / 3.0, 2e9] {
            for (lo, hi) in [(0.0, 1.0), (-1e5, 1e5), (1e-12, 1e10)] {
                assert!(
                    tick_in(v, lo, hi, false).chars().count() <= MAX_TICK_CHARS,
                    "{v}"
                );
            }
        }
    }

    #[test]
    fn legends_list_drawn_series_and_points_carry_hover_text() {
        let series = [
            Series {
                label: "γ = −0.5556 (strong)".into(),
                points: vec![(10.0, 2.0), (20.0, 1.0)],
                hover: vec!["run abc".into(), String::new()],
                ..Series::default()
            },
            Series {
                label: "nothing to draw".into(),
                points: vec![(f64::NAN, 1.0)],
                ..Series::default()
            },
            Series {
                points: vec![(10.0, 1.5), (20.0, 0.8)],
                style: Style::Line,
                ..Series::default()
            },
        ];
        let svg = xy_chart("t", "m", "L", Scale::LogLog, &series).unwrap();
        assert_eq!(svg.matches("class=\"entry\"").count(), 1, "{svg}");
        assert!(svg.contains("γ = −0.5556 (strong)") && !svg.contains("nothing to draw"));
        assert_eq!(svg.matches("<title>run abc</title>").count(), 1);
        let unlabelled = xy_chart("t", "m", "L", Scale::Linear, &series[2..]).unwrap();
        assert!(
            !unlabelled.contains("class=\"legend\""),
            "no empty legend box"
        );
    }

    #[test]
    fn log_axes_always_get_labelled_ticks() {
        assert_eq!(log_ticks(3.1, 4.9), [3.5, 4.0, 4.5]);
        assert_eq!(log_ticks(8.0, 120.0), [10.0, 20.0, 50.0, 100.0]);
        assert_eq!(log_ticks(0.5, 2e5), [1.0, 10.0, 100.0, 1e3, 1e4, 1e5]);
    }

    #[test]
    fn a_band_is_the_upper_edge_then_the_lower_edge_reversed() {
        let outline = band(&[(1.0, 0.0), (2.0, 1.0)], &[(1.0, 2.0), (2.0, 3.0)]);
        assert_eq!(outline, [(1.0, 2.0), (2.0, 3.0), (2.0, 1.0), (1.0, 0.0)]);
    }

    #[test]
    fn midpoint_edges_surround_each_centre() {
        assert_eq!(midpoint_edges(&[1.0, 2.0, 4.0]), [0.5, 1.5, 3.0, 5.0]);
        assert_eq!(midpoint_edges(&[3.0]), [2.5, 3.5]);
        assert!(midpoint_edges(&[]).is_empty());
    }

    #[test]
    fn a_heat_map_fills_every_cell_in_its_colour() {
        let map = HeatMap {
            title: "cells",
            x_label: "x",
            y_label: "y",
            column_edges: vec![0.0, 1.0, 2.0, 3.0],
            row_edges: vec![0.0, 1.0, 2.0],
        };
        // Six distinct colours, one per (column, row), so each cell is findable in the SVG.
        let svg = heat_map(&map, |c, r| RGBColor(10 * c as u8 + 1, 100 + r as u8, 7)).unwrap();
        for c in 0..3 {
            for r in 0..2 {
                let fill = hex(RGBColor(10 * c as u8 + 1, 100 + r as u8, 7)).to_uppercase();
                assert_eq!(
                    svg.to_uppercase().matches(&fill).count(),
                    1,
                    "cell ({c}, {r})"
                );
            }
        }
        let empty = HeatMap {
            row_edges: vec![0.0],
            ..map
        };
        assert!(heat_map(&empty, |_, _| WHITE).is_err());
    }
}
