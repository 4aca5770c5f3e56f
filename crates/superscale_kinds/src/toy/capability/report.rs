//! `capability.html`: the figures and tables of `superscale quanta --capability` (inline
//! SVG through plotters, like the quanta report).

use super::capability::Regime;
use anyhow::{anyhow, Result};
use plotters::prelude::*;
use std::fmt::Write as _;
use superscale_quanta::CAPABLE_BELOW;

const SIZE: (u32, u32) = (640, 420);
const PALETTE: [RGBColor; 4] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
];
const GREY: RGBColor = RGBColor(120, 120, 120);

fn fail(err: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("drawing the capability report failed: {err}")
}

fn width_range(regimes: &[Regime]) -> (f64, f64) {
    let widths = regimes
        .iter()
        .flat_map(|r| r.models.iter().map(|m| m.width as f64));
    let (lo, hi) = widths.fold((f64::INFINITY, 0.0f64), |(a, b), w| (a.min(w), b.max(w)));
    (lo / 1.2, hi * 1.2)
}

/// The largest number of features among the regimes (the top of the count axes).
fn feature_count(regimes: &[Regime]) -> f64 {
    regimes
        .iter()
        .map(|r| r.frequencies.len())
        .max()
        .unwrap_or(1) as f64
}

/// Capable features (solid) and represented rows ‖Wᵢ‖ > 1/2 (dashed) vs width, log-log,
/// with the line n = m (one feature per dimension).
fn count_plot(regimes: &[Regime]) -> Result<String> {
    let mut svg = String::new();
    let (x0, x1) = width_range(regimes);
    let n = feature_count(regimes);
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "capable features (solid) and ‖W_i‖ > 1/2 (dashed) vs width",
                ("sans-serif", 15),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((x0..x1).log_scale(), (0.8..n * 1.3).log_scale())
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("width m")
            .x_labels(6)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_desc("features")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new([(x0, x0), (x1, x1)], GREY))
            .map_err(fail)?
            .label("n = m")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREY));
        for (k, regime) in regimes.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let capable: Vec<(f64, f64)> = regime
                .models
                .iter()
                .zip(&regime.sweep.n_capable)
                .map(|(m, &c)| (m.width as f64, (c as f64).max(0.9)))
                .collect();
            chart
                .draw_series(LineSeries::new(capable.clone(), colour.stroke_width(2)))
                .map_err(fail)?
                .label(regime.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
            chart
                .draw_series(capable.iter().map(|&p| Circle::new(p, 3, colour.filled())))
                .map_err(fail)?;
            let represented: Vec<(f64, f64)> = regime
                .models
                .iter()
                .map(|m| (m.width as f64, (m.represented as f64).max(0.9)))
                .collect();
            chart
                .draw_series(DashedLineSeries::new(represented, 4, 4, colour.into()))
                .map_err(fail)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(GREY)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// The width at which each feature became capable vs its frequency rank, with the line
/// m = i + 1 of ideal weak superposition (the i + 1 most frequent features stored).
fn order_plot(regimes: &[Regime]) -> Result<String> {
    let mut svg = String::new();
    let (y0, y1) = width_range(regimes);
    let n = feature_count(regimes);
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "width at which feature i becomes capable",
                ("sans-serif", 15),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((0.8..n * 1.2).log_scale(), (y0..y1).log_scale())
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("frequency rank i + 1")
            .y_desc("first capable width")
            .y_labels(6)
            .y_label_formatter(&|v| format!("{v:.0}"))
            .x_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(LineSeries::new([(y0, y0), (y1, y1)], GREY))
            .map_err(fail)?;
        for (k, regime) in regimes.iter().enumerate() {
            let colour = PALETTE[k % PALETTE.len()];
            let points = regime.sweep.features.iter().filter_map(|f| {
                f.capable_width
                    .map(|w| ((f.feature + 1) as f64, w as f64 * (1.0 + 0.04 * k as f64)))
            });
            chart
                .draw_series(points.map(|p| Circle::new(p, 2, colour.filled())))
                .map_err(fail)?
                .label(regime.label.clone())
                .legend(move |(x, y)| Circle::new((x + 8, y), 3, colour.filled()));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(GREY)
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// Feature × width heat map of the relative error (white: capable, dark: at chance), the
/// feature axis logarithmic so the frequent features are visible.
fn heat_map(regime: &Regime) -> Result<String> {
    let mut svg = String::new();
    let widths: Vec<f64> = regime
        .models
        .iter()
        .map(|m| (m.width as f64).log10())
        .collect();
    let n = regime.frequencies.len();
    if widths.len() < 2 || n == 0 {
        return Ok(svg);
    }
    let edge = |k: usize| -> (f64, f64) {
        let left = if k == 0 {
            widths[0] - (widths[1] - widths[0]) / 2.0
        } else {
            (widths[k - 1] + widths[k]) / 2.0
        };
        let last = widths.len() - 1;
        let right = if k == last {
            widths[last] + (widths[last] - widths[last - 1]) / 2.0
        } else {
            (widths[k] + widths[k + 1]) / 2.0
        };
        (left, right)
    };
    let (x0, x1) = (edge(0).0, edge(widths.len() - 1).1);
    let top = ((n + 1) as f64).log10();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "relative error r_i, {} (white: r < {CAPABLE_BELOW})",
                    regime.label
                ),
                ("sans-serif", 14),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d(x0..x1, top..0.0)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("log10 width")
            .y_desc("log10 (feature + 1)")
            .disable_mesh()
            .draw()
            .map_err(fail)?;
        for (k, model) in regime.models.iter().enumerate() {
            let (left, right) = edge(k);
            let relative = model.errors.relative_error();
            chart
                .draw_series(relative.iter().enumerate().map(|(i, &r)| {
                    let shade = (r.clamp(0.0, 1.0) * 220.0) as u8;
                    let colour = if r < CAPABLE_BELOW {
                        WHITE
                    } else {
                        RGBColor(255 - shade, 255 - shade, 255 - shade / 3)
                    };
                    let (y_top, y_bottom) = (((i + 1) as f64).log10(), ((i + 2) as f64).log10());
                    Rectangle::new([(left, y_top), (right, y_bottom)], colour.filled())
                }))
                .map_err(fail)?;
        }
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

/// rᵢ vs width for a few features across the frequency range: abrupt (weak) or gradual.
fn feature_curves(regime: &Regime) -> Result<String> {
    let mut svg = String::new();
    let (x0, x1) = width_range(std::slice::from_ref(regime));
    let chosen: Vec<usize> = [0usize, 2, 9, 29, 99, 299, 999]
        .into_iter()
        .filter(|&i| i < regime.frequencies.len())
        .collect();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("r_i vs width, {}", regime.label),
                ("sans-serif", 14),
            )
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d((x0..x1).log_scale(), 0.0..1.1)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .x_desc("width m")
            .x_labels(6)
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_desc("relative error")
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(fail)?;
        chart
            .draw_series(DashedLineSeries::new(
                [(x0, CAPABLE_BELOW), (x1, CAPABLE_BELOW)],
                4,
                4,
                GREY.into(),
            ))
            .map_err(fail)?;
        for (k, &i) in chosen.iter().enumerate() {
            let colour = HSLColor(k as f64 / chosen.len() as f64 * 0.8, 0.7, 0.45);
            let curve: Vec<(f64, f64)> = regime
                .models
                .iter()
                .map(|m| (m.width as f64, m.errors.relative_error()[i].min(1.1)))
                .collect();
            chart
                .draw_series(LineSeries::new(curve, colour.stroke_width(2)))
                .map_err(fail)?
                .label(format!("feature {i}"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], colour));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(GREY)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    Ok(svg)
}

fn slope_text(slope: Option<superscale_quanta::Slope>) -> String {
    slope.map_or("–".into(), |s| {
        format!(
            "{:.3} ± {:.3} (R² {:.3}, {} points)",
            s.slope, s.standard_error, s.r_squared, s.n_points
        )
    })
}

/// The whole page.
pub fn html(name: &str, regimes: &[Regime]) -> Result<String> {
    let mut page = String::new();
    writeln!(page, "<!doctype html><html><head><meta charset=\"utf-8\"><title>{name} — capability</title><style>body{{font-family:sans-serif;max-width:1000px;margin:auto}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px;text-align:right}}</style></head><body><h1>{name}: per-feature capability vs width</h1>")?;
    writeln!(page, "<p>Feature i is <b>capable</b> at width m when its held-out error with the feature present, relative to ignoring it, r<sub>i</sub> = E[(ŷ<sub>i</sub> − x<sub>i</sub>)² | x<sub>i</sub> ≠ 0] / E[x<sub>i</sub>² | x<sub>i</sub> ≠ 0], is below {CAPABLE_BELOW} (the quanta model's 0.1-of-chance tolerance, docs/science/quanta.md §2.3). A single drop is r going from above 0.9 to below 0.1 within a factor 10 of width and never back above 0.5 (§C.3 C3). r<sub>i</sub> is the continuous metric, capable yes/no the discontinuous one (§D.2). docs/quanta.md has the definitions.</p>")?;
    page.push_str(&count_plot(regimes)?);
    page.push_str(&order_plot(regimes)?);
    for regime in regimes {
        let s = &regime.sweep;
        let (became, single) = s.single_drop_count();
        writeln!(page, "<h2>{}</h2><p>Order: Spearman ρ(frequency rank, first capable width) over the {became} features that became capable = {}; slope of ln(capable width) on ln p<sub>i</sub> = {} (ideal weak superposition: −1/α). Capable count ∝ m<sup>κ</sup>: κ = {}. Single drops: {single} of {became}.</p>",
            regime.label,
            s.order_spearman.map_or("–".into(), |v| format!("{v:.3}")),
            slope_text(s.order_slope),
            slope_text(s.count_slope))?;
        writeln!(page, "<table><tr><th>m</th><th>capable</th><th>‖W<sub>i</sub>‖ &gt; 1/2</th><th>Σ p<sub>i</sub> r<sub>i</sub></th><th>held-out L</th><th>L from Σ p e + (1−p) f</th></tr>")?;
        for (k, model) in regime.models.iter().enumerate() {
            writeln!(page, "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.4}</td><td>{:.4}</td><td>{:.4}</td></tr>", model.width, s.n_capable[k], model.represented, s.mean_relative_error[k], model.loss_heldout, model.errors.loss(&regime.frequencies))?;
        }
        writeln!(page, "</table>")?;
        page.push_str(&heat_map(regime)?);
        page.push_str(&feature_curves(regime)?);
    }
    writeln!(page, "</body></html>")?;
    Ok(page)
}
