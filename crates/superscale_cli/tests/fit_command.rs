//! `superscale fit` through the binary: a CSV whose header names one column twice is refused
//! (exit 2) naming the file, the column and both positions; the work is announced on stderr
//! before it starts, with no bars when stderr is not a terminal, and nothing with --quiet.

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

#[test]
fn the_work_is_announced_before_it_starts_and_quiet_silences_it() {
    let dir = scratch("fit-progress");
    let points = dir.join("points.csv");
    std::fs::write(&points, csv("n,loss,run,loss_doubled")).unwrap();
    let fit = |quiet: bool| {
        let mut args = vec![
            "fit".to_string(),
            path(&points),
            "--x".into(),
            "n".into(),
            "--y".into(),
            "loss".into(),
            "--bootstrap".into(),
            "50".into(),
            "--holdout".into(),
            "1".into(),
        ];
        if quiet {
            args.push("--quiet".into());
        }
        superscale(&args)
    };
    let (code, stdout, stderr) = fit(false);
    assert_eq!(code, 0, "{stderr}");
    // stderr is a pipe here: the estimate, and no bar.
    assert_eq!(
        stderr,
        "fit: 1 fit from 16 starts on 6 points, then 50 bootstrap refits, then 1 holdout fit \
         from 16 starts: 82 optimiser runs\n"
    );
    let (code, quiet_stdout, quiet_stderr) = fit(true);
    assert_eq!(code, 0);
    assert_eq!(quiet_stderr, "");
    // Progress is never part of the results.
    assert_eq!(quiet_stdout, stdout);
}
