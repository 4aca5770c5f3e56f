//! Real weight matrices: read a 2-D tensor from a `.safetensors` (memory-mapped), `.npy`
//! or `.npz` file in f64, f32, f16 or bf16, or from a llama.cpp `.gguf` file (memory-mapped;
//! F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K and Q6_K dequantised), take its rows (or columns)
//! as features, and
//! measure its superposition geometry with `superscale_measure`: row norms, φ½, φ₁,
//! D* = m/‖W‖²_F, the mean and variance of squared overlaps of the normalised rows (exact,
//! or a seeded pair-sampling estimate with a CI for large n), mean |cos|, and the Welch
//! bound κ², per-feature D_i and interference, and the ambiguity ‖WWᵀ − P‖₂
//! (`docs/science/superposition.md` §2, §3.6; `docs/science/tms.md` §4). For a family of
//! widths it fits MSO and loss against m (the loss from arguments, a table or the
//! safetensors metadata).
//!
//! ```
//! use superscale_weights::{measure_matrix, write_npy, MeasureOptions, Orientation, WeightFile};
//! let dir = std::env::temp_dir().join(format!("superscale_weights_doc_{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let values: Vec<u8> = [1.0f32, 0.0, 0.0, 1.0, -1.0, 0.0].iter().flat_map(|v| v.to_le_bytes()).collect();
//! let path = dir.join("w.npy");
//! std::fs::write(&path, write_npy("<f4", &[3, 2], &values)).unwrap();
//! let file = WeightFile::open(&path).unwrap();
//! let w = file.matrix("array", Orientation::Rows).unwrap();
//! let stats = measure_matrix(&w, &MeasureOptions::default()).unwrap();
//! assert_eq!((stats.rows, stats.width), (3, 2));
//! assert!((stats.overlap.mean_sq - 1.0 / 3.0).abs() < 1e-12);
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
mod stats;

pub use dtype::DType;
pub use error::{Error, Result};
pub use family::{
    assign_losses, chosen_tensor, fit_family, fit_power_law, metadata_loss, parse_loss,
    parse_loss_argument, read_loss_table, FamilyFits, FitOutcome, LossEntry, LossSource,
    PowerLawFit,
};
pub use file::{Format, Matrix, Orientation, TensorInfo, WeightFile, NPY_TENSOR};
pub use gguf::write_gguf;
pub use npy::write_npy;
pub use quants::{dequantize, ggml_type_name, GgmlType};
pub use stats::{
    measure_matrix, sampled_overlap, MeasureOptions, NormSummary, Overlap, OverlapMethod,
    PerFeature, WeightStats,
};
pub use superscale_fit::BootstrapOptions;
pub use superscale_measure::{Ambiguity, AmbiguityOptions, Precision};
