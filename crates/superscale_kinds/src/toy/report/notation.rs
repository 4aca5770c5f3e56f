//! The science's notation for the sweep axes of a toy-model study: `model.weight_decay`
//! is γ in the superposition-scaling model (Liu, Liu & Gore 2025, Eq. 2) and AdamW's λ in
//! the Anthropic one, `model.feature_probability` is the density 1 − S (Elhage et al.
//! 2022), and so on (`docs/science/superposition.md` §1, `docs/science/tms.md` §1–2). Figures,
//! legends and tables name the axes by these symbols, and a γ group says its regime.

use superscale_report::chart::number;
use superscale_spec::ModelSpec;

/// The symbol of a sweep axis (the last part of the path when it has none).
pub(crate) fn symbol<'a>(axis: &'a str, model: &ModelSpec) -> &'a str {
    let anthropic = matches!(model, ModelSpec::Anthropic(_));
    match axis {
        "model.n_hidden" => "m",
        "model.n_features" => "n",
        "model.alpha" => "α",
        "model.weight_decay" if anthropic => "λ",
        "model.weight_decay" => "γ",
        "model.activation_density" => "E",
        "model.feature_probability" => "1 − S",
        "model.importance_decay" => "r",
        "model.extra_feature.importance" => "r",
        "model.extra_feature.probability" => "1 − S (extra)",
        "train.steps" => "steps",
        "train.batch_size" => "B",
        _ => axis.rsplit('.').next().unwrap_or(axis),
    }
}

/// The axis title of a sweep axis: its meaning and its symbol.
pub(crate) fn axis_title(axis: &str, model: &ModelSpec) -> String {
    let anthropic = matches!(model, ModelSpec::Anthropic(_));
    match axis {
        "model.n_hidden" => "width m".into(),
        "model.n_features" => "features n".into(),
        "model.alpha" => "data exponent α".into(),
        "model.weight_decay" if anthropic => "AdamW decay λ".into(),
        "model.weight_decay" => "signed weight decay γ".into(),
        "model.feature_probability" => "density 1 − S".into(),
        "model.importance_decay" => "importance decay r (I_i = r^i)".into(),
        "model.extra_feature.importance" => "relative importance r of the extra feature".into(),
        _ => symbol(axis, model).to_string(),
    }
}

/// The regime a signed weight decay γ puts the superposition-scaling model in
/// (`docs/science/superposition.md` §1.4): γ < 0 pulls every row norm towards 1 (strong
/// superposition), γ > 0 shrinks rows (weak).
fn regime(gamma: f64) -> Option<&'static str> {
    if gamma < 0.0 {
        Some("strong")
    } else if gamma > 0.0 {
        Some("weak")
    } else {
        None
    }
}

/// One axis value in notation: `γ = −0.5556 (strong)`, `1 − S = 0.1`, `m = 10`.
pub(crate) fn value(axis: &str, text: &str, model: &ModelSpec) -> String {
    let parsed = text.parse::<f64>().ok();
    let shown = parsed.map_or_else(|| text.to_string(), number);
    let mut label = format!("{} = {shown}", symbol(axis, model));
    if axis == "model.weight_decay" && matches!(model, ModelSpec::SuperpositionScaling(_)) {
        if let Some(regime) = parsed.and_then(regime) {
            label += &format!(" ({regime})");
        }
    }
    label
}

/// A group of axis values in notation, joined by commas ("all runs" when there are none).
pub(crate) fn group(values: &[(String, String)], model: &ModelSpec) -> String {
    if values.is_empty() {
        return "all runs".into();
    }
    values
        .iter()
        .map(|(axis, text)| value(axis, text, model))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The symbols of a group's axes, for a table header ("γ", "α, γ").
pub(crate) fn group_header(values: &[(String, String)], model: &ModelSpec) -> String {
    if values.is_empty() {
        return "group".into();
    }
    values
        .iter()
        .map(|(axis, _)| symbol(axis, model))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use superscale_spec::{AnthropicSpec, SuperpositionScalingSpec};

    fn scaling() -> ModelSpec {
        ModelSpec::SuperpositionScaling(SuperpositionScalingSpec {
            n_features: 100,
            n_hidden: 10,
            alpha: 1.0,
            weight_decay: -0.5,
            activation_density: 1.0,
        })
    }

    fn anthropic() -> ModelSpec {
        ModelSpec::Anthropic(AnthropicSpec {
            n_features: 5,
            n_hidden: 2,
            feature_probability: 0.1,
            importance_decay: 0.9,
            weight_decay: 0.01,
            importance: None,
            extra_feature: None,
            sampler: Default::default(),
        })
    }

    #[test]
    fn groups_read_in_the_papers_symbols_and_say_their_regime() {
        let group_of = |pairs: &[(&str, &str)], model: &ModelSpec| {
            let owned: Vec<(String, String)> = pairs
                .iter()
                .map(|(a, v)| (a.to_string(), v.to_string()))
                .collect();
            group(&owned, model)
        };
        assert_eq!(
            group_of(&[("model.weight_decay", "-0.5556")], &scaling()),
            "γ = −0.5556 (strong)"
        );
        assert_eq!(
            group_of(
                &[("model.alpha", "1.5"), ("model.weight_decay", "0.3333")],
                &scaling()
            ),
            "α = 1.5, γ = 0.3333 (weak)"
        );
        assert_eq!(
            group_of(&[("model.feature_probability", "0.1")], &anthropic()),
            "1 − S = 0.1"
        );
        assert_eq!(
            group_of(&[("model.weight_decay", "0.01")], &anthropic()),
            "λ = 0.01",
            "AdamW's decay has no regime"
        );
        assert_eq!(group_of(&[], &scaling()), "all runs");
    }
}
