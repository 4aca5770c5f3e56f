//! Recording a running study into its store: the events of `superscale_kinds::run_study`
//! become store writes (a run marked running when it starts, committed when it finishes,
//! marked failed when it cannot be trained). Shared by the CLI and the Python package so
//! both write the same store the same way.

use crate::error::Error;
use crate::store::Store;
use std::sync::{Mutex, MutexGuard};
use superscale_kinds::Event;

/// A store written from the worker threads of a study. The first store error is kept (the
/// event callback cannot return it) and later writes are still attempted, so every run
/// that can be committed is.
pub struct Recorder {
    store: Mutex<Store>,
    failure: Mutex<Option<Error>>,
    save_weights: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Recorder {
    /// Records into `store`; with `save_weights` each finished run's W and b are written
    /// to `weights/<run id>-r<replicate>.safetensors`.
    pub fn new(store: Store, save_weights: bool) -> Self {
        Self {
            store: Mutex::new(store),
            failure: Mutex::new(None),
            save_weights,
        }
    }

    /// Writes what `event` means for the store. A finished run is committed from the
    /// worker before it takes the next run: a kill from then on cannot lose it.
    pub fn record(&self, event: &Event<'_>) {
        let outcome = match event {
            Event::Started(point) => lock(&self.store).mark_running(point),
            Event::Step(..) => Ok(()),
            Event::Finished(result) => lock(&self.store).commit(result, self.save_weights),
            Event::Failed(point, err) => lock(&self.store).commit_failure(point, &err.to_string()),
        };
        if let Err(err) = outcome {
            lock(&self.failure).get_or_insert(err);
        }
    }

    /// The store back, and the first error a write met, if any (the runs committed before
    /// it are kept).
    pub fn finish(self) -> (Store, Option<Error>) {
        let store = self
            .store
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let failure = self
            .failure
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (store, failure)
    }
}
