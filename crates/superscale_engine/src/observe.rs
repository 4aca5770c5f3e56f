//! What a front (the CLI's progress bars, Python's callbacks) hears of a running study:
//! plain data about each run, whatever its kind.

use crate::error::RunError;
use serde::Serialize;
use superscale_spec::{canonical_json, RunPoint};
use superscale_store::{End, PlannedRow, RunOutput, Scalar, Schema};

/// A run as a front shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunLabel {
    /// position in the study's order
    pub index: usize,
    /// the run's id
    pub run_id: String,
    /// its replicate
    pub replicate: u32,
    /// sweep axes and the kind's labels, (name, value)
    pub axes: Vec<(String, String)>,
    /// its length in steps (for progress bars)
    pub steps: u64,
}

impl RunLabel {
    /// "RUNID rR axis=value ..." with the last part of each dotted axis name.
    pub fn text(&self) -> String {
        let axes: Vec<String> = self
            .axes
            .iter()
            .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
            .collect();
        format!("{} r{} {}", self.run_id, self.replicate, axes.join(" "))
    }
}

/// The outcome of a finished run as a front shows it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// done or diverged
    pub end: End,
    /// the kind's headline scalar (e.g. the held-out loss; its name is in
    /// [`Update::Planned`]), if the kind declares one and it is a number
    pub headline: Option<f64>,
    /// wall-clock seconds
    pub seconds: f64,
}

/// One thing that happened in a study.
#[derive(Debug, Clone, Copy)]
pub enum Update<'a> {
    /// the study is planned: a line saying what will be done, and the runs to do
    Planned {
        /// e.g. "flagship: 12 runs on 2 threads, new store runs/flagship"
        summary: &'a str,
        /// the runs this invocation trains
        todo: &'a [RunLabel],
        /// the name of the headline scalar of finished runs (e.g. `loss_heldout_n_mse`)
        headline: Option<&'a str>,
    },
    /// a run started
    Started(&'a RunLabel),
    /// a run reached a step
    Step(&'a RunLabel, u64),
    /// a run finished
    Finished(&'a RunLabel, Summary),
    /// a run could not be trained
    Failed(&'a RunLabel, &'a RunError),
}

/// Receives a study's updates, from its worker threads.
pub trait Observer: Sync {
    /// One update. An observer may unwind (a Python KeyboardInterrupt) from `Started` and
    /// `Step` to stop the study; runs already finished are kept.
    fn update(&self, update: Update<'_>);
}

/// An observer that ignores everything.
pub struct Silent;

impl Observer for Silent {
    fn update(&self, _: Update<'_>) {}
}

/// The label of a run.
pub fn label<R>(point: &RunPoint<R>, steps: u64) -> RunLabel {
    RunLabel {
        index: point.index,
        run_id: point.run_id.clone(),
        replicate: point.replicate,
        axes: point.axes.clone(),
        steps,
    }
}

/// The store's row of a run.
pub fn row<R: Serialize>(point: &RunPoint<R>) -> PlannedRow {
    PlannedRow {
        index: point.index,
        run_id: point.run_id.clone(),
        replicate: point.replicate,
        seed: point.seed,
        spec_json: canonical_json(&point.spec),
        axes: point.axes.clone(),
    }
}

/// The summary of an output under `schema`.
pub fn summary(schema: &Schema, output: &RunOutput) -> Summary {
    let headline = schema.headline.as_ref().and_then(|name| {
        let position = schema.scalars.iter().position(|c| &c.name == name)?;
        match output.scalars.get(position)? {
            Scalar::Float(v) => Some(*v),
            Scalar::Int(v) => Some(*v as f64),
            _ => None,
        }
    });
    Summary {
        end: output.end,
        headline,
        seconds: output.seconds,
    }
}
