//! `superscale weights` on a family with losses, through the binary: losses from a table,
//! from `--loss` and from the metadata `superscale run --save-weights` writes, the fitted
//! loss exponent, and bad losses exiting with 2.

use safetensors::tensor::TensorView;
use safetensors::Dtype;
use superscale_weights::write_npy;
use weights_helpers::{matrix_bytes, s, scratch, superscale};

mod weights_helpers;

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
