//! λ̂ along training: the local learning coefficient of a toy model at checkpoints of its
//! run (the `[llc]` table, `docs/science/llc.md` §8), and the number of ReLU activation
//! regions the model meets on the same data, a second measure of complexity.
//!
//! The posterior is that of a dataset of n rows drawn once from the run's own feature
//! distribution, from a fourth random stream of the run (independent of initialisation,
//! training batches and the held-out set). The per-row loss is the paper's,
//! ℓ(x) = Σ_i I_i (y_i − x_i)², so L_n is the run's loss in its own units.

use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::HashSet;
use std::sync::Mutex;
use superscale_kernels::{Simd, SparseRows};
use superscale_measure::llc::{self, chain_seed, Estimate, Potential, Rows};
use superscale_models::train::SPARSE_BACKWARD_BELOW;
use superscale_models::{FeatureSampler, Gradients, StepBuffers, ToyModel};
use superscale_spec::CheckpointLlcSpec;

use crate::llc::SamplerOptions;

/// λ̂ and the activation regions at one checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointEstimate {
    /// training steps before this checkpoint (0: the initialisation)
    pub step: u64,
    /// the estimate (its chains' health, interval and R̂)
    pub estimate: Estimate,
    /// distinct on/off patterns of the n output units over the dataset's rows
    pub regions: usize,
}

/// What a run keeps of one checkpoint's estimate (the store's `llc` table; the chains
/// themselves are not kept).
#[derive(Debug, Clone, PartialEq)]
pub struct LlcPoint {
    /// training steps before this checkpoint (0: the initialisation)
    pub step: u64,
    /// λ̂, the mean over the finite chains
    pub lambda: f64,
    /// its 95 % interval over chains (`docs/science/llc.md` §3)
    pub interval: (f64, f64),
    /// the standard deviation of the chains' λ̂
    pub chain_sd: f64,
    /// split R̂ of the chains' traces
    pub r_hat: f64,
    /// chains that passed every health check
    pub healthy_chains: usize,
    /// chains run
    pub chains: usize,
    /// chains whose loss or parameters became non-finite
    pub diverged_chains: usize,
    /// L_n(w*) on the dataset
    pub loss_at_optimum: f64,
    /// nβ
    pub nbeta: f64,
    /// distinct on/off patterns of the output units over the dataset's rows
    pub regions: usize,
}

impl From<&CheckpointEstimate> for LlcPoint {
    fn from(c: &CheckpointEstimate) -> Self {
        let e = &c.estimate;
        Self {
            step: c.step,
            lambda: e.lambda,
            interval: e.interval,
            chain_sd: e.chain_sd,
            r_hat: e.r_hat,
            healthy_chains: e.healthy_chains(),
            chains: e.chains.len(),
            diverged_chains: e.chains.iter().filter(|c| c.diverged_at.is_some()).count(),
            loss_at_optimum: e.loss_at_optimum,
            nbeta: e.nbeta,
            regions: c.regions,
        }
    }
}

/// The toy model's loss over a fixed dataset, for the sampler: parameters are W (n × m,
/// row-major) then b, in f64 for the chain; loss and gradient run through the model's own
/// f32 kernels.
pub struct ToyPotential {
    n_features: usize,
    width: usize,
    simd: Simd,
    data: SparseRows,
    importance: Vec<f32>,
    /// buffers for the calls in flight: a chain takes one and gives it back, so the chains
    /// running on the pool never share one, and nothing is allocated after warm-up
    workspaces: Mutex<Vec<Workspace>>,
}

struct Workspace {
    model: ToyModel,
    gradients: Gradients,
    batch: SparseRows,
    /// step buffers per batch size (the full data and the minibatch)
    buffers: Vec<(usize, StepBuffers)>,
}

impl ToyPotential {
    /// The loss of a model of `n_features` × `width` on `data` (one row per sample).
    pub fn new(
        n_features: usize,
        width: usize,
        data: SparseRows,
        importance: Vec<f32>,
        simd: Simd,
    ) -> Self {
        Self {
            n_features,
            width,
            simd,
            data,
            importance,
            workspaces: Mutex::new(Vec::new()),
        }
    }

    fn workspace(&self) -> Workspace {
        let reused = self
            .workspaces
            .lock()
            .map(|mut pool| pool.pop())
            .ok()
            .flatten();
        reused.unwrap_or_else(|| Workspace {
            model: ToyModel {
                n_features: self.n_features,
                width: self.width,
                weights: vec![0.0; self.n_features * self.width],
                bias: vec![0.0; self.n_features],
            },
            gradients: Gradients::zeros(self.n_features, self.width),
            batch: SparseRows::with_capacity(0, self.n_features, 0),
            buffers: Vec::new(),
        })
    }

    fn give_back(&self, workspace: Workspace) {
        if let Ok(mut pool) = self.workspaces.lock() {
            pool.push(workspace);
        }
    }
}

/// The rows of `data` listed in `rows`, into `out`.
fn gather(data: &SparseRows, rows: &[usize], out: &mut SparseRows) {
    out.row_offsets.clear();
    out.row_offsets.push(0);
    out.columns.clear();
    out.values.clear();
    out.cols = data.cols;
    for &row in rows {
        let (columns, values) = data.row(row);
        out.columns.extend_from_slice(columns);
        out.values.extend_from_slice(values);
        out.row_offsets.push(out.columns.len() as u32);
    }
}

impl Potential for ToyPotential {
    fn dimension(&self) -> usize {
        self.n_features * (self.width + 1)
    }

    fn rows(&self) -> usize {
        self.data.rows()
    }

    fn loss_gradient(
        &self,
        w: &[f64],
        rows: Rows<'_>,
        gradient: &mut [f64],
        _scratch: &mut Vec<f64>,
    ) -> f64 {
        let mut workspace = self.workspace();
        let Workspace {
            model,
            gradients,
            batch,
            buffers,
        } = &mut workspace;
        let (weights, bias) = w.split_at(self.n_features * self.width);
        for (to, &from) in model.weights.iter_mut().zip(weights) {
            *to = from as f32;
        }
        for (to, &from) in model.bias.iter_mut().zip(bias) {
            *to = from as f32;
        }
        let x = match rows {
            Rows::All => &self.data,
            Rows::Some(rows) => {
                gather(&self.data, rows, batch);
                &*batch
            }
        };
        let size = x.rows();
        let index = match buffers.iter().position(|(rows, _)| *rows == size) {
            Some(index) => index,
            None => {
                let made = StepBuffers::new(self.n_features, self.width, size);
                buffers.push((size, made));
                buffers.len() - 1
            }
        };
        let loss = model.loss_and_gradient(
            self.simd,
            x,
            &self.importance,
            &mut buffers[index].1,
            gradients,
            SPARSE_BACKWARD_BELOW,
        );
        // The kernels' gradient is that of the mean over rows and features; the loss per
        // row sums over features, so its gradient is n times larger.
        let scale = self.n_features as f64;
        let value = match loss {
            Ok(loss) => {
                let parts = gradients.weights.iter().chain(&gradients.bias);
                for (to, &from) in gradient.iter_mut().zip(parts) {
                    *to = from as f64 * scale;
                }
                loss.weighted_sum / size.max(1) as f64
            }
            // Shapes are fixed at construction, so this cannot happen; a NaN loss is how the
            // chain records a failed step (as diverged) rather than a panic.
            Err(_) => f64::NAN,
        };
        self.give_back(workspace);
        value
    }
}

/// The number of distinct on/off patterns of the output units, ReLU(x·W·Wᵀ + b) > 0, over
/// the rows of `data`: the linear regions of the model the data visits.
pub fn activation_regions(model: &ToyModel, data: &SparseRows) -> usize {
    let (n, m) = (model.n_features, model.width);
    let mut hidden = vec![0.0f32; m];
    let mut pattern = vec![0u64; n.div_ceil(64)];
    let mut seen = HashSet::new();
    for row in 0..data.rows() {
        hidden.fill(0.0);
        let (columns, values) = data.row(row);
        for (&column, &value) in columns.iter().zip(values) {
            let w = &model.weights[column as usize * m..(column as usize + 1) * m];
            for (h, &wv) in hidden.iter_mut().zip(w) {
                *h += value * wv;
            }
        }
        pattern.fill(0);
        for i in 0..n {
            let w = &model.weights[i * m..(i + 1) * m];
            let z: f32 = model.bias[i] + w.iter().zip(&hidden).map(|(a, b)| a * b).sum::<f32>();
            if z > 0.0 {
                pattern[i / 64] |= 1 << (i % 64);
            }
        }
        if !seen.contains(&pattern) {
            seen.insert(pattern.clone());
        }
    }
    seen.len()
}

/// The dataset of an `[llc]` table: `n` rows from the run's feature distribution, drawn
/// from the stream after the held-out one (`heldout` jumped once more).
pub fn dataset(sampler: &FeatureSampler, heldout: &Xoshiro256PlusPlus, n: usize) -> SparseRows {
    let mut rng = heldout.clone();
    rng.jump();
    let mut sampler = sampler.clone();
    let mut data = SparseRows::default();
    sampler.sample(&mut rng, n, &mut data);
    data
}

/// λ̂ and activation regions at each checkpoint, in order. `seed` is the run's seed; each
/// checkpoint's chains take their own seeds from it.
pub fn estimate_checkpoints(
    spec: &CheckpointLlcSpec,
    checkpoints: &[(u64, ToyModel)],
    data: SparseRows,
    importance: &[f32],
    simd: Simd,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Vec<CheckpointEstimate>, llc::Invalid> {
    let Some((_, first)) = checkpoints.first() else {
        return Ok(Vec::new());
    };
    let potential = ToyPotential::new(
        first.n_features,
        first.width,
        data,
        importance.to_vec(),
        simd,
    );
    let mut out = Vec::with_capacity(checkpoints.len());
    for (index, (step, model)) in checkpoints.iter().enumerate() {
        let optimum: Vec<f64> = model
            .weights
            .iter()
            .chain(&model.bias)
            .map(|&v| v as f64)
            .collect();
        // One stream per checkpoint, away from the LLC kind's seeds of the same run.
        let options = spec
            .sampler
            .options(spec.n, chain_seed(seed, usize::MAX - 1 - index));
        let estimate = llc::estimate(&potential, &optimum, &options, progress)?;
        out.push(CheckpointEstimate {
            step: *step,
            estimate,
            regions: activation_regions(model, &potential.data),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use superscale_models::{power_law_probabilities, Init};

    fn stream(seed: u64) -> Xoshiro256PlusPlus {
        Xoshiro256PlusPlus::seed_from_u64(seed)
    }

    fn model_and_data(n: usize, m: usize, rows: usize) -> (ToyModel, SparseRows) {
        let mut rng = stream(5);
        let mut model = ToyModel::new(n, m, Init::SuperpositionScaling, &mut rng).unwrap();
        for b in &mut model.bias {
            *b *= 0.3;
        }
        let sampler =
            FeatureSampler::new(power_law_probabilities(n, 1.0, 2.0).unwrap(), 2.0).unwrap();
        (model.clone(), dataset(&sampler, &stream(9), rows))
    }

    fn flat(model: &ToyModel) -> Vec<f64> {
        model
            .weights
            .iter()
            .chain(&model.bias)
            .map(|&v| v as f64)
            .collect()
    }

    /// The loss is the paper's per-row Σ_i (y_i − x_i)², recomputed here from its
    /// definition in f64.
    fn loss_by_definition(model: &ToyModel, data: &SparseRows, rows: &[usize]) -> f64 {
        let (n, m) = (model.n_features, model.width);
        let dense = data.to_dense();
        let mut total = 0.0;
        for &r in rows {
            let x = &dense[r * n..(r + 1) * n];
            let h: Vec<f64> = (0..m)
                .map(|k| {
                    (0..n)
                        .map(|j| x[j] as f64 * model.weights[j * m + k] as f64)
                        .sum()
                })
                .collect();
            for (i, &xi) in x.iter().enumerate() {
                let z = model.bias[i] as f64
                    + (0..m)
                        .map(|k| model.weights[i * m + k] as f64 * h[k])
                        .sum::<f64>();
                total += (z.max(0.0) - xi as f64).powi(2);
            }
        }
        total / rows.len() as f64
    }

    #[test]
    fn loss_and_gradient_match_their_definitions() {
        let (model, data) = model_and_data(12, 3, 40);
        let ones = vec![1.0; 12];
        let potential = ToyPotential::new(12, 3, data.clone(), ones, Simd::detect());
        let w = flat(&model);
        let mut gradient = vec![0.0; w.len()];
        let all: Vec<usize> = (0..40).collect();
        let loss = potential.loss_gradient(&w, Rows::All, &mut gradient, &mut Vec::new());
        let expected = loss_by_definition(&model, &data, &all);
        assert!(
            (loss - expected).abs() < 1e-5 * expected.max(1.0),
            "{loss} vs {expected}"
        );
        let some = [3usize, 17, 17, 30];
        let mut part = vec![0.0; w.len()];
        let loss_some = potential.loss_gradient(&w, Rows::Some(&some), &mut part, &mut Vec::new());
        let expected_some = loss_by_definition(&model, &data, &some);
        assert!((loss_some - expected_some).abs() < 1e-5 * expected_some.max(1.0));
        // Central differences of the f64 definition; the kernels run in f32, so the
        // tolerance is f32's, not f64's.
        let h = 1e-3;
        for i in (0..w.len()).step_by(5) {
            let at = |shift: f64| {
                let mut v = w.clone();
                v[i] += shift;
                let mut shifted = model.clone();
                let (weights, bias) = v.split_at(12 * 3);
                shifted.weights = weights.iter().map(|&x| x as f32).collect();
                shifted.bias = bias.iter().map(|&x| x as f32).collect();
                loss_by_definition(&shifted, &data, &all)
            };
            let numeric = (at(h) - at(-h)) / (2.0 * h);
            assert!(
                (gradient[i] - numeric).abs() < 2e-3 * (1.0 + numeric.abs()),
                "parameter {i}: {} vs {numeric}",
                gradient[i]
            );
        }
    }

    #[test]
    fn regions_count_distinct_patterns_and_are_at_most_the_rows() {
        let (model, data) = model_and_data(12, 3, 200);
        let regions = activation_regions(&model, &data);
        assert!((1..=200).contains(&regions));
        // All biases very negative: every output is off on every row, one region.
        let mut off = model.clone();
        off.bias.iter_mut().for_each(|b| *b = -1e3);
        assert_eq!(activation_regions(&off, &data), 1);
        // Duplicating every row adds no region.
        let rows: Vec<usize> = (0..200).chain(0..200).collect();
        let mut doubled = SparseRows::default();
        gather(&data, &rows, &mut doubled);
        assert_eq!(activation_regions(&model, &doubled), regions);
    }
}
