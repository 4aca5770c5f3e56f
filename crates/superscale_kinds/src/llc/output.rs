//! What the store keeps of an LLC estimate: its schema, and the round trip of the numbers
//! the analysis reads (scalars and per-chain arrays).

use superscale_measure::llc::Estimate;
use superscale_store::{
    Array, ArrayColumn, ArrayData, CurveColumn, End, RunOutput, Scalar, ScalarColumn, ScalarType,
    Schema, Tensors,
};

/// The scalar columns, in order.
const SCALARS: [(&str, ScalarType); 15] = [
    ("n_params", ScalarType::Int),
    ("lambda_closed_form", ScalarType::Float),
    ("lambda_exact", ScalarType::Float),
    ("lambda_hat", ScalarType::Float),
    ("ci_low", ScalarType::Float),
    ("ci_high", ScalarType::Float),
    ("chain_sd", ScalarType::Float),
    ("relative_error", ScalarType::Float),
    ("nbeta", ScalarType::Float),
    ("loss_at_optimum", ScalarType::Float),
    ("r_hat", ScalarType::Float),
    ("healthy_chains", ScalarType::Int),
    ("diverged_chains", ScalarType::Int),
    ("diverged_at", ScalarType::Int),
    ("healthy", ScalarType::Int),
];

/// The per-chain arrays (axis `chain`): (name, value column).
const CHAIN_ARRAYS: [(&str, &str); 5] = [
    ("chain_lambda", "lambda"),
    ("chain_drift_norm", "drift_norm"),
    ("chain_noise_norm", "noise_norm"),
    ("chain_stationarity_z", "z"),
    ("chain_diverged_at", "step"),
];

/// Points kept of each chain's trace and of the mean excess-loss curve.
const TRACE_POINTS: usize = 200;

/// What an LLC run records: the scalars above; the curve `excess_loss`, the mean over the
/// finite chains of nβ·(L_n(w) − L_n(w*)) at (at most 200 evenly spaced) draws; per-chain
/// arrays; and `chain_trace` [chain, point], each chain's L_n at the same draws (NaN past
/// a divergence).
pub fn schema() -> Schema {
    let mut arrays: Vec<ArrayColumn> = CHAIN_ARRAYS
        .iter()
        .map(|&(name, value)| ArrayColumn {
            name: name.into(),
            axes: vec!["chain".into()],
            value: value.into(),
        })
        .collect();
    arrays.push(ArrayColumn {
        name: "chain_trace".into(),
        axes: vec!["chain".into(), "point".into()],
        value: "loss".into(),
    });
    Schema {
        kind: "llc".into(),
        scalars: SCALARS
            .iter()
            .map(|&(name, kind)| ScalarColumn {
                name: name.into(),
                kind,
            })
            .collect(),
        curves: vec![CurveColumn {
            name: "excess_loss".into(),
            table: "curves".into(),
        }],
        arrays,
        headline: Some("lambda_hat".into()),
    }
}

/// The numbers of one estimate the analysis reads back.
#[derive(Debug, Clone, PartialEq)]
pub struct LlcResult {
    /// parameters of the model
    pub n_params: usize,
    /// the closed form λ
    pub lambda_closed_form: f64,
    /// E[λ̂] at this nβ, γ (and ε for a quadratic), where known exactly; NaN otherwise
    pub lambda_exact: f64,
    /// λ̂
    pub lambda_hat: f64,
    /// 95 % interval over chains
    pub interval: (f64, f64),
    /// sd of λ̂ over chains
    pub chain_sd: f64,
    /// λ̂/λ − 1
    pub relative_error: f64,
    /// nβ
    pub nbeta: f64,
    /// L_n(w*)
    pub loss_at_optimum: f64,
    /// split-R̂
    pub r_hat: f64,
    /// chains passing every check
    pub healthy_chains: usize,
    /// chains that diverged
    pub diverged_chains: usize,
    /// first divergence step
    pub diverged_at: Option<u64>,
    /// every chain healthy and R̂ ≤ 1.1
    pub healthy: bool,
    /// per chain: (λ̂, drift norm, noise norm, z, divergence step or NaN)
    pub chains: Vec<[f64; 5]>,
    /// the mean excess-loss curve (draw, nβ·(L − L*))
    pub excess: Vec<(u64, f64)>,
}

/// The draws kept of `draws`: at most [`TRACE_POINTS`], evenly spaced, the last included.
fn kept(draws: usize) -> Vec<usize> {
    if draws <= TRACE_POINTS {
        return (0..draws).collect();
    }
    (0..TRACE_POINTS)
        .map(|i| i * (draws - 1) / (TRACE_POINTS - 1))
        .collect()
}

/// The store's form of an estimate.
pub fn to_output(
    estimate: &Estimate,
    lambda_closed_form: f64,
    lambda_exact: f64,
    optimum: &[f64],
    draws: usize,
    seconds: f64,
) -> RunOutput {
    let draws_kept = kept(draws);
    let finite: Vec<&[f64]> = estimate
        .chains
        .iter()
        .filter(|c| c.diverged_at.is_none())
        .map(|c| c.trace.as_slice())
        .collect();
    let excess = draws_kept
        .iter()
        .map(|&d| {
            let mean = finite.iter().map(|t| t[d]).sum::<f64>() / finite.len() as f64;
            (d as u64, estimate.nbeta * (mean - estimate.loss_at_optimum))
        })
        .filter(|(_, v)| v.is_finite())
        .collect();
    let diverged = estimate
        .chains
        .iter()
        .filter(|c| c.diverged_at.is_some())
        .count();
    let float = Scalar::Float;
    let scalars = vec![
        Scalar::Int(optimum.len() as i64),
        float(lambda_closed_form),
        float(lambda_exact),
        float(estimate.lambda),
        float(estimate.interval.0),
        float(estimate.interval.1),
        float(estimate.chain_sd),
        float(estimate.lambda / lambda_closed_form - 1.0),
        float(estimate.nbeta),
        float(estimate.loss_at_optimum),
        float(estimate.r_hat),
        Scalar::Int(estimate.healthy_chains() as i64),
        Scalar::Int(diverged as i64),
        estimate
            .diverged_at()
            .map_or(Scalar::Missing, |step| Scalar::Int(step as i64)),
        Scalar::Int(i64::from(estimate.healthy())),
    ];
    let per_chain = |value: &dyn Fn(&superscale_measure::llc::Chain) -> f64| Array {
        shape: vec![estimate.chains.len()],
        data: ArrayData::F64(estimate.chains.iter().map(value).collect()),
    };
    let mut arrays = vec![
        per_chain(&|c| c.lambda),
        per_chain(&|c| c.drift_norm),
        per_chain(&|c| c.noise_norm),
        per_chain(&|c| c.health.stationarity_z),
        per_chain(&|c| c.diverged_at.map_or(f64::NAN, |s| s as f64)),
    ];
    arrays.push(Array {
        shape: vec![estimate.chains.len(), draws_kept.len()],
        data: ArrayData::F64(
            estimate
                .chains
                .iter()
                .flat_map(|c| {
                    draws_kept
                        .iter()
                        .map(|&d| c.trace.get(d).copied().unwrap_or(f64::NAN))
                })
                .collect(),
        ),
    });
    RunOutput {
        end: match estimate.diverged_at() {
            None => End::Done,
            Some(step) => End::Diverged { step },
        },
        scalars,
        curves: vec![excess],
        arrays,
        weights: Tensors {
            tensors: vec![(
                "optimum".into(),
                Array {
                    shape: vec![optimum.len()],
                    data: ArrayData::F64(optimum.to_vec()),
                },
            )],
            metadata: Vec::new(),
        },
        seconds,
    }
}

/// Why an output cannot be an LLC run's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("not an llc run's output: {0}")]
pub struct Mismatch(String);

/// The numbers of an estimate read back from its output.
pub fn from_output(output: &RunOutput) -> Result<LlcResult, Mismatch> {
    if output.scalars.len() != SCALARS.len() || output.arrays.len() != CHAIN_ARRAYS.len() + 1 {
        return Err(Mismatch(format!(
            "{} scalars and {} arrays where the llc schema has {} and {}",
            output.scalars.len(),
            output.arrays.len(),
            SCALARS.len(),
            CHAIN_ARRAYS.len() + 1
        )));
    }
    let float = |i: usize| match output.scalars[i] {
        Scalar::Float(v) => Ok(v),
        ref other => Err(Mismatch(format!("{} holds {other:?}", SCALARS[i].0))),
    };
    let int = |i: usize| match output.scalars[i] {
        Scalar::Int(v) if v >= 0 => Ok(v as usize),
        ref other => Err(Mismatch(format!("{} holds {other:?}", SCALARS[i].0))),
    };
    let diverged_at = match output.scalars[13] {
        Scalar::Int(step) if step >= 0 => Some(step as u64),
        Scalar::Missing => None,
        ref other => return Err(Mismatch(format!("diverged_at holds {other:?}"))),
    };
    let columns: Vec<&Vec<f64>> = output.arrays[..CHAIN_ARRAYS.len()]
        .iter()
        .map(|array| match &array.data {
            ArrayData::F64(values) => Ok(values),
            ArrayData::F32(_) => Err(Mismatch("a chain array is not f64".into())),
        })
        .collect::<Result<_, _>>()?;
    let chains = (0..columns[0].len())
        .map(|c| {
            let mut row = [0.0; 5];
            for (value, column) in row.iter_mut().zip(&columns) {
                *value = column.get(c).copied().unwrap_or(f64::NAN);
            }
            row
        })
        .collect();
    Ok(LlcResult {
        n_params: int(0)?,
        lambda_closed_form: float(1)?,
        lambda_exact: float(2)?,
        lambda_hat: float(3)?,
        interval: (float(4)?, float(5)?),
        chain_sd: float(6)?,
        relative_error: float(7)?,
        nbeta: float(8)?,
        loss_at_optimum: float(9)?,
        r_hat: float(10)?,
        healthy_chains: int(11)?,
        diverged_chains: int(12)?,
        diverged_at,
        healthy: int(14)? == 1,
        chains,
        excess: output.curves.first().cloned().unwrap_or_default(),
    })
}
