//! The GGUF reader: a golden file written by the PyPI `gguf` package and its numpy
//! dequantisation (`reference/gen_gguf_golden.py`), synthetic files written here, and
//! damaged files that must give errors naming the file, never panics.

use std::path::{Path, PathBuf};
use superscale_weights::{write_gguf, Error, Orientation, WeightFile};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("superscale_gguf_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn golden_tensors_dequantise_bit_exactly_like_gguf_py() {
    let file = WeightFile::open(&data("golden.gguf")).unwrap();
    let expected = WeightFile::open(&data("golden_expected.npz")).unwrap();
    let listing = file.tensors().unwrap();
    let find = |name: &str| listing.iter().find(|t| t.name == name).unwrap();
    assert_eq!(find("w_q4_1").dtype, "Q4_1");
    assert_eq!(find("w_q6_k").dtype, "Q6_K");
    assert_eq!(find("cube").shape, vec![2, 3, 32]);
    assert_eq!(find("bias").shape, vec![32]);
    let names = [
        "token_embd.weight",
        "w_f16",
        "w_bf16",
        "w_q8_0",
        "w_q4_0",
        "w_q4_1",
        "w_q4_k",
        "w_q6_k",
    ];
    for name in names {
        let got = file.matrix(name, Orientation::Rows).unwrap();
        let want = expected.matrix(name, Orientation::Rows).unwrap();
        assert_eq!([got.rows, got.columns], want.stored_shape, "{name}");
        // Exact: both are ggml's f32 arithmetic in the same order.
        assert_eq!(got.data, want.data, "{name}");
    }
    // ne = [n_embd, n_vocab] = [64, 10]: rows are tokens; row i holds i + j/100.
    let embd = file.matrix("token_embd.weight", Orientation::Rows).unwrap();
    assert_eq!((embd.rows, embd.columns), (10, 64));
    assert_eq!(embd.data[3 * 64 + 5], f64::from(3.05f32));
    let columns = file
        .matrix("token_embd.weight", Orientation::Columns)
        .unwrap();
    assert_eq!((columns.rows, columns.columns), (64, 10));
    assert_eq!(columns.data[5 * 10 + 3], f64::from(3.05f32));
}

#[test]
fn golden_refusals_name_the_file_and_tensor() {
    let path = data("golden.gguf");
    let file = WeightFile::open(&path).unwrap();
    let err = file.matrix("w_q5_0", Orientation::Rows).unwrap_err();
    assert!(matches!(err, Error::UnsupportedDtype { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains("golden.gguf") && text.contains("w_q5_0") && text.contains("Q5_0"));
    for name in ["cube", "bias"] {
        let err = file.matrix(name, Orientation::Rows).unwrap_err();
        assert!(matches!(err, Error::NotMatrix { .. }), "{err}");
        assert!(err.to_string().contains(name));
    }
    let err = file.matrix("output.weight", Orientation::Rows).unwrap_err();
    assert!(matches!(err, Error::UnknownTensor { .. }), "{err}");
}

fn q4_0_block(d: f32, nibbles: impl Fn(usize) -> u8) -> Vec<u8> {
    let mut block = half::f16::from_f32(d).to_le_bytes().to_vec();
    block.extend((0..16).map(|j| nibbles(j) | (nibbles(j + 16) << 4)));
    block
}

#[test]
fn synthetic_v2_and_v3_files() {
    let dir = scratch("synthetic");
    // A 3 × 32 Q4_0 matrix whose element (i, j) is (q − 8)·0.5 with q = (i + j) % 16.
    let mut q = Vec::new();
    for i in 0..3 {
        q.extend(q4_0_block(0.5, |j| ((i + j) % 16) as u8));
    }
    let f32s: Vec<u8> = (0..8).flat_map(|v| (v as f32).to_le_bytes()).collect();
    let bytes = write_gguf(&[("small", &[4, 2], 0, &f32s), ("quantised", &[32, 3], 2, &q)]);
    for version in [2u32, 3] {
        let mut bytes = bytes.clone();
        bytes[4..8].copy_from_slice(&version.to_le_bytes());
        let path = dir.join(format!("v{version}.gguf"));
        std::fs::write(&path, &bytes).unwrap();
        let file = WeightFile::open(&path).unwrap();
        let small = file.matrix("small", Orientation::Rows).unwrap();
        assert_eq!((small.rows, small.columns), (2, 4));
        assert_eq!(small.data, (0..8).map(f64::from).collect::<Vec<_>>());
        let w = file.matrix("quantised", Orientation::Rows).unwrap();
        assert_eq!((w.rows, w.columns), (3, 32));
        for i in 0..3 {
            for j in 0..32 {
                let q = ((i + j) % 16) as f64;
                assert_eq!(w.data[i * 32 + j], (q - 8.0) * 0.5, "({i}, {j})");
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Reads `bytes` as the GGUF file `path` and every tensor in it; returns the first error.
/// (In memory: the same parser as a mapped file, without 10⁴ file writes.)
fn open_and_read(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let file = WeightFile::from_bytes(path, bytes.to_vec())?;
    for tensor in file.tensors()? {
        file.matrix(&tensor.name, Orientation::Rows)?;
    }
    Ok(())
}

fn corrupt_reason(path: &Path, bytes: &[u8]) -> String {
    match open_and_read(path, bytes) {
        Err(err @ Error::Corrupt { .. }) => {
            let text = err.to_string();
            assert!(text.contains("bad.gguf"), "{text}");
            text
        }
        other => panic!("expected a Corrupt error, got {other:?}"),
    }
}

#[test]
fn damaged_files_are_errors_never_panics() {
    let dir = scratch("damaged");
    let path = dir.join("bad.gguf");
    let good = std::fs::read(data("golden.gguf")).unwrap();
    // Every truncation: an error (or, past the last tensor's data, a readable file).
    for len in 0..good.len() {
        let result = open_and_read(&path, &good[..len]);
        assert!(
            matches!(
                result,
                Err(Error::Corrupt { .. })
                    | Err(Error::UnsupportedDtype { .. })
                    | Err(Error::NotMatrix { .. })
                    | Ok(())
            ),
            "length {len}: {result:?}"
        );
        if len < good.len() - 64 {
            assert!(
                matches!(result, Err(Error::Corrupt { .. })),
                "length {len}: {result:?}"
            );
        }
    }
    // Every single-byte corruption of the header region: no panic, whatever the result.
    for at in 0..good.len().min(1500) {
        for value in [0x00, 0xFF, 0x7F] {
            let mut bytes = good.clone();
            bytes[at] = value;
            let _ = open_and_read(&path, &bytes);
        }
    }
    let small: Vec<u8> = (0..8).flat_map(|v| (v as f32).to_le_bytes()).collect();
    let base = write_gguf(&[("w", &[4, 2], 0, &small)]);
    // Offsets of the fields of `write_gguf`'s layout.
    let tensor_count = 8;
    let key_len = 24;
    let name_len = 24 + 8 + 20 + 4 + 8 + 15;
    let dims_at = name_len + 8 + 1 + 4;
    let type_at = dims_at + 16;
    let offset_at = type_at + 4;
    let patch = |at: usize, value: &[u8]| {
        let mut bytes = base.clone();
        bytes[at..at + value.len()].copy_from_slice(value);
        bytes
    };
    assert_eq!(&base[name_len + 8..name_len + 9], b"w");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"GGML".iter().chain(&base[4..]).copied().collect(), "magic"),
        (patch(4, &1u32.to_le_bytes()), "version 1"),
        (patch(4, &3u32.to_be_bytes()), "unsupported GGUF version"),
        (
            patch(tensor_count, &u64::MAX.to_le_bytes()),
            "more than the file",
        ),
        (patch(key_len, &u64::MAX.to_le_bytes()), "truncated"),
        (
            patch(dims_at + 8, &1_000_000u64.to_le_bytes()),
            "run past the end",
        ),
        (patch(dims_at, &u64::MAX.to_le_bytes()), "overflows"),
        (
            patch(offset_at, &7u64.to_le_bytes()),
            "not a multiple of the alignment",
        ),
        (
            patch(offset_at, &(1u64 << 40).to_le_bytes()),
            "run past the end",
        ),
        (patch(type_at, &2u32.to_le_bytes()), "block size"),
        (patch(name_len - 4, &[0xFF, 0xFF, 0xFF, 0xFF]), "metadata"),
    ];
    for (bytes, reason) in cases {
        let text = corrupt_reason(&path, &bytes);
        assert!(text.contains(reason), "{reason:?} not in {text}");
    }
    // An unknown ggml type is listed, and refused as a dtype when asked for.
    let odd = patch(type_at, &99u32.to_le_bytes());
    std::fs::write(&path, &odd).unwrap();
    let file = WeightFile::open(&path).unwrap();
    assert_eq!(file.tensors().unwrap()[0].dtype, "ggml type 99");
    let err = file.matrix("w", Orientation::Rows).unwrap_err();
    assert!(matches!(err, Error::UnsupportedDtype { .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fuzz_regressions() {
    // tests/data/regressions/*.bin: inputs of the former `loaders` fuzz target (first byte:
    // format selector, 3 = GGUF; fuzz/ now has one target per format) that once crashed. Each must now open or fail cleanly.
    // fuzz_gguf_empty_matrix_huge_row: a tensor with ne[1] = 0 and a huge ne[0] used to size
    // a row buffer from ne[0]; it is now an `Empty` error.
    // fuzz_gguf_size_overflow: elements × block bytes overflowed u64 (a wrapped size could
    // have passed the bounds check); now a `Corrupt` error.
    let dir = data("regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let names = ["f.safetensors", "f.npy", "f.npz", "f.gguf"];
        let path = Path::new(names[usize::from(bytes[0]) % 4]);
        let _ = open_and_read(path, &bytes[1..]);
        count += 1;
    }
    assert!(count >= 1);
    let bytes = std::fs::read(dir.join("fuzz_gguf_empty_matrix_huge_row.bin")).unwrap();
    let err = open_and_read(Path::new("f.gguf"), &bytes[1..]).unwrap_err();
    assert!(matches!(err, Error::Empty { .. }), "{err}");
    let bytes = std::fs::read(dir.join("fuzz_gguf_size_overflow.bin")).unwrap();
    let err = open_and_read(Path::new("f.gguf"), &bytes[1..]).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
}
