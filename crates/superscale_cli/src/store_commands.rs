//! Commands on existing stores of any kind: `merge`, `export`, `ls`, `show`.

use crate::output::{engine_error, print_out, store_error, threads, UserError};

/// `writeln!` into the output buffer (writing to a String cannot fail).
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}
use anyhow::Result;
use std::path::PathBuf;
use superscale_kinds::AnyExperiment;
use superscale_store::{ArrayData, ExportFormat, RunRecord, RunState, Scalar, Store};

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
    /// Worker threads for the merged study's analysis (default: SUPERSCALE_THREADS, else
    /// the number of cores).
    #[arg(long, env = "SUPERSCALE_THREADS")]
    pub threads: Option<usize>,
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

/// The experiment kept in a store, parsed as its kind.
fn stored_experiment(store: &Store) -> Result<AnyExperiment> {
    let meta = store.meta();
    AnyExperiment::parse(&meta.source, &meta.source_path).map_err(|err| {
        UserError(format!(
            "{}: the experiment kept in the store no longer validates: {err}",
            store.dir().display()
        ))
        .into()
    })
}

pub fn merge(args: &MergeArgs) -> Result<()> {
    let Some(first) = args.inputs.first() else {
        return Err(UserError("give at least one input store".into()).into());
    };
    let experiment = stored_experiment(&Store::open(first).map_err(store_error)?)?;
    let plan = experiment.plan().map_err(engine_error)?;
    let summary = superscale_store::merge(&args.out, &args.inputs, &plan).map_err(store_error)?;
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
    let written = experiment
        .write_report(&store, threads(args.threads)?)
        .map_err(engine_error)?;
    let mut out = String::new();
    match written {
        Some(written) => {
            for line in &written.headlines {
                outln!(out, "{line}");
            }
            outln!(out, "report: {}", written.report.display());
        }
        None => outln!(
            out,
            "no report yet: a {} study is analysed once every run has finished; run the missing ones with `superscale run SPEC --store {}`",
            experiment.kind(),
            args.out.display()
        ),
    }
    print_out(&out)
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
            UserError(format!(
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
        if let Some(output) = store
            .output(&record.run_id, record.replicate)
            .map_err(store_error)?
        {
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
    print_out(&out)
}
