//! `superscale`: the command-line front of the lab.

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod fit_command;
mod run_command;

/// A laboratory for superposition and neural scaling laws.
#[derive(Parser)]
#[command(name = "superscale", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an experiment file (a sweep of toy models) and write its results and report.
    Run(run_command::RunArgs),
    /// Fit a scaling law (power law, with offset, Chinchilla, broken) to a CSV, with bootstrap CIs.
    Fit(fit_command::FitArgs),
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome: Result<()> = match &cli.command {
        Command::Run(args) => run_command::run(args),
        Command::Fit(args) => fit_command::run(args),
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
