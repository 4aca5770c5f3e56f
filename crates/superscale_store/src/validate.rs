//! What the store checks of what a kind hands it: a schema whose names make unambiguous
//! tables, outputs in that schema's shape, and a plan without duplicate runs. Checked
//! before anything is written, so a kind's bug never leaves half a run in a store.

use crate::error::{Error, Result};
use crate::output::{Array, ArrayData, RunOutput, Scalar, ScalarType, Schema, StudyPlan};
use std::collections::HashSet;
use std::path::Path;

/// The columns of the exported `runs` table before the spec's and the scalars' columns.
pub(crate) const RUN_COLUMNS: [&str; 17] = [
    "index",
    "run_id",
    "replicate",
    "seed",
    "status",
    "diverged_step",
    "error",
    "attempts",
    "started_at",
    "finished_at",
    "seconds",
    "host",
    "superscale_version",
    "git_commit",
    "weights_file",
    "digest",
    "weights_digest",
];

fn invalid(schema: &Schema, message: String) -> Error {
    Error::Schema {
        message: format!("the schema of kind '{}' is invalid: {message}", schema.kind),
    }
}

/// Names that give every export table distinct column names and every table its own name.
pub(crate) fn schema(schema: &Schema) -> Result<()> {
    let fail = |message: String| Err(invalid(schema, message));
    if schema.kind.is_empty() {
        return fail("the kind has no name".into());
    }
    let mut columns: HashSet<&str> = RUN_COLUMNS.into_iter().collect();
    for column in &schema.scalars {
        if column.name.is_empty() || !columns.insert(&column.name) {
            return fail(format!(
                "scalar '{}' is empty or repeats a column of the runs table",
                column.name
            ));
        }
    }
    let mut tables: HashSet<&str> = HashSet::from(["runs"]);
    let mut curve_tables: Vec<(&str, HashSet<&str>)> = Vec::new();
    for curve in &schema.curves {
        if curve.name.is_empty() || curve.table.is_empty() {
            return fail("a curve has an empty name or table".into());
        }
        match curve_tables.iter_mut().find(|(t, _)| *t == curve.table) {
            Some((_, names)) => {
                if !names.insert(&curve.name) {
                    return fail(format!(
                        "curve '{}' appears twice in table '{}'",
                        curve.name, curve.table
                    ));
                }
            }
            None => {
                if !tables.insert(&curve.table) {
                    return fail(format!("table name '{}' is used twice", curve.table));
                }
                let mut names = HashSet::from(["run_id", "replicate", "step"]);
                if !names.insert(&curve.name) {
                    return fail(format!("curve name '{}' is a key column", curve.name));
                }
                curve_tables.push((&curve.table, names));
            }
        }
    }
    let mut curve_names = HashSet::new();
    for curve in &schema.curves {
        if !curve_names.insert(&curve.name) {
            return fail(format!("curve '{}' is declared twice", curve.name));
        }
    }
    for array in &schema.arrays {
        if array.name.is_empty() || !tables.insert(&array.name) {
            return fail(format!(
                "array '{}' is empty or repeats a table name",
                array.name
            ));
        }
        let mut names = HashSet::from(["run_id", "replicate"]);
        for name in array.axes.iter().chain([&array.value]) {
            if name.is_empty() || !names.insert(name) {
                return fail(format!(
                    "array '{}': axis or value name '{name}' is empty or repeated",
                    array.name
                ));
            }
        }
    }
    if let Some(headline) = &schema.headline {
        let numeric = schema
            .scalars
            .iter()
            .any(|c| &c.name == headline && c.kind != ScalarType::Text);
        if !numeric {
            return fail(format!(
                "the headline '{headline}' is not a numeric scalar of the schema"
            ));
        }
    }
    Ok(())
}

/// An output in its schema's shape: one value of the column's type (or missing) per
/// scalar, one curve per curve, one array of the declared rank per array, and arrays whose
/// data fill their shape.
pub(crate) fn output(schema: &Schema, output: &RunOutput, run: &str) -> Result<()> {
    let fail = |message: String| {
        Err(Error::Schema {
            message: format!(
                "the output of {run} does not fit the schema of kind '{}': {message}",
                schema.kind
            ),
        })
    };
    if output.scalars.len() != schema.scalars.len()
        || output.curves.len() != schema.curves.len()
        || output.arrays.len() != schema.arrays.len()
    {
        return fail(format!(
            "{} scalars, {} curves and {} arrays where the schema has {}, {} and {}",
            output.scalars.len(),
            output.curves.len(),
            output.arrays.len(),
            schema.scalars.len(),
            schema.curves.len(),
            schema.arrays.len()
        ));
    }
    for (column, value) in schema.scalars.iter().zip(&output.scalars) {
        let fits = matches!(
            (column.kind, value),
            (_, Scalar::Missing)
                | (ScalarType::Int, Scalar::Int(_))
                | (ScalarType::Float, Scalar::Float(_))
                | (ScalarType::Text, Scalar::Text(_))
        );
        if !fits {
            return fail(format!(
                "scalar '{}' is {:?} but holds {value:?}",
                column.name, column.kind
            ));
        }
    }
    for (column, array) in schema.arrays.iter().zip(&output.arrays) {
        if array.shape.len() != column.axes.len() {
            return fail(format!(
                "array '{}' has shape {:?} for axes {:?}",
                column.name, array.shape, column.axes
            ));
        }
        filled(array).or_else(|message| fail(format!("array '{}': {message}", column.name)))?;
    }
    Ok(())
}

/// Whether an array's data fill its shape exactly.
pub(crate) fn filled(array: &Array) -> std::result::Result<(), String> {
    let len = match &array.data {
        ArrayData::F64(v) => v.len(),
        ArrayData::F32(v) => v.len(),
    };
    let size = array
        .shape
        .iter()
        .try_fold(1usize, |size, &dim| size.checked_mul(dim));
    if size == Some(len) {
        Ok(())
    } else {
        Err(format!("shape {:?} but {len} values", array.shape))
    }
}

/// A plan whose (run id, replicate) pairs are distinct: a repeated pair (duplicate sweep
/// values such as `1` and `1.0`) would otherwise fail deep inside SQLite.
pub(crate) fn plan(dir: &Path, plan: &StudyPlan) -> Result<()> {
    schema(&plan.schema)?;
    let mut seen = HashSet::new();
    for run in &plan.runs {
        if !seen.insert((run.run_id.as_str(), run.replicate)) {
            return Err(Error::Conflict {
                dir: dir.to_path_buf(),
                message: format!(
                    "{} defines {} twice (a repeated sweep value?); every run of a study must be distinct",
                    plan.source_path.display(),
                    crate::reconcile::describe((&run.run_id, run.replicate), &run.axes)
                ),
            });
        }
    }
    Ok(())
}
