//! The scheduler against an API server (step 4's loop): informers feed the snapshot and the
//! queue, and one loop pops a pod, runs a cycle, and writes the outcome back.
//!
//! ```text
//! node informer ──► Snapshot (nodes)             ──┐
//! pod informer  ──► Snapshot (pods with nodeName)  ├─► cluster events ─► move_all_on_event
//!               └─► SchedulingQueue (pending pods whose schedulerName is ours)
//! loop: pop ─► schedule_one ─► assume ─► POST pods/NAME/binding ─► Scheduled event
//!                           └► preempt, or PodScheduled=False + FailedScheduling event
//! ```
//!
//! The loop sleeps on a [`Notify`] that the informer handlers ring whenever they give the
//! queue work, and wakes at least every [`POLL_INTERVAL`] as well: a pod whose back-off ends
//! produces no event, and `pop` is what moves it to activeQ.

mod writes;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use lab_03::informer::{Cache, Change, Informer};
use lab_03::manager::Config as ClientConfig;
use labkit::SystemClock;
use tokio::sync::{Notify, watch};

use crate::framework::{Profile, SchedulingState};
use crate::queue::{ClusterEvent, NodeChange, QueueConfig, SchedulingQueue};
use crate::snapshot::{Snapshot, SnapshotError};

/// The longest the loop sleeps without a notification: how late a pod whose back-off ended
/// can be popped.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Why the scheduler could not start.
#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    /// The kubeconfig does not give a usable client.
    #[error(transparent)]
    Client(#[from] lab_03::manager::ManagerError),
}

/// What the scheduler runs with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The apiserver (a parsed kubeconfig, lab-03's loader).
    pub client: ClientConfig,
    /// Pods whose `spec.schedulerName` is this are ours (`default-scheduler` by default).
    pub scheduler_name: String,
    /// The seed that breaks ties between equally scored nodes.
    pub seed: u64,
    /// Run DefaultPreemption (step 5) for pods that fit nowhere. Step 4's tests turn it off,
    /// so they pass before step 5 is written.
    pub preemption: bool,
}

impl Config {
    /// The default scheduler name and seed 0 for the apiserver of `client`.
    pub fn new(client: ClientConfig) -> Self {
        Config {
            client,
            scheduler_name: crate::queue::DEFAULT_SCHEDULER_NAME.to_string(),
            seed: 0,
            preemption: true,
        }
    }
}

/// What the informers and the loop share.
pub(crate) struct State {
    pub(crate) snapshot: Snapshot,
    pub(crate) queue: SchedulingQueue<SystemClock>,
    pub(crate) cycle: SchedulingState,
    /// Bound pods whose node the snapshot does not have (yet, or any more), by node name then
    /// pod key. The node and pod watches are separate streams, so a pod bound to a new node
    /// can arrive before that node does; it is counted when the node arrives, not lost.
    pub(crate) waiting_for_node: HashMap<String, HashMap<String, Pod>>,
}

/// The shared state and the loop's doorbell.
#[derive(Clone)]
pub(crate) struct Shared {
    state: Arc<Mutex<State>>,
    pub(crate) work: Arc<Notify>,
}

impl Shared {
    /// Locks the state (a handler that panicked leaves it usable: every change is one call).
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Runs the scheduler until `shutdown` completes. An apiserver that cannot be reached is not
/// an error: the informers log it and retry with back-off, and the loop waits for them.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), SchedulerError> {
    let client = config.client.client().await?;
    let profile = Profile {
        scheduler_name: config.scheduler_name.clone(),
        ..Profile::default()
    };
    let queue_config = QueueConfig {
        scheduler_name: config.scheduler_name.clone(),
        ..QueueConfig::default()
    };
    let shared = Shared {
        state: Arc::new(Mutex::new(State {
            snapshot: Snapshot::new(),
            queue: SchedulingQueue::new(SystemClock, queue_config),
            cycle: SchedulingState::new(config.seed),
            waiting_for_node: HashMap::new(),
        })),
        work: Arc::new(Notify::new()),
    };
    let (stop, stopped) = watch::channel(false);
    let until = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };

    // Nodes first: a bound pod can only be counted on a node the snapshot knows.
    let mut nodes = Informer::new(Api::<Node>::all(client.clone()));
    let handler = shared.clone();
    nodes.on_change(move |change| on_node(&handler, change));
    let node_cache = nodes.cache();
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(nodes.run(until()));
    tracing::info!(scheduler = %config.scheduler_name, "waiting for the node cache to sync");
    wait_synced(&node_cache, until()).await;

    let mut pods = Informer::new(Api::<Pod>::all(client.clone()));
    let handler = shared.clone();
    pods.on_change(move |change| on_pod(&handler, change));
    let pod_cache = pods.cache();
    tasks.spawn(pods.run(until()));

    let scheduler = writes::Writer {
        client,
        shared: shared.clone(),
        profile,
        preemption: config.preemption,
        pods: pod_cache,
        bindings: Arc::new(tokio::sync::Semaphore::new(writes::MAX_BINDINGS_IN_FLIGHT)),
    };
    tasks.spawn(scheduling_loop(scheduler, until()));
    // Until shutdown, or until a part panics (a bug, or a `todo!` not written yet): then the
    // scheduler panics with it instead of running on without its informers or its loop.
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(ended) = tasks.join_next() => {
                if let Err(error) = ended
                    && error.is_panic()
                {
                    let _ = stop.send(true);
                    std::panic::resume_unwind(error.into_panic());
                }
            }
        }
    }
    let _ = stop.send(true);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Polls until `cache` has its first list (or shutdown).
async fn wait_synced(cache: &Cache<Node>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    while !cache.has_synced() {
        tokio::select! {
            () = &mut shutdown => return,
            () = tokio::time::sleep(POLL_INTERVAL) => {}
        }
    }
}

// ANCHOR: loop
/// Pops pods and schedules them one at a time (upstream `ScheduleOne`), sleeping when the queue
/// has nothing ready.
async fn scheduling_loop(writer: writes::Writer, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        let popped = writer.shared.lock().queue.pop();
        match popped {
            Some(pod) => writer.schedule(pod).await,
            None => tokio::select! {
                () = &mut shutdown => return,
                () = writer.shared.work.notified() => {}
                () = tokio::time::sleep(POLL_INTERVAL) => {}
            },
        }
    }
}
// ANCHOR_END: loop

/// True if the pod has a node (`assignedPod`).
fn is_bound(pod: &Pod) -> bool {
    pod.spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty())
}

fn pod_key(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default()
    )
}

/// A pod changed: bound pods go to the snapshot (and are events for the unschedulable pods),
/// pending pods to the queue (which keeps only ours).
fn on_pod(shared: &Shared, change: &Change<Pod>) {
    let mut state = shared.lock();
    let state = &mut *state;
    match change {
        Change::Added(pod) | Change::Updated { new: pod, .. } if is_bound(pod) => {
            let was_bound = matches!(change, Change::Updated { old, .. } if is_bound(old));
            // Bound by us (the informer confirms the assumed pod) or by someone else.
            state.queue.delete(&pod_key(pod));
            match state.snapshot.add_pod((**pod).clone()) {
                Ok(()) => {}
                Err(SnapshotError::UnknownNode { pod: key, node }) => {
                    tracing::debug!(pod = %key, node = %node, "bound to a node not seen yet");
                    state
                        .waiting_for_node
                        .entry(node)
                        .or_default()
                        .insert(key, (**pod).clone());
                }
                Err(error) => tracing::debug!(pod = %pod_key(pod), "not in the snapshot: {error}"),
            }
            state.queue.move_all_on_event(if was_bound {
                ClusterEvent::AssignedPodUpdated
            } else {
                ClusterEvent::AssignedPodAdded
            });
        }
        Change::Added(pod) => {
            if let Err(error) = state.queue.add((**pod).clone()) {
                tracing::warn!(pod = %pod_key(pod), "cannot queue: {error}");
            }
        }
        Change::Updated { new: pod, .. } => {
            if let Err(error) = state.queue.update((**pod).clone()) {
                tracing::warn!(pod = %pod_key(pod), "cannot queue: {error}");
            }
        }
        Change::Deleted(pod) => {
            let key = pod_key(pod);
            state.queue.delete(&key);
            forget_waiting(&mut state.waiting_for_node, &key);
            if state.snapshot.remove_pod(&key) {
                state
                    .queue
                    .move_all_on_event(ClusterEvent::AssignedPodDeleted);
            }
        }
    }
    shared.work.notify_one();
}

/// A node changed: the snapshot follows, and the change is an event for unschedulable pods.
fn on_node(shared: &Shared, change: &Change<Node>) {
    let mut state = shared.lock();
    let state = &mut *state;
    let name = |node: &Node| node.metadata.name.clone().unwrap_or_default();
    let result = match change {
        Change::Added(node) => {
            let added = state.snapshot.add_node((**node).clone());
            state.queue.move_all_on_event(ClusterEvent::NodeAdded);
            added
        }
        Change::Updated { old, new } => {
            let updated = if state.snapshot.node(&name(new)).is_some() {
                state.snapshot.update_node((**new).clone())
            } else {
                state.snapshot.add_node((**new).clone())
            };
            let what = NodeChange::between(old, new);
            if !what.is_empty() {
                state
                    .queue
                    .move_all_on_event(ClusterEvent::NodeUpdated(what));
            }
            updated
        }
        Change::Deleted(node) => {
            // Its pods still exist, bound to its name, until something deletes them: they
            // wait for a node of that name to come back.
            let name = name(node);
            if let Some(info) = state.snapshot.node(&name) {
                let waiting = state.waiting_for_node.entry(name.clone()).or_default();
                for pod in &info.pods {
                    waiting.insert(pod.key.clone(), (*pod.pod).clone());
                }
            }
            state.snapshot.remove_node(&name)
        }
    };
    if let Err(error) = result {
        tracing::warn!("node not in the snapshot: {error}");
    }
    if let Change::Added(node) | Change::Updated { new: node, .. } = change
        && let Some(waiting) = state.waiting_for_node.remove(&name(node))
    {
        for (key, pod) in waiting {
            if let Err(error) = state.snapshot.add_pod(pod) {
                tracing::warn!(pod = %key, "not in the snapshot: {error}");
            }
        }
        state
            .queue
            .move_all_on_event(ClusterEvent::AssignedPodAdded);
    }
    shared.work.notify_one();
}

/// Forgets a deleted pod that was waiting for its node.
fn forget_waiting(waiting: &mut HashMap<String, HashMap<String, Pod>>, key: &str) {
    waiting.retain(|_, pods| {
        pods.remove(key);
        !pods.is_empty()
    });
}
