//! The table of `superscale align`: the settings in one line, then per metric its score, the
//! chance level, the permutation null (mean, sd, z, p, calibrated score) and the bootstrap
//! interval (`docs/science/alignment.md` §3–4).

use super::error::{Error, Result};
use super::features::{Clip, Features};
use super::metric::Metric;
use super::stats::{align, AlignOptions, Alignment};
use std::fmt::Write as _;

impl AlignOptions {
    /// The preprocessing and the statistics' settings in one line.
    pub fn describe(&self) -> String {
        let clip = match self.preprocess.clip {
            Clip::None => "no clipping".to_string(),
            Clip::Exact(q) => format!("clip |x| at q = {q} (exact)"),
            Clip::PerRow(q) => format!("clip |x| at q = {q} (per-row mean)"),
        };
        format!(
            "{clip}, {}; k = {}; {} permutations, {} bootstrap resamples, seed {}",
            if self.preprocess.normalize {
                "rows L2-normalised"
            } else {
                "rows not normalised"
            },
            self.params.k,
            self.permutations,
            self.bootstrap,
            self.seed
        )
    }
}

fn number(value: Option<f64>) -> String {
    value.map_or("-".to_string(), |v| format!("{v:.4}"))
}

fn row(text: &mut String, result: &Alignment) {
    let null = result.null.as_ref();
    let interval = result.interval.as_ref().map_or("-".to_string(), |i| {
        format!("[{:.4}, {:.4}]", i.low, i.high)
    });
    let _ = writeln!(
        text,
        "{:<18} {:>8} {:>8} {:>9} {:>8} {:>8} {:>7} {:>10}  {}",
        result.metric.name(),
        format!("{:.4}", result.score),
        number(result.chance),
        number(null.map(|n| n.mean)),
        number(null.map(|n| n.sd)),
        null.map_or("-".to_string(), |n| format!("{:.1}", n.z)),
        null.map_or("-".to_string(), |n| format!("{:.3}", n.p_value)),
        number(null.map(|n| n.calibrated)),
        interval
    );
}

/// Every metric of `metrics` on A and B as a table. With one metric its error is returned;
/// with several, a metric the data cannot support (svcca's cca_dim > d) is a line of the
/// table and only a kernel's failure is an error.
pub fn alignment_table(
    a: &Features,
    b: &Features,
    metrics: &[Metric],
    options: &AlignOptions,
) -> Result<String> {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "{:<18} {:>8} {:>8} {:>9} {:>8} {:>8} {:>7} {:>10}  {:.0}% CI",
        "metric",
        "score",
        "chance",
        "null mean",
        "null sd",
        "z",
        "p",
        "calibrated",
        100.0 * options.confidence
    );
    for &metric in metrics {
        match align(a.clone(), b.clone(), metric, options) {
            Ok(result) => row(&mut text, &result),
            Err(err @ Error::Kernel(_)) => return Err(err),
            Err(err) if metrics.len() > 1 => {
                let _ = writeln!(text, "{:<18} n/a: {err}", metric.name());
            }
            Err(err) => return Err(err),
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metric_the_data_cannot_support_is_a_line_among_several() {
        let a: Vec<f64> = (0..30 * 2).map(|i| ((i * 37) % 11) as f64 - 5.0).collect();
        let features = || Features::new("A", a.clone(), 2).unwrap();
        let options = AlignOptions {
            permutations: 5,
            params: super::super::MetricParams {
                cca_dim: 5,
                ..Default::default()
            },
            ..AlignOptions::default()
        };
        let table = alignment_table(
            &features(),
            &features(),
            &[Metric::MutualKnn, Metric::Svcca],
            &options,
        )
        .unwrap();
        assert!(table.starts_with("metric "), "{table}");
        let lines: Vec<Vec<&str>> = table
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(lines[1][..2], ["mutual_knn", "1.0000"], "{table}");
        assert_eq!(lines[2][..3], ["svcca", "n/a:", "SVCCA:"], "{table}");
        assert!(alignment_table(&features(), &features(), &[Metric::Svcca], &options).is_err());
        assert_eq!(
            options.describe(),
            "clip |x| at q = 0.95 (exact), rows L2-normalised; k = 10; 5 permutations, \
             0 bootstrap resamples, seed 0"
        );
    }
}
