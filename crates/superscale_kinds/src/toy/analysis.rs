//! What a toy-model study computes from its finished runs before anything is drawn: the
//! model exponent α_m per group (`exponents.rs`), the phase of each n = 2, m = 1 model, the
//! best replicate of each sweep point, and the dimensions per feature and feature
//! dimensionalities D_i of the uniform-superposition studies (`docs/science/tms.md` §4.3–4.4, §5.5).

use super::execute::{RunResult, RunStatus};
use super::exponents::{fit_width_exponents, WidthExponent};
use super::universality::Universality;
use superscale_measure::feature_dimensionality;
use superscale_spec::{AnthropicSpec, ModelSpec};

/// The phase of an n = 2, m = 1 model (`docs/science/tms.md` §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// W ≈ (±1, 0): the extra feature is not represented
    NotRepresented,
    /// W ≈ (0, ±1): the extra feature gets the dimension
    ExtraGetsDimension,
    /// W ≈ (1, −1): both stored antipodally
    Antipodal,
    /// neither feature stored (both |W_i| ≤ 1/2)
    Neither,
}

impl Phase {
    /// |W_i| > 1/2 counts as represented (φ½ of Liu, Liu & Gore 2025, Eq. 3); two
    /// represented features of opposite sign are antipodal.
    pub fn classify(first: f32, extra: f32) -> Self {
        // Two represented features share the one dimension: the optimum stores them with
        // opposite signs (ReLU then filters the interference); a same-sign pair is counted
        // with them, as superposed.
        match (first.abs() > 0.5, extra.abs() > 0.5) {
            (true, true) => Phase::Antipodal,
            (true, false) => Phase::NotRepresented,
            (false, true) => Phase::ExtraGetsDimension,
            (false, false) => Phase::Neither,
        }
    }
}

/// The Anthropic spec of a finished (not diverged) run of that variant.
pub fn anthropic(result: &RunResult) -> Option<&AnthropicSpec> {
    match &result.point.spec.model {
        ModelSpec::Anthropic(spec) if result.status == RunStatus::Done => Some(spec),
        _ => None,
    }
}

/// The replicate with the lowest held-out loss of each sweep point (the paper keeps the
/// best of several seeds), in the points' order.
pub fn best_per_point(results: &[RunResult]) -> Vec<&RunResult> {
    let mut best: Vec<&RunResult> = Vec::new();
    for result in results.iter().filter(|r| anthropic(r).is_some()) {
        match best
            .iter_mut()
            .find(|b| b.point.run_id == result.point.run_id)
        {
            Some(slot) if result.loss_heldout < slot.loss_heldout => *slot = result,
            Some(_) => {}
            None => best.push(result),
        }
    }
    best
}

/// D* against 1/(1 − S) over the sweep points (sorted by 1/(1 − S)), and the pooled D_i
/// of the rows of every level with D* < 0.95 (C9 of `docs/science/superposition.md` §4; `docs/science/tms.md` §5.5).
/// Needs each run's W.
pub fn dimensionality(best: &[&RunResult]) -> (Vec<(f64, f64)>, Vec<f64>) {
    let mut points = Vec::new();
    let mut pooled = Vec::new();
    for r in best {
        let Some(spec) = anthropic(r) else {
            continue;
        };
        let Some(geometry) = &r.geometry else {
            continue;
        };
        let d_star = geometry.dimensions_per_feature;
        points.push((1.0 / spec.feature_probability, d_star));
        if d_star < 0.95 {
            let weights: Vec<f64> = r.weights.iter().map(|&v| f64::from(v)).collect();
            if let Ok((dims, _)) = feature_dimensionality(&weights, spec.n_hidden) {
                pooled.extend(dims.into_iter().filter(|&d| d >= 0.1));
            }
        }
    }
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    (points, pooled)
}

/// Everything a toy-model study's report and tables are drawn from.
#[derive(Debug, Clone)]
pub struct ToyAnalysis {
    /// the finished runs, in the study's order
    pub results: Vec<RunResult>,
    /// α_m per group (empty when the width is not swept)
    pub exponents: Vec<WidthExponent>,
    /// per-feature capability per regime, when `[analysis] capability` asks for it
    pub capability: Option<Vec<super::capability::Regime>>,
    /// feature universality across replicates, when `[analysis]` asks for it
    pub universality: Option<Universality>,
}

/// Analyses the finished runs of a toy-model study (the analyses of `[analysis]` are added
/// by the kind).
pub fn analyse(results: Vec<RunResult>) -> ToyAnalysis {
    ToyAnalysis {
        exponents: fit_width_exponents(&results),
        results,
        capability: None,
        universality: None,
    }
}

/// The line printed for each group's α_m when a study ends.
pub fn exponent_lines(exponents: &[WidthExponent], model: &ModelSpec) -> Vec<String> {
    exponents
        .iter()
        .map(|exponent| {
            let group = crate::toy::report::notation::group(&exponent.group, model);
            match &exponent.fit {
                Ok(fit) => format!(
                    "{group}: α_m = {:.3} ± {:.3}, R² = {:.3}",
                    fit.exponent, fit.exponent_se, fit.r_squared
                ),
                Err(why) => format!("{group}: no fit ({why})"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_of_the_two_feature_model() {
        assert_eq!(Phase::classify(1.0, 0.02), Phase::NotRepresented);
        assert_eq!(Phase::classify(-0.01, -0.98), Phase::ExtraGetsDimension);
        assert_eq!(Phase::classify(0.9, -0.95), Phase::Antipodal);
        assert_eq!(Phase::classify(0.1, 0.2), Phase::Neither);
    }

    #[test]
    fn exponent_lines_name_groups_in_notation_not_spec_paths() {
        let model = ModelSpec::SuperpositionScaling(superscale_spec::SuperpositionScalingSpec {
            n_features: 100,
            n_hidden: 10,
            alpha: 1.0,
            weight_decay: -0.5,
            activation_density: 1.0,
        });
        let exponent = WidthExponent {
            group: vec![("model.weight_decay".into(), "-0.5556".into())],
            fit: Err("fewer than 3 widths".into()),
            points: Vec::new(),
            diverged: 0,
        };
        assert_eq!(
            exponent_lines(&[exponent], &model),
            ["γ = −0.5556 (strong): no fit (fewer than 3 widths)"]
        );
    }
}
