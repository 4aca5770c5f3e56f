//! The .npy reader on arbitrary bytes (see `superscale_fuzz::read_weight_file`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| superscale_fuzz::read_weight_file("fuzz.npy", data));
