//! What a study leaves behind: `results.csv` (one row per run), `exponents.csv` (α_m per
//! group), `curves.csv` (loss curves, long form) and `report.html`, a self-contained page
//! with inline SVG plots made by `plotters` that opens offline.
#![deny(missing_docs)]

mod chart;
mod error;
mod html;
mod sweep_map;
mod tables;
mod tms;

pub use error::{Error, Result};
pub use tables::{curves_csv, exponents_csv, results_csv};
pub use tms::Phase;

use std::path::{Path, PathBuf};
use superscale_kinds::{RunResult, WidthExponent};
use superscale_spec::Experiment;

/// Writes the tables and the report into `dir`; returns the report's path.
pub fn write_study(
    dir: &Path,
    experiment: &Experiment,
    results: &[RunResult],
    exponents: &[WidthExponent],
) -> Result<PathBuf> {
    let write = |name: &str, text: String| -> Result<PathBuf> {
        let path = dir.join(name);
        // Write to a temporary file and rename, so a kill never leaves a half-written table.
        let partial = dir.join(format!(".{name}.partial"));
        std::fs::write(&partial, text).map_err(|source| Error::Io {
            path: partial.clone(),
            source,
        })?;
        std::fs::rename(&partial, &path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    };
    write("spec.toml", experiment.source.clone())?;
    write("results.csv", results_csv(results))?;
    write("exponents.csv", exponents_csv(exponents))?;
    write("curves.csv", curves_csv(results))?;
    write("report.html", html::report(experiment, results, exponents)?)
}
