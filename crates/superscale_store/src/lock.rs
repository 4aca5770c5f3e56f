//! One writer per store: an exclusive lock on `superscale.lock` beside the database, held
//! for the writer's life. Without it two `superscale run`s on one store both trained the
//! rest of the study, reset each other's live runs to pending, or raced to create the
//! tables. The operating system releases the lock when its holder exits, however it exits
//! (a SIGKILL included), so a stale lock file never blocks anyone; the file's text only
//! names the last holder for the message of the one refused.

use crate::error::{io, Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// The lock file inside a store directory.
pub const LOCK_FILE: &str = "superscale.lock";

/// The stores this process writes (canonical directories). The file lock alone cannot
/// refuse a second writer inside one process reliably, nor tell it from the case below.
static HELD: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// How long a lock released by this process may stay held by a child being started.
///
/// A lock belongs to the open file, and a child process starts with a copy of every open
/// file of its parent until it executes its program (which closes them, all being opened
/// close-on-exec). So for the few microseconds a child takes to start, a lock this process
/// just released can still look held, by "this process". Only then is the lock retried,
/// for at most this long, before the store is reported in use.
const RELEASED_BY_US: Duration = Duration::from_secs(2);

/// The held lock; dropping it releases the store.
#[derive(Debug)]
pub(crate) struct WriterLock {
    // Kept open: the lock lives as long as this open file.
    _file: File,
    dir: PathBuf,
}

impl WriterLock {
    /// Takes the writer lock of the store in `dir` (creating the directory if needed), or
    /// says who holds it. Never waits for another writer: a second one is refused at once.
    pub(crate) fn acquire(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let canonical = std::fs::canonicalize(dir).map_err(io(dir))?;
        let path = dir.join(LOCK_FILE);
        let holder = || {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let text = text.trim();
            if text.is_empty() {
                // The holder may be writing its line this instant.
                "holder unknown".to_string()
            } else {
                text.to_string()
            }
        };
        let locked = |holder: String| Error::Locked {
            dir: dir.to_path_buf(),
            holder,
        };
        if lock_list().contains(&canonical) {
            return Err(locked(holder()));
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        let ours = format!("pid {} on ", std::process::id());
        let mut waited = Duration::ZERO;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let holder = holder();
                    if !holder.starts_with(&ours) || waited >= RELEASED_BY_US {
                        return Err(locked(holder));
                    }
                    let pause = Duration::from_millis(1);
                    std::thread::sleep(pause);
                    waited += pause;
                }
                Err(TryLockError::Error(err)) => return Err(io(&path)(err)),
            }
        }
        (|| {
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(holder_line().as_bytes())
        })()
        .map_err(io(&path))?;
        lock_list().push(canonical.clone());
        Ok(Self {
            _file: file,
            dir: canonical,
        })
    }
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        lock_list().retain(|dir| *dir != self.dir);
    }
}

fn lock_list() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// "pid 1234 on host since TIME: command args", the text a refused writer shows.
fn holder_line() -> String {
    let command: Vec<String> = std::env::args().collect();
    format!(
        "pid {} on {} since {}: {}\n",
        std::process::id(),
        crate::provenance::host(),
        crate::provenance::now_utc(),
        command.join(" ")
    )
}
