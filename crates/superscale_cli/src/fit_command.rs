//! `superscale fit`: fit a scaling law to columns of a CSV file (`superscale_fit::fit_table`),
//! print the parameters with bootstrap intervals, AIC/BIC and the extrapolation to held-out
//! scales, and write the parameter table and the figure (`superscale_report::fit_chart`).

use crate::output::{print_out, user};
use crate::progress::{FitProgress, Mode};
use anyhow::Context;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use superscale_fit::{
    fit_table_observed, Bootstrap, BootstrapOptions, Error, FittedLaw, Form, Points, SecondInput,
    Table, TableFit, TableFitOptions,
};
use superscale_report::fit_chart::{law_figure, LawFigure};

/// Which law to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormChoice {
    /// y = A·x^(−α), log-log least squares
    Power,
    /// y = E + A·x^(−α), robust log-space fit
    OffsetPower,
    /// L = E + A/N^α + B/D^β (x = N; D from --x2 or --compute)
    Chinchilla,
    /// broken neural scaling law with --breaks breaks
    Bnsl,
}

/// Arguments of `superscale fit`.
#[derive(Debug, Clone, clap::Args)]
pub struct FitArgs {
    /// CSV file with a header row, or a study directory (its results.csv, one row per run)
    pub csv: PathBuf,
    /// column of the scale variable x (model size N for the Chinchilla form)
    #[arg(long)]
    pub x: String,
    /// column of the second input (training tokens D) for the Chinchilla form
    #[arg(long, conflicts_with = "compute")]
    pub x2: Option<String>,
    /// column of training compute C, to derive D = C/(6N) for the Chinchilla form
    #[arg(long)]
    pub compute: Option<String>,
    /// column of the target (loss)
    #[arg(long)]
    pub y: String,
    /// column labelling groups (e.g. training runs): the bootstrap resamples whole groups
    #[arg(long)]
    pub group: Option<String>,
    /// the functional form
    #[arg(long, value_enum, default_value = "offset-power")]
    pub form: FormChoice,
    /// number of breaks of the BNSL form
    #[arg(long, default_value_t = 1)]
    pub breaks: usize,
    /// bootstrap resamples for standard errors and intervals (0: none)
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// seed of the bootstrap
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// coverage of the percentile intervals
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// also fit without the K largest scales and report RMSLE on them
    #[arg(long, value_name = "K")]
    pub holdout: Option<usize>,
    /// directory for fit.svg and parameters.csv (not written when absent)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// no progress on stderr: neither the work planned nor the bars (only errors)
    #[arg(long, short)]
    pub quiet: bool,
}

/// Run `superscale fit`.
pub fn run(args: &FitArgs) -> anyhow::Result<()> {
    // A study directory stands for its results table (one row per run).
    let source = if args.csv.is_dir() {
        args.csv.join("results.csv")
    } else {
        args.csv.clone()
    };
    let table = Table::read(&source).map_err(user)?;
    let form = match args.form {
        FormChoice::Power => Form::Power,
        FormChoice::OffsetPower => Form::OffsetPower,
        FormChoice::Chinchilla => Form::Chinchilla,
        FormChoice::Bnsl => Form::Bnsl {
            breaks: args.breaks,
        },
    };
    let second = match (&args.x2, &args.compute) {
        (Some(column), _) => Some(SecondInput::Tokens(column)),
        (None, Some(column)) => Some(SecondInput::Compute(column)),
        (None, None) => None,
    };
    let points = table
        .points(&args.x, &args.y, second, form)
        .map_err(|err| match err {
            Error::SecondInput { needed: false } => {
                user("--x2 and --compute only apply to --form chinchilla")
            }
            Error::SecondInput { needed: true } => {
                user("--form chinchilla needs --x2 TOKENS or --compute FLOP")
            }
            other => user(other),
        })?;
    let groups = args
        .group
        .as_deref()
        .map(|column| table.groups(column))
        .transpose()
        .map_err(user)?;
    let options = TableFitOptions {
        bootstrap: (args.bootstrap > 0).then_some(BootstrapOptions {
            resamples: args.bootstrap,
            seed: args.seed,
            level: args.level,
        }),
        holdout: args.holdout,
        ..TableFitOptions::default()
    };
    // Every error of the fitting crate is about its input (too few points, a bad option).
    // The work is said before it starts; bars only on a terminal (progress.rs).
    let progress = FitProgress::new(Mode::detect(args.quiet));
    let fitted = fit_table_observed(form, &points, groups.as_deref(), &options, &progress);
    let fitted = fitted.map_err(|err| {
        user(format!(
            "fitting {:?} to {}: {err}",
            args.form,
            table.path()
        ))
    })?;
    let fit = &fitted.fit;
    let mut out = String::new();
    writeln!(
        out,
        "{:?} fit of {} on {} ({} points): {}, objective {:.10e}",
        args.form,
        args.y,
        table.path(),
        points.len(),
        if fit.converged {
            "converged"
        } else {
            "NOT CONVERGED (best attempt shown)"
        },
        fit.objective
    )?;
    if let Some(starts) = &fit.starts {
        writeln!(
            out,
            "  starts: {} ({} converged); objective best {:.10e}, median {:.4e}, worst {:.4e}; \
             {} within a relative 1e-6 of the best",
            starts.starts,
            starts.converged,
            starts.best_objective,
            starts.median_objective,
            starts.worst_objective,
            starts.near_best
        )?;
    }
    let group_count = fitted.groups.unwrap_or(0);
    if args.bootstrap > 0 && groups.is_some() && group_count < 10 {
        // G groups allow at most C(2G−1, G) distinct resamples (10 for G = 3).
        writeln!(
            out,
            "  note: only {group_count} groups; grouped-bootstrap intervals will be coarse"
        )?;
    }
    // A failed step after the fit: the fit is shown, then the step's error.
    let shown_then = |out: &str, err: &Error| -> anyhow::Error {
        match print_out(out) {
            Ok(()) => user(err),
            Err(printing) => printing,
        }
    };
    let bootstrap = match fitted.bootstrap.as_ref().map(Result::as_ref).transpose() {
        Ok(bootstrap) => bootstrap,
        Err(err) => return Err(shown_then(&out, err)),
    };
    write_quantities(&mut out, fit, bootstrap, args)?;
    if let Some(criteria) = &fitted.criteria {
        writeln!(
            out,
            "  AIC {:.3}  AICc {:.3}  BIC {:.3}  (log residuals, k = {})",
            criteria.aic, criteria.aicc, criteria.bic, criteria.n_parameters
        )?;
    }
    if let (Some(k), Some(result)) = (args.holdout, &fitted.holdout) {
        let result = match result {
            Ok(result) => result,
            Err(err) => return Err(shown_then(&out, err)),
        };
        writeln!(
            out,
            "  holdout: fitted on the {} smallest scales, RMSLE train {:.5}, held-out {} largest {:.5}{}",
            result.train.len(),
            result.train_rmsle,
            k,
            result.held_out_rmsle,
            if result.fit.converged { "" } else { " (holdout fit NOT CONVERGED)" }
        )?;
    }
    // The files before the text: a closed stdout (`superscale fit … | head -1`) ends the
    // printing, never the writing.
    if let Some(directory) = &args.out {
        let svg = write_outputs(directory, &fitted, &points, form, args)?;
        writeln!(out, "  wrote {} and parameters.csv", svg.display())?;
    }
    print_out(&out)
}

/// Writes parameters.csv and fit.svg into `directory`; returns the figure's path.
fn write_outputs(
    directory: &Path,
    fitted: &TableFit,
    points: &Points,
    form: Form,
    args: &FitArgs,
) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(directory)
        .with_context(|| format!("creating {}", directory.display()))?;
    let parameters = directory.join("parameters.csv");
    std::fs::write(&parameters, fitted.parameters_csv())
        .with_context(|| format!("writing {}", parameters.display()))?;
    let drawn = fitted.curve(points, 200);
    let x_label = match form {
        Form::Chinchilla => "compute C = 6ND (FLOP)".to_string(),
        _ => args.x.clone(),
    };
    let svg = directory.join("fit.svg");
    let figure = law_figure(&LawFigure {
        title: &format!("{:?} fit of {}", args.form, args.y),
        x_label: &x_label,
        y_label: &args.y,
        x_range: drawn.x_range,
        y_range: drawn.y_range,
        data: &drawn.data,
        line: &drawn.line,
        band: drawn.band.as_ref().map(|b| &b.points[..]),
        level: args.level,
    })?;
    std::fs::write(&svg, figure).with_context(|| format!("writing {}", svg.display()))?;
    Ok(svg)
}

fn write_quantities(
    out: &mut String,
    fit: &FittedLaw,
    bootstrap: Option<&Bootstrap>,
    args: &FitArgs,
) -> std::fmt::Result {
    let names = fit.quantity_names();
    let values = fit.quantities();
    match bootstrap {
        None => {
            for (name, value) in names.iter().zip(&values) {
                writeln!(out, "  {name:>22} {value:>14.6}")?;
            }
        }
        Some(b) => {
            writeln!(
                out,
                "  {:>22} {:>14} {:>12}   {:.0}% percentile interval ({} resamples{}, {} failed, {} not converged)",
                "quantity",
                "estimate",
                "SE",
                100.0 * b.level,
                args.bootstrap,
                if args.group.is_some() { " of groups" } else { "" },
                b.failed,
                b.not_converged
            )?;
            for q in &b.quantities {
                writeln!(
                    out,
                    "  {:>22} {:>14.6} {:>12.6}   [{:.6}, {:.6}]",
                    q.name, q.estimate, q.standard_error, q.lower, q.upper
                )?;
            }
        }
    }
    Ok(())
}
