//! A study's outputs: CSV tables (every (cell, pair, metric) row, the summaries, the runs,
//! the regressions), a markdown summary table, the SVG figures (`figures.rs`) and a
//! self-contained HTML page that inlines them.

use crate::pairs::{Comparison, PairMean};
use crate::study::StudyResult;
use crate::tms::{TmsResult, TMS_METRICS};
use std::fmt::Write as _;

pub use crate::figures::{regression_svg, study_svg};

fn number(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.6}")
    } else {
        String::new()
    }
}

/// Every (cell, pair, metric) row.
pub fn pairs_csv(result: &StudyResult) -> String {
    let mut out = String::from("cell,condition,variable,value,tasks,width,weight_decay,comparison,a,b,metric,score,chance,null_mean,null_sd,z,p_value,calibrated\n");
    let kind = result.spec.study.kind;
    for p in &result.pairs {
        let c = &result.cells[p.cell];
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            c.index,
            c.condition.name(),
            kind.variable(),
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
pub fn summary_csv(result: &StudyResult) -> String {
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
pub fn runs_csv(result: &StudyResult) -> String {
    let metrics = result.spec.metrics();
    let mut out = String::from(
        "cell,condition,value,modality,replicate,seed,test_loss,normalised_loss,competence",
    );
    for m in &metrics {
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
pub fn regression_csv(result: &StudyResult) -> String {
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

fn cell_text(mean: &PairMean) -> String {
    format!("{:.3} [{:.3}, {:.3}]", mean.mean, mean.low, mean.high)
}

/// A markdown table: one row per cell, a column per (comparison, metric) with the mean
/// over pairs and its 95 % seed-bootstrap CI; then the mean normalised test loss.
pub fn summary_markdown(result: &StudyResult, calibrated: bool) -> String {
    let metrics = result.spec.metrics();
    let kind = result.spec.study.kind;
    let mut out = format!("| condition | {} |", kind.variable());
    let mut rule = String::from("|---|---|");
    for comparison in Comparison::ALL {
        for m in &metrics {
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
            for &m in &metrics {
                let s = result
                    .summaries
                    .iter()
                    .find(|s| s.cell == c.index && s.comparison == comparison && s.metric == m);
                let text = s.map_or(String::new(), |s| {
                    cell_text(if calibrated { &s.calibrated } else { &s.score })
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

/// The self-contained report page.
pub fn html(result: &StudyResult, figure: &str, regression: &str) -> String {
    let spec = &result.spec;
    let mut out = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{0}</title><style>body{{font-family:sans-serif;max-width:1400px;margin:2em auto}}table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #ccc;padding:3px 6px}}pre{{background:#f6f6f6;padding:1em}}</style></head><body><h1>{0}</h1><p>{1}</p>",
        escape(&spec.name),
        escape(&spec.description)
    );
    let _ = write!(
        out,
        "<p>{} seeds per modality and cell; n = {} probe items, k = {}, {} permutations per pair; intervals: 95 % percentile bootstrap over seeds ({} resamples). Reference network: width {}, normalised test loss {:.4}.</p>",
        spec.study.seeds, spec.study.probe, spec.study.k, spec.study.permutations, spec.study.bootstrap,
        spec.study.reference_width, result.reference_normalised_loss
    );
    let _ = write!(
        out,
        "<h2>Alignment vs {}</h2>{figure}",
        spec.study.kind.variable()
    );
    out.push_str("<h2>Mean over pairs [95 % CI over seeds]</h2>");
    out.push_str(&markdown_to_html(&summary_markdown(result, false)));
    out.push_str("<h2>Calibrated: (score − null mean)/(1 − null mean)</h2>");
    out.push_str(&markdown_to_html(&summary_markdown(result, true)));
    let _ = write!(
        out,
        "<h2>Competence–alignment regression (docs/science/alignment.md §4 item 4)</h2>{regression}"
    );
    out.push_str(&markdown_to_html(&csv_to_markdown(&regression_csv(result))));
    let _ = write!(
        out,
        "<h2>Spec</h2><pre>{}</pre></body></html>",
        escape(&toml::to_string(spec).unwrap_or_default())
    );
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn csv_to_markdown(csv: &str) -> String {
    let mut lines = csv.lines();
    let header = lines.next().unwrap_or_default();
    let columns = header.split(',').count();
    let mut out = format!(
        "| {} |\n|{}\n",
        header.replace(',', " | "),
        "---|".repeat(columns)
    );
    for line in lines {
        let _ = writeln!(out, "| {} |", line.replace(',', " | "));
    }
    out
}

fn markdown_to_html(table: &str) -> String {
    let mut out = String::from("<table>");
    for (i, line) in table.lines().enumerate() {
        if i == 1 {
            continue;
        }
        let tag = if i == 0 { "th" } else { "td" };
        out.push_str("<tr>");
        for cell in line.trim().trim_matches('|').split('|') {
            let _ = write!(out, "<{tag}>{}</{tag}>", escape(cell.trim()));
        }
        out.push_str("</tr>");
    }
    out.push_str("</table>");
    out
}

/// Every TMS pair: scores, null means, z and calibrated scores per metric.
pub fn tms_pairs_csv(result: &TmsResult) -> String {
    let mut out =
        String::from("cell,replicate_a,replicate_b,metric,score,null_mean,null_sd,z,calibrated\n");
    for p in &result.pairs {
        for (k, name) in TMS_METRICS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{},{},{},{name},{},{},{},{},{}",
                p.cell,
                p.replicates.0,
                p.replicates.1,
                number(p.scores[k]),
                number(p.null_mean[k]),
                number(p.null_sd[k]),
                number(p.z[k]),
                number(p.calibrated[k])
            );
        }
    }
    out
}

/// A markdown table of the TMS cells: per metric the mean over pairs [95 % CI over seeds]
/// and the shuffled-feature null mean.
pub fn tms_markdown(result: &TmsResult) -> String {
    let mut out = String::from("| point | m | loss | stored |");
    for name in TMS_METRICS {
        let _ = write!(out, " {name} (null) |");
    }
    out.push_str(&format!(
        "\n|---|---|---|---|{}\n",
        "---|".repeat(TMS_METRICS.len())
    ));
    for c in &result.cells {
        let axes: Vec<String> = c
            .axes
            .iter()
            .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
            .collect();
        let _ = write!(
            out,
            "| {} | {} | {:.2} | {:.3} |",
            axes.join(" "),
            c.n_hidden,
            c.loss,
            c.stored_fraction
        );
        for k in 0..TMS_METRICS.len() {
            let _ = write!(out, " {} ({:.3}) |", cell_text(&c.score[k]), c.null_mean[k]);
        }
        out.push('\n');
    }
    out
}
