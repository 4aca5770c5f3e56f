//! `superscale merge OUT IN...`: shard stores (or any stores of one experiment) combined
//! into one. Every check runs before anything is written: the inputs must hold the same
//! experiment (same fingerprint), and a run present in two places must have the same
//! result and weights digests, bit for bit.

use crate::error::{io, sqlite, Error, Result};
use crate::record::RunState;
use crate::store::{Plan, Store};
use rusqlite::params;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeSummary {
    /// finished runs copied into the output
    pub copied: usize,
    /// finished runs found more than once with identical digests (kept once)
    pub duplicates: usize,
    /// runs of the experiment that no input has finished (pending in the output)
    pub missing: usize,
}

type Key = (String, u32);

/// Merges the stores `inputs` into `out` (created if new, or an existing store of the
/// same experiment). The output holds the whole experiment: runs no input finished stay
/// pending, so `superscale run SPEC --store OUT` completes them.
pub fn merge(out: &Path, inputs: &[PathBuf]) -> Result<MergeSummary> {
    let conflict = |message: String| Error::Conflict {
        dir: out.to_path_buf(),
        message,
    };
    if inputs.is_empty() {
        return Err(conflict("give at least one input store".into()));
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let stores: Vec<Store> = inputs
        .iter()
        .map(|dir| Store::open(dir))
        .collect::<Result<_>>()?;
    let first = &stores[0];
    let mut finished: HashMap<Key, (String, String, PathBuf)> = HashMap::new();
    let mut duplicates = 0;
    for store in &stores {
        if canonical(store.dir()) == canonical(out) {
            return Err(conflict(format!(
                "{} is both an input and the output; merge into a new directory",
                store.dir().display()
            )));
        }
        if store.meta.fingerprint != first.meta.fingerprint {
            return Err(Error::Conflict {
                dir: store.dir().to_path_buf(),
                message: format!(
                    "holds another experiment ('{}', fingerprint {}) than {} ('{}', fingerprint {}): only stores of the same experiment merge",
                    store.meta.name,
                    store.meta.fingerprint,
                    first.dir().display(),
                    first.meta.name,
                    first.meta.fingerprint
                ),
            });
        }
        duplicates += collect_finished(store, &mut finished)?;
    }
    // An output that does not exist yet (or whose creation was interrupted) is made new.
    let existing = match Store::open(out) {
        Ok(store) => Some(store),
        Err(Error::Missing { .. }) => None,
        Err(err) => return Err(err),
    };
    if let Some(existing) = &existing {
        if existing.meta.fingerprint != first.meta.fingerprint {
            return Err(conflict(format!(
                "holds another experiment ('{}', fingerprint {}) than the inputs ('{}', fingerprint {})",
                existing.meta.name, existing.meta.fingerprint, first.meta.name, first.meta.fingerprint
            )));
        }
        duplicates += collect_finished(existing, &mut finished)?;
    }
    // Checks passed. A new output is planned like a fresh study (all runs, no shard).
    let mut target = match existing {
        Some(store) => store,
        None => Store::prepare(out, &first.experiment()?, &Plan::default())?.store,
    };
    let mut copied = 0;
    for store in &stores {
        copied += copy_from(&mut target, store)?;
    }
    let missing = target
        .runs()?
        .iter()
        .filter(|r| !r.state.is_finished())
        .count();
    Ok(MergeSummary {
        copied,
        duplicates,
        missing,
    })
}

/// Adds the finished runs of `store` to `seen`, checking that a run seen before has the
/// same digests; returns how many were already there.
fn collect_finished(
    store: &Store,
    seen: &mut HashMap<Key, (String, String, PathBuf)>,
) -> Result<usize> {
    let mut duplicates = 0;
    for run in store.runs()?.into_iter().filter(|r| r.state.is_finished()) {
        let digests = (
            run.digest.clone().unwrap_or_default(),
            run.weights_digest.clone().unwrap_or_default(),
        );
        match seen.get(&(run.run_id.clone(), run.replicate)) {
            Some((digest, weights, other)) if (digest, weights) != (&digests.0, &digests.1) => {
                return Err(Error::Conflict {
                    dir: store.dir().to_path_buf(),
                    message: format!(
                        "run {} replicate {} has a different result here than in {} (result digest {} vs {}, weights digest {} vs {}): \
                         the stores were computed by different code or on different numerics; refusing to mix them",
                        run.run_id, run.replicate, other.display(), digests.0, digest, digests.1, weights
                    ),
                });
            }
            Some(_) => duplicates += 1,
            None => {
                seen.insert(
                    (run.run_id, run.replicate),
                    (digests.0, digests.1, store.dir().to_path_buf()),
                );
            }
        }
    }
    Ok(duplicates)
}

/// Copies the finished runs (and the failures, where the target has nothing better) of
/// `source` into `target` in one transaction; weights files are copied first.
fn copy_from(target: &mut Store, source: &Store) -> Result<usize> {
    let path = target.path.clone();
    let wanted: Vec<_> = {
        let target_states: HashMap<Key, RunState> = target
            .runs()?
            .into_iter()
            .map(|r| ((r.run_id, r.replicate), r.state))
            .collect();
        source
            .runs()?
            .into_iter()
            .filter(|r| {
                target_states
                    .get(&(r.run_id.clone(), r.replicate))
                    .is_some_and(|t| !t.is_finished())
            })
            .filter(|r| r.state.is_finished() || r.state == RunState::Failed)
            .collect()
    };
    for file in wanted
        .iter()
        .filter(|r| r.state.is_finished())
        .filter_map(|r| r.weights_file.as_ref())
    {
        let (from, to) = (source.dir().join(file), target.dir().join(file));
        if let Some(folder) = to.parent() {
            std::fs::create_dir_all(folder).map_err(io(folder))?;
        }
        std::fs::copy(&from, &to).map_err(io(&from))?;
    }
    let source_db = std::fs::canonicalize(&source.path).map_err(io(&source.path))?;
    target
        .conn
        .execute("ATTACH DATABASE ?1 AS src", [source_db.to_string_lossy()])
        .map_err(sqlite(&path))?;
    let copied = (|| -> rusqlite::Result<usize> {
        let tx = target.conn.transaction()?;
        let mut copied = 0;
        for run in &wanted {
            let key = params![run.run_id, run.replicate];
            if run.state == RunState::Failed {
                tx.execute("UPDATE main.runs SET status = 'failed', error = (SELECT error FROM src.runs WHERE run_id = ?1 AND replicate = ?2) WHERE run_id = ?1 AND replicate = ?2", key)?;
                continue;
            }
            tx.execute(
                "UPDATE main.runs SET (status, diverged_step, error, attempts, started_at, finished_at, seconds, host, superscale_version,
                 git_commit, weights_file, digest, weights_digest) = (SELECT status, diverged_step, error, attempts, started_at, finished_at,
                 seconds, host, superscale_version, git_commit, weights_file, digest, weights_digest FROM src.runs
                 WHERE run_id = ?1 AND replicate = ?2) WHERE run_id = ?1 AND replicate = ?2",
                key,
            )?;
            for table in ["results", "curves", "row_norms"] {
                tx.execute(
                    &format!("DELETE FROM main.{table} WHERE run_id = ?1 AND replicate = ?2"),
                    key,
                )?;
                tx.execute(&format!("INSERT INTO main.{table} SELECT * FROM src.{table} WHERE run_id = ?1 AND replicate = ?2"), key)?;
            }
            copied += 1;
        }
        tx.commit()?;
        Ok(copied)
    })();
    // Detach even when the copy failed, so the connection stays usable.
    let detached = target.conn.execute("DETACH DATABASE src", []);
    let copied = copied.map_err(sqlite(&path))?;
    detached.map_err(sqlite(&path))?;
    Ok(copied)
}
