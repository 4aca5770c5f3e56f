//! `superscale`: the command-line front of the lab.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod align_command;
mod fit_command;
mod platonic_command;
mod progress;
mod quanta_command;
mod run_command;
mod slurm_command;
mod store_commands;
mod weights_command;
mod weights_family;
mod weights_output;
mod weights_plot;

/// A laboratory for superposition and neural scaling laws.
#[derive(Parser)]
#[command(name = "superscale", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment file (a sweep of toy models) into a store, resuming one that exists,
    /// and write its results and report.
    Run(run_command::RunArgs),
    /// Fit a scaling law (power law, with offset, Chinchilla, broken) to a CSV, with bootstrap CIs.
    Fit(fit_command::FitArgs),
    /// Combine stores of one experiment (e.g. shards) into one, and write its report.
    Merge(store_commands::MergeArgs),
    /// Write a store's runs, loss curves and row norms as CSV or Parquet tables.
    Export(store_commands::ExportArgs),
    /// List the runs of a store with their status.
    Ls(store_commands::LsArgs),
    /// Show one run of a store: provenance, results, loss curve, spec.
    Show(store_commands::ShowArgs),
    /// Write a Slurm job-array script that runs an experiment as shards and merges them.
    Slurm(slurm_command::SlurmArgs),
    /// Measure the superposition geometry of real weight matrices (.safetensors, .npy, .npz, .gguf):
    /// row norms, φ, D*, squared overlaps against the Welch bound; several files fit MSO ∝ m^−slope.
    Weights(weights_command::WeightsArgs),
    /// Compare two representations of the same items (mutual k-NN, CKA, CKNNA, SVCCA, …)
    /// with the chance level, a permutation null and a bootstrap interval.
    Align(align_command::AlignArgs),
    /// Run a multitask-sparse-parity study (quanta, emergence, forecasting backtests) and write its report.
    Quanta(quanta_command::QuantaArgs),
    /// Run a Platonic-Representation alignment study (multitask, capacity, simplicity; CIs over
    /// seed pairs) or the TMS feature-universality comparison, and write its report.
    Platonic(platonic_command::PlatonicArgs),
}

/// A mistake of the user's (bad spec, bad path): exit code 2, not 1.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// Writes to stdout, taking a closed pipe (`superscale ls DIR | head`) as the end of the
/// output rather than a reason to panic.
pub fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A store error as the CLI reports it: the user's mistakes (not a store, damaged file,
/// conflicting spec, bad shard) exit with 2, failures of the machine with 1.
pub fn store_error(err: superscale_store::Error) -> anyhow::Error {
    if err.is_user_error() {
        UserError(err.to_string()).into()
    } else {
        err.into()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome: Result<()> = match &cli.command {
        Command::Run(args) => run_command::run(args),
        Command::Fit(args) => fit_command::run(args),
        Command::Merge(args) => store_commands::merge(args),
        Command::Export(args) => store_commands::export(args),
        Command::Ls(args) => store_commands::ls(args),
        Command::Show(args) => store_commands::show(args),
        Command::Slurm(args) => slurm_command::run(args),
        Command::Weights(args) => weights_command::run(args),
        Command::Align(args) => align_command::run(args),
        Command::Quanta(args) => quanta_command::run(args),
        Command::Platonic(args) => platonic_command::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            if err.downcast_ref::<UserError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
