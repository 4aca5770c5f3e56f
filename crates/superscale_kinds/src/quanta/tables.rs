//! The CSV tables of a quanta study: one row per run, the aggregate and per-task curves,
//! emergence per task, the exponents, and the forecasting backtests. Numbers are written
//! with Rust's shortest round-trip formatting; a missing value is an empty cell.

use super::analysis::{QuantaRun, StudyAnalysis};
use super::forecast::Verdict;
use super::spec::RunPlan;

fn plan_columns(plan: &RunPlan) -> String {
    format!(
        "{},{},{},{}",
        plan.task.alpha,
        plan.train.width,
        plan.train.data.map_or(String::new(), |d| d.to_string()),
        plan.replicate
    )
}

fn show<T: ToString>(value: Option<T>) -> String {
    value.map_or(String::new(), |v| v.to_string())
}

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::KnownAtCutoff => "known_at_cutoff",
        Verdict::Hit => "hit",
        Verdict::HitNotCrossed => "hit_not_crossed",
        Verdict::MissEarly => "miss_early",
        Verdict::MissLate => "miss_late",
        Verdict::NotForecastable => "not_forecastable",
    }
}

/// `results.csv`: one row per run (its plan, parameter count, final and smallest test
/// loss, divergence, and its emergence summary).
fn results_csv(runs: &[QuantaRun], analysis: &StudyAnalysis) -> String {
    let mut out = String::from("run,alpha,width,data,replicate,n_params,final_test_loss_bits,min_test_loss_bits,diverged_at,n_learned,single_drop_fraction,learning_slope,learning_slope_se\n");
    for (run, emergence) in runs.iter().zip(&analysis.emergence) {
        let r = &run.result;
        let s = emergence.summary.as_ref();
        out += &format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            run.id,
            plan_columns(&run.plan),
            r.n_params,
            r.final_test_loss_bits(),
            r.min_test_loss_bits(),
            show(r.diverged_at),
            emergence
                .tasks
                .iter()
                .filter(|t| t.learning_step.is_some())
                .count(),
            show(s.map(|s| s.single_drop_fraction())),
            show(s.map(|s| s.slope)),
            show(s.map(|s| s.slope_se)),
        );
    }
    out
}

/// `curves.csv` (the weighted test loss at every evaluation) and `tasks.csv` (every task's
/// loss, accuracy and Brier score at every evaluation).
fn curve_csvs(runs: &[QuantaRun]) -> (String, String) {
    let mut curves = String::from("run,alpha,width,data,replicate,step,test_loss_bits\n");
    let mut tasks = String::from("run,step,task,loss_bits,accuracy,brier\n");
    for run in runs {
        let r = &run.result;
        for (eval, &step) in r.eval_steps.iter().enumerate() {
            curves += &format!(
                "{},{},{step},{}\n",
                run.id,
                plan_columns(&run.plan),
                r.test_loss_bits[eval]
            );
            for task in 0..r.task_loss_bits[eval].len() {
                tasks += &format!(
                    "{},{step},{task},{},{},{}\n",
                    run.id,
                    r.task_loss_bits[eval][task],
                    r.task_accuracy[eval][task],
                    r.task_brier[eval][task]
                );
            }
        }
    }
    (curves, tasks)
}

/// `emergence.csv`: every task's learning step and drop profile, per run.
fn emergence_csv(analysis: &StudyAnalysis) -> String {
    let mut out = String::from("run,task,frequency,learning_step,last_chance_step,single_drop\n");
    for run in &analysis.emergence {
        for t in &run.tasks {
            out += &format!(
                "{},{},{},{},{},{}\n",
                run.id,
                t.task,
                t.frequency,
                show(t.learning_step),
                show(t.last_chance_step),
                t.single_drop
            );
        }
    }
    out
}

/// `exponents.csv`: α_N, α_S, α_D per Zipf exponent, with intervals and the theory.
fn exponents_csv(analysis: &StudyAnalysis) -> String {
    let mut out = String::from(
        "alpha,name,exponent,standard_error,lower,upper,level,r_squared,n_points,theory\n",
    );
    for row in &analysis.exponents {
        let e = &row.estimate;
        out += &format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            row.alpha,
            e.name,
            e.exponent,
            e.standard_error,
            e.lower,
            e.upper,
            e.level,
            e.r_squared,
            e.n_points,
            e.theory
        );
    }
    out
}

/// `forecast_tasks.csv` (every task's forecast and verdict) and `forecast_aggregate.csv`
/// (the aggregate loss at every held-out scale against both laws' intervals).
fn forecast_csvs(analysis: &StudyAnalysis) -> (String, String) {
    let mut tasks = String::from("group,axis,cutoff,task,frequency,observed_crossing,own_curve_crossing,law_predicted,law_lower,law_upper,verdict\n");
    let mut aggregate = String::from(
        "group,axis,cutoff,scale,observed_bits,power_law,power_lower,power_upper,broken_power_law,broken_lower,broken_upper\n",
    );
    for backtest in &analysis.backtests {
        for t in &backtest.tasks {
            let law = t.frequency_law;
            tasks += &format!(
                "{},{},{},{},{},{},{},{},{},{},{}\n",
                backtest.group,
                backtest.axis,
                backtest.cutoff,
                t.task,
                t.frequency,
                show(t.observed_crossing),
                show(t.own_curve),
                show(law.map(|l| l.predicted)),
                show(law.map(|l| l.lower)),
                show(law.map(|l| l.upper)),
                verdict_name(t.verdict)
            );
        }
        for a in &backtest.aggregate {
            let p = a.power_law;
            let b = a.broken_power_law;
            aggregate += &format!(
                "{},{},{},{},{},{},{},{},{},{},{}\n",
                backtest.group,
                backtest.axis,
                backtest.cutoff,
                a.scale,
                a.observed,
                show(p.map(|p| p.predicted)),
                show(p.map(|p| p.lower)),
                show(p.map(|p| p.upper)),
                show(b.map(|b| b.predicted)),
                show(b.map(|b| b.lower)),
                show(b.map(|b| b.upper))
            );
        }
    }
    (tasks, aggregate)
}

/// The seven tables of a quanta study, as (file name, contents).
pub fn tables(runs: &[QuantaRun], analysis: &StudyAnalysis) -> Vec<(String, String)> {
    let (curves, tasks) = curve_csvs(runs);
    let (forecast_tasks, forecast_aggregate) = forecast_csvs(analysis);
    [
        ("results.csv", results_csv(runs, analysis)),
        ("curves.csv", curves),
        ("tasks.csv", tasks),
        ("emergence.csv", emergence_csv(analysis)),
        ("exponents.csv", exponents_csv(analysis)),
        ("forecast_tasks.csv", forecast_tasks),
        ("forecast_aggregate.csv", forecast_aggregate),
    ]
    .into_iter()
    .map(|(name, contents)| (name.to_string(), contents))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_are_written_as_their_serde_names() {
        for verdict in [
            Verdict::KnownAtCutoff,
            Verdict::Hit,
            Verdict::HitNotCrossed,
            Verdict::MissEarly,
            Verdict::MissLate,
            Verdict::NotForecastable,
        ] {
            assert_eq!(
                serde_json::to_string(&verdict).unwrap(),
                format!("\"{}\"", verdict_name(verdict))
            );
        }
    }
}
