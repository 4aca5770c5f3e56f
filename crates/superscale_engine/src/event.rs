//! What a running study reports, from its worker threads.

use crate::error::RunError;
use superscale_spec::RunPoint;
use superscale_store::RunOutput;

/// Progress of a study, reported from worker threads as it happens. A finished run is
/// reported from its worker before that worker takes another job, so a store recording
/// these events commits each run before anything else happens (a kill then loses only the
/// runs in flight).
#[derive(Debug, Clone, Copy)]
pub enum Event<'a, R> {
    /// a run started
    Started(&'a RunPoint<R>),
    /// a run reached this many steps (about every hundred steps, and at the last)
    Step(&'a RunPoint<R>, u64),
    /// a run finished (done or diverged)
    Finished(&'a RunPoint<R>, &'a RunOutput),
    /// a run could not be trained
    Failed(&'a RunPoint<R>, &'a RunError),
}
