//! Recording a running study into its store: each event of the scheduler becomes a store
//! write (a run marked running when it starts, committed when it finishes, marked failed
//! when it cannot be trained), from the worker that reports it.

use crate::event::Event;
use crate::observe::row;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};
use superscale_store::Store;

/// A store written from the worker threads of a study. The first store error is kept (an
/// event callback cannot return it) and stops the study: no new job starts once a commit
/// has failed, so nothing is trained that could not be kept.
pub struct Recorder<'a> {
    store: Mutex<Store>,
    failure: Mutex<Option<superscale_store::Error>>,
    save_weights: bool,
    stop: &'a AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl<'a> Recorder<'a> {
    /// Records into `store`; with `save_weights` each finished run's parameters are kept
    /// in its weights file. A failed write sets `stop`.
    pub fn new(store: Store, save_weights: bool, stop: &'a AtomicBool) -> Self {
        Self {
            store: Mutex::new(store),
            failure: Mutex::new(None),
            save_weights,
            stop,
        }
    }

    /// Writes what `event` means for the store. A finished run is committed from the
    /// worker before it takes the next job: a kill from then on cannot lose it.
    pub fn record<R: Serialize>(&self, event: &Event<'_, R>) {
        let outcome = match event {
            Event::Started(point) => lock(&self.store).mark_running(&row(point)),
            Event::Step(..) => Ok(()),
            Event::Finished(point, output) => {
                lock(&self.store).commit(&row(point), output, self.save_weights)
            }
            Event::Failed(point, err) => {
                lock(&self.store).commit_failure(&row(point), &err.message)
            }
        };
        if let Err(err) = outcome {
            self.stop.store(true, Ordering::Relaxed);
            lock(&self.failure).get_or_insert(err);
        }
    }

    /// Whether a write has failed.
    pub fn failed(&self) -> bool {
        lock(&self.failure).is_some()
    }

    /// The store back, and the first error a write met, if any (the runs committed before
    /// it are kept).
    pub fn finish(self) -> (Store, Option<superscale_store::Error>) {
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
