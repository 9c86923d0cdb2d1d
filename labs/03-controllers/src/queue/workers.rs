//! The workers: N tasks that take keys off a [`WorkQueue`] and sync them.
//!
//! Every controller's workers run the same loop (client-go's `processNextWorkItem`): take a
//! key, sync it, and then either *forget* it (success: its back-off resets) or put it back
//! *rate-limited* (failure: retried after its next delay), and in both cases mark it *done*, so
//! the queue may hand it out again.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;

use super::WorkQueue;

// ANCHOR: process_next
/// Takes one key, syncs it and records the outcome. Returns `false` when the queue is shut
/// down and drained (the worker should stop).
pub async fn process_next<F, Fut, E>(queue: &WorkQueue, sync: &F) -> bool
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let Some(key) = queue.get().await else {
        return false;
    };
    match sync(key.clone()).await {
        Ok(()) => queue.forget(&key),
        Err(error) => {
            tracing::warn!(%key, retries = queue.num_requeues(&key), "sync failed, will retry: {error}");
            queue.add_rate_limited(&key);
        }
    }
    queue.done(&key);
    true
}
// ANCHOR_END: process_next

/// Runs `workers` tasks of [`process_next`] until the queue is shut down and drained.
pub async fn run_workers<F, Fut, E>(queue: Arc<WorkQueue>, workers: usize, sync: F)
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Display + 'static,
{
    let sync = Arc::new(sync);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers.max(1) {
        let queue = queue.clone();
        let sync = sync.clone();
        tasks.spawn(async move { while process_next(&queue, sync.as_ref()).await {} });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Err(error) = joined {
            tracing::error!("a worker panicked: {error}");
        }
    }
}
