//! Opt-in final parameters as `.safetensors` beside the database: a kind's tensors (f32 or
//! f64) in its order, with the run's identity and spec in the header metadata. The format
//! is a length-prefixed JSON header plus raw little-endian arrays, so the Python
//! `safetensors` package (and numpy, by hand) read it without superscale.

use crate::error::{corrupt, io, Error, Result};
use crate::output::{Array, ArrayData, PlannedRow, Tensors};
use safetensors::tensor::{Metadata, TensorInfo};
use safetensors::{Dtype, SafeTensors};
use std::collections::HashMap;
use std::path::Path;

/// The weights file of a run, relative to the store directory.
pub fn weights_file(run_id: &str, replicate: u32) -> String {
    format!("weights/{run_id}-r{replicate}.safetensors")
}

/// Writes a run's tensors under the store directory; returns the relative path. The
/// metadata is the kind's plus `run_id`, `replicate`, `seed`, `spec` (canonical JSON) and
/// `superscale_version`, which win over a kind's key of the same name.
pub(crate) fn write(dir: &Path, run: &PlannedRow, tensors: &Tensors) -> Result<String> {
    let relative = weights_file(&run.run_id, run.replicate);
    let path = dir.join(&relative);
    let mut metadata: HashMap<String, String> = tensors.metadata.iter().cloned().collect();
    for (key, value) in [
        ("run_id", run.run_id.clone()),
        ("replicate", run.replicate.to_string()),
        ("seed", run.seed.to_string()),
        ("spec", run.spec_json.clone()),
        (
            "superscale_version",
            crate::provenance::version().to_string(),
        ),
    ] {
        metadata.insert(key.into(), value);
    }
    let bytes = encode(tensors, metadata).map_err(|message| Error::Encode {
        path: path.clone(),
        message,
    })?;
    let folder = path.parent().unwrap_or(dir);
    std::fs::create_dir_all(folder).map_err(io(folder))?;
    write_atomically(&path, &bytes).map(|()| relative)
}

/// Writes `bytes` to a temporary file and renames it: a kill leaves either the old file
/// or the whole new one.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    std::fs::write(&partial, bytes).map_err(io(&partial))?;
    std::fs::rename(&partial, path).map_err(io(path))
}

/// The safetensors bytes of `tensors` with their data in the given order. The safetensors
/// crate's own writer sorts tensors by dtype and name; laying them out ourselves keeps the
/// kind's order, which [`read_weights`] gives back (and [`crate::weights_digest`] hashes).
fn encode(
    tensors: &Tensors,
    metadata: HashMap<String, String>,
) -> std::result::Result<Vec<u8>, String> {
    let mut infos = Vec::with_capacity(tensors.tensors.len());
    let mut data = Vec::new();
    for (name, array) in &tensors.tensors {
        crate::validate::filled(array).map_err(|message| format!("tensor {name}: {message}"))?;
        let (dtype, bytes) = match &array.data {
            ArrayData::F32(_) => (Dtype::F32, crate::rows::encode(array).1),
            ArrayData::F64(_) => (Dtype::F64, crate::rows::encode(array).1),
        };
        let start = data.len();
        data.extend_from_slice(&bytes);
        infos.push((
            name.clone(),
            TensorInfo {
                dtype,
                shape: array.shape.clone(),
                data_offsets: (start, data.len()),
            },
        ));
    }
    let header = Metadata::new(Some(metadata), infos).map_err(|err| err.to_string())?;
    let mut header = serde_json::to_vec(&header).map_err(|err| err.to_string())?;
    // Pad the header with spaces to a multiple of 8 bytes, as safetensors writers do, so
    // the data are aligned for readers that map the file.
    header.resize(header.len().next_multiple_of(8), b' ');
    let mut bytes = Vec::with_capacity(8 + header.len() + data.len());
    bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&header);
    bytes.extend_from_slice(&data);
    Ok(bytes)
}

/// Reads a weights file written by the store (of any format): its tensors in file order
/// (the order they were written in), its metadata sorted by key. F32 and F64 tensors only.
pub fn read_weights(path: &Path) -> Result<Tensors> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    let invalid = |message: String| corrupt(path, message);
    let file = SafeTensors::deserialize(&bytes).map_err(|err| invalid(err.to_string()))?;
    let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|err| invalid(err.to_string()))?;
    let mut tensors = Vec::new();
    for name in header.offset_keys() {
        let view = file.tensor(&name).map_err(|err| invalid(err.to_string()))?;
        let data = match view.dtype() {
            Dtype::F32 => ArrayData::F32(
                view.data()
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect(),
            ),
            Dtype::F64 => ArrayData::F64(
                view.data()
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
                    .collect(),
            ),
            other => {
                return Err(invalid(format!(
                    "tensor {name} is {other:?}; the store keeps F32 and F64 tensors"
                )))
            }
        };
        tensors.push((
            name,
            Array {
                shape: view.shape().to_vec(),
                data,
            },
        ));
    }
    let mut metadata: Vec<(String, String)> = header
        .metadata()
        .clone()
        .unwrap_or_default()
        .into_iter()
        .collect();
    metadata.sort();
    Ok(Tensors { tensors, metadata })
}
