//! A bounds-checked reader of GGUF v2/v3, the llama.cpp model format (ggml's `docs/gguf.md`):
//!
//! ```text
//! u32 magic "GGUF" | u32 version | u64 tensor_count | u64 metadata_kv_count
//! metadata_kv_count × { string key | u32 value_type | value }
//! tensor_count × { string name | u32 n_dims | n_dims × u64 ne | u32 ggml_type | u64 offset }
//! padding to `general.alignment` (default 32) | tensor data (offsets relative to here)
//! ```
//!
//! Strings are a u64 length and UTF-8 bytes; all integers little-endian. `ne[0]` is the
//! fastest-varying dimension, so a 2-D tensor with ne = [m, n] is row-major n × m (a token
//! embedding has ne = [n_embd, n_vocab]: rows are tokens). Every length and offset read from
//! the file is checked against the bytes that are there before anything is allocated or
//! sliced, so a corrupted or lying file is an error, never a panic or a huge allocation.

use crate::quants::{dequantize, ggml_type_name, GgmlType};

/// One tensor's entry in the header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GgufTensor {
    pub name: String,
    /// ggml's ne, fastest-varying first
    pub ne: Vec<u64>,
    pub type_id: u32,
    /// absolute byte offset of the data in the file
    pub start: usize,
}

impl GgufTensor {
    /// The shape in row-major (numpy) order: ne reversed.
    pub fn shape(&self) -> Vec<usize> {
        // Each ne fits usize: checked by `parse` (their product is bounded by the file size
        // for readable types, and by u64 → usize conversion for the others).
        self.ne.iter().rev().map(|&d| d as usize).collect()
    }
}

/// The parsed header.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GgufHeader {
    pub version: u32,
    pub alignment: u64,
    pub tensors: Vec<GgufTensor>,
}

/// Why a tensor could not be read as a matrix.
#[derive(Debug)]
pub(crate) enum MatrixError {
    Corrupt(String),
    Unknown,
    NotMatrix(Vec<usize>),
    Unsupported(String),
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, count: u64, what: &str) -> Result<&'a [u8], String> {
        let remaining = self.bytes.len() - self.at;
        let count = usize::try_from(count)
            .ok()
            .filter(|&c| c <= remaining)
            .ok_or_else(|| {
                format!(
                    "truncated: {what} needs {count} bytes at offset {}, {remaining} remain",
                    self.at
                )
            })?;
        let out = &self.bytes[self.at..self.at + count];
        self.at += count;
        Ok(out)
    }

    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64, String> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn string(&mut self, what: &str) -> Result<String, String> {
        let len = self.u64(what)?;
        let bytes = self.take(len, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| format!("{what} is not UTF-8"))
    }

    fn remaining(&self) -> u64 {
        (self.bytes.len() - self.at) as u64
    }

    /// Skips a metadata value of `kind`, returning it as u64 when it is an unsigned scalar
    /// (for `general.alignment`).
    fn value(&mut self, kind: u32, key: &str, depth: u32) -> Result<Option<u64>, String> {
        let what = format!("metadata {key:?}");
        Ok(match kind {
            0 | 1 | 7 => Some(u64::from(self.take(1, &what)?[0])),
            2 | 3 => {
                let b = self.take(2, &what)?;
                Some(u64::from(u16::from_le_bytes([b[0], b[1]])))
            }
            4 => Some(u64::from(self.u32(&what)?)),
            5 | 6 => {
                self.take(4, &what)?;
                None
            }
            10 => Some(self.u64(&what)?),
            11 | 12 => {
                self.take(8, &what)?;
                None
            }
            8 => {
                self.string(&what)?;
                None
            }
            9 => {
                if depth > 4 {
                    return Err(format!("{what}: arrays nested too deeply"));
                }
                let element = self.u32(&what)?;
                let count = self.u64(&what)?;
                // Every element takes at least one byte: a count beyond the bytes left is a lie.
                if count > self.remaining() {
                    return Err(format!(
                        "{what}: array of {count} elements, only {} bytes remain",
                        self.remaining()
                    ));
                }
                for _ in 0..count {
                    self.value(element, key, depth + 1)?;
                }
                None
            }
            other => return Err(format!("{what}: unknown value type {other}")),
        })
    }
}

/// Parses and checks the header of a GGUF file held in `bytes`.
pub(crate) fn parse(bytes: &[u8]) -> Result<GgufHeader, String> {
    let mut c = Cursor { bytes, at: 0 };
    if c.take(4, "magic")? != b"GGUF" {
        return Err("missing the GGUF magic".into());
    }
    let version = c.u32("version")?;
    if version != 2 && version != 3 {
        return Err(format!(
            "unsupported GGUF version {version} (superscale reads v2 and v3, little-endian)"
        ));
    }
    let tensor_count = c.u64("tensor count")?;
    let metadata_count = c.u64("metadata count")?;
    // A key-value pair takes at least 12 bytes, a tensor entry at least 28.
    if metadata_count > c.remaining() / 12 || tensor_count > c.remaining() / 28 {
        return Err(format!(
            "header claims {tensor_count} tensors and {metadata_count} metadata entries, more \
             than the file's {} bytes can hold",
            bytes.len()
        ));
    }
    let mut alignment = 32u64;
    for _ in 0..metadata_count {
        let key = c.string("metadata key")?;
        let kind = c.u32("metadata value type")?;
        let value = c.value(kind, &key, 0)?;
        if key == "general.alignment" {
            alignment = value
                .filter(|a| *a > 0 && a.is_power_of_two())
                .ok_or("general.alignment is not a positive power of two")?;
        }
    }
    let mut entries = Vec::new();
    for _ in 0..tensor_count {
        let name = c.string("tensor name")?;
        let n_dims = c.u32("tensor dimension count")?;
        if n_dims == 0 || n_dims > 4 {
            return Err(format!(
                "tensor {name:?} has {n_dims} dimensions (ggml allows 1 to 4)"
            ));
        }
        let ne = (0..n_dims)
            .map(|_| c.u64("tensor dimension"))
            .collect::<Result<Vec<u64>, String>>()?;
        let type_id = c.u32("tensor type")?;
        let offset = c.u64("tensor offset")?;
        if offset % alignment != 0 {
            return Err(format!(
                "tensor {name:?}: offset {offset} is not a multiple of the alignment {alignment}"
            ));
        }
        entries.push((name, ne, type_id, offset));
    }
    let data_start = (c.at as u64).div_ceil(alignment) * alignment;
    let mut tensors = Vec::with_capacity(entries.len());
    for (name, ne, type_id, offset) in entries {
        let elements = ne
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .filter(|&e| usize::try_from(e).is_ok())
            .ok_or_else(|| format!("tensor {name:?}: shape {ne:?} overflows"))?;
        let start = data_start
            .checked_add(offset)
            .and_then(|s| usize::try_from(s).ok())
            .ok_or_else(|| format!("tensor {name:?}: offset {offset} overflows"))?;
        if let Some(kind) = GgmlType::from_id(type_id) {
            let (block_elements, block_bytes) = kind.block();
            if ne[0] % block_elements as u64 != 0 {
                return Err(format!(
                    "tensor {name:?}: ne[0] = {} is not a multiple of the {} block size {block_elements}",
                    ne[0],
                    kind.name()
                ));
            }
            // Checked: a wrapped size could pass the bounds check below (found by the fuzz
            // target).
            let size = (elements / block_elements as u64).checked_mul(block_bytes as u64);
            let end = size.and_then(|size| (start as u64).checked_add(size));
            if end.is_none_or(|end| end > bytes.len() as u64) {
                let size = size.map_or_else(|| "too many".to_string(), |s| s.to_string());
                return Err(format!(
                    "tensor {name:?}: {size} bytes of {} data at offset {start} run past the end \
                     of the file ({} bytes)",
                    kind.name(),
                    bytes.len()
                ));
            }
        }
        tensors.push(GgufTensor {
            name,
            ne,
            type_id,
            start,
        });
    }
    Ok(GgufHeader {
        version,
        alignment,
        tensors,
    })
}

/// The named tensor as row-major f64 values with its type name and row-major shape.
pub(crate) fn matrix(
    bytes: &[u8],
    name: &str,
) -> Result<(String, Vec<usize>, Vec<f64>), MatrixError> {
    let header = parse(bytes).map_err(MatrixError::Corrupt)?;
    let tensor = header
        .tensors
        .iter()
        .find(|t| t.name == name)
        .ok_or(MatrixError::Unknown)?;
    let shape = tensor.shape();
    if shape.len() != 2 {
        return Err(MatrixError::NotMatrix(shape));
    }
    let type_name = ggml_type_name(tensor.type_id);
    let kind =
        GgmlType::from_id(tensor.type_id).ok_or(MatrixError::Unsupported(type_name.clone()))?;
    let (rows, columns) = (shape[0], shape[1]);
    if rows == 0 || columns == 0 {
        // Nothing to read, and a huge extent along the other axis must not size a buffer
        // (found by the fuzz target: ne = [2⁵⁸, 0]).
        return Ok((type_name, shape, Vec::new()));
    }
    let (block_elements, block_bytes) = kind.block();
    let row_bytes = columns / block_elements * block_bytes;
    // In bounds: `parse` checked start + rows·row_bytes ≤ bytes.len().
    let data = &bytes[tensor.start..tensor.start + rows * row_bytes];
    let mut values = Vec::with_capacity(rows * columns);
    let mut row = vec![0.0f32; columns];
    for chunk in data.chunks_exact(row_bytes.max(1)).take(rows) {
        dequantize(kind, chunk, &mut row);
        values.extend(row.iter().map(|&v| f64::from(v)));
    }
    Ok((type_name, shape, values))
}

/// Writes a GGUF v3 file of the given tensors (name, ne, ggml type id, raw data), with one
/// string metadata entry and alignment 32: used by tests and the fuzz seed corpus.
pub fn write_gguf(tensors: &[(&str, &[u64], u32, &[u8])]) -> Vec<u8> {
    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend((s.len() as u64).to_le_bytes());
        out.extend(s.as_bytes());
    }
    let mut out = b"GGUF".to_vec();
    out.extend(3u32.to_le_bytes());
    out.extend((tensors.len() as u64).to_le_bytes());
    out.extend(1u64.to_le_bytes());
    string(&mut out, "general.architecture");
    out.extend(8u32.to_le_bytes());
    string(&mut out, "superscale-test");
    let mut offset = 0u64;
    let mut offsets = Vec::new();
    for (name, ne, type_id, data) in tensors {
        string(&mut out, name);
        out.extend((ne.len() as u32).to_le_bytes());
        for d in *ne {
            out.extend(d.to_le_bytes());
        }
        out.extend(type_id.to_le_bytes());
        out.extend(offset.to_le_bytes());
        offsets.push(offset);
        offset += (data.len() as u64).div_ceil(32) * 32;
    }
    let data_start = (out.len() as u64).div_ceil(32) * 32;
    out.resize(data_start as usize, 0);
    for ((_, _, _, data), offset) in tensors.iter().zip(offsets) {
        out.resize((data_start + offset) as usize, 0);
        out.extend(*data);
    }
    out
}
