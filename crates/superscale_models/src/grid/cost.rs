//! The arithmetic and memory traffic of one training step of one model in a grid, for
//! rates and rooflines (issue 6 item 1; `docs/science/superposition.md` §4.1, cost model).

/// FLOPs and bytes of one step of one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepCost {
    /// floating-point operations (a multiply-add counts 2)
    pub flops: f64,
    /// bytes moved between the cores and their caches (not DRAM: a block's working set
    /// stays in L1/L2 for tiny models)
    pub bytes: f64,
}

/// The cost of one step of one n × m model at batch B, counted dense in x (the tiny kernel
/// skips no zero; the wide kernel skips only groups zero in all eight lanes, a saving this
/// count leaves out, so for the wide kernel it is an upper bound).
///
/// Per sample: x·W, h·Wᵀ, G·W, Gᵀ·h and xᵀ·dH are n·m multiply-adds each (10·n·m FLOPs);
/// the output pass is about 12·n (bias add, ReLU, difference, weighted square, gradient,
/// bias sum). Per step: the decay and Adam update, about 14 FLOPs per parameter.
/// Bytes per sample: x is written by the sampler and read twice (3·4·n), dH written and
/// read (2·4·m); per step the parameters, gradients and moments are read and written
/// (4 arrays × 2 × 4 bytes per parameter) and the data draw is not counted.
pub fn step_cost(n_features: usize, width: usize, batch: usize) -> StepCost {
    let (n, m, b) = (n_features as f64, width as f64, batch as f64);
    let parameters = n * m + n;
    StepCost {
        flops: b * (10.0 * n * m + 12.0 * n) + 14.0 * parameters,
        bytes: b * (12.0 * n + 8.0 * m) + 32.0 * parameters,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tms_intro_model_costs_about_a_hundred_and_seventy_flops_per_sample() {
        // n = 5, m = 2: 10·10 + 12·5 = 160 FLOPs per sample, 15 parameters.
        let cost = step_cost(5, 2, 1024);
        assert_eq!(cost.flops, 1024.0 * 160.0 + 14.0 * 15.0);
        assert_eq!(cost.bytes, 1024.0 * 76.0 + 32.0 * 15.0);
    }
}
