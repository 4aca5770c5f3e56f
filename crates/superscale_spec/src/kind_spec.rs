//! What a kind of experiment declares about its files: which tables make up one sweep
//! point, which hold study-wide settings, how a point is validated, and which runs it
//! stands for (see `docs/architecture.md`, "Adding a kind").

use crate::error::Violation;
use crate::identity::{replicate_seed, run_id};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

/// The tables of one sweep point of some kind of experiment.
///
/// An experiment file holds the common fields (`name`, `description`, `kind`, `seed`,
/// `replicates`, `[sweep]`), the kind's point tables (deserialized into `Self` once per
/// sweep point, after the sweep's values are set) and the kind's study tables (settings of
/// the whole study, such as its analysis; never swept and never part of a run's identity).
pub trait KindSpec: DeserializeOwned + Clone + Debug + Send + Sync + 'static {
    /// The kind's name, as written in `kind = "..."`.
    const KIND: &'static str;
    /// Top-level tables that make up one sweep point (a `[sweep]` axis is a dotted path
    /// into one of them).
    const POINT_TABLES: &'static [&'static str];
    /// Top-level tables of study-wide settings.
    const STUDY_TABLES: &'static [&'static str] = &[];

    /// The spec of one run: its canonical JSON is stored with the run and hashed into its id.
    type Run: Serialize + Clone + Debug + PartialEq + Send + Sync + 'static;

    /// Checks every value of the point; the violation names the dotted field.
    fn validate(&self) -> Result<(), Violation>;

    /// The runs this point stands for, given the study's seed and replicate count. Most
    /// kinds train `replicates` copies of one spec ([`replicated`]); a kind whose point
    /// expands into several networks (the Platonic studies) lists them itself.
    fn runs(&self, seed: u64, replicates: u32) -> Result<Vec<PlannedRun<Self::Run>>, Violation>;
}

/// One run a sweep point stands for.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRun<R> {
    /// the run's spec
    pub spec: R,
    /// replicate number (0-based)
    pub replicate: u32,
    /// content hash identifying the run (shared by the replicates of a spec)
    pub run_id: String,
    /// the run's seed
    pub seed: u64,
    /// labels beyond the sweep axes that tell this run from the point's others, as
    /// (name, value), e.g. a network's modality
    pub labels: Vec<(String, String)>,
}

/// The canonical JSON of a run spec: serde's form of the typed spec, field order fixed by
/// the types, every default filled in.
pub fn canonical_json<R: Serialize>(spec: &R) -> String {
    serde_json::to_string(spec).expect("run specs are plain data and always serialise")
}

/// `replicates` runs of one spec, identified the common way: the run id hashes the
/// canonical JSON (wrapped with the study's seed when that is not 0, so a study whose
/// seed is left out keeps the ids it always had) and each replicate's seed hashes the run
/// id and replicate number (`docs/architecture.md`, "Identity").
pub fn replicated<R: Serialize + Clone>(
    spec: &R,
    seed: u64,
    replicates: u32,
) -> Vec<PlannedRun<R>> {
    let json = canonical_json(spec);
    let id = if seed == 0 {
        run_id(&json)
    } else {
        run_id(&format!("{{\"seed\":{seed},\"run\":{json}}}"))
    };
    (0..replicates)
        .map(|replicate| PlannedRun {
            spec: spec.clone(),
            replicate,
            run_id: id.clone(),
            seed: replicate_seed(&id, replicate),
            labels: Vec::new(),
        })
        .collect()
}
