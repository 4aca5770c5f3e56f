//! What the store keeps of a run, whatever its kind: the kind declares a [`Schema`] (its
//! scalar columns, curves and arrays) and each finished run hands over a [`RunOutput`] in
//! that shape. The store needs nothing else from a kind, so a new kind adds no table.

use serde::{Deserialize, Serialize};

/// The type of a scalar column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScalarType {
    /// a signed integer
    Int,
    /// an IEEE double (NaN is kept, as NULL in the database; a missing value is another
    /// thing, see [`Scalar::Missing`])
    Float,
    /// text
    Text,
}

/// One scalar column a kind records per run (a column of `results.csv`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalarColumn {
    /// the column's name, e.g. `loss_heldout_n_mse`
    pub name: String,
    /// its type
    pub kind: ScalarType,
}

/// A curve a kind records per run: (step, value) pairs, exported as a long table with
/// columns `run_id, replicate, step, <name>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveColumn {
    /// the value's name, e.g. `loss_batch_n_mse`
    pub name: String,
    /// the export table it goes to, e.g. `curves`
    pub table: String,
}

/// An array a kind records per run (small enough for the database: row norms, a network's
/// representation of the probe items, per-task losses at every evaluation), exported as a
/// long table `run_id, replicate, <index...>, <value>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArrayColumn {
    /// the array's name, e.g. `row_norms` (also its export table's name)
    pub name: String,
    /// the names of its axes, outermost first, e.g. `["feature"]`
    pub axes: Vec<String>,
    /// the name of its value column, e.g. `norm`
    pub value: String,
}

/// What a kind records of every run, in order. Kept in the store's metadata, so a store
/// can be listed, shown and exported without the kind's code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schema {
    /// the kind's name (`kind = "..."` of its experiment files)
    pub kind: String,
    /// scalar columns, in `results.csv` order
    pub scalars: Vec<ScalarColumn>,
    /// curves
    pub curves: Vec<CurveColumn>,
    /// arrays
    pub arrays: Vec<ArrayColumn>,
    /// the scalar `superscale ls` shows beside each run (e.g. the held-out loss)
    pub headline: Option<String>,
}

/// A scalar value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// an integer
    Int(i64),
    /// a double; NaN means "undefined for this run"
    Float(f64),
    /// text
    Text(String),
    /// no value (e.g. a measurement of a run that diverged); kept apart from NaN
    Missing,
}

/// The data of an array, row-major.
#[derive(Debug, Clone, PartialEq)]
pub enum ArrayData {
    /// doubles
    F64(Vec<f64>),
    /// floats
    F32(Vec<f32>),
}

/// An n-dimensional array, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// its shape, outermost first
    pub shape: Vec<usize>,
    /// its values
    pub data: ArrayData,
}

/// Tensors kept in a run's `.safetensors` file (only when the study asks for weights):
/// named f32 or f64 tensors in order, plus string metadata for readers without the store.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tensors {
    /// (name, array) in order; e.g. `W` (n × m) then `b` (n)
    pub tensors: Vec<(String, Array)>,
    /// header metadata (the store adds run id, replicate, seed, spec and version)
    pub metadata: Vec<(String, String)>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// every step ran and the run was measured
    Done,
    /// the loss or a parameter became non-finite at this step: kept as a result, with
    /// whatever the kind could still record (its measurements are missing)
    Diverged {
        /// the step at which it was detected
        step: u64,
    },
}

/// Everything a finished run hands to the store, in its kind's [`Schema`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// done or diverged
    pub end: End,
    /// one value per schema scalar
    pub scalars: Vec<Scalar>,
    /// one curve per schema curve: (step, value)
    pub curves: Vec<Vec<(u64, f64)>>,
    /// one array per schema array
    pub arrays: Vec<Array>,
    /// the final parameters, digested always and written only when weights are kept
    pub weights: Tensors,
    /// wall-clock seconds (provenance, not part of the result's identity or digest)
    pub seconds: f64,
}

/// One planned run as the store keeps it: identity, order, seed, canonical spec and labels.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedRow {
    /// position in the study's order
    pub index: usize,
    /// content hash of the canonical spec
    pub run_id: String,
    /// replicate number
    pub replicate: u32,
    /// the run's seed
    pub seed: u64,
    /// canonical JSON of the run's spec
    pub spec_json: String,
    /// sweep axes and the kind's labels, (name, value)
    pub axes: Vec<(String, String)>,
}

/// A whole study as the store plans it: what it is and every run it has.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyPlan {
    /// the experiment's name
    pub name: String,
    /// the experiment file's text, exactly as run
    pub source: String,
    /// where it was read from (for messages only)
    pub source_path: std::path::PathBuf,
    /// what its kind records
    pub schema: Schema,
    /// every run of the study, in order
    pub runs: Vec<PlannedRow>,
}
