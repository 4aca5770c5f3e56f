//! `superscale weights`: the superposition geometry of real weight matrices
//! (`docs/science/superposition.md` §2, §3.6; `docs/science/tms.md` §4): one file in detail,
//! or a family of widths as a table with the fits MSO ∝ m^−slope and, where files have
//! losses, loss ∝ m^−α_m. Files are read by `superscale_weights`, measured and fitted by
//! `superscale_measure`, drawn by `superscale_report::weights_chart`.

use crate::output::{print_out, user, UserError};
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use superscale_measure::{
    family_table, fit_family, measure_matrix, AmbiguityOptions, BootstrapOptions,
    Error as MeasureError, FamilyRow, FitOutcome, MeasureOptions, NonFiniteRows, Precision,
    WeightStats, SUMMARY_COLUMNS,
};
use superscale_report::weights_chart::{family_figure, norm_histogram, FamilyFigure, PowerLine};
use superscale_weights::{
    assign_losses, member_loss, parse_loss_argument, read_loss_table, LossSource, Orientation,
    WeightFile,
};

/// Which axis of the tensor indexes the features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Features {
    /// rows, `W[i, :]` (unembeddings, token embeddings, the MIT toy model)
    Rows,
    /// columns, `W[:, i]` (the TMS paper's W ∈ R^{m×n}); the matrix is transposed
    Columns,
}

/// Precision of the exact path's Gram products.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GramPrecision {
    /// f64 products (cosines exact to ~1e-15)
    F64,
    /// f32 products, f64 sums (about twice as fast; MSO to ~1e-5 relative)
    F32,
}

/// What to do with the rows of a matrix that hold NaN or ±inf.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NonFiniteChoice {
    /// refuse the matrix (exit 2), naming the count and the first entry
    Refuse,
    /// leave those rows out (n counts the rest; stated in the output)
    Drop,
    /// set those rows to 0 (measured as zero rows; stated in the output)
    Zero,
}

/// Arguments of `superscale weights`.
#[derive(clap::Args)]
pub struct WeightsArgs {
    /// Weight files (.safetensors, .npy, .npz, .gguf); several files of one family give a
    /// table and a fit of the mean squared overlap against the width m.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The 2-D tensor to measure; without it, the tensors are listed (and a file's only 2-D
    /// tensor is measured).
    #[arg(long)]
    pub tensor: Option<String>,
    /// Whether rows or columns of the tensor are the features (printed with the results).
    #[arg(long, value_enum, default_value_t = Features::Rows)]
    pub features: Features,
    /// Also print φ_t, the fraction of features with norm > t (repeatable; ½ and 1 always).
    #[arg(long = "threshold", value_name = "T")]
    pub thresholds: Vec<f64>,
    /// Largest number of features measured exactly (all pairs, D_i, interference); above it
    /// pairs are sampled.
    #[arg(long, default_value_t = 50_000)]
    pub exact_limit: usize,
    /// Sample pairs even below --exact-limit.
    #[arg(long)]
    pub sampled: bool,
    /// Pairs drawn by the sampled estimate.
    #[arg(long, default_value_t = 1_000_000)]
    pub pairs: usize,
    /// Seed of the pair sampler and of the Lanczos start vector.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Precision of the exact path's Gram products.
    #[arg(long, value_enum, default_value_t = GramPrecision::F64)]
    pub precision: GramPrecision,
    /// Skip the ambiguity ‖WWᵀ − P‖₂ (Lanczos).
    #[arg(long)]
    pub no_ambiguity: bool,
    /// Relative tolerance of the ambiguity's Lanczos residual bound.
    #[arg(long, default_value_t = 1e-10)]
    pub ambiguity_tolerance: f64,
    /// Write row norm, D_i and interference of every feature to this CSV (one file only).
    #[arg(long, value_name = "CSV")]
    pub per_feature: Option<PathBuf>,
    /// Write SVG figures here: each file's row-norm histogram, and for several files MSO
    /// against m with the fitted line (docs/science/superposition.md §3.6).
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
    /// Write `weights.csv` (one row per file) to this directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// A family member's loss, FILE=VALUE (repeatable; FILE as given, or its file name);
    /// wins over --losses and the safetensors metadata's `loss`.
    #[arg(long = "loss", value_name = "FILE=VALUE")]
    pub losses: Vec<String>,
    /// A CSV with columns `file,loss` giving family members' losses; wins over the
    /// safetensors metadata's `loss` (written by `superscale run --save-weights`).
    #[arg(long = "losses", value_name = "CSV")]
    pub loss_table: Option<PathBuf>,
    /// Rows holding NaN or ±inf: refuse the matrix, or drop or zero those rows and say so.
    #[arg(long, value_enum, default_value_t = NonFiniteChoice::Refuse)]
    pub non_finite: NonFiniteChoice,
    /// Bootstrap resamples of the family fits' 95 % intervals (seeded by --seed).
    #[arg(long, default_value_t = 2000)]
    pub bootstrap: usize,
}

fn check_args(args: &WeightsArgs) -> Result<()> {
    if let Some(t) = args.thresholds.iter().find(|t| !t.is_finite()) {
        return Err(UserError(format!("--threshold {t}: must be a finite number")).into());
    }
    if args.per_feature.is_some() && args.files.len() != 1 {
        return Err(UserError("--per-feature takes exactly one weight file".into()).into());
    }
    if args.bootstrap == 0 {
        return Err(UserError("--bootstrap must be at least 1".into()).into());
    }
    if args.pairs == 0 {
        return Err(UserError("--pairs must be at least 1".into()).into());
    }
    if !(args.ambiguity_tolerance > 0.0 && args.ambiguity_tolerance < 1.0) {
        return Err(UserError(format!(
            "--ambiguity-tolerance {}: must lie in (0, 1)",
            args.ambiguity_tolerance
        ))
        .into());
    }
    Ok(())
}

/// One measured file of a family.
struct Member {
    path: PathBuf,
    tensor: String,
    stats: WeightStats,
    loss: Option<(f64, LossSource)>,
}

/// The losses given on the command line (`--loss`, then `--losses`), one slot per input
/// file; checked before anything is measured so a typo fails fast.
fn given_losses(args: &WeightsArgs) -> Result<Vec<Option<(f64, LossSource)>>> {
    let explicit = args
        .losses
        .iter()
        .map(|text| parse_loss_argument(text))
        .collect::<superscale_weights::Result<Vec<_>>>()
        .map_err(user)?;
    let table = match &args.loss_table {
        Some(path) if !path.exists() => {
            return Err(UserError(format!("{}: no such file (--losses)", path.display())).into())
        }
        Some(path) => Some((path.as_path(), read_loss_table(path).map_err(user)?)),
        None => None,
    };
    let table = table.as_ref().map(|(path, rows)| (*path, rows.as_slice()));
    assign_losses(&args.files, &explicit, table).map_err(user)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn line(fit: &FitOutcome) -> Option<PowerLine> {
    fit.as_ref().ok().map(|f| PowerLine {
        intercept: f.intercept,
        exponent: f.exponent,
        lower: f.lower,
        upper: f.upper,
    })
}

/// Runs `superscale weights`.
pub fn run(args: &WeightsArgs) -> Result<()> {
    check_args(args)?;
    let orientation = match args.features {
        Features::Rows => Orientation::Rows,
        Features::Columns => Orientation::Columns,
    };
    let options = MeasureOptions {
        exact_limit: args.exact_limit,
        force_sampled: args.sampled,
        pairs: args.pairs,
        seed: args.seed,
        thresholds: args.thresholds.clone(),
        precision: match args.precision {
            GramPrecision::F64 => Precision::F64,
            GramPrecision::F32 => Precision::F32,
        },
        ambiguity: (!args.no_ambiguity).then_some(AmbiguityOptions {
            tolerance: args.ambiguity_tolerance,
            ..AmbiguityOptions::default()
        }),
        non_finite: match args.non_finite {
            NonFiniteChoice::Refuse => NonFiniteRows::Refuse,
            NonFiniteChoice::Drop => NonFiniteRows::Drop,
            NonFiniteChoice::Zero => NonFiniteRows::Zero,
        },
        ..MeasureOptions::default()
    };
    let mut given = given_losses(args)?;
    if let Some(dir) = &args.plot {
        std::fs::create_dir_all(dir)?;
    }
    let mut measured: Vec<Member> = Vec::new();
    for (index, path) in args.files.iter().enumerate() {
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
        let stats = measure_matrix(&matrix.data, matrix.columns, &options).map_err(|err| {
            let named = format!("{} :: {}: {err}", path.display(), matrix.tensor);
            match err {
                // The file's content, not the machine: the user's to fix or to choose for.
                MeasureError::NonFinite { .. } => {
                    user(format!("{named} (--non-finite drop or --non-finite zero)"))
                }
                MeasureError::NoFiniteRow { .. } => user(named),
                _ => anyhow::anyhow!(named),
            }
        })?;
        if args.files.len() == 1 {
            print_out(&format!(
                "{} :: {} ({}, stored {:?}); features are {}: n = {}, m = {}\n{}",
                path.display(),
                matrix.tensor,
                matrix.dtype,
                matrix.stored_shape,
                matrix.orientation.name(),
                stats.rows,
                stats.width,
                stats.detail()
            ))?;
        }
        if let Some(csv) = &args.per_feature {
            let Some(text) = stats.per_feature_csv() else {
                return Err(UserError(format!(
                    "{}: --per-feature needs the exact path ({} features > --exact-limit {}, \
                     or --sampled)",
                    path.display(),
                    stats.rows,
                    args.exact_limit
                ))
                .into());
            };
            std::fs::write(csv, text)?;
            print_out(&format!("per-feature table: {}\n", csv.display()))?;
        }
        if let Some(dir) = &args.plot {
            let stem = path.file_stem().map_or_else(
                || "weights".to_string(),
                |s| s.to_string_lossy().into_owned(),
            );
            let svg = dir.join(format!("{stem}_row_norms.svg"));
            let title = format!("row norms of {} :: {}", stem, matrix.tensor);
            let n = &stats.norms;
            write(&svg, &norm_histogram(&title, &n.histogram, n.min, n.max)?)?;
            print_out(&format!("figure: {}\n", svg.display()))?;
        }
        measured.push(Member {
            path: path.clone(),
            tensor: matrix.tensor.clone(),
            stats,
            // One file is no family: its metadata's loss is not read (nor checked).
            loss: if args.files.len() > 1 {
                member_loss(&file, given[index].take()).map_err(user)?
            } else {
                None
            },
        });
    }
    if args.files.len() > 1 && !measured.is_empty() {
        let points: Vec<_> = measured
            .iter()
            .map(|x| {
                (
                    x.stats.width,
                    x.stats.overlap.mean_sq,
                    x.loss.as_ref().map(|l| l.0),
                )
            })
            .collect();
        let bootstrap = BootstrapOptions {
            resamples: args.bootstrap,
            seed: args.seed,
            level: 0.95,
        };
        let fits = fit_family(&points, &bootstrap);
        let files: Vec<String> = measured
            .iter()
            .map(|x| x.path.display().to_string())
            .collect();
        let rows: Vec<FamilyRow<'_>> = measured
            .iter()
            .zip(&files)
            .map(|(x, file)| FamilyRow {
                file,
                stats: &x.stats,
                loss: x
                    .loss
                    .as_ref()
                    .map(|(value, source)| (*value, source.name())),
            })
            .collect();
        print_out(&format!(
            "features are {}\n{}",
            orientation.name(),
            family_table(&rows, &fits, args.bootstrap)
        ))?;
        if let (Some(dir), true) = (&args.plot, measured.len() >= 2) {
            let svg = dir.join("mso_vs_m.svg");
            let figure = FamilyFigure {
                members: measured
                    .iter()
                    .map(|x| {
                        let s = &x.stats;
                        let m = s.width as f64;
                        (
                            m,
                            s.overlap.mean_sq,
                            s.welch_sq,
                            x.loss.as_ref().map(|l| l.0),
                        )
                    })
                    .collect(),
                mso_fit: line(&fits.mso),
                loss_fit: line(&fits.loss),
            };
            write(&svg, &family_figure(&figure)?)?;
            print_out(&format!("figure: {}\n", svg.display()))?;
        }
    }
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir)?;
        let mut csv = format!("file,tensor,features,{SUMMARY_COLUMNS},loss,loss_source\n");
        for x in &measured {
            let (loss, source) = x
                .loss
                .as_ref()
                .map_or((String::new(), ""), |l| (l.0.to_string(), l.1.name()));
            writeln!(
                csv,
                "{},{},{},{},{loss},{source}",
                x.path.display(),
                x.tensor,
                orientation.name(),
                x.stats.summary_fields()
            )?;
        }
        std::fs::write(dir.join("weights.csv"), csv)?;
    }
    Ok(())
}
