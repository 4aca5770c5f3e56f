//! Dequantisation of ggml tensor types to f32, block by block, as ggml's reference
//! `dequantize_row_*` functions do (ggml/src/ggml-quants.c; block layouts in
//! ggml/src/ggml-common.h). Every block starts with little-endian f16 scales; within a
//! 32-element 4-bit block the low nibbles of the 16 bytes are elements 0..15 and the high
//! nibbles elements 16..31. All arithmetic is f32 in ggml's order, so results are
//! bit-identical to ggml and to the `gguf` Python package's numpy dequantisation.

use half::{bf16, f16};

/// The ggml element types superscale can dequantise (ids from ggml.h `enum ggml_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgmlType {
    /// 0: IEEE single
    F32,
    /// 1: IEEE half
    F16,
    /// 2: blocks of 32: f16 d, 16 bytes of nibbles; x = (q − 8)·d
    Q4_0,
    /// 3: blocks of 32: f16 d, f16 m, 16 bytes of nibbles; x = q·d + m
    Q4_1,
    /// 8: blocks of 32: f16 d, 32 × i8; x = q·d
    Q8_0,
    /// 12: super-blocks of 256: f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes
    Q4K,
    /// 14: super-blocks of 256: 128 bytes low nibbles, 64 bytes high 2 bits, 16 × i8 scales, f16 d
    Q6K,
    /// 30: bfloat16
    BF16,
}

impl GgmlType {
    /// The type with ggml id `id`, if superscale reads it.
    pub fn from_id(id: u32) -> Option<Self> {
        Some(match id {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            8 => GgmlType::Q8_0,
            12 => GgmlType::Q4K,
            14 => GgmlType::Q6K,
            30 => GgmlType::BF16,
            _ => return None,
        })
    }

    /// (elements per block, bytes per block).
    pub fn block(self) -> (usize, usize) {
        match self {
            GgmlType::F32 => (1, 4),
            GgmlType::F16 | GgmlType::BF16 => (1, 2),
            GgmlType::Q4_0 => (32, 18),
            GgmlType::Q4_1 => (32, 20),
            GgmlType::Q8_0 => (32, 34),
            GgmlType::Q4K => (256, 144),
            GgmlType::Q6K => (256, 210),
        }
    }

    /// The name ggml gives the type.
    pub fn name(self) -> &'static str {
        match self {
            GgmlType::F32 => "F32",
            GgmlType::F16 => "F16",
            GgmlType::Q4_0 => "Q4_0",
            GgmlType::Q4_1 => "Q4_1",
            GgmlType::Q8_0 => "Q8_0",
            GgmlType::Q4K => "Q4_K",
            GgmlType::Q6K => "Q6_K",
            GgmlType::BF16 => "BF16",
        }
    }
}

/// The name of any ggml type id, for listings and error messages.
pub fn ggml_type_name(id: u32) -> String {
    const NAMES: [&str; 31] = [
        "F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K",
        "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL",
        "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16",
    ];
    usize::try_from(id)
        .ok()
        .and_then(|i| NAMES.get(i))
        .map_or_else(|| format!("ggml type {id}"), |s| (*s).to_string())
}

fn half_at(bytes: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([bytes[at], bytes[at + 1]]).to_f32()
}

/// Dequantises `bytes` (a whole number of blocks) into `out` (elements of those blocks).
/// The caller checks the lengths: `bytes.len() / block bytes × block elements == out.len()`.
pub fn dequantize(kind: GgmlType, bytes: &[u8], out: &mut [f32]) {
    let (elements, size) = kind.block();
    for (block, y) in bytes.chunks_exact(size).zip(out.chunks_exact_mut(elements)) {
        match kind {
            GgmlType::F32 => {
                y[0] = f32::from_le_bytes([block[0], block[1], block[2], block[3]]);
            }
            GgmlType::F16 => y[0] = half_at(block, 0),
            GgmlType::BF16 => y[0] = bf16::from_le_bytes([block[0], block[1]]).to_f32(),
            GgmlType::Q4_0 => {
                let d = half_at(block, 0);
                for (j, &q) in block[2..18].iter().enumerate() {
                    y[j] = f32::from(i16::from(q & 0x0F) - 8) * d;
                    y[j + 16] = f32::from(i16::from(q >> 4) - 8) * d;
                }
            }
            GgmlType::Q4_1 => {
                let (d, m) = (half_at(block, 0), half_at(block, 2));
                for (j, &q) in block[4..20].iter().enumerate() {
                    y[j] = f32::from(q & 0x0F) * d + m;
                    y[j + 16] = f32::from(q >> 4) * d + m;
                }
            }
            GgmlType::Q8_0 => {
                let d = half_at(block, 0);
                for (j, &q) in block[2..34].iter().enumerate() {
                    y[j] = f32::from(i8::from_le_bytes([q])) * d;
                }
            }
            GgmlType::Q4K => dequantize_q4_k(block, y),
            GgmlType::Q6K => dequantize_q6_k(block, y),
        }
    }
}

/// ggml-quants.c `get_scale_min_k4`: the j-th 6-bit scale and min of a Q4_K block.
fn scale_min_k4(j: usize, q: &[u8]) -> (u8, u8) {
    if j < 4 {
        (q[j] & 63, q[j + 4] & 63)
    } else {
        (
            (q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4),
            (q[j + 4] >> 4) | ((q[j] >> 6) << 4),
        )
    }
}

/// ggml-quants.c `dequantize_row_q4_K`: four 64-element chunks, each the low then the high
/// nibbles of 32 bytes, with scale d·sc and offset −dmin·m per 32 elements.
fn dequantize_q4_k(block: &[u8], y: &mut [f32]) {
    let (d, dmin) = (half_at(block, 0), half_at(block, 2));
    let scales = &block[4..16];
    let qs = &block[16..144];
    for chunk in 0..4 {
        let (sc1, m1) = scale_min_k4(2 * chunk, scales);
        let (sc2, m2) = scale_min_k4(2 * chunk + 1, scales);
        let (d1, min1) = (d * f32::from(sc1), dmin * f32::from(m1));
        let (d2, min2) = (d * f32::from(sc2), dmin * f32::from(m2));
        let q = &qs[32 * chunk..32 * chunk + 32];
        let out = &mut y[64 * chunk..64 * chunk + 64];
        for l in 0..32 {
            out[l] = d1 * f32::from(q[l] & 0x0F) - min1;
            out[l + 32] = d2 * f32::from(q[l] >> 4) - min2;
        }
    }
}

/// ggml-quants.c `dequantize_row_q6_K`: two 128-element halves; element l of each 32-run
/// takes 4 low bits from `ql` and 2 high bits from `qh`, minus 32, times d·scale.
fn dequantize_q6_k(block: &[u8], y: &mut [f32]) {
    let d = half_at(block, 208);
    for half in 0..2 {
        let ql = &block[64 * half..64 * half + 64];
        let qh = &block[128 + 32 * half..128 + 32 * half + 32];
        let sc = &block[192 + 8 * half..192 + 8 * half + 8];
        let out = &mut y[128 * half..128 * half + 128];
        for l in 0..32 {
            let is = l / 16;
            let q1 = i16::from((ql[l] & 0x0F) | ((qh[l] & 3) << 4)) - 32;
            let q2 = i16::from((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
            let q3 = i16::from((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            let q4 = i16::from((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
            let scale = |k: usize| d * f32::from(i8::from_le_bytes([sc[is + k]]));
            out[l] = scale(0) * f32::from(q1);
            out[l + 32] = scale(2) * f32::from(q2);
            out[l + 64] = scale(4) * f32::from(q3);
            out[l + 96] = scale(6) * f32::from(q4);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn q4_0_nibble_order_and_offset() {
        // d = 0.5; byte j holds q = j (low) and 15 − j (high).
        let mut block = f16::from_f32(0.5).to_le_bytes().to_vec();
        block.extend((0u8..16).map(|j| j | ((15 - j) << 4)));
        let mut y = [0.0f32; 32];
        dequantize(GgmlType::Q4_0, &block, &mut y);
        for j in 0..16 {
            assert_eq!(y[j], (j as f32 - 8.0) * 0.5);
            assert_eq!(y[j + 16], ((15 - j) as f32 - 8.0) * 0.5);
        }
    }

    #[test]
    fn q4_1_and_q8_0_formulas() {
        let mut block = f16::from_f32(0.25).to_le_bytes().to_vec();
        block.extend(f16::from_f32(-1.0).to_le_bytes());
        block.extend((0u8..16).map(|j| j | (3 << 4)));
        let mut y = [0.0f32; 32];
        dequantize(GgmlType::Q4_1, &block, &mut y);
        assert_eq!((y[5], y[20]), (5.0 * 0.25 - 1.0, 3.0 * 0.25 - 1.0));
        let mut block = f16::from_f32(2.0).to_le_bytes().to_vec();
        block.extend((0..32).map(|j: i8| (j - 16).to_le_bytes()[0]));
        dequantize(GgmlType::Q8_0, &block, &mut y);
        assert_eq!((y[0], y[31]), (-32.0, 30.0));
    }

    #[test]
    fn k_quant_scales_unpack() {
        // Scales 0..3 and mins 0..3 are the low 6 bits of bytes 0..7; 4..7 combine byte
        // 8..11 nibbles with the top two bits of bytes 0..7.
        let q = [0b1100_0001, 2, 3, 4, 0b0100_0101, 6, 7, 8, 0x9A, 0, 0, 0];
        assert_eq!(scale_min_k4(0, &q), (1, 5));
        assert_eq!(scale_min_k4(4, &q), (0x0A | (3 << 4), 0x09 | (1 << 4)));
        assert_eq!(ggml_type_name(12), "Q4_K");
        assert_eq!(ggml_type_name(99), "ggml type 99");
    }
}
