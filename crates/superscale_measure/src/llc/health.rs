//! Checks of a chain and of a set of chains: stationarity of the trace's last half, split-R̂,
//! and the Student-t quantile of the chains' interval (`docs/science/llc.md` §3).

/// A chain is stationary when its stationarity |z| is at most this (a two-sided test at
/// about 1 % with the batch means' few degrees of freedom).
pub const STATIONARITY_LIMIT: f64 = 3.0;

/// Chains agree when split-R̂ is at most this (Gelman et al. 2013, BDA3 §11.4).
pub const R_HAT_LIMIT: f64 = 1.1;

/// Batches per quarter of a trace in the batch-means standard error.
const BATCHES: usize = 8;

/// Mean and sample standard deviation (NaN when undefined).
pub(super) fn mean_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n;
    if values.len() < 2 {
        return (mean, f64::NAN);
    }
    let squares: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (squares / (n - 1.0)).sqrt())
}

/// The mean of a stretch of trace and its batch-means standard error (Flegal & Jones 2010:
/// the correlation of neighbouring draws inflates the naive error; the means of
/// consecutive batches are nearly independent).
fn batch_mean(values: &[f64]) -> (f64, f64) {
    let batches = BATCHES.min(values.len());
    let size = values.len() / batches;
    let means: Vec<f64> = (0..batches)
        .map(|b| values[b * size..(b + 1) * size].iter().sum::<f64>() / size as f64)
        .collect();
    let (mean, sd) = mean_sd(&means);
    (mean, sd / (batches as f64).sqrt())
}

/// Whether the last half of a trace is stationary, as a z: the difference of the means of
/// its two quarters over their batch-means standard errors (a Geweke-style test, Geweke
/// 1992, on the half after the burn-in already discarded). 0 for a constant trace, NaN
/// for fewer than 4 draws.
pub fn stationarity_z(trace: &[f64]) -> f64 {
    if trace.len() < 4 {
        return f64::NAN;
    }
    let half = &trace[trace.len() / 2..];
    let (first, second) = half.split_at(half.len() / 2);
    let (a, se_a) = batch_mean(first);
    let (b, se_b) = batch_mean(second);
    let se = (se_a * se_a + se_b * se_b).sqrt();
    if a == b {
        0.0
    } else {
        (a - b) / se
    }
}

/// Split-R̂ (Gelman et al. 2013, BDA3 §11.4): every trace cut into halves of equal length
/// N (the common length of the traces), W the mean variance within halves, B/N the
/// variance of their means, R̂ = √(((N − 1)/N·W + B/N)/W). NaN with fewer than two
/// traces or fewer than 4 draws.
pub fn split_r_hat(traces: &[&[f64]]) -> f64 {
    let length = traces.iter().map(|t| t.len()).min().unwrap_or(0);
    if traces.len() < 2 || length < 4 {
        return f64::NAN;
    }
    let n = length / 2;
    let halves: Vec<&[f64]> = traces
        .iter()
        .flat_map(|t| [&t[..n], &t[n..2 * n]])
        .collect();
    let stats: Vec<(f64, f64)> = halves.iter().map(|h| mean_sd(h)).collect();
    let within = stats.iter().map(|(_, sd)| sd * sd).sum::<f64>() / stats.len() as f64;
    let means: Vec<f64> = stats.iter().map(|(m, _)| *m).collect();
    let between_over_n = mean_sd(&means).1.powi(2);
    if within == 0.0 {
        return if between_over_n == 0.0 {
            1.0
        } else {
            f64::INFINITY
        };
    }
    let n = n as f64;
    (((n - 1.0) / n * within + between_over_n) / within).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sd_of_a_known_sample() {
        let (mean, sd) = mean_sd(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(mean, 2.5);
        assert!((sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn a_trend_is_not_stationary_and_a_constant_is() {
        let ramp: Vec<f64> = (0..400).map(|i| i as f64 + (i % 7) as f64).collect();
        assert!(stationarity_z(&ramp).abs() > STATIONARITY_LIMIT);
        assert_eq!(stationarity_z(&[2.0; 64]), 0.0);
    }

    #[test]
    fn r_hat_is_one_for_identical_chains_and_large_for_shifted_ones() {
        let a: Vec<f64> = (0..100).map(|i| ((i * 37) % 11) as f64).collect();
        assert!((split_r_hat(&[&a, &a]) - 1.0).abs() < 0.05);
        let b: Vec<f64> = a.iter().map(|v| v + 100.0).collect();
        assert!(split_r_hat(&[&a, &b]) > 2.0);
        assert!(split_r_hat(&[&a]).is_nan());
    }
}
