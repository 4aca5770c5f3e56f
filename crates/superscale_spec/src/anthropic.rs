//! Per-feature importance and sparsity of the Anthropic model.
//!
//! By default feature i has importance I_i = r^i (`importance_decay` r) and probability
//! 1 − S = `feature_probability` (Elhage et al. 2022; `docs/science/tms.md` §1–2). Two
//! optional fields, absent from the canonical JSON when unset so older specs keep their
//! run ids:
//! * `importance = [I_0, …, I_{n−1}]`, an explicit list (then `importance_decay` must stay 1);
//! * `[model.extra_feature] importance = r, probability = p`: the last feature's own
//!   importance (and, if given, its own probability; otherwise it shares
//!   `feature_probability`). With n = 2 this is the phase-change experiment of tms.md §5.4,
//!   swept as `"model.extra_feature.importance"` and `"model.feature_probability"` (the TMS
//!   figure varies the density of both features) or `"model.extra_feature.probability"`.

use crate::error::{violation, Violation};
use crate::run_spec::AnthropicSpec;
use serde::{Deserialize, Serialize};

/// The last feature's own importance and probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraFeatureSpec {
    /// its importance I_{n−1} (relative to I_0 = 1 when importance_decay is 1)
    pub importance: f64,
    /// its probability 1 − S_{n−1}; absent: feature_probability
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
}

impl AnthropicSpec {
    /// I_i for every feature, as the loss uses them (f32).
    pub fn importances(&self) -> Vec<f32> {
        let mut importance: Vec<f32> = match &self.importance {
            Some(list) => list.iter().map(|&v| v as f32).collect(),
            // The expression of the original setup, so old runs keep their bits.
            None => (0..self.n_features)
                .map(|i| self.importance_decay.powi(i as i32) as f32)
                .collect(),
        };
        if let (Some(extra), Some(last)) = (&self.extra_feature, importance.last_mut()) {
            *last = extra.importance as f32;
        }
        importance
    }

    /// 1 − S_i for every feature.
    pub fn probabilities(&self) -> Vec<f64> {
        let mut probabilities = vec![self.feature_probability; self.n_features];
        if let (
            Some(ExtraFeatureSpec {
                probability: Some(p),
                ..
            }),
            Some(last),
        ) = (&self.extra_feature, probabilities.last_mut())
        {
            *last = *p;
        }
        probabilities
    }

    pub(crate) fn validate_features(&self) -> Result<(), Violation> {
        if let Some(list) = &self.importance {
            if list.len() != self.n_features {
                return Err(violation(
                    "model.importance",
                    format!(
                        "{} values: need one per feature (n_features = {})",
                        list.len(),
                        self.n_features
                    ),
                ));
            }
            if let Some(bad) = list.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                return Err(violation(
                    "model.importance",
                    format!("{bad}: every importance must be finite and > 0"),
                ));
            }
            if self.importance_decay != 1.0 {
                return Err(violation(
                    "model.importance_decay",
                    format!(
                        "{}: give either importance_decay or an importance list, not both",
                        self.importance_decay
                    ),
                ));
            }
        }
        if let Some(extra) = &self.extra_feature {
            if !(extra.importance.is_finite() && extra.importance > 0.0) {
                return Err(violation(
                    "model.extra_feature.importance",
                    format!("{}: must be finite and > 0", extra.importance),
                ));
            }
            if let Some(p) = extra.probability {
                if !(p.is_finite() && p > 0.0 && p <= 1.0) {
                    return Err(violation(
                        "model.extra_feature.probability",
                        format!("{p}: 1 − S must be in (0, 1]"),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Experiment, ModelSpec};
    use std::path::Path;

    fn parse(model_extra: &str) -> crate::Result<Experiment> {
        let text = format!(
            "name = \"t\"\n[model]\nvariant = \"anthropic\"\nn_features = 2\nn_hidden = 1\nfeature_probability = 0.1\n{model_extra}\n[train]\nsteps = 10\nbatch_size = 8\nschedule = {{ kind = \"constant\", lr = 0.001 }}\n"
        );
        Experiment::parse(&text, Path::new("t.toml"))
    }

    #[test]
    fn old_specs_keep_their_canonical_json_and_run_ids() {
        // The canonical JSON of a spec without the new fields, written out by hand in the
        // field order of the types before the fields were added: unchanged, so run ids of
        // existing stores stay valid.
        let experiment = parse("").unwrap();
        let json = experiment.points[0].spec.canonical_json();
        assert_eq!(
            json,
            r#"{"model":{"variant":"anthropic","n_features":2,"n_hidden":1,"feature_probability":0.1,"importance_decay":1.0,"weight_decay":0.01},"train":{"steps":10,"batch_size":8,"schedule":{"kind":"constant","lr":0.001}},"record":{"curve_points":60,"tail_steps":100,"heldout_batches":100}}"#
        );
        // The flagship's first run id, as recorded before this change (runs/flagship).
        let flagship = Experiment::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments/flagship.toml"),
        )
        .unwrap();
        assert_eq!(flagship.points[0].run_id, FLAGSHIP_FIRST_RUN_ID);
    }

    /// Run 0 of experiments/flagship.toml in the store runs/flagship written before the new
    /// fields existed (`sqlite3 runs/flagship/superscale.db "select run_id from runs where idx = 0"`).
    const FLAGSHIP_FIRST_RUN_ID: &str = "b86b9dd7e8802609";

    #[test]
    fn recording_the_weights_changes_no_run_id() {
        let base = parse("").unwrap();
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../experiments/flagship.toml"),
        )
        .unwrap();
        let kept = text.replacen("[record]", "[record]\nweights = true", 1);
        let kept = Experiment::parse(&kept, Path::new("flagship.toml")).unwrap();
        assert!(kept.points[0].spec.record.weights);
        assert_eq!(kept.points[0].run_id, FLAGSHIP_FIRST_RUN_ID);
        assert!(!base.points[0].spec.record.weights, "off unless asked for");
        assert!(!kept.points[0].spec.canonical_json().contains("weights\":"));
    }

    #[test]
    fn the_sampler_is_part_of_a_run_only_when_it_is_not_the_default() {
        let default = parse("").unwrap();
        let gaps = parse("sampler = \"gaps\"").unwrap();
        let entries = parse("sampler = \"entries\"").unwrap();
        assert_eq!(default.points[0].run_id, gaps.points[0].run_id);
        assert_ne!(default.points[0].run_id, entries.points[0].run_id);
        assert!(entries.points[0]
            .spec
            .canonical_json()
            .contains(r#""sampler":"entries""#));
        let message = parse("sampler = \"dice\"").unwrap_err().to_string();
        assert!(
            message.contains("t.toml:7")
                && message.contains("model.sampler")
                && message.contains("dice")
                && message.contains("entries"),
            "{message}"
        );
    }

    #[test]
    fn extra_feature_and_lists_set_the_last_feature() {
        let experiment = parse("extra_feature = { importance = 3.0, probability = 0.5 }").unwrap();
        let ModelSpec::Anthropic(spec) = &experiment.points[0].spec.model else {
            panic!("anthropic")
        };
        assert_eq!(spec.importances(), vec![1.0, 3.0]);
        assert_eq!(spec.probabilities(), vec![0.1, 0.5]);
        let shared = parse("extra_feature = { importance = 0.25 }").unwrap();
        let ModelSpec::Anthropic(spec) = &shared.points[0].spec.model else {
            panic!("anthropic")
        };
        assert_eq!(spec.probabilities(), vec![0.1, 0.1]);
        let listed = parse("importance = [2.0, 0.5]").unwrap();
        let ModelSpec::Anthropic(spec) = &listed.points[0].spec.model else {
            panic!("anthropic")
        };
        assert_eq!(spec.importances(), vec![2.0, 0.5]);
    }

    #[test]
    fn bad_feature_settings_are_refused_with_their_field() {
        for (extra, field) in [
            ("importance = [1.0]", "model.importance"),
            ("importance = [1.0, -1.0]", "model.importance"),
            (
                "importance = [1.0, 1.0]\nimportance_decay = 0.9",
                "model.importance_decay",
            ),
            (
                "extra_feature = { importance = 0.0 }",
                "model.extra_feature.importance",
            ),
            (
                "extra_feature = { importance = 1.0, probability = 1.5 }",
                "model.extra_feature.probability",
            ),
            (
                "extra_feature = { importance = 1.0, sparsity = 0.5 }",
                "sparsity",
            ),
        ] {
            let message = parse(extra).unwrap_err().to_string();
            assert!(message.contains(field), "{extra}: {message}");
        }
    }
}
