//! Progress of a sweep on stderr: `indicatif` bars on a terminal (the sweep's steps with
//! rate and ETA, one bar per run in flight), one line per finished run otherwise (logs,
//! Slurm output files), nothing with `--quiet`.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use superscale_kinds::{RunResult, RunStatus};
use superscale_spec::RunPoint;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// live bars (stderr is a terminal)
    Bars,
    /// a line per finished run
    Lines,
    /// nothing but errors
    Quiet,
}

impl Mode {
    /// Bars on a terminal, lines elsewhere, nothing when quiet.
    pub fn detect(quiet: bool) -> Self {
        if quiet {
            Mode::Quiet
        } else if std::io::stderr().is_terminal() {
            Mode::Bars
        } else {
            Mode::Lines
        }
    }
}

type Key = (String, u32);

struct Bars {
    multi: MultiProgress,
    /// the sweep's steps: position = steps trained, so the rate is steps/s and the ETA
    /// weighs long runs by their length
    total: ProgressBar,
    /// runs in flight: their bar and the last step reported
    active: HashMap<Key, (ProgressBar, u64)>,
}

/// Reports a study's events.
pub struct Progress {
    mode: Mode,
    runs: usize,
    finished: Mutex<usize>,
    bars: Option<Mutex<Bars>>,
}

fn label(point: &RunPoint) -> String {
    let axes: Vec<String> = point
        .axes
        .iter()
        .map(|(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k)))
        .collect();
    format!("{} r{} {}", point.run_id, point.replicate, axes.join(" "))
}

impl Progress {
    /// Progress of the runs `todo`.
    pub fn new(mode: Mode, todo: &[RunPoint]) -> Self {
        let bars = (mode == Mode::Bars).then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
            let steps: u64 = todo.iter().map(|p| p.spec.train.steps).sum();
            let total = multi.add(ProgressBar::new(steps));
            let style = ProgressStyle::with_template("{elapsed_precise} [{wide_bar}] {msg} · {human_pos}/{human_len} steps ({rate}) · ETA {eta}")
                .expect("a valid template")
                .with_key("rate", |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let _ = write!(out, "{:.0} steps/s", state.per_sec());
                })
                .progress_chars("=> ");
            total.set_style(style);
            total.set_message(format!("0/{} runs", todo.len()));
            Mutex::new(Bars { multi, total, active: HashMap::new() })
        });
        Self {
            mode,
            runs: todo.len(),
            finished: Mutex::new(0),
            bars,
        }
    }

    /// A line of text, above the bars when there are bars.
    pub fn line(&self, text: &str) {
        match (&self.bars, self.mode) {
            (_, Mode::Quiet) => {}
            (Some(bars), _) => {
                let _ = bars
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .multi
                    .println(text);
            }
            (None, _) => eprintln!("{text}"),
        }
    }

    /// A run started.
    pub fn started(&self, point: &RunPoint) {
        if let Some(bars) = &self.bars {
            let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
            let bar = bars.multi.add(ProgressBar::new(point.spec.train.steps));
            bar.set_style(
                ProgressStyle::with_template("  {prefix:.dim} [{bar:30}] {pos}/{len}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix(label(point));
            bars.active
                .insert((point.run_id.clone(), point.replicate), (bar, 0));
        }
    }

    /// A run reached `step` (reported every 100 steps).
    pub fn step(&self, point: &RunPoint, step: u64) {
        if let Some(bars) = &self.bars {
            let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
            let Bars { total, active, .. } = &mut *bars;
            if let Some((bar, last)) = active.get_mut(&(point.run_id.clone(), point.replicate)) {
                total.inc(step.saturating_sub(*last));
                bar.set_position(step);
                *last = step;
            }
        }
    }

    /// A run finished (done or diverged) and was committed.
    pub fn finished(&self, result: &RunResult) {
        let status = match result.status {
            RunStatus::Done => format!("L_heldout = {:.5}", result.loss_heldout),
            RunStatus::Diverged { step } => format!("DIVERGED at step {step}"),
        };
        self.ended(
            &result.point,
            &format!("{status}  ({:.1} s)", result.seconds),
        );
    }

    /// A run could not be trained (recorded as failed).
    pub fn failed(&self, point: &RunPoint, error: &str) {
        self.ended(point, &format!("FAILED: {error}"));
    }

    fn ended(&self, point: &RunPoint, outcome: &str) {
        let count = {
            let mut finished = self.finished.lock().unwrap_or_else(|p| p.into_inner());
            *finished += 1;
            *finished
        };
        if let Some(bars) = &self.bars {
            let mut bars = bars.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((bar, last)) = bars.active.remove(&(point.run_id.clone(), point.replicate))
            {
                // A diverged run stops early: count its remaining steps as done.
                bars.total.inc(point.spec.train.steps.saturating_sub(last));
                bar.finish_and_clear();
                bars.multi.remove(&bar);
            }
            bars.total
                .set_message(format!("{count}/{} runs", self.runs));
        }
        let width = self.runs.to_string().len();
        self.line(&format!(
            "[{count:>width$}/{}] {}  {outcome}",
            self.runs,
            label(point)
        ));
    }

    /// Removes the bars (before the summary is printed).
    pub fn finish(&self) {
        if let Some(bars) = &self.bars {
            let bars = bars.lock().unwrap_or_else(|p| p.into_inner());
            bars.total.finish_and_clear();
            let _ = bars.multi.clear();
        }
    }
}
