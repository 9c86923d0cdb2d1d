//! The garbage collector: objects whose owners are gone are deleted, and owners deleted in the
//! foreground or with orphaning get their dependents handled (upstream
//! `pkg/controller/garbagecollector`).
//!
//! ```text
//! discovery ──> one metadata informer per resource ──> the graph (uid -> node, owner -> dependents)
//!                                                         │ handlers enqueue UIDs:
//!                                                         │   an object naming an owner not in the graph
//!                                                         │   the dependents of a deleted object
//!                                                         │   an owner being deleted with foregroundDeletion/orphan
//!                                                         v
//!                                        workers: sync(uid) ── decide ([`decide`]) ── DELETE / PATCH
//! ```
//!
//! The graph can lag (each resource has its own informer), so "the owner is not in the
//! graph" is checked against the apiserver before anything is deleted: a GET of the owner,
//! whose UID must match.

pub mod decide;
pub mod graph;
mod sync;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use kube::Client;
use labkit::Clock;

use self::graph::{Graph, Node};
use crate::dynamic::{DiscoveredResource, MetaObject, MetaSource, discover_with_retry};
use crate::informer::{Cache, Change, Informer};
use crate::queue::WorkQueue;
use crate::runner::Tasks;

/// Upstream's default `--concurrent-gc-syncs`.
pub const DEFAULT_WORKERS: usize = 20;

/// The collector's shared state. Clones share everything.
#[derive(Clone)]
struct GarbageCollector {
    client: Client,
    resources: Arc<Vec<DiscoveredResource>>,
    graph: Arc<Mutex<Graph>>,
    queue: Arc<WorkQueue>,
}

/// Runs the garbage collector until `shutdown` completes. Discovery is retried until the
/// apiserver answers.
pub async fn run(
    client: Client,
    clock: Arc<dyn Clock>,
    workers: usize,
    shutdown: impl std::future::Future<Output = ()> + Send,
) {
    tokio::pin!(shutdown);
    let mut resources = tokio::select! {
        () = &mut shutdown => return,
        resources = discover_with_retry(&client, "garbage collector") => resources,
    };
    // Nothing owns Events and they are many: upstream's collector ignores them too.
    resources.retain(|resource| resource.resource.kind != "Event");
    tracing::info!("garbage collector: watching {} resources", resources.len());
    let collector = GarbageCollector {
        client: client.clone(),
        resources: Arc::new(resources),
        graph: Arc::new(Mutex::new(Graph::default())),
        queue: Arc::new(WorkQueue::new(clock)),
    };
    let mut tasks = Tasks::new();
    let mut caches: Vec<Cache<MetaObject>> = Vec::new();
    for (index, resource) in collector.resources.iter().enumerate() {
        let mut informer = Informer::new(MetaSource::new(&client, resource));
        caches.push(informer.cache());
        let handler = collector.clone();
        informer.on_change(move |change| handler.object_changed(change, index));
        tasks.informer(informer);
    }
    let worker = collector.clone();
    tasks.workers(
        "garbage-collector-controller",
        collector.queue.clone(),
        workers,
        move || caches.iter().all(Cache::has_synced),
        || {},
        move |uid| {
            let collector = worker.clone();
            async move { collector.sync(&uid).await }
        },
    );
    tasks.run_until(shutdown).await;
}

impl GarbageCollector {
    fn graph(&self) -> MutexGuard<'_, Graph> {
        self.graph.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ANCHOR: object_changed
    /// Every informer's handler: updates the graph and enqueues what may now need work.
    fn object_changed(&self, change: &Change<MetaObject>, resource: usize) {
        let mut enqueue = Vec::new();
        {
            let mut graph = self.graph();
            match change {
                Change::Added(object) | Change::Updated { new: object, .. } => {
                    let node = Node::from_object(object, resource);
                    // An owner we do not know: gone, or not seen yet. The worker checks.
                    if node
                        .owners
                        .iter()
                        .any(|owner| graph.get(&owner.uid).is_none())
                    {
                        enqueue.push(node.uid.clone());
                    }
                    // Being deleted with a finalizer this collector handles.
                    if node.deleting
                        && (node.has_finalizer(decide::FOREGROUND)
                            || node.has_finalizer(decide::ORPHAN))
                    {
                        enqueue.push(node.uid.clone());
                    }
                    let old = graph.upsert(node.clone());
                    // An owner it no longer names, or one waiting for it, looks again.
                    let owners = old
                        .iter()
                        .flat_map(|old| old.owners.iter())
                        .chain(&node.owners);
                    for owner in owners {
                        if graph.get(&owner.uid).is_some_and(Node::deleting_dependents) {
                            enqueue.push(owner.uid.clone());
                        }
                    }
                }
                Change::Deleted(object) => {
                    let uid = object.metadata.uid.clone().unwrap_or_default();
                    if let Some(old) = graph.remove(&uid) {
                        // Its dependents lost an owner; its owners lost a dependent.
                        enqueue.extend(graph.dependents(&uid).into_iter().map(|node| node.uid));
                        for owner in &old.owners {
                            if graph.get(&owner.uid).is_some_and(Node::deleting_dependents) {
                                enqueue.push(owner.uid.clone());
                            }
                        }
                    }
                }
            }
        }
        for uid in enqueue {
            self.queue.add(&uid);
        }
    }
    // ANCHOR_END: object_changed
}
