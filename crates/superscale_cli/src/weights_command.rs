//! `superscale weights`: the superposition geometry of real weight matrices
//! (`superposition_scaling.md` §2, §3.6): one file in detail, or a family of widths as a
//! table with the fit MSO ∝ m^−slope.

use crate::{print_out, UserError};
use anyhow::Result;
use std::fmt::Write as _;
use std::path::PathBuf;
use superscale_weights::{
    measure_matrix, MeasureOptions, Orientation, OverlapMethod, WeightFile, WeightStats,
};

/// Arguments of `superscale weights`.
#[derive(clap::Args)]
pub struct WeightsArgs {
    /// Weight files (.safetensors, .npy, .npz); several files of one family give a table and a
    /// fit of the mean squared overlap against the width m.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The 2-D tensor to measure; without it, the tensors are listed (and a file's only 2-D
    /// tensor is measured).
    #[arg(long)]
    pub tensor: Option<String>,
    /// Features are rows (the default: unembeddings, `W[token, :]`).
    #[arg(long, conflicts_with = "columns")]
    pub rows: bool,
    /// Features are columns (the TMS paper's W ∈ R^{m×n}); the matrix is transposed.
    #[arg(long)]
    pub columns: bool,
    /// Largest number of features whose overlaps are computed exactly; above it pairs are
    /// sampled.
    #[arg(long, default_value_t = 20_000)]
    pub exact_limit: usize,
    /// Pairs drawn by the sampled estimate.
    #[arg(long, default_value_t = 1_000_000)]
    pub pairs: usize,
    /// Seed of the pair sampler.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write `weights.csv` (one row per file) to this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

fn user(err: superscale_weights::Error) -> anyhow::Error {
    if err.is_user_error() {
        UserError(err.to_string()).into()
    } else {
        err.into()
    }
}

/// Runs `superscale weights`.
pub fn run(args: &WeightsArgs) -> Result<()> {
    let orientation = if args.columns {
        Orientation::Columns
    } else {
        Orientation::Rows
    };
    let options = MeasureOptions {
        exact_limit: args.exact_limit,
        pairs: args.pairs,
        seed: args.seed,
        ..MeasureOptions::default()
    };
    let mut measured = Vec::new();
    for path in &args.files {
        if !path.exists() {
            return Err(UserError(format!("{}: no such file", path.display())).into());
        }
        let file = WeightFile::open(path).map_err(user)?;
        let name = match &args.tensor {
            Some(name) => name.clone(),
            None => {
                let tensors = file.tensors().map_err(user)?;
                let mut text = format!("{} ({} tensors)\n", path.display(), tensors.len());
                for t in &tensors {
                    writeln!(text, "  {:<48} {:<8} {:?}", t.name, t.dtype, t.shape)?;
                }
                print_out(&text)?;
                let matrices: Vec<_> = tensors.iter().filter(|t| t.shape.len() == 2).collect();
                if matrices.len() != 1 {
                    if args.files.len() == 1 {
                        print_out("choose one with --tensor NAME\n")?;
                    }
                    continue;
                }
                matrices[0].name.clone()
            }
        };
        let matrix = file.matrix(&name, orientation).map_err(user)?;
        let stats = measure_matrix(&matrix, &options).map_err(user)?;
        if args.files.len() == 1 {
            print_out(&detail(path, &matrix, &stats))?;
        }
        measured.push((path.clone(), matrix.tensor.clone(), stats));
    }
    if args.files.len() > 1 && !measured.is_empty() {
        print_out(&family(&measured, orientation)?)?;
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
        let mut csv = String::from(
            "file,tensor,features,n,m,norm_mean,norm_sd,norm_min,norm_max,phi_half,phi_one,\
             dims_per_feature,mso,mso_ci,var_sq_overlap,mean_abs_cos,mean_abs_cos_ci,welch_sq,\
             m_mso,method\n",
        );
        for (path, tensor, s) in &measured {
            writeln!(
                csv,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                path.display(),
                tensor,
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
                method_name(s.overlap.method)
            )?;
        }
        std::fs::write(dir.join("weights.csv"), csv)?;
    }
    Ok(())
}

fn method_name(method: OverlapMethod) -> String {
    match method {
        OverlapMethod::Exact => "exact".into(),
        OverlapMethod::Sampled { pairs, seed } => format!("sampled({pairs} pairs; seed {seed})"),
    }
}

fn detail(path: &std::path::Path, matrix: &superscale_weights::Matrix, s: &WeightStats) -> String {
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
    t
}

fn family(measured: &[(PathBuf, String, WeightStats)], orientation: Orientation) -> Result<String> {
    let mut t = format!("features are {}\n", orientation.name());
    writeln!(
        t,
        "{:<40} {:>8} {:>6} {:>10} {:>12} {:>12} {:>12} {:>8}  method",
        "file", "n", "m", "norm mean", "MSO", "kappa^2", "mean|cos|", "m*MSO"
    )?;
    for (path, _, s) in measured {
        writeln!(
            t,
            "{:<40} {:>8} {:>6} {:>10.4} {:>12.4e} {:>12.4e} {:>12.4e} {:>8.4}  {}",
            path.display(),
            s.rows,
            s.width,
            s.norms.mean,
            s.overlap.mean_sq,
            s.welch_sq,
            s.overlap.mean_abs,
            s.m_times_mso,
            method_name(s.overlap.method)
        )?;
    }
    if measured.len() >= 3 {
        let m: Vec<f64> = measured.iter().map(|x| x.2.width as f64).collect();
        let mso: Vec<f64> = measured.iter().map(|x| x.2.overlap.mean_sq).collect();
        match superscale_fit::ols_log_log(&m, &mso) {
            Ok(fit) => writeln!(
                t,
                "fit MSO ∝ m^-slope over {} files: slope = {:.4} ± {:.4} (SE), R² = {:.4}  \
                 (1 for directions as random, §3.6)",
                fit.n_points, fit.exponent, fit.exponent_se, fit.r_squared
            )?,
            Err(err) => writeln!(t, "fit MSO ∝ m^-slope: {err}")?,
        }
    }
    Ok(t)
}
