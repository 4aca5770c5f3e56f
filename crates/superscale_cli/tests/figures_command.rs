//! Publication figures from the command line: `superscale report STORE --figures DIR`
//! rewrites a finished study's report from its store and exports its figures, with the
//! scale and formats asked for; `run --figures` is checked for every kind in
//! every_kind.rs. Bad options are refused before anything runs.

mod common;

use common::figures::{check_exported, check_svg, drawn_figures, read_png};
use common::*;

/// 3 widths × 2 decays of a few milliseconds: the toy report's four width-sweep figures.
const WIDTHS: &str = r#"name = "figures-widths"
[model]
variant = "superposition_scaling"
n_features = 20
n_hidden = 3
alpha = 1.0
weight_decay = -0.5556
[train]
steps = 60
batch_size = 32
schedule = { kind = "constant", lr = 0.01 }
[record]
curve_points = 8
tail_steps = 10
heldout_batches = 4
[sweep]
"model.n_hidden" = [3, 6, 9]
"model.weight_decay" = [-0.5556, 0.3333]
"#;

#[test]
fn report_rewrites_a_store_report_and_exports_its_figures_at_the_scale_and_formats_asked() {
    let dir = scratch("figures-report");
    let spec = spec(&dir, "widths.toml", WIDTHS);
    let store = dir.join("store");
    run_ok(&spec, &store, 2, &[]);
    let report = store.join("report.html");
    let before = std::fs::read_to_string(&report).unwrap();
    std::fs::remove_file(&report).unwrap();

    // Both formats at the default 2×.
    let both = dir.join("both");
    let (code, stdout, stderr) = superscale([
        "report",
        &path(&store),
        "--threads",
        "1",
        "--figures",
        &path(&both),
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        before,
        "the report is rebuilt as run wrote it"
    );
    assert!(
        stdout.contains(&format!("report: {}\n", path(&report))),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "figures: {} (4 figures as svg, png; PNG at 2×, 192 pixels per inch)\n",
            path(&both)
        )),
        "{stdout}"
    );
    assert_eq!(
        drawn_figures(&report),
        [
            "loss-vs-width",
            "overlap-vs-width",
            "row-norms",
            "loss-curves"
        ]
    );
    check_exported(&both, &report, 2.0);
    // The common chart is 560 SVG pixels wide (chart::SIZE), so 1120 pixels at 2×.
    let (width, _) = check_svg(&both.join("loss-vs-width.svg"), &report);
    assert_eq!(width, 560.0);
    assert_eq!(read_png(&both.join("loss-vs-width.png")).size.0, 1120);

    // PNG only, at 1×: the same figures, half the pixels on a side.
    let png = dir.join("png");
    let (code, stdout, stderr) = superscale([
        "report",
        &path(&store),
        "--quiet",
        "--figures",
        &path(&png),
        "--figure-scale",
        "1",
        "--figure-formats",
        "png",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("(4 figures as png; PNG at 1×, 96 pixels per inch)"),
        "{stdout}"
    );
    let mut names: Vec<String> = std::fs::read_dir(&png)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "loss-curves.png",
            "loss-vs-width.png",
            "overlap-vs-width.png",
            "row-norms.png"
        ]
    );
    for name in &names {
        let (small, large) = (read_png(&png.join(name)), read_png(&both.join(name)));
        assert_eq!((small.size.0 * 2, small.size.1 * 2), large.size, "{name}");
        assert_eq!(small.per_metre, 3780, "96 pixels per inch: {name}");
    }
}

#[test]
fn a_bad_scale_or_format_exits_2_before_anything_runs() {
    let dir = scratch("figures-refused");
    let spec = spec(&dir, "widths.toml", WIDTHS);
    let store = dir.join("store");
    for (scale, message) in [
        (
            "0",
            "--figure-scale 0: expected a number above 0 and at most 8",
        ),
        (
            "9",
            "--figure-scale 9: expected a number above 0 and at most 8",
        ),
        (
            "NaN",
            "--figure-scale NaN: expected a number above 0 and at most 8",
        ),
    ] {
        let (code, _, stderr) = superscale([
            "run",
            &path(&spec),
            "--store",
            &path(&store),
            "--figures",
            &path(&dir.join("figures")),
            "--figure-scale",
            scale,
        ]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
    }
    let (code, _, stderr) = superscale([
        "run",
        &path(&spec),
        "--store",
        &path(&store),
        "--figures",
        &path(&dir.join("figures")),
        "--figure-formats",
        "svg,pdf",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("pdf"), "{stderr}");
    // The scale means nothing without --figures.
    let (code, _, stderr) = superscale([
        "run",
        &path(&spec),
        "--store",
        &path(&store),
        "--figure-scale",
        "3",
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--figures"), "{stderr}");
    assert!(!store.exists(), "nothing ran");
    assert!(!dir.join("figures").exists(), "nothing was written");
}

#[test]
fn report_of_a_directory_without_a_store_exits_2() {
    let dir = scratch("figures-no-store");
    let (code, _, stderr) = superscale(["report", &path(&dir)]);
    assert_eq!(code, 2, "{stderr}");
}
