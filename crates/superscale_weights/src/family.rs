//! A family of widths (`docs/science/superposition.md` §3.4, §3.6): where each member's loss comes
//! from, and the power-law fits of the mean squared overlap and of the loss against m.
//!
//! Precedence of a member's loss: an explicit value (`--loss FILE=VALUE`, Python `losses=`),
//! then a row of a loss table (`--losses table.csv`, columns `file,loss`), then the `loss`
//! entry of the safetensors `__metadata__` (written by `superscale run --save-weights`).

use crate::error::{Error, Result};
use crate::file::WeightFile;
use std::path::{Path, PathBuf};
use superscale_fit::Points;
use superscale_fit::{bootstrap_law, fit_law, ols_log_log, BootstrapOptions, Form, LawOptions};

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

/// y ∝ m^−exponent by log-log OLS (the paper's protocol, §2.4) with the standard error of the
/// slope and a bootstrap percentile interval of the exponent (`superscale_fit`).
#[derive(Debug, Clone, PartialEq)]
pub struct PowerLawFit {
    /// the exponent α in y ∝ m^−α
    pub exponent: f64,
    /// OLS standard error of the slope
    pub exponent_se: f64,
    /// c in ln y = c − α ln m
    pub intercept: f64,
    /// R² of the log-log fit
    pub r_squared: f64,
    /// points fitted
    pub n_points: usize,
    /// lower bound of the bootstrap percentile interval of α
    pub lower: f64,
    /// upper bound of that interval
    pub upper: f64,
    /// its coverage (e.g. 0.95)
    pub level: f64,
    /// resamples whose refit failed (all resampled points at one width) and were left out
    pub failed_resamples: usize,
}

/// Fits y ∝ m^−α (OLS in log-log) and bootstraps α over the points.
pub fn fit_power_law(
    width: &[f64],
    y: &[f64],
    bootstrap: &BootstrapOptions,
) -> superscale_fit::Result<PowerLawFit> {
    let ols = ols_log_log(width, y)?;
    let points = Points::new(width.to_vec(), y.to_vec());
    let options = LawOptions::default();
    let law = fit_law(Form::Power, &points, &options)?;
    let resampled = bootstrap_law(&law, &points, None, &options, bootstrap)?;
    // The power law's exponent is its quantity "alpha" (`Form::parameter_names`).
    let (lower, upper) = resampled
        .quantity("alpha")
        .map_or((f64::NAN, f64::NAN), |q| (q.lower, q.upper));
    Ok(PowerLawFit {
        exponent: ols.exponent,
        exponent_se: ols.exponent_se,
        intercept: ols.intercept,
        r_squared: ols.r_squared,
        n_points: ols.n_points,
        lower,
        upper,
        level: resampled.level,
        failed_resamples: resampled.failed,
    })
}

/// A fit, or why there is none (too few files, no losses, a failed fit).
pub type FitOutcome = std::result::Result<PowerLawFit, String>;

/// The two fits of the §3.6 figure over a family: MSO against m over every member, and the
/// loss against m over the members that have one.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyFits {
    /// MSO ∝ m^−slope (≈ 1 for directions as random, §3.4)
    pub mso: FitOutcome,
    /// L ∝ m^−α_m (≈ 1 in strong superposition, §3.2, §3.6)
    pub loss: FitOutcome,
    /// members with a loss
    pub with_loss: usize,
}

/// Fits MSO and loss against m; `members` are (m, MSO, loss).
pub fn fit_family(
    members: &[(usize, f64, Option<f64>)],
    bootstrap: &BootstrapOptions,
) -> FamilyFits {
    let fit = |points: Vec<(f64, f64)>, what: &str| -> FitOutcome {
        if points.len() < 3 {
            return Err(format!(
                "not fitted: {} file(s) with {what}, 3 needed",
                points.len()
            ));
        }
        let (x, y): (Vec<f64>, Vec<f64>) = points.into_iter().unzip();
        fit_power_law(&x, &y, bootstrap).map_err(|err| format!("not fitted: {err}"))
    };
    let mso = members.iter().map(|&(m, v, _)| (m as f64, v)).collect();
    let losses: Vec<(f64, f64)> = members
        .iter()
        .filter_map(|&(m, _, l)| l.map(|l| (m as f64, l)))
        .collect();
    let with_loss = losses.len();
    let loss = if with_loss == 0 {
        Err(
            "no file has a loss (give --loss FILE=VALUE or --losses table.csv, or save \
             weights with superscale run --save-weights): MSO only"
                .into(),
        )
    } else {
        fit(losses, "a loss")
    };
    FamilyFits {
        mso: fit(mso, "an MSO"),
        loss,
        with_loss,
    }
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
