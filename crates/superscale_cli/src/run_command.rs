//! `superscale run SPEC`: train every run of an experiment, then write results and report.

use crate::UserError;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;
use superscale_run::{fit_width_exponents, run_study, Event, RunStatus};
use superscale_spec::Experiment;

/// Arguments of `superscale run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The experiment file (TOML).
    pub spec: PathBuf,
    /// Output directory (default: runs/<experiment name>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (default: SUPERSCALE_THREADS, else the number of cores).
    #[arg(long, env = "SUPERSCALE_THREADS")]
    pub threads: Option<usize>,
    /// Print nothing but errors and the report's path.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: &RunArgs) -> Result<()> {
    let experiment = Experiment::load(&args.spec).map_err(|err| UserError(err.to_string()))?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 {
        return Err(UserError("--threads must be at least 1".into()).into());
    }
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from("runs").join(&experiment.name));
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create the output directory {}", out.display()))?;
    let total = experiment.points.len();
    if !args.quiet {
        eprintln!("{}: {total} runs on {threads} threads → {}", experiment.name, out.display());
    }
    let started = Instant::now();
    let finished = Mutex::new(0usize);
    let quiet = args.quiet;
    let on_event = |event: Event<'_>| {
        if let Event::Finished(result) = event {
            let mut count = finished.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            *count += 1;
            if !quiet {
                let axes: Vec<String> = result.point.axes.iter().map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k))).collect();
                let status = match result.status {
                    RunStatus::Done => format!("L_heldout = {:.5}", result.loss_heldout),
                    RunStatus::Diverged { step } => format!("DIVERGED at step {step}"),
                };
                eprintln!("[{:>3}/{total}] {} r{} {}  {status}  ({:.1} s)", *count, result.point.run_id, result.point.replicate, axes.join(" "), result.seconds);
            }
        }
    };
    let results = run_study(&experiment.points, threads, &on_event)?;
    let exponents = fit_width_exponents(&results);
    // One line per group on stdout: the numbers a researcher looks for first.
    for exponent in &exponents {
        let mut group: Vec<String> = exponent.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if group.is_empty() {
            group.push("all runs".into());
        }
        match &exponent.fit {
            Ok(fit) => println!("{}: α_m = {:.3} ± {:.3}, R² = {:.3}", group.join(", "), fit.exponent, fit.exponent_se, fit.r_squared),
            Err(why) => println!("{}: no fit ({why})", group.join(", ")),
        }
    }
    let report = superscale_report::write_study(&out, &experiment, &results, &exponents)?;
    if !quiet {
        eprintln!("done in {:.1} s; results.csv, exponents.csv and curves.csv are beside the report", started.elapsed().as_secs_f64());
    }
    println!("report: {}", report.display());
    Ok(())
}
