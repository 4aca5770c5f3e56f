//! The report sections of a quanta study: the exponents against the theory, emergence per
//! run, and the forecasting backtests, with their figures (drawn with the presentation
//! layer of `superscale_report`).

mod figures;
mod forecast_figure;

use super::analysis::{QuantaRun, StudyAnalysis};
use super::forecast::{Backtest, Verdict};
use figures::distinct;
use superscale_report::{Block, Result, Section, Table};

fn figure(id: &str, svg: String) -> Block {
    Block::Figure {
        id: id.to_string(),
        svg,
        caption: String::new(),
    }
}

fn table(header: &[&str], rows: Vec<Vec<String>>) -> Block {
    Block::Table(Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        rows,
    })
}

fn listed<T: PartialEq + Copy + std::fmt::Display>(values: impl Iterator<Item = T>) -> String {
    distinct(values)
        .iter()
        .map(T::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn data_label(data: Option<usize>) -> String {
    data.map_or("fresh".into(), |d| d.to_string())
}

fn rounded(value: Option<f64>) -> String {
    value.map_or("–".into(), |v| format!("{v:.3}"))
}

fn overview(runs: &[QuantaRun]) -> Section {
    let diverged = runs
        .iter()
        .filter(|r| r.result.diverged_at.is_some())
        .count();
    let tasks = || runs.iter().map(|r| &r.plan.task);
    Section::new("Overview").with(Block::Text(format!(
        "Multitask sparse parity (Michaud et al. 2023; docs/science/quanta.md §1): {} tasks, \
         n = {} bits, k = {}, code alpha = {} (paper α = alpha − 1). {} runs ({diverged} diverged). \
         Theory (§2.1): α_N = α, α_S = α_D = α/(α+1). Losses are cross-entropies in bits: \
         chance is 1 bit, a subtask counts as learned below 0.1 bits.",
        listed(tasks().map(|t| t.n_tasks)),
        listed(tasks().map(|t| t.n_bits)),
        listed(tasks().map(|t| t.k)),
        listed(tasks().map(|t| t.alpha)),
        runs.len()
    )))
}

fn exponents(runs: &[QuantaRun], analysis: &StudyAnalysis, window: [f64; 2]) -> Result<Section> {
    let rows = analysis
        .exponents
        .iter()
        .map(|row| {
            let e = &row.estimate;
            vec![
                row.alpha.to_string(),
                e.name.clone(),
                format!("{:.3} ± {:.3}", e.exponent, e.standard_error),
                format!("[{:.3}, {:.3}]", e.lower, e.upper),
                format!("{:.3}", e.r_squared),
                e.n_points.to_string(),
                format!("{:.3}", e.theory),
            ]
        })
        .collect();
    let mut section = Section::new("Exponents");
    section.push(Block::Note(
        "OLS slopes of ln L on ln P (α_N, final loss), ln steps (α_S, the widest runs within \
         the analysis' steps window) and ln D (α_D, smallest loss), with their standard errors \
         and 95% bootstrap intervals (docs/science/quanta.md §2.2)."
            .into(),
    ));
    section.push(table(
        &[
            "α",
            "exponent",
            "value ± SE",
            "95% bootstrap CI",
            "R²",
            "points",
            "theory",
        ],
        rows,
    ));
    section.push(figure(
        "loss-curves",
        figures::aggregate_curves(runs, analysis, window)?,
    ));
    if let Some(svg) = figures::parameter_curve(runs, analysis)? {
        section.push(figure("loss-vs-parameters", svg));
    }
    Ok(section)
}

fn emergence(runs: &[QuantaRun], analysis: &StudyAnalysis) -> Result<Section> {
    let rows =
        runs.iter()
            .zip(&analysis.emergence)
            .map(|(run, emergence)| {
                let (single, slope) = emergence.summary.as_ref().map_or(
                    ("–".to_string(), "–".to_string()),
                    |s| {
                        (
                            format!("{}/{}", s.n_single_drop, s.n_learned),
                            format!("{:.3} ± {:.3}", s.slope, s.slope_se),
                        )
                    },
                );
                let learned = emergence
                    .tasks
                    .iter()
                    .filter(|t| t.learning_step.is_some())
                    .count();
                vec![
                    run.id.clone(),
                    run.plan.train.width.to_string(),
                    data_label(run.plan.train.data),
                    run.plan.task.alpha.to_string(),
                    run.plan.replicate.to_string(),
                    learned.to_string(),
                    single,
                    slope,
                ]
            })
            .collect();
    let mut section = Section::new("Emergence");
    section.push(Block::Note(
        "A subtask is learned at the first evaluation with loss < 0.1 bits; its profile is a \
         single drop when it was above 0.9 bits within a factor 10 of steps before and never \
         climbs back above 0.5 bits (docs/science/quanta.md §2.3). The slope is that of \
         ln(learning step) on ln p_t over the learned subtasks (theory −1)."
            .into(),
    ));
    section.push(table(
        &[
            "run",
            "width",
            "D",
            "α",
            "replicate",
            "learned",
            "single-drop",
            "slope ln t vs ln p ± SE",
        ],
        rows,
    ));
    if let Some(widest) = runs.iter().max_by_key(|r| r.plan.train.width) {
        if let Some(svg) = figures::heat_map(widest)? {
            section.push(figure("subtask-losses", svg));
        }
    }
    section.push(figure("learning-times", figures::learning_times(analysis)?));
    Ok(section)
}

fn backtest_blocks(backtest: &Backtest) -> Result<Vec<Block>> {
    let (hits, judged) = backtest.forecastable_count();
    let mut blocks = vec![Block::Text(format!(
        "{}, {} (fit ≤ {}): {hits}/{judged} jumps forecastable; aggregate exponent {}, law slope {}.",
        backtest.group,
        backtest.axis,
        backtest.cutoff,
        rounded(backtest.aggregate_exponent),
        rounded(backtest.frequency_law_slope)
    ))];
    let interval = |i: Option<super::forecast::Interval>| {
        i.map_or("–".into(), |i| {
            format!("{:.4} [{:.4}, {:.4}]", i.predicted, i.lower, i.upper)
        })
    };
    let aggregate = backtest
        .aggregate
        .iter()
        .map(|a| {
            vec![
                format!("{:.0}", a.scale),
                format!("{:.4}", a.observed),
                interval(a.power_law),
                interval(a.broken_power_law),
            ]
        })
        .collect();
    blocks.push(table(
        &["scale", "observed loss", "power law [95%]", "BNSL [95%]"],
        aggregate,
    ));
    if let Some(svg) = forecast_figure::aggregate_forecast(backtest)? {
        blocks.push(figure("aggregate-forecast", svg));
    }
    let tasks = backtest
        .tasks
        .iter()
        .filter(|t| t.verdict != Verdict::KnownAtCutoff)
        .map(|t| {
            vec![
                t.task.to_string(),
                format!("{:.4}", t.frequency),
                t.observed_crossing
                    .map_or("never".into(), |c| format!("{c:.0}")),
                t.frequency_law.map_or("–".into(), |l| {
                    format!("{:.0} [{:.0}, {:.0}]", l.predicted, l.lower, l.upper)
                }),
                t.own_curve.map_or("none".into(), |c| format!("{c:.0}")),
                format!("{:?}", t.verdict),
            ]
        })
        .collect();
    blocks.push(table(
        &[
            "task",
            "p",
            "observed crossing",
            "law [95%]",
            "own curve",
            "verdict",
        ],
        tasks,
    ));
    if let Some(svg) = figures::forecast_outcome(backtest)? {
        blocks.push(figure("forecast-outcome", svg));
    }
    Ok(blocks)
}

fn forecasts(analysis: &StudyAnalysis) -> Result<Section> {
    let mut section = Section::new("Forecasts");
    section.push(Block::Note(
        "A jump is forecastable when, fitted on the scales up to the cutoff, the frequency law \
         ln(crossing) = a + b ln p_t puts the observed crossing inside its 95% prediction \
         interval (docs/quanta.md). 'own curve' is the crossing a power law through the \
         task's own losses predicts (none: flat at chance)."
            .into(),
    ));
    if analysis.backtests.is_empty() {
        section.push(Block::Text(
            "No scale has enough points for a backtest.".into(),
        ));
    }
    for backtest in &analysis.backtests {
        section.blocks.extend(backtest_blocks(backtest)?);
    }
    Ok(section)
}

/// The quanta sections of a study's report; `window` is the analysis' steps window of α_S.
pub(crate) fn sections(
    runs: &[QuantaRun],
    analysis: &StudyAnalysis,
    window: [f64; 2],
) -> Result<Vec<Section>> {
    Ok(vec![
        overview(runs),
        exponents(runs, analysis, window)?,
        emergence(runs, analysis)?,
        forecasts(analysis)?,
    ])
}
