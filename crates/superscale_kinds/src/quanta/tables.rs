//! `superscale quanta SPEC --out DIR`: runs a declared multitask-sparse-parity study
//! (`experiments/quanta_*.toml`), one resumable JSON per finished run, then its analysis:
//! CSVs and a self-contained `report.html` (`docs/quanta.md`).

mod aggregate_plot;
mod capability;
mod capability_report;
mod report;

use crate::UserError;
use anyhow::{Context, Result};
use clap::Args;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;
use superscale_quanta::{
    analyze, train_run, FinishedRun, MultitaskParity, RunPlan, StudyAnalysis, StudySpec, TestSets,
};
use superscale_spec::{line_of, replicate_seed, run_id};

/// Arguments of `superscale quanta`.
#[derive(Debug, Args)]
pub struct QuantaArgs {
    /// The experiment file (TOML; see experiments/quanta_*.toml).
    pub spec: PathBuf,
    /// Output directory (default runs/<name>); finished runs found there are not rerun.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print only the report's path.
    #[arg(long)]
    pub quiet: bool,
    /// SPEC is a `superscale run` toy-model experiment swept over width: run it (weights
    /// kept) and report per-feature capability vs width (`capability.html`, docs/quanta.md).
    #[arg(long)]
    pub capability: bool,
    /// Run only shard K of N (1-based): the runs whose index i has i % N == K-1, written
    /// into the same --out directory (one file per run), without the analysis. Once every
    /// shard is done, the same command without --shard finds all runs and analyses them
    /// (the Slurm recipe is in docs/quanta.md).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<superscale_store::Shard>,
    /// Held-out draws per feature for --capability (each conditioned on the feature).
    #[arg(long, default_value_t = 1000)]
    pub samples_per_feature: usize,
}

/// Reads, parses and validates the spec; every mistake names file, line and field.
pub fn load_spec(path: &Path) -> Result<StudySpec> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| UserError(format!("{shown}: cannot read the experiment file: {e}")))?;
    let spec: StudySpec = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |span| {
            text[..span.start.min(text.len())].matches('\n').count() + 1
        });
        UserError(format!("{shown}:{line}: {}", e.message().trim()))
    })?;
    spec.validate().map_err(|e| match &e {
        superscale_quanta::Error::Invalid { field, .. } => {
            UserError(format!("{shown}:{}: {e}", line_of(&text, field)))
        }
        _ => UserError(format!("{shown}: {e}")),
    })?;
    Ok(spec)
}

/// Writes `contents` to `path` through a temporary file and a rename, so a kill never
/// leaves a half-written file that a rerun would take for a finished run.
fn write_atomic(path: &Path, contents: &str) -> Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, contents)
        .with_context(|| format!("writing {}", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

/// Runs the study (resuming), analyses it and writes the outputs.
pub fn run(args: &QuantaArgs) -> Result<()> {
    if args.capability {
        if args.shard.is_some() {
            return Err(UserError(
                "--shard with --capability: shard the toy-model study with `superscale run --shard` (docs/cluster.md)".into(),
            )
            .into());
        }
        return capability::run(args);
    }
    let spec = load_spec(&args.spec)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("runs").join(&spec.name));
    let runs_dir = out.join("runs");
    std::fs::create_dir_all(&runs_dir)
        .with_context(|| format!("creating {}", runs_dir.display()))?;
    std::fs::copy(&args.spec, out.join("spec.toml"))
        .with_context(|| format!("copying the spec into {}", out.display()))?;
    let plans = spec.runs();
    let mut generators: HashMap<String, (MultitaskParity, TestSets)> = HashMap::new();
    let mut finished = Vec::with_capacity(plans.len());
    for (index, plan) in plans.iter().enumerate() {
        if args.shard.is_some_and(|shard| !shard.contains(index)) {
            continue;
        }
        let id = run_id(&plan.canonical_json());
        let file = runs_dir.join(format!("{id}-r{}.json", plan.replicate));
        if let Ok(text) = std::fs::read_to_string(&file) {
            if let Ok(run) = serde_json::from_str::<FinishedRun>(&text) {
                if run.plan == *plan {
                    finished.push(run);
                    continue;
                }
            }
        }
        let key = serde_json::to_string(&(
            &plan.task,
            plan.task_seed,
            plan.train.test_points,
            plan.train.test_points_per_task,
        ))?;
        if !generators.contains_key(&key) {
            let task = MultitaskParity::new(&plan.task, plan.task_seed)
                .map_err(|e| UserError(format!("{}: {e}", args.spec.display())))?;
            let tests = TestSets::new(
                &task,
                plan.train.test_points,
                plan.train.test_points_per_task,
                plan.task_seed,
            );
            generators.insert(key.clone(), (task, tests));
        }
        let (task, tests) = &generators[&key];
        let started = Instant::now();
        let result = train_run(
            task,
            &plan.train,
            tests,
            replicate_seed(&id, plan.replicate),
        )?;
        let run = FinishedRun {
            id: id.clone(),
            plan: plan.clone(),
            result,
        };
        write_atomic(&file, &serde_json::to_string(&run)?)?;
        if !args.quiet {
            eprintln!(
                "run {}/{} {id} (alpha {}, width {}, data {:?}) final {:.4} bits, {:.1} s",
                index + 1,
                plans.len(),
                plan.task.alpha,
                plan.train.width,
                plan.train.data,
                run.result.final_test_loss_bits(),
                started.elapsed().as_secs_f64()
            );
        }
        finished.push(run);
    }
    if let Some(shard) = args.shard {
        if !args.quiet {
            eprintln!(
                "shard {shard}: {} runs done; analyse with the same command without --shard",
                finished.len()
            );
        }
        return Ok(());
    }
    let analysis = analyze(&spec, &finished)?;
    write_tables(&out, &finished, &analysis)?;
    let html = report::html(&spec, &finished, &analysis)?;
    let report_path = out.join("report.html");
    write_atomic(&report_path, &html)?;
    if !args.quiet {
        for row in &analysis.exponents {
            let e = &row.estimate;
            eprintln!(
                "alpha {}: {} = {:.3} ± {:.3} (95% CI [{:.3}, {:.3}], R² {:.3}, {} points), theory {:.3}",
                row.alpha, e.name, e.exponent, e.standard_error, e.lower, e.upper, e.r_squared, e.n_points, e.theory
            );
        }
    }
    crate::print_out(&format!("{}\n", report_path.display()))
}

fn plan_columns(plan: &RunPlan) -> String {
    format!(
        "{},{},{},{}",
        plan.task.alpha,
        plan.train.width,
        plan.train.data.map_or(String::new(), |d| d.to_string()),
        plan.replicate
    )
}

fn write_tables(out: &Path, runs: &[FinishedRun], analysis: &StudyAnalysis) -> Result<()> {
    let mut summary = String::from("run,alpha,width,data,replicate,n_params,final_test_loss_bits,min_test_loss_bits,diverged_at,n_learned,single_drop_fraction,learning_slope,learning_slope_se\n");
    let mut curves = String::from("run,alpha,width,data,replicate,step,test_loss_bits\n");
    let mut tasks = String::from("run,step,task,loss_bits,accuracy,brier\n");
    for (run, emergence) in runs.iter().zip(&analysis.emergence) {
        let r = &run.result;
        let s = emergence.summary.as_ref();
        writeln!(
            summary,
            "{},{},{},{},{},{},{},{},{},{}",
            run.id,
            plan_columns(&run.plan),
            r.n_params,
            r.final_test_loss_bits(),
            r.min_test_loss_bits(),
            r.diverged_at.map_or(String::new(), |s| s.to_string()),
            emergence
                .tasks
                .iter()
                .filter(|t| t.learning_step.is_some())
                .count(),
            s.map_or(String::new(), |s| s.single_drop_fraction().to_string()),
            s.map_or(String::new(), |s| s.slope.to_string()),
            s.map_or(String::new(), |s| s.slope_se.to_string()),
        )?;
        for (eval, &step) in r.eval_steps.iter().enumerate() {
            writeln!(
                curves,
                "{},{},{step},{}",
                run.id,
                plan_columns(&run.plan),
                r.test_loss_bits[eval]
            )?;
            for task in 0..r.task_loss_bits[eval].len() {
                writeln!(
                    tasks,
                    "{},{step},{task},{},{},{}",
                    run.id,
                    r.task_loss_bits[eval][task],
                    r.task_accuracy[eval][task],
                    r.task_brier[eval][task]
                )?;
            }
        }
    }
    let mut emergence =
        String::from("run,task,frequency,learning_step,last_chance_step,single_drop\n");
    for run in &analysis.emergence {
        for t in &run.tasks {
            let show = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
            writeln!(
                emergence,
                "{},{},{},{},{},{}",
                run.id,
                t.task,
                t.frequency,
                show(t.learning_step),
                show(t.last_chance_step),
                t.single_drop
            )?;
        }
    }
    let mut exponents = String::from(
        "alpha,name,exponent,standard_error,lower,upper,level,r_squared,n_points,theory\n",
    );
    for row in &analysis.exponents {
        let e = &row.estimate;
        writeln!(
            exponents,
            "{},{},{},{},{},{},{},{},{},{}",
            row.alpha,
            e.name,
            e.exponent,
            e.standard_error,
            e.lower,
            e.upper,
            e.level,
            e.r_squared,
            e.n_points,
            e.theory
        )?;
    }
    let mut forecast = String::from("group,axis,cutoff,task,frequency,observed_crossing,own_curve_crossing,law_predicted,law_lower,law_upper,verdict\n");
    let mut aggregate = String::from(
        "group,axis,cutoff,scale,observed_bits,power_law,power_lower,power_upper,broken_power_law,broken_lower,broken_upper\n",
    );
    let show = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for backtest in &analysis.backtests {
        for t in &backtest.tasks {
            let law = t.frequency_law;
            writeln!(
                forecast,
                "{},{},{},{},{},{},{},{},{},{},{}",
                backtest.group,
                backtest.axis,
                backtest.cutoff,
                t.task,
                t.frequency,
                show(t.observed_crossing),
                show(t.own_curve),
                show(law.map(|l| l.predicted)),
                show(law.map(|l| l.lower)),
                show(law.map(|l| l.upper)),
                serde_json::to_string(&t.verdict)?.trim_matches('"')
            )?;
        }
        for a in &backtest.aggregate {
            let p = a.power_law;
            let b = a.broken_power_law;
            writeln!(
                aggregate,
                "{},{},{},{},{},{},{},{},{},{},{}",
                backtest.group,
                backtest.axis,
                backtest.cutoff,
                a.scale,
                a.observed,
                show(p.map(|p| p.predicted)),
                show(p.map(|p| p.lower)),
                show(p.map(|p| p.upper)),
                show(b.map(|b| b.predicted)),
                show(b.map(|b| b.lower)),
                show(b.map(|b| b.upper))
            )?;
        }
    }
    for (name, contents) in [
        ("results.csv", summary),
        ("curves.csv", curves),
        ("tasks.csv", tasks),
        ("emergence.csv", emergence),
        ("exponents.csv", exponents),
        ("forecast_tasks.csv", forecast),
        ("forecast_aggregate.csv", aggregate),
    ] {
        write_atomic(&out.join(name), &contents)?;
    }
    Ok(())
}
