//! Every kind behind one type: the experiment file names its kind, and this is the one
//! place that maps a kind's name to its module. Adding a kind is one variant here (and its
//! arms in the `dispatch!` match), beside the module implementing
//! [`superscale_engine::Kind`] (`docs/architecture.md`, "Adding a kind").

use crate::llc::{Llc, LlcSpec};
use crate::platonic::{Platonic, PlatonicSpec};
use crate::quanta::{Quanta, QuantaSpec};
use crate::toy::{from_output, RunResult, Toy};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use superscale_engine::{Finished, Kind, Observer, Options, Outcome, Report, Run, Written};
use superscale_spec::{kind_of, Experiment, RunSpec};
use superscale_store::{Store, StudyPlan};

/// A study's analysis, whatever its kind: the report and tables, and for toy-model studies
/// the run results themselves (with weights when they are in memory or were kept), which
/// the Python `Study` hands out as arrays.
#[derive(Debug, Clone)]
pub struct Analysed {
    /// tables, page and headlines
    pub report: Report,
    /// the finished runs of a toy-model study, in order
    pub toy: Option<Vec<RunResult>>,
    /// whether runs of the study are unfinished (stopped early, or a store with runs to do)
    pub incomplete: bool,
}

/// The toy results of finished runs (only for the toy kind).
trait ToyResults: Kind {
    fn toy_results(_finished: &Finished<Run<Self>>) -> Option<Vec<RunResult>> {
        None
    }
}

impl ToyResults for Quanta {}
impl ToyResults for Platonic {}
impl ToyResults for Llc {}

impl ToyResults for Toy {
    fn toy_results(finished: &Finished<RunSpec>) -> Option<Vec<RunResult>> {
        finished
            .runs
            .iter()
            .map(|run| from_output(run.point.clone(), &run.output).ok())
            .collect()
    }
}

/// An experiment of any kind.
#[derive(Debug, Clone)]
pub enum AnyExperiment {
    /// toy models of superposition (`kind = "toy"`, the default)
    Toy(Experiment<RunSpec>),
    /// the quantization model on multitask sparse parity (`kind = "quanta"`)
    Quanta(Experiment<QuantaSpec>),
    /// Platonic representation alignment in a synthetic world (`kind = "platonic"`)
    Platonic(Experiment<PlatonicSpec>),
    /// the local learning coefficient, calibrated against closed forms (`kind = "llc"`)
    Llc(Experiment<LlcSpec>),
}

/// The names of the kinds this build knows.
pub const KINDS: [&str; 4] = ["toy", "quanta", "platonic", "llc"];

/// Calls `$body` with `$experiment` bound to the typed experiment and `$kind` to the kind's
/// type.
macro_rules! dispatch {
    ($any:expr, $experiment:ident, $kind:ident => $body:expr) => {
        match $any {
            AnyExperiment::Toy($experiment) => {
                type $kind = Toy;
                $body
            }
            AnyExperiment::Quanta($experiment) => {
                type $kind = Quanta;
                $body
            }
            AnyExperiment::Platonic($experiment) => {
                type $kind = Platonic;
                $body
            }
            AnyExperiment::Llc($experiment) => {
                type $kind = Llc;
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
            "quanta" => Ok(Self::Quanta(Experiment::from_text(text, path)?)),
            "platonic" => Ok(Self::Platonic(Experiment::from_text(text, path)?)),
            "llc" => Ok(Self::Llc(Experiment::from_text(text, path)?)),
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

    /// The experiment's description.
    pub fn description(&self) -> &str {
        dispatch!(self, e, _K => &e.description)
    }

    /// Where the experiment was read from.
    pub fn path(&self) -> &Path {
        dispatch!(self, e, _K => &e.path)
    }

    /// Replicates per sweep point.
    pub fn replicates(&self) -> u32 {
        dispatch!(self, e, _K => e.replicates)
    }

    /// The sweep axes and their values.
    pub fn axes(&self) -> &[(String, Vec<toml::Value>)] {
        dispatch!(self, e, _K => &e.axes)
    }

    /// Every run as (index, run id, replicate, seed, canonical JSON, axes).
    pub fn rows(&self) -> Vec<superscale_store::PlannedRow> {
        dispatch!(self, e, _K => e.points.iter().map(superscale_engine::row).collect())
    }

    /// The toy-model experiment, if this is one.
    pub fn as_toy(&self) -> Option<&Experiment<RunSpec>> {
        match self {
            AnyExperiment::Toy(e) => Some(e),
            _ => None,
        }
    }

    /// Checks what parsing alone does not: the study tables (e.g. `[analysis]`) and what the
    /// kind builds from the file before its runs (e.g. the task subsets of a quanta study).
    pub fn check(&self) -> Result<(), superscale_engine::Error> {
        dispatch!(self, e, K => K::prepare(e).map(drop).map_err(Into::into))
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

    /// Trains the study in memory (no store), reporting to `observer`; once `stop` is set no
    /// new job starts and the runs finished so far are analysed.
    pub fn run_in_memory(
        &self,
        threads: usize,
        stop: &AtomicBool,
        observer: &dyn Observer,
    ) -> Result<Analysed, superscale_engine::Error> {
        dispatch!(self, e, K => {
            let kind = K::prepare(e)?;
            let (finished, stopped) =
                superscale_engine::run_in_memory_observed(&kind, e, threads, stop, observer)?;
            let report = superscale_engine::analyse_study(&kind, e, &finished, threads)?;
            Ok(Analysed {
                toy: K::toy_results(&finished),
                incomplete: stopped || finished.unfinished > 0,
                report,
            })
        })
    }

    /// Analyses what `store` holds (every finished run, earlier invocations' included);
    /// runs without a weights file take their parameters from `trained` when there.
    pub fn analyse_store(
        &self,
        store: &Store,
        threads: usize,
        trained: &superscale_engine::Trained,
    ) -> Result<Analysed, superscale_engine::Error> {
        dispatch!(self, e, K => {
            let kind = K::prepare(e)?;
            let finished = superscale_engine::finished_runs(&e.points, store, trained)?;
            let report = superscale_engine::analyse_study(&kind, e, &finished, threads)?;
            Ok(Analysed {
                toy: K::toy_results(&finished),
                incomplete: finished.unfinished > 0,
                report,
            })
        })
    }

    /// Writes the report and tables of what `store` holds.
    pub fn write_report(
        &self,
        store: &Store,
        threads: usize,
    ) -> Result<Option<Written>, superscale_engine::Error> {
        dispatch!(self, e, K => {
            let kind = K::prepare(e)?;
            superscale_engine::write_report(&kind, e, store, threads)
        })
    }
}
