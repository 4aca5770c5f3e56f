//! CPU-seconds per training step of the quantization model at the full-C4 shape
//! (`experiments/quanta_c4_full.toml`: 500 tasks, n = 100 bits, k = 3, batch 20 000, AdamW),
//! the step `train_network` runs: draw a fresh batch, loss and gradient, AdamW.
//!
//! `RAYON_NUM_THREADS=1 cargo run --release -p superscale_kinds --example quanta_step -- WIDTH STEPS [BATCH [TASKS BITS]]`
//!
//! (`experiments/quanta_c4_medium.toml`'s shape is `WIDTH STEPS 2000 200 20`.)
//!
//! CPU time is the process's user + system time from `/proc/self/stat` (Linux; all threads),
//! so other jobs on a shared machine inflate the wall time but not this figure.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use superscale_kinds::quanta::{MultitaskParity, TaskConfig, TrainConfig};
use superscale_models::mlp::{loss_and_gradient, AdamW, Input, Targets, Workspace};

/// User + system CPU seconds of this process (all threads), if the OS says.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15,
    // in clock ticks of 1/100 s (USER_HZ, 100 on every Linux architecture).
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| {
            a.parse()
                .expect("usage: quanta_step WIDTH STEPS [BATCH [TASKS BITS]]")
        })
        .collect();
    let width = args.first().copied().unwrap_or(300);
    let steps = args.get(1).copied().unwrap_or(20);
    let batch_size = args.get(2).copied().unwrap_or(20_000);
    let n_tasks = args.get(3).copied().unwrap_or(500);
    let n_bits = args.get(4).copied().unwrap_or(100);
    // The steps run on a worker of a rayon pool, as the study engine runs each job
    // (`superscale_engine` schedule.rs): the step's parallel passes then start on the
    // thread that runs them, instead of being handed from the main thread to the pool and
    // back, which no study does. RAYON_NUM_THREADS sets the pool's size.
    let pool = rayon::ThreadPoolBuilder::new()
        .build()
        .expect("thread pool");
    pool.install(|| measure(width, steps, batch_size, n_tasks, n_bits));
}

/// Trains `steps` timed steps after two warm-up ones and prints their CPU time.
fn measure(width: usize, steps: usize, batch_size: usize, n_tasks: usize, n_bits: usize) {
    let task = MultitaskParity::new(
        &TaskConfig {
            n_tasks,
            n_bits,
            k: 3,
            alpha: 1.4,
            offset: 0.0,
        },
        0,
    )
    .expect("task");
    let config = TrainConfig {
        width,
        depth: 2,
        steps: steps as u64,
        batch_size,
        learning_rate: 1e-3,
        weight_decay: 0.0,
        data: None,
        eval_points: 1,
        test_points: 0,
        test_points_per_task: 1,
    };
    let mlp = config.mlp(&task).expect("mlp");
    let mut params: Vec<f32> = mlp.init_params(1);
    let mut gradient = vec![0.0f32; mlp.n_params()];
    let mut workspace = Workspace::new(&mlp);
    let mut optimizer = AdamW::new(mlp.n_params(), 1e-3, 0.0);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let mut batch = task.new_batch();
    let mut counts = Vec::new();
    let mut step = |params: &mut Vec<f32>| -> f64 {
        task.fill_batch(&mut rng, batch_size, &mut counts, &mut batch);
        let loss = loss_and_gradient(
            &mlp,
            params,
            Input::OneHotBits(&batch.input),
            Targets::Labels(&batch.labels),
            &mut gradient,
            &mut workspace,
        )
        .expect("step");
        optimizer.step(params, &gradient).expect("adam");
        loss
    };
    // Two warm-up steps (first touches of every buffer), then the timed steps.
    for _ in 0..2 {
        step(&mut params);
    }
    let cpu_start = cpu_seconds();
    let wall_start = std::time::Instant::now();
    let mut loss = 0.0;
    for _ in 0..steps {
        loss = step(&mut params);
    }
    let wall = wall_start.elapsed().as_secs_f64() / steps as f64;
    // FNV-1a of the parameters' bits: a speed change must leave it unchanged (same stream,
    // same order of additions), so two builds can be compared at a glance.
    let checksum = params.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, p| {
        (hash ^ u64::from(p.to_bits())).wrapping_mul(0x0100_0000_01b3)
    });
    let threads = rayon::current_num_threads();
    match (cpu_start, cpu_seconds()) {
        (Some(start), Some(end)) => println!(
            "width {width}, batch {batch_size}, {threads} thread(s): {:.4} CPU s/step, {wall:.4} wall s/step over {steps} steps (last loss {loss:.4} nats, parameters {checksum:016x})",
            (end - start) / steps as f64
        ),
        _ => println!(
            "width {width}, batch {batch_size}, {threads} thread(s): {wall:.4} wall s/step over {steps} steps (no CPU clock on this OS; last loss {loss:.4} nats, parameters {checksum:016x})"
        ),
    }
}
