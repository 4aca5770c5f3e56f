//! The multitask-scaling experiment of `measurements.md` §A.4 item 1, reduced: does training
//! on more tasks make independently trained networks' representations more alike?
//!
//! World: z ∈ R^16 ~ N(0, I); two modalities x_m = g_m(z) + 0.1·noise with g_m a random ReLU
//! net 16 → 64 → 32; T readout tasks y_t = h_t(z), random ReLU nets 16 → 16 → 1 (the
//! control: y_t = h_t(⟨z, v⟩ v), every task a function of one 1-d projection). An MLP
//! 32 → 64 → 64 → T (`superscale_mlp`, MSE, AdamW lr 1e-3, 1500 steps of 256 fresh samples)
//! is trained per (T, condition, modality, seed). On a probe set of n = 1024 items its
//! last hidden layer (after ReLU) is compared by mutual k-NN (k = 10, clip none, L2) with the
//! other seed of the same modality, with the other modality, and with z, with a permutation
//! null (50 draws) and a bootstrap interval (50 draws).
//!
//!     CARGO_TARGET_DIR=/work/target-align cargo run --release -p superscale_align \
//!         --example align_multitask > multitask.csv
//!
//! Prints CSV: condition, tasks, comparison, pair, score, null mean, z, calibrated, CI.

use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_align::{align, AlignOptions, Features, Metric, Preprocess};
use superscale_mlp::{forward_outputs, loss_and_gradient, AdamW, Input, Mlp, Targets, Workspace};

const LATENT: usize = 16;
const INPUT: usize = 32;
const HIDDEN: usize = 64;
const PROBE: usize = 1024;
const STEPS: usize = 1500;
const BATCH: usize = 256;

/// A fixed random ReLU net in → hidden → out (He-scaled Gaussian weights).
struct RandomNet {
    first: Vec<f64>,
    second: Vec<f64>,
    sizes: (usize, usize, usize),
}

impl RandomNet {
    fn new(sizes: (usize, usize, usize), seed: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut draw = |count: usize, fan_in: usize| -> Vec<f64> {
            let scale = (2.0 / fan_in as f64).sqrt();
            (0..count)
                .map(|_| scale * rng.sample::<f64, _>(StandardNormal))
                .collect()
        };
        Self {
            first: draw(sizes.0 * sizes.1, sizes.0),
            second: draw(sizes.1 * sizes.2, sizes.1),
            sizes,
        }
    }

    fn apply(&self, x: &[f64], out: &mut [f64]) {
        let (a, h, o) = self.sizes;
        let hidden: Vec<f64> = (0..h)
            .map(|j| {
                (0..a)
                    .map(|i| x[i] * self.first[i * h + j])
                    .sum::<f64>()
                    .max(0.0)
            })
            .collect();
        for (k, value) in out.iter_mut().enumerate().take(o) {
            *value = (0..h).map(|j| hidden[j] * self.second[j * o + k]).sum();
        }
    }
}

struct World {
    modalities: [RandomNet; 2],
    tasks: Vec<RandomNet>,
    projection: Option<Vec<f64>>,
}

impl World {
    fn new(tasks: usize, control: bool) -> Self {
        let projection = control.then(|| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(99);
            let v: Vec<f64> = (0..LATENT).map(|_| rng.sample(StandardNormal)).collect();
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        });
        Self {
            modalities: [
                RandomNet::new((LATENT, 64, INPUT), 1),
                RandomNet::new((LATENT, 64, INPUT), 2),
            ],
            // Task t is the same net whatever T, so T = 2's tasks contain T = 1's.
            tasks: (0..tasks)
                .map(|t| RandomNet::new((LATENT, 16, 1), 1000 + t as u64))
                .collect(),
            projection,
        }
    }

    /// (x of the modality, y of every task, z) for `rows` draws.
    fn sample(
        &self,
        modality: usize,
        rows: usize,
        rng: &mut Xoshiro256PlusPlus,
    ) -> (Vec<f32>, Vec<f32>, Vec<f64>) {
        let (mut x, mut y, mut zs) = (Vec::new(), Vec::new(), Vec::new());
        let mut buffer = vec![0.0; INPUT];
        for _ in 0..rows {
            let z: Vec<f64> = (0..LATENT).map(|_| rng.sample(StandardNormal)).collect();
            self.modalities[modality].apply(&z, &mut buffer);
            x.extend(
                buffer
                    .iter()
                    .map(|v| (v + 0.1 * rng.sample::<f64, _>(StandardNormal)) as f32),
            );
            let seen: Vec<f64> = match &self.projection {
                None => z.clone(),
                Some(v) => {
                    let u: f64 = z.iter().zip(v).map(|(a, b)| a * b).sum();
                    v.iter().map(|b| u * b).collect()
                }
            };
            for task in &self.tasks {
                let mut out = [0.0];
                task.apply(&seen, &mut out);
                y.push(out[0] as f32);
            }
            zs.extend(z);
        }
        (x, y, zs)
    }
}

/// Trains one MLP and returns its last hidden layer (after ReLU) on the probe inputs.
fn train(world: &World, modality: usize, seed: u64, probe: &[f32]) -> Vec<f64> {
    let tasks = world.tasks.len();
    let mlp = Mlp::new(&[INPUT, HIDDEN, HIDDEN, tasks]).unwrap();
    let mut params: Vec<f32> = mlp.init_params(seed);
    let mut gradient = vec![0.0; mlp.n_params()];
    let mut workspace = Workspace::new(&mlp);
    let mut optimizer = AdamW::new(mlp.n_params(), 1e-3, 0.0);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5eed);
    for _ in 0..STEPS {
        let (x, y, _) = world.sample(modality, BATCH, &mut rng);
        loss_and_gradient(
            &mlp,
            &params,
            Input::Dense(&x),
            Targets::Values(&y),
            &mut gradient,
            &mut workspace,
        )
        .unwrap();
        optimizer.step(&mut params, &gradient).unwrap();
    }
    // The layout is layer after layer, so the first two layers' parameters are a prefix.
    let trunk = Mlp::new(&[INPUT, HIDDEN, HIDDEN]).unwrap();
    let mut hidden = vec![0.0f32; PROBE * HIDDEN];
    let mut trunk_workspace = Workspace::new(&trunk);
    forward_outputs(
        &trunk,
        &params[..trunk.n_params()],
        Input::Dense(probe),
        &mut hidden,
        &mut trunk_workspace,
    )
    .unwrap();
    hidden.iter().map(|&v| f64::from(v.max(0.0))).collect()
}

fn main() {
    let options = AlignOptions {
        preprocess: Preprocess {
            normalize: true,
            ..Preprocess::none()
        },
        permutations: 50,
        bootstrap: 50,
        seed: 0,
        ..AlignOptions::default()
    };
    println!("condition,tasks,comparison,pair,score,null_mean,z,calibrated,ci_low,ci_high");
    for control in [false, true] {
        for tasks in [1, 2, 4, 8, 16, 32] {
            let world = World::new(tasks, control);
            let mut probe_rng = Xoshiro256PlusPlus::seed_from_u64(7);
            // The same probe items (z) rendered in both modalities.
            let (probe_x0, _, z) = world.sample(0, PROBE, &mut probe_rng.clone());
            let (probe_x1, _, _) = world.sample(1, PROBE, &mut probe_rng);
            let runs: Vec<Vec<f64>> = [(0, 1u64), (0, 2), (1, 3)]
                .iter()
                .map(|&(m, seed)| {
                    train(
                        &world,
                        m,
                        seed + 10 * tasks as u64,
                        if m == 0 { &probe_x0 } else { &probe_x1 },
                    )
                })
                .collect();
            let feats = |v: &Vec<f64>, w| Features::new("A", v.clone(), w).unwrap();
            let comparisons = [
                (
                    "seeds",
                    "m0s1-m0s2",
                    feats(&runs[0], HIDDEN),
                    feats(&runs[1], HIDDEN),
                ),
                (
                    "modalities",
                    "m0s1-m1s3",
                    feats(&runs[0], HIDDEN),
                    feats(&runs[2], HIDDEN),
                ),
                ("to_z", "m0s1-z", feats(&runs[0], HIDDEN), feats(&z, LATENT)),
                ("to_z", "m1s3-z", feats(&runs[2], HIDDEN), feats(&z, LATENT)),
            ];
            for (comparison, pair, a, b) in comparisons {
                let r = align(a, b, Metric::MutualKnn, &options).unwrap();
                let null = r.null.unwrap();
                let ci = r.interval.unwrap();
                println!(
                    "{},{tasks},{comparison},{pair},{:.4},{:.4},{:.1},{:.4},{:.4},{:.4}",
                    if control { "control_1d" } else { "multitask" },
                    r.score,
                    null.mean,
                    null.z,
                    null.calibrated,
                    ci.low,
                    ci.high
                );
            }
        }
    }
}
