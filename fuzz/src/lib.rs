//! What the weight-file targets share: open bytes as a file of one format and read
//! everything a user can ask of it.

use std::path::Path;
use superscale_weights::{Orientation, WeightFile};

/// Opens `bytes` as a file named `name` (whose extension picks the format), then lists its
/// metadata and tensors and reads every tensor as a matrix in both orientations. Each step
/// must return `Ok` or an `Err`: never panic, read out of bounds, or allocate more than the
/// bytes justify (libFuzzer's `-rss_limit_mb` and `-malloc_limit_mb` catch the last).
pub fn read_weight_file(name: &str, bytes: &[u8]) {
    let Ok(file) = WeightFile::from_bytes(Path::new(name), bytes.to_vec()) else {
        return;
    };
    let _ = file.metadata();
    let Ok(tensors) = file.tensors() else {
        return;
    };
    for tensor in tensors {
        for orientation in [Orientation::Rows, Orientation::Columns] {
            if let Ok(matrix) = file.matrix(&tensor.name, orientation) {
                assert_eq!(matrix.data.len(), matrix.rows * matrix.columns);
            }
        }
    }
}
