//! Training of the toy models: the learning-rate schedule, the optimiser with its weight
//! decay, and a loop that records a loss curve, stops on divergence and never allocates
//! inside a step.

mod error;
mod schedule;
mod trainer;

pub use error::{Error, Result};
pub use schedule::Schedule;
pub use trainer::{
    checkpoint_steps, curve_steps, evaluate, train, train_with_checkpoints, Decay, Outcome,
    Recording, Status, TrainConfig, SPARSE_BACKWARD_BELOW,
};
