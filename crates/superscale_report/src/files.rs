//! Writing a study's files so that a kill never leaves a half-written one.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Writes `contents` to `path` through a temporary file beside it and a rename: a reader
/// (or a rerun deciding what is finished) sees the old file or the whole new one.
pub fn write_atomic(path: &Path, contents: impl AsRef<[u8]>) -> Result<()> {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let partial = path.with_file_name(format!(".{name}.partial"));
    std::fs::write(&partial, contents).map_err(|source| Error::Io {
        path: partial.clone(),
        source,
    })?;
    std::fs::rename(&partial, path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes each (file name, contents) into `dir` atomically; returns the paths.
pub fn write_files(dir: &Path, files: &[(String, String)]) -> Result<Vec<PathBuf>> {
    files
        .iter()
        .map(|(name, contents)| {
            let path = dir.join(name);
            write_atomic(&path, contents)?;
            Ok(path)
        })
        .collect()
}
