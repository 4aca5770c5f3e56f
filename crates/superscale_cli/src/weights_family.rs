//! A family of widths in `superscale weights` (`docs/science/superposition.md` §3.4, §3.6):
//! each file's loss (from `--loss`, `--losses` or the safetensors metadata), the table, and the
//! power-law fits of MSO and loss against m.

use crate::output::UserError;
use crate::weights_command::WeightsArgs;
use crate::weights_output::method_name;
use anyhow::Result;
use std::fmt::Write as _;
use std::path::PathBuf;
use superscale_measure::{FamilyFits, FitOutcome, WeightStats};
use superscale_weights::{
    assign_losses, metadata_loss, parse_loss_argument, read_loss_table, LossSource, Orientation,
    WeightFile,
};

/// One measured file of a family.
pub struct Member {
    /// the file as given
    pub path: PathBuf,
    /// the measured tensor
    pub tensor: String,
    /// its geometry
    pub stats: WeightStats,
    /// its loss and where it came from
    pub loss: Option<(f64, LossSource)>,
}

fn user(err: superscale_weights::Error) -> anyhow::Error {
    UserError(err.to_string()).into()
}

/// The losses given on the command line (`--loss`, then `--losses`), one slot per input
/// file; checked before anything is measured so a typo fails fast.
pub fn given_losses(args: &WeightsArgs) -> Result<Vec<Option<(f64, LossSource)>>> {
    let explicit = args
        .losses
        .iter()
        .map(|text| parse_loss_argument(text))
        .collect::<superscale_weights::Result<Vec<_>>>()
        .map_err(user)?;
    let table = match &args.loss_table {
        Some(path) if !path.exists() => {
            return Err(UserError(format!("{}: no such file (--losses)", path.display())).into())
        }
        Some(path) => Some((path.as_path(), read_loss_table(path).map_err(user)?)),
        None => None,
    };
    let table = table.as_ref().map(|(path, rows)| (*path, rows.as_slice()));
    assign_losses(&args.files, &explicit, table).map_err(user)
}

/// A given loss, else the `loss` entry of the file's safetensors metadata.
pub fn loss_of(
    file: &WeightFile,
    given: Option<(f64, LossSource)>,
) -> Result<Option<(f64, LossSource)>> {
    if given.is_some() {
        return Ok(given);
    }
    Ok(metadata_loss(file)
        .map_err(user)?
        .map(|loss| (loss, LossSource::Metadata)))
}

fn fit_line(t: &mut String, what: &str, outcome: &FitOutcome, resamples: usize) -> Result<()> {
    match outcome {
        Ok(fit) => writeln!(
            t,
            "fit {what} over {} files: slope = {:.4} ± {:.4} (SE), {:.0} % CI [{:.4}, {:.4}] \
             (bootstrap, {} resamples{}), R² = {:.4}",
            fit.n_points,
            fit.exponent,
            fit.exponent_se,
            100.0 * fit.level,
            fit.lower,
            fit.upper,
            resamples,
            if fit.failed_resamples > 0 {
                format!(", {} degenerate left out", fit.failed_resamples)
            } else {
                String::new()
            },
            fit.r_squared
        )?,
        Err(reason) => writeln!(t, "fit {what}: {reason}")?,
    }
    Ok(())
}

/// The family table and its two fits, as printed.
pub fn family_text(
    members: &[Member],
    orientation: Orientation,
    fits: &FamilyFits,
    resamples: usize,
) -> Result<String> {
    let mut t = format!("features are {}\n", orientation.name());
    writeln!(
        t,
        "{:<40} {:>8} {:>6} {:>10} {:>12} {:>12} {:>12} {:>8} {:>12}  loss from; method",
        "file", "n", "m", "norm mean", "MSO", "kappa^2", "mean|cos|", "m*MSO", "loss"
    )?;
    for member in members {
        let s = &member.stats;
        let (loss, source) = match &member.loss {
            Some((value, source)) => (format!("{value:.5e}"), source.name()),
            None => ("-".to_string(), "-"),
        };
        writeln!(
            t,
            "{:<40} {:>8} {:>6} {:>10.4} {:>12.4e} {:>12.4e} {:>12.4e} {:>8.4} {:>12}  {}; {}",
            member.path.display(),
            s.rows,
            s.width,
            s.norms.mean,
            s.overlap.mean_sq,
            s.welch_sq,
            s.overlap.mean_abs,
            s.m_times_mso,
            loss,
            source,
            method_name(s.overlap.method)
        )?;
    }
    fit_line(&mut t, "MSO ∝ m^-slope", &fits.mso, resamples)?;
    if fits.mso.is_ok() {
        writeln!(t, "  (slope 1 for directions as random, §3.4)")?;
    }
    fit_line(&mut t, "loss ∝ m^-slope", &fits.loss, resamples)?;
    if fits.loss.is_ok() {
        writeln!(
            t,
            "  (α_m ≈ 1 in strong superposition, small in weak, §3.2; LLMs 0.91 ± 0.04, §3.6)"
        )?;
    }
    Ok(t)
}
