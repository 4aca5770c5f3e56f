use super::*;

fn bootstrap() -> BootstrapOptions {
    BootstrapOptions {
        resamples: 2000,
        seed: 3,
        level: 0.95,
    }
}

#[test]
fn parses_values_and_refuses_bad_ones() {
    let entry = parse_loss_argument("runs/a=b.npy=0.25").unwrap();
    assert_eq!((entry.file.as_str(), entry.loss), ("runs/a=b.npy", 0.25));
    for (text, expected) in [
        ("w.npy=abc", "--loss w.npy=abc: \"abc\" is not a number"),
        ("w.npy", "--loss w.npy: expected FILE=VALUE"),
        (
            "w.npy=-1",
            "positive finite number (its logarithm is fitted), not -1",
        ),
        ("w.npy=0", "not 0"),
        ("w.npy=nan", "not NaN"),
        ("=1", "the file is empty"),
    ] {
        let err = parse_loss_argument(text).unwrap_err().to_string();
        assert!(err.contains(expected), "{text}: {err}");
    }
}

#[test]
fn matches_paths_names_and_table_directories() {
    let dir = std::env::temp_dir().join(format!("superscale_family_{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let inputs: Vec<PathBuf> = ["a.npy", "b.npy", "sub/c.npy"]
        .iter()
        .map(|n| dir.join(n))
        .collect();
    for p in &inputs {
        std::fs::write(p, b"x").unwrap();
    }
    let table = dir.join("losses.csv");
    std::fs::write(
        &table,
        "loss,file,note\n0.5,sub/c.npy,x\n\"0.25\",\"b.npy\",y\n",
    )
    .unwrap();
    let rows = read_loss_table(&table).unwrap();
    assert_eq!(rows.len(), 2);
    let explicit = [parse_loss_argument(&format!("{}=0.125", inputs[1].display())).unwrap()];
    let losses = assign_losses(&inputs, &explicit, Some((&table, &rows))).unwrap();
    assert_eq!(losses[0], None);
    assert_eq!(
        losses[1],
        Some((0.125, LossSource::Argument)),
        "explicit beats the table"
    );
    assert_eq!(losses[2], Some((0.5, LossSource::Table(table.clone()))));

    let stranger = [parse_loss_argument("d.npy=1").unwrap()];
    let err = assign_losses(&inputs, &stranger, None)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("--loss d.npy=1: d.npy is not one of the input files ("),
        "{err}"
    );
    let twice = [
        parse_loss_argument("a.npy=1").unwrap(),
        parse_loss_argument("a.npy=2").unwrap(),
    ];
    let err = assign_losses(&inputs, &twice, None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("--loss a.npy=2: a second loss for"), "{err}");

    std::fs::write(&table, "file,value\na.npy,1\n").unwrap();
    let err = read_loss_table(&table).unwrap_err().to_string();
    assert!(
        err.ends_with("no column \"loss\" (columns: file, value)"),
        "{err}"
    );
    std::fs::write(&table, "file,loss\na.npy,1\nb.npy,-2\n").unwrap();
    let err = read_loss_table(&table).unwrap_err().to_string();
    assert!(
        err.contains("losses.csv:3: field loss: the loss must be"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Losses L = 3·m^−0.8 with a fixed ±3 % multiplicative pattern: the OLS exponent is near
/// 0.8 and the bootstrap interval contains the true 0.8.
#[test]
fn recovers_a_known_exponent_within_its_interval() {
    let widths = [8usize, 12, 16, 24, 32, 48, 64, 96];
    let noise = [0.03, -0.02, 0.01, -0.03, 0.02, 0.0, -0.01, 0.025];
    let members: Vec<(usize, f64, Option<f64>)> = widths
        .iter()
        .zip(noise)
        .map(|(&m, e)| {
            let loss = 3.0 * (m as f64).powf(-0.8) * (1.0 + e);
            (m, 1.0 / m as f64, Some(loss))
        })
        .collect();
    let fits = fit_family(&members, &bootstrap());
    let loss = fits.loss.unwrap();
    assert!((loss.exponent - 0.8).abs() < 0.03, "{loss:?}");
    assert!(loss.lower < 0.8 && 0.8 < loss.upper, "{loss:?}");
    assert!(loss.upper - loss.lower < 0.1, "{loss:?}");
    // MSO = 1/m exactly: slope 1, R² 1 and a zero-width interval at 1 (tolerance 1e-9).
    let mso = fits.mso.unwrap();
    assert!((mso.exponent - 1.0).abs() < 1e-12 && (mso.r_squared - 1.0).abs() < 1e-12);
    assert!(
        (mso.lower - 1.0).abs() < 1e-9 && (mso.upper - 1.0).abs() < 1e-9,
        "{mso:?}"
    );
    assert_eq!(fits.with_loss, widths.len());
}

#[test]
fn a_family_without_losses_fits_mso_only() {
    let members = [(8, 0.12, None), (16, 0.06, None), (32, 0.031, None)];
    let fits = fit_family(&members, &bootstrap());
    assert!(fits.mso.is_ok());
    assert!(fits.loss.unwrap_err().contains("no file has a loss"));
    let partial = [
        (8, 0.12, Some(1.0)),
        (16, 0.06, Some(0.5)),
        (32, 0.031, None),
    ];
    let err = fit_family(&partial, &bootstrap()).loss.unwrap_err();
    assert_eq!(err, "not fitted: 2 file(s) with a loss, 3 needed");
}
