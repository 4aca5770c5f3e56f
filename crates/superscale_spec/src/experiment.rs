//! Experiment files: a base run spec plus a `[sweep]` of dotted paths to value lists.

use crate::error::{Error, Result, Violation};
use crate::identity::{replicate_seed, run_id};
use crate::location::{line_column, line_of, line_of_parts};
use crate::run_spec::RunSpec;
use std::path::{Path, PathBuf};

const TOP_LEVEL: [&str; 7] = [
    "name",
    "description",
    "replicates",
    "model",
    "train",
    "record",
    "sweep",
];

/// One run of a study: a sweep point and a replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPoint {
    /// position in the study's fixed order
    pub index: usize,
    /// content hash of the canonical spec (shared by the replicates of a point)
    pub run_id: String,
    /// replicate number, 0-based
    pub replicate: u32,
    /// the seed of this replicate, derived from (run id, replicate)
    pub seed: u64,
    /// the full spec of the run
    pub spec: RunSpec,
    /// the sweep axes' values at this point, as (dotted path, value) in axis order
    pub axes: Vec<(String, String)>,
}

/// A validated, expanded experiment.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// the study's name (used for its output directory)
    pub name: String,
    /// free text
    pub description: String,
    /// replicates per sweep point
    pub replicates: u32,
    /// sweep axes in expansion order (first varies slowest)
    pub axes: Vec<(String, Vec<toml::Value>)>,
    /// every run, sweep points × replicates
    pub points: Vec<RunPoint>,
    /// the file's text, kept so a study records exactly what was asked
    pub source: String,
    /// where it was read from
    pub path: PathBuf,
}

impl Experiment {
    /// Reads and validates an experiment file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Validates an experiment given as text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let located = |field: &str, message: String, swept: Option<&str>| Error::Invalid {
            path: path.to_path_buf(),
            line: swept.map_or_else(
                || line_of(text, field),
                |axis| line_of_parts(text, &["sweep", axis]),
            ),
            field: field.to_string(),
            message,
        };
        let mut table: toml::Table = text.parse().map_err(|err: toml::de::Error| {
            let (line, column) = line_column(text, err.span().map_or(0, |s| s.start));
            Error::Parse {
                path: path.to_path_buf(),
                line,
                column,
                message: err.message().to_string(),
            }
        })?;
        if let Some(unknown) = table.keys().find(|k| !TOP_LEVEL.contains(&k.as_str())) {
            return Err(located(
                unknown,
                format!("unknown field; expected one of {}", TOP_LEVEL.join(", ")),
                None,
            ));
        }
        let name = match table.remove("name") {
            Some(toml::Value::String(name)) if valid_name(&name) => name,
            Some(other) => {
                return Err(located(
                    "name",
                    format!("{other}: a name of letters, digits, '-', '_' or '.'"),
                    None,
                ));
            }
            None => {
                return Err(located(
                    "name",
                    "missing: every experiment needs a name".into(),
                    None,
                ))
            }
        };
        let description = match table.remove("description") {
            Some(toml::Value::String(text)) => text,
            None => String::new(),
            Some(other) => {
                return Err(located(
                    "description",
                    format!("{other}: must be a string"),
                    None,
                ))
            }
        };
        let replicates = match table.remove("replicates") {
            None => 1,
            Some(toml::Value::Integer(count)) if (1..=100_000).contains(&count) => count as u32,
            Some(other) => {
                return Err(located(
                    "replicates",
                    format!("{other}: must be an integer ≥ 1"),
                    None,
                ))
            }
        };
        let axes = take_axes(&mut table, located)?;
        let mut points = Vec::new();
        for combination in Combinations::new(&axes) {
            let mut point_table = table.clone();
            let mut labels = Vec::new();
            for (axis, value) in axes.iter().map(|(axis, _)| axis).zip(&combination) {
                set_path(&mut point_table, axis, value.clone())
                    .map_err(|message| located(axis, message, Some(axis)))?;
                labels.push((axis.clone(), display(value)));
            }
            let swept = |field: &str| {
                axes.iter()
                    .find(|(axis, _)| axis == field)
                    .map(|(axis, _)| axis.as_str())
            };
            let spec: RunSpec = serde_path_to_error::deserialize(toml::Value::Table(
                point_table.clone(),
            ))
            .map_err(|err| {
                let message = err.inner().message().to_string();
                let field = failing_field(&err.path().to_string(), &message);
                let field = with_variant_key(&point_table, field, &message);
                located(&field, message, swept(&field))
            })?;
            spec.validate()
                .map_err(|Violation { field, message }| located(&field, message, swept(&field)))?;
            let id = run_id(&spec.canonical_json());
            for replicate in 0..replicates {
                let seed = replicate_seed(&id, replicate);
                let index = points.len();
                points.push(RunPoint {
                    index,
                    run_id: id.clone(),
                    replicate,
                    seed,
                    spec: spec.clone(),
                    axes: labels.clone(),
                });
            }
        }
        Ok(Self {
            name,
            description,
            replicates,
            axes,
            points,
            source: text.to_string(),
            path: path.to_path_buf(),
        })
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !name.starts_with('.')
}

fn take_axes(
    table: &mut toml::Table,
    located: impl Fn(&str, String, Option<&str>) -> Error,
) -> Result<Vec<(String, Vec<toml::Value>)>> {
    let Some(sweep) = table.remove("sweep") else {
        return Ok(Vec::new());
    };
    let toml::Value::Table(sweep) = sweep else {
        return Err(located(
            "sweep",
            "must be a table of \"dotted.path\" = [values]".into(),
            None,
        ));
    };
    let mut axes = Vec::new();
    for (axis, values) in sweep {
        let field = format!("sweep.{axis}");
        let values = match values {
            toml::Value::Array(values) if !values.is_empty() => values,
            _ => {
                return Err(located(
                    &field,
                    "a sweep axis must be a non-empty list of values".into(),
                    Some(&axis),
                ))
            }
        };
        if !["model.", "train.", "record."]
            .iter()
            .any(|prefix| axis.starts_with(prefix))
        {
            return Err(located(
                &field,
                "a sweep axis is a dotted path into model, train or record".into(),
                Some(&axis),
            ));
        }
        axes.push((axis, values));
    }
    Ok(axes)
}

/// Sets `dotted` (e.g. "train.schedule.peak_lr") in `table`, creating the leaf only.
fn set_path(
    table: &mut toml::Table,
    dotted: &str,
    value: toml::Value,
) -> std::result::Result<(), String> {
    let parts: Vec<&str> = dotted.split('.').collect();
    let mut current = table;
    for part in &parts[..parts.len() - 1] {
        current = match current.get_mut(*part) {
            Some(toml::Value::Table(inner)) => inner,
            _ => {
                return Err(format!(
                    "`{part}` is not a table of the spec, so `{dotted}` cannot be swept"
                ))
            }
        };
    }
    current.insert(parts[parts.len() - 1].to_string(), value);
    Ok(())
}

/// The dotted field a serde error is about: its path, plus the unknown or missing field
/// that serde names in backticks.
fn failing_field(path: &str, message: &str) -> String {
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| {
            message
                .strip_prefix(prefix)
                .and_then(|rest| rest.split('`').next())
        });
    match (path, named) {
        (".", Some(name)) | ("", Some(name)) => name.to_string(),
        (path, Some(name)) if !path.ends_with(name) => format!("{path}.{name}"),
        (path, _) => path.to_string(),
    }
}

/// serde reports an unknown enum value inside an internally tagged table (the model's
/// `variant`, the Anthropic `sampler`) at the table's path; the key holding that value
/// makes the error name the field and its line.
fn with_variant_key(table: &toml::Table, field: String, message: &str) -> String {
    let Some(value) = message
        .strip_prefix("unknown variant `")
        .and_then(|rest| rest.split('`').next())
    else {
        return field;
    };
    let mut current = table;
    for part in field.split('.').filter(|p| !p.is_empty()) {
        match current.get(part) {
            Some(toml::Value::Table(inner)) => current = inner,
            _ => return field,
        }
    }
    match current
        .iter()
        .find(|(_, v)| v.as_str() == Some(value))
        .map(|(key, _)| key)
    {
        Some(key) if field.is_empty() || field == "." => key.clone(),
        Some(key) => format!("{field}.{key}"),
        None => field,
    }
}

fn display(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// The cross product of the axes' values, first axis slowest.
struct Combinations<'a> {
    axes: &'a [(String, Vec<toml::Value>)],
    next: Option<Vec<usize>>,
}

impl<'a> Combinations<'a> {
    fn new(axes: &'a [(String, Vec<toml::Value>)]) -> Self {
        Self {
            axes,
            next: Some(vec![0; axes.len()]),
        }
    }
}

impl Iterator for Combinations<'_> {
    type Item = Vec<toml::Value>;

    fn next(&mut self) -> Option<Self::Item> {
        let current = self.next.take()?;
        let item = current
            .iter()
            .zip(self.axes)
            .map(|(&i, (_, values))| values[i].clone())
            .collect();
        let mut following = current;
        for position in (0..following.len()).rev() {
            following[position] += 1;
            if following[position] < self.axes[position].1.len() {
                self.next = Some(following);
                return Some(item);
            }
            following[position] = 0;
        }
        Some(item)
    }
}

#[cfg(test)]
#[path = "experiment_tests.rs"]
mod tests;
