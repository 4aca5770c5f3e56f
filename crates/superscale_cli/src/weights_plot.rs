//! SVG figures of `superscale weights --plot DIR` (plotters): the row-norm histogram of one
//! matrix, and for a family of widths the figure of `docs/science/superposition.md` §3.6:
//! MSO against m on log-log axes with the fitted power law, the Welch bound κ² and 1/m, and
//! beside it the loss against m.

use crate::weights_family::Member;
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::path::Path;
use superscale_measure::{FamilyFits, PowerLawFit, WeightStats};

const SIZE: (u32, u32) = (640, 420);
const BLUE: RGBColor = RGBColor(31, 119, 180);
const RED: RGBColor = RGBColor(214, 39, 40);
const GREY: RGBColor = RGBColor(120, 120, 120);

fn plot_error(path: &Path, err: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("{}: drawing failed: {err}", path.display())
}

/// Bars of the row-norm histogram of `stats` written to `path`.
pub fn norm_histogram(path: &Path, title: &str, stats: &WeightStats) -> Result<()> {
    let bins = &stats.norms.histogram;
    let peak = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1);
    let (lo, hi) = (stats.norms.min, stats.norms.max.max(stats.norms.min + 1e-9));
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(lo..hi, 0.0..peak as f64 * 1.05)
        .map_err(|e| plot_error(path, e))?;
    chart
        .configure_mesh()
        .x_desc("row norm ‖W_i‖")
        .y_desc("features")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| plot_error(path, e))?;
    chart
        .draw_series(bins.iter().map(|&(left, right, count)| {
            Rectangle::new([(left, 0.0), (right, count as f64)], BLUE.mix(0.7).filled())
        }))
        .map_err(|e| plot_error(path, e))?;
    root.present().map_err(|e| plot_error(path, e))?;
    Ok(())
}

/// The bounds of log-log axes around `points`, widened so markers stay inside.
fn log_bounds<'a>(points: impl Iterator<Item = &'a (f64, f64)>) -> Option<(f64, f64, f64, f64)> {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    let mut any = false;
    for &(x, y) in points {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        any = true;
    }
    any.then_some((x0 / 1.2, x1 * 1.2, y0 / 1.5, y1 * 1.5))
}

fn positive(points: impl Iterator<Item = (f64, f64)>) -> Vec<(f64, f64)> {
    points
        .filter(|(m, v)| *m > 0.0 && v.is_finite() && *v > 0.0)
        .collect()
}

/// A labelled reference curve y(m), drawn dashed.
type Reference<'a> = (&'a str, fn(f64) -> f64);

/// One log-log panel: measured points (blue), the fitted C·m^−slope (red), and reference
/// series (grey crosses, a dashed grey line).
struct Panel<'a> {
    caption: &'a str,
    y_label: &'a str,
    points: Vec<(f64, f64)>,
    point_label: &'a str,
    fit: Option<&'a PowerLawFit>,
    crosses: Option<(&'a str, Vec<(f64, f64)>)>,
    reference: Option<Reference<'a>>,
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    path: &Path,
    panel: &Panel<'_>,
) -> Result<()> {
    let crosses = panel.crosses.as_ref().map_or(&[][..], |c| &c.1[..]);
    let Some((x0, x1, y0, y1)) = log_bounds(panel.points.iter().chain(crosses)) else {
        return Err(anyhow!("{}: nothing finite to plot", path.display()));
    };
    let mut chart = ChartBuilder::on(area)
        .caption(panel.caption, ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| plot_error(path, e))?;
    chart
        .configure_mesh()
        .x_desc("width m")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc(panel.y_label)
        .y_label_formatter(&|v| format!("{v:.1e}"))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| plot_error(path, e))?;
    let across = |f: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
        (0..=40)
            .map(|k| {
                let m = x0 * (x1 / x0).powf(f64::from(k) / 40.0);
                (m, f(m))
            })
            .filter(|&(_, y)| y >= y0 && y <= y1)
            .collect()
    };
    chart
        .draw_series(
            panel
                .points
                .iter()
                .map(|&p| Circle::new(p, 5, BLUE.filled())),
        )
        .map_err(|e| plot_error(path, e))?
        .label(panel.point_label)
        .legend(|(x, y)| Circle::new((x + 8, y), 4, BLUE.filled()));
    if let Some((label, points)) = &panel.crosses {
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Cross::new(p, 4, GREY.stroke_width(2))),
            )
            .map_err(|e| plot_error(path, e))?
            .label(*label)
            .legend(|(x, y)| Cross::new((x + 8, y), 4, GREY.stroke_width(2)));
    }
    if let Some((label, curve)) = &panel.reference {
        chart
            .draw_series(DashedLineSeries::new(
                across(curve),
                6,
                4,
                GREY.stroke_width(1),
            ))
            .map_err(|e| plot_error(path, e))?
            .label(*label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREY.stroke_width(1)));
    }
    if let Some(fit) = panel.fit {
        // ln y = intercept − slope·ln m (OLS, `docs/science/superposition.md` §2.4).
        let line = across(&|m: f64| (fit.intercept - fit.exponent * m.ln()).exp());
        chart
            .draw_series(LineSeries::new(line, RED.stroke_width(2)))
            .map_err(|e| plot_error(path, e))?
            .label(format!(
                "fit ∝ m^-{:.3} [{:.3}, {:.3}]",
                fit.exponent, fit.lower, fit.upper
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .map_err(|e| plot_error(path, e))?;
    Ok(())
}

/// The §3.6 figure of a family: MSO against m with its fit, κ² and the 1/m reference, and
/// beside it, when files have losses, the loss against m with its fit.
pub fn family_figure(path: &Path, members: &[Member], fits: &FamilyFits) -> Result<()> {
    let mso = Panel {
        caption: "mean squared overlap vs width (§3.4, §3.6)",
        y_label: "MSO = E[cos²]",
        points: positive(
            members
                .iter()
                .map(|x| (x.stats.width as f64, x.stats.overlap.mean_sq)),
        ),
        point_label: "measured MSO",
        fit: fits.mso.as_ref().ok(),
        crosses: Some((
            "Welch bound κ²",
            positive(
                members
                    .iter()
                    .map(|x| (x.stats.width as f64, x.stats.welch_sq)),
            ),
        )),
        reference: Some(("1/m", |m| 1.0 / m)),
    };
    let losses = positive(
        members
            .iter()
            .filter_map(|x| x.loss.as_ref().map(|l| (x.stats.width as f64, l.0))),
    );
    let size = if losses.is_empty() {
        SIZE
    } else {
        (2 * SIZE.0, SIZE.1)
    };
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
    if losses.is_empty() {
        draw_panel(&root, path, &mso)?;
    } else {
        let (left, right) = root.split_horizontally(SIZE.0);
        draw_panel(&left, path, &mso)?;
        let loss = Panel {
            caption: "loss vs width (§3.6)",
            y_label: "loss",
            points: losses,
            point_label: "loss",
            fit: fits.loss.as_ref().ok(),
            crosses: None,
            reference: None,
        };
        draw_panel(&right, path, &loss)?;
    }
    root.present().map_err(|e| plot_error(path, e))?;
    Ok(())
}
