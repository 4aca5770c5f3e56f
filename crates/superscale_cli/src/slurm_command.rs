//! `superscale slurm SPEC --shards N`: a ready `sbatch` job-array script. Array task K
//! runs shard K/N into its own store; task 1 also submits the merge as a job that waits
//! for the whole array (`afterok`). Layout beside the study's store OUT:
//! `OUT-shards/K-of-N/` (one store per shard, plus the Slurm logs) and `OUT.sbatch`.

use crate::output::{spec_error, UserError};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use superscale_kinds::AnyExperiment;

/// Arguments of `superscale slurm`.
#[derive(clap::Args)]
pub struct SlurmArgs {
    /// The experiment file (TOML).
    pub spec: PathBuf,
    /// Number of shards (array tasks).
    #[arg(long)]
    pub shards: u32,
    /// The merged store (default: runs/<experiment name>); shard stores go in <store>-shards/.
    #[arg(long, visible_alias = "out", value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Where to write the script (default: <store>.sbatch).
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// CPUs per task, used as worker threads (one run per thread).
    #[arg(long, default_value_t = 4)]
    pub cpus_per_task: u32,
    /// Wall-clock limit of each shard task (Slurm syntax).
    #[arg(long, default_value = "04:00:00")]
    pub time: String,
    /// Memory per task (Slurm syntax).
    #[arg(long, default_value = "4G")]
    pub mem: String,
    /// Slurm partition, if the cluster needs one.
    #[arg(long)]
    pub partition: Option<String>,
    /// Slurm account, if the cluster needs one.
    #[arg(long)]
    pub account: Option<String>,
    /// The superscale binary the tasks run (default: this one).
    #[arg(long)]
    pub binary: Option<PathBuf>,
    /// Pass --save-weights to every shard.
    #[arg(long)]
    pub save_weights: bool,
}

/// Single-quotes a word for the shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// An absolute path without requiring it to exist (the stores are made by the job).
fn absolute(path: &Path) -> Result<PathBuf> {
    if path.is_absolute() {
        return Ok(path.to_path_buf());
    }
    Ok(std::env::current_dir()
        .context("cannot read the current directory")?
        .join(path))
}

pub fn run(args: &SlurmArgs) -> Result<()> {
    let experiment = AnyExperiment::load(&args.spec).map_err(spec_error)?;
    experiment.check().map_err(crate::output::engine_error)?;
    let runs = experiment.runs();
    if args.shards == 0 || args.shards as usize > runs {
        return Err(UserError(format!(
            "--shards {}: must be between 1 and the experiment's {runs} runs",
            args.shards
        ))
        .into());
    }
    if args.cpus_per_task == 0 {
        return Err(UserError("--cpus-per-task must be at least 1".into()).into());
    }
    let out = absolute(
        &args
            .store
            .clone()
            .unwrap_or_else(|| superscale_engine::default_dir(experiment.name())),
    )?;
    let shards_dir = PathBuf::from(format!("{}-shards", out.display()));
    let script_path = args
        .script
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{}.sbatch", out.display())));
    let binary = match &args.binary {
        Some(binary) => absolute(binary)?,
        None => {
            std::env::current_exe().context("cannot locate the superscale binary; pass --binary")?
        }
    };
    let spec = std::fs::canonicalize(&args.spec)
        .with_context(|| format!("cannot resolve {}", args.spec.display()))?;
    let n = args.shards;
    let name = experiment.name();
    let mut header = vec![
        format!("#SBATCH --job-name=superscale-{name}"),
        format!("#SBATCH --array=1-{n}"),
        format!("#SBATCH --cpus-per-task={}", args.cpus_per_task),
        format!("#SBATCH --time={}", args.time),
        format!("#SBATCH --mem={}", args.mem),
        format!("#SBATCH --output={}/slurm-%A_%a.out", shards_dir.display()),
    ];
    header.extend(
        args.partition
            .iter()
            .map(|p| format!("#SBATCH --partition={p}")),
    );
    header.extend(
        args.account
            .iter()
            .map(|a| format!("#SBATCH --account={a}")),
    );
    let scheduling = [
        args.partition
            .as_ref()
            .map(|p| format!(" --partition={}", quote(p))),
        args.account
            .as_ref()
            .map(|a| format!(" --account={}", quote(a))),
    ]
    .into_iter()
    .flatten()
    .collect::<String>();
    let merge = format!(
        "{} merge {} {}/*-of-{n}",
        quote(&binary.to_string_lossy()),
        quote(&out.to_string_lossy()),
        quote(&shards_dir.to_string_lossy())
    );
    let script = format!(
        r#"#!/bin/bash
# Written by `superscale slurm` (superscale {version}) for the experiment '{name}':
# {runs} runs in {n} shards. Submit with:
#
#     sbatch {script}
#
# Array task K runs shard K/{n} (the runs whose index i has i % {n} == K-1) into its own
# store {shards}/K-of-{n}. Task 1 also submits the merge, a job that waits for every task
# (afterok) and combines the shards into {out}, with the report.
# A task that failed or hit its time limit resumes its store when resubmitted:
#     sbatch --array=K {script}
# and the merge can then be run by hand (it is idempotent):
#     {merge}
{header}
set -euo pipefail

SUPERSCALE={binary}
SPEC={spec}
SHARDS={shards_q}
N={n}
K="${{SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array}}"

# mkdir is atomic: the merge is submitted once even if task 1 is requeued.
if [ "$K" = 1 ] && mkdir "$SHARDS/.merge-submitted" 2>/dev/null; then
    sbatch --parsable --dependency="afterok:$SLURM_ARRAY_JOB_ID" --job-name=superscale-{name}-merge \
        --cpus-per-task=1 --time=01:00:00 --mem={mem}{scheduling} --output="$SHARDS/slurm-%j-merge.out" \
        --wrap={merge_q}
fi

# One run per thread, single-threaded kernels inside: use every CPU Slurm gave the task.
export SUPERSCALE_THREADS="${{SLURM_CPUS_PER_TASK:-1}}"
exec "$SUPERSCALE" run "$SPEC" --store "$SHARDS/$K-of-$N" --shard "$K/$N"{weights}
"#,
        version = env!("CARGO_PKG_VERSION"),
        script = script_path.display(),
        shards = shards_dir.display(),
        out = out.display(),
        header = header.join("\n"),
        binary = quote(&binary.to_string_lossy()),
        spec = quote(&spec.to_string_lossy()),
        shards_q = quote(&shards_dir.to_string_lossy()),
        mem = args.mem,
        merge_q = quote(&merge),
        weights = if args.save_weights {
            " --save-weights"
        } else {
            ""
        },
    );
    // Slurm opens the log files before the job runs, so their directory must exist now.
    std::fs::create_dir_all(&shards_dir)
        .with_context(|| format!("cannot create {}", shards_dir.display()))?;
    if let Some(folder) = script_path.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    std::fs::write(&script_path, script)
        .with_context(|| format!("cannot write {}", script_path.display()))?;
    eprintln!(
        "{name}: {runs} runs in {n} shards of ~{} runs; submit with: sbatch {}",
        runs.div_ceil(n as usize),
        script_path.display()
    );
    println!("{}", script_path.display());
    Ok(())
}
