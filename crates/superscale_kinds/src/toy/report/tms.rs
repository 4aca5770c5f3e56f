//! Figures of the Anthropic toy-model experiments (Elhage et al. 2022;
//! `docs/science/tms.md` §5.3–5.5, C9/C10 of `docs/science/superposition.md` §4): the n = 2, m = 1
//! phase diagram, the 2-D feature vectors of m = 2 models, and D* against 1/(1 − S) with the
//! histogram of the feature dimensionalities D_i. Each figure appears only for studies it fits.

use super::plan::{
    Plan, DIMENSIONS_PER_FEATURE, FEATURE_DIMENSIONALITY, FEATURE_VECTORS, NEED_WEIGHTS,
    PHASE_DIAGRAM,
};
use crate::toy::analysis::{anthropic, best_per_point, dimensionality, Phase};
use crate::toy::execute::RunResult;
use plotters::style::RGBColor;
use std::fmt::Write;
use superscale_report::cell_grid::{Cell, CellGrid, Key};
use superscale_report::chart::{number, xy_chart, Scale, Series, Style};
use superscale_report::palette::{color, hex, shade};
use superscale_report::{Block, Result};
use superscale_spec::AnthropicSpec;

/// The colours of the phases: the palette's sky blue, orange and bluish green (after the
/// colours of the sweep groups, which take the first), grey for neither.
fn phase_color(phase: Phase) -> RGBColor {
    match phase {
        Phase::NotRepresented => color(5),
        Phase::ExtraGetsDimension => color(3),
        Phase::Antipodal => color(2),
        Phase::Neither => RGBColor(0xdd, 0xdd, 0xdd),
    }
}

fn phase_label(phase: Phase) -> &'static str {
    match phase {
        Phase::NotRepresented => "extra feature not represented, W ≈ (±1, 0)",
        Phase::ExtraGetsDimension => "extra feature gets the dimension, W ≈ (0, ±1)",
        Phase::Antipodal => "antipodal, W ≈ (1, −1)",
        Phase::Neither => "neither represented",
    }
}

fn figure(id: &str, svg: String) -> Block {
    Block::Figure {
        id: id.to_string(),
        svg,
        caption: String::new(),
    }
}

/// The TMS figures of the plan (the phase diagram, feature vectors, D* and D_i): a note in
/// place of those that need W when the study did not keep it.
pub(crate) fn figures(results: &[RunResult], plan: &Plan) -> Result<Vec<Block>> {
    let best = best_per_point(results);
    let Some(first) = best.first().and_then(|r| anthropic(r)) else {
        return Ok(Vec::new());
    };
    let size = first.n_features * first.n_hidden;
    // The store keeps measurements, not W; W comes back only when the study kept it.
    let have_weights = best.iter().all(|r| r.weights.len() == size);
    let mut out = Vec::new();
    let mut missing = Vec::new();
    for &name in &plan.figures {
        if NEED_WEIGHTS.contains(&name) && !have_weights {
            missing.push(name);
            continue;
        }
        match name {
            PHASE_DIAGRAM => out.push(figure(name, phase_diagram(&best))),
            FEATURE_VECTORS => out.push(figure(name, feature_vectors(&best))),
            DIMENSIONS_PER_FEATURE => out.push(figure(name, dimensions_figure(&best)?)),
            FEATURE_DIMENSIONALITY => out.push(figure(name, dimensionality_figure(&best)?)),
            _ => {}
        }
    }
    if !missing.is_empty() {
        out.push(Block::Note(format!(
            "The figures {} draw each run's W, which this study did not keep: set \
             `weights = true` in its [record] table (or run it with --save-weights).",
            missing.join(", ")
        )));
    }
    Ok(out)
}

fn extra_importance(spec: &AnthropicSpec) -> f64 {
    f64::from(spec.importances()[spec.n_features - 1] / spec.importances()[0])
}

fn extra_probability(spec: &AnthropicSpec) -> f64 {
    spec.probabilities()[spec.n_features - 1]
}

/// The heat map: density of the extra feature (x) against its relative importance (y).
fn phase_diagram(best: &[&RunResult]) -> String {
    let phases = [
        Phase::NotRepresented,
        Phase::ExtraGetsDimension,
        Phase::Antipodal,
        Phase::Neither,
    ];
    CellGrid {
        title: "Phase diagram, n = 2, m = 1 (best of the replicates per cell)".into(),
        x_name: "density 1 − S (both features)".into(),
        y_name: "relative importance r of the extra feature".into(),
        cells: best
            .iter()
            .map(|r| {
                let spec = anthropic(r).expect("filtered");
                let (x, y) = (extra_probability(spec), extra_importance(spec));
                let phase = Phase::classify(r.weights[0], r.weights[1]);
                Cell {
                    x,
                    y,
                    fill: phase_color(phase),
                    hover: format!(
                        "1 − S = {}, r = {}: {}, W = ({:.3}, {:.3}); run {} (replicate {})",
                        number(x),
                        number(y),
                        phase_label(phase),
                        r.weights[0],
                        r.weights[1],
                        r.point.run_id,
                        r.point.replicate
                    ),
                }
            })
            .collect(),
        key: Key::Categories(
            phases
                .iter()
                .map(|&phase| (phase_color(phase), phase_label(phase).to_string()))
                .collect(),
        ),
    }
    .svg()
}

/// The 2-D feature vectors W_i (rows of W) of each sweep point's best replicate.
fn feature_vectors(best: &[&RunResult]) -> String {
    let size = 200.0;
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">", size * best.len() as f64 + 20.0, size + 60.0);
    let _ = write!(svg, "<text x=\"10\" y=\"18\" font-size=\"13\">Feature vectors W_i in the 2-D hidden space</text><text x=\"10\" y=\"34\">best replicate per density; darker = more important (W_0 darkest)</text>");
    for (k, r) in best.iter().enumerate() {
        let spec = anthropic(r).expect("filtered");
        let (cx, cy, scale) = (
            10.0 + size * (k as f64 + 0.5),
            40.0 + size / 2.0,
            size * 0.4,
        );
        // The panel's hover text names its run; a vector's own names the vector.
        let _ = write!(
            svg,
            "<g><title>1 − S = {}: run {} (replicate {}), held-out L = {}</title>\
             <circle cx=\"{cx}\" cy=\"{cy}\" r=\"{scale}\" fill=\"none\" stroke=\"#ddd\"/>",
            number(spec.feature_probability),
            r.point.run_id,
            r.point.replicate,
            number(r.loss_heldout)
        );
        let n = spec.n_features;
        for i in 0..n {
            let (a, b) = (f64::from(r.weights[2 * i]), f64::from(r.weights[2 * i + 1]));
            // The palette's sequential blue: darkest for the most important feature.
            let tone = hex(shade(1.0 - 0.7 * i as f64 / n.max(1) as f64));
            let _ = write!(
                svg,
                "<line x1=\"{cx}\" y1=\"{cy}\" x2=\"{}\" y2=\"{}\" stroke=\"{tone}\" stroke-width=\"2.5\"><title>W_{i} = ({a:.3}, {b:.3})</title></line>",
                cx + scale * a,
                cy - scale * b,
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\">1 − S = {}</text></g>",
            cx - 40.0,
            50.0 + size,
            number(spec.feature_probability)
        );
    }
    svg + "</svg>"
}

/// D* against 1/(1 − S) over the sweep points (C9).
fn dimensions_figure(best: &[&RunResult]) -> Result<String> {
    let (points, _) = dimensionality(best);
    let mut ordered: Vec<&&RunResult> = best.iter().filter(|r| r.geometry.is_some()).collect();
    ordered.sort_by(|a, b| {
        let p = |r: &RunResult| anthropic(r).map_or(0.0, |s| 1.0 / s.feature_probability);
        p(a).total_cmp(&p(b))
    });
    let hover = ordered
        .iter()
        .map(|r| {
            format!(
                "D* = {}; run {} (replicate {})",
                number(
                    r.geometry
                        .as_ref()
                        .map_or(f64::NAN, |g| g.dimensions_per_feature)
                ),
                r.point.run_id,
                r.point.replicate
            )
        })
        .collect();
    let (lo, hi) = points
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), (x, _)| {
            (lo.min(*x), hi.max(*x))
        });
    let series = [
        Series {
            label: "D* = m/‖W‖²_F (best replicate per level)".into(),
            points,
            style: Style::Line,
            color: 0,
            hover,
        },
        Series {
            label: "1/2 (antipodal pairs)".into(),
            points: vec![(lo.min(1.0), 0.5), (hi.max(1.0), 0.5)],
            style: Style::Reference,
            ..Series::default()
        },
    ];
    xy_chart(
        "Dimensions per feature D* against 1/(1 − S)",
        "1/(1 − S)",
        "D*",
        Scale::Linear,
        &series,
    )
}

/// The D_i histogram over the levels with D* < 0.95 (C9).
fn dimensionality_figure(best: &[&RunResult]) -> Result<String> {
    let (_, pooled) = dimensionality(best);
    xy_chart(
        "Feature dimensionality D_i ≥ 0.1, levels with D* < 0.95 (bins 0.005)",
        "D_i",
        "number of features",
        Scale::Linear,
        &dimensionality_histogram(&pooled),
    )
}

/// The pooled D_i in fixed 0.005-wide bins over [0, 1] (C9's binning; the generic
/// histogram stretches its bins to the data's range), drawn as a step outline, with thin
/// vertical marks at the tegum-product fractions of tms.md §5.5.
fn dimensionality_histogram(pooled: &[f64]) -> Vec<Series> {
    const BINS: usize = 200;
    let width = 1.0 / BINS as f64;
    let mut counts = [0usize; BINS];
    for &d in pooled
        .iter()
        .filter(|d| d.is_finite() && (0.0..=1.0).contains(*d))
    {
        counts[((d / width) as usize).min(BINS - 1)] += 1;
    }
    let tallest = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let mut series = vec![Series {
        label: format!("D_i ({} features)", pooled.len()),
        points: counts
            .iter()
            .enumerate()
            .flat_map(|(bin, &count)| {
                let left = bin as f64 * width;
                [(left, count as f64), (left + width, count as f64)]
            })
            .collect(),
        style: Style::Line,
        color: 0,
        hover: Vec::new(),
    }];
    // One legend entry for the six marks: they are one kind of thing.
    for (k, value) in [1.0, 0.75, 2.0 / 3.0, 0.5, 0.4, 0.375]
        .into_iter()
        .enumerate()
    {
        series.push(Series {
            label: if k == 0 {
                "tegum fractions 1, 3/4, 2/3, 1/2, 2/5, 3/8".into()
            } else {
                String::new()
            },
            points: vec![(value, 0.0), (value, tallest)],
            style: Style::Reference,
            ..Series::default()
        });
    }
    series
}
