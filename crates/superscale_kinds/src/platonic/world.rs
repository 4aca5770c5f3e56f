//! The synthetic world of the Platonic studies (`docs/alignment.md`, "Platonic studies"): a
//! latent z ∈ R^{d_z} ~ N(0, I), modalities x_m = g_m(z) + σ·ε (g_m a fixed random ReLU net
//! d_z → h → d_x) and readout tasks y_t = h_t(z) (random ReLU nets d_z → h_t → 1). The
//! control of the multitask hypothesis feeds every task the projection ⟨z, v⟩v onto one
//! unit vector v, so all tasks are functions of one 1-d projection of z.
//!
//! Every net is drawn from the world seed alone (task t from stream t), so the T = 2 world's
//! tasks contain the T = 1 world's, and the same spec gives the same world on any machine.

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use superscale_measure::align::draw_seed;

/// Seed streams of the world's parts (arbitrary distinct constants).
const STREAM_MODALITY: u64 = 11;
const STREAM_TASK: u64 = 12;
const STREAM_PROJECTION: u64 = 13;

/// The shape of the world (`[world]` of a study spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSpec {
    /// dimension d_z of the latent z
    #[serde(default = "default_latent_dim")]
    pub latent_dim: usize,
    /// dimension d_x of every modality's rendering
    #[serde(default = "default_input_dim")]
    pub input_dim: usize,
    /// hidden width of the rendering nets g_m
    #[serde(default = "default_render_hidden")]
    pub render_hidden: usize,
    /// hidden width of the task nets h_t
    #[serde(default = "default_task_hidden")]
    pub task_hidden: usize,
    /// standard deviation σ of the rendering noise
    #[serde(default = "default_noise")]
    pub noise: f64,
}

/// Modalities of the world: two renderings of z (cross-modality pairs need two).
pub const MODALITIES: usize = 2;

fn default_latent_dim() -> usize {
    16
}
fn default_input_dim() -> usize {
    32
}
fn default_render_hidden() -> usize {
    64
}
fn default_task_hidden() -> usize {
    16
}
fn default_noise() -> f64 {
    0.1
}

impl Default for WorldSpec {
    fn default() -> Self {
        Self {
            latent_dim: default_latent_dim(),
            input_dim: default_input_dim(),
            render_hidden: default_render_hidden(),
            task_hidden: default_task_hidden(),
            noise: default_noise(),
        }
    }
}

/// A fixed random ReLU net in → hidden → out with He-scaled Gaussian weights (row-major
/// in × hidden, then hidden × out), no biases.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomNet {
    first: Vec<f64>,
    second: Vec<f64>,
    input: usize,
    hidden: usize,
    output: usize,
}

impl RandomNet {
    /// Draws the net from `seed`.
    pub fn new(input: usize, hidden: usize, output: usize, seed: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut draw = |count: usize, fan_in: usize| -> Vec<f64> {
            // He scaling keeps the activations O(1) through the ReLU.
            let scale = (2.0 / fan_in as f64).sqrt();
            (0..count)
                .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
                .collect()
        };
        let first = draw(input * hidden, input);
        let second = draw(hidden * output, hidden);
        Self {
            first,
            second,
            input,
            hidden,
            output,
        }
    }

    /// out = W₂ᵀ ReLU(W₁ᵀ x), with `scratch` (length `hidden`) for the hidden layer.
    pub fn apply(&self, x: &[f64], scratch: &mut [f64], out: &mut [f64]) {
        for (j, h) in scratch.iter_mut().enumerate().take(self.hidden) {
            let pre: f64 = (0..self.input)
                .map(|i| x[i] * self.first[i * self.hidden + j])
                .sum();
            *h = pre.max(0.0);
        }
        for (k, value) in out.iter_mut().enumerate().take(self.output) {
            *value = (0..self.hidden)
                .map(|j| scratch[j] * self.second[j * self.output + k])
                .sum();
        }
    }
}

/// Rows drawn from the world: inputs of one modality, every task's target, and the latents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// rows × d_x rendered inputs
    pub x: Vec<f32>,
    /// rows × T targets
    pub y: Vec<f32>,
    /// rows × d_z latents
    pub z: Vec<f64>,
}

/// A world with its modalities and T tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct World {
    spec: WorldSpec,
    modalities: Vec<RandomNet>,
    tasks: Vec<RandomNet>,
    projection: Option<Vec<f64>>,
}

impl World {
    /// The world of `seed` with `tasks` readouts; `control` makes every task read ⟨z, v⟩v.
    pub fn new(spec: &WorldSpec, tasks: usize, control: bool, seed: u64) -> Self {
        let modalities = (0..MODALITIES as u64)
            .map(|m| {
                RandomNet::new(
                    spec.latent_dim,
                    spec.render_hidden,
                    spec.input_dim,
                    draw_seed(seed, STREAM_MODALITY, m),
                )
            })
            .collect();
        let task_nets = (0..tasks as u64)
            .map(|t| {
                RandomNet::new(
                    spec.latent_dim,
                    spec.task_hidden,
                    1,
                    draw_seed(seed, STREAM_TASK, t),
                )
            })
            .collect();
        let projection = control.then(|| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(draw_seed(seed, STREAM_PROJECTION, 0));
            let v: Vec<f64> = (0..spec.latent_dim)
                .map(|_| rng.sample(StandardNormal))
                .collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        });
        Self {
            spec: spec.clone(),
            modalities,
            tasks: task_nets,
            projection,
        }
    }

    /// The world's shape.
    pub fn spec(&self) -> &WorldSpec {
        &self.spec
    }

    /// Number of tasks T.
    pub fn n_tasks(&self) -> usize {
        self.tasks.len()
    }

    /// The control's unit vector v, if this is the control world.
    pub fn projection(&self) -> Option<&[f64]> {
        self.projection.as_deref()
    }

    fn scratch_len(&self) -> usize {
        self.spec
            .render_hidden
            .max(self.spec.task_hidden)
            .max(self.spec.latent_dim)
    }

    /// Every task's target y_t = h_t(z) (control: h_t(⟨z, v⟩v)) for one latent.
    pub fn targets(&self, z: &[f64], seen: &mut [f64], scratch: &mut [f64], out: &mut [f32]) {
        match &self.projection {
            None => seen.copy_from_slice(z),
            Some(v) => {
                let u: f64 = z.iter().zip(v).map(|(a, b)| a * b).sum();
                seen.iter_mut().zip(v).for_each(|(s, b)| *s = u * b);
            }
        }
        let mut value = [0.0];
        for (task, y) in self.tasks.iter().zip(out.iter_mut()) {
            task.apply(seen, scratch, &mut value);
            *y = value[0] as f32;
        }
    }

    /// Draws `rows` fresh latents into `batch` with modality `modality`'s noisy rendering
    /// and every target, reusing the batch's buffers (no allocation once they are sized).
    pub fn sample_into(
        &self,
        modality: usize,
        rows: usize,
        rng: &mut Xoshiro256PlusPlus,
        batch: &mut Batch,
    ) {
        let (d_z, d_x, t) = (self.spec.latent_dim, self.spec.input_dim, self.tasks.len());
        batch.z.resize(rows * d_z, 0.0);
        for v in &mut batch.z {
            *v = rng.sample(StandardNormal);
        }
        self.render_into(modality, &batch.z, rng, &mut batch.x);
        batch.y.resize(rows * t, 0.0);
        let mut seen = vec![0.0; d_z];
        let mut scratch = vec![0.0; self.scratch_len()];
        for (z, y) in batch
            .z
            .chunks_exact(d_z)
            .zip(batch.y.chunks_exact_mut(t.max(1)))
        {
            self.targets(z, &mut seen, &mut scratch, y);
        }
        debug_assert_eq!(batch.x.len(), rows * d_x);
    }

    /// x = g_m(z) + σ·ε for every latent row of `z` (noise from `rng`), into `out`.
    pub fn render_into(
        &self,
        modality: usize,
        z: &[f64],
        rng: &mut Xoshiro256PlusPlus,
        out: &mut Vec<f32>,
    ) {
        let (d_z, d_x) = (self.spec.latent_dim, self.spec.input_dim);
        let rows = z.len() / d_z;
        out.resize(rows * d_x, 0.0);
        let mut scratch = vec![0.0; self.scratch_len()];
        let mut clean = vec![0.0; d_x];
        let net = &self.modalities[modality];
        for (latent, x) in z.chunks_exact(d_z).zip(out.chunks_exact_mut(d_x)) {
            net.apply(latent, &mut scratch, &mut clean);
            for (value, c) in x.iter_mut().zip(&clean) {
                *value = (c + self.spec.noise * rng.sample::<f64, _>(StandardNormal)) as f32;
            }
        }
    }

    /// Every task's targets for the latent rows of `z`, rows × T.
    pub fn targets_of(&self, z: &[f64]) -> Vec<f32> {
        let (d_z, t) = (self.spec.latent_dim, self.tasks.len());
        let mut out = vec![0.0; z.len() / d_z * t];
        let mut seen = vec![0.0; d_z];
        let mut scratch = vec![0.0; self.scratch_len()];
        for (latent, y) in z.chunks_exact(d_z).zip(out.chunks_exact_mut(t.max(1))) {
            self.targets(latent, &mut seen, &mut scratch, y);
        }
        out
    }
}

/// `rows` latents z ~ N(0, I) from `rng`, row-major rows × d_z.
pub fn draw_latents(latent_dim: usize, rows: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<f64> {
    (0..rows * latent_dim)
        .map(|_| rng.sample(StandardNormal))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> WorldSpec {
        WorldSpec {
            latent_dim: 6,
            input_dim: 8,
            render_hidden: 12,
            task_hidden: 5,
            noise: 0.1,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_world_and_samples() {
        let spec = small();
        let (a, b) = (
            World::new(&spec, 4, false, 7),
            World::new(&spec, 4, false, 7),
        );
        assert_eq!(a, b);
        let (mut ra, mut rb) = (
            Xoshiro256PlusPlus::seed_from_u64(3),
            Xoshiro256PlusPlus::seed_from_u64(3),
        );
        let (mut ba, mut bb) = (Batch::default(), Batch::default());
        a.sample_into(1, 20, &mut ra, &mut ba);
        b.sample_into(1, 20, &mut rb, &mut bb);
        assert_eq!(ba, bb);
        assert_eq!(ba.x.len(), 20 * 8);
        assert_eq!(ba.y.len(), 20 * 4);
        // Another seed is another world.
        assert_ne!(World::new(&spec, 4, false, 8), a);
    }

    #[test]
    fn tasks_are_nested_across_task_counts() {
        let spec = small();
        let z = draw_latents(6, 10, &mut Xoshiro256PlusPlus::seed_from_u64(1));
        let two = World::new(&spec, 2, false, 5).targets_of(&z);
        let eight = World::new(&spec, 8, false, 5).targets_of(&z);
        for row in 0..10 {
            assert_eq!(two[row * 2..row * 2 + 2], eight[row * 8..row * 8 + 2]);
        }
    }

    #[test]
    fn control_tasks_depend_on_z_only_through_one_projection() {
        let spec = small();
        let world = World::new(&spec, 8, true, 9);
        let v = world.projection().unwrap().to_vec();
        assert!((v.iter().map(|x| x * x).sum::<f64>() - 1.0).abs() < 1e-12);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let mut moved_any = false;
        for _ in 0..50 {
            let z = draw_latents(6, 1, &mut rng);
            // w: a random direction with its v component removed, so ⟨z + w, v⟩ = ⟨z, v⟩.
            let mut w = draw_latents(6, 1, &mut rng);
            let along: f64 = w.iter().zip(&v).map(|(a, b)| a * b).sum();
            w.iter_mut().zip(&v).for_each(|(a, b)| *a -= along * b);
            let shifted: Vec<f64> = z.iter().zip(&w).map(|(a, b)| a + 3.0 * b).collect();
            let (base, same) = (world.targets_of(&z), world.targets_of(&shifted));
            for (a, b) in base.iter().zip(&same) {
                // f32 targets of f64 sums: equal up to the f64 rounding of ⟨z, v⟩.
                assert!((a - b).abs() <= 1e-6 * (1.0 + a.abs()), "{a} vs {b}");
            }
            // Moving along v does change them (the check above is not vacuous).
            let along_v: Vec<f64> = z.iter().zip(&v).map(|(a, b)| a + 0.5 * b).collect();
            let moved = world.targets_of(&along_v);
            moved_any |= base.iter().zip(&moved).any(|(a, b)| (a - b).abs() > 1e-3);
        }
        assert!(moved_any);
        // The full world's tasks do change under the same orthogonal moves.
        let full = World::new(&spec, 8, false, 9);
        let z = draw_latents(6, 1, &mut rng);
        let mut w = draw_latents(6, 1, &mut rng);
        let along: f64 = w.iter().zip(&v).map(|(a, b)| a * b).sum();
        w.iter_mut().zip(&v).for_each(|(a, b)| *a -= along * b);
        let shifted: Vec<f64> = z.iter().zip(&w).map(|(a, b)| a + 3.0 * b).collect();
        let (a, b) = (full.targets_of(&z), full.targets_of(&shifted));
        assert!(a.iter().zip(&b).any(|(x, y)| (x - y).abs() > 1e-3));
    }
}
