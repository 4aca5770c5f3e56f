//! The shapes of issue 6's roofline, shared by the `train_step` bench and the
//! `step_anatomy` example (included by path in both).
//!
//! Superposition scaling (n = 1000, B = 2048, m ∈ {10, 25, 100, 400}): at initialisation
//! (ReLU gradient dense) and after 3000 warm steps at γ = −0.5556 (gradient sparse, as for
//! most of a run). Anthropic TMS (Elhage et al. 2022, `docs/science/tms.md` §3):
//! n = 20, m = 5 and n = 200, m = 20, B = 1024, importance 0.7^i, feature probability 0.1,
//! AdamW lr 1e-3 with decoupled decay 0.01, after 1000 warm steps.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_kernels::{AdamHyper, Simd};
use superscale_models::train::{train, Decay, Recording, Schedule, TrainConfig};
use superscale_models::{power_law_probabilities, FeatureSampler, Init, ToyModel};

/// One variant's shape and training setup.
pub struct Case {
    pub label: &'static str,
    pub n_features: usize,
    pub width: usize,
    pub batch: usize,
    pub warm_steps: u64,
    pub anthropic: bool,
}

impl Case {
    pub fn config(&self, steps: u64) -> TrainConfig {
        let (schedule, decay) = if self.anthropic {
            (
                Schedule::Constant { lr: 1e-3 },
                Decay::Decoupled { lambda: 0.01 },
            )
        } else {
            (
                Schedule::Constant { lr: 5e-3 },
                Decay::SignedRows { gamma: -0.5556 },
            )
        };
        TrainConfig {
            steps,
            batch_size: self.batch,
            schedule,
            decay,
            adam: AdamHyper::default(),
        }
    }

    pub fn setup(&self) -> (ToyModel, FeatureSampler, Vec<f32>, Xoshiro256PlusPlus) {
        let n = self.n_features;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64((n * 1000 + self.width) as u64);
        if self.anthropic {
            let model = ToyModel::new(n, self.width, Init::XavierNormal, &mut rng).unwrap();
            let sampler = FeatureSampler::new(vec![0.1; n], 1.0).unwrap();
            let importance = (0..n).map(|i| 0.7f32.powi(i as i32)).collect();
            (model, sampler, importance, rng)
        } else {
            let model = ToyModel::new(n, self.width, Init::SuperpositionScaling, &mut rng).unwrap();
            let sampler =
                FeatureSampler::new(power_law_probabilities(n, 1.0, 1.0).unwrap(), 2.0).unwrap();
            (model, sampler, vec![1.0; n], rng)
        }
    }
}

pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    for width in [10usize, 25, 100, 400] {
        for (label, warm_steps) in [("init", 0u64), ("trained", 3000)] {
            all.push(Case {
                label,
                n_features: 1000,
                width,
                batch: 2048,
                warm_steps,
                anthropic: false,
            });
        }
    }
    for (n_features, width) in [(20usize, 5usize), (200, 20)] {
        all.push(Case {
            label: if n_features == 20 {
                "tms_n20"
            } else {
                "tms_n200"
            },
            n_features,
            width,
            batch: 1024,
            warm_steps: 1000,
            anthropic: true,
        });
    }
    all
}

/// A case's model and data after its warm steps, ready to time.
pub fn warmed(case: &Case) -> (ToyModel, FeatureSampler, Vec<f32>, Xoshiro256PlusPlus) {
    let (mut model, mut sampler, importance, mut rng) = case.setup();
    if case.warm_steps > 0 {
        let record = Recording {
            curve_points: 0,
            tail_steps: 1,
        };
        train(
            &mut model,
            &mut sampler,
            &importance,
            &case.config(case.warm_steps),
            &record,
            &mut rng,
            Simd::detect(),
            &mut |_| {},
        )
        .unwrap();
    }
    (model, sampler, importance, rng)
}
