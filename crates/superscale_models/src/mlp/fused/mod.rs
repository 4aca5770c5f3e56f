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
//! The one-hot part scatters into the touched task rows only. The first layer runs 64 rows
//! at a time, one block of columns over all of them; then the second layer, the softmax
//! cross-entropy and the hidden delta run row by row, the delta overwriting the row's
//! hidden values, so a chunk keeps one buffer of rows.
//!
//! With two classes (every parity task) the backward takes [`two_class`]: a row's hidden
//! delta has one direction, W₁ᵀ[1] − W₁ᵀ[0], so a row is kept as one number and a ReLU mask.
//!
//! Inner loops run on register blocks of up to 128 values over rows padded to
//! [`ROW_VALUES`];
//! they use separate multiplies and adds only (no fused multiply-add), so the AVX2 and
//! AVX-512 instantiations give the same bits as the baseline one (tested), and the sums run
//! in an order fixed by the data alone, never by the thread count. Why each choice, with
//! the measurements: BENCHMARKS.md, "The quantization model's step".

// The kernels take every buffer explicitly (tables, scratch, outputs) so they never
// allocate, as in `superscale_kernels`: more than clippy's seven arguments by design.
#![allow(clippy::too_many_arguments)]

use crate::mlp::architecture::Mlp;
use crate::mlp::input::{OneHotBits, RowOutcome};
use crate::mlp::pass::{softmax_row, MAX_STACK_CLASSES};
use crate::mlp::real::Real;
use superscale_kernels::{Simd, SubnormalsFlushed};

/// Bits per group of the pattern tables.
const GROUP_BITS: usize = 4;
/// Patterns of one group, 2^GROUP_BITS.
const PATTERNS: usize = 1 << GROUP_BITS;
/// Groups of one 64-bit word of a row's bits (GROUP_BITS divides 64, so no group
/// straddles two words).
const GROUPS_PER_WORD: usize = 64 / GROUP_BITS;
/// Values of the partial sums of [`dot`] and of the second layer's loops (one AVX2
/// register of f32).
const LANES: usize = 8;
/// Rows of the tables, of the hidden deltas and of the buckets are padded to a multiple of
/// this: 16 f32, one 64-byte line, so in a buffer that starts on a line ([`Aligned`]) no
/// row's AVX-512 load or store straddles two lines. Padded to 8 values, half the rows of a
/// width like 50 (56 values, 224 bytes) started mid-line and each of their loads and stores
/// cost two: padding to 16 was 2–7 % faster at w = 50 and 5–10 % at w = 85, 146, 209
/// though it sums more columns, even at w = 17, 24, 35 (BENCHMARKS.md, issue 19, sixth
/// round).
const ROW_VALUES: usize = 16;

fn padded(width: usize) -> usize {
    width.div_ceil(ROW_VALUES) * ROW_VALUES
}

/// Whether the fused path applies: depth 2 and at most [`MAX_STACK_CLASSES`] outputs.
pub(crate) fn applies(mlp: &Mlp) -> bool {
    mlp.depth() == 2 && mlp.output_dim() <= MAX_STACK_CLASSES
}

/// A buffer whose first value sits on a 64-byte boundary (a cache line), so rows whose
/// length is a multiple of 64 bytes never straddle two lines: an AVX-512 load across a
/// line boundary costs two (BENCHMARKS.md, issue 19). A `Vec` only guarantees T's own
/// alignment, so this one keeps up to a line of slack in front.
#[derive(Debug, Clone, Default)]
pub(crate) struct Aligned<T> {
    values: Vec<T>,
    base: usize,
    len: usize,
}

/// Bytes per cache line.
const LINE: usize = 64;

impl<T: Real> Aligned<T> {
    /// Sets the length to `len` (new values are zero; no allocation once large enough).
    pub(crate) fn resize(&mut self, len: usize) {
        let slack = LINE / std::mem::size_of::<T>();
        if self.values.len() < len + slack {
            self.values.resize(len + slack, T::ZERO);
        }
        let misalignment = self.values.as_ptr() as usize % LINE;
        self.base = if misalignment == 0 {
            0
        } else {
            (LINE - misalignment) / std::mem::size_of::<T>()
        };
        self.len = len;
    }

    /// Grows to at least `len` (never shrinks, so alternating evaluation and training
    /// calls do not refill the buffer).
    pub(crate) fn ensure(&mut self, len: usize) {
        if self.len < len {
            self.resize(len);
        }
    }
}

impl<T> std::ops::Deref for Aligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.values[self.base..self.base + self.len]
    }
}

impl<T> std::ops::DerefMut for Aligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.values[self.base..self.base + self.len]
    }
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
    task_rows: Aligned<T>,
    /// `groups × PATTERNS × stride`: Σ_{b ∈ p} W₀[one_hot + GROUP_BITS·g + b]
    pattern_rows: Aligned<T>,
    /// `classes × stride`: W₁ᵀ (row k holds class k's weights)
    output_rows: Aligned<T>,
    /// b₁
    output_bias: Vec<T>,
    /// two classes only, `stride`: W₁ᵀ[1] − W₁ᵀ[0], the one direction a row's hidden
    /// delta can take ([`two_class`])
    difference_row: Aligned<T>,
    /// two classes only: b₁[1] − b₁[0]
    bias_difference: T,
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
        self.task_rows.resize(binary.one_hot * stride);
        for (task, row) in self.task_rows.chunks_exact_mut(stride).enumerate() {
            let weight_row = &weights[task * width..(task + 1) * width];
            for ((out, &b), &w) in row.iter_mut().zip(bias).zip(weight_row) {
                *out = b + w;
            }
            // The padding is zero (a resize may move the buffer's start, so it is written).
            row[width..].fill(T::ZERO);
        }
        self.pattern_rows.resize(groups * PATTERNS * stride);
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
        self.output_rows.resize(classes * stride);
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
        if classes == 2 {
            self.difference_row.resize(stride);
            let (first, second) = self.output_rows.split_at(stride);
            for ((out, &zero), &one) in self.difference_row.iter_mut().zip(first).zip(second) {
                *out = one - zero;
            }
            self.bias_difference = self.output_bias[1] - self.output_bias[0];
        }
    }
}

/// Scratch of one chunk for the fused path.
#[derive(Debug, Clone, Default)]
pub(crate) struct FusedChunk<T> {
    /// one row's hidden activations, `stride`
    hidden: Vec<T>,
    /// one row's table offsets, one per group
    offsets: Vec<usize>,
    /// `chunk_rows × stride`: the hidden activations of every row of the chunk, each row
    /// then overwritten by its dLoss/dh (0 where h ≤ 0)
    delta_hidden: Aligned<T>,
    /// `chunk_rows`: each row's task
    row_tasks: Vec<u32>,
    /// `chunk_rows × groups`: each row's table offsets (see [`row_offsets`])
    row_offsets: Vec<u32>,
    /// `groups × chunk_rows`: each row's pattern in each group
    row_patterns: Vec<u8>,
    /// `groups × PATTERNS`: the next free place of each pattern in `order` (counting sort)
    next: Vec<u32>,
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
    /// two classes only, `chunk_rows`: each row's dLoss/dz₁ ([`two_class`])
    row_deltas: Vec<T>,
    /// two classes only, `chunk_rows × mask_words(stride)`: each row's ReLU mask 1[h > 0],
    /// one bit per hidden unit
    row_masks: Vec<u16>,
    /// two classes with narrow rows only ([`two_class::scatters`]), `groups × PATTERNS ×
    /// stride` (the layout of `Tables::pattern_rows`, so a row's forward offsets address
    /// its buckets): Σ δ₁·m over the chunk's rows per (group, pattern) bucket; all zero
    /// between chunks, each bucket cleared as it is read
    buckets: Aligned<T>,
    /// whether `buckets` may hold values (a chunk stopped before reading them, or the
    /// buffer has not been cleared yet)
    buckets_dirty: bool,
}

/// Table offsets of one row: where `groups[g][p_g]` starts, for every group g.
#[inline(always)]
fn row_offsets(tables: &Tables<impl Real>, words: &[u64], offsets: &mut [usize]) {
    let stride = tables.stride;
    for (group, offset) in offsets.iter_mut().enumerate() {
        *offset = (group * PATTERNS + pattern(words, group)) * stride;
    }
}

/// A row's pattern in bit group `group`: its bits GROUP_BITS·group … + GROUP_BITS − 1.
#[inline(always)]
fn pattern(words: &[u64], group: usize) -> usize {
    let bit = group * GROUP_BITS;
    ((words[bit / 64] >> (bit % 64)) as usize) & (PATTERNS - 1)
}

/// `table[start..start + L]`, unchecked: a term of the sums below costs one offset load, one
/// address and L / 16 AVX-512 adds, and a bounds check would be four more instructions.
#[inline(always)]
fn values<T: Real, const L: usize>(table: &[T], start: usize) -> &[T] {
    debug_assert!(start + L <= table.len(), "term at {start} out of its table");
    // SAFETY: every caller's offsets are in bounds by construction: a pattern-table offset
    // is (g·PATTERNS + p)·stride with g < groups and p < PATTERNS, a delta offset is
    // row·stride with row < the chunk's rows, and column + L ≤ stride, so start + L ≤
    // table.len() (checked in debug builds: `cargo test` without `--release`).
    #[allow(unsafe_code)]
    unsafe {
        table.get_unchecked(start..start + L)
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
    accumulate_terms::<T, L, S>(
        first,
        count,
        &TableTerms {
            table,
            column,
            offset_of,
        },
    )
}

/// The terms of a sum [`accumulate_terms`] runs. A trait, not a closure: a method marked
/// `#[inline(always)]` is compiled inside the kernel's instruction-set instantiation, while
/// a closure the compiler declines to inline is compiled without those instructions.
trait Terms<T, const L: usize> {
    /// acc += term `index`.
    fn add(&self, index: usize, acc: &mut [T; L]);
}

/// Rows of a table at offsets given by `offset_of`, from `column`.
struct TableTerms<'a, T, F> {
    table: &'a [T],
    column: usize,
    offset_of: F,
}

impl<T: Real, F: Fn(usize) -> usize, const L: usize> Terms<T, L> for TableTerms<'_, T, F> {
    #[inline(always)]
    fn add(&self, index: usize, acc: &mut [T; L]) {
        let row = values::<T, L>(self.table, (self.offset_of)(index) + self.column);
        for i in 0..L {
            acc[i] += row[i];
        }
    }
}

/// The order of [`accumulate`]'s additions, for any kind of term: term i goes into
/// accumulator i mod S; the accumulators are added in order at the end.
#[inline(always)]
fn accumulate_terms<T: Real, const L: usize, const S: usize>(
    first: Option<&[T]>,
    count: usize,
    terms: &impl Terms<T, L>,
) -> [T; L] {
    let mut sets = [[T::ZERO; L]; S];
    if let Some(first) = first {
        sets[0].copy_from_slice(&first[..L]);
    }
    let whole = count / S * S;
    let mut index = 0;
    while index < whole {
        for (set, acc) in sets.iter_mut().enumerate() {
            terms.add(index + set, acc);
        }
        index += S;
    }
    for (set, acc) in sets.iter_mut().enumerate().take(count - whole) {
        terms.add(whole + set, acc);
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
/// blocks of 64 values while they last, then one of 32 or 16 or both (stride is a multiple
/// of ROW_VALUES). A value gets S = 2 accumulators in blocks of 64 and 32, and S = 4 in a
/// block of 16: S decides the order of the additions, so a value's sum does not depend on
/// which of the two wide blocks it falls in. The blocks are wide because each term of a sum costs
/// an offset load and an address besides its adds: with 16 values a term (one AVX-512
/// add) those instructions, not the loads, set the pace (BENCHMARKS.md, issue 19).
///
/// `over_blocks!(wide, …)` runs blocks of 128 values first, while they last: also S = 2, so
/// every value is the same sum, to the bit. Only for sums held in registers alone (the bits'
/// bucket sums, 16 accumulators of 16 values with AVX-512): each term's index, δ and address
/// then serve 8 additions instead of 4, and a bucket's loop, whose length is data (its exit
/// mispredicted), runs half as often (BENCHMARKS.md, issue 19, sixth round).
macro_rules! over_blocks {
    (@from $start:expr, $stride:expr, |$column:ident, $l:ident, $s:ident| $body:expr) => {{
        let stride = $stride;
        let mut $column = $start;
        while $column < stride {
            $column += match stride - $column {
                64.. => {
                    const $l: usize = 64;
                    const $s: usize = 2;
                    $body;
                    $l
                }
                32.. => {
                    const $l: usize = 32;
                    const $s: usize = 2;
                    $body;
                    $l
                }
                _ => {
                    debug_assert_eq!(stride - $column, 16, "a row of a multiple of 16 values");
                    const $l: usize = 16;
                    const $s: usize = 4;
                    $body;
                    $l
                }
            };
        }
    }};
    (wide, $stride:expr, |$column:ident, $l:ident, $s:ident| $body:expr) => {{
        let stride = $stride;
        let mut $column = 0;
        while stride - $column >= 128 {
            const $l: usize = 128;
            const $s: usize = 2;
            $body;
            $column += $l;
        }
        over_blocks!(@from $column, stride, |$column, $l, $s| $body)
    }};
    ($stride:expr, |$column:ident, $l:ident, $s:ident| $body:expr) => {
        over_blocks!(@from 0, $stride, |$column, $l, $s| $body)
    };
}

/// Rows whose first layer is summed block by block before their second layer runs (a
/// block of these rows, 64 × 64 values = 16 KB, stays in L1 while its sums run).
const FORWARD_ROWS: usize = 64;

/// [`accumulate`] (with a first row) for two rows at once: two independent sets of add
/// chains, so one row's adds overlap the other's latency. Each row's sum is the one
/// [`accumulate`] gives, to the bit.
#[inline(always)]
fn accumulate_pair<T: Real, const L: usize, const S: usize>(
    firsts: [&[T]; 2],
    table: &[T],
    column: usize,
    offsets: [&[u32]; 2],
) -> [[T; L]; 2] {
    let count = offsets[0].len();
    let mut sets = [[[T::ZERO; L]; S]; 2];
    for (row, first) in firsts.iter().enumerate() {
        sets[row][0].copy_from_slice(&first[..L]);
    }
    let whole = count / S * S;
    let mut index = 0;
    while index < whole {
        for set in 0..S {
            for row in 0..2 {
                let terms = values::<T, L>(table, offsets[row][index + set] as usize + column);
                let acc = &mut sets[row][set];
                for i in 0..L {
                    acc[i] += terms[i];
                }
            }
        }
        index += S;
    }
    for set in 0..count - whole {
        for row in 0..2 {
            let terms = values::<T, L>(table, offsets[row][whole + set] as usize + column);
            let acc = &mut sets[row][set];
            for i in 0..L {
                acc[i] += terms[i];
            }
        }
    }
    let mut totals = [[T::ZERO; L]; 2];
    for row in 0..2 {
        totals[row] = sets[row][0];
        for acc in &sets[row][1..] {
            for i in 0..L {
                totals[row][i] += acc[i];
            }
        }
    }
    totals
}

/// ReLU of a block of pre-activations, as [`hidden_row`] writes it.
#[inline(always)]
fn relu_into<T: Real>(sum: &[T], out: &mut [T]) {
    for (out, &value) in out.iter_mut().zip(sum) {
        *out = if value < T::ZERO { T::ZERO } else { value };
    }
}

/// The hidden activations of rows `0..tasks.len()` into `hidden` (`rows × stride`), one
/// block of columns at a time over all the rows, two rows at a time; each value is the one
/// [`hidden_row`] gives, to the bit. `offsets` holds each row's table offsets (`rows ×
/// groups`).
#[inline(always)]
fn hidden_rows<T: Real>(tables: &Tables<T>, tasks: &[u32], offsets: &[u32], hidden: &mut [T]) {
    let (stride, groups) = (tables.stride, tables.groups);
    let table = &tables.pattern_rows[..];
    let rows = tasks.len();
    over_blocks!(stride, |column, L, S| {
        let mut row = 0;
        while row + 2 <= rows {
            let firsts = [
                &tables.task_rows[tasks[row] as usize * stride + column..],
                &tables.task_rows[tasks[row + 1] as usize * stride + column..],
            ];
            let pair_offsets = [
                &offsets[row * groups..(row + 1) * groups],
                &offsets[(row + 1) * groups..(row + 2) * groups],
            ];
            let sums = accumulate_pair::<T, L, S>(firsts, table, column, pair_offsets);
            relu_into(&sums[0], &mut hidden[row * stride + column..][..L]);
            relu_into(&sums[1], &mut hidden[(row + 1) * stride + column..][..L]);
            row += 2;
        }
        if row < rows {
            let task = tasks[row] as usize;
            let row_offsets = &offsets[row * groups..(row + 1) * groups];
            let sum = accumulate::<T, L, S>(
                Some(&tables.task_rows[task * stride + column..]),
                table,
                column,
                groups,
                |i| row_offsets[i] as usize,
            );
            relu_into(&sum, &mut hidden[row * stride + column..][..L]);
        }
    });
}

/// The hidden activations of the chunk's rows `first..last` into their rows of
/// `delta_hidden`, from the offsets [`row_pass`] left ([`hidden_rows`]).
#[inline(always)]
fn first_layer<T: Real>(tables: &Tables<T>, chunk: &mut FusedChunk<T>, first: usize, last: usize) {
    let (stride, groups) = (tables.stride, tables.groups);
    hidden_rows(
        tables,
        &chunk.row_tasks[first..last],
        &chunk.row_offsets[first * groups..last * groups],
        &mut chunk.delta_hidden[first * stride..last * stride],
    );
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
    lanes_total(&lanes)
}

/// Rows whose dot products [`dots`] runs side by side.
const DOT_ROWS: usize = 4;

/// out[r] = first + [`dot`](row r of `rows`, b) for the `stride`-long rows of `rows`, each
/// the sum `dot` gives, to the bit. [`DOT_ROWS`] rows at a time: a dot product is one chain
/// of stride/8 dependent additions, and side by side four chains run in the time of one.
#[inline(always)]
fn dots<T: Real>(rows: &[T], stride: usize, b: &[T], first: T, out: &mut [T]) {
    let b = &b[..stride];
    let mut groups = rows.chunks_exact(DOT_ROWS * stride);
    let mut outs = out.chunks_exact_mut(DOT_ROWS);
    for (group, out) in (&mut groups).zip(&mut outs) {
        let mut lanes = [[T::ZERO; LANES]; DOT_ROWS];
        for (column, b) in b.chunks_exact(LANES).enumerate() {
            for (row, lanes) in lanes.iter_mut().enumerate() {
                let a = &group[row * stride + column * LANES..][..LANES];
                for i in 0..LANES {
                    lanes[i] += a[i] * b[i];
                }
            }
        }
        for (out, lanes) in out.iter_mut().zip(&lanes) {
            *out = first + lanes_total(lanes);
        }
    }
    for (row, out) in groups
        .remainder()
        .chunks_exact(stride)
        .zip(outs.into_remainder())
    {
        *out = first + dot(row, b);
    }
}

/// The LANES partial sums of [`dot`] added pairwise, in a fixed order.
#[inline(always)]
fn lanes_total<T: Real>(lanes: &[T; LANES]) -> T {
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
        + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
}

/// The logits of one row: b₁ + h·W₁.
#[inline(always)]
fn logits_row<T: Real>(tables: &Tables<T>, hidden: &[T], logits: &mut [T]) {
    let stride = tables.stride;
    if let [first, second] = logits {
        // Two classes (every parity task): both dot products in one pass, two independent
        // add chains instead of one after the other; each is the sum `dot` gives.
        let (row0, row1) = (
            &tables.output_rows[..stride],
            &tables.output_rows[stride..2 * stride],
        );
        let mut lanes = [[T::ZERO; LANES]; 2];
        for ((h, a), b) in hidden[..stride]
            .chunks_exact(LANES)
            .zip(row0.chunks_exact(LANES))
            .zip(row1.chunks_exact(LANES))
        {
            for i in 0..LANES {
                lanes[0][i] += h[i] * a[i];
                lanes[1][i] += h[i] * b[i];
            }
        }
        *first = tables.output_bias[0] + lanes_total(&lanes[0]);
        *second = tables.output_bias[1] + lanes_total(&lanes[1]);
        return;
    }
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
    chunk.delta_hidden.ensure(chunk_rows * tables.stride);
    ensure(&mut chunk.row_tasks, chunk_rows, 0);
    ensure(&mut chunk.row_offsets, chunk_rows * tables.groups, 0);
    ensure(&mut chunk.row_patterns, chunk_rows * tables.groups, 0);
    ensure(&mut chunk.next, tables.groups * PATTERNS, 0);
    ensure(&mut chunk.order, tables.groups * chunk_rows, 0);
    ensure(&mut chunk.starts, tables.groups * (PATTERNS + 1), 0);
    ensure(&mut chunk.is_touched, tables.one_hot, false);
    ensure(
        &mut chunk.output_gradient,
        tables.classes * tables.stride,
        T::ZERO,
    );
    ensure(&mut chunk.row_deltas, chunk_rows, T::ZERO);
    ensure(
        &mut chunk.row_masks,
        chunk_rows * two_class::mask_words(tables.stride),
        0,
    );
    if two_class::scatters(tables) {
        let len = tables.groups * PATTERNS * tables.stride;
        if chunk.buckets.len() < len {
            chunk.buckets.ensure(len);
            // A resize may move the values' start; clear them all.
            chunk.buckets_dirty = true;
        }
    }
}

/// Calls `kernel(args…)` compiled for the instruction sets `features` (x86-64): AVX2, or
/// AVX-512 where the CPU has it, whose 32 registers hold the 64-value blocks that AVX2's 16
/// would spill. The kernels use no fused multiply-add, so every choice gives the same bits.
/// The caller must have checked the CPU for `features`.
#[cfg(target_arch = "x86_64")]
macro_rules! compiled_for {
    (
        $features:literal,
        $kernel:ident $(::<$wide:literal>)? ($($arg:ident: $type:ty),* $(,)?) -> $output:ty
    ) => {{
        #[allow(unsafe_code)]
        #[target_feature(enable = $features)]
        unsafe fn instantiated<T: Real>($($arg: $type),*) -> $output {
            $kernel::<T $(, $wide)?>($($arg),*)
        }
        // SAFETY: the caller checked the CPU for these features.
        #[allow(unsafe_code)]
        unsafe {
            instantiated($($arg),*)
        }
    }};
}

/// Whether the CPU has the AVX-512 subsets the kernels are compiled for: the foundation,
/// and byte/word and 256-bit forms, with which a 16-bit ReLU mask word becomes a mask
/// register in one test (`two_class`).
#[cfg(target_arch = "x86_64")]
fn has_avx512() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vl")
}

/// The outcomes of rows `start..start + out.len()` (evaluation).
pub(crate) fn evaluate_chunk<T: Real>(
    simd: Simd,
    avx512: bool,
    tables: &Tables<T>,
    binary: &OneHotBits,
    labels: &[u32],
    start: usize,
    chunk: &mut FusedChunk<T>,
    out: &mut [RowOutcome],
) {
    let _flushed = SubnormalsFlushed::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! rows_with {
            ($features:literal) => {
                compiled_for!(
                    $features,
                    evaluate_rows(
                        tables: &Tables<T>,
                        binary: &OneHotBits,
                        labels: &[u32],
                        start: usize,
                        chunk: &mut FusedChunk<T>,
                        out: &mut [RowOutcome],
                    ) -> ()
                )
            };
        }
        if simd == Simd::Avx2Fma && avx512 && has_avx512() {
            return rows_with!("avx2,avx512f,avx512bw,avx512vl");
        }
        if simd == Simd::Avx2Fma && std::arch::is_x86_feature_detected!("avx2") {
            return rows_with!("avx2");
        }
    }
    let _ = (simd, avx512);
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
    let _flushed = SubnormalsFlushed::new();
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
    avx512: bool,
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
    // Subnormals flushed (`superscale_kernels::SubnormalsFlushed`): rows predicted with
    // certainty give slopes whose products with the hidden values are subnormal.
    let _flushed = SubnormalsFlushed::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! rows_with {
            ($features:literal, $avx512:literal) => {
                compiled_for!(
                    $features,
                    gradient_rows::<$avx512>(
                        mlp: &Mlp,
                        tables: &Tables<T>,
                        binary: &OneHotBits,
                        labels: &[u32],
                        start: usize,
                        rows: usize,
                        total_rows: usize,
                        chunk: &mut FusedChunk<T>,
                        gradient: &mut [T],
                    ) -> f64
                )
            };
        }
        if simd == Simd::Avx2Fma && avx512 && has_avx512() {
            return rows_with!("avx2,avx512f,avx512bw,avx512vl", true);
        }
        if simd == Simd::Avx2Fma && std::arch::is_x86_feature_detected!("avx2") {
            return rows_with!("avx2", false);
        }
    }
    let _ = (simd, avx512);
    gradient_rows::<T, false>(
        mlp, tables, binary, labels, start, rows, total_rows, chunk, gradient,
    )
}

/// `AVX512`: whether this instantiation may use AVX-512 intrinsics (`two_class`); the
/// portable code is their twin, to the bit.
#[inline(always)]
fn gradient_rows<T: Real, const AVX512: bool>(
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
    if tables.classes == 2 {
        return two_class::gradient_rows::<T, AVX512>(
            mlp, tables, binary, labels, start, rows, total_rows, chunk, gradient,
        );
    }
    let (stride, width, classes) = (tables.stride, tables.width, tables.classes);
    clear_touched(chunk);
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
    row_pass::<T, true>(tables, binary, start, rows, chunk);
    for first in (0..rows).step_by(FORWARD_ROWS) {
        let last = (first + FORWARD_ROWS).min(rows);
        // The first layer of these rows, one block of columns over all of them, then the
        // rest of each row, in row order. h, then dh in its place: the chunk's hidden
        // deltas are the only rows kept.
        first_layer(tables, chunk, first, last);
        for row in first..last {
            let batch_row = start + row;
            let task = chunk.row_tasks[row] as usize;
            let label = labels[batch_row] as usize;
            let hidden_then_delta = &mut chunk.delta_hidden[row * stride..(row + 1) * stride];
            logits_row(tables, hidden_then_delta, logits);
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
            hidden_delta_in_place(tables, delta, &mut chunk.output_gradient, hidden_then_delta);
            let delta_row = &*hidden_then_delta;
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
    }
    bits_gradient(tables, rows, chunk, &mut gradient[weights0..]);
    bias_from_tasks(mlp, chunk, gradient);
    let output_weights = mlp.weight_range(1).start;
    for i in 0..width {
        for k in 0..classes {
            gradient[output_weights + i * classes + k] = chunk.output_gradient[k * stride + i];
        }
    }
    gradient[mlp.bias_range(1)].copy_from_slice(&output_bias_gradient[..classes]);
    loss_sum
}

/// Each row's task and patterns, once per chunk: the table offsets of the forward, and, if
/// `SORTED` (the bits' gradient sums its buckets from sorted rows), each row's patterns and
/// the counts of the counting sort (left in `chunk.starts`).
#[inline(always)]
fn row_pass<T: Real, const SORTED: bool>(
    tables: &Tables<T>,
    binary: &OneHotBits,
    start: usize,
    rows: usize,
    chunk: &mut FusedChunk<T>,
) {
    let (stride, groups) = (tables.stride, tables.groups);
    let counts = &mut chunk.starts[..groups * (PATTERNS + 1)];
    if SORTED {
        counts.fill(0);
    }
    for row in 0..rows {
        let batch_row = start + row;
        chunk.row_tasks[row] = binary.index[batch_row];
        let words = binary.row_words(batch_row);
        let row_offsets = &mut chunk.row_offsets[row * groups..(row + 1) * groups];
        // Word by word, a group's pattern the word's low bits, then shifted away (a group
        // never straddles two words): what [`pattern`] gives, without a variable shift and
        // a word load per group.
        for (word_index, (offsets, &word)) in row_offsets
            .chunks_mut(GROUPS_PER_WORD)
            .zip(words)
            .enumerate()
        {
            let mut bits = word;
            for (i, offset) in offsets.iter_mut().enumerate() {
                let group = word_index * GROUPS_PER_WORD + i;
                let pattern = bits as usize & (PATTERNS - 1);
                bits >>= GROUP_BITS;
                *offset = ((group * PATTERNS + pattern) * stride) as u32;
                if SORTED {
                    chunk.row_patterns[group * rows + row] = pattern as u8;
                    counts[group * (PATTERNS + 1) + pattern + 1] += 1;
                }
            }
        }
    }
}

/// The chunk's rows sorted by their pattern, per group (a counting sort, from the counts
/// [`row_pass`] left in `starts`; rows stay in increasing order within a pattern).
#[inline(always)]
fn sort_rows<T: Real>(tables: &Tables<T>, rows: usize, chunk: &mut FusedChunk<T>) {
    let groups = tables.groups;
    let next = &mut chunk.next[..groups * PATTERNS];
    for (group, next) in next.chunks_exact_mut(PATTERNS).enumerate() {
        let starts = &mut chunk.starts[group * (PATTERNS + 1)..(group + 1) * (PATTERNS + 1)];
        for pattern in 0..PATTERNS {
            starts[pattern + 1] += starts[pattern];
        }
        next.copy_from_slice(&starts[..PATTERNS]);
    }
    for (group, next) in next.chunks_exact_mut(PATTERNS).enumerate() {
        let order = &mut chunk.order[group * rows..(group + 1) * rows];
        for (row, &pattern) in chunk.row_patterns[group * rows..(group + 1) * rows]
            .iter()
            .enumerate()
        {
            let slot = &mut next[pattern as usize];
            order[*slot as usize] = row as u32;
            *slot += 1;
        }
    }
}

/// db₀ = Σ_rows dh = Σ_t dW₀[t] (every row has exactly one task), over the touched task
/// rows in order of first appearance.
#[inline(always)]
fn bias_from_tasks<T: Real>(mlp: &Mlp, chunk: &FusedChunk<T>, gradient: &mut [T]) {
    let width = mlp.layer_sizes()[1];
    let weights0 = mlp.weight_range(0).start;
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
}

/// Forgets the tasks the previous chunk touched.
#[inline(always)]
fn clear_touched<T>(chunk: &mut FusedChunk<T>) {
    for &task in &chunk.touched {
        chunk.is_touched[task as usize] = false;
    }
    chunk.touched.clear();
}

/// One row's second-layer backward, with the hidden values and the deltas in one buffer:
/// `row` holds h on entry and dh on return. dW₁ᵀ[k] += δ_k·h runs as one simple loop per
/// class, so it vectorises (inside the column loop the compiler wrote it value by value:
/// 17 % of a w = 300 step, BENCHMARKS.md, issue 19); then dh = (0 + Σ_k δ_k·W₁ᵀ[k]) ⊙
/// 1[h > 0], the sum in increasing k, LANES at a time. The ReLU mask is a select, not a
/// conditional store, so it vectorises too (a store under a branch compiled to a compare and
/// jump per value, mispredicted about half the time: 39 % of a w = 300 step).
#[inline(always)]
fn hidden_delta_in_place<T: Real>(
    tables: &Tables<T>,
    delta: &[T],
    output_gradient: &mut [T],
    row: &mut [T],
) {
    let stride = tables.stride;
    for (k, &d) in delta.iter().enumerate() {
        let out = &mut output_gradient[k * stride..(k + 1) * stride];
        for (out, &h) in out.iter_mut().zip(&row[..stride]) {
            *out += d * h;
        }
    }
    for column in (0..stride).step_by(LANES) {
        let mut acc = [T::ZERO; LANES];
        for (k, &d) in delta.iter().enumerate() {
            let weights = &tables.output_rows[k * stride + column..][..LANES];
            for i in 0..LANES {
                acc[i] += d * weights[i];
            }
        }
        let block = &mut row[column..column + LANES];
        for i in 0..LANES {
            block[i] = if block[i] > T::ZERO { acc[i] } else { T::ZERO };
        }
    }
}

/// The bit rows of dW₀ for the chunk: per group, the hidden deltas summed per pattern
/// bucket, then bit b's row = Σ of the buckets whose pattern holds b (increasing pattern).
/// `gradient` starts at W₀.
#[inline(always)]
fn bits_gradient<T: Real>(
    tables: &Tables<T>,
    rows: usize,
    chunk: &mut FusedChunk<T>,
    gradient: &mut [T],
) {
    sort_rows(tables, rows, chunk);
    let stride = tables.stride;
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
        // Pattern 0 holds no bit: its bucket is never read (it stays zero).
        for (pattern, bucket) in buckets.iter_mut().enumerate().skip(1) {
            let members = members(chunk, rows, group, pattern);
            *bucket =
                accumulate::<T, L, S>(None, &chunk.delta_hidden, column, members.len(), |i| {
                    members[i] as usize * stride
                });
        }
        for_each_bit_total(tables, group, &buckets, |bit, total| {
            let out = &mut gradient[(tables.one_hot + bit) * width + column..][..valid];
            out.copy_from_slice(&total[..valid]);
        });
    }
}

/// The chunk's rows whose pattern in bit group `group` is `pattern` (after [`sort_rows`]).
#[inline(always)]
fn members<T>(chunk: &FusedChunk<T>, rows: usize, group: usize, pattern: usize) -> &[u32] {
    let starts = &chunk.starts[group * (PATTERNS + 1)..(group + 1) * (PATTERNS + 1)];
    &chunk.order[group * rows..(group + 1) * rows]
        [starts[pattern] as usize..starts[pattern + 1] as usize]
}

/// For each bit of group `group` (below n): `each(bit, total)`, with `total` the sum of the
/// buckets whose pattern holds the bit, in increasing pattern. A loop calling a closure, not
/// an iterator: the iterator's closures were left out of line (3–5 % of a w = 300 step, with
/// a 256-byte total copied out of each).
#[inline(always)]
fn for_each_bit_total<T: Real, const L: usize>(
    tables: &Tables<T>,
    group: usize,
    buckets: &[[T; L]; PATTERNS],
    mut each: impl FnMut(usize, &[T; L]),
) {
    for lowest in 0..GROUP_BITS {
        let bit = group * GROUP_BITS + lowest;
        if bit >= tables.bits {
            break;
        }
        let mut total = [T::ZERO; L];
        for (pattern, bucket) in buckets.iter().enumerate() {
            if pattern >> lowest & 1 == 1 {
                for i in 0..L {
                    total[i] += bucket[i];
                }
            }
        }
        each(bit, &total);
    }
}

// After the macros above: a `macro_rules!` is in scope in the modules declared below it.
mod two_class;
