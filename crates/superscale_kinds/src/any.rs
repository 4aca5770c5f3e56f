//! Every kind behind one type: the experiment file names its kind, and this is the one
//! place that maps a kind's name to its module. Adding a kind is one variant here (and its
//! arms in the `dispatch!` match), beside the module implementing
//! [`superscale_engine::Kind`] (`docs/architecture.md`, "Adding a kind").

use crate::toy::Toy;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use superscale_engine::{Kind, Observer, Options, Outcome, Written};
use superscale_spec::{kind_of, Experiment, RunSpec};
use superscale_store::{Store, StudyPlan};

/// An experiment of any kind.
#[derive(Debug, Clone)]
pub enum AnyExperiment {
    /// toy models of superposition (`kind = "toy"`, the default)
    Toy(Experiment<RunSpec>),
}

/// The names of the kinds this build knows.
pub const KINDS: [&str; 1] = ["toy"];

/// Calls `$body` with `$experiment` bound to the typed experiment and `$kind` to the kind's
/// type.
macro_rules! dispatch {
    ($any:expr, $experiment:ident, $kind:ident => $body:expr) => {
        match $any {
            AnyExperiment::Toy($experiment) => {
                type $kind = Toy;
                $body
            }
        }
    };
}

impl AnyExperiment {
    /// Reads an experiment file of any kind.
    pub fn load(path: &Path) -> Result<Self, superscale_spec::Error> {
        let text = std::fs::read_to_string(path).map_err(|source| superscale_spec::Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses an experiment of any kind given as text (`path` for messages).
    pub fn parse(text: &str, path: &Path) -> Result<Self, superscale_spec::Error> {
        match kind_of(text, path)?.as_str() {
            "toy" => Ok(Self::Toy(Experiment::from_text(text, path)?)),
            other => Err(superscale_spec::Error::Invalid {
                path: path.to_path_buf(),
                line: superscale_spec::line_of(text, "kind"),
                field: "kind".into(),
                message: format!(
                    "unknown kind \"{other}\"; this build knows {}",
                    KINDS.join(", ")
                ),
            }),
        }
    }

    /// The experiment's name.
    pub fn name(&self) -> &str {
        dispatch!(self, e, _K => &e.name)
    }

    /// The kind's name.
    pub fn kind(&self) -> &str {
        dispatch!(self, e, _K => &e.kind)
    }

    /// How many runs the study has.
    pub fn runs(&self) -> usize {
        dispatch!(self, e, _K => e.points.len())
    }

    /// The experiment file's text.
    pub fn source(&self) -> &str {
        dispatch!(self, e, _K => &e.source)
    }

    /// The store's plan of the whole study (for merges).
    pub fn plan(&self) -> Result<StudyPlan, superscale_engine::Error> {
        dispatch!(self, e, K => {
            let kind = K::prepare(e)?;
            Ok(superscale_engine::study_plan(&kind, e))
        })
    }

    /// Runs the study into its store and writes its report (see
    /// [`superscale_engine::run_study`]).
    pub fn run(
        &self,
        options: &Options,
        stop: &AtomicBool,
        observer: &dyn Observer,
    ) -> Result<Outcome, superscale_engine::Error> {
        dispatch!(self, e, K => superscale_engine::run_study::<K>(e, options, stop, observer))
    }

    /// Writes the report and tables of what `store` holds.
    pub fn write_report(
        &self,
        store: &Store,
        threads: usize,
    ) -> Result<Written, superscale_engine::Error> {
        dispatch!(self, e, K => {
            let kind = K::prepare(e)?;
            superscale_engine::write_report(&kind, e, store, threads)
        })
    }
}
