//! The text of `superscale ls` and `superscale show`: a store's runs one a line with their
//! status, headline result and axes, and one run's provenance, results, curves and arrays.

use crate::error::Result;
use crate::output::{ArrayData, Scalar};
use crate::record::{RunRecord, RunState};
use crate::store::Store;
use std::path::Path;

/// `writeln!` into the output buffer (writing to a String cannot fail).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

/// A run's axes as `name=value`, the last part of each dotted path.
fn axes_text(record: &RunRecord) -> String {
    record
        .axes
        .iter()
        .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The runs of `store` (opened from `dir`) one a line, only those in state `wanted` when
/// given, under a line of counts.
pub fn listing(store: &Store, dir: &Path, wanted: Option<RunState>) -> Result<String> {
    let mut out = String::new();
    let runs = store.runs()?;
    let meta = store.meta();
    let count = |state: RunState| runs.iter().filter(|r| r.state == state).count();
    let counts: Vec<String> = [
        RunState::Done,
        RunState::Diverged,
        RunState::Running,
        RunState::Pending,
        RunState::Failed,
    ]
    .into_iter()
    .filter(|&s| count(s) > 0)
    .map(|s| format!("{} {}", count(s), s.as_str()))
    .collect();
    let shard = meta
        .shard
        .map(|s| format!(", shard {s}"))
        .unwrap_or_default();
    outln!(
        out,
        "{} ({} runs{shard}: {}), experiment {}, fingerprint {}",
        dir.display(),
        runs.len(),
        counts.join(", "),
        meta.name,
        meta.fingerprint
    );
    let headline = meta.schema.headline.clone().unwrap_or_default();
    outln!(
        out,
        "{:>5}  {:<16}  {:>3}  {:<8}  {:>18}  {:>8}  axes",
        "index",
        "run_id",
        "rep",
        "status",
        headline,
        "seconds"
    );
    for run in runs.iter().filter(|r| wanted.is_none_or(|w| r.state == w)) {
        let loss = run.headline.map(|l| format!("{l:.6}")).unwrap_or_default();
        let seconds = run
            .seconds
            .filter(|_| run.state.is_finished())
            .map(|s| format!("{s:.2}"))
            .unwrap_or_default();
        outln!(
            out,
            "{:>5}  {:<16}  {:>3}  {:<8}  {loss:>18}  {seconds:>8}  {}",
            run.index,
            run.run_id,
            run.replicate,
            run.state.as_str(),
            axes_text(run)
        );
    }
    if count(RunState::Running) > 0 {
        outln!(out, "('running' means in progress, or interrupted by a kill: a new `superscale run` reruns it)");
    }
    Ok(out)
}

/// Every replicate of the runs `run_id` names (a prefix of an id) in `store` (opened from
/// `dir`): provenance, status, scalar results, curves, arrays and spec.
pub fn describe_runs(store: &Store, dir: &Path, run_id: &str) -> Result<String> {
    let mut out = String::new();
    let records = store.find(run_id)?;
    let optional = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".into());
    for record in &records {
        outln!(
            out,
            "run {} replicate {} (index {}, seed {})",
            record.run_id,
            record.replicate,
            record.index,
            record.seed
        );
        outln!(out, "  axes       {}", axes_text(record));
        let step = record
            .diverged_step
            .map(|s| format!(" at step {s}"))
            .unwrap_or_default();
        outln!(
            out,
            "  status     {}{step} (attempts: {})",
            record.state.as_str(),
            record.attempts
        );
        if let Some(error) = &record.error {
            outln!(out, "  error      {error}");
        }
        outln!(out, "  started    {}", optional(&record.started_at));
        outln!(out, "  finished   {}", optional(&record.finished_at));
        outln!(
            out,
            "  seconds    {}",
            record
                .seconds
                .map(|s| format!("{s:.3}"))
                .unwrap_or_else(|| "-".into())
        );
        outln!(out, "  host       {}", optional(&record.host));
        outln!(
            out,
            "  version    superscale {} (commit {})",
            optional(&record.superscale_version),
            optional(&record.git_commit)
        );
        outln!(
            out,
            "  digests    result {} / weights {}",
            optional(&record.digest),
            optional(&record.weights_digest)
        );
        if let Some(file) = &record.weights_file {
            outln!(out, "  weights    {}", dir.join(file).display());
        }
        if let Some(output) = store.output(&record.run_id, record.replicate)? {
            let schema = &store.meta().schema;
            for (column, value) in schema.scalars.iter().zip(&output.scalars) {
                let value = match value {
                    Scalar::Int(v) => v.to_string(),
                    Scalar::Float(v) => v.to_string(),
                    Scalar::Text(v) => v.clone(),
                    Scalar::Missing => "-".into(),
                };
                outln!(out, "  {:<28} {value}", column.name);
            }
            for (column, curve) in schema.curves.iter().zip(&output.curves) {
                let points: Vec<String> = curve
                    .iter()
                    .map(|(step, value)| format!("{step}:{value:.5}"))
                    .collect();
                outln!(
                    out,
                    "  curve {} ({} points, step:value): {}",
                    column.name,
                    points.len(),
                    points.join(" ")
                );
            }
            for (column, array) in schema.arrays.iter().zip(&output.arrays) {
                let kind = match array.data {
                    ArrayData::F64(_) => "f64",
                    ArrayData::F32(_) => "f32",
                };
                outln!(
                    out,
                    "  array {} [{}] {kind} (`superscale export` writes it as table {})",
                    column.name,
                    array
                        .shape
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(" × "),
                    column.name
                );
            }
        }
        outln!(out, "  spec       {}", record.spec_json);
    }
    Ok(out)
}
