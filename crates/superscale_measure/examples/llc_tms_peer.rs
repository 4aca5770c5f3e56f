//! The side-by-side case of `bench/run_llc.sh` (issue 18 item 5, `docs/science/llc.md` §2):
//! λ̂ of the toy model of superposition at the TMS shapes of Chen et al. 2023 (c = 6
//! features, m = 2 hidden units), on a training set of n samples, at the refined 5-gon, by
//! plain full-batch localised SGLD. Writes the data and w* as JSON for the PyTorch peer
//! (`bench/torch_llc.py`), which runs the same estimator on the same numbers.
//!
//!   cargo run --release -p superscale_measure --example llc_tms_peer -- \
//!       N CHAINS DRAWS BURN_IN STEP LOCALIZATION OUT.json
//!
//! Prints λ̂, its interval over chains and the estimator's wall and CPU seconds (the
//! chains run on the rayon pool: `RAYON_NUM_THREADS` sets the threads).

use std::time::Instant;
use superscale_measure::llc::tms::{refine_kgon, TmsSample};
use superscale_measure::llc::{estimate, Options, Preconditioner};

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (fields 14 and 15 of /proc/self/stat).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 7 {
        eprintln!("usage: llc_tms_peer N CHAINS DRAWS BURN_IN STEP LOCALIZATION OUT.json");
        std::process::exit(2);
    }
    let number = |i: usize| -> f64 {
        args[i].parse().unwrap_or_else(|_| {
            eprintln!("argument {}: {:?} is not a number", i + 1, args[i]);
            std::process::exit(2)
        })
    };
    let (n, chains, draws, burn_in) = (
        number(0) as usize,
        number(1) as usize,
        number(2) as usize,
        number(3) as usize,
    );
    let (step, localization) = (number(4), number(5));
    let data = TmsSample::draw(6, 2, n, 2023);
    let optimum = refine_kgon(6, 5, 0).w;
    let json = format!(
        "{{\"features\": 6, \"hidden\": 2, \"active\": {:?}, \"magnitude\": {:?}, \"w_star\": {:?}}}",
        data.active, data.magnitude, optimum
    );
    if let Err(err) = std::fs::write(&args[6], json) {
        eprintln!("{}: {err}", args[6]);
        std::process::exit(2);
    }
    let options = Options {
        n,
        nbeta: None,
        step,
        localization,
        chains,
        draws,
        burn_in,
        thin: 1,
        batch: None,
        preconditioner: Preconditioner::None,
        seed: 7,
    };
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let found = match estimate(&data, &optimum, &options, &|_| {}) {
        Ok(found) => found,
        Err(err) => {
            eprintln!("{err}");
            std::process::exit(2);
        }
    };
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    println!(
        "superscale: lambda_hat = {:.4} [{:.4}, {:.4}], L_n(w*) = {:.6}, nbeta = {:.3}, \
         healthy chains {}/{}, R-hat {:.3}; {:.3} s wall, {:.3} s CPU for {} chains x {} steps",
        found.lambda,
        found.interval.0,
        found.interval.1,
        found.loss_at_optimum,
        found.nbeta,
        found.healthy_chains(),
        found.chains.len(),
        found.r_hat,
        wall,
        cpu,
        chains,
        burn_in + draws
    );
}
