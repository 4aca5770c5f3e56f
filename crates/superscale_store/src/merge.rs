//! `superscale merge OUT IN...`: shard stores (or any stores of one study) combined into
//! one. Every input is verified before anything is written: it must hold the study (same
//! fingerprint and schema), every finished run must match its digest and be a run of the
//! study, its weights file (if any) must match its weights digest, and a run present in
//! two places must have the same digests, bit for bit. Only then is the output written: a
//! new one is built completely under a temporary name and renamed into place, an existing
//! one takes all the runs in one transaction. A bad input therefore leaves no half-merged
//! output, and is named as the culprit.

use crate::database::{Meta, DB_FILE};
use crate::error::{corrupt, io, sqlite, Error, Result};
use crate::output::{PlannedRow, RunOutput, StudyPlan};
use crate::provenance::now_utc;
use crate::reconcile::insert_pending;
use crate::record::{RunRecord, RunState};
use crate::rows::Key;
use crate::store::{
    create_database, fingerprint, inspect, lock_store, open_database, Place, Store,
};
use crate::weights::{read_weights, weights_file};
use rusqlite::{params, Connection, TransactionBehavior};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a merge did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeSummary {
    /// finished runs copied into the output
    pub copied: usize,
    /// finished runs found more than once with identical digests (kept once)
    pub duplicates: usize,
    /// runs of the study that no input has finished (pending in the output)
    pub missing: usize,
}

/// A finished run found in an input, to copy.
struct Found {
    dir: PathBuf,
    record: RunRecord,
    output: RunOutput,
}

/// Merges the stores `inputs` into `out` (created if new, or an existing whole-study
/// store of the same study, which is then written as its writer: [`Error::Locked`] if
/// another process writes it). `plan` is the whole study, parsed by the caller from the
/// stored source. The output holds the whole study: runs no input finished stay pending
/// (or failed, with the input's error), so `superscale run SPEC --store OUT` completes them.
pub fn merge(out: &Path, inputs: &[PathBuf], plan: &StudyPlan) -> Result<MergeSummary> {
    let conflict = |dir: &Path, message: String| Error::Conflict {
        dir: dir.to_path_buf(),
        message,
    };
    if inputs.is_empty() {
        return Err(conflict(out, "give at least one input store".into()));
    }
    crate::validate::plan(out, plan)?;
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    for dir in inputs {
        if canonical(dir) == canonical(out) {
            return Err(conflict(
                out,
                format!(
                    "{} is both an input and the output; merge into a new directory",
                    dir.display()
                ),
            ));
        }
    }
    let fingerprint = fingerprint(plan);
    let planned: HashMap<Key, &PlannedRow> = plan
        .runs
        .iter()
        .map(|r| ((r.run_id.clone(), r.replicate), r))
        .collect();

    // 1. Every input, read-only and verified, before anything is written.
    let mut found: HashMap<Key, Found> = HashMap::new();
    let mut failed: HashMap<Key, String> = HashMap::new();
    let mut duplicates = 0;
    for dir in inputs {
        let store = Store::open(dir)?;
        same_study(&store, plan, &fingerprint)?;
        let (records, outputs) =
            store.snapshot(|s| Ok((s.runs()?, crate::read::finished(s, None)?)))?;
        for (record, output) in outputs {
            let key = (record.run_id.clone(), record.replicate);
            let run = format!("run {} replicate {}", key.0, key.1);
            match planned.get(&key) {
                Some(row) if row.spec_json == record.spec_json => {}
                Some(_) => {
                    return Err(conflict(dir, format!("{run} has another canonical spec here than in the study: the store was written by an incompatible superscale")))
                }
                None => {
                    return Err(corrupt(&store.path, format!("{run} is finished but not a run of the study")))
                }
            }
            check_weights(dir, &record)?;
            match found.get(&key) {
                Some(first) => {
                    differs(&first.dir, &first.record, dir, &record)?;
                    duplicates += 1;
                }
                None => {
                    found.insert(
                        key,
                        Found {
                            dir: dir.clone(),
                            record,
                            output,
                        },
                    );
                }
            }
        }
        for record in records.into_iter().filter(|r| r.state == RunState::Failed) {
            failed
                .entry((record.run_id, record.replicate))
                .or_insert(record.error.unwrap_or_default());
        }
    }

    // 2. The output: refused if foreign, locked, then checked like an input.
    let _lock = lock_store(out)?;
    let place = inspect(out)?;
    let mut states: HashMap<Key, RunState> = HashMap::new();
    match place {
        Place::Foreign => {
            return Err(Error::NotAStore {
                dir: out.to_path_buf(),
            })
        }
        Place::Fresh => {}
        Place::Database => {
            let existing = Store::open(out)?;
            same_study(&existing, plan, &fingerprint)?;
            if let Some(shard) = existing.meta.shard {
                return Err(conflict(out, format!("this store holds shard {shard} of its study; merge into a new directory (or into a whole-study store)")));
            }
            let (records, outputs) =
                existing.snapshot(|s| Ok((s.runs()?, crate::read::finished(s, None)?)))?;
            for (record, _) in outputs {
                let key = (record.run_id.clone(), record.replicate);
                if let Some(first) = found.remove(&key) {
                    differs(&first.dir, &first.record, out, &record)?;
                    duplicates += 1;
                }
            }
            states = records
                .into_iter()
                .map(|r| ((r.run_id, r.replicate), r.state))
                .collect();
        }
    }
    failed.retain(|key, _| {
        !found.contains_key(key) && !states.get(key).is_some_and(|s| s.is_finished())
    });

    // 3. Checks passed: weights files first (each atomically), then the database.
    let mut copies: Vec<&Found> = found.values().collect();
    copies.sort_by_key(|f| (f.record.index, f.record.replicate));
    for copy in &copies {
        if let Some(file) = &copy.record.weights_file {
            let (from, to) = (copy.dir.join(file), out.join(file));
            let folder = to.parent().unwrap_or(out);
            std::fs::create_dir_all(folder).map_err(io(folder))?;
            let bytes = std::fs::read(&from).map_err(io(&from))?;
            crate::weights::write_atomically(&to, &bytes)?;
        }
    }
    let path = out.join(DB_FILE);
    let write = |conn: &Connection, path: &Path| -> Result<()> {
        for copy in &copies {
            write_run(conn, &plan.schema, copy, path)?;
        }
        for (key, error) in &failed {
            conn.execute(
                "UPDATE runs SET status = 'failed', error = ?3 WHERE run_id = ?1 AND replicate = ?2",
                params![key.0, key.1, error],
            )
            .map_err(sqlite(path))?;
        }
        Ok(())
    };
    match place {
        Place::Database => {
            let (mut conn, _) = open_database(&path)?;
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(sqlite(&path))?;
            write(&tx, &path)?;
            tx.commit().map_err(sqlite(&path))?;
        }
        _ => {
            let meta = Meta {
                name: plan.name.clone(),
                source: plan.source.clone(),
                source_path: plan.source_path.clone(),
                fingerprint: fingerprint.clone(),
                shard: None,
                created_at: now_utc(),
                schema: plan.schema.clone(),
            };
            let all: Vec<&PlannedRow> = plan.runs.iter().collect();
            create_database(out, &meta, |tx, partial| {
                insert_pending(tx, &all, partial)?;
                write(tx, partial)
            })?;
        }
    }
    let finished_before = states.values().filter(|s| s.is_finished()).count();
    Ok(MergeSummary {
        copied: copies.len(),
        duplicates,
        missing: plan.runs.len() - finished_before - copies.len(),
    })
}

/// The store holds this study: same fingerprint (same runs) and same schema.
fn same_study(store: &Store, plan: &StudyPlan, fingerprint: &str) -> Result<()> {
    let meta = &store.meta;
    if meta.fingerprint != fingerprint {
        return Err(Error::Conflict {
            dir: store.dir.clone(),
            message: format!(
                "holds another experiment ('{}', fingerprint {}) than {} ('{}', fingerprint {fingerprint}): only stores of the same experiment merge",
                meta.name,
                meta.fingerprint,
                plan.source_path.display(),
                plan.name
            ),
        });
    }
    if meta.schema != plan.schema {
        return Err(Error::Conflict {
            dir: store.dir.clone(),
            message: format!(
                "records kind '{}' in another layout than this superscale's kind '{}': it was written by an incompatible version",
                meta.schema.kind, plan.schema.kind
            ),
        });
    }
    Ok(())
}

/// A finished run's weights file, if it has one, is where the store puts it and holds
/// the parameters its digest names.
fn check_weights(dir: &Path, record: &RunRecord) -> Result<()> {
    let Some(file) = &record.weights_file else {
        return Ok(());
    };
    let db = dir.join(DB_FILE);
    if *file != weights_file(&record.run_id, record.replicate) {
        return Err(corrupt(
            &db,
            format!(
                "run {} replicate {} names the weights file '{file}', not the store's",
                record.run_id, record.replicate
            ),
        ));
    }
    let path = dir.join(file);
    let digest = crate::weights_digest(&read_weights(&path)?);
    if record.weights_digest.as_deref() != Some(digest.as_str()) {
        return Err(corrupt(
            &path,
            format!(
                "it does not match the weights digest of run {} replicate {}",
                record.run_id, record.replicate
            ),
        ));
    }
    Ok(())
}

/// Refuses a run whose two copies differ.
fn differs(first_dir: &Path, first: &RunRecord, dir: &Path, record: &RunRecord) -> Result<()> {
    if (&first.digest, &first.weights_digest) == (&record.digest, &record.weights_digest) {
        return Ok(());
    }
    let show = |d: &Option<String>| d.clone().unwrap_or_else(|| "none".into());
    Err(Error::Conflict {
        dir: dir.to_path_buf(),
        message: format!(
            "run {} replicate {} has a different result here than in {} (digest {} vs {}, weights digest {} vs {}): \
             the stores were computed by different code or on different numerics; refusing to mix them",
            record.run_id,
            record.replicate,
            first_dir.display(),
            show(&record.digest),
            show(&first.digest),
            show(&record.weights_digest),
            show(&first.weights_digest)
        ),
    })
}

/// Writes a verified run into the output: its provenance as the input recorded it, and
/// its output rows.
fn write_run(conn: &Connection, schema: &crate::Schema, found: &Found, path: &Path) -> Result<()> {
    let r = &found.record;
    conn.execute(
        "UPDATE runs SET status = ?3, diverged_step = ?4, error = ?5, attempts = ?6, started_at = ?7, finished_at = ?8,
         seconds = ?9, host = ?10, superscale_version = ?11, git_commit = ?12, weights_file = ?13, digest = ?14,
         weights_digest = ?15 WHERE run_id = ?1 AND replicate = ?2",
        params![
            r.run_id,
            r.replicate,
            r.state.as_str(),
            r.diverged_step.map(|s| s as i64),
            r.error,
            r.attempts,
            r.started_at,
            r.finished_at,
            r.seconds,
            r.host,
            r.superscale_version,
            r.git_commit,
            r.weights_file,
            r.digest,
            r.weights_digest,
        ],
    )
    .map_err(sqlite(path))?;
    crate::rows::write_output(conn, schema, (&r.run_id, r.replicate), &found.output, path)
}
