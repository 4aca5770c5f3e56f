//! Representation alignment (Huh, Cheung, Wang & Isola 2024, the Platonic Representation
//! Hypothesis; `docs/science/alignment.md`): how alike two representations A (n × d_A) and
//! B (n × d_B) of the same n items are.
//!
//! Metrics (§1): mutual k-NN, cycle k-NN, LCS and edit-distance k-NN, linear CKA (biased
//! and unbiased), RBF CKA, CKNNA and SVCCA; the preprocessing of §2 (clip at a quantile,
//! exact or per row, then row L2 normalisation, each switchable); and for every score the
//! chance level, a seeded permutation null with a calibrated score and a bootstrap interval
//! over items (§3–4).
//!
//! Inputs are f32 or f64, held and accumulated in f64. k-NN lists are exact (partial
//! selection per row, ties to the smaller index) and computed in row blocks through GEMM, so
//! memory is O(block·n + n·k); linear CKA uses d × d cross-products, other kernels are
//! summed blockwise; CKNNA works on sparse masks. Parallel work is split in fixed blocks
//! reduced in a fixed order, so results are identical for any number of threads.
//!
//! ```
//! use superscale_measure::align::{align, AlignOptions, Features, Metric};
//! let a: Vec<f32> = (0..40 * 3).map(|i| ((i * 37) % 11) as f32 - 5.0).collect();
//! let b: Vec<f32> = a.iter().map(|v| 2.0 * v).collect();
//! let options = AlignOptions { permutations: 20, ..AlignOptions::default() };
//! let result = align(
//!     Features::from_f32("A", &a, 3).unwrap(),
//!     Features::from_f32("B", &b, 3).unwrap(),
//!     Metric::MutualKnn,
//!     &options,
//! ).unwrap();
//! assert_eq!(result.score, 1.0); // B = 2A: the same neighbours
//! assert!(result.null.unwrap().mean < 0.5);
//! ```

mod cka;
mod cknna;
mod dictionary;
mod error;
mod features;
mod hsic;
mod knn;
mod knn_metrics;
mod metric;
mod stats;
mod svcca;
mod table;

pub use cka::{cka, Estimator};
pub use cknna::cknna;
pub use dictionary::{match_atoms, mmcs, Matching};
pub use error::{Error, Result};
pub use features::{Clip, Features, Preprocess};
pub use hsic::Kernel;
pub use knn::Neighbours;
pub use knn_metrics::{cycle_knn, edit_distance_knn, lcs_knn, mutual_knn};
pub use metric::{score, Metric, MetricParams};
pub use stats::{
    align, bootstrap_scores, draw_seed, null_orders, null_scores, summarise_bootstrap,
    summarise_null, AlignOptions, Alignment, Interval, NullStats,
};
pub use svcca::svcca;
pub use table::alignment_table;
