//! `superscale align A B`: how alike two representations of the same items are
//! (`docs/science/alignment.md`): the table of `superscale_measure::align::alignment_table`
//! (mutual k-NN and the other metrics, with the chance level, a permutation null and a
//! bootstrap interval) for two tensors read by `superscale_weights`.

use crate::output::{print_out, user, UserError};
use anyhow::Result;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use superscale_measure::align::{
    alignment_table, AlignOptions, Clip, Features, Metric, MetricParams,
};
use superscale_weights::{Orientation, WeightFile};

/// How the clipping threshold is taken.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ClipMode {
    /// the q-th order statistic of |x| over all entries (platonic.Alignment's choice)
    Exact,
    /// the mean of the rows' q-quantiles of |x| (the reference CLI's default)
    PerRow,
}

/// Arguments of `superscale align`.
#[derive(clap::Args)]
pub struct AlignArgs {
    /// Features A: n items × d_A (.npy, .npz, .safetensors); row i is item i.
    pub a: PathBuf,
    /// Features B: the same n items in the same order × d_B.
    pub b: PathBuf,
    /// mutual_knn, cycle_knn, lcs_knn, edit_distance_knn, cka, unbiased_cka, rbf_cka, cknna,
    /// svcca, or all.
    #[arg(long, default_value = "mutual_knn")]
    pub metric: String,
    /// Neighbours per item for the k-NN metrics and CKNNA.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// Shuffles of the pairing in the permutation null (0: none).
    #[arg(long, default_value_t = 100)]
    pub permutations: usize,
    /// Bootstrap resamples of the items for a confidence interval (0: none).
    #[arg(long, default_value_t = 0)]
    pub bootstrap: usize,
    /// Coverage of the bootstrap interval.
    #[arg(long, default_value_t = 0.95)]
    pub confidence: f64,
    /// Seed of the null and the bootstrap.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Do not L2-normalise rows (inner products instead of cosines).
    #[arg(long)]
    pub no_normalize: bool,
    /// Clip entries at this quantile of |x| before normalising, or `none`.
    #[arg(long, default_value = "0.95")]
    pub clip_quantile: String,
    /// How the clipping threshold is taken.
    #[arg(long, value_enum, default_value = "exact")]
    pub clip_mode: ClipMode,
    /// The tensor of A's file (needed when it holds several 2-D tensors).
    #[arg(long)]
    pub tensor_a: Option<String>,
    /// The tensor of B's file.
    #[arg(long)]
    pub tensor_b: Option<String>,
    /// Bandwidth σ of rbf_cka.
    #[arg(long, default_value_t = 1.0)]
    pub rbf_sigma: f64,
    /// Components of svcca.
    #[arg(long, default_value_t = 10)]
    pub cca_dim: usize,
}

/// Reads one 2-D tensor of a file as features (rows = items).
fn read(path: &Path, tensor: Option<&str>, name: &'static str) -> Result<(Features, String)> {
    if !path.exists() {
        return Err(UserError(format!("{}: no such file", path.display())).into());
    }
    let file = WeightFile::open(path).map_err(user)?;
    let tensor = match tensor {
        Some(t) => t.to_string(),
        None => {
            let tensors = file.tensors().map_err(user)?;
            let matrices: Vec<_> = tensors.iter().filter(|t| t.shape.len() == 2).collect();
            match (tensors.len(), matrices.len()) {
                (1, _) => tensors[0].name.clone(),
                (_, 1) => matrices[0].name.clone(),
                _ => {
                    let names: Vec<String> = tensors
                        .iter()
                        .map(|t| format!("{} {:?}", t.name, t.shape))
                        .collect();
                    return Err(UserError(format!(
                        "{}: choose a tensor with --tensor-{} (the file has {})",
                        path.display(),
                        name.to_lowercase(),
                        names.join(", ")
                    ))
                    .into());
                }
            }
        }
    };
    let matrix = file.matrix(&tensor, Orientation::Rows).map_err(user)?;
    let shape = format!(
        "tensor {:?}, {} × {} {}",
        matrix.tensor, matrix.rows, matrix.columns, matrix.dtype
    );
    let features = Features::new(name, matrix.data, matrix.columns)
        .map_err(|e| UserError(format!("{}: {e}", path.display())))?;
    Ok((features, shape))
}

fn options(args: &AlignArgs) -> Result<AlignOptions> {
    let clip = if args.clip_quantile == "none" {
        Clip::None
    } else {
        let q: f64 = args.clip_quantile.parse().map_err(|_| {
            UserError(format!(
                "--clip-quantile {:?}: expected a number in (0, 1] or `none`",
                args.clip_quantile
            ))
        })?;
        match args.clip_mode {
            ClipMode::Exact => Clip::Exact(q),
            ClipMode::PerRow => Clip::PerRow(q),
        }
    };
    Ok(AlignOptions {
        params: MetricParams {
            k: args.k,
            rbf_sigma: args.rbf_sigma,
            cca_dim: args.cca_dim,
        },
        preprocess: superscale_measure::align::Preprocess {
            clip,
            normalize: !args.no_normalize,
        },
        permutations: args.permutations,
        bootstrap: args.bootstrap,
        confidence: args.confidence,
        seed: args.seed,
    })
}

/// Runs `superscale align`.
pub fn run(args: &AlignArgs) -> Result<()> {
    let metrics = if args.metric == "all" {
        Metric::ALL.to_vec()
    } else {
        vec![Metric::parse(&args.metric).map_err(|e| UserError(format!("--metric: {e}")))?]
    };
    let options = options(args)?;
    let (a, shape_a) = read(&args.a, args.tensor_a.as_deref(), "A")?;
    let (b, shape_b) = read(&args.b, args.tensor_b.as_deref(), "B")?;
    if a.rows() != b.rows() {
        return Err(UserError(format!(
            "{} has {} rows but {} has {}: the rows must be the same items in the same order",
            args.a.display(),
            a.rows(),
            args.b.display(),
            b.rows()
        ))
        .into());
    }
    let n = a.rows();
    if metrics.iter().any(|m| m.uses_neighbours()) && (args.k == 0 || args.k >= n) {
        return Err(UserError(format!(
            "--k {}: {} and {} have n = {n} items, so k must satisfy 1 ≤ k < {n}",
            args.k,
            args.a.display(),
            args.b.display()
        ))
        .into());
    }
    let mut text = format!(
        "A: {} ({shape_a})\nB: {} ({shape_b})\n",
        args.a.display(),
        args.b.display()
    );
    writeln!(text, "{}\n", options.describe())?;
    match alignment_table(&a, &b, &metrics, &options) {
        Ok(table) => text += &table,
        Err(err @ superscale_measure::align::Error::Kernel(_)) => return Err(err.into()),
        Err(err) => {
            return Err(UserError(format!(
                "{} and {}: {err}",
                args.a.display(),
                args.b.display()
            ))
            .into())
        }
    }
    print_out(&text)
}
