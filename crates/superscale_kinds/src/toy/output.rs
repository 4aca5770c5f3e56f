//! What the store keeps of a toy-model run: its schema, and the exact round trip between
//! the trainer's [`RunResult`] and the store's [`RunOutput`] (every bit of every number,
//! so a study read back from its store reports what was trained).

use super::execute::{RunResult, RunStatus};
use super::llc::LlcPoint;
use superscale_measure::{Geometry, OverlapStats};
use superscale_spec::{ModelSpec, RunPoint};
use superscale_store::{
    Array, ArrayColumn, ArrayData, CurveColumn, End, RunOutput, Scalar, ScalarColumn, ScalarType,
    Schema, Tensors,
};

/// The scalar columns, in the order of the results table (and of format-1 stores).
const SCALARS: [(&str, ScalarType); 16] = [
    ("loss_train_tail_n_mse", ScalarType::Float),
    ("loss_train_tail_sd_n_mse", ScalarType::Float),
    ("loss_heldout_n_mse", ScalarType::Float),
    ("sparse_backward_fraction", ScalarType::Float),
    ("phi_half", ScalarType::Float),
    ("phi_one", ScalarType::Float),
    ("dimensions_per_feature", ScalarType::Float),
    ("rows_overlap_all", ScalarType::Int),
    ("mean_sq_overlap_all", ScalarType::Float),
    ("var_sq_overlap_all", ScalarType::Float),
    ("mean_abs_overlap_all", ScalarType::Float),
    ("rows_norm_above_1", ScalarType::Int),
    ("mean_sq_overlap_norm_above_1", ScalarType::Float),
    ("var_sq_overlap_norm_above_1", ScalarType::Float),
    ("mean_abs_overlap_norm_above_1", ScalarType::Float),
    ("welch_kappa_sq_norm_above_1", ScalarType::Float),
];

/// The curves of a study with an `[llc]` table, one point per checkpoint (its step), all in
/// the export table `llc` (`docs/science/llc.md` §8).
pub const LLC_CURVES: [&str; 11] = [
    "lambda_hat",
    "ci_low",
    "ci_high",
    "chain_sd",
    "r_hat",
    "healthy_chains",
    "chains",
    "diverged_chains",
    "loss_at_optimum",
    "nbeta",
    "activation_regions",
];

/// What a toy-model run records: the losses and geometry above, the log-spaced batch-loss
/// curve, and the row norms ‖W_i‖; with `llc`, also λ̂ at the checkpoints ([`LLC_CURVES`]).
pub fn schema_with(llc: bool) -> Schema {
    let mut schema = schema();
    if llc {
        schema
            .curves
            .extend(LLC_CURVES.iter().map(|name| CurveColumn {
                name: (*name).into(),
                table: "llc".into(),
            }));
    }
    schema
}

/// What a toy-model run without an `[llc]` table records.
pub fn schema() -> Schema {
    Schema {
        kind: superscale_spec::DEFAULT_KIND.into(),
        scalars: SCALARS
            .iter()
            .map(|&(name, kind)| ScalarColumn {
                name: name.into(),
                kind,
            })
            .collect(),
        curves: vec![CurveColumn {
            name: "loss_batch_n_mse".into(),
            table: "curves".into(),
        }],
        arrays: vec![ArrayColumn {
            name: "row_norms".into(),
            axes: vec!["feature".into()],
            value: "norm".into(),
        }],
        headline: Some("loss_heldout_n_mse".into()),
    }
}

/// The store's form of a run result. A run without geometry (diverged) has missing
/// overlap counts and NaN measurements; a run whose strong-row statistics are undefined
/// (fewer than two rows with norm > 1) has a missing count there.
pub fn to_output(result: &RunResult) -> RunOutput {
    let geometry = result.geometry.as_ref();
    let stats = |s: Option<OverlapStats>| -> [Scalar; 4] {
        match s {
            Some(s) => [
                Scalar::Int(s.rows as i64),
                Scalar::Float(s.mean),
                Scalar::Float(s.variance),
                Scalar::Float(s.mean_abs),
            ],
            None => [
                Scalar::Missing,
                Scalar::Float(f64::NAN),
                Scalar::Float(f64::NAN),
                Scalar::Float(f64::NAN),
            ],
        }
    };
    let float = |f: &dyn Fn(&Geometry) -> f64| Scalar::Float(geometry.map_or(f64::NAN, f));
    let m = result.point.spec.model.width();
    // The Welch bound κ² is derived, but kept so that SQL and exports see every column of
    // results.csv.
    let welch = geometry
        .and_then(|g| g.overlap_strong)
        .map_or(f64::NAN, |s| {
            superscale_measure::welch_bound(s.rows, m).powi(2)
        });
    let mut scalars = vec![
        Scalar::Float(result.loss_train_tail),
        Scalar::Float(result.loss_train_tail_sd),
        Scalar::Float(result.loss_heldout),
        Scalar::Float(result.sparse_backward_fraction),
        float(&|g| g.phi_half),
        float(&|g| g.phi_one),
        float(&|g| g.dimensions_per_feature),
    ];
    scalars.extend(stats(geometry.map(|g| g.overlap_all)));
    scalars.extend(stats(geometry.and_then(|g| g.overlap_strong)));
    scalars.push(Scalar::Float(welch));
    let norms = geometry.map(|g| g.row_norms.clone()).unwrap_or_default();
    RunOutput {
        end: match result.status {
            RunStatus::Done => End::Done,
            RunStatus::Diverged { step } => End::Diverged { step },
        },
        scalars,
        curves: std::iter::once(result.curve.clone())
            .chain(llc_curves(result))
            .collect(),
        arrays: vec![Array {
            shape: vec![norms.len()],
            data: ArrayData::F64(norms),
        }],
        weights: tensors(&result.point, result),
        seconds: result.seconds,
    }
}

/// The [`LLC_CURVES`] of a run with an `[llc]` table (none without one).
fn llc_curves(result: &RunResult) -> Vec<Vec<(u64, f64)>> {
    if result.point.spec.llc.is_none() {
        return Vec::new();
    }
    let values = |c: &LlcPoint| -> [f64; 11] {
        [
            c.lambda,
            c.interval.0,
            c.interval.1,
            c.chain_sd,
            c.r_hat,
            c.healthy_chains as f64,
            c.chains as f64,
            c.diverged_chains as f64,
            c.loss_at_optimum,
            c.nbeta,
            c.regions as f64,
        ]
    };
    let rows: Vec<(u64, [f64; 11])> = result.llc.iter().map(|c| (c.step, values(c))).collect();
    (0..LLC_CURVES.len())
        .map(|k| rows.iter().map(|(step, v)| (*step, v[k])).collect())
        .collect()
}

/// W (n × m) and b (n), with what `superscale weights` needs to fit a family of widths
/// without the store: the held-out loss (absent if the run diverged) and n, m, γ, α.
fn tensors(point: &RunPoint, result: &RunResult) -> Tensors {
    let (n, m) = point.spec.model.shape();
    let mut metadata = Vec::new();
    if result.loss_heldout.is_finite() {
        metadata.push(("loss".to_string(), result.loss_heldout.to_string()));
    }
    metadata.push(("n_features".into(), n.to_string()));
    metadata.push(("n_hidden".into(), m.to_string()));
    let (gamma, alpha) = match &point.spec.model {
        ModelSpec::SuperpositionScaling(s) => (s.weight_decay, Some(s.alpha)),
        ModelSpec::Anthropic(s) => (s.weight_decay, None),
    };
    metadata.push(("weight_decay".into(), gamma.to_string()));
    if let Some(alpha) = alpha {
        metadata.push(("alpha".into(), alpha.to_string()));
    }
    Tensors {
        tensors: vec![
            (
                "W".into(),
                Array {
                    shape: vec![n, m],
                    data: ArrayData::F32(result.weights.clone()),
                },
            ),
            (
                "b".into(),
                Array {
                    shape: vec![n],
                    data: ArrayData::F32(result.bias.clone()),
                },
            ),
        ],
        metadata,
    }
}

/// Why an output cannot be a toy-model run's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("not a toy-model run's output: {0}")]
pub struct Mismatch(String);

/// The run result an output was made from (weights included when the output holds them).
pub fn from_output(point: RunPoint, output: &RunOutput) -> Result<RunResult, Mismatch> {
    let curves_expected = if point.spec.llc.is_some() {
        1 + LLC_CURVES.len()
    } else {
        1
    };
    if output.scalars.len() != SCALARS.len()
        || output.curves.len() != curves_expected
        || output.arrays.len() != 1
    {
        return Err(Mismatch(format!(
            "{} scalars, {} curves and {} arrays where the toy schema has 16, {curves_expected} and 1",
            output.scalars.len(),
            output.curves.len(),
            output.arrays.len()
        )));
    }
    let float = |i: usize| match &output.scalars[i] {
        Scalar::Float(v) => Ok(*v),
        Scalar::Missing => Ok(f64::NAN),
        other => Err(Mismatch(format!("{} holds {other:?}", SCALARS[i].0))),
    };
    let count = |i: usize| match &output.scalars[i] {
        Scalar::Int(v) => Ok(Some(*v as usize)),
        Scalar::Missing => Ok(None),
        other => Err(Mismatch(format!("{} holds {other:?}", SCALARS[i].0))),
    };
    let stats = |first: usize| -> Result<Option<OverlapStats>, Mismatch> {
        Ok(match count(first)? {
            Some(rows) => Some(OverlapStats {
                rows,
                mean: float(first + 1)?,
                variance: float(first + 2)?,
                mean_abs: float(first + 3)?,
            }),
            None => None,
        })
    };
    let row_norms = match &output.arrays[0].data {
        ArrayData::F64(norms) => norms.clone(),
        ArrayData::F32(_) => return Err(Mismatch("row norms stored as f32".into())),
    };
    let geometry = match stats(7)? {
        Some(overlap_all) => Some(Geometry {
            row_norms,
            phi_half: float(4)?,
            phi_one: float(5)?,
            overlap_all,
            overlap_strong: stats(11)?,
            dimensions_per_feature: float(6)?,
        }),
        None => None,
    };
    let tensor = |name: &str| {
        output
            .weights
            .tensors
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, a)| match &a.data {
                ArrayData::F32(v) => Some(v.clone()),
                ArrayData::F64(_) => None,
            })
            .unwrap_or_default()
    };
    let llc = llc_points(&output.curves[1..]);
    Ok(RunResult {
        llc,
        status: match output.end {
            End::Done => RunStatus::Done,
            End::Diverged { step } => RunStatus::Diverged { step },
        },
        loss_train_tail: float(0)?,
        loss_train_tail_sd: float(1)?,
        loss_heldout: float(2)?,
        sparse_backward_fraction: float(3)?,
        curve: output.curves[0].clone(),
        geometry,
        seconds: output.seconds,
        weights: tensor("W"),
        bias: tensor("b"),
        point,
    })
}

/// The checkpoints of a run read back from its [`LLC_CURVES`]: λ̂, interval, spread, R̂,
/// chain counts and regions as stored (the chains themselves are not kept).
fn llc_points(curves: &[Vec<(u64, f64)>]) -> Vec<LlcPoint> {
    let Some(first) = curves.first() else {
        return Vec::new();
    };
    let at = |k: usize, i: usize| {
        curves
            .get(k)
            .and_then(|c| c.get(i))
            .map_or(f64::NAN, |p| p.1)
    };
    (0..first.len())
        .map(|i| LlcPoint {
            step: first[i].0,
            lambda: at(0, i),
            interval: (at(1, i), at(2, i)),
            chain_sd: at(3, i),
            r_hat: at(4, i),
            healthy_chains: at(5, i) as usize,
            chains: at(6, i) as usize,
            diverged_chains: at(7, i) as usize,
            loss_at_optimum: at(8, i),
            nbeta: at(9, i),
            regions: at(10, i) as usize,
        })
        .collect()
}
