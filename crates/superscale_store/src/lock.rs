//! One writer per store: an exclusive lock on `superscale.lock` beside the database, held
//! for the writer's life. Without it two `superscale run`s on one store both trained the
//! rest of the study, reset each other's live runs to pending, or raced to create the
//! tables. The operating system releases the lock when its holder exits, however it exits
//! (a SIGKILL included), so a stale lock file never blocks anyone; the file's text only
//! names the last holder for the message of the one refused.

use crate::error::{io, Error, Result};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

/// The lock file inside a store directory.
pub const LOCK_FILE: &str = "superscale.lock";

/// The held lock; dropping it releases the store.
#[derive(Debug)]
pub(crate) struct WriterLock {
    // Kept open: the lock lives as long as this open file.
    _file: File,
}

impl WriterLock {
    /// Takes the writer lock of the store in `dir` (creating the directory if needed), or
    /// says who holds it. Never waits: a second writer is refused at once.
    pub(crate) fn acquire(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                // The holder may be rewriting the file this instant; then it is unnamed.
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(Error::Locked {
                    dir: dir.to_path_buf(),
                    holder: if holder.is_empty() {
                        "holder unknown".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(TryLockError::Error(err)) => return Err(io(&path)(err)),
        }
        let holder = holder();
        (|| {
            file.set_len(0)?;
            file.rewind()?;
            file.write_all(holder.as_bytes())
        })()
        .map_err(io(&path))?;
        Ok(Self { _file: file })
    }
}

/// "pid 1234 on host since TIME: command args", the text a refused writer shows.
fn holder() -> String {
    let command: Vec<String> = std::env::args().collect();
    format!(
        "pid {} on {} since {}: {}\n",
        std::process::id(),
        crate::provenance::host(),
        crate::provenance::now_utc(),
        command.join(" ")
    )
}
