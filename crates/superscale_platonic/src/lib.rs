//! The synthetic world of the Platonic Representation Hypothesis and its studies
//! (`docs/science/alignment.md` §4–5, `docs/science/model_shape.md` §2–3):
//!
//! - [`World`]: latent z, modalities x_m = g_m(z) + noise, readout tasks y_t = h_t(z), and the
//!   1-d control whose tasks read only ⟨z, v⟩v.
//! - [`StudySpec`]: a TOML study (`[world]`, `[model]`, `[study] kind = "multitask" |
//!   "capacity" | "simplicity"`) with file/line/field errors.
//! - [`run_study`]: S seeds per modality and cell, pairs within and across modalities and to
//!   z scored by mutual k-NN, unbiased CKA and CKNNA with chance and permutation nulls, the
//!   mean over pairs with a seed-bootstrap CI, and the competence–alignment regression.
//! - [`procrustes`], [`tms_universality`]: rotation-invariant comparison of toy models of
//!   superposition across seeds (orthogonal Procrustes, Gram matrices, MMCS) with a
//!   shuffled-feature null.
//! - [`report`]: CSV tables, SVG figures and a self-contained HTML page.
#![deny(missing_docs)]

mod error;
mod figures;
mod pairs;
mod procrustes;
mod regression;
pub mod report;
mod spec;
mod study;
mod tms;
mod tms_figure;
mod train;
mod world;

pub use error::{Error, Result};
pub use pairs::{plan_pairs, seed_bootstrap_mean, unit, Comparison, PairMean};
pub use procrustes::{gram_cosine, orthogonal_procrustes, procrustes, rotate, Procrustes};
pub use regression::{competence_regression, demean_by_group, ols, Regression};
pub use spec::{Cell, Condition, ModelSpec, StudyKind, StudySection, StudySpec};
pub use study::{
    align_options, run_study, PairRecord, Progress, RunRecord, StudyResult, Summary, LEVEL,
};
pub use tms::{
    score_pair, tms_universality, TmsCellSummary, TmsOptions, TmsPair, TmsResult, TMS_METRICS,
};
pub use tms_figure::tms_svg;
pub use train::{train_network, Evaluation, TrainSettings, Trained};
pub use world::{draw_latents, Batch, RandomNet, World, WorldSpec, MODALITIES};
