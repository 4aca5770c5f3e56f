//! Experiment files: the common fields, a kind's tables, and a `[sweep]` of dotted paths to
//! value lists (`docs/architecture.md`, "One experiment file format").

use crate::error::{Error, Result, Violation};
use crate::kind_spec::KindSpec;
use crate::location::{line_column, line_of, line_of_parts};
use crate::run_spec::RunSpec;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// The fields every experiment file may hold, whatever its kind.
pub const COMMON_FIELDS: [&str; 6] = ["name", "description", "kind", "seed", "replicates", "sweep"];

/// The kind of the toy models of superposition, the default when a file names none.
pub const DEFAULT_KIND: &str = "toy";

/// The most runs one study may stand for (sweep points × replicates). A sweep is counted
/// before it is expanded, so a mistyped axis is refused at once instead of filling memory
/// (`docs/reliability.md`, "Resource limits").
pub const MAX_RUNS: u64 = 1_000_000;

/// The longest study name: the name becomes a directory, and file systems refuse names
/// past 255 bytes with the run and table names appended.
pub const MAX_NAME_LENGTH: usize = 100;

/// One run of a study: a sweep point and a replicate.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPoint<R = RunSpec> {
    /// position in the study's fixed order
    pub index: usize,
    /// content hash of the canonical spec (shared by the replicates of a point)
    pub run_id: String,
    /// replicate number, 0-based
    pub replicate: u32,
    /// the seed of this replicate, derived from (run id, replicate)
    pub seed: u64,
    /// the full spec of the run
    pub spec: R,
    /// the sweep point it belongs to (an index into [`Experiment::sweep`])
    pub sweep_index: usize,
    /// the sweep axes' values at this point, as (dotted path, value) in axis order, then
    /// the kind's own labels of the run (e.g. a network's modality)
    pub axes: Vec<(String, String)>,
}

/// A validated, expanded experiment of kind `S`.
#[derive(Debug, Clone)]
pub struct Experiment<S: KindSpec = RunSpec> {
    /// the study's name (used for its output directory)
    pub name: String,
    /// free text
    pub description: String,
    /// the kind's name (`S::KIND`)
    pub kind: String,
    /// the study's seed (0 when the file sets none)
    pub seed: u64,
    /// replicates per sweep point
    pub replicates: u32,
    /// sweep axes in expansion order (first varies slowest)
    pub axes: Vec<(String, Vec<toml::Value>)>,
    /// every run, sweep points × the runs each stands for
    pub points: Vec<RunPoint<S::Run>>,
    /// the kind's tables at each sweep point, in sweep order
    pub sweep: Vec<S>,
    /// the study tables (`S::STUDY_TABLES`), read with [`Experiment::settings`]
    pub settings: toml::Table,
    /// the file's text, kept so a study records exactly what was asked
    pub source: String,
    /// where it was read from
    pub path: PathBuf,
}

/// The kind an experiment file declares (`kind = "..."`, [`DEFAULT_KIND`] when absent),
/// read before the file is parsed as that kind.
pub fn kind_of(text: &str, path: &Path) -> Result<String> {
    let table = parse_table(text, path)?;
    match table.get("kind") {
        None => Ok(DEFAULT_KIND.to_string()),
        Some(toml::Value::String(kind)) => Ok(kind.clone()),
        Some(other) => Err(Error::Invalid {
            path: path.to_path_buf(),
            line: line_of(text, "kind"),
            field: "kind".into(),
            message: format!("{other}: the kind is a name, such as \"toy\""),
        }),
    }
}

fn parse_table(text: &str, path: &Path) -> Result<toml::Table> {
    text.parse().map_err(|err: toml::de::Error| {
        let (line, column) = line_column(text, err.span().map_or(0, |s| s.start));
        Error::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: err.message().to_string(),
        }
    })
}

impl Experiment {
    /// Reads and validates a toy-model experiment file.
    pub fn load(path: &Path) -> Result<Self> {
        Self::read(path)
    }

    /// Validates a toy-model experiment given as text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        Self::from_text(text, path)
    }
}

impl<S: KindSpec> Experiment<S> {
    /// Reads and validates an experiment file of kind `S`.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_text(&text, path)
    }

    /// Validates an experiment of kind `S` given as text; `path` is used in messages.
    pub fn from_text(text: &str, path: &Path) -> Result<Self> {
        let located = |field: &str, message: String, swept: Option<&str>| Error::Invalid {
            path: path.to_path_buf(),
            line: swept.map_or_else(
                || line_of(text, field),
                |axis| line_of_parts(text, &["sweep", axis]),
            ),
            field: field.to_string(),
            message,
        };
        let mut table = parse_table(text, path)?;
        let kind = match table.remove("kind") {
            None => DEFAULT_KIND.to_string(),
            Some(toml::Value::String(kind)) => kind,
            Some(other) => {
                return Err(located(
                    "kind",
                    format!("{other}: the kind is a name, such as \"toy\""),
                    None,
                ))
            }
        };
        if kind != S::KIND {
            return Err(located(
                "kind",
                format!("this is a \"{kind}\" experiment, not a \"{}\" one", S::KIND),
                None,
            ));
        }
        let allowed: Vec<&str> = COMMON_FIELDS
            .iter()
            .chain(S::POINT_TABLES)
            .chain(S::STUDY_TABLES)
            .filter(|field| **field != "kind")
            .copied()
            .collect();
        if let Some(unknown) = table.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(located(
                unknown,
                format!(
                    "unknown field of a \"{kind}\" experiment; expected one of kind, {}",
                    allowed.join(", ")
                ),
                None,
            ));
        }
        let name = match table.remove("name") {
            Some(toml::Value::String(name)) if name.len() > MAX_NAME_LENGTH => {
                return Err(located(
                    "name",
                    format!(
                        "{} characters: a study name has at most {MAX_NAME_LENGTH}, since it \
                         names the study's directory",
                        name.chars().count()
                    ),
                    None,
                ));
            }
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
        let seed = match table.remove("seed") {
            None => 0,
            Some(toml::Value::Integer(seed)) if seed >= 0 => seed as u64,
            Some(other) => {
                return Err(located(
                    "seed",
                    format!("{other}: must be an integer ≥ 0"),
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
        let mut settings = toml::Table::new();
        for study_table in S::STUDY_TABLES {
            if let Some(value) = table.remove(*study_table) {
                settings.insert(study_table.to_string(), value);
            }
        }
        let axes = take_axes(&mut table, S::POINT_TABLES, &located)?;
        let points_count = axes.iter().try_fold(1u64, |count, (_, values)| {
            count.checked_mul(values.len() as u64)
        });
        let runs_count = points_count.and_then(|count| count.checked_mul(u64::from(replicates)));
        if runs_count.is_none_or(|count| count > MAX_RUNS) {
            let sizes: Vec<String> = axes
                .iter()
                .map(|(_, values)| values.len().to_string())
                .collect();
            return Err(located(
                "sweep",
                format!(
                    "{} points × {replicates} replicates is more than the {MAX_RUNS} runs one \
                     study may hold; split the sweep into several studies",
                    if sizes.is_empty() {
                        "1".to_string()
                    } else {
                        sizes.join(" × ")
                    },
                ),
                None,
            ));
        }
        let mut points = Vec::new();
        let mut sweep = Vec::new();
        for combination in Combinations::new(&axes) {
            let mut point_table = table.clone();
            let mut labels = Vec::new();
            for (axis, value) in axes.iter().map(|(axis, _)| axis).zip(&combination) {
                set_path(&mut point_table, axis, value.clone())
                    .map_err(|message| located(axis, message, Some(axis)))?;
                labels.push((axis.clone(), display(value)));
            }
            let swept = |field: &str| swept_axis(&axes, field);
            let spec: S = serde_path_to_error::deserialize(toml::Value::Table(point_table.clone()))
                .map_err(|err| {
                    let message = err.inner().message().to_string();
                    let field = failing_field(&err.path().to_string(), &message);
                    let field = with_variant_key(&point_table, field, &message);
                    located(&field, message, swept(&field))
                })?;
            let planned = spec
                .validate()
                .and_then(|()| spec.runs(seed, replicates))
                .map_err(|Violation { field, message }| located(&field, message, swept(&field)))?;
            for run in planned {
                let index = points.len();
                let mut axes = labels.clone();
                axes.extend(run.labels);
                points.push(RunPoint {
                    index,
                    run_id: run.run_id,
                    replicate: run.replicate,
                    seed: run.seed,
                    spec: run.spec,
                    sweep_index: sweep.len(),
                    axes,
                });
            }
            sweep.push(spec);
        }
        Ok(Self {
            name,
            description,
            kind,
            seed,
            replicates,
            axes,
            points,
            sweep,
            settings,
            source: text.to_string(),
            path: path.to_path_buf(),
        })
    }

    /// The study tables read as `T` (a struct with one field per table of
    /// `S::STUDY_TABLES`); a mistake names the file, line and field.
    pub fn settings<T: DeserializeOwned>(&self) -> Result<T> {
        serde_path_to_error::deserialize(toml::Value::Table(self.settings.clone())).map_err(|err| {
            let message = err.inner().message().to_string();
            let field = failing_field(&err.path().to_string(), &message);
            self.locate(Violation { field, message })
        })
    }

    /// A violation of a study-wide rule, located in this experiment's file.
    pub fn locate(&self, violation: Violation) -> Error {
        let swept = swept_axis(&self.axes, &violation.field);
        Error::Invalid {
            path: self.path.clone(),
            line: swept.map_or_else(
                || line_of(&self.source, &violation.field),
                |axis| line_of_parts(&self.source, &["sweep", axis]),
            ),
            field: violation.field,
            message: violation.message,
        }
    }
}

/// The sweep axis that sets `field`: the axis itself, or a whole table swept (e.g. the
/// axis `model` for the field `model.shape`).
fn swept_axis<'a>(axes: &'a [(String, Vec<toml::Value>)], field: &str) -> Option<&'a str> {
    axes.iter()
        .find(|(axis, _)| {
            field
                .strip_prefix(axis.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
        .map(|(axis, _)| axis.as_str())
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
    point_tables: &[&str],
    located: &impl Fn(&str, String, Option<&str>) -> Error,
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
        if !point_tables.iter().any(|table| {
            // a field of a point table, or the whole table (a list of inline tables)
            axis.strip_prefix(table)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        }) {
            return Err(located(
                &field,
                format!(
                    "a sweep axis is a dotted path into {}",
                    point_tables.join(", ")
                ),
                Some(&axis),
            ));
        }
        if let Some((first, second)) = repeated_value(&values) {
            return Err(located(
                &field,
                format!(
                    "values {} and {} are the same point; every value of an axis must differ",
                    values[first], values[second]
                ),
                Some(&axis),
            ));
        }
        axes.push((axis, values));
    }
    Ok(axes)
}

/// The positions of the first two equal values of a sweep axis, if any. An integer and a
/// float of the same number (`1` and `1.0`) are equal: both give the same run spec.
fn repeated_value(values: &[toml::Value]) -> Option<(usize, usize)> {
    let same = |a: &toml::Value, b: &toml::Value| match (a, b) {
        (toml::Value::Integer(i), toml::Value::Float(f))
        | (toml::Value::Float(f), toml::Value::Integer(i)) => *f == *i as f64,
        (a, b) => a == b,
    };
    (0..values.len()).find_map(|second| {
        (0..second)
            .find(|&first| same(&values[first], &values[second]))
            .map(|first| (first, second))
    })
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
