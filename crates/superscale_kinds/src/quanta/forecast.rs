//! Forecasting backtests: fit on the scales up to a cutoff, predict the larger ones, and
//! compare with what happened (`docs/science/quanta.md` §5, `docs/science/fitting.md` §3;
//! issue 9 item 4).
//!
//! The aggregate loss is extrapolated with a power law (log-log OLS, 95 % prediction
//! interval) and a one-break BNSL (95 % residual-bootstrap prediction interval with
//! warm-started LM refits, `superscale_fit::bnsl::bnsl_prediction_intervals`). Each task's crossing point (the
//! first scale with loss < 0.1 bits) is predicted two ways:
//! - **own curve**: a power law fitted to that task's losses up to the cutoff, extended to
//!   0.1 bits. A task still at chance has a flat curve and no finite crossing;
//! - **frequency law**: the quanta model's order (quanta.md §2.3), ln(crossing) = a + b·ln p_t,
//!   fitted on the tasks that crossed by the cutoff and applied to the rest, with a 95 %
//!   OLS prediction interval.
//!
//! A jump is **forecastable** when its crossing was not yet seen at the cutoff, the
//! frequency law could be fitted (≥ 3 crossed tasks) and the observed crossing falls inside
//! the law's 95 % prediction interval (or, if it never crossed in the observed range, the
//! interval's lower end lies beyond the largest scale). Otherwise it is a miss (early or
//! late) or, without a law, not forecastable.

use super::emergence::LEARNED_BELOW_BITS;
use serde::{Deserialize, Serialize};
use superscale_fit::bnsl::{bnsl_prediction_intervals, BnslIntervalOptions};
use superscale_fit::{fit_bnsl, BnslOptions, PredictionLine};

/// Losses over a scale axis (steps of one run, parameters or D of a sweep).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScaleSeries {
    /// which runs the series comes from (e.g. `alpha 1.4`)
    pub group: String,
    /// what the scale is (`steps`, `parameters`, `data`)
    pub axis: String,
    /// scale values, ascending and positive
    pub scale: Vec<f64>,
    /// aggregate test loss (bits) at each scale
    pub aggregate: Vec<f64>,
    /// `[point][task]` per-task loss (bits)
    pub task_loss: Vec<Vec<f64>>,
    /// p_t of every task
    pub frequencies: Vec<f64>,
}

/// A prediction with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// point prediction
    pub predicted: f64,
    /// lower end
    pub lower: f64,
    /// upper end
    pub upper: f64,
}

/// The aggregate loss at one held-out scale.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AggregateForecast {
    /// the scale
    pub scale: f64,
    /// observed loss (bits)
    pub observed: f64,
    /// power-law prediction with its 95 % prediction interval
    pub power_law: Option<Interval>,
    /// one-break BNSL prediction with its 95 % bootstrap prediction interval (needs ≥ 7
    /// fit points; the interval is (−∞, ∞) when too few refits were usable)
    pub broken_power_law: Option<Interval>,
}

/// What became of one task's forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// already crossed at the cutoff: nothing to forecast
    KnownAtCutoff,
    /// observed crossing inside the 95 % interval: forecastable
    Hit,
    /// never crossed, and the interval said it would not within the observed range
    HitNotCrossed,
    /// crossed before the interval's lower end
    MissEarly,
    /// crossed after the upper end, or never crossed though predicted to
    MissLate,
    /// no frequency law at the cutoff (fewer than 3 tasks crossed)
    NotForecastable,
}

impl Verdict {
    /// Whether the jump counts as forecastable.
    pub fn forecastable(self) -> bool {
        matches!(self, Verdict::Hit | Verdict::HitNotCrossed)
    }
}

/// One task's forecast against its outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskForecast {
    /// task index
    pub task: usize,
    /// p_t
    pub frequency: f64,
    /// first scale with loss < 0.1 bits, if any
    pub observed_crossing: Option<f64>,
    /// crossing predicted from the task's own curve (None: flat or rising curve)
    pub own_curve: Option<f64>,
    /// crossing predicted by the frequency law
    pub frequency_law: Option<Interval>,
    /// the outcome
    pub verdict: Verdict,
}

/// A backtest at one cutoff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Backtest {
    /// the series' group
    pub group: String,
    /// the scale axis
    pub axis: String,
    /// largest scale used for fitting
    pub cutoff: f64,
    /// fitted power-law exponent of the aggregate loss (L ∝ x^−α)
    pub aggregate_exponent: Option<f64>,
    /// slope b of ln(crossing) on ln p_t at the cutoff (theory −1 for steps and data)
    pub frequency_law_slope: Option<f64>,
    /// the held-out aggregate points
    pub aggregate: Vec<AggregateForecast>,
    /// every task
    pub tasks: Vec<TaskForecast>,
}

impl Backtest {
    /// (forecastable, judged) over the tasks not known at the cutoff.
    pub fn forecastable_count(&self) -> (usize, usize) {
        let judged: Vec<&TaskForecast> = self
            .tasks
            .iter()
            .filter(|t| t.verdict != Verdict::KnownAtCutoff)
            .collect();
        (
            judged.iter().filter(|t| t.verdict.forecastable()).count(),
            judged.len(),
        )
    }
}

fn first_crossing(series: &ScaleSeries, task: usize, upto: usize) -> Option<f64> {
    (0..upto)
        .find(|&i| series.task_loss[i][task] < LEARNED_BELOW_BITS)
        .map(|i| series.scale[i])
}

/// The backtest that fits on the first `fit_points` scales and judges the rest.
pub fn backtest(series: &ScaleSeries, fit_points: usize) -> Backtest {
    let n = series.scale.len();
    let fit_points = fit_points.min(n);
    let cutoff = series.scale[fit_points.saturating_sub(1)];
    let log_scale: Vec<f64> = series.scale.iter().map(|s| s.ln()).collect();
    // Aggregate: power law on ln L vs ln x over the fit points.
    let aggregate_line = PredictionLine::fit(
        &log_scale[..fit_points],
        &series.aggregate[..fit_points]
            .iter()
            .map(|l| l.ln())
            .collect::<Vec<_>>(),
    );
    let bnsl = if fit_points >= 7 {
        fit_bnsl(
            &series.scale[..fit_points],
            &series.aggregate[..fit_points],
            1,
            &BnslOptions::default(),
        )
        .ok()
    } else {
        None
    };
    let held_out_scales = &series.scale[fit_points..];
    // The bootstrap seed derives from the cutoff so backtests at different cutoffs differ.
    let bnsl_intervals = bnsl.as_ref().and_then(|fit| {
        let options = BnslIntervalOptions {
            seed: fit_points as u64,
            ..BnslIntervalOptions::default()
        };
        bnsl_prediction_intervals(
            &series.scale[..fit_points],
            &series.aggregate[..fit_points],
            &fit.parameters,
            held_out_scales,
            &options,
        )
        .ok()
    });
    let aggregate = (fit_points..n)
        .map(|i| AggregateForecast {
            scale: series.scale[i],
            observed: series.aggregate[i],
            power_law: aggregate_line.map(|line| {
                let (centre, spread) = line.predict(log_scale[i]);
                Interval {
                    predicted: centre.exp(),
                    lower: (centre - spread).exp(),
                    upper: (centre + spread).exp(),
                }
            }),
            broken_power_law: bnsl_intervals.as_ref().map(|all| {
                let p = all[i - fit_points];
                Interval {
                    predicted: p.predicted,
                    lower: p.lower,
                    upper: p.upper,
                }
            }),
        })
        .collect();
    // Frequency law on the tasks crossed by the cutoff.
    let n_tasks = series.frequencies.len();
    let known: Vec<(f64, f64)> = (0..n_tasks)
        .filter_map(|t| {
            first_crossing(series, t, fit_points).map(|c| (series.frequencies[t].ln(), c.ln()))
        })
        .collect();
    let (u, v): (Vec<f64>, Vec<f64>) = known.into_iter().unzip();
    let law = PredictionLine::fit(&u, &v);
    let largest = series.scale[n - 1];
    let tasks = (0..n_tasks)
        .map(|task| {
            let frequency = series.frequencies[task];
            let observed_crossing = first_crossing(series, task, n);
            let own_curve = own_curve_crossing(series, task, fit_points, &log_scale);
            let frequency_law = law.map(|line| {
                let (centre, spread) = line.predict(frequency.ln());
                Interval {
                    predicted: centre.exp(),
                    lower: (centre - spread).exp(),
                    upper: (centre + spread).exp(),
                }
            });
            let verdict = match (observed_crossing, frequency_law) {
                (Some(c), _) if c <= cutoff => Verdict::KnownAtCutoff,
                (_, None) => Verdict::NotForecastable,
                (Some(c), Some(interval)) if c < interval.lower => Verdict::MissEarly,
                (Some(c), Some(interval)) if c > interval.upper => Verdict::MissLate,
                (Some(_), Some(_)) => Verdict::Hit,
                (None, Some(interval)) if interval.lower > largest => Verdict::HitNotCrossed,
                (None, Some(_)) => Verdict::MissLate,
            };
            TaskForecast {
                task,
                frequency,
                observed_crossing,
                own_curve,
                frequency_law,
                verdict,
            }
        })
        .collect();
    Backtest {
        group: series.group.clone(),
        axis: series.axis.clone(),
        cutoff,
        aggregate_exponent: aggregate_line.map(|line| -line.line.slope),
        frequency_law_slope: law.map(|line| line.line.slope),
        aggregate,
        tasks,
    }
}

/// The crossing of 0.1 bits by a power law fitted to the task's own losses up to the
/// cutoff (points already below 0.1 bits excluded); None when the fit does not fall or
/// reaches 0.1 bits only more than 3 decades beyond the largest scale.
fn own_curve_crossing(
    series: &ScaleSeries,
    task: usize,
    fit_points: usize,
    log_scale: &[f64],
) -> Option<f64> {
    let (u, v): (Vec<f64>, Vec<f64>) = (0..fit_points)
        .filter(|&i| series.task_loss[i][task] >= LEARNED_BELOW_BITS)
        .map(|i| (log_scale[i], series.task_loss[i][task].ln()))
        .unzip();
    let line = PredictionLine::fit(&u, &v)?;
    if line.line.slope >= 0.0 {
        return None;
    }
    let crossing = ((LEARNED_BELOW_BITS.ln() - line.line.intercept) / line.line.slope).exp();
    // A crossing more than 3 decades beyond the data is no forecast.
    (crossing <= 1e3 * series.scale[series.scale.len() - 1]).then_some(crossing)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Synthetic quanta: task t crosses at scale 100/p_t exactly (slope −1); the
    /// aggregate is an exact power law. Every jump is then forecastable.
    #[test]
    fn exact_quanta_are_forecast_and_flat_curves_have_no_own_crossing() {
        let frequencies: Vec<f64> = (1..=30).map(|t| (t as f64).powf(-1.4)).collect();
        let total: f64 = frequencies.iter().sum();
        let frequencies: Vec<f64> = frequencies.iter().map(|p| p / total).collect();
        let scale: Vec<f64> = (0..40).map(|i| 10f64.powf(2.0 + i as f64 * 0.1)).collect();
        let jitter = |t: usize| 1.0 + 0.05 * ((t * 7) as f64).sin();
        let task_loss: Vec<Vec<f64>> = scale
            .iter()
            .map(|&s| {
                frequencies
                    .iter()
                    .enumerate()
                    .map(|(t, p)| {
                        if s >= 100.0 / p * jitter(t) {
                            0.01
                        } else {
                            1.0
                        }
                    })
                    .collect()
            })
            .collect();
        let aggregate = scale.iter().map(|s| 3.0 * s.powf(-0.3)).collect();
        let series = ScaleSeries {
            group: "synthetic".into(),
            axis: "steps".into(),
            scale,
            aggregate,
            task_loss,
            frequencies,
        };
        let result = backtest(&series, 20);
        assert!((result.aggregate_exponent.unwrap() - 0.3).abs() < 1e-9);
        for point in &result.aggregate {
            let interval = point.power_law.unwrap();
            assert!((interval.predicted / point.observed - 1.0).abs() < 1e-9);
        }
        let slope = result.frequency_law_slope.unwrap();
        assert!((slope + 1.0).abs() < 0.1, "{slope}");
        let (hits, judged) = result.forecastable_count();
        assert!(judged > 3 && hits == judged, "{:?}", result.tasks);
        assert!(
            result.tasks.iter().all(|t| t.own_curve.is_none()),
            "step-function curves are flat before the jump"
        );
        // With fewer than 3 crossings at the cutoff there is no law.
        let early = backtest(&series, 3);
        assert!(early
            .tasks
            .iter()
            .any(|t| t.verdict == Verdict::NotForecastable));
    }
}
