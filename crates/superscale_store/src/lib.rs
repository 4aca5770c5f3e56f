//! The durable run store (being rewritten as a kind-independent store on branch `store`;
//! this branch keeps only the output types the engine is written against).
#![deny(missing_docs)]

mod output;

pub use output::{
    Array, ArrayColumn, ArrayData, CurveColumn, End, PlannedRow, RunOutput, Scalar, ScalarColumn,
    ScalarType, Schema, StudyPlan, Tensors,
};
