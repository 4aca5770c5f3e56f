//! `.npz` entries are read as far as their `.npy` header declares, never further: an archive
//! that inflates past its arrays (a zip bomb) is refused without being inflated
//! (`docs/reliability.md`, "Compressed inputs").

use std::io::Write;
use std::path::PathBuf;
use superscale_weights::{write_npy, Error, Orientation, WeightFile};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("superscale_npz_{name}_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn archive(path: &PathBuf, entries: &[(&str, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, bytes) in entries {
        zip.start_file(*name, deflated).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn ones(count: usize) -> Vec<u8> {
    (0..count).flat_map(|_| 1.0f32.to_le_bytes()).collect()
}

#[test]
fn an_entry_that_inflates_past_its_declared_shape_is_refused() {
    let dir = scratch("bomb");
    // a 5 × 3 array followed by 32 MiB of zeros: compresses to tens of kilobytes
    let mut bomb = write_npy("<f4", &[5, 3], &ones(15));
    bomb.resize(bomb.len() + (32 << 20), 0);
    let path = dir.join("bomb.npz");
    archive(&path, &[("w.npy", bomb)]);
    assert!(std::fs::metadata(&path).unwrap().len() < 1 << 20);
    let Err(err) = WeightFile::open(&path) else {
        panic!("the bomb was read");
    };
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("\"w\"") && message.contains("shape [5, 3] needs"),
        "{message}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_header_that_declares_more_than_the_entry_holds_is_truncated() {
    let dir = scratch("short");
    let short = write_npy("<f4", &[1000, 1000], &ones(15));
    let path = dir.join("short.npz");
    archive(&path, &[("w.npy", short)]);
    let Err(err) = WeightFile::open(&path).and_then(|file| file.matrix("w", Orientation::Rows))
    else {
        panic!("a truncated entry was read");
    };
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_large_honest_array_still_reads_in_full() {
    let dir = scratch("honest");
    // 512 × 1024 ones, deflated to a few kilobytes: honest, however well it compresses
    let path = dir.join("honest.npz");
    archive(
        &path,
        &[
            ("w.npy", write_npy("<f4", &[512, 1024], &ones(512 * 1024))),
            ("labels.npy", write_npy("<i8", &[3], &[0u8; 24])),
        ],
    );
    let file = WeightFile::open(&path).unwrap();
    let w = file.matrix("w", Orientation::Rows).unwrap();
    assert_eq!(w.data.len(), 512 * 1024);
    assert!(w.data.iter().all(|&v| v == 1.0));
    std::fs::remove_dir_all(&dir).unwrap();
}
