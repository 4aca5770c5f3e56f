//! Per-feature capability of the toy model of superposition vs width (issue 9 item 2;
//! docs/quanta.md "Capability"), an analysis of toy-model studies asked for in the file:
//!
//! ```toml
//! [analysis]
//! capability = { samples_per_feature = 1000 }
//! ```
//!
//! The study (variant `superposition_scaling`, swept over `model.n_hidden`) keeps every
//! run's weights; every finished model's held-out per-feature errors are measured
//! ([`feature_errors`]) and each regime (the runs sharing every sweep value but the width)
//! is analysed over width ([`capability_sweep`]).

mod error;
mod measure;
mod report;
mod sweep;
mod tables;

pub use error::{Error, Result};
pub use measure::{feature_errors, feature_outputs, power_law_sampler, FeatureErrors};
pub(crate) use report::sections;
pub use sweep::{
    average_ranks, capability_sweep, spearman, CapabilitySweep, FeatureProfile, Slope,
    CAPABLE_BELOW,
};
pub(crate) use tables::tables;

use super::execute::RunResult;
use crate::quanta::derive_seed;
use serde::Deserialize;
use std::collections::BTreeMap;
use superscale_spec::{violation, Experiment, ModelSpec};

/// Held-out streams for the capability draws: a fixed stream of the run's seed, distinct
/// from the streams training and the held-out loss use (those are xoshiro jumps).
const CAPABILITY_STREAM: u64 = 0x0CA9_AB11_17E5;

/// `[analysis] capability = { ... }` of a toy-model experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilitySpec {
    /// held-out draws per feature (each conditioned on the feature being present)
    #[serde(default = "default_samples_per_feature")]
    pub samples_per_feature: usize,
}

fn default_samples_per_feature() -> usize {
    1000
}

impl CapabilitySpec {
    /// Checks the settings against the study: at least one sample per feature, and every run
    /// a superposition-scaling model (the measurement needs its feature sampler).
    pub fn check(
        &self,
        experiment: &Experiment,
    ) -> std::result::Result<(), superscale_spec::Error> {
        if self.samples_per_feature == 0 {
            return Err(experiment.locate(violation(
                "analysis.capability.samples_per_feature",
                "must be at least 1",
            )));
        }
        if experiment
            .points
            .iter()
            .any(|point| !matches!(point.spec.model, ModelSpec::SuperpositionScaling(_)))
        {
            return Err(experiment.locate(violation(
                "model.variant",
                "the capability analysis needs the \"superposition_scaling\" toy model",
            )));
        }
        Ok(())
    }
}

/// One model of a regime, measured.
#[derive(Debug, Clone)]
pub struct MeasuredModel {
    /// hidden width m
    pub width: usize,
    /// held-out loss of the run (n × MSE)
    pub loss_heldout: f64,
    /// features with row norm > 1/2 (φ½·n, `docs/science/superposition.md` §2.1, Eq. 3)
    pub represented: usize,
    /// the per-feature errors
    pub errors: FeatureErrors,
}

/// A regime: the runs sharing every sweep value but the width.
#[derive(Debug, Clone)]
pub struct Regime {
    /// e.g. `model.weight_decay=0.3333`: the key in the capability tables
    pub label: String,
    /// the same in the report's notation, e.g. `γ = 0.3333 (weak)`: for people
    pub name: String,
    /// pᵢ
    pub frequencies: Vec<f64>,
    /// models by ascending width
    pub models: Vec<MeasuredModel>,
    /// the analysis over width
    pub sweep: CapabilitySweep,
}

/// A regime's name in notation: its axis values but the width, and its replicate.
fn name(axes: &[(String, String)], replicate: u32, model: &ModelSpec) -> String {
    let mut parts = vec![crate::toy::report::notation::group(
        &axes
            .iter()
            .filter(|(key, _)| key != ModelSpec::WIDTH_AXIS)
            .cloned()
            .collect::<Vec<_>>(),
        model,
    )];
    if replicate > 0 {
        parts.push(format!("replicate {replicate}"));
    }
    parts.join(", ")
}

fn label(axes: &[(String, String)], replicate: u32) -> String {
    let mut parts: Vec<String> = axes
        .iter()
        .filter(|(key, _)| key != superscale_spec::ModelSpec::WIDTH_AXIS)
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    if replicate > 0 {
        parts.push(format!("replicate={replicate}"));
    }
    if parts.is_empty() {
        "all runs".into()
    } else {
        parts.join(", ")
    }
}

/// Every finished model's per-feature errors, grouped into regimes (in the order of their
/// labels); diverged runs have no final model and are left out. Needs each run's weights.
pub fn analyse(
    spec: &CapabilitySpec,
    results: &[RunResult],
) -> std::result::Result<Vec<Regime>, String> {
    type Members = Vec<(MeasuredModel, Vec<f64>)>;
    let mut groups: BTreeMap<String, (String, Members)> = BTreeMap::new();
    for result in results {
        let point = &result.point;
        let ModelSpec::SuperpositionScaling(model) = &point.spec.model else {
            continue;
        };
        let Some(geometry) = result.geometry.as_ref() else {
            continue;
        };
        if result.weights.len() != model.n_features * model.n_hidden
            || result.bias.len() != model.n_features
        {
            return Err(format!(
                "run {} replicate {} has no weights in its store; the capability analysis needs \
                 them (they are kept for studies that ask for it): rerun the study into a new store",
                point.run_id, point.replicate
            ));
        }
        let sampler = power_law_sampler(model.n_features, model.alpha, model.activation_density)
            .map_err(|err| err.to_string())?;
        let errors = feature_errors(
            &result.weights,
            &result.bias,
            model.n_hidden,
            &sampler,
            spec.samples_per_feature,
            derive_seed(point.seed, CAPABILITY_STREAM),
        )
        .map_err(|err| err.to_string())?;
        let measured = MeasuredModel {
            width: model.n_hidden,
            loss_heldout: result.loss_heldout,
            represented: geometry.row_norms.iter().filter(|&&r| r > 0.5).count(),
            errors,
        };
        groups
            .entry(label(&point.axes, point.replicate))
            .or_insert_with(|| {
                (
                    name(&point.axes, point.replicate, &point.spec.model),
                    Vec::new(),
                )
            })
            .1
            .push((measured, sampler.probabilities().to_vec()));
    }
    let mut regimes = Vec::new();
    for (label, (name, mut models)) in groups {
        models.sort_by_key(|(m, _)| m.width);
        let frequencies = models[0].1.clone();
        let models: Vec<MeasuredModel> = models.into_iter().map(|(m, _)| m).collect();
        let widths: Vec<usize> = models.iter().map(|m| m.width).collect();
        let relative: Vec<Vec<f64>> = models.iter().map(|m| m.errors.relative_error()).collect();
        let sweep = capability_sweep(&widths, &relative, &frequencies)
            .map_err(|err| format!("capability of {label}: {err}"))?;
        regimes.push(Regime {
            label,
            name,
            frequencies,
            models,
            sweep,
        });
    }
    Ok(regimes)
}

/// The line printed for each regime when a study ends.
pub fn lines(regimes: &[Regime]) -> Vec<String> {
    regimes
        .iter()
        .map(|regime| {
            let s = &regime.sweep;
            let (became, single) = s.single_drop_count();
            format!(
                "{}: capable {:?} at m = {:?}; order ρ {}; {single}/{became} single drops",
                regime.name,
                s.n_capable,
                s.widths,
                s.order_spearman
                    .map_or("–".into(), |rho| format!("{rho:.3}"))
            )
        })
        .collect()
}
