//! The figures of `superscale weights --plot DIR`: the row-norm histogram of one matrix, and
//! for a family of widths the figure of `docs/science/superposition.md` §3.6: MSO against m
//! on log-log axes with the fitted power law, the Welch bound κ² and 1/m, and beside it the
//! loss against m. Each is returned as SVG text.

use crate::chart::plot_error;
use crate::error::Result;
use crate::palette::{GRID, REFERENCE as GREY};
use plotters::prelude::*;

const SIZE: (u32, u32) = (640, 420);
// The report's palette: the data in its first colour, fitted lines in its second.
const DATA: RGBColor = crate::palette::OKABE_ITO[0];
const FIT: RGBColor = crate::palette::OKABE_ITO[1];

/// Bars of a histogram of row norms: `(lower edge, upper edge, count)` from `min` to `max`.
pub fn norm_histogram(
    title: &str,
    bins: &[(f64, f64, usize)],
    min: f64,
    max: f64,
) -> Result<String> {
    let peak = bins.iter().map(|b| b.2).max().unwrap_or(1).max(1);
    let (lo, hi) = (min, max.max(min + 1e-9));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(title, e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 15))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(lo..hi, 0.0..peak as f64 * 1.05)
            .map_err(|e| plot_error(title, e))?;
        chart
            .configure_mesh()
            .x_desc("row norm ‖W_i‖")
            .y_desc("features")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(GRID)
            .draw()
            .map_err(|e| plot_error(title, e))?;
        chart
            .draw_series(bins.iter().map(|&(left, right, count)| {
                Rectangle::new([(left, 0.0), (right, count as f64)], DATA.mix(0.7).filled())
            }))
            .map_err(|e| plot_error(title, e))?;
        root.present().map_err(|e| plot_error(title, e))?;
    }
    Ok(svg)
}

/// A fitted power law ln y = intercept − exponent·ln m with the exponent's interval
/// (`docs/science/superposition.md` §2.4).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PowerLine {
    /// c in ln y = c − α ln m
    pub intercept: f64,
    /// α
    pub exponent: f64,
    /// lower bound of α's interval
    pub lower: f64,
    /// upper bound of α's interval
    pub upper: f64,
}

/// A family of widths: per member (m, MSO, κ², loss), and the fits of MSO and loss.
#[derive(Debug, Clone, Default)]
pub struct FamilyFigure {
    /// (m, MSO, Welch bound κ², loss if known) of every member
    pub members: Vec<(f64, f64, f64, Option<f64>)>,
    /// MSO ∝ m^−slope, when fitted
    pub mso_fit: Option<PowerLine>,
    /// loss ∝ m^−slope, when fitted
    pub loss_fit: Option<PowerLine>,
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
    fit: Option<PowerLine>,
    crosses: Option<(&'a str, Vec<(f64, f64)>)>,
    reference: Option<Reference<'a>>,
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    panel: &Panel<'_>,
) -> std::result::Result<(), String> {
    let text = |e: &dyn std::fmt::Display| e.to_string();
    let crosses = panel.crosses.as_ref().map_or(&[][..], |c| &c.1[..]);
    let Some((x0, x1, y0, y1)) = log_bounds(panel.points.iter().chain(crosses)) else {
        return Err("nothing finite to plot".into());
    };
    let mut chart = ChartBuilder::on(area)
        .caption(panel.caption, ("sans-serif", 15))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(70)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| text(&e))?;
    chart
        .configure_mesh()
        .x_desc("width m")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_desc(panel.y_label)
        .y_label_formatter(&|v| format!("{v:.1e}"))
        .light_line_style(GRID)
        .draw()
        .map_err(|e| text(&e))?;
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
                .map(|&p| Circle::new(p, 5, DATA.filled())),
        )
        .map_err(|e| text(&e))?
        .label(panel.point_label)
        .legend(|(x, y)| Circle::new((x + 8, y), 4, DATA.filled()));
    if let Some((label, points)) = &panel.crosses {
        chart
            .draw_series(
                points
                    .iter()
                    .map(|&p| Cross::new(p, 4, GREY.stroke_width(2))),
            )
            .map_err(|e| text(&e))?
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
            .map_err(|e| text(&e))?
            .label(*label)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], GREY.stroke_width(1)));
    }
    if let Some(fit) = panel.fit {
        // ln y = intercept − slope·ln m (OLS, `docs/science/superposition.md` §2.4).
        let line = across(&|m: f64| (fit.intercept - fit.exponent * m.ln()).exp());
        chart
            .draw_series(LineSeries::new(line, FIT.stroke_width(2)))
            .map_err(|e| text(&e))?
            .label(format!(
                "fit ∝ m^-{:.3} [{:.3}, {:.3}]",
                fit.exponent, fit.lower, fit.upper
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], FIT.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(crate::palette::REFERENCE)
        .position(SeriesLabelPosition::LowerLeft)
        .draw()
        .map_err(|e| text(&e))?;
    Ok(())
}

/// The §3.6 figure of a family: MSO against m with its fit, κ² and the 1/m reference, and
/// beside it, when members have losses, the loss against m with its fit.
pub fn family_figure(family: &FamilyFigure) -> Result<String> {
    const TITLE: &str = "mean squared overlap vs width (§3.4, §3.6)";
    let mso = Panel {
        caption: TITLE,
        y_label: "MSO = E[cos²]",
        points: positive(family.members.iter().map(|x| (x.0, x.1))),
        point_label: "measured MSO",
        fit: family.mso_fit,
        crosses: Some((
            "Welch bound κ²",
            positive(family.members.iter().map(|x| (x.0, x.2))),
        )),
        reference: Some(("1/m", |m| 1.0 / m)),
    };
    let losses = positive(
        family
            .members
            .iter()
            .filter_map(|x| x.3.map(|loss| (x.0, loss))),
    );
    let size = if losses.is_empty() {
        SIZE
    } else {
        (2 * SIZE.0, SIZE.1)
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(TITLE, e))?;
        if losses.is_empty() {
            draw_panel(&root, &mso).map_err(|e| plot_error(TITLE, e))?;
        } else {
            let (left, right) = root.split_horizontally(SIZE.0);
            draw_panel(&left, &mso).map_err(|e| plot_error(TITLE, e))?;
            let loss = Panel {
                caption: "loss vs width (§3.6)",
                y_label: "loss",
                points: losses,
                point_label: "loss",
                fit: family.loss_fit,
                crosses: None,
                reference: None,
            };
            draw_panel(&right, &loss).map_err(|e| plot_error(loss.caption, e))?;
        }
        root.present().map_err(|e| plot_error(TITLE, e))?;
    }
    Ok(svg)
}
