//! Training one network of a study and reading out what the comparisons need: its last
//! hidden layer on the probe items, and its test loss (competence: Huh et al. 2024, §3's
//! alignment-with-competence test).

use super::error::Result;
use super::world::{Batch, World};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_measure::align::draw_seed;
use superscale_models::mlp::{
    forward_outputs, loss_and_gradient, AdamW, Input, Mlp, Targets, Workspace,
};

/// How one network is trained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainSettings {
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
}

/// Items every network of one modality is evaluated on.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation<'a> {
    /// probe inputs, n × d_x
    pub probe_x: &'a [f32],
    /// test inputs, n_test × d_x
    pub test_x: &'a [f32],
    /// test targets, n_test × T
    pub test_y: &'a [f32],
}

/// A trained network's readouts.
#[derive(Debug, Clone, PartialEq)]
pub struct Trained {
    /// the last hidden layer after its ReLU on the probe items, n × width, row-major
    pub representation: Vec<f64>,
    /// test MSE averaged over tasks
    pub test_loss: f64,
    /// mean over tasks of MSE_t / Var_t(y): 1 for the best constant predictor
    pub normalised_loss: f64,
    /// the layer sizes d_x, width…, T
    pub layer_sizes: Vec<usize>,
    /// the final parameters, layer after layer (W_l as in_l × out_l row-major, then b_l)
    pub parameters: Vec<f32>,
}

impl Trained {
    /// 1 − normalised test loss (the R² of the readouts; the competence of `docs/science/alignment.md` §4, item 4).
    pub fn competence(&self) -> f64 {
        1.0 - self.normalised_loss
    }
}

/// Trains an MLP d_x → width^depth → T on fresh samples of `modality` with MSE and AdamW,
/// from `seed` (initialisation and data), and evaluates it. `on_step` is told the number
/// of steps done after each step.
pub fn train_network(
    world: &World,
    modality: usize,
    settings: &TrainSettings,
    seed: u64,
    evaluation: &Evaluation<'_>,
    on_step: &mut dyn FnMut(usize),
) -> Result<Trained> {
    let input = world.spec().input_dim;
    let tasks = world.n_tasks();
    let mut sizes = vec![input];
    sizes.extend(std::iter::repeat_n(settings.width, settings.depth));
    let trunk_sizes = sizes.clone();
    sizes.push(tasks);
    let mlp = Mlp::new(&sizes)?;
    let mut params: Vec<f32> = mlp.init_params(seed);
    let mut gradient = vec![0.0; mlp.n_params()];
    let mut workspace = Workspace::new(&mlp);
    let mut optimizer = AdamW::new(
        mlp.n_params(),
        settings.lr as f32,
        settings.weight_decay as f32,
    );
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(draw_seed(seed, 1, 0));
    let mut batch = Batch::default();
    for step in 0..settings.steps {
        world.sample_into(modality, settings.batch_size, &mut rng, &mut batch);
        loss_and_gradient(
            &mlp,
            &params,
            Input::Dense(&batch.x),
            Targets::Values(&batch.y),
            &mut gradient,
            &mut workspace,
        )?;
        optimizer.step(&mut params, &gradient)?;
        on_step(step + 1);
    }
    // Test loss per task, normalised by the targets' variance on the same items.
    let n_test = evaluation.test_x.len() / input;
    let mut outputs = vec![0.0f32; n_test * tasks];
    forward_outputs(
        &mlp,
        &params,
        Input::Dense(evaluation.test_x),
        &mut outputs,
        &mut workspace,
    )?;
    let (mut loss, mut normalised) = (0.0, 0.0);
    for t in 0..tasks {
        let column = |v: &[f32], i: usize| f64::from(v[i * tasks + t]);
        let mean = (0..n_test)
            .map(|i| column(evaluation.test_y, i))
            .sum::<f64>()
            / n_test as f64;
        let (mut squared_error, mut variance) = (0.0, 0.0);
        for i in 0..n_test {
            let target = column(evaluation.test_y, i);
            squared_error += (column(&outputs, i) - target).powi(2);
            variance += (target - mean).powi(2);
        }
        loss += squared_error / n_test as f64;
        // A constant task (variance 0) cannot be normalised; it counts as solved or not by
        // its raw error, which is then also 0 for a perfect fit.
        normalised += if variance > 0.0 {
            squared_error / variance
        } else {
            squared_error
        };
    }
    // The parameters are stored layer after layer, so the trunk's are a prefix.
    let trunk = Mlp::new(&trunk_sizes)?;
    let n_probe = evaluation.probe_x.len() / input;
    let mut hidden = vec![0.0f32; n_probe * settings.width];
    let mut trunk_workspace = Workspace::new(&trunk);
    forward_outputs(
        &trunk,
        &params[..trunk.n_params()],
        Input::Dense(evaluation.probe_x),
        &mut hidden,
        &mut trunk_workspace,
    )?;
    Ok(Trained {
        representation: hidden.iter().map(|&v| f64::from(v.max(0.0))).collect(),
        test_loss: loss / tasks as f64,
        normalised_loss: normalised / tasks as f64,
        layer_sizes: sizes,
        parameters: params,
    })
}
