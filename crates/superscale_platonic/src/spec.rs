//! The study spec (`experiments/platonic_*.toml`): a world, a model, and which variable a
//! study sweeps (`docs/science/alignment.md` §4 items 1–3), with every mistake located by file,
//! line and field before anything runs.

use crate::error::{Error, Result};
use crate::world::WorldSpec;
use serde::{Deserialize, Serialize};
use std::path::Path;
use superscale_align::{draw_seed, Metric};
use superscale_spec::line_of;

const STREAM_WORLD: u64 = 21;
const STREAM_MODEL: u64 = 22;
const STREAM_PROBE: u64 = 23;
const STREAM_TEST: u64 = 24;
const STREAM_REFERENCE: u64 = 25;

/// The network every run trains (`[model]`): an MLP d_x → width (× depth) → T, MSE,
/// AdamW with decoupled decay, fresh samples every step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// hidden width
    #[serde(default = "default_width")]
    pub width: usize,
    /// number of hidden layers (the representation is the last one, after its ReLU)
    #[serde(default = "default_depth")]
    pub depth: usize,
    /// AdamW's decoupled λ (torch convention: p ← p(1 − ηλ) every step)
    #[serde(default)]
    pub weight_decay: f64,
    /// optimizer steps
    #[serde(default = "default_steps")]
    pub steps: usize,
    /// fresh samples per step
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// constant learning rate η
    #[serde(default = "default_lr")]
    pub lr: f64,
}

fn default_width() -> usize {
    64
}
fn default_depth() -> usize {
    2
}
fn default_steps() -> usize {
    1500
}
fn default_batch_size() -> usize {
    256
}
fn default_lr() -> f64 {
    1e-3
}

impl Default for ModelSpec {
    fn default() -> Self {
        Self {
            width: default_width(),
            depth: default_depth(),
            weight_decay: 0.0,
            steps: default_steps(),
            batch_size: default_batch_size(),
            lr: default_lr(),
        }
    }
}

/// Which hypothesis of alignment.md §4 a study tests, i.e. what `values` sweeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StudyKind {
    /// item 1: the number of tasks T (plus the 1-d control if `control`)
    Multitask,
    /// item 2: the hidden width at fixed T
    Capacity,
    /// item 3: the weight decay at fixed T and width
    Simplicity,
}

impl StudyKind {
    /// The swept variable's name, for tables and axes.
    pub fn variable(self) -> &'static str {
        match self {
            StudyKind::Multitask => "tasks",
            StudyKind::Capacity => "width",
            StudyKind::Simplicity => "weight_decay",
        }
    }
}

/// `[study]`: the sweep, the seeds and the measurement protocol.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySection {
    /// what is swept
    pub kind: StudyKind,
    /// the swept values: T, widths or weight decays
    pub values: Vec<f64>,
    /// T for capacity and simplicity studies (multitask sweeps it)
    #[serde(default = "default_tasks")]
    pub tasks: usize,
    /// multitask only: also run the 1-d control at every T
    #[serde(default = "default_control")]
    pub control: bool,
    /// seeds S per modality and cell (S(S−1)/2 within-modality pairs)
    #[serde(default = "default_seeds")]
    pub seeds: usize,
    /// probe items n on which representations are compared
    #[serde(default = "default_probe")]
    pub probe: usize,
    /// test items for each model's test loss (competence)
    #[serde(default = "default_test")]
    pub test: usize,
    /// neighbours k of the neighbour metrics
    #[serde(default = "default_k")]
    pub k: usize,
    /// shuffles of the pairing in each pair's permutation null
    #[serde(default = "default_permutations")]
    pub permutations: usize,
    /// seed-bootstrap resamples for the CI over pairs (and the regression's bootstrap)
    #[serde(default = "default_bootstrap")]
    pub bootstrap: usize,
    /// metrics by name (`superscale_align`'s names)
    #[serde(default = "default_metrics")]
    pub metrics: Vec<String>,
    /// width of the fixed strong reference model of the competence regression
    /// (alignment.md §4 item 4)
    #[serde(default = "default_reference_width")]
    pub reference_width: usize,
}

fn default_tasks() -> usize {
    8
}
fn default_control() -> bool {
    true
}
fn default_seeds() -> usize {
    4
}
fn default_probe() -> usize {
    1024
}
fn default_test() -> usize {
    4096
}
fn default_k() -> usize {
    10
}
fn default_permutations() -> usize {
    100
}
fn default_bootstrap() -> usize {
    1000
}
fn default_metrics() -> Vec<String> {
    vec!["mutual_knn".into(), "unbiased_cka".into(), "cknna".into()]
}
fn default_reference_width() -> usize {
    256
}

/// A whole study spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySpec {
    /// name (the default output directory)
    pub name: String,
    /// free text
    #[serde(default)]
    pub description: String,
    /// the one seed every other seed derives from
    #[serde(default)]
    pub seed: u64,
    /// the synthetic world
    #[serde(default)]
    pub world: WorldSpec,
    /// the trained network
    #[serde(default)]
    pub model: ModelSpec,
    /// the sweep and protocol
    pub study: StudySection,
}

/// Whether a cell's tasks read all of z or only one projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// tasks read all of z
    Multitask,
    /// every task reads ⟨z, v⟩v (alignment.md §4 item 1's control)
    Control1d,
}

impl Condition {
    /// Its name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Condition::Multitask => "multitask",
            Condition::Control1d => "control_1d",
        }
    }
}

/// One sweep point: everything a cell's runs need.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// position in the study
    pub index: usize,
    /// multitask or control
    pub condition: Condition,
    /// the swept value
    pub value: f64,
    /// T
    pub tasks: usize,
    /// hidden width
    pub width: usize,
    /// AdamW λ
    pub weight_decay: f64,
}

impl Cell {
    /// A stable label (`multitask/tasks=8`), also hashed into the cell's seeds.
    pub fn label(&self, kind: StudyKind) -> String {
        format!(
            "{}/{}={}",
            self.condition.name(),
            kind.variable(),
            self.value
        )
    }
}

/// FNV-1a of a label: a stable stream number for seeds.
fn label_stream(label: &str) -> u64 {
    label.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl StudySpec {
    /// Reads, parses and validates a spec file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, path)
    }

    /// Parses and validates spec text (`path` only names the file in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let spec: StudySpec = toml::from_str(text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.span().map_or(1, |span| {
                text[..span.start.min(text.len())].matches('\n').count() + 1
            }),
            message: e.message().trim().to_string(),
        })?;
        spec.validate().map_err(|(field, message)| Error::Invalid {
            path: path.to_path_buf(),
            line: line_of(text, &field),
            field,
            message,
        })?;
        Ok(spec)
    }

    /// The first impossible value, as (dotted field, reason).
    pub fn validate(&self) -> std::result::Result<(), (String, String)> {
        let fail = |field: &str, message: String| Err((field.to_string(), message));
        let (w, m, s) = (&self.world, &self.model, &self.study);
        if self.name.is_empty() || self.name.contains(['/', '\\']) {
            return fail("name", format!("{:?} is not a directory name", self.name));
        }
        for (field, value) in [
            ("world.latent_dim", w.latent_dim),
            ("world.input_dim", w.input_dim),
            ("world.render_hidden", w.render_hidden),
            ("world.task_hidden", w.task_hidden),
            ("model.width", m.width),
            ("model.depth", m.depth),
            ("model.steps", m.steps),
            ("model.batch_size", m.batch_size),
            ("study.tasks", s.tasks),
            ("study.reference_width", s.reference_width),
        ] {
            if value == 0 {
                return fail(field, "must be at least 1".into());
            }
        }
        if !(w.noise >= 0.0 && w.noise.is_finite()) {
            return fail("world.noise", format!("{} must be finite and ≥ 0", w.noise));
        }
        if !(m.lr > 0.0 && m.lr.is_finite()) {
            return fail("model.lr", format!("{} must be finite and > 0", m.lr));
        }
        if !(m.weight_decay >= 0.0 && m.weight_decay * m.lr < 1.0) {
            return fail(
                "model.weight_decay",
                format!("{} must be ≥ 0 with lr·λ < 1", m.weight_decay),
            );
        }
        if s.values.is_empty() {
            return fail("study.values", "needs at least one value".into());
        }
        for &value in &s.values {
            let whole = value >= 1.0 && value.fract() == 0.0 && value <= 65536.0;
            let bad = match s.kind {
                StudyKind::Multitask | StudyKind::Capacity => !whole,
                StudyKind::Simplicity => !(value >= 0.0 && value * m.lr < 1.0),
            };
            if bad {
                let need = match s.kind {
                    StudyKind::Multitask => "a task count must be a whole number ≥ 1",
                    StudyKind::Capacity => "a width must be a whole number ≥ 1",
                    StudyKind::Simplicity => "a weight decay must be ≥ 0 with lr·λ < 1",
                };
                return fail("study.values", format!("{value}: {need}"));
            }
        }
        if s.seeds < 2 {
            return fail(
                "study.seeds",
                format!("{}: pairs of seeds need at least 2", s.seeds),
            );
        }
        if s.probe < 4 {
            return fail(
                "study.probe",
                format!("{}: at least 4 probe items", s.probe),
            );
        }
        if s.k == 0 || s.k >= s.probe {
            return fail(
                "study.k",
                format!("{}: need 1 ≤ k < probe = {}", s.k, s.probe),
            );
        }
        if s.test < 2 {
            return fail("study.test", format!("{}: at least 2 test items", s.test));
        }
        if s.bootstrap == 1 {
            return fail(
                "study.bootstrap",
                "1 resample gives no interval (0 or ≥ 2)".into(),
            );
        }
        if s.metrics.is_empty() {
            return fail("study.metrics", "needs at least one metric".into());
        }
        for name in &s.metrics {
            if let Err(e) = Metric::parse(name) {
                return fail("study.metrics", e.to_string());
            }
        }
        Ok(())
    }

    /// The metrics, parsed (validated at load).
    pub fn metrics(&self) -> Vec<Metric> {
        self.study
            .metrics
            .iter()
            .filter_map(|name| Metric::parse(name).ok())
            .collect()
    }

    /// Every cell in study order (multitask: all T of the multitask condition, then the
    /// control's).
    pub fn cells(&self) -> Vec<Cell> {
        let (m, s) = (&self.model, &self.study);
        let conditions: &[Condition] = match (s.kind, s.control) {
            (StudyKind::Multitask, true) => &[Condition::Multitask, Condition::Control1d],
            _ => &[Condition::Multitask],
        };
        let mut cells = Vec::new();
        for &condition in conditions {
            for &value in &s.values {
                let (tasks, width, weight_decay) = match s.kind {
                    StudyKind::Multitask => (value as usize, m.width, m.weight_decay),
                    StudyKind::Capacity => (s.tasks, value as usize, m.weight_decay),
                    StudyKind::Simplicity => (s.tasks, m.width, value),
                };
                cells.push(Cell {
                    index: cells.len(),
                    condition,
                    value,
                    tasks,
                    width,
                    weight_decay,
                });
            }
        }
        cells
    }

    /// T of the reference model: the largest T the study uses.
    pub fn reference_tasks(&self) -> usize {
        self.cells().iter().map(|c| c.tasks).max().unwrap_or(1)
    }

    /// The world's seed (one world per study: T = 2's tasks contain T = 1's).
    pub fn world_seed(&self) -> u64 {
        draw_seed(self.seed, STREAM_WORLD, 0)
    }

    /// The initialisation/data seed of run (modality, replicate) of a cell.
    pub fn run_seed(&self, cell: &Cell, modality: usize, replicate: usize) -> u64 {
        let stream = label_stream(&cell.label(self.study.kind));
        draw_seed(
            self.seed ^ stream,
            STREAM_MODEL,
            (modality * 1_000_003 + replicate) as u64,
        )
    }

    /// The reference model's seed.
    pub fn reference_seed(&self) -> u64 {
        draw_seed(self.seed, STREAM_REFERENCE, 0)
    }

    /// Seed of the probe latents and of modality `modality`'s rendering noise (stream 0:
    /// the latents).
    pub fn probe_seed(&self, part: usize) -> u64 {
        draw_seed(self.seed, STREAM_PROBE, part as u64)
    }

    /// Seed of the test set (latents, then each modality's noise).
    pub fn test_seed(&self, part: usize) -> u64 {
        draw_seed(self.seed, STREAM_TEST, part as u64)
    }
}
