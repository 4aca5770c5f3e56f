//! The aggregate forecast of one backtest against what happened: observed loss at the
//! held-out scales, the power law's and the BNSL's 95 % prediction intervals (bands).

use anyhow::{anyhow, Result};
use plotters::prelude::*;
use superscale_quanta::{Backtest, Interval};

const SIZE: (u32, u32) = (640, 380);

/// Which interval of a held-out point a band draws.
type Pick = fn(&superscale_quanta::AggregateForecast) -> Option<Interval>;

fn fail(err: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing the aggregate forecast failed: {err}")
}

/// Log-log bands of both laws' intervals with their central lines, and the observations.
pub fn aggregate_forecast(backtest: &Backtest) -> Result<String> {
    let mut svg = String::new();
    let points = &backtest.aggregate;
    let finite = |v: f64| v.is_finite() && v > 0.0;
    let values = points.iter().flat_map(|a| {
        let mut v = vec![a.observed];
        for interval in [a.power_law, a.broken_power_law].into_iter().flatten() {
            v.extend([interval.predicted, interval.lower, interval.upper]);
        }
        v
    });
    let (y0, y1) = values
        .filter(|&v| finite(v))
        .fold((f64::INFINITY, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (x0, x1) = points.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| {
        (a.min(p.scale), b.max(p.scale))
    });
    if points.len() < 2 || y0.partial_cmp(&y1) != Some(std::cmp::Ordering::Less) || x0 >= x1 {
        return Ok(svg);
    }
    // Bands are clipped to the plotted range: an interval's lower end can be ≤ 0.
    let clip = |v: f64| {
        if finite(v) {
            v.clamp(y0 / 1.5, y1 * 1.5)
        } else if v > 0.0 {
            y1 * 1.5
        } else {
            y0 / 1.5
        }
    };
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "{}: aggregate loss beyond the cutoff {} ({})",
                    backtest.group, backtest.cutoff, backtest.axis
                ),
                ("sans-serif", 14),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (x0 / 1.1..x1 * 1.1).log_scale(),
                (y0 / 1.5..y1 * 1.5).log_scale(),
            )
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc(backtest.axis.as_str())
            .y_desc("test loss (bits)")
            .y_label_formatter(&|v| format!("{v:.3}"))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(fail)?;
        let laws: [(&str, RGBColor, Pick); 2] = [
            ("power law", RGBColor(31, 119, 180), |a| a.power_law),
            ("BNSL", RGBColor(214, 39, 40), |a| a.broken_power_law),
        ];
        for (name, colour, pick) in laws {
            let band: Vec<(f64, Interval)> = points
                .iter()
                .filter_map(|a| pick(a).map(|i| (a.scale, i)))
                .collect();
            if band.is_empty() {
                continue;
            }
            let mut outline: Vec<(f64, f64)> =
                band.iter().map(|(x, i)| (*x, clip(i.upper))).collect();
            outline.extend(band.iter().rev().map(|(x, i)| (*x, clip(i.lower))));
            chart
                .draw_series([Polygon::new(outline, colour.mix(0.18).filled())])
                .map_err(fail)?;
            chart
                .draw_series(LineSeries::new(
                    band.iter().map(|(x, i)| (*x, clip(i.predicted))),
                    colour.stroke_width(2),
                ))
                .map_err(fail)?
                .label(format!("{name} [95%]"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        chart
            .draw_series(
                points
                    .iter()
                    .map(|a| Circle::new((a.scale, a.observed), 3, BLACK.filled())),
            )
            .map_err(fail)?
            .label("observed")
            .legend(|(x, y)| Circle::new((x + 8, y), 3, BLACK.filled()));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(RGBColor(120, 120, 120))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}
