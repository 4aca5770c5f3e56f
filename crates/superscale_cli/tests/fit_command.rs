//! `superscale fit` through the binary: a CSV whose header names one column twice is refused
//! (exit 2) naming the file, the column and both positions.

mod common;

use common::{path, scratch, superscale};

/// y = 3·x^−0.5 at six scales, with a repeated name in the header when `header` says so.
fn csv(header: &str) -> String {
    let mut text = format!("{header}\n");
    for x in [10.0f64, 20.0, 40.0, 80.0, 160.0, 320.0] {
        let y = 3.0 * x.powf(-0.5);
        text += &format!("{x},{y},run-{x},{}\n", 2.0 * y);
    }
    text
}

#[test]
fn a_csv_naming_a_column_twice_is_refused_with_both_positions() {
    let dir = scratch("fit-duplicate");
    let twice = dir.join("twice.csv");
    std::fs::write(&twice, csv("n,loss,run,loss")).unwrap();
    let (code, stdout, stderr) = superscale([
        "fit",
        &path(&twice),
        "--x",
        "n",
        "--y",
        "loss",
        "--form",
        "power",
        "--bootstrap",
        "0",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains(&format!("{}, line 1, column 'loss'", twice.display()))
            && stderr.contains("columns 2 and 4"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The same data under distinct names is fitted: the refusal is about the name alone.
    let distinct = dir.join("distinct.csv");
    std::fs::write(&distinct, csv("n,loss,run,loss_doubled")).unwrap();
    let (code, stdout, stderr) = superscale([
        "fit",
        &path(&distinct),
        "--x",
        "n",
        "--y",
        "loss",
        "--form",
        "power",
        "--bootstrap",
        "0",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Power fit of loss"), "{stdout}");
}
