//! The digests that prove a run's identity: of what the store keeps of it, and of its
//! final parameters. Both are SHA-256 over a fixed little-endian encoding (spelled out in
//! `docs/store.md`), so another implementation can recompute them.

use crate::output::{Array, ArrayData, End, RunOutput, Scalar, Tensors};
use sha2::{Digest, Sha256};

/// SHA-256 (hex) of everything the store keeps of a finished run, bit for bit: how it
/// ended, its scalars, curves and arrays, in schema order; not its wall-clock seconds and
/// not its weights (see [`weights_digest`]). Every NaN counts as the same NaN, because the
/// database keeps a NaN scalar or curve point as NULL; a missing scalar and a NaN are
/// distinct. A commit stores it, a read recomputes it from what came back, and a merge
/// compares it across stores, so a lossy round trip or an edited row cannot go unnoticed.
pub fn output_digest(output: &RunOutput) -> String {
    let mut hash = Sha256::new();
    match output.end {
        End::Done => hash.update([0u8]),
        End::Diverged { step } => {
            hash.update([1u8]);
            hash.update(step.to_le_bytes());
        }
    }
    hash.update((output.scalars.len() as u64).to_le_bytes());
    for scalar in &output.scalars {
        match scalar {
            Scalar::Missing => hash.update([0u8]),
            Scalar::Int(v) => {
                hash.update([1u8]);
                hash.update(v.to_le_bytes());
            }
            Scalar::Float(v) => {
                hash.update([2u8]);
                hash.update(f64_bits(*v));
            }
            Scalar::Text(text) => {
                hash.update([3u8]);
                hash.update((text.len() as u64).to_le_bytes());
                hash.update(text.as_bytes());
            }
        }
    }
    hash.update((output.curves.len() as u64).to_le_bytes());
    for curve in &output.curves {
        hash.update((curve.len() as u64).to_le_bytes());
        for &(step, value) in curve {
            hash.update(step.to_le_bytes());
            hash.update(f64_bits(value));
        }
    }
    hash.update((output.arrays.len() as u64).to_le_bytes());
    for array in &output.arrays {
        array_bytes(&mut hash, array);
    }
    hex(&hash.finalize())
}

/// dtype tag, rank, dimensions, length, then the values (NaN canonical).
fn array_bytes(hash: &mut Sha256, array: &Array) {
    hash.update([match array.data {
        ArrayData::F64(_) => 1u8,
        ArrayData::F32(_) => 2u8,
    }]);
    hash.update((array.shape.len() as u64).to_le_bytes());
    for &dim in &array.shape {
        hash.update((dim as u64).to_le_bytes());
    }
    match &array.data {
        ArrayData::F64(values) => {
            hash.update((values.len() as u64).to_le_bytes());
            for &v in values {
                hash.update(f64_bits(v));
            }
        }
        ArrayData::F32(values) => {
            hash.update((values.len() as u64).to_le_bytes());
            for &v in values {
                let v = if v.is_nan() { f32::NAN } else { v };
                hash.update(v.to_bits().to_le_bytes());
            }
        }
    }
}

/// SHA-256 (hex) of a run's final parameters, bit for bit (NaN payloads included): proves
/// two runs trained identically even when the weights themselves are not kept. Per tensor
/// in order: its element count as u64 (with the top bit set for an f64 tensor) and its
/// values' bits, little-endian. Names and shapes are left out so that a toy run's `[W, b]`
/// digest is the one format-1 stores hold.
pub fn weights_digest(tensors: &Tensors) -> String {
    let mut hash = Sha256::new();
    for (_, array) in &tensors.tensors {
        match &array.data {
            ArrayData::F32(values) => {
                hash.update((values.len() as u64).to_le_bytes());
                for v in values {
                    hash.update(v.to_bits().to_le_bytes());
                }
            }
            ArrayData::F64(values) => {
                // No tensor has 2^63 elements, so the top bit cannot be a real count.
                hash.update((values.len() as u64 | 1 << 63).to_le_bytes());
                for v in values {
                    hash.update(v.to_bits().to_le_bytes());
                }
            }
        }
    }
    hex(&hash.finalize())
}

/// The bits of a double with every NaN made the one canonical NaN.
pub(crate) fn f64_bits(v: f64) -> [u8; 8] {
    if v.is_nan() { f64::NAN } else { v }
        .to_bits()
        .to_le_bytes()
}

/// Lower-case hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
