//! The experiment file of a Platonic study (`kind = "platonic"`, `experiments/platonic_*.toml`):
//! a world, a model, and which variable the study sweeps (Huh et al. 2024, the Platonic
//! Representation Hypothesis: multitask scaling, capacity and simplicity bias), with every
//! mistake located by file, line and field before anything runs.
//!
//! ```toml
//! name = "platonic-multitask"
//! kind = "platonic"
//! seed = 0
//! replicates = 4            # seeds per modality and cell
//! [world]                   # the synthetic world (world.rs)
//! [model]                   # the network every run trains
//! [study]                   # hypothesis = "multitask" | "capacity" | "simplicity", values, …
//! [analysis]                # k, permutations, bootstrap, metrics (never part of a run's identity)
//! ```
//!
//! The point tables expand into networks, each one run of the engine
//! ([`PlatonicSpec::runs`]): every (cell, modality, seed) and one reference network. Their
//! seeds are the ones the studies always had (FNV-1a of the cell's label mixed into the
//! study's seed), so the tables stay the same.

use super::world::WorldSpec;
use serde::{Deserialize, Serialize};
use superscale_measure::align::{draw_seed, Metric};
use superscale_spec::limits::{check_memory, MemoryPart};
use superscale_spec::{canonical_json, run_id, violation, KindSpec, PlannedRun, Violation};

const STREAM_WORLD: u64 = 21;
const STREAM_MODEL: u64 = 22;
const STREAM_PROBE: u64 = 23;
const STREAM_TEST: u64 = 24;
const STREAM_REFERENCE: u64 = 25;

/// The label of the reference network, in place of a cell's.
pub const REFERENCE: &str = "reference";

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

/// Which hypothesis a study tests, i.e. what `values` sweeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hypothesis {
    /// multitask scaling: the number of tasks T (plus the 1-d control if `control`)
    Multitask,
    /// capacity: the hidden width at fixed T
    Capacity,
    /// simplicity bias: the weight decay at fixed T and width
    Simplicity,
}

impl Hypothesis {
    /// The swept variable's name, for tables and axes.
    pub fn variable(self) -> &'static str {
        match self {
            Hypothesis::Multitask => "tasks",
            Hypothesis::Capacity => "width",
            Hypothesis::Simplicity => "weight_decay",
        }
    }
}

/// `[study]`: the hypothesis, its sweep, and the items every network is evaluated on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySection {
    /// what is swept
    pub hypothesis: Hypothesis,
    /// the swept values: T, widths or weight decays
    pub values: Vec<f64>,
    /// T for capacity and simplicity studies (multitask sweeps it)
    #[serde(default = "default_tasks")]
    pub tasks: usize,
    /// multitask only: also run the 1-d control at every T
    #[serde(default = "default_control")]
    pub control: bool,
    /// probe items n on which representations are compared
    #[serde(default = "default_probe")]
    pub probe: usize,
    /// test items for each network's test loss (competence)
    #[serde(default = "default_test")]
    pub test: usize,
    /// width of the fixed strong reference network of the competence regression
    #[serde(default = "default_reference_width")]
    pub reference_width: usize,
}

fn default_tasks() -> usize {
    8
}
fn default_control() -> bool {
    true
}
fn default_probe() -> usize {
    1024
}
fn default_test() -> usize {
    4096
}
fn default_reference_width() -> usize {
    256
}

/// The point tables of a Platonic study: `[world]`, `[model]`, `[study]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatonicSpec {
    /// the synthetic world
    #[serde(default)]
    pub world: WorldSpec,
    /// the trained network
    #[serde(default)]
    pub model: ModelSpec,
    /// the hypothesis, its sweep and the evaluation items
    pub study: StudySection,
}

/// `[analysis]`: how pairs are scored and summarised. Changing these re-analyses the
/// networks a study already trained: they are not part of any network's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalysisSettings {
    /// neighbours k of the neighbour metrics
    #[serde(default = "default_k")]
    pub k: usize,
    /// shuffles of the pairing in each pair's permutation null
    #[serde(default = "default_permutations")]
    pub permutations: usize,
    /// seed-bootstrap resamples for the CI over pairs (and the regression's bootstrap)
    #[serde(default = "default_bootstrap")]
    pub bootstrap: usize,
    /// metrics by name (`superscale_measure::align`'s names)
    #[serde(default = "default_metrics")]
    pub metrics: Vec<String>,
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

impl Default for AnalysisSettings {
    fn default() -> Self {
        Self {
            k: default_k(),
            permutations: default_permutations(),
            bootstrap: default_bootstrap(),
            metrics: default_metrics(),
        }
    }
}

/// The study tables of a Platonic experiment.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyTables {
    /// `[analysis]`
    #[serde(default)]
    pub analysis: AnalysisSettings,
}

impl AnalysisSettings {
    /// The first impossible value, given the study's probe size.
    pub fn validate(&self, probe: usize) -> Result<(), Violation> {
        if self.k == 0 || self.k >= probe {
            return Err(violation(
                "analysis.k",
                format!("{}: need 1 ≤ k < probe = {probe}", self.k),
            ));
        }
        if self.bootstrap == 1 {
            return Err(violation(
                "analysis.bootstrap",
                "1 resample gives no interval (0 or ≥ 2)",
            ));
        }
        if self.metrics.is_empty() {
            return Err(violation("analysis.metrics", "needs at least one metric"));
        }
        for name in &self.metrics {
            if let Err(e) = Metric::parse(name) {
                return Err(violation("analysis.metrics", e.to_string()));
            }
        }
        Ok(())
    }

    /// The metrics, parsed (validated when the study is prepared).
    pub fn metrics(&self) -> Vec<Metric> {
        self.metrics
            .iter()
            .filter_map(|name| Metric::parse(name).ok())
            .collect()
    }
}

/// Whether a cell's tasks read all of z or only one projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// tasks read all of z
    Multitask,
    /// every task reads ⟨z, v⟩v (the multitask hypothesis's control)
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

/// One value of the sweep in one condition: everything its networks share.
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
    pub fn label(&self, hypothesis: Hypothesis) -> String {
        format!(
            "{}/{}={}",
            self.condition.name(),
            hypothesis.variable(),
            self.value
        )
    }
}

/// One network of a study: one run of the engine. Its canonical JSON is its identity, so
/// it holds everything its training reads (the study's seed is wrapped into the run id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// its cell's label (`multitask/tasks=8`), which names its seeds' stream, or
    /// `reference` for the reference network
    pub cell: String,
    /// the modality it sees (0 or 1)
    pub modality: usize,
    /// the world
    pub world: WorldSpec,
    /// T
    pub tasks: usize,
    /// whether every task reads the one projection ⟨z, v⟩v
    pub control: bool,
    /// hidden width
    pub width: usize,
    /// hidden layers
    pub depth: usize,
    /// optimizer steps
    pub steps: usize,
    /// fresh samples per step
    pub batch_size: usize,
    /// constant learning rate
    pub lr: f64,
    /// AdamW's decoupled λ
    pub weight_decay: f64,
    /// probe items its representation is read on
    pub probe: usize,
    /// test items its losses are measured on
    pub test: usize,
}

impl Network {
    /// Parameters of the MLP d_x → width^depth → T.
    pub fn parameters(&self) -> usize {
        let mut sizes = vec![self.world.input_dim];
        sizes.extend(std::iter::repeat_n(self.width, self.depth));
        sizes.push(self.tasks);
        sizes.windows(2).map(|pair| (pair[0] + 1) * pair[1]).sum()
    }
}

/// FNV-1a of a label: a stable stream number for seeds.
fn label_stream(label: &str) -> u64 {
    label.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The world's seed (one world per study: T = 2's tasks contain T = 1's).
pub fn world_seed(seed: u64) -> u64 {
    draw_seed(seed, STREAM_WORLD, 0)
}

/// The initialisation/data seed of network (modality, replicate) of the cell labelled
/// `cell`.
pub fn run_seed(seed: u64, cell: &str, modality: usize, replicate: usize) -> u64 {
    draw_seed(
        seed ^ label_stream(cell),
        STREAM_MODEL,
        (modality * 1_000_003 + replicate) as u64,
    )
}

/// The reference network's seed.
pub fn reference_seed(seed: u64) -> u64 {
    draw_seed(seed, STREAM_REFERENCE, 0)
}

/// Seed of the probe latents (part 0) and of modality m's rendering noise (part 1 + m).
pub fn probe_seed(seed: u64, part: usize) -> u64 {
    draw_seed(seed, STREAM_PROBE, part as u64)
}

/// Seed of the test set (latents, then each modality's noise).
pub fn test_seed(seed: u64, part: usize) -> u64 {
    draw_seed(seed, STREAM_TEST, part as u64)
}

impl PlatonicSpec {
    /// Every cell in study order (multitask: all T of the multitask condition, then the
    /// control's).
    pub fn cells(&self) -> Vec<Cell> {
        let (m, s) = (&self.model, &self.study);
        let conditions: &[Condition] = match (s.hypothesis, s.control) {
            (Hypothesis::Multitask, true) => &[Condition::Multitask, Condition::Control1d],
            _ => &[Condition::Multitask],
        };
        let mut cells = Vec::new();
        for &condition in conditions {
            for &value in &s.values {
                let (tasks, width, weight_decay) = match s.hypothesis {
                    Hypothesis::Multitask => (value as usize, m.width, m.weight_decay),
                    Hypothesis::Capacity => (s.tasks, value as usize, m.weight_decay),
                    Hypothesis::Simplicity => (s.tasks, m.width, value),
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

    /// T of the reference network: the largest T the study uses.
    pub fn reference_tasks(&self) -> usize {
        self.cells().iter().map(|c| c.tasks).max().unwrap_or(1)
    }

    /// The network of a cell's modality.
    pub fn network(&self, cell: &Cell, modality: usize) -> Network {
        Network {
            cell: cell.label(self.study.hypothesis),
            modality,
            world: self.world.clone(),
            tasks: cell.tasks,
            control: cell.condition == Condition::Control1d,
            width: cell.width,
            depth: self.model.depth,
            steps: self.model.steps,
            batch_size: self.model.batch_size,
            lr: self.model.lr,
            weight_decay: cell.weight_decay,
            probe: self.study.probe,
            test: self.study.test,
        }
    }

    /// The reference network: the largest T, the reference width, the model's decay, and
    /// modality 1 (it sees the world through the other rendering, as the hypothesis
    /// compares language models with a vision model).
    pub fn reference(&self) -> Network {
        Network {
            cell: REFERENCE.into(),
            modality: 1,
            world: self.world.clone(),
            tasks: self.reference_tasks(),
            control: false,
            width: self.study.reference_width,
            depth: self.model.depth,
            steps: self.model.steps,
            batch_size: self.model.batch_size,
            lr: self.model.lr,
            weight_decay: self.model.weight_decay,
            probe: self.study.probe,
            test: self.study.test,
        }
    }
}

/// The product of `factors`, saturating at u64::MAX (a mistyped size is refused, not
/// wrapped around).
fn product(factors: &[usize]) -> u64 {
    factors
        .iter()
        .fold(1u64, |total, &f| total.saturating_mul(f as u64))
}

impl PlatonicSpec {
    /// The memory of the study's preparation and of one run, part by part, from the spec
    /// alone (`docs/reliability.md`, "Specs"): the largest network with its optimizer and
    /// chunk scratch, a training batch, the test items (latents, both renderings, every
    /// world's targets, one network's outputs), the probe items (latents, renderings and a
    /// network's representation) and the worlds' random networks. Sizes are those of the
    /// types that hold them (f64 latents and representations, f32 inputs, targets and
    /// parameters).
    pub fn memory_parts(&self) -> Vec<MemoryPart> {
        use superscale_models::mlp::{DEFAULT_CHUNK_ROWS, DEFAULT_SLOTS};
        let (w, m, s) = (&self.world, &self.model, &self.study);
        let (d_z, d_x) = (w.latent_dim, w.input_dim);
        let cells = self.cells();
        let cell_width = cells.iter().map(|c| c.width).max().unwrap_or(m.width);
        let width = cell_width.max(s.reference_width);
        let tasks = self.reference_tasks();
        let width_field = if s.reference_width >= cell_width {
            "study.reference_width"
        } else if s.hypothesis == Hypothesis::Capacity {
            "study.values"
        } else {
            "model.width"
        };
        let tasks_field = match s.hypothesis {
            Hypothesis::Multitask => "study.values",
            _ => "study.tasks",
        };
        // [d_x, width × depth, T]: weights and biases of every layer
        let parameters = product(&[d_x.saturating_add(1), width])
            .saturating_add(product(&[m.depth - 1, width.saturating_add(1), width]))
            .saturating_add(product(&[width.saturating_add(1), tasks]));
        // parameters, gradient, AdamW's two moments and one gradient per chunk slot, f32
        let network = parameters.saturating_mul(4 * (4 + DEFAULT_SLOTS as u64));
        let scratch = product(&[
            DEFAULT_SLOTS,
            DEFAULT_CHUNK_ROWS,
            width
                .saturating_mul(m.depth)
                .saturating_add(tasks)
                .saturating_add(width.max(tasks).saturating_mul(2)),
            4,
        ]);
        // one world (test targets and task nets) per task count and condition
        let mut sets: Vec<(usize, bool)> = cells
            .iter()
            .map(|c| (c.tasks, c.condition == Condition::Control1d))
            .chain(std::iter::once((tasks, false)))
            .collect();
        sets.sort_unstable();
        sets.dedup();
        let set_tasks = sets
            .iter()
            .fold(0usize, |sum, &(t, _)| sum.saturating_add(t));
        let rendering = product(&[d_z, w.render_hidden])
            .saturating_add(product(&[w.render_hidden, d_x]))
            .saturating_mul(2 * 8);
        let readouts = product(&[
            set_tasks,
            w.task_hidden.saturating_mul(d_z.saturating_add(1)),
            8,
        ]);
        vec![
            MemoryPart {
                field: width_field,
                what: format!(
                    "network of {parameters} parameters (width {width}, depth {}, {tasks} tasks) with optimizer and scratch",
                    m.depth
                ),
                bytes: network.saturating_add(scratch),
            },
            MemoryPart {
                field: "model.batch_size",
                what: format!("batch of {} samples", m.batch_size),
                bytes: product(&[
                    m.batch_size,
                    d_x.saturating_add(tasks)
                        .saturating_mul(4)
                        .saturating_add(d_z.saturating_mul(8)),
                ]),
            },
            MemoryPart {
                field: "study.test",
                what: format!("{} test items", s.test),
                bytes: product(&[
                    s.test,
                    d_z.saturating_mul(8)
                        .saturating_add(d_x.saturating_mul(2 * 4))
                        .saturating_add(set_tasks.saturating_add(tasks).saturating_mul(4)),
                ]),
            },
            MemoryPart {
                field: "study.probe",
                what: format!("{} probe items", s.probe),
                bytes: product(&[
                    s.probe,
                    d_z.saturating_mul(8)
                        .saturating_add(d_x.saturating_mul(2 * 4))
                        .saturating_add(width.saturating_mul(4 + 8)),
                ]),
            },
            MemoryPart {
                field: tasks_field,
                what: format!("{} worlds' random networks", sets.len()),
                bytes: product(&[sets.len()])
                    .saturating_mul(rendering)
                    .saturating_add(readouts),
            },
        ]
    }
}

/// The run id of a network in a study of seed `seed` (the seed wrapped into the hashed
/// JSON when it is not 0, as for every kind).
fn network_id(network: &Network, seed: u64) -> String {
    let json = canonical_json(network);
    if seed == 0 {
        run_id(&json)
    } else {
        run_id(&format!("{{\"seed\":{seed},\"run\":{json}}}"))
    }
}

fn labels(network: &Network) -> Vec<(String, String)> {
    vec![
        ("cell".into(), network.cell.clone()),
        ("modality".into(), network.modality.to_string()),
    ]
}

impl KindSpec for PlatonicSpec {
    const KIND: &'static str = "platonic";
    const POINT_TABLES: &'static [&'static str] = &["world", "model", "study"];
    const STUDY_TABLES: &'static [&'static str] = &["analysis"];

    type Run = Network;

    fn validate(&self) -> Result<(), Violation> {
        let (w, m, s) = (&self.world, &self.model, &self.study);
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
                return Err(violation(field, "must be at least 1"));
            }
        }
        if !(w.noise >= 0.0 && w.noise.is_finite()) {
            return Err(violation(
                "world.noise",
                format!("{} must be finite and ≥ 0", w.noise),
            ));
        }
        if !(m.lr > 0.0 && m.lr.is_finite()) {
            return Err(violation(
                "model.lr",
                format!("{} must be finite and > 0", m.lr),
            ));
        }
        if !(m.weight_decay >= 0.0 && m.weight_decay * m.lr < 1.0) {
            return Err(violation(
                "model.weight_decay",
                format!("{} must be ≥ 0 with lr·λ < 1", m.weight_decay),
            ));
        }
        if s.values.is_empty() {
            return Err(violation("study.values", "needs at least one value"));
        }
        for &value in &s.values {
            let whole = value >= 1.0 && value.fract() == 0.0 && value <= 65536.0;
            let bad = match s.hypothesis {
                Hypothesis::Multitask | Hypothesis::Capacity => !whole,
                Hypothesis::Simplicity => !(value >= 0.0 && value * m.lr < 1.0),
            };
            if bad {
                let need = match s.hypothesis {
                    Hypothesis::Multitask => "a task count must be a whole number ≥ 1",
                    Hypothesis::Capacity => "a width must be a whole number ≥ 1",
                    Hypothesis::Simplicity => "a weight decay must be ≥ 0 with lr·λ < 1",
                };
                return Err(violation("study.values", format!("{value}: {need}")));
            }
        }
        if s.probe < 4 {
            return Err(violation(
                "study.probe",
                format!("{}: at least 4 probe items", s.probe),
            ));
        }
        if s.test < 2 {
            return Err(violation(
                "study.test",
                format!("{}: at least 2 test items", s.test),
            ));
        }
        // Before the preparation renders the probe and test items: a mistyped size must be
        // refused here, not abort on allocation.
        check_memory(&self.memory_parts())
    }

    /// Every (cell, modality, seed) in study order, seeds innermost, then the reference
    /// network. The seeds of a (cell, modality) are the replicates of one network spec.
    fn runs(&self, seed: u64, replicates: u32) -> Result<Vec<PlannedRun<Network>>, Violation> {
        if replicates < 2 {
            return Err(violation(
                "replicates",
                format!("{replicates}: pairs of seeds need at least 2 seeds per modality and cell"),
            ));
        }
        let mut runs = Vec::new();
        for cell in self.cells() {
            for modality in 0..super::world::MODALITIES {
                let network = self.network(&cell, modality);
                let id = network_id(&network, seed);
                for replicate in 0..replicates {
                    runs.push(PlannedRun {
                        seed: run_seed(seed, &network.cell, modality, replicate as usize),
                        spec: network.clone(),
                        replicate,
                        run_id: id.clone(),
                        labels: labels(&network),
                    });
                }
            }
        }
        let reference = self.reference();
        runs.push(PlannedRun {
            run_id: network_id(&reference, seed),
            seed: reference_seed(seed),
            labels: labels(&reference),
            spec: reference,
            replicate: 0,
        });
        Ok(runs)
    }
}
