//! The study table `[analysis]` of a toy-model experiment: the analyses a study asks for
//! beyond the default ones (every field optional, unknown fields refused).

use super::capability::CapabilitySpec;
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
    /// per-feature capability vs width (`capability.rs`)
    #[serde(default)]
    pub capability: Option<CapabilitySpec>,
}

impl ToySettings {
    /// The settings of `experiment`, checked against its runs; a mistake names the file,
    /// line and field.
    pub fn read(experiment: &Experiment) -> Result<Self, superscale_spec::Error> {
        let settings: Self = experiment.settings()?;
        if let Some(capability) = &settings.analysis.capability {
            capability.check(experiment)?;
        }
        Ok(settings)
    }
}
