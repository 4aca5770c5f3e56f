//! What the store keeps of a quanta run: its schema, and the exact round trip between the
//! trainer's [`RunResult`] and the store's [`RunOutput`] (every bit of every number, so the
//! analysis of a study read back from its store is the analysis of what was trained).

use super::train::{RunResult, Trained};
use superscale_store::{
    Array, ArrayColumn, ArrayData, CurveColumn, End, RunOutput, Scalar, ScalarColumn, ScalarType,
    Schema, Tensors,
};

/// The scalar columns, in order. The two losses are derived from the curve (kept so that
/// `ls`, SQL and exports see them); `diverged_at` is missing for a run that finished.
const SCALARS: [(&str, ScalarType); 4] = [
    ("n_params", ScalarType::Int),
    ("final_test_loss_bits", ScalarType::Float),
    ("min_test_loss_bits", ScalarType::Float),
    ("diverged_at", ScalarType::Int),
];

/// The per-task arrays, each `[eval, task]`: (array name, value column).
const ARRAYS: [(&str, &str); 3] = [
    ("task_loss_bits", "loss_bits"),
    ("task_accuracy", "accuracy"),
    ("task_brier", "brier"),
];

/// What a quanta run records: the scalars above, the weighted test loss at every evaluation
/// step (the curve `test_loss_bits`), and the per-task loss, accuracy and Brier score at
/// every evaluation as `[eval, task]` arrays of doubles.
pub fn schema() -> Schema {
    Schema {
        kind: "quanta".into(),
        scalars: SCALARS
            .iter()
            .map(|&(name, kind)| ScalarColumn {
                name: name.into(),
                kind,
            })
            .collect(),
        curves: vec![CurveColumn {
            name: "test_loss_bits".into(),
            table: "curves".into(),
        }],
        arrays: ARRAYS
            .iter()
            .map(|&(name, value)| ArrayColumn {
                name: name.into(),
                axes: vec!["eval".into(), "task".into()],
                value: value.into(),
            })
            .collect(),
        headline: Some("final_test_loss_bits".into()),
    }
}

fn matrix(rows: &[Vec<f64>]) -> Array {
    let columns = rows.first().map_or(0, Vec::len);
    Array {
        shape: vec![rows.len(), columns],
        data: ArrayData::F64(rows.iter().flatten().copied().collect()),
    }
}

/// The store's form of a trained run; the network's layers are its tensors (`W0`, `b0`,
/// `W1`, … with W_l stored `in × out`, as the trainer lays it out).
pub fn to_output(trained: &Trained, seconds: f64) -> RunOutput {
    let result = &trained.result;
    let scalars = vec![
        Scalar::Int(result.n_params as i64),
        Scalar::Float(result.final_test_loss_bits()),
        Scalar::Float(result.min_test_loss_bits()),
        result
            .diverged_at
            .map_or(Scalar::Missing, |step| Scalar::Int(step as i64)),
    ];
    let curve = result
        .eval_steps
        .iter()
        .copied()
        .zip(result.test_loss_bits.iter().copied())
        .collect();
    let mlp = &trained.mlp;
    let sizes = mlp.layer_sizes();
    let mut tensors = Vec::with_capacity(2 * mlp.depth());
    for layer in 0..mlp.depth() {
        let part = |range: std::ops::Range<usize>| ArrayData::F32(trained.params[range].to_vec());
        tensors.push((
            format!("W{layer}"),
            Array {
                shape: vec![sizes[layer], sizes[layer + 1]],
                data: part(mlp.weight_range(layer)),
            },
        ));
        tensors.push((
            format!("b{layer}"),
            Array {
                shape: vec![sizes[layer + 1]],
                data: part(mlp.bias_range(layer)),
            },
        ));
    }
    let layer_sizes: Vec<String> = sizes.iter().map(usize::to_string).collect();
    RunOutput {
        end: match result.diverged_at {
            None => End::Done,
            Some(step) => End::Diverged { step },
        },
        scalars,
        curves: vec![curve],
        arrays: vec![
            matrix(&result.task_loss_bits),
            matrix(&result.task_accuracy),
            matrix(&result.task_brier),
        ],
        weights: Tensors {
            tensors,
            metadata: vec![("layer_sizes".into(), layer_sizes.join(","))],
        },
        seconds,
    }
}

/// Why an output cannot be a quanta run's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("not a quanta run's output: {0}")]
pub struct Mismatch(String);

fn rows(array: &Array, name: &str) -> Result<Vec<Vec<f64>>, Mismatch> {
    let ArrayData::F64(values) = &array.data else {
        return Err(Mismatch(format!("{name} is not stored as f64")));
    };
    match array.shape[..] {
        [rows, 0] if values.is_empty() => Ok(vec![Vec::new(); rows]),
        [rows, columns] if rows * columns == values.len() => {
            Ok(values.chunks(columns).map(<[f64]>::to_vec).collect())
        }
        _ => Err(Mismatch(format!(
            "{name} has shape {:?} for {} values",
            array.shape,
            values.len()
        ))),
    }
}

/// The run result an output was made from.
pub fn from_output(output: &RunOutput) -> Result<RunResult, Mismatch> {
    if output.scalars.len() != SCALARS.len() || output.curves.len() != 1 || output.arrays.len() != 3
    {
        return Err(Mismatch(format!(
            "{} scalars, {} curves and {} arrays where the quanta schema has 4, 1 and 3",
            output.scalars.len(),
            output.curves.len(),
            output.arrays.len()
        )));
    }
    let n_params = match output.scalars[0] {
        Scalar::Int(count) if count >= 0 => count as usize,
        ref other => return Err(Mismatch(format!("n_params holds {other:?}"))),
    };
    let diverged_at = match output.scalars[3] {
        Scalar::Int(step) if step >= 0 => Some(step as u64),
        Scalar::Missing => None,
        ref other => return Err(Mismatch(format!("diverged_at holds {other:?}"))),
    };
    let (eval_steps, test_loss_bits) = output.curves[0].iter().copied().unzip();
    Ok(RunResult {
        n_params,
        eval_steps,
        test_loss_bits,
        task_loss_bits: rows(&output.arrays[0], ARRAYS[0].0)?,
        task_accuracy: rows(&output.arrays[1], ARRAYS[1].0)?,
        task_brier: rows(&output.arrays[2], ARRAYS[2].0)?,
        diverged_at,
    })
}
