//! `superscale run FILE`: any kind of experiment, trained into its store (resuming a store
//! that exists), then its tables and report written from the store.

use crate::figures::FigureArgs;
use crate::output::{engine_error, print_out, print_to_stderr, spec_error, threads, UserError};
use crate::progress::{Mode, Progress};
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use superscale_engine::Options;
use superscale_kinds::AnyExperiment;
use superscale_store::Shard;

/// Arguments of `superscale run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The experiment file (TOML; its `kind` says what it trains: toy, quanta, platonic).
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
    /// Keep each run's final parameters as weights/<run id>-r<replicate>.safetensors.
    #[arg(long)]
    pub save_weights: bool,
    /// Worker threads: runs are spread over them, one job per worker, and idle workers
    /// help long runs; the results do not depend on the count (default:
    /// SUPERSCALE_THREADS, else the number of cores; see docs/cluster.md).
    #[arg(long, env = "SUPERSCALE_THREADS")]
    pub threads: Option<usize>,
    /// Print nothing but errors, the headline lines and the report's path.
    #[arg(long)]
    pub quiet: bool,
    #[command(flatten)]
    pub figures: FigureArgs,
}

pub fn run(args: &RunArgs) -> Result<()> {
    args.figures.check()?;
    let experiment = AnyExperiment::load(&args.spec).map_err(spec_error)?;
    let options = Options {
        dir: args
            .store
            .clone()
            .unwrap_or_else(|| superscale_engine::default_dir(experiment.name())),
        extend: args.extend,
        shard: args.shard,
        save_weights: args.save_weights,
        threads: threads(args.threads)?,
        keep_trained: false,
        write_report: true,
    };
    let progress = Progress::new(Mode::detect(args.quiet));
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let outcome = experiment.run(&options, &stop, &progress);
    progress.finish();
    let outcome = outcome.map_err(engine_error)?;
    let dir = options.dir.display();
    if let Some(written) = &outcome.written {
        let mut out = String::new();
        for line in &written.headlines {
            out += line;
            out.push('\n');
        }
        if written.finished < written.runs && !args.quiet {
            print_to_stderr(&format!(
                "note: the report covers {} of {} runs ({} failed, {} not run yet)",
                written.finished,
                written.runs,
                written.failed,
                written.runs - written.finished - written.failed
            ));
        }
        if !args.quiet {
            let names: Vec<String> = written
                .files
                .iter()
                .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .collect();
            print_to_stderr(&format!(
                "done in {:.1} s; {} are beside the report",
                started.elapsed().as_secs_f64(),
                names.join(", ")
            ));
        }
        out += &format!("report: {}\n", written.report.display());
        if let Some(line) = args.figures.write(&written.figures)? {
            out += &line;
        }
        print_out(&out)?;
    }
    if outcome.written.is_none() && args.figures.figures.is_some() {
        print_to_stderr("note: no figures written: there is no report yet");
    }
    if outcome.written.is_none() && !outcome.stopped && !args.quiet {
        print_to_stderr(&format!(
            "note: no report yet: a {} study is analysed once every run has finished (merge the shards with `superscale merge`)",
            experiment.kind()
        ));
    }
    if let Some(first) = outcome.failures.first() {
        return Err(anyhow::anyhow!("{first}")).with_context(|| {
            format!(
                "{} run(s) failed; they are marked failed in {dir} and rerun by the next `superscale run`",
                outcome.failures.len()
            )
        });
    }
    if outcome.stopped {
        return Err(UserError(format!(
            "stopped before every run was done; the finished runs are kept in {dir} and the same command resumes"
        ))
        .into());
    }
    Ok(())
}
