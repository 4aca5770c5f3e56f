//! Progress of a study on stderr: `indicatif` bars on a terminal (the study's steps with
//! rate and ETA, one bar per run in flight), one line per finished run otherwise (logs,
//! Slurm output files), nothing with `--quiet`. The same for every kind: it hears the
//! engine's updates, which carry plain labels.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Mutex, MutexGuard};
use superscale_engine::{Observer, RunLabel, Update};
use superscale_fit::{FitObserver, FitStage, FitWork};
use superscale_store::End;

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
    /// the study's steps: position = steps trained, so the rate is steps/s and the ETA
    /// weighs long runs by their length
    total: ProgressBar,
    /// runs in flight: their bar and the last step reported
    active: HashMap<Key, (ProgressBar, u64)>,
}

#[derive(Default)]
struct State {
    runs: usize,
    finished: usize,
    headline: Option<String>,
    bars: Option<Bars>,
}

/// Shows a study's updates.
pub struct Progress {
    mode: Mode,
    state: Mutex<State>,
}

fn key(label: &RunLabel) -> Key {
    (label.run_id.clone(), label.replicate)
}

impl Progress {
    /// Progress shown in `mode`.
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A line of text, above the bars when there are bars.
    pub fn line(&self, text: &str) {
        if self.mode == Mode::Quiet {
            return;
        }
        match &self.state().bars {
            Some(bars) => {
                let _ = bars.multi.println(text);
            }
            None => crate::output::print_to_stderr(text),
        }
    }

    fn planned(&self, todo: &[RunLabel], headline: Option<&str>) {
        let mut state = self.state();
        state.runs = todo.len();
        state.headline = headline.map(String::from);
        if self.mode != Mode::Bars {
            return;
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(8));
        let total = multi.add(ProgressBar::new(todo.iter().map(|r| r.steps).sum()));
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {msg} · {human_pos}/{human_len} steps ({rate}) · ETA {eta}",
        )
        .expect("a valid template")
        .with_key("rate", |state: &ProgressState, out: &mut dyn std::fmt::Write| {
            let _ = write!(out, "{:.0} steps/s", state.per_sec());
        })
        .progress_chars("=> ");
        total.set_style(style);
        total.set_message(format!("0/{} runs", todo.len()));
        state.bars = Some(Bars {
            multi,
            total,
            active: HashMap::new(),
        });
    }

    fn started(&self, label: &RunLabel) {
        if let Some(bars) = &mut self.state().bars {
            let bar = bars.multi.add(ProgressBar::new(label.steps));
            bar.set_style(
                ProgressStyle::with_template("  {prefix:.dim} [{bar:30}] {pos}/{len}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix(label.text());
            bars.active.insert(key(label), (bar, 0));
        }
    }

    fn step(&self, label: &RunLabel, step: u64) {
        if let Some(Bars { total, active, .. }) = &mut self.state().bars {
            if let Some((bar, last)) = active.get_mut(&key(label)) {
                total.inc(step.saturating_sub(*last));
                bar.set_position(step);
                *last = step;
            }
        }
    }

    fn ended(&self, label: &RunLabel, outcome: &str) {
        let line = {
            let mut state = self.state();
            state.finished += 1;
            let (count, runs) = (state.finished, state.runs);
            if let Some(bars) = &mut state.bars {
                if let Some((bar, last)) = bars.active.remove(&key(label)) {
                    // A diverged run stops early: count its remaining steps as done.
                    bars.total.inc(label.steps.saturating_sub(last));
                    bar.finish_and_clear();
                    bars.multi.remove(&bar);
                }
                bars.total.set_message(format!("{count}/{runs} runs"));
            }
            let width = runs.to_string().len();
            format!("[{count:>width$}/{runs}] {}  {outcome}", label.text())
        };
        self.line(&line);
    }

    /// Removes the bars (before the summary is printed).
    pub fn finish(&self) {
        if let Some(bars) = self.state().bars.take() {
            bars.total.finish_and_clear();
            let _ = bars.multi.clear();
        }
    }
}

impl Observer for Progress {
    fn update(&self, update: Update<'_>) {
        match update {
            Update::Planned {
                summary,
                todo,
                headline,
            } => {
                self.planned(todo, headline);
                self.line(summary);
            }
            Update::Started(label) => self.started(label),
            Update::Step(label, step) => self.step(label, step),
            Update::Finished(label, summary) => {
                let name = self.state().headline.clone();
                let status = match (summary.end, name, summary.headline) {
                    (End::Diverged { step }, _, _) => format!("DIVERGED at step {step}"),
                    (End::Done, Some(name), Some(value)) => format!("{name} = {value:.5}"),
                    (End::Done, _, _) => "done".into(),
                };
                self.ended(label, &format!("{status}  ({:.1} s)", summary.seconds));
            }
            Update::Failed(label, err) => self.ended(label, &format!("FAILED: {}", err.message)),
        }
    }
}

/// Progress of `superscale fit` on stderr: the work planned before it starts (unless
/// quiet), and on a terminal a bar per stage (the bootstrap's resamples with rate and ETA;
/// a spinner for a fit, whose starts run inside the optimiser).
pub struct FitProgress {
    mode: Mode,
    bar: Mutex<Option<ProgressBar>>,
}

impl FitProgress {
    /// Progress shown in `mode`.
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            bar: Mutex::new(None),
        }
    }

    fn bar(&self) -> MutexGuard<'_, Option<ProgressBar>> {
        self.bar.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl FitObserver for FitProgress {
    fn planned(&self, work: &FitWork) {
        if self.mode != Mode::Quiet {
            crate::output::print_to_stderr(&format!("fit: {}", work.describe()));
        }
    }

    fn started(&self, stage: FitStage, units: usize) {
        if self.mode != Mode::Bars {
            return;
        }
        let target = ProgressDrawTarget::stderr_with_hz(8);
        let bar = match stage {
            FitStage::Bootstrap => {
                let bar = ProgressBar::with_draw_target(Some(units as u64), target);
                bar.set_style(
                    ProgressStyle::with_template(
                        "{elapsed_precise} [{wide_bar}] bootstrap {human_pos}/{human_len} resamples ({rate}) · ETA {eta}",
                    )
                    .expect("a valid template")
                    .with_key("rate", |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                        let _ = write!(out, "{:.0}/s", state.per_sec());
                    })
                    .progress_chars("=> "),
                );
                bar
            }
            FitStage::Fit | FitStage::Holdout => {
                let bar = ProgressBar::with_draw_target(None, target);
                bar.set_style(
                    ProgressStyle::with_template("{elapsed_precise} {spinner} {msg}")
                        .expect("a valid template"),
                );
                bar.set_message(format!("{} from {units} starts", stage.name()));
                bar.enable_steady_tick(std::time::Duration::from_millis(125));
                bar
            }
        };
        if let Some(previous) = self.bar().replace(bar) {
            previous.finish_and_clear();
        }
    }

    fn advanced(&self, _stage: FitStage) {
        if let Some(bar) = &*self.bar() {
            bar.inc(1);
        }
    }

    fn finished(&self, _stage: FitStage) {
        if let Some(bar) = self.bar().take() {
            bar.finish_and_clear();
        }
    }
}
