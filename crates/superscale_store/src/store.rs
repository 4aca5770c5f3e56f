//! Opening a store, planning a study into it (new, resumed or extended), and committing
//! runs as they finish.

use crate::error::{io, sqlite, Error, Result};
use crate::provenance::{git_commit, host, now_utc, version};
use crate::reconcile::{conflict, describe, insert_pending, reconcile};
use crate::record::{result_digest, weights_digest, RunState};
use crate::schema::{connect, initialise, read_contents, Contents, Meta, DB_FILE};
use crate::shard::Shard;
use rusqlite::{params, Connection, TransactionBehavior};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use superscale_kinds::{RunResult, RunStatus};
use superscale_spec::{Experiment, RunPoint};

/// A store directory and its open database. Writes take `&mut self`: one connection is
/// shared by the worker threads behind a mutex, each commit a short transaction.
pub struct Store {
    pub(crate) dir: PathBuf,
    pub(crate) path: PathBuf,
    pub(crate) conn: Connection,
    pub(crate) meta: Meta,
}

/// How a study is to be planned into a store.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plan {
    /// accept runs the store does not have yet (new sweep points or replicates)
    pub extend: bool,
    /// keep only this slice of the runs
    pub shard: Option<Shard>,
}

/// A store ready to run a study, and what is left to do.
pub struct Prepared {
    /// the open store
    pub store: Store,
    /// runs of this store not yet done or diverged, in the experiment's order
    pub todo: Vec<RunPoint>,
    /// runs of this store already done or diverged (skipped)
    pub finished: usize,
    /// runs added to an existing store by `extend`
    pub added: usize,
    /// runs that were left `running` by a killed process and will be rerun
    pub interrupted: usize,
    /// whether the store was created now
    pub created: bool,
}

impl Prepared {
    /// The line printed before training (`superscale run` prints it, and
    /// `superscale.run(..., progress=True)` too): the study, what is left to do on how many
    /// threads, and whether the store is new or resumed. `name` is the experiment's name.
    pub fn summary(&self, name: &str, threads: usize) -> String {
        let slice = self
            .store
            .meta
            .shard
            .map(|s| format!(" (shard {s})"))
            .unwrap_or_default();
        let dir = self.store.dir.display();
        if self.todo.is_empty() {
            return format!(
                "{name}{slice}: all {} runs finished in {dir}; rewriting the report",
                self.finished
            );
        }
        let state = if self.created {
            "new store".to_string()
        } else {
            let mut parts = vec![format!("resumed: {} finished", self.finished)];
            parts.extend((self.added > 0).then(|| format!("{} added", self.added)));
            parts.extend(
                (self.interrupted > 0).then(|| format!("{} interrupted", self.interrupted)),
            );
            parts.join(", ")
        };
        format!(
            "{name}{slice}: {} runs to do on {threads} threads → {dir} ({state})",
            self.todo.len()
        )
    }
}

/// The fingerprint of an experiment: the first 16 hex digits of SHA-256 over its sorted
/// (run id, replicate) pairs. Two experiments with the same fingerprint define exactly the
/// same runs (order, comments and description aside), so their stores can be merged.
pub fn fingerprint(experiment: &Experiment) -> String {
    let mut keys: Vec<(&str, u32)> = experiment
        .points
        .iter()
        .map(|p| (p.run_id.as_str(), p.replicate))
        .collect();
    keys.sort_unstable();
    let mut hash = Sha256::new();
    for (run_id, replicate) in keys {
        hash.update(format!("{run_id}/{replicate}\n").as_bytes());
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What is at a store path before it is opened.
enum Place {
    Fresh,
    Database,
    Foreign,
}

fn inspect(dir: &Path) -> Result<Place> {
    if dir.join(DB_FILE).is_file() {
        return Ok(Place::Database);
    }
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(if entries.next().is_none() {
            Place::Fresh
        } else {
            Place::Foreign
        }),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Place::Fresh),
        Err(_) if dir.exists() && !dir.is_dir() => Ok(Place::Foreign),
        Err(err) => Err(io(dir)(err)),
    }
}

impl Store {
    /// Opens an existing store (for reading, merging or committing).
    pub fn open(dir: &Path) -> Result<Self> {
        let path = dir.join(DB_FILE);
        match inspect(dir)? {
            Place::Database => {}
            Place::Fresh => {
                return Err(Error::Missing {
                    dir: dir.to_path_buf(),
                })
            }
            Place::Foreign => {
                return Err(Error::NotAStore {
                    dir: dir.to_path_buf(),
                })
            }
        }
        let conn = connect(&path, false)?;
        match read_contents(&conn, &path)? {
            Contents::Store(meta) => Ok(Self {
                dir: dir.to_path_buf(),
                path,
                conn,
                meta,
            }),
            Contents::Empty => Err(Error::Missing {
                dir: dir.to_path_buf(),
            }),
        }
    }

    /// Opens or creates the store in `dir` for `experiment` and returns the runs left to
    /// do. A new store gets one pending row per run; an existing one must hold exactly the
    /// experiment's runs (or, with `plan.extend`, a subset of them, the rest being added).
    /// Every check runs before anything is written, and all writes are one transaction.
    pub fn prepare(dir: &Path, experiment: &Experiment, plan: &Plan) -> Result<Prepared> {
        if plan.extend && plan.shard.is_some() {
            return Err(conflict(dir, "--extend cannot be combined with --shard: extend the whole study in one store, or shard the extended spec into new stores".into()));
        }
        let path = dir.join(DB_FILE);
        let selected: Vec<&RunPoint> = experiment
            .points
            .iter()
            .filter(|p| plan.shard.is_none_or(|s| s.contains(p.index)))
            .collect();
        let meta = Meta {
            name: experiment.name.clone(),
            source: experiment.source.clone(),
            source_path: experiment.path.clone(),
            fingerprint: fingerprint(experiment),
            shard: plan.shard,
            created_at: now_utc(),
        };
        let (mut conn, contents) = match inspect(dir)? {
            Place::Foreign => {
                return Err(Error::NotAStore {
                    dir: dir.to_path_buf(),
                })
            }
            Place::Database => {
                let conn = connect(&path, false)?;
                let contents = read_contents(&conn, &path)?;
                (conn, contents)
            }
            Place::Fresh => {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
                (connect(&path, true)?, Contents::Empty)
            }
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite(&path))?;
        let (created, added, interrupted, stored_meta, states) = match contents {
            Contents::Empty => {
                initialise(&tx, &meta, &path)?;
                insert_pending(&tx, &selected, &path)?;
                (true, 0, 0, meta, HashMap::new())
            }
            Contents::Store(old) => {
                let reconciled =
                    reconcile(&tx, dir, &path, old, meta, experiment, &selected, plan)?;
                (
                    false,
                    reconciled.0,
                    reconciled.1,
                    reconciled.2,
                    reconciled.3,
                )
            }
        };
        tx.commit().map_err(sqlite(&path))?;
        let done = |p: &RunPoint| {
            states
                .get(&(p.run_id.clone(), p.replicate))
                .is_some_and(|s: &RunState| s.is_finished())
        };
        let finished = selected.iter().filter(|p| done(p)).count();
        let todo = selected.into_iter().filter(|p| !done(p)).cloned().collect();
        let store = Self {
            dir: dir.to_path_buf(),
            path,
            conn,
            meta: stored_meta,
        };
        Ok(Prepared {
            store,
            todo,
            finished,
            added,
            interrupted,
            created,
        })
    }

    /// The store directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The study-level metadata.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// The experiment kept in the store, parsed again (its points rebuild run points).
    pub fn experiment(&self) -> Result<Experiment> {
        Experiment::parse(&self.meta.source, &self.meta.source_path).map_err(|source| {
            Error::StoredSpec {
                dir: self.dir.clone(),
                source,
            }
        })
    }

    /// Marks a run as started by this process on this host.
    pub fn mark_running(&mut self, point: &RunPoint) -> Result<()> {
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET status = 'running', attempts = attempts + 1, started_at = ?3, host = ?4,
                 superscale_version = ?5, git_commit = ?6, error = NULL WHERE run_id = ?1 AND replicate = ?2",
                params![point.run_id, point.replicate, now_utc(), host(), version(), git_commit()],
            )
            .map_err(sqlite(&self.path))?;
        self.expect_one(changed, point)
    }

    /// Commits a finished run in one transaction: its state, provenance, digests, results,
    /// curve and row norms. With `save_weights` its W and b are written first to
    /// `weights/<run id>-r<replicate>.safetensors`.
    pub fn commit(&mut self, result: &RunResult, save_weights: bool) -> Result<()> {
        let point = &result.point;
        let weights_file = if save_weights {
            Some(crate::weights::write(&self.dir, result)?)
        } else {
            None
        };
        let (state, diverged_step) = match result.status {
            RunStatus::Done => (RunState::Done, None),
            RunStatus::Diverged { step } => (RunState::Diverged, Some(step as i64)),
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite(&self.path))?;
        let changed = tx
            .execute(
                "UPDATE runs SET status = ?3, diverged_step = ?4, error = NULL, finished_at = ?5, seconds = ?6, host = ?7,
                 superscale_version = ?8, git_commit = ?9, weights_file = ?10, digest = ?11, weights_digest = ?12
                 WHERE run_id = ?1 AND replicate = ?2",
                params![
                    point.run_id,
                    point.replicate,
                    state.as_str(),
                    diverged_step,
                    now_utc(),
                    result.seconds,
                    host(),
                    version(),
                    git_commit(),
                    weights_file,
                    result_digest(result),
                    weights_digest(&result.weights, &result.bias),
                ],
            )
            .map_err(sqlite(&self.path))?;
        if changed != 1 {
            drop(tx);
            return self.expect_one(changed, point);
        }
        crate::record::insert_outcome(&tx, result, &self.path)?;
        tx.commit().map_err(sqlite(&self.path))
    }

    /// Records that a run could not be trained; it stays to be rerun by the next resume.
    pub fn commit_failure(&mut self, point: &RunPoint, message: &str) -> Result<()> {
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET status = 'failed', error = ?3, finished_at = ?4 WHERE run_id = ?1 AND replicate = ?2",
                params![point.run_id, point.replicate, message, now_utc()],
            )
            .map_err(sqlite(&self.path))?;
        self.expect_one(changed, point)
    }

    fn expect_one(&self, changed: usize, point: &RunPoint) -> Result<()> {
        if changed == 1 {
            Ok(())
        } else {
            let message = format!(
                "{} is not a run of this store",
                describe((&point.run_id, point.replicate), &point.axes)
            );
            Err(Error::UnknownRun {
                dir: self.dir.clone(),
                message,
            })
        }
    }
}
