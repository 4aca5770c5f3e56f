//! `superscale run SPEC`: train every run of an experiment into its store (resuming a
//! store that exists), then write results and report from the store.

use crate::progress::{Mode, Progress};
use crate::{store_error, UserError};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;
use superscale_kinds::{fit_width_exponents, run_study, Event};
use superscale_spec::Experiment;
use superscale_store::{Plan, Prepared, Recorder, RunState, Shard, Store};

/// Arguments of `superscale run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The experiment file (TOML).
    pub spec: PathBuf,
    /// The study's store: a directory holding superscale.db, the report and its tables
    /// (default: runs/<experiment name>). An existing store is resumed: finished runs are
    /// skipped, unfinished ones rerun.
    #[arg(long, visible_alias = "out", value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Add the spec's new sweep points or replicates to an existing store (without it, a
    /// spec with runs the store lacks is refused).
    #[arg(long)]
    pub extend: bool,
    /// Run only shard K of N (1-based): the runs whose index i has i % N == K-1, into a
    /// store of their own; combine the shards with `superscale merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Keep each run's final W and b as weights/<run id>-r<replicate>.safetensors.
    #[arg(long)]
    pub save_weights: bool,
    /// Worker threads: runs are spread over them, one run per worker, and idle workers
    /// help with the 512-row chunks of a large batch; the results do not depend on the
    /// count (default: SUPERSCALE_THREADS, else the number of cores; see docs/cluster.md).
    #[arg(long, env = "SUPERSCALE_THREADS")]
    pub threads: Option<usize>,
    /// Print nothing but errors, the α_m lines and the report's path.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: &RunArgs) -> Result<()> {
    let experiment = Experiment::load(&args.spec).map_err(|err| UserError(err.to_string()))?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 {
        return Err(UserError("--threads must be at least 1".into()).into());
    }
    let dir = args
        .store
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(&experiment.name));
    let plan = Plan {
        extend: args.extend,
        shard: args.shard,
    };
    let prepared = Store::prepare(&dir, &experiment, &plan).map_err(store_error)?;
    let progress = Progress::new(Mode::detect(args.quiet), &prepared.todo);
    progress.line(&prepared.summary(&experiment.name, threads));
    let Prepared { store, todo, .. } = prepared;
    let started = Instant::now();
    let recorder = Recorder::new(store, args.save_weights);
    let on_event = |event: Event<'_>| {
        recorder.record(&event);
        match event {
            Event::Started(point) => progress.started(point),
            Event::Step(point, step) => progress.step(point, step),
            Event::Finished(result) => progress.finished(result),
            Event::Failed(point, err) => progress.failed(point, &err.to_string()),
        }
    };
    let outcome = if todo.is_empty() {
        Ok(())
    } else {
        run_study(&todo, threads, &on_event).map(|_| ())
    };
    progress.finish();
    let (store, store_failure) = recorder.finish();
    if let Some(err) = store_failure {
        return Err(store_error(err))
            .context("the store could not record a run; the runs committed before are kept");
    }
    let report = write_report(&store, args.quiet)?;
    if !args.quiet {
        eprintln!(
            "done in {:.1} s; results.csv, exponents.csv and curves.csv are beside the report",
            started.elapsed().as_secs_f64()
        );
    }
    println!("report: {}", report.display());
    outcome.with_context(|| {
        format!(
            "a run failed; it is marked failed in {} and rerun by the next `superscale run`",
            dir.display()
        )
    })
}

/// Writes the report and tables of everything finished in `store` into its directory,
/// prints α_m per group on stdout, and returns the report's path. The report is rebuilt
/// from the database, so it covers the runs of earlier, interrupted invocations too.
pub fn write_report(store: &Store, quiet: bool) -> Result<PathBuf> {
    let experiment = store.experiment().map_err(store_error)?;
    let mut results = store.results().map_err(store_error)?;
    // The database keeps measurements, not W: the geometry figures of the TMS experiments
    // (docs/tms.md) draw W from the weights files that `--save-weights` left beside it.
    for result in &mut results {
        let point = &result.point;
        let path = Path::new(store.dir()).join(superscale_store::weights_file(
            &point.run_id,
            point.replicate,
        ));
        if let Ok(saved) = superscale_store::read_weights(&path) {
            result.weights = saved.weights;
            result.bias = saved.bias;
        }
    }
    let exponents = fit_width_exponents(&results);
    // One line per group on stdout: the numbers a researcher looks for first.
    for exponent in &exponents {
        let group: Vec<String> = exponent
            .group
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        match &exponent.fit {
            Ok(fit) => println!(
                "{}: α_m = {:.3} ± {:.3}, R² = {:.3}",
                group.join(", "),
                fit.exponent,
                fit.exponent_se,
                fit.r_squared
            ),
            Err(why) => println!("{}: no fit ({why})", group.join(", ")),
        }
    }
    let runs = store.runs().map_err(store_error)?;
    let unfinished = runs.iter().filter(|r| !r.state.is_finished()).count();
    if unfinished > 0 && !quiet {
        let failed = runs.iter().filter(|r| r.state == RunState::Failed).count();
        eprintln!(
            "note: the report covers {} of {} runs ({failed} failed, {} not run yet)",
            results.len(),
            runs.len(),
            unfinished - failed
        );
    }
    superscale_report::write_study(store.dir(), &experiment, &results, &exponents).with_context(
        || {
            format!(
                "cannot write the report into {}",
                Path::new(store.dir()).display()
            )
        },
    )
}
