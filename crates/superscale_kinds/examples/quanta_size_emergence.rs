//! Sizes the reduced C3 run: trains one network and prints timing and emergence numbers.
//! `cargo run --release -p superscale_kinds --example quanta_size_emergence -- N_TASKS N K ALPHA WIDTH BATCH STEPS [LR]`
use std::time::Instant;
use superscale_kinds::quanta::*;

fn main() {
    let args: Vec<f64> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("number"))
        .collect();
    let task_config = TaskConfig {
        n_tasks: args[0] as usize,
        n_bits: args[1] as usize,
        k: args[2] as usize,
        alpha: args[3],
        offset: 0.0,
    };
    let config = TrainConfig {
        width: args[4] as usize,
        depth: 2,
        steps: args[6] as u64,
        batch_size: args[5] as usize,
        learning_rate: *args.get(7).unwrap_or(&1e-3),
        weight_decay: 0.0,
        data: None,
        eval_points: 80,
        test_points: 20_000,
        test_points_per_task: 500,
    };
    let task = MultitaskParity::new(&task_config, 0).unwrap();
    let tests = TestSets::new(&task, config.test_points, config.test_points_per_task, 0);
    let start = Instant::now();
    let run = train_run(&task, &config, &tests, 1).unwrap();
    let seconds = start.elapsed().as_secs_f64();
    let tasks = task_emergence(&run, task.frequencies());
    for t in &tasks {
        println!(
            "task {:3} p {:.5} learned {:?} chance {:?} single {}",
            t.task, t.frequency, t.learning_step, t.last_chance_step, t.single_drop
        );
    }
    println!("{:?}", summarize_emergence(&tasks));
    for (s, l) in run.eval_steps.iter().zip(&run.test_loss_bits).step_by(8) {
        println!("step {s} test {l:.4}");
    }
    println!(
        "P = {}, {seconds:.1} s, {:.2} ms/step",
        run.n_params,
        1e3 * seconds / config.steps as f64
    );
}
