//! The heat map of a two-axis Anthropic sweep, such as importance × sparsity over a grid of
//! n = 5, m = 2 models (Elhage et al. 2022, the phase diagrams of `docs/science/tms.md` §5;
//! issue 6's 32 × 32 grid): each cell is one sweep point (its best replicate by held-out loss),
//! coloured by ‖W‖²_F / m = 1/D*, the features stored per hidden dimension (tms.md §4.3:
//! D* = m/‖W‖²_F). It is 1 where m features take one dimension each and rises towards n/m as
//! sparsity packs more features into superposition. Hovering a cell shows its D*, held-out loss
//! and run id.

use super::notation;
use super::tms::significant;
use crate::toy::analysis::{anthropic, best_per_point};
use crate::toy::execute::RunResult;
use std::fmt::Write;
use superscale_spec::ModelSpec;

/// The heat map, or an empty string when the study is not a two-axis Anthropic sweep with
/// numeric axes and one measured geometry per point.
pub(crate) fn figure(results: &[RunResult], model: &ModelSpec) -> String {
    let best = best_per_point(results);
    let Some(first) = best.first() else {
        return String::new();
    };
    if first.point.axes.len() != 2 {
        return String::new();
    }
    let axes = (first.point.axes[0].0.clone(), first.point.axes[1].0.clone());
    let names = (
        notation::axis_title(&axes.0, model),
        notation::axis_title(&axes.1, model),
    );
    let symbols = (
        notation::symbol(&axes.0, model).to_string(),
        notation::symbol(&axes.1, model).to_string(),
    );
    let mut cells = Vec::with_capacity(best.len());
    for result in &best {
        let (Some(spec), Some(geometry)) = (anthropic(result), result.geometry.as_ref()) else {
            return String::new();
        };
        let axes = &result.point.axes;
        let value = |k: usize| axes.get(k).and_then(|(_, v)| v.parse::<f64>().ok());
        let (Some(y), Some(x)) = (value(0), value(1)) else {
            return String::new();
        };
        let per_dimension = 1.0 / geometry.dimensions_per_feature;
        cells.push((
            x,
            y,
            per_dimension,
            *result,
            spec.n_features as f64 / spec.n_hidden as f64,
        ));
    }
    let mut xs: Vec<f64> = cells.iter().map(|c| c.0).collect();
    let mut ys: Vec<f64> = cells.iter().map(|c| c.1).collect();
    for v in [&mut xs, &mut ys] {
        v.sort_by(f64::total_cmp);
        v.dedup();
    }
    let top_value = cells.iter().map(|c| c.4).fold(1.0, f64::max);
    let cell = (560.0 / xs.len().max(ys.len()) as f64).clamp(12.0, 40.0);
    let (left, top) = (90.0, 40.0);
    let (plot_width, plot_height) = (cell * xs.len() as f64, cell * ys.len() as f64);
    let width = left + plot_width + 150.0;
    let height = top + plot_height + 90.0;
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">");
    let _ = write!(
        svg,
        "<text x=\"{left}\" y=\"20\" font-size=\"15\">Features per dimension ‖W‖²/m = 1/D* (best replicate per cell)</text>"
    );
    for (x, y, value, result, _) in &cells {
        let column = xs.iter().position(|v| v == x).unwrap_or(0) as f64;
        let row = (ys.len() - 1 - ys.iter().position(|v| v == y).unwrap_or(0)) as f64;
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{cell:.1}\" height=\"{cell:.1}\" fill=\"{}\"><title>{} = {}, {} = {}: 1/D* = {:.3}, D* = {:.3}, held-out loss {:.4}, run {}</title></rect>",
            left + column * cell,
            top + row * cell,
            shade(value / top_value),
            symbols.1,
            significant(*x),
            symbols.0,
            significant(*y),
            value,
            1.0 / value,
            result.loss_heldout,
            result.point.run_id
        );
    }
    // At most about ten labels per axis, the first and the last always among them.
    let every = |count: usize| count.div_ceil(10).max(1);
    for (k, x) in xs.iter().enumerate() {
        if k % every(xs.len()) == 0 || k + 1 == xs.len() {
            let (px, py) = (left + (k as f64 + 0.3) * cell, top + plot_height + 12.0);
            let _ = write!(
                svg,
                "<text x=\"{px:.1}\" y=\"{py:.1}\" transform=\"rotate(45 {px:.1} {py:.1})\">{}</text>",
                significant(*x)
            );
        }
    }
    for (k, y) in ys.iter().rev().enumerate() {
        if k % every(ys.len()) == 0 || k + 1 == ys.len() {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
                left - 6.0,
                top + (k as f64 + 0.6) * cell,
                significant(*y)
            );
        }
    }
    let _ = write!(
        svg,
        "<text x=\"{x:.1}\" y=\"{bottom:.1}\" text-anchor=\"middle\">{x_name}</text>\
         <text x=\"14\" y=\"{middle:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {middle:.1})\">{y_name}</text>",
        x = left + plot_width / 2.0,
        bottom = top + plot_height + 80.0,
        x_name = names.1,
        middle = top + plot_height / 2.0,
        y_name = names.0
    );
    // The colour bar: 0 to n/m.
    let bar_x = left + plot_width + 30.0;
    for step in 0..=20 {
        let fraction = f64::from(step) / 20.0;
        let _ = write!(
            svg,
            "<rect x=\"{bar_x:.1}\" y=\"{:.1}\" width=\"16\" height=\"{:.1}\" fill=\"{}\"/>",
            top + (1.0 - fraction) * plot_height * 20.0 / 21.0,
            plot_height / 21.0 + 0.5,
            shade(fraction)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{:.1}\" y=\"{:.1}\">{} (n/m)</text><text x=\"{0:.1}\" y=\"{:.1}\">0</text>",
        bar_x + 22.0,
        top + 10.0,
        significant(top_value),
        top + plot_height
    );
    svg + "</svg>"
}

/// White (0) to dark blue (1), linear in each channel.
fn shade(fraction: f64) -> String {
    superscale_report::palette::hex(superscale_report::palette::shade(fraction))
}

#[cfg(test)]
mod tests {
    use super::shade;

    #[test]
    fn the_colour_scale_runs_from_white_to_dark_blue() {
        assert_eq!(shade(0.0), "#ffffff");
        assert_eq!(shade(1.0), "#08306b");
        assert_eq!(shade(2.0), "#08306b", "clamped");
    }
}
