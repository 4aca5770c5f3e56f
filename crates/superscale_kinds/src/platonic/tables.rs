//! A Platonic study's tables: every (cell, pair, metric) row, the summaries, the networks,
//! the regressions (CSV), and the markdown summary tables.

use super::analysis::PlatonicAnalysis;
use super::pairs::Comparison;
use crate::seed_pairs::{fixed as number, interval_text};
use std::fmt::Write as _;

/// Every (cell, pair, metric) row.
pub fn pairs_csv(result: &PlatonicAnalysis) -> String {
    let mut out = String::from("cell,condition,variable,value,tasks,width,weight_decay,comparison,a,b,metric,score,chance,null_mean,null_sd,z,p_value,calibrated\n");
    let variable = result.hypothesis.variable();
    for p in &result.pairs {
        let c = &result.cells[p.cell];
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            c.index,
            c.condition.name(),
            variable,
            c.value,
            c.tasks,
            c.width,
            c.weight_decay,
            p.comparison.name(),
            p.a,
            p.b.map_or("z".to_string(), |b| b.to_string()),
            p.metric.name(),
            number(p.score),
            p.chance.map_or(String::new(), number),
            number(p.null_mean),
            number(p.null_sd),
            number(p.z),
            number(p.p_value),
            number(p.calibrated)
        );
    }
    out
}

/// One row per (cell, comparison, metric): mean over pairs with its seed-bootstrap CI.
pub fn summary_csv(result: &PlatonicAnalysis) -> String {
    let mut out = String::from("cell,condition,value,comparison,metric,pairs,mean,sd,ci_low,ci_high,calibrated_mean,calibrated_low,calibrated_high,null_mean,chance,skipped_resamples\n");
    for s in &result.summaries {
        let c = &result.cells[s.cell];
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            c.index,
            c.condition.name(),
            c.value,
            s.comparison.name(),
            s.metric.name(),
            s.score.pairs,
            number(s.score.mean),
            number(s.score.sd),
            number(s.score.low),
            number(s.score.high),
            number(s.calibrated.mean),
            number(s.calibrated.low),
            number(s.calibrated.high),
            number(s.null_mean),
            s.chance.map_or(String::new(), number),
            s.score.skipped
        );
    }
    out
}

/// One row per trained network: losses, competence and alignment to the reference.
pub fn runs_csv(result: &PlatonicAnalysis) -> String {
    let metrics = &result.metrics;
    let mut out = String::from(
        "cell,condition,value,modality,replicate,seed,test_loss,normalised_loss,competence",
    );
    for m in metrics {
        let _ = write!(out, ",to_reference_{}", m.name());
    }
    out.push('\n');
    for r in &result.runs {
        let c = &result.cells[r.cell];
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            c.index,
            c.condition.name(),
            c.value,
            r.modality,
            r.replicate,
            r.seed,
            number(r.test_loss),
            number(r.normalised_loss),
            number(r.competence())
        );
        for k in 0..metrics.len() {
            let _ = write!(
                out,
                ",{}",
                r.to_reference.get(k).map_or(String::new(), |v| number(*v))
            );
        }
        out.push('\n');
    }
    out
}

/// The competence–alignment regressions.
pub fn regression_csv(result: &PlatonicAnalysis) -> String {
    let mut out =
        String::from("scope,metric,runs,slope,slope_low,slope_high,intercept,correlation\n");
    for r in &result.regressions {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            r.scope,
            r.metric.name(),
            r.runs,
            number(r.slope),
            number(r.slope_low),
            number(r.slope_high),
            number(r.intercept),
            number(r.correlation)
        );
    }
    out
}

/// A markdown table: one row per cell, a column per (comparison, metric) with the mean
/// over pairs and its 95 % seed-bootstrap CI; then the mean normalised test loss.
pub fn summary_markdown(result: &PlatonicAnalysis, calibrated: bool) -> String {
    let metrics = &result.metrics;
    let mut out = format!("| condition | {} |", result.hypothesis.variable());
    let mut rule = String::from("|---|---|");
    for comparison in Comparison::ALL {
        for m in metrics {
            let _ = write!(out, " {} {} |", comparison.name(), m.name());
            rule.push_str("---|");
        }
    }
    out.push_str(" normalised test loss |\n");
    rule.push_str("---|\n");
    out.push_str(&rule);
    for c in &result.cells {
        let _ = write!(out, "| {} | {} |", c.condition.name(), c.value);
        for comparison in Comparison::ALL {
            for &m in metrics {
                let s = result
                    .summaries
                    .iter()
                    .find(|s| s.cell == c.index && s.comparison == comparison && s.metric == m);
                let text = s.map_or(String::new(), |s| {
                    interval_text(if calibrated { &s.calibrated } else { &s.score })
                });
                let _ = write!(out, " {text} |");
            }
        }
        let losses: Vec<f64> = result
            .runs
            .iter()
            .filter(|r| r.cell == c.index)
            .map(|r| r.normalised_loss)
            .collect();
        let _ = writeln!(
            out,
            " {:.3} |",
            losses.iter().sum::<f64>() / losses.len() as f64
        );
    }
    out
}

/// `summary.md`: the summary table of raw scores, then the calibrated one.
pub fn summary_file(result: &PlatonicAnalysis) -> String {
    format!(
        "{}\nCalibrated:\n\n{}",
        summary_markdown(result, false),
        summary_markdown(result, true)
    )
}
