//! The aggregate forecast of one backtest against what happened: observed loss at the
//! held-out scales, the power law's and the BNSL's 95 % prediction intervals (bands).

use crate::quanta::forecast::{AggregateForecast, Backtest, Interval};
use plotters::prelude::*;
use superscale_report::chart::{figure, log_log_axes, SIZE};
use superscale_report::palette::{color, REFERENCE};
use superscale_report::Result;

/// Which interval of a held-out point a band draws.
type Pick = fn(&AggregateForecast) -> Option<Interval>;

/// Log-log bands of both laws' intervals with their central lines, and the observations;
/// None when fewer than two held-out points can be drawn.
pub(super) fn aggregate_forecast(backtest: &Backtest) -> Result<Option<String>> {
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
        return Ok(None);
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
    let title = format!(
        "{}: aggregate loss beyond the cutoff {} ({})",
        backtest.group, backtest.cutoff, backtest.axis
    );
    figure(SIZE, &title, |root| {
        let mut chart = log_log_axes(
            root,
            &title,
            (x0 / 1.1, x1 * 1.1),
            (y0 / 1.5, y1 * 1.5),
            backtest.axis.as_str(),
            "test loss (bits)",
        )?;
        let laws: [(&str, usize, Pick); 2] = [
            ("power law", 0, |a| a.power_law),
            ("BNSL", 1, |a| a.broken_power_law),
        ];
        for (name, index, pick) in laws {
            let c = color(index);
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
                .draw_series([Polygon::new(outline, c.mix(0.18).filled())])
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(LineSeries::new(
                    band.iter().map(|(x, i)| (*x, clip(i.predicted))),
                    c.stroke_width(2),
                ))
                .map_err(|e| e.to_string())?
                .label(format!("{name} [95%]"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
        }
        let observed = color(7);
        chart
            .draw_series(
                points
                    .iter()
                    .map(|a| Circle::new((a.scale, a.observed), 3, observed.filled())),
            )
            .map_err(|e| e.to_string())?
            .label("observed")
            .legend(move |(x, y)| Circle::new((x + 8, y), 3, observed.filled()));
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(REFERENCE)
            .label_font(("sans-serif", 11))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())?;
        Ok(())
    })
    .map(Some)
}
