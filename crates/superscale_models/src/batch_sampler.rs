//! The two ways of drawing a batch, behind one interface for the trainers.

use crate::data::FeatureSampler;
use crate::entries::EntrySampler;
use rand::Rng;
use superscale_kernels::SparseRows;

/// Something that draws batches of sparse feature vectors from a random stream.
pub trait BatchSampler {
    /// Number of features n.
    fn n_features(&self) -> usize;
    /// Fills `out` with a batch of `batch` samples drawn from `rng`.
    fn draw<R: Rng>(&mut self, rng: &mut R, batch: usize, out: &mut SparseRows);
}

impl BatchSampler for FeatureSampler {
    fn n_features(&self) -> usize {
        FeatureSampler::n_features(self)
    }
    fn draw<R: Rng>(&mut self, rng: &mut R, batch: usize, out: &mut SparseRows) {
        self.sample(rng, batch, out);
    }
}

impl BatchSampler for EntrySampler {
    fn n_features(&self) -> usize {
        EntrySampler::n_features(self)
    }
    fn draw<R: Rng>(&mut self, rng: &mut R, batch: usize, out: &mut SparseRows) {
        self.sample(rng, batch, out);
    }
}

/// Either sampler, chosen per experiment (the Anthropic spec's `sampler` field).
#[derive(Debug, Clone)]
pub enum Sampler {
    /// geometric gaps between active rows ([`FeatureSampler`]; the default)
    Gaps(FeatureSampler),
    /// two words of a per-batch xoshiro128++ stream per entry ([`EntrySampler`])
    Entries(EntrySampler),
}

impl BatchSampler for Sampler {
    fn n_features(&self) -> usize {
        match self {
            Sampler::Gaps(sampler) => sampler.n_features(),
            Sampler::Entries(sampler) => sampler.n_features(),
        }
    }
    fn draw<R: Rng>(&mut self, rng: &mut R, batch: usize, out: &mut SparseRows) {
        match self {
            Sampler::Gaps(sampler) => sampler.sample(rng, batch, out),
            Sampler::Entries(sampler) => sampler.sample(rng, batch, out),
        }
    }
}

/// Which sampler a trainer uses (the Anthropic spec's `sampler`, for crates that do not read
/// specs, such as `superscale_models::grid`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sampling {
    /// [`FeatureSampler`]
    #[default]
    Gaps,
    /// [`EntrySampler`]
    Entries,
}

impl Sampler {
    /// The sampler of this kind for these probabilities and values U(0, value_max).
    pub fn new(kind: Sampling, probabilities: Vec<f64>, value_max: f32) -> crate::Result<Self> {
        Ok(match kind {
            Sampling::Gaps => Sampler::Gaps(FeatureSampler::new(probabilities, value_max)?),
            Sampling::Entries => Sampler::Entries(EntrySampler::new(probabilities, value_max)?),
        })
    }
}
