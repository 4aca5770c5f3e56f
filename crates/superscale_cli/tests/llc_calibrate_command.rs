//! `superscale llc-calibrate`: a table per model with the recommendation; bad lists,
//! a bad file and a file of another kind exit with 2 and say where.

use std::path::PathBuf;
use std::process::Command;

const SMALL: &str = r#"name = "llc-calibrate-cli"
kind = "llc"
seed = 3
[data]
n = 1000
[sampler]
step = 1e-4
chains = 4
draws = 400
burn_in = 200
[model]
family = "linear"
shape = [2, 0]
"#;

fn calibrate(text: &str, name: &str, extra: &[&str]) -> (i32, String, String) {
    let dir = std::env::temp_dir().join(format!("superscale-llc-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec: PathBuf = dir.join("spec.toml");
    std::fs::write(&spec, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_superscale"))
        .args(["llc-calibrate", spec.to_str().unwrap(), "--threads", "1"])
        .args(extra)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into(),
        String::from_utf8_lossy(&output.stderr).into(),
    )
}

#[test]
fn prints_one_line_per_setting() {
    let (code, out, err) = calibrate(
        SMALL,
        "ok",
        &["--steps", "1e-4,3e-5", "--localizations", "1,0.5"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("linear (2 0): λ = 1.0000"), "{out}");
    // a header and 2 × 2 settings
    assert_eq!(
        out.lines().filter(|l| l.starts_with("  ")).count(),
        5,
        "{out}"
    );
}

#[test]
fn bad_input_exits_2_and_says_where() {
    let (code, _, err) = calibrate(SMALL, "steps", &["--steps", "1e-4,0"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--steps: 0: every step ε must be finite and > 0"),
        "{err}"
    );
    let (code, _, err) = calibrate(SMALL, "model", &["--model", "2"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--model 2"), "{err}");
    let (code, _, err) = calibrate(&SMALL.replace("step = 1e-4", "step = 0.0"), "file", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("spec.toml:7: field `sampler.step`"), "{err}");
    let toy = SMALL.replace("kind = \"llc\"", "kind = \"quanta\"");
    let (code, _, err) = calibrate(&toy, "kind", &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("spec.toml:2"), "{err}");
}
