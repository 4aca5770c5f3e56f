//! A sweep survives SIGKILL and splits into shards: killed-and-resumed, sharded-and-merged
//! and uninterrupted runs of one 24-run sweep end with bit-identical stores.

mod common;

use common::*;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};
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

/// xorshift64: seeded, so the kill moments are the same on every run of the test.
struct Moments(u64);

impl Moments {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// (runs in the store, runs finished), or None while the store is not created yet.
fn progress(dir: &std::path::Path) -> Option<(usize, usize)> {
    let runs = Store::open(dir).ok()?.runs().ok()?;
    Some((
        runs.len(),
        runs.iter().filter(|r| r.state.is_finished()).count(),
    ))
}

#[test]
fn a_sweep_killed_at_random_moments_resumes_to_the_uninterrupted_result() {
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
        "--quiet".into(),
    ];
    let mut moments = Moments(0x5eed_cafe_f00d_d00d);
    let mut finished_before = 0;
    let mut killed_mid_sweep = 0;
    // The first kill lands within 40 ms of the start (store creation or the first runs);
    // each later one once the store has gained 1–5 more finished runs, plus 0–150 ms.
    for attempt in 0..4 {
        let mut child = command(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        if attempt == 0 {
            std::thread::sleep(Duration::from_millis(moments.below(40)));
        } else {
            let target = finished_before + 1 + moments.below(5) as usize;
            let deadline = Instant::now() + Duration::from_secs(30);
            while progress(&store).is_none_or(|(_, finished)| finished < target)
                && Instant::now() < deadline
            {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            std::thread::sleep(Duration::from_millis(moments.below(150)));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // The store opens after every kill, and no finished run is ever lost.
        eprintln!("kill {attempt}: (runs, finished) = {:?}", progress(&store));
        if let Some((runs, finished)) = progress(&store) {
            assert_eq!(
                runs, 24,
                "attempt {attempt}: every run has its row from the start"
            );
            assert!(
                finished >= finished_before,
                "attempt {attempt}: {finished} < {finished_before} finished runs"
            );
            killed_mid_sweep += usize::from(finished > finished_before && finished < 24);
            finished_before = finished;
        }
    }
    assert!(
        killed_mid_sweep >= 2,
        "the kills should have interrupted the sweep at least twice"
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
