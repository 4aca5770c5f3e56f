//! `superscale weights` through the binary: listing, one matrix in detail, a family with
//! its fit and figure, per-feature tables, GGUF input, and bad input exiting with 2.

use safetensors::tensor::TensorView;
use safetensors::Dtype;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use superscale_weights::{write_gguf, write_npy};

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
    // With --plot, the §3.6 figure and a histogram per file.
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

/// The "loss ∝ m^-slope" line's (slope, lower, upper).
fn loss_fit(text: &str) -> (f64, f64, f64) {
    let line = text
        .lines()
        .find(|l| l.starts_with("fit loss ∝ m^-slope over"))
        .unwrap_or_else(|| panic!("no loss fit in {text}"));
    let between = |open: &str, close: char| -> &str {
        let rest = &line[line.find(open).unwrap() + open.len()..];
        &rest[..rest.find(close).unwrap()]
    };
    let slope = between("slope = ", '±').trim().parse().unwrap();
    let (lower, upper) = between("CI [", ']').split_once(", ").unwrap();
    (slope, lower.parse().unwrap(), upper.parse().unwrap())
}

/// Five widths whose losses follow L = 2·m^−0.7 times a fixed ±3 % pattern, given by a table
/// and one --loss: the fitted exponent is within 0.05 of 0.7, its 95 % bootstrap interval
/// contains 0.7, and the figure has both panels.
#[test]
fn family_losses_recover_a_known_exponent() {
    let dir = scratch("losses");
    let widths = [8usize, 12, 16, 24, 32];
    let noise = [0.03, -0.02, 0.01, -0.03, 0.02];
    let mut files = Vec::new();
    let mut table = String::from("file,loss\n");
    for (&m, e) in widths.iter().zip(noise) {
        let path = dir.join(format!("w{m}.npy"));
        std::fs::write(&path, write_npy("<f4", &[120, m], &matrix_bytes(120, m))).unwrap();
        let loss = 2.0 * (m as f64).powf(-0.7) * (1.0 + e);
        if m != 8 {
            table.push_str(&format!("w{m}.npy,{loss}\n"));
        }
        files.push((path, loss));
    }
    let csv = dir.join("losses.csv");
    std::fs::write(&csv, table).unwrap();
    let plots = dir.join("plots");
    let explicit = format!("{}={}", s(&files[0].0), files[0].1);
    let mut args = vec!["weights"];
    args.extend(files.iter().map(|(p, _)| s(p)));
    args.extend([
        "--losses",
        s(&csv),
        "--loss",
        &explicit,
        "--plot",
        s(&plots),
    ]);
    args.extend(["--no-ambiguity", "--out", s(&dir)]);
    let out = superscale(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (slope, lower, upper) = loss_fit(&text);
    assert!((slope - 0.7).abs() < 0.05, "{text}");
    assert!(lower < 0.7 && 0.7 < upper, "{text}");
    assert!(
        text.contains("argument; exact") && text.contains("table; exact"),
        "{text}"
    );
    let svg = std::fs::read_to_string(plots.join("mso_vs_m.svg")).unwrap();
    assert!(
        svg.contains("loss vs width") && svg.contains("1/m"),
        "{svg}"
    );
    let summary = std::fs::read_to_string(dir.join("weights.csv")).unwrap();
    assert!(summary
        .lines()
        .next()
        .unwrap()
        .ends_with(",loss,loss_source"));
    assert!(
        summary.lines().nth(1).unwrap().ends_with(",argument"),
        "{summary}"
    );

    // Without losses the family still fits MSO and says the loss is missing.
    let mut args = vec!["weights"];
    args.extend(files.iter().map(|(p, _)| s(p)));
    args.extend(["--no-ambiguity", "--plot", s(&plots)]);
    let out = superscale(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("fit MSO ∝ m^-slope over 5 files"), "{text}");
    assert!(
        text.contains("fit loss ∝ m^-slope: no file has a loss"),
        "{text}"
    );
    let svg = std::fs::read_to_string(plots.join("mso_vs_m.svg")).unwrap();
    assert!(!svg.contains("loss vs width"), "{svg}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `superscale run --save-weights` writes the held-out loss, n, m, γ, α and the seed into
/// the safetensors metadata, and `superscale weights` fits the loss from it.
#[test]
fn save_weights_metadata_feeds_the_loss_fit() {
    let dir = scratch("metadata");
    let spec = dir.join("tiny.toml");
    std::fs::write(
        &spec,
        r#"name = "weights-metadata"
[model]
variant = "superposition_scaling"
n_features = 40
n_hidden = 3
alpha = 1.0
weight_decay = -0.5556
[train]
steps = 60
batch_size = 64
schedule = { kind = "constant", lr = 0.01 }
[record]
curve_points = 8
tail_steps = 10
heldout_batches = 4
[sweep]
"model.n_hidden" = [3, 5, 8]
"#,
    )
    .unwrap();
    let store = dir.join("store");
    let out = superscale(&[
        "run",
        s(&spec),
        "--store",
        s(&store),
        "--quiet",
        "--save-weights",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let results = std::fs::read_to_string(store.join("results.csv")).unwrap();
    let header: Vec<&str> = results.lines().next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let mut files = Vec::new();
    for row in results.lines().skip(1) {
        let fields: Vec<&str> = row.split(',').collect();
        let run_id = fields[column("run_id")];
        let path = store.join(format!("weights/{run_id}-r0.safetensors"));
        let bytes = std::fs::read(&path).unwrap();
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let metadata = header.metadata().clone().unwrap();
        let loss: f64 = metadata["loss"].parse().unwrap();
        let expected: f64 = fields[column("loss_heldout_n_mse")].parse().unwrap();
        assert_eq!(loss.to_bits(), expected.to_bits(), "{path:?}");
        assert_eq!(metadata["n_hidden"], fields[column("n_hidden")]);
        assert_eq!(metadata["n_features"], "40");
        assert_eq!(metadata["weight_decay"], "-0.5556");
        assert_eq!(metadata["alpha"], "1");
        assert_eq!(metadata["seed"], fields[column("seed")]);
        files.push(path);
    }
    assert_eq!(files.len(), 3);
    let mut args = vec!["weights"];
    args.extend(files.iter().map(|p| s(p)));
    args.extend(["--tensor", "W", "--no-ambiguity"]);
    let out = superscale(&args);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(text.matches("metadata; exact").count(), 3, "{text}");
    // The same OLS of the held-out loss on m as the study's own α_m (exponents.csv).
    let exponents = std::fs::read_to_string(store.join("exponents.csv")).unwrap();
    let alpha_m: f64 = exponents
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        text.contains(&format!(
            "fit loss ∝ m^-slope over 3 files: slope = {alpha_m:.4} ± "
        )),
        "{text}\n{exponents}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_losses_exit_with_2() {
    let dir = scratch("bad_losses");
    let mut files = Vec::new();
    for m in [4usize, 8] {
        let path = dir.join(format!("w{m}.npy"));
        std::fs::write(&path, write_npy("<f4", &[20, m], &matrix_bytes(20, m))).unwrap();
        files.push(path);
    }
    let w = matrix_bytes(20, 4);
    let lying = dir.join("lying.safetensors");
    let metadata = std::collections::HashMap::from([("loss".to_string(), "abc".to_string())]);
    let tensors = vec![("W", TensorView::new(Dtype::F32, vec![20, 4], &w).unwrap())];
    std::fs::write(
        &lying,
        safetensors::serialize(tensors, Some(metadata)).unwrap(),
    )
    .unwrap();
    let good = dir.join("good.safetensors");
    let tensors = vec![("W", TensorView::new(Dtype::F32, vec![20, 4], &w).unwrap())];
    std::fs::write(&good, safetensors::serialize(tensors, None).unwrap()).unwrap();
    let table = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let stranger = table("stranger.csv", "file,loss\nw4.npy,1\nw5.npy,2\n");
    let negative = table("negative.csv", "file,loss\nw4.npy,-0.5\n");
    let no_column = table("no_column.csv", "file,value\nw4.npy,1\n");
    let (a, b) = (s(&files[0]), s(&files[1]));
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec![a, b, "--loss", "w4.npy=abc"],
            "--loss w4.npy=abc: \"abc\" is not a number".into(),
        ),
        (
            vec![a, b, "--loss", "w4.npy"],
            "--loss w4.npy: expected FILE=VALUE".into(),
        ),
        (
            vec![a, b, "--loss", "w4.npy=-2"],
            "--loss w4.npy=-2: the loss must be a positive finite number".into(),
        ),
        (
            vec![a, b, "--loss", "w9.npy=1"],
            "--loss w9.npy=1: w9.npy is not one of the input files".into(),
        ),
        (
            vec![a, b, "--losses", s(&stranger)],
            format!(
                "{}:3: field file: w5.npy is not one of the input files",
                s(&stranger)
            ),
        ),
        (
            vec![a, b, "--losses", s(&negative)],
            format!(
                "{}:2: field loss: the loss must be a positive",
                s(&negative)
            ),
        ),
        (
            vec![a, b, "--losses", s(&no_column)],
            format!(
                "{}: no column \"loss\" (columns: file, value)",
                s(&no_column)
            ),
        ),
        (
            vec![a, b, "--losses", "nowhere.csv"],
            "nowhere.csv: no such file (--losses)".into(),
        ),
        (
            vec![s(&good), s(&lying), "--tensor", "W"],
            format!(
                "{}: __metadata__ field \"loss\": \"abc\" is not a number",
                s(&lying)
            ),
        ),
    ];
    for (args, message) in cases {
        let mut full = vec!["weights"];
        full.extend(args);
        let out = superscale(&full);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{full:?}: {stderr}");
        assert!(stderr.contains(&message), "{full:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
