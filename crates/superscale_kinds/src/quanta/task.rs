//! Multitask sparse parity (Michaud et al. 2023; `docs/science/quanta.md` §1, their
//! `scripts/sparse-parity-v4.py`).
//!
//! Task t ∈ 0..n_tasks has a k-subset S_t of the n data bits; a sample of task t is
//! x = one-hot(t) ⊕ bits with label (Σ_{j∈S_t} bits_j) mod 2. Tasks are drawn with
//! Zipf frequencies p_t ∝ (t + 1 + offset)^(−alpha) (the code's 1-based t).
//!
//! Exponent conventions (§1): `alpha` here is the **code's** alpha, which is the
//! paper's α + 1; the paper's quanta law p_k ∝ k^−(α+1) has α = alpha − 1, so code
//! alpha = 1.4 is paper α = 0.4, predicting α_N = 0.4 and α_S = α_D = 0.4/1.4 (§2.1).

use super::error::{invalid, Error, Result};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use superscale_models::mlp::OneHotBits;

/// The task family (the `[task]` table of an experiment spec).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskConfig {
    /// number of subtasks (quanta)
    pub n_tasks: usize,
    /// data bits per input, n
    pub n_bits: usize,
    /// bits per parity subset, k
    pub k: usize,
    /// the code's Zipf exponent: p_t ∝ (t + offset)^(−alpha), t = 1..n_tasks
    pub alpha: f64,
    /// the code's offset (0 in every paper configuration)
    #[serde(default)]
    pub offset: f64,
}

impl TaskConfig {
    /// The paper's α = alpha − 1 (`docs/science/quanta.md` §1, exponent convention).
    pub fn paper_alpha(&self) -> f64 {
        self.alpha - 1.0
    }

    /// Refuses values the generator cannot use; errors name the spec field.
    pub fn validate(&self) -> Result<()> {
        if self.n_tasks == 0 {
            return Err(invalid("task.n_tasks", "must be at least 1"));
        }
        if self.n_bits == 0 || self.n_bits > 4096 {
            return Err(invalid(
                "task.n_bits",
                format!("{} is not in 1..=4096", self.n_bits),
            ));
        }
        if self.k == 0 || self.k > self.n_bits {
            return Err(invalid(
                "task.k",
                format!("{} must satisfy 1 ≤ k ≤ n_bits = {}", self.k, self.n_bits),
            ));
        }
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(invalid(
                "task.alpha",
                format!("{} must be positive", self.alpha),
            ));
        }
        if !(self.offset.is_finite() && self.offset > -1.0) {
            return Err(invalid(
                "task.offset",
                format!("{} must be > −1", self.offset),
            ));
        }
        Ok(())
    }
}

/// Zipf frequencies p_t = (t + offset)^(−alpha) / Σ, t = 1..n_tasks (§1, L238–240).
pub fn zipf_frequencies(n_tasks: usize, alpha: f64, offset: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=n_tasks)
        .map(|t| (t as f64 + offset).powf(-alpha))
        .collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|w| w / total).collect()
}

/// Test-set rows per task, `int(p_t · test_points)` (§1, L242: truncated).
pub fn test_sizes(frequencies: &[f64], test_points: usize) -> Vec<usize> {
    frequencies
        .iter()
        .map(|p| (p * test_points as f64) as usize)
        .collect()
}

/// A SplitMix64 finaliser: independent streams from one seed and a stream number.
pub fn derive_seed(seed: u64, stream: u64) -> u64 {
    let mut z = seed ^ stream.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A batch of samples: inputs (one-hot task ⊕ bits, stored as the task index and the bit
/// words of each row), labels and task ids.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Batch {
    /// rows × (n_tasks + n_bits), values 0 or 1
    pub input: OneHotBits,
    /// parity labels
    pub labels: Vec<u32>,
    /// task of each row
    pub tasks: Vec<u32>,
}

impl Batch {
    /// An empty batch for inputs of `n_tasks` one-hot columns and `n_bits` bits.
    pub fn new(n_tasks: usize, n_bits: usize) -> Self {
        Self {
            input: OneHotBits::new(n_tasks, n_bits),
            ..Self::default()
        }
    }

    /// Empties the batch, keeping its capacity.
    pub fn clear(&mut self) {
        self.input.clear();
        self.labels.clear();
        self.tasks.clear();
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Appends row `row` of `other`.
    pub fn push_row_of(&mut self, other: &Batch, row: usize) {
        self.input.push_row_of(&other.input, row);
        self.labels.push(other.labels[row]);
        self.tasks.push(other.tasks[row]);
    }
}

/// The generator: subsets, frequencies and their cumulative sums.
#[derive(Debug, Clone, PartialEq)]
pub struct MultitaskParity {
    config: TaskConfig,
    subsets: Vec<Vec<u32>>,
    /// each subset as bit words (⌈n_bits/64⌉ per task), for the parity by popcount
    subset_words: Vec<u64>,
    frequencies: Vec<f64>,
    cumulative: Vec<f64>,
    /// `GUIDE + 1` entries: `guide[j]` = the task of u = j / GUIDE (where the search for a
    /// u in [j, j + 1) / GUIDE starts; it ends at `guide[j + 1]`)
    guide: Vec<u32>,
}

/// Cells of the guide table of the task sampler (a power of two, so u·GUIDE is exact).
const GUIDE: usize = 1024;

impl MultitaskParity {
    /// Draws the subsets from `seed`: each is k distinct bits in random order, sorted;
    /// duplicates of an earlier subset are rejected, with at most 10·n_tasks attempts
    /// (§1, L228–235; Xoshiro256++ instead of Python's `random`, so the subsets differ
    /// from the paper's but follow the same law).
    pub fn new(config: &TaskConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(derive_seed(seed, 0));
        let attempts = 10 * config.n_tasks;
        let mut subsets: Vec<Vec<u32>> = Vec::with_capacity(config.n_tasks);
        let mut seen = std::collections::HashSet::new();
        let mut pool: Vec<u32> = (0..config.n_bits as u32).collect();
        for _ in 0..attempts {
            if subsets.len() == config.n_tasks {
                break;
            }
            // random.sample(range(n), k): a partial Fisher–Yates shuffle.
            for i in 0..config.k {
                let j = rng.random_range(i..config.n_bits);
                pool.swap(i, j);
            }
            let mut subset = pool[..config.k].to_vec();
            subset.sort_unstable();
            if seen.insert(subset.clone()) {
                subsets.push(subset);
            }
        }
        if subsets.len() < config.n_tasks {
            return Err(Error::Subsets {
                found: subsets.len(),
                n_tasks: config.n_tasks,
                n: config.n_bits,
                k: config.k,
                attempts,
            });
        }
        let frequencies = zipf_frequencies(config.n_tasks, config.alpha, config.offset);
        let mut running = 0.0;
        let cumulative: Vec<f64> = frequencies
            .iter()
            .map(|p| {
                running += p;
                running
            })
            .collect();
        let per_task = config.n_bits.div_ceil(64);
        let mut subset_words = vec![0u64; config.n_tasks * per_task];
        for (words, subset) in subset_words.chunks_exact_mut(per_task).zip(&subsets) {
            for &bit in subset {
                words[bit as usize / 64] |= 1 << (bit % 64);
            }
        }
        let guide = (0..=GUIDE)
            .map(|cell| {
                let u = cell as f64 / GUIDE as f64;
                cumulative.partition_point(|&c: &f64| c < u) as u32
            })
            .collect();
        Ok(Self {
            config: config.clone(),
            subsets,
            subset_words,
            frequencies,
            cumulative,
            guide,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &TaskConfig {
        &self.config
    }

    /// n_tasks + n_bits.
    pub fn input_dim(&self) -> usize {
        self.config.n_tasks + self.config.n_bits
    }

    /// An empty batch of this task family's shape.
    pub fn new_batch(&self) -> Batch {
        Batch::new(self.config.n_tasks, self.config.n_bits)
    }

    /// The sorted subset S_t of every task.
    pub fn subsets(&self) -> &[Vec<u32>] {
        &self.subsets
    }

    /// p_t of every task.
    pub fn frequencies(&self) -> &[f64] {
        &self.frequencies
    }

    /// Task of one uniform draw: numpy's `searchsorted(cdf, u)` (side = left), clamped
    /// to the last task when rounding leaves the last cumulative sum below u.
    ///
    /// The search runs only between the guide entries of u's cell: the first c ≥ u lies
    /// between the first c ≥ j/G and the first c ≥ (j + 1)/G for u in [j, j + 1)/G, so the
    /// result is the full search's, bit for bit, in one or two steps instead of nine
    /// (3.8 % of a w = 9 step; BENCHMARKS.md, issue 19).
    pub fn task_of(&self, uniform: f64) -> usize {
        let cell = ((uniform * GUIDE as f64) as usize).min(GUIDE - 1);
        let (low, high) = (self.guide[cell] as usize, self.guide[cell + 1] as usize);
        let found = if (0.0..1.0).contains(&uniform) {
            low + self.cumulative[low..high].partition_point(|&c| c < uniform)
        } else {
            self.cumulative.partition_point(|&c| c < uniform)
        };
        found.min(self.config.n_tasks - 1)
    }

    /// Histogram of `count` inverse-CDF task draws into `counts` (§1, L284–286).
    pub fn draw_task_counts(&self, rng: &mut impl Rng, count: usize, counts: &mut Vec<usize>) {
        counts.clear();
        counts.resize(self.config.n_tasks, 0);
        for _ in 0..count {
            counts[self.task_of(rng.random::<f64>())] += 1;
        }
    }

    /// Appends one fresh sample of `task`: uniform bits, label = parity of S_t.
    ///
    /// Bit b is bit b % 64 of the (b / 64)-th 64-bit draw, the last draw masked to the
    /// n_bits % 64 low bits: the draws fill the batch's bit words directly, and the label is
    /// the popcount parity of the words masked by S_t.
    pub fn push_sample(&self, task: usize, rng: &mut impl Rng, batch: &mut Batch) {
        let n_bits = self.config.n_bits;
        let per_task = n_bits.div_ceil(64);
        let subset = &self.subset_words[task * per_task..(task + 1) * per_task];
        batch.input.index.push(task as u32);
        let mut ones = 0u32;
        for (index, &mask) in subset.iter().enumerate() {
            let mut word = rng.random::<u64>();
            let valid = n_bits - 64 * index;
            if valid < 64 {
                word &= (1u64 << valid) - 1;
            }
            ones += (word & mask).count_ones();
            batch.input.words.push(word);
        }
        batch.labels.push(ones % 2);
        batch.tasks.push(task as u32);
    }

    /// Appends `counts[t]` fresh samples of every task t, grouped in task order as the
    /// paper's `get_batch` does (§1: not shuffled, harmless for an MLP).
    pub fn push_counts(&self, counts: &[usize], rng: &mut impl Rng, batch: &mut Batch) {
        for (task, &count) in counts.iter().enumerate() {
            for _ in 0..count {
                self.push_sample(task, rng, batch);
            }
        }
    }

    /// A training batch of the infinite-data mode: `batch_size` task draws, histogrammed,
    /// then fresh bits (§1, D = −1).
    pub fn fill_batch(
        &self,
        rng: &mut impl Rng,
        batch_size: usize,
        counts: &mut Vec<usize>,
        batch: &mut Batch,
    ) {
        batch.clear();
        self.draw_task_counts(rng, batch_size, counts);
        self.push_counts(counts, rng, batch);
    }
}
