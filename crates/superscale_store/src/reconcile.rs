//! Planning a study into an existing store: every check first (same experiment, same
//! slice, new runs only with `--extend`), then the writes that bring the store up to date.

use crate::error::{sqlite, Error, Result};
use crate::record::RunState;
use crate::schema::{write_meta, Meta};
use crate::store::Plan;
use rusqlite::{params, Transaction};
use std::collections::HashMap;
use std::path::Path;
use superscale_spec::{Experiment, RunPoint};

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

pub(crate) fn insert_pending(
    tx: &Transaction<'_>,
    points: &[&RunPoint],
    path: &Path,
) -> Result<()> {
    let mut insert = tx
        .prepare("INSERT INTO runs (run_id, replicate, idx, seed, spec_json, axes_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .map_err(sqlite(path))?;
    for p in points {
        let axes = serde_json::to_string(&p.axes).expect("axes are strings");
        insert
            .execute(params![
                p.run_id,
                p.replicate,
                p.index as i64,
                p.seed.to_string(),
                p.spec.canonical_json(),
                axes
            ])
            .map_err(sqlite(path))?;
    }
    Ok(())
}

pub(crate) type Key = (String, u32);

/// Checks an existing store against the experiment and brings it up to date. Returns
/// (runs added, runs interrupted, the store's new meta, the states of its runs).
#[allow(clippy::too_many_arguments)]
pub(crate) fn reconcile(
    tx: &Transaction<'_>,
    dir: &Path,
    path: &Path,
    old: Meta,
    new: Meta,
    experiment: &Experiment,
    selected: &[&RunPoint],
    plan: &Plan,
) -> Result<(usize, usize, Meta, HashMap<Key, RunState>)> {
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
    let wanted: HashMap<Key, &RunPoint> = selected
        .iter()
        .map(|p| ((p.run_id.clone(), p.replicate), *p))
        .collect();
    let spec = experiment.path.display();
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
    let mut added: Vec<&RunPoint> = selected
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
            if *spec_json != point.spec.canonical_json() {
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
    Ok((added.len(), interrupted, meta, states))
}
