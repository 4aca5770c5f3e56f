//! A Slurm job-array script for a study: array task K runs shard K/N into its own store;
//! task 1 also submits the merge as a job that waits for the whole array (`afterok`).
//! Layout beside the study's store OUT: `OUT-shards/K-of-N/` (one store per shard, plus the
//! Slurm logs) and `OUT.sbatch`. The script is text; the caller writes it.

use std::path::{Path, PathBuf};

/// Everything a job-array script names. Paths should be absolute: the tasks run in
/// whatever directory Slurm starts them in.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmJob {
    /// the experiment's name (job names, the header comment)
    pub name: String,
    /// number of runs of the experiment
    pub runs: usize,
    /// number of shards (array tasks)
    pub shards: u32,
    /// CPUs per task, used as worker threads
    pub cpus_per_task: u32,
    /// wall-clock limit of each shard task (Slurm syntax)
    pub time: String,
    /// memory per task (Slurm syntax)
    pub mem: String,
    /// the partition, if the cluster needs one
    pub partition: Option<String>,
    /// the account, if the cluster needs one
    pub account: Option<String>,
    /// the superscale binary the tasks run
    pub binary: PathBuf,
    /// the experiment file
    pub spec: PathBuf,
    /// the merged store
    pub store: PathBuf,
    /// where the script is written (named in its comments)
    pub script: PathBuf,
    /// pass `--save-weights` to every shard
    pub save_weights: bool,
}

/// The directory of the shard stores and logs beside the merged store `store`.
pub fn shards_dir(store: &Path) -> PathBuf {
    PathBuf::from(format!("{}-shards", store.display()))
}

/// The default script path beside the merged store `store`.
pub fn script_path(store: &Path) -> PathBuf {
    PathBuf::from(format!("{}.sbatch", store.display()))
}

/// Single-quotes a word for the shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// The `sbatch` script of `job`.
pub fn slurm_script(job: &SlurmJob) -> String {
    let shards_dir = shards_dir(&job.store);
    let out = &job.store;
    let n = job.shards;
    let name = &job.name;
    let mut header = vec![
        format!("#SBATCH --job-name=superscale-{name}"),
        format!("#SBATCH --array=1-{n}"),
        format!("#SBATCH --cpus-per-task={}", job.cpus_per_task),
        format!("#SBATCH --time={}", job.time),
        format!("#SBATCH --mem={}", job.mem),
        format!("#SBATCH --output={}/slurm-%A_%a.out", shards_dir.display()),
    ];
    header.extend(
        job.partition
            .iter()
            .map(|p| format!("#SBATCH --partition={p}")),
    );
    header.extend(job.account.iter().map(|a| format!("#SBATCH --account={a}")));
    let scheduling = [
        job.partition
            .as_ref()
            .map(|p| format!(" --partition={}", quote(p))),
        job.account
            .as_ref()
            .map(|a| format!(" --account={}", quote(a))),
    ]
    .into_iter()
    .flatten()
    .collect::<String>();
    let merge = format!(
        "{} merge {} {}/*-of-{n}",
        quote(&job.binary.to_string_lossy()),
        quote(&out.to_string_lossy()),
        quote(&shards_dir.to_string_lossy())
    );
    format!(
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
        runs = job.runs,
        script = job.script.display(),
        shards = shards_dir.display(),
        out = out.display(),
        header = header.join("\n"),
        binary = quote(&job.binary.to_string_lossy()),
        spec = quote(&job.spec.to_string_lossy()),
        shards_q = quote(&shards_dir.to_string_lossy()),
        mem = job.mem,
        merge_q = quote(&merge),
        weights = if job.save_weights {
            " --save-weights"
        } else {
            ""
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> SlurmJob {
        SlurmJob {
            name: "demo".into(),
            runs: 7,
            shards: 3,
            cpus_per_task: 4,
            time: "01:00:00".into(),
            mem: "2G".into(),
            partition: Some("gpu's".into()),
            account: None,
            binary: "/opt/superscale".into(),
            spec: "/home/u/demo.toml".into(),
            store: "/scratch/runs/demo".into(),
            script: "/scratch/runs/demo.sbatch".into(),
            save_weights: true,
        }
    }

    #[test]
    fn the_script_names_the_array_the_shards_and_a_quoted_merge() {
        let text = slurm_script(&job());
        for line in [
            "#SBATCH --array=1-3",
            "#SBATCH --cpus-per-task=4",
            "#SBATCH --partition=gpu's",
            "#SBATCH --output=/scratch/runs/demo-shards/slurm-%A_%a.out",
            "SHARDS='/scratch/runs/demo-shards'",
            " --partition='gpu'\\''s'",
            "--shard \"$K/$N\" --save-weights",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        assert!(!text.contains("--account"), "{text}");
        assert!(text.ends_with("--save-weights\n"));
    }
}
