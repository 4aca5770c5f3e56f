//! Readers of real weight files: a 2-D tensor from a `.safetensors` (memory-mapped), `.npy`
//! or `.npz` file in f64, f32, f16 or bf16, or from a llama.cpp `.gguf` file (memory-mapped;
//! F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K and Q6_K dequantised), as a row-major f64 matrix
//! with its rows (or columns) as features; the tensors and string metadata of a file; and for
//! a family of widths, each member's loss (from arguments, a table or the safetensors
//! metadata). The geometry of what is read is `superscale_measure::measure_matrix`
//! (`docs/architecture.md`).
//!
//! ```
//! use superscale_weights::{write_npy, Orientation, WeightFile};
//! let dir = std::env::temp_dir().join(format!("superscale_weights_doc_{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let values: Vec<u8> = [1.0f32, 0.0, 0.0, 1.0, -1.0, 0.0].iter().flat_map(|v| v.to_le_bytes()).collect();
//! let path = dir.join("w.npy");
//! std::fs::write(&path, write_npy("<f4", &[3, 2], &values)).unwrap();
//! let file = WeightFile::open(&path).unwrap();
//! let w = file.matrix("array", Orientation::Rows).unwrap();
//! assert_eq!((w.rows, w.columns), (3, 2));
//! assert_eq!(w.data, vec![1.0, 0.0, 0.0, 1.0, -1.0, 0.0]);
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
#![deny(missing_docs)]

mod dtype;
mod error;
mod family;
mod file;
mod gguf;
mod npy;
mod quants;

pub use dtype::DType;
pub use error::{Error, Result};
pub use family::{
    assign_losses, chosen_tensor, member_loss, metadata_loss, parse_loss, parse_loss_argument,
    read_loss_table, LossEntry, LossSource,
};
pub use file::{Format, Matrix, Orientation, TensorInfo, WeightFile, NPY_TENSOR};
pub use gguf::write_gguf;
pub use npy::write_npy;
pub use quants::{dequantize, ggml_type_name, GgmlType};
