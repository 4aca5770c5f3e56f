//! A study from its experiment file to its report, for any kind: planned into its store
//! (new, resumed, extended or one shard), the runs still to do trained and committed as
//! they finish, then the finished runs analysed and reported.

use crate::error::{Error, Result, RunError};
use crate::event::Event;
use crate::kind::{Finished, FinishedRun, Kind, Run};
use crate::observe::{label, row, summary, Observer, RunLabel, Update};
use crate::recorder::Recorder;
use crate::schedule::run_jobs;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use superscale_report::{Block, Page, Section};
use superscale_spec::{Experiment, RunPoint};
use superscale_store::{read_weights, weights_file, Plan, Shard, Store, StudyPlan, Tensors};

/// How a study is to be run.
#[derive(Debug, Clone)]
pub struct Options {
    /// the store directory
    pub dir: PathBuf,
    /// accept sweep points or replicates the store does not have yet
    pub extend: bool,
    /// run only this slice of the study, into a store of its own
    pub shard: Option<Shard>,
    /// keep every run's final parameters as a weights file
    pub save_weights: bool,
    /// worker threads (runs are spread over them; results never depend on the count)
    pub threads: usize,
    /// keep the final parameters of the runs trained now in memory, in [`Outcome::trained`]
    /// (Python hands them out as arrays without a weights file)
    pub keep_trained: bool,
    /// analyse the study and write its report when every run is done (the CLI); Python
    /// analyses the store itself, once, to build its `Study`
    pub write_report: bool,
}

/// What a study wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// the report
    pub report: PathBuf,
    /// every file written beside it (tables, spec)
    pub files: Vec<PathBuf>,
    /// the kind's headline lines (e.g. α_m per group)
    pub headlines: Vec<String>,
    /// the report's figures, for writing each as a file of its own
    /// (`superscale_report::export`)
    pub figures: Vec<superscale_report::Figure>,
    /// runs in the store
    pub runs: usize,
    /// of which finished (done or diverged) and in the report
    pub finished: usize,
    /// of which failed
    pub failed: usize,
}

/// How an invocation ended.
#[derive(Debug)]
pub struct Outcome {
    /// what was written (None when the study was stopped before its report, no report was
    /// asked for, or the kind analyses only whole studies and this store holds a part)
    pub written: Option<Written>,
    /// the runs that failed in this invocation (marked failed, rerun by the next)
    pub failures: Vec<RunError>,
    /// whether it was stopped (Ctrl-C, or a store write failed) before every run was done
    pub stopped: bool,
    /// the final parameters of the runs trained now, when [`Options::keep_trained`]
    pub trained: Trained,
}

/// Final parameters of runs, by (run id, replicate).
pub type Trained = HashMap<(String, u32), Tensors>;

/// The store's plan of a study: its identity and every run.
pub fn study_plan<K: Kind>(kind: &K, experiment: &Experiment<K::Spec>) -> StudyPlan {
    StudyPlan {
        name: experiment.name.clone(),
        source: experiment.source.clone(),
        source_path: experiment.path.clone(),
        schema: kind.schema(),
        runs: experiment.points.iter().map(row).collect(),
    }
}

/// Runs the study of `experiment` into its store, then writes its tables and report.
///
/// Finished runs in the store are skipped; runs left unfinished by a kill are trained again
/// with the same seeds, so a resumed study is bit-identical to an uninterrupted one. Once
/// `stop` is set no new job starts; the runs finished so far stay committed and no report
/// is written. A run that fails is marked failed and the others go on.
pub fn run_study<K: Kind>(
    experiment: &Experiment<K::Spec>,
    options: &Options,
    stop: &AtomicBool,
    observer: &dyn Observer,
) -> Result<Outcome> {
    let options = &Options {
        threads: crate::schedule::worker_threads(options.threads),
        ..options.clone()
    };
    let kind = K::prepare(experiment)?;
    let schema = kind.schema();
    let plan = study_plan(&kind, experiment);
    let prepared = Store::prepare(
        &options.dir,
        &plan,
        &Plan {
            extend: options.extend,
            shard: options.shard,
        },
    )?;
    let summary_line = prepared.summary(&experiment.name, options.threads);
    let todo: Vec<RunPoint<Run<K>>> = prepared
        .todo
        .iter()
        .map(|&index| experiment.points[index].clone())
        .collect();
    let labels: HashMap<(String, u32), RunLabel> = todo
        .iter()
        .map(|p| ((p.run_id.clone(), p.replicate), label(p, kind.steps(p))))
        .collect();
    let ordered: Vec<RunLabel> = todo
        .iter()
        .map(|p| labels[&(p.run_id.clone(), p.replicate)].clone())
        .collect();
    observer.update(Update::Planned {
        summary: &summary_line,
        todo: &ordered,
        headline: schema.headline.as_deref(),
    });
    let recorder = Recorder::new(
        prepared.store,
        options.save_weights || kind.needs_weights(),
        stop,
    );
    let failures = std::sync::Mutex::new(Vec::new());
    let trained_now = std::sync::Mutex::new(Trained::new());
    let on_event = |event: Event<'_, Run<K>>| {
        let of = |p: &RunPoint<Run<K>>| &labels[&(p.run_id.clone(), p.replicate)];
        // The observer hears a start first: if it stops the study there, the run was never
        // marked running.
        if let Event::Started(p) = event {
            observer.update(Update::Started(of(p)));
        }
        recorder.record(&event);
        match event {
            Event::Started(_) => {}
            Event::Step(p, step) => observer.update(Update::Step(of(p), step)),
            Event::Finished(p, output) => {
                if options.keep_trained {
                    trained_now
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .insert((p.run_id.clone(), p.replicate), output.weights.clone());
                }
                observer.update(Update::Finished(of(p), summary(&schema, output)))
            }
            Event::Failed(p, err) => {
                failures
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(err.clone());
                observer.update(Update::Failed(of(p), err))
            }
        }
    };
    let trained = if todo.is_empty() {
        Ok(Vec::new())
    } else {
        run_jobs(&kind, &todo, options.threads, stop, &on_event)
    };
    let (store, store_failure) = recorder.finish();
    if let Some(err) = store_failure {
        return Err(Error::Record(err));
    }
    let trained = trained?;
    let failures = failures
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let trained_now = trained_now
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if trained.len() < todo.len() {
        return Ok(Outcome {
            written: None,
            failures,
            stopped: true,
            trained: trained_now,
        });
    }
    let written = if options.write_report {
        write_report(&kind, experiment, &store, options.threads)?
    } else {
        None
    };
    Ok(Outcome {
        written,
        failures,
        stopped: false,
        trained: trained_now,
    })
}

/// The finished runs of `store` with their points from `experiment`; weights come from
/// their weights files where those were kept, else from `trained` (runs trained by this
/// process).
pub fn finished_runs<R: Clone>(
    experiment_points: &[RunPoint<R>],
    store: &Store,
    trained: &Trained,
) -> Result<Finished<R>> {
    let points: HashMap<(&str, u32), &RunPoint<R>> = experiment_points
        .iter()
        .map(|p| ((p.run_id.as_str(), p.replicate), p))
        .collect();
    let records = store.runs()?;
    let failed = records
        .iter()
        .filter(|r| r.state == superscale_store::RunState::Failed)
        .count();
    let mut runs = Vec::new();
    for (record, mut output) in store.outputs()? {
        let Some(point) = points.get(&(record.run_id.as_str(), record.replicate)) else {
            return Err(Error::Store(superscale_store::Error::Corrupt {
                path: store.dir().join(superscale_store::DB_FILE),
                message: format!(
                    "run {} replicate {} is not a run of the stored experiment",
                    record.run_id, record.replicate
                ),
            }));
        };
        let path = store
            .dir()
            .join(weights_file(&record.run_id, record.replicate));
        if path.is_file() {
            output.weights = read_weights(&path)?;
        } else if let Some(weights) = trained.get(&(record.run_id.clone(), record.replicate)) {
            output.weights = weights.clone();
        }
        runs.push(FinishedRun {
            point: (*point).clone(),
            output,
        });
    }
    Ok(Finished {
        // Against the whole study, not the store's rows: a shard's store holds only its slice.
        unfinished: experiment_points.len().max(records.len()) - runs.len(),
        failed,
        runs,
        dir: Some(store.dir().to_path_buf()),
    })
}

/// A study's analysis as files: its tables, its report page and headline lines.
#[derive(Debug, Clone)]
pub struct Report {
    /// (file name, contents): `spec.toml` and the kind's tables
    pub files: Vec<(String, String)>,
    /// the report page
    pub page: Page,
    /// the kind's headline lines
    pub headlines: Vec<String>,
    /// runs of the study
    pub runs: usize,
    /// of which finished and analysed
    pub finished: usize,
    /// of which failed
    pub failed: usize,
}

impl Report {
    /// Writes the files and `report.html` into `dir` (created if needed), each atomically.
    pub fn write(&self, dir: &Path) -> Result<Written> {
        std::fs::create_dir_all(dir).map_err(|source| {
            Error::Report(superscale_report::Error::Io {
                path: dir.to_path_buf(),
                source,
            })
        })?;
        let files = superscale_report::write_files(dir, &self.files)?;
        let report = dir.join("report.html");
        superscale_report::write_atomic(&report, superscale_report::render(&self.page))?;
        Ok(Written {
            report,
            files,
            headlines: self.headlines.clone(),
            figures: self.page.figures(),
            runs: self.runs,
            finished: self.finished,
            failed: self.failed,
        })
    }
}

/// Analyses finished runs on a pool of `threads` and lays out the tables and report. A kind
/// that analyses only whole studies gets, for a partial one, a report that says so and no
/// tables but the spec.
pub fn analyse_study<K: Kind>(
    kind: &K,
    experiment: &Experiment<K::Spec>,
    finished: &Finished<Run<K>>,
    threads: usize,
) -> Result<Report> {
    if finished.unfinished > 0 && !kind.analyses_partial() {
        let files = vec![("spec.toml".to_string(), experiment.source.clone())];
        let note = Section::new("Not analysed yet").with(Block::Text(format!(
            "A {} study is analysed once every run has finished: {} of {} have.",
            experiment.kind,
            finished.runs.len(),
            finished.runs.len() + finished.unfinished
        )));
        return Ok(Report {
            page: page(experiment, finished, vec![note], &["spec.toml"]),
            headlines: Vec::new(),
            runs: finished.runs.len() + finished.unfinished,
            finished: finished.runs.len(),
            failed: finished.failed,
            files,
        });
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(crate::schedule::worker_threads(threads))
        .build()
        .map_err(|err| Error::ThreadPool {
            threads,
            message: err.to_string(),
        })?;
    let (analysis, tables, sections) = pool.install(|| -> Result<_> {
        let analysis = kind.analyse(experiment, finished)?;
        let tables = kind.tables(experiment, finished, &analysis)?;
        let sections = kind.sections(experiment, finished, &analysis)?;
        Ok((analysis, tables, sections))
    })?;
    let mut files = vec![("spec.toml".to_string(), experiment.source.clone())];
    files.extend(tables);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let page = page(experiment, finished, sections, &names);
    Ok(Report {
        page,
        headlines: kind.headlines(&analysis),
        runs: finished.runs.len() + finished.unfinished,
        finished: finished.runs.len(),
        failed: finished.failed,
        files,
    })
}

/// Writes the report and tables of everything finished in `store` into its directory. The
/// report is rebuilt from the store, so it covers the runs of earlier invocations too.
/// Returns None, writing nothing, when the kind analyses only whole studies and some runs
/// of this one are not finished (a shard before its merge).
pub fn write_report<K: Kind>(
    kind: &K,
    experiment: &Experiment<K::Spec>,
    store: &Store,
    threads: usize,
) -> Result<Option<Written>> {
    let finished = finished_runs(&experiment.points, store, &Trained::new())?;
    if finished.unfinished > 0 && !kind.analyses_partial() {
        return Ok(None);
    }
    analyse_study(kind, experiment, &finished, threads)?
        .write(store.dir())
        .map(Some)
}

fn page<S: superscale_spec::KindSpec, R>(
    experiment: &Experiment<S>,
    finished: &Finished<R>,
    mut sections: Vec<Section>,
    files: &[&str],
) -> Page {
    if finished.unfinished > 0 {
        let note = Block::Note(format!(
            "This report covers {} of {} runs ({} failed, {} not run yet).",
            finished.runs.len(),
            finished.runs.len() + finished.unfinished,
            finished.failed,
            finished.unfinished - finished.failed
        ));
        match sections.first_mut() {
            Some(first) => first.blocks.insert(0, note),
            None => sections.push(Section::new("Overview").with(note)),
        }
    }
    sections.push(Section::new("Spec").with(Block::Code(experiment.source.clone())));
    Page {
        title: experiment.name.clone(),
        description: experiment.description.clone(),
        sections,
        footer: format!(
            "superscale {} · kind {} · files beside this page: {}",
            env!("CARGO_PKG_VERSION"),
            experiment.kind,
            files.join(", ")
        ),
    }
}

/// The directory a study's store defaults to: `runs/<name>`.
pub fn default_dir(name: &str) -> PathBuf {
    Path::new("runs").join(name)
}
