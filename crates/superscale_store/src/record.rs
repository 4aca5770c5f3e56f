//! A run as stored: its state and its provenance.

/// The state of a run in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunState {
    /// planned, never started
    Pending,
    /// started and not finished; after a kill it stays so until the study is resumed
    Running,
    /// trained to the last step and measured
    Done,
    /// the loss or a parameter became non-finite (a result, kept like a done run)
    Diverged,
    /// could not be trained (a bug or an impossible spec); rerun on resume
    Failed,
}

impl RunState {
    /// The name stored in the `status` column.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Pending => "pending",
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Diverged => "diverged",
            RunState::Failed => "failed",
        }
    }

    /// The state named by a `status` value.
    pub fn parse(text: &str) -> Option<Self> {
        [
            RunState::Pending,
            RunState::Running,
            RunState::Done,
            RunState::Diverged,
            RunState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
    }

    /// Done or diverged: the run has a result and is never run again.
    pub fn is_finished(self) -> bool {
        matches!(self, RunState::Done | RunState::Diverged)
    }
}

/// One row of the `runs` table: identity, state and provenance (plus the schema's headline
/// scalar, for listings).
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    /// content hash of the run's spec
    pub run_id: String,
    /// replicate number
    pub replicate: u32,
    /// position in the experiment's order
    pub index: usize,
    /// the replicate's seed
    pub seed: u64,
    /// canonical JSON of the run's spec
    pub spec_json: String,
    /// sweep axes at this point, (dotted path, value)
    pub axes: Vec<(String, String)>,
    /// pending, running, done, diverged or failed
    pub state: RunState,
    /// step at which a diverged run was stopped
    pub diverged_step: Option<u64>,
    /// why a failed run failed
    pub error: Option<String>,
    /// how many times the run was started
    pub attempts: u32,
    /// when the last attempt started (ISO 8601 UTC)
    pub started_at: Option<String>,
    /// when the run finished or failed (ISO 8601 UTC)
    pub finished_at: Option<String>,
    /// wall-clock seconds of the finished run
    pub seconds: Option<f64>,
    /// the machine that ran it
    pub host: Option<String>,
    /// the superscale version that ran it
    pub superscale_version: Option<String>,
    /// the git commit of that build, if known
    pub git_commit: Option<String>,
    /// weights file, relative to the store directory, if saved
    pub weights_file: Option<String>,
    /// SHA-256 of the stored output, see [`crate::output_digest`]
    pub digest: Option<String>,
    /// SHA-256 of the final parameters, see [`crate::weights_digest`]
    pub weights_digest: Option<String>,
    /// the schema's headline scalar of a finished run (e.g. the held-out loss), as a
    /// double; `None` when the run is unfinished, the schema has no headline, or the
    /// value is missing or NaN
    pub headline: Option<f64>,
}
