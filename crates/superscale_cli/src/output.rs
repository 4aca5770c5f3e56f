//! What every command shares: the user-error class (exit code 2) and writing to stdout.

use anyhow::Result;

/// A mistake of the user's (bad spec, bad path, conflicting store): exit code 2, not 1.
#[derive(Debug)]
pub struct UserError(pub String);

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UserError {}

/// A mistake in the command line or an input file (every weight-file error is one): exit 2.
pub fn user(message: impl std::fmt::Display) -> anyhow::Error {
    UserError(message.to_string()).into()
}

/// Writes to stdout, taking a closed pipe (`superscale ls DIR | head`) as the end of the
/// output rather than a reason to panic.
pub fn print_out(text: &str) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes one line to stderr (progress, notes, the final error). A closed or broken stderr
/// (`superscale run … 2>&1 | head -1`) is ignored: there is nowhere left to report it, and
/// the work and its exit code must not depend on who reads the messages.
pub fn print_to_stderr(line: &str) {
    use std::io::Write;
    let mut stderr = std::io::stderr().lock();
    let _ = stderr
        .write_all(line.as_bytes())
        .and_then(|()| stderr.write_all(b"\n"));
}

/// A store error as the CLI reports it: the user's mistakes (not a store, damaged file,
/// conflicting spec, bad shard) exit with 2, failures of the machine with 1.
pub fn store_error(err: superscale_store::Error) -> anyhow::Error {
    if err.is_user_error() {
        UserError(err.to_string()).into()
    } else {
        err.into()
    }
}

/// An engine error as the CLI reports it (user errors exit with 2).
pub fn engine_error(err: superscale_engine::Error) -> anyhow::Error {
    if err.is_user_error() {
        UserError(err.to_string()).into()
    } else {
        err.into()
    }
}

/// A spec error: always the user's.
pub fn spec_error(err: superscale_spec::Error) -> anyhow::Error {
    UserError(err.to_string()).into()
}

/// `--threads`, else `SUPERSCALE_THREADS` (through clap's env), else the number of cores.
pub fn threads(asked: Option<usize>) -> Result<usize> {
    let threads =
        asked.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if threads == 0 {
        return Err(UserError("--threads must be at least 1".into()).into());
    }
    Ok(threads)
}
