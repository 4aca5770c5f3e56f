//! `superscale weights` through the binary: listing, one matrix in detail, a family with
//! its fit and figure, per-feature tables, GGUF input, and bad input exiting with 2 (a
//! family's loss column is in `weights_losses.rs`).

use safetensors::tensor::TensorView;
use safetensors::Dtype;
use superscale_weights::{write_gguf, write_npy};
use weights_helpers::{matrix_bytes, s, scratch, superscale};

mod weights_helpers;

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
        "--features",
        "columns",
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
    // With --plot, the figure of docs/science/superposition.md §3.6 and a histogram per file.
    let plots = dir.join("plots");
    let mut args = vec!["weights"];
    args.extend(files.iter().map(|p| s(p)));
    args.extend([
        "--tensor",
        "array",
        "--plot",
        s(&plots),
        "--sampled",
        "--pairs",
        "1000",
    ]);
    let out = superscale(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["mso_vs_m.svg", "w8_row_norms.svg", "w32_row_norms.svg"] {
        let svg = std::fs::read_to_string(plots.join(name)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("</svg>"), "{name}");
    }
    let svg = std::fs::read_to_string(plots.join("mso_vs_m.svg")).unwrap();
    assert!(
        svg.contains("fit ∝ m^-") && svg.contains("Welch bound"),
        "{svg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn thresholds_per_feature_table_and_gguf() {
    let dir = scratch("per_feature");
    // Three antipodal pairs along axes scaled 0.5, 1 and 2, and one dedicated row of 0.1:
    // D_i = ½ for the six paired rows and 1 for the last; φ_0.75 = 4/7.
    let m = 4;
    let mut rows = Vec::new();
    for (axis, scale) in [(0, 0.5f32), (1, 1.0), (2, 2.0)] {
        for sign in [1.0, -1.0] {
            let mut row = vec![0.0f32; m];
            row[axis] = sign * scale;
            rows.push(row);
        }
    }
    rows.push(vec![0.0, 0.0, 0.0, 0.1]);
    let data: Vec<u8> = rows
        .iter()
        .flatten()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let path = dir.join("pairs.gguf");
    // ggml's ne is [m, n]: ne[0] = 4 is the fastest-varying, so rows are the 7 features.
    std::fs::write(
        &path,
        write_gguf(&[("token_embd.weight", &[4, 7], 0, &data)]),
    )
    .unwrap();
    let table = dir.join("features.csv");
    let out = superscale(&[
        "weights",
        s(&path),
        "--threshold",
        "0.75",
        "--per-feature",
        s(&table),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("token_embd.weight (F32, stored [7, 4]); features are rows: n = 7, m = 4"),
        "{text}"
    );
    assert!(text.contains("phi_t (norm > 0.75)  0.571429"), "{text}");
    assert!(
        text.contains("D_i histogram peaks        0.5025 (6), 0.9975 (1)"),
        "{text}"
    );
    assert!(text.contains("ambiguity |WW^T - P|_2"), "{text}");
    let csv = std::fs::read_to_string(&table).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "feature,row_norm,dimensionality,interference");
    assert_eq!(lines.len(), 8);
    assert_eq!(lines[5], "4,2,0.5,4");
    assert_eq!(lines[7], "6,0.10000000149011612,1,0");
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
    let floats = vec![0u8; 32];
    let lying_gguf = dir.join("lying.gguf");
    let mut lying = write_gguf(&[("w", &[4, 2], 0, &floats)]);
    lying[8..16].copy_from_slice(&u64::MAX.to_le_bytes()); // tensor count
    std::fs::write(&lying_gguf, lying).unwrap();
    let cube_gguf = dir.join("cube.gguf");
    std::fs::write(&cube_gguf, write_gguf(&[("cube", &[2, 2, 2], 0, &floats)])).unwrap();
    let q5_gguf = dir.join("q5.gguf");
    std::fs::write(&q5_gguf, write_gguf(&[("w", &[32, 1], 6, &floats[..22])])).unwrap();
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
        (
            vec![s(&lying_gguf), "--tensor", "w"],
            "lying.gguf: not a valid gguf file",
        ),
        (
            vec![s(&cube_gguf), "--tensor", "cube"],
            "cube.gguf: tensor \"cube\" has shape [2, 2, 2]",
        ),
        (vec![s(&q5_gguf), "--tensor", "w"], "dtype Q5_0"),
        (vec![s(&model), "--threshold", "nan"], "--threshold"),
        (
            vec![
                s(&model),
                s(&model),
                "--tensor",
                "w",
                "--per-feature",
                "x.csv",
            ],
            "exactly one",
        ),
        (
            vec![
                s(&model),
                "--tensor",
                "w",
                "--sampled",
                "--per-feature",
                "x.csv",
            ],
            "--per-feature needs the exact path",
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

/// A matrix with NaN and ±inf entries is refused (exit 2) naming the file, the tensor and
/// the count; `--non-finite drop` and `--non-finite zero` measure the rest and say so.
#[test]
fn non_finite_entries_are_refused_unless_their_rows_are_dropped_or_zeroed() {
    let dir = scratch("non_finite");
    let mut values: Vec<f32> = matrix_bytes(12, 4)
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    values[9] = f32::NAN; // row 2
    values[30] = f32::INFINITY; // row 7
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let path = dir.join("with_nan.npy");
    std::fs::write(&path, write_npy("<f4", &[12, 4], &bytes)).unwrap();

    let out = superscale(&["weights", s(&path), "--tensor", "array"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{} :: array: 2 non-finite entries",
            path.display()
        )) && stderr.contains("in 2 of its 12 rows")
            && stderr.contains("--non-finite drop"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    let out = superscale(&["weights", s(&path), "--non-finite", "drop"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("n = 10, m = 4")
            && text.contains("2 (NaN or ±inf) in 2 rows, their rows dropped")
            // every measured number is a number (the note above the geometry names NaN)
            && !text
                .lines()
                .filter(|l| !l.starts_with("non-finite entries"))
                .any(|l| l.contains("NaN")),
        "{text}"
    );
    let out = superscale(&[
        "weights",
        s(&path),
        "--non-finite",
        "zero",
        "--out",
        s(&dir),
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("n = 12, m = 4") && text.contains("zero rows                  2 of 12"),
        "{text}"
    );
    let csv = std::fs::read_to_string(dir.join("weights.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let field = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(
        (
            field("zero_rows"),
            field("non_finite_rows"),
            field("non_finite")
        ),
        ("2", "2", "zero")
    );
}

/// All-zero rows: D* and the overlaps are undefined and said to be, never inf or 0.
#[test]
fn a_zero_matrix_has_undefined_dimensions_and_overlaps() {
    let dir = scratch("zero_matrix");
    let path = dir.join("zero.npy");
    std::fs::write(&path, write_npy("<f4", &[10, 4], &[0u8; 160])).unwrap();
    let out = superscale(&["weights", s(&path), "--tensor", "array"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("D* = m/|W|_F^2             undefined (every row is zero")
            && text.contains("mean squared overlap (MSO) undefined")
            && text.contains("zero rows                  10 of 10")
            && !text.contains("inf\n"),
        "{text}"
    );
}
