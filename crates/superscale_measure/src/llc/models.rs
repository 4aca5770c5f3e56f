//! Models whose learning coefficient is known in closed form, to calibrate the estimator
//! against (`docs/science/llc.md` §4): linear regression (regular, λ = d/2), the normal
//! crossing f(x) = w₁ᵃw₂ᵇx (λ = 1/(2·max(a, b))), reduced-rank regression at true rank 0
//! (Aoyagi & Watanabe 2005), deep linear networks at any true rank (Aoyagi 2024), and an exact quadratic whose λ̂ at a
//! finite step is known exactly.
//!
//! Every regression model here has the loss of a Gaussian likelihood with unit variance up
//! to a factor 2 and a constant: ℓ_i(w) = ‖y_i − f(x_i; w)‖² summed over outputs, L_n its
//! mean over rows (as devinterp's mean squared error for one output). A positive factor on
//! the loss does not change λ (it rescales nβ only).

// Index loops here mirror the matrix formulas they compute.
#![allow(clippy::needless_range_loop)]

use super::{Potential, Rows};
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Inputs and targets of a regression, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    /// rows
    pub n: usize,
    /// inputs per row
    pub inputs: usize,
    /// outputs per row
    pub outputs: usize,
    /// n × inputs
    pub x: Vec<f64>,
    /// n × outputs
    pub y: Vec<f64>,
}

impl Regression {
    /// `n` rows with inputs x ~ N(0, input_sd²) in the first `live` columns and 0 in the
    /// others (inputs that can have no effect), and targets y = teacher·x + r, teacher an
    /// outputs × inputs matrix. The residual r is N(0, noise_sd²) with its component in the
    /// span of x's columns removed (modified Gram–Schmidt, applied twice), so that the
    /// teacher is exactly the least-squares solution: the closed forms hold at a w* known
    /// without a fit.
    #[allow(clippy::too_many_arguments)]
    pub fn synthetic(
        n: usize,
        inputs: usize,
        live: usize,
        outputs: usize,
        teacher: &[f64],
        input_sd: f64,
        noise_sd: f64,
        seed: u64,
    ) -> Self {
        assert_eq!(
            teacher.len(),
            outputs * inputs,
            "teacher is outputs × inputs"
        );
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let input = Normal::new(0.0, input_sd).expect("input_sd is finite and ≥ 0");
        let noise = Normal::new(0.0, noise_sd).expect("noise_sd is finite and ≥ 0");
        let mut x = vec![0.0; n * inputs];
        for row in 0..n {
            for column in 0..live.min(inputs) {
                x[row * inputs + column] = input.sample(&mut rng);
            }
        }
        // Orthonormal columns spanning x's columns.
        let mut basis: Vec<Vec<f64>> = Vec::new();
        for column in 0..inputs {
            let mut q: Vec<f64> = (0..n).map(|row| x[row * inputs + column]).collect();
            for _ in 0..2 {
                for b in &basis {
                    let dot: f64 = b.iter().zip(&q).map(|(u, v)| u * v).sum();
                    q.iter_mut().zip(b).for_each(|(v, u)| *v -= dot * u);
                }
            }
            let norm = q.iter().map(|v| v * v).sum::<f64>().sqrt();
            if norm > 1e-9 {
                q.iter_mut().for_each(|v| *v /= norm);
                basis.push(q);
            }
        }
        let mut y = vec![0.0; n * outputs];
        for output in 0..outputs {
            let mut r: Vec<f64> = (0..n).map(|_| noise.sample(&mut rng)).collect();
            for _ in 0..2 {
                for b in &basis {
                    let dot: f64 = b.iter().zip(&r).map(|(u, v)| u * v).sum();
                    r.iter_mut().zip(b).for_each(|(v, u)| *v -= dot * u);
                }
            }
            for row in 0..n {
                let fitted: f64 = (0..inputs)
                    .map(|i| teacher[output * inputs + i] * x[row * inputs + i])
                    .sum();
                y[row * outputs + output] = fitted + r[row];
            }
        }
        Self {
            n,
            inputs,
            outputs,
            x,
            y,
        }
    }

    /// The second moments the full-data loss of a linear model depends on.
    pub fn moments(&self) -> Moments {
        let (n, inputs, outputs) = (self.n, self.inputs, self.outputs);
        let mut moments = Moments {
            xx: vec![0.0; inputs * inputs],
            yx: vec![0.0; outputs * inputs],
            yy: 0.0,
        };
        for row in 0..n {
            let x = &self.x[row * inputs..(row + 1) * inputs];
            let y = &self.y[row * outputs..(row + 1) * outputs];
            for i in 0..inputs {
                for j in 0..inputs {
                    moments.xx[i * inputs + j] += x[i] * x[j];
                }
            }
            for o in 0..outputs {
                for i in 0..inputs {
                    moments.yx[o * inputs + i] += y[o] * x[i];
                }
                moments.yy += y[o] * y[o];
            }
        }
        let scale = 1.0 / n as f64;
        moments.xx.iter_mut().for_each(|v| *v *= scale);
        moments.yx.iter_mut().for_each(|v| *v *= scale);
        moments.yy *= scale;
        moments
    }

    fn each_row(&self, rows: Rows<'_>, mut visit: impl FnMut(usize)) -> usize {
        match rows {
            Rows::All => {
                (0..self.n).for_each(&mut visit);
                self.n
            }
            Rows::Some(rows) => {
                rows.iter().copied().for_each(&mut visit);
                rows.len()
            }
        }
    }
}

/// Means over the rows of x·xᵀ, y·xᵀ and ‖y‖². For a linear map P the full-data loss is
/// L(P) = yy − 2⟨P, yx⟩ + ⟨P·xx, P⟩ with gradient 2(P·xx − yx): a full-batch step costs
/// the size of the parameters, not of the data.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    /// inputs × inputs
    pub xx: Vec<f64>,
    /// outputs × inputs
    pub yx: Vec<f64>,
    /// mean squared norm of the targets
    pub yy: f64,
}

/// A deep linear network x ↦ W_L⋯W₁x (reduced-rank regression is depth 2, linear
/// regression depth 1). Parameters: W₁ (widths[1] × widths[0]), then W₂, …, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct DeepLinear {
    /// the data
    pub data: Regression,
    /// layer widths, input first, output last
    pub widths: Vec<usize>,
    /// where each layer's matrix starts in the parameters, and the end
    offsets: Vec<usize>,
    /// where each layer's activations start in the scratch buffer
    starts: Vec<usize>,
    /// the data's moments, for full-data losses
    moments: Moments,
}

impl DeepLinear {
    /// The network on `data`, whose inputs and outputs must match the end widths.
    pub fn new(data: Regression, widths: Vec<usize>) -> Self {
        assert!(
            widths.len() >= 2,
            "a network has an input and an output width"
        );
        assert_eq!(widths[0], data.inputs, "input width");
        assert_eq!(
            *widths.last().expect("two widths"),
            data.outputs,
            "output width"
        );
        let offsets = (0..widths.len())
            .map(|layer| (0..layer).map(|l| widths[l] * widths[l + 1]).sum())
            .collect();
        let starts = (0..widths.len())
            .map(|layer| widths[..layer].iter().sum())
            .collect();
        Self {
            moments: data.moments(),
            data,
            widths,
            offsets,
            starts,
        }
    }

    /// The full-data loss and gradient from the moments: with A_l = W_l⋯W₁ (A₀ = I) and
    /// G = ∂L/∂P = 2(P·xx − yx), ∂L/∂W_l = (W_L⋯W_{l+1})ᵀ·G·A_{l−1}ᵀ, accumulated from
    /// the last layer down as B_L = G, B_{l−1} = W_lᵀ·B_l.
    fn full_batch(&self, w: &[f64], gradient: &mut [f64], scratch: &mut Vec<f64>) -> f64 {
        let inputs = self.widths[0];
        let depth = self.widths.len() - 1;
        let outputs = self.widths[depth];
        let widest = *self.widths.iter().max().expect("two widths");
        let prefix: usize = self.widths.iter().map(|d| d * inputs).sum();
        scratch.resize(prefix + 2 * widest * inputs, 0.0);
        let (products, backward) = scratch.split_at_mut(prefix);
        let (b, b_next) = backward.split_at_mut(widest * inputs);
        // A_0 = I, A_l = W_l·A_{l−1}, each d_l × inputs at offset starts[l]·inputs.
        products[..inputs * inputs].fill(0.0);
        for i in 0..inputs {
            products[i * inputs + i] = 1.0;
        }
        for layer in 0..depth {
            let (rows, columns) = (self.widths[layer + 1], self.widths[layer]);
            let weights = &w[self.offsets[layer]..self.offsets[layer] + rows * columns];
            let (before, after) = products.split_at_mut(self.starts[layer + 1] * inputs);
            let previous = &before[self.starts[layer] * inputs..];
            let next = &mut after[..rows * inputs];
            next.fill(0.0);
            for r in 0..rows {
                for c in 0..columns {
                    let a = weights[r * columns + c];
                    for i in 0..inputs {
                        next[r * inputs + i] += a * previous[c * inputs + i];
                    }
                }
            }
        }
        let product = &products[self.starts[depth] * inputs..][..outputs * inputs];
        let moments = &self.moments;
        let mut loss = moments.yy;
        for o in 0..outputs {
            let p = &product[o * inputs..(o + 1) * inputs];
            for i in 0..inputs {
                let p_xx: f64 = (0..inputs).map(|j| p[j] * moments.xx[j * inputs + i]).sum();
                let yx = moments.yx[o * inputs + i];
                loss += p[i] * (p_xx - 2.0 * yx);
                b[o * inputs + i] = 2.0 * (p_xx - yx);
            }
        }
        for layer in (0..depth).rev() {
            let (rows, columns) = (self.widths[layer + 1], self.widths[layer]);
            let offset = self.offsets[layer];
            let previous = &products[self.starts[layer] * inputs..][..columns * inputs];
            for r in 0..rows {
                for c in 0..columns {
                    gradient[offset + r * columns + c] = (0..inputs)
                        .map(|i| b[r * inputs + i] * previous[c * inputs + i])
                        .sum();
                }
            }
            if layer > 0 {
                for c in 0..columns {
                    for i in 0..inputs {
                        b_next[c * inputs + i] = (0..rows)
                            .map(|r| w[offset + r * columns + c] * b[r * inputs + i])
                            .sum();
                    }
                }
                b[..columns * inputs].copy_from_slice(&b_next[..columns * inputs]);
            }
        }
        loss
    }

    /// Where layer `l` (0-based) starts in the parameter vector.
    fn offset(&self, layer: usize) -> usize {
        self.offsets[layer]
    }

    /// The end-to-end matrix W_L⋯W₁ (outputs × inputs, row-major).
    pub fn product(&self, w: &[f64]) -> Vec<f64> {
        let mut product: Vec<f64> = (0..self.widths[0] * self.widths[0])
            .map(|i| f64::from(u8::from(i / self.widths[0] == i % self.widths[0])))
            .collect();
        let inputs = self.widths[0];
        for layer in 0..self.widths.len() - 1 {
            let (rows, columns) = (self.widths[layer + 1], self.widths[layer]);
            let weights = &w[self.offset(layer)..self.offset(layer) + rows * columns];
            let mut next = vec![0.0; rows * inputs];
            for r in 0..rows {
                for c in 0..columns {
                    let a = weights[r * columns + c];
                    for i in 0..inputs {
                        next[r * inputs + i] += a * product[c * inputs + i];
                    }
                }
            }
            product = next;
        }
        product
    }
}

impl Potential for DeepLinear {
    fn dimension(&self) -> usize {
        self.offset(self.widths.len() - 1)
    }

    fn rows(&self) -> usize {
        self.data.n
    }

    /// Forward through the layers, then back: with g_L = 2(f − y), ∂ℓ/∂W_l = g_l·h_{l−1}ᵀ
    /// and g_{l−1} = W_lᵀg_l.
    fn loss_gradient(
        &self,
        w: &[f64],
        rows: Rows<'_>,
        gradient: &mut [f64],
        scratch: &mut Vec<f64>,
    ) -> f64 {
        if let Rows::All = rows {
            return self.full_batch(w, gradient, scratch);
        }
        gradient.fill(0.0);
        let depth = self.widths.len() - 1;
        let total: usize = self.widths.iter().sum();
        let widest = *self.widths.iter().max().expect("two widths");
        scratch.resize(total + 2 * widest, 0.0);
        let (activations, backward) = scratch.split_at_mut(total);
        let (g, g_next) = backward.split_at_mut(widest);
        let starts = &self.starts;
        let data = &self.data;
        let mut loss = 0.0;
        let count = data.each_row(rows, |row| {
            activations[..data.inputs]
                .copy_from_slice(&data.x[row * data.inputs..(row + 1) * data.inputs]);
            for layer in 0..depth {
                let (rows_l, columns) = (self.widths[layer + 1], self.widths[layer]);
                let weights = &w[self.offset(layer)..];
                let (before, after) = activations.split_at_mut(starts[layer + 1]);
                let input = &before[starts[layer]..];
                for r in 0..rows_l {
                    after[r] = (0..columns)
                        .map(|c| weights[r * columns + c] * input[c])
                        .sum();
                }
            }
            let output = &activations[starts[depth]..starts[depth] + data.outputs];
            for o in 0..data.outputs {
                let residual = output[o] - data.y[row * data.outputs + o];
                loss += residual * residual;
                g[o] = 2.0 * residual;
            }
            for layer in (0..depth).rev() {
                let (rows_l, columns) = (self.widths[layer + 1], self.widths[layer]);
                let offset = self.offset(layer);
                let input = &activations[starts[layer]..starts[layer] + columns];
                for r in 0..rows_l {
                    for c in 0..columns {
                        gradient[offset + r * columns + c] += g[r] * input[c];
                    }
                }
                if layer > 0 {
                    for c in 0..columns {
                        g_next[c] = (0..rows_l)
                            .map(|r| w[offset + r * columns + c] * g[r])
                            .sum();
                    }
                    g[..columns].copy_from_slice(&g_next[..columns]);
                }
            }
        });
        let scale = 1.0 / count as f64;
        gradient.iter_mut().for_each(|v| *v *= scale);
        loss * scale
    }
}

/// A point of a deep linear network with widths H₁ (input), …, H_{L+1} (output) whose
/// end-to-end map has rank r, with every layer passing the same r-dimensional channel:
/// W_l = Q_{l+1}·Q_lᵀ, Q_l an H_l × r matrix of orthonormal columns drawn at random from
/// `seed` (Gram–Schmidt of Gaussian columns, applied twice). The end-to-end map is
/// Q_{L+1}·Q₁ᵀ: rank r, all r singular values 1, the layers balanced.
///
/// Why this point of the set {W_L⋯W₁ = P*}: Aoyagi 2024's λ at rank r is the count of a
/// regular rank-r map, (r(H₁ + H_{L+1}) − r²)/2, plus the rank-0 λ of the widths H_j − r.
/// At the channel point the network outside the channel sits at its origin, the most
/// singular point of that rank-0 problem, so the local λ is the closed form. Generic
/// factors are less singular: with (3, 3, 3) at rank 1 and W₁ invertible, W₂·W₁ is a
/// local reparametrisation and the local λ is 9/2 instead of Aoyagi's 4
/// (`docs/science/llc.md` §4.5). Returns the parameters (layout of [`DeepLinear`]) and the
/// end-to-end map (outputs × inputs, row-major). Panics when r exceeds a width.
pub fn channel_point(widths: &[usize], rank: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
    assert!(
        widths.iter().all(|&h| h >= rank),
        "rank {rank} exceeds a width of {widths:?}"
    );
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).expect("unit normal");
    // Q_l column by column (r columns of length H_l), orthonormalised.
    let frames: Vec<Vec<Vec<f64>>> = widths
        .iter()
        .map(|&height| {
            let mut columns: Vec<Vec<f64>> = Vec::with_capacity(rank);
            for _ in 0..rank {
                let mut q: Vec<f64> = (0..height).map(|_| normal.sample(&mut rng)).collect();
                for _ in 0..2 {
                    for b in &columns {
                        let dot: f64 = b.iter().zip(&q).map(|(u, v)| u * v).sum();
                        q.iter_mut().zip(b).for_each(|(v, u)| *v -= dot * u);
                    }
                }
                let norm = q.iter().map(|v| v * v).sum::<f64>().sqrt();
                q.iter_mut().for_each(|v| *v /= norm);
                columns.push(q);
            }
            columns
        })
        .collect();
    // Q_a·Q_bᵀ, rows of Q_a (height of a) by rows of Q_b.
    let outer = |a: &[Vec<f64>], b: &[Vec<f64>], rows: usize, columns: usize| {
        let mut m = vec![0.0; rows * columns];
        for (qa, qb) in a.iter().zip(b) {
            for r in 0..rows {
                for c in 0..columns {
                    m[r * columns + c] += qa[r] * qb[c];
                }
            }
        }
        m
    };
    let mut parameters = Vec::new();
    for layer in 0..widths.len() - 1 {
        parameters.extend(outer(
            &frames[layer + 1],
            &frames[layer],
            widths[layer + 1],
            widths[layer],
        ));
    }
    let last = widths.len() - 1;
    let product = outer(&frames[last], &frames[0], widths[last], widths[0]);
    (parameters, product)
}

/// f(x) = w₁ᵃ·w₂ᵇ·x on one input and one output (Lau et al. 2023 §5's normal crossing;
/// devinterp's sampler accuracy test). Parameters (w₁, w₂).
#[derive(Debug, Clone, PartialEq)]
pub struct NormalCrossing {
    /// the data (one input, one output)
    pub data: Regression,
    /// the powers (a, b), not both 0
    pub powers: (u32, u32),
    moments: Moments,
}

impl NormalCrossing {
    /// The model on `data` (one input, one output).
    pub fn new(data: Regression, powers: (u32, u32)) -> Self {
        assert!(
            data.inputs == 1 && data.outputs == 1,
            "one input and one output"
        );
        Self {
            moments: data.moments(),
            data,
            powers,
        }
    }
}

impl Potential for NormalCrossing {
    fn dimension(&self) -> usize {
        2
    }

    fn rows(&self) -> usize {
        self.data.n
    }

    fn loss_gradient(
        &self,
        w: &[f64],
        rows: Rows<'_>,
        gradient: &mut [f64],
        _scratch: &mut Vec<f64>,
    ) -> f64 {
        let (a, b) = self.powers;
        let power = |v: f64, p: u32| if p == 0 { 1.0 } else { v.powi(p as i32) };
        let derivative = |v: f64, p: u32| {
            if p == 0 {
                0.0
            } else {
                f64::from(p) * power(v, p - 1)
            }
        };
        let product = power(w[0], a) * power(w[1], b);
        let d_first = derivative(w[0], a) * power(w[1], b);
        let d_second = power(w[0], a) * derivative(w[1], b);
        if let Rows::All = rows {
            // L = yy − 2p·yx + p²·xx with p = w₁ᵃw₂ᵇ.
            let Moments { xx, yx, yy } = &self.moments;
            let slope = 2.0 * (product * xx[0] - yx[0]);
            gradient[0] = slope * d_first;
            gradient[1] = slope * d_second;
            return yy + product * (product * xx[0] - 2.0 * yx[0]);
        }
        let (mut loss, mut slope) = (0.0, 0.0);
        let data = &self.data;
        let count = data.each_row(rows, |row| {
            let x = data.x[row];
            let residual = product * x - data.y[row];
            loss += residual * residual;
            slope += 2.0 * residual * x;
        });
        let scale = 1.0 / count as f64;
        gradient[0] = slope * d_first * scale;
        gradient[1] = slope * d_second * scale;
        loss * scale
    }
}

/// L(w) = ½·Σ_i h_i·w_i²: the localised posterior is Gaussian and SGLD's stationary law at
/// a finite step is known exactly ([`quadratic_expected_lambda`]). One abstract row, so
/// only full-batch sampling applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Quadratic {
    /// the Hessian's eigenvalues h_i ≥ 0
    pub curvatures: Vec<f64>,
}

impl Potential for Quadratic {
    fn dimension(&self) -> usize {
        self.curvatures.len()
    }

    fn rows(&self) -> usize {
        1
    }

    fn loss_gradient(
        &self,
        w: &[f64],
        _rows: Rows<'_>,
        gradient: &mut [f64],
        _scratch: &mut Vec<f64>,
    ) -> f64 {
        let mut loss = 0.0;
        for ((g, &h), &v) in gradient.iter_mut().zip(&self.curvatures).zip(w) {
            *g = h * v;
            loss += 0.5 * h * v * v;
        }
        loss
    }
}

/// E[λ̂] of plain full-batch SGLD on [`Quadratic`] from w* = 0 once stationary: per
/// eigenvalue h, with a = nβ·h + γ, the chain is w ← (1 − εa/2)·w + √ε·ξ, whose stationary
/// variance is 1/(a·(1 − εa/4)), so E[λ̂] = Σ nβ·h/(2a·(1 − εa/4)), which tends to the
/// number of non-zero h over 2 as ε, γ → 0 (`docs/science/llc.md` §4.1). Infinite when a
/// step is unstable (εa ≥ 4).
pub fn quadratic_expected_lambda(curvatures: &[f64], nbeta: f64, gamma: f64, step: f64) -> f64 {
    curvatures
        .iter()
        .map(|&h| {
            let a = nbeta * h + gamma;
            let shrink = 1.0 - step * a / 4.0;
            if shrink <= 0.0 {
                f64::INFINITY
            } else {
                nbeta * h / (2.0 * a * shrink)
            }
        })
        .sum()
}

/// The exact expectation of λ̂ for [`NormalCrossing`] at finite nβ and γ, by quadrature:
/// with y orthogonal to x, nβ·(L − L*) = t·(w₁ᵃw₂ᵇ)² with t = nβ·mean(x²), so
/// E[λ̂] = E[t·(w₁ᵃw₂ᵇ)²] under p(w) ∝ exp(−t·(w₁ᵃw₂ᵇ)² − γ‖w‖²/2). It tends to
/// [`normal_crossing_lambda`] only as t/γ^{max(a,b)} → ∞, and slowly (a log correction when
/// a = b): the bias of the estimand that no sampler removes. The grid is uniform in
/// asinh(w/10⁻³) out to 8/√γ, with `points` nodes per axis (γ > 0).
pub fn normal_crossing_posterior_lambda(a: u32, b: u32, t: f64, gamma: f64, points: usize) -> f64 {
    let scale = 1e-3;
    let end = (8.0 / gamma.sqrt() / scale).asinh();
    let spacing = 2.0 * end / (points - 1) as f64;
    let nodes: Vec<(f64, f64)> = (0..points)
        .map(|i| {
            let u = -end + i as f64 * spacing;
            (u.sinh() * scale, u.cosh() * scale * spacing)
        })
        .collect();
    let power = |v: f64, p: u32| if p == 0 { 1.0 } else { v.powi(p as i32) };
    let (mut mass, mut moment) = (0.0, 0.0);
    for &(first, first_weight) in &nodes {
        let p_first = power(first, a);
        for &(second, second_weight) in &nodes {
            let product = p_first * power(second, b);
            let energy = t * product * product;
            let weight = first_weight
                * second_weight
                * (-energy - 0.5 * gamma * (first * first + second * second)).exp();
            mass += weight;
            moment += weight * energy;
        }
    }
    moment / mass
}

/// λ of a regular model with `parameters` parameters that all affect the loss: d/2
/// (Watanabe 2009, "Algebraic Geometry and Statistical Learning Theory", §1.4).
pub fn regular_lambda(parameters: usize) -> f64 {
    parameters as f64 / 2.0
}

/// λ of the normal crossing w₁ᵃw₂ᵇ at 0 with a squared loss: the loss is ∝ w₁^{2a}w₂^{2b},
/// whose real log canonical threshold is min over the used coordinates of 1/(2·power)
/// (Watanabe 2009, §2.4 and Example 2.5), i.e. 1/(2·max(a, b)).
pub fn normal_crossing_lambda(a: u32, b: u32) -> f64 {
    1.0 / (2.0 * f64::from(a.max(b)))
}

/// λ of reduced-rank regression x ↦ BAx with M inputs, H hidden units and N outputs when
/// the truth has rank 0 (Aoyagi & Watanabe 2005, "Stochastic complexities of reduced rank
/// regression in Bayesian estimation", Main Theorem with r = 0):
/// MH/2 if M + H < N; HN/2 if N + H < M; MN/2 if M + N < H; otherwise
/// [2MN + 2HN + 2MH − M² − N² − H²]/8, plus 1/8 when M + H + N is odd.
pub fn reduced_rank_lambda(inputs: usize, hidden: usize, outputs: usize) -> f64 {
    let (m, h, n) = (inputs as f64, hidden as f64, outputs as f64);
    if inputs + hidden < outputs {
        m * h / 2.0
    } else if outputs + hidden < inputs {
        h * n / 2.0
    } else if inputs + outputs < hidden {
        m * n / 2.0
    } else {
        let odd = if (inputs + hidden + outputs) % 2 == 1 {
            1.0
        } else {
            0.0
        };
        (2.0 * m * n + 2.0 * h * n + 2.0 * m * h - m * m - n * n - h * h + odd) / 8.0
    }
}

/// λ of a deep linear network x ↦ W_L⋯W₁x with widths H₁ (input), …, H_{L+1} (output) at a
/// truth of rank r (Aoyagi 2024, "Consideration on the learning efficiency of multiple-layered
/// neural networks with linear units", Main Theorem; the form used by Furman & Lau 2024,
/// "Estimating the local learning coefficient at scale", §4). With M_j = H_j − r, let S be
/// the set of the ℓ + 1 smallest M_j such that max_S M_j < min_{not S} M_k,
/// Σ_S M_j ≥ ℓ·max_S M_j and Σ_S M_j < ℓ·min_{not S} M_k (the last void when S is every
/// layer); with M = ⌈Σ_S M_j/ℓ⌉ and a = Σ_S M_j − (M − 1)·ℓ,
///
///   λ = (−r² + r·(H₁ + H_{L+1}))/2 + a(ℓ − a)/(4ℓ) − (ℓ(ℓ − 1)/4)·(Σ_S M_j/ℓ)²
///       + ½·Σ_{i<j in S} M_i·M_j.
///
/// With two layers it is Aoyagi & Watanabe 2005's reduced-rank formula (tested). None when
/// the rank exceeds a width or fewer than two widths are given.
pub fn deep_linear_lambda(widths: &[usize], rank: usize) -> Option<f64> {
    if widths.len() < 2 || widths.iter().any(|&h| h < rank) {
        return None;
    }
    let r = rank as f64;
    let ends = (widths[0] + widths[widths.len() - 1]) as f64;
    let mut reduced: Vec<f64> = widths.iter().map(|&h| (h - rank) as f64).collect();
    reduced.sort_by(f64::total_cmp);
    let chosen = (2..=reduced.len()).find(|&size| {
        let (inside, outside) = reduced.split_at(size);
        let ell = (size - 1) as f64;
        let sum: f64 = inside.iter().sum();
        let largest = inside[size - 1];
        let separated = outside
            .first()
            .is_none_or(|&next| largest < next && sum < ell * next);
        separated && sum >= ell * largest
    })?;
    let inside = &reduced[..chosen];
    let ell = (chosen - 1) as f64;
    let sum: f64 = inside.iter().sum();
    let ceiling = (sum / ell).ceil();
    let a = sum - (ceiling - 1.0) * ell;
    let pairs: f64 = (0..chosen)
        .flat_map(|i| (i + 1..chosen).map(move |j| (i, j)))
        .map(|(i, j)| inside[i] * inside[j])
        .sum();
    Some(
        (-r * r + r * ends) / 2.0 + a * (ell - a) / (4.0 * ell)
            - ell * (ell - 1.0) / 4.0 * (sum / ell).powi(2)
            + pairs / 2.0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llc::check_gradient;

    fn point(dimension: usize, seed: u64) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let normal = Normal::new(0.0, 0.7).expect("valid");
        (0..dimension).map(|_| normal.sample(&mut rng)).collect()
    }

    #[test]
    fn deep_linear_gradients_match_finite_differences() {
        for widths in [vec![3, 2], vec![4, 3, 5], vec![3, 4, 2, 3]] {
            let (inputs, outputs) = (widths[0], *widths.last().expect("two widths"));
            let teacher = vec![0.3; inputs * outputs];
            let data = Regression::synthetic(40, inputs, inputs, outputs, &teacher, 1.0, 0.5, 3);
            let model = DeepLinear::new(data, widths);
            let w = point(model.dimension(), 5);
            check_gradient(&model, &w, Rows::All);
            check_gradient(&model, &w, Rows::Some(&[3, 7, 7, 39]));
        }
    }

    #[test]
    fn normal_crossing_gradients_match_finite_differences() {
        let data = Regression::synthetic(50, 1, 1, 1, &[0.0], 2.0, 0.25, 9);
        for powers in [(0, 1), (1, 1), (1, 2), (2, 3), (3, 0)] {
            let model = NormalCrossing::new(data.clone(), powers);
            check_gradient(&model, &[0.8, -1.1], Rows::All);
            check_gradient(&model, &[0.8, -1.1], Rows::Some(&[0, 4, 9]));
        }
    }

    /// The full-data loss from the moments is the mean over the rows.
    #[test]
    fn moment_losses_are_row_losses() {
        let all: Vec<usize> = (0..60).collect();
        let data =
            Regression::synthetic(60, 3, 3, 2, &[0.2, 0.1, -0.3, 0.4, 0.0, 0.5], 1.3, 0.7, 2);
        let model = DeepLinear::new(data, vec![3, 4, 2, 2]);
        let w = point(model.dimension(), 8);
        let (mut moment, mut row) = (vec![0.0; w.len()], vec![0.0; w.len()]);
        let mut scratch = Vec::new();
        let a = model.loss_gradient(&w, Rows::All, &mut moment, &mut scratch);
        let b = model.loss_gradient(&w, Rows::Some(&all), &mut row, &mut scratch);
        assert!((a - b).abs() < 1e-12 * b.abs(), "{a} vs {b}");
        for (u, v) in moment.iter().zip(&row) {
            assert!((u - v).abs() < 1e-12 * (1.0 + v.abs()), "{u} vs {v}");
        }
        let data = Regression::synthetic(60, 1, 1, 1, &[0.3], 2.0, 0.25, 2);
        let model = NormalCrossing::new(data, (2, 3));
        let (mut moment, mut row) = (vec![0.0; 2], vec![0.0; 2]);
        let a = model.loss_gradient(&[0.9, 1.1], Rows::All, &mut moment, &mut scratch);
        let b = model.loss_gradient(&[0.9, 1.1], Rows::Some(&all), &mut row, &mut scratch);
        assert!((a - b).abs() < 1e-12 * b.abs(), "{a} vs {b}");
        for (u, v) in moment.iter().zip(&row) {
            assert!((u - v).abs() < 1e-12 * (1.0 + v.abs()), "{u} vs {v}");
        }
    }

    #[test]
    fn quadratic_gradient_matches_finite_differences() {
        let model = Quadratic {
            curvatures: vec![1.0, 0.0, 3.5],
        };
        check_gradient(&model, &[0.2, -0.4, 1.5], Rows::All);
    }

    #[test]
    fn the_teacher_is_the_exact_least_squares_solution() {
        // Residuals orthogonal to every input column: the normal equations hold at the
        // teacher, so its gradient vanishes; the zero column is dead.
        let teacher = [0.5, -0.5, 0.5, 0.0];
        let data = Regression::synthetic(200, 4, 3, 1, &teacher, 1.0, 1.0, 11);
        assert!((0..200).all(|row| data.x[row * 4 + 3] == 0.0));
        let model = DeepLinear::new(data, vec![4, 1]);
        let mut gradient = vec![0.0; 4];
        model.loss_gradient(&teacher, Rows::All, &mut gradient, &mut Vec::new());
        assert!(gradient.iter().all(|g| g.abs() < 1e-12), "{gradient:?}");
    }

    /// The channel point's end-to-end map has rank r with singular values 1 (P·Pᵀ·P = P,
    /// ‖P‖² = r), the network computes it, and with data generated from it the point is an
    /// exact minimum (zero gradient).
    #[test]
    fn the_channel_point_has_rank_r_and_is_a_minimum() {
        for (widths, rank) in [
            (vec![3, 3, 3, 3], 1),
            (vec![4, 3, 2, 4], 2),
            (vec![5, 4, 6], 3),
        ] {
            let (inputs, outputs) = (widths[0], *widths.last().expect("two widths"));
            let (w, product) = channel_point(&widths, rank, 17);
            let norm: f64 = product.iter().map(|v| v * v).sum();
            assert!((norm - rank as f64).abs() < 1e-12, "{norm}");
            // P·Pᵀ·P = P
            for o in 0..outputs {
                for i in 0..inputs {
                    let mut v = 0.0;
                    for a in 0..inputs {
                        for b in 0..outputs {
                            v += product[o * inputs + a]
                                * product[b * inputs + a]
                                * product[b * inputs + i];
                        }
                    }
                    assert!((v - product[o * inputs + i]).abs() < 1e-12);
                }
            }
            let data = Regression::synthetic(300, inputs, inputs, outputs, &product, 1.0, 1.0, 4);
            let model = DeepLinear::new(data, widths);
            assert_eq!(w.len(), model.dimension());
            let computed = model.product(&w);
            assert!(computed
                .iter()
                .zip(&product)
                .all(|(a, b)| (a - b).abs() < 1e-12));
            let mut gradient = vec![0.0; w.len()];
            model.loss_gradient(&w, Rows::All, &mut gradient, &mut Vec::new());
            assert!(gradient.iter().all(|g| g.abs() < 1e-12), "{gradient:?}");
        }
        // The doc's example: Aoyagi's λ at (3, 3, 3), rank 1, is 4, below the 9/2 of a
        // point with an invertible first layer.
        assert_eq!(deep_linear_lambda(&[3, 3, 3], 1), Some(4.0));
    }

    #[test]
    fn the_product_of_a_network_is_its_end_to_end_map() {
        let data = Regression::synthetic(5, 2, 2, 3, &[0.0; 6], 1.0, 1.0, 1);
        let model = DeepLinear::new(data, vec![2, 2, 3]);
        // W1 = [[1, 2], [3, 4]], W2 = [[1, 0], [0, 1], [1, 1]]: W2·W1 = [[1, 2], [3, 4], [4, 6]].
        let w = [1.0, 2.0, 3.0, 4.0, 1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        assert_eq!(model.product(&w), [1.0, 2.0, 3.0, 4.0, 4.0, 6.0]);
    }

    /// The quadrature against values computed independently by a numpy sum over the same
    /// kind of grid (`tests/data/llc_normal_crossing_quadrature.py`) and its limits: a regular direction gives ½ (Gaussian), and larger
    /// t/γ approaches 1/(2·max(a, b)) from below.
    #[test]
    fn normal_crossing_quadrature() {
        let t = 1000.0 / 1000f64.ln();
        let regular = normal_crossing_posterior_lambda(0, 1, t, 1.0, 2001);
        // one Gaussian direction of precision 2t + γ: E[t·w²] = t/(2t + γ)
        assert!((regular - t / (2.0 * t + 1.0)).abs() < 1e-6, "{regular}");
        for ((a, b), gamma, expected) in [
            ((1, 1), 1.0, 0.3614),
            ((1, 2), 0.1, 0.2427),
            ((2, 3), 0.01, 0.1611),
        ] {
            let value = normal_crossing_posterior_lambda(a, b, t, gamma, 2001);
            assert!((value - expected).abs() < 2e-3, "{a} {b}: {value}");
            assert!(value < normal_crossing_lambda(a, b));
        }
    }

    #[test]
    fn closed_forms_of_the_calibration_cases() {
        assert_eq!(regular_lambda(5), 2.5);
        assert_eq!(normal_crossing_lambda(0, 1), 0.5);
        assert_eq!(normal_crossing_lambda(1, 1), 0.5);
        assert_eq!(normal_crossing_lambda(1, 2), 0.25);
        assert!((normal_crossing_lambda(2, 3) - 1.0 / 6.0).abs() < 1e-15);
        // The published values of devinterp's test table (derived from the same theorem).
        for ((m, h, n), lambda) in [
            ((5, 3, 5), 6.5),
            ((5, 4, 5), 8.0),
            ((4, 3, 8), 6.0),
            ((8, 3, 4), 6.0),
            ((3, 8, 4), 6.0),
        ] {
            assert_eq!(reduced_rank_lambda(m, h, n), lambda, "{m} {h} {n}");
        }
        // A single layer is regular whatever the truth's rank: d/2 = H₁·H₂/2.
        assert_eq!(deep_linear_lambda(&[4, 3], 0), Some(6.0));
        assert_eq!(deep_linear_lambda(&[4, 3], 2), Some(6.0));
        assert_eq!(quadratic_expected_lambda(&[1.0; 10], 1000.0, 0.0, 0.0), 5.0);
        let finite = quadratic_expected_lambda(&[1.0; 10], 1000.0, 1.0, 1e-4);
        assert!((finite - 5.1232).abs() < 1e-4, "{finite}");
    }

    /// Aoyagi & Watanabe 2005's reduced-rank regression at true rank r, all four cases
    /// (Main Theorem), written out independently of `deep_linear_lambda`.
    fn aoyagi_watanabe(m: usize, h: usize, n: usize, r: usize) -> f64 {
        let (mf, hf, nf, rf) = (m as f64, h as f64, n as f64, r as f64);
        if m + h < n + r {
            (hf * mf - hf * rf + nf * rf) / 2.0
        } else if n + h < m + r {
            (hf * nf - hf * rf + mf * rf) / 2.0
        } else if m + n < h + r {
            mf * nf / 2.0
        } else {
            let odd = if (m + h + n + r) % 2 == 1 { 1.0 } else { 0.0 };
            (2.0 * (hf + rf) * (mf + nf) - (mf - nf).powi(2) - (hf + rf).powi(2) + odd) / 8.0
        }
    }

    #[test]
    fn deep_linear_lambda_is_the_reduced_rank_formula_at_depth_two() {
        for m in 1..=9 {
            for h in 1..=9 {
                for n in 1..=9 {
                    for r in 0..=m.min(h).min(n) {
                        let deep = deep_linear_lambda(&[m, h, n], r).unwrap();
                        let expected = aoyagi_watanabe(m, h, n, r);
                        assert!(
                            (deep - expected).abs() < 1e-12,
                            "{m} {h} {n} r {r}: {deep} vs {expected}"
                        );
                        if r == 0 {
                            assert!((deep - reduced_rank_lambda(m, h, n)).abs() < 1e-12);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn deep_linear_lambda_of_deeper_networks_by_hand() {
        // Four widths of 3 at rank 0: S is every layer, ℓ = 3, Σ = 12, M = 4, a = 3:
        // 0 − (3·2/4)·16 + ½·(6 pairs × 9) = −24 + 27 = 3.
        assert_eq!(deep_linear_lambda(&[3, 3, 3, 3], 0), Some(3.0));
        // A width-1 bottleneck: M sorted 1, 5, 5, 5; S = {1, 5} and {1, 5, 5} fail the strict
        // separation (5 < 5), so S is every layer: ℓ = 3, Σ = 16, M = 6, a = 1:
        // 1·2/12 − (3·2/4)·(16/3)² + ½·(3·5 + 3·25) = 1/6 − 128/3 + 45 = 2.5, the same as the
        // shallower [5, 1, 5] (Aoyagi & Watanabe 2005: (50 + 10 + 10 − 25 − 25 − 1 + 1)/8).
        assert!((deep_linear_lambda(&[5, 1, 5, 5], 0).unwrap() - 2.5).abs() < 1e-12);
        assert_eq!(reduced_rank_lambda(5, 1, 5), 2.5);
        // Rank beyond a width has no λ.
        assert_eq!(deep_linear_lambda(&[3, 2, 3], 3), None);
    }
}
