//! `superscale fit`: fit a scaling law to columns of a CSV file, print the parameters with
//! bootstrap intervals, compare forms by AIC/BIC, check extrapolation on held-out scales and
//! draw data, fit and interval band as an SVG.

use crate::output::UserError;
use anyhow::Context;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use superscale_fit::{
    bootstrap_law, fit_law, holdout, information_criteria, percentile, tokens_from_compute,
    Bootstrap, BootstrapOptions, ChinchillaParameters, FittedLaw, Form, LawOptions, Points, Table,
};

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
    let points = read_points(&table, args, form)?;
    let groups = args
        .group
        .as_deref()
        .map(|column| table.groups(column))
        .transpose()
        .map_err(user)?;
    let options = LawOptions::default();
    // Every error of the fitting crate is about its input (too few points, a bad option).
    let fit = fit_law(form, &points, &options).map_err(|err| {
        user(format!(
            "fitting {:?} to {}: {err}",
            args.form,
            table.path()
        ))
    })?;
    println!(
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
    );
    if let Some(starts) = &fit.starts {
        println!(
            "  starts: {} ({} converged); objective best {:.10e}, median {:.4e}, worst {:.4e}; \
             {} within a relative 1e-6 of the best",
            starts.starts,
            starts.converged,
            starts.best_objective,
            starts.median_objective,
            starts.worst_objective,
            starts.near_best
        );
    }
    let group_count = groups
        .as_ref()
        .map_or(0, |g| g.iter().max().map_or(0, |m| m + 1));
    if args.bootstrap > 0 && groups.is_some() && group_count < 10 {
        // G groups allow at most C(2G−1, G) distinct resamples (10 for G = 3).
        println!("  note: only {group_count} groups; grouped-bootstrap intervals will be coarse");
    }
    let bootstrap = if args.bootstrap > 0 {
        let settings = BootstrapOptions {
            resamples: args.bootstrap,
            seed: args.seed,
            level: args.level,
        };
        Some(bootstrap_law(&fit, &points, groups.as_deref(), &options, &settings).map_err(user)?)
    } else {
        None
    };
    print_quantities(&fit, bootstrap.as_ref(), args);
    if let Ok(criteria) = information_criteria(&fit, &points) {
        println!(
            "  AIC {:.3}  AICc {:.3}  BIC {:.3}  (log residuals, k = {})",
            criteria.aic, criteria.aicc, criteria.bic, criteria.n_parameters
        );
    }
    if let Some(k) = args.holdout {
        let result = holdout(form, &points, k, &options).map_err(user)?;
        println!(
            "  holdout: fitted on the {} smallest scales, RMSLE train {:.5}, held-out {} largest {:.5}{}",
            result.train.len(),
            result.train_rmsle,
            k,
            result.held_out_rmsle,
            if result.fit.converged { "" } else { " (holdout fit NOT CONVERGED)" }
        );
    }
    if let Some(directory) = &args.out {
        std::fs::create_dir_all(directory)
            .with_context(|| format!("creating {}", directory.display()))?;
        write_parameters(&directory.join("parameters.csv"), &fit, bootstrap.as_ref())?;
        let svg = directory.join("fit.svg");
        plot(&svg, &fit, &points, bootstrap.as_ref(), args)?;
        println!("  wrote {} and parameters.csv", svg.display());
    }
    Ok(())
}

/// A mistake in the command line or the input file: exit code 2 (see `main.rs`).
fn user(message: impl std::fmt::Display) -> anyhow::Error {
    UserError(message.to_string()).into()
}

fn read_points(table: &Table, args: &FitArgs, form: Form) -> anyhow::Result<Points> {
    let x = table.positive_numbers(&args.x).map_err(user)?;
    // BNSL fits ln(y + 1), so y may be zero; every other form takes ln y.
    let y = match form {
        Form::Bnsl { .. } => table.numbers(&args.y),
        _ => table.positive_numbers(&args.y),
    }
    .map_err(user)?;
    if form != Form::Chinchilla {
        if args.x2.is_some() || args.compute.is_some() {
            return Err(user("--x2 and --compute only apply to --form chinchilla"));
        }
        return Ok(Points::new(x, y));
    }
    let second = match (&args.x2, &args.compute) {
        (Some(column), _) => table.positive_numbers(column).map_err(user)?,
        (None, Some(column)) => {
            let compute = table.positive_numbers(column).map_err(user)?;
            tokens_from_compute(&x, &compute).map_err(user)?
        }
        (None, None) => {
            return Err(user(
                "--form chinchilla needs --x2 TOKENS or --compute FLOP",
            ))
        }
    };
    Ok(Points::with_second_input(x, second, y))
}

fn print_quantities(fit: &FittedLaw, bootstrap: Option<&Bootstrap>, args: &FitArgs) {
    let names = fit.quantity_names();
    let values = fit.quantities();
    match bootstrap {
        None => {
            for (name, value) in names.iter().zip(&values) {
                println!("  {name:>22} {value:>14.6}");
            }
        }
        Some(b) => {
            println!(
                "  {:>22} {:>14} {:>12}   {:.0}% percentile interval ({} resamples{}, {} failed, {} not converged)",
                "quantity",
                "estimate",
                "SE",
                100.0 * b.level,
                args.bootstrap,
                if args.group.is_some() { " of groups" } else { "" },
                b.failed,
                b.not_converged
            );
            for q in &b.quantities {
                println!(
                    "  {:>22} {:>14.6} {:>12.6}   [{:.6}, {:.6}]",
                    q.name, q.estimate, q.standard_error, q.lower, q.upper
                );
            }
        }
    }
}

fn write_parameters(
    path: &Path,
    fit: &FittedLaw,
    bootstrap: Option<&Bootstrap>,
) -> anyhow::Result<()> {
    let mut text = String::from("quantity,estimate,standard_error,lower,upper\n");
    match bootstrap {
        Some(b) => b.quantities.iter().for_each(|q| {
            text += &format!(
                "{},{},{},{},{}\n",
                q.name, q.estimate, q.standard_error, q.lower, q.upper
            )
        }),
        None => fit
            .quantity_names()
            .iter()
            .zip(fit.quantities())
            .for_each(|(name, value)| {
                text += &format!("{name},{value},,,\n");
            }),
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// The curve drawn for a parameter vector at horizontal position h: y(h) for one-input forms;
/// for Chinchilla h is compute C and the curve is the compute-optimal frontier
/// L(N_opt(C), D_opt(C)) (Hoffmann et al. 2022, eq. 4).
fn curve(form: Form, parameters: &[f64], h: f64) -> f64 {
    match form {
        Form::Chinchilla => {
            let p = ChinchillaParameters::from_coefficients(
                parameters[0],
                parameters[1],
                parameters[2],
                parameters[3],
                parameters[4],
            );
            let optimum = p.allocation(h);
            p.predict(optimum.parameters, optimum.tokens)
        }
        _ => form.predict(parameters, h, f64::NAN),
    }
}

fn plot(
    path: &Path,
    fit: &FittedLaw,
    points: &Points,
    bootstrap: Option<&Bootstrap>,
    args: &FitArgs,
) -> anyhow::Result<()> {
    let horizontal: Vec<f64> = match &points.second {
        Some(tokens) => points
            .x
            .iter()
            .zip(tokens)
            .map(|(n, d)| 6.0 * n * d)
            .collect(),
        None => points.x.clone(),
    };
    let (h_min, h_max) = bounds(&horizontal);
    let grid: Vec<f64> = (0..200)
        .map(|i| (h_min.ln() + (h_max / h_min).ln() * i as f64 / 199.0).exp())
        .collect();
    let line: Vec<(f64, f64)> = grid
        .iter()
        .map(|&h| (h, curve(fit.form, &fit.parameters, h)))
        .collect();
    let n_parameters = fit.parameters.len();
    let band: Option<Vec<(f64, f64, f64)>> = bootstrap.map(|b| {
        let tail = 50.0 * (1.0 - b.level);
        grid.iter()
            .map(|&h| {
                let mut values: Vec<f64> = b
                    .replicates
                    .iter()
                    .map(|r| curve(fit.form, &r[..n_parameters], h))
                    .filter(|v| v.is_finite() && *v > 0.0)
                    .collect();
                values.sort_by(f64::total_cmp);
                if values.is_empty() {
                    (h, f64::NAN, f64::NAN)
                } else {
                    (
                        h,
                        percentile(&values, tail),
                        percentile(&values, 100.0 - tail),
                    )
                }
            })
            .collect()
    });
    let mut vertical: Vec<f64> = points.y.iter().copied().filter(|v| *v > 0.0).collect();
    vertical.extend(
        line.iter()
            .map(|p| p.1)
            .filter(|v| v.is_finite() && *v > 0.0),
    );
    let (v_min, v_max) = bounds(&vertical);
    let root = SVGBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let x_label = match fit.form {
        Form::Chinchilla => "compute C = 6ND (FLOP)".to_string(),
        _ => args.x.clone(),
    };
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!("{:?} fit of {}", args.form, args.y),
            ("sans-serif", 22),
        )
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(
            (h_min..h_max).log_scale().base(label_base(h_min, h_max)),
            (v_min..v_max).log_scale().base(label_base(v_min, v_max)),
        )?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(args.y.clone())
        .x_labels(10)
        .y_labels(10)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .draw()?;
    if let Some(band) = band {
        let mut outline: Vec<(f64, f64)> = band
            .iter()
            .filter(|p| p.1.is_finite())
            .map(|p| (p.0, p.1.max(v_min)))
            .collect();
        outline.extend(
            band.iter()
                .rev()
                .filter(|p| p.2.is_finite())
                .map(|p| (p.0, p.2.min(v_max))),
        );
        chart
            .draw_series(std::iter::once(Polygon::new(
                outline,
                BLUE.mix(0.2).filled(),
            )))?
            .label(format!("{:.0}% bootstrap band", 100.0 * args.level))
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], BLUE.mix(0.2).filled()));
    }
    let visible = line.into_iter().filter(|p| p.1.is_finite() && p.1 > 0.0);
    chart
        .draw_series(LineSeries::new(visible, BLUE.stroke_width(2)))?
        .label("fit")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 15, y)], BLUE.stroke_width(2)));
    chart
        .draw_series(
            horizontal
                .iter()
                .zip(&points.y)
                .filter(|(_, y)| **y > 0.0)
                .map(|(&h, &y)| Circle::new((h, y), 3, BLACK.filled())),
        )?
        .label("data")
        .legend(|(x, y)| Circle::new((x + 7, y), 3, BLACK.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Plain decimals for everyday magnitudes, scientific notation beyond.
fn tick(value: f64) -> String {
    if (1e-3..1e5).contains(&value.abs()) {
        format!("{}", (value * 1e3).round() / 1e3)
    } else {
        format!("{value:.1e}")
    }
}

/// plotters labels a log axis at powers of its base only, so an axis spanning less than a
/// decade gets powers of two instead of no labels at all.
fn label_base(low: f64, high: f64) -> f64 {
    if high / low >= 10.0 {
        10.0
    } else {
        2.0
    }
}

/// Positive range of `values`, padded by 5% on a log scale.
fn bounds(values: &[f64]) -> (f64, f64) {
    let low = values
        .iter()
        .copied()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (low, high) = if low < high {
        (low, high)
    } else {
        (low * 0.5, low * 2.0)
    };
    let pad = (high / low).powf(0.05);
    (low / pad, high * pad)
}
