//! Opt-in final weights as `.safetensors` beside the database: `W` (n × m, f32) and `b`
//! (n, f32), with the run's identity and spec in the header metadata. The format is a
//! length-prefixed JSON header plus raw little-endian arrays, so the Python `safetensors`
//! package (and numpy, by hand) read it without superscale.

use crate::error::{io, Error, Result};
use safetensors::{serialize, tensor::TensorView, Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use superscale_kinds::RunResult;

/// The weights file of a run, relative to the store directory.
pub fn weights_file(run_id: &str, replicate: u32) -> String {
    format!("weights/{run_id}-r{replicate}.safetensors")
}

/// Writes the run's final W and b under the store directory; returns the relative path.
pub(crate) fn write(dir: &Path, result: &RunResult) -> Result<String> {
    let point = &result.point;
    let relative = weights_file(&point.run_id, point.replicate);
    let path = dir.join(&relative);
    let encode = |err: safetensors::SafeTensorError| Error::Encode {
        path: path.clone(),
        message: err.to_string(),
    };
    let (n, m) = point.spec.model.shape();
    let w_bytes: Vec<u8> = result
        .weights
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let b_bytes: Vec<u8> = result.bias.iter().flat_map(|v| v.to_le_bytes()).collect();
    let tensors = [
        (
            "W",
            TensorView::new(Dtype::F32, vec![n, m], &w_bytes).map_err(encode)?,
        ),
        (
            "b",
            TensorView::new(Dtype::F32, vec![n], &b_bytes).map_err(encode)?,
        ),
    ];
    let mut metadata = HashMap::from([
        ("run_id".to_string(), point.run_id.clone()),
        ("replicate".to_string(), point.replicate.to_string()),
        ("seed".to_string(), point.seed.to_string()),
        ("spec".to_string(), point.spec.canonical_json()),
        (
            "superscale_version".to_string(),
            crate::provenance::version().to_string(),
        ),
    ]);
    // What `superscale weights` needs to fit a family of widths without the store: the
    // held-out loss (results.csv's loss_heldout_n_mse; absent if the run diverged) and the
    // model's n, m, γ, α.
    if result.loss_heldout.is_finite() {
        metadata.insert("loss".into(), result.loss_heldout.to_string());
    }
    metadata.insert("n_features".into(), n.to_string());
    metadata.insert("n_hidden".into(), m.to_string());
    let (gamma, alpha) = match &point.spec.model {
        superscale_spec::ModelSpec::SuperpositionScaling(s) => (s.weight_decay, Some(s.alpha)),
        superscale_spec::ModelSpec::Anthropic(s) => (s.weight_decay, None),
    };
    metadata.insert("weight_decay".into(), gamma.to_string());
    if let Some(alpha) = alpha {
        metadata.insert("alpha".into(), alpha.to_string());
    }
    let bytes = serialize(tensors, Some(metadata)).map_err(encode)?;
    let folder = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(folder).map_err(io(folder))?;
    // Temporary file and rename: a kill leaves either the old file or the whole new one.
    let partial = path.with_extension("safetensors.partial");
    std::fs::write(&partial, bytes).map_err(io(&partial))?;
    std::fs::rename(&partial, &path).map_err(io(&path))?;
    Ok(relative)
}

/// Final weights read back from a `.safetensors` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// W, row-major n × m
    pub weights: Vec<f32>,
    /// b, length n
    pub bias: Vec<f32>,
    /// (n, m)
    pub shape: (usize, usize),
    /// the header metadata (run_id, replicate, seed, spec, superscale_version)
    pub metadata: HashMap<String, String>,
}

/// Reads a weights file written by the store.
pub fn read_weights(path: &Path) -> Result<Weights> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let invalid = |message: String| Error::Corrupt {
        path: PathBuf::from(path),
        message,
    };
    let tensors = SafeTensors::deserialize(&bytes).map_err(|err| invalid(err.to_string()))?;
    let floats = |name: &str| -> Result<(Vec<f32>, Vec<usize>)> {
        let view = tensors
            .tensor(name)
            .map_err(|err| invalid(err.to_string()))?;
        if view.dtype() != Dtype::F32 {
            return Err(invalid(format!(
                "tensor {name} is {:?}, not F32",
                view.dtype()
            )));
        }
        let values = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok((values, view.shape().to_vec()))
    };
    let (weights, w_shape) = floats("W")?;
    let (bias, _) = floats("b")?;
    let shape = match w_shape.as_slice() {
        [n, m] => (*n, *m),
        other => return Err(invalid(format!("W has shape {other:?}, not [n, m]"))),
    };
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|err| invalid(err.to_string()))?;
    Ok(Weights {
        weights,
        bias,
        shape,
        metadata: header.metadata().clone().unwrap_or_default(),
    })
}
