//! Element types and their conversion to f64.

/// The element types a weight matrix may be stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DType {
    /// IEEE double
    F64,
    /// IEEE single
    F32,
    /// IEEE half
    F16,
    /// bfloat16 (the top half of an f32)
    BF16,
}

impl DType {
    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::F64 => 8,
            DType::F32 => 4,
            DType::F16 | DType::BF16 => 2,
        }
    }

    /// The name as printed in listings.
    pub fn name(self) -> &'static str {
        match self {
            DType::F64 => "f64",
            DType::F32 => "f32",
            DType::F16 => "f16",
            DType::BF16 => "bf16",
        }
    }
}

/// Converts `bytes` (a whole number of elements, little- or big-endian) to f64.
pub(crate) fn to_f64(bytes: &[u8], dtype: DType, big_endian: bool) -> Vec<f64> {
    let size = dtype.size();
    let chunks = bytes.chunks_exact(size);
    macro_rules! convert {
        ($n:literal, $f:expr) => {
            chunks
                .map(|c| {
                    let mut a = [0u8; $n];
                    a.copy_from_slice(c);
                    if big_endian {
                        a.reverse();
                    }
                    $f(a)
                })
                .collect()
        };
    }
    match dtype {
        DType::F64 => convert!(8, f64::from_le_bytes),
        DType::F32 => convert!(4, |a| f64::from(f32::from_le_bytes(a))),
        DType::F16 => convert!(2, |a| f64::from(half::f16::from_le_bytes(a))),
        DType::BF16 => convert!(2, |a| f64::from(half::bf16::from_le_bytes(a))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_each_dtype_both_endians() {
        let x = [1.5f64, -0.25, 3.0];
        let f32_le: Vec<u8> = x.iter().flat_map(|&v| (v as f32).to_le_bytes()).collect();
        let f32_be: Vec<u8> = x.iter().flat_map(|&v| (v as f32).to_be_bytes()).collect();
        let f16: Vec<u8> = x
            .iter()
            .flat_map(|&v| half::f16::from_f64(v).to_le_bytes())
            .collect();
        let bf16: Vec<u8> = x
            .iter()
            .flat_map(|&v| half::bf16::from_f64(v).to_le_bytes())
            .collect();
        assert_eq!(to_f64(&f32_le, DType::F32, false), x);
        assert_eq!(to_f64(&f32_be, DType::F32, true), x);
        assert_eq!(to_f64(&f16, DType::F16, false), x);
        assert_eq!(to_f64(&bf16, DType::BF16, false), x);
    }
}
