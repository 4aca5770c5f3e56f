//! The shape of the network and the layout of its one contiguous parameter buffer.

use crate::mlp::error::{Error, Result};
use crate::mlp::real::Real;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::ops::Range;

/// A dense ReLU MLP: Linear → ReLU → … → ReLU → Linear.
///
/// `layer_sizes = [input, hidden₁, …, output]`; the depth (number of Linear layers) is
/// `layer_sizes.len() − 1`, so `[600, 500, 2]` is the depth-2 network of the quanta paper
/// (`docs/science/quanta.md` §1: Linear(n_tasks + n → w), ReLU, Linear(w → 2)).
///
/// Parameter layout, in one buffer, layer after layer: the weight W_l as a row-major
/// `in_l × out_l` matrix (row j holds input j's outgoing weights, the transpose of torch's
/// `out × in`, so a sparse input row selects rows of W₀), then the bias b_l (`out_l`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mlp {
    layer_sizes: Vec<usize>,
    weight_offsets: Vec<usize>,
    n_params: usize,
}

impl Mlp {
    /// A network with the given layer sizes (at least input and output, none zero).
    pub fn new(layer_sizes: &[usize]) -> Result<Self> {
        let refuse = |reason| Error::Architecture {
            layer_sizes: layer_sizes.to_vec(),
            reason,
        };
        if layer_sizes.len() < 2 {
            return Err(refuse("need at least an input and an output size"));
        }
        if layer_sizes.contains(&0) {
            return Err(refuse("every layer size must be at least 1"));
        }
        let mut weight_offsets = Vec::with_capacity(layer_sizes.len() - 1);
        let mut offset = 0usize;
        for pair in layer_sizes.windows(2) {
            weight_offsets.push(offset);
            offset = pair[0]
                .checked_mul(pair[1])
                .and_then(|w| w.checked_add(pair[1]))
                .and_then(|layer| layer.checked_add(offset))
                .ok_or_else(|| refuse("parameter count overflows usize"))?;
        }
        Ok(Self {
            layer_sizes: layer_sizes.to_vec(),
            weight_offsets,
            n_params: offset,
        })
    }

    /// `[input, hidden…, output]`.
    pub fn layer_sizes(&self) -> &[usize] {
        &self.layer_sizes
    }

    /// Number of Linear layers.
    pub fn depth(&self) -> usize {
        self.layer_sizes.len() - 1
    }

    /// Input dimension.
    pub fn input_dim(&self) -> usize {
        self.layer_sizes[0]
    }

    /// Output dimension (number of classes for cross-entropy).
    pub fn output_dim(&self) -> usize {
        self.layer_sizes[self.layer_sizes.len() - 1]
    }

    /// The widest layer after the input (sizes the per-row scratch).
    pub fn widest_layer(&self) -> usize {
        self.layer_sizes[1..].iter().copied().max().unwrap_or(1)
    }

    /// Total number of parameters, Σ_l (in_l + 1)·out_l. For `[n_tasks + n, w, 2]` this is
    /// (n_tasks + n + 1)·w + 2w + 2 (`docs/science/quanta.md` §1; 603w + 2 at 500 tasks,
    /// n = 100).
    pub fn n_params(&self) -> usize {
        self.n_params
    }

    /// Where W_l (`in_l × out_l`, row-major) sits in the parameter buffer.
    pub fn weight_range(&self, layer: usize) -> Range<usize> {
        let start = self.weight_offsets[layer];
        start..start + self.layer_sizes[layer] * self.layer_sizes[layer + 1]
    }

    /// Where b_l (`out_l`) sits in the parameter buffer.
    pub fn bias_range(&self, layer: usize) -> Range<usize> {
        let start = self.weight_range(layer).end;
        start..start + self.layer_sizes[layer + 1]
    }

    /// Fresh parameters drawn like torch's `nn.Linear` default: every weight and bias of
    /// layer l uniform in ±1/√in_l. Drawn in f64 from Xoshiro256++ seeded with `seed` and
    /// rounded to `T`, so the f32 and f64 networks of one seed agree to f32 rounding.
    pub fn init_params<T: Real>(&self, seed: u64) -> Vec<T> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut params = Vec::with_capacity(self.n_params);
        for layer in 0..self.depth() {
            let bound = 1.0 / (self.layer_sizes[layer] as f64).sqrt();
            let count = self.weight_range(layer).len() + self.bias_range(layer).len();
            for _ in 0..count {
                params.push(T::from_f64(rng.random_range(-bound..bound)));
            }
        }
        params
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_contiguous_and_counts_match_the_quanta_formula() {
        for width in [1usize, 9, 300, 500] {
            let mlp = Mlp::new(&[600, width, 2]).unwrap();
            // docs/science/quanta.md §1: P = 603w + 2 for n_tasks = 500, n = 100.
            assert_eq!(mlp.n_params(), 603 * width + 2);
        }
        let mlp = Mlp::new(&[5, 4, 3, 2]).unwrap();
        let mut next = 0;
        for layer in 0..mlp.depth() {
            assert_eq!(mlp.weight_range(layer).start, next);
            assert_eq!(mlp.bias_range(layer).start, mlp.weight_range(layer).end);
            next = mlp.bias_range(layer).end;
        }
        assert_eq!(next, mlp.n_params());
        assert!(Mlp::new(&[3]).is_err());
        assert!(Mlp::new(&[3, 0, 2]).is_err());
    }

    #[test]
    fn init_is_seeded_and_bounded() {
        let mlp = Mlp::new(&[16, 8, 2]).unwrap();
        let a: Vec<f64> = mlp.init_params(7);
        assert_eq!(a, mlp.init_params::<f64>(7));
        assert_ne!(a, mlp.init_params::<f64>(8));
        assert!(a[mlp.weight_range(0)].iter().all(|w| w.abs() <= 0.25));
        assert!(a[mlp.weight_range(1)]
            .iter()
            .all(|w| w.abs() <= 1.0 / 8f64.sqrt()));
    }
}
