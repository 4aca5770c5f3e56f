//! A small reader of the NumPy `.npy` format (version 1, 2 and 3 headers): the header is a
//! Python dict literal with `descr`, `fortran_order` and `shape`, and the data follows it.

use crate::dtype::DType;

/// What an `.npy` header says about the array after it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NpyHeader {
    /// the `descr` string as written, e.g. `<f4`
    pub descr: String,
    /// the element type, `None` when not a supported float
    pub dtype: Option<DType>,
    /// whether the elements are big-endian
    pub big_endian: bool,
    /// whether the data is column-major
    pub fortran_order: bool,
    /// the array's shape
    pub shape: Vec<usize>,
    /// where the data starts
    pub data_offset: usize,
}

const MAGIC: &[u8] = b"\x93NUMPY";

/// Parses the header of an `.npy` file held in `bytes`, and checks the data is all there.
pub(crate) fn parse_header(bytes: &[u8]) -> Result<NpyHeader, String> {
    let header = parse_header_only(bytes)?;
    if let Some(needed) = header.data_bytes()? {
        let have = bytes.len() - header.data_offset;
        if have < needed {
            return Err(format!(
                "truncated data: shape {:?} of {} needs {needed} bytes, file has {have}",
                header.shape,
                header.dtype.map_or("?", |dtype| dtype.name())
            ));
        }
    }
    Ok(header)
}

/// The length of the header that starts `prefix` (its first 12 bytes or more): where the
/// data starts. Lets a reader of a stream read exactly the header before the data.
pub(crate) fn header_end(prefix: &[u8]) -> Result<usize, String> {
    if prefix.len() < 10 || &prefix[..6] != MAGIC {
        return Err("missing the \\x93NUMPY magic".into());
    }
    match prefix[6] {
        1 => Ok(10 + usize::from(u16::from_le_bytes([prefix[8], prefix[9]]))),
        2 | 3 if prefix.len() >= 12 => {
            let len = u32::from_le_bytes([prefix[8], prefix[9], prefix[10], prefix[11]]);
            usize::try_from(len)
                .ok()
                .and_then(|len| len.checked_add(12))
                .ok_or_else(|| "header too long".to_string())
        }
        2 | 3 => Err("truncated header".into()),
        other => Err(format!("unsupported .npy version {other}")),
    }
}

impl NpyHeader {
    /// The bytes of data the shape declares, for a supported float type (`None` for
    /// another type, whose data is never read).
    pub(crate) fn data_bytes(&self) -> Result<Option<usize>, String> {
        let Some(dtype) = self.dtype else {
            return Ok(None);
        };
        self.shape
            .iter()
            .try_fold(dtype.size(), |acc, &d| acc.checked_mul(d))
            .map(Some)
            .ok_or_else(|| "shape overflows".to_string())
    }
}

/// Parses the header at the start of `bytes`, which may hold none of the data.
pub(crate) fn parse_header_only(bytes: &[u8]) -> Result<NpyHeader, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("missing the \\x93NUMPY magic".into());
    }
    let major = bytes[6];
    let (len, start) = match major {
        1 => (
            usize::from(u16::from_le_bytes([bytes[8], bytes[9]])),
            10usize,
        ),
        2 | 3 => {
            if bytes.len() < 12 {
                return Err("truncated header".into());
            }
            let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
            (usize::try_from(len).map_err(|_| "header too long")?, 12)
        }
        other => return Err(format!("unsupported .npy version {other}")),
    };
    let end = start
        .checked_add(len)
        .filter(|&end| end <= bytes.len())
        .ok_or("truncated header")?;
    let text = std::str::from_utf8(&bytes[start..end]).map_err(|_| "header is not text")?;
    let descr = quoted_value(text, "descr").ok_or("header has no 'descr'")?;
    let fortran_order = match after_key(text, "fortran_order") {
        Some(rest) if rest.starts_with("True") => true,
        Some(rest) if rest.starts_with("False") => false,
        _ => return Err("header has no 'fortran_order'".into()),
    };
    let shape = parse_shape(text)?;
    let (big_endian, kind) = match descr.as_bytes().first() {
        Some(b'>') => (true, &descr[1..]),
        Some(b'<' | b'|' | b'=') => (false, &descr[1..]),
        _ => (false, descr.as_str()),
    };
    let dtype = match kind {
        "f8" => Some(DType::F64),
        "f4" => Some(DType::F32),
        "f2" => Some(DType::F16),
        // ml_dtypes writes bfloat16 arrays with this descr
        "V2" if descr.contains("bfloat16") => Some(DType::BF16),
        _ => None,
    };
    let header = NpyHeader {
        descr,
        dtype,
        big_endian,
        fortran_order,
        shape,
        data_offset: end,
    };
    Ok(header)
}

/// The text right after `'key':` (skipping spaces).
fn after_key<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let pattern_single = format!("'{key}'");
    let pattern_double = format!("\"{key}\"");
    let at = text
        .find(&pattern_single)
        .map(|i| i + pattern_single.len())
        .or_else(|| text.find(&pattern_double).map(|i| i + pattern_double.len()))?;
    let rest = text[at..].trim_start().strip_prefix(':')?;
    Some(rest.trim_start())
}

fn quoted_value(text: &str, key: &str) -> Option<String> {
    let rest = after_key(text, key)?;
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &rest[1..];
    Some(body[..body.find(quote)?].to_string())
}

fn parse_shape(text: &str) -> Result<Vec<usize>, String> {
    let rest = after_key(text, "shape").ok_or("header has no 'shape'")?;
    let body = rest.strip_prefix('(').ok_or("shape is not a tuple")?;
    let body = &body[..body.find(')').ok_or("shape is not a tuple")?];
    body.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("bad shape entry {s:?}"))
        })
        .collect()
}

/// Writes a little-endian v1 `.npy` file of `data` (already in bytes) with the given
/// `descr` and shape: used by tests and fixtures.
pub fn write_npy(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let tuple = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {tuple}, }}");
    // Pad with spaces so the data starts on a 64-byte boundary, ending in a newline.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(
        &u16::try_from(header.len())
            .unwrap_or(u16::MAX)
            .to_le_bytes(),
    );
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_header_and_rejects_truncation() {
        let data: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let bytes = write_npy("<f4", &[2, 3], &data);
        assert_eq!(bytes[..10 + usize::from(bytes[8])].len() % 64, 0);
        let header = parse_header(&bytes).unwrap();
        assert_eq!(header.shape, vec![2, 3]);
        assert_eq!(header.dtype, Some(DType::F32));
        assert!(!header.fortran_order && !header.big_endian);
        assert_eq!(bytes.len() - header.data_offset, 24);
        assert!(parse_header(&bytes[..bytes.len() - 1])
            .unwrap_err()
            .contains("truncated"));
        assert!(parse_header(&bytes[..20]).is_err());
        assert!(parse_header(b"not numpy at all").is_err());
        let header = parse_header(&write_npy(">f8", &[5], &[0; 40])).unwrap();
        assert_eq!((header.shape, header.big_endian), (vec![5], true));
        let header = parse_header(&write_npy("<i4", &[2, 2], &[0; 16])).unwrap();
        assert_eq!(header.dtype, None);
    }
}
