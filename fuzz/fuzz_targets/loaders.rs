//! Every weight-file loader on arbitrary bytes: the first byte picks the format, the rest
//! is the file. Opening, listing and reading every tensor as a matrix (both orientations)
//! must return `Ok` or an `Err`, never panic, read out of bounds or allocate beyond what
//! the bytes justify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use superscale_weights::{Orientation, WeightFile};

const NAMES: [&str; 4] = ["f.safetensors", "f.npy", "f.npz", "f.gguf"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let path = Path::new(NAMES[usize::from(selector) % NAMES.len()]);
    let Ok(file) = WeightFile::from_bytes(path, bytes.to_vec()) else {
        return;
    };
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
});
