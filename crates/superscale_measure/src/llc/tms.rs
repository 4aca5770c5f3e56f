//! The toy model of superposition as the LLC estimator sees it, in the setting of Chen et
//! al. 2023 ("Dynamical versus Bayesian phase transitions in a toy model of
//! superposition", arXiv 2310.06301, §3): f(x) = ReLU(WᵀWx + b) with W ∈ R^{m×c}, c
//! features and m hidden units (c = 6, m = 2 in the paper), on inputs in the high-sparsity
//! limit: x = μ·e_i with the feature i uniform over the c features and μ ∼ U[0, 1].
//! The loss of a sample is ℓ = ‖x − f(x)‖² summed over the c outputs
//! (`docs/science/tms_phases.md` §1).
//!
//! Parameters are laid out as the c columns W_i of W (m values each, feature i's
//! embedding, i.e. the rows of a c×m array as in the toy model's W) followed by the c
//! biases b_j.
//!
//! Two potentials: [`TmsSample`], the mean loss over a finite training set of n samples,
//! and [`TmsPopulation`], its expectation K(w) = (1/c)·Σ_i ∫₀¹ ‖μe_i − f(μe_i)‖² dμ in
//! closed form (the integrand is piecewise quadratic in μ). The module also builds the
//! k-gon critical points of Chen et al. 2023 §4 ([`kgon`], [`refine_kgon`]), trains the
//! model from a random start ([`train`]) and names the polygon a trained W forms
//! ([`classify`]).

// Index loops here mirror the sums over features and outputs they compute.
#![allow(clippy::needless_range_loop)]

use super::{Potential, Rows};
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::f64::consts::PI;

/// The number of parameters of a model with `features` columns of `hidden` values and
/// one bias per feature.
pub fn dimension(features: usize, hidden: usize) -> usize {
    features * (hidden + 1)
}

/// The Gram matrix a_ij = W_i·W_j (features × features, row-major).
fn gram(w: &[f64], features: usize, hidden: usize, out: &mut [f64]) {
    for i in 0..features {
        for j in 0..=i {
            let dot: f64 = (0..hidden)
                .map(|h| w[i * hidden + h] * w[j * hidden + h])
                .sum();
            out[i * features + j] = dot;
            out[j * features + i] = dot;
        }
    }
}

/// From D_ij = ∂L/∂a_ij (a_ij = W_i·W_j) to ∂L/∂W_i = Σ_j (D_ij + D_ji)·W_j (the term
/// j = i counts twice: ∂|W_i|²/∂W_i = 2W_i).
fn gram_gradient(w: &[f64], features: usize, hidden: usize, d: &[f64], gradient: &mut [f64]) {
    for i in 0..features {
        for h in 0..hidden {
            gradient[i * hidden + h] = (0..features)
                .map(|j| (d[i * features + j] + d[j * features + i]) * w[j * hidden + h])
                .sum();
        }
    }
}

/// A finite training set of the high-sparsity TMS: row s is x = magnitude[s]·e_{active[s]}.
#[derive(Debug, Clone, PartialEq)]
pub struct TmsSample {
    /// c
    pub features: usize,
    /// m
    pub hidden: usize,
    /// the active feature of each row
    pub active: Vec<usize>,
    /// its value μ ∈ [0, 1)
    pub magnitude: Vec<f64>,
    /// the rows' μ by feature, sorted, with prefix sums: what the full-batch loss needs
    by_feature: ByFeature,
}

/// For each feature i, the μ of its rows in ascending order and the prefix sums of μ⁰, μ¹
/// and μ² over them (length count + 1, starting at 0).
#[derive(Debug, Clone, PartialEq, Default)]
struct ByFeature {
    /// feature i's entries are `offsets[i]..offsets[i + 1]` of `magnitude`, and
    /// `offsets[i] + i..offsets[i + 1] + i + 1` of the prefix sums
    offsets: Vec<usize>,
    magnitude: Vec<f64>,
    sum1: Vec<f64>,
    sum2: Vec<f64>,
}

impl ByFeature {
    fn of(features: usize, active: &[usize], magnitude: &[f64]) -> Self {
        let mut groups = vec![Vec::new(); features];
        for (&i, &mu) in active.iter().zip(magnitude) {
            groups[i].push(mu);
        }
        let mut out = Self {
            offsets: vec![0],
            ..Self::default()
        };
        for mut group in groups {
            group.sort_by(f64::total_cmp);
            let (mut s1, mut s2) = (0.0, 0.0);
            out.sum1.push(0.0);
            out.sum2.push(0.0);
            for &mu in &group {
                s1 += mu;
                s2 += mu * mu;
                out.sum1.push(s1);
                out.sum2.push(s2);
            }
            out.magnitude.extend(group);
            out.offsets.push(out.magnitude.len());
        }
        out
    }

    /// Feature i's sorted μ and its prefix sums of μ and μ².
    fn feature(&self, i: usize) -> (&[f64], &[f64], &[f64]) {
        let (start, end) = (self.offsets[i], self.offsets[i + 1]);
        (
            &self.magnitude[start..end],
            &self.sum1[start + i..end + i + 1],
            &self.sum2[start + i..end + i + 1],
        )
    }
}

impl TmsSample {
    /// `n` rows drawn from `seed`: the feature uniform over `features`, μ ∼ U[0, 1).
    pub fn draw(features: usize, hidden: usize, n: usize, seed: u64) -> Self {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut active = Vec::with_capacity(n);
        let mut magnitude = Vec::with_capacity(n);
        for _ in 0..n {
            active.push(rng.random_range(0..features));
            magnitude.push(rng.random::<f64>());
        }
        Self {
            by_feature: ByFeature::of(features, &active, &magnitude),
            features,
            hidden,
            active,
            magnitude,
        }
    }

    /// The full-batch loss sum and its gradient sums (into `d` = Σ ∂ℓ/∂a and the bias part of
    /// `gradient`) in closed form over each (feature i, output j) pair instead of row by row.
    /// For the rows of feature i, z_j = μ·a_ij + b_j is linear in μ, so the rows where output
    /// j is on are a prefix or a suffix of the μ sorted ascending (found by bisection), and
    /// with p = δ_ij − a_ij and r = μp − b_j the sums Σr² = p²S₂ − 2pb·S₁ + b²S₀,
    /// Σμr = pS₂ − bS₁ and Σr = pS₁ − bS₀ need only the prefix sums S_k = Σμᵏ over those
    /// rows; outputs that are off add Σ(δ_ij μ)². O(c²·log n) per step instead of O(n·c),
    /// the same sums up to rounding (tested against the row loop).
    fn full_batch_sums(
        &self,
        a: &[f64],
        bias: &[f64],
        d: &mut [f64],
        grad_bias: &mut [f64],
    ) -> f64 {
        let c = self.features;
        let mut loss = 0.0;
        for i in 0..c {
            let (mus, sum1, sum2) = self.by_feature.feature(i);
            let count = mus.len();
            for j in 0..c {
                let (aij, b) = (a[i * c + j], bias[j]);
                // The same test as the row loop, z > 0, monotone in μ for a fixed sign of a.
                let on = |mu: f64| mu * aij + b > 0.0;
                let (first, end) = if aij > 0.0 {
                    (mus.partition_point(|&mu| !on(mu)), count)
                } else if aij < 0.0 {
                    (0, mus.partition_point(|&mu| on(mu)))
                } else if b > 0.0 {
                    (0, count)
                } else {
                    (0, 0)
                };
                let s0 = (end - first) as f64;
                let s1 = sum1[end] - sum1[first];
                let s2 = sum2[end] - sum2[first];
                let delta = if i == j { 1.0 } else { 0.0 };
                let p = delta - aij;
                loss += p * p * s2 - 2.0 * p * b * s1 + b * b * s0;
                d[i * c + j] -= 2.0 * (p * s2 - b * s1);
                grad_bias[j] -= 2.0 * (p * s1 - b * s0);
                if i == j {
                    loss += sum2[count] - s2;
                }
            }
        }
        loss
    }
}

impl Potential for TmsSample {
    fn dimension(&self) -> usize {
        dimension(self.features, self.hidden)
    }

    fn rows(&self) -> usize {
        self.active.len()
    }

    /// Per row x = μe_i the pre-activation of output j is z_j = μ·a_ij + b_j; with
    /// r_j = δ_ij·μ − ReLU(z_j), ℓ = Σ_j r_j², ∂ℓ/∂a_ij = −2μ·r_j and ∂ℓ/∂b_j = −2r_j where
    /// z_j > 0 (0 elsewhere, the ReLU's derivative at 0 taken as 0). The row sums of
    /// ∂ℓ/∂a are turned into ∂/∂W once per call.
    fn loss_gradient(
        &self,
        w: &[f64],
        rows: Rows<'_>,
        gradient: &mut [f64],
        scratch: &mut Vec<f64>,
    ) -> f64 {
        let (c, m) = (self.features, self.hidden);
        scratch.resize(2 * c * c, 0.0);
        let (a, d) = scratch.split_at_mut(c * c);
        gram(w, c, m, a);
        d.fill(0.0);
        let bias = &w[c * m..];
        gradient[c * m..].fill(0.0);
        let mut loss = 0.0;
        let mut visit = |row: usize| {
            let (i, mu) = (self.active[row], self.magnitude[row]);
            for j in 0..c {
                let z = mu * a[i * c + j] + bias[j];
                let target = if i == j { mu } else { 0.0 };
                if z > 0.0 {
                    let r = target - z;
                    loss += r * r;
                    d[i * c + j] -= 2.0 * mu * r;
                    gradient[c * m + j] -= 2.0 * r;
                } else {
                    loss += target * target;
                }
            }
        };
        let count = match rows {
            Rows::All => {
                loss = self.full_batch_sums(a, bias, d, &mut gradient[c * m..]);
                self.active.len()
            }
            Rows::Some(rows) => {
                rows.iter().copied().for_each(&mut visit);
                rows.len()
            }
        };
        let scale = 1.0 / count as f64;
        gram_gradient(w, c, m, d, &mut gradient[..c * m]);
        gradient.iter_mut().for_each(|g| *g *= scale);
        loss * scale
    }
}

/// The population loss K(w) of the high-sparsity TMS in closed form, as one abstract row
/// (only full-batch sampling applies).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TmsPopulation {
    /// c
    pub features: usize,
    /// m
    pub hidden: usize,
}

/// ∫₀¹ over the active part of one (input i, output j) pair: returns (L_ij, ∂L_ij/∂a,
/// ∂L_ij/∂b) for L_ij = ∫₀¹ (δμ − ReLU(aμ + b))² dμ. On the interval A ⊂ [0, 1] where
/// aμ + b > 0 the integrand is (pμ − b)² with p = δ − a, elsewhere δμ²; the integrand is
/// continuous where A ends, so the derivatives are the integrals of the derivatives over
/// A alone: ∂/∂a = −2∫_A μ(pμ − b), ∂/∂b = −2∫_A (pμ − b).
fn pair(delta: f64, a: f64, b: f64) -> (f64, f64, f64) {
    let (low, high) = if a > 0.0 {
        ((-b / a).max(0.0), 1.0)
    } else if a < 0.0 {
        (0.0, (-b / a).min(1.0))
    } else if b > 0.0 {
        (0.0, 1.0)
    } else {
        (0.0, 0.0)
    };
    if high <= low {
        return (delta / 3.0, 0.0, 0.0);
    }
    let p = delta - a;
    let (m1, m2, m3) = (
        high - low,
        (high * high - low * low) / 2.0,
        (high.powi(3) - low.powi(3)) / 3.0,
    );
    let residual_squared = p * p * m3 - 2.0 * p * b * m2 + b * b * m1;
    let loss = delta / 3.0 + residual_squared - delta * m3;
    (loss, -2.0 * (p * m3 - b * m2), -2.0 * (p * m2 - b * m1))
}

impl Potential for TmsPopulation {
    fn dimension(&self) -> usize {
        dimension(self.features, self.hidden)
    }

    fn rows(&self) -> usize {
        1
    }

    /// K = (1/c)·Σ_i Σ_j L_ij(a_ij, b_j) with a_ij = W_i·W_j.
    fn loss_gradient(
        &self,
        w: &[f64],
        _rows: Rows<'_>,
        gradient: &mut [f64],
        scratch: &mut Vec<f64>,
    ) -> f64 {
        let (c, m) = (self.features, self.hidden);
        scratch.resize(2 * c * c, 0.0);
        let (a, d) = scratch.split_at_mut(c * c);
        gram(w, c, m, a);
        gradient[c * m..].fill(0.0);
        let mut loss = 0.0;
        for i in 0..c {
            for j in 0..c {
                let delta = if i == j { 1.0 } else { 0.0 };
                let (value, d_a, d_b) = pair(delta, a[i * c + j], w[c * m + j]);
                loss += value;
                d[i * c + j] = d_a;
                gradient[c * m + j] += d_b;
            }
        }
        let scale = 1.0 / c as f64;
        gram_gradient(w, c, m, d, &mut gradient[..c * m]);
        gradient.iter_mut().for_each(|g| *g *= scale);
        loss * scale
    }
}

/// The bias of a zero column whose bias is positive at a critical point: such a column
/// outputs b on every input, costing (1/c)·(c·b² − b + 1/3), least at b = 1/(2c).
pub fn positive_zero_bias(features: usize) -> f64 {
    1.0 / (2.0 * features as f64)
}

/// The bias given to zero columns with a negative bias. Any negative value is a critical
/// point (the loss is flat in it); −1 keeps the column's output off in a wide
/// neighbourhood, so a localised chain explores the flat directions without crossing the
/// kink at b = 0 (`docs/science/tms_phases.md` §2).
pub const NEGATIVE_ZERO_BIAS: f64 = -1.0;

/// The k-gon of Chen et al. 2023 §4 in the plane (m = 2): columns 0..k at angles 2πi/k
/// with length `length` and bias `bias`; columns k..k+positive zero with bias
/// `positive_bias`; the remaining zero columns with bias [`NEGATIVE_ZERO_BIAS`].
pub fn kgon(
    features: usize,
    k: usize,
    positive: usize,
    length: f64,
    bias: f64,
    positive_bias: f64,
) -> Vec<f64> {
    assert!(
        k <= features && k + positive <= features,
        "k + positive ≤ c"
    );
    let hidden = 2;
    let mut w = vec![0.0; dimension(features, hidden)];
    for i in 0..k {
        let angle = 2.0 * PI * i as f64 / k as f64;
        w[i * hidden] = length * angle.cos();
        w[i * hidden + 1] = length * angle.sin();
    }
    for j in 0..features {
        w[features * hidden + j] = if j < k {
            bias
        } else if j < k + positive {
            positive_bias
        } else {
            NEGATIVE_ZERO_BIAS
        };
    }
    w
}

/// A k-gon critical point of the population loss.
#[derive(Debug, Clone, PartialEq)]
pub struct KGon {
    /// columns on the polygon
    pub k: usize,
    /// zero columns with positive bias (the others have negative bias)
    pub positive: usize,
    /// the common length of the polygon's columns
    pub length: f64,
    /// the common bias of the polygon's columns
    pub bias: f64,
    /// the bias of the positive zero columns (NaN when there are none)
    pub positive_bias: f64,
    /// the parameters
    pub w: Vec<f64>,
    /// K(w)
    pub loss: f64,
    /// ‖∇K(w)‖₂ over all parameters (not only the family's three)
    pub gradient_norm: f64,
    /// gradient steps taken in the family
    pub iterations: usize,
}

/// The k-gon with `positive` positive-bias zero columns refined to a critical point of the
/// population loss (c features, m = 2) by gradient descent restricted to the family
/// (length, polygon bias, positive zero-column bias), from length 1 and bias 0: for
/// k ≤ 4 that start is already critical (every other polygon column is at an angle ≥ 90°,
/// so no interference needs a bias to cancel), for k ≥ 5 the descent finds the negative
/// bias that cancels the neighbours' interference. Stops when the family gradient is below
/// 1e-13 or after 200 000 steps.
pub fn refine_kgon(features: usize, k: usize, positive: usize) -> KGon {
    let model = TmsPopulation {
        features,
        hidden: 2,
    };
    let mut scratch = Vec::new();
    let mut gradient = vec![0.0; model.dimension()];
    let (mut length, mut bias) = (1.0, 0.0);
    let mut positive_bias = positive_zero_bias(features);
    let family_gradient = |length: f64, bias: f64, positive_bias: f64, gradient: &mut [f64]| {
        let w = kgon(features, k, positive, length, bias, positive_bias);
        let loss = model.loss_gradient(&w, Rows::All, gradient, &mut Vec::new());
        let (mut d_length, mut d_bias, mut d_positive) = (0.0, 0.0, 0.0);
        for i in 0..k {
            let angle = 2.0 * PI * i as f64 / k as f64;
            d_length += gradient[2 * i] * angle.cos() + gradient[2 * i + 1] * angle.sin();
            d_bias += gradient[2 * features + i];
        }
        for j in k..k + positive {
            d_positive += gradient[2 * features + j];
        }
        (loss, [d_length, d_bias, d_positive])
    };
    let step = 0.2;
    let mut iterations = 0;
    while iterations < 200_000 {
        let (_, g) = family_gradient(length, bias, positive_bias, &mut gradient);
        if g.iter().map(|v| v * v).sum::<f64>().sqrt() < 1e-13 {
            break;
        }
        length -= step * g[0];
        bias -= step * g[1];
        positive_bias -= step * g[2];
        iterations += 1;
    }
    let w = kgon(features, k, positive, length, bias, positive_bias);
    let loss = model.loss_gradient(&w, Rows::All, &mut gradient, &mut scratch);
    KGon {
        k,
        positive,
        length,
        bias,
        positive_bias: if positive > 0 {
            positive_bias
        } else {
            f64::NAN
        },
        w,
        loss,
        gradient_norm: gradient.iter().map(|g| g * g).sum::<f64>().sqrt(),
        iterations,
    }
}

/// How a model is trained from a random start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Training {
    /// full-batch Adam steps
    pub steps: usize,
    /// Adam's learning rate (β₁ = 0.9, β₂ = 0.999, ε = 1e-8)
    pub learning_rate: f64,
    /// the standard deviation of W's entries at the start (biases start at 0)
    pub init_sd: f64,
}

/// Trains `data`'s model from W ∼ N(0, init_sd²), b = 0 (drawn from `seed`) by full-batch
/// Adam (Kingma & Ba 2015, Algorithm 1) on the mean loss over its rows.
pub fn train(data: &TmsSample, training: &Training, seed: u64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let normal = Normal::new(0.0, training.init_sd).expect("init_sd is finite and ≥ 0");
    let d = data.dimension();
    let weights = data.features * data.hidden;
    let mut w: Vec<f64> = (0..d)
        .map(|p| {
            if p < weights {
                normal.sample(&mut rng)
            } else {
                0.0
            }
        })
        .collect();
    let (beta1, beta2, epsilon) = (0.9f64, 0.999f64, 1e-8);
    let (mut first, mut second) = (vec![0.0; d], vec![0.0; d]);
    let mut gradient = vec![0.0; d];
    let mut scratch = Vec::new();
    for step in 1..=training.steps {
        data.loss_gradient(&w, Rows::All, &mut gradient, &mut scratch);
        let correction1 = 1.0 - beta1.powi(step as i32);
        let correction2 = 1.0 - beta2.powi(step as i32);
        for p in 0..d {
            first[p] = beta1 * first[p] + (1.0 - beta1) * gradient[p];
            second[p] = beta2 * second[p] + (1.0 - beta2) * gradient[p] * gradient[p];
            w[p] -= training.learning_rate * (first[p] / correction1)
                / ((second[p] / correction2).sqrt() + epsilon);
        }
    }
    w
}

/// The polygon a W (m = 2) forms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Landing {
    /// columns whose norm is above the threshold
    pub k: usize,
    /// whether their angles are those of a regular k-gon: every gap between neighbouring
    /// angles within a quarter of 2π/k of 2π/k (k ≥ 2)
    pub regular: bool,
    /// short columns whose bias is positive
    pub positive: usize,
}

/// The columns of `w` (c features, m = 2) longer than `threshold`, and whether they form
/// a regular polygon.
pub fn classify(w: &[f64], features: usize, threshold: f64) -> Landing {
    let mut angles = Vec::new();
    let mut positive = 0;
    for i in 0..features {
        let (x, y) = (w[2 * i], w[2 * i + 1]);
        if x.hypot(y) > threshold {
            angles.push(y.atan2(x));
        } else if w[2 * features + i] > 0.0 {
            positive += 1;
        }
    }
    let k = angles.len();
    angles.sort_by(f64::total_cmp);
    let ideal = 2.0 * PI / k as f64;
    let regular = k >= 2
        && (0..k).all(|i| {
            let gap = if i + 1 < k {
                angles[i + 1] - angles[i]
            } else {
                angles[0] + 2.0 * PI - angles[k - 1]
            };
            (gap - ideal).abs() <= ideal / 4.0
        });
    Landing {
        k,
        regular,
        positive,
    }
}

/// The dataset size n above which the posterior prefers critical point B (lower loss
/// `loss_b`, learning coefficient `lambda_b`) to A (`loss_a` > `loss_b`, `lambda_a`): with
/// the free energy F_n ≈ n·L + λ·ln n (Watanabe 2009 §6; Chen et al. 2023 §5), F_A < F_B
/// while n·(L_A − L_B) < (λ_B − λ_A)·ln n, so the switch is the larger root of
/// n/ln n = Δλ/ΔL. `None` when B is preferred at every n ≥ 3 (Δλ/ΔL below n/ln n's
/// value at 3, in particular Δλ ≤ 0) or when ΔL ≤ 0 (A is never worse).
pub fn switch_size(loss_a: f64, lambda_a: f64, loss_b: f64, lambda_b: f64) -> Option<f64> {
    let (delta_loss, delta_lambda) = (loss_a - loss_b, lambda_b - lambda_a);
    if !(delta_loss > 0.0 && delta_lambda.is_finite()) {
        return None;
    }
    let ratio = delta_lambda / delta_loss;
    let excess = |n: f64| n - ratio * n.ln();
    if excess(3.0) >= 0.0 {
        return None;
    }
    // n − r·ln n is increasing past n = r and negative at max(r, 3); it is positive at
    // 2r·ln r + 3. Bisect on ln n.
    let (mut low, mut high) = (ratio.max(3.0).ln(), (2.0 * ratio * ratio.ln() + 3.0).ln());
    for _ in 0..200 {
        let middle = 0.5 * (low + high);
        if excess(middle.exp()) < 0.0 {
            low = middle;
        } else {
            high = middle;
        }
    }
    Some(high.exp())
}

/// A switch size with its interval from the chains: the chains' λ̂ of A and of B are
/// resampled with replacement (`resamples` times, independently for A and B, from
/// `seed`), each resample's means give a switch size (1 when B is preferred at every n),
/// and the interval is the 2.5 % and 97.5 % quantiles. The losses are exact (population
/// losses), so the interval is the Monte-Carlo error of the λ̂ alone.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Switch {
    /// the switch size at the chains' means (None: B preferred at every n)
    pub size: Option<f64>,
    /// the 95 % bootstrap interval
    pub interval: (f64, f64),
    /// the fraction of resamples with no switch
    pub never: f64,
}

/// [`switch_size`] with its chain-bootstrap interval ([`Switch`]).
pub fn switch_with_interval(
    loss_a: f64,
    chains_a: &[f64],
    loss_b: f64,
    chains_b: &[f64],
    resamples: usize,
    seed: u64,
) -> Switch {
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
    let size = switch_size(loss_a, mean(chains_a), loss_b, mean(chains_b));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut resample = |values: &[f64]| {
        (0..values.len())
            .map(|_| values[rng.random_range(0..values.len())])
            .sum::<f64>()
            / values.len() as f64
    };
    let mut sizes: Vec<f64> = (0..resamples)
        .map(|_| {
            let (a, b) = (resample(chains_a), resample(chains_b));
            switch_size(loss_a, a, loss_b, b).unwrap_or(1.0)
        })
        .collect();
    sizes.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        if sizes.is_empty() {
            return f64::NAN;
        }
        let position = q * (sizes.len() - 1) as f64;
        let (below, fraction) = (position.floor() as usize, position.fract());
        let above = (below + 1).min(sizes.len() - 1);
        sizes[below] + fraction * (sizes[above] - sizes[below])
    };
    Switch {
        size,
        interval: (quantile(0.025), quantile(0.975)),
        never: sizes.iter().filter(|&&n| n == 1.0).count() as f64 / resamples.max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llc::check_gradient;

    fn random_point(features: usize, hidden: usize, seed: u64) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let normal = Normal::new(0.0, 0.6).expect("valid");
        (0..dimension(features, hidden))
            .map(|_| normal.sample(&mut rng))
            .collect()
    }

    #[test]
    fn sample_gradients_match_finite_differences() {
        for (features, hidden, seed) in [(6, 2, 1), (5, 3, 2), (6, 2, 3)] {
            let data = TmsSample::draw(features, hidden, 200, seed);
            let w = random_point(features, hidden, seed + 10);
            check_gradient(&data, &w, Rows::All);
            check_gradient(&data, &w, Rows::Some(&[0, 5, 5, 199]));
        }
    }

    /// The closed-form full-batch sums are the row loop's, up to rounding, also where
    /// outputs switch on part of a feature's rows and where a_ij = 0.
    #[test]
    fn full_batch_sums_equal_the_row_loop() {
        for (features, hidden, seed) in [(6, 2, 1), (5, 3, 2), (6, 2, 3)] {
            let data = TmsSample::draw(features, hidden, 500, seed);
            let mut points = vec![random_point(features, hidden, seed + 20)];
            let mut zero_column = random_point(features, hidden, seed + 30);
            zero_column[..hidden].iter_mut().for_each(|v| *v = 0.0);
            points.push(zero_column);
            if hidden == 2 {
                points.push(kgon(features, 5, 0, 1.1, -0.2, f64::NAN));
            }
            let every: Vec<usize> = (0..500).collect();
            for w in points {
                let mut scratch = Vec::new();
                let (mut fast, mut rows) = (vec![0.0; w.len()], vec![0.0; w.len()]);
                let a = data.loss_gradient(&w, Rows::All, &mut fast, &mut scratch);
                let b = data.loss_gradient(&w, Rows::Some(&every), &mut rows, &mut scratch);
                assert!((a - b).abs() <= 1e-12 * b.abs().max(1.0), "{a} vs {b}");
                for (u, v) in fast.iter().zip(&rows) {
                    assert!((u - v).abs() <= 1e-11 * v.abs().max(1.0), "{u} vs {v}");
                }
            }
        }
    }

    #[test]
    fn population_gradients_match_finite_differences() {
        for (features, hidden, seed) in [(6, 2, 4), (4, 3, 5), (6, 2, 6)] {
            let model = TmsPopulation { features, hidden };
            check_gradient(&model, &random_point(features, hidden, seed), Rows::All);
        }
        // At a perturbed 5-gon, where some pairs are active on part of [0, 1] only.
        let mut w = kgon(6, 5, 1, 1.17, -0.28, 0.08);
        w.iter_mut()
            .enumerate()
            .for_each(|(i, v)| *v += 0.01 * ((i * 7) % 5) as f64);
        check_gradient(
            &TmsPopulation {
                features: 6,
                hidden: 2,
            },
            &w,
            Rows::All,
        );
    }

    /// The mean over many samples tends to the closed-form expectation.
    #[test]
    fn the_population_loss_is_the_mean_over_samples() {
        let w = random_point(6, 2, 9);
        let data = TmsSample::draw(6, 2, 400_000, 11);
        let population = TmsPopulation {
            features: 6,
            hidden: 2,
        };
        let mut scratch = Vec::new();
        let (mut g1, mut g2) = (vec![0.0; 18], vec![0.0; 18]);
        let sample = data.loss_gradient(&w, Rows::All, &mut g1, &mut scratch);
        let exact = population.loss_gradient(&w, Rows::All, &mut g2, &mut scratch);
        assert!((sample - exact).abs() < 0.01 * exact, "{sample} vs {exact}");
        for (u, v) in g1.iter().zip(&g2) {
            assert!((u - v).abs() < 0.02 * (1.0 + v.abs()), "{u} vs {v}");
        }
    }

    /// k ≤ 4 polygons of unit columns reconstruct their own features exactly, so the loss
    /// is that of the zero columns: 1/3 each with a negative bias, 1/3 − 1/(4c) with the
    /// best positive one, over c.
    #[test]
    fn small_polygons_have_their_closed_form_losses() {
        let c = 6.0;
        for k in 2..=4 {
            for positive in 0..=6 - k {
                let point = refine_kgon(6, k, positive);
                let zero = (6 - k) as f64;
                let expected = (zero / 3.0 - positive as f64 / (4.0 * c)) / c;
                assert!(
                    (point.loss - expected).abs() < 1e-12,
                    "{k} {positive}: {} vs {expected}",
                    point.loss
                );
                assert!(point.gradient_norm < 1e-10, "{}", point.gradient_norm);
                assert!((point.length - 1.0).abs() < 1e-12 && point.bias.abs() < 1e-12);
            }
        }
    }

    /// n/ln n = Δλ/ΔL at the returned n, and the cases without a switch.
    #[test]
    fn switch_sizes_solve_the_free_energy_balance() {
        let n = switch_size(0.068744, 7.0, 0.048192, 8.5).expect("a switch");
        assert!((n / n.ln() - 1.5 / 0.020552).abs() < 1e-9, "{n}");
        assert!((n - 445.0).abs() < 1.0, "{n}");
        assert_eq!(switch_size(0.1, 7.5, 0.07, 7.0), None);
        assert_eq!(switch_size(0.05, 7.0, 0.07, 8.0), None);
        assert_eq!(switch_size(1.0, 1.0, 0.0, 1.5), None);
        let chains = [6.9, 7.1, 7.0, 7.05];
        let switch = switch_with_interval(0.068744, &chains, 0.048192, &[8.4, 8.6, 8.5], 500, 3);
        let (low, high) = switch.interval;
        assert!(low < high && switch.never == 0.0, "{switch:?}");
        let size = switch.size.expect("a switch");
        assert!(low < size && size < high, "{switch:?}");
    }

    #[test]
    fn classify_names_polygons() {
        let six = refine_kgon(6, 6, 0);
        assert_eq!(
            classify(&six.w, 6, 0.5),
            Landing {
                k: 6,
                regular: true,
                positive: 0
            }
        );
        let mut five = kgon(6, 5, 1, 1.2, -0.3, 0.08);
        assert_eq!(
            classify(&five, 6, 0.5),
            Landing {
                k: 5,
                regular: true,
                positive: 1
            }
        );
        // Squeeze two neighbours together: no longer regular.
        five[2] = 1.2 * 0.3f64.cos();
        five[3] = 1.2 * 0.3f64.sin();
        assert!(!classify(&five, 6, 0.5).regular);
    }
}
