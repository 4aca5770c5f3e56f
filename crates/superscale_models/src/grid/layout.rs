//! The structure-of-arrays layout of a block of models.
//!
//! A block holds [`LANES`] models of one shape. Every per-model array is stored with the
//! model index fastest: W as [n][m][LANES], b and the importances as [n][LANES], the Adam
//! moments like their parameters, so one 256-bit register holds one entry of eight models
//! and the kernel's arithmetic is one instruction per entry for all of them
//! (`docs/science/conventions.md` §5). A grid is a list of blocks; the last is padded with silent lanes.

use crate::ToyModel;

/// Models per block: eight f32 fill one AVX2 register.
pub const LANES: usize = 8;

/// The parameters and optimiser state of one block, lane-interleaved.
#[derive(Debug, Clone)]
pub(crate) struct BlockParams {
    pub n: usize,
    pub m: usize,
    /// W, [n][m][LANES]
    pub weights: Vec<f32>,
    /// b, [n][LANES]
    pub bias: Vec<f32>,
    /// I, [n][LANES]
    pub importance: Vec<f32>,
    /// λ of the decoupled decay, per lane
    pub decay: [f32; LANES],
    /// Adam moments of W and b (same layouts)
    pub weights_first: Vec<f32>,
    pub weights_second: Vec<f32>,
    pub bias_first: Vec<f32>,
    pub bias_second: Vec<f32>,
}

impl BlockParams {
    /// Zero parameters (silent lanes stay zero: no data, no gradient, no update).
    pub fn zeros(n: usize, m: usize) -> Self {
        Self {
            n,
            m,
            weights: vec![0.0; n * m * LANES],
            bias: vec![0.0; n * LANES],
            importance: vec![0.0; n * LANES],
            decay: [0.0; LANES],
            weights_first: vec![0.0; n * m * LANES],
            weights_second: vec![0.0; n * m * LANES],
            bias_first: vec![0.0; n * LANES],
            bias_second: vec![0.0; n * LANES],
        }
    }

    /// Puts a model into lane `lane`.
    pub fn set_lane(&mut self, lane: usize, model: &ToyModel, importance: &[f32], decay: f32) {
        for (index, &w) in model.weights.iter().enumerate() {
            self.weights[index * LANES + lane] = w;
        }
        for (i, (&b, &w)) in model.bias.iter().zip(importance).enumerate() {
            self.bias[i * LANES + lane] = b;
            self.importance[i * LANES + lane] = w;
        }
        self.decay[lane] = decay;
    }

    /// The model in lane `lane`.
    pub fn lane_model(&self, lane: usize) -> ToyModel {
        ToyModel {
            n_features: self.n,
            width: self.m,
            weights: self
                .weights
                .iter()
                .skip(lane)
                .step_by(LANES)
                .copied()
                .collect(),
            bias: self
                .bias
                .iter()
                .skip(lane)
                .step_by(LANES)
                .copied()
                .collect(),
        }
    }

    /// Per lane: whether every parameter is finite.
    pub fn finite_lanes(&self) -> [bool; LANES] {
        // x·0 is 0 for finite x and NaN otherwise; the sums vectorise over the lanes.
        let mut probe = [0.0f32; LANES];
        for chunk in self
            .weights
            .chunks_exact(LANES)
            .chain(self.bias.chunks_exact(LANES))
        {
            for lane in 0..LANES {
                probe[lane] += chunk[lane] * 0.0;
            }
        }
        probe.map(|p| p == 0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lanes_round_trip_and_stay_apart() {
        let a = ToyModel::from_parts(3, 2, vec![1., 2., 3., 4., 5., 6.], vec![7., 8., 9.]).unwrap();
        let b = ToyModel::from_parts(3, 2, vec![-1.; 6], vec![f32::NAN, 0., 0.]).unwrap();
        let mut block = BlockParams::zeros(3, 2);
        block.set_lane(0, &a, &[1.0; 3], 0.01);
        block.set_lane(5, &b, &[0.5; 3], 0.0);
        assert_eq!(block.lane_model(0), a);
        assert_eq!(block.lane_model(5).weights, b.weights);
        assert_eq!(block.lane_model(1).weights, vec![0.0; 6]);
        assert_eq!(
            block.weights[2 * LANES],
            3.0,
            "W_1,0 of lane 0 sits at [1][0][0]"
        );
        let finite = block.finite_lanes();
        assert!(finite[0] && finite[1] && !finite[5]);
    }
}
