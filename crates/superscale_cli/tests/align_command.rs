//! `superscale align` through the binary: one metric on the shipped golden features
//! (`crates/superscale_measure/tests/data`, values from `reference/gen_align_golden.py`),
//! `--metric all`, a safetensors tensor, and bad input exiting with 2 naming the file.

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

fn golden_file(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../superscale_measure/tests/data")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "superscale_align_cli_{name}_{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn f32_bytes(n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| (((i * 7919) % 101) as f32 / 50.0 - 1.0).to_le_bytes())
        .collect()
}

fn golden_score(metric: &str) -> f64 {
    let text = std::fs::read_to_string(golden_file("align_golden.json")).unwrap();
    let golden: serde_json::Value = serde_json::from_str(&text).unwrap();
    golden["scores"][metric].as_f64().unwrap()
}

/// The score column of the table row of `metric`.
fn score_of(stdout: &str, metric: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(metric))
        .unwrap_or_else(|| panic!("no {metric} row in\n{stdout}"));
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn scores_the_golden_pair_with_a_null() {
    let (a, b) = (golden_file("align_a.npy"), golden_file("align_b.npy"));
    let out = superscale(&["align", &a, &b, "--permutations", "30", "--bootstrap", "10"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let want = golden_score("mutual_knn");
    assert!(
        (score_of(&text, "mutual_knn") - want).abs() < 6e-5,
        "{text}"
    );
    // chance = k/(n−1) = 10/299
    assert!(text.contains("0.0334"), "{text}");
    assert!(
        text.contains("300 × 32") && text.contains("300 × 48"),
        "{text}"
    );

    let out = superscale(&["align", &a, &b, "--metric", "all", "--permutations", "0"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for metric in [
        "mutual_knn",
        "cycle_knn",
        "lcs_knn",
        "edit_distance_knn",
        "cka",
    ] {
        assert!(
            (score_of(&text, metric) - golden_score(metric)).abs() < 6e-5,
            "{metric}"
        );
    }
    for metric in ["unbiased_cka", "rbf_cka", "cknna", "svcca"] {
        assert!(
            (score_of(&text, metric) - golden_score(metric)).abs() < 6e-5,
            "{metric}"
        );
    }
}

#[test]
fn reads_named_safetensors_tensors() {
    let dir = scratch("safetensors");
    let (x, y) = (f32_bytes(50 * 4), f32_bytes(50 * 6));
    let path = dir.join("feats.safetensors");
    let tensors = vec![
        (
            "layer1",
            TensorView::new(Dtype::F32, vec![50, 4], &x).unwrap(),
        ),
        (
            "layer2",
            TensorView::new(Dtype::F32, vec![50, 6], &y).unwrap(),
        ),
    ];
    std::fs::write(&path, safetensors::serialize(tensors, None).unwrap()).unwrap();
    let p = path.to_str().unwrap();
    let out = superscale(&[
        "align",
        p,
        p,
        "--tensor-a",
        "layer1",
        "--tensor-b",
        "layer1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        score_of(&String::from_utf8_lossy(&out.stdout), "mutual_knn"),
        1.0
    );
    // Two 2-D tensors and no --tensor-a: a user error naming the file.
    let out = superscale(&["align", p, p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("feats.safetensors"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_input_exits_with_2_naming_the_file() {
    let dir = scratch("errors");
    let write = |name: &str, shape: &[usize]| {
        let path = dir.join(name);
        let count = shape.iter().product();
        std::fs::write(&path, write_npy("<f4", shape, &f32_bytes(count))).unwrap();
        path.to_str().unwrap().to_string()
    };
    let a = write("a.npy", &[40, 5]);
    let short = write("short.npy", &[30, 5]);
    let cube = write("cube.npy", &[4, 5, 2]);
    let cases: [(&[&str], &str); 5] = [
        (&["align", &a, &short], "short.npy"),
        (&["align", &a, &cube], "cube.npy"),
        (&["align", &a, &a, "--k", "40"], "a.npy"),
        (&["align", &a, &a, "--metric", "nope"], "nope"),
        (&["align", &a, &a, "--clip-quantile", "2"], "a.npy"),
    ];
    for (args, needle) in cases {
        let out = superscale(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
