//! Figures of the Anthropic toy-model experiments (Elhage et al. 2022;
//! `docs/science/tms.md` §5.3–5.5, C9/C10 of `docs/science/superposition.md` §4): the n = 2, m = 1
//! phase diagram, the 2-D feature vectors of m = 2 models, and D* against 1/(1 − S) with the
//! histogram of the feature dimensionalities D_i. Each figure appears only for studies it fits.

use crate::toy::analysis::{anthropic, best_per_point, dimensionality, Phase};
use crate::toy::execute::RunResult;
use std::fmt::Write;
use superscale_report::chart::{xy_chart, Scale, Series, Style};
use superscale_report::{Block, Result};
use superscale_spec::AnthropicSpec;

fn phase_color(phase: Phase) -> &'static str {
    match phase {
        Phase::NotRepresented => "#9ecae1",
        Phase::ExtraGetsDimension => "#fdae6b",
        Phase::Antipodal => "#a1d99b",
        Phase::Neither => "#dddddd",
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

/// All TMS figures that fit the study (none when none does).
pub(crate) fn figures(results: &[RunResult]) -> Result<Vec<Block>> {
    let best = best_per_point(results);
    let Some(first) = best.first().and_then(|r| anthropic(r)) else {
        return Ok(Vec::new());
    };
    let shape = (first.n_features, first.n_hidden);
    if best
        .iter()
        .any(|r| anthropic(r).map(|s| (s.n_features, s.n_hidden)) != Some(shape))
    {
        return Ok(Vec::new());
    }
    let drawable = shape == (2, 1) || shape.1 == 2 || shape.0 > 2 * shape.1;
    // The store keeps measurements, not W; W comes back only from `--save-weights` files.
    if best.iter().any(|r| r.weights.len() != shape.0 * shape.1) {
        return Ok(if drawable {
            vec![Block::Note(
                "The toy-model geometry figures need each run's W: run the study with \
                 --save-weights."
                    .into(),
            )]
        } else {
            Vec::new()
        });
    }
    let mut out = Vec::new();
    if shape == (2, 1) {
        out.push(Block::Figure {
            svg: phase_diagram(&best),
            caption: String::new(),
        });
    }
    if shape.1 == 2 {
        out.push(Block::Figure {
            svg: feature_vectors(&best),
            caption: String::new(),
        });
    }
    if shape.0 > 2 * shape.1 {
        out.extend(dimensionality_figures(&best)?);
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
    let mut xs: Vec<f64> = Vec::new();
    let mut ys: Vec<f64> = Vec::new();
    let mut cells = Vec::new();
    for r in best {
        let spec = anthropic(r).expect("filtered");
        let (x, y) = (extra_probability(spec), extra_importance(spec));
        xs.push(x);
        ys.push(y);
        cells.push((x, y, Phase::classify(r.weights[0], r.weights[1])));
    }
    for v in [&mut xs, &mut ys] {
        v.sort_by(f64::total_cmp);
        v.dedup();
    }
    let (cell, left, top) = (34.0, 80.0, 40.0);
    let (width, height) = (
        left + cell * xs.len() as f64 + 330.0,
        top + cell * ys.len() as f64 + 76.0,
    );
    let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">");
    let _ = write!(svg, "<text x=\"{left}\" y=\"20\" font-size=\"15\">Phase diagram, n = 2, m = 1 (best of the replicates per cell)</text>");
    for (x, y, phase) in &cells {
        let column = xs.iter().position(|v| v == x).unwrap_or(0) as f64;
        let row = (ys.len() - 1 - ys.iter().position(|v| v == y).unwrap_or(0)) as f64;
        let _ = write!(
            svg,
            "<rect x=\"{}\" y=\"{}\" width=\"{cell}\" height=\"{cell}\" fill=\"{}\" stroke=\"white\"><title>1−S = {x}, importance {y}: {}</title></rect>",
            left + column * cell,
            top + row * cell,
            phase_color(*phase),
            phase_label(*phase)
        );
    }
    for (k, x) in xs.iter().enumerate() {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" transform=\"rotate(45 {0} {1})\">{}</text>",
            left + (k as f64 + 0.3) * cell,
            top + cell * ys.len() as f64 + 12.0,
            significant(*x)
        );
    }
    // The importances are stored as f32: print 4 significant digits, not 0.6309999823570251.
    for (k, y) in ys.iter().rev().enumerate() {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            top + (k as f64 + 0.6) * cell,
            significant(*y)
        );
    }
    let _ = write!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">density 1 − S (both features)</text>\
         <text x=\"14\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {2})\">relative importance of the extra feature</text>",
        left + cell * xs.len() as f64 / 2.0,
        top + cell * ys.len() as f64 + 64.0,
        top + cell * ys.len() as f64 / 2.0
    );
    let legend_x = left + cell * xs.len() as f64 + 16.0;
    for (k, phase) in [
        Phase::NotRepresented,
        Phase::ExtraGetsDimension,
        Phase::Antipodal,
        Phase::Neither,
    ]
    .iter()
    .enumerate()
    {
        let y = top + 20.0 * k as f64;
        let _ = write!(svg, "<rect x=\"{legend_x}\" y=\"{y}\" width=\"14\" height=\"14\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>", phase_color(*phase), legend_x + 20.0, y + 11.0, phase_label(*phase));
    }
    svg + "</svg>"
}

/// `value` with 4 significant digits and no trailing zeros (axis labels).
pub(crate) fn significant(value: f64) -> String {
    format!("{}", format!("{value:.3e}").parse::<f64>().unwrap_or(value))
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
        let _ = write!(
            svg,
            "<circle cx=\"{cx}\" cy=\"{cy}\" r=\"{scale}\" fill=\"none\" stroke=\"#ddd\"/>"
        );
        let n = spec.n_features;
        for i in 0..n {
            let (a, b) = (f64::from(r.weights[2 * i]), f64::from(r.weights[2 * i + 1]));
            let shade = 40 + (180 * i) / n.max(1);
            let _ = write!(
                svg,
                "<line x1=\"{cx}\" y1=\"{cy}\" x2=\"{}\" y2=\"{}\" stroke=\"rgb({shade},{shade},{})\" stroke-width=\"2.5\"><title>W_{i} = ({a:.3}, {b:.3})</title></line>",
                cx + scale * a,
                cy - scale * b,
                255 - shade / 2
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\">1 − S = {}</text>",
            cx - 40.0,
            50.0 + size,
            spec.feature_probability
        );
    }
    svg + "</svg>"
}

/// D* against 1/(1 − S), and the D_i histogram over the levels with D* < 0.95 (C9).
fn dimensionality_figures(best: &[&RunResult]) -> Result<Vec<Block>> {
    let (points, pooled) = dimensionality(best);
    let series = [
        Series {
            label: "D* = m/‖W‖²_F".into(),
            points,
            style: Style::Line,
            color: 0,
        },
        Series {
            label: "1/2 (antipodal pairs)".into(),
            points: vec![(1.0, 0.5), (20.0, 0.5)],
            style: Style::Reference,
            color: 1,
        },
    ];
    let figure = |svg| Block::Figure {
        svg,
        caption: String::new(),
    };
    Ok(vec![
        figure(xy_chart(
            "Dimensions per feature against 1/(1 − S)",
            "1/(1 − S)",
            "D*",
            Scale::Linear,
            &series,
        )?),
        figure(xy_chart(
            "Feature dimensionality D_i ≥ 0.1, levels with D* < 0.95 (bins 0.005)",
            "D_i",
            "number of features",
            Scale::Linear,
            &dimensionality_histogram(&pooled),
        )?),
    ])
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
    }];
    for (k, (value, label)) in [
        (1.0, "1"),
        (0.75, "3/4"),
        (2.0 / 3.0, "2/3"),
        (0.5, "1/2"),
        (0.4, "2/5"),
        (0.375, "3/8"),
    ]
    .into_iter()
    .enumerate()
    {
        series.push(Series {
            label: format!("D = {label}"),
            points: vec![(value, 0.0), (value, tallest)],
            style: Style::Reference,
            color: k + 1,
        });
    }
    series
}
