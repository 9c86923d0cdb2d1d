//! The shape every controller's `run` shares: informers, a wait until their caches have
//! synced, workers on a queue, and a clean stop (upstream `informerFactory.Start`,
//! `cache.WaitForCacheSync`, `go wait.Until(worker)`, `queue.ShutDown`).
//!
//! Step 2's ReplicaSet controller spells this out by hand; every later controller shares it.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use kube::Resource;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::informer::{Informer, ListWatch};
use crate::queue::{WorkQueue, run_workers};

/// The tasks of one controller and the signal that stops them.
#[derive(Debug)]
pub(crate) struct Tasks {
    stop: watch::Sender<bool>,
    set: JoinSet<()>,
    queues: Vec<Arc<WorkQueue>>,
}

impl Tasks {
    /// No tasks yet.
    pub(crate) fn new() -> Self {
        Tasks {
            stop: watch::channel(false).0,
            set: JoinSet::new(),
            queues: Vec::new(),
        }
    }

    /// A future that completes when the controller stops.
    pub(crate) fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stopped = self.stop.subscribe();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    }

    /// Runs `informer` until the controller stops.
    pub(crate) fn informer<K, S>(&mut self, informer: Informer<K, S>)
    where
        K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
        S: ListWatch<K>,
    {
        let stopped = self.stopped();
        self.set.spawn(informer.run(stopped));
    }

    /// Once `synced` holds (every cache has its first list), calls `start` once and then runs
    /// `workers` workers of `sync` on `queue` until the controller stops.
    pub(crate) fn workers<F, Fut, E>(
        &mut self,
        name: &'static str,
        queue: Arc<WorkQueue>,
        workers: usize,
        synced: impl Fn() -> bool + Send + 'static,
        start: impl FnOnce() + Send + 'static,
        sync: F,
    ) where
        F: Fn(String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: Display + 'static,
    {
        self.queues.push(queue.clone());
        let mut stopped = self.stop.subscribe();
        self.set.spawn(async move {
            // An empty cache would read as "nothing exists".
            while !synced() {
                tokio::select! {
                    _ = stopped.changed() => return,
                    () = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
            }
            tracing::info!("{name}: caches synced, starting {workers} workers");
            start();
            run_workers(queue, workers, sync).await;
        });
    }

    /// Waits for `shutdown`, then stops the informers, shuts the queues down and waits for
    /// every task.
    pub(crate) async fn run_until(mut self, shutdown: impl Future<Output = ()>) {
        shutdown.await;
        let _ = self.stop.send(true);
        for queue in &self.queues {
            queue.shut_down();
        }
        while self.set.join_next().await.is_some() {}
    }
}
