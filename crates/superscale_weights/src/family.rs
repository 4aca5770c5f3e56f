//! A family of widths (`docs/science/superposition.md` §3.4, §3.6): where each member's loss
//! comes from, and which tensor of each file is measured. The fits of MSO and loss against m
//! are `superscale_measure::fit_family`.
//!
//! Precedence of a member's loss: an explicit value (`--loss FILE=VALUE`, Python `losses=`),
//! then a row of a loss table (`--losses table.csv`, columns `file,loss`), then the `loss`
//! entry of the safetensors `__metadata__` (written by `superscale run --save-weights`).

use crate::error::{Error, Result};
use crate::file::WeightFile;
use std::path::{Path, PathBuf};

/// Where a member's loss came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LossSource {
    /// an explicit value (`--loss FILE=VALUE`)
    Argument,
    /// a row of a loss table (`--losses table.csv`)
    Table(PathBuf),
    /// the `loss` entry of the safetensors `__metadata__`
    Metadata,
}

impl LossSource {
    /// `argument`, `table` or `metadata`, as the family table prints it.
    pub fn name(&self) -> &'static str {
        match self {
            LossSource::Argument => "argument",
            LossSource::Table(_) => "table",
            LossSource::Metadata => "metadata",
        }
    }
}

/// One given loss before it is matched to an input file.
#[derive(Debug, Clone, PartialEq)]
pub struct LossEntry {
    /// how the value was given, for error messages (`--loss w.npy=0.3`, `t.csv:4: field file`)
    pub origin: String,
    /// the file as written
    pub file: String,
    /// the loss
    pub loss: f64,
    /// a directory against which a relative `file` is also tried (the table's own)
    pub base: Option<PathBuf>,
}

fn loss_error(origin: &str, reason: impl Into<String>) -> Error {
    Error::Loss {
        origin: origin.to_string(),
        reason: reason.into(),
    }
}

/// Parses a loss: a finite positive number, since its logarithm is fitted (§2.4: OLS of ln L
/// on ln m).
pub fn parse_loss(origin: &str, text: &str) -> Result<f64> {
    let text = text.trim();
    let value: f64 = text
        .parse()
        .map_err(|_| loss_error(origin, format!("{text:?} is not a number")))?;
    if !(value.is_finite() && value > 0.0) {
        return Err(loss_error(
            origin,
            format!(
                "the loss must be a positive finite number (its logarithm is fitted), not {value}"
            ),
        ));
    }
    Ok(value)
}

/// `FILE=VALUE` (the last `=` splits, so file names may contain `=`).
pub fn parse_loss_argument(text: &str) -> Result<LossEntry> {
    let origin = format!("--loss {text}");
    let Some((file, value)) = text.rsplit_once('=') else {
        return Err(loss_error(&origin, "expected FILE=VALUE"));
    };
    if file.is_empty() {
        return Err(loss_error(
            &origin,
            "expected FILE=VALUE (the file is empty)",
        ));
    }
    Ok(LossEntry {
        loss: parse_loss(&origin, value)?,
        origin,
        file: file.to_string(),
        base: None,
    })
}

fn unquote(field: &str) -> &str {
    let field = field.trim();
    field
        .strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .unwrap_or(field)
}

/// The rows of a loss table: a CSV with a header naming the columns `file` and `loss` (other
/// columns are ignored; fields may be double-quoted but may not contain commas).
pub fn read_loss_table(path: &Path) -> Result<Vec<LossEntry>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let shown = path.display().to_string();
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(loss_error(
            &shown,
            "empty table (expected columns file,loss)",
        ));
    };
    let columns: Vec<&str> = header.split(',').map(unquote).collect();
    let find = |name: &str| {
        columns.iter().position(|c| *c == name).ok_or_else(|| {
            loss_error(
                &shown,
                format!("no column {name:?} (columns: {})", columns.join(", ")),
            )
        })
    };
    let (file_column, loss_column) = (find("file")?, find("loss")?);
    let base = path.parent().map(Path::to_path_buf);
    let mut out = Vec::new();
    for (index, line) in lines {
        let fields: Vec<&str> = line.split(',').map(unquote).collect();
        let field = |column: usize, name: &str| {
            fields.get(column).copied().ok_or_else(|| {
                loss_error(
                    &format!("{shown}:{}", index + 1),
                    format!(
                        "no field {name} ({} fields, header has {})",
                        fields.len(),
                        columns.len()
                    ),
                )
            })
        };
        let file = field(file_column, "file")?;
        let loss = parse_loss(
            &format!("{shown}:{}: field loss", index + 1),
            field(loss_column, "loss")?,
        )?;
        out.push(LossEntry {
            origin: format!("{shown}:{}: field file", index + 1),
            file: file.to_string(),
            loss,
            base: base.clone(),
        });
    }
    Ok(out)
}

/// The `loss` entry of a safetensors file's `__metadata__`, if there is one.
pub fn metadata_loss(file: &WeightFile) -> Result<Option<f64>> {
    let metadata = file.metadata()?;
    let Some(text) = metadata.get("loss") else {
        return Ok(None);
    };
    let origin = format!("{}: __metadata__ field \"loss\"", file.path().display());
    parse_loss(&origin, text).map(Some)
}

/// A member's loss: the given one (argument or table), else the `loss` entry of the file's
/// safetensors metadata.
pub fn member_loss(
    file: &WeightFile,
    given: Option<(f64, LossSource)>,
) -> Result<Option<(f64, LossSource)>> {
    if given.is_some() {
        return Ok(given);
    }
    Ok(metadata_loss(file)?.map(|loss| (loss, LossSource::Metadata)))
}

/// Whether `entry` names `input`: the same path, the same file once both are resolved
/// (relative to the current directory, or to the table's directory), or its bare file name.
fn names(entry: &LossEntry, input: &Path) -> bool {
    let written = Path::new(&entry.file);
    if written == input {
        return true;
    }
    let same = |candidate: &Path| match (candidate.canonicalize(), input.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(written) || entry.base.as_ref().is_some_and(|b| same(&b.join(written))) {
        return true;
    }
    written.components().count() == 1 && input.file_name() == Some(written.as_os_str())
}

fn assign(
    inputs: &[PathBuf],
    entries: &[LossEntry],
    source: &LossSource,
    out: &mut [Option<(f64, LossSource)>],
) -> Result<()> {
    let mut given = vec![false; inputs.len()];
    let listed = || {
        let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        names.join(", ")
    };
    for entry in entries {
        let hits: Vec<usize> = (0..inputs.len())
            .filter(|&i| names(entry, &inputs[i]))
            .collect();
        let &[index] = hits.as_slice() else {
            let reason = if hits.is_empty() {
                format!(
                    "{} is not one of the input files ({})",
                    entry.file,
                    listed()
                )
            } else {
                format!("{} names several input files; give its path", entry.file)
            };
            return Err(loss_error(&entry.origin, reason));
        };
        if std::mem::replace(&mut given[index], true) {
            return Err(loss_error(
                &entry.origin,
                format!("a second loss for {}", inputs[index].display()),
            ));
        }
        out[index] = Some((entry.loss, source.clone()));
    }
    Ok(())
}

/// Each input's loss from the explicit values and the table (explicit values win); the
/// caller fills the rest from the metadata ([`metadata_loss`]).
pub fn assign_losses(
    inputs: &[PathBuf],
    explicit: &[LossEntry],
    table: Option<(&Path, &[LossEntry])>,
) -> Result<Vec<Option<(f64, LossSource)>>> {
    let mut out = vec![None; inputs.len()];
    if let Some((path, rows)) = table {
        assign(
            inputs,
            rows,
            &LossSource::Table(path.to_path_buf()),
            &mut out,
        )?;
    }
    assign(inputs, explicit, &LossSource::Argument, &mut out)?;
    Ok(out)
}

/// The matrix of a file to measure: `requested`, or the file's only 2-D tensor.
pub fn chosen_tensor(file: &WeightFile, requested: Option<&str>) -> Result<String> {
    if let Some(name) = requested {
        return Ok(name.to_string());
    }
    let matrices: Vec<String> = file
        .tensors()?
        .into_iter()
        .filter(|t| t.shape.len() == 2)
        .map(|t| t.name)
        .collect();
    match matrices.as_slice() {
        [only] => Ok(only.clone()),
        _ => Err(Error::TensorNeeded {
            path: file.path().to_path_buf(),
            available: matrices.join(", "),
        }),
    }
}

#[cfg(test)]
#[path = "family_tests.rs"]
mod tests;
