//! Which figures a toy-model study draws, decided from its design (its sweep axes and its
//! model) before any result is looked at, so that a figure that should be there and is not
//! (W not kept, every run diverged) shows as missing rather than silently left out, and a
//! figure that means nothing for the study (loss against width with one width; row norms of
//! five features) is never drawn.
//!
//! - a width sweep (m over three or more values): loss against m with the fitted α_m per
//!   group, the mean squared overlap against m, and (superposition-scaling model) the row
//!   norms at the largest width (`docs/science/superposition.md` §2.2, §2.4, §3.4);
//! - γ over three or more values (superposition-scaling model): the represented fraction φ½
//!   against γ (C1, `docs/science/superposition.md` §4);
//! - the n = 2, m = 1 Anthropic model: the phase diagram (`docs/science/tms.md` §5.4);
//! - an m = 2 Anthropic model over a few sweep points: the 2-D feature vectors (§5.3);
//! - an Anthropic density series with equal importances and n > 2m: D* against 1/(1 − S) and the D_i histogram
//!   (§5.5);
//! - any other two-axis Anthropic sweep: the features-per-dimension heat map (§4.3);
//! - a study with an `[llc]` table (`docs/science/llc.md` §8): with a width sweep, λ̂ and the
//!   activation regions of the trained models against m; with two or more checkpoints, both
//!   along training;
//! - every study: the training loss curves.

use crate::toy::exponents::WIDTH_AXIS;
use superscale_spec::{Experiment, ModelSpec};

/// Loss against width with the fitted lines.
pub(crate) const LOSS_VS_WIDTH: &str = "loss-vs-width";
/// Mean squared overlap against width.
pub(crate) const OVERLAP_VS_WIDTH: &str = "overlap-vs-width";
/// Row-norm histograms at the largest width.
pub(crate) const ROW_NORMS: &str = "row-norms";
/// φ½ against γ.
pub(crate) const REPRESENTED_FRACTION: &str = "represented-fraction";
/// The n = 2, m = 1 phase diagram.
pub(crate) const PHASE_DIAGRAM: &str = "phase-diagram";
/// The 2-D feature vectors.
pub(crate) const FEATURE_VECTORS: &str = "feature-vectors";
/// D* against 1/(1 − S).
pub(crate) const DIMENSIONS_PER_FEATURE: &str = "dimensions-per-feature";
/// The D_i histogram.
pub(crate) const FEATURE_DIMENSIONALITY: &str = "feature-dimensionality";
/// The features-per-dimension heat map of a two-axis sweep.
pub(crate) const FEATURES_PER_DIMENSION: &str = "features-per-dimension";
/// The training loss curves.
pub(crate) const LOSS_CURVES: &str = "loss-curves";
/// λ̂ of the trained models against width.
pub(crate) const LLC_VS_WIDTH: &str = "llc-vs-width";
/// Activation regions of the trained models against width.
pub(crate) const REGIONS_VS_WIDTH: &str = "regions-vs-width";
/// λ̂ at the checkpoints of training.
pub(crate) const LLC_ALONG_TRAINING: &str = "llc-along-training";
/// Activation regions at the checkpoints of training.
pub(crate) const REGIONS_ALONG_TRAINING: &str = "regions-along-training";

/// The figures that draw each run's W (the rest need only the stored measurements).
pub(crate) const NEED_WEIGHTS: [&str; 3] = [PHASE_DIAGRAM, FEATURE_VECTORS, FEATURE_DIMENSIONALITY];

/// At most this many sweep points get a panel of feature vectors each.
const MAX_VECTOR_PANELS: usize = 12;

/// What a toy-model study's report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// the figures, in the order drawn
    pub figures: Vec<&'static str>,
    /// whether the width is swept over three or more values (the α_m table)
    pub width_sweep: bool,
}

impl Plan {
    /// The report plan of `experiment`.
    pub(crate) fn of(experiment: &Experiment) -> Self {
        let values = |name: &str| {
            experiment
                .axes
                .iter()
                .find(|(axis, _)| axis == name)
                .map_or(0, |(_, values)| values.len())
        };
        let width_sweep = values(WIDTH_AXIS) >= 3;
        let mut figures = Vec::new();
        let Some(first) = experiment.points.first() else {
            return Self {
                figures,
                width_sweep,
            };
        };
        let shape = first.spec.model.shape();
        let one_shape = experiment
            .points
            .iter()
            .all(|p| p.spec.model.shape() == shape);
        match &first.spec.model {
            ModelSpec::SuperpositionScaling(_) => {
                if width_sweep {
                    figures.extend([LOSS_VS_WIDTH, OVERLAP_VS_WIDTH, ROW_NORMS]);
                }
                if values("model.weight_decay") >= 3 {
                    figures.push(REPRESENTED_FRACTION);
                }
            }
            ModelSpec::Anthropic(spec) => {
                if width_sweep {
                    figures.extend([LOSS_VS_WIDTH, OVERLAP_VS_WIDTH]);
                }
                let points = experiment.sweep.len();
                let numeric_axes = experiment.axes.len() == 2
                    && experiment.axes.iter().all(|(_, values)| {
                        values
                            .iter()
                            .all(|v| v.as_float().or(v.as_integer().map(|i| i as f64)).is_some())
                    });
                if one_shape && shape == (2, 1) {
                    figures.push(PHASE_DIAGRAM);
                } else if numeric_axes {
                    figures.push(FEATURES_PER_DIMENSION);
                }
                if one_shape && shape.1 == 2 && (1..=MAX_VECTOR_PANELS).contains(&points) {
                    figures.push(FEATURE_VECTORS);
                }
                // Uniform superposition: equal importances, density swept alone (§5.5).
                let equal_importance = spec.importance_decay == 1.0
                    && spec.importance.is_none()
                    && spec.extra_feature.is_none();
                let density_series = experiment.axes.len() == 1
                    && experiment.axes[0].0 == "model.feature_probability"
                    && equal_importance;
                if one_shape && shape.0 > 2 * shape.1 && density_series {
                    figures.extend([DIMENSIONS_PER_FEATURE, FEATURE_DIMENSIONALITY]);
                }
            }
        }
        if let Some(llc) = &first.spec.llc {
            if width_sweep {
                figures.extend([LLC_VS_WIDTH, REGIONS_VS_WIDTH]);
            }
            if llc.checkpoints >= 2 {
                figures.extend([LLC_ALONG_TRAINING, REGIONS_ALONG_TRAINING]);
            }
        }
        figures.push(LOSS_CURVES);
        Self {
            figures,
            width_sweep,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn plan(file: &str) -> Plan {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../experiments")
            .join(file);
        Plan::of(&Experiment::load(&path).unwrap())
    }

    #[test]
    fn each_shipped_toy_study_draws_the_figures_of_its_design() {
        assert_eq!(
            plan("flagship.toml").figures,
            [LOSS_VS_WIDTH, OVERLAP_VS_WIDTH, ROW_NORMS, LOSS_CURVES]
        );
        assert!(plan("flagship.toml").width_sweep);
        let c1 = plan("paper_c1_gamma.toml");
        assert_eq!(
            c1.figures,
            [REPRESENTED_FRACTION, LOSS_CURVES],
            "two widths fit no α_m"
        );
        assert!(!c1.width_sweep);
        assert_eq!(
            plan("tms_intro_n5_m2.toml").figures,
            [FEATURE_VECTORS, LOSS_CURVES]
        );
        assert_eq!(
            plan("tms_phase_n2_m1.toml").figures,
            [PHASE_DIAGRAM, LOSS_CURVES]
        );
        assert_eq!(
            plan("tms_uniform_n200_m20.toml").figures,
            [DIMENSIONS_PER_FEATURE, FEATURE_DIMENSIONALITY, LOSS_CURVES]
        );
        assert_eq!(
            plan("tms_grid_1024.toml").figures,
            [FEATURES_PER_DIMENSION, LOSS_CURVES],
            "1024 panels of feature vectors would be unreadable"
        );
        assert_eq!(
            plan("llc_toy_widths.toml").figures,
            [
                LOSS_VS_WIDTH,
                OVERLAP_VS_WIDTH,
                ROW_NORMS,
                LLC_VS_WIDTH,
                REGIONS_VS_WIDTH,
                LOSS_CURVES
            ]
        );
        assert_eq!(
            plan("llc_toy_stages.toml").figures,
            [LLC_ALONG_TRAINING, REGIONS_ALONG_TRAINING, LOSS_CURVES],
            "two widths: no width figures"
        );
    }

    #[test]
    fn the_shipped_studies_that_draw_w_keep_it() {
        for file in [
            "tms_intro_n5_m2.toml",
            "tms_phase_n2_m1.toml",
            "tms_uniform_n200_m20.toml",
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../experiments")
                .join(file);
            let experiment = Experiment::load(&path).unwrap();
            assert!(
                plan(file).figures.iter().any(|f| NEED_WEIGHTS.contains(f)),
                "{file}"
            );
            assert!(
                experiment.points.iter().all(|p| p.spec.record.weights),
                "{file} sets [record] weights = true"
            );
        }
    }
}
