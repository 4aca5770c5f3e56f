//! `superscale platonic FILE --out DIR`: runs a declared alignment study of the Platonic
//! Representation Hypothesis (`experiments/platonic_*.toml`, `docs/science/alignment.md` §4) and
//! writes every (cell, pair, metric) row, the summaries with CIs over seeds, the
//! competence–alignment regression, SVG figures and `report.html` (`docs/alignment.md`).
//!
//! A `superscale run` experiment file (no `[study]` or `[world]` table, e.g.
//! `experiments/align_tms_universality.toml`) runs the TMS feature-universality comparison
//! instead: its runs are trained and every pair of replicates is compared after orthogonal
//! Procrustes, with a shuffled-feature null and CIs over seed pairs.

use crate::UserError;
use anyhow::{Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Instant;
use superscale_platonic::{report, run_study, tms_svg, tms_universality, StudySpec, TmsOptions};

/// Arguments of `superscale platonic`.
#[derive(Debug, Args)]
pub struct PlatonicArgs {
    /// The study file (TOML; experiments/platonic_*.toml, or a `superscale run` experiment
    /// such as experiments/align_tms_universality.toml for TMS universality).
    pub spec: PathBuf,
    /// Output directory (default runs/<name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print only the report's path.
    #[arg(long)]
    pub quiet: bool,
    /// TMS universality only: shuffled-feature null draws per pair.
    #[arg(long, default_value_t = 50)]
    pub shuffles: usize,
}

fn platonic_error(err: superscale_platonic::Error) -> anyhow::Error {
    if err.is_user_error() {
        UserError(err.to_string()).into()
    } else {
        err.into()
    }
}

fn write(dir: &Path, name: &str, contents: &str) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))
}

/// A platonic study declares `[study]` or `[world]`; anything else is a TMS experiment.
fn is_platonic(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim();
        line == "[study]" || line == "[world]"
    })
}

/// Runs the study or the TMS comparison and writes its outputs.
pub fn run(args: &PlatonicArgs) -> Result<()> {
    let shown = args.spec.display();
    let text = std::fs::read_to_string(&args.spec)
        .map_err(|e| UserError(format!("{shown}: cannot read the study file: {e}")))?;
    let started = Instant::now();
    let quiet = args.quiet;
    let progress = move |line: String| {
        if !quiet {
            eprintln!("{line}");
        }
    };
    if !is_platonic(&text) {
        return run_tms(args, &progress);
    }
    let spec = StudySpec::parse(&text, &args.spec).map_err(platonic_error)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(&spec.name));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let result = run_study(&spec, &progress).map_err(platonic_error)?;
    write(&out, "spec.toml", &text)?;
    write(&out, "pairs.csv", &report::pairs_csv(&result))?;
    write(&out, "summary.csv", &report::summary_csv(&result))?;
    write(&out, "runs.csv", &report::runs_csv(&result))?;
    write(&out, "regression.csv", &report::regression_csv(&result))?;
    let table = report::summary_markdown(&result, false);
    write(
        &out,
        "summary.md",
        &format!(
            "{table}\nCalibrated:\n\n{}",
            report::summary_markdown(&result, true)
        ),
    )?;
    let figure = report::study_svg(&result).map_err(platonic_error)?;
    let regression = report::regression_svg(&result).map_err(platonic_error)?;
    write(&out, &format!("{}.svg", spec.name), &figure)?;
    write(&out, "regression.svg", &regression)?;
    let page = out.join("report.html");
    write(
        &out,
        "report.html",
        &report::html(&result, &figure, &regression),
    )?;
    if !quiet {
        println!("{table}");
        for r in &result.regressions {
            println!(
                "competence–alignment ({}, {}): slope {:.4} [{:.4}, {:.4}], r = {:.3}, {} runs",
                r.scope,
                r.metric.name(),
                r.slope,
                r.slope_low,
                r.slope_high,
                r.correlation,
                r.runs
            );
        }
        eprintln!("{:.1} s", started.elapsed().as_secs_f64());
    }
    println!("{}", page.display());
    Ok(())
}

fn run_tms(args: &PlatonicArgs, progress: &(dyn Fn(String) + Sync)) -> Result<()> {
    let experiment = superscale_spec::Experiment::load(&args.spec).map_err(|e| {
        UserError(format!(
            "{e} (not a [study] file, so read as a `superscale run` experiment)"
        ))
    })?;
    if experiment.replicates < 2 {
        return Err(UserError(format!(
            "{}: field `replicates`: {}: comparing seeds needs at least 2",
            args.spec.display(),
            experiment.replicates
        ))
        .into());
    }
    if args.shuffles < 2 {
        return Err(UserError(format!(
            "--shuffles {}: a null needs at least 2",
            args.shuffles
        ))
        .into());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(&experiment.name));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let options = TmsOptions {
        shuffles: args.shuffles,
        ..TmsOptions::default()
    };
    let result = tms_universality(&experiment, &options, progress).map_err(platonic_error)?;
    write(&out, "spec.toml", &experiment.source)?;
    write(&out, "tms_pairs.csv", &report::tms_pairs_csv(&result))?;
    let table = report::tms_markdown(&result);
    write(&out, "tms_summary.md", &table)?;
    write(
        &out,
        "tms_universality.svg",
        &tms_svg(&result).map_err(platonic_error)?,
    )?;
    if !args.quiet {
        println!("{table}");
    }
    println!("{}", out.join("tms_summary.md").display());
    Ok(())
}
