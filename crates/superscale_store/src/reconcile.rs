//! Planning a study into an existing store: every check first (same experiment, same
//! slice, new runs only with `--extend`), then the writes that bring the store up to date.

use crate::database::{write_meta, Meta};
use crate::error::{sqlite, Error, Result};
use crate::output::{PlannedRow, StudyPlan};
use crate::record::RunState;
use crate::rows::Key;
use crate::store::Plan;
use rusqlite::{params, Transaction};
use std::collections::HashMap;
use std::path::Path;

/// A conflict of the store in `dir` with what was asked.
pub(crate) fn conflict(dir: &Path, message: String) -> Error {
    Error::Conflict {
        dir: dir.to_path_buf(),
        message,
    }
}

/// "run ID replicate R: axis=value ..." for messages.
pub(crate) fn describe(point: (&str, u32), axes: &[(String, String)]) -> String {
    let axes: Vec<String> = axes.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "run {} replicate {}{}{}",
        point.0,
        point.1,
        if axes.is_empty() { "" } else { ": " },
        axes.join(" ")
    )
}

/// Inserts pending rows for `runs`.
pub(crate) fn insert_pending(
    tx: &Transaction<'_>,
    runs: &[&PlannedRow],
    path: &Path,
) -> Result<()> {
    let mut insert = tx
        .prepare("INSERT INTO runs (run_id, replicate, idx, seed, spec_json, axes_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .map_err(sqlite(path))?;
    for run in runs {
        let axes = serde_json::to_string(&run.axes).expect("axes are strings");
        insert
            .execute(params![
                run.run_id,
                run.replicate,
                run.index as i64,
                run.seed.to_string(),
                run.spec_json,
                axes
            ])
            .map_err(sqlite(path))?;
    }
    Ok(())
}

/// What planning a study into an existing store did.
pub(crate) struct Reconciled {
    /// runs added (`--extend`)
    pub added: usize,
    /// runs left `running` by a killed process, now pending again
    pub interrupted: usize,
    /// the store's metadata after the update
    pub meta: Meta,
    /// the state of every run the store held before
    pub states: HashMap<Key, RunState>,
}

/// Checks an existing store against the plan and brings it up to date.
#[allow(clippy::too_many_arguments)]
pub(crate) fn reconcile(
    tx: &Transaction<'_>,
    dir: &Path,
    path: &Path,
    old: Meta,
    new: Meta,
    study: &StudyPlan,
    selected: &[&PlannedRow],
    plan: &Plan,
) -> Result<Reconciled> {
    if old.schema.kind != new.schema.kind {
        return Err(conflict(
            dir,
            format!(
                "this store holds a study of kind '{}', and {} is of kind '{}': run it into another directory",
                old.schema.kind,
                study.source_path.display(),
                new.schema.kind
            ),
        ));
    }
    if old.schema != new.schema {
        return Err(conflict(
            dir,
            format!(
                "this store records kind '{}' in another layout ({}) than this superscale does: it was written by an incompatible version; run the study into another directory",
                old.schema.kind,
                schema_difference(&old.schema, &new.schema)
            ),
        ));
    }
    if old.shard != plan.shard {
        return Err(conflict(
            dir,
            match (old.shard, plan.shard) {
                (Some(a), Some(b)) => format!("this store holds shard {a} of its study, not {b}: use one store per shard"),
                (Some(a), None) => format!("this store holds shard {a} of its study: pass --shard {a} to resume it, or combine the shards with `superscale merge`"),
                (None, b) => format!("this store holds the whole study, so --shard {} needs a store of its own", b.map(|b| b.to_string()).unwrap_or_default()),
            },
        ));
    }
    let mut stored: HashMap<Key, (RunState, String, String)> = HashMap::new();
    {
        let mut query = tx
            .prepare("SELECT run_id, replicate, status, spec_json, axes_json FROM runs")
            .map_err(sqlite(path))?;
        let rows = query
            .query_map([], |row| {
                Ok((
                    (row.get(0)?, row.get(1)?),
                    (row.get::<_, String>(2)?, row.get(3)?, row.get(4)?),
                ))
            })
            .map_err(sqlite(path))?;
        for row in rows {
            let (key, (status, spec, axes)) = row.map_err(sqlite(path))?;
            let state = RunState::parse(&status).ok_or_else(|| Error::Corrupt {
                path: path.to_path_buf(),
                message: format!("unknown status '{status}'"),
            })?;
            stored.insert(key, (state, spec, axes));
        }
    }
    let wanted: HashMap<Key, &PlannedRow> = selected
        .iter()
        .map(|p| ((p.run_id.clone(), p.replicate), *p))
        .collect();
    let spec = study.source_path.display();
    let mut foreign: Vec<(&Key, &String)> = stored
        .iter()
        .filter(|(key, _)| !wanted.contains_key(*key))
        .map(|(key, (_, _, axes))| (key, axes))
        .collect();
    if !foreign.is_empty() {
        foreign.sort();
        let (key, axes) = foreign[0];
        let axes: Vec<(String, String)> = serde_json::from_str(axes).unwrap_or_default();
        return Err(conflict(
            dir,
            format!(
                "{spec} is not the experiment in this store ('{}'): {} of the store's {} runs are not runs of this spec (e.g. {}). \
                 A run id hashes the whole run spec, so changing any model, train or record setting makes new runs; \
                 --extend may add sweep points but never drops or changes them. Run the changed spec into another directory.",
                old.name,
                foreign.len(),
                stored.len(),
                describe((&key.0, key.1), &axes)
            ),
        ));
    }
    let mut added: Vec<&PlannedRow> = selected
        .iter()
        .filter(|p| !stored.contains_key(&(p.run_id.clone(), p.replicate)))
        .copied()
        .collect();
    if !added.is_empty() && !plan.extend {
        added.sort_by_key(|p| p.index);
        return Err(conflict(
            dir,
            format!(
                "{spec} adds {} runs to the {} runs of this study (e.g. {}); pass --extend to add them, or run into another directory",
                added.len(),
                stored.len(),
                describe((&added[0].run_id, added[0].replicate), &added[0].axes)
            ),
        ));
    }
    for point in selected {
        if let Some((_, spec_json, _)) = stored.get(&(point.run_id.clone(), point.replicate)) {
            if *spec_json != point.spec_json {
                return Err(conflict(
                    dir,
                    format!("run {} has another canonical spec in the store than in {spec}: the store was written by an incompatible superscale", point.run_id),
                ));
            }
        }
    }
    // Every check passed: from here on, write.
    insert_pending(tx, &added, path)?;
    let mut reindex = tx
        .prepare("UPDATE runs SET idx = ?3 WHERE run_id = ?1 AND replicate = ?2 AND idx != ?3")
        .map_err(sqlite(path))?;
    for point in selected {
        reindex
            .execute(params![point.run_id, point.replicate, point.index as i64])
            .map_err(sqlite(path))?;
    }
    // A run left `running` was killed with its process; it is pending again.
    let interrupted = tx
        .execute(
            "UPDATE runs SET status = 'pending' WHERE status = 'running'",
            [],
        )
        .map_err(sqlite(path))?;
    let meta = Meta {
        created_at: old.created_at,
        shard: old.shard,
        ..new
    };
    write_meta(tx, &meta, path)?;
    let states = stored
        .into_iter()
        .map(|(key, (state, _, _))| (key, state))
        .collect();
    Ok(Reconciled {
        added: added.len(),
        interrupted,
        meta,
        states,
    })
}

/// The first difference between two schemas, for the message.
fn schema_difference(old: &crate::Schema, new: &crate::Schema) -> String {
    let names = |schema: &crate::Schema| -> Vec<String> {
        schema
            .scalars
            .iter()
            .map(|c| format!("scalar {} ({:?})", c.name, c.kind))
            .chain(
                schema
                    .curves
                    .iter()
                    .map(|c| format!("curve {} in {}", c.name, c.table)),
            )
            .chain(
                schema
                    .arrays
                    .iter()
                    .map(|a| format!("array {} over {:?} of {}", a.name, a.axes, a.value)),
            )
            .chain([format!("headline {:?}", schema.headline)])
            .collect()
    };
    let (old, new) = (names(old), names(new));
    for i in 0..old.len().max(new.len()) {
        match (old.get(i), new.get(i)) {
            (Some(a), Some(b)) if a == b => continue,
            (a, b) => {
                return format!(
                    "the store has {}, this superscale {}",
                    a.map_or("nothing more", String::as_str),
                    b.map_or("nothing more", String::as_str)
                )
            }
        }
    }
    "the same columns".into()
}
