//! `superscale weights` through the binary: listing, one matrix in detail, a family with
//! its fit, and bad input exiting with 2.

use safetensors::tensor::TensorView;
use safetensors::Dtype;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use superscale_weights::write_npy;

fn superscale(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_superscale"))
        .args(args)
        .output()
        .unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "superscale_weights_cli_{name}_{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An n × m matrix of a deterministic pseudo-random pattern, as f32 bytes.
fn matrix_bytes(n: usize, m: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..n * m)
        .flat_map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5).to_le_bytes()
        })
        .collect()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn lists_measures_and_fits_a_family() {
    let dir = scratch("family");
    let w = matrix_bytes(40, 8);
    let bad = vec![0u8; 24];
    let model = dir.join("model.safetensors");
    let tensors = vec![
        (
            "lm_head.weight",
            TensorView::new(Dtype::F32, vec![40, 8], &w).unwrap(),
        ),
        ("bias", TensorView::new(Dtype::F32, vec![6], &bad).unwrap()),
        (
            "ids",
            TensorView::new(Dtype::I32, vec![2, 3], &bad).unwrap(),
        ),
    ];
    std::fs::write(&model, safetensors::serialize(tensors, None).unwrap()).unwrap();

    let out = superscale(&["weights", s(&model)]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("lm_head.weight") && text.contains("[40, 8]"),
        "{text}"
    );

    let out = superscale(&[
        "weights",
        s(&model),
        "--tensor",
        "lm_head.weight",
        "--columns",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("features are columns: n = 8, m = 40"),
        "{text}"
    );
    assert!(text.contains("overlaps                   exact"), "{text}");
    assert!(text.contains("m * MSO"), "{text}");

    let mut files = Vec::new();
    for m in [8usize, 16, 32] {
        let path = dir.join(format!("w{m}.npy"));
        std::fs::write(&path, write_npy("<f4", &[200, m], &matrix_bytes(200, m))).unwrap();
        files.push(path);
    }
    let out_dir = dir.join("out");
    let mut args = vec!["weights"];
    args.extend(files.iter().map(|p| s(p)));
    args.extend(["--tensor", "array", "--out", s(&out_dir)]);
    let out = superscale(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("fit MSO ∝ m^-slope over 3 files: slope = "),
        "{text}"
    );
    let csv = std::fs::read_to_string(out_dir.join("weights.csv")).unwrap();
    assert_eq!(csv.lines().count(), 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_exits_with_2() {
    let dir = scratch("bad");
    let w = matrix_bytes(5, 3);
    let cube = vec![0u8; 32];
    let good = safetensors::serialize(
        vec![
            ("w", TensorView::new(Dtype::F32, vec![5, 3], &w).unwrap()),
            (
                "cube",
                TensorView::new(Dtype::F32, vec![2, 2, 2], &cube).unwrap(),
            ),
            (
                "ids",
                TensorView::new(Dtype::I32, vec![2, 4], &cube).unwrap(),
            ),
        ],
        None,
    )
    .unwrap();
    let model = dir.join("model.safetensors");
    std::fs::write(&model, &good).unwrap();
    let truncated = dir.join("truncated.safetensors");
    std::fs::write(&truncated, &good[..good.len() - 3]).unwrap();
    let missing = dir.join("missing.safetensors");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![s(&missing)], "no such file"),
        (
            vec![s(&model), "--tensor", "nope"],
            "no tensor named \"nope\"",
        ),
        (vec![s(&model), "--tensor", "cube"], "not a 2-D matrix"),
        (vec![s(&model), "--tensor", "ids"], "dtype I32"),
        (
            vec![s(&truncated), "--tensor", "w"],
            "truncated.safetensors",
        ),
    ];
    for (args, message) in cases {
        let mut full = vec!["weights"];
        full.extend(args);
        let out = superscale(&full);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{full:?}: {stderr}");
        assert!(stderr.contains(message), "{full:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
