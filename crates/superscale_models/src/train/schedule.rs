//! Learning-rate schedules.

/// The learning rate as a function of the step index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    /// A constant rate (the TMS notebook: AdamW at 1e-3).
    Constant {
        /// the rate
        lr: f64,
    },
    /// Linear warm-up then cosine decay to `min_ratio·peak` at the last step: the authors'
    /// `get_lr` (`exp-10.py` l.30–40; `docs/science/superposition.md` §1.5). With s = step + 1:
    /// s < warmup: peak·s/warmup; else (peak − min)·½(1 + cos(π(s − warmup)/(total − warmup))) + min.
    WarmupCosine {
        /// the peak rate (1e-2 in the paper)
        peak: f64,
        /// warm-up steps (2000 in the paper)
        warmup: u64,
        /// total steps (20 000 in the paper)
        total: u64,
        /// final rate as a fraction of the peak (0.05 in the paper)
        min_ratio: f64,
    },
}

impl Schedule {
    /// The learning rate at step index `step` (0-based).
    pub fn lr(&self, step: u64) -> f64 {
        match *self {
            Schedule::Constant { lr } => lr,
            Schedule::WarmupCosine {
                peak,
                warmup,
                total,
                min_ratio,
            } => {
                let s = step + 1; // the authors' off-by-one: peak at index warmup − 1
                let min_lr = min_ratio * peak;
                if s < warmup {
                    peak * s as f64 / warmup as f64
                } else {
                    let span = total.saturating_sub(warmup).max(1) as f64;
                    let progress = (s - warmup) as f64 / span;
                    (peak - min_lr) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()) + min_lr
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_values_of_the_paper_schedule() {
        // docs/science/superposition.md §1.5: get_lr(step, 1e-2, 20000), warm-up 2000.
        let schedule = Schedule::WarmupCosine {
            peak: 1e-2,
            warmup: 2000,
            total: 20000,
            min_ratio: 0.05,
        };
        for (step, want) in [
            (0, 5e-6),
            (999, 5e-3),
            (1998, 9.995e-3),
            (1999, 1e-2),
            (10999, 5.25e-3),
            (19999, 5e-4),
        ] {
            let got = schedule.lr(step);
            assert!((got - want).abs() < 1e-12, "step {step}: {got} vs {want}");
        }
    }
}
