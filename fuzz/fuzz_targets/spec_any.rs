//! An experiment file of any kind (`AnyExperiment::parse`, then `check`: the study tables
//! and what the kind builds from the file before its first run, as `superscale run` does)
//! on arbitrary text: `Ok` or an error, never a panic, a hang, or an allocation the text
//! does not justify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use superscale_kinds::AnyExperiment;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(experiment) = AnyExperiment::parse(text, Path::new("fuzz.toml")) {
        assert!(experiment.runs() > 0);
        let _ = experiment.check();
    }
});
