use super::*;

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
