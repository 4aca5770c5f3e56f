//! The fused step for two classes (every parity task of the quantization model): a row's
//! hidden delta has a single direction (docs/quanta.md, "The fused step for two classes").
//!
//! With two classes the softmax gives δ₀ = −δ₁ for every row (p₀ + p₁ = 1), so a row's
//! hidden delta is dh = (δ₀·W₁ᵀ[0] + δ₁·W₁ᵀ[1]) ⊙ m = δ₁ · v ⊙ m, with v = W₁ᵀ[1] − W₁ᵀ[0]
//! the same for every row and m = 1[h > 0] the row's ReLU mask. Every sum of hidden deltas
//! the gradient needs (a task row of W₀, a bit row, b₀) is then v ⊙ Σ δ₁·m:
//!
//! - a row is kept as one number and a bit mask (w/8 + 4 bytes instead of 4w), so the bucket
//!   sums of the bits' gradient read masks from L1 instead of delta rows from L2, and with
//!   AVX-512 a term is one masked add per 16 hidden units;
//! - v multiplies each finished sum once, not every row;
//! - the logits enter the softmax through their difference d = z₁ − z₀ = (b₁[1] − b₁[0]) +
//!   h·v (softmax is shift-invariant), and dW₁ᵀ[1] = Σ δ₁·h = −dW₁ᵀ[0]: one dot product
//!   and one accumulation per row instead of two of each.
//!
//! The first layer and the tables are those of the general path (`super`). The bucket sums
//! take one of two forms by row width (docs/quanta.md, "The fused step for two classes"):
//!
//! - narrow rows (padded width ≤ [`SCATTER_STRIDE`]): each row adds δ₁·m into its bucket of
//!   every group as it is computed ([`add_to_buckets`]), in row order; no sort, and the row
//!   pass stores no patterns. A table of buckets is then small enough for L1/L2;
//! - wider rows: the general path's counting sort and bucket-by-bucket sums in registers
//!   ([`bits_block`]), which read only masks and so stay in L1 while the table would not.
//!
//! The masked additions have two forms, AVX-512 intrinsics on f32 and portable code, that
//! skip the same lanes and so give the same bits (tested).

use super::{
    accumulate_terms, bias_from_tasks, clear_touched, dots, first_layer, for_each_bit_total,
    members, row_pass, sort_rows, FusedChunk, Tables, Terms, FORWARD_ROWS, PATTERNS,
};
use crate::mlp::architecture::Mlp;
use crate::mlp::input::OneHotBits;
use crate::mlp::real::Real;

/// Widest padded row whose bucket sums are added row by row ([`scatters`]). Measured against
/// the sorted sums (BENCHMARKS.md, issue 19, fifth round): −29 % of a step at w = 9, −11 % at
/// w = 50, even at w = 59, but +4 % at w = 85, +18 % at w = 150 and +35 % at w = 300, where
/// a table of buckets (groups × 16 × w values) no longer stays in L2 beside the pattern
/// tables.
const SCATTER_STRIDE: usize = 64;

/// Whether the two-class step adds its bucket sums row by row (narrow rows) instead of
/// sorting the rows by pattern first.
pub(super) fn scatters<T>(tables: &Tables<T>) -> bool {
    tables.classes == 2 && tables.stride <= SCATTER_STRIDE
}

/// Bits of a ReLU mask word: one AVX-512 mask register of f32 lanes, so a word becomes a
/// mask with one `kmovw`.
const MASK_BITS: usize = 16;

/// A row's ReLU mask word.
type MaskWord = u16;

/// Words of a row's ReLU mask.
pub(super) fn mask_words(stride: usize) -> usize {
    stride.div_ceil(MASK_BITS)
}

/// Loss (sum over the chunk's rows) and the chunk's gradient, as `super::gradient_rows`
/// for two classes. `AVX512`: this instantiation may use AVX-512 intrinsics.
#[inline(always)]
pub(super) fn gradient_rows<T: Real, const AVX512: bool>(
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
    let (stride, width) = (tables.stride, tables.width);
    let words = mask_words(stride);
    let weights0 = mlp.weight_range(0).start;
    let groups = tables.groups;
    let scatter = scatters(tables);
    clear_touched(chunk);
    // Σ_rows δ₁·h: dW₁ᵀ[1], and −dW₁ᵀ[0].
    chunk.output_gradient[..stride].fill(T::ZERO);
    let mut delta_sum = T::ZERO;
    // d mean CE / dz₁ = (p₁ − 1[y = 1]) / B (softmax cross-entropy).
    let scale = T::from_f64(1.0 / total_rows as f64);
    let mut loss_sum = 0.0;
    let difference_row = &tables.difference_row[..];
    if scatter {
        // Cleared as read by the previous chunk (so not a pass over the table here), unless
        // it stopped before that.
        if chunk.buckets_dirty {
            chunk.buckets.fill(T::ZERO);
        }
        chunk.buckets_dirty = true;
        row_pass::<T, false>(tables, binary, start, rows, chunk);
    } else {
        row_pass::<T, true>(tables, binary, start, rows, chunk);
    }
    for first in (0..rows).step_by(FORWARD_ROWS) {
        let last = (first + FORWARD_ROWS).min(rows);
        first_layer(tables, chunk, first, last);
        // The rest of the rows in three passes over the block, not row after row: a row's
        // logit difference is one chain of w/8 additions (its order fixed by `dot`) and its
        // loss a chain of exp, division and log, and in passes of their own the rows'
        // chains overlap (−4 to −10 % of a step at w ≤ 64, −2 to −4 % at w = 300; same bits:
        // BENCHMARKS.md, issue 19, sixth round). `row_deltas` holds d, then δ₁.
        dots(
            &chunk.delta_hidden[first * stride..last * stride],
            stride,
            difference_row,
            tables.bias_difference,
            &mut chunk.row_deltas[first..last],
        );
        for row in first..last {
            let (loss, slope) = cross_entropy(chunk.row_deltas[row], labels[start + row]);
            loss_sum += loss.to_f64();
            chunk.row_deltas[row] = slope * scale;
        }
        for row in first..last {
            let hidden = &chunk.delta_hidden[row * stride..(row + 1) * stride];
            let delta = chunk.row_deltas[row];
            delta_sum += delta;
            for (sum, &h) in chunk.output_gradient[..stride].iter_mut().zip(hidden) {
                *sum += delta * h;
            }
            let mask = &mut chunk.row_masks[row * words..(row + 1) * words];
            relu_mask::<T, AVX512>(hidden, mask);
            // The one-hot part: Σ δ₁·m per task, into the touched task rows only (v later).
            let task = chunk.row_tasks[row] as usize;
            let task_sum = &mut gradient[weights0 + task * width..][..width];
            if !chunk.is_touched[task] {
                chunk.is_touched[task] = true;
                chunk.touched.push(task as u32);
                task_sum.fill(T::ZERO);
            }
            add_masked::<T, AVX512>(task_sum, mask, delta);
            if scatter {
                add_to_buckets::<T, AVX512>(
                    &mut chunk.buckets,
                    &chunk.row_offsets[row * groups..(row + 1) * groups],
                    stride,
                    mask,
                    delta,
                );
            }
        }
    }
    let bit_rows = &mut gradient[weights0..];
    if scatter {
        over_blocks!(stride, |column, L, _S| bits_from_buckets::<T, L>(
            tables,
            &mut chunk.buckets,
            column,
            bit_rows
        ));
        chunk.buckets_dirty = false;
    } else {
        sort_rows(tables, rows, chunk);
        over_blocks!(wide, stride, |column, L, S| bits_block::<T, L, S, AVX512>(
            tables, rows, chunk, column, bit_rows
        ));
    }
    for &task in &chunk.touched {
        let task_row = &mut gradient[weights0 + task as usize * width..][..width];
        for (g, &v) in task_row.iter_mut().zip(difference_row) {
            *g = *g * v;
        }
    }
    bias_from_tasks(mlp, chunk, gradient);
    let output_weights = mlp.weight_range(1).start;
    for (i, &sum) in chunk.output_gradient[..width].iter().enumerate() {
        gradient[output_weights + 2 * i] = -sum;
        gradient[output_weights + 2 * i + 1] = sum;
    }
    let output_bias = mlp.bias_range(1).start;
    gradient[output_bias] = -delta_sum;
    gradient[output_bias + 1] = delta_sum;
    loss_sum
}

/// A row's cross-entropy and its slope dLoss/dd = p₁ − 1[y = 1], from the logits'
/// difference d = z₁ − z₀, in the model's precision (docs/quanta.md, "The fused step for
/// two classes"). With s = d for y = 0 and s = −d for y = 1 (the other logit minus the
/// label's), loss = ln(1 + eˢ) = max(s, 0) + ln(1 + e^−|s|) and the slope is ±σ(s), σ the
/// logistic function: one `exp` serves both, and neither loses digits to cancellation.
/// ln(1 + e) rather than ln_1p(e) (twice the cost in f32): for |d| > 17, where 1 + e rounds
/// to 1 in f32, the loss is off by e < 6·10⁻⁸ nats; the slope keeps full precision (a row
/// predicted right has slope −σ(−d), not p₁ − 1 rounded to 0; below 10⁻³⁸ it and its
/// products are flushed to zero, `superscale_kernels::SubnormalsFlushed`).
#[inline(always)]
fn cross_entropy<T: Real>(difference: T, label: u32) -> (T, T) {
    let s = if label == 1 { -difference } else { difference };
    let magnitude = if s < T::ZERO { -s } else { s };
    let small = (-magnitude).exp();
    let one = T::from_f64(1.0);
    let total = one + small;
    // σ(s) = 1 / (1 + e^−s) for s ≥ 0, e^s / (1 + e^s) below: each from e^−|s|.
    let sigma = if s < T::ZERO {
        small / total
    } else {
        one / total
    };
    let positive = if s > T::ZERO { s } else { T::ZERO };
    let loss = positive + total.ln();
    let slope = if label == 1 { -sigma } else { sigma };
    (loss, slope)
}

/// Whether bit `i` of a mask word is set.
#[inline(always)]
fn is_set(bits: MaskWord, i: usize) -> bool {
    (bits >> i) & 1 == 1
}

/// A row's ReLU mask: bit i mod 16 of word i / 16 is 1[h_i > 0] (`hidden` is a padded row,
/// a multiple of 16 values).
#[inline(always)]
fn relu_mask<T: Real, const AVX512: bool>(hidden: &[T], mask: &mut [MaskWord]) {
    #[cfg(target_arch = "x86_64")]
    if AVX512 {
        if let Some(hidden) = T::as_f32(hidden) {
            // SAFETY: AVX512 is set only in the instantiation compiled for AVX-512F/BW/VL,
            // which runs only on a CPU that has them.
            #[allow(unsafe_code)]
            unsafe {
                avx512::relu_mask(hidden, mask)
            };
            return;
        }
    }
    for (word, lanes) in mask.iter_mut().zip(hidden.chunks(MASK_BITS)) {
        let mut bits: MaskWord = 0;
        for (i, &h) in lanes.iter().enumerate() {
            bits |= MaskWord::from(h > T::ZERO) << i;
        }
        *word = bits;
    }
}

/// out[i] += δ where bit i mod 16 of `mask[i / 16]` is set (the others untouched): a task
/// row here, a bucket term in [`MaskedTerms`]. With AVX-512 every whole word and a last half
/// word go through the intrinsics, the few values after them (a task row of a width not a
/// multiple of 8) through the portable twin.
#[inline(always)]
fn add_masked<T: Real, const AVX512: bool>(out: &mut [T], mask: &[MaskWord], delta: T) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if AVX512 {
        let lanes = out.len() / (MASK_BITS / 2) * (MASK_BITS / 2);
        if let Some(values) = T::as_f32_mut(&mut out[..lanes]) {
            // SAFETY: AVX512 is set only in the instantiation compiled for AVX-512F/BW/VL,
            // which runs only on a CPU that has them.
            #[allow(unsafe_code)]
            unsafe {
                avx512::add_masked(values, mask, delta.to_f64() as f32)
            };
            done = lanes;
        }
    }
    for (i, out) in out.iter_mut().enumerate().skip(done) {
        let bits = mask[i / MASK_BITS];
        // A select, not a branch: the bits are data, mispredicted half the time.
        *out = if is_set(bits, i % MASK_BITS) {
            *out + delta
        } else {
            *out
        };
    }
}

/// Rows' δ₁·m, for the rows `members` lists, over the mask words from `first`.
struct MaskedTerms<'a, T, const AVX512: bool> {
    members: &'a [u32],
    deltas: &'a [T],
    masks: &'a [MaskWord],
    words: usize,
    first: usize,
}

impl<T: Real, const L: usize, const AVX512: bool> Terms<T, L> for MaskedTerms<'_, T, AVX512> {
    #[inline(always)]
    fn add(&self, index: usize, acc: &mut [T; L]) {
        let row = at(self.members, index) as usize;
        let delta = at(self.deltas, row);
        let row_words = row * self.words + self.first;
        let masks = &self.masks[row_words..row_words + L.div_ceil(MASK_BITS)];
        add_masked::<T, AVX512>(&mut acc[..], masks, delta);
    }
}

/// `values[index]`, unchecked: a bucket term is one member index, one δ and one masked add
/// per 16 lanes, and a bounds check on each load would add to every term.
#[inline(always)]
fn at<V: Copy>(values: &[V], index: usize) -> V {
    debug_assert!(index < values.len(), "{index} out of {}", values.len());
    // SAFETY: a member is a row of the chunk (< rows, the length of `deltas`), and an index
    // into `members` is below its length (checked in debug builds).
    #[allow(unsafe_code)]
    unsafe {
        *values.get_unchecked(index)
    }
}

/// The bit rows of dW₀ for columns `column..column + L`: per group, Σ δ₁·m per pattern
/// bucket, then bit b's row = v ⊙ Σ of the buckets whose pattern holds b (increasing
/// pattern). `gradient` starts at W₀.
#[inline(always)]
fn bits_block<T: Real, const L: usize, const S: usize, const AVX512: bool>(
    tables: &Tables<T>,
    rows: usize,
    chunk: &FusedChunk<T>,
    column: usize,
    gradient: &mut [T],
) {
    let words = mask_words(tables.stride);
    // Every block starts and ends at a multiple of 16 (blocks of 128, 64, 32 and 16 over a
    // row padded to 16), so its lanes are whole mask words from `first`.
    debug_assert!(column.is_multiple_of(MASK_BITS));
    let first = column / MASK_BITS;
    let (deltas, masks) = (&chunk.row_deltas[..rows], &chunk.row_masks[..rows * words]);
    let mut buckets = [[T::ZERO; L]; PATTERNS];
    for group in 0..tables.groups {
        // Pattern 0 holds no bit: its bucket is never read (it stays zero).
        for (pattern, bucket) in buckets.iter_mut().enumerate().skip(1) {
            let members = members(chunk, rows, group, pattern);
            let terms = MaskedTerms::<T, AVX512> {
                members,
                deltas,
                masks,
                words,
                first,
            };
            *bucket = accumulate_terms::<T, L, S>(None, members.len(), &terms);
        }
        write_bit_rows(tables, group, &buckets, column, gradient);
    }
}

/// The bit rows of dW₀ for columns `column..column + L` from the buckets
/// [`add_to_buckets`] summed (`groups × PATTERNS × stride`): each group's 16 bucket slices
/// are copied into the shape [`bits_block`] sums into, and finished the same way. The
/// slices are cleared as they are read, for the next chunk: they are in L1 then, while a
/// separate pass over the table would load it again.
#[inline(always)]
fn bits_from_buckets<T: Real, const L: usize>(
    tables: &Tables<T>,
    sums: &mut [T],
    column: usize,
    gradient: &mut [T],
) {
    let stride = tables.stride;
    let mut buckets = [[T::ZERO; L]; PATTERNS];
    for group in 0..tables.groups {
        for (pattern, bucket) in buckets.iter_mut().enumerate() {
            let sum = &mut sums[(group * PATTERNS + pattern) * stride + column..][..L];
            // Pattern 0 holds no bit: its bucket is never read (it stays zero here).
            if pattern > 0 {
                bucket.copy_from_slice(sum);
            }
            sum.fill(T::ZERO);
        }
        write_bit_rows(tables, group, &buckets, column, gradient);
    }
}

/// Bit b's row of dW₀ over columns `column..column + L` (the valid ones) = v ⊙ Σ of its
/// group's buckets whose pattern holds b, for every bit of `group`. `gradient` starts at W₀.
#[inline(always)]
fn write_bit_rows<T: Real, const L: usize>(
    tables: &Tables<T>,
    group: usize,
    buckets: &[[T; L]; PATTERNS],
    column: usize,
    gradient: &mut [T],
) {
    let width = tables.width;
    let valid = width.saturating_sub(column).min(L);
    let difference = &tables.difference_row[column..column + L];
    for_each_bit_total(tables, group, buckets, |bit, total| {
        let out = &mut gradient[(tables.one_hot + bit) * width + column..][..valid];
        for ((out, &sum), &v) in out.iter_mut().zip(total).zip(difference) {
            *out = sum * v;
        }
    });
}

/// buckets[o + i] += δ where bit i mod 16 of `mask[i / 16]` is set, for every offset o of
/// `offsets` (a row's (group, pattern) buckets, one per group) and i < `stride`. The
/// AVX-512 form runs mask word by mask word over the offsets, so a word is loaded once per
/// row; each lane is added to at most once per row either way, so the twins' orders give
/// the same bits.
#[inline(always)]
fn add_to_buckets<T: Real, const AVX512: bool>(
    buckets: &mut [T],
    offsets: &[u32],
    stride: usize,
    mask: &[MaskWord],
    delta: T,
) {
    #[cfg(target_arch = "x86_64")]
    if AVX512 {
        if let Some(values) = T::as_f32_mut(buckets) {
            // SAFETY: AVX512 is set only in the instantiation compiled for AVX-512F/BW/VL,
            // which runs only on a CPU that has them.
            #[allow(unsafe_code)]
            unsafe {
                avx512::add_to_buckets(values, offsets, stride, mask, delta.to_f64() as f32)
            };
            return;
        }
    }
    for &offset in offsets {
        let bucket = &mut buckets[offset as usize..][..stride];
        add_masked::<T, false>(bucket, mask, delta);
    }
}

/// The masked kernels in AVX-512 intrinsics: a mask word is a mask register, and an
/// addition under it leaves the other lanes as they are, as the portable twins do.
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{MaskWord, MASK_BITS};
    use std::arch::x86_64::{
        _mm256_loadu_ps, _mm256_mask_add_ps, _mm256_set1_ps, _mm256_storeu_ps, _mm512_cmp_ps_mask,
        _mm512_loadu_ps, _mm512_mask_add_ps, _mm512_set1_ps, _mm512_setzero_ps, _mm512_storeu_ps,
        _CMP_GT_OQ,
    };

    /// `mask[j]` = 1[h > 0] over lanes 16j…16j + 15 (`hidden` a padded row, a multiple of
    /// 16 long).
    ///
    /// # Safety
    /// The CPU must have AVX-512F and AVX-512VL.
    #[inline(always)]
    #[allow(unsafe_code)]
    pub(super) unsafe fn relu_mask(hidden: &[f32], mask: &mut [MaskWord]) {
        assert!(hidden.len().is_multiple_of(MASK_BITS));
        for (word, lanes) in mask.iter_mut().zip(hidden.chunks_exact(MASK_BITS)) {
            // SAFETY: `lanes` holds 16 values.
            *word = unsafe {
                _mm512_cmp_ps_mask::<_CMP_GT_OQ>(
                    _mm512_loadu_ps(lanes.as_ptr()),
                    _mm512_setzero_ps(),
                )
            };
        }
    }

    /// buckets[o + 16j + i] += δ where bit i of `mask[j]` is set, for every offset o and
    /// 16j + i < `stride` (a padded row, a multiple of 16): mask word by mask word, each
    /// over all the offsets.
    ///
    /// # Safety
    /// The CPU must have AVX-512F and AVX-512VL.
    #[inline(always)]
    #[allow(unsafe_code)]
    pub(super) unsafe fn add_to_buckets(
        buckets: &mut [f32],
        offsets: &[u32],
        stride: usize,
        mask: &[MaskWord],
        delta: f32,
    ) {
        let whole = stride / MASK_BITS;
        assert!(stride.is_multiple_of(MASK_BITS));
        assert!(mask.len() >= whole);
        // Once per row, about 25 compares: it keeps the unchecked accesses below sound.
        assert!(offsets
            .iter()
            .all(|&offset| offset as usize + stride <= buckets.len()));
        let lanes = buckets.as_mut_ptr();
        // SAFETY: the asserts keep every access inside `buckets` and `mask`.
        unsafe {
            let wide = _mm512_set1_ps(delta);
            for j in 0..whole {
                let bits = *mask.get_unchecked(j);
                for &offset in offsets {
                    let at = lanes.add(offset as usize + j * MASK_BITS);
                    let values = _mm512_loadu_ps(at);
                    _mm512_storeu_ps(at, _mm512_mask_add_ps(values, bits, values, wide));
                }
            }
        }
    }

    /// out[16j + i] += δ where bit i of `mask[j]` is set, over all of `out`: whole words of
    /// 16 values, then a last half word of 8 if `out` ends with one.
    ///
    /// # Safety
    /// The CPU must have AVX-512F and AVX-512VL.
    #[inline(always)]
    #[allow(unsafe_code)]
    pub(super) unsafe fn add_masked(out: &mut [f32], mask: &[MaskWord], delta: f32) {
        let whole = out.len() / MASK_BITS;
        let half = out.len() % MASK_BITS == MASK_BITS / 2;
        assert!(out.len().is_multiple_of(MASK_BITS) || half);
        assert!(mask.len() >= whole + usize::from(half));
        let lanes = out.as_mut_ptr();
        // SAFETY: the asserts keep every access inside `out` and `mask`.
        unsafe {
            let wide = _mm512_set1_ps(delta);
            for j in 0..whole {
                let at = lanes.add(j * MASK_BITS);
                let values = _mm512_loadu_ps(at);
                let bits = *mask.get_unchecked(j);
                _mm512_storeu_ps(at, _mm512_mask_add_ps(values, bits, values, wide));
            }
            if half {
                let at = lanes.add(whole * MASK_BITS);
                let values = _mm256_loadu_ps(at);
                let bits = *mask.get_unchecked(whole) as u8;
                let narrow = _mm256_set1_ps(delta);
                _mm256_storeu_ps(at, _mm256_mask_add_ps(values, bits, values, narrow));
            }
        }
    }
}
