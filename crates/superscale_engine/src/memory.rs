//! A study trained in memory, without a store: for tests, and for Python calls that ask
//! for no store.

use crate::error::Result;
use crate::event::Event;
use crate::kind::{Finished, FinishedRun, Kind, Run};
use crate::observe::{label, summary, Observer, RunLabel, Update};
use crate::schedule::run_jobs;
use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use superscale_spec::Experiment;

/// Trains every run of `experiment` on `threads` workers and returns the finished runs, or
/// the first run's failure.
pub fn run_in_memory<K: Kind>(
    kind: &K,
    experiment: &Experiment<K::Spec>,
    threads: usize,
) -> Result<Finished<Run<K>>> {
    let stop = AtomicBool::new(false);
    let outcomes = run_jobs(kind, &experiment.points, threads, &stop, &|_| {})?;
    let mut runs = Vec::with_capacity(outcomes.len());
    for (index, outcome) in outcomes {
        runs.push(FinishedRun {
            point: experiment.points[index].clone(),
            output: outcome?,
        });
    }
    Ok(Finished {
        runs,
        unfinished: 0,
        failed: 0,
        dir: None,
    })
}

/// Trains every run of `experiment` in memory, reporting to `observer`; once `stop` is set
/// no new job starts. Returns the finished runs in order (failed runs are counted, not
/// raised), and whether the study stopped early.
pub fn run_in_memory_observed<K: Kind>(
    kind: &K,
    experiment: &Experiment<K::Spec>,
    threads: usize,
    stop: &AtomicBool,
    observer: &dyn Observer,
) -> Result<(Finished<Run<K>>, bool)> {
    let schema = kind.schema();
    let labels: HashMap<(String, u32), RunLabel> = experiment
        .points
        .iter()
        .map(|p| ((p.run_id.clone(), p.replicate), label(p, kind.steps(p))))
        .collect();
    let ordered: Vec<RunLabel> = experiment
        .points
        .iter()
        .map(|p| labels[&(p.run_id.clone(), p.replicate)].clone())
        .collect();
    let line = format!(
        "{}: {} runs on {threads} threads, in memory",
        experiment.name,
        ordered.len()
    );
    observer.update(Update::Planned {
        summary: &line,
        todo: &ordered,
        headline: schema.headline.as_deref(),
    });
    let on_event = |event: Event<'_, Run<K>>| {
        let of = |p: &superscale_spec::RunPoint<Run<K>>| &labels[&(p.run_id.clone(), p.replicate)];
        match event {
            Event::Started(p) => observer.update(Update::Started(of(p))),
            Event::Step(p, step) => observer.update(Update::Step(of(p), step)),
            Event::Finished(p, output) => {
                observer.update(Update::Finished(of(p), summary(&schema, output)))
            }
            Event::Failed(p, err) => observer.update(Update::Failed(of(p), err)),
        }
    };
    let outcomes = run_jobs(kind, &experiment.points, threads, stop, &on_event)?;
    let stopped = outcomes.len() < experiment.points.len();
    let mut runs = Vec::with_capacity(outcomes.len());
    let mut failed = 0;
    for (index, outcome) in outcomes {
        match outcome {
            Ok(output) => runs.push(FinishedRun {
                point: experiment.points[index].clone(),
                output,
            }),
            Err(_) => failed += 1,
        }
    }
    Ok((
        Finished {
            unfinished: experiment.points.len() - runs.len(),
            failed,
            runs,
            dir: None,
        },
        stopped,
    ))
}
