//! SVG figures of `superscale weights --plot DIR` (plotters): the row-norm histogram of one
//! matrix, and for a family of widths the §3.6 figure, MSO against m on log-log axes with
//! the fitted power law and the Welch bound κ².

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::path::Path;
use superscale_weights::WeightStats;

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

/// The §3.6 figure: MSO (points), the fitted line C·m^−slope and κ² (grey) against m.
pub fn mso_against_width(
    path: &Path,
    measured: &[&WeightStats],
    fit: Option<(f64, f64)>,
) -> Result<()> {
    let points: Vec<(f64, f64)> = measured
        .iter()
        .map(|s| (s.width as f64, s.overlap.mean_sq))
        .filter(|(m, v)| *m > 0.0 && v.is_finite() && *v > 0.0)
        .collect();
    let welch: Vec<(f64, f64)> = measured
        .iter()
        .map(|s| (s.width as f64, s.welch_sq))
        .filter(|(_, v)| v.is_finite() && *v > 0.0)
        .collect();
    let every = points.iter().chain(&welch);
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in every {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if points.is_empty() {
        return Err(anyhow!("{}: no finite MSO to plot", path.display()));
    }
    let (x0, x1, y0, y1) = (x0 / 1.2, x1 * 1.2, y0 / 1.5, y1 * 1.5);
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption("mean squared overlap vs width (§3.6)", ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| plot_error(path, e))?;
    chart
        .configure_mesh()
        .x_desc("width m")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc("MSO = E[cos²]")
        .y_label_formatter(&|v| format!("{v:.1e}"))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(|e| plot_error(path, e))?;
    chart
        .draw_series(points.iter().map(|&p| Circle::new(p, 5, BLUE.filled())))
        .map_err(|e| plot_error(path, e))?
        .label("measured MSO")
        .legend(|(x, y)| Circle::new((x + 8, y), 4, BLUE.filled()));
    chart
        .draw_series(
            welch
                .iter()
                .map(|&p| Cross::new(p, 4, GREY.stroke_width(2))),
        )
        .map_err(|e| plot_error(path, e))?
        .label("Welch bound κ²")
        .legend(|(x, y)| Cross::new((x + 8, y), 4, GREY.stroke_width(2)));
    if let Some((slope, intercept)) = fit {
        // ln MSO = intercept − slope·ln m, drawn across the measured widths.
        let line = (0..=40).map(|k| {
            let m = x0 * (x1 / x0).powf(f64::from(k) / 40.0);
            (m, (intercept - slope * m.ln()).exp())
        });
        chart
            .draw_series(LineSeries::new(line, RED.stroke_width(2)))
            .map_err(|e| plot_error(path, e))?
            .label(format!("fit ∝ m^-{slope:.3}"))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], RED.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(200, 200, 200))
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .map_err(|e| plot_error(path, e))?;
    root.present().map_err(|e| plot_error(path, e))?;
    Ok(())
}
