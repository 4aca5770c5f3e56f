//! The study table `[analysis]` of a toy-model experiment: the analyses a study asks for
//! beyond the default ones (every field optional, unknown fields refused).

use super::capability::CapabilitySpec;
use super::universality::UniversalityOptions;
use serde::Deserialize;
use superscale_spec::Experiment;

/// The study tables of a toy-model experiment.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToySettings {
    /// `[analysis]`
    #[serde(default)]
    pub analysis: ToyAnalysisSpec,
}

/// `[analysis]` of a toy-model experiment.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToyAnalysisSpec {
    /// per-feature capability vs width (`capability/`)
    #[serde(default)]
    pub capability: Option<CapabilitySpec>,
    /// feature universality across replicates (`universality/`): every pair of replicates
    /// of a sweep point compared by their W
    #[serde(default)]
    pub universality: Option<UniversalityOptions>,
}

impl ToySettings {
    /// The settings of `experiment`, checked against its runs; a mistake names the file,
    /// line and field.
    pub fn read(experiment: &Experiment) -> Result<Self, superscale_spec::Error> {
        let settings: Self = experiment.settings()?;
        if experiment
            .axes
            .iter()
            .any(|(axis, _)| axis == "record.weights")
        {
            // Never part of a run's identity, so its sweep points would share run ids.
            return Err(experiment.locate(superscale_spec::violation(
                "record.weights",
                "is not a sweep axis: keeping W changes no run (set it in [record])",
            )));
        }
        if let Some(capability) = &settings.analysis.capability {
            capability.check(experiment)?;
        }
        if let Some(options) = &settings.analysis.universality {
            options
                .validate(experiment.replicates)
                .map_err(|v| experiment.locate(v))?;
        }
        Ok(settings)
    }
}
