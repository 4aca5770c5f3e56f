//! The heat map of a two-axis Anthropic sweep, such as importance × sparsity over a grid of
//! n = 5, m = 2 models (Elhage et al. 2022, the phase diagrams of `docs/science/tms.md` §5;
//! issue 6's 32 × 32 grid): each cell is one sweep point (its best replicate by held-out loss),
//! coloured by ‖W‖²_F / m = 1/D*, the features stored per hidden dimension (tms.md §4.3:
//! D* = m/‖W‖²_F). It is 1 where m features take one dimension each and rises towards n/m as
//! sparsity packs more features into superposition. Hovering a cell shows its D*, held-out loss
//! and run id.

use super::notation;
use crate::toy::analysis::{anthropic, best_per_point};
use crate::toy::execute::RunResult;
use superscale_report::cell_grid::{Cell, CellGrid, Key};
use superscale_report::chart::number;
use superscale_report::palette::shade;
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
    let top_value = cells.iter().map(|c| c.4).fold(1.0, f64::max);
    CellGrid {
        title: "Features per dimension ‖W‖²/m = 1/D* (best replicate per cell)".into(),
        x_name: names.1,
        y_name: names.0,
        cells: cells
            .iter()
            .map(|(x, y, value, result, _)| Cell {
                x: *x,
                y: *y,
                fill: shade(value / top_value),
                hover: format!(
                    "{} = {}, {} = {}: 1/D* = {:.3}, D* = {:.3}, held-out loss {:.4}, run {}",
                    symbols.1,
                    number(*x),
                    symbols.0,
                    number(*y),
                    value,
                    1.0 / value,
                    result.loss_heldout,
                    result.point.run_id
                ),
            })
            .collect(),
        key: Key::Scale {
            top: top_value,
            unit: "(n/m)".into(),
        },
    }
    .svg()
}
