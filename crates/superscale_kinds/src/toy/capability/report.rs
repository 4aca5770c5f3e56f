//! The capability section of a toy-model report: capable features against width, the order
//! in which features become capable, and per regime a feature × width heat map and the
//! relative error of a few features against width.

use super::{Regime, Slope, CAPABLE_BELOW};
use plotters::prelude::*;
use superscale_report::chart::{
    self as chart, figure, midpoint_edges, tick, xy_chart, HeatMap, Scale, Series, Style,
    CAPTION_FONT, SIZE,
};
use superscale_report::palette::{color, shade, GRID, REFERENCE};
use superscale_report::{Block, Result, Section, Table};

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

fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> std::result::Result<(), String> {
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(REFERENCE)
        .label_font(("sans-serif", 11))
        .position(position)
        .draw()
        .map_err(|e| e.to_string())
}

/// Capable features (solid) and represented rows ‖Wᵢ‖ > 1/2 (dashed) vs width, log-log,
/// with the line n = m (one feature per dimension).
fn count_plot(regimes: &[Regime]) -> Result<String> {
    let (x0, x1) = width_range(regimes);
    let n = feature_count(regimes);
    let title = "Capable features (solid) and ‖W_i‖ > 1/2 (dashed) vs width";
    figure(SIZE, title, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(title, CAPTION_FONT)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d((x0..x1).log_scale(), (0.8..n * 1.3).log_scale())
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("width m")
            .y_desc("features")
            // Labelled at every tick when the axis spans less than a decade.
            .x_label_formatter(&|v| tick(*v, x1 / x0 >= 10.0))
            .y_label_formatter(&|v| tick(*v, n * 1.3 / 0.8 >= 10.0))
            .light_line_style(GRID)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(LineSeries::new([(x0, x0), (x1, x1)], REFERENCE))
            .map_err(|e| e.to_string())?
            .label("n = m")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], REFERENCE));
        for (k, regime) in regimes.iter().enumerate() {
            let c = color(k);
            let capable: Vec<(f64, f64)> = regime
                .models
                .iter()
                .zip(&regime.sweep.n_capable)
                .map(|(m, &count)| (m.width as f64, (count as f64).max(0.9)))
                .collect();
            chart
                .draw_series(LineSeries::new(capable.clone(), c.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(regime.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
            chart
                .draw_series(capable.iter().map(|&p| Circle::new(p, 3, c.filled())))
                .map_err(|e| e.to_string())?;
            let represented: Vec<(f64, f64)> = regime
                .models
                .iter()
                .map(|m| (m.width as f64, (m.represented as f64).max(0.9)))
                .collect();
            chart
                .draw_series(DashedLineSeries::new(represented, 4, 4, c.into()))
                .map_err(|e| e.to_string())?;
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    })
}

/// The width at which each feature became capable vs its frequency rank, with the line
/// m = i + 1 of ideal weak superposition (the i + 1 most frequent features stored).
fn order_plot(regimes: &[Regime]) -> Result<String> {
    let (y0, y1) = width_range(regimes);
    let mut series = vec![Series {
        hover: Vec::new(),
        label: "m = i + 1".into(),
        points: vec![(y0, y0), (y1, y1)],
        style: Style::Reference,
        color: 0,
    }];
    for (k, regime) in regimes.iter().enumerate() {
        series.push(Series {
            hover: Vec::new(),
            label: regime.name.clone(),
            // Regimes are nudged apart vertically so coinciding points stay visible.
            points: regime
                .sweep
                .features
                .iter()
                .filter_map(|f| {
                    f.capable_width
                        .map(|w| ((f.feature + 1) as f64, w as f64 * (1.0 + 0.04 * k as f64)))
                })
                .collect(),
            style: Style::Points,
            color: k,
        });
    }
    xy_chart(
        "Width at which feature i becomes capable",
        "frequency rank i + 1",
        "first capable width",
        Scale::LogLog,
        &series,
    )
}

/// Feature × width heat map of the relative error (white: capable, dark: at chance), the
/// feature axis logarithmic so the frequent features are visible.
fn heat_map(regime: &Regime) -> Result<Option<String>> {
    let widths: Vec<f64> = regime
        .models
        .iter()
        .map(|m| (m.width as f64).log10())
        .collect();
    let n = regime.frequencies.len();
    if widths.len() < 2 || n == 0 {
        return Ok(None);
    }
    let title = format!(
        "Relative error r_i, {} (white: r < {CAPABLE_BELOW})",
        regime.name
    );
    let relative: Vec<Vec<f64>> = regime
        .models
        .iter()
        .map(|model| model.errors.relative_error())
        .collect();
    let map = HeatMap {
        title: &title,
        x_label: "log10 width",
        y_label: "log10 (feature + 1)",
        column_edges: midpoint_edges(&widths),
        row_edges: (0..=n).map(|i| ((i + 1) as f64).log10()).collect(),
    };
    chart::heat_map(&map, |model, feature| {
        let r = relative[model].get(feature).copied().unwrap_or(f64::NAN);
        if r < CAPABLE_BELOW {
            WHITE
        } else {
            shade(r)
        }
    })
    .map(Some)
}

/// rᵢ vs width for a few features across the frequency range: abrupt (weak) or gradual.
fn feature_curves(regime: &Regime) -> Result<String> {
    let (x0, x1) = width_range(std::slice::from_ref(regime));
    let chosen: Vec<usize> = [0usize, 2, 9, 29, 99, 299, 999]
        .into_iter()
        .filter(|&i| i < regime.frequencies.len())
        .collect();
    let title = format!("r_i vs width, {}", regime.name);
    figure(SIZE, &title, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(&title, CAPTION_FONT)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(50)
            .build_cartesian_2d((x0..x1).log_scale(), 0.0..1.1)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("width m")
            .y_desc("relative error")
            .x_label_formatter(&|v| tick(*v, x1 / x0 >= 10.0))
            .y_label_formatter(&|v| tick(*v, false))
            .light_line_style(GRID)
            .draw()
            .map_err(|e| e.to_string())?;
        chart
            .draw_series(DashedLineSeries::new(
                [(x0, CAPABLE_BELOW), (x1, CAPABLE_BELOW)],
                4,
                4,
                REFERENCE.into(),
            ))
            .map_err(|e| e.to_string())?;
        for (k, &i) in chosen.iter().enumerate() {
            let c = color(k);
            let curve: Vec<(f64, f64)> = regime
                .models
                .iter()
                .map(|m| (m.width as f64, m.errors.relative_error()[i].min(1.1)))
                .collect();
            chart
                .draw_series(LineSeries::new(curve, c.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(format!("feature {i}"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperRight)
    })
}

fn slope_text(slope: Option<Slope>) -> String {
    slope.map_or("–".into(), |s| {
        format!(
            "{:.3} ± {:.3} (R² {:.3}, {} points)",
            s.slope, s.standard_error, s.r_squared, s.n_points
        )
    })
}

fn figure_block(id: &str, svg: String) -> Block {
    Block::Figure {
        id: id.to_string(),
        svg,
        caption: String::new(),
    }
}

fn width_table(regime: &Regime) -> Table {
    let s = &regime.sweep;
    Table {
        header: [
            "m",
            "capable",
            "‖W_i‖ > 1/2",
            "Σ p_i r_i",
            "held-out L",
            "L from Σ p e + (1−p) f",
        ]
        .map(String::from)
        .to_vec(),
        rows: regime
            .models
            .iter()
            .enumerate()
            .map(|(k, model)| {
                vec![
                    model.width.to_string(),
                    s.n_capable[k].to_string(),
                    model.represented.to_string(),
                    format!("{:.4}", s.mean_relative_error[k]),
                    format!("{:.4}", model.loss_heldout),
                    format!("{:.4}", model.errors.loss(&regime.frequencies)),
                ]
            })
            .collect(),
    }
}

/// The capability section of a toy-model study's report.
pub(crate) fn sections(regimes: &[Regime]) -> Result<Vec<Section>> {
    let mut section = Section::new("Capability");
    section.push(Block::Text(format!(
        "Feature i is capable at width m when its held-out error with the feature present, \
         relative to ignoring it, r_i = E[(ŷ_i − x_i)² | x_i ≠ 0] / E[x_i² | x_i ≠ 0], is below \
         {CAPABLE_BELOW} (the quanta model's 0.1-of-chance tolerance, docs/science/quanta.md \
         §2.3). A single drop is r going from above 0.9 to below 0.1 within a factor 10 of \
         width and never back above 0.5 (§2.3). r_i is the continuous metric, capable yes/no \
         the discontinuous one (§6). docs/quanta.md has the definitions."
    )));
    if regimes.is_empty() {
        section.push(Block::Note("No finished run to measure.".into()));
        return Ok(vec![section]);
    }
    section.push(figure_block("capability-count", count_plot(regimes)?));
    section.push(figure_block("capability-order", order_plot(regimes)?));
    let mut out = vec![section];
    for regime in regimes {
        let s = &regime.sweep;
        let (became, single) = s.single_drop_count();
        let mut part = Section::new(format!("Capability: {}", regime.name));
        part.push(Block::Text(format!(
            "Order: Spearman ρ(frequency rank, first capable width) over the {became} features \
             that became capable = {}; slope of ln(capable width) on ln p_i = {} (ideal weak \
             superposition: −1/α). Capable count ∝ m^κ: κ = {}. Single drops: {single} of {became}.",
            s.order_spearman.map_or("–".into(), |v| format!("{v:.3}")),
            slope_text(s.order_slope),
            slope_text(s.count_slope)
        )));
        part.push(Block::Table(width_table(regime)));
        if let Some(svg) = heat_map(regime)? {
            part.push(figure_block("", svg));
        }
        part.push(figure_block("", feature_curves(regime)?));
        out.push(part);
    }
    Ok(out)
}
