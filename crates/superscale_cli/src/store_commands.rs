//! Commands on existing stores: `merge`, `export`, `ls`, `show`.

use crate::run_command::write_report;
use crate::{print_out, store_error};

/// `writeln!` into the output buffer (writing to a String cannot fail).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}
use anyhow::Result;
use std::path::PathBuf;
use superscale_store::{ExportFormat, RunRecord, RunState, Store};

/// Arguments of `superscale merge`.
#[derive(clap::Args)]
pub struct MergeArgs {
    /// The merged store: a new or empty directory, or a store of the same experiment.
    pub out: PathBuf,
    /// The stores to merge (e.g. the shards of one study).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Print nothing but errors and the report's path.
    #[arg(long)]
    pub quiet: bool,
}

/// Table format of `superscale export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatChoice {
    /// comma-separated text
    Csv,
    /// Apache Parquet (pandas.read_parquet, polars.read_parquet)
    Parquet,
}

/// Arguments of `superscale export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The store.
    pub dir: PathBuf,
    /// The tables' format.
    #[arg(long, value_enum, default_value = "csv")]
    pub format: FormatChoice,
    /// Where to write runs, curves and row_norms (default: DIR/export).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `superscale ls`.
#[derive(clap::Args)]
pub struct LsArgs {
    /// The store.
    pub dir: PathBuf,
    /// Only runs in this state (pending, running, done, diverged, failed).
    #[arg(long)]
    pub status: Option<String>,
}

/// Arguments of `superscale show`.
#[derive(clap::Args)]
pub struct ShowArgs {
    /// The store.
    pub dir: PathBuf,
    /// A run id, or a unique prefix of one (all its replicates are shown).
    pub run_id: String,
}

pub fn merge(args: &MergeArgs) -> Result<()> {
    let summary = superscale_store::merge(&args.out, &args.inputs).map_err(store_error)?;
    if !args.quiet {
        eprintln!(
            "merged {} stores into {}: {} runs copied, {} duplicates identical, {} runs not finished in any input",
            args.inputs.len(),
            args.out.display(),
            summary.copied,
            summary.duplicates,
            summary.missing
        );
    }
    let store = Store::open(&args.out).map_err(store_error)?;
    let report = write_report(&store, args.quiet)?;
    println!("report: {}", report.display());
    Ok(())
}

pub fn export(args: &ExportArgs) -> Result<()> {
    let store = Store::open(&args.dir).map_err(store_error)?;
    let out = args.out.clone().unwrap_or_else(|| args.dir.join("export"));
    let format = match args.format {
        FormatChoice::Csv => ExportFormat::Csv,
        FormatChoice::Parquet => ExportFormat::Parquet,
    };
    for path in superscale_store::export(&store, &out, format).map_err(store_error)? {
        println!("{}", path.display());
    }
    Ok(())
}

fn axes_text(record: &RunRecord) -> String {
    record
        .axes
        .iter()
        .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn ls(args: &LsArgs) -> Result<()> {
    let store = Store::open(&args.dir).map_err(store_error)?;
    let mut out = String::new();
    let wanted = match args.status.as_deref() {
        None => None,
        Some(text) => Some(RunState::parse(text).ok_or_else(|| {
            crate::UserError(format!(
                "--status {text}: expected one of pending, running, done, diverged, failed"
            ))
        })?),
    };
    let runs = store.runs().map_err(store_error)?;
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
        args.dir.display(),
        runs.len(),
        counts.join(", "),
        meta.name,
        meta.fingerprint
    );
    outln!(
        out,
        "{:>5}  {:<16}  {:>3}  {:<8}  {:>12}  {:>8}  axes",
        "index",
        "run_id",
        "rep",
        "status",
        "L_heldout",
        "seconds"
    );
    for run in runs.iter().filter(|r| wanted.is_none_or(|w| r.state == w)) {
        let loss = run
            .loss_heldout
            .map(|l| format!("{l:.6}"))
            .unwrap_or_default();
        let seconds = run
            .seconds
            .filter(|_| run.state.is_finished())
            .map(|s| format!("{s:.2}"))
            .unwrap_or_default();
        outln!(
            out,
            "{:>5}  {:<16}  {:>3}  {:<8}  {loss:>12}  {seconds:>8}  {}",
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
    print_out(&out)
}

pub fn show(args: &ShowArgs) -> Result<()> {
    let store = Store::open(&args.dir).map_err(store_error)?;
    let records = store.find(&args.run_id).map_err(store_error)?;
    let mut out = String::new();
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
            outln!(out, "  weights    {}", args.dir.join(file).display());
        }
        if let Some(result) = store
            .result(&record.run_id, record.replicate)
            .map_err(store_error)?
        {
            outln!(
                out,
                "  L_train    {} ± {} (tail mean ± sd, n × MSE)",
                result.loss_train_tail,
                result.loss_train_tail_sd
            );
            outln!(out, "  L_heldout  {}", result.loss_heldout);
            if let Some(g) = &result.geometry {
                outln!(
                    out,
                    "  φ_1/2 {}  φ_1 {}  D* {}",
                    g.phi_half,
                    g.phi_one,
                    g.dimensions_per_feature
                );
                outln!(
                    out,
                    "  overlap²   all rows {} (var {})",
                    g.overlap_all.mean,
                    g.overlap_all.variance
                );
                if let Some(s) = g.overlap_strong {
                    outln!(
                        out,
                        "  overlap²   {} rows with norm > 1: {} (var {})",
                        s.rows,
                        s.mean,
                        s.variance
                    );
                }
            }
            let points: Vec<String> = result
                .curve
                .iter()
                .map(|(step, loss)| format!("{step}:{loss:.5}"))
                .collect();
            outln!(
                out,
                "  curve      {} points (step:loss): {}",
                points.len(),
                points.join(" ")
            );
        }
        outln!(out, "  spec       {}", record.spec_json);
    }
    print_out(&out)
}
