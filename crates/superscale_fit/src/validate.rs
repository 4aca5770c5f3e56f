//! Input checks shared by every fitter, so each error names the offending point.

use crate::error::{Error, Result};

/// Fail unless `a` and `b` have the same length.
pub(crate) fn same_length(a: &[f64], b: &[f64]) -> Result<()> {
    if a.len() == b.len() {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            x: a.len(),
            y: b.len(),
        })
    }
}

/// Fail unless there are at least `needed` points.
pub(crate) fn enough_points(form: &'static str, needed: usize, got: usize) -> Result<()> {
    if got >= needed {
        Ok(())
    } else {
        Err(Error::TooFewPoints { form, needed, got })
    }
}

/// Fail on the first NaN or infinity.
pub(crate) fn finite(what: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NotFinite {
            what,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// Natural logarithms of `values`, failing on the first non-finite or non-positive value.
pub(crate) fn logarithms(what: &'static str, values: &[f64]) -> Result<Vec<f64>> {
    finite(what, values)?;
    values
        .iter()
        .enumerate()
        .map(|(index, &value)| {
            if value > 0.0 {
                Ok(value.ln())
            } else {
                Err(Error::NonPositive { what, index, value })
            }
        })
        .collect()
}

/// Fail unless `value` is finite and strictly positive; `name` names the option.
pub(crate) fn positive_option(name: &'static str, value: f64) -> Result<()> {
    if value > 0.0 && !value.is_nan() {
        Ok(())
    } else {
        Err(Error::InvalidOption {
            name,
            reason: format!("must be positive, got {value}"),
        })
    }
}

/// Fail unless the points hold at least `parameters` distinct inputs (x, or (x, second)
/// pairs): fewer cannot determine the parameters, however many points repeat them.
pub(crate) fn identifiable(points: &crate::law::Points, parameters: usize) -> Result<()> {
    let mut inputs: Vec<(u64, u64)> = (0..points.len())
        .map(|i| {
            let second = points.second.as_ref().map_or(0.0, |s| s[i]);
            (points.x[i].to_bits(), second.to_bits())
        })
        .collect();
    inputs.sort_unstable();
    inputs.dedup();
    let needed = parameters.max(2);
    if inputs.len() >= needed {
        Ok(())
    } else {
        Err(Error::NotIdentifiable {
            parameters: needed,
            distinct: inputs.len(),
        })
    }
}
