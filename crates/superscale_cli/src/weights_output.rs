//! The text and CSV that `superscale weights` writes.

use crate::weights_family::Member;
use anyhow::Result;
use std::fmt::Write as _;
use std::path::Path;
use superscale_measure::{OverlapMethod, WeightStats};
use superscale_weights::{Matrix, Orientation};

pub fn method_name(method: OverlapMethod) -> String {
    match method {
        OverlapMethod::Exact => "exact".into(),
        OverlapMethod::Sampled { pairs, seed } => format!("sampled({pairs} pairs; seed {seed})"),
    }
}

/// One matrix in detail.
pub fn detail(path: &Path, matrix: &Matrix, s: &WeightStats) -> String {
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{} :: {} ({}, stored {:?}); features are {}: n = {}, m = {}",
        path.display(),
        matrix.tensor,
        matrix.dtype,
        matrix.stored_shape,
        matrix.orientation.name(),
        s.rows,
        s.width
    );
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
    let _ = writeln!(
        t,
        "D* = m/|W|_F^2             {:.6}",
        s.dimensions_per_feature
    );
    let _ = writeln!(t, "overlaps                   {}", method_name(o.method));
    let _ = writeln!(
        t,
        "mean squared overlap (MSO) {:.6e}{}",
        o.mean_sq,
        ci(o.mean_sq_ci)
    );
    let _ = writeln!(t, "variance of squared overl. {:.6e}", o.variance_sq);
    let _ = writeln!(
        t,
        "mean |cos|                 {:.6e}{}",
        o.mean_abs,
        ci(o.mean_abs_ci)
    );
    let _ = writeln!(
        t,
        "sqrt(2/(pi m))             {:.6e}  (mean |cos| of random directions)",
        (2.0 / (std::f64::consts::PI * s.width as f64)).sqrt()
    );
    let _ = writeln!(t, "Welch bound kappa^2 (nu=n) {:.6e}", s.welch_sq);
    let _ = writeln!(
        t,
        "m * MSO                    {:.6}  (1 for random directions)",
        s.m_times_mso
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

/// Row norm, D_i and interference of every feature, or `None` on the sampled path.
pub fn per_feature_csv(s: &WeightStats) -> Option<String> {
    let p = s.per_feature.as_ref()?;
    let mut csv = String::from("feature,row_norm,dimensionality,interference\n");
    for (i, ((norm, d), interference)) in s
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

/// `weights.csv`: one row per file.
pub fn summary_csv(measured: &[Member], orientation: Orientation) -> Result<String> {
    let mut csv = String::from(
        "file,tensor,features,n,m,norm_mean,norm_sd,norm_min,norm_max,phi_half,phi_one,\
         dims_per_feature,mso,mso_ci,var_sq_overlap,mean_abs_cos,mean_abs_cos_ci,welch_sq,\
         m_mso,method,mean_dimensionality,ambiguity,loss,loss_source\n",
    );
    let optional = |v: Option<f64>| v.map_or_else(String::new, |v| v.to_string());
    for member in measured {
        let s = &member.stats;
        writeln!(
            csv,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            member.path.display(),
            member.tensor,
            orientation.name(),
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
            method_name(s.overlap.method),
            optional(s.per_feature.as_ref().map(|p| p.mean_dimensionality)),
            optional(s.ambiguity.map(|a| a.value)),
            optional(member.loss.as_ref().map(|l| l.0)),
            member.loss.as_ref().map_or("", |l| l.1.name()),
        )?;
    }
    Ok(csv)
}
