//! What the `superscale weights` CLI tests share: the binary, scratch directories and a
//! deterministic test matrix.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn superscale(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_superscale"))
        .args(args)
        .output()
        .unwrap()
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "superscale_weights_cli_{name}_{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// An n × m matrix of a deterministic pseudo-random pattern, as f32 bytes.
pub fn matrix_bytes(n: usize, m: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..n * m)
        .flat_map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ((state >> 40) as f32 / (1u64 << 24) as f32 - 0.5).to_le_bytes()
        })
        .collect()
}

pub fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}
