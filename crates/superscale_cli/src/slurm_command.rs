//! `superscale slurm SPEC --shards N`: writes the job-array script of
//! `superscale_engine::slurm_script` (array task K runs shard K/N into `OUT-shards/K-of-N/`,
//! task 1 submits the merge into OUT) and prints its path.

use crate::output::{print_out, print_to_stderr, spec_error, UserError};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use superscale_engine::{script_path, shards_dir, slurm_script, SlurmJob};
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
    let shards_dir = shards_dir(&out);
    let script_path = args.script.clone().unwrap_or_else(|| script_path(&out));
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
    let script = slurm_script(&SlurmJob {
        name: name.to_string(),
        runs,
        shards: n,
        cpus_per_task: args.cpus_per_task,
        time: args.time.clone(),
        mem: args.mem.clone(),
        partition: args.partition.clone(),
        account: args.account.clone(),
        binary,
        spec,
        store: out,
        script: script_path.clone(),
        save_weights: args.save_weights,
    });
    // Slurm opens the log files before the job runs, so their directory must exist now.
    std::fs::create_dir_all(&shards_dir)
        .with_context(|| format!("cannot create {}", shards_dir.display()))?;
    if let Some(folder) = script_path.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
    }
    std::fs::write(&script_path, script)
        .with_context(|| format!("cannot write {}", script_path.display()))?;
    print_to_stderr(&format!(
        "{name}: {runs} runs in {n} shards of ~{} runs; submit with: sbatch {}",
        runs.div_ceil(n as usize),
        script_path.display()
    ));
    print_out(&format!("{}\n", script_path.display()))
}
