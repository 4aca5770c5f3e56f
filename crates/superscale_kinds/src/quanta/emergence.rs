//! Per-subtask emergence: learning times, the single-drop test and the learning-time vs
//! frequency law (`docs/science/quanta.md` §2.3, §3 C3).

use super::error::{Error, Result};
use super::train::RunResult;
use serde::{Deserialize, Serialize};
use superscale_fit::ols_log_log;

/// A subtask counts as learned at the first eval step with loss below this (bits; §2.3:
/// "Converged means subtask loss < 0.1 bits").
pub const LEARNED_BELOW_BITS: f64 = 0.1;
/// Loss above this is "at chance" (chance is 1 bit; §3 C3: "drops from > 0.9 bits").
pub const CHANCE_ABOVE_BITS: f64 = 0.9;
/// A single drop goes from chance to learned within this factor of steps (§3 C3: ≤ 1 decade).
pub const DROP_WITHIN_FACTOR: f64 = 10.0;
/// After it is learned, a single-drop subtask never climbs back above this (bits).
pub const RELAPSE_ABOVE_BITS: f64 = 0.5;

/// How one subtask was learned over a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskEmergence {
    /// task index (0 = most frequent)
    pub task: usize,
    /// p_t
    pub frequency: f64,
    /// first eval step with loss < 0.1 bits
    pub learning_step: Option<u64>,
    /// last eval step before `learning_step` with loss > 0.9 bits
    pub last_chance_step: Option<u64>,
    /// whether the profile is a single drop (see [`task_emergence`])
    pub single_drop: bool,
}

/// Where one loss curve (in units of its chance level: bits for a task, the relative error
/// for a toy-model feature) crosses the thresholds, over ascending scales.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DropProfile {
    /// index of the first scale with loss < 0.1
    pub learned: Option<usize>,
    /// index of the last scale before `learned` with loss > 0.9
    pub last_chance: Option<usize>,
    /// whether the profile is a single drop (see [`drop_profile`])
    pub single_drop: bool,
}

/// The single-drop test of §3 C3 on one curve. Single drop: (1) the loss was above 0.9
/// at some scale before it first fell below 0.1, (2) the last such scale is within a factor
/// 10 of the learning scale (scale 0 counts as 1, so a curve learned in the first decade
/// qualifies), and (3) afterwards the loss never climbs above 0.5. A curve learned while
/// never seen at chance, or that relapses, is not a single drop.
pub fn drop_profile(scale: &[u64], losses: &[f64]) -> DropProfile {
    let learned = losses.iter().position(|&l| l < LEARNED_BELOW_BITS);
    let last_chance =
        learned.and_then(|i| losses[..i].iter().rposition(|&l| l > CHANCE_ABOVE_BITS));
    let single_drop = match (learned, last_chance) {
        (Some(i), Some(chance)) => {
            scale[i] as f64 <= DROP_WITHIN_FACTOR * scale[chance].max(1) as f64
                && losses[i..].iter().all(|&l| l <= RELAPSE_ABOVE_BITS)
        }
        _ => false,
    };
    DropProfile {
        learned,
        last_chance,
        single_drop,
    }
}

/// Learning time and drop profile of every task from the per-task losses of a run
/// ([`drop_profile`] over the eval steps).
pub fn task_emergence(run: &RunResult, frequencies: &[f64]) -> Vec<TaskEmergence> {
    frequencies
        .iter()
        .enumerate()
        .map(|(task, &frequency)| {
            let losses: Vec<f64> = run.task_loss_bits.iter().map(|row| row[task]).collect();
            let profile = drop_profile(&run.eval_steps, &losses);
            TaskEmergence {
                task,
                frequency,
                learning_step: profile.learned.map(|i| run.eval_steps[i]),
                last_chance_step: profile.last_chance.map(|i| run.eval_steps[i]),
                single_drop: profile.single_drop,
            }
        })
        .collect()
}

/// The emergence summary of a run (§3 C3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmergenceSummary {
    /// tasks learned by the end of the run
    pub n_learned: usize,
    /// learned tasks with a single-drop profile
    pub n_single_drop: usize,
    /// slope of ln(learning step) on ln(p_t) over learned tasks (theory −1)
    pub slope: f64,
    /// its OLS standard error
    pub slope_se: f64,
    /// R² of that fit
    pub r_squared: f64,
}

impl EmergenceSummary {
    /// n_single_drop / n_learned (0 when nothing was learned).
    pub fn single_drop_fraction(&self) -> f64 {
        self.n_single_drop as f64 / self.n_learned.max(1) as f64
    }
}

/// Counts learned and single-drop tasks and fits learning time vs frequency by OLS on
/// log-log (the notebook's fit against the `80/x` line, §2.3). Needs ≥ 3 learned tasks.
pub fn summarize_emergence(tasks: &[TaskEmergence]) -> Result<EmergenceSummary> {
    let learned: Vec<&TaskEmergence> = tasks.iter().filter(|t| t.learning_step.is_some()).collect();
    let frequency: Vec<f64> = learned.iter().map(|t| t.frequency).collect();
    // A task learned "at step 0" cannot be on a log axis; it is learned within step 1.
    let time: Vec<f64> = learned
        .iter()
        .map(|t| t.learning_step.unwrap_or(1).max(1) as f64)
        .collect();
    let fit = ols_log_log(&frequency, &time).map_err(|source| Error::Fit {
        what: "learning step vs frequency".into(),
        source,
    })?;
    Ok(EmergenceSummary {
        n_learned: learned.len(),
        n_single_drop: learned.iter().filter(|t| t.single_drop).count(),
        slope: -fit.exponent,
        slope_se: fit.exponent_se,
        r_squared: fit.r_squared,
    })
}
