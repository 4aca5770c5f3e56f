//! A run as stored: its state, its provenance, and the rows of a finished run.

use crate::error::{sqlite, Result};
use rusqlite::{params, Transaction};
use sha2::{Digest, Sha256};
use std::path::Path;
use superscale_measure::OverlapStats;
use superscale_kinds::{RunResult, RunStatus};

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

/// One row of the `runs` table: identity, state and provenance (plus the held-out loss,
/// for listings).
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
    /// SHA-256 of the stored results, see [`result_digest`]
    pub digest: Option<String>,
    /// SHA-256 of the final parameters, see [`weights_digest`]
    pub weights_digest: Option<String>,
    /// held-out loss of a finished run (NaN if diverged)
    pub loss_heldout: Option<f64>,
}

/// SHA-256 (hex) of everything stored about a finished run's outcome, bit for bit: status,
/// losses, curve, geometry and row norms, but not its wall-clock time. Every NaN counts
/// as the same NaN, since the database stores NaN as NULL. Merges compare digests, and
/// reading a run back checks its digest, so a lossy round trip cannot go unnoticed.
pub fn result_digest(result: &RunResult) -> String {
    let mut hash = Sha256::new();
    let float = |hash: &mut Sha256, v: f64| {
        hash.update(
            if v.is_nan() { f64::NAN } else { v }
                .to_bits()
                .to_le_bytes(),
        )
    };
    match result.status {
        RunStatus::Done => hash.update([0u8]),
        RunStatus::Diverged { step } => {
            hash.update([1u8]);
            hash.update(step.to_le_bytes());
        }
    }
    for v in [
        result.loss_train_tail,
        result.loss_train_tail_sd,
        result.loss_heldout,
        result.sparse_backward_fraction,
    ] {
        float(&mut hash, v);
    }
    hash.update((result.curve.len() as u64).to_le_bytes());
    for &(step, loss) in &result.curve {
        hash.update(step.to_le_bytes());
        float(&mut hash, loss);
    }
    if let Some(g) = &result.geometry {
        hash.update([1u8]);
        for v in [g.phi_half, g.phi_one, g.dimensions_per_feature] {
            float(&mut hash, v);
        }
        for stats in [Some(g.overlap_all), g.overlap_strong] {
            match stats {
                Some(s) => {
                    hash.update((s.rows as u64).to_le_bytes());
                    for v in [s.mean, s.variance, s.mean_abs] {
                        float(&mut hash, v);
                    }
                }
                None => hash.update([0u8]),
            }
        }
        hash.update((g.row_norms.len() as u64).to_le_bytes());
        for &v in &g.row_norms {
            float(&mut hash, v);
        }
    } else {
        hash.update([0u8]);
    }
    hex(&hash.finalize())
}

/// SHA-256 (hex) of the final W and b, bit for bit: proves two runs trained identically
/// even when the weights themselves are not kept.
pub fn weights_digest(weights: &[f32], bias: &[f32]) -> String {
    let mut hash = Sha256::new();
    for part in [weights, bias] {
        hash.update((part.len() as u64).to_le_bytes());
        for v in part {
            hash.update(v.to_bits().to_le_bytes());
        }
    }
    hex(&hash.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// NaN as NULL (SQLite has no NaN).
pub(crate) fn real(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

/// NULL as NaN.
pub(crate) fn unreal(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

/// Writes the `results`, `curves` and `row_norms` rows of a finished run.
pub(crate) fn insert_outcome(tx: &Transaction<'_>, result: &RunResult, path: &Path) -> Result<()> {
    let key = (&result.point.run_id, result.point.replicate);
    for table in ["results", "curves", "row_norms"] {
        // A run is only ever committed once, but a rerun of a failed run must not trip over
        // rows of an older build.
        tx.execute(
            &format!("DELETE FROM {table} WHERE run_id = ?1 AND replicate = ?2"),
            params![key.0, key.1],
        )
        .map_err(sqlite(path))?;
    }
    let g = result.geometry.as_ref();
    let stats = |s: Option<OverlapStats>| {
        (
            s.map(|s| s.rows as i64),
            s.and_then(|s| real(s.mean)),
            s.and_then(|s| real(s.variance)),
            s.and_then(|s| real(s.mean_abs)),
        )
    };
    let all = stats(g.map(|g| g.overlap_all));
    let strong = stats(g.and_then(|g| g.overlap_strong));
    let (_, m) = result.point.spec.model.shape();
    // The Welch bound κ² is derived, but stored so that SQL and exports see every column
    // of results.csv.
    let welch = g
        .and_then(|g| g.overlap_strong)
        .map(|s| superscale_measure::welch_bound(s.rows, m).powi(2));
    tx.prepare_cached(
        "INSERT INTO results VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )
    .and_then(|mut insert| {
        insert.execute(params![
            key.0,
            key.1,
            real(result.loss_train_tail),
            real(result.loss_train_tail_sd),
            real(result.loss_heldout),
            real(result.sparse_backward_fraction),
            g.and_then(|g| real(g.phi_half)),
            g.and_then(|g| real(g.phi_one)),
            g.and_then(|g| real(g.dimensions_per_feature)),
            all.0,
            all.1,
            all.2,
            all.3,
            strong.0,
            strong.1,
            strong.2,
            strong.3,
            welch.and_then(real),
        ])
    })
    .map_err(sqlite(path))?;
    let mut curve = tx
        .prepare_cached("INSERT INTO curves VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(sqlite(path))?;
    for (point, &(step, loss)) in result.curve.iter().enumerate() {
        curve
            .execute(params![key.0, key.1, point as i64, step as i64, real(loss)])
            .map_err(sqlite(path))?;
    }
    let mut norms = tx
        .prepare_cached("INSERT INTO row_norms VALUES (?1, ?2, ?3, ?4)")
        .map_err(sqlite(path))?;
    for (feature, &norm) in g
        .map(|g| g.row_norms.as_slice())
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        norms
            .execute(params![key.0, key.1, feature as i64, real(norm)])
            .map_err(sqlite(path))?;
    }
    Ok(())
}
