//! The model exponent α_m of each sweep group: OLS of ln L on ln m (the paper's protocol,
//! `docs/science/superposition.md` §2.4), through the fitting crate.

use super::execute::{RunResult, RunStatus};
use superscale_fit::{ols_log_log, LogLogFit};

/// The axis that is the width.
pub const WIDTH_AXIS: &str = superscale_spec::ModelSpec::WIDTH_AXIS;

/// α_m of one group of runs that differ only in width (and replicate).
#[derive(Debug, Clone, PartialEq)]
pub struct WidthExponent {
    /// the other axes' values that define the group
    pub group: Vec<(String, String)>,
    /// the fit of held-out loss against m, or why there is none
    pub fit: Result<LogLogFit, String>,
    /// the (m, held-out loss) points used
    pub points: Vec<(f64, f64)>,
    /// runs left out because they diverged
    pub diverged: usize,
}

/// A run's sweep axes other than the width, with their values: the key of its width group
/// (the runs of one group differ only in width).
pub(crate) fn axes_but_width(result: &RunResult) -> Vec<(String, String)> {
    result
        .point
        .axes
        .iter()
        .filter(|(axis, _)| axis != WIDTH_AXIS)
        .cloned()
        .collect()
}

/// Groups finished runs by every sweep axis except the width and fits L_heldout ∝ m^−α_m
/// in each group. Returns nothing when the width is not swept.
pub fn fit_width_exponents(results: &[RunResult]) -> Vec<WidthExponent> {
    let mut groups: Vec<WidthExponent> = Vec::new();
    for result in results {
        if !result.point.axes.iter().any(|(axis, _)| axis == WIDTH_AXIS) {
            continue;
        }
        let group = axes_but_width(result);
        let position = match groups.iter().position(|g| g.group == group) {
            Some(position) => position,
            None => {
                groups.push(WidthExponent {
                    group,
                    fit: Err(String::new()),
                    points: Vec::new(),
                    diverged: 0,
                });
                groups.len() - 1
            }
        };
        let entry = &mut groups[position];
        match result.status {
            RunStatus::Done => entry
                .points
                .push((result.point.spec.model.width() as f64, result.loss_heldout)),
            RunStatus::Diverged { .. } => entry.diverged += 1,
        }
    }
    for entry in &mut groups {
        let (widths, losses): (Vec<f64>, Vec<f64>) = entry.points.iter().copied().unzip();
        entry.fit = ols_log_log(&widths, &losses).map_err(|err| err.to_string());
    }
    groups
}
