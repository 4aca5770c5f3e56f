//! Damaged safetensors and `.npy` files (a header that lies about sizes, truncation at
//! every length, corrupted bytes, tensors that are not matrices or not floats): errors that
//! name the file and tensor, never a panic or an out-of-bounds read. GGUF: `tests/gguf.rs`.

use safetensors::tensor::TensorView;
use safetensors::Dtype;
use std::path::Path;
use superscale_weights::{write_npy, Error, Orientation, WeightFile};

fn read_all(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let file = WeightFile::from_bytes(path, bytes.to_vec())?;
    for tensor in file.tensors()? {
        file.matrix(&tensor.name, Orientation::Rows)?;
    }
    Ok(())
}

fn matrix_bytes() -> Vec<u8> {
    (0..15)
        .flat_map(|i| (i as f32 * 0.25).to_le_bytes())
        .collect()
}

fn safetensors_file() -> Vec<u8> {
    let w = matrix_bytes();
    safetensors::serialize(
        vec![("w", TensorView::new(Dtype::F32, vec![5, 3], &w).unwrap())],
        None,
    )
    .unwrap()
}

/// Replaces `from` by `to` (same length or not) in the JSON header, fixing its length field.
fn edit_header(file: &[u8], from: &str, to: &str) -> Vec<u8> {
    let len = u64::from_le_bytes(file[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&file[8..8 + len]).unwrap();
    assert!(header.contains(from), "{header}");
    let header = header.replace(from, to);
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header.as_bytes());
    out.extend(&file[8 + len..]);
    out
}

#[test]
fn safetensors_headers_that_lie() {
    let path = Path::new("model.safetensors");
    let good = safetensors_file();
    assert!(read_all(path, &good).is_ok());
    let cases = [
        // data_offsets past the end of the data
        edit_header(&good, "[0,60]", "[0,6000]"),
        // a shape whose size disagrees with the offsets
        edit_header(&good, "[5,3]", "[5,4]"),
        // offsets that overlap / run backwards
        edit_header(&good, "[0,60]", "[60,0]"),
        // not JSON
        edit_header(&good, "{", "["),
    ];
    for bytes in cases {
        let err = read_all(path, &bytes).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("model.safetensors"), "{err}");
    }
}

#[test]
fn every_truncation_and_byte_corruption_is_an_error_not_a_panic() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("model.safetensors", safetensors_file()),
        ("w.npy", write_npy("<f4", &[5, 3], &matrix_bytes())),
    ];
    for (name, good) in cases {
        let path = Path::new(name);
        for len in 0..good.len() {
            let err = read_all(path, &good[..len]).unwrap_err();
            assert!(
                matches!(err, Error::Corrupt { .. }),
                "{name}[..{len}]: {err}"
            );
            assert!(err.to_string().contains(name), "{err}");
        }
        for at in 0..good.len() {
            for value in [0x00, 0xFF, b'9', b'"'] {
                let mut bytes = good.clone();
                bytes[at] = value;
                let _ = read_all(path, &bytes);
            }
        }
    }
}

#[test]
fn npy_shapes_and_dtypes_that_do_not_fit() {
    let data = matrix_bytes();
    // The header claims more data than there is.
    let err = read_all(Path::new("w.npy"), &write_npy("<f4", &[50, 3], &data)).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }) && err.to_string().contains("truncated"));
    // A shape whose product overflows.
    let huge = write_npy("<f4", &[usize::MAX, 3], &data);
    assert!(matches!(
        read_all(Path::new("w.npy"), &huge),
        Err(Error::Corrupt { .. })
    ));
    // Not 2-D, and not a float: named errors for the tensor.
    let cube = write_npy("<f4", &[5, 3, 1], &data);
    let err = read_all(Path::new("cube.npy"), &cube).unwrap_err();
    assert!(matches!(err, Error::NotMatrix { .. }), "{err}");
    assert!(err.to_string().contains("cube.npy") && err.to_string().contains("\"array\""));
    let complex = write_npy("<c8", &[5, 1], &data[..40]);
    let err = read_all(Path::new("c.npy"), &complex).unwrap_err();
    assert!(matches!(err, Error::UnsupportedDtype { .. }), "{err}");
    // A safetensors tensor that is not a matrix, and one of integers.
    let ints = vec![0u8; 24];
    let bytes = safetensors::serialize(
        vec![
            (
                "vector",
                TensorView::new(Dtype::F32, vec![6], &ints).unwrap(),
            ),
            (
                "ids",
                TensorView::new(Dtype::I64, vec![3, 1], &ints).unwrap(),
            ),
        ],
        None,
    )
    .unwrap();
    let file = WeightFile::from_bytes(Path::new("m.safetensors"), bytes).unwrap();
    let err = file.matrix("vector", Orientation::Rows).unwrap_err();
    assert!(matches!(err, Error::NotMatrix { .. }) && err.to_string().contains("vector"));
    let err = file.matrix("ids", Orientation::Rows).unwrap_err();
    assert!(matches!(err, Error::UnsupportedDtype { .. }) && err.to_string().contains("I64"));
    // An unknown extension.
    assert!(matches!(
        WeightFile::from_bytes(Path::new("w.pt"), vec![1, 2, 3]),
        Err(Error::UnknownFormat { .. })
    ));
}
