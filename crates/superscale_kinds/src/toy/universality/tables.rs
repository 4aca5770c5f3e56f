//! The tables of the universality analysis: every pair (`tms_pairs.csv`) and the summary
//! per sweep point (`tms_summary.md`).

use super::{Universality, METRICS};
use crate::seed_pairs::{fixed as number, interval_text};
use std::fmt::Write as _;

/// Every pair: scores, null means, z and calibrated scores per metric.
pub fn pairs_csv(result: &Universality) -> String {
    let mut out =
        String::from("cell,replicate_a,replicate_b,metric,score,null_mean,null_sd,z,calibrated\n");
    for p in &result.pairs {
        for (k, name) in METRICS.iter().enumerate() {
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

/// A markdown table of the sweep points: per metric the mean over pairs [95 % CI over
/// seeds] and the shuffled-feature null mean.
pub fn summary_markdown(result: &Universality) -> String {
    let mut out = String::from("| point | m | loss | stored |");
    for name in METRICS {
        let _ = write!(out, " {name} (null) |");
    }
    out.push_str(&format!(
        "\n|---|---|---|---|{}\n",
        "---|".repeat(METRICS.len())
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
        for k in 0..METRICS.len() {
            let _ = write!(
                out,
                " {} ({:.3}) |",
                interval_text(&c.score[k]),
                c.null_mean[k]
            );
        }
        out.push('\n');
    }
    out
}
