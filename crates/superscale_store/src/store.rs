//! Opening a store (for reading, or as its one writer), planning a study into it (new,
//! resumed or extended), and committing runs as they finish.

use crate::connect;
use crate::database::{initialise, read_meta, Meta, DB_FILE, PARTIAL_FILE};
use crate::digest::{output_digest, weights_digest};
use crate::error::{io, sqlite, Error, Result};
use crate::lock::{WriterLock, LOCK_FILE};
use crate::output::{PlannedRow, RunOutput, StudyPlan};
use crate::provenance::{git_commit, host, now_utc, version};
use crate::reconcile::{conflict, describe, insert_pending, reconcile};
use crate::record::RunState;
use crate::shard::Shard;
use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A store directory and its open database. A store from [`Store::prepare`] is the
/// store's one writer (it holds the lock until dropped); one from [`Store::open`] only
/// reads. Writes take `&mut self`: the engine shares one writer between its worker threads
/// behind a mutex, each commit a short transaction.
pub struct Store {
    pub(crate) dir: PathBuf,
    pub(crate) path: PathBuf,
    pub(crate) conn: Connection,
    pub(crate) meta: Meta,
    /// `Some` for the writer; released when the store is dropped.
    pub(crate) lock: Option<WriterLock>,
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
    /// the open store (its writer)
    pub store: Store,
    /// positions in `plan.runs` of the runs of this store not yet done or diverged, in
    /// the plan's order
    pub todo: Vec<usize>,
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

/// The fingerprint of a study: the first 16 hex digits of SHA-256 over its sorted
/// (run id, replicate) pairs. Two studies with the same fingerprint define exactly the
/// same runs (order, comments and description aside), so their stores can be merged.
pub fn fingerprint(plan: &StudyPlan) -> String {
    let mut keys: Vec<(&str, u32)> = plan
        .runs
        .iter()
        .map(|r| (r.run_id.as_str(), r.replicate))
        .collect();
    keys.sort_unstable();
    let mut hash = Sha256::new();
    for (run_id, replicate) in keys {
        hash.update(format!("{run_id}/{replicate}\n").as_bytes());
    }
    crate::digest::hex(&hash.finalize()[..8])
}

/// What is at a store path before it is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// nothing, an empty directory, or only what an interrupted creation leaves
    Fresh,
    /// a directory with a database file
    Database,
    /// somebody else's files
    Foreign,
}

/// Looks at `dir` without changing anything. An interrupted creation (or merge into a new
/// directory) leaves only the lock file, the partial database and weights files copied
/// before it; a directory holding nothing else is taken as fresh.
pub(crate) fn inspect(dir: &Path) -> Result<Place> {
    if dir.join(DB_FILE).symlink_metadata().is_ok() {
        return Ok(Place::Database);
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Place::Fresh),
        Err(_) if dir.exists() && !dir.is_dir() => return Ok(Place::Foreign),
        Err(err) => return Err(io(dir)(err)),
    };
    let mut names = Vec::new();
    for entry in entries {
        names.push(entry.map_err(io(dir))?.file_name());
    }
    let partial_journal = format!("{PARTIAL_FILE}-journal");
    let ours = |name: &std::ffi::OsStr| {
        name == LOCK_FILE
            || name == PARTIAL_FILE
            || name == partial_journal.as_str()
            || (name == "weights" && names.iter().any(|n| n == LOCK_FILE))
    };
    Ok(if names.iter().all(|n| ours(n)) {
        Place::Fresh
    } else {
        Place::Foreign
    })
}

/// Creates the database of a new store: built completely under a temporary name by
/// `fill` in one transaction, then renamed into place, so a kill at any moment leaves
/// either no store or a whole one (never an empty `superscale.db`). Needs the lock.
pub(crate) fn create_database(
    dir: &Path,
    meta: &Meta,
    fill: impl FnOnce(&Transaction<'_>, &Path) -> Result<()>,
) -> Result<Connection> {
    let path = dir.join(DB_FILE);
    let partial = dir.join(PARTIAL_FILE);
    for leftover in [partial.clone(), dir.join(format!("{PARTIAL_FILE}-journal"))] {
        match std::fs::remove_file(&leftover) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                return Err(io(&leftover)(err))
            }
            _ => {}
        }
    }
    {
        let mut conn = connect::create(&partial)?;
        let tx = conn.transaction().map_err(sqlite(&partial))?;
        initialise(&tx, meta, &partial)?;
        fill(&tx, &partial)?;
        tx.commit().map_err(sqlite(&partial))?;
    }
    std::fs::rename(&partial, &path).map_err(io(&path))?;
    connect::open_write(&path)
}

/// Opens an existing store for its writer: read-only first (a foreign SQLite file is
/// refused before it could be switched to WAL), then read-write, migrating a format-1
/// store in place in one transaction.
pub(crate) fn open_database(path: &Path) -> Result<(Connection, Meta)> {
    connect::leaving_no_trace(path, || {
        read_meta(&connect::open_read(path)?, path)?;
        let mut conn = connect::open_write(path)?;
        let (version, _) = read_meta(&conn, path)?;
        if version == 1 {
            crate::migrate::migrate(&mut conn, path)?;
        }
        let (_, meta) = read_meta(&conn, path)?;
        Ok((conn, meta))
    })
}

/// Takes the writer lock of the store in `dir`, after looking at what is there: a foreign
/// directory or database file is refused before it gets so much as a lock file beside it.
pub(crate) fn lock_store(dir: &Path) -> Result<WriterLock> {
    match inspect(dir)? {
        Place::Foreign => {
            return Err(Error::NotAStore {
                dir: dir.to_path_buf(),
            })
        }
        Place::Database => {
            let path = dir.join(DB_FILE);
            connect::leaving_no_trace(&path, || read_meta(&connect::open_read(&path)?, &path))?;
        }
        Place::Fresh => {}
    }
    WriterLock::acquire(dir)
}

impl Store {
    /// Opens an existing store for reading only: never modifies any file, works on a
    /// read-only file system and while a writer runs. A format-1 store is migrated in
    /// memory (the file stays as it is; its writer migrates it on the next `prepare`).
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
        let (conn, version, meta) = connect::leaving_no_trace(&path, || {
            let conn = connect::open_read(&path)?;
            let (version, meta) = read_meta(&conn, &path)?;
            Ok((conn, version, meta))
        })?;
        let conn = if version == 1 {
            crate::migrate::in_memory(&conn, &path)?
        } else {
            conn
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            path,
            conn,
            meta,
            lock: None,
        })
    }

    /// Creates, resumes or extends the store of `plan` in `dir` and returns the runs left
    /// to do. Takes the store's writer lock first ([`Error::Locked`] if another process
    /// holds it) and keeps it for the life of the returned store. A new store gets one
    /// pending row per run; an existing one must hold exactly the plan's runs with the
    /// same canonical specs and the same schema (or, with `options.extend`, a subset of
    /// them, the rest being added); runs left `running` by a killed process become pending.
    /// Every check runs before anything is written, and all writes are one transaction.
    pub fn prepare(dir: &Path, plan: &StudyPlan, options: &Plan) -> Result<Prepared> {
        if options.extend && options.shard.is_some() {
            return Err(conflict(dir, "--extend cannot be combined with --shard: extend the whole study in one store, or shard the extended spec into new stores".into()));
        }
        crate::validate::plan(dir, plan)?;
        let lock = lock_store(dir)?;
        let path = dir.join(DB_FILE);
        let selected: Vec<usize> = (0..plan.runs.len())
            .filter(|&i| options.shard.is_none_or(|s| s.contains(plan.runs[i].index)))
            .collect();
        let meta = Meta {
            name: plan.name.clone(),
            source: plan.source.clone(),
            source_path: plan.source_path.clone(),
            fingerprint: fingerprint(plan),
            shard: options.shard,
            created_at: now_utc(),
            schema: plan.schema.clone(),
        };
        let selected_rows: Vec<&PlannedRow> = selected.iter().map(|&i| &plan.runs[i]).collect();
        // Inspected again under the lock: another writer may have created it meanwhile.
        let (conn, meta, created, added, interrupted, states) = match inspect(dir)? {
            Place::Foreign => {
                return Err(Error::NotAStore {
                    dir: dir.to_path_buf(),
                })
            }
            Place::Fresh => {
                let conn = create_database(dir, &meta, |tx, partial| {
                    insert_pending(tx, &selected_rows, partial)
                })?;
                (conn, meta, true, 0, 0, HashMap::new())
            }
            Place::Database => {
                let (mut conn, old) = open_database(&path)?;
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(sqlite(&path))?;
                let reconciled =
                    reconcile(&tx, dir, &path, old, meta, plan, &selected_rows, options)?;
                tx.commit().map_err(sqlite(&path))?;
                (
                    conn,
                    reconciled.meta,
                    false,
                    reconciled.added,
                    reconciled.interrupted,
                    reconciled.states,
                )
            }
        };
        let done = |i: &usize| {
            let run = &plan.runs[*i];
            states
                .get(&(run.run_id.clone(), run.replicate))
                .is_some_and(|s: &RunState| s.is_finished())
        };
        let finished = selected.iter().filter(|i| done(i)).count();
        let todo = selected.into_iter().filter(|i| !done(i)).collect();
        let store = Self {
            dir: dir.to_path_buf(),
            path,
            conn,
            meta,
            lock: Some(lock),
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

    /// The study-level metadata (with the kind's schema).
    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    /// Whether this handle is the store's writer (from [`Store::prepare`]).
    pub fn is_writer(&self) -> bool {
        self.lock.is_some()
    }

    fn writer(&self) -> Result<()> {
        if self.is_writer() {
            Ok(())
        } else {
            Err(Error::ReadOnly {
                dir: self.dir.clone(),
            })
        }
    }

    /// Marks a run as started by this process on this host.
    pub fn mark_running(&mut self, run: &PlannedRow) -> Result<()> {
        self.writer()?;
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET status = 'running', attempts = attempts + 1, started_at = ?3, host = ?4,
                 superscale_version = ?5, git_commit = ?6, error = NULL WHERE run_id = ?1 AND replicate = ?2",
                params![run.run_id, run.replicate, now_utc(), host(), version(), git_commit()],
            )
            .map_err(sqlite(&self.path))?;
        self.expect_one(changed, run)
    }

    /// Commits a finished run in one transaction: its state, provenance, digests, scalars,
    /// curves and arrays. The output is checked against the schema first. With
    /// `save_weights`, `output.weights` is written before the transaction to
    /// `weights/<run id>-r<replicate>.safetensors` (see [`crate::read_weights`]).
    pub fn commit(
        &mut self,
        run: &PlannedRow,
        output: &RunOutput,
        save_weights: bool,
    ) -> Result<()> {
        self.writer()?;
        let what = describe((&run.run_id, run.replicate), &run.axes);
        crate::validate::output(&self.meta.schema, output, &what)?;
        // Known run first, so an unknown one leaves no weights file behind.
        let known: bool = self
            .conn
            .query_row(
                "SELECT count(*) FROM runs WHERE run_id = ?1 AND replicate = ?2",
                params![run.run_id, run.replicate],
                |row| row.get::<_, i64>(0),
            )
            .map_err(sqlite(&self.path))?
            == 1;
        if !known {
            return self.expect_one(0, run);
        }
        let weights_file = if save_weights {
            Some(crate::weights::write(&self.dir, run, &output.weights)?)
        } else {
            None
        };
        let diverged_step = match output.end {
            crate::End::Done => None,
            crate::End::Diverged { step } => Some(step as i64),
        };
        let state = if diverged_step.is_some() {
            RunState::Diverged
        } else {
            RunState::Done
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sqlite(&self.path))?;
        tx.execute(
            "UPDATE runs SET status = ?3, diverged_step = ?4, error = NULL, finished_at = ?5, seconds = ?6, host = ?7,
             superscale_version = ?8, git_commit = ?9, weights_file = ?10, digest = ?11, weights_digest = ?12
             WHERE run_id = ?1 AND replicate = ?2",
            params![
                run.run_id,
                run.replicate,
                state.as_str(),
                diverged_step,
                now_utc(),
                output.seconds,
                host(),
                version(),
                git_commit(),
                weights_file,
                output_digest(output),
                weights_digest(&output.weights),
            ],
        )
        .map_err(sqlite(&self.path))?;
        crate::rows::write_output(
            &tx,
            &self.meta.schema,
            (&run.run_id, run.replicate),
            output,
            &self.path,
        )?;
        tx.commit().map_err(sqlite(&self.path))
    }

    /// Records that a run could not be trained; it stays to be rerun by the next resume.
    pub fn commit_failure(&mut self, run: &PlannedRow, message: &str) -> Result<()> {
        self.writer()?;
        let changed = self
            .conn
            .execute(
                "UPDATE runs SET status = 'failed', error = ?3, finished_at = ?4 WHERE run_id = ?1 AND replicate = ?2",
                params![run.run_id, run.replicate, message, now_utc()],
            )
            .map_err(sqlite(&self.path))?;
        self.expect_one(changed, run)
    }

    fn expect_one(&self, changed: usize, run: &PlannedRow) -> Result<()> {
        if changed == 1 {
            Ok(())
        } else {
            let message = format!(
                "{} is not a run of this store",
                describe((&run.run_id, run.replicate), &run.axes)
            );
            Err(Error::UnknownRun {
                dir: self.dir.clone(),
                message,
            })
        }
    }
}
