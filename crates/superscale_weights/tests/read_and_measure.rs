//! Fixtures written here (safetensors through the crate's serializer, `.npy` by hand, `.npz`
//! through zip) read back in f32, f16 and bf16.

use safetensors::tensor::TensorView;
use safetensors::Dtype;
use std::io::Write;
use std::path::PathBuf;
use superscale_weights::{write_npy, Error, Orientation, WeightFile};

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("superscale_weights_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// 5 × 3 values exactly representable in f16 and bf16.
fn values() -> Vec<f32> {
    (0..15).map(|i| (i as f32 - 7.0) * 0.25).collect()
}

fn bytes(dtype: Dtype, values: &[f32]) -> Vec<u8> {
    match dtype {
        Dtype::F32 => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        Dtype::F16 => values
            .iter()
            .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
            .collect(),
        Dtype::BF16 => values
            .iter()
            .flat_map(|&v| half::bf16::from_f32(v).to_le_bytes())
            .collect(),
        _ => unreachable!(),
    }
}

#[test]
fn safetensors_npy_npz_round_trip() {
    let dir = scratch("round_trip");
    let v = values();
    let expected: Vec<f64> = v.iter().map(|&x| f64::from(x)).collect();
    let mut transposed = vec![0.0; 15];
    for i in 0..5 {
        for j in 0..3 {
            transposed[j * 5 + i] = expected[i * 3 + j];
        }
    }
    let (f32b, f16b, bf16b) = (
        bytes(Dtype::F32, &v),
        bytes(Dtype::F16, &v),
        bytes(Dtype::BF16, &v),
    );
    let cube = vec![0u8; 8 * 4];
    let tensors = vec![
        (
            "w_f32",
            TensorView::new(Dtype::F32, vec![5, 3], &f32b).unwrap(),
        ),
        (
            "w_f16",
            TensorView::new(Dtype::F16, vec![5, 3], &f16b).unwrap(),
        ),
        (
            "w_bf16",
            TensorView::new(Dtype::BF16, vec![5, 3], &bf16b).unwrap(),
        ),
        (
            "cube",
            TensorView::new(Dtype::F32, vec![2, 2, 2], &cube).unwrap(),
        ),
    ];
    let path = dir.join("model.safetensors");
    std::fs::write(&path, safetensors::serialize(tensors, None).unwrap()).unwrap();
    let file = WeightFile::open(&path).unwrap();
    let names: Vec<String> = file
        .tensors()
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["cube", "w_bf16", "w_f16", "w_f32"]);
    for name in ["w_f32", "w_f16", "w_bf16"] {
        let w = file.matrix(name, Orientation::Rows).unwrap();
        assert_eq!((w.rows, w.columns, &w.data), (5, 3, &expected), "{name}");
        let t = file.matrix(name, Orientation::Columns).unwrap();
        assert_eq!((t.rows, t.columns, &t.data), (3, 5, &transposed), "{name}");
    }
    assert!(matches!(
        file.matrix("cube", Orientation::Rows),
        Err(Error::NotMatrix { .. })
    ));
    assert!(matches!(
        file.matrix("nope", Orientation::Rows),
        Err(Error::UnknownTensor { .. })
    ));

    for (descr, data) in [("<f4", &f32b), ("<f2", &f16b)] {
        let path = dir.join(format!("w{}.npy", &descr[1..]));
        std::fs::write(&path, write_npy(descr, &[5, 3], data)).unwrap();
        let w = WeightFile::open(&path)
            .unwrap()
            .matrix("array", Orientation::Rows)
            .unwrap();
        assert_eq!(w.data, expected, "{descr}");
    }

    let path = dir.join("w.npz");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = stored.compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("a.npy", stored).unwrap();
    zip.write_all(&write_npy("<f4", &[5, 3], &f32b)).unwrap();
    zip.start_file("b.npy", deflated).unwrap();
    zip.write_all(&write_npy("<f2", &[5, 3], &f16b)).unwrap();
    zip.finish().unwrap();
    let file = WeightFile::open(&path).unwrap();
    assert_eq!(file.tensors().unwrap().len(), 2);
    for name in ["a", "b"] {
        assert_eq!(file.matrix(name, Orientation::Rows).unwrap().data, expected);
    }

    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_files_are_errors_not_panics() {
    let dir = scratch("bad");
    let f32b = bytes(Dtype::F32, &values());
    let good = safetensors::serialize(
        vec![("w", TensorView::new(Dtype::F32, vec![5, 3], &f32b).unwrap())],
        None,
    )
    .unwrap();
    let truncated = dir.join("truncated.safetensors");
    std::fs::write(&truncated, &good[..good.len() - 4]).unwrap();
    assert!(matches!(
        WeightFile::open(&truncated),
        Err(Error::Corrupt { .. })
    ));
    // A header that claims an absurd length.
    let mut lying = good.clone();
    lying[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let lying_path = dir.join("lying.safetensors");
    std::fs::write(&lying_path, &lying).unwrap();
    assert!(matches!(
        WeightFile::open(&lying_path),
        Err(Error::Corrupt { .. })
    ));
    let npy = dir.join("short.npy");
    let full = write_npy("<f4", &[5, 3], &f32b);
    std::fs::write(&npy, &full[..full.len() - 1]).unwrap();
    assert!(matches!(WeightFile::open(&npy), Err(Error::Corrupt { .. })));
    let ints = dir.join("ints.npy");
    std::fs::write(&ints, write_npy("<i4", &[5, 3], &f32b)).unwrap();
    let err = WeightFile::open(&ints)
        .unwrap()
        .matrix("array", Orientation::Rows)
        .unwrap_err();
    assert!(matches!(err, Error::UnsupportedDtype { .. }), "{err}");
    assert!(err.to_string().contains("ints.npy"));
    let empty = dir.join("empty.safetensors");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        WeightFile::open(&empty),
        Err(Error::Corrupt { .. })
    ));
    let garbage = dir.join("garbage.npz");
    std::fs::write(&garbage, b"PK not really a zip").unwrap();
    assert!(matches!(
        WeightFile::open(&garbage),
        Err(Error::Corrupt { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}
