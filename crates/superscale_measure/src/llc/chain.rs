//! One chain of localised SGLD: sequential, with its own random stream and buffers.

use super::{Chain, ChainHealth, Options, Potential, Preconditioner, Rows};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Steps between progress reports.
const REPORT_EVERY: u64 = 1000;

/// The buffers of one chain, allocated once.
struct Buffers {
    w: Vec<f64>,
    gradient: Vec<f64>,
    /// RMSProp's running mean of squared loss gradients (unused for plain SGLD)
    squared: Vec<f64>,
    scratch: Vec<f64>,
    /// the rows in the order minibatches are taken (reshuffled every pass)
    order: Vec<usize>,
}

/// Runs one chain from `optimum`; λ̂ and the health checks are filled in by the caller
/// once L_n(w*) is known.
pub(super) fn run(
    potential: &dyn Potential,
    optimum: &[f64],
    options: &Options,
    nbeta: f64,
    seed: u64,
    report: &(dyn Fn(u64) + Sync),
) -> Chain {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let dimension = optimum.len();
    let rows = potential.rows();
    let mut buffers = Buffers {
        w: optimum.to_vec(),
        gradient: vec![0.0; dimension],
        squared: vec![0.0; dimension],
        scratch: Vec::new(),
        order: (0..rows).collect(),
    };
    let batch = options.batch.filter(|&b| b < rows);
    let mut cursor = rows;
    let steps = options.steps();
    let (half_step, root_step) = (options.step / 2.0, options.step.sqrt());
    let gamma = options.localization;
    let mut trace = Vec::with_capacity(options.draws);
    let (mut drift_sum, mut noise_sum) = (0.0, 0.0);
    let mut diverged_at = None;
    let mut taken = 0u64;
    for step in 0..steps {
        // The minibatch loss and gradient at the current w, before the update.
        let loss = match batch {
            None => potential.loss_gradient(
                &buffers.w,
                Rows::All,
                &mut buffers.gradient,
                &mut buffers.scratch,
            ),
            Some(size) => {
                if cursor + size > rows {
                    buffers.order.shuffle(&mut rng);
                    cursor = 0;
                }
                let rows = &buffers.order[cursor..cursor + size];
                cursor += size;
                potential.loss_gradient(
                    &buffers.w,
                    Rows::Some(rows),
                    &mut buffers.gradient,
                    &mut buffers.scratch,
                )
            }
        };
        let after_burn_in = step as usize >= options.burn_in;
        if after_burn_in && (step as usize - options.burn_in).is_multiple_of(options.thin) {
            // A draw is L_n on the full data: the minibatch loss itself when the batch is
            // every row, else one more pass (devinterp issue #38's preferred variant:
            // minibatch steps, full-data evaluation).
            let full = match batch {
                None => loss,
                Some(_) => potential.loss(&buffers.w, &mut buffers.scratch),
            };
            if !full.is_finite() {
                diverged_at = Some(step);
                break;
            }
            trace.push(full);
        }
        if !loss.is_finite() {
            diverged_at = Some(step);
            break;
        }
        let (mut drift_squared, mut noise_squared) = (0.0, 0.0);
        let mut finite = true;
        let coordinates = buffers
            .w
            .iter_mut()
            .zip(&buffers.gradient)
            .zip(&mut buffers.squared)
            .zip(optimum);
        for (((w, &g), squared), &center) in coordinates {
            let scale = match options.preconditioner {
                Preconditioner::None => 1.0,
                Preconditioner::RmsProp { alpha, eps } => {
                    *squared = alpha * *squared + (1.0 - alpha) * g * g;
                    1.0 / (squared.sqrt() + eps)
                }
            };
            let xi: f64 = StandardNormal.sample(&mut rng);
            let drift = half_step * scale * (nbeta * g + gamma * (*w - center));
            let noise = root_step * scale.sqrt() * xi;
            *w += noise - drift;
            finite &= w.is_finite();
            drift_squared += drift * drift;
            noise_squared += noise * noise;
        }
        drift_sum += drift_squared.sqrt();
        noise_sum += noise_squared.sqrt();
        taken += 1;
        if !finite {
            diverged_at = Some(step + 1);
            break;
        }
        if taken.is_multiple_of(REPORT_EVERY) {
            report(REPORT_EVERY);
        }
    }
    report(
        taken % REPORT_EVERY
            + if diverged_at.is_some() {
                steps - taken
            } else {
                0
            },
    );
    let per_step = |sum: f64| {
        if taken == 0 {
            f64::NAN
        } else {
            sum / taken as f64
        }
    };
    Chain {
        lambda: f64::NAN,
        trace,
        drift_norm: per_step(drift_sum),
        noise_norm: per_step(noise_sum),
        diverged_at: diverged_at.map(|step| step.max(1)),
        health: ChainHealth {
            finite: false,
            nonnegative: false,
            stationarity_z: f64::NAN,
            stationary: false,
        },
        last: buffers.w,
    }
}
