//! Commands on existing stores of any kind: `merge`, `report`, `export`, `ls`, `show` (their
//! text is `superscale_store::listing` and `describe_runs`).

use crate::figures::FigureArgs;
use crate::output::{engine_error, print_out, print_to_stderr, store_error, threads, UserError};

use anyhow::Result;
use std::path::PathBuf;
use superscale_kinds::AnyExperiment;
use superscale_store::{describe_runs, listing, ExportFormat, RunState, Store};

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
    #[command(flatten)]
    pub figures: FigureArgs,
}

/// Arguments of `superscale report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    /// The store (a directory holding superscale.db); the report and tables are written
    /// into it.
    pub dir: PathBuf,
    /// Print nothing but errors and the report's path.
    #[arg(long)]
    pub quiet: bool,
    /// Worker threads for the analysis (default: SUPERSCALE_THREADS, else the number of
    /// cores).
    #[arg(long, env = "SUPERSCALE_THREADS")]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub figures: FigureArgs,
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
    args.figures.check()?;
    let Some(first) = args.inputs.first() else {
        return Err(UserError("give at least one input store".into()).into());
    };
    let experiment = stored_experiment(&Store::open(first).map_err(store_error)?)?;
    let plan = experiment.plan().map_err(engine_error)?;
    let summary = superscale_store::merge(&args.out, &args.inputs, &plan).map_err(store_error)?;
    if !args.quiet {
        print_to_stderr(&format!(
            "merged {} stores into {}: {} runs copied, {} duplicates identical, {} runs not finished in any input",
            args.inputs.len(),
            args.out.display(),
            summary.copied,
            summary.duplicates,
            summary.missing
        ));
    }
    let store = Store::open(&args.out).map_err(store_error)?;
    write_report(&experiment, &store, args.threads, &args.figures)
}

/// Writes the report, tables and asked-for figures of `store` and prints what `merge` and
/// `report` print: the headlines and the report's path, or why there is no report yet.
fn write_report(
    experiment: &AnyExperiment,
    store: &Store,
    threads_asked: Option<usize>,
    figures: &FigureArgs,
) -> Result<()> {
    let written = experiment
        .write_report(store, threads(threads_asked)?)
        .map_err(engine_error)?;
    let out = match written {
        Some(written) => {
            let mut out: String = written.headlines.iter().map(|l| format!("{l}\n")).collect();
            out += &format!("report: {}\n", written.report.display());
            if let Some(line) = figures.write(&written.figures)? {
                out += &line;
            }
            out
        }
        None => format!(
            "no report yet: a {} study is analysed once every run has finished; run the missing ones with `superscale run SPEC --store {}`\n",
            experiment.kind(),
            store.dir().display()
        ),
    };
    print_out(&out)
}

pub fn report(args: &ReportArgs) -> Result<()> {
    args.figures.check()?;
    let store = Store::open(&args.dir).map_err(store_error)?;
    let experiment = stored_experiment(&store)?;
    if !args.quiet {
        print_to_stderr(&format!(
            "writing the report of {} from {}",
            experiment.name(),
            args.dir.display()
        ));
    }
    write_report(&experiment, &store, args.threads, &args.figures)
}

pub fn export(args: &ExportArgs) -> Result<()> {
    let store = Store::open(&args.dir).map_err(store_error)?;
    let out = args.out.clone().unwrap_or_else(|| args.dir.join("export"));
    let format = match args.format {
        FormatChoice::Csv => ExportFormat::Csv,
        FormatChoice::Parquet => ExportFormat::Parquet,
    };
    let written = superscale_store::export(&store, &out, format).map_err(store_error)?;
    let listing: String = written
        .iter()
        .map(|path| format!("{}\n", path.display()))
        .collect();
    print_out(&listing)
}

pub fn ls(args: &LsArgs) -> Result<()> {
    let store = Store::open(&args.dir).map_err(store_error)?;
    let wanted = match args.status.as_deref() {
        None => None,
        Some(text) => Some(RunState::parse(text).ok_or_else(|| {
            UserError(format!(
                "--status {text}: expected one of pending, running, done, diverged, failed"
            ))
        })?),
    };
    print_out(&listing(&store, &args.dir, wanted).map_err(store_error)?)
}

pub fn show(args: &ShowArgs) -> Result<()> {
    let store = Store::open(&args.dir).map_err(store_error)?;
    print_out(&describe_runs(&store, &args.dir, &args.run_id).map_err(store_error)?)
}
