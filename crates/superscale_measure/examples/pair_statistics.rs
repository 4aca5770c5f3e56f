//! Times the exact blockwise pair statistics (mean squared overlap, E|cos|, D_i) of a
//! Gaussian n × m matrix, by default the GPT-2 unembedding shape 50 257 × 768:
//!
//!   cargo run --release -p superscale_measure --example pair_statistics -- 50257 768 f64
//!
//! `bench/run_geometry.sh` runs it under `/usr/bin/time -v` next to numpy.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Instant;
use superscale_measure::{pair_statistics, Precision};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rows: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(50_257);
    let width: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(768);
    let precision = match args.get(2).map(String::as_str) {
        Some("f32") => Precision::F32,
        _ => Precision::F64,
    };
    // Box–Muller normals from a seeded generator (seed 0): the same matrix every run.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let weights: Vec<f64> = (0..rows * width)
        .map(|_| {
            let (u, v): (f64, f64) = (rng.random::<f64>().max(f64::MIN_POSITIVE), rng.random());
            (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        })
        .collect();
    let started = Instant::now();
    let stats = match pair_statistics(&weights, width, precision) {
        Ok(stats) => stats,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(1);
        }
    };
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "rust {precision:?} n={rows} m={width} threads={} seconds={seconds:.2} mso={:.8e} \
         mean_abs={:.8e} m_mso={:.6}",
        rayon::current_num_threads(),
        stats.overlap.mean,
        stats.overlap.mean_abs,
        stats.overlap.mean * width as f64
    );
}
