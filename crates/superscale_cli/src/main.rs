//! `superscale`: the command-line front of the lab. Argument parsing, dispatch and printing
//! only: studies run in `superscale_engine` through their kind in `superscale_kinds`.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod align_command;
mod figures;
mod fit_command;
mod llc_command;
mod output;
mod progress;
mod run_command;
mod slurm_command;
mod store_commands;
mod weights_command;

/// A laboratory for superposition and neural scaling laws.
#[derive(Parser)]
#[command(name = "superscale", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment file of any kind (toy models, quanta, platonic alignment) into a
    /// store, resuming one that exists, and write its results and report.
    Run(run_command::RunArgs),
    /// Fit a scaling law (power law, with offset, Chinchilla, broken) to a CSV, with bootstrap CIs.
    Fit(fit_command::FitArgs),
    /// Combine stores of one experiment (e.g. shards) into one, and write its report.
    Merge(store_commands::MergeArgs),
    /// Write a store's report and tables again from what it holds (and, with --figures,
    /// each figure as SVG and PNG), without running anything.
    Report(store_commands::ReportArgs),
    /// Write a store's runs, curves and arrays as CSV or Parquet tables.
    Export(store_commands::ExportArgs),
    /// List the runs of a store with their status.
    Ls(store_commands::LsArgs),
    /// Show one run of a store: provenance, results, curves, spec.
    Show(store_commands::ShowArgs),
    /// Write a Slurm job-array script that runs an experiment as shards and merges them.
    Slurm(slurm_command::SlurmArgs),
    /// Measure the superposition geometry of real weight matrices (.safetensors, .npy, .npz, .gguf):
    /// row norms, φ, D*, squared overlaps against the Welch bound; several files fit MSO ∝ m^−slope.
    Weights(weights_command::WeightsArgs),
    /// Compare two representations of the same items (mutual k-NN, CKA, CKNNA, SVCCA, …)
    /// with the chance level, a permutation null and a bootstrap interval.
    Align(align_command::AlignArgs),
    /// Choose the SGLD step ε (and localisation γ) of an LLC experiment's models: sweep them,
    /// print λ̂ and chain health per setting, recommend the largest step on the first plateau.
    LlcCalibrate(llc_command::LlcCalibrateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Run(args) => run_command::run(args),
        Command::Fit(args) => fit_command::run(args),
        Command::Merge(args) => store_commands::merge(args),
        Command::Report(args) => store_commands::report(args),
        Command::Export(args) => store_commands::export(args),
        Command::Ls(args) => store_commands::ls(args),
        Command::Show(args) => store_commands::show(args),
        Command::Slurm(args) => slurm_command::run(args),
        Command::Weights(args) => weights_command::run(args),
        Command::Align(args) => align_command::run(args),
        Command::LlcCalibrate(args) => llc_command::run(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::print_to_stderr(&format!("error: {err:#}"));
            if err.downcast_ref::<output::UserError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
