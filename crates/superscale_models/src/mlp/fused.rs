//! The depth-2 network on one-hot ⊕ bits rows, fused: the multitask sparse-parity step
//! (`docs/science/quanta.md` §1 and §7).
//!
//! A row is x = one-hot(t) ⊕ bits, so the first layer is h = b₀ + W₀[t] + Σ_{set bits j}
//! W₀[n_tasks + j]: about 51 row additions of width w at n = 100, not a 600-wide product.
//! Two tables built once per call from the parameters halve that again (the "four
//! Russians" trick, Arlazarov et al. 1970, applied to a 0/1 matrix times a dense one):
//!
//! - `tasks[t] = b₀ + W₀[t]`, so the one-hot part and the bias cost one row;
//! - `groups[g][p] = Σ_{b ∈ p} W₀[n_tasks + 4g + b]` for every 4-bit pattern p of bit group
//!   g, so a row's bits cost one table row per group (25 at n = 100) instead of one per set
//!   bit (≈ 50).
//!
//! The weight gradient of the bits is the same trick backwards: per chunk, the rows'
//! hidden deltas are summed per (group, pattern) bucket (one addition per row and group),
//! and bit b's gradient row is the sum of the 8 buckets of its group whose pattern holds b.
//! The one-hot part scatters into the touched task rows only. The second layer, the softmax
//! cross-entropy and the hidden delta run in the same pass over a row, so only the hidden
//! deltas of a chunk are stored.
//!
//! Inner loops run on register blocks of up to [`BLOCK`] values over rows padded to
//! [`LANES`]; they use separate multiplies and adds only (no fused multiply-add), so the
//! AVX2 instantiation gives the same bits as the baseline one (tested), and the sums run in
//! an order fixed by the data alone, never by the thread count.

// The kernels take every buffer explicitly (tables, scratch, outputs) so they never
// allocate, as in `superscale_kernels`: more than clippy's seven arguments by design.
#![allow(clippy::too_many_arguments)]

use crate::mlp::architecture::Mlp;
use crate::mlp::input::{OneHotBits, RowOutcome};
use crate::mlp::pass::{softmax_row, MAX_STACK_CLASSES};
use crate::mlp::real::Real;
use superscale_kernels::Simd;

/// Bits per group of the pattern tables.
const GROUP_BITS: usize = 4;
/// Patterns of one group, 2^GROUP_BITS.
const PATTERNS: usize = 1 << GROUP_BITS;
/// Rows of the tables and of the hidden deltas are padded to a multiple of this.
const LANES: usize = 8;
/// Values summed per register block (4 AVX2 registers of f32, twice: see [`accumulate`]).
const BLOCK: usize = 32;

fn padded(width: usize) -> usize {
    width.div_ceil(LANES) * LANES
}

/// Whether the fused path applies: depth 2 and at most [`MAX_STACK_CLASSES`] outputs.
pub(crate) fn applies(mlp: &Mlp) -> bool {
    mlp.depth() == 2 && mlp.output_dim() <= MAX_STACK_CLASSES
}

/// The tables of one call, built from the parameters (read-only while chunks run).
#[derive(Debug, Clone, Default)]
pub(crate) struct Tables<T> {
    /// padded hidden width
    stride: usize,
    width: usize,
    one_hot: usize,
    bits: usize,
    groups: usize,
    classes: usize,
    /// `one_hot × stride`: b₀ + W₀[t]
    task_rows: Vec<T>,
    /// `groups × PATTERNS × stride`: Σ_{b ∈ p} W₀[one_hot + GROUP_BITS·g + b]
    pattern_rows: Vec<T>,
    /// `classes × stride`: W₁ᵀ (row k holds class k's weights)
    output_rows: Vec<T>,
    /// b₁
    output_bias: Vec<T>,
}

impl<T: Real> Tables<T> {
    /// Rebuilds the tables for `params` (no allocation once sized for this shape).
    pub(crate) fn build(&mut self, mlp: &Mlp, params: &[T], binary: &OneHotBits) {
        let width = mlp.layer_sizes()[1];
        let stride = padded(width);
        let classes = mlp.output_dim();
        let groups = binary.bits.div_ceil(GROUP_BITS);
        self.stride = stride;
        self.width = width;
        self.one_hot = binary.one_hot;
        self.bits = binary.bits;
        self.groups = groups;
        self.classes = classes;
        let weights = &params[mlp.weight_range(0)];
        let bias = &params[mlp.bias_range(0)];
        self.task_rows.resize(binary.one_hot * stride, T::ZERO);
        for (task, row) in self.task_rows.chunks_exact_mut(stride).enumerate() {
            let weight_row = &weights[task * width..(task + 1) * width];
            for ((out, &b), &w) in row.iter_mut().zip(bias).zip(weight_row) {
                *out = b + w;
            }
        }
        self.pattern_rows
            .resize(groups * PATTERNS * stride, T::ZERO);
        for (group, table) in self
            .pattern_rows
            .chunks_exact_mut(PATTERNS * stride)
            .enumerate()
        {
            // groups[g][p] = groups[g][p without its lowest bit] + that bit's row of W₀.
            table[..stride].fill(T::ZERO);
            for pattern in 1..PATTERNS {
                let lowest = pattern.trailing_zeros() as usize;
                let bit = group * GROUP_BITS + lowest;
                let (before, rest) = table.split_at_mut(pattern * stride);
                let out = &mut rest[..stride];
                if bit >= binary.bits {
                    // a pattern no valid row has (bits past n are zero): never read
                    out.fill(T::ZERO);
                    continue;
                }
                let base = &before[(pattern & (pattern - 1)) * stride..][..stride];
                let weight_row = &weights[(binary.one_hot + bit) * width..][..width];
                for (i, out) in out.iter_mut().enumerate() {
                    let w = if i < width { weight_row[i] } else { T::ZERO };
                    *out = base[i] + w;
                }
            }
        }
        let output_weights = &params[mlp.weight_range(1)];
        self.output_rows.resize(classes * stride, T::ZERO);
        for (class, row) in self.output_rows.chunks_exact_mut(stride).enumerate() {
            for (i, out) in row.iter_mut().enumerate() {
                *out = if i < width {
                    output_weights[i * classes + class]
                } else {
                    T::ZERO
                };
            }
        }
        self.output_bias.clear();
        self.output_bias
            .extend_from_slice(&params[mlp.bias_range(1)]);
    }
}

/// Scratch of one chunk for the fused path.
#[derive(Debug, Clone, Default)]
pub(crate) struct FusedChunk<T> {
    /// one row's hidden activations, `stride`
    hidden: Vec<T>,
    /// one row's table offsets, one per group
    offsets: Vec<usize>,
    /// `chunk_rows × stride`: dLoss/dh of every row of the chunk (0 where h ≤ 0)
    delta_hidden: Vec<T>,
    /// `groups × chunk_rows`: the chunk's rows sorted by their pattern in each group
    order: Vec<u32>,
    /// `groups × (PATTERNS + 1)`: where each pattern's rows start in `order`
    starts: Vec<u32>,
    /// the tasks this chunk's rows have, in order of first appearance
    pub(crate) touched: Vec<u32>,
    /// `one_hot`: whether task t is in `touched`
    pub(crate) is_touched: Vec<bool>,
    /// `classes × stride`: this chunk's dLoss/dW₁ᵀ
    output_gradient: Vec<T>,
}

/// Table offsets of one row: where `groups[g][p_g]` starts, for every group g.
#[inline(always)]
fn row_offsets(tables: &Tables<impl Real>, words: &[u64], offsets: &mut [usize]) {
    let stride = tables.stride;
    for (group, offset) in offsets.iter_mut().enumerate() {
        let bit = group * GROUP_BITS;
        let pattern = ((words[bit / 64] >> (bit % 64)) as usize) & (PATTERNS - 1);
        *offset = (group * PATTERNS + pattern) * stride;
    }
}

/// Σ_{i < count} table[offset_of(i) + column..][..L] (plus `first` if given), in registers.
///
/// The terms go round-robin into `S` accumulators (term i into accumulator i mod S), which
/// are added in order at the end: `L/8 · S` = 8 independent AVX2 add chains, so the loop
/// runs at the two loads per cycle the core allows instead of waiting on the latency of one
/// chain. The order of the additions depends on `count` only, never on the instruction set.
#[inline(always)]
fn accumulate<T: Real, const L: usize, const S: usize>(
    first: Option<&[T]>,
    table: &[T],
    column: usize,
    count: usize,
    offset_of: impl Fn(usize) -> usize,
) -> [T; L] {
    let mut sets = [[T::ZERO; L]; S];
    if let Some(first) = first {
        sets[0].copy_from_slice(&first[..L]);
    }
    let whole = count / S * S;
    let mut index = 0;
    while index < whole {
        for (set, acc) in sets.iter_mut().enumerate() {
            let start = offset_of(index + set) + column;
            let row = &table[start..start + L];
            for i in 0..L {
                acc[i] += row[i];
            }
        }
        index += S;
    }
    for (set, acc) in sets.iter_mut().enumerate().take(count - whole) {
        let start = offset_of(whole + set) + column;
        let row = &table[start..start + L];
        for i in 0..L {
            acc[i] += row[i];
        }
    }
    let mut total = sets[0];
    for acc in &sets[1..] {
        for i in 0..L {
            total[i] += acc[i];
        }
    }
    total
}

/// Calls `block(column, L, S)`-instantiated code over a padded row of `stride` values:
/// blocks of 32 values while they last, then one of 24, 16 or 8 (stride is a multiple of
/// LANES), each with 64 / L accumulators.
macro_rules! over_blocks {
    ($stride:expr, |$column:ident, $l:ident, $s:ident| $body:expr) => {{
        let stride = $stride;
        let mut $column = 0;
        while $column < stride {
            match stride - $column {
                32.. => {
                    const $l: usize = 32;
                    const $s: usize = 2;
                    $body;
                }
                24 => {
                    const $l: usize = 24;
                    const $s: usize = 3;
                    $body;
                }
                16 => {
                    const $l: usize = 16;
                    const $s: usize = 4;
                    $body;
                }
                _ => {
                    const $l: usize = 8;
                    const $s: usize = 8;
                    $body;
                }
            }
            $column += (stride - $column).min(BLOCK);
        }
    }};
}

/// The hidden activations of one row: ReLU(b₀ + W₀[t] + Σ_g groups[g][p_g]).
#[inline(always)]
fn hidden_row<T: Real>(tables: &Tables<T>, task: usize, offsets: &[usize], hidden: &mut [T]) {
    let stride = tables.stride;
    let base = &tables.task_rows[task * stride..(task + 1) * stride];
    let table = &tables.pattern_rows[..];
    over_blocks!(stride, |column, L, S| {
        let sum = accumulate::<T, L, S>(Some(&base[column..]), table, column, offsets.len(), |i| {
            offsets[i]
        });
        let out = &mut hidden[column..column + L];
        for i in 0..L {
            out[i] = if sum[i] < T::ZERO { T::ZERO } else { sum[i] };
        }
    });
}

/// out[i] += values[i], in blocks of LANES.
#[inline(always)]
fn add<T: Real>(out: &mut [T], values: &[T]) {
    let mut out_blocks = out.chunks_exact_mut(LANES);
    let mut value_blocks = values.chunks_exact(LANES);
    for (o, v) in (&mut out_blocks).zip(&mut value_blocks) {
        for i in 0..LANES {
            o[i] += v[i];
        }
    }
    for (o, &v) in out_blocks
        .into_remainder()
        .iter_mut()
        .zip(value_blocks.remainder())
    {
        *o += v;
    }
}

/// Σ_i a_i·b_i over slices of a multiple of LANES, in LANES partial sums added pairwise at
/// the end (a fixed order).
#[inline(always)]
fn dot<T: Real>(a: &[T], b: &[T]) -> T {
    let mut lanes = [T::ZERO; LANES];
    for (a, b) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for i in 0..LANES {
            lanes[i] += a[i] * b[i];
        }
    }
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
        + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
}

/// The logits of one row: b₁ + h·W₁.
#[inline(always)]
fn logits_row<T: Real>(tables: &Tables<T>, hidden: &[T], logits: &mut [T]) {
    let stride = tables.stride;
    for (class, z) in logits.iter_mut().enumerate() {
        *z = tables.output_bias[class]
            + dot(hidden, &tables.output_rows[class * stride..][..stride]);
    }
}

/// Grows `values` to at least `len` (never shrinks, so alternating evaluation and training
/// calls do not refill the buffers).
fn ensure<V: Clone>(values: &mut Vec<V>, len: usize, fill: V) {
    if values.len() < len {
        values.resize(len, fill);
    }
}

/// Sizes the chunk scratch for these tables and `chunk_rows` (no allocation once sized).
fn size_chunk<T: Real>(tables: &Tables<T>, chunk_rows: usize, chunk: &mut FusedChunk<T>) {
    chunk.hidden.resize(tables.stride, T::ZERO);
    chunk.offsets.resize(tables.groups, 0);
    ensure(&mut chunk.delta_hidden, chunk_rows * tables.stride, T::ZERO);
    ensure(&mut chunk.order, tables.groups * chunk_rows, 0);
    ensure(&mut chunk.starts, tables.groups * (PATTERNS + 1), 0);
    ensure(&mut chunk.is_touched, tables.one_hot, false);
    ensure(
        &mut chunk.output_gradient,
        tables.classes * tables.stride,
        T::ZERO,
    );
}

/// The outcomes of rows `start..start + out.len()` (evaluation).
pub(crate) fn evaluate_chunk<T: Real>(
    simd: Simd,
    tables: &Tables<T>,
    binary: &OneHotBits,
    labels: &[u32],
    start: usize,
    chunk: &mut FusedChunk<T>,
    out: &mut [RowOutcome],
) {
    #[cfg(target_arch = "x86_64")]
    if simd == Simd::Avx2Fma && std::arch::is_x86_feature_detected!("avx2") {
        #[allow(unsafe_code)]
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<T: Real>(
            tables: &Tables<T>,
            binary: &OneHotBits,
            labels: &[u32],
            start: usize,
            chunk: &mut FusedChunk<T>,
            out: &mut [RowOutcome],
        ) {
            evaluate_rows(tables, binary, labels, start, chunk, out)
        }
        // SAFETY: the CPU was just checked for AVX2.
        #[allow(unsafe_code)]
        return unsafe { avx2(tables, binary, labels, start, chunk, out) };
    }
    let _ = simd;
    evaluate_rows(tables, binary, labels, start, chunk, out)
}

#[inline(always)]
fn evaluate_rows<T: Real>(
    tables: &Tables<T>,
    binary: &OneHotBits,
    labels: &[u32],
    start: usize,
    chunk: &mut FusedChunk<T>,
    out: &mut [RowOutcome],
) {
    size_chunk(tables, 0, chunk);
    let mut logits = [T::ZERO; MAX_STACK_CLASSES];
    let logits = &mut logits[..tables.classes];
    let mut probabilities = [0.0f64; MAX_STACK_CLASSES];
    let probabilities = &mut probabilities[..tables.classes];
    for (row, outcome) in out.iter_mut().enumerate() {
        let row = start + row;
        row_offsets(tables, binary.row_words(row), &mut chunk.offsets);
        hidden_row(
            tables,
            binary.index[row] as usize,
            &chunk.offsets,
            &mut chunk.hidden,
        );
        logits_row(tables, &chunk.hidden, logits);
        *outcome = softmax_row(logits, labels[row] as usize, probabilities);
    }
}

/// The logits of rows `start..start + out.len() / classes` (raw outputs).
pub(crate) fn outputs_chunk<T: Real>(
    tables: &Tables<T>,
    binary: &OneHotBits,
    start: usize,
    chunk: &mut FusedChunk<T>,
    out: &mut [T],
) {
    size_chunk(tables, 0, chunk);
    for (row, logits) in out.chunks_exact_mut(tables.classes).enumerate() {
        let row = start + row;
        row_offsets(tables, binary.row_words(row), &mut chunk.offsets);
        hidden_row(
            tables,
            binary.index[row] as usize,
            &chunk.offsets,
            &mut chunk.hidden,
        );
        logits_row(tables, &chunk.hidden, logits);
    }
}

/// Loss (sum over the chunk's rows, returned) and the chunk's gradient of the batch-mean
/// cross-entropy into `gradient` (layout of [`Mlp`]): every bit row of W₀, the touched task
/// rows (listed in `chunk.touched`), b₀, W₁ and b₁ are written; other task rows are stale.
pub(crate) fn gradient_chunk<T: Real>(
    simd: Simd,
    mlp: &Mlp,
    tables: &Tables<T>,
    binary: &OneHotBits,
    labels: &[u32],
    start: usize,
    rows: usize,
    total_rows: usize,
    chunk: &mut FusedChunk<T>,
    gradient: &mut [T],
) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if simd == Simd::Avx2Fma && std::arch::is_x86_feature_detected!("avx2") {
        #[allow(unsafe_code)]
        #[target_feature(enable = "avx2")]
        unsafe fn avx2<T: Real>(
            mlp: &Mlp,
            tables: &Tables<T>,
            binary: &OneHotBits,
            labels: &[u32],
            start: usize,
            rows: usize,
            total_rows: usize,
            chunk: &mut FusedChunk<T>,
            gradient: &mut [T],
        ) -> f64 {
            gradient_rows(
                mlp, tables, binary, labels, start, rows, total_rows, chunk, gradient,
            )
        }
        // SAFETY: the CPU was just checked for AVX2.
        #[allow(unsafe_code)]
        return unsafe {
            avx2(
                mlp, tables, binary, labels, start, rows, total_rows, chunk, gradient,
            )
        };
    }
    let _ = simd;
    gradient_rows(
        mlp, tables, binary, labels, start, rows, total_rows, chunk, gradient,
    )
}

#[inline(always)]
fn gradient_rows<T: Real>(
    mlp: &Mlp,
    tables: &Tables<T>,
    binary: &OneHotBits,
    labels: &[u32],
    start: usize,
    rows: usize,
    total_rows: usize,
    chunk: &mut FusedChunk<T>,
    gradient: &mut [T],
) -> f64 {
    size_chunk(tables, rows, chunk);
    let (stride, width, classes) = (tables.stride, tables.width, tables.classes);
    for &task in &chunk.touched {
        chunk.is_touched[task as usize] = false;
    }
    chunk.touched.clear();
    chunk.output_gradient[..classes * stride].fill(T::ZERO);
    let weights0 = mlp.weight_range(0).start;
    let mut output_bias_gradient = [T::ZERO; MAX_STACK_CLASSES];
    let mut logits = [T::ZERO; MAX_STACK_CLASSES];
    let logits = &mut logits[..classes];
    let mut probabilities = [0.0f64; MAX_STACK_CLASSES];
    let probabilities = &mut probabilities[..classes];
    let mut delta = [T::ZERO; MAX_STACK_CLASSES];
    let delta = &mut delta[..classes];
    // d mean CE / dz_k = (p_k − 1[k = y]) / B (softmax cross-entropy).
    let scale = 1.0 / total_rows as f64;
    let mut loss_sum = 0.0;
    for row in 0..rows {
        let batch_row = start + row;
        let task = binary.index[batch_row] as usize;
        let label = labels[batch_row] as usize;
        row_offsets(tables, binary.row_words(batch_row), &mut chunk.offsets);
        hidden_row(tables, task, &chunk.offsets, &mut chunk.hidden);
        logits_row(tables, &chunk.hidden, logits);
        let outcome = softmax_row(logits, label, probabilities);
        loss_sum += outcome.loss;
        for (k, (d, &p)) in delta.iter_mut().zip(probabilities.iter()).enumerate() {
            let target = if k == label { 1.0 } else { 0.0 };
            *d = T::from_f64((p - target) * scale);
        }
        // dW₁ᵀ[k] += δ_k·h, db₁ += δ, dh = (Σ_k δ_k·W₁ᵀ[k]) ⊙ 1[h > 0].
        for (k, &d) in delta.iter().enumerate() {
            output_bias_gradient[k] += d;
        }
        let delta_row = &mut chunk.delta_hidden[row * stride..(row + 1) * stride];
        hidden_delta_row(
            tables,
            delta,
            &chunk.hidden,
            &mut chunk.output_gradient,
            delta_row,
        );
        // The one-hot part: dW₀[t] += dh, into the touched task rows only.
        let task_gradient = &mut gradient[weights0 + task * width..][..width];
        if !chunk.is_touched[task] {
            chunk.is_touched[task] = true;
            chunk.touched.push(task as u32);
            task_gradient.copy_from_slice(&delta_row[..width]);
        } else {
            add(task_gradient, &delta_row[..width]);
        }
    }
    bits_gradient(
        tables,
        binary,
        start,
        rows,
        chunk,
        &mut gradient[weights0..],
    );
    // db₀ = Σ_rows dh = Σ_t dW₀[t] (every row has exactly one task).
    let bias0 = mlp.bias_range(0);
    let (before, bias_gradient) = gradient.split_at_mut(bias0.start);
    let bias_gradient = &mut bias_gradient[..width];
    bias_gradient.fill(T::ZERO);
    for &task in &chunk.touched {
        let row = &before[weights0 + task as usize * width..][..width];
        for (g, &d) in bias_gradient.iter_mut().zip(row) {
            *g += d;
        }
    }
    let output_weights = mlp.weight_range(1).start;
    for i in 0..width {
        for k in 0..classes {
            gradient[output_weights + i * classes + k] = chunk.output_gradient[k * stride + i];
        }
    }
    gradient[mlp.bias_range(1)].copy_from_slice(&output_bias_gradient[..classes]);
    loss_sum
}

/// One row's second-layer backward in one pass over its hidden values, LANES at a time:
/// dW₁ᵀ[k] += δ_k·h and dh = (0 + Σ_k δ_k·W₁ᵀ[k]) ⊙ 1[h > 0], the sum in increasing k.
///
/// The ReLU mask is a select, not a conditional store, so it vectorises (the store under a
/// branch it replaces compiled to a compare and jump per value, mispredicted about half the
/// time: 39 % of a w = 300 step, BENCHMARKS.md, issue 19).
#[inline(always)]
fn hidden_delta_row<T: Real>(
    tables: &Tables<T>,
    delta: &[T],
    hidden: &[T],
    output_gradient: &mut [T],
    delta_row: &mut [T],
) {
    let stride = tables.stride;
    for column in (0..stride).step_by(LANES) {
        let h = &hidden[column..column + LANES];
        let mut acc = [T::ZERO; LANES];
        for (k, &d) in delta.iter().enumerate() {
            let weights = &tables.output_rows[k * stride + column..][..LANES];
            let out = &mut output_gradient[k * stride + column..][..LANES];
            for i in 0..LANES {
                out[i] += d * h[i];
                acc[i] += d * weights[i];
            }
        }
        let block = &mut delta_row[column..column + LANES];
        for i in 0..LANES {
            block[i] = if h[i] > T::ZERO { acc[i] } else { T::ZERO };
        }
    }
}

/// The bit rows of dW₀ for the chunk: per group, the hidden deltas summed per pattern
/// bucket, then bit b's row = Σ of the buckets whose pattern holds b (increasing pattern).
/// `gradient` starts at W₀.
#[inline(always)]
fn bits_gradient<T: Real>(
    tables: &Tables<T>,
    binary: &OneHotBits,
    start: usize,
    rows: usize,
    chunk: &mut FusedChunk<T>,
    gradient: &mut [T],
) {
    let (stride, groups) = (tables.stride, tables.groups);
    let per_row = binary.words_per_row();
    let words = &binary.words[start * per_row..(start + rows) * per_row];
    // Rows sorted by pattern, per group (a counting sort; rows stay in increasing order).
    for group in 0..groups {
        let bit = group * GROUP_BITS;
        let pattern_of = |row: usize| {
            ((words[row * per_row + bit / 64] >> (bit % 64)) as usize) & (PATTERNS - 1)
        };
        let starts = &mut chunk.starts[group * (PATTERNS + 1)..(group + 1) * (PATTERNS + 1)];
        starts.fill(0);
        for row in 0..rows {
            starts[pattern_of(row) + 1] += 1;
        }
        for pattern in 0..PATTERNS {
            starts[pattern + 1] += starts[pattern];
        }
        let mut next = [0u32; PATTERNS];
        next.copy_from_slice(&starts[..PATTERNS]);
        let order = &mut chunk.order[group * rows..(group + 1) * rows];
        for row in 0..rows {
            let pattern = pattern_of(row);
            order[next[pattern] as usize] = row as u32;
            next[pattern] += 1;
        }
    }
    over_blocks!(stride, |column, L, S| bits_block::<T, L, S>(
        tables, rows, chunk, column, gradient
    ));
}

#[inline(always)]
fn bits_block<T: Real, const L: usize, const S: usize>(
    tables: &Tables<T>,
    rows: usize,
    chunk: &FusedChunk<T>,
    column: usize,
    gradient: &mut [T],
) {
    let (stride, width) = (tables.stride, tables.width);
    let valid = width.saturating_sub(column).min(L);
    let mut buckets = [[T::ZERO; L]; PATTERNS];
    for group in 0..tables.groups {
        let starts = &chunk.starts[group * (PATTERNS + 1)..(group + 1) * (PATTERNS + 1)];
        let order = &chunk.order[group * rows..(group + 1) * rows];
        for (pattern, bucket) in buckets.iter_mut().enumerate() {
            let members = &order[starts[pattern] as usize..starts[pattern + 1] as usize];
            *bucket =
                accumulate::<T, L, S>(None, &chunk.delta_hidden, column, members.len(), |i| {
                    members[i] as usize * stride
                });
        }
        for lowest in 0..GROUP_BITS {
            let bit = group * GROUP_BITS + lowest;
            if bit >= tables.bits {
                break;
            }
            let mut acc = [T::ZERO; L];
            for (pattern, bucket) in buckets.iter().enumerate() {
                if pattern >> lowest & 1 == 1 {
                    for i in 0..L {
                        acc[i] += bucket[i];
                    }
                }
            }
            let out = &mut gradient[(tables.one_hot + bit) * width + column..][..valid];
            out.copy_from_slice(&acc[..valid]);
        }
    }
}
