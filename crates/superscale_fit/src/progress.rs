//! What a long fit tells its caller as it goes: the work planned before it starts, and each
//! unit done. The library prints nothing; `superscale fit` draws bars on a terminal from
//! these calls. Calls may come from several threads at once (the bootstrap's resamples run
//! on rayon), in any order within a stage.

use crate::law::{Form, LawOptions, Points};
use crate::offset_power_law::default_starts;

/// A stage of a table fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FitStage {
    /// the fit to every point
    Fit,
    /// the bootstrap's refits, one optimiser run per resample
    Bootstrap,
    /// the fit without the largest scales
    Holdout,
}

impl FitStage {
    /// Its name, for a progress line.
    pub fn name(self) -> &'static str {
        match self {
            FitStage::Fit => "fit",
            FitStage::Bootstrap => "bootstrap",
            FitStage::Holdout => "holdout fit",
        }
    }
}

/// The work of a table fit, known before it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitWork {
    /// points fitted
    pub points: usize,
    /// optimiser runs of one full fit (the multi-start or refinement count; 1 for the
    /// closed-form power law)
    pub starts: usize,
    /// bootstrap resamples, each refitted with one optimiser run (0: no bootstrap)
    pub resamples: usize,
    /// whether a holdout fit (another full fit) follows
    pub holdout: bool,
}

impl FitWork {
    /// The work of fitting `form` to `points` with `options`, then `resamples` bootstrap
    /// refits and, when `holdout`, one more full fit.
    pub fn of(
        form: Form,
        points: &Points,
        options: &LawOptions,
        resamples: usize,
        holdout: bool,
    ) -> Self {
        let starts = match form {
            Form::Power => 1,
            Form::OffsetPower => match &options.offset_power.starts {
                Some(starts) => starts.len(),
                None if points.is_empty() => 0,
                None => default_starts(&points.x, &points.y).len(),
            },
            Form::Chinchilla => {
                let grid = &options.chinchilla.starts;
                [
                    &grid.alpha,
                    &grid.beta,
                    &grid.log_e,
                    &grid.log_a,
                    &grid.log_b,
                ]
                .iter()
                .fold(1usize, |n, axis| n.saturating_mul(axis.len()))
            }
            // the grid search is cheap beside the Levenberg–Marquardt refinements
            Form::Bnsl { .. } => options.bnsl.refine_top,
        };
        Self {
            points: points.len(),
            starts,
            resamples,
            holdout,
        }
    }

    /// Optimiser runs in all: the fit, one per resample, and the holdout fit.
    pub fn optimiser_runs(&self) -> usize {
        let fits = if self.holdout { 2 } else { 1 };
        self.starts
            .saturating_mul(fits)
            .saturating_add(self.resamples)
    }

    /// One line saying what is about to run, e.g. "1 fit from 16 starts on 1000 points, then
    /// 1000 bootstrap refits: 1016 optimiser runs".
    pub fn describe(&self) -> String {
        let mut text = format!(
            "1 fit from {} start{} on {} points",
            self.starts,
            if self.starts == 1 { "" } else { "s" },
            self.points
        );
        if self.resamples > 0 {
            text += &format!(", then {} bootstrap refits", self.resamples);
        }
        if self.holdout {
            text += &format!(", then 1 holdout fit from {} starts", self.starts);
        }
        let runs = self.optimiser_runs();
        text + &format!(": {runs} optimiser run{}", if runs == 1 { "" } else { "s" })
    }
}

/// Hears a table fit's progress. Every method has an empty default, so an observer takes
/// only what it shows.
pub trait FitObserver: Sync {
    /// The work, once, before anything is fitted.
    fn planned(&self, _work: &FitWork) {}
    /// A stage starts with `units` units (starts of a fit, resamples of the bootstrap).
    fn started(&self, _stage: FitStage, _units: usize) {}
    /// One unit of `stage` is done (a bootstrap resample refitted, failed or not).
    fn advanced(&self, _stage: FitStage) {}
    /// `stage` ended.
    fn finished(&self, _stage: FitStage) {}
}

/// The observer that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl FitObserver for Silent {}
