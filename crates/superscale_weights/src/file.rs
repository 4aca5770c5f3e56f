//! Weight files: `.safetensors`, `.npy` and `.gguf` memory-mapped, `.npz` read entry by entry.

use crate::dtype::{to_f64, DType};
use crate::error::{Error, Result};
use crate::gguf::{self, MatrixError};
use crate::npy::parse_header;
use crate::quants::ggml_type_name;
use memmap2::Mmap;
use safetensors::{Dtype, SafeTensors};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The formats superscale reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Hugging Face safetensors
    Safetensors,
    /// one NumPy array
    Npy,
    /// a zip of NumPy arrays (`np.savez`, `np.savez_compressed`)
    Npz,
    /// llama.cpp's GGUF (v2/v3), quantised tensors dequantised to f32
    Gguf,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Safetensors => "safetensors",
            Format::Npy => "npy",
            Format::Npz => "npz",
            Format::Gguf => "gguf",
        }
    }
}

/// One tensor as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    /// its name (`array` for a `.npy`, the entry name without `.npy` in an `.npz`)
    pub name: String,
    /// its element type as the file spells it (`F32`, `<f4`, …)
    pub dtype: String,
    /// its shape
    pub shape: Vec<usize>,
}

/// Which axis of a 2-D tensor indexes the features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Orientation {
    /// features are rows (`W[i, :]`, the unembedding convention and the MIT toy model)
    #[default]
    Rows,
    /// features are columns (`W[:, i]`, the TMS paper's convention), transposed on load
    Columns,
}

impl Orientation {
    /// `rows` or `columns`.
    pub fn name(self) -> &'static str {
        match self {
            Orientation::Rows => "rows",
            Orientation::Columns => "columns",
        }
    }
}

/// A 2-D tensor converted to f64, features as rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix {
    /// the tensor's name
    pub tensor: String,
    /// its dtype as stored
    pub dtype: String,
    /// its shape as stored
    pub stored_shape: [usize; 2],
    /// which stored axis became the rows
    pub orientation: Orientation,
    /// n, the number of features
    pub rows: usize,
    /// m, the width of a feature vector
    pub columns: usize,
    /// row-major n × m values
    pub data: Vec<f64>,
}

enum Contents {
    Mapped(Mmap),
    Owned(Vec<u8>),
    Entries(Vec<(String, Vec<u8>)>),
}

/// An open weight file.
pub struct WeightFile {
    path: PathBuf,
    format: Format,
    contents: Contents,
}

/// The name a `.npy` file's one array goes by.
pub const NPY_TENSOR: &str = "array";

impl WeightFile {
    fn format_of(path: &Path) -> Result<Format> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("safetensors") => Ok(Format::Safetensors),
            Some("npy") => Ok(Format::Npy),
            Some("npz") => Ok(Format::Npz),
            Some("gguf") => Ok(Format::Gguf),
            _ => Err(Error::UnknownFormat {
                path: path.to_path_buf(),
            }),
        }
    }

    /// A weight file held in memory: `bytes` as if read from `path`, whose extension
    /// chooses the format (and which error messages name). The fuzz target's entry point.
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<Self> {
        let format = Self::format_of(path)?;
        let contents = if format == Format::Npz {
            Contents::Entries(read_npz(path, std::io::Cursor::new(bytes))?)
        } else if bytes.is_empty() {
            return Err(Error::Corrupt {
                path: path.to_path_buf(),
                format: format.name(),
                reason: "the file is empty".into(),
            });
        } else {
            Contents::Owned(bytes)
        };
        let out = WeightFile {
            path: path.to_path_buf(),
            format,
            contents,
        };
        out.tensors()?;
        Ok(out)
    }

    /// Opens `path`, choosing the format by its extension, and checks its header.
    pub fn open(path: &Path) -> Result<Self> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let format = Self::format_of(path)?;
        let file = std::fs::File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let contents = if format == Format::Npz {
            Contents::Entries(read_npz(path, file)?)
        } else if len == 0 {
            return Err(Error::Corrupt {
                path: path.to_path_buf(),
                format: format.name(),
                reason: "the file is empty".into(),
            });
        } else {
            // SAFETY: the map is read-only and lives as long as `self`; like every reader of
            // memory-mapped weights (safetensors' own Python binding included) we rely on
            // the file not being truncated by another process while we read it.
            #[allow(unsafe_code)]
            let map = unsafe { Mmap::map(&file) }.map_err(io)?;
            Contents::Mapped(map)
        };
        let out = WeightFile {
            path: path.to_path_buf(),
            format,
            contents,
        };
        out.tensors()?;
        Ok(out)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's format.
    pub fn format(&self) -> Format {
        self.format
    }

    fn corrupt(&self, reason: impl std::fmt::Display) -> Error {
        Error::Corrupt {
            path: self.path.clone(),
            format: self.format.name(),
            reason: reason.to_string(),
        }
    }

    fn safetensors(&self) -> Result<SafeTensors<'_>> {
        match &self.contents {
            Contents::Mapped(_) | Contents::Owned(_) => {
                SafeTensors::deserialize(self.mapped()).map_err(|e| self.corrupt(e))
            }
            Contents::Entries(_) => Err(self.corrupt("not a single buffer")),
        }
    }

    /// The string metadata of a safetensors header (`__metadata__`, where
    /// `superscale run --save-weights` records the run's loss, n, m, γ, α and seed); empty
    /// for other formats and for safetensors files without metadata.
    pub fn metadata(&self) -> Result<BTreeMap<String, String>> {
        if self.format != Format::Safetensors {
            return Ok(BTreeMap::new());
        }
        let (_, header) = SafeTensors::read_metadata(self.mapped()).map_err(|e| self.corrupt(e))?;
        Ok(header
            .metadata()
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect())
    }

    /// The `.npy` arrays of the file with their names.
    fn arrays(&self) -> Vec<(&str, &[u8])> {
        match &self.contents {
            Contents::Mapped(_) | Contents::Owned(_) => vec![(NPY_TENSOR, self.mapped())],
            Contents::Entries(entries) => entries
                .iter()
                .map(|(name, bytes)| (name.as_str(), bytes.as_slice()))
                .collect(),
        }
    }

    /// The mapped bytes (every format but npz).
    fn mapped(&self) -> &[u8] {
        match &self.contents {
            Contents::Mapped(map) => map,
            Contents::Owned(bytes) => bytes,
            Contents::Entries(_) => &[],
        }
    }

    /// Every tensor in the file, sorted by name for safetensors, in file order for npz and
    /// GGUF (whose shapes are shown row-major: ggml's ne reversed).
    pub fn tensors(&self) -> Result<Vec<TensorInfo>> {
        if self.format == Format::Gguf {
            let header = gguf::parse(self.mapped()).map_err(|e| self.corrupt(e))?;
            return Ok(header
                .tensors
                .iter()
                .map(|t| TensorInfo {
                    name: t.name.clone(),
                    dtype: ggml_type_name(t.type_id),
                    shape: t.shape(),
                })
                .collect());
        }
        if self.format == Format::Safetensors {
            let tensors = self.safetensors()?;
            let mut out: Vec<TensorInfo> = tensors
                .tensors()
                .into_iter()
                .map(|(name, view)| TensorInfo {
                    name,
                    dtype: format!("{:?}", view.dtype()),
                    shape: view.shape().to_vec(),
                })
                .collect();
            out.sort_by(|a, b| a.name.cmp(&b.name));
            return Ok(out);
        }
        self.arrays()
            .into_iter()
            .map(|(name, bytes)| {
                let header = parse_header(bytes)
                    .map_err(|e| self.corrupt(format!("array {name:?}: {e}")))?;
                Ok(TensorInfo {
                    name: name.to_string(),
                    dtype: header.descr,
                    shape: header.shape,
                })
            })
            .collect()
    }

    /// The named 2-D tensor as an f64 matrix with features as rows.
    pub fn matrix(&self, name: &str, orientation: Orientation) -> Result<Matrix> {
        let unknown = || -> Result<Error> {
            let names: Vec<String> = self.tensors()?.into_iter().map(|t| t.name).collect();
            Ok(Error::UnknownTensor {
                path: self.path.clone(),
                tensor: name.to_string(),
                available: names.join(", "),
            })
        };
        let unsupported = |dtype: String| Error::UnsupportedDtype {
            path: self.path.clone(),
            tensor: name.to_string(),
            dtype,
        };
        let (dtype_name, shape, values, fortran) = if self.format == Format::Gguf {
            match gguf::matrix(self.mapped(), name) {
                Ok((dtype, shape, values)) => {
                    self.check_matrix(name, &shape)?;
                    (dtype, shape, values, false)
                }
                Err(MatrixError::Corrupt(reason)) => return Err(self.corrupt(reason)),
                Err(MatrixError::Unknown) => return Err(unknown()?),
                Err(MatrixError::NotMatrix(shape)) => {
                    return Err(Error::NotMatrix {
                        path: self.path.clone(),
                        tensor: name.to_string(),
                        shape,
                    })
                }
                Err(MatrixError::Unsupported(dtype)) => return Err(unsupported(dtype)),
            }
        } else if self.format == Format::Safetensors {
            let tensors = self.safetensors()?;
            let Ok(view) = tensors.tensor(name) else {
                return Err(unknown()?);
            };
            let dtype_name = format!("{:?}", view.dtype());
            let dtype = match view.dtype() {
                Dtype::F64 => DType::F64,
                Dtype::F32 => DType::F32,
                Dtype::F16 => DType::F16,
                Dtype::BF16 => DType::BF16,
                _ => return Err(unsupported(dtype_name)),
            };
            let shape = view.shape().to_vec();
            self.check_matrix(name, &shape)?;
            (dtype_name, shape, to_f64(view.data(), dtype, false), false)
        } else {
            let Some((_, bytes)) = self.arrays().into_iter().find(|(n, _)| *n == name) else {
                return Err(unknown()?);
            };
            let header =
                parse_header(bytes).map_err(|e| self.corrupt(format!("array {name:?}: {e}")))?;
            let Some(dtype) = header.dtype else {
                return Err(unsupported(header.descr));
            };
            self.check_matrix(name, &header.shape)?;
            let count: usize = header.shape.iter().product();
            let data = &bytes[header.data_offset..header.data_offset + count * dtype.size()];
            (
                header.descr,
                header.shape,
                to_f64(data, dtype, header.big_endian),
                header.fortran_order,
            )
        };
        let (r, c) = (shape[0], shape[1]);
        // Row-major r × c either way: a Fortran-order array is stored as its transpose.
        let stored = if fortran {
            transpose(&values, c, r)
        } else {
            values
        };
        let (rows, columns, data) = match orientation {
            Orientation::Rows => (r, c, stored),
            Orientation::Columns => (c, r, transpose(&stored, r, c)),
        };
        Ok(Matrix {
            tensor: name.to_string(),
            dtype: dtype_name,
            stored_shape: [r, c],
            orientation,
            rows,
            columns,
            data,
        })
    }

    fn check_matrix(&self, name: &str, shape: &[usize]) -> Result<()> {
        if shape.len() != 2 {
            return Err(Error::NotMatrix {
                path: self.path.clone(),
                tensor: name.to_string(),
                shape: shape.to_vec(),
            });
        }
        if shape[0] == 0 || shape[1] == 0 {
            return Err(Error::Empty {
                path: self.path.clone(),
                tensor: name.to_string(),
                rows: shape[0],
                columns: shape[1],
            });
        }
        Ok(())
    }
}

/// The transpose of a row-major `rows × columns` matrix.
fn transpose(values: &[f64], rows: usize, columns: usize) -> Vec<f64> {
    let mut out = vec![0.0; values.len()];
    for i in 0..rows {
        for j in 0..columns {
            out[j * rows + i] = values[i * columns + j];
        }
    }
    out
}

/// The most header bytes an `.npy` entry may have (NumPy writes under a kibibyte).
const MAX_NPY_HEADER: usize = 1 << 20;

/// Reads one `.npy` entry of an archive, bounded by what its header declares: the header
/// first, then exactly the bytes its shape needs, never the rest. A compressed entry that
/// would inflate past its declared array (a zip bomb, or a lying size field) is refused
/// without inflating it, and nothing is allocated on the word of a size field alone.
fn read_npz_entry(entry: &mut impl Read, declared: u64) -> std::result::Result<Vec<u8>, String> {
    let read_into = |entry: &mut dyn std::io::Read, bytes: &mut Vec<u8>, count: usize| {
        let before = bytes.len();
        entry
            .take(count as u64)
            .read_to_end(bytes)
            .map_err(|err| err.to_string())?;
        Ok::<usize, String>(bytes.len() - before)
    };
    let mut bytes = Vec::with_capacity(12);
    read_into(entry, &mut bytes, 12)?;
    let end = crate::npy::header_end(&bytes)?;
    if end > MAX_NPY_HEADER {
        return Err(format!(
            "a header of {end} bytes (at most {MAX_NPY_HEADER})"
        ));
    }
    if end > bytes.len() {
        let wanted = end - bytes.len();
        if read_into(entry, &mut bytes, wanted)? < wanted {
            return Err("truncated header".into());
        }
    }
    let header = crate::npy::parse_header_only(&bytes)?;
    let Some(needed) = header.data_bytes()? else {
        // a type that is never measured: its data is not read
        return Ok(bytes);
    };
    let total = end as u64 + needed as u64;
    if declared > total {
        return Err(format!(
            "the archive declares {declared} bytes, but shape {:?} needs {total}",
            header.shape
        ));
    }
    // the declared size is a hint only up to what the shape needs
    bytes.reserve(needed.min(1 << 30));
    read_into(entry, &mut bytes, needed)?;
    let mut past = [0u8; 1];
    if entry.read(&mut past).map_err(|err| err.to_string())? > 0 {
        return Err(format!(
            "more data than shape {:?} declares ({total} bytes)",
            header.shape
        ));
    }
    Ok(bytes)
}

fn read_npz(
    path: &Path,
    file: impl std::io::Read + std::io::Seek,
) -> Result<Vec<(String, Vec<u8>)>> {
    let corrupt = |reason: String| Error::Corrupt {
        path: path.to_path_buf(),
        format: "npz",
        reason,
    };
    let mut archive = zip::ZipArchive::new(file).map_err(|e| corrupt(e.to_string()))?;
    let mut out = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| corrupt(e.to_string()))?;
        let name = entry.name().to_string();
        let name = name.strip_suffix(".npy").unwrap_or(&name).to_string();
        let declared = entry.size();
        let bytes = read_npz_entry(&mut entry, declared)
            .map_err(|reason| corrupt(format!("entry {name:?}: {reason}")))?;
        out.push((name, bytes));
    }
    Ok(out)
}
