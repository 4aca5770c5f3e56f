//! A sweep survives SIGKILL and splits into shards: killed-and-resumed, sharded-and-merged
//! and uninterrupted runs of one 24-run sweep end with bit-identical stores. The kills are
//! placed by the process's own progress lines and the store's state, never by a clock.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use superscale_store::{RunState, Store};

/// The uninterrupted single-process study, computed once for the tests of this file.
fn reference() -> &'static PathBuf {
    static REFERENCE: OnceLock<PathBuf> = OnceLock::new();
    REFERENCE.get_or_init(|| {
        let dir = scratch("reference");
        let spec = spec(&dir, "sweep.toml", SWEEP);
        run_ok(&spec, &dir.join("store"), 2, &["--quiet"]);
        dir.join("store")
    })
}

/// Called by each of the two tests that use the reference when it passes: the last one
/// removes it (a failing test leaves it for inspection).
fn release_reference() {
    static USERS_LEFT: AtomicUsize = AtomicUsize::new(2);
    if USERS_LEFT.fetch_sub(1, Ordering::SeqCst) == 1 {
        let _ = std::fs::remove_dir_all(reference().parent().unwrap());
    }
}

/// xorshift64: seeded, so the kill points are the same on every run of the test.
struct Moments(u64);

impl Moments {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Kills the sweep by events, never by a clock. Without `--quiet` and with stderr a pipe,
/// `superscale run` prints its plan once the store holds every run, then one line per run
/// after committing it. Attempt 0 is killed at the plan line, as the first runs start.
/// Each later attempt is frozen (SIGSTOP; Linux's /proc shows when it has stopped) at every
/// finished-run line and the store read: once it holds 1–5 (seeded) more finished runs than
/// before *and* a run marked running, the frozen process is killed (SIGKILL), so the kill
/// is known to land mid-sweep with a run in flight; otherwise it continues (SIGCONT). No
/// kill can be missed by a fast machine or land late on a slow one.
#[test]
fn a_sweep_killed_mid_sweep_resumes_to_the_uninterrupted_result() {
    let reference = reference();
    let dir = scratch("killed");
    let spec = spec(&dir, "sweep.toml", SWEEP);
    let store = dir.join("store");
    let args = [
        "run".into(),
        path(&spec),
        "--store".into(),
        path(&store),
        "--threads".into(),
        "2".into(),
    ];
    let mut moments = Moments(0x5eed_cafe_f00d_d00d);
    let mut before: Option<Progress> = None;
    let mut killed_mid_sweep = 0;
    for attempt in 0..4 {
        let mut child = command(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let plan = lines.next().expect("a plan line").unwrap();
        // The plan names what the last kill left: the finished runs kept, the runs it
        // interrupted.
        match before {
            None => assert!(plan.ends_with("(new store)"), "{plan}"),
            Some(last) => {
                assert!(
                    plan.contains(&format!("resumed: {} finished", last.finished)),
                    "{plan}"
                );
                if last.running > 0 {
                    assert!(
                        plan.contains(&format!("{} interrupted", last.running)),
                        "{plan}"
                    );
                }
            }
        }
        if attempt > 0 {
            let finished_before = before.map_or(0, |p| p.finished);
            let target = finished_before + 1 + moments.below(5) as usize;
            loop {
                let line = lines
                    .next()
                    .unwrap_or_else(|| panic!("attempt {attempt}: the sweep ended before {target} runs were finished with one in flight"))
                    .unwrap();
                if !line.starts_with('[') {
                    continue;
                }
                freeze(&child);
                let now = progress(&store);
                if now.is_some_and(|p| p.finished >= target && p.running > 0) {
                    break;
                }
                signal(&child, "CONT");
            }
        }
        child.kill().unwrap(); // SIGKILL, also to a stopped process
        child.wait().unwrap();
        // The store opens after every kill, and no finished run is ever lost.
        let after = progress(&store).expect("the store exists once the plan is printed");
        eprintln!("kill {attempt}: {after:?}");
        assert_eq!(
            after.runs, 24,
            "attempt {attempt}: every run has its row from the start"
        );
        let finished_before = before.map_or(0, |p| p.finished);
        assert!(
            after.finished >= finished_before,
            "attempt {attempt}: {} < {finished_before} finished runs",
            after.finished
        );
        killed_mid_sweep += usize::from(after.finished > finished_before && after.finished < 24);
        before = Some(after);
    }
    assert!(
        killed_mid_sweep >= 3,
        "the three event-placed kills interrupt the sweep, each with new finished runs"
    );
    let stderr = run_ok(&spec, &store, 2, &[]);
    assert!(stderr.contains("resumed"), "{stderr}");
    // Nothing lost or duplicated, and bit for bit the uninterrupted study.
    let (resumed, expected) = (digests(&store), digests(reference));
    assert_eq!(resumed.len(), 24);
    assert!(resumed
        .values()
        .all(|(state, _, _)| *state == RunState::Done));
    assert_eq!(resumed, expected);
    assert_eq!(results_table(&store), results_table(reference));
    // Runs in flight at a kill were started again (and counted so).
    let runs = Store::open(&store).unwrap().runs().unwrap();
    assert!(
        runs.iter().any(|r| r.attempts > 1),
        "some run must have been interrupted"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    release_reference();
}

#[test]
fn three_shards_in_three_processes_merge_to_the_single_process_result() {
    let reference = reference();
    let dir = scratch("shards");
    let spec = spec(&dir, "sweep.toml", SWEEP);
    let shards: Vec<PathBuf> = (1..=3).map(|k| dir.join(format!("{k}-of-3"))).collect();
    let children: Vec<_> = shards
        .iter()
        .enumerate()
        .map(|(k, store)| {
            let args = [
                "run".into(),
                path(&spec),
                "--store".into(),
                path(store),
                "--shard".into(),
                format!("{}/3", k + 1),
                "--threads".into(),
                "1".into(),
                "--quiet".into(),
            ];
            command(&args).output_async()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    for (k, store) in shards.iter().enumerate() {
        let runs = Store::open(store).unwrap().runs().unwrap();
        assert_eq!(runs.len(), 8);
        assert!(
            runs.iter().all(|r| r.index % 3 == k),
            "shard {} holds runs i with i % 3 == {k}",
            k + 1
        );
    }
    let merged = dir.join("merged");
    let mut args = vec!["merge".to_string(), path(&merged)];
    args.extend(shards.iter().map(|s| path(s)));
    let (code, stdout, stderr) = superscale(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("report:") && stderr.contains("24 runs copied"),
        "{stderr}"
    );
    assert_eq!(digests(&merged), digests(reference));
    assert_eq!(results_table(&merged), results_table(reference));
    // Merging again is idempotent; a store of another experiment is refused.
    let (code, _, stderr) = superscale(&args);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("0 runs copied, 24 duplicates identical"),
        "{stderr}"
    );
    let other = dir.join("other");
    run_ok(&spec_file(&dir), &other, 1, &["--quiet"]);
    let (code, _, stderr) = superscale([
        String::from("merge"),
        path(&dir.join("merged2")),
        path(&shards[0]),
        path(&other),
    ]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("another experiment") && !dir.join("merged2").exists(),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    release_reference();
}

fn spec_file(dir: &std::path::Path) -> PathBuf {
    spec(dir, "tiny.toml", TINY)
}

trait Async {
    fn output_async(&mut self) -> std::process::Child;
}

impl Async for std::process::Command {
    fn output_async(&mut self) -> std::process::Child {
        self.stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    }
}
