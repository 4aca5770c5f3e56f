//! A toy-model experiment file (`Experiment::from_text`, which parses the TOML, expands the
//! sweep, validates every point and plans its runs) on arbitrary text: `Ok` or an error
//! naming the file, never a panic, a hang, or an allocation the text does not justify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use superscale_spec::{Experiment, RunSpec};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(experiment) = Experiment::<RunSpec>::from_text(text, Path::new("fuzz.toml")) {
        assert!(!experiment.points.is_empty());
        assert_eq!(experiment.points.len() % experiment.sweep.len(), 0);
    }
});
