//! The text and tables of measured weight matrices, as `superscale weights` prints and writes
//! them: one matrix in detail, its per-feature table, its row of `weights.csv`, and the table
//! of a family of widths with its two fits (`docs/science/superposition.md` §3.6).

use crate::family::{FamilyFits, FitOutcome};
use crate::matrix::{NonFiniteRows, OverlapMethod, WeightStats};
use std::fmt::Write as _;

impl OverlapMethod {
    /// `exact`, or `sampled(P pairs; seed S)`.
    pub fn name(&self) -> String {
        match self {
            OverlapMethod::Exact => "exact".into(),
            OverlapMethod::Sampled { pairs, seed } => {
                format!("sampled({pairs} pairs; seed {seed})")
            }
        }
    }
}

/// The columns of [`WeightStats::summary_fields`], comma-separated.
pub const SUMMARY_COLUMNS: &str = "n,m,norm_mean,norm_sd,norm_min,norm_max,phi_half,phi_one,\
     dims_per_feature,mso,mso_ci,var_sq_overlap,mean_abs_cos,mean_abs_cos_ci,welch_sq,\
     m_mso,method,mean_dimensionality,ambiguity,zero_rows,non_finite_rows,non_finite";

impl WeightStats {
    /// Everything measured, one quantity a line, with the row-norm histogram drawn in `#`.
    pub fn detail(&self) -> String {
        let s = self;
        let mut t = String::new();
        if let Some(found) = &s.non_finite {
            let _ = writeln!(
                t,
                "non-finite entries         {} (NaN or ±inf) in {} rows, {}",
                found.entries,
                found.rows,
                match found.handling {
                    NonFiniteRows::Drop =>
                        format!("their rows dropped: n = {} counts the rows left", s.rows),
                    _ => "their rows zeroed: measured as zero rows".to_string(),
                }
            );
        }
        if s.zero_rows > 0 {
            let _ = writeln!(
                t,
                "zero rows                  {} of {} (no direction: cosine 0 in the overlaps, D_i 0)",
                s.zero_rows, s.rows
            );
        }
        // What a matrix does not define is said, not printed as NaN or inf.
        let no_pairs = s.rows - s.zero_rows < 2;
        let pair_value = |value: f64, shown: String| {
            if value.is_nan() && no_pairs {
                "undefined (fewer than two rows with a direction)".to_string()
            } else {
                shown
            }
        };
        let n = &s.norms;
        let _ = writeln!(
            t,
            "row norms: mean {:.6} sd {:.6} min {:.6} max {:.6}",
            n.mean, n.sd, n.min, n.max
        );
        let peak = n.histogram.iter().map(|b| b.2).max().unwrap_or(1).max(1);
        for (lo, hi, count) in &n.histogram {
            let bar = "#".repeat((count * 40).div_ceil(peak));
            let _ = writeln!(t, "  [{lo:>9.4}, {hi:>9.4})  {count:>8}  {bar}");
        }
        let ci = |v: f64| {
            if v > 0.0 {
                format!(" ± {v:.3e}")
            } else {
                String::new()
            }
        };
        let o = &s.overlap;
        let _ = writeln!(t, "phi_1/2 (norm > 1/2)       {:.6}", s.phi_half);
        let _ = writeln!(t, "phi_1 (norm > 1)           {:.6}", s.phi_one);
        for (threshold, fraction) in &s.phi {
            let _ = writeln!(t, "phi_t (norm > {threshold})  {fraction:.6}");
        }
        let dimensions = if s.dimensions_per_feature.is_nan() && s.zero_rows == s.rows {
            "undefined (every row is zero: m/0)".to_string()
        } else {
            format!("{:.6}", s.dimensions_per_feature)
        };
        let _ = writeln!(t, "D* = m/|W|_F^2             {dimensions}");
        let _ = writeln!(t, "overlaps                   {}", o.method.name());
        let _ = writeln!(
            t,
            "mean squared overlap (MSO) {}",
            pair_value(o.mean_sq, format!("{:.6e}{}", o.mean_sq, ci(o.mean_sq_ci)))
        );
        let _ = writeln!(
            t,
            "variance of squared overl. {}",
            pair_value(o.variance_sq, format!("{:.6e}", o.variance_sq))
        );
        let _ = writeln!(
            t,
            "mean |cos|                 {}",
            pair_value(
                o.mean_abs,
                format!("{:.6e}{}", o.mean_abs, ci(o.mean_abs_ci))
            )
        );
        let _ = writeln!(
            t,
            "sqrt(2/(pi m))             {:.6e}  (mean |cos| of random directions)",
            (2.0 / (std::f64::consts::PI * s.width as f64)).sqrt()
        );
        let _ = writeln!(t, "Welch bound kappa^2 (nu=n) {:.6e}", s.welch_sq);
        let _ = writeln!(
            t,
            "m * MSO                    {}",
            pair_value(
                s.m_times_mso,
                format!("{:.6}  (1 for random directions)", s.m_times_mso)
            )
        );
        match &s.per_feature {
            Some(p) => {
                let _ = writeln!(
                    t,
                    "mean D_i                   {:.6}  (mean interference {:.6e})",
                    p.mean_dimensionality, p.mean_interference
                );
                let peaks: Vec<String> = p
                    .peaks
                    .iter()
                    .map(|(centre, count)| format!("{centre:.4} ({count})"))
                    .collect();
                let _ = writeln!(
                    t,
                    "D_i histogram peaks        {}  (0.005 bins; centre (features))",
                    peaks.join(", ")
                );
            }
            None => {
                let _ = writeln!(t, "D_i, interference          not computed (sampled path)");
            }
        }
        if let Some(a) = &s.ambiguity {
            let _ = writeln!(
                t,
                "ambiguity |WW^T - P|_2     {:.6e}  (Lanczos: {} steps, error bound {:.1e}{})",
                a.value,
                a.iterations,
                a.error_bound,
                if a.converged { "" } else { ", NOT converged" }
            );
        }
        t
    }

    /// Row norm, D_i and interference of every feature as CSV, or `None` on the sampled
    /// path.
    pub fn per_feature_csv(&self) -> Option<String> {
        let p = self.per_feature.as_ref()?;
        let mut csv = String::from("feature,row_norm,dimensionality,interference\n");
        for (i, ((norm, d), interference)) in self
            .row_norms
            .iter()
            .zip(&p.dimensionality)
            .zip(&p.interference)
            .enumerate()
        {
            let _ = writeln!(csv, "{i},{norm},{d},{interference}");
        }
        Some(csv)
    }

    /// The fields of [`SUMMARY_COLUMNS`], comma-separated (empty where not measured).
    pub fn summary_fields(&self) -> String {
        let s = self;
        let optional = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            s.rows,
            s.width,
            s.norms.mean,
            s.norms.sd,
            s.norms.min,
            s.norms.max,
            s.phi_half,
            s.phi_one,
            s.dimensions_per_feature,
            s.overlap.mean_sq,
            s.overlap.mean_sq_ci,
            s.overlap.variance_sq,
            s.overlap.mean_abs,
            s.overlap.mean_abs_ci,
            s.welch_sq,
            s.m_times_mso,
            s.overlap.method.name(),
            optional(s.per_feature.as_ref().map(|p| p.mean_dimensionality)),
            optional(s.ambiguity.map(|a| a.value)),
            s.zero_rows,
            s.non_finite.map_or(0, |f| f.rows),
            s.non_finite.map_or("", |f| f.handling.name()),
        )
    }
}

/// One member of a family in its table: the file as given, its geometry, and its loss with
/// where it came from.
#[derive(Debug, Clone, Copy)]
pub struct FamilyRow<'a> {
    /// the file as given
    pub file: &'a str,
    /// its geometry
    pub stats: &'a WeightStats,
    /// its loss and the name of its source
    pub loss: Option<(f64, &'a str)>,
}

fn fit_line(t: &mut String, what: &str, outcome: &FitOutcome, resamples: usize) {
    let _ = match outcome {
        Ok(fit) => writeln!(
            t,
            "fit {what} over {} files: slope = {:.4} ± {:.4} (SE), {:.0} % CI [{:.4}, {:.4}] \
             (bootstrap, {} resamples{}), R² = {:.4}",
            fit.n_points,
            fit.exponent,
            fit.exponent_se,
            100.0 * fit.level,
            fit.lower,
            fit.upper,
            resamples,
            if fit.failed_resamples > 0 {
                format!(", {} degenerate left out", fit.failed_resamples)
            } else {
                String::new()
            },
            fit.r_squared
        ),
        Err(reason) => writeln!(t, "fit {what}: {reason}"),
    };
}

/// The table of a family and its two fits (`resamples`: the fits' bootstrap resamples).
pub fn family_table(rows: &[FamilyRow<'_>], fits: &FamilyFits, resamples: usize) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{:<40} {:>8} {:>6} {:>10} {:>12} {:>12} {:>12} {:>8} {:>12}  loss from; method",
        "file", "n", "m", "norm mean", "MSO", "kappa^2", "mean|cos|", "m*MSO", "loss"
    );
    for row in rows {
        let s = row.stats;
        let (loss, source) = match row.loss {
            Some((value, source)) => (format!("{value:.5e}"), source),
            None => ("-".to_string(), "-"),
        };
        let _ = writeln!(
            t,
            "{:<40} {:>8} {:>6} {:>10.4} {:>12.4e} {:>12.4e} {:>12.4e} {:>8.4} {:>12}  {}; {}",
            row.file,
            s.rows,
            s.width,
            s.norms.mean,
            s.overlap.mean_sq,
            s.welch_sq,
            s.overlap.mean_abs,
            s.m_times_mso,
            loss,
            source,
            s.overlap.method.name()
        );
    }
    fit_line(&mut t, "MSO ∝ m^-slope", &fits.mso, resamples);
    if fits.mso.is_ok() {
        let _ = writeln!(t, "  (slope 1 for directions as random, §3.4)");
    }
    fit_line(&mut t, "loss ∝ m^-slope", &fits.loss, resamples);
    if fits.loss.is_ok() {
        let _ = writeln!(
            t,
            "  (α_m ≈ 1 in strong superposition, small in weak, §3.2; LLMs 0.91 ± 0.04, §3.6)"
        );
    }
    t
}
